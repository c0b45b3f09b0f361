"""UT-IGSP side by side: causalmix against causaldag 0.1a163 on identical labelled samples.

For every case (graph size, number of settings, rows per setting) and seed the same simulated
settings — the observational one (the base, index 0) and ``K - 1`` single-node interventions — are
given to

- **causalmix**: ``causalmix.discovery.ut_igsp(datasets, 0, ...)``, in this process, timed with
  ``perf_counter`` from the raw arrays to the result (sufficient statistics included);
- **the reference**: causaldag 0.1a163's ``unknown_target_igsp`` through
  ``benchmarks/reference/run_reference.py`` (mode ``utigsp``, without the pass-base-as-setting quirk)
  inside the git-ignored venv ``.venv-ref`` (``bash benchmarks/reference/setup_env.sh`` or
  ``--setup`` creates it; without it the part says so and is skipped). Its time is the driver's ``utigsp_s`` (the
  ``unknown_target_igsp`` call only: no start-up, data loading or sufficient statistics).

Both sides use one BLAS / OpenMP thread, alpha_ci = alpha_inv = 1e-3, depth 4 and 5 runs. Reported:

(a) **decision agreement** on every memoised key of the reference — CI ``(i, j, S)`` and invariance
    ``(setting k, node i, S)`` — re-evaluated with causalmix's ``GaussianCITester`` /
    ``GaussianInvarianceTester`` on the same data, plus the decisions the reference takes outside
    its caches (the threshold graph and the minimal I-MAP of every starting permutation it drew,
    one-sided Fisher z). Every disagreement is listed with both p-values and its distance to the
    threshold (alpha for CI, alpha / 2 for each of the two invariance p-values);
(b) the final score ``(arcs, total implied targets)`` of both sides per seed (paired: better / tie /
    worse), the causalmix score of the reference's DAG, the I-CPDAG SHD to the truth
    (``causalmix.metrics.icpdag_shd``) and, since both searches start from random permutations,
    the score distributions over further search seeds of both sides on the same data (every
    causalmix / reference pair compared);
(c) per-seed times, their medians and quartiles, and the per-seed time ratio reference / causalmix.

Cases (``FULL``): p = 6 complete graph, 7 settings, 1e5 rows per setting (10 seeds); p = 20, 5
settings, 1e3 rows (20 seeds); p = 50, 10 settings, 1e3 rows (20 seeds).

    nice .venv/bin/python benchmarks/utigsp_vs_causaldag.py            # full -> docs/benchmarks/
    nice .venv/bin/python benchmarks/utigsp_vs_causaldag.py --quick    # -> benchmarks/.cache/quick/
"""

from __future__ import annotations

import os

# one BLAS / OpenMP thread for both sides, before numpy is imported (the subprocess inherits it)
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ[_var] = "1"

import json  # noqa: E402
import math  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from scipy.stats import t as student_t  # noqa: E402

import _common as C  # noqa: E402
from causalmix.discovery import ut_igsp, ut_igsp_from_statistics  # noqa: E402
from causalmix.discovery.permutations import (  # noqa: E402
    minimal_imap_gaussian,
    threshold_graph_gaussian,
)
from causalmix.graphs import dag_to_icpdag  # noqa: E402
from causalmix.metrics import icpdag_shd, shd  # noqa: E402
from causalmix.simulate import paper_interventions, random_sem  # noqa: E402
from causalmix.stats import (  # noqa: E402
    GaussianCITester,
    GaussianInvarianceTester,
    SufficientStatistics,
    nodes_to_mask,
)

NAME = "utigsp_vs_causaldag"
REPO = Path(__file__).resolve().parents[1]
REF_DIR = REPO / "benchmarks" / "reference"
REF_VENV = Path(os.environ.get("VENV_REF", REPO / ".venv-ref"))
REF_PY = REF_VENV / "bin" / "python"
ALPHA = 1e-3
DEPTH = 4
N_RUNS = 5
EXPLAIN_TOL = 1e-9  # a disagreement is "explained" when a p-value is this close to its threshold
# the interventions: single-node *hard* interventions, X_t ~ N(INTERVENTION_MEAN, INTERVENTION_VAR)
INTERVENTION = {"kind": "hard", "mean": 2.0, "var": 0.5}
SERVER = (  # the reference driver as a long-lived subprocess: one job path per stdin line
    "import sys\n"
    "sys.path.insert(0, sys.argv[1])\n"
    "import run_reference\n"
    "for line in sys.stdin:\n"
    "    run_reference.main(['utigsp', '--job', line.strip()])\n"
    "    print('JOB-DONE', flush=True)\n"
)


@dataclass(frozen=True)
class Case:
    """One data-generating setting: a random SEM, ``n_settings - 1`` single-node interventions."""

    name: str
    p: int
    n_settings: int
    rows: int
    density: float | None  # edge probability (1.0: complete graph) ...
    expected_degree: float | None  # ... or expected number of neighbours
    seeds: int  # data seeds 0 .. seeds - 1 (the search is seeded with the same number)
    target_speedup: float


