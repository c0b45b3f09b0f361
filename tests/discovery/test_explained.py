"""Targets explained by a neighbouring target (causalmix.discovery.explained, issue #13)."""

import numpy as np
import pytest

from causalmix import MixtureUTIGSP
from causalmix.discovery.explained import (
    contested_edges,
    drop_explained_targets,
    explaining_targets,
)
from causalmix.metrics import match_components
from causalmix.simulate import paper_interventions, random_sem, sample_mixture
from causalmix.stats import OracleInvarianceTester


def _masks(arcs, p):
    """Parent bitmasks of the DAG with ``arcs`` (i, j) = i -> j."""
    parents = [0] * p
    for i, j in arcs:
        parents[j] |= 1 << i
    return parents


def _dag(arcs, p):
    A = np.zeros((p, p), dtype=int)
    for i, j in arcs:
        A[i, j] = 1
    return A


# truth 0 -> 1 -> 2 and 0 -> 2; the DAG found has the arc 1 - 2 reversed and misses 0 - 2
TRUE_ARCS = [(0, 1), (1, 2), (0, 2)]
FOUND = _masks([(0, 1), (2, 1)], 3)


def test_reversed_arc_neighbour_is_flagged_then_dropped():
    # do(1): node 2's law given its found parents (none) changes with node 1, so UT-IGSP's rule
    # flags it; given {1} alone it still changes (the collider 1 <- 0 opened by the
    # intervention), given u's parents too ({0, 1}) it does not: node 1 explains node 2
    oracle = OracleInvarianceTester(_dag(TRUE_ARCS, 3), [(), {1}])
    assert oracle.variant_mask(2, FOUND[2]) >> 1 & 1  # flagged today
    assert oracle.variant_mask(2, 0b010) >> 1 & 1  # the toggled edge alone does not explain it
    claimed = (frozenset(), frozenset({1, 2}))
    explained = explaining_targets(oracle, FOUND, claimed, base=0)
    assert explained == ({}, {1: frozenset(), 2: frozenset({1})})
    assert drop_explained_targets(oracle, FOUND, claimed, base=0) == (frozenset(), frozenset({1}))


def test_true_pair_target_is_kept():
    # the same found DAG, but the component intervenes on both 1 and 2: nothing explains 2
    oracle = OracleInvarianceTester(_dag(TRUE_ARCS, 3), [(), {1, 2}])
    claimed = (frozenset(), frozenset({1, 2}))
    assert oracle.variant_mask(2, FOUND[2]) >> 1 & 1
    assert drop_explained_targets(oracle, FOUND, claimed, base=0) == claimed


def test_toggled_edge_explains_a_reversed_neighbour():
    # truth 0 -> 1 with do(0), found 1 -> 0: node 1 given {0} is invariant
    oracle = OracleInvarianceTester(_dag([(0, 1)], 2), [(), {0}])
    claimed = (frozenset(), frozenset({0, 1}))
    parents = _masks([(1, 0)], 2)
    assert oracle.variant_mask(1, parents[1]) >> 1 & 1
    assert drop_explained_targets(oracle, parents, claimed, base=0) == (frozenset(), frozenset({0}))


class _NeverVariant:
    """Every conditional law is invariant everywhere: every target explains every other."""

    def __init__(self):
        self.queries = []

    def variant_mask(self, i, cond):
        self.queries.append((i, cond))
        return 0


def test_mutual_explanation_keeps_both_and_base_is_left_alone():
    tester = _NeverVariant()
    claimed = (frozenset({3}), frozenset({0, 1}), frozenset({2}))
    out = drop_explained_targets(tester, [0, 0, 0, 0], claimed, base=0)
    # 0 and 1 explain each other (nothing tells which one moved); a lone target has no other
    # target to be explained by; the base's set is returned untouched
    assert out == claimed
    # two sets per ordered pair, one when they coincide: pa(v) ^ {u} = (pa(v) | pa(u) | {u})
    assert sorted(tester.queries) == [(0, 0b10), (1, 0b01)]


def test_a_chain_of_explanations_drops_the_explained_ones():
    # truth 0 -> 1 -> 2, do(0); found 2 -> 1 -> 0: 1 is explained by 0, 2 by 1, not the reverse
    oracle = OracleInvarianceTester(_dag([(0, 1), (1, 2)], 3), [(), {0}])
    parents = _masks([(2, 1), (1, 0)], 3)
    claimed = (frozenset(), frozenset({0, 1, 2}))
    assert drop_explained_targets(oracle, parents, claimed, base=1) == (
        frozenset(),
        frozenset({0, 1, 2}),  # base 1: its own set is not pruned
    )
    assert drop_explained_targets(oracle, parents, claimed, base=0) == (frozenset(), frozenset({0}))


