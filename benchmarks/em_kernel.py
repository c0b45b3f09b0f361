"""The EM kernel alone: causalmix's full-covariance EM against scikit-learn's GaussianMixture.

Same data, same starting parameters, the same fixed number of iterations, the same ``reg_covar``:

- **data**: a K-component Gaussian mixture in p dimensions (means ~ N(0, 4 I), covariances
  ``A Aᵀ / p + I`` with A standard normal, equal weights), N rows;
- **start**: equal weights, K distinct random rows as means, the pooled covariance (+ reg_covar)
  for every component; given to causalmix as a ``GaussianMixtureFit`` warm start
  (``fit_mixture(X, init=start, ...)``, the public entry point) and to scikit-learn as
  ``weights_init`` / ``means_init`` / ``precisions_init`` (``init_params="random_from_data"``, so
  the initialisation it computes and discards is cheap);
- **iterations**: ``tol=0``, ``max_iter=n`` on both sides (neither stops early). Each call also
  has fixed costs (input checks, the start's Cholesky factors, a final E-step), so the
  per-iteration time is ``(t(n_hi) - t(n_lo)) / (n_hi - n_lo)`` of two calls with different
  ``max_iter`` (best of ``repeats`` calls each, one process, one BLAS thread);
- **same result**: the mean log-likelihood of both final parameter sets on the data
  (``GaussianMixtureFit.score`` / ``GaussianMixture.score``) and its difference.

This is the kernel only. ``mixture_selection.py`` section 3 times the *algorithms* (the
reference's sweep k = 1..p+1 with k-means starts against ``select_n_components``), which differ in
much more than the EM kernel.

    nice .venv/bin/python benchmarks/em_kernel.py --quick     # seconds, into benchmarks/.cache/quick/
    nice -n 5 .venv/bin/python benchmarks/em_kernel.py --full      # on otherwise idle cores
"""

from __future__ import annotations

import os
import time
import warnings
from typing import Any

import numpy as np

import _common as C

NAME = "em_kernel"
FULL = {"p": (5, 10, 20, 50), "log2n": (14, 16), "k": (4, 11), "iters": (2, 12), "repeats": 3}
QUICK = {"p": (5, 10), "log2n": (12,), "k": (4,), "iters": (1, 6), "repeats": 2}
REG_COVAR = 1e-6