FULL = (
    Case("p6-complete", 6, 7, 100_000, 1.0, None, 10, 100.0),
    Case("p20", 20, 5, 1_000, None, 3.0, 20, 20.0),
    Case("p50", 50, 10, 1_000, None, 3.0, 20, 20.0),
)
QUICK = (
    Case("p6-complete", 6, 7, 20_000, 1.0, None, 2, 100.0),
    Case("p20", 20, 5, 1_000, None, 3.0, 2, 20.0),
    Case("p50", 50, 10, 1_000, None, 3.0, 2, 20.0),
)
# score distributions: further search seeds per data seed on the same data (not timed)
N_ALT_SEARCH = 29  # causalmix (cheap; testers shared)
N_REF_ALT = 9  # causaldag (a full run each)


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------
def simulate(case: Case, seed: int) -> dict[str, Any]:
    """Settings of one (case, seed): base = observational, then one hard intervention each."""
    rng = np.random.default_rng([case.p, case.n_settings, case.rows, seed])
    sem = random_sem(
        case.p, density=case.density, expected_degree=case.expected_degree, random_state=rng
    )
    n_iv = case.n_settings - 1
    nodes = rng.permutation(case.p)[:n_iv] if n_iv <= case.p else rng.integers(case.p, size=n_iv)
    targets = [[int(t)] for t in nodes]
    ivs = paper_interventions(
        sem, targets, kind=INTERVENTION["kind"], mean=INTERVENTION["mean"],
        var=INTERVENTION["var"],
    )  # fmt: skip
    datasets = [sem.sample(case.rows, None, rng)]
    datasets += [sem.sample(case.rows, iv, rng) for iv in ivs]
    return {"dag": sem.dag, "targets": targets, "datasets": datasets}


# --------------------------------------------------------------------------------------------
# the two sides
# --------------------------------------------------------------------------------------------
def run_ours(datasets: list[np.ndarray], seed: int, repeats: int) -> tuple[Any, list[float]]:
    """causalmix from the raw arrays; ``repeats`` timed calls (deterministic for a seed)."""
    times, res = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = ut_igsp(
            datasets, 0, alpha_ci=ALPHA, alpha_inv=ALPHA, depth=DEPTH, n_runs=N_RUNS,
            random_state=seed,
        )  # fmt: skip
        times.append(time.perf_counter() - t0)
    return res, times


def ensure_reference(setup: bool) -> bool:
    """Whether the reference venv is ready; ``setup``: (re)create it with setup_env.sh first.

    Without ``--setup`` a missing or outdated venv is reported and the part is skipped (it is
    part of ``run_all.py``, which must not install anything).
    """
    stamp = REF_VENV / ".reference-installed"
    req = REF_DIR / "requirements-ref.txt"
    current = REF_PY.is_file() and stamp.is_file() and stamp.read_bytes() == req.read_bytes()
    if setup:
        print(f"setting up the reference venv {REF_VENV} (setup_env.sh)", flush=True)
        subprocess.run(["bash", str(REF_DIR / "setup_env.sh")], check=True)
        return True
    if not current:
        print(
            f"{NAME}: skipped: the reference venv {REF_VENV} is missing or outdated; create it "
            "with `bash benchmarks/reference/setup_env.sh` (or pass --setup)",
            flush=True,
        )
    return current


class Reference:
    """causaldag's driver in one long-lived subprocess (its import takes ~6 s and is never timed),
    so that its runs can be interleaved with causalmix's, seed by seed."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [str(REF_PY), "-c", SERVER, str(REF_DIR)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip

    def run(self, job: dict, path: Path) -> dict:
        """Run one job (written to ``path``) and return the driver's JSON output."""
        path.write_text(json.dumps(job))
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{path}\n")
        self.proc.stdin.flush()
        for line in self.proc.stdout:
            if line.strip() == "JOB-DONE":
                return json.loads(Path(job["out"]).read_text())
        raise RuntimeError(f"the reference driver stopped (exit code {self.proc.wait()})")

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        if self.proc.wait() != 0:
            raise RuntimeError(f"the reference driver failed (exit code {self.proc.returncode})")


def _ref_job(npz: Path, out: Path, seed: int, dump: bool) -> dict:
    return {
        "data": str(npz), "out": str(out), "alpha_ci": ALPHA, "alpha_inv": ALPHA,
        "depth": DEPTH, "nruns": N_RUNS, "seed": seed, "threads": 1, "dump": dump,
        "pass_base_as_setting": False,
    }  # fmt: skip


def _ref_score(ref: dict) -> list[int]:
    """(arcs, total implied targets) of a reference result."""
    return [len(ref["arcs"]), sum(len(t) for t in ref["targets"])]


