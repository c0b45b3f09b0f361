"""Stability under resampling: known answers on hand-built results, then refits on simulated data."""

from __future__ import annotations

import json

import numpy as np
import pytest

from causalmix import MixtureUTIGSP, StabilityResult, stability
from causalmix._stability_refit import unit_free
from causalmix.graphs import dag_to_icpdag
from causalmix.metrics import match_components
from causalmix.preprocessing import ColumnScaler
from causalmix.simulate import LinearGaussianSEM, paper_interventions, sample_mixture


def _result(directed, undirected, targets=((0.0, 0.0, 0.0), (0.95, 0.5, 0.0))) -> StabilityResult:
    directed = np.asarray(directed, dtype=float)
    targets = np.asarray(targets, dtype=float)
    return StabilityResult(
        n_resamples=20, fraction=0.5, bootstrap=False, node_names=("a", "b", "c"),
        n_components=np.array([2] * 15 + [3] * 5), reference_icpdag=np.zeros((3, 3), np.int8),
        reference_targets=(frozenset(), frozenset({0})), reference_observational=0,
        reference_means=np.zeros((2, 3)), reference_covariances=np.stack([np.eye(3)] * 2),
        directed=directed, undirected=np.asarray(undirected, dtype=float),
        target_frequency=targets, observational_frequency=np.array([1.0, 0.0]),
        matched_frequency=np.array([1.0, 0.9]),
    )  # fmt: skip


# a -> b in 95 % of refits; b - c undirected in 60 % and b -> c in 35 %; a, c never adjacent
DIRECTED = [[0, 0.95, 0], [0, 0, 0.35], [0, 0, 0]]
UNDIRECTED = [[0, 0, 0], [0, 0, 0.6], [0, 0.6, 0]]


def test_stable_graph_orients_only_stable_arrows():
    res = _result(DIRECTED, UNDIRECTED)
    np.testing.assert_allclose(res.adjacency, [[0, 0.95, 0], [0.95, 0, 0.95], [0, 0.95, 0]])
    # a -> b is stable; b - c is stably adjacent but neither orientation reaches 0.9
    assert res.stable_graph(0.9).tolist() == [[0, 1, 0], [0, 0, 1], [0, 1, 0]]
    assert res.stable_graph(0.96).tolist() == [[0, 0, 0]] * 3
    assert res.stable_graph(0.3).tolist() == [[0, 1, 0], [0, 0, 1], [0, 0, 0]]


def test_stable_targets_and_k_distribution():
    res = _result(DIRECTED, UNDIRECTED)
    assert res.stable_targets(0.9) == (frozenset(), frozenset({0}))
    assert res.stable_targets(0.5) == (frozenset(), frozenset({0, 1}))
    assert res.k_frequencies == {2: 0.75, 3: 0.25}


def test_to_dict_is_json_and_lists_each_pair_once():
    doc = json.loads(json.dumps(_result(DIRECTED, UNDIRECTED).to_dict()))
    assert doc["n_components_frequency"] == {"2": 0.75, "3": 0.25}
    pairs = [(e["source"], e["target"]) for e in doc["edges"]]
    assert pairs == [("a", "b"), ("b", "c")]
    bc = doc["edges"][1]
    assert (bc["forward"], bc["backward"], bc["undirected"]) == (0.35, 0.0, 0.6)
    assert doc["components"][1]["target_frequency"] == {"a": 0.95, "b": 0.5}


def test_result_holds_read_only_copies():
    directed = np.array(DIRECTED)
    res = _result(directed, UNDIRECTED)
    directed[0, 1] = 0.0  # the caller's array is copied, not kept
    assert res.directed[0, 1] == 0.95
    with pytest.raises(ValueError, match="read-only"):
        res.directed[0, 1] = 0.0


@pytest.mark.parametrize(
    ("threshold", "error", "match"),
    [(0.0, ValueError, r"threshold must be in \(0, 1\], got 0.0"),
     (1.5, ValueError, "threshold must be in"), ("x", TypeError, "threshold must be a number")],
)  # fmt: skip
def test_threshold_is_checked(threshold, error, match):
    res = _result(DIRECTED, UNDIRECTED)
    with pytest.raises(error, match=match):
        res.stable_graph(threshold)
    with pytest.raises(error, match=match):
        res.stable_targets(threshold)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [({"estimator": "MixtureUTIGSP"}, TypeError, "estimator must be a scikit-learn style"),
     ({"n_resamples": 0}, ValueError, "n_resamples must be an integer >= 1, got 0"),
     ({"fraction": 1.0}, ValueError, r"fraction must be in \(0, 1\)"),
     ({"fraction": "half"}, TypeError, "fraction must be a number"),
     ({"fraction": 0.01}, ValueError, r"fraction=0.01 of 100 rows leaves 1 row\(s\)"),
     ({"bootstrap": "yes"}, TypeError, "bootstrap must be a bool")],
)  # fmt: skip
def test_arguments_are_checked_before_any_fit(kwargs, error, match):
    X = np.random.default_rng(0).normal(size=(100, 2))
    with pytest.raises(error, match=match):
        stability(X, **kwargs)


