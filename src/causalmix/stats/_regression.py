"""Regressions on Gram matrices and the Wald / variance-ratio statistics of the invariance test.

Private numerics of :mod:`causalmix.stats.invariance` (see its notes for the test). Two paths:

- **batched** (:func:`fit_batch`, :func:`wald_batch`): many ``(node, conditioning set)`` queries x
  all components in a few vectorised LAPACK calls; conditioning sets of different sizes are padded
  to a common width with *padding variables* (zero cross-moments, unit variance, see
  :func:`padded_grams`), which decouple from the real block and change no statistic. All the
  (positive-definite) systems of a batch are solved by one banded Cholesky call (the blocks of a
  block-diagonal matrix, :func:`_spd_solve`). It raises ``numpy.linalg.LinAlgError`` on any
  matrix that is not numerically positive definite; the caller then uses
- the **robust** single-query path (:func:`fit`, :func:`wald`): pseudo-inverses for singular
  regressor Grams and a Wald test restricted to the coefficient directions both regressions
  determine.

Notes
-----
With ``M = v_b A_b⁻¹ + v_k A_k⁻¹ = A_b⁻¹ (v_b A_k + v_k A_b) A_k⁻¹`` the Wald form is
``dᵀ M⁻¹ d = (A_k d)ᵀ (v_b A_k + v_k A_b)⁻¹ (A_b d)``: one linear solve per pair and no inverse
(``v_b A_k + v_k A_b`` is positive definite when both Grams are and a variance is positive).
"""

from __future__ import annotations

import functools
import logging

import numpy as np
from scipy import special
from scipy.linalg import lapack, solve_triangular

__all__ = [
    "Regression",
    "fit",
    "fit_batch",
    "padded_grams",
    "two_sided_f",
    "two_sided_f_bounds",
    "variance_bounds",
    "wald",
    "wald_batch",
    "wald_bounds_table",
]

logger = logging.getLogger(__name__)

# In the singular fallback only: eigenvalues below this fraction of the largest count as zero.
_RANK_RTOL = 1e-10

# b (K, m), A (K, m, m), v (K,), and for a singular regression (pseudo-inverses (K, m, m), null
# space bases per component (None where A_h is positive definite)); None when all are regular
Regression = tuple[
    np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, list[np.ndarray | None]] | None
]


@functools.lru_cache(maxsize=64)
def _band_index(w: int) -> np.ndarray:
    """Flat positions in a ``(w, w)`` block of the lower band storage of that block (row
    ``c + dd``, column ``c`` at band entry ``[c, dd]``); ``w * w`` (an appended zero) outside
    the block. Read-only; cached per width (at most the number of nodes)."""
    c, dd = np.arange(w)[:, None], np.arange(w)[None, :]
    index = np.where(c + dd < w, (c + dd) * w + c, w * w).ravel()
    index.setflags(write=False)
    return index


def _spd_solve(A: np.ndarray, rhs: np.ndarray, overwrite_rhs: bool = False) -> np.ndarray:
    """Solve the symmetric positive-definite systems ``A x = rhs`` (``A (..., w, w)``,
    ``rhs (..., w)``) with one LAPACK call: the matrices are the blocks of one block-diagonal
    band matrix (bandwidth ``w - 1``), factorised and solved by ``dpbsv`` (Cholesky). Raises
    ``numpy.linalg.LinAlgError`` if some block is not numerically positive definite.
    ``overwrite_rhs``: a contiguous ``rhs`` may receive the solution."""
    w = A.shape[-1]
    index = _band_index(w)
    blocks = A.reshape(-1, w * w)
    band = np.concatenate([blocks, np.zeros((blocks.shape[0], 1))], axis=1)[:, index]
    # the band (Fortran-ordered, owned here) is factorised in place
    _, x, info = lapack.dpbsv(
        band.reshape(-1, w).T,
        rhs.reshape(-1, 1),
        lower=1,
        overwrite_ab=1,
        overwrite_b=int(overwrite_rhs),
    )
    if info != 0 or not np.all(np.isfinite(x)):
        raise np.linalg.LinAlgError("a matrix of the batch is not positive definite")
    return x.reshape(rhs.shape)


def _residual_variances(
    b: np.ndarray, c: np.ndarray, gii: np.ndarray, n: np.ndarray, m: int | np.ndarray
) -> np.ndarray:
    """``v = (G_ii - bᵀc) / (n - m)`` (0 when ``n <= m``); leading batch axes allowed."""
    rss = gii - (b * c).sum(axis=-1)
    np.maximum(rss, 0.0, out=rss)
    dof = n - m
    if dof.min() > 0:
        return rss / dof
    return np.where(dof > 0, rss / np.where(dof > 0, dof, 1.0), 0.0)


