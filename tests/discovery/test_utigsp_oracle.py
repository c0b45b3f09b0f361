"""UT-IGSP, GSP and IGSP with oracle testers: the exact cases of docs/spec.md §5."""

from __future__ import annotations

import numpy as np
import pytest

from causalmix.discovery import (
    UTIGSPResult,
    gsp_from_testers,
    igsp_from_testers,
    ut_igsp_from_testers,
)
from causalmix.graphs import dag_to_cpdag, dag_to_icpdag
from causalmix.stats import DSeparationCITester, OracleInvarianceTester
from tests.conftest import make_dag, random_dag

CHAIN = make_dag(3, [(0, 1), (1, 2)])


def _oracle_run(dag, targets, seed=0, **kwargs):
    ci = DSeparationCITester(dag)
    if not targets:
        return ut_igsp_from_testers(ci, None, len(dag), 1, 0, random_state=seed, **kwargs)
    inv = OracleInvarianceTester(dag, [(), *targets])
    return ut_igsp_from_testers(ci, inv, len(dag), len(targets) + 1, 0, random_state=seed, **kwargs)


def _arcs(A):
    return {(int(i), int(j)) for i, j in zip(*np.nonzero(A), strict=True)}


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize(
    ("targets", "allowed"),
    [
        ([{0}], [{(0, 1), (1, 2)}]),
        ([{1}], [{(0, 1), (1, 2)}]),
        ([{2}], [{(0, 1), (1, 2)}, {(1, 0), (1, 2)}]),
        ([{0}, {2}], [{(0, 1), (1, 2)}]),
    ],
)
def test_chain(targets, allowed, seed):
    res = _oracle_run(CHAIN, targets, seed)
    assert _arcs(res.adjacency) in allowed
    assert res.targets == (frozenset(), *map(frozenset, targets))
    assert res.score == (2, len(targets)) and res.n_arcs == 2 and res.base == 0


@pytest.mark.parametrize("seed", range(5))
def test_v_structure_without_interventions(seed):
    res = _oracle_run(make_dag(3, [(0, 2), (1, 2)]), [], seed)
    assert _arcs(res.adjacency) == {(0, 2), (1, 2)}
    assert res.targets == (frozenset(),)
    np.testing.assert_array_equal(res.icpdag, res.adjacency)


@pytest.mark.parametrize("seed", range(5))
def test_diamond(seed):
    diamond = make_dag(4, [(0, 1), (0, 2), (1, 3), (2, 3)])
    res = _oracle_run(diamond, [{1}], seed)
    arcs = _arcs(res.adjacency)
    assert {(0, 1), (1, 3), (2, 3)} <= arcs and len(arcs) == 4
    assert ((0, 2) in arcs) != ((2, 0) in arcs)
    assert res.targets == (frozenset(), frozenset({1}))
    np.testing.assert_array_equal(res.icpdag, dag_to_icpdag(diamond, [{1}]))


@pytest.mark.slow
def test_random_dags_icpdag_and_targets_exact():
    # docs/spec.md §5: p = 8, ~2 expected neighbours, 3 single-node targets, 100/100 exact
    rng = np.random.default_rng(2024)
    failures = []
    for trial in range(100):
        dag = random_dag(8, 2 / 7, rng)
        targets = [{int(v)} for v in rng.choice(8, size=3, replace=False)]
        res = _oracle_run(dag, targets, seed=trial)
        if not (
            np.array_equal(res.icpdag, dag_to_icpdag(dag, targets))
            and list(res.targets[1:]) == targets
        ):
            failures.append(trial)
    assert failures == []


def test_result_is_frozen_and_reproducible():
    a = _oracle_run(CHAIN, [{2}], seed=7)
    b = _oracle_run(CHAIN, [{2}], seed=np.random.default_rng(7))
    assert isinstance(a, UTIGSPResult)
    np.testing.assert_array_equal(a.adjacency, b.adjacency)
    assert a.adjacency.dtype == np.int8 and not a.adjacency.flags.writeable
    assert len(a.run_scores) == a.n_runs == 5
    assert min(a.run_scores) == a.score
    with pytest.raises(AttributeError):
        a.score = (0, 0)


def test_depth_zero_and_single_run_still_valid():
    res = _oracle_run(CHAIN, [{0}], seed=1, depth=0, n_runs=1)
    assert res.n_runs == 1 and res.score[0] == 2


def test_gsp_oracle_recovers_cpdag():
    rng = np.random.default_rng(3)
    for trial in range(20):
        dag = random_dag(7, 2 / 6, rng)
        res = gsp_from_testers(DSeparationCITester(dag), 7, random_state=trial)
        np.testing.assert_array_equal(res.essential_graph, dag_to_cpdag(dag))
        assert res.score == (int(dag.sum()), 0)


def test_igsp_oracle_orients_with_known_targets():
    for seed in range(5):
        targets = [(), {2}]
        inv = OracleInvarianceTester(CHAIN, targets)
        res = igsp_from_testers(DSeparationCITester(CHAIN), inv, targets, 3, random_state=seed)
        # do(2) changes no other marginal: nothing protected, 1 - 2 oriented by the I-CPDAG
        assert res.essential_graph[1, 2] == 1 and res.essential_graph[2, 1] == 0
        targets = [(), {0}]
        inv = OracleInvarianceTester(CHAIN, targets)
        res = igsp_from_testers(DSeparationCITester(CHAIN), inv, targets, 3, random_state=seed)
        assert _arcs(res.adjacency) == {(0, 1), (1, 2)} and res.score == (2, 0)


def test_bad_testers_and_parameters():
    ci = DSeparationCITester(CHAIN)
    inv = OracleInvarianceTester(CHAIN, [(), {0}])
    with pytest.raises(TypeError, match="ci_tester must implement independent"):
        ut_igsp_from_testers(object(), inv, 3, 2)
    with pytest.raises(TypeError, match="inv_tester must implement variant_mask"):
        ut_igsp_from_testers(ci, object(), 3, 2)
    with pytest.raises(ValueError, match="inv_tester is required when n_components > 1"):
        ut_igsp_from_testers(ci, None, 3, 2)
    with pytest.raises(ValueError, match=r"base must be a node index in 0..1, got 2"):
        ut_igsp_from_testers(ci, inv, 3, 2, base=2)
    with pytest.raises(ValueError, match="depth must be an integer >= 0, got -1"):
        ut_igsp_from_testers(ci, inv, 3, 2, depth=-1)
    with pytest.raises(ValueError, match="n_runs must be an integer >= 1, got 0"):
        ut_igsp_from_testers(ci, inv, 3, 2, n_runs=0)
    with pytest.raises(ValueError, match="random_state must be a non-negative integer"):
        ut_igsp_from_testers(ci, inv, 3, 2, random_state=-1)
    with pytest.raises(TypeError, match="ci_tester must implement independent"):
        gsp_from_testers("ci", 3)
    with pytest.raises(TypeError, match="inv_tester must implement variant_mask"):
        igsp_from_testers(ci, None, [(), {0}], 3)
    with pytest.raises(ValueError, match=r"targets\[1\] contains node 7"):
        igsp_from_testers(ci, inv, [(), {7}], 3)
    with pytest.raises(TypeError, match="targets must be a sequence"):
        igsp_from_testers(ci, inv, "01", 3)