def _truth_matched(est, sample):
    m = match_components(est.means_, est.covariances_, sample.means, sample.covariances)
    return [(set(est.targets_[e]), set(sample.targets[t])) for t, e in enumerate(m.true_to_est)]


@pytest.mark.slow
def test_estimator_drops_neighbour_targets_on_do_interventions():
    # p = 5, a do-intervention on every node; UT-IGSP's DAG misorients arcs between targets and
    # their neighbours, which it then also reports as targets (seed chosen for it: 8 claims)
    rng = np.random.default_rng(0)
    sem = random_sem(5, density=0.8, permute=True, random_state=rng)
    sample = sample_mixture(sem, paper_interventions(sem, kind="do"), 6000, random_state=rng)
    keep = MixtureUTIGSP(explained_targets="keep", random_state=0).fit(sample.X, diagnose=False)
    drop = MixtureUTIGSP(random_state=0).fit(sample.X, diagnose=False)
    assert drop.explained_targets == "drop" and not drop.refined_
    np.testing.assert_array_equal(keep.adjacency_, drop.adjacency_)  # only the targets change
    assert keep.targets_ == keep.utigsp_.targets and drop.utigsp_.targets == keep.targets_
    assert sum(map(len, keep.targets_)) == 8
    assert all(est <= kept for est, kept in zip(drop.targets_, keep.targets_, strict=True))
    assert all(est == true for est, true in _truth_matched(drop, sample))


def test_estimator_keeps_pair_targets():
    # two components, each a do-intervention on both ends of a true arc
    rng = np.random.default_rng(3)
    sem = random_sem(5, density=0.8, permute=True, random_state=rng)
    arcs = np.argwhere(np.asarray(sem.weights) != 0)
    pairs = [set(arcs[0].tolist())]
    pairs.append(set(next(a for a in arcs.tolist() if not set(a) & pairs[0])))
    sample = sample_mixture(sem, paper_interventions(sem, pairs, kind="do"), 6000, random_state=rng)
    est = MixtureUTIGSP(random_state=0).fit(sample.X, diagnose=False)
    assert est.n_components_ == 3
    assert all(est_t == true for est_t, true in _truth_matched(est, sample))


def test_explained_targets_is_validated():
    X = np.random.default_rng(0).normal(size=(50, 3))
    with pytest.raises(ValueError, match="explained_targets must be one of"):
        MixtureUTIGSP(explained_targets="bogus").fit(X)
    assert MixtureUTIGSP.paper_mode().explained_targets == "keep"


def test_reversed_arc_between_two_targets_is_contested():
    # truth 0 -> 1 with do(0), found 1 -> 0: node 0 explains node 1, the edge is contested
    oracle = OracleInvarianceTester(_dag([(0, 1)], 2), [(), {0}])
    claimed = (frozenset(), frozenset({0, 1}))
    contested = contested_edges(oracle, _masks([(1, 0)], 2), claimed, base=0)
    np.testing.assert_array_equal(contested, [[False, True], [True, False]])
    # the arc found the right way round: node 1 is not claimed, nothing is contested
    right = _masks([(0, 1)], 2)
    assert not oracle.variant_mask(1, right[1]) >> 1 & 1
    assert not contested_edges(oracle, right, (frozenset(), frozenset({0})), base=0).any()


def test_contested_edges_need_an_edge_between_the_two_targets():
    # FOUND misorients 1 - 2 under do(1): node 1 explains node 2 and the edge 1 - 2 is
    # contested, the edge 0 - 1 is not (node 0 is no target)
    oracle = OracleInvarianceTester(_dag(TRUE_ARCS, 3), [(), {1}])
    contested = contested_edges(oracle, FOUND, (frozenset(), frozenset({1, 2})), base=0)
    assert {tuple(e) for e in np.argwhere(contested)} == {(1, 2), (2, 1)}
    # every target explains every other (a mutual explanation contests too), but only the
    # pairs that are edges of the DAG are returned
    parents = _masks([(0, 1)], 4)
    out = contested_edges(_NeverVariant(), parents, (frozenset(), frozenset({0, 1, 3})), base=0)
    assert {tuple(e) for e in np.argwhere(out)} == {(0, 1), (1, 0)}
