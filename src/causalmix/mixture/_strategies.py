"""The three rules of :func:`~causalmix.mixture.select_n_components`, one function each.

- :func:`by_drop_ratio`: the paper's :func:`drop_ratio_rule` on independent k-means-started fits;
- :func:`by_information_criterion`: BIC or ICL of grown free-covariance fits, and for sBIC
  :func:`with_interventional`, the same BIC over the interventional mixtures as well.

Each returns a :class:`Choice`; :mod:`causalmix.mixture.selection` validates the arguments and
turns it into a :class:`~causalmix.mixture.ComponentSelection`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from causalmix._validation import check_real
from causalmix.mixture._gaussian import Data, EMResult
from causalmix.mixture._progress import reporting
from causalmix.mixture._sbic import interventional_search
from causalmix.mixture._sweep import grown_sweep, paper_sweep

__all__ = [
    "Choice",
    "by_drop_ratio",
    "by_information_criterion",
    "by_k",
    "drop_ratio_rule",
    "with_interventional",
]


def drop_ratio_rule(curve: Sequence[float] | np.ndarray, cutoff: float = 0.07) -> int:
    """The paper's backward drop-ratio rule.

    Parameters
    ----------
    curve : array-like of shape (K_max,)
        ``curve[k - 1] = l_k``, the mean per-sample log-likelihood of the k-component fit.
    cutoff : float, default 0.07
        Non-negative threshold (the paper uses 0.07 in simulations).

    Returns
    -------
    int
        The largest ``k`` in ``K_max .. 2`` with ``|l_k - l_{k-1}| / |l_k| > cutoff``, else 1.
        A zero ``l_k`` gives an infinite ratio unless ``l_{k-1}`` is zero as well.

    Raises
    ------
    ValueError
        If ``curve`` is not a non-empty 1-D array of finite numbers, or ``cutoff`` is negative.

    Examples
    --------
    The Sachs curve of the paper (Table 1):

    >>> sachs = [-67.031, -59.4454, -58.1279, -56.8729, -56.5484, -56.2204, -56.0816,
    ...          -55.8046, -55.7381, -55.7098, -55.6611, -55.2302]
    >>> [drop_ratio_rule(sachs, c) for c in (0.01, 0.07, 0.15, 0.30)]
    [4, 2, 1, 1]
    """
    cutoff = check_real(cutoff, "cutoff", low=0.0)
    try:
        values = np.asarray(curve, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"curve must be a 1-D array of numbers; conversion failed: {exc}"
        ) from None
    if values.ndim != 1 or values.size == 0 or not np.all(np.isfinite(values)):
        raise ValueError(
            f"curve must be a non-empty 1-D array of finite log-likelihoods, got {values!r}"
        )
    for k in range(values.size, 1, -1):
        if _drop_ratio(values[k - 1], values[k - 2]) > cutoff:
            return k
    return 1


def _drop_ratio(current: float, previous: float) -> float:
    change = abs(current - previous)
    if current == 0.0:
        return np.inf if change > 0 else 0.0
    return change / abs(current)


class Choice(NamedTuple):
    """What one strategy found; curves indexed by k as in :class:`ComponentSelection`."""

    k: int
    fits: dict[int, EMResult]  # the fits on all rows behind the curve; fits[k] is returned
    curve: np.ndarray
    log_likelihoods: np.ndarray
    sweep_curve: np.ndarray
    n_sweep_samples: int
    bic_k: int | None = None
    interventional_curve: np.ndarray | None = None


def by_drop_ratio(
    Xc: np.ndarray,
    max_components: int,
    cutoff: float,
    rng: np.random.Generator,
    settings: dict,
    progress: Callable | None,
) -> Choice:
    """The paper's rule: :func:`drop_ratio_rule` on independent k-means-started fits."""
    with reporting(progress, max_components):
        fits = paper_sweep(Xc, max_components, rng, settings)
    lls = by_k(max_components, {k: r.log_likelihood for k, r in fits.items()})
    curve = np.full(max_components + 1, np.nan)
    for k in range(2, max_components + 1):
        curve[k] = _drop_ratio(lls[k], lls[k - 1])
    return Choice(drop_ratio_rule(lls[1:], cutoff), fits, curve, lls, curve, Xc.shape[0])


def by_information_criterion(
    Xc: np.ndarray,
    max_components: int,
    criterion: str,
    patience: int,
    sweep_size: int | None,
    batch: bool,
    rng: np.random.Generator,
    settings: dict,
    progress: Callable | None,
) -> Choice:
    """BIC or ICL of grown free-covariance fits; sBIC adds the interventional family
    (:func:`with_interventional`)."""
    data = Data(Xc)  # row features shared by every full-data fit
    base = "bic" if criterion == "sbic" else criterion
    with reporting(progress, max_components):
        fits, scores, sweep_scores, n_sweep = grown_sweep(
            data, max_components, base, patience, sweep_size, rng, settings, batch
        )
    lls = {k: r.log_likelihood for k, r in fits.items()}
    bic_k = min(scores, key=scores.get)
    s_scores = None
    if criterion == "sbic":
        with reporting(progress, max_components):
            fits, scores, lls, s_scores = with_interventional(
                data, fits, scores, lls, bic_k, max_components, rng, settings
            )
    return Choice(
        k=min(scores, key=scores.get),
        fits=fits,
        curve=by_k(max_components, scores),
        log_likelihoods=by_k(max_components, lls),
        sweep_curve=by_k(max_components, sweep_scores),
        n_sweep_samples=n_sweep,
        bic_k=bic_k if criterion == "sbic" else None,
        interventional_curve=None if s_scores is None else by_k(max_components, s_scores),
    )


def with_interventional(
    data: Data,
    fits: dict[int, EMResult],
    scores: dict[int, float],
    lls: dict[int, float],
    bic_k: int,
    max_components: int,
    rng: np.random.Generator,
    settings: dict,
) -> tuple[dict[int, EMResult], dict[int, float], dict[int, float], dict[int, float]]:
    """sBIC: one BIC over two model families, the free fits and the interventional fits from
    BIC's choice upwards (:func:`~causalmix.mixture._sbic.interventional_search`); per k the
    better one, overall the best. Returns the fits (the chosen k's the free refit of the
    interventional fit when that decided it), the merged criterion and log-likelihoods, and the
    interventional criterion."""
    s_k, s_scores, s_lls, final = interventional_search(
        data, fits[bic_k], max_components, rng, settings
    )
    scores, lls = dict(scores), dict(lls)
    for k, value in s_scores.items():
        if value < scores.get(k, np.inf):
            scores[k], lls[k] = value, s_lls[k]
    chosen = min(scores, key=scores.get)
    if chosen == s_k and chosen in s_scores and scores[chosen] == s_scores[chosen]:
        fits = {**fits, chosen: final}
    return fits, scores, lls, s_scores


def by_k(max_components: int, values: dict[int, float]) -> np.ndarray:
    out = np.full(max_components + 1, np.nan)
    for k, v in values.items():
        out[k] = v
    return out
