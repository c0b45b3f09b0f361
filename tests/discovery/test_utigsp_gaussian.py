"""UT-IGSP / GSP / IGSP on Gaussian samples (docs/spec.md §5) and input validation."""

from __future__ import annotations

import numpy as np
import pytest

from causalmix.discovery import gsp, igsp, ut_igsp, ut_igsp_from_statistics
from causalmix.graphs import dag_to_icpdag
from causalmix.simulate import do_intervention, random_sem
from causalmix.stats import GaussianCITester, GaussianInvarianceTester, SufficientStatistics

CHAIN_ARCS = {(0, 1), (1, 2)}


def _chain(rng, n=5000, shift0=0.0, do1=None):
    """x1 = x0 + e1, x2 = 0.8 x1 + e2 with N(0, 1) noise; optional e0 mean shift or do(x1)."""
    x0 = rng.normal(shift0, 1.0, n)
    x1 = x0 + rng.normal(size=n)
    if do1 is not None:
        x1 = rng.normal(do1[0], np.sqrt(do1[1]), n)
    x2 = 0.8 * x1 + rng.normal(size=n)
    return np.column_stack([x0, x1, x2])


def _arcs(A):
    return {(int(i), int(j)) for i, j in zip(*np.nonzero(A), strict=True)}


@pytest.mark.parametrize("seed", range(10))
def test_mean_shift_of_the_source(seed):
    rng = np.random.default_rng(seed)
    res = ut_igsp([_chain(rng), _chain(rng, shift0=2.0)], random_state=seed)
    assert _arcs(res.adjacency) == CHAIN_ARCS
    assert res.targets == (frozenset(), frozenset({0}))


@pytest.mark.parametrize("seed", range(10))
def test_hard_intervention_on_the_middle_node(seed):
    rng = np.random.default_rng(seed)
    res = ut_igsp([_chain(rng), _chain(rng, do1=(1.0, 0.1))], random_state=seed)
    assert _arcs(res.adjacency) == CHAIN_ARCS
    assert res.targets == (frozenset(), frozenset({1}))


def test_targets_follow_input_order_with_a_non_zero_base():
    rng = np.random.default_rng(11)
    data = [_chain(rng, shift0=2.0), _chain(rng), _chain(rng, do1=(1.0, 0.1))]
    res = ut_igsp(data, base=1, random_state=0)
    assert res.base == 1 and _arcs(res.adjacency) == CHAIN_ARCS
    assert res.targets == (frozenset({0}), frozenset(), frozenset({1}))


def test_near_deterministic_do_interventions_random_sem():
    # do(x_t = 2) with variance 1e-9: near-singular component covariances
    sem = random_sem(6, expected_degree=2, random_state=3)
    rng = np.random.default_rng(3)
    targets = [{0}, {4}]
    data = [sem.sample(5000, random_state=rng)]
    data += [sem.sample(5000, do_intervention(t, value=2.0), random_state=rng) for t in targets]
    res = ut_igsp(data, random_state=0)
    assert list(res.targets[1:]) == targets
    np.testing.assert_array_equal(res.icpdag, dag_to_icpdag(sem.dag, targets))


def test_exactly_constant_intervened_column_still_decides():
    rng = np.random.default_rng(4)
    obs = _chain(rng)
    do = _chain(rng, do1=(1.0, 0.1))
    do[:, 1] = 2.0  # a perfect do: the column is constant
    do[:, 2] = 1.6 + rng.normal(size=len(do))
    res = ut_igsp([obs, do], random_state=0)
    assert _arcs(res.adjacency) == CHAIN_ARCS and res.targets[1] == frozenset({1})


def test_statistics_entry_point_shares_testers_across_bases():
    rng = np.random.default_rng(5)
    data = [_chain(rng), _chain(rng, shift0=2.0), _chain(rng, do1=(1.0, 0.1))]
    stats = SufficientStatistics.from_datasets(data)
    inv = GaussianInvarianceTester(stats, base=0)
    results = {}
    for base in range(3):
        ci = GaussianCITester(stats, base)
        results[base] = ut_igsp_from_statistics(
            stats, base, random_state=0, ci_tester=ci, inv_tester=inv
        )
        fresh = ut_igsp_from_statistics(stats, base, random_state=0)
        np.testing.assert_array_equal(results[base].adjacency, fresh.adjacency)
        assert results[base].targets == fresh.targets
    assert results[0].targets == (frozenset(), frozenset({0}), frozenset({1}))
    # the observational base explains the data with the fewest targets (a do-base can give a
    # sparser DAG, so the lexicographic score alone does not identify the base)
    n_targets = {b: sum(map(len, r.targets)) for b, r in results.items()}
    assert min(n_targets, key=n_targets.get) == 0 and list(n_targets.values()).count(2) == 1