def test_estimator_checks_n_resamples():
    X = np.random.default_rng(0).normal(size=(100, 2))
    with pytest.raises(ValueError, match="n_resamples must be an integer >= 0, got -1"):
        MixtureUTIGSP(n_resamples=-1).fit(X)


def test_components_are_matched_in_standardised_units():
    # columns of scale 1 and 1000; reference components A = (0, 0) and B = (1, 500). A refit's
    # estimates are 0.05 off in the small column and 0.4 scale units (400) off in the big one.
    # Standardised, e0 is closest to A (0.45 against 1.05) and e1 to B; in the data's units the
    # big column alone decides and swaps them.
    unit = (np.array([0.0, 0.0]), np.array([1.0, 1000.0]))
    ref = (np.array([[0.0, 0.0], [1.0, 500.0]]), np.stack([np.diag([1.0, 1e6])] * 2))
    est = (np.array([[0.05, 400.0], [1.05, 100.0]]), ref[1].copy())
    raw = match_components(*est, *ref)
    z = match_components(*unit_free(*est, unit), *unit_free(*ref, unit))
    np.testing.assert_array_equal(z.est_to_true, [0, 1])
    np.testing.assert_array_equal(raw.est_to_true, [1, 0])  # what the data's units would do
    # standardising is the inverse of the scaler's map back to the data's units
    scaler = ColumnScaler(location=np.array([5.0, -2.0]), scale=unit[1], method=("iqr", "iqr"))
    means, covs = unit_free(scaler.inverse_means(ref[0]), scaler.inverse_covariances(ref[1]),
                             (scaler.location, scaler.scale))  # fmt: skip
    np.testing.assert_allclose(means, ref[0], atol=1e-12)  # float rounding of x * 1000 - 2
    np.testing.assert_allclose(covs, ref[1], rtol=1e-12)


# ------------------------------------------------------------------ refits on simulated data
# p = 4, every node do-intervened once plus the observational distribution: with single-node
# targets on every node each edge's orientation is identified (the I-CPDAG is the DAG), and the
# do-value 2 separates every interventional component from the observational one.
W = np.zeros((4, 4))
W[0, 1], W[1, 2], W[0, 3], W[2, 3] = 0.8, -0.8, 0.7, 0.9


@pytest.fixture(scope="module")
def simulated():
    sem = LinearGaussianSEM(W, np.zeros(4), np.ones(4))
    ivs = paper_interventions(sem, targets="all", kind="do", mean=2.0, random_state=0)
    return sample_mixture(sem, ivs, 2**13, random_state=1)


@pytest.fixture(scope="module")
def runs(simulated):
    calls: list[tuple[str, int, int]] = []
    one = stability(simulated.X, n_resamples=10, n_jobs=1, random_state=3)
    two = stability(simulated.X, n_resamples=10, n_jobs=2, random_state=3,
                    progress=lambda *a: calls.append(a))  # fmt: skip
    return one, two, calls


@pytest.mark.slow
def test_same_seed_same_result_whatever_n_jobs(runs):
    one, two = runs[0], runs[1]
    for name in ("n_components", "reference_icpdag", "directed", "undirected",
                 "target_frequency", "observational_frequency", "matched_frequency"):  # fmt: skip
        np.testing.assert_array_equal(getattr(one, name), getattr(two, name), err_msg=name)
    assert one.to_dict() == two.to_dict()


@pytest.mark.slow
def test_frequencies_are_frequencies(runs):
    res = runs[0]
    for arr in (res.directed, res.undirected, res.adjacency, res.target_frequency,
                res.observational_frequency, res.matched_frequency):  # fmt: skip
        assert arr.min() >= 0.0 and arr.max() <= 1.0
    np.testing.assert_array_equal(res.undirected, res.undirected.T)
    # each refit counts at most one mark per pair: i -> j, j -> i or i - j
    assert res.adjacency.max() <= 1.0
    assert sum(res.k_frequencies.values()) == pytest.approx(1.0)
    # every refit's observational component is matched to exactly one reference component
    assert res.observational_frequency.sum() <= 1.0


@pytest.mark.slow
def test_progress_reports_every_resample(runs):
    stages = [c for c in runs[2] if c[0] == "stability (resamples)"]
    assert [c[1] for c in stages] == list(range(11))
    assert {c[2] for c in stages} == {10}


