"""The maintainer's tools (tools/, not part of the library) that the docs cite for their numbers."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
compare_runs = importlib.import_module("compare_runs")
fit_stages = importlib.import_module("fit_stages")


def _merged(**columns) -> pd.DataFrame:
    return pd.DataFrame({f"{c}_{s}": v[i] for c, v in columns.items() for i, s in enumerate("ab")})


def test_compare_runs_counts_a_run_changed_by_any_compared_column():
    both = _merged(
        K_hat=([3, 3, 3, 4], [3, 3, 3, 3]),
        shd=([0, 1, 0, 0], [0, 1, 0, 0]),
        targets_est=(
            ["-;1;2", "-;1;2", "-;1,2;2", "-;1;2;3"],
            ["-;1;2", "-;1;2", "-;1;2", "-;1;2"],
        ),
        obs_est=([0, np.nan, 0, 0], [0, np.nan, 0, 0]),
    )
    # run 1: equal, including two missing observational components; run 2: the same K̂ and SHD
    # but other targets; run 3: another K̂
    assert compare_runs.changed_runs(both).tolist() == [False, False, True, True]


def test_compare_runs_skips_a_column_one_file_lacks():
    both = _merged(K_hat=([3, 3], [3, 3]), shd=([0, 2], [0, 1]))
    both["targets_est_a"] = ["-;1", "-;2"]  # an older runs file without targets
    assert compare_runs.changed_runs(both).tolist() == [False, True]


def test_fit_stages_times_the_sweep_inside_the_fit_and_removes_its_timers():
    import causalmix._fit_steps as steps
    import causalmix.mixture._sweep as sweep

    before = (steps.fit_components, sweep.grow)
    fits, seconds, calls = fit_stages.stage_times(3, "all", 10, seeds=1)
    assert len(fits) == 1 and calls["step fit_components"] == 1
    # the sweep runs inside the choice of K, inside the fit: nested intervals (not a speed claim)
    assert 0 < seconds["sweep _grow_until_worse [1024 rows]"] <= seconds["step fit_components"]
    assert seconds["step fit_components"] <= fits[0]
    assert (steps.fit_components, sweep.grow) == before
