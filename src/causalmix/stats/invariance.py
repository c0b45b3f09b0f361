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

One call answers every component at once (batched numpy), in ``O(K |S|³)``;
:meth:`GaussianInvarianceTester.variant_masks` answers many ``(i, S)`` queries in one vectorised
batch (see :mod:`causalmix.stats._regression`). Decisions compare ``W`` and ``R`` with the
critical values of the two F distributions (computed once per ``m``), which is the p-value rule
without evaluating a cdf per test; :meth:`~GaussianInvarianceTester.test` also reports the
p-values. The per-component
regressions do not depend on the base, so they are cached separately and shared between testers
made with :meth:`GaussianInvarianceTester.with_base`. A singular ``A_h`` (a regressor that is
constant in component ``h``, e.g. after an exact do-intervention, is collinear with the intercept)
falls back to the pseudo-inverse, and the Wald test is then restricted to the coefficient
directions both regressions determine (``m`` numerator degrees of freedom become the number of
those directions; none left: ``p_rc = 1``) — the limit of an almost-constant regressor, whose
coefficient variance is unbounded along the undetermined direction. A singular Wald matrix falls
back to a pseudo-inverse solve, so a decision is always returned. As in the
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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from causalmix._frozen import freeze_arrays
from causalmix._validation import check_alpha
from causalmix.stats._regression import (
    Regression,
    fit,
    fit_batch,
    padded_grams,
    two_sided_f,
    variance_bounds,
    wald,
    wald_batch,
    wald_bounds_table,
)
from causalmix.stats.suffstats import SufficientStatistics, check_statistics
from causalmix.stats.testers import check_node_index, check_nodes_mask, mask_to_nodes

__all__ = ["GaussianInvarianceTester", "InvarianceTestResult", "invariance_test"]

logger = logging.getLogger(__name__)

