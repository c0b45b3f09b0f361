"""SufficientStatistics: constructors agree with each other and with plain numpy."""

from __future__ import annotations

import numpy as np
import pytest

from causalmix.stats import SufficientStatistics


@pytest.fixture
def datasets():
    rng = np.random.default_rng(1)
    return [rng.normal(loc=k, scale=1 + k, size=(50 + 10 * k, 3)) for k in range(3)]


def test_from_datasets_matches_numpy(datasets):
    stats = SufficientStatistics.from_datasets(datasets)
    assert stats.n_components == 3 and stats.n_nodes == 3
    for k, d in enumerate(datasets):
        assert stats.n[k] == len(d)
        np.testing.assert_allclose(stats.means[k], d.mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(stats.covariances()[k], np.cov(d.T), rtol=1e-10)
    # the intercept column counts the rows and sums the centred data
    np.testing.assert_allclose(stats.grams[:, 3, 3], stats.n)


def test_responsibilities_with_hard_labels_equal_datasets(datasets):
    X = np.concatenate(datasets)
    labels = np.repeat(np.arange(3), [len(d) for d in datasets])
    resp = np.eye(3)[labels]
    a = SufficientStatistics.from_datasets(datasets)
    b = SufficientStatistics.from_responsibilities(X, resp)
    np.testing.assert_allclose(a.grams, b.grams, atol=1e-9)  # same sums, different order
    np.testing.assert_allclose(a.center, b.center)


def test_from_moments_round_trip(datasets):
    a = SufficientStatistics.from_datasets(datasets)
    b = SufficientStatistics.from_moments(a.n, a.means, a.covariances(), center=a.center)
    np.testing.assert_allclose(a.grams, b.grams, atol=1e-8)


def test_center_does_not_change_covariances(datasets):
    a = SufficientStatistics.from_datasets(datasets)
    b = SufficientStatistics.from_datasets(datasets, center=np.array([100.0, -3.0, 7.0]))
    np.testing.assert_allclose(a.covariances(), b.covariances(), rtol=1e-8)


def test_subset_and_immutability(datasets):
    stats = SufficientStatistics.from_datasets(datasets)
    sub = stats.subset([2, 0])
    np.testing.assert_array_equal(sub.n, stats.n[[2, 0]])
    with pytest.raises(ValueError, match="read-only"):
        stats.grams[0, 0, 0] = 1.0
    with pytest.raises(ValueError, match=r"components must index 0..2, got \[3\]"):
        stats.subset([3])


def test_errors(datasets):
    with pytest.raises(ValueError, match="at least one array"):
        SufficientStatistics.from_datasets([])
    with pytest.raises(ValueError, match="same number of columns"):
        SufficientStatistics.from_datasets([np.zeros((5, 2)), np.zeros((5, 3))])
    with pytest.raises(ValueError, match="NaN or infinite"):
        SufficientStatistics.from_datasets([np.array([[np.nan, 1.0]])])
    X = np.concatenate(datasets)
    with pytest.raises(ValueError, match=r"responsibilities must have shape \(N, K\)"):
        SufficientStatistics.from_responsibilities(X, np.ones((3, 2)))
    with pytest.raises(ValueError, match="non-negative"):
        SufficientStatistics.from_responsibilities(X, -np.ones((len(X), 2)))
    with pytest.raises(ValueError, match="positive total weight"):
        SufficientStatistics.from_responsibilities(X, np.c_[np.ones(len(X)), np.zeros(len(X))])
    with pytest.raises(ValueError, match="center must be a finite vector"):
        SufficientStatistics.from_datasets(datasets, center=np.zeros(2))
    with pytest.raises(ValueError, match="n > ddof"):
        SufficientStatistics.from_datasets([np.ones((1, 3))]).covariances()
    with pytest.raises(ValueError, match="inconsistent shapes"):
        SufficientStatistics(np.ones(2), np.zeros((2, 3)), np.zeros((2, 3, 3)), np.zeros(3))
    with pytest.raises(ValueError, match="n must be positive"):
        SufficientStatistics(np.zeros(1), np.zeros((1, 1)), np.zeros((1, 2, 2)), np.zeros(1))
    with pytest.raises(ValueError, match=r"covariances \(K, p, p\)"):
        SufficientStatistics.from_moments([1.0], np.zeros((1, 2)), np.zeros((1, 3, 3)))


def _explicit_grams(datasets, center):
    out = []
    for d in datasets:
        xt = np.c_[d - center, np.ones(len(d))]
        out.append(xt.T @ xt)
    return np.array(out)


def test_one_pass_moments_equal_the_explicit_gram(datasets):
    stats = SufficientStatistics.from_datasets(datasets)
    np.testing.assert_allclose(stats.center, np.concatenate(datasets).mean(axis=0), rtol=1e-12)
    # tolerance: different summation orders, float rounding only
    np.testing.assert_allclose(stats.grams, _explicit_grams(datasets, stats.center), rtol=1e-10)


def test_a_mean_that_dwarfs_the_spread_takes_the_two_pass_route():
    # one-pass moments would lose ~12 digits here (mean² / variance ~ 1e12); the centred pass
    # keeps the covariance to full precision, also for an exactly constant column
    rng = np.random.default_rng(2)
    X = rng.normal(size=(500, 3)) + np.array([1e6, 0.0, 5.0])
    X[:, 2] = 5.0
    stats = SufficientStatistics.from_datasets([X])
    cov = np.cov(X.T)
    np.testing.assert_allclose(stats.covariances()[0][:2, :2], cov[:2, :2], rtol=1e-9)
    assert stats.covariances()[0][2, 2] == 0.0