# --------------------------------------------------------------------------------------------
# (a) decision agreement
# --------------------------------------------------------------------------------------------
def _disagreement(kind: str, key: dict, p_ref: float, p_ours: float, thr: float) -> dict:
    dist = min(abs(p_ref - thr), abs(p_ours - thr))
    return {
        "kind": kind, **key, "p_ref": p_ref, "p_ours": p_ours, "threshold": thr,
        "dist_to_threshold": dist, "explained": bool(dist <= EXPLAIN_TOL),
    }  # fmt: skip


def _absdiff(a: float, b: float) -> float:
    if math.isnan(a) and math.isnan(b):
        return 0.0
    if a == b:  # also equal infinities
        return 0.0
    return abs(a - b)


def compare_decisions(datasets: list[np.ndarray], ref: dict) -> dict:
    """Our testers on the reference's keys (same data, same alpha); see the module docstring."""
    stats = SufficientStatistics.from_datasets(datasets)
    ci = GaussianCITester(stats, 0, ALPHA)
    inv = GaussianInvarianceTester(stats, 0, ALPHA)
    p = stats.n_nodes
    out: dict[str, Any] = {"disagreements": []}
    dis = out["disagreements"]

    # CI: two-sided Fisher z, independent iff not p < alpha
    n_same, max_dp = 0, 0.0
    for t in ref["ci_tests"]:
        i, j, S = t["i"], t["j"], t["cond_set"]
        _, p_ours = ci.test(i, j, S)
        ours = ci.is_independent(i, j, S)
        p_ref = t["p_value"]
        max_dp = max(max_dp, _absdiff(p_ref, p_ours))
        if ours == t["independent"]:
            n_same += 1
        else:
            dis.append(_disagreement("ci", {"i": i, "j": j, "S": S}, p_ref, p_ours, ALPHA))
    out["ci"] = {"keys": len(ref["ci_tests"]), "agree": n_same, "max_abs_dp": max_dp}

    # invariance: variant iff p_F < alpha/2 or p_rc < alpha/2; the driver's "setting" is the npz
    # index, which is our component index (base 0); its "context" skips the base.
    half = ALPHA / 2.0
    results: dict[tuple[int, tuple[int, ...]], Any] = {}
    n_same, max_dp = 0, 0.0
    for t in ref["invariance_tests"]:
        i, k, S = t["node"], t["setting"], tuple(t["cond_set"])
        if (i, S) not in results:
            results[(i, S)] = inv.test(i, S)
        res = results[(i, S)]
        ours_invariant = inv.is_invariant(i, k, S)
        if bool(res.variant[k]) == ours_invariant:
            raise RuntimeError("GaussianInvarianceTester.test and is_invariant disagree")
        pf_o, prc_o = float(res.variance_pvalue[k]), float(res.coef_pvalue[k])
        pf_r, prc_r = t["f_pvalue"], t["rc_pvalue"]
        max_dp = max(max_dp, _absdiff(pf_r, pf_o), _absdiff(prc_r, prc_o))
        if ours_invariant == t["invariant"]:
            n_same += 1
            continue
        key = {"setting": k, "node": i, "S": list(S)}
        for which, pr, po in (("inv_F", pf_r, pf_o), ("inv_rc", prc_r, prc_o)):
            if (pr < half) != (po < half):  # the p-value(s) on different sides of alpha/2
                dis.append(_disagreement(which, key, pr, po, half))
    out["invariance"] = {
        "keys": len(ref["invariance_tests"]), "agree": n_same, "max_abs_dp": max_dp,
    }  # fmt: skip

    # outside the reference's caches: threshold graph and minimal I-MAPs (ONE-sided p <= alpha);
    # the one-sided p-value of a disagreement is half our two-sided one for the same (i, j, S)
    U = threshold_graph_gaussian(ci.precision, ci.n, ALPHA)
    ref_edges = {tuple(e) for e in ref["threshold_ug_edges"]}
    n_keys, n_same = 0, 0
    full = set(range(p))
    for a in range(p):
        for b in range(a + 1, p):
            n_keys += 1
            if bool(U[a, b]) == ((a, b) in ref_edges):
                n_same += 1
            else:
                p1 = ci.test(a, b, sorted(full - {a, b}))[1] / 2.0
                dis.append(_disagreement("threshold", {"i": a, "j": b}, math.nan, p1, ALPHA))
    for start in ref["starts"]:
        perm = start["permutation"]
        A = minimal_imap_gaussian(perm, ci.precision, ci.n, ALPHA)
        ref_arcs = {tuple(e) for e in start["imap_arcs"]}
        for pos_b in range(1, p):
            b = perm[pos_b]
            for pos_a in range(pos_b):
                a = perm[pos_a]
                n_keys += 1
                if bool(A[a, b]) == ((a, b) in ref_arcs):
                    n_same += 1
                else:
                    rest = [v for v in perm[:pos_b] if v != a]
                    p1 = ci.test(a, b, rest)[1] / 2.0
                    dis.append(
                        _disagreement("imap", {"i": a, "j": b, "S": rest}, math.nan, p1, ALPHA)
                    )
    out["imap"] = {"keys": n_keys, "agree": n_same, "n_starts": len(ref["starts"])}
    out["all_explained"] = all(d["explained"] for d in dis)
    out["_inv_tester"] = inv  # for rescoring the reference's DAG (dropped before writing)
    return out


