"""Split proposals that grow a k-component fit into a (k+1)-component start."""

from __future__ import annotations

import numpy as np

from causalmix.mixture._em_loop import run_em
from causalmix.mixture._gaussian import params_from_resp
from causalmix.mixture.split import _directions, _fit_two_gaussians_1d, _posterior_1d, grow
from tests.mixture.conftest import blobs


def test_directions_are_unit_rows():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((3, 3))
    dirs = _directions(A @ A.T + np.eye(3))
    assert dirs.shape == (7, 3)
    np.testing.assert_allclose(np.linalg.norm(dirs, axis=1), 1.0)
    np.testing.assert_array_equal(dirs[:3], np.eye(3))


def test_one_dimensional_split_finds_a_spike_and_a_shift():
    rng = np.random.default_rng(1)
    spike = np.concatenate([rng.standard_normal(600), 1.0 + 1e-4 * rng.standard_normal(200)])
    shift = np.concatenate([rng.standard_normal(400), 4.0 + rng.standard_normal(400)])
    plain = rng.standard_normal(800)
    z = np.column_stack([spike, shift, plain])
    gain, split = _fit_two_gaussians_1d(z, np.ones(800), reg=1e-6)
    post = _posterior_1d(z, split)
    assert gain[0] > 1000 and gain[1] > 100
    assert gain[2] < 10  # a single Gaussian: no real gain
    side = post[600:, 0].mean() > 0.5  # the spike rows go to one side, the others to the other
    np.testing.assert_allclose(post[600:, 0].mean(), float(side), atol=0.01)
    np.testing.assert_allclose(post[:600, 0].mean(), float(not side), atol=0.05)


def test_grow_reaches_the_two_component_optimum():
    rng = np.random.default_rng(2)
    X, _ = blobs(400, [(0.0, 0.0), (0.0, 0.0)], [1.0, 0.2], rng)  # same centre, two scales
    X = X - X.mean(0)
    one = run_em(
        X, params_from_resp(X, np.ones((800, 1)), 1e-6), tol=1e-6, reg_covar=1e-6, max_iter=50
    )
    two = grow(X, one, tol=1e-6, reg_covar=1e-6, max_iter=500, rng=np.random.default_rng(0))
    assert two.params.weights.shape == (2,)
    assert two.log_likelihood > one.log_likelihood + 0.1
    variances = np.sort(np.trace(two.params.covariances, axis1=1, axis2=2) / 2)
    np.testing.assert_allclose(variances, [0.04, 1.0], rtol=0.2)
