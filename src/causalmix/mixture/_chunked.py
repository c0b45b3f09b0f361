"""EM passes and per-component statistics over row blocks: memory bounded by the block size.

For data too long for the in-memory EM of :mod:`causalmix.mixture._gaussian` (which keeps
``(K, N)`` responsibilities and, for short data, an ``(N, p (p + 1) / 2)`` feature matrix), every
pass here visits the rows block by block and keeps only sums: one pass of :func:`em_block` per block is an
E-step and the M-step's sufficient statistics at once (``sum log p(x)``, ``n_c``,
``sum r x`` and ``sum r x xᵀ`` per component), :func:`summary_block` gives the final
per-component statistics (effective sizes and intercept-augmented Grams, as
:meth:`SufficientStatistics.from_responsibilities`) and the most probable component of every row.

The E-step is the Cholesky (whitened) form, ``||(x - mu_c) U_c||²`` for all components in one
``(rows, p) @ (p, K p)`` product per block, ``N p² K`` multiply-adds per pass and no per-row
feature vector (the arithmetic of :func:`~causalmix.mixture._gaussian.cholesky_log_prob_t`, kept
separate: its sub-blocks and output layout give other roundings downstream); the M-step's second moments are :func:`~causalmix.mixture._gaussian.second_moments`
(one GEMM per block against the rows scaled by every component's responsibilities). Both are
exact for any data (no expanded quadratic form).

A *source* is a sequence of blocks: :func:`array_blocks` cuts an in-memory array, and
:mod:`causalmix.mixture._dask` maps the same block functions over a ``dask.array`` (threads or a
``dask.distributed`` cluster). Block results are summed in block order by :func:`sum_parts`
on both paths, so that equal blocks give bit-identical sums.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

import numpy as np

from causalmix.mixture._em_loop import iterate_em
from causalmix.mixture._gaussian import (
    EPS,
    LOG_2PI,
    EMResult,
    Params,
    compute_precision_cholesky,
    finite_ll,
    normalise_t,
    second_moments,
)

__all__ = [
    "DEFAULT_CHUNK",
    "EMSums",
    "Mapper",
    "array_blocks",
    "column_mean",
    "em_block",
    "em_sums",
    "labels_block",
    "log_resp_block",
    "map_in_memory",
    "moments_block",
    "params_from_sums",
    "run_em",
    "sum_parts",
    "summary_block",
]

DEFAULT_CHUNK = 16384  # rows per block of the in-memory chunked path


class EMSums(NamedTuple):
    """Sums over rows of one EM pass (the E-step's log-likelihood and the M-step's moments)."""

    loglik: float  # sum_n log p(x_n) under the parameters of the E-step
    n_rows: int
    nk: np.ndarray  # (K,) sum_n r_nc
    first: np.ndarray  # (K, p) sum_n r_nc (x_n - center)
    second: np.ndarray  # (K, p, p) sum_n r_nc (x_n - center)(x_n - center)ᵀ


class RowBlocks(Sequence):
    """The row blocks of ``X`` of at most ``chunk_size`` rows, each cut when it is read.

    Views of an ndarray; for an array that computes its rows on access
    (:class:`~causalmix.preprocessing.ScaledRows`) one block exists at a time, not all of them.
    """

    def __init__(self, X: np.ndarray, chunk_size: int) -> None:
        self.X, self.size = X, chunk_size

    def __len__(self) -> int:
        return -(-self.X.shape[0] // self.size)

    def __getitem__(self, i: int) -> np.ndarray:  # type: ignore[override]
        if not -len(self) <= i < len(self):
            raise IndexError(f"block {i} of {len(self)}")
        start = (i % len(self)) * self.size
        return self.X[start : start + self.size]


def array_blocks(X: np.ndarray, chunk_size: int) -> RowBlocks:
    """Row blocks of ``X`` of at most ``chunk_size`` rows (:class:`RowBlocks`)."""
    return RowBlocks(X, chunk_size)


def sum_parts(parts: Iterable[tuple]) -> tuple:
    """Element-wise sum of block results (tuples of arrays or numbers), in block order.

    A running sum: a generator of parts is consumed one block at a time, never held whole.
    """
    parts = iter(parts)
    total = [np.array(x, dtype=np.float64, copy=True) for x in next(parts)]
    for part in parts:
        for acc, x in zip(total, part, strict=True):
            acc += x
    return tuple(total)


def log_resp_block(block: np.ndarray, center: np.ndarray, params: Params) -> np.ndarray:
    """``log pi_c + log N(x; mu_c, Sigma_c)`` of one block, shape (K, rows), Cholesky form."""
    k, p = params.means.shape
    U = params.precisions_cholesky
    Xc = block - center
    y = Xc @ U.transpose(1, 0, 2).reshape(p, k * p)  # column block c is (x - 0) U_c
    y -= np.einsum("ki,kij->kj", params.means, U).reshape(1, k * p)
    y *= y
    sq = y.reshape(-1, k, p).sum(axis=2).T
    log_det = np.log(np.diagonal(U, axis1=1, axis2=2)).sum(axis=1)
    sq *= -0.5
    sq += (log_det - 0.5 * p * LOG_2PI + np.log(params.weights))[:, None]
    return sq


def em_block(block: np.ndarray, center: np.ndarray, params: Params) -> tuple:
    """One block's contribution to an EM pass: (loglik, rows, n_c, first, second moments)."""
    block = np.asarray(block, dtype=np.float64)
    log_norm, resp = normalise_t(log_resp_block(block, center, params))
    Xc = block - center
    return log_norm.sum(), block.shape[0], resp.sum(axis=1), resp @ Xc, second_moments(Xc, resp)