def padded_grams(grams: np.ndarray) -> np.ndarray:
    """``grams`` (K, p+1, p+1) extended by ``p - 1`` padding variables: identity block, zero
    cross-moments — enough to pad any conditioning set to the largest one, ``p - 1`` nodes."""
    K, q, _ = grams.shape
    out = np.zeros((K, 2 * q - 2, 2 * q - 2))
    out[:, :q, :q] = grams
    pad = np.arange(q, 2 * q - 2)
    out[:, pad, pad] = 1.0
    out.setflags(write=False)
    return out


def fit_batch(
    grams: np.ndarray, n: np.ndarray, nodes: np.ndarray, idx: np.ndarray, m: int | np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Regressions of ``X_nodes[q]`` on the columns ``idx[q]`` (conditioning set, intercept,
    padding) in every component: ``b (Q, K, w)``, ``A (Q, K, w, w)``, ``v (Q, K)``.

    ``m`` (scalar or ``(Q, 1)``) is each query's true number of regressors. Raises
    ``numpy.linalg.LinAlgError`` if some regressor Gram is not positive definite.
    """
    K, q = grams.shape[0], grams.shape[1]
    if idx.size * idx.shape[1] * K >= 2048:
        # many matrices: gathers from the flat Grams are cheaper than broadcast fancy indexing
        flat = grams.reshape(-1)
        offsets = np.arange(0, K * q * q, q * q)[None, :, None]
        A = flat.take(offsets[..., None] + (idx[:, :, None] * q + idx[:, None, :])[:, None])
        c = flat.take(offsets + (idx * q + nodes[:, None])[:, None])
    else:
        hs = np.arange(K)[None, :, None]
        A = grams[hs[..., None], idx[:, None, :, None], idx[:, None, None, :]]
        c = grams[hs, idx[:, None, :], nodes[:, None, None]]
    b = _spd_solve(A, c)  # positive definite, or LinAlgError
    return b, A, _residual_variances(b, c, grams[:, nodes, nodes].T, n, m)


def _inverse_blocks(A: np.ndarray) -> tuple[np.ndarray, list[np.ndarray | None]]:
    """Per matrix: the inverse and None if positive definite, else the pseudo-inverse and an
    orthonormal basis ``(m, q)`` of its numerical null space."""
    out = np.empty_like(A)
    null: list[np.ndarray | None] = []
    eye = np.eye(A.shape[1])
    for h in range(A.shape[0]):
        # the inverse comes from the Cholesky factor itself: a separate LU inversion can call a
        # barely positive-definite matrix singular (seen on log-transformed Sachs data)
        try:
            L = np.linalg.cholesky(A[h])
            L_inv = solve_triangular(L, eye, lower=True)
            inverse = L_inv.T @ L_inv
            if not np.all(np.isfinite(inverse)):
                raise np.linalg.LinAlgError("non-finite inverse")
        except np.linalg.LinAlgError:
            w, V = np.linalg.eigh(A[h])
            keep = w > _RANK_RTOL * max(float(w[-1]), 0.0)
            out[h] = (V[:, keep] / w[keep]) @ V[:, keep].T
            null.append(V[:, ~keep])
            logger.debug("singular regressor Gram in component %d; pseudo-inverse", h)
        else:
            out[h] = inverse
            null.append(None)
    return out, null


def fit(grams: np.ndarray, n: np.ndarray, i: int, cond: list[int]) -> Regression:
    """Per-component regressions of ``X_i`` on ``X_cond`` and an intercept (any Grams)."""
    idx = [*cond, grams.shape[1] - 1]
    try:
        b, A, v = fit_batch(grams, n, np.array([i]), np.array([idx]), len(idx))
    except np.linalg.LinAlgError:
        pass
    else:
        return b[0], A[0], v[0], None
    A = grams[:, idx][:, :, idx]
    c = grams[:, idx, i]
    inv, null = _inverse_blocks(A)
    b = np.matmul(inv, c[..., None])[..., 0]
    return b, A, _residual_variances(b, c, grams[:, i, i], n, len(idx)), (inv, null)


def wald_batch(
    b: np.ndarray,
    A: np.ndarray,
    v: np.ndarray,
    base: int,
    others: np.ndarray | slice,
    m: int | np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Wald statistics ``W`` and variance ratios ``R`` of the components ``others`` (indices or a
    slice) against ``base``, each ``(Q, len(others))``, from :func:`fit_batch` output (padded
    coefficients are 0 everywhere and drop out). Raises ``numpy.linalg.LinAlgError`` on a system
    that is not numerically positive definite."""
    d = b[:, base, None, :] - b[:, others]
    Ab, Ak = A[:, base, None], A[:, others]
    vb, vk = v[:, base, None], v[:, others]
    N = vb[..., None, None] * Ak + vk[..., None, None] * Ab
    x = _spd_solve(N, np.matmul(Ab, d[..., None])[..., 0], overwrite_rhs=True)
    W = (np.matmul(Ak, d[..., None])[..., 0] * x).sum(axis=-1) / m
    with np.errstate(divide="ignore", invalid="ignore"):
        R = vb / vk
    return W, R


def _estimable_wald(
    d: np.ndarray, M: np.ndarray, null_base: np.ndarray | None, null_k: np.ndarray | None
) -> tuple[float, int]:
    """Wald statistic restricted to the coefficient directions both regressions determine.

    A singular regressor Gram (e.g. a regressor held constant by a do-intervention, collinear with
    the intercept) leaves the coefficients undetermined along its null space: the limit of an
    almost-constant regressor, whose coefficient variance grows without bound there. Those
    directions are projected out; returns ``(W, r)`` with ``r`` the number of directions kept.
    """
    Z = np.hstack([z for z in (null_base, null_k) if z is not None])
    U, sv, _ = np.linalg.svd(Z)
    E = U[:, int(np.count_nonzero(sv > 1e-8)) :]  # orthonormal basis of the estimable directions
    r = E.shape[1]
    if r == 0:
        return 0.0, 0
    e = E.T @ d
    Me = E.T @ M @ E
    try:
        x = np.linalg.solve(Me, e)
    except np.linalg.LinAlgError:
        x = np.linalg.pinv(Me, hermitian=True) @ e
    return float(e @ x) / r, r


def wald(
    reg: Regression, base: int, others: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``(W, R, dfn)`` of one query against every component in ``others``.

    ``dfn`` is None on the regular path (``m`` numerator degrees of freedom); after a singular
    regression or Wald system it holds the numerator degrees of freedom of each ``W`` (0: nothing
    estimable to compare).
    """
    b, A, v, singular = reg
    m = b.shape[1]
    if singular is None:
        try:
            W, R = wald_batch(b[None], A[None], v[None], base, others, m)
        except np.linalg.LinAlgError:
            pass
        else:
            return W[0], R[0], None
        inv, null = _inverse_blocks(A)
    else:
        inv, null = singular
    d = b[base] - b[others]
    M = v[base] * inv[base] + v[others, None, None] * inv[others]
    try:
        x = np.linalg.solve(M, d[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        logger.debug("singular Wald matrix; pinv fallback")
        x = np.matmul(np.linalg.pinv(M, hermitian=True), d[:, :, None])[:, :, 0]
    W = (d * x).sum(axis=1) / m
    dfn = np.full(W.shape, float(m))
    for pos, k in enumerate(others.tolist()):
        if null[base] is not None or null[k] is not None:
            W[pos], dfn[pos] = _estimable_wald(d[pos], M[pos], null[base], null[k])
    with np.errstate(divide="ignore", invalid="ignore"):
        R = v[base] / v[others]
    return W, R, dfn


def two_sided_f(x: np.ndarray, dfn: object, dfd: object) -> np.ndarray:
    """``2 min(F(x), 1 - F(x))`` for the F distribution with ``(dfn, dfd)`` degrees of freedom."""
    return 2.0 * np.minimum(special.fdtr(dfn, dfd, x), special.fdtrc(dfn, dfd, x))


def two_sided_f_bounds(level: float, dfn: object, dfd: object) -> tuple[np.ndarray, np.ndarray]:
    """``(lo, hi)`` with ``two_sided_f(x, dfn, dfd) < level`` iff ``x < lo`` or ``x > hi``.

    ``lo`` is the ``level / 2`` quantile and ``hi`` the ``1 - level / 2`` quantile, computed as
    ``1 / (level / 2 quantile of F(dfd, dfn))`` for full relative precision in the upper tail.
    """
    q = level / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        return special.fdtri(dfn, dfd, q), 1.0 / special.fdtri(dfd, dfn, q)


# Critical values of the invariance test's two F tests depend only on the level and the sample
# sizes, so testers on statistics of equal sizes (every base of a mixture, repeated fits) share
# them: pure functions of ``(level, n_base, n_others)`` behind bounded LRU caches, returning
# read-only arrays.
_BOUNDS_CACHE_SIZE = 256


def _read_only(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    for a in arrays:
        a.setflags(write=False)
    return arrays


@functools.lru_cache(maxsize=_BOUNDS_CACHE_SIZE)
def variance_bounds(
    level: float, n_base: float, n_others: tuple[float, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """``(lo, hi)`` per other component: the variance ratio ``R`` is variant iff outside them."""
    return _read_only(*two_sided_f_bounds(level, n_base - 1.0, np.array(n_others) - 1.0))


@functools.lru_cache(maxsize=_BOUNDS_CACHE_SIZE)
def wald_bounds_table(
    level: float, n_base: float, n_others: tuple[float, ...], width: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(lo, hi)`` of shape ``(width, K - 1)``: row ``m - 1`` bounds ``W`` for ``m`` regressors."""
    m = np.arange(1.0, width + 1.0)[:, None]
    return _read_only(*two_sided_f_bounds(level, m, n_base + np.array(n_others) - m))