# --------------------------------------------------------------------------------------------
# (b) scores
# --------------------------------------------------------------------------------------------
def _score_with(inv: GaussianInvarianceTester, adj: np.ndarray) -> list[int]:
    """(arcs, total variant (setting, node) pairs) of a DAG under causalmix's invariance tests."""
    total = 0
    for v in range(adj.shape[0]):
        pa = nodes_to_mask(np.flatnonzero(adj[:, v]).tolist())
        total += inv.variant_mask(v, pa).bit_count()
    return [int(adj.sum()), total]


def _cmp(a: list[int], b: list[int]) -> int:
    """-1 if score ``a`` is better (lexicographically smaller) than ``b``, 0 if equal, +1 if worse."""
    return (tuple(a) > tuple(b)) - (tuple(a) < tuple(b))


def evaluate(
    sim: dict, ours: Any, ref: dict, ref_extra: list[list[int]], inv: GaussianInvarianceTester,
    seed: int,
) -> dict:  # fmt: skip
    true_dag = sim["dag"]
    truth = dag_to_icpdag(true_dag, sim["targets"])
    K = len(sim["datasets"])
    ref_adj = np.array(ref["adjacency"], dtype=np.int8)
    ref_targets = [ref["targets_by_setting"][str(k)] for k in range(1, K)]
    ref_score = _ref_score(ref)
    # score distributions on the same data: causalmix over 1 + N_ALT_SEARCH search seeds (testers
    # shared, so cheap), causaldag over 1 + N_REF_ALT; every cross pair is compared
    stats, ci = inv.stats, GaussianCITester(inv.stats, 0, ALPHA)
    ours_all = [list(ours.score)] + [
        list(ut_igsp_from_statistics(
            stats, 0, random_state=10_000 * (seed + 1) + r, ci_tester=ci, inv_tester=inv
        ).score)
        for r in range(N_ALT_SEARCH)
    ]  # fmt: skip
    ref_all = [ref_score, *ref_extra]
    pairs = [_cmp(a, b) for a in ours_all for b in ref_all]
    return {
        "ours": {
            "score": list(ours.score), "run_scores": [list(s) for s in ours.run_scores],
            "icpdag_shd": icpdag_shd(ours.icpdag, truth), "dag_shd": shd(ours.adjacency, true_dag),
            "targets": [sorted(t) for t in ours.targets[1:]],
        },
        "ref": {
            "score": ref_score,
            "score_by_ours": _score_with(inv, ref_adj),
            "icpdag_shd": icpdag_shd(dag_to_icpdag(ref_adj, ref_targets), truth),
            "dag_shd": shd(ref_adj, true_dag),
            "targets": ref_targets,
        },
        "ours_vs_ref": _cmp(ours.score, ref_score),
        "distribution": {
            "ours_scores": ours_all,
            "ref_scores": ref_all,
            "frac_better": pairs.count(-1) / len(pairs),
            "frac_equal": pairs.count(0) / len(pairs),
            "frac_worse": pairs.count(1) / len(pairs),
        },
        "truth_score_by_ours": _score_with(inv, true_dag),
        "true_arcs": int(true_dag.sum()),
        "true_targets": sim["targets"],
    }  # fmt: skip


