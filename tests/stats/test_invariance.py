"""Gaussian invariance test on Gram matrices: reference numbers, batching, fallbacks, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from causalmix.stats import (
    GaussianInvarianceTester,
    InvarianceTester,
    SufficientStatistics,
    invariance_test,
)
from causalmix.stats._regression import (
    two_sided_f,
    two_sided_f_bounds,
    variance_bounds,
    wald_bounds_table,
)

X1 = np.array([[0, 1], [1, 2], [2, 2], [3, 5], [4, 4], [5, 7]], dtype=float)
X2 = np.array([[0, 0], [1, 3], [2, 1], [3, 6], [4, 3], [5, 8]], dtype=float)
X3 = X1.copy()
X3[:, 1] = 3 * X1[:, 1] - X1[:, 0]


@pytest.fixture
def reference_stats():
    return SufficientStatistics.from_datasets([X1, X2, X3])


def test_reference_numbers(reference_stats):
    # docs/spec.md §3.2, alpha = 0.05; all numbers to 1e-6
    res = invariance_test(reference_stats, 1, [0], base=0, alpha=0.05)
    np.testing.assert_allclose(res.variance_ratio[1:], [0.2275862, 0.1111111], atol=1e-6)
    np.testing.assert_allclose(res.variance_pvalue[1:], [0.1300351, 0.0307494], atol=1e-6)
    np.testing.assert_allclose(res.coef_statistic[1:], [0.0505618, 7.8439394], atol=1e-6)
    np.testing.assert_allclose(res.coef_pvalue[1:], [0.0981267, 0.0178809], atol=1e-6)
    assert res.variant.tolist() == [False, False, True]
    assert np.isnan(res.coef_statistic[0]) and res.base == 0 and res.cond == (0,)
    tester = GaussianInvarianceTester(reference_stats, alpha=0.05)
    assert tester.is_invariant(1, 1, [0]) and not tester.is_invariant(1, 2, [0])
    assert tester.variant_components(1, [0]) == frozenset({2})


def test_batch_equals_pairwise(reference_stats):
    full = invariance_test(reference_stats, 1, [0], alpha=0.05)
    for k in (1, 2):
        pair = invariance_test(reference_stats.subset([0, k]), 1, [0], alpha=0.05)
        np.testing.assert_allclose(pair.coef_pvalue[1], full.coef_pvalue[k], rtol=1e-12)
        np.testing.assert_allclose(pair.variance_pvalue[1], full.variance_pvalue[k], rtol=1e-12)


def test_common_centre_does_not_change_the_test():
    shifted = SufficientStatistics.from_datasets([X1, X2, X3], center=np.array([100.0, -50.0]))
    res = invariance_test(shifted, 1, [0], alpha=0.05)
    # tolerance: centring at (100, -50) loses a few digits to cancellation, nothing more
    np.testing.assert_allclose(res.coef_statistic[1:], [0.0505618, 7.8439394], atol=1e-6)


def _ols(X, i, cond):
    Z = np.column_stack([X[:, cond], np.ones(len(X))])
    b, *_ = np.linalg.lstsq(Z, X[:, i], rcond=None)
    r = X[:, i] - Z @ b
    return b, r @ r / (len(X) - Z.shape[1]), np.linalg.inv(Z.T @ Z)


def test_matches_raw_data_regressions():
    rng = np.random.default_rng(3)
    A = rng.normal(size=(300, 4))
    B = rng.normal(size=(250, 4)) + 0.3
    stats = SufficientStatistics.from_datasets([A, B])
    cond = [0, 3]
    bA, vA, iA = _ols(A, 2, cond)
    bB, vB, iB = _ols(B, 2, cond)
    d = bA - bB
    W = d @ np.linalg.solve(vA * iA + vB * iB, d) / 3
    res = invariance_test(stats, 2, cond)
    # tolerance: two exact routes (raw rows vs Grams), float rounding only
    assert res.coef_statistic[1] == pytest.approx(W, rel=1e-9)
    assert res.variance_ratio[1] == pytest.approx(vA / vB, rel=1e-9)


def test_detects_pure_mean_shift_through_the_intercept():
    rng = np.random.default_rng(4)
    base = rng.normal(size=(2000, 2))
    shifted = rng.normal(size=(2000, 2)) + np.array([0.0, 0.5])
    stats = SufficientStatistics.from_datasets([base, shifted])
    tester = GaussianInvarianceTester(stats)
    assert tester.variant_components(1, [0]) == frozenset({1})
    assert tester.variant_components(0, [1]) == frozenset()


def test_fractional_sizes_from_responsibilities():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(400, 3))
    resp = rng.dirichlet([1.0, 1.0], size=400)
    stats = SufficientStatistics.from_responsibilities(X, resp)
    assert not np.allclose(stats.n, np.round(stats.n))
    res = invariance_test(stats, 0, [1, 2])
    assert np.all(np.isfinite(res.coef_pvalue[1:])) and np.all(np.isfinite(res.variance_pvalue[1:]))


def test_hard_responsibilities_equal_labelled_data(reference_stats):
    X = np.concatenate([X1, X2, X3])
    resp = np.repeat(np.eye(3), 6, axis=0)
    soft = SufficientStatistics.from_responsibilities(X, resp)
    a = invariance_test(soft, 1, [0], alpha=0.05)
    b = invariance_test(reference_stats, 1, [0], alpha=0.05)
    np.testing.assert_allclose(a.coef_pvalue[1:], b.coef_pvalue[1:], rtol=1e-9)


def test_caching_and_shared_regressions_across_bases(reference_stats):
    t0 = GaussianInvarianceTester(reference_stats, alpha=0.05)
    t0.variant_mask(1, 0b01)
    t0.variant_mask(1, 0b01)
    assert t0.n_computed == 1
    t2 = t0.with_base(2)
    assert t2.base == 2 and t2.alpha == 0.05 and t2._regs is t0._regs
    fresh = GaussianInvarianceTester(reference_stats, base=2, alpha=0.05)
    assert t2.variant_mask(1, 0b01) == fresh.variant_mask(1, 0b01)
    assert t2.variant_mask(1, 0b01) >> 2 & 1 == 0
    assert isinstance(t0, InvarianceTester)


def test_do_intervened_regressor_falls_back_and_decides():
    # component 1: do(x0 = 2) exactly, so the regressor Gram [x0, 1] is singular there
    rng = np.random.default_rng(6)
    base = rng.normal(size=(500, 2))
    base[:, 1] += base[:, 0]
    do = rng.normal(size=(500, 2))
    do[:, 0] = 2.0
    do[:, 1] += do[:, 0]
    stats = SufficientStatistics.from_datasets([base, do])
    res = invariance_test(stats, 1, [0])
    assert np.isfinite(res.coef_pvalue[1]) and res.variant.dtype == bool
    tester = GaussianInvarianceTester(stats)
    assert tester.variant_components(0, []) == frozenset({1})  # x0's own law changed
    assert isinstance(tester.variant_mask(1, 0b1), int)


def test_bad_input(reference_stats):
    with pytest.raises(ValueError, match=r"alpha must be in \(0, 1\), got 1"):
        GaussianInvarianceTester(reference_stats, alpha=1.0)
    with pytest.raises(ValueError, match="at least 2 components, got 1"):
        GaussianInvarianceTester(reference_stats.subset([0]))
    with pytest.raises(TypeError, match="stats must be a SufficientStatistics"):
        invariance_test([X1, X2], 1)
    with pytest.raises(ValueError, match=r"base must be a node index in 0..2, got 3"):
        invariance_test(reference_stats, 1, base=3)
    tester = GaussianInvarianceTester(reference_stats)
    with pytest.raises(ValueError, match="k must differ from the base component 0"):
        tester.is_invariant(1, 0)
    with pytest.raises(ValueError, match="cond must not contain the tested node i=1"):
        tester.variant_components(1, [1])
    with pytest.raises(ValueError, match=r"i must be a node index in 0..1, got 2"):
        tester.test(2)


def _sem_components(rng, n=400, p=6, K=4, constant=None):
    """Linear SEM data: component 0 observational, component k shifts node k - 1; optionally
    holds ``constant = (component, node, value)`` exactly fixed (a perfect do)."""
    W = np.triu(rng.uniform(0.5, 1.0, (p, p)) * (rng.random((p, p)) < 0.5), 1)
    B = np.linalg.inv(np.eye(p) - W)
    data = []
    for k in range(K):
        e = rng.normal(size=(n, p))
        if k:
            e[:, k - 1] += 1.5
        X = e @ B
        if constant is not None and constant[0] == k:
            X[:, constant[1]] = constant[2]
        data.append(X)
    return SufficientStatistics.from_datasets(data)


def _random_queries(rng, p, count):
    queries = []
    for _ in range(count):
        i = int(rng.integers(p))
        others = [v for v in range(p) if v != i]
        cond = rng.choice(others, size=int(rng.integers(0, p)), replace=False)
        queries.append((i, sum(1 << int(v) for v in cond)))
    return queries


def test_vectorised_batch_equals_one_query_at_a_time():
    # padding to a common width and stacking queries must not change any answer
    rng = np.random.default_rng(7)
    stats = _sem_components(rng, p=12)
    queries = _random_queries(rng, 12, 60)  # > 32 fresh queries, sets up to 11: split by size
    batched = GaussianInvarianceTester(stats, alpha=0.01)
    single = GaussianInvarianceTester(stats, alpha=0.01)
    assert batched.variant_masks(queries) == [single.variant_mask(i, c) for i, c in queries]
    assert batched.n_computed == len(set(queries))
    for i, cond in queries[:10]:
        reg_b, reg_s = batched._regression(i, cond), single._regression(i, cond)
        for a, b in zip(reg_b[:3], reg_s[:3], strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)  # float rounding only


def test_decisions_equal_the_pvalue_rule():
    # decisions use the F critical values; test() reports p-values — the same rule
    rng = np.random.default_rng(8)
    stats = _sem_components(rng)
    tester = GaussianInvarianceTester(stats, alpha=0.05)
    half = tester.alpha / 2
    for i, cond in _random_queries(rng, 6, 40):
        res = tester.test(i, [v for v in range(6) if cond >> v & 1])
        by_p = (res.variance_pvalue < half) | (res.coef_pvalue < half)
        assert res.variant.tolist() == by_p.tolist()
        assert tester.variant_mask(i, cond) == sum(1 << k for k in np.flatnonzero(res.variant))


def test_batch_with_a_singular_component_falls_back_to_single_queries():
    rng = np.random.default_rng(9)
    stats = _sem_components(rng, constant=(2, 1, 3.0))  # node 1 exactly constant in component 2
    queries = [(3, 0b10), (4, 0b11), (0, 0), (5, 0b1010)]
    batched = GaussianInvarianceTester(stats)
    single = GaussianInvarianceTester(stats)
    assert batched.variant_masks(queries) == [single.variant_mask(i, c) for i, c in queries]
    assert batched._regression(3, 0b10)[3] is not None  # the robust path kept the null spaces


def test_exactly_constant_regressor_compares_only_what_is_estimable():
    # component 1 holds x0 = 2 exactly (collinear with the intercept): only the fitted mean at
    # x0 = 2 is determined there, which the base reproduces (invariant) unless x1 is shifted
    rng = np.random.default_rng(10)
    base = rng.normal(size=(3000, 2))
    base[:, 1] += 0.8 * base[:, 0]
    do = rng.normal(size=(3000, 2))
    do[:, 0] = 2.0
    do[:, 1] += 0.8 * do[:, 0]
    shifted = do.copy()
    shifted[:, 1] += 0.5
    stats = SufficientStatistics.from_datasets([base, do, shifted])
    res = invariance_test(stats, 1, [0])
    assert res.variant.tolist() == [False, False, True]
    assert res.coef_pvalue[1] > 0.01 and res.coef_pvalue[2] < 1e-6


def test_two_sided_f_bounds_match_the_pvalues():
    for dfn, dfd in [(1, 1998), (5, 1994), (49, 1950), (999, 999), (3.7, 812.2)]:
        lo, hi = two_sided_f_bounds(5e-4, dfn, dfd)
        # tolerance: quantile inversion to ~1e-13 relative in the p-value
        np.testing.assert_allclose(two_sided_f(np.array([lo, hi]), dfn, dfd), 5e-4, rtol=1e-12)


def test_critical_values_are_shared_read_only_and_bounded():
    key = (0.025, 100.0, (80.0, 60.5))
    lo, hi = variance_bounds(*key)
    assert variance_bounds(*key)[0] is lo  # one computation per level and sizes
    assert not lo.flags.writeable and not hi.flags.writeable
    np.testing.assert_array_equal((lo, hi), two_sided_f_bounds(0.025, 99.0, np.array([79.0, 59.5])))
    w_lo, w_hi = wald_bounds_table(*key, 3)
    assert w_lo.shape == w_hi.shape == (3, 2) and not w_lo.flags.writeable
    # row m - 1 holds the bounds for m regressors, whatever the table's width
    np.testing.assert_array_equal(wald_bounds_table(*key, 5)[1][:3], w_hi)
    m2 = two_sided_f_bounds(0.025, 2.0, 100.0 + np.array([80.0, 60.5]) - 2.0)
    np.testing.assert_array_equal((w_lo[1], w_hi[1]), m2)
    assert variance_bounds.cache_info().maxsize == wald_bounds_table.cache_info().maxsize == 256