def make_data(p: int, n: int, k: int, seed: int = 0) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The rows of one cell and the common start (weights, means, covariances)."""
    rng = np.random.default_rng([seed, p, n, k])
    means = rng.normal(0.0, 2.0, size=(k, p))
    A = rng.normal(size=(k, p, p))
    covs = A @ A.transpose(0, 2, 1) / p + np.eye(p)
    labels = rng.integers(k, size=n)
    z = rng.normal(size=(n, p))
    X = means[labels] + np.einsum("nij,nj->ni", np.linalg.cholesky(covs)[labels], z)
    pooled = np.cov(X, rowvar=False, bias=True) + REG_COVAR * np.eye(p)
    start = {
        "weights": np.full(k, 1.0 / k),
        "means": X[rng.choice(n, size=k, replace=False)],
        "covariances": np.repeat(pooled[None], k, axis=0),
    }
    return X, start


def ours(X: np.ndarray, start: dict[str, np.ndarray], iters: int):
    from causalmix.mixture import GaussianMixtureFit, fit_mixture

    init = GaussianMixtureFit.from_parameters(
        start["weights"], start["means"], start["covariances"], reg_covar=REG_COVAR
    )
    return fit_mixture(X, init=init, tol=0.0, reg_covar=REG_COVAR, max_iter=iters)


def sklearn(X: np.ndarray, start: dict[str, np.ndarray], iters: int):
    from sklearn.mixture import GaussianMixture

    gm = GaussianMixture(
        n_components=len(start["weights"]), covariance_type="full", tol=0.0,
        reg_covar=REG_COVAR, max_iter=iters, n_init=1, init_params="random_from_data",
        weights_init=start["weights"], means_init=start["means"],
        precisions_init=np.linalg.inv(start["covariances"]), random_state=0,
    )  # fmt: skip
    return gm.fit(X)


def _best_time(fn, X, start, iters: int, repeats: int) -> tuple[float, Any]:
    best, model = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        model = fn(X, start, iters)
        best = min(best, time.perf_counter() - t0)
    return best, model


def run_cell(p: int, log2n: int, k: int, iters: tuple[int, int], repeats: int) -> dict[str, Any]:
    X, start = make_data(p, 2**log2n, k)
    lo, hi = iters
    rec: dict[str, Any] = {"p": p, "n": 2**log2n, "k": k, "iters": [lo, hi], "repeats": repeats}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both warn that tol=0 was not reached: intended
        for side, fn in (("ours", ours), ("sklearn", sklearn)):
            fn(X, start, 1)  # warm-up: imports, first-call allocations
            t_lo, _ = _best_time(fn, X, start, lo, repeats)
            t_hi, model = _best_time(fn, X, start, hi, repeats)
            rec[f"{side}_s_per_iter"] = (t_hi - t_lo) / (hi - lo)
            rec[f"{side}_s_total"] = t_hi
            rec[f"{side}_loglik"] = float(model.score(X))
    rec["ratio"] = rec["sklearn_s_per_iter"] / rec["ours_s_per_iter"]
    rec["loglik_diff"] = rec["ours_loglik"] - rec["sklearn_loglik"]
    return rec


def summarize(records: list[dict[str, Any]]) -> dict[str, Any]:
    ratios = [r["ratio"] for r in records]
    return {
        "ratio_median": float(np.median(ratios)),
        "ratio_min": float(np.min(ratios)),
        "ratio_max": float(np.max(ratios)),
        "max_abs_loglik_diff": float(max(abs(r["loglik_diff"]) for r in records)),
    }


def render(saved: dict[str, Any]) -> str:
    """The Markdown of a saved run (``em_kernel.json``)."""
    cfg, s, records = saved["config"], saved["summary"], saved["records"]
    lo, hi = cfg["iters"]
    cols = [
        C.Col("p", "p"),
        C.Col("N", lambda r: C.pow2(r["n"])),
        C.Col("K", "k"),
        C.Col("causalmix ms / iter", lambda r: f"{1e3 * r['ours_s_per_iter']:.1f}"),
        C.Col("scikit-learn ms / iter", lambda r: f"{1e3 * r['sklearn_s_per_iter']:.1f}"),
        C.Col("ratio sklearn / causalmix", lambda r: f"**{r['ratio']:.1f}x**"),
        C.Col("mean log-lik. causalmix", "ours_loglik", ".6f"),
        C.Col("difference (causalmix − sklearn)", "loglik_diff", ".1e"),
    ]
    h = saved["header"]
    load = f"{h['load_avg_before'][0]:.1f} before, {h['load_avg'][0]:.1f} after"
    return "\n".join([
        "## EM kernel: causalmix against scikit-learn's GaussianMixture",
        "",
        C.header_markdown(saved["header"]),
        "",
        "The kernel alone, not an algorithm: the same rows, the same start (equal weights, K "
        "random rows as means, the pooled covariance), full covariances, `reg_covar` = "
        f"{cfg['reg_covar']:g}, `tol` = 0 and a fixed number of iterations on both sides "
        "(`causalmix.mixture.fit_mixture(X, init=GaussianMixtureFit(...))` and "
        "`GaussianMixture(weights_init=, means_init=, precisions_init=)`). Time per iteration = "
        f"(t({hi} iterations) − t({lo})) / {hi - lo}, so the fixed costs of a call (checks, the "
        f"start's factorisations, the final E-step) cancel; best of {cfg['repeats']} calls, one "
        f"process, one BLAS thread; load average {load} (2 shared cores). "
        "Log-likelihood: mean per row of each side's final parameters on the data.",
        "",
        C.table(records, cols),
        "",
        f"Per-iteration speed-up of causalmix's kernel: median **{s['ratio_median']:.1f}x** "
        f"(range {s['ratio_min']:.1f}–{s['ratio_max']:.1f}x); both reach the same "
        f"log-likelihood (largest difference {s['max_abs_loglik_diff']:.1e} per row). "
        "`mixture_selection.md` section 3 compares the *algorithms* (the reference's k-means "
        "sweep against `select_n_components`), which differ in far more than this kernel.",
        *([C.grid_sentence(cfg)] if C.grid_sentence(cfg) else []),
    ])  # fmt: skip


def main(argv=None) -> int:
    ap = C.common_args(__doc__.splitlines()[0])
    ap.add_argument("--k", default=None, help="override K: comma-separated, e.g. 4,11")
    args = C.parse(ap, argv)
    cfg = C.grid_config(args, QUICK, FULL)
    if args.k:
        cfg["k"] = tuple(int(v) for v in args.k.split(","))
        if not args.quick:
            cfg.update(grid="reduced", full=False)
    cfg["reg_covar"] = REG_COVAR
    cfg["seeds"] = 1  # one data set per cell (grid_sentence names it)
    C.mark_start()
    load_before = os.getloadavg()
    from threadpoolctl import threadpool_limits

    records = []
    with threadpool_limits(limits=1):
        for p in cfg["p"]:
            for e in cfg["log2n"]:
                for k in cfg["k"]:
                    rec = run_cell(p, e, k, tuple(cfg["iters"]), cfg["repeats"])
                    records.append(rec)
                    print(f"p={p} N=2^{e} K={k}: ours {1e3 * rec['ours_s_per_iter']:.1f} ms/iter, "
                          f"sklearn {1e3 * rec['sklearn_s_per_iter']:.1f} ms/iter, ratio "
                          f"{rec['ratio']:.1f}, loglik diff {rec['loglik_diff']:.1e}", flush=True)  # fmt: skip
    header = C.run_header()
    header["load_avg_before"] = load_before
    paths = C.write_outputs(NAME, header, cfg, records, summarize(records), render)
    C.finish(paths, header)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