# --------------------------------------------------------------------------------------------
# driver and summaries
# --------------------------------------------------------------------------------------------
def run_case(case: Case, seeds: list[int], repeats: int, ref: Reference, workdir: Path) -> dict:
    """One case, seed by seed: causalmix timed ``repeats // 2`` times, the reference's measured
    run, causalmix timed again (so both sides meet the same machine load), then the reference's
    ``N_REF_ALT`` further search seeds (scores only, not timed)."""
    print(
        f"== {case.name}: p={case.p}, K={case.n_settings}, {case.rows} rows/setting, "
        f"{len(seeds)} seeds",
        flush=True,
    )
    data, ours, refs, ref_extra = {}, {}, {}, {}
    before = repeats // 2
    for s in seeds:
        data[s] = simulate(case, s)
        npz = workdir / f"{case.name}_s{s}.npz"
        np.savez(npz, base=0, **{f"setting_{k}": a for k, a in enumerate(data[s]["datasets"])})
        res0, t0 = run_ours(data[s]["datasets"], s, before)
        stem = workdir / f"{case.name}_s{s}"
        refs[s] = ref.run(
            _ref_job(npz, stem.with_suffix(".json"), s, True), stem.with_suffix(".job")
        )
        res, t1 = run_ours(data[s]["datasets"], s, repeats - before)
        if res0 is not None and not np.array_equal(res.adjacency, res0.adjacency):
            raise RuntimeError("causalmix is not deterministic for a fixed random_state")
        ours[s] = (res, t0 + t1)
        ref_extra[s] = [
            _ref_score(ref.run(
                _ref_job(npz, workdir / f"{case.name}_s{s}_r{r}.json", s + 1000 * r, False),
                workdir / f"{case.name}_s{s}_r{r}.job",
            ))
            for r in range(1, 1 + N_REF_ALT)
        ]  # fmt: skip
    records = []
    for s in seeds:
        res, times = ours[s]
        ref = refs[s]
        dec = compare_decisions(data[s]["datasets"], ref)
        inv = dec.pop("_inv_tester")
        rec = {
            "seed": s,
            "decisions": dec,
            **evaluate(data[s], res, ref, ref_extra[s], inv, s),
            "time_ours_s": float(np.median(times)),
            "time_ours_repeats_s": times,
            "time_ref_utigsp_s": ref["timing"]["utigsp_s"],
            "time_ref_suffstat_s": ref["timing"]["suffstat_s"],
            "ref_cache_sizes": [ref["n_ci_tests"], ref["n_invariance_tests"]],
        }
        rec["ratio"] = rec["time_ref_utigsp_s"] / rec["time_ours_s"]
        records.append(rec)
        d = dec
        print(
            f"  seed {s:2d}: CI {d['ci']['agree']}/{d['ci']['keys']}, inv "
            f"{d['invariance']['agree']}/{d['invariance']['keys']}, imap "
            f"{d['imap']['agree']}/{d['imap']['keys']}; score ours {rec['ours']['score']} ref "
            f"{rec['ref']['score']}; SHD ours {rec['ours']['icpdag_shd']} ref "
            f"{rec['ref']['icpdag_shd']}; time ours {rec['time_ours_s'] * 1e3:.1f} ms ref "
            f"{rec['time_ref_utigsp_s']:.2f} s ratio {rec['ratio']:.0f}x",
            flush=True,
        )
    return {"case": asdict(case), "seeds": records, "summary": summarise(case, records)}


def _quartiles(x: list[float]) -> list[float]:
    return [float(v) for v in np.percentile(x, [25, 50, 75])]


def summarise(case: Case, recs: list[dict]) -> dict:
    def tot(part: str, field: str) -> int:
        return sum(r["decisions"][part][field] for r in recs)

    dis = [d for r in recs for d in r["decisions"]["disagreements"]]
    cmp = [r["ours_vs_ref"] for r in recs]
    ratios = [r["ratio"] for r in recs]
    t_ours = [r["time_ours_s"] for r in recs]
    t_ref = [r["time_ref_utigsp_s"] for r in recs]
    med_ratio = float(np.median(ratios))
    n_better, n_worse = cmp.count(-1), cmp.count(1)
    dist_better = float(np.mean([r["distribution"]["frac_better"] for r in recs]))
    dist_worse = float(np.mean([r["distribution"]["frac_worse"] for r in recs]))
    # P(better) - P(worse) per data seed, mean and 95% t-interval over data seeds
    diff = np.array(
        [r["distribution"]["frac_better"] - r["distribution"]["frac_worse"] for r in recs]
    )
    half = (
        float(student_t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff)))
        if len(diff) > 1
        else math.inf
    )
    return {
        "ci": [tot("ci", "agree"), tot("ci", "keys")],
        "invariance": [tot("invariance", "agree"), tot("invariance", "keys")],
        "imap": [tot("imap", "agree"), tot("imap", "keys")],
        "max_abs_dp_ci": max(r["decisions"]["ci"]["max_abs_dp"] for r in recs),
        "max_abs_dp_inv": max(r["decisions"]["invariance"]["max_abs_dp"] for r in recs),
        "n_disagreements": len(dis),
        "n_explained": sum(d["explained"] for d in dis),
        "all_explained": all(d["explained"] for d in dis),
        "ref_score_rescored_equal": all(
            r["ref"]["score"] == r["ref"]["score_by_ours"] for r in recs
        ),
        "mean_score_ours": [float(np.mean([r["ours"]["score"][i] for r in recs])) for i in (0, 1)],
        "mean_score_ref": [float(np.mean([r["ref"]["score"][i] for r in recs])) for i in (0, 1)],
        "ours_better_tie_worse": [n_better, cmp.count(0), n_worse],
        "dist_frac_better": dist_better,
        "dist_frac_worse": dist_worse,
        "dist_diff_ci95": [
            float(diff.mean()) - half,
            float(diff.mean()),
            float(diff.mean()) + half,
        ],
        "scores_ok": float(diff.mean()) + half >= 0.0,  # not significantly worse
        "icpdag_shd_ours": [r["ours"]["icpdag_shd"] for r in recs],
        "icpdag_shd_ref": [r["ref"]["icpdag_shd"] for r in recs],
        "mean_icpdag_shd": [
            float(np.mean([r["ours"]["icpdag_shd"] for r in recs])),
            float(np.mean([r["ref"]["icpdag_shd"] for r in recs])),
        ],
        "time_ours_quartiles_s": _quartiles(t_ours),
        "time_ref_quartiles_s": _quartiles(t_ref),
        "median_time_ours_s": float(np.median(t_ours)),
        "median_time_ref_s": float(np.median(t_ref)),
        "median_ratio": med_ratio,
        "min_ratio": float(np.min(ratios)),
        "ratio_of_medians": float(np.median(t_ref) / np.median(t_ours)),
        "target_speedup": case.target_speedup,
        "speedup_ok": med_ratio >= case.target_speedup,
    }


