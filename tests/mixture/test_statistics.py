"""Fitted mixture -> per-component sufficient statistics."""

from __future__ import annotations

import numpy as np
import pytest

from causalmix.mixture import component_statistics, fit_mixture, resampled_statistics
from causalmix.stats.suffstats import SufficientStatistics


@pytest.fixture
def fitted(three_blobs):
    X, labels = three_blobs
    return X, labels, fit_mixture(X, 3, random_state=0)


def test_weighted_statistics_match_responsibilities(fitted):
    X, _, fit = fitted
    stats = component_statistics(X, fit)
    ref = SufficientStatistics.from_responsibilities(X, fit.predict_proba(X))
    np.testing.assert_allclose(stats.n, ref.n)
    np.testing.assert_allclose(stats.grams, ref.grams)
    assert stats.n.sum() == pytest.approx(X.shape[0])
    # 300 rows per blob; the blobs 6 apart with sds up to 1.5 share a few rows' weight
    np.testing.assert_allclose(np.sort(stats.n), [300, 300, 300], atol=5.0)
    # the fit's means come from the E-step before its last M-step; converged to tol=1e-3
    np.testing.assert_allclose(stats.means, fit.means, atol=1e-2)
    # given responsibilities are used as they are (here hard labels, not the fit's posteriors)
    hard = np.eye(3)[fit.predict(X)]
    given = component_statistics(X, fit, responsibilities=hard)
    np.testing.assert_allclose(
        given.grams, SufficientStatistics.from_responsibilities(X, hard).grams
    )
    np.testing.assert_array_equal(given.n, hard.sum(axis=0))


def test_resampled_statistics(fitted):
    _, _, fit = fitted
    stats = resampled_statistics(fit, 20_000, random_state=0)
    np.testing.assert_array_equal(stats.n, 20_000)
    # 20 000 draws: mean error ~ sd / 141 < 0.011; covariance error ~ 1.5² * sqrt(2/20000) ~ 0.03
    np.testing.assert_allclose(stats.means, fit.means, atol=0.06)
    np.testing.assert_allclose(stats.covariances(), fit.covariances, atol=0.1)
    again = resampled_statistics(fit, 20_000, random_state=0)
    np.testing.assert_array_equal(again.grams, stats.grams)


def test_statistics_errors(fitted):
    X, _, fit = fitted
    with pytest.raises(TypeError, match="GaussianMixtureFit"):
        component_statistics(X, "mixture")
    with pytest.raises(TypeError, match="GaussianMixtureFit"):
        resampled_statistics(object(), 10)
    with pytest.raises(ValueError, match="n_per_component must be an integer >= 2"):
        resampled_statistics(fit, 1)
    with pytest.raises(ValueError, match="must have 2 columns"):
        component_statistics(np.zeros((5, 3)), fit)
    with pytest.raises(ValueError, match=r"responsibilities must have shape \(N, K\) = \(900, 3\)"):
        component_statistics(X, fit, responsibilities=np.ones((900, 2)))


def test_resampled_statistics_reproduce_a_correlated_covariance():
    # with a diagonal covariance U⁻¹z and U⁻ᵀz coincide; a strongly correlated one tells them apart
    rng = np.random.default_rng(0)
    A = np.array([[1.0, 0.0, 0.0], [0.9, 0.5, 0.0], [-0.7, 0.8, 0.3]])
    X = rng.normal(size=(4000, 3)) @ A.T
    fit = fit_mixture(X, 1, random_state=0)
    stats = resampled_statistics(fit, 50_000, random_state=1)
    # 50 000 draws, entries of Σ below ~1.3: standard error ~ 1.3 * sqrt(2 / 50000) < 0.01
    np.testing.assert_allclose(stats.covariances()[0], fit.covariances[0], atol=0.04)