@pytest.mark.slow
def test_true_edges_are_stable_and_absent_edges_are_not(runs):
    res = runs[0]
    true_icpdag = dag_to_icpdag((W != 0).astype(np.int8), [{0}, {1}, {2}, {3}])
    np.testing.assert_array_equal(true_icpdag, W != 0)  # identified: fully oriented
    arcs = W != 0
    absent = ~(arcs | arcs.T) & ~np.eye(4, dtype=bool)
    assert res.directed[arcs].min() >= 0.9
    assert res.adjacency[absent].max() <= 0.1
    np.testing.assert_array_equal(res.stable_graph(0.9), arcs.astype(np.int8))


@pytest.mark.slow
def test_matched_target_frequencies_recover_true_targets(runs, simulated):
    res = runs[0]
    assert res.k_frequencies == {5: 1.0}
    m = match_components(
        res.reference_means, res.reference_covariances, simulated.means, simulated.covariances
    )
    stable = res.stable_targets(0.9)
    for k, t in enumerate(m.est_to_true):
        assert stable[k] == simulated.targets[t]
        others = np.setdiff1d(np.arange(4), sorted(simulated.targets[t]))
        assert res.target_frequency[k, others].max() <= 0.1
    assert res.observational_frequency[res.reference_observational] >= 0.9
    assert m.est_to_true[res.reference_observational] == simulated.observational


@pytest.mark.slow
def test_estimator_hook_sets_stability_(simulated):
    est = MixtureUTIGSP(n_resamples=2, random_state=0).fit(simulated.X[:2048])
    res = est.stability_
    assert res.n_resamples == 2 and res.n_components.shape == (2,)
    np.testing.assert_array_equal(res.reference_icpdag, est.icpdag_)
    assert res.reference_targets == est.targets_
    assert res.target_frequency.shape == (est.n_components_, 4)
    check = {c.name: c for c in est.diagnostics_}["stability_k"]  # judged on these refits
    assert check.value == max(res.k_frequencies.values())
    est.set_params(n_resamples=0).fit(simulated.X[:2048])
    assert not hasattr(est, "stability_")  # a refit without resamples drops the old frequencies
    assert "stability_k" not in {c.name for c in est.diagnostics_}


@pytest.mark.slow
def test_bootstrap_resamples_all_rows(simulated):
    res = stability(simulated.X[:2048], n_resamples=2, bootstrap=True, random_state=0)
    assert res.bootstrap and res.fraction == 1.0
    assert res.n_components.shape == (2,)


@pytest.mark.slow
def test_refits_skip_the_checks_and_nothing_else(simulated):
    # the checks run last in fit (their draws from the Generator come after every claim), so a
    # refit without them makes the same claims as with them
    full = MixtureUTIGSP(random_state=0).fit(simulated.X[:2048])
    quiet = MixtureUTIGSP(random_state=0).fit(simulated.X[:2048], diagnose=False)
    assert quiet.diagnostics_ == () and len(full.diagnostics_) > 0
    np.testing.assert_array_equal(quiet.icpdag_, full.icpdag_)
    np.testing.assert_array_equal(quiet.means_, full.means_)
    assert quiet.targets_ == full.targets_
    assert quiet.observational_component_ == full.observational_component_


@pytest.mark.slow
def test_contested_orientations_are_counted_as_undirected(simulated, monkeypatch):
    # a refit's arc its own invariance tests contradict counts as an undirected edge: with every
    # edge contested no orientation is counted, and every adjacency comes back as undirected
    import causalmix._fit_steps as steps

    X = simulated.X[:2048]
    plain = stability(X, n_resamples=2, n_jobs=1, random_state=0)
    assert plain.directed.max() > 0  # (the case orients arcs)
    monkeypatch.setattr(steps, "contested_orientations", lambda est: np.ones((4, 4), dtype=bool))
    res = stability(X, n_resamples=2, n_jobs=1, random_state=0)
    assert res.directed.max() == 0.0
    np.testing.assert_array_equal(res.undirected, plain.adjacency)
    np.testing.assert_array_equal(res.adjacency, plain.adjacency)


@pytest.mark.slow
def test_a_right_fit_has_no_contested_orientation(simulated):
    # do on every node, well separated: the fit's DAG is the truth, its targets are the true
    # ones, so no target explains another and no orientation is contested; a refined fit (the
    # DAG not UT-IGSP's) has none by definition
    from causalmix._fit_steps import contested_orientations

    est = MixtureUTIGSP(random_state=0).fit(simulated.X[:2048], diagnose=False)
    np.testing.assert_array_equal(est.adjacency_, W != 0)
    assert not est.refined_
    assert not contested_orientations(est).any()
    est.refined_ = True
    assert not contested_orientations(est).any()
