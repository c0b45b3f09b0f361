"""The steps of :meth:`MixtureUTIGSP.fit <causalmix.MixtureUTIGSP.fit>`, in the order it runs them.

Each step takes the estimator, reads its parameters and sets the fitted attributes it names
(scikit-learn's ``_initialize`` / ``_m_step`` / ``_set_parameters`` shape); the estimator's ``fit``
is the sequence of the steps. The observational-component rule itself is
:func:`causalmix._observational.choose_observational`, the refinement :mod:`causalmix._refine`.
"""

from __future__ import annotations

import logging
import numbers
from typing import Any

import numpy as np

from causalmix._bitmask import column_masks
from causalmix._observational import ObservationalChoice
from causalmix._validation import check_positive_int
from causalmix.diagnostics import run_diagnostics
from causalmix.discovery import SearchOptions, UTIGSPResult, ut_igsp_from_statistics
from causalmix.discovery.explained import contested_edges, drop_explained_targets
from causalmix.graphs import dag_to_icpdag
from causalmix.mixture import (
    component_statistics,
    fit_mixture,
    large,
    resampled_statistics,
    select_n_components,
)
from causalmix.mixture._progress import ProgressCallback
from causalmix.stats import GaussianInvarianceTester, SufficientStatistics

__all__ = [
    "check_fit_data",
    "check_observational_rows",
    "check_params",
    "compute_statistics",
    "diagnose",
    "fit_components",
    "resample",
    "rows_share",
    "scaling_rows",
    "search_bases",
    "set_components",
    "set_structure",
]

# the estimator's messages, under its name
log = logging.getLogger("causalmix.estimator")


_STATISTICS = ("weighted", "resampled")
_REFINE = ("none", "mechanisms")
_EXPLAINED = ("drop", "keep")


# ------------------------------------------------------------------------------ the input
def check_params(est: Any) -> SearchOptions:
    """Validate the estimator's parameters; returns its search options, validated once (so that
    a typo fails before the mixture fit).

    Raises
    ------
    ValueError, TypeError
        Naming the first invalid parameter.
    """
    if not (est.n_components == "auto" or _is_int(est.n_components)):
        raise ValueError(
            f"n_components must be 'auto' or a positive integer, got {est.n_components!r}"
        )
    if _is_int(est.n_components):
        check_positive_int(est.n_components, "n_components")
    if est.max_components is not None:
        check_positive_int(est.max_components, "max_components")
    if est.statistics not in _STATISTICS:
        raise ValueError(f"statistics must be one of {_STATISTICS}, got {est.statistics!r}")
    if not (est.observational == "auto" or _is_int(est.observational)):
        raise ValueError(
            f"observational must be 'auto' or a component index, got {est.observational!r}"
        )
    if est.refine not in _REFINE:
        raise ValueError(f"refine must be one of {_REFINE}, got {est.refine!r}")
    if est.explained_targets not in _EXPLAINED:
        raise ValueError(
            f"explained_targets must be one of {_EXPLAINED}, got {est.explained_targets!r}"
        )
    check_positive_int(est.n_resamples, "n_resamples", minimum=0)
    return SearchOptions(
        alpha_ci=est.alpha_ci,
        alpha_inv=est.alpha_inv,
        depth=est.depth,
        n_runs=est.n_runs,
        start=est.start,
        select=est.select,
    )


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_fit_data(X: Any, node_names: list[str]) -> bool:
    """Enough rows and no constant column; returns whether ``X`` is fitted block by block.

    Raises
    ------
    ValueError
        For fewer rows than ``max(2 p, p + 2)`` or a constant column.
    """
    n, p = X.shape
    min_rows = p + 2  # the base component needs n > p + 1 rows for the CI tests
    if n < max(2 * p, min_rows):
        raise ValueError(f"X needs at least {max(2 * p, min_rows)} rows for {p} variables, got {n}")
    const = np.flatnonzero(large.column_ranges(X) == 0)
    if const.size:
        bad = [node_names[i] for i in const]
        raise ValueError(f"X has constant column(s) {bad}; they carry no information, drop them")
    return large.is_dask_array(X) or n > large.IN_MEMORY_ROWS


def scaling_rows(X: Any, big: bool) -> Any:
    """The rows the column scales are estimated from: all, or 2^17 evenly spaced ones when the
    data are large (the same rows for an in-memory array and a dask array; no random draw)."""
    if not big:
        return X
    idx = np.linspace(0, X.shape[0] - 1, large.IN_MEMORY_ROWS).round().astype(np.intp)
    return large.take_rows(X, idx)


