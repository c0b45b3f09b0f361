"""The CLI's progress line and the progress reported by model selection."""

from __future__ import annotations

import functools
import io

import numpy as np
import pytest

from causalmix._cli_runtime import Progress
from causalmix.cli import main
from causalmix.mixture import select_n_components
from causalmix.mixture._gaussian import EM_ROUND_HOOK


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_line_on_a_terminal_only(monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    tty = _Terminal()
    bar = Progress(enabled=True, stream=tty, interval=0.0)
    bar("model selection: k=2 (sweep), EM round 3", 2, 7)
    bar("model selection: k=3 (sweep), EM round 1", 3, 7)
    bar.close()
    text = tty.getvalue()
    assert text.count("\r") == 3 and "k=3 (sweep), EM round 1" in text and "3/7" in text
    assert text.endswith("\r\x1b[K")  # erased at the end
    assert " s" in text  # elapsed seconds
    monkeypatch.setenv("COLUMNS", "60")  # never wider than the terminal (no wrapped lines)
    narrow = _Terminal()
    Progress(enabled=True, stream=narrow)("model selection: k=3 (refit on all 50000 rows)", 3, 11)
    assert len(narrow.getvalue().removeprefix("\r").removesuffix("\x1b[K")) == 59
    assert narrow.getvalue().endswith(" s\x1b[K")
    pipe = io.StringIO()  # not a terminal: quiet
    bar = Progress(enabled=True, stream=pipe, interval=0.0)
    bar("fitting", 0, 1)
    bar.close()
    assert pipe.getvalue() == ""
    quiet = _Terminal()
    Progress(enabled=False, stream=quiet)("fitting", 0, 1)
    assert quiet.getvalue() == ""


@pytest.mark.parametrize("criterion", ["sbic", "drop_ratio"])
def test_selection_reports_each_k_and_em_round(criterion):
    rng = np.random.default_rng(0)
    shift = np.array([4.0, 0.0, 0.0])
    X = np.vstack([rng.normal(size=(300, 3)), rng.normal(size=(300, 3)) + shift])
    calls = []
    select_n_components(X, criterion=criterion, random_state=0,
                        progress=lambda *a: calls.append(a))  # fmt: skip
    stages = [s for s, _, _ in calls]
    assert {total for _, _, total in calls} == {4}  # max_components = p + 1
    assert {1, 2, 3} <= {k for _, k, _ in calls}
    assert any("EM round 2" in s for s in stages)
    assert len(calls) >= 10  # several EM rounds per k
    assert EM_ROUND_HOOK.get() is None  # the hook is reset afterwards


def test_cli_progress_moves_during_selection(tmp_path, monkeypatch):
    # before: "fitting mixture 0/1" stayed for the whole model selection
    assert main(["-q", "simulate", "--nodes", "4", "--samples", "2000", "--seed", "3",
                 "--out", str(tmp_path / "sim")]) == 0  # fmt: skip
    tty = _Terminal()
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr("sys.stderr", tty)
    monkeypatch.setattr("causalmix.cli.Progress", functools.partial(Progress, interval=0.0))
    assert main(["fit", str(tmp_path / "sim" / "data.csv"), "--out", str(tmp_path / "out"),
                 "--n-runs", "1", "--no-plots"]) == 0  # fmt: skip
    lines = [part.removesuffix("\x1b[K") for part in tty.getvalue().split("\r") if part.strip()]
    selection = [line for line in lines if line.startswith("model selection")]
    assert len({line.split("[")[0] for line in selection}) > 10  # distinct k / EM rounds shown
    assert any("k=3" in line for line in selection) and any(
        "EM round" in line for line in selection
    )
