"""Choosing the number of components: the paper's rule, BIC/ICL sweeps, recovery, errors."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from causalmix.metrics import match_components
from causalmix.mixture import drop_ratio_rule, select_n_components
from causalmix.simulate import paper_interventions, random_sem, sample_mixture
from tests.mixture.conftest import blobs

SACHS = [
    -67.031,
    -59.4454,
    -58.1279,
    -56.8729,
    -56.5484,
    -56.2204,
    -56.0816,
    -55.8046,
    -55.7381,
    -55.7098,
    -55.6611,
    -55.2302,
]  # docs/spec.md §7.1


@pytest.mark.parametrize(("cutoff", "k"), [(0.01, 4), (0.07, 2), (0.15, 1), (0.30, 1)])
def test_drop_ratio_reproduces_sachs(cutoff, k):
    assert drop_ratio_rule(SACHS, cutoff) == k


@pytest.mark.parametrize(
    ("curve", "cutoff", "k"),
    [
        ([-5.0], 0.07, 1),  # a single fit
        ([-3.0, -3.0, -3.0], 0.0, 1),  # no change at all, even with cutoff 0
        ([-10.0, -5.0, -4.9], 0.07, 2),  # backward scan: the largest k that passes wins
        ([-10.0, -9.9, -5.0], 0.07, 3),
        ([-10.0, -9.0], 0.1, 2),  # ratio 1/9 = 0.111 is measured against |l_2| = 9, not 10
        ([-10.0, -9.0], 0.112, 1),
        ([2.0, 4.0], 0.4, 2),  # positive log-likelihoods (densities > 1) use |l_k|
        ([-1.0, 0.0], 10.0, 2),  # l_k = 0: infinite ratio
        ([0.0, 0.0], 0.0, 1),  # 0 / 0 counts as no change
    ],
)
def test_drop_ratio_edge_cases(curve, cutoff, k):
    assert drop_ratio_rule(curve, cutoff) == k


def test_drop_ratio_is_strict():
    assert drop_ratio_rule([-2.0, -1.0], 1.0) == 1  # ratio exactly 1 is not > 1
    assert drop_ratio_rule(np.array([-2.0, -1.0]), 0.999) == 2


@pytest.mark.parametrize(
    ("curve", "cutoff", "match"),
    [
        ([], 0.07, "non-empty 1-D"),
        ([[-1.0, -2.0]], 0.07, "non-empty 1-D"),
        ([-1.0, np.nan], 0.07, "finite"),
        (["a", "b"], 0.07, "conversion failed"),
        ([-1.0, -2.0], -0.1, "cutoff must be in"),
    ],
)
def test_drop_ratio_errors(curve, cutoff, match):
    with pytest.raises(ValueError, match=match):
        drop_ratio_rule(curve, cutoff)


@pytest.mark.parametrize("criterion", ["sbic", "bic", "icl", "drop_ratio"])
def test_every_criterion_finds_three_blobs(three_blobs, criterion):
    X, _ = three_blobs
    res = select_n_components(X, 6, criterion=criterion, random_state=0)
    assert res.n_components == 3 and res.mixture.n_components == 3
    assert res.curve.shape == res.log_likelihoods.shape == (7,)
    assert np.isnan(res.curve[0]) and res.criterion == criterion
    np.testing.assert_allclose(res.log_likelihoods[3], res.mixture.log_likelihood)
    if criterion == "drop_ratio":
        assert res.cutoff == 0.07 and np.all(np.isfinite(res.log_likelihoods[1:]))
    else:
        assert res.cutoff is None
        assert np.nanargmin(res.curve) == 3
        assert np.isnan(res.curve[6])  # patience 2: stopped after k = 5


def test_bic_curve_is_bic_of_the_fits(three_blobs):
    X, _ = three_blobs
    res = select_n_components(X, 5, criterion="bic", random_state=0)
    np.testing.assert_allclose(res.curve[3], res.mixture.bic(X), rtol=1e-9)


def test_subsampled_sweep_then_full_data(three_blobs):
    X, _ = three_blobs
    res = select_n_components(X, 6, criterion="bic", sweep_size=300, random_state=0)
    assert res.n_sweep_samples == 300 and res.n_components == 3
    assert res.mixture.n_samples == X.shape[0]
    assert np.isfinite(res.sweep_curve[1:4]).all()
    # the full-data curve holds the chosen k and its neighbours that were checked
    assert np.isfinite(res.curve[[2, 3, 4]]).all()


@pytest.mark.parametrize("random_state", [0, 1, 2, 3])
def test_full_data_check_recovers_what_the_subsample_misses(random_state):
    # Two large groups and a small far one (1.2 % of rows): a 100-row subsample holds ~1 of its
    # rows, so the sweep may miss it or split a large group instead; the full-data checks
    # (warm refits downwards, growing upwards) must find the 3 groups anyway.
    rng = np.random.default_rng(0)
    X, _ = blobs(1000, [(0.0, 0.0), (8.0, 0.0)], [1.0, 1.0], rng)
    X = np.vstack([X, np.array([4.0, 9.0]) + 0.3 * rng.standard_normal((25, 2))])
    res = select_n_components(X, 5, criterion="bic", sweep_size=100, random_state=random_state)
    assert res.n_components == 3
    if random_state == 0:
        assert np.nanargmin(res.sweep_curve) == 2  # the subsample alone misses the small group


def test_reproducible_and_input_untouched(three_blobs):
    X, _ = three_blobs
    copy = X.copy()
    a = select_n_components(X, 5, random_state=4)
    b = select_n_components(X, 5, random_state=np.random.default_rng(4))
    np.testing.assert_array_equal(a.curve, b.curve)
    np.testing.assert_array_equal(X, copy)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.n_components = 2
    with pytest.raises(ValueError, match="read-only"):
        a.curve[1] = 0.0


def test_default_max_components_is_p_plus_one(three_blobs):
    X, _ = three_blobs
    res = select_n_components(X, criterion="drop_ratio", random_state=0)
    assert res.max_components == 3 and res.curve.shape == (4,)


def test_convergence_warning_once(three_blobs):
    X, _ = three_blobs
    with pytest.warns(ConvergenceWarning, match="did not converge for k in") as record:
        select_n_components(X, 3, criterion="drop_ratio", max_iter=1, tol=1e-12, random_state=0)
    assert sum(issubclass(w.category, ConvergenceWarning) for w in record) == 1


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"criterion": "aic"}, ValueError, "criterion must be one of"),
        ({"max_components": 10_000}, ValueError, "exceeds the number of rows"),
        ({"max_components": 0}, ValueError, "max_components must be an integer >= 1"),
        ({"sweep_size": 1}, ValueError, "sweep_size must be an integer >= 2"),
        ({"patience": 0}, ValueError, "patience must be an integer >= 1"),
        ({"criterion": "drop_ratio", "cutoff": -1.0}, ValueError, "cutoff must be in"),
        ({"tol": -1.0}, ValueError, "tol must be in"),
        ({"max_iter": 0}, ValueError, "max_iter must be an integer >= 1"),
        ({"max_components": 2.5}, TypeError, "max_components must be an integer"),
    ],
)
def test_select_argument_errors(three_blobs, kwargs, error, match):
    X, _ = three_blobs
    with pytest.raises(error, match=match):
        select_n_components(X, **kwargs)


def test_recovers_simulated_do_mixture_after_matching():
    rng = np.random.default_rng(0)
    sem = random_sem(4, density=0.8, random_state=rng)
    ivs = paper_interventions(sem, targets="all", kind="do", mean=1.0)
    sample = sample_mixture(sem, ivs, 4096, random_state=rng)
    res = select_n_components(sample.X, random_state=rng)
    assert res.n_components == len(sample.components) == 5
    truth_means = np.array([c.mean for c in sample.components])
    truth_covs = np.array([c.covariance for c in sample.components])
    match = match_components(res.mixture.means, res.mixture.covariances, truth_means, truth_covs)
    est = np.asarray(match.true_to_est)
    true = np.arange(5)
    assert np.all(est >= 0)
    # ~800 rows per component: mean errors ~ sd / sqrt(800) ~ 0.05; 0.2 is a 4-sigma margin
    np.testing.assert_allclose(res.mixture.means[est], truth_means[true], atol=0.2)
    np.testing.assert_allclose(res.mixture.weights[est], 0.2, atol=0.02)


@pytest.mark.slow
def test_bic_finds_weak_hard_interventions_the_paper_rule_misses():
    # hard interventions N(0, 0.1) on half the nodes (docs/spec.md §7.2): seeds 0-3 all
    # give paper 1 / BIC 4 at this size; the benchmark measures the rates.
    mean, var = 0.0, 0.1
    rng = np.random.default_rng(0)
    sem = random_sem(6, density=0.8, random_state=rng)
    ivs = paper_interventions(
        sem, targets="half", kind="hard", mean=mean, var=var, random_state=rng
    )
    sample = sample_mixture(sem, ivs, 2**13, random_state=rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        paper = select_n_components(sample.X, criterion="drop_ratio", random_state=0)
    ours = select_n_components(sample.X, criterion="bic", random_state=0)
    assert paper.n_components == 1
    assert ours.n_components == len(sample.components) == 4