def check_observational_rows(rows: object, n: int) -> np.ndarray | None:
    """``observational_rows`` as a boolean mask of shape ``(n,)`` (None stays None).

    Raises
    ------
    ValueError
        For a mask of another shape, non-integer indices, indices outside ``0..n-1``, or no row.
    """
    if rows is None:
        return None
    arr = np.asarray(rows)
    if arr.dtype == bool:
        if arr.shape != (n,):
            raise ValueError(
                f"observational_rows as a mask must have shape ({n},), got {arr.shape}"
            )
        mask = arr
    else:
        if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
            raise ValueError("observational_rows must be a boolean mask or integer row indices")
        if arr.size and (arr.min() < 0 or arr.max() >= n):
            raise ValueError(f"observational_rows indices must lie in 0..{n - 1}")
        mask = np.zeros(n, dtype=bool)
        mask[arr] = True
    if not mask.any():
        raise ValueError("observational_rows selects no row")
    return mask


# ------------------------------------------------------------------------- the mixture
def fit_components(
    est: Any, X: Any, big: bool, rng: np.random.Generator, progress: ProgressCallback
) -> tuple[Any, int]:
    """The free Gaussian mixture: ``n_components`` of them, or the number selected by
    ``criterion``; returns it and the cap ``k_max`` of the selection.

    Sets ``selection_``, ``selection_curve_``, ``selection_criterion_``, ``max_components_``.
    """
    n, p = X.shape
    min_rows = p + 2
    k_cap = n // min_rows  # every component must be able to hold p + 2 rows
    progress("fitting mixture", 0, 1)
    k_max = p + 1
    if est.n_components == "auto":
        k_max = p + 1 if est.max_components is None else est.max_components
        if k_max > k_cap:
            log.warning(
                "max_components lowered from %d to %d: %d rows allow at most %d "
                "components of p + 2 = %d rows",
                k_max,
                k_cap,
                n,
                k_cap,
                min_rows,
            )
            k_max = k_cap
        selection = select_n_components(
            X,
            max_components=k_max,
            criterion=est.criterion,
            cutoff=est.cutoff,
            reg_covar=est.reg_covar,
            random_state=rng,
            selection_size=large.IN_MEMORY_ROWS,
            progress=progress,
        )
        mixture = selection.mixture
        est.selection_ = selection
        # curve[k] is the criterion for k components (index 0 unused; NaN where not fitted)
        est.selection_curve_ = {
            k: float(selection.curve[k]) for k in range(1, len(selection.curve))
        }
        est.selection_criterion_ = str(selection.criterion)
        est.max_components_ = int(selection.max_components)
    else:
        if est.n_components > k_cap:
            raise ValueError(
                f"n_components={est.n_components} needs at least "
                f"{est.n_components * min_rows} rows (p + 2 = {min_rows} per component), got {n}"
            )
        if big:
            mixture = large.fit_fixed(X, est.n_components, reg_covar=est.reg_covar, rng=rng)
        else:
            mixture = fit_mixture(X, est.n_components, reg_covar=est.reg_covar, random_state=rng)
        est.selection_curve_ = {}
        est.selection_criterion_ = "fixed"
        est.selection_ = None
        est.max_components_ = None
    progress("fitting mixture", 1, 1)
    return mixture, k_max


def set_components(est: Any, X: Any, mixture: Any, big: bool) -> tuple[Any, Any]:
    """Responsibilities (None when ``big``: one block-wise summary instead) and that summary.

    Sets ``labels_``, ``effective_sizes_``, ``mixture_``, ``n_components_``, ``weights_``,
    ``means_``, ``covariances_`` (the last two in the data's units).
    """
    if big:  # one block-wise pass instead of (N, K) responsibilities (issue #14)
        summary = large.summarise(X, mixture)
        resp = None
        est.labels_, est.effective_sizes_ = summary.labels, summary.effective_sizes
    else:
        summary = None
        resp = mixture.predict_proba(X)
        est.labels_, est.effective_sizes_ = resp.argmax(axis=1), resp.sum(axis=0)
    est.mixture_ = mixture
    est.n_components_ = mixture.n_components
    est.weights_ = np.asarray(mixture.weights)
    est.means_ = est.scaler_.inverse_means(mixture.means)
    est.covariances_ = est.scaler_.inverse_covariances(mixture.covariances)
    log.info(
        "mixture: %d components, weights %s",
        mixture.n_components,
        np.round(est.weights_, 3).tolist(),
    )
    return resp, summary


