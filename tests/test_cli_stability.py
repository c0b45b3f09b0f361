"""``causalmix fit --stability N``: stability.json, the frequency figures, progress, bad values."""

from __future__ import annotations

import json

import numpy as np
import pytest

from causalmix.cli import main

FAST = ["--n-runs", "2", "--seed", "1"]


@pytest.fixture(scope="module")
def simulated(cli_simulation):
    return cli_simulation / "data.csv"


@pytest.mark.slow
def test_fit_with_stability_writes_frequencies(simulated, tmp_path, capsys, monkeypatch):
    calls: list[tuple[str, int, int]] = []

    class Recorder:  # stands in for the terminal progress line
        def __init__(self, enabled: bool) -> None:
            pass

        def __call__(self, stage: str, done: int, total: int) -> None:
            calls.append((stage, done, total))

        def close(self) -> None:
            pass

    monkeypatch.setattr("causalmix.cli.Progress", Recorder)
    out = tmp_path / "fit"
    assert main(["fit", str(simulated), "--out", str(out), "--stability", "3", "--jobs", "2",
                 *FAST]) == 0  # fmt: skip
    captured = capsys.readouterr()
    assert "stability.json, stability.png" in captured.out
    assert [c[1:] for c in calls if c[0] == "stability (resamples)"] == [(i, 3) for i in range(4)]
    assert {"stability.json", "stability.png", "icpdag.png"} <= {p.name for p in out.iterdir()}
    doc = json.loads((out / "stability.json").read_text())
    result = json.loads((out / "result.json").read_text())
    assert doc["schema"] == "causalmix.stability/1" and doc["n_resamples"] == 3
    assert doc["nodes"] == result["nodes"]
    assert len(doc["components"]) == result["n_components"]
    assert sum(doc["n_components_frequency"].values()) == pytest.approx(1.0)
    freqs = [e[k] for e in doc["edges"] for k in ("adjacent", "forward", "backward", "undirected")]
    assert all(0.0 <= f <= 1.0 for f in freqs)
    # every resample frequency is a multiple of 1/3
    np.testing.assert_allclose(np.array(freqs) * 3, np.round(np.array(freqs) * 3), atol=1e-12)


@pytest.mark.parametrize(
    ("extra", "message"),
    [(["--stability", "-2"], "--stability must be a number of resamples >= 0, got -2"),
     (["--stability", "5", "--jobs", "0"], "--jobs must be a positive number of processes or -1, got 0")],
)  # fmt: skip
def test_bad_stability_options_exit_2(simulated, tmp_path, capsys, extra, message):
    out = tmp_path / "o"
    assert main(["fit", str(simulated), "--out", str(out), *extra]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()