def verdict(cases: list[dict]) -> dict:
    dec_ok = all(c["summary"]["all_explained"] for c in cases)
    n_dis = sum(c["summary"]["n_disagreements"] for c in cases)
    sc_ok = all(c["summary"]["scores_ok"] for c in cases)
    sp_ok = all(c["summary"]["speedup_ok"] for c in cases)
    ratios = ", ".join(f"{c['case']['name']} {c['summary']['median_ratio']:.0f}x" for c in cases)
    dec = f"{n_dis} disagreement(s)" + (
        f", every one within {EXPLAIN_TOL:g} of its threshold" if n_dis else ""
    )
    return {
        "decisions": ("OK" if dec_ok else "FAIL") + f": {dec}",
        "scores": ("OK" if sc_ok else "FAIL")
        + ": per case, causalmix is not significantly worse — the 95% interval of "
        "P(better) - P(worse) over data seeds (all search-seed pairs on the same data) reaches 0",
        "speed": ("OK" if sp_ok else "FAIL") + f": median per-seed speed-ups {ratios}",
        "ok": dec_ok and sc_ok and sp_ok,
    }


# --------------------------------------------------------------------------------------------
# the page (from the saved JSON) and the plot
# --------------------------------------------------------------------------------------------
def _q(x: list[float], scale: float = 1.0, fmt: str = ".1f") -> str:
    lo, med, hi = (v * scale for v in x)
    return f"{med:{fmt}} [{lo:{fmt}}, {hi:{fmt}}]"


def _yes(ok: bool) -> str:
    return "yes" if ok else "NO"


