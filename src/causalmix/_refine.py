"""``refine="mechanisms"``: the shared-mechanism mixture replaces the free mixture's answer.

A step of :meth:`MixtureUTIGSP.fit <causalmix.MixtureUTIGSP.fit>` (see
:mod:`causalmix._fit_steps`): structural EM on a mixture whose components share the causal
mechanisms of one SEM except at their targets
(:func:`causalmix.mixture.mechanisms.fit_mechanism_mixture`), started from the free mixture and
UT-IGSP's DAG; skipped when the free mixture's components are separated.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from causalmix._fit_steps import ProgressCallback
from causalmix._observational import refined_observational
from causalmix.diagnostics import CausalmixWarning
from causalmix.graphs import dag_to_icpdag
from causalmix.mixture import GaussianMixtureFit, fit_mixture, large
from causalmix.stats import SufficientStatistics

__all__ = [
    "CHECK_ROUNDS",
    "GROWN_EM_TOL",
    "GROWTH_ROWS",
    "SEPARATED_SHARE",
    "apply_mechanism_fit",
    "as_gaussian_mixture",
    "folded",
    "grow_from_one",
    "refine",
    "refine_mechanisms",
    "refine_out_of_memory",
]

# the estimator's messages, under its name
log = logging.getLogger("causalmix.estimator")

# refine="mechanisms" is skipped when less than this share of the rows' responsibility is split
# between components (1 - the largest responsibility, averaged over the rows). Measured:
# do-interventions 0.06-0.37 % (rows of the observational component within a few 1e-3 of the
# do-value; benchmarks/refine_gate.py on the paper protocol, 144 data sets); overlapping hard,
# soft and shift interventions share several times more.
SEPARATED_SHARE = 0.02

# the batch growth from one component runs on at most this many random rows (the searches of
# the refinement use as many): its fit only proposes K and starts the free EM on all rows; at
# p = 100 and K = 51 its EM iterations and grouping search dominate a fit, and they scale with
# the rows
GROWTH_ROWS = 2**14


# rounds of structural EM when a grown mixture is checked on the grown components' DAG (each
# round an order search; at p = 100 a round costs about a minute on 2^14 rows)
CHECK_ROUNDS = 3

# beyond memory, the free EM on all rows from a grown mixture stops when the mean log-likelihood
# per row gains less than this per pass (scikit-learn's default, used elsewhere, is 1e-4): the
# start is the shared-mechanism fit's maximum on GROWTH_ROWS rows, a pass at p = 100 and K = 51
# costs 20-40 s, and 1e-4 took 12 passes, 75 % of a fit's time, for 0.005 nats per row after
# the third pass (p = 100, N = 2^18, seed 0), where the separated components' posteriors, which
# the statistics take, no longer change
GROWN_EM_TOL = 1e-3


def refine(
    est: Any,
    X: Any,
    mixture: Any,
    resp: Any,
    obs_rows: np.ndarray | None,
    k_max: int,
    big: bool,
    rng: np.random.Generator,
    progress: ProgressCallback,
    restructure: Callable[[Any], Any],
) -> None:
    """``refine="mechanisms"``: structural EM on the shared-mechanism mixture, which replaces the
    reported results (see :func:`refine_mechanisms`); from one free component, its growth
    decides K (:func:`grow_from_one`); without the rows in memory and several components only a
    warning when it was needed (:func:`refine_out_of_memory`)."""
    if est.refine != "mechanisms":
        return
    # one free component is "separated" trivially: an intervention the free mixture could not
    # pay for may hide in it, and the refinement's growth is what can find it
    alone = mixture.n_components == 1 and est.n_components == "auto"
    if big and not alone:
        refine_out_of_memory(X, mixture, X.shape[0], rng)
        return
    progress("refining (shared mechanisms)", 0, 1)
    k_max = k_max if est.n_components == "auto" else mixture.n_components
    if alone:
        grow_from_one(est, X, obs_rows, k_max, big, rng, restructure)
    else:
        refine_mechanisms(est, X, resp, obs_rows, k_max, rng)
    progress("refining (shared mechanisms)", 1, 1)


def refine_mechanisms(
    est: Any,
    X: np.ndarray,
    resp: np.ndarray,
    obs_rows: np.ndarray | None,
    k_max: int,
    rng: np.random.Generator,
) -> None:
    """Structural EM on the shared-mechanism mixture; replaces the reported results.

    Skipped (``refined_`` stays False) when the free mixture's components are separated. Sets
    ``mechanisms_``, ``refined_`` and replaces the components, targets, observational component,
    DAG and I-CPDAG with the refined fit's (:func:`apply_mechanism_fit`).
    """
    shared = float(np.mean(1.0 - resp.max(axis=1)))
    if shared < SEPARATED_SHARE:
        # no overlap to leak through (do-interventions): the statistics above are the
        # components' own, and the refinement could only re-derive the same answer slower
        log.info("components separated (%.2g of the responsibility shared): not refined", shared)
        est.refined_ = False
        return
    fit = _fit_mechanisms(est, X, resp, k_max, rng)
    apply_mechanism_fit(est, X, fit, obs_rows)


def _fit_mechanisms(
    est: Any,
    X: np.ndarray,
    resp: np.ndarray | None,
    k_max: int,
    rng,
    batch: bool = False,
    groups: np.ndarray | None = None,
    rounds: int | None = None,
) -> Any:
    from causalmix.mixture.mechanisms import fit_mechanism_mixture

    k = 1 if resp is None else resp.shape[1]
    return fit_mechanism_mixture(
        X,
        est.adjacency_,
        resp,
        groups=groups,
        select_k="batch" if batch else est.n_components == "auto",
        max_components=max(k_max, k),
        reg_covar=est.reg_covar,
        # the batch growth's fit only proposes K and a start: no second pass on more rows, and
        # one target model (its observational choice is not used)
        **({"search_rows": None, "observational_candidates": 1} if batch else {}),
        **({} if rounds is None else {"max_rounds": rounds}),
        random_state=rng,
    )


def grow_from_one(
    est: Any,
    X: Any,
    obs_rows: np.ndarray | None,
    k_max: int,
    big: bool,
    rng: np.random.Generator,
    restructure: Callable[[Any], Any],
) -> None:
    """One free component: the shared-mechanism mixture's batch growth decides K.

    A free-covariance BIC charges every component ``p (p + 1) / 2`` covariance parameters, so at
    large p (or with weak interventions) it keeps one component however many interventions the
    rows hold; the shared-mechanism model charges an intervention its mechanism's parameters.
    Its batch growth (``select_k="batch"``: every paying single-node split at once, on
    UT-IGSP's DAG; on at most ``GROWTH_ROWS`` random rows) proposes the components; they
    start a free-covariance EM on all rows (block-wise beyond memory), and the pipeline runs on
    that mixture as if the free selection had chosen it: statistics, observational component,
    UT-IGSP, then the refinement's gate — separated components (do-interventions) are the
    answer, overlapping ones are refined by the full structural EM (:func:`refine_mechanisms`;
    beyond memory a warning). Before that gate the grown mixture is checked on its own DAG:
    structural EM on the growth's rows from UT-IGSP's DAG of the grown components
    (``CHECK_ROUNDS`` rounds), then the exact merge of components left identical and the
    certain deletions; when that removes components, the free EM and the pipeline run again from
    the checked mixture. When the batch growth adds nothing, the refinement's one-at-a-time
    growth runs from the one component (in memory), as before.
    """
    rows = np.asarray(large.sample_rows(X, GROWTH_ROWS, rng)) if X.shape[0] > GROWTH_ROWS else X
    grown = _fit_mechanisms(est, rows, None, k_max, rng, batch=True)
    if grown.n_components == 1:
        if not big:
            apply_mechanism_fit(est, X, _fit_mechanisms(est, X, None, k_max, rng), obs_rows)
        return
    mixture = _free_em(est, X, as_gaussian_mixture(grown, est.reg_covar), big, rng)
    log.info(
        "one free component grown to %d by the shared-mechanism BIC; free EM on all rows from them",
        mixture.n_components,
    )
    resp = restructure(mixture)
    # the growth saw UT-IGSP's DAG of one component (the pooled rows): where that DAG lacks an
    # edge, one mechanism cannot fit the observational rows and a split of them pays (p = 100:
    # the observational rows in two components, one chosen as observational, every target
    # relative to it). Structural EM on the same rows from UT-IGSP's DAG of the grown
    # components restores the edges; such a split then shares every mechanism with the
    # component it came from, and the merge of identical components removes it
    same = grown.n_components == mixture.n_components  # (the free EM may have lost one)
    posterior = mixture.predict_proba(rows)
    checked = _fit_mechanisms(
        est,
        rows,
        posterior,
        k_max,
        rng,
        batch=True,
        groups=grown.groups if same else None,
        rounds=CHECK_ROUNDS,
    )
    if checked.n_components < mixture.n_components:
        log.info(
            "%d grown components merged or deleted on UT-IGSP's DAG of the grown mixture",
            mixture.n_components - checked.n_components,
        )
        start = folded(mixture, posterior, checked.responsibilities)
        if start is None:
            start = as_gaussian_mixture(checked, est.reg_covar)
        mixture = _free_em(est, X, start, big, rng)
        resp = restructure(mixture)
    est.selection_criterion_ = "mechanisms"
    est.selection_curve_ = {int(k): float(v) for k, v in sorted(grown.bic_curve.items())}
    if big:
        refine_out_of_memory(X, mixture, X.shape[0], rng)
    else:
        refine_mechanisms(est, X, resp, obs_rows, k_max, rng)


def folded(
    mixture: GaussianMixtureFit, before: np.ndarray, after: np.ndarray
) -> GaussianMixtureFit | None:
    """``mixture`` with each component folded into the component of a smaller fit that took its rows.

    ``before`` (N, K) and ``after`` (N, K') are the responsibilities of the same rows under
    ``mixture`` and under the fit that merged or deleted some of its components; component ``c``
    goes to the ``k`` sharing most of its responsibility, and the components going to one ``k``
    are replaced by the Gaussian with their pooled weight, mean and covariance (moment matching).
    The free EM on all rows then starts from its own full-data estimates, not from the smaller
    fit's (on ``GROWTH_ROWS`` rows). ``None`` when some ``k`` receives no component.
    """
    to = np.argmax(before.T @ after, axis=1)
    n_out = after.shape[1]
    if np.unique(to).size < n_out:
        return None
    w = np.asarray(mixture.weights)
    weights = np.bincount(to, weights=w, minlength=n_out)
    share = w / weights[to]  # each component's part of its fold
    means = np.zeros((n_out, mixture.means.shape[1]))
    np.add.at(means, to, share[:, None] * mixture.means)
    d = mixture.means - means[to]
    second = mixture.covariances + d[:, :, None] * d[:, None, :]
    covariances = np.zeros((n_out, *mixture.covariances.shape[1:]))
    np.add.at(covariances, to, share[:, None, None] * second)
    return GaussianMixtureFit.from_parameters(
        weights, means, covariances, reg_covar=mixture.reg_covar, n_samples=mixture.n_samples
    )


def _free_em(
    est: Any, X: Any, start: GaussianMixtureFit, big: bool, rng: np.random.Generator
) -> GaussianMixtureFit:
    """Free-covariance EM on all rows (block-wise when ``big``) from ``start``."""
    if big:
        return large.refine(X, start, tol=GROWN_EM_TOL)
    return fit_mixture(X, init=start, reg_covar=est.reg_covar, random_state=rng)


def as_gaussian_mixture(fit: Any, reg_covar: float) -> GaussianMixtureFit:
    """The Gaussian components a shared-mechanism fit implies, as a free mixture's start."""
    from causalmix.mixture.mechanisms import mechanism_parameters

    means, covariances = mechanism_parameters(fit)
    covariances = covariances + reg_covar * np.eye(means.shape[1])
    return GaussianMixtureFit.from_parameters(
        fit.weights,
        means,
        covariances,
        reg_covar=reg_covar,
        n_samples=fit.responsibilities.shape[0],
        log_likelihood=fit.log_likelihood,
    )


def apply_mechanism_fit(est: Any, X: np.ndarray, fit: Any, obs_rows: np.ndarray | None) -> None:
    """Replace the reported results by the shared-mechanism fit's."""
    from causalmix.mixture.mechanisms import mechanism_parameters

    post = fit.responsibilities
    obs, est.observational_method_, est.observational_margin_ = refined_observational(
        fit, est.observational, est.labels_, obs_rows
    )
    groups = fit.groups
    est.targets_ = tuple(
        frozenset(int(j) for j in np.flatnonzero(groups[:, c] != groups[:, obs]))
        for c in range(fit.n_components)
    )
    est.observational_component_ = obs
    est.observational_scores_ = [
        {"component": int(c), "bic": float(b), "chosen": int(c) == obs}
        for c, b in fit.observational_bics.items()
    ]
    est.mechanisms_ = fit
    est.refined_ = True
    est.n_components_ = fit.n_components
    est.weights_ = np.asarray(fit.weights)
    means, covariances = mechanism_parameters(fit)
    est.means_ = est.scaler_.inverse_means(means)
    est.covariances_ = est.scaler_.inverse_covariances(covariances)
    est.labels_ = post.argmax(axis=1)
    est.effective_sizes_ = post.sum(axis=0)
    est.statistics_ = SufficientStatistics.from_responsibilities(X, post)
    est.adjacency_ = np.asarray(fit.dag, dtype=np.int8)
    non_base = [t for k, t in enumerate(est.targets_) if k != obs]
    est.icpdag_ = dag_to_icpdag(est.adjacency_, non_base)


def refine_out_of_memory(X: Any, mixture: Any, n: int, rng: np.random.Generator) -> None:
    """refine="mechanisms" needs every row in memory: beyond that, say whether it was needed."""
    sample = np.asarray(large.sample_rows(X, min(2**14, n), rng))
    shared = float(np.mean(1.0 - mixture.predict_proba(sample).max(axis=1)))
    if shared < SEPARATED_SHARE:
        log.info("components separated (%.2g of the responsibility shared): not refined", shared)
        return
    warnings.warn(
        f"refine='mechanisms' skipped: it needs the rows in memory (at most "
        f"{large.IN_MEMORY_ROWS}, not a dask array; got {n}), and the components overlap "
        f"({shared:.0%} of the responsibility shared), where the free mixture's targets and "
        f"observational component are unreliable; refit a sample of at most "
        f"{large.IN_MEMORY_ROWS} rows to refine",
        CausalmixWarning,
        stacklevel=4,
    )
