"""The benchmark harness (benchmarks/, not part of the library): one runner, pages rendered from the
committed results, and quick runs that never write to docs/."""

from __future__ import annotations

import importlib
import sys
import types
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

C = pytest.importorskip("_common")
run_all = importlib.import_module("run_all")

# modules of benchmarks/ that are not parts (imported by the parts)
HELPERS = {"_common", "_scale_rows", "_shrunk", "published", "stability_errors", "stability_sachs", "run_all",
           "make_report"}  # fmt: skip


def test_run_all_runs_every_part():
    scripts = {p.stem for p in BENCH.glob("*.py")} - HELPERS
    assert {p.script for p in run_all.PARTS} == scripts


@pytest.mark.parametrize(
    "part", [p for p in run_all.PARTS if p.page and (C.DOCS_DIR / f"{p.name}.json").is_file()],
    ids=lambda p: p.name,
)  # fmt: skip
def test_committed_page_is_rendered_from_committed_json(part):
    # make_report.py rewrites every page from its JSON alone: the committed page must be that
    saved = C.load(part.name, C.DOCS_DIR)
    page = importlib.import_module(part.script).render(saved).rstrip() + "\n"
    assert page == (C.DOCS_DIR / f"{part.name}.md").read_text()


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_mtime_ns, p.stat().st_size) for p in folder.rglob("*")}


@pytest.mark.filterwarnings("ignore::causalmix.CausalmixWarning")
def test_quick_run_writes_only_to_the_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(C, "QUICK_DIR", tmp_path)
    monkeypatch.setattr(C, "OUT_DIR", C.OUT_DIR)  # restored after the test
    before = _snapshot(C.DOCS_DIR)
    refine_gate = importlib.import_module("refine_gate")
    assert refine_gate.main(["--quick", "--p", "4", "--log2n", "8", "--seeds", "1"]) == 0
    assert _snapshot(C.DOCS_DIR) == before
    assert {p.name for p in tmp_path.iterdir()} == {
        "refine_gate.json",
        "refine_gate_runs.csv",
        "refine_gate.md",
    }
    assert "benchmarks/.cache/" in (BENCH.parent / ".gitignore").read_text().splitlines()
    assert C.QUICK_DIR.is_relative_to(tmp_path)


def test_table_renders_a_spec():
    cols = [C.Col("p", "p"), C.Col("rate", "rate", ".2f"), C.Col("2p", lambda r: 2 * r["p"])]
    rows = [{"p": 4, "rate": 0.5}, {"p": 6, "rate": None}]
    assert C.table(rows, cols) == (
        "| p | rate | 2p |\n|---|---|---|\n| 4 | 0.50 | 8 |\n| 6 | – | 12 |"
    )


def test_interventions_pooled_rows_count_each_run_once():
    iv = importlib.import_module("interventions")

    def run(kind, n, seed, K_hat, shd):
        return {"kind": kind, "p": 5, "n": n, "seed": seed, "method": "mechanisms", "K": 3,
                "K_hat": K_hat, "k_correct": K_hat == 3, "obs_correct": True,
                "jaccard_int": 1.0, "shd": shd, "cpu_s": 2.0, "n_targets": K_hat - 1}  # fmt: skip

    records = [run("soft", 2**15, 0, 2, 1), run("soft", 2**15, 1, 4, 3), run("soft", 2**13, 0, 3, 5),
               run("do", 2**15, 0, 3, 7)]  # fmt: skip
    rows = {r[0]: r for r in iv.pooled_rows(records, ["mechanisms", "oracle"])}
    # columns: name, method, runs, K̂ = K, under, over, obs, Jaccard, SHD median, SHD sum, CPU,
    # targets per data set
    assert rows["non-do, N = 2^15"][2:6] == [2, "0", 1, 1]
    assert rows["non-do, N = 2^15"][9:11] == [4, "4"]
    assert rows["non-do, N = 2^15"][11] == "2"  # (1 + 3) / 2 targets
    assert rows["non-do, N = 2^13"][2:4] == [1, "1"]
    assert rows["non-do, N ≥ 2^15, p = 5"][2] == 2  # the 2^13 run is not among N ≥ 2^15
    assert rows["non-do, N ≥ 2^15"][2] == 2
    assert rows["do, every N"][9] == 7
    # all N ≥ 2^15, two N, one p, two seeds, do; no oracle rows without oracle runs
    assert len(rows) == 7


def test_interventions_shrink_lines_only_with_shrunk_runs():
    iv = importlib.import_module("interventions")
    run = {"method": "shrunk", "kind": "soft", "n": 2**15, "shrink_mean": 0.5}
    lines = iv.shrink_lines([run, {**run, "shrink_mean": 0.9}, {**run, "n": 2**13, "shrink_mean": 0.1},
                             {**run, "method": "today"}])  # fmt: skip
    assert "0.70 on average (0.50–0.90) over 2 data sets" in lines[0]  # the 2^13 run left out
    assert iv.shrink_lines([{**run, "method": "today"}]) == []


def test_shrunk_baseline_starts_from_the_statistics_the_estimator_searched():
    # the "shrunk" baseline rescales the estimator's own statistics by its responsibilities; the
    # mixture is fitted in the standardised frame, so data in other units must be standardised
    # first (they were not: the responsibilities were another fit's, the numbers meaningless)
    from causalmix import MixtureUTIGSP
    from causalmix.simulate import paper_interventions, random_sem, sample_mixture

    shrunk = importlib.import_module("_shrunk")
    rng = np.random.default_rng(0)
    sem = random_sem(4, density=0.5, random_state=rng)
    sample = sample_mixture(sem, paper_interventions(sem, random_state=rng), 3000, random_state=rng)
    X = 50.0 + 20.0 * sample.X  # units far from the standardised frame
    est = MixtureUTIGSP(refine="none", random_state=0).fit(X, diagnose=False)
    resp, stats = shrunk.unshrunk(est, X)
    assert np.array_equal(resp.argmax(axis=1), est.labels_)
    # the statistics' sizes are these responsibilities' sums
    np.testing.assert_array_equal(resp.sum(axis=0), stats.n)
    assert stats is est.statistics_
    with pytest.raises(ValueError, match="refine='none'"):  # a refined fit's are other statistics
        shrunk.unshrunk(types.SimpleNamespace(refined_=True), X)
