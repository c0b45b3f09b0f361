"""Gaussian invariance test of a conditional law across components, from Gram matrices.

H0: the law of ``X_i | X_S`` is the same in the base component and in component ``k``. Both the
regression coefficients (intercept included, so a pure mean shift is detected) and the residual
variance are compared; the node is *variant* iff either test rejects at level ``alpha / 2`` [1]_.

Notes
-----
With ``G_h`` the intercept-augmented Gram of component ``h`` (index ``p`` is the intercept),
``idx = S + [p]`` and ``m = |S| + 1``::

    A_h = G_h[idx, idx],  c_h = G_h[idx, i],  b_h = A_h⁻¹ c_h,
    RSS_h = G_h[i, i] - b_hᵀ c_h,  v_h = RSS_h / (n_h - m)   (0 if m >= n_h)
    W = dᵀ (v_base A_base⁻¹ + v_k A_k⁻¹)⁻¹ d / m,   d = b_base - b_k,
    p_rc = 2 min(F(W; m, n_base + n_k - m), 1 - F(...)),
    R = v_base / v_k,  p_F = 2 min(F(R; n_base - 1, n_k - 1), 1 - F(...)).

One call answers every component at once (batched numpy), in ``O(K |S|³)``. The per-component
regressions do not depend on the base, so they are cached separately and shared between testers
made with :meth:`GaussianInvarianceTester.with_base`. A singular ``A_h`` (a regressor that is
constant in component ``h``, e.g. after a do-intervention) falls back to the pseudo-inverse, and a
singular Wald matrix to a pseudo-inverse solve, so a decision is always returned. As in the
reference implementation the Wald p-value is two-sided, so ``W ≈ 0`` (identical regressions, as in
exact-moment data) is reported *variant*; do not test a component against itself. A zero residual
variance in both components makes ``R`` undefined; the variance test then does not reject.

References
----------
.. [1] C. Squires, Y. Wang and C. Uhler. Permutation-based causal structure learning with unknown
   intervention targets. UAI 2020, arXiv:1910.09007.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy import special

from causalmix._validation import check_alpha
from causalmix.stats.suffstats import SufficientStatistics
from causalmix.stats.testers import check_node_index, check_nodes_mask, mask_to_nodes

__all__ = ["GaussianInvarianceTester", "InvarianceTestResult", "invariance_test"]

logger = logging.getLogger(__name__)

_Regression = tuple[np.ndarray, np.ndarray, np.ndarray]  # b (K, m), A⁻¹ (K, m, m), v (K,)


@dataclass(frozen=True)
class InvarianceTestResult:
    """All-component result of the invariance test of node ``node`` given ``cond``.

    Arrays have shape ``(K,)``; the base component's entries are NaN (``variant`` False).

    Attributes
    ----------
    node : int
    cond : tuple of int
    base : int
    coef_statistic, coef_pvalue : ndarray
        Wald statistic ``W`` and two-sided p-value ``p_rc`` of the coefficient test.
    variance_ratio, variance_pvalue : ndarray
        ``R = v_base / v_k`` and the two-sided F p-value ``p_F``.
    variant : ndarray of bool
        ``p_F < alpha / 2`` or ``p_rc < alpha / 2``.
    """

    node: int
    cond: tuple[int, ...]
    base: int
    coef_statistic: np.ndarray
    coef_pvalue: np.ndarray
    variance_ratio: np.ndarray
    variance_pvalue: np.ndarray
    variant: np.ndarray


def _inverse_blocks(A: np.ndarray) -> np.ndarray:
    """Inverses of a stack of symmetric matrices; pinv for the ones not positive definite."""
    try:
        np.linalg.cholesky(A)
        return np.linalg.inv(A)
    except np.linalg.LinAlgError:
        out = np.empty_like(A)
        for h in range(A.shape[0]):
            try:
                np.linalg.cholesky(A[h])
                out[h] = np.linalg.inv(A[h])
            except np.linalg.LinAlgError:
                logger.debug("singular regressor Gram in component %d; pinv fallback", h)
                out[h] = np.linalg.pinv(A[h], hermitian=True)
        return out


def _regressions(grams: np.ndarray, n: np.ndarray, i: int, cond: list[int]) -> _Regression:
    """Per-component regressions of ``X_i`` on ``X_cond`` and an intercept."""
    p = grams.shape[1] - 1
    idx = np.array([*cond, p])
    m = idx.size
    A = grams[:, idx[:, None], idx[None, :]]
    c = grams[:, idx, i]
    inv = _inverse_blocks(A)
    b = np.einsum("kij,kj->ki", inv, c)
    rss = np.maximum(grams[:, i, i] - np.einsum("ki,ki->k", b, c), 0.0)
    dof = n - m
    v = np.where(dof > 0, rss / np.where(dof > 0, dof, 1.0), 0.0)
    return b, inv, v


def _two_sided_f(x: np.ndarray, dfn: np.ndarray, dfd: np.ndarray) -> np.ndarray:
    return 2.0 * np.minimum(special.fdtr(dfn, dfd, x), special.fdtrc(dfn, dfd, x))


def _compare(reg: _Regression, n: np.ndarray, base: int) -> tuple[np.ndarray, ...]:
    """W, p_rc, R, p_F of every component against ``base`` (NaN at the base)."""
    b, inv, v = reg
    K, m = b.shape
    others = np.arange(K) != base
    d = b[base] - b[others]
    M = v[base] * inv[base] + v[others, None, None] * inv[others]
    try:
        x = np.linalg.solve(M, d[..., None])[..., 0]
    except np.linalg.LinAlgError:
        logger.debug("singular Wald matrix; pinv fallback")
        x = np.einsum("kij,kj->ki", np.linalg.pinv(M, hermitian=True), d)
    W = np.full(K, np.nan)
    W[others] = np.einsum("ki,ki->k", d, x) / m
    nb, nk = n[base], n[others]
    p_rc = np.full(K, np.nan)
    p_rc[others] = _two_sided_f(W[others], m, nb + nk - m)
    R = np.full(K, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        R[others] = v[base] / v[others]
    p_F = np.full(K, np.nan)
    p_F[others] = _two_sided_f(R[others], nb - 1.0, nk - 1.0)
    return W, p_rc, R, p_F


class GaussianInvarianceTester:
    """Memoised, component-batched Gaussian invariance tester.

    Parameters
    ----------
    stats : SufficientStatistics
        Statistics of all ``K`` components (fractional sizes allowed).
    base : int, default 0
        The reference component every other component is compared with.
    alpha : float, default 1e-3
        Level: variant iff ``p_F < alpha / 2`` or ``p_rc < alpha / 2``.

    Attributes
    ----------
    n_nodes, n_components : int
    n_computed : int
        Number of ``(i, S)`` batches computed for this base (cache misses).

    Notes
    -----
    :meth:`variant_mask` is cached by ``(i, mask(S))`` and answers every component ``k`` at once;
    the query ``(i, k, S)`` is bit ``k`` of the answer. See the module notes for the maths.

    References
    ----------
    .. [1] C. Squires, Y. Wang and C. Uhler. UAI 2020, arXiv:1910.09007.
    """

    def __init__(self, stats: SufficientStatistics, base: int = 0, alpha: float = 1e-3) -> None:
        if not isinstance(stats, SufficientStatistics):
            raise TypeError(f"stats must be a SufficientStatistics, got {type(stats).__name__}")
        if stats.n_components < 2:
            raise ValueError(
                f"the invariance test needs at least 2 components, got {stats.n_components}"
            )
        self.stats = stats
        self.base = check_node_index(base, stats.n_components, "base")
        self.alpha = check_alpha(alpha, "alpha")
        self.n_nodes = stats.n_nodes
        self.n_components = stats.n_components
        self.n_computed = 0
        self._grams = stats.grams
        self._n = stats.n
        self._regs: dict[tuple[int, int], _Regression] = {}
        self._cache: dict[tuple[int, int], int] = {}

    def with_base(self, base: int, alpha: float | None = None) -> GaussianInvarianceTester:
        """A tester for another base (and optionally level) sharing the regression cache."""
        new = GaussianInvarianceTester(self.stats, base, self.alpha if alpha is None else alpha)
        new._regs = self._regs
        return new

    def _regression(self, i: int, cond: int) -> _Regression:
        key = (i, cond)
        reg = self._regs.get(key)
        if reg is None:
            reg = _regressions(self._grams, self._n, i, mask_to_nodes(cond))
            self._regs[key] = reg
        return reg

    def variant_mask(self, i: int, cond: int) -> int:
        """Protocol method: bitmask of the components where ``X_i | X_cond`` differs from the base."""
        key = (i, cond)
        ans = self._cache.get(key)
        if ans is None:
            _, p_rc, _, p_F = _compare(self._regression(i, cond), self._n, self.base)
            half = self.alpha / 2.0
            variant = (p_F < half) | (p_rc < half)
            ans = 0
            for k in np.flatnonzero(variant).tolist():
                ans |= 1 << k
            self._cache[key] = ans
            self.n_computed += 1
        return ans

    def variant_components(self, i: int, cond: Iterable[int] = ()) -> frozenset[int]:
        """Validated, set-based form of :meth:`variant_mask`."""
        i, mask = self._check(i, cond)
        return frozenset(mask_to_nodes(self.variant_mask(i, mask)))

    def is_invariant(self, i: int, k: int, cond: Iterable[int] = ()) -> bool:
        """True iff ``X_i | X_cond`` is judged the same in component ``k`` as in the base."""
        i, mask = self._check(i, cond)
        k = check_node_index(k, self.n_components, "k")
        if k == self.base:
            raise ValueError(f"k must differ from the base component {self.base}, got k={k}")
        return not self.variant_mask(i, mask) >> k & 1

    def test(self, i: int, cond: Iterable[int] = ()) -> InvarianceTestResult:
        """Full statistics of the test of node ``i`` given ``cond`` against every component."""
        i, mask = self._check(i, cond)
        W, p_rc, R, p_F = _compare(self._regression(i, mask), self._n, self.base)
        half = self.alpha / 2.0
        variant = (p_F < half) | (p_rc < half)
        arrays = [W, p_rc, R, p_F, variant]
        for a in arrays:
            a.setflags(write=False)
        return InvarianceTestResult(i, tuple(mask_to_nodes(mask)), self.base, *arrays)

    def _check(self, i: object, cond: Iterable[int]) -> tuple[int, int]:
        i = check_node_index(i, self.n_nodes, "i")
        mask = check_nodes_mask(cond, self.n_nodes, "cond")
        if mask >> i & 1:
            raise ValueError(f"cond must not contain the tested node i={i}")
        return i, mask


def invariance_test(
    stats: SufficientStatistics,
    i: int,
    cond: Iterable[int] = (),
    base: int = 0,
    alpha: float = 1e-3,
) -> InvarianceTestResult:
    """Invariance test of ``X_i | X_cond`` between ``base`` and every other component.

    Parameters
    ----------
    stats : SufficientStatistics
    i : int
        Tested node.
    cond : iterable of int
        Conditioning set ``S`` (not containing ``i``).
    base : int, default 0
    alpha : float, default 1e-3

    Returns
    -------
    InvarianceTestResult

    Raises
    ------
    ValueError
        For fewer than two components, invalid nodes, base or alpha.

    References
    ----------
    .. [1] C. Squires, Y. Wang and C. Uhler. UAI 2020, arXiv:1910.09007.
    """
    return GaussianInvarianceTester(stats, base, alpha).test(i, cond)
