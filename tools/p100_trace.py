"""The exploration behind docs/design.md §6 "The grown mixture checked on its own DAG" and
"p = 100 at N = 2^16: the free EM's posteriors leak" (issue #14): one p = 100 case of
``benchmarks/scale.py`` fitted with logging, pickled, and taken apart.

Not a benchmark (no page, minutes per step, one seed): it reproduces the numbers those sections
quote. Run it with the library of the commit the section names on ``PYTHONPATH`` (the split
observational rows need the code before the check, 8aac191; the leak is on today's code)::

    PYTHONPATH=src python tools/p100_trace.py fit 18 0      # fit, log, pickle to /tmp
    PYTHONPATH=src python tools/p100_trace.py halves 18 0   # UT-IGSP on each non-degenerate base
    PYTHONPATH=src python tools/p100_trace.py check 18 0    # structural EM from UT-IGSP's DAG
    PYTHONPATH=src python tools/p100_trace.py leak 16 0     # free vs shared-mechanism posteriors
"""

from __future__ import annotations

import logging
import pickle
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import scale
from causalmix import MixtureUTIGSP
from causalmix.discovery import ut_igsp_from_statistics
from causalmix.metrics import shd
from causalmix.mixture import large
from causalmix.mixture.mechanisms import fit_mechanism_mixture
from causalmix.stats import SufficientStatistics

SEARCH = {"start": "mixed", "select": "total"}  # the estimator's UT-IGSP options


def _path(log2n: int, seed: int) -> Path:
    return Path(f"/tmp/causalmix_p100_n{log2n}_s{seed}.pkl")


def _load(log2n: int, seed: int):
    est = pickle.loads(_path(log2n, seed).read_bytes())
    sample = scale.simulate(100, log2n, seed)
    return est, sample, np.asarray(sample.dag) != 0


def _groups(est) -> np.ndarray:
    """Each component's own group at its targets (relative to the chosen base), 0 elsewhere."""
    groups = np.zeros((est.n_features_in_, est.n_components_), dtype=np.int64)
    for c, t in enumerate(est.targets_):
        groups[sorted(t), c] = c + 1
    return groups


def fit(log2n: int, seed: int) -> None:
    sample = scale.simulate(100, log2n, seed)
    w0 = time.perf_counter()
    est = MixtureUTIGSP(random_state=seed).fit(sample.X)
    print(f"fit {time.perf_counter() - w0:.0f} s, K {est.n_components_}, "
          f"observational {est.observational_component_}")  # fmt: skip
    for c in range(est.n_components_):
        counts = np.bincount(sample.labels[est.labels_ == c], minlength=sample.n_components)
        print(f"component {c}: {counts.sum()} rows, {counts.max() / counts.sum():.3f} from true "
              f"component {counts.argmax()}, targets {sorted(est.targets_[c])}")  # fmt: skip
    _path(log2n, seed).write_bytes(pickle.dumps(est))


def halves(log2n: int, seed: int) -> None:
    est, _, dag = _load(log2n, seed)
    st = est.statistics_
    low = np.diagonal(st.covariances(), axis1=1, axis2=2).min(axis=1) < 1e-4  # a do-target
    print(f"fit SHD {shd(est.adjacency_, dag)}; {low.sum()} components with a constant column")
    for b in np.flatnonzero(~low):
        res = ut_igsp_from_statistics(st, base=int(b), random_state=0, **SEARCH)
        print(f"base {b} ({st.n[b]:.0f} rows): SHD {shd(res.adjacency, dag)}")


def check(log2n: int, seed: int) -> None:
    est, sample, dag = _load(log2n, seed)
    X = est.scaler_.transform(sample.X)
    rng = np.random.default_rng(0)
    rows = np.asarray(large.sample_rows(X, 2**14, rng))
    w0 = time.perf_counter()
    res = fit_mechanism_mixture(rows, est.adjacency_, est.mixture_.predict_proba(rows),
                                groups=_groups(est), select_k=False, max_rounds=3,
                                search_rows=None, random_state=rng)  # fmt: skip
    distinct = np.unique(res.groups.T, axis=0).shape[0]
    print(
        f"{time.perf_counter() - w0:.0f} s; DAG SHD {shd(est.adjacency_, dag)} -> "
        f"{shd(res.dag, dag)}; {res.n_components} components, {distinct} distinct"
    )


def leak(log2n: int, seed: int) -> None:
    from causalmix._refine import as_gaussian_mixture

    est, sample, dag = _load(log2n, seed)
    X = est.scaler_.transform(sample.X)
    base, resp = est.observational_component_, est.mixture_.predict_proba(X)
    mech = fit_mechanism_mixture(X, est.adjacency_, resp, groups=_groups(est), select_k=False,
                                 max_rounds=1, search_rows=None, observational_candidates=1,
                                 random_state=0)  # fmt: skip
    gauss = as_gaussian_mixture(mech, est.reg_covar).predict_proba(X)
    for name, R in (("free EM", resp), ("mechanism posteriors", mech.responsibilities),
                    ("implied Gaussians", gauss)):  # fmt: skip
        res = ut_igsp_from_statistics(SufficientStatistics.from_responsibilities(X, R),
                                      base=base, random_state=0, **SEARCH)  # fmt: skip
        counts = np.bincount(sample.labels[R.argmax(axis=1) == base], minlength=sample.n_components)
        print(f"{name}: SHD {shd(res.adjacency, dag)}; observational component {counts.sum()} "
              f"rows, {counts[0]} of them observational")  # fmt: skip
    labels = [c.targets for c in sample.components]
    oracle = SufficientStatistics.from_datasets([X[sample.labels == k] for k in range(len(labels))])
    print(
        f"true labels: SHD {shd(ut_igsp_from_statistics(oracle, 0, random_state=0, **SEARCH).adjacency, dag)}"
    )


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    step, log2n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    {"fit": fit, "halves": halves, "check": check, "leak": leak}[step](log2n, seed)