def render(saved: dict) -> str:
    """The Markdown of a saved run (``utigsp_vs_causaldag.json``)."""
    h, cfg, cases = saved["header"], saved["config"], saved["records"]
    iv = cfg["intervention"]
    load = (
        " ".join(f"{v:.2f}" for v in h["load_avg_before"]),
        " ".join(f"{v:.2f}" for v in h["load_avg"]),
    )
    lines = [
        "# UT-IGSP: causalmix vs causaldag 0.1a163 (same samples, same machine, same run)",
        "",
        C.header_markdown(h),
        f"{cfg['wall_s'] / 60:.1f} min; load average {load[0]} before, {load[1]} after — the "
        f"machine was shared. One BLAS/OpenMP thread on both sides. Reference: "
        f"{h['reference_versions']}.",
        "",
        "**Data.** Random linear-Gaussian SEMs (`causalmix.simulate.random_sem`: weights "
        "±U[0.5, 1], unit noise; p = 6 complete, otherwise 3 expected neighbours); setting 0 "
        f"observational (the base), settings 1..K-1 single-node **{iv['kind']}** interventions "
        f"X_t ~ N({iv['mean']}, {iv['var']}) on distinct random nodes, the same rows for both "
        f"sides. alpha_ci = alpha_inv = {cfg['alpha']:g}, depth {cfg['depth']}, {cfg['n_runs']} "
        "runs. Data seeds 0..n-1; each side seeds its search with the data seed (causalmix: "
        "`random_state`, causaldag: `random.seed`), so their random starts differ.",
        "",
        "## (a) Test decisions on the reference's keys",
        "",
        "Every memoised key of the reference (CI `(i, j, S)`; invariance `(setting, node, S)`) "
        "re-tested with causalmix's `GaussianCITester` / `GaussianInvarianceTester` on the same "
        "rows, plus the decisions the reference takes outside its caches (threshold graph and the "
        "minimal I-MAP of every start it drew: one per ordered pair, one-sided Fisher z).",
        "",
    ]

    flat = [{**c["case"], **c["summary"], "n_seeds": len(c["seeds"])} for c in cases]
    lines.append(
        C.table(flat, [
            ("case", "name"), ("p", "p"), ("K", "n_settings"), ("rows/setting", "{rows:,}"),
            ("seeds", "n_seeds"), ("CI agree", "{ci[0]:,} / {ci[1]:,}"),
            ("invariance agree", "{invariance[0]:,} / {invariance[1]:,}"),
            ("threshold + I-MAP agree", "{imap[0]:,} / {imap[1]:,}"),
            ("disagreements (explained)", "{n_disagreements} ({n_explained})"),
            ("max abs Δp CI / inv", "{max_abs_dp_ci:.1e} / {max_abs_dp_inv:.1e}"),
        ])
    )  # fmt: skip
    dis = [
        {"case": c["case"]["name"], "seed": r["seed"], **d}
        for c in cases
        for r in c["seeds"]
        for d in r["decisions"]["disagreements"]
    ]
    if dis:
        keys = ("i", "j", "setting", "node", "S")
        lines += ["", C.table(dis, [
            ("case", "case"), ("seed", "seed"), ("test", "kind"),
            ("key", lambda d: f"`{ {k: d[k] for k in keys if k in d} }`"),
            ("p reference", "p_ref", ".12g"), ("p causalmix", "p_ours", ".12g"),
            ("threshold", "threshold", "g"), ("distance", "dist_to_threshold", ".2e"),
            ("explained", lambda d: _yes(d["explained"])),
        ])]  # fmt: skip
    lines += [
        "",
        "## (b) Final scores and accuracy",
        "",
        "Score = (arcs, total implied targets), lexicographic, lower is better; the reference's "
        "is computed from its output (arcs of its DAG, sum of its target-set sizes) and equals "
        "causalmix's rescoring of the same DAG (*rescored equal*). Both sides are the same "
        "algorithm started from random permutations, so a single run per data seed is a noisy "
        "draw: *paired* compares the two measured runs (search seed = data seed) seed by seed; "
        f"*distribution* compares, on the same data, 1 + {cfg['n_alt_search']} causalmix runs "
        f"with 1 + {cfg['n_ref_alt']} reference runs (other search seeds), every cross pair, "
        "averaged over data seeds: the share where causalmix's score is better / worse, and "
        "their difference with a 95% t-interval over data seeds (equal search quality gives 0). "
        "Mean scores and I-CPDAG SHD to the truth (`causalmix.metrics.icpdag_shd`) are those of "
        "the measured runs.",
        "",
        C.table(flat, [
            ("case", "name"),
            ("mean score causalmix", "({mean_score_ours[0]:.2f}, {mean_score_ours[1]:.2f})"),
            ("mean score reference", "({mean_score_ref[0]:.2f}, {mean_score_ref[1]:.2f})"),
            ("paired better / tie / worse",
             "{ours_better_tie_worse[0]} / {ours_better_tie_worse[1]} / {ours_better_tie_worse[2]}"),
            ("distribution better / worse", "{dist_frac_better:.2f} / {dist_frac_worse:.2f}"),
            ("better - worse [95% CI]",
             "{dist_diff_ci95[1]:+.2f} [{dist_diff_ci95[0]:+.2f}, {dist_diff_ci95[2]:+.2f}]"),
            ("rescored equal", lambda r: _yes(r["ref_score_rescored_equal"])),
            ("mean I-CPDAG SHD causalmix", "{mean_icpdag_shd[0]:.2f}"),
            ("mean I-CPDAG SHD reference", "{mean_icpdag_shd[1]:.2f}"),
        ]),
        "",
        "## (c) Wall time",
        "",
        "causalmix: `ut_igsp(datasets, ...)` from the raw arrays (sufficient statistics, testers, "
        f"search and I-CPDAG included), median of {cfg['repeats']} calls per seed (half just "
        "before, half just after the reference's run on the same seed), in-process "
        "`perf_counter`. Reference: the `unknown_target_igsp` call only (driver's `utigsp_s`: no "
        "start-up, data loading or sufficient statistics). Ratio = reference / causalmix per "
        "seed. Times: median [quartiles] over seeds.",
        "",
        C.table(flat, [
            ("case", "name"),
            ("causalmix (ms)", lambda r: _q(r["time_ours_quartiles_s"], 1e3)),
            ("reference (s)", lambda r: _q(r["time_ref_quartiles_s"], 1.0, ".2f")),
            ("median ratio", "**{median_ratio:.0f}x**"), ("min ratio", "{min_ratio:.0f}x"),
            ("ratio of medians", "{ratio_of_medians:.0f}x"), ("target", "{target_speedup:.0f}x"),
            ("met", lambda r: _yes(r["speedup_ok"])),
        ]),
    ]  # fmt: skip
    v = saved["summary"]
    lines += [
        "",
        "## Verdict",
        "",
        f"- decisions: {v['decisions']}",
        f"- scores: {v['scores']}",
        f"- speed: {v['speed']}",
        "",
        "## Per seed",
        "",
        C.table([{"case": c["case"]["name"], **r} for c in cases for r in c["seeds"]], [
            ("case", "case"), ("seed", "seed"),
            ("score causalmix", "({ours[score][0]}, {ours[score][1]})"),
            ("score reference", "({ref[score][0]}, {ref[score][1]})"),
            ("I-CPDAG SHD c / r", "{ours[icpdag_shd]} / {ref[icpdag_shd]}"),
            ("causalmix (ms)", lambda r: f"{r['time_ours_s'] * 1e3:.1f}"),
            ("reference (s)", "time_ref_utigsp_s", ".2f"), ("ratio", "{ratio:.0f}x"),
        ]),
        "",
    ]  # fmt: skip
    return "\n".join(lines)


