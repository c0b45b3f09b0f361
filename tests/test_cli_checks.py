"""``causalmix fit``: --transform, the "checks" block and result.json's diagnostics."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from causalmix.cli import main
from causalmix.diagnostics import compute_checks

FAST = ["--n-runs", "2", "--seed", "1", "--no-plots"]
N_CHECKS = 9


@pytest.fixture(scope="module")
def positive_csv(tmp_path_factory, cli_simulation):
    frame = np.exp(pd.read_csv(cli_simulation / "data.csv") / 2)  # positive, log-normal columns
    path = tmp_path_factory.mktemp("positive") / "positive.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("flags", "transform"),
    [([], "none"), (["--log-transform"], "log"), (["--transform", "rank"], "rank")],
)
def test_transforms_and_checks_block(positive_csv, tmp_path, capsys, flags, transform):
    out = tmp_path / "fit"
    assert main(["fit", str(positive_csv), "--out", str(out), *flags, *FAST]) == 0
    result = json.loads((out / "result.json").read_text())
    assert result["data"]["transform"] == transform
    diags = result["diagnostics"]
    assert len(diags) == N_CHECKS
    assert all(set(d) == {"name", "flagged", "passed", "value", "threshold", "message"}
               for d in diags)  # fmt: skip
    captured = capsys.readouterr()
    stdout = captured.out
    # the checks are printed once on stdout, not also as Python warnings on stderr
    assert "CausalmixWarning" not in captured.err
    flagged = [d for d in diags if d["flagged"]]
    assert f"checks: {len(flagged)} of {N_CHECKS} flagged" in stdout
    for d in flagged:
        assert f"  ! {d['name']}: {d['message']}" in stdout
    if transform == "log":
        # the log of a log-normal column is Gaussian: nothing non-Gaussian to report
        assert not next(d for d in diags if d["name"] == "gaussianity")["flagged"]
    if transform == "none":
        # exp(x / 2) of the simulated Gaussian components is skewed: flagged, transform advised
        check = next(d for d in diags if d["name"] == "gaussianity")
        assert check["flagged"] and "--transform log" in check["message"]


def test_log_transform_conflicting_with_rank(positive_csv, tmp_path, capsys):
    out = tmp_path / "fit"
    code = main(["fit", str(positive_csv), "--out", str(out), "--log-transform",
                 "--transform", "rank", *FAST])  # fmt: skip
    assert code == 2
    assert "--log-transform contradicts --transform rank" in capsys.readouterr().err
    assert not out.exists()


def test_compute_checks_without_a_generator_is_deterministic(positive_csv):
    from causalmix import MixtureUTIGSP

    X = np.log(pd.read_csv(positive_csv).to_numpy())
    est = MixtureUTIGSP(n_runs=2, random_state=0, max_components=3)
    with pytest.warns(UserWarning):
        est.fit(X)
    Z = est.scaler_.transform(X)
    assert compute_checks(est, Z) == compute_checks(est, Z)