def compute_statistics(
    est: Any, X: Any, mixture: Any, resp: Any, summary: Any, rng: np.random.Generator
) -> SufficientStatistics:
    """Per-component sufficient statistics (``statistics``: weighted or resampled); sets
    ``statistics_``."""
    if est.statistics == "weighted":
        if summary is not None:
            stats = summary.statistics
        else:
            stats = component_statistics(X, mixture, responsibilities=resp)
    else:
        stats = resampled_statistics(mixture, X.shape[0] // mixture.n_components, random_state=rng)
    est.statistics_ = stats
    return stats


# -------------------------------------------------------------------------- the structure
def rows_share(X: Any, mixture: Any, resp: Any, obs_rows: np.ndarray | None) -> Any:
    """Mean responsibility of the rows known to be observational (None without them)."""
    if obs_rows is None:
        return None
    obs_resp = resp[obs_rows] if resp is not None else large.responsibilities(X, obs_rows, mixture)
    return obs_resp.mean(axis=0)


def search_bases(
    stats: SufficientStatistics,
    candidates: list[int],
    options: SearchOptions,
    rng: np.random.Generator,
    progress: ProgressCallback,
) -> list[UTIGSPResult]:
    """UT-IGSP with each candidate base, each on its own stream of ``rng``."""
    seeds = rng.spawn(len(candidates))
    results = []
    for done, (b, child) in enumerate(zip(candidates, seeds, strict=True)):
        progress("UT-IGSP (base candidates)", done, len(candidates))
        results.append(ut_igsp_from_statistics(stats, base=b, random_state=child, options=options))
    progress("UT-IGSP (base candidates)", len(candidates), len(candidates))
    return results


def set_structure(est: Any, choice: ObservationalChoice, stats: SufficientStatistics) -> None:
    """Sets ``observational_*``, ``utigsp_``, ``targets_``, ``adjacency_`` and ``icpdag_`` from
    UT-IGSP with the chosen base; ``mechanisms_`` None and ``refined_`` False until refined.

    With ``explained_targets="drop"``, ``targets_`` are UT-IGSP's without the targets another
    target of the same component explains (:func:`~causalmix.discovery.explained.drop_explained_targets`,
    on ``stats`` at level ``alpha_inv``); ``utigsp_.targets`` keeps UT-IGSP's own.
    """
    est.observational_method_ = choice.method
    est.observational_scores_ = choice.scores
    est.observational_margin_ = choice.margin
    est.observational_component_ = choice.component
    est.utigsp_ = result = choice.result
    est.adjacency_ = np.asarray(result.adjacency, dtype=np.int8)
    targets = tuple(frozenset(int(v) for v in t) for t in result.targets)
    if est.explained_targets == "drop" and stats.n_components > 1:
        tester = GaussianInvarianceTester(stats, choice.component, est.alpha_inv)
        pruned = drop_explained_targets(
            tester, column_masks(est.adjacency_), targets, choice.component
        )
        if pruned != targets:
            log.info(
                "targets explained by another target of their component dropped: %s",
                [sorted(t - s) for t, s in zip(targets, pruned, strict=True)],
            )
        targets = pruned
    est.targets_ = targets
    non_base = [t for k, t in enumerate(est.targets_) if k != choice.component]
    est.icpdag_ = dag_to_icpdag(est.adjacency_, non_base)
    est.mechanisms_ = None
    est.refined_ = False


def contested_orientations(est: Any) -> np.ndarray:
    """(p, p) bool, symmetric: the edges of a fitted estimator's DAG whose orientation its own
    invariance tests contradict (:func:`~causalmix.discovery.explained.contested_edges` on
    ``statistics_`` with UT-IGSP's targets and the chosen base). None are when the DAG is the
    refinement's (``refined_``), there is one component, or the estimator is not UT-IGSP based."""
    p = np.shape(est.icpdag_)[0]
    result, stats = getattr(est, "utigsp_", None), getattr(est, "statistics_", None)
    if result is None or stats is None or getattr(est, "refined_", False) or stats.n_components < 2:
        return np.zeros((p, p), dtype=bool)
    base = est.observational_component_
    tester = GaussianInvarianceTester(stats, base, est.alpha_inv)
    return contested_edges(tester, column_masks(est.adjacency_), result.targets, base)


# ------------------------------------------------------------------------------ the end
def resample(est: Any, X_data: Any, rng: np.random.Generator, progress: ProgressCallback) -> None:
    """With ``n_resamples > 0``, sets ``stability_`` (refits on half-size subsamples); never
    keeps the frequencies of an earlier fit."""
    est.__dict__.pop("stability_", None)
    if est.n_resamples:
        from causalmix._stability_refit import resample_fit

        est.stability_ = resample_fit(
            X_data,
            est,
            n_resamples=est.n_resamples,
            n_jobs=est.n_jobs,
            random_state=rng,
            progress=progress,
        )


def diagnose(
    est: Any, X: Any, big: bool, rng: np.random.Generator, resp: np.ndarray | None
) -> tuple:
    """The checks of :mod:`causalmix.diagnostics` on the fitted estimator (on a row sample when
    ``big``). Run last: its draws from ``rng`` (a row sample, one extra fit) change nothing
    fitted before. ``resp``: the free mixture's responsibilities on ``X``, reused when that
    mixture is the reported model (not refined, in memory)."""
    if big:
        return run_diagnostics(est, large.sample_rows(X, large.IN_MEMORY_ROWS, rng), rng)
    reported = None if est.mechanisms_ is not None else resp
    return run_diagnostics(est, X, rng, responsibilities=reported)