def plot(cases: list[dict]) -> Path:
    plt = C.pyplot()
    names = [c["case"]["name"] for c in cases]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for x, c in enumerate(cases):
        ours = [r["time_ours_s"] for r in c["seeds"]]
        ref = [r["time_ref_utigsp_s"] for r in c["seeds"]]
        axes[0].scatter([x - 0.1] * len(ours), ours, s=12, color="C0", label="causalmix" * (x == 0))
        axes[0].scatter([x + 0.1] * len(ref), ref, s=12, color="C3", label="causaldag" * (x == 0))
        axes[0].annotate(f"{c['summary']['median_ratio']:.0f}x", (x, max(ref) * 1.8), ha="center")
        shd_o = c["summary"]["icpdag_shd_ours"]
        shd_r = c["summary"]["icpdag_shd_ref"]
        axes[1].scatter(
            [x - 0.1] * len(shd_o), shd_o, s=12, color="C0", label="causalmix" * (x == 0)
        )
        axes[1].scatter(
            [x + 0.1] * len(shd_r), shd_r, s=12, color="C3", label="causaldag" * (x == 0)
        )
    axes[0].set_yscale("log")
    axes[0].set_ylabel("UT-IGSP wall time per seed (s)")
    axes[0].set_title("time (median per-seed speed-up)")
    axes[1].set_ylabel("I-CPDAG SHD to the truth")
    axes[1].set_title("accuracy per seed")
    for ax in axes:
        ax.set_xticks(range(len(cases)), names)
        ax.legend()
    fig.tight_layout()
    path = C.OUT_DIR / f"{NAME}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = C.common_args(__doc__.splitlines()[0])
    ap.add_argument("--cases", nargs="*", help="subset of case names")
    ap.add_argument(
        "--repeats", type=int, default=8, help="timed causalmix calls per seed, half before and "
        "half after the reference (8)"
    )  # fmt: skip
    ap.add_argument("--setup", action="store_true", help="create / update the reference venv first")
    ap.add_argument("--no-plot", action="store_true")
    args = C.parse(ap, argv)
    cases = QUICK if args.quick else FULL
    if args.cases:
        cases = tuple(c for c in cases if c.name in args.cases)
    if not ensure_reference(args.setup):
        return 0
    C.mark_start()
    started, load_before = time.perf_counter(), os.getloadavg()
    results = []
    with tempfile.TemporaryDirectory(prefix="utigsp_vs_cd_") as tmp:
        ref = Reference()
        # warm-up of both sides (imports, lazily initialised libraries), not recorded
        warm = simulate(Case("warm-up", 4, 2, 200, 0.5, None, 1, 1.0), 0)
        run_ours(warm["datasets"], 0, 1)
        npz = Path(tmp) / "warm.npz"
        np.savez(npz, base=0, **{f"setting_{k}": a for k, a in enumerate(warm["datasets"])})
        ref_versions = ref.run(
            _ref_job(npz, Path(tmp) / "warm.json", 0, True), Path(tmp) / "warm.job"
        )["versions"]
        for c in cases:
            seeds = list(range(args.seeds or c.seeds))
            results.append(run_case(c, seeds, args.repeats, ref, Path(tmp)))
        ref.close()
    header = C.run_header()
    header.update(
        load_avg_before=load_before,
        reference_versions=", ".join(f"{k} {v}" for k, v in ref_versions.items() if k != "python"),
    )
    cfg = {
        "grid": "quick" if args.quick else "reduced" if args.seeds or args.cases else "full",
        "repeats": args.repeats, "alpha": ALPHA, "depth": DEPTH, "n_runs": N_RUNS,
        "intervention": INTERVENTION, "explain_tol": EXPLAIN_TOL, "n_alt_search": N_ALT_SEARCH,
        "n_ref_alt": N_REF_ALT, "wall_s": time.perf_counter() - started,
    }  # fmt: skip
    summary = verdict(results)
    paths = C.write_outputs(NAME, header, cfg, results, summary, render, csv=False)
    if not args.no_plot:
        paths.append(plot(results))
    C.finish(paths, header)
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