# variant_masks batches with more fresh queries than this are split by conditioning-set size
_SPLIT_BATCH = 32


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

    def __post_init__(self) -> None:
        names = ("coef_statistic", "coef_pvalue", "variance_ratio", "variance_pvalue", "variant")
        freeze_arrays(self, names)


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
        check_statistics(stats)
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
        # per (i, cond): a Regression, or (batch arrays, row, width) until first needed
        self._regs: dict[tuple[int, int], tuple] = {}
        self._cache: dict[tuple[int, int], int] = {}
        self._padded: np.ndarray | None = None  # Grams with padding variables (variant_masks)
        self._others = np.array([k for k in range(self.n_components) if k != self.base])
        # the same selection for the batched arrays: a view when the base comes first
        self._sel = slice(1, None) if self.base == 0 else self._others
        self._other_bits = [1 << k for k in self._others.tolist()]
        self._other_weights = np.array(self._other_bits if self.n_components <= 62 else [0])
        # decisions compare W and R with the critical values of the two-sided F tests at level
        # alpha / 2 (the same rule as comparing their p-values, without evaluating F's cdf)
        self._nb, self._nk = float(self._n[self.base]), self._n[self._others]
        self._bounds_key = (self.alpha / 2.0, self._nb, tuple(self._nk.tolist()))
        self._f_bounds = variance_bounds(*self._bounds_key)
        self._w_table = wald_bounds_table(*self._bounds_key, 0)

    def with_base(self, base: int, alpha: float | None = None) -> GaussianInvarianceTester:
        """A tester for another base (and optionally level) sharing the regression cache."""
        new = GaussianInvarianceTester(self.stats, base, self.alpha if alpha is None else alpha)
        new._regs = self._regs
        new._padded = self._padded
        return new

    def _regression(self, i: int, cond: int) -> Regression:
        key = (i, cond)
        reg = self._regs.get(key)
        if reg is None:
            reg = fit(self._grams, self._n, i, mask_to_nodes(cond))
            self._regs[key] = reg
        elif len(reg) == 3:  # a row of a padded batch: (b, A, v) arrays, row, true width
            (b, A, v), q, w = reg
            reg = self._regs[key] = (b[q, :, :w], A[q, :, :w, :w], v[q], None)
        return reg

    def _wald_bounds(self, m: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self._wald_table(m)
        return lo[m - 1], hi[m - 1]

    def _wald_table(self, width: int) -> tuple[np.ndarray, np.ndarray]:
        """Wald bounds for ``m = 1 .. width`` (or more) regressors as ``(rows, K - 1)`` arrays.

        The tester keeps the widest table it has used; tables are shared by testers on
        statistics of equal sizes through a module cache.
        """
        if self._w_table[0].shape[0] < width:
            self._w_table = wald_bounds_table(*self._bounds_key, width)
        return self._w_table

    def _pvalues(
        self, W: np.ndarray, R: np.ndarray, m: int, dfn: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        p_rc = two_sided_f(W, m if dfn is None else dfn, self._nb + self._nk - m)
        if dfn is not None:
            p_rc[dfn == 0] = 1.0  # nothing estimable to compare: no evidence of a change
        return p_rc, two_sided_f(R, self._nb - 1.0, self._nk - 1.0)

    def _variant(self, W: np.ndarray, R: np.ndarray, m: int, dfn: np.ndarray | None) -> np.ndarray:
        """``p_F < alpha / 2`` or ``p_rc < alpha / 2``, per component in ``others``."""
        if dfn is not None:  # singular fallback: non-standard degrees of freedom, use p-values
            p_rc, p_F = self._pvalues(W, R, m, dfn)
            half = self.alpha / 2.0
            return (p_F < half) | (p_rc < half)
        (w_lo, w_hi), (f_lo, f_hi) = self._wald_bounds(m), self._f_bounds
        return (W < w_lo) | (W > w_hi) | (R < f_lo) | (R > f_hi)

    def _store(self, key: tuple[int, int], variant: np.ndarray) -> int:
        ans = self._masks(variant[None])[0]
        self._cache[key] = ans
        self.n_computed += 1
        return ans

    def variant_mask(self, i: int, cond: int) -> int:
        """Protocol method: bitmask of the components where ``X_i | X_cond`` differs from the base."""
        key = (i, cond)
        ans = self._cache.get(key)
        if ans is None:
            W, R, dfn = wald(self._regression(i, cond), self.base, self._others)
            ans = self._store(key, self._variant(W, R, cond.bit_count() + 1, dfn))
        return ans

    def variant_masks(self, queries: Sequence[tuple[int, int]]) -> list[int]:
        """Batched :meth:`variant_mask`: one mask per ``(i, cond_mask)`` query (unvalidated).

        The uncached queries run as one vectorised batch (queries x components), their
        conditioning sets padded to the largest one with decoupled padding variables — much
        cheaper than one :meth:`variant_mask` call each. If some regressor Gram or Wald system of
        the batch is singular, they are answered one by one instead.
        """
        cache = self._cache
        missing = [key for key in queries if key not in cache]
        if missing:
            self._compute(list(dict.fromkeys(missing)))
        return [cache[key] for key in queries]

    def _compute(self, keys: list[tuple[int, int]]) -> None:
        fresh = [key for key in keys if key not in self._regs]
        if len(fresh) > _SPLIT_BATCH:
            # LAPACK's cost per small matrix grows with its width: a large batch is split by
            # conditioning-set size so that a few large sets do not widen every query
            by_size: dict[int, list[tuple[int, int]]] = {}
            for key in fresh:
                by_size.setdefault(min(key[1].bit_count() // 4, 2), []).append(key)
            for group in by_size.values():
                self._compute_batch(group)
        else:
            self._compute_batch(fresh)
        cache = self._cache
        for i, cond in keys:  # what a batch left out (singular cases): one by one
            if (i, cond) not in cache:
                self.variant_mask(i, cond)

    def _compute_batch(self, fresh: list[tuple[int, int]]) -> None:
        """Cache the answers of uncached queries in one vectorised batch (no-op for fewer than
        two queries or on a singular matrix: :meth:`variant_mask` then answers one by one)."""
        if len(fresh) > 1:
            if self._padded is None:
                self._padded = padded_grams(self._grams)
            sizes = [cond.bit_count() for _, cond in fresh]
            width = max(sizes) + 1
            idx = self._padded_sets([cond for _, cond in fresh], sizes, width)
            nodes = np.array([i for i, _ in fresh])
            m = np.array(sizes, dtype=np.float64)[:, None] + 1.0
            try:
                b, A, v = fit_batch(self._padded, self._n, nodes, idx, m)
                W, R = wald_batch(b, A, v, self.base, self._sel, m)
            except np.linalg.LinAlgError:
                logger.debug("batch of %d invariance tests: singular case, one by one", len(fresh))
            else:
                lo_table, hi_table = self._wald_table(width)
                rows = np.array(sizes)  # row m - 1 holds the bounds for m regressors
                w_lo, w_hi = lo_table[rows], hi_table[rows]
                f_lo, f_hi = self._f_bounds
                variant = (W < w_lo) | (W > w_hi) | (R < f_lo) | (R > f_hi)
                masks = self._masks(variant)
                batch, regs, cache = (b, A, v), self._regs, self._cache
                for q, key in enumerate(fresh):
                    regs[key] = (batch, q, sizes[q] + 1)  # unpadded by _regression when needed
                    cache[key] = masks[q]
                self.n_computed += len(fresh)

    def _padded_sets(self, conds: list[int], sizes: list[int], width: int) -> np.ndarray:
        """``(Q, width)`` regressor columns: each conditioning set's nodes in increasing order,
        the intercept ``p``, then padding variables ``p + 1, ...`` up to ``width``."""
        p, pad = self.n_nodes, self.n_nodes + 1
        if len(conds) < 16 or p > 62:
            return np.array(
                [
                    [*mask_to_nodes(cond), p, *range(pad, pad + width - 1 - size)]
                    for cond, size in zip(conds, sizes, strict=True)
                ]
            )
        # vectorised: the members of each set, then the intercept and the padding, sorted
        nodes = np.arange(p, dtype=np.int64)
        member = (np.array(conds, dtype=np.int64)[:, None] >> nodes) & 1
        rows = np.concatenate(
            [
                np.where(member, nodes, 2 * p + width),  # non-members sort last
                np.broadcast_to(np.arange(pad - 1, pad + width - 1), (len(conds), width)),
            ],
            axis=1,
        )
        rows.sort(axis=1)
        return rows[:, :width]

    def _masks(self, variant: np.ndarray) -> list[int]:
        """Component bitmasks of the rows of a ``(Q, len(others))`` boolean array."""
        if self.n_components <= 62:
            return (variant @ self._other_weights).tolist()
        bits = self._other_bits
        return [sum(bits[k] for k in np.flatnonzero(row).tolist()) for row in variant]

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
        m = mask.bit_count() + 1
        W, R, dfn = wald(self._regression(i, mask), self.base, self._others)
        p_rc, p_F = self._pvalues(W, R, m, dfn)
        arrays = []
        for x in (W, p_rc, R, p_F):
            full = np.full(self.n_components, np.nan)
            full[self._others] = x
            arrays.append(full)
        variant = np.zeros(self.n_components, dtype=bool)
        variant[self._others] = self._variant(W, R, m, dfn)
        arrays.append(variant)
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