def test_soft_responsibilities_run():
    rng = np.random.default_rng(6)
    data = [_chain(rng, 3000), _chain(rng, 3000, shift0=2.0)]
    X = np.concatenate(data)
    resp = np.zeros((6000, 2))
    resp[:3000, 0] = 0.95
    resp[:3000, 1] = 0.05
    resp[3000:, 0] = 0.05
    resp[3000:, 1] = 0.95
    res = ut_igsp_from_statistics(SufficientStatistics.from_responsibilities(X, resp), 0)
    assert _arcs(res.adjacency) == CHAIN_ARCS and res.targets[1] == frozenset({0})


def test_gsp_and_igsp_on_samples():
    rng = np.random.default_rng(7)
    res = gsp(_chain(rng), random_state=0)
    assert res.score == (2, 0)
    np.testing.assert_array_equal(res.essential_graph, res.essential_graph.T)  # all undirected
    res = igsp([_chain(rng), _chain(rng, shift0=2.0)], [(), {0}], random_state=0)
    assert _arcs(res.adjacency) == CHAIN_ARCS and res.score == (2, 0)


def test_bad_input_ut_igsp():
    rng = np.random.default_rng(8)
    obs = _chain(rng, 200)
    with pytest.raises(ValueError, match="same number of columns"):
        ut_igsp([obs, obs[:, :2]])
    with pytest.raises(ValueError, match=r"alpha_ci must be in \(0, 1\), got 0"):
        ut_igsp([obs, obs + 1], alpha_ci=0.0)
    with pytest.raises(ValueError, match=r"alpha_inv must be in \(0, 1\), got 1.5"):
        ut_igsp([obs, obs + 1], alpha_inv=1.5)
    with pytest.raises(ValueError, match=r"datasets\[1\] has 2 rows for 3 variables"):
        ut_igsp([obs, obs[:2]])
    with pytest.raises(ValueError, match=r"base component 1 has n=4 samples for p=3"):
        ut_igsp([obs, obs[:4]], base=1)
    with pytest.raises(ValueError, match=r"datasets\[0\] contains NaN"):
        ut_igsp([np.full((10, 3), np.nan)])
    with pytest.raises(TypeError, match="datasets must be a sequence"):
        ut_igsp("data")
    with pytest.raises(ValueError, match=r"base must be a node index in 0..1, got 5"):
        ut_igsp([obs, obs + 1], base=5)


def test_bad_input_statistics_and_baselines():
    rng = np.random.default_rng(9)
    data = [_chain(rng, 200), _chain(rng, 200)]
    stats = SufficientStatistics.from_datasets(data)
    other = SufficientStatistics.from_datasets(data)
    with pytest.raises(TypeError, match="stats must be a SufficientStatistics"):
        ut_igsp_from_statistics(data)
    with pytest.raises(ValueError, match="ci_tester must be built on the same stats and base"):
        ut_igsp_from_statistics(stats, 1, ci_tester=GaussianCITester(stats, 0))
    with pytest.raises(ValueError, match="inv_tester must be built on the same stats"):
        ut_igsp_from_statistics(stats, inv_tester=GaussianInvarianceTester(other))
    with pytest.raises(ValueError, match="data has 4 rows for 3 variables; need more than 4"):
        gsp(data[0][:4])
    with pytest.raises(ValueError, match=r"alpha_ci must be in \(0, 1\)"):
        gsp(data[0], alpha_ci=2.0)
    with pytest.raises(ValueError, match=r"targets must list one node set per dataset \(2\)"):
        igsp(data, [()])
    with pytest.raises(ValueError, match="igsp needs at least 2 datasets"):
        igsp(data[:1], [()])
    with pytest.raises(ValueError, match=r"datasets\[1\] has 3 rows for 3 variables"):
        igsp([data[0], data[1][:3]], [(), {0}])
    with pytest.raises(TypeError, match="datasets must be a sequence"):
        igsp(np.zeros((10, 3)), [()])


def test_degenerate_sizes():
    rng = np.random.default_rng(10)
    one = ut_igsp([rng.normal(size=(50, 1)), rng.normal(1.0, 1.0, size=(50, 1))], random_state=0)
    assert one.adjacency.shape == (1, 1) and one.targets == (frozenset(), frozenset({0}))
    single = ut_igsp(_chain(rng, 500), random_state=0)  # one observational array: GSP
    assert single.targets == (frozenset(),) and single.n_arcs == 2
