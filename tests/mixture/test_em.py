"""EM: pure maths, agreement with scikit-learn, ascent, numerical robustness, errors."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import multivariate_normal
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from causalmix.mixture import GaussianMixtureFit, fit_mixture
from causalmix.mixture._gaussian import (
    Data,
    compute_precision_cholesky,
    estimate_gaussian_parameters,
    estimate_log_gaussian_prob,
)
from tests.mixture.conftest import blobs


def _random_spd(p: int, rng: np.random.Generator) -> np.ndarray:
    A = rng.standard_normal((p, p))
    return A @ A.T + 0.5 * np.eye(p)


def test_log_gaussian_prob_matches_scipy():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((50, 3))
    means = rng.standard_normal((2, 3))
    covs = np.stack([_random_spd(3, rng) for _ in range(2)])
    got = estimate_log_gaussian_prob(X, means, compute_precision_cholesky(covs))
    want = np.column_stack(
        [multivariate_normal(m, c).logpdf(X) for m, c in zip(means, covs, strict=True)]
    )
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("budget", [10**9, 0])  # stored row features, and the chunked path
def test_feature_log_prob_matches_the_exact_form(monkeypatch, budget):
    """The expanded quadratic form of ``Data.log_prob_t`` against the Cholesky form, including a
    near-degenerate component (variance at the reg_covar floor) as do-interventions produce."""
    monkeypatch.setattr("causalmix.mixture._gaussian._MOMENT_BUDGET", budget)
    monkeypatch.setattr("causalmix.mixture._gaussian._MOMENT_CHUNK", 7)
    rng = np.random.default_rng(4)
    X = 3.0 * rng.standard_normal((50, 3))
    X -= X.mean(axis=0)
    means = np.vstack([rng.standard_normal((2, 3)), [[2.0, 0.0, -1.0]]])
    covs = np.stack([_random_spd(3, rng), _random_spd(3, rng), np.diag([1e-6, 1.0, 2.0])])
    U = compute_precision_cholesky(covs)
    got = Data(X).log_prob_t(means, U)
    want = estimate_log_gaussian_prob(X, means, U).T
    # cancellation in x'Px - 2 mu'Px + mu'P mu is about eps * ||P|| * ||x||^2 = 2e-16 * 1e6 * 1e2;
    # atol 1e-6 leaves a 50x margin, far below EM's tolerances (1e-3 .. 1e-6 per row)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-6)


def test_precision_cholesky_inverts_covariance():
    rng = np.random.default_rng(2)
    covs = np.stack([_random_spd(4, rng) for _ in range(3)])
    U = compute_precision_cholesky(covs)
    np.testing.assert_allclose(U @ U.transpose(0, 2, 1), np.linalg.inv(covs), rtol=1e-9)
    np.testing.assert_array_equal(np.tril(U[0], -1), 0.0)  # upper triangular


def test_precision_cholesky_failure_advises_reg_covar():
    bad = np.array([[[1.0, 2.0], [2.0, 1.0]]])
    with pytest.raises(ValueError, match="increase reg_covar"):
        compute_precision_cholesky(bad)


@pytest.mark.parametrize("budget", [10**9, 0])  # stored row features, and the chunked path
def test_m_step_matches_weighted_numpy(monkeypatch, budget):
    monkeypatch.setattr("causalmix.mixture._gaussian._MOMENT_BUDGET", budget)
    monkeypatch.setattr("causalmix.mixture._gaussian._MOMENT_CHUNK", 7)
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 3))
    resp = rng.dirichlet(np.ones(2), size=40)
    nk, means, covs = estimate_gaussian_parameters(Data(X), resp, 0.1)
    for c in range(2):
        w = resp[:, c]
        np.testing.assert_allclose(nk[c], w.sum())
        np.testing.assert_allclose(means[c], np.average(X, axis=0, weights=w))
        want = np.cov(X, rowvar=False, aweights=w, bias=True) + 0.1 * np.eye(3)
        np.testing.assert_allclose(covs[c], want, rtol=1e-10, atol=1e-12)


def _fit_from_sklearn_start(gm: GaussianMixture) -> GaussianMixtureFit:
    return GaussianMixtureFit.from_parameters(
        gm.weights_, gm.means_, gm.covariances_, reg_covar=gm.reg_covar
    )


def test_agrees_with_sklearn_from_the_same_start(three_blobs):
    # Same start, 15 iterations, no convergence stop. The algorithms are the same; the only
    # difference is the M-step's arithmetic (uncentred second moments of centred data here,
    # centred products in scikit-learn), ~1e-13 per step and not amplified by EM's contraction,
    # so 1e-7 relative leaves a wide margin while catching any algorithmic difference (~1e-2).
    X, _ = three_blobs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        init = _fit_from_sklearn_start(GaussianMixture(3, max_iter=2, random_state=0).fit(X))
        ref = GaussianMixture(
            3,
            tol=0.0,
            max_iter=15,
            weights_init=init.weights,
            means_init=init.means,
            precisions_init=np.linalg.inv(init.covariances),
        ).fit(X)
        ours = fit_mixture(X, init=init, tol=0.0, max_iter=15)
    np.testing.assert_allclose(ours.weights, ref.weights_, rtol=1e-7)
    np.testing.assert_allclose(ours.means, ref.means_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ours.covariances, ref.covariances_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ours.log_likelihood, ref.score(X), rtol=1e-10)
    assert ours.n_iter == ref.n_iter_ == 15


def test_kmeans_init_reproduces_sklearn_default():
    # init="kmeans" hands KMeans the integer drawn from the Generator: with that integer as
    # scikit-learn's random_state both runs are the same computation, iteration count included.
    X, _ = blobs(
        200,
        [(0.0, 0.0, 0.0), (3.0, 0.0, 1.0), (0.0, 4.0, -2.0)],
        [1, 1, 1],
        np.random.default_rng(4),
    )
    seed = int(np.random.default_rng(7).integers(2**31 - 1))
    ref = GaussianMixture(3, tol=1e-3, random_state=seed).fit(X)
    ours = fit_mixture(X, 3, init="kmeans", tol=1e-3, random_state=7)
    assert ours.n_iter == ref.n_iter_
    np.testing.assert_allclose(ours.means, ref.means_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ours.log_likelihood, ref.score(X), rtol=1e-9)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 3), p=st.integers(1, 3))
def test_log_likelihood_never_decreases(seed, k, p):
    # With reg_covar = 0 every M-step maximises the expected complete log-likelihood, so the
    # log-likelihood is non-decreasing (Dempster et al. 1977); 1e-9 absorbs rounding. Groups of
    # 40 rows with overlapping spreads and a rough start keep EM busy without letting a
    # component collapse (which reg_covar = 0 would turn into an error, not a test of ascent).
    rng = np.random.default_rng(seed)
    centres = 2.0 * rng.standard_normal((k, p))
    X = np.concatenate(
        [c + rng.uniform(0.5, 2.0, p) * rng.standard_normal((40, p)) for c in centres]
    )
    init = centres + rng.standard_normal((k, p))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit = fit_mixture(X, init=init, reg_covar=0.0, tol=1e-8, max_iter=30)
    path = np.append(fit.history, fit.log_likelihood)
    assert np.all(np.diff(path) >= -1e-9 * np.abs(path[1:]).max())


def test_responsibilities_sum_to_one_even_far_away(three_blobs):
    X, _ = three_blobs
    fit = fit_mixture(X, 3, random_state=0)
    far = np.array([[1e3, -1e3], [0.0, 0.0], [-5e2, 7e2]])
    for data in (X, far):
        proba = fit.predict_proba(data)
        assert np.all(np.isfinite(proba)) and np.all(proba >= 0)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(fit.predict(X), fit.predict_proba(X).argmax(axis=1))
    assert fit.score_samples(X).shape == (X.shape[0],)
    np.testing.assert_allclose(fit.score(X), fit.log_likelihood, rtol=1e-12)


def test_recovers_well_separated_blobs(three_blobs):
    X, labels = three_blobs
    fit = fit_mixture(X, 3, init="k-means++", n_init=3, random_state=1)
    order = [
        int(np.argmin(np.linalg.norm(fit.means - X[labels == c].mean(0), axis=1))) for c in range(3)
    ]
    assert sorted(order) == [0, 1, 2]
    np.testing.assert_allclose(fit.weights[order], 1 / 3, atol=0.01)
    np.testing.assert_allclose(fit.means[order], [[0, 0], [6, 0], [0, 6]], atol=0.25)


def test_do_intervention_needs_reg_covar():
    rng = np.random.default_rng(5)
    obs = rng.standard_normal((200, 2))
    do = np.column_stack([np.ones(200), rng.standard_normal(200)])  # x0 := 1 exactly
    X = np.vstack([obs, do])
    labels = np.repeat([0, 1], 200)
    init = np.vstack([X[labels == 0].mean(0), X[labels == 1].mean(0)])
    fit = fit_mixture(X, init=init, reg_covar=1e-6)
    assert np.min(np.linalg.eigvalsh(fit.covariances)) == pytest.approx(1e-6, rel=1e-3)
    with pytest.raises(ValueError, match="increase reg_covar"):
        fit_mixture(X, init=init, reg_covar=0.0)


def test_warm_start_from_converged_fit_stops_at_once(three_blobs):
    X, _ = three_blobs
    first = fit_mixture(X, 3, tol=1e-8, max_iter=500, random_state=0)
    again = fit_mixture(X, init=first, tol=1e-6)
    assert again.n_iter <= 2
    np.testing.assert_allclose(again.log_likelihood, first.log_likelihood, rtol=1e-8)


def test_more_initialisations_never_hurt(three_blobs):
    X, _ = three_blobs
    one = fit_mixture(X, 4, init="random_from_data", random_state=3)
    five = fit_mixture(X, 4, init="random_from_data", n_init=5, random_state=3)
    assert five.log_likelihood >= one.log_likelihood


def test_convergence_warning(three_blobs):
    X, _ = three_blobs
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        fit = fit_mixture(X, 3, max_iter=1, tol=1e-12, random_state=0)
    assert not fit.converged and fit.n_iter == 1


def test_max_iter_zero_returns_the_start(three_blobs):
    X, _ = three_blobs
    means = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
    fit = fit_mixture(X, init=means, max_iter=0)
    np.testing.assert_array_equal(fit.means, means)
    assert fit.n_iter == 0


def test_inputs_untouched_and_result_frozen(three_blobs):
    X, _ = three_blobs
    copy = X.copy()
    fit = fit_mixture(X, 2, random_state=0)
    np.testing.assert_array_equal(X, copy)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.n_iter = 3
    with pytest.raises(ValueError, match="read-only"):
        fit.means[0, 0] = 1.0
    assert fit.n_parameters == 1 + 2 * 2 + 2 * 3
    assert fit.bic() == pytest.approx(fit.bic(X))


def test_same_seed_same_fit(three_blobs):
    X, _ = three_blobs
    a = fit_mixture(X, 3, init="k-means++", random_state=11)
    b = fit_mixture(X, 3, init="k-means++", random_state=np.random.default_rng(11))
    np.testing.assert_array_equal(a.means, b.means)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_components": 2, "init": "spectral"}, ValueError, "init must be one of"),
        ({"n_components": 2, "init": 3}, TypeError, "init must be a string"),
        ({"init": "kmeans"}, ValueError, "n_components is required"),
        ({"n_components": 3, "init": np.zeros((2, 2))}, ValueError, "disagrees with init"),
        ({"init": np.zeros((2, 3))}, ValueError, "init means must be"),
        ({"n_components": 2000}, ValueError, "must not exceed the number of rows"),
        ({"init": np.zeros((2, 2)), "n_init": 2}, ValueError, "n_init must be 1"),
        ({"n_components": 2, "tol": -1.0}, ValueError, "tol must be in"),
        ({"n_components": 2, "reg_covar": -1e-6}, ValueError, "reg_covar must be in"),
        ({"n_components": 0}, ValueError, "n_components must be an integer >= 1"),
    ],
)
def test_fit_mixture_argument_errors(three_blobs, kwargs, error, match):
    X, _ = three_blobs
    with pytest.raises(error, match=match):
        fit_mixture(X, **kwargs)


def test_warm_start_feature_mismatch(three_blobs):
    X, _ = three_blobs
    fit = fit_mixture(X, 2, random_state=0)
    with pytest.raises(ValueError, match="init has 2 features"):
        fit_mixture(np.column_stack([X, X[:, 0]]), init=fit)
    with pytest.raises(ValueError, match="must have 2 columns"):
        fit.predict(np.zeros((3, 3)))


def test_collapsed_component_gives_advice():
    X = np.vstack([np.zeros((5, 2)), np.ones((5, 2))])
    with pytest.raises(ValueError, match="increase reg_covar"):
        fit_mixture(X, init=np.array([[0.0, 0.0], [1.0, 1.0]]), reg_covar=0.0)
