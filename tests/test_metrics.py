"""Tests of causalmix.metrics."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from causalmix.graphs import dag_to_cpdag
from causalmix.metrics import (
    ComponentMatching,
    adjusted_rand_index,
    component_distances,
    icpdag_shd,
    jaccard,
    match_components,
    parameter_error,
    shd,
    target_jaccard,
    weight_error,
)
from causalmix.simulate import random_dag


def graph(p, directed=(), undirected=()):
    A = np.zeros((p, p), dtype=np.int8)
    for i, j in directed:
        A[i, j] = 1
    for i, j in undirected:
        A[i, j] = A[j, i] = 1
    return A


CHAIN = graph(3, [(0, 1), (1, 2)])


@pytest.mark.parametrize(
    ("other", "expected"),
    [
        (CHAIN, 0),
        (graph(3, [(0, 1), (2, 1)]), 1),  # one reversal counts 1
        (graph(3, [(1, 0), (2, 1)]), 2),  # two reversals
        (graph(3), 2),  # two deletions
        (graph(3, [(0, 1), (0, 2)]), 2),  # delete 1->2, add 0->2
        (graph(3, [(0, 1), (1, 2), (0, 2)]), 1),  # one addition
    ],
)
def test_shd_known_values(other, expected):
    assert shd(CHAIN, other) == expected
    assert shd(other, CHAIN) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (graph(3, undirected=[(0, 1), (1, 2)]), CHAIN, 2),  # two marks differ
        (graph(3, [(0, 1)], [(1, 2)]), CHAIN, 1),
        (graph(3, undirected=[(0, 1)]), graph(3), 1),  # missing undirected edge
        (graph(3, undirected=[(0, 1)]), graph(3, [(1, 0)]), 1),
        (graph(3, undirected=[(0, 1), (1, 2)]), graph(3, undirected=[(0, 2), (1, 2)]), 2),
    ],
)
def test_icpdag_shd_known_values(a, b, expected):
    assert icpdag_shd(a, b) == expected
    assert icpdag_shd(b, a) == expected


def test_icpdag_shd_on_cpdags_of_equivalent_dags_is_zero():
    reverse_chain = graph(3, [(2, 1), (1, 0)])
    assert shd(CHAIN, reverse_chain) == 2
    assert icpdag_shd(dag_to_cpdag(CHAIN), dag_to_cpdag(reverse_chain)) == 0
    collider = graph(3, [(0, 1), (2, 1)])
    assert icpdag_shd(dag_to_cpdag(CHAIN), dag_to_cpdag(collider)) == 2


dag_seeds = st.integers(0, 2**32 - 1)


@settings(max_examples=40, deadline=None)
@given(p=st.integers(1, 7), sa=dag_seeds, sb=dag_seeds, sc=dag_seeds, q=st.floats(0.0, 1.0))
def test_shd_is_a_metric(p, sa, sb, sc, q):
    a, b, c = (random_dag(p, q, random_state=s) for s in (sa, sb, sc))
    assert shd(a, a) == 0
    assert (shd(a, b) == 0) == np.array_equal(a, b)
    assert shd(a, b) == shd(b, a)
    assert shd(a, c) <= shd(a, b) + shd(b, c)
    assert icpdag_shd(a, b) == shd(a, b)  # the two definitions agree on DAGs
    assert shd(a, b) <= p * (p - 1) // 2


@pytest.mark.parametrize(
    ("func", "a", "b", "match"),
    [
        (shd, graph(2, [(0, 1), (1, 0)]), graph(2), "dag_a is not acyclic"),
        (shd, graph(2), graph(2, [(0, 1), (1, 0)]), "dag_b is not acyclic"),
        (shd, graph(2), graph(3), r"same shape, got \(2, 2\) and \(3, 3\)"),
        (icpdag_shd, np.eye(2), graph(2), "g_a has self-loops"),
        (icpdag_shd, graph(3), graph(2), "g_a and g_b must have the same shape"),
    ],
)
def test_shd_validation(func, a, b, match):
    with pytest.raises(ValueError, match=match):
        func(a, b)


def random_components(k, p, rng):
    means = rng.normal(size=(k, p)) * 3
    roots = rng.normal(size=(k, p, p))
    covs = roots @ roots.transpose(0, 2, 1) + np.eye(p)
    return means, covs


def test_match_components_recovers_shuffled_assignment():
    rng = np.random.default_rng(0)
    means, covs = random_components(12, 4, rng)  # 12! permutations: far beyond enumeration
    perm = rng.permutation(12)
    # estimates = true components in shuffled order with noise 100x below the typical separation
    est_means = means[perm] + 0.01 * rng.normal(size=means.shape)
    est_covs = covs[perm] + 0.01 * rng.normal(size=covs.shape)
    m = match_components(est_means, est_covs, means, covs)
    np.testing.assert_array_equal(m.est_to_true, perm)
    np.testing.assert_array_equal(m.true_to_est, np.argsort(perm))
    np.testing.assert_allclose(m.distances, m.cost[m.true_to_est, np.arange(12)])
    assert m.total_distance == pytest.approx(m.distances.sum())
    assert m.pairs == [(int(m.true_to_est[t]), t) for t in range(12)]
    exact = match_components(means[perm], covs[perm], means, covs)
    assert exact.total_distance == 0.0
    assert parameter_error(means[perm], covs[perm], means, covs) == 0.0


def test_match_components_known_distance():
    m = match_components(
        np.array([[1.0, 0.0]]), np.eye(2)[None] * 2, np.zeros((1, 2)), np.eye(2)[None]
    )
    # |1| + |0| for the means, |2-1| + |2-1| for the covariance diagonal
    assert m.total_distance == pytest.approx(3.0)


def test_match_components_rectangular():
    rng = np.random.default_rng(1)
    means, covs = random_components(3, 2, rng)
    far_mean, far_cov = np.full((1, 2), 100.0), 50.0 * np.eye(2)[None]
    # more estimates than truths: the far-away extra estimate stays unmatched
    m = match_components(
        np.concatenate([means, far_mean]), np.concatenate([covs, far_cov]), means, covs
    )
    np.testing.assert_array_equal(m.est_to_true, [0, 1, 2, -1])
    np.testing.assert_array_equal(m.true_to_est, [0, 1, 2])
    assert m.total_distance == 0.0
    # fewer estimates than truths: the far-away truth stays unmatched with a nan distance
    m2 = match_components(
        means[[2, 0]],
        covs[[2, 0]],
        np.concatenate([means, far_mean]),
        np.concatenate([covs, far_cov]),
    )
    np.testing.assert_array_equal(m2.est_to_true, [2, 0])
    np.testing.assert_array_equal(m2.true_to_est, [1, -1, 0, -1])
    assert np.isnan(m2.distances[1]) and np.isnan(m2.distances[3])
    assert (m2.n_est, m2.n_true) == (2, 4)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (
            (np.zeros((2, 3)), np.zeros((2, 2, 2)), np.zeros((1, 3)), np.zeros((1, 3, 3))),
            r"est_means must have shape \(K, p\) and est_covs",
        ),
        (
            (np.zeros((1, 2)), np.zeros((1, 2, 2)), np.zeros(2), np.zeros((1, 2, 2))),
            "true_means must have shape",
        ),
        (
            (np.full((1, 2), np.nan), np.zeros((1, 2, 2)), np.zeros((1, 2)), np.zeros((1, 2, 2))),
            "est_means and est_covs must be finite",
        ),
        (
            (np.zeros((1, 2)), np.zeros((1, 2, 2)), np.zeros((1, 3)), np.zeros((1, 3, 3))),
            "same p, got 2 and 3",
        ),
        (
            (np.zeros((0, 2)), np.zeros((0, 2, 2)), np.zeros((1, 2)), np.zeros((1, 2, 2))),
            "at least one estimated and one true",
        ),
    ],
)
def test_component_distance_validation(args, match):
    with pytest.raises(ValueError, match=match):
        component_distances(*args)
    with pytest.raises(ValueError, match=match):
        match_components(*args)


def identity_matching(k_est, k_true):
    means = np.arange(max(k_est, k_true), dtype=float)[:, None]
    covs = np.ones((max(k_est, k_true), 1, 1))
    return match_components(means[:k_est], covs[:k_est], means[:k_true], covs[:k_true])


def test_parameter_error_with_given_matching():
    means, covs = np.array([[0.0], [10.0]]), np.ones((2, 1, 1))
    m = identity_matching(2, 2)
    assert parameter_error(means + 1.0, covs, means, covs, matching=m) == pytest.approx(2.0)
    with pytest.raises(
        ValueError, match="matching is for 2 estimated and 2 true components, got 1 and 2"
    ):
        parameter_error(means[:1], covs[:1], means, covs, matching=m)
    with pytest.raises(TypeError, match="matching must be a ComponentMatching"):
        parameter_error(means, covs, means, covs, matching={0: 0})


def test_weight_error_matched_and_unmatched():
    m = identity_matching(2, 2)
    assert weight_error([0.4, 0.6], [0.5, 0.5], m) == pytest.approx(0.2)
    # one true component unmatched: its full weight 0.2 is added
    m3 = identity_matching(2, 3)
    assert weight_error([0.5, 0.5], [0.4, 0.4, 0.2], m3) == pytest.approx(0.1 + 0.1 + 0.2)
    # one estimated component unmatched: its full weight 0.3 is added
    m4 = identity_matching(3, 2)
    assert weight_error([0.35, 0.35, 0.3], [0.5, 0.5], m4) == pytest.approx(0.15 + 0.15 + 0.3)


@pytest.mark.parametrize(
    ("est", "true", "match"),
    [
        ([0.5, -0.5], [0.5, 0.5], "est_weights must be a 1-D vector of finite non-negative"),
        ([0.5, 0.5], [[0.5, 0.5]], "true_weights must be a 1-D vector"),
        ([1.0], [0.5, 0.5], "matching is for 2 estimated"),
    ],
)
def test_weight_error_validation(est, true, match):
    with pytest.raises(ValueError, match=match):
        weight_error(est, true, identity_matching(2, 2))


def test_jaccard_conventions():
    assert jaccard(set(), set()) == 1.0
    assert jaccard({1}, set()) == 0.0
    assert jaccard({1, 2}, {2, 3}) == pytest.approx(1 / 3)
    assert jaccard([1, 1, 2], (2, 1)) == 1.0


def test_target_jaccard_matched_and_unmatched():
    # estimated components are listed in the shuffled order [true 2, true 0, true 1]
    est = [{2, 3}, set(), {1}]
    true = [set(), {1}, {2}]
    m = match_components(
        np.array([[2.0], [0.0], [1.0]]),
        np.ones((3, 1, 1)),
        np.array([[0.0], [1.0], [2.0]]),
        np.ones((3, 1, 1)),
    )
    res = target_jaccard(est, true, m)
    np.testing.assert_allclose(res.per_component, [1.0, 1.0, 0.5])
    assert res.mean_all == pytest.approx(2.5 / 3)
    assert res.mean_interventional == pytest.approx(0.75)
    # the unmatched true component {3} scores 0
    res2 = target_jaccard([set(), {1}], [set(), {1}, {3}], identity_matching(2, 3))
    np.testing.assert_allclose(res2.per_component, [1.0, 1.0, 0.0])
    assert res2.mean_interventional == pytest.approx(0.5)
    # without an observational component every component is interventional
    res3 = target_jaccard([{0}], [{0, 1}], identity_matching(1, 1), observational=None)
    assert res3.mean_all == res3.mean_interventional == pytest.approx(0.5)
    # only the observational component: no interventional mean
    assert np.isnan(target_jaccard([set()], [set()], identity_matching(1, 1)).mean_interventional)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"observational": 5}, r"observational must be None or in 0..1, got 5"),
        (
            {"true_targets": [{1}, set()]},
            r"true_targets\[0\] is the observational component and must be empty, got \[1\]",
        ),
        ({"est_targets": [set()]}, "matching is for 2 estimated"),
    ],
)
def test_target_jaccard_validation(kwargs, match):
    args = {
        "est_targets": [set(), {1}],
        "true_targets": [set(), {1}],
        "matching": identity_matching(2, 2),
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        target_jaccard(**args)


def test_adjusted_rand_index():
    assert adjusted_rand_index([0, 0, 1, 1], [1, 1, 0, 0]) == 1.0  # relabelling invariant
    assert adjusted_rand_index([0, 0, 1, 1], [0, 1, 0, 1]) < 0.0  # sklearn: -0.5
    with pytest.raises(
        ValueError, match=r"labels_a must be a non-empty 1-D vector, got shape \(1, 2\)"
    ):
        adjusted_rand_index([[0, 1]], [0, 1])
    with pytest.raises(
        ValueError, match=r"labels_b must be a non-empty 1-D vector, got shape \(0,\)"
    ):
        adjusted_rand_index([0], [])
    with pytest.raises(ValueError, match="same length, got 2 and 3"):
        adjusted_rand_index([0, 1], [0, 1, 1])


def test_matching_is_frozen():
    m = identity_matching(2, 2)
    assert isinstance(m, ComponentMatching)
    with pytest.raises(ValueError, match="read-only"):
        m.est_to_true[0] = 1
