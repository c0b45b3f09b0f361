#!/usr/bin/env python
"""Driver for the published reference procedure (causaldag 0.1a163 UT-IGSP, Mixture-UTIGSP).

Runs INSIDE the reference venv (.venv-ref, see setup_env.sh); it never imports causalmix.
causalmix calls it through a subprocess and reads the JSON it writes.

    .venv-ref/bin/python benchmarks/reference/run_reference.py utigsp   --data D.npz --out R.json [...]
    .venv-ref/bin/python benchmarks/reference/run_reference.py pipeline --data X.npz --out R.json [...]

Parameters can also come from a JSON job file (--job J.json, keys = long option names with
underscores, e.g. {"alpha_ci": 1e-3, "data": "d.npz", "out": "r.json"}); explicit command-line
options win over the job file, which wins over the defaults. See README.md for the formats.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import random
import sys
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np

DEFAULTS = {
    # shared (UT-IGSP)
    "data": None,
    "out": None,
    "alpha_ci": 1e-3,
    "alpha_inv": 1e-3,
    "depth": 4,
    "nruns": 5,
    "seed": 0,
    "pass_base_as_setting": False,
    "dump": True,
    "threads": 1,
    # utigsp mode
    "base": None,
    # pipeline mode
    "k_max": None,
    "cutoff": 0.07,
    "tol": 1e-3,
    "reg_covar": 1e-6,
    "gmm_random_state": 0,
    "n_stage2": None,
    "rows_per_component": None,
    "truncate_base": True,
}

PACKAGES = [
    "causaldag",
    "conditional-independence",
    "graphical-models",
    "graphical-model-learning",
    "numpy",
    "scipy",
    "scikit-learn",
]


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def _num(x):
    """JSON-friendly float (NaN / inf are written as NaN / Infinity, which Python's json reads)."""
    if x is None:
        return None
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    return float(x)


def _versions():
    out = {"python": sys.version.split()[0]}
    for name in PACKAGES:
        out[name] = version(name)
    return out


def _set_seeds(seed):
    # causaldag's UT-IGSP draws from Python's `random` (min-degree ties, shuffles); the
    # reference pipeline resamples with numpy's legacy global generator.
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002


def _adjacency(dag, p):
    """A[i, j] = 1 iff i -> j (causaldag's arcs are (tail, head) tuples)."""
    a = np.zeros((p, p), dtype=int)
    for i, j in dag.arcs:
        a[i, j] = 1
    return a


class _StartRecorder:
    """Records the starting permutations UT-IGSP draws (wraps min_degree_alg_amat)."""

    def __init__(self, gsp_module):
        self.gsp = gsp_module
        self.original = gsp_module.min_degree_alg_amat
        self.perms = []

    def __enter__(self):
        def wrapped(*args, **kwargs):
            perm = self.original(*args, **kwargs)
            self.perms.append([int(v) for v in perm])
            return perm

        self.gsp.min_degree_alg_amat = wrapped
        return self

    def __exit__(self, *exc):
        self.gsp.min_degree_alg_amat = self.original
        return False


def run_causaldag_utigsp(base, settings, params, p):
    """Run causaldag's UT-IGSP exactly as the reference does.

    base: (n, p) samples of the base (observational) component -> CI tests + invariance base.
    settings: list of (n_k, p) arrays, one per UT-IGSP context (in order).
    Returns (result dict, dumps dict); times only the unknown_target_igsp call as `utigsp_s`.
    """
    from causaldag import (
        MemoizedCI_Tester,
        MemoizedInvarianceTester,
        gauss_invariance_suffstat,
        gauss_invariance_test,
        partial_correlation_suffstat,
        partial_correlation_test,
        unknown_target_igsp,
    )

    # (import_module: the package re-exports a *function* named gsp that shadows the module)
    gsp_module = importlib.import_module("graphical_model_learning.algorithms.dag.gsp")
    ug_module = importlib.import_module("graphical_model_learning.algorithms.undirected")

    detailed = bool(params["dump"])
    t0 = time.perf_counter()
    obs_suffstat = partial_correlation_suffstat(base)
    invariance_suffstat = gauss_invariance_suffstat(base, settings)
    ci_tester = MemoizedCI_Tester(
        partial_correlation_test, obs_suffstat, detailed=detailed, alpha=params["alpha_ci"]
    )
    invariance_tester = MemoizedInvarianceTester(
        gauss_invariance_test, invariance_suffstat, detailed=detailed, alpha=params["alpha_inv"]
    )
    setting_list = [dict(known_interventions=[]) for _ in settings]
    nodes = set(range(p))
    t1 = time.perf_counter()
    with _StartRecorder(gsp_module) as rec:
        t2 = time.perf_counter()
        dag, targets = unknown_target_igsp(
            setting_list,
            nodes,
            ci_tester,
            invariance_tester,
            depth=params["depth"],
            nruns=params["nruns"],
        )
        t3 = time.perf_counter()

    result = {
        "adjacency": _adjacency(dag, p).tolist(),
        "arcs": sorted([int(i), int(j)] for i, j in dag.arcs),
        "targets": [sorted(int(v) for v in t) for t in targets],
        "timing": {"suffstat_s": t1 - t0, "utigsp_s": t3 - t2},
        "n_ci_tests": len(ci_tester.ci_dict),
        "n_invariance_tests": len(invariance_tester.invariance_dict),
    }
    dumps = {}
    if detailed:
        dumps = _dump_decisions(
            ci_tester, invariance_tester, rec.perms, gsp_module, ug_module, nodes
        )
    return result, dumps


def _dump_decisions(ci_tester, invariance_tester, perms, gsp_module, ug_module, nodes):
    """Serialise the memoised test caches (not timed).

    Only the tests that go through the memo caches appear here (covered-arc reversals and all
    invariance tests). With the Gaussian CI test causaldag bypasses the cache for the threshold
    undirected graph and for each minimal I-MAP (precision fast path, one-sided p <= alpha), so
    those are reported separately: the threshold graph and the start permutations with their
    minimal I-MAPs (recomputed here, deterministic).
    """
    ci = []
    for (pair, cond), indep in ci_tester.ci_dict.items():
        i, j = sorted(int(v) for v in pair)
        det = ci_tester.ci_dict_detailed.get((pair, cond), {})
        ci.append(
            {
                "i": i,
                "j": j,
                "cond_set": sorted(int(v) for v in cond),
                "independent": bool(indep),
                "statistic": _num(det.get("statistic")),
                "p_value": _num(det.get("p_value")),
            }
        )
    ci.sort(key=lambda d: (len(d["cond_set"]), d["i"], d["j"], d["cond_set"]))

    inv = []
    for key, invariant in invariance_tester.invariance_dict.items():
        node, context, cond = key
        det = invariance_tester.invariance_dict_detailed.get(key, {})
        inv.append(
            {
                "context": int(context),
                "node": int(node),
                "cond_set": sorted(int(v) for v in cond),
                "invariant": bool(invariant),
                "f_stat": _num(det.get("ftest_stat")),
                "f_pvalue": _num(det.get("f_pvalue")),
                "rc_stat": _num(det.get("rc_stat")),
                "rc_pvalue": _num(det.get("rc_pvalue")),
            }
        )
    inv.sort(key=lambda d: (d["context"], d["node"], len(d["cond_set"]), d["cond_set"]))

    ug = ug_module.threshold_ug(nodes, ci_tester)
    ug_edges = sorted(sorted(int(v) for v in e) for e in ug.edges)
    starts = []
    for perm in perms:
        imap = gsp_module.permutation2dag(perm, ci_tester)
        starts.append(
            {"permutation": perm, "imap_arcs": sorted([int(i), int(j)] for i, j in imap.arcs)}
        )
    return {
        "ci_tests": ci,
        "invariance_tests": inv,
        "threshold_ug_edges": ug_edges,
        "starts": starts,
    }


# --------------------------------------------------------------------------------------------
# mode: utigsp (labelled data)
# --------------------------------------------------------------------------------------------
def mode_utigsp(params):
    data = np.load(params["data"])
    names = sorted(
        (k for k in data.files if k.startswith("setting_")), key=lambda k: int(k.split("_")[1])
    )
    indices = [int(k.split("_")[1]) for k in names]
    if indices != list(range(len(names))):
        raise SystemExit(f"npz must hold setting_0..setting_K without gaps, found {names}")
    arrays = [np.asarray(data[k], dtype=float) for k in names]
    p = arrays[0].shape[1]
    base = params["base"]
    if base is None:
        base = int(data["base"]) if "base" in data.files else 0
    base = int(base)
    if not 0 <= base < len(arrays):
        raise SystemExit(f"base index {base} out of range 0..{len(arrays) - 1}")

    contexts = [k for k in range(len(arrays)) if k != base]
    if params["pass_base_as_setting"]:
        contexts = [base, *contexts]  # the reference's quirk: base again as setting 0
    _set_seeds(params["seed"])
    res, dumps = run_causaldag_utigsp(arrays[base], [arrays[k] for k in contexts], params, p)

    targets_by_setting = {str(k): t for k, t in zip(contexts, res["targets"], strict=True)}
    for d in dumps.get("invariance_tests", []):
        d["setting"] = contexts[d["context"]]
    return {
        "mode": "utigsp",
        "p": p,
        "n_settings": len(arrays),
        "base": base,
        "sample_sizes": [int(a.shape[0]) for a in arrays],
        "contexts": contexts,
        "adjacency": res["adjacency"],
        "arcs": res["arcs"],
        "targets": res["targets"],
        "targets_by_setting": targets_by_setting,
        "timing": res["timing"],
        "n_ci_tests": res["n_ci_tests"],
        "n_invariance_tests": res["n_invariance_tests"],
        **dumps,
    }


# --------------------------------------------------------------------------------------------
# mode: pipeline (unlabeled mixture -> GMM sweep -> drop ratio -> resample -> UT-IGSP)
# --------------------------------------------------------------------------------------------
def drop_ratio_k(ll, cutoff):
    """Backward drop-ratio rule: largest k with |l_k - l_{k-1}| / |l_k| > cutoff, else 1."""
    for idx in range(len(ll) - 1, 0, -1):  # idx = k - 1, k = K_max .. 2
        if abs(ll[idx] - ll[idx - 1]) / abs(ll[idx]) > cutoff:
            return idx + 1
    return 1


def _match(means, covs, true_means, true_covs):
    """Min-cost assignment fitted <-> true with the reference's cost ||mu-mu'||_1 + ||S-S'||_1.

    The reference enumerates all (partial) permutations; the optimal assignment is the same
    (up to exact ties), so scipy's linear_sum_assignment is used.
    """
    from scipy.optimize import linear_sum_assignment

    cost = np.array(
        [
            [
                np.abs(m - tm).sum() + np.abs(c - tc).sum()
                for tm, tc in zip(true_means, true_covs, strict=True)
            ]
            for m, c in zip(means, covs, strict=True)
        ]
    )
    rows, cols = linear_sum_assignment(cost)
    return [(int(r), int(c)) for r, c in zip(rows, cols, strict=True)], float(
        cost[rows, cols].sum()
    )


def mode_pipeline(params):
    from sklearn.mixture import GaussianMixture

    data = np.load(params["data"])
    X = np.asarray(data["X"], dtype=float)
    obs = np.asarray(data["obs"], dtype=float)
    N, p = X.shape
    if "p" in data.files and int(data["p"]) != p:
        raise SystemExit(f"p={int(data['p'])} in the npz but X has {p} columns")
    k_max = int(params["k_max"]) if params["k_max"] is not None else p + 1
    have_truth = "true_means" in data.files and "true_covs" in data.files
    _set_seeds(params["seed"])

    # --- stage 1: GMM sweep k = 1..K_max (timed) ---
    t0 = time.perf_counter()
    models = []
    for k in range(1, k_max + 1):
        gm = GaussianMixture(
            n_components=k,
            tol=params["tol"],
            reg_covar=params["reg_covar"],
            n_init=1,
            init_params="kmeans",
            random_state=params["gmm_random_state"],
        ).fit(X)
        models.append(gm)
    t1 = time.perf_counter()
    ll = [float(gm.lower_bound_) for gm in models]  # mean log-likelihood per sample
    k_hat = drop_ratio_k(ll, params["cutoff"])
    gm = models[k_hat - 1]
    t2 = time.perf_counter()

    # --- evaluation-only: which fitted component is observational (NOT timed) ---
    tm0 = time.perf_counter()
    matching = None
    if have_truth:
        true_means = np.asarray(data["true_means"], dtype=float)
        true_covs = np.asarray(data["true_covs"], dtype=float)
        true_obs = int(data["true_obs_index"]) if "true_obs_index" in data.files else 0
        pairs, cost = _match(gm.means_, gm.covariances_, true_means, true_covs)
        fit2true = dict(pairs)
        obs_comp = next((f for f, t in pairs if t == true_obs), None)
        # setting order as in the reference: matched fitted components in true-component order,
        # then the unmatched ("left over") fitted components
        order = [f for f, t in sorted(pairs, key=lambda ft: ft[1]) if t != true_obs]
        order += [f for f in range(k_hat) if f not in fit2true]
        n_groups = max(len(true_means), k_hat)
        matching = {"pairs": [list(pr) for pr in pairs], "cost": cost, "true_obs_index": true_obs}
        rule = "full assignment to true parameters"
    else:
        mu0 = np.asarray(data["obs_mean"], dtype=float) if "obs_mean" in data.files else obs.mean(0)
        s0 = (
            np.asarray(data["obs_cov"], dtype=float)
            if "obs_cov" in data.files
            else np.cov(obs, rowvar=False)
        )
        dist = [
            np.abs(m - mu0).sum() + np.abs(c - s0).sum()
            for m, c in zip(gm.means_, gm.covariances_, strict=True)
        ]
        obs_comp = int(np.argmin(dist))
        fit2true = {}
        order = [f for f in range(k_hat) if f != obs_comp]
        n_groups = k_hat
        rule = "nearest to the true observational parameters"
    tm1 = time.perf_counter()

    # --- stage 2: resample floor(N / groups) rows from each kept fitted Gaussian (timed) ---
    n_stage2 = int(params["n_stage2"]) if params["n_stage2"] is not None else N
    n_per = (
        int(params["rows_per_component"])
        if params["rows_per_component"] is not None
        else n_stage2 // n_groups
    )
    t3 = time.perf_counter()
    base = obs[:n_per] if params["truncate_base"] else obs
    resampled = [
        np.random.multivariate_normal(gm.means_[f], gm.covariances_[f], size=n_per)  # noqa: NPY002
        for f in order
    ]
    t4 = time.perf_counter()

    settings = list(resampled)
    context_info = [{"fitted_component": int(f), "true_component": fit2true.get(f)} for f in order]
    if params["pass_base_as_setting"]:
        settings = [base.copy(), *settings]
        context_info = [{"fitted_component": None, "true_component": "base"}, *context_info]

    # --- stage 3: UT-IGSP (timed: suffstats + the call) ---
    res, dumps = run_causaldag_utigsp(base, settings, params, p)
    timing = {
        "gmm_sweep_s": t1 - t0,
        "select_s": t2 - t1,
        "resample_s": t4 - t3,
        "suffstat_s": res["timing"]["suffstat_s"],
        "utigsp_s": res["timing"]["utigsp_s"],
    }
    timing["total_s"] = sum(timing.values())
    timing["matching_s_not_in_total"] = tm1 - tm0

    return {
        "mode": "pipeline",
        "N": N,
        "p": p,
        "k_max": k_max,
        "ll_curve": ll,
        "k_hat": k_hat,
        "gmm": {
            "weights": gm.weights_.tolist(),
            "means": gm.means_.tolist(),
            "covariances": gm.covariances_.tolist(),
            "converged": [bool(m.converged_) for m in models],
            "n_iter": [int(m.n_iter_) for m in models],
        },
        "obs_component": None if obs_comp is None else int(obs_comp),
        "obs_rule": rule,
        "matching": matching,
        "rows_per_component": n_per,
        "base_rows": int(base.shape[0]),
        "contexts": context_info,
        "adjacency": res["adjacency"],
        "arcs": res["arcs"],
        "targets": res["targets"],
        "timing": timing,
        "n_ci_tests": res["n_ci_tests"],
        "n_invariance_tests": res["n_invariance_tests"],
        **dumps,
    }


# --------------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------------
def _depth(value):
    if value is None or str(value).lower() in {"none", "inf", "-1"}:
        return None
    return int(value)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("mode", choices=["utigsp", "pipeline"])
    S = argparse.SUPPRESS  # unset options fall back to job file, then DEFAULTS
    ap.add_argument("--job", help="JSON file with parameters (keys as below, underscores)")
    ap.add_argument("--data", default=S, help="input .npz")
    ap.add_argument("--out", default=S, help="output .json ('-' for stdout)")
    ap.add_argument("--alpha-ci", type=float, default=S, help="CI test level (1e-3)")
    ap.add_argument("--alpha-inv", type=float, default=S, help="invariance test level (1e-3)")
    ap.add_argument("--depth", type=_depth, default=S, help="DFS depth, 'none' = unbounded (4)")
    ap.add_argument("--nruns", type=int, default=S, help="UT-IGSP runs (5)")
    ap.add_argument("--seed", type=int, default=S, help="seed for random + np.random (0)")
    ap.add_argument(
        "--pass-base-as-setting",
        action="store_true",
        default=S,
        help="reference quirk: pass the base samples again as setting 0",
    )
    ap.add_argument(
        "--no-dump",
        dest="dump",
        action="store_false",
        default=S,
        help="do not dump the memoised CI / invariance decisions",
    )
    ap.add_argument("--threads", type=int, default=S, help="BLAS threads (1)")
    ap.add_argument(
        "--base", type=int, default=S, help="[utigsp] base setting index (npz 'base' or 0)"
    )
    ap.add_argument("--k-max", type=int, default=S, help="[pipeline] largest k (p+1)")
    ap.add_argument("--cutoff", type=float, default=S, help="[pipeline] drop-ratio cutoff (0.07)")
    ap.add_argument("--tol", type=float, default=S, help="[pipeline] GMM tol (1e-3)")
    ap.add_argument("--reg-covar", type=float, default=S, help="[pipeline] GMM reg_covar (1e-6)")
    ap.add_argument(
        "--gmm-random-state", type=int, default=S, help="[pipeline] GMM random_state (0)"
    )
    ap.add_argument("--n-stage2", type=int, default=S, help="[pipeline] rows to split (N)")
    ap.add_argument(
        "--rows-per-component",
        type=int,
        default=S,
        help="[pipeline] override floor(n_stage2 / groups)",
    )
    ap.add_argument(
        "--no-truncate-base",
        dest="truncate_base",
        action="store_false",
        default=S,
        help="[pipeline] use all true obs rows as base (reference: first rows_per_component)",
    )
    ns = vars(ap.parse_args(argv))
    mode = ns.pop("mode")
    job = ns.pop("job", None)
    params = dict(DEFAULTS)
    if job:
        loaded = json.loads(Path(job).read_text())
        unknown = set(loaded) - set(DEFAULTS) - {"mode"}
        if unknown:
            ap.error(f"unknown keys in job file: {sorted(unknown)}")
        if loaded.get("mode", mode) != mode:
            ap.error(f"job file is for mode {loaded['mode']!r}")
        loaded.pop("mode", None)
        params.update(loaded)
    params.update(ns)
    params["depth"] = _depth(params["depth"])
    if not params["data"] or not params["out"]:
        ap.error("--data and --out are required (on the command line or in the job file)")
    return mode, params


def _preload(threads):
    """Import the heavy libraries (and their BLAS / OpenMP runtimes) before limiting threads."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(threads))
    import causaldag  # noqa: F401  (pulls graphical_models -> pgmpy -> torch; slow, not timed)
    import scipy.optimize  # noqa: F401
    import sklearn.mixture  # noqa: F401


def main(argv=None):
    mode, params = parse_args(argv)
    _preload(int(params["threads"]))
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=int(params["threads"])):
        started = time.perf_counter()
        out = mode_utigsp(params) if mode == "utigsp" else mode_pipeline(params)
        out["wall_s"] = time.perf_counter() - started
    out["params"] = {k: v for k, v in params.items() if k not in {"data", "out"}}
    out["data"] = str(params["data"])
    out["versions"] = _versions()
    text = json.dumps(out, indent=1)
    if params["out"] == "-":
        print(text)
    else:
        Path(params["out"]).write_text(text)
        t = out["timing"]
        print(f"{mode}: wrote {params['out']}  " + "  ".join(f"{k}={v:.3f}" for k, v in t.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
