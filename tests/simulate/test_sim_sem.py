"""Tests of LinearGaussianSEM, random_dag and random_sem."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from causalmix.graphs import is_dag
from causalmix.simulate import (
    LinearGaussianSEM,
    do_intervention,
    hard_intervention,
    random_dag,
    random_sem,
    shift_intervention,
    soft_intervention,
)

CHAIN_W = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 0.8], [0.0, 0.0, 0.0]])


def assert_moments_match(sem, intervention, n, seed):
    """Empirical mean/covariance of ``n`` rows within 5 standard errors of the population values.

    Standard errors come from the population itself: ``sqrt(S_ii / n)`` for means and
    ``sqrt((S_ii S_jj + S_ij^2) / n)`` for covariances (exact for Gaussians). With a fixed seed and
    a few dozen entries, a 5-sigma margin cannot fail by chance (p ~ 1e-5 overall) but does catch a
    wrong formula, which is off by O(1).
    """
    mean = sem.population_mean(intervention)
    cov = sem.population_covariance(intervention)
    X = sem.sample(n, intervention, random_state=seed)
    d = np.diag(cov)
    se_mean = np.sqrt(d / n)
    se_cov = np.sqrt((np.outer(d, d) + cov**2) / n)
    np.testing.assert_array_less(np.abs(X.mean(axis=0) - mean), 5 * se_mean + 1e-12)
    np.testing.assert_array_less(np.abs(np.cov(X, rowvar=False) - cov), 5 * se_cov + 1e-12)


def test_chain_population_moments_known_values():
    sem = LinearGaussianSEM(CHAIN_W, noise_mean=[1.0, 0.0, 0.0], noise_var=1.0)
    # X0 = e0, X1 = X0 + e1, X2 = 0.8 X1 + e2
    np.testing.assert_allclose(sem.population_mean(), [1.0, 1.0, 0.8])
    expected = np.array([[1.0, 1.0, 0.8], [1.0, 2.0, 1.6], [0.8, 1.6, 2.28]])
    np.testing.assert_allclose(sem.population_covariance(), expected)
    np.testing.assert_array_equal(sem.dag, [[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    assert sem.dag.dtype == np.int8
    assert sem.n_nodes == 3


@pytest.mark.parametrize(
    "intervention",
    [
        None,
        do_intervention([1], value=2.0),
        hard_intervention([0, 2], mean=-1.0, var=0.3),
        soft_intervention(2, weight_scale=0.5, mean=1.5, var=2.0),
        shift_intervention(3, shift=2.0),
    ],
    ids=["obs", "do", "hard", "soft", "shift"],
)
def test_population_moments_match_large_sample(intervention):
    sem = random_sem(5, density=0.8, noise_mean=0.3, random_state=3)
    assert_moments_match(sem, intervention, n=200_000, seed=11)


def test_do_intervention_fixes_value_and_variance():
    sem = random_sem(4, density=1.0, permute=False, random_state=0)
    iv = do_intervention([2], value=3.0)
    cov = sem.population_covariance(iv)
    assert cov[2, 2] == pytest.approx(1e-9, rel=1e-6)  # only rounding error on an exact value
    assert sem.population_mean(iv)[2] == pytest.approx(3.0)
    X = sem.sample(5000, iv, random_state=1)
    # sd is sqrt(1e-9) ~ 3e-5, so 1e-3 is > 30 sd away
    assert np.max(np.abs(X[:, 2] - 3.0)) < 1e-3
    # the upstream nodes are untouched
    np.testing.assert_allclose(cov[:2, :2], sem.population_covariance()[:2, :2])


def test_interventions_cut_or_keep_edges():
    sem = random_sem(5, density=1.0, permute=False, random_state=2)
    W = sem.weights
    for iv in (do_intervention(3), hard_intervention(3, 0.0, 1.0)):
        new = sem.intervene(iv)
        assert not new.weights[:, 3].any()
        np.testing.assert_array_equal(np.delete(new.weights, 3, axis=1), np.delete(W, 3, axis=1))
    soft = sem.intervene(soft_intervention(3, weight_scale=0.5))
    np.testing.assert_allclose(soft.weights[:, 3], 0.5 * W[:, 3])
    np.testing.assert_array_equal(soft.dag, sem.dag)
    np.testing.assert_array_equal(soft.noise_var, sem.noise_var)
    shifted = sem.intervene(shift_intervention(3, 2.5))
    np.testing.assert_array_equal(shifted.weights, W)
    np.testing.assert_allclose(shifted.noise_mean, sem.noise_mean + 2.5 * (np.arange(5) == 3))
    np.testing.assert_array_equal(shifted.noise_var, sem.noise_var)
    assert sem.intervene(None) is sem


def test_sem_does_not_mutate_or_alias_inputs():
    w = CHAIN_W.copy()
    mu = np.zeros(3)
    sem = LinearGaussianSEM(w, mu, 1.0)
    sem.intervene(do_intervention(1))
    np.testing.assert_array_equal(w, CHAIN_W)
    w[0, 1] = 5.0
    assert sem.weights[0, 1] == 1.0
    with pytest.raises(ValueError, match="read-only"):
        sem.weights[0, 1] = 2.0


def test_sample_is_reproducible_and_shaped():
    sem = random_sem(4, random_state=0)
    a = sem.sample(10, random_state=5)
    b = sem.sample(10, random_state=5)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (10, 4)
    assert sem.sample(0, random_state=5).shape == (0, 4)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"weights": np.zeros((2, 3))}, "square"),
        ({"weights": np.array([[0.0, np.nan], [0.0, 0.0]])}, "weights must be finite"),
        ({"weights": np.array([[0.0, 1.0], [1.0, 0.0]])}, "weights is not acyclic"),
        ({"weights": np.array([[1.0, 0.0], [0.0, 0.0]])}, "self-loops"),
        ({"noise_mean": [0.0, 0.0, 0.0]}, r"noise_mean must be a scalar or have shape \(2,\)"),
        ({"noise_mean": "abc"}, "noise_mean must be a real scalar or vector"),
        ({"noise_mean": [0.0, np.inf]}, "noise_mean must be finite"),
        ({"noise_var": [1.0, 0.0]}, "noise_var must be positive"),
    ],
)
def test_sem_validation(kwargs, match):
    args = {"weights": np.array([[0.0, 1.0], [0.0, 0.0]]), "noise_mean": 0.0, "noise_var": 1.0}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        LinearGaussianSEM(**args)


def test_intervene_rejects_non_intervention_and_bad_targets():
    sem = LinearGaussianSEM(CHAIN_W, 0.0, 1.0)
    with pytest.raises(TypeError, match="intervention must be an Intervention"):
        sem.intervene({0})
    with pytest.raises(ValueError, match=r"contains node 7, outside 0..2"):
        sem.intervene(do_intervention(7))
    with pytest.raises(ValueError, match="n must be an integer >= 0"):
        sem.sample(-1)


def test_random_sem_weights():
    sem = random_sem(8, density=1.0, weight_range=(0.5, 1.0), random_state=4)
    w = sem.weights[sem.dag == 1]
    assert w.size == 28
    assert np.all((np.abs(w) >= 0.5) & (np.abs(w) <= 1.0))
    assert (w > 0).any() and (w < 0).any()  # P(all one sign) = 2^-27
    sem2 = random_sem(3, noise_mean=[0.0, 1.0, 2.0], noise_var=[1.0, 2.0, 3.0], random_state=0)
    np.testing.assert_array_equal(sem2.noise_var, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(sem2.noise_mean, [0.0, 1.0, 2.0])


@pytest.mark.parametrize(
    ("weight_range", "match"),
    [
        ((0.0, 1.0), r"weight_range\[0\] must be in \(0"),
        ((1.0, 0.5), r"weight_range\[1\] must be in \[1"),
        ((1.0,), "weight_range must be a pair"),
    ],
)
def test_random_sem_weight_range_validation(weight_range, match):
    with pytest.raises(ValueError, match=match):
        random_sem(3, weight_range=weight_range, random_state=0)


@settings(max_examples=30, deadline=None)
@given(p=st.integers(1, 12), density=st.floats(0.0, 1.0), seed=st.integers(0, 2**32 - 1))
def test_random_dag_is_dag_and_upper_triangular_without_permutation(p, density, seed):
    dag = random_dag(p, density, permute=False, random_state=seed)
    assert dag.dtype == np.int8
    assert not np.tril(dag).any()
    permuted = random_dag(p, density, random_state=seed)
    assert is_dag(permuted)
    assert permuted.sum() == dag.sum()  # same draws, only relabelled


def test_random_dag_density_edge_cases_and_permutation():
    assert not random_dag(6, 0.0, random_state=0).any()
    full = random_dag(6, 1.0, random_state=0)
    assert full.sum() == 15
    assert not (full & full.T).any()
    assert np.tril(full).any()  # 1/720 chance the permutation is the identity: fixed seed
    assert random_dag(1, random_state=0).shape == (1, 1)


def test_random_dag_expected_degree():
    p, graphs, degree = 30, 50, 3.0
    edges = sum(random_dag(p, expected_degree=degree, random_state=s).sum() for s in range(graphs))
    # total edges ~ Binomial(50 * 435, 3/29): mean 2250, sd ~45; 5 sd = 225 edges = 0.3 degree
    assert abs(2 * edges / (p * graphs) - degree) < 0.3


def test_random_dag_default_density_is_paper():
    p, graphs = 20, 20
    edges = sum(random_dag(p, random_state=s).sum() for s in range(graphs))
    # Binomial(20 * 190, 0.8): mean 3040, sd ~25; 5 sd = 125 edges
    assert abs(edges - 0.8 * graphs * 190) < 125


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"density": 0.5, "expected_degree": 2.0}, "mutually exclusive"),
        ({"density": 1.5}, r"density must be in \[0, 1\]"),
        ({"expected_degree": 5.0}, r"expected_degree must be in \[0, 4\]"),
    ],
)
def test_random_dag_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        random_dag(5, **kwargs)
    with pytest.raises(ValueError, match=match):
        random_sem(5, **kwargs)


def test_random_dag_rejects_bad_n_nodes():
    with pytest.raises(ValueError, match="n_nodes must be an integer >= 1"):
        random_dag(0)
