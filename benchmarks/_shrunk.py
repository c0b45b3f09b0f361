"""The "shrunk" baseline of issue #11: today's pipeline with overlap-aware sample sizes.

After ``MixtureUTIGSP().fit`` the per-component statistics are recomputed from the EM
responsibilities with the effective size ``n_c = Σ_i r_ic`` replaced by a smaller one that discounts
the rows the mixture is unsure about, and UT-IGSP is re-run with every base candidate exactly as
the estimator does (fewest targets, then fewest arcs). Means and covariances are unchanged: only the
Grams are rescaled with ``n``, so every regression is the same and only the tests' power drops.

Effective sizes (``ess``):

- ``"purity"`` (the default): ``n'_c = Σ_i r_ic²``. Under the fitted mixture the expected mass of
  rows from OTHER components in component c's statistics is ``Σ_i r_ic (1 − r_ic)``, so
  ``n'_c = n_c (1 − ε_c)`` with ``ε_c`` the expected leaked fraction: a component with a larger
  leak gets proportionally weaker tests.
- ``"entropy"``: ``n'_c = Σ_i r_ic (1 − H_i / log K)``, ``H_i`` the entropy of row i's posterior;
  the responsibility-weighted mean normalised entropy, the brief's other suggestion.

Kish's effective size ``(Σ r)² / Σ r²`` is NOT used: with weights in [0, 1] it is ≥ ``Σ r`` (it
counts the rows that contribute, for the variance of a weighted mean of rows that all come from
the component), so it would strengthen the tests instead of discounting the leak.

This is benchmark code built on the public API only (``component_statistics``,
``SufficientStatistics``, ``ut_igsp_from_statistics``), not a library feature.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ESS = ("purity", "entropy")


@dataclass(frozen=True, eq=False)
class ShrunkResult:
    adjacency: np.ndarray
    targets: tuple[frozenset[int], ...]
    observational: int
    margin: int | None
    shrink: np.ndarray  # n'_c / n_c per component


def effective_sizes(resp: np.ndarray, ess: str) -> np.ndarray:
    """Overlap-aware effective size of every component, shape (K,); see the module notes."""
    resp = np.asarray(resp, dtype=float)
    if ess == "purity":
        return (resp**2).sum(axis=0)
    if ess == "entropy":
        K = resp.shape[1]
        if K == 1:
            return resp.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            h = -np.where(resp > 0, resp * np.log(resp), 0.0).sum(axis=1) / np.log(K)
        return (resp * (1.0 - h)[:, None]).sum(axis=0)
    raise ValueError(f"ess must be one of {ESS}, got {ess!r}")


def unshrunk(est, X: np.ndarray):
    """The responsibilities (N, K) of the rows ``X`` and the per-component statistics a fitted
    ``refine="none"`` estimator searched on: ``est.predict_proba`` (in the estimator's
    standardised frame) and ``est.statistics_``."""
    if est.refined_:
        raise ValueError(
            "the shrunk baseline rescales the free mixture's statistics: refine='none'"
        )
    return est.predict_proba(X), est.statistics_


def refit(est, X: np.ndarray, ess: str | None = None, random_state: int = 0) -> ShrunkResult:
    """Re-run the estimator's base-candidate UT-IGSP step of a fitted ``est`` on shrunk sizes."""
    from causalmix._fit_steps import check_params
    from causalmix._observational import base_candidates
    from causalmix.discovery import ut_igsp_from_statistics
    from causalmix.stats import SufficientStatistics

    ess = ess or "purity"
    resp, stats = unshrunk(est, X)
    p, K = stats.n_nodes, stats.n_components
    n_new = np.maximum(effective_sizes(resp, ess), 1e-12)  # keep n > 0 (a component is never empty)
    factor = n_new / stats.n
    shrunk = SufficientStatistics(
        n_new, stats.means, stats.grams * factor[:, None, None], stats.center
    )
    # the estimator's rule (causalmix._observational.base_candidates) on the shrunk sizes
    candidates = base_candidates("auto", n_new, p)[0] if K > 1 else [0]
    if not candidates:  # every component shrunk below p + 1: keep the estimator's choice
        candidates = [est.observational_component_]
        shrunk = stats
    options = check_params(est)  # the estimator's SearchOptions, as its fit builds them
    seeds = np.random.default_rng(random_state).spawn(len(candidates))
    results = [
        ut_igsp_from_statistics(shrunk, base=b, random_state=s, options=options)
        for b, s in zip(candidates, seeds, strict=True)
    ]
    keys = [(sum(len(t) for t in r.targets), int(r.adjacency.sum())) for r in results]
    best = min(range(len(results)), key=lambda i: keys[i])
    others = sorted(k[0] for i, k in enumerate(keys) if i != best)
    res = results[best]
    return ShrunkResult(
        adjacency=np.asarray(res.adjacency, dtype=np.int8),
        targets=tuple(frozenset(int(v) for v in t) for t in res.targets),
        observational=candidates[best],
        margin=int(others[0] - keys[best][0]) if others else None,
        shrink=factor,
    )
