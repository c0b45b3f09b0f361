"""Partial-correlation (Fisher z) CI test: reference numbers, edge cases, caching, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from causalmix.stats import (
    CITester,
    GaussianCITester,
    SufficientStatistics,
    partial_correlation,
    partial_correlation_test,
)
from causalmix.stats.ci import _partial_correlation, _partial_correlation_small

C = np.array([[1.0, 0.5, 0.25], [0.5, 1.0, 0.5], [0.25, 0.5, 1.0]])

# docs/spec.md §3.1 (n = 100, alpha = 1e-3): z to 1e-6; p-values are printed there with 5
# significant digits, so they are compared with a relative tolerance of 1e-4.
REFERENCE = [
    ((0, 1, ()), 5.410038, 6.3011e-8, False),
    ((0, 2, ()), 2.515524, 0.0118855, True),
    ((0, 2, (1,)), 0.0, 1.0, True),
    ((0, 1, (2,)), 4.714894, 2.4184e-6, False),
]


@pytest.mark.parametrize(("query", "z", "pvalue", "independent"), REFERENCE)
def test_reference_numbers(query, z, pvalue, independent):
    stat, p = partial_correlation_test(C, 100, *query)
    assert stat == pytest.approx(z, abs=1e-6)
    assert p == pytest.approx(pvalue, rel=1e-4, abs=1e-12)
    tester = GaussianCITester.from_covariance(C, 100, alpha=1e-3)
    assert tester.is_independent(*query) is independent


def test_tester_on_statistics_uses_base_covariance_ddof1():
    rng = np.random.default_rng(0)
    obs = rng.multivariate_normal(np.zeros(3), C, size=400)
    other = rng.normal(size=(50, 3)) * 5
    stats = SufficientStatistics.from_datasets([other, obs])
    tester = GaussianCITester(stats, base=1)
    assert tester.n == 400
    np.testing.assert_allclose(tester.covariance, np.cov(obs.T), rtol=1e-10)
    assert tester.test(0, 2, [1]) == pytest.approx(
        partial_correlation_test(np.cov(obs.T), 400, 0, 2, [1])
    )


def _residual_correlation(X, i, j, cond):
    Z = np.column_stack([X[:, cond], np.ones(len(X))])
    ri = X[:, i] - Z @ np.linalg.lstsq(Z, X[:, i], rcond=None)[0]
    rj = X[:, j] - Z @ np.linalg.lstsq(Z, X[:, j], rcond=None)[0]
    return ri @ rj / np.sqrt((ri @ ri) * (rj @ rj))


def test_partial_correlation_equals_residual_correlation():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 5)) @ rng.normal(size=(5, 5))
    cov = np.cov(X.T)
    for i, j, cond in [(0, 1, []), (0, 4, [2]), (1, 3, [0, 2, 4])]:
        # tolerance: both are exact formulas, differences are float rounding only
        assert partial_correlation(cov, i, j, cond) == pytest.approx(
            _residual_correlation(X, i, j, cond), abs=1e-10
        )


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), size=st.integers(0, 4))
def test_cholesky_route_equals_precision_formula(seed, size):
    rng = np.random.default_rng(seed)
    B = rng.normal(size=(6, 6))
    cov = B @ B.T + 0.1 * np.eye(6)
    nodes = rng.permutation(6)
    i, j, cond = int(nodes[0]), int(nodes[1]), [int(v) for v in nodes[2 : 2 + size]]
    M = [i, j, *cond]
    theta = np.linalg.inv(cov[np.ix_(M, M)])
    expected = -theta[0, 1] / np.sqrt(theta[0, 0] * theta[1, 1])
    assert partial_correlation(cov, i, j, cond) == pytest.approx(expected, abs=1e-9)
    assert partial_correlation(cov, j, i, cond) == pytest.approx(expected, abs=1e-9)


def test_cache_is_symmetric_and_counts_misses():
    tester = GaussianCITester.from_covariance(C, 100)
    assert tester.independent(0, 2, 0b010) and tester.independent(2, 0, 0b010)
    assert tester.n_computed == 1
    tester.is_independent(0, 1)
    assert tester.n_computed == 2


def test_perfect_correlation_is_dependent():
    cov = np.array([[1.0, 1.0], [1.0, 1.0]])
    assert partial_correlation_test(cov, 50, 0, 1) == (np.inf, 0.0)
    assert not GaussianCITester.from_covariance(cov, 50).is_independent(0, 1)


def test_too_few_degrees_of_freedom_is_independent():
    # n - |S| - 3 = 4 - 1 - 3 = 0
    assert partial_correlation_test(C, 4, 0, 1, [2]) == (0.0, 1.0)
    assert GaussianCITester.from_covariance(C, 4).is_independent(0, 1, [2])


def test_zero_variance_gives_nan_and_independence():
    cov = np.diag([1.0, 0.0, 1.0])
    assert np.isnan(partial_correlation(cov, 0, 1))
    assert partial_correlation_test(cov, 100, 0, 1) == (0.0, 1.0)


def test_singular_covariance_uses_pinv_and_still_decides(caplog):
    # do-intervention: column 1 is (numerically) constant in the base component
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 3))
    X[:, 1] = 1.0
    X[:, 2] += X[:, 0]
    stats = SufficientStatistics.from_datasets([X])
    tester = GaussianCITester(stats)
    assert tester.is_independent(0, 2, [1]) is False
    assert tester.is_independent(1, 2, [0]) is True
    prec = tester.precision
    assert np.all(np.isfinite(prec))


def test_fractional_sample_size():
    stat, p = partial_correlation_test(C, 100.5, 0, 1)
    assert stat == pytest.approx(np.sqrt(97.5) * np.arctanh(0.5))
    assert 0 < p < 1e-6


def test_precision_matches_inverse():
    tester = GaussianCITester.from_covariance(C, 100)
    # tolerance: float rounding of two different inversion routes
    np.testing.assert_allclose(tester.precision, np.linalg.inv(C), rtol=1e-12, atol=1e-14)
    assert isinstance(tester, CITester)


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.1, 2.0])
def test_alpha_outside_unit_interval(alpha):
    with pytest.raises(ValueError, match=r"alpha must be in \(0, 1\)"):
        GaussianCITester.from_covariance(C, 100, alpha=alpha)


def test_bad_queries():
    with pytest.raises(ValueError, match="i and j must be distinct"):
        partial_correlation_test(C, 100, 1, 1)
    with pytest.raises(ValueError, match="cond must not contain"):
        partial_correlation_test(C, 100, 0, 1, [1])
    with pytest.raises(ValueError, match=r"j must be a node index in 0..2, got 3"):
        partial_correlation_test(C, 100, 0, 3)
    with pytest.raises(ValueError, match=r"cond contains node 5"):
        GaussianCITester.from_covariance(C, 100).is_independent(0, 1, [5])
    with pytest.raises(TypeError, match="i must be an integer"):
        partial_correlation_test(C, 100, 0.5, 1)
    with pytest.raises(ValueError, match="n must be in"):
        partial_correlation_test(C, 0, 0, 1)


def test_bad_covariances():
    with pytest.raises(ValueError, match="covariance must be a square"):
        partial_correlation_test(np.ones((2, 3)), 10, 0, 1)
    with pytest.raises(ValueError, match="covariance must have finite"):
        partial_correlation_test(np.array([[1.0, np.nan], [np.nan, 1.0]]), 10, 0, 1)
    with pytest.raises(ValueError, match="covariance must be symmetric"):
        partial_correlation_test(np.array([[1.0, 0.5], [0.0, 1.0]]), 10, 0, 1)


def test_bad_statistics_and_base():
    with pytest.raises(TypeError, match="stats must be a SufficientStatistics"):
        GaussianCITester(C)
    stats = SufficientStatistics.from_datasets([np.random.default_rng(0).normal(size=(20, 3))])
    with pytest.raises(ValueError, match=r"base must be a node index in 0..0, got 1"):
        GaussianCITester(stats, base=1)
    tiny = SufficientStatistics.from_datasets([np.array([[0.0, 1.0, 2.0]])])
    with pytest.raises(ValueError, match="base component needs n > 1"):
        GaussianCITester(tiny)


def test_plain_python_small_sets_equal_the_numpy_route():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(200, 8)) @ rng.normal(size=(8, 8))
    cov = np.cov(X.T)
    rows = cov.tolist()
    for _ in range(60):  # |cond| = 1 .. 5, the sizes the tester sends down this route
        i, j, *cond = rng.choice(8, size=int(rng.integers(3, 8)), replace=False).tolist()
        # tolerance: two Cholesky implementations, float rounding only
        assert _partial_correlation_small(rows, i, j, cond) == pytest.approx(
            _partial_correlation(cov, i, j, cond), abs=1e-13
        )
    # a singular block (x2 = x0 + x1) falls back to the pseudo-inverse route
    sing = np.cov(np.c_[X[:, :2], X[:, 0] + X[:, 1], X[:, 3]].T)
    assert _partial_correlation_small(sing.tolist(), 3, 2, [0, 1]) == _partial_correlation(
        sing, 3, 2, [0, 1]
    )
