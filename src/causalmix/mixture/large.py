"""Mixtures of many rows: selection on a sample, EM rounds and statistics on all rows block-wise.

For data longer than ``selection_size`` rows (or given as a ``dask.array``) the pipeline is

1. the number of components is chosen (:func:`causalmix.mixture.select_n_components`) on a
   random sample of ``selection_size`` rows held in memory: 2^17 rows by default, which leaves
   every data set of the paper's sizes (N <= 2^17) on the in-memory path unchanged, and gives each
   of K components ``2^17 / K`` rows, many more than the ``O(p² log N)`` BIC asks for a component
   at p <= 50;
2. the chosen mixture is refined by EM on all rows (warm start), every pass visiting the rows
   block by block (:mod:`causalmix.mixture._chunked`);
3. the per-component statistics UT-IGSP consumes (effective sizes and Grams) and the most probable
   component of every row come from one more block-wise pass.

Memory is the sample plus a few blocks of ``chunk_size`` rows: no ``(N, K)`` responsibilities,
no ``(N, p²)`` features. With a ``dask.array`` the passes are dask tasks, one per row block (the
array's chunks), summed in block order: the same code runs on a laptop's threads or a
``dask.distributed`` cluster (install ``causalmix[dask]``), and gives the same numbers as the
in-memory path with ``chunk_size`` equal to the dask chunk rows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from causalmix._validation import check_positive_int
from causalmix.mixture._chunked import (
    DEFAULT_CHUNK,
    array_blocks,
    column_mean,
    map_in_memory,
    run_em,
    sum_parts,
    summary_block,
)
from causalmix.mixture._dask import (
    check_matrix,
    frame_to_array,
    is_dask_array,
    is_dask_frame,
)
from causalmix.mixture._dask import labels as dask_labels
from causalmix.mixture._dask import mapper as dask_mapper
from causalmix.mixture._dask import take_rows as dask_take_rows
from causalmix.mixture._fit import GaussianMixtureFit, centred_params, to_fit
from causalmix.stats.suffstats import SufficientStatistics

__all__ = [
    "DEFAULT_CHUNK",
    "IN_MEMORY_ROWS",
    "MixtureSummary",
    "check_fit_input",
    "column_ranges",
    "fit_fixed",
    "is_dask_array",
    "is_dask_input",
    "refine",
    "responsibilities",
    "sample_rows",
    "summarise",
    "take_rows",
]

logger = logging.getLogger(__name__)

IN_MEMORY_ROWS = 2**17  # above this many rows the pipeline takes the block-wise path


def is_dask_input(X: object) -> bool:
    """Whether ``X`` is a ``dask.array`` or a ``dask.dataframe.DataFrame`` (the dask path)."""
    return is_dask_array(X) or is_dask_frame(X)


@dataclass(frozen=True, eq=False)
class MixtureSummary:
    """What the pipeline needs from all rows once the mixture is fitted (immutable).

    Attributes
    ----------
    statistics : SufficientStatistics
        Responsibility-weighted statistics per component, centred at the mean of all rows
        (as :func:`causalmix.mixture.component_statistics`).
    labels : ndarray of shape (N,) or dask.array
        Most probable component of every row (lazy for a ``dask.array`` input).
    effective_sizes : ndarray of shape (K,)
        ``sum_i r_ic``.
    """

    statistics: SufficientStatistics
    labels: object
    effective_sizes: np.ndarray


def _mapper(X: object, chunk_size: int | None):
    if is_dask_array(X):
        return dask_mapper(X)
    size = DEFAULT_CHUNK if chunk_size is None else chunk_size
    size = check_positive_int(size, "chunk_size")
    return map_in_memory(array_blocks(X, size))


def sample_rows(X: object, size: int, rng: np.random.Generator) -> np.ndarray:
    """``min(size, N)`` distinct rows drawn at random, in their original order, in memory."""
    return take_rows(X, np.sort(rng.choice(X.shape[0], size=min(size, X.shape[0]), replace=False)))


def take_rows(X: object, idx: np.ndarray) -> np.ndarray:
    """Rows ``idx`` (sorted) of an array or a ``dask.array``, in memory."""
    if is_dask_array(X):
        return dask_take_rows(X, idx)
    return X[idx]


def refine(
    X: object,
    mixture: GaussianMixtureFit,
    *,
    tol: float = 1e-4,
    max_iter: int = 500,
    chunk_size: int | None = None,
) -> GaussianMixtureFit:
    """EM on all rows of ``X`` from ``mixture`` (warm start), block by block.

    Parameters
    ----------
    X : ndarray or dask.array of shape (N, p)
    mixture : GaussianMixtureFit
        Start, e.g. a fit on a sample; its ``reg_covar`` is kept.
    tol, max_iter
        scikit-learn's stopping rule on the mean log-likelihood.
    chunk_size : int, optional
        Rows per block of an in-memory ``X`` (default 16384); a dask array uses its chunks.

    Returns
    -------
    GaussianMixtureFit
        ``log_likelihood`` and ``n_samples`` refer to all rows.
    """
    mapper = _mapper(X, chunk_size)
    n, center = column_mean(mapper)
    params = centred_params(mixture, center)
    result = run_em(mapper, center, params, tol=tol, reg_covar=mixture.reg_covar, max_iter=max_iter)
    logger.info(
        "refined %d components on %d rows in %d EM passes (mean log-likelihood %.4f)",
        mixture.n_components,
        n,
        result.n_iter,
        result.log_likelihood,
    )
    return to_fit(result, center, n, mixture.reg_covar)


def summarise(
    X: object, mixture: GaussianMixtureFit, *, chunk_size: int | None = None
) -> MixtureSummary:
    """Per-component statistics and labels of all rows, one block-wise pass each.

    The statistics equal ``component_statistics(X, mixture)`` up to rounding (both centre the
    Grams at the mean of ``X``).
    """
    mapper = _mapper(X, chunk_size)
    _, center = column_mean(mapper)
    params = centred_params(mixture, center)
    if is_dask_array(X):
        nk, grams, sums = mapper(summary_block, (center, params))
        labels = dask_labels(X, center, params)
    else:  # the labels from the statistics' E-step: one pass over the rows, not two
        size = DEFAULT_CHUNK if chunk_size is None else chunk_size
        labels = np.empty(X.shape[0], dtype=np.intp)
        nk, grams, sums = sum_parts(
            summary_block(X[s : s + size], center, params, labels[s : s + size])
            for s in range(0, X.shape[0], size)
        )
    if np.any(nk <= 0):
        raise ValueError(f"every component needs positive total weight, got {nk.tolist()}")
    stats = SufficientStatistics(nk, sums / nk[:, None], grams, center)
    return MixtureSummary(stats, labels, nk)


def check_fit_input(estimator: object, X: object) -> object:
    """Validate a dask array or DataFrame for ``MixtureUTIGSP.fit``; set the input attributes.

    A ``dask.dataframe.DataFrame`` becomes a dask array with known chunk lengths, cut into
    blocks of 16384 rows (``DEFAULT_CHUNK``); its column names become the node names.
    Sets ``n_features_in_`` and ``node_names_`` (else ``X0 .. X{p-1}``), and removes a stale
    ``feature_names_in_``.
    """
    names = None
    if is_dask_frame(X):
        X, names = frame_to_array(X)
    X = check_matrix(X)
    p = X.shape[1]
    estimator.n_features_in_ = p
    estimator.node_names_ = names or [f"X{i}" for i in range(p)]
    if hasattr(estimator, "feature_names_in_"):
        del estimator.feature_names_in_
    return X


def column_ranges(X: object) -> np.ndarray:
    """``max - min`` of every column (one pass over a dask array)."""
    if is_dask_array(X):
        return np.asarray((X.max(axis=0) - X.min(axis=0)).compute())
    return np.ptp(X, axis=0)


def fit_fixed(
    X: object,
    n_components: int,
    *,
    reg_covar: float,
    rng: np.random.Generator,
    selection_size: int | None = None,
    chunk_size: int | None = None,
) -> GaussianMixtureFit:
    """A ``n_components`` mixture: k-means-started EM on a sample of ``selection_size`` rows
    (default ``IN_MEMORY_ROWS``), then EM on all rows."""
    from causalmix.mixture.em import fit_mixture

    size = min(IN_MEMORY_ROWS if selection_size is None else selection_size, X.shape[0])
    start = fit_mixture(
        sample_rows(X, size, rng), n_components, reg_covar=reg_covar, random_state=rng
    )
    return refine(X, start, chunk_size=chunk_size)


def responsibilities(X: object, rows: np.ndarray, mixture: GaussianMixtureFit) -> np.ndarray:
    """Responsibilities of the rows selected by the boolean mask ``rows``, shape (n_rows, K).

    Raises
    ------
    ValueError
        For a dask array (observational rows are given by index into in-memory data only).
    """
    if is_dask_array(X):
        raise ValueError(
            "observational_rows is not supported with a dask array X; pass observational=<index>"
        )
    return mixture.predict_proba(X[rows])
