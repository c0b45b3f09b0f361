"""Gaussian conditional-independence test: partial correlation with Fisher's z transform.

The test runs on one component's sufficient statistics (sample size ``n`` and covariance with
``ddof=1``); UT-IGSP uses the base (observational) component [1]_.

Notes
-----
For nodes ``i, j`` and conditioning set ``S`` the partial correlation is
``r = -Θ_ij / sqrt(Θ_ii Θ_jj)`` with ``Θ = inv(Σ[M, M])``, ``M = (i, j, S)``. It is computed from a
Cholesky factor of ``Σ[(S, i, j), (S, i, j)]``: the trailing ``2 x 2`` block ``[[a, 0], [b, c]]``
factors the conditional covariance of ``(X_i, X_j)`` given ``X_S``, so ``r = b / sqrt(b² + c²)``,
which equals the precision formula and costs one ``O(|S|³)`` factorisation. When the matrix is not
numerically positive definite (e.g. a do-intervened, near-constant variable) the precision formula
is evaluated with a pseudo-inverse instead.

The statistic is ``z = sqrt(n - |S| - 3) |atanh r|`` with two-sided p-value ``2 (1 - Φ(z))``;
``X_i, X_j`` are dependent iff ``p < alpha``. ``|r| = 1`` is dependent; an undefined ``r`` (NaN) or
``n - |S| - 3 <= 0`` is independent.

References
----------
.. [1] C. Squires, Y. Wang and C. Uhler. Permutation-based causal structure learning with unknown
   intervention targets. UAI 2020, arXiv:1910.09007.
.. [2] R. A. Fisher. The distribution of the partial correlation coefficient. Metron 3, 1924.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable

import numpy as np

from causalmix._validation import check_alpha, check_real
from causalmix.stats.suffstats import SufficientStatistics, check_statistics
from causalmix.stats.testers import check_node_index, check_nodes_mask, mask_to_nodes

__all__ = ["GaussianCITester", "partial_correlation", "partial_correlation_test"]

logger = logging.getLogger(__name__)

_SQRT2 = math.sqrt(2.0)


def _partial_correlation(cov: np.ndarray, i: int, j: int, cond: list[int]) -> float:
    """Partial correlation of ``i, j`` given ``cond`` (no validation; NaN when undefined)."""
    if not cond:
        denom = cov[i, i] * cov[j, j]
        return float(cov[i, j] / math.sqrt(denom)) if denom > 0 else math.nan
    idx = [*cond, i, j]
    sub = cov[np.ix_(idx, idx)]
    try:
        L = np.linalg.cholesky(sub)
    except np.linalg.LinAlgError:
        logger.debug("covariance block %s not positive definite; pinv fallback", idx)
        theta = np.linalg.pinv(sub, hermitian=True)
        denom = theta[-2, -2] * theta[-1, -1]
        return float(-theta[-2, -1] / math.sqrt(denom)) if denom > 0 else math.nan
    b, c = L[-1, -2], L[-1, -1]
    norm = math.hypot(b, c)
    return float(b / norm) if norm > 0 else math.nan


def _partial_correlation_small(rows: list[list[float]], i: int, j: int, cond: list[int]) -> float:
    """:func:`_partial_correlation` for small ``cond`` by a plain-Python Cholesky of the
    ``(cond, i, j)`` block (``rows``: the covariance as nested lists) — no numpy call overhead.
    Falls back to the numpy route when a pivot is not positive."""
    idx = [*cond, i, j]
    L: list[list[float]] = []
    for a, ia in enumerate(idx):
        ra = rows[ia]
        row: list[float] = []
        for b in range(a):
            Lb = L[b]
            s = ra[idx[b]]
            for k in range(b):
                s -= row[k] * Lb[k]
            row.append(s / Lb[b])
        d = ra[ia]
        for x in row:
            d -= x * x
        if not d > 0:
            return _partial_correlation(np.array(rows), i, j, cond)
        row.append(math.sqrt(d))
        L.append(row)
    b, c = L[-1][-2], L[-1][-1]
    return b / math.hypot(b, c)


def _fisher_z(r: float, n: float, n_cond: int) -> tuple[float, float]:
    """Fisher-z statistic and two-sided p-value of a partial correlation."""
    dof = n - n_cond - 3
    if dof <= 0 or math.isnan(r):
        return 0.0, 1.0
    if abs(r) >= 1.0:
        return math.inf, 0.0
    z = math.sqrt(dof) * abs(math.atanh(r))
    return z, math.erfc(z / _SQRT2)  # erfc(z / sqrt 2) = 2 (1 - Φ(z))


def _check_covariance(covariance: object) -> np.ndarray:
    cov = np.array(covariance, dtype=np.float64)
    if cov.ndim != 2 or cov.shape[0] != cov.shape[1] or cov.shape[0] < 2:
        raise ValueError(f"covariance must be a square (p, p) matrix with p >= 2, got {cov.shape}")
    if not np.all(np.isfinite(cov)):
        raise ValueError("covariance must have finite entries")
    if not np.allclose(cov, cov.T, rtol=1e-8, atol=1e-12):
        raise ValueError("covariance must be symmetric")
    cov.setflags(write=False)
    return cov


def partial_correlation(covariance: object, i: int, j: int, cond: Iterable[int] = ()) -> float:
    """Partial correlation of ``X_i`` and ``X_j`` given ``X_cond``.

    Parameters
    ----------
    covariance : array-like of shape (p, p)
    i, j : int
        Distinct node indices.
    cond : iterable of int
        Conditioning set, not containing ``i`` or ``j``.

    Returns
    -------
    float
        ``-Θ_ij / sqrt(Θ_ii Θ_jj)`` with ``Θ`` the inverse of the ``(i, j, cond)`` block; NaN when
        undefined (a zero conditional variance).

    Raises
    ------
    ValueError
        If the covariance is not a finite symmetric matrix or the nodes are invalid.
    """
    cov = _check_covariance(covariance)
    i, j, mask = _check_query(i, j, cond, cov.shape[0])
    return _partial_correlation(cov, i, j, mask_to_nodes(mask))


def partial_correlation_test(
    covariance: object, n: float, i: int, j: int, cond: Iterable[int] = ()
) -> tuple[float, float]:
    """Fisher-z test of ``X_i ⊥ X_j | X_cond`` from a covariance matrix and sample size.

    Parameters
    ----------
    covariance : array-like of shape (p, p)
        Sample covariance (``ddof=1``) of one component.
    n : float
        (Effective) sample size; may be fractional.
    i, j : int
        Distinct node indices.
    cond : iterable of int
        Conditioning set ``S``.

    Returns
    -------
    statistic : float
        ``z = sqrt(n - |S| - 3) |atanh r|`` (``inf`` for ``|r| = 1``, 0 when undefined).
    pvalue : float
        Two-sided ``2 (1 - Φ(z))``; 1 when ``r`` is NaN or ``n - |S| - 3 <= 0``.

    Raises
    ------
    ValueError
        On an invalid covariance, non-positive ``n`` or invalid nodes.

    References
    ----------
    .. [1] Squires, Wang & Uhler, UAI 2020, arXiv:1910.09007, Section 3.1 of docs/spec.md.
    """
    cov = _check_covariance(covariance)
    n = check_real(n, "n", low=0.0, low_inclusive=False)
    i, j, mask = _check_query(i, j, cond, cov.shape[0])
    nodes = mask_to_nodes(mask)
    return _fisher_z(_partial_correlation(cov, i, j, nodes), n, len(nodes))


def _check_query(i: object, j: object, cond: Iterable[int], p: int) -> tuple[int, int, int]:
    i = check_node_index(i, p, "i")
    j = check_node_index(j, p, "j")
    if i == j:
        raise ValueError(f"i and j must be distinct nodes, got i = j = {i}")
    mask = check_nodes_mask(cond, p, "cond")
    if mask >> i & 1 or mask >> j & 1:
        raise ValueError(f"cond must not contain i={i} or j={j}, got {mask_to_nodes(mask)}")
    return i, j, mask


class GaussianCITester:
    """Memoised partial-correlation (Fisher z) CI tester on one component's statistics.

    Parameters
    ----------
    stats : SufficientStatistics
        Per-component statistics; only component ``base`` is used.
    base : int, default 0
        The component whose covariance (``ddof=1``) and size ``n`` the tests use.
    alpha : float, default 1e-3
        Significance level: dependent iff ``p < alpha``.

    Attributes
    ----------
    n : float
        Sample size of the base component.
    covariance : ndarray of shape (p, p)
        Read-only base covariance.
    n_computed : int
        Number of tests computed so far (cache misses).

    Notes
    -----
    Answers are cached by ``(min(i, j), max(i, j), mask(S))`` — the bitmask form of the key
    ``(frozenset{i, j}, frozenset S)``. See the module notes for the maths.

    References
    ----------
    .. [1] C. Squires, Y. Wang and C. Uhler. UAI 2020, arXiv:1910.09007.
    """

    def __init__(self, stats: SufficientStatistics, base: int = 0, alpha: float = 1e-3) -> None:
        check_statistics(stats)
        self.base = check_node_index(base, stats.n_components, "base")
        n = float(stats.n[self.base])
        if n <= 1:
            raise ValueError(f"the base component needs n > 1 for a covariance, got n={n:g}")
        p = stats.n_nodes
        d = stats.means[self.base] - stats.center
        # the base's scatter matrix (SufficientStatistics.scatter, for one component)
        scatter = stats.grams[self.base, :p, :p] - n * np.outer(d, d)
        cov = (scatter + scatter.T) / (2.0 * (n - 1.0))
        self._init(cov, n, alpha)
        self.stats = stats

    @classmethod
    def from_covariance(cls, covariance: object, n: float, alpha: float = 1e-3) -> GaussianCITester:
        """Tester from a covariance matrix (``ddof=1``) and a sample size."""
        self = cls.__new__(cls)
        n = check_real(n, "n", low=0.0, low_inclusive=False)
        self._init(_check_covariance(covariance), n, alpha)
        self.base = 0
        self.stats = None
        return self

    def _init(self, cov: np.ndarray, n: float, alpha: float) -> None:
        cov = np.array(cov, dtype=np.float64)
        if not np.all(np.isfinite(cov)):
            raise ValueError("the base covariance has non-finite entries")
        cov.setflags(write=False)
        self.covariance = cov
        self.n = n
        self.alpha = check_alpha(alpha, "alpha")
        self.n_nodes = int(cov.shape[0])
        self.n_computed = 0
        self._cache: dict[tuple[int, int, int], bool] = {}
        self._precision: np.ndarray | None = None
        self._rows = cov.tolist()  # fast element access for small conditioning sets

    def _r(self, i: int, j: int, nodes: list[int]) -> float:
        """Partial correlation, by plain Python for ``|S| <= 5`` and numpy otherwise."""
        if 0 < len(nodes) <= 5:
            return _partial_correlation_small(self._rows, i, j, nodes)
        return _partial_correlation(self.covariance, i, j, nodes)

    def independent(self, i: int, j: int, cond: int) -> bool:
        """Protocol method: independence given the bitmask ``cond`` (cached, unvalidated)."""
        key = (i, j, cond) if i < j else (j, i, cond)
        ans = self._cache.get(key)
        if ans is None:
            nodes = mask_to_nodes(cond)
            ans = _fisher_z(self._r(key[0], key[1], nodes), self.n, len(nodes))[1] >= self.alpha
            self._cache[key] = ans
            self.n_computed += 1
        return ans

    def is_independent(self, i: int, j: int, cond: Iterable[int] = ()) -> bool:
        """Validated, set-based form of :meth:`independent`."""
        i, j, mask = _check_query(i, j, cond, self.n_nodes)
        return self.independent(i, j, mask)

    def test(self, i: int, j: int, cond: Iterable[int] = ()) -> tuple[float, float]:
        """``(statistic, pvalue)`` of the Fisher-z test (not cached)."""
        i, j, mask = _check_query(i, j, cond, self.n_nodes)
        nodes = mask_to_nodes(mask)
        return _fisher_z(self._r(i, j, nodes), self.n, len(nodes))

    @property
    def precision(self) -> np.ndarray:
        """Inverse of the base covariance (Cholesky; pseudo-inverse if not positive definite)."""
        if self._precision is None:
            try:
                L = np.linalg.cholesky(self.covariance)
                Linv = np.linalg.inv(L)
                prec = Linv.T @ Linv
            except np.linalg.LinAlgError:
                # not a warning: MixtureUTIGSP tries every component as the base, and reports a
                # singular covariance of the chosen one once (diagnostics: observational_covariance)
                logger.debug(
                    "base covariance (n = %.1f, p = %d) is not positive definite; using its "
                    "pseudo-inverse",
                    self.n,
                    self.n_nodes,
                )
                prec = np.linalg.pinv(self.covariance, hermitian=True)
            prec.setflags(write=False)
            self._precision = prec
        return self._precision