def summary_block(
    block: np.ndarray, center: np.ndarray, params: Params, labels: np.ndarray | None = None
) -> tuple:
    """One block's final statistics: (n_c, Grams about ``center`` (K, p+1, p+1), sum r x).

    ``labels``, if given, receives the block's most probable components (as :func:`labels_block`,
    from the same E-step).
    """
    block = np.asarray(block, dtype=np.float64)
    weighted = log_resp_block(block, center, params)
    if labels is not None:
        np.argmax(weighted, axis=0, out=labels)
    _, resp = normalise_t(weighted)
    p = params.means.shape[1]
    xt = np.empty((block.shape[0], p + 1))
    xt[:, :p] = block - center
    xt[:, p] = 1.0
    return resp.sum(axis=1), second_moments(xt, resp), resp @ block


def labels_block(block: np.ndarray, center: np.ndarray, params: Params) -> np.ndarray:
    """Most probable component of every row of one block."""
    return np.argmax(log_resp_block(np.asarray(block, dtype=np.float64), center, params), axis=0)


def moments_block(block: np.ndarray) -> tuple:
    """(rows, column sums) of one block: for the data's mean."""
    block = np.asarray(block, dtype=np.float64)
    return block.shape[0], block.sum(axis=0)


Mapper = Callable[[Callable, tuple], tuple]


def map_in_memory(blocks: Sequence[np.ndarray]) -> Mapper:
    """A mapper ``(function, extra args) -> summed block results`` over in-memory blocks."""

    def mapper(function: Callable, args: tuple) -> tuple:
        return sum_parts(function(b, *args) for b in blocks)

    return mapper


def params_from_sums(sums: EMSums, reg_covar: float) -> Params:
    """M-step from one pass's sums (scikit-learn's: ``n_c + 10 eps``, ``reg_covar`` on the diagonal)."""
    nk = sums.nk + EPS
    means = sums.first / nk[:, None]
    covariances = sums.second / nk[:, None, None] - means[:, :, None] * means[:, None, :]
    covariances = 0.5 * (covariances + covariances.transpose(0, 2, 1))
    p = means.shape[1]
    covariances.reshape(-1, p * p)[:, :: p + 1] += reg_covar
    return Params(nk / nk.sum(), means, covariances, compute_precision_cholesky(covariances))


def em_sums(mapper: Mapper, center: np.ndarray, params: Params) -> EMSums:
    """One E-step over every block, returning the sums of :class:`EMSums`."""
    ll, n, nk, first, second = mapper(em_block, (center, params))
    return EMSums(float(ll), int(n), nk, first, second)


def run_em(
    mapper: Mapper,
    center: np.ndarray,
    params: Params,
    *,
    tol: float,
    reg_covar: float,
    max_iter: int,
) -> EMResult:
    """EM over blocks from ``params`` (means relative to ``center``), scikit-learn's stopping rule.

    The iterates are those of :func:`causalmix.mixture._em_loop.run_em` on the same rows up to
    rounding: each round (:func:`~causalmix.mixture._em_loop.iterate_em`) is one pass, the
    E-step's log-likelihood and the M-step's sums at once, and a last pass gives ``l`` of the
    returned parameters.
    """

    def step(theta: Params) -> tuple[float, Params]:
        sums = em_sums(mapper, center, theta)
        return _mean_ll(sums), params_from_sums(sums, reg_covar)

    def final(theta: Params) -> float:
        return _mean_ll(em_sums(mapper, center, theta))

    return iterate_em(step, final, params, tol=tol, max_iter=max_iter)


def _mean_ll(sums: EMSums) -> float:
    return finite_ll(float(sums.loglik / sums.n_rows))


def column_mean(mapper: Mapper) -> tuple[int, np.ndarray]:
    """(rows, column means) in one pass."""
    n, sums = mapper(moments_block, ())
    return int(n), sums / n
