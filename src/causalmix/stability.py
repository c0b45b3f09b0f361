"""Stability of a fit under resampling: how often each edge, target and K comes back.

:func:`stability` refits a clone of the estimator on random subsamples of the rows (without
replacement, ``fraction`` of them; or bootstrap samples) and reports, for the fit on all rows (the
*reference*):

- the distribution of the number of components K;
- for every ordered pair ``(i, j)`` the frequency of the oriented I-CPDAG edge ``i -> j`` and of the
  undirected edge ``i - j`` (the convention of :mod:`causalmix.graphs`: ``A[i, j] != 0`` iff ``i ->
  j``, both entries set for an undirected edge); a refit's arc whose orientation its own
  invariance tests contradict (two targets of one component, one explained by the other once the
  edge is taken the other way: :func:`causalmix.discovery.explained.contested_edges`) counts as
  undirected — on do-interventions the greedy search reaches the same misoriented local optimum
  on every subsample, so without this such arcs came back in every refit (``docs/design.md``);
- for every reference component, the frequency with which each node is one of its targets and with
  which it is the observational component; the components of each refit are matched to the
  reference ones by the Hungarian assignment on their means and covariances in the reference's
  standardised units (:func:`causalmix.metrics.match_components`); a reference component left
  unmatched in a refit counts as absent (no target, not observational).

A frequency is a resampling frequency, not a posterior probability: it says how reproducible a
claim is under perturbation of the data (stability selection, [1]_ [2]_).
``docs/benchmarks.md`` measures how often claims with frequency >= 0.9 are true.

References
----------
.. [1] N. Meinshausen, P. Bühlmann. Stability selection. JRSS B 72(4), 2010.
.. [2] N. Friedman, M. Goldszmidt, A. Wyner. Data analysis with Bayesian networks: a bootstrap
   approach. UAI 1999.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from causalmix._stability_refit import (
    ProgressCallback,
    StabilityResult,
    fit_without_checks,
    resample_fit,
    rows_per_refit,
)
from causalmix._validation import check_positive_int, check_random_state

__all__ = ["StabilityResult", "stability"]

log = logging.getLogger(__name__)


def _check_estimator(estimator: object) -> None:
    if not (hasattr(estimator, "fit") and hasattr(estimator, "get_params")):
        raise TypeError(
            "estimator must be a scikit-learn style estimator such as MixtureUTIGSP, got "
            f"{type(estimator).__name__}"
        )


def stability(
    X: object,
    estimator: Any = None,
    *,
    n_resamples: int = 50,
    fraction: float = 0.5,
    bootstrap: bool = False,
    n_jobs: int | None = None,
    random_state: int | np.random.Generator | None = None,
    progress: ProgressCallback | None = None,
) -> StabilityResult:
    """Fit on all rows, refit on ``n_resamples`` resamples and count how often each claim returns.

    Parameters
    ----------
    X : array-like or pandas.DataFrame of shape (N, p)
        Unlabeled rows (as for :meth:`MixtureUTIGSP.fit`).
    estimator : MixtureUTIGSP, optional
        Its parameters are used (it is cloned, never modified); default ``MixtureUTIGSP()``. Its own
        ``random_state`` is replaced by streams spawned from ``random_state``.
    n_resamples : int, default=50
    fraction : float in (0, 1), default=0.5
        Each refit sees ``round(fraction * N)`` rows drawn without replacement.
    bootstrap : bool, default=False
        Draw N rows with replacement instead (``fraction`` is then ignored). Duplicate rows make
        the mixture's covariance estimates and the tests over-confident; subsampling is the
        stability-selection default.
    n_jobs : int or None, default=None
        Parallel refits (joblib; None = 1 unless inside a ``joblib.parallel_config`` context, -1 =
        all cores). Each refit runs with one BLAS thread so that workers do not oversubscribe the
        cores and results do not depend on ``n_jobs``; so does the fit on all rows (a second
        BLAS thread does not speed up matrices of p columns, and on a loaded machine its
        spinning made that fit 5-40 s instead of 1 s at p = 8, N = 2^16).
    random_state : int, numpy.random.Generator or None
        One Generator is made from it; the reference fit and every refit get their own child
        stream (``Generator.spawn``), so the result is identical for the same seed whatever
        ``n_jobs``.
    progress : callable(stage, done, total), optional
        Called after the reference fit and as refits complete.

    Returns
    -------
    StabilityResult

    Raises
    ------
    TypeError
        If ``estimator`` is not an estimator, ``fraction`` not a number or ``bootstrap`` not a bool.
    ValueError
        If ``n_resamples`` < 1, ``fraction`` outside (0, 1), or a subsample would have fewer than
        2 rows; the estimator's own errors on ``X`` propagate.

    Notes
    -----
    With ``MixtureUTIGSP(n_resamples=...)`` the same frequencies are computed inside ``fit`` and
    stored as ``stability_``, next to the fit's ``diagnostics_``. Here neither the fit on all rows
    nor the refits run the checks of :mod:`causalmix.diagnostics` (on 2^16 rows at the cap of
    components, their extra (K + 1)-component fit costs ten times the fit).
    """
    from sklearn.base import clone
    from threadpoolctl import threadpool_limits

    from causalmix.estimator import MixtureUTIGSP

    estimator = MixtureUTIGSP() if estimator is None else estimator
    _check_estimator(estimator)
    check_positive_int(n_resamples, "n_resamples")
    n_rows = np.shape(X)[0] if np.ndim(X) == 2 else 0  # other shapes: the estimator's message
    rows_per_refit(n_rows, fraction, bootstrap)
    rng = check_random_state(random_state)
    reference = clone(estimator)
    if "n_resamples" in reference.get_params():
        reference.set_params(n_resamples=0)
    reference.set_params(random_state=rng.spawn(1)[0])
    with threadpool_limits(limits=1):  # as the refits; see n_jobs
        if progress is None:
            fit_without_checks(reference, X)
        else:
            fit_without_checks(reference, X, progress=progress)
    arr = np.asarray(X, dtype=np.float64)
    return resample_fit(
        arr,
        reference,
        n_resamples=n_resamples,
        fraction=fraction,
        bootstrap=bootstrap,
        n_jobs=n_jobs,
        random_state=rng,
        progress=progress,
    )
