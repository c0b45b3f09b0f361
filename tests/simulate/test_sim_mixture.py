"""Tests of sample_mixture and MixtureSample."""

from __future__ import annotations

import json

import numpy as np
import pytest

from causalmix.simulate import (
    MixtureSample,
    do_intervention,
    paper_interventions,
    random_sem,
    sample_mixture,
    shift_intervention,
)


@pytest.fixture(scope="module")
def sem():
    return random_sem(4, random_state=0)


def test_exact_counts_floor_n_over_k(sem):
    ivs = paper_interventions(sem)  # K = 5
    m = sample_mixture(sem, ivs, 1003, random_state=0)
    assert isinstance(m, MixtureSample)
    assert m.n_components == 5
    np.testing.assert_array_equal(m.counts, [200] * 5)
    assert m.X.shape == (1000, 4)
    np.testing.assert_allclose(m.weights, 0.2)
    assert m.observational == 0
    assert m.targets == [frozenset(), *[frozenset({j}) for j in range(4)]]


def test_exact_counts_with_explicit_weights(sem):
    m = sample_mixture(sem, [do_intervention(1)], 100, weights=[0.29, 0.71], random_state=0)
    np.testing.assert_array_equal(m.counts, [29, 71])  # 100 * 0.29 = 28.999999999999996
    np.testing.assert_allclose(m.weights, [0.29, 0.71])


def test_multinomial_counts(sem):
    m = sample_mixture(
        sem, [do_intervention(1)], 10_000, weights=[0.2, 0.8], exact_counts=False, random_state=0
    )
    assert m.counts.sum() == 10_000 == m.X.shape[0]
    # count of component 0 ~ Binomial(10000, 0.2): sd 40, margin 5 sd
    assert abs(m.counts[0] - 2000) < 200


def test_labels_match_components_and_rows_are_shuffled(sem):
    ivs = [do_intervention(j, value=10.0 + j) for j in range(4)]
    m = sample_mixture(sem, ivs, 5000, random_state=1)
    assert np.any(np.diff(m.labels) < 0)  # not sorted into blocks
    for c in range(1, 5):
        j = c - 1
        # do-variance 1e-9 gives sd 3e-5: rows of component c sit at 10 + j, others far away
        assert np.all(np.abs(m.X[m.labels == c, j] - (10.0 + j)) < 1e-3)
        assert np.all(np.abs(m.X[m.labels != c, j] - (10.0 + j)) > 1e-3)
    for c, comp in enumerate(m.components):
        rows = m.X[m.labels == c]
        se = np.sqrt(np.diag(comp.covariance) / rows.shape[0])
        # 5 standard errors of a mean: chance failure ~1e-6 per entry
        np.testing.assert_array_less(np.abs(rows.mean(axis=0) - comp.mean), 5 * se + 1e-9)


def test_component_truth_is_population_moments(sem):
    ivs = [shift_intervention(2, 3.0)]
    m = sample_mixture(sem, ivs, 20, random_state=0)
    np.testing.assert_allclose(m.means[0], sem.population_mean())
    np.testing.assert_allclose(m.means[1], sem.population_mean(ivs[0]))
    np.testing.assert_allclose(m.covariances[1], sem.population_covariance(ivs[0]))
    assert m.components[1].intervention is ivs[0]
    assert m.components[0].is_observational and not m.components[1].is_observational
    np.testing.assert_array_equal(m.dag, sem.dag)
    assert m.sem is sem


def test_without_observational(sem):
    ivs = [do_intervention(0), do_intervention(3)]
    m = sample_mixture(sem, ivs, 100, include_observational=False, random_state=0)
    assert m.observational is None
    assert m.targets == [frozenset({0}), frozenset({3})]


def test_seeds_reproducible_and_generator_threaded(sem):
    ivs = paper_interventions(sem)
    a = sample_mixture(sem, ivs, 500, random_state=7)
    b = sample_mixture(sem, ivs, 500, random_state=7)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.labels, b.labels)
    c = sample_mixture(sem, ivs, 500, random_state=8)
    assert not np.array_equal(a.X, c.X)
    g = np.random.default_rng(7)
    first = sample_mixture(sem, ivs, 500, random_state=g)
    second = sample_mixture(sem, ivs, 500, random_state=g)  # same Generator, advanced
    np.testing.assert_array_equal(first.X, a.X)
    assert not np.array_equal(first.X, second.X)


def test_truth_dict_is_json_serialisable(sem):
    ivs = paper_interventions(sem, [[1, 2]], kind="hard", mean=2.0)
    m = sample_mixture(sem, ivs, 100, random_state=0)
    truth = json.loads(m.to_json())
    assert truth["targets"] == [[], [1, 2]]
    assert truth["observational"] == 0
    assert truth["n_samples"] == 100 and truth["n_nodes"] == 4
    edges = {tuple(e) for e in truth["dag_edges"]}
    assert edges == {tuple(e) for e in np.argwhere(sem.dag == 1).tolist()}
    np.testing.assert_allclose(truth["covariances"], m.covariances)
    assert truth["interventions"][0] is None
    assert truth["interventions"][1]["kind"] == "hard"
    assert truth["counts"] == [50, 50]


def test_outputs_read_only_and_inputs_untouched(sem):
    w = np.array([0.5, 0.5])
    m = sample_mixture(sem, [do_intervention(0)], 10, weights=w, random_state=0)
    np.testing.assert_array_equal(w, [0.5, 0.5])
    with pytest.raises(ValueError, match="read-only"):
        m.X[0, 0] = 1.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"weights": [0.5, 0.3]}, r"weights must sum to 1 .* got sum 0.8"),
        ({"weights": [1.0]}, r"weights must have shape \(2,\)"),
        ({"weights": [1.5, -0.5]}, r"weights must be finite and positive, got \[1.5, -0.5\]"),
        ({"weights": ["a", "b"]}, "weights must be a vector of 2 positive reals"),
        ({"n_samples": 1}, "n_samples=1 is too small"),
        ({"n_samples": 0}, "n_samples must be an integer >= 1"),
        ({"interventions": [], "include_observational": False}, "no component"),
        ({"interventions": [do_intervention(5)]}, "contains node 5, outside 0..3"),
    ],
)
def test_sample_mixture_value_errors(sem, kwargs, match):
    args = {"interventions": [do_intervention(0)], "n_samples": 10, "random_state": 0}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        sample_mixture(sem, **args)


def test_sample_mixture_type_errors(sem):
    with pytest.raises(TypeError, match="sem must be a LinearGaussianSEM"):
        sample_mixture(np.eye(2), [], 10)
    with pytest.raises(TypeError, match=r"interventions\[0\] must be an Intervention"):
        sample_mixture(sem, [{0}], 10)
