"""Minimal I-MAPs, starting permutations and covered-arc reversals."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from causalmix.discovery._parent_masks import covered_arcs as covered_arcs_of_masks
from causalmix.discovery._parent_masks import imap_by_schur, imap_from_factor, min_degree_order
from causalmix.discovery.permutations import (
    covered_arcs_of,
    min_degree_permutation,
    minimal_imap,
    minimal_imap_gaussian,
    reverse_covered_arc,
    threshold_graph,
    threshold_graph_gaussian,
)
from causalmix.graphs import covered_arcs, skeleton
from causalmix.stats import DSeparationCITester, GaussianCITester, SufficientStatistics
from tests.conftest import make_dag, random_dag

CHAIN = make_dag(3, [(0, 1), (1, 2)])
COLLIDER = make_dag(3, [(0, 2), (1, 2)])


def _arcs(A):
    return {(int(i), int(j)) for i, j in zip(*np.nonzero(A), strict=True)}


@pytest.mark.parametrize(
    ("dag", "perm", "arcs"),
    [
        (CHAIN, [0, 1, 2], {(0, 1), (1, 2)}),
        (CHAIN, [2, 1, 0], {(2, 1), (1, 0)}),
        (CHAIN, [0, 2, 1], {(0, 2), (0, 1), (2, 1)}),
        (COLLIDER, [0, 1, 2], {(0, 2), (1, 2)}),
        (COLLIDER, [2, 0, 1], {(2, 0), (2, 1), (0, 1)}),
    ],
)
def test_minimal_imap_with_oracle(dag, perm, arcs):
    assert _arcs(minimal_imap(perm, DSeparationCITester(dag))) == arcs


def test_minimal_imap_of_a_topological_order_is_the_true_dag():
    rng = np.random.default_rng(0)
    for _ in range(20):
        A = random_dag(7, 0.4, rng)
        order = _topological(A)
        np.testing.assert_array_equal(minimal_imap(order, DSeparationCITester(A)), A)


def _topological(A):
    remaining, order = set(range(len(A))), []
    while remaining:
        v = min(u for u in remaining if not any(A[w, u] for w in remaining))
        order.append(v)
        remaining.remove(v)
    return order


def _gaussian_data(seed, n=300, p=6):
    rng = np.random.default_rng(seed)
    W = np.triu(rng.uniform(0.3, 1.0, (p, p)) * (rng.random((p, p)) < 0.5), 1)
    X = rng.normal(size=(n, p)) @ np.linalg.inv(np.eye(p) - W)
    return SufficientStatistics.from_datasets([X])


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_gaussian_fast_path_equals_tester_minimal_imap(seed):
    # the fast path's one-sided p <= alpha is the two-sided test at level 2 alpha
    stats = _gaussian_data(seed)
    alpha = 0.01
    tester = GaussianCITester(stats, alpha=2 * alpha)
    perm = list(np.random.default_rng(seed).permutation(6))
    fast = minimal_imap_gaussian(perm, tester.precision, tester.n, alpha)
    np.testing.assert_array_equal(fast, minimal_imap(perm, tester))
    np.testing.assert_array_equal(
        threshold_graph_gaussian(tester.precision, tester.n, alpha), threshold_graph(tester, 6)
    )


def test_threshold_graph_with_oracle_is_the_moral_graph():
    assert _arcs(threshold_graph(DSeparationCITester(COLLIDER), 3)) == set(
        itertools.permutations(range(3), 2)
    )
    np.testing.assert_array_equal(threshold_graph(DSeparationCITester(CHAIN), 3), skeleton(CHAIN))


def test_threshold_graph_gaussian_too_few_rows_is_empty():
    assert not threshold_graph_gaussian(np.eye(4), 5, 0.01).any()


def test_min_degree_permutation():
    # a path 0 - 1 - 2 - 3: leaves go first, so they come last in the permutation
    path = make_dag(4, [(0, 1), (1, 2), (2, 3)])
    path = path | path.T
    seen = set()
    for seed in range(30):
        perm = min_degree_permutation(path, np.random.default_rng(seed))
        assert sorted(perm) == [0, 1, 2, 3]
        assert perm[-1] in {0, 3}  # a leaf (degree 1) is eliminated first
        seen.add(tuple(perm))
    assert len(seen) > 1  # ties are broken at random
    empty = np.zeros((3, 3), dtype=np.int8)
    perms = {tuple(min_degree_permutation(empty, np.random.default_rng(s))) for s in range(60)}
    assert len(perms) == 6
    a = min_degree_permutation(path, np.random.default_rng(5))
    assert a == min_degree_permutation(path, np.random.default_rng(5))


def test_covered_arcs_agree_with_graphs():
    rng = np.random.default_rng(1)
    for _ in range(30):
        A = random_dag(7, 0.4, rng)
        assert sorted(covered_arcs_of(A)) == sorted(covered_arcs(A))


def test_reverse_covered_arc_recovers_collider():
    # order (0, 2, 1) of the collider gives 0->2, 0->1, 2->1; reversing 2->1 drops 0->1
    current = make_dag(3, [(0, 2), (0, 1), (2, 1)])
    ci = DSeparationCITester(COLLIDER)
    assert (2, 1) in covered_arcs_of(current)
    assert _arcs(reverse_covered_arc(current, 2, 1, ci)) == {(0, 2), (1, 2)}
    assert _arcs(reverse_covered_arc(CHAIN, 0, 1, DSeparationCITester(CHAIN))) == {(1, 0), (1, 2)}


def test_bad_input():
    ci = DSeparationCITester(CHAIN)
    with pytest.raises(ValueError, match=r"\(1, 2\) is not a covered arc"):
        reverse_covered_arc(CHAIN, 1, 2, ci)
    with pytest.raises(ValueError, match=r"permutation must be a permutation of 0\.\.2"):
        minimal_imap([0, 0, 1], ci)
    with pytest.raises(ValueError, match=r"permutation must be a permutation of 0\.\.2"):
        minimal_imap_gaussian([0, 1], np.eye(3), 10)
    with pytest.raises(ValueError, match="precision must be a finite square matrix"):
        minimal_imap_gaussian([0, 1], np.ones((2, 3)), 10)
    with pytest.raises(ValueError, match="graph must be symmetric"):
        min_degree_permutation(CHAIN, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"alpha must be in \(0, 1\)"):
        threshold_graph_gaussian(np.eye(3), 10, 1.5)


def _min_degree_reference(neighbours, rng):
    """The plain O(p²) elimination: recompute every degree at every step."""
    nbrs, remaining, order = list(neighbours), set(range(len(neighbours))), []
    while remaining:
        deg = {v: sum(1 for u in remaining if nbrs[v] >> u & 1) for v in remaining}
        dmin = min(deg.values())
        ties = sorted(v for v in remaining if deg[v] == dmin)
        v = ties[int(rng.integers(len(ties)))] if len(ties) > 1 else ties[0]
        remaining.remove(v)
        clique = [u for u in remaining if nbrs[v] >> u & 1]
        for u in clique:
            for w in clique:
                if w != u:
                    nbrs[u] |= 1 << w
        order.append(v)
    return order[::-1]


def test_min_degree_buckets_equal_plain_elimination():
    # same tie sets in the same (increasing) order, so the same draws give the same permutation
    rng = np.random.default_rng(2)
    for trial in range(40):
        p = int(rng.integers(2, 15))
        U = np.triu(rng.random((p, p)) < rng.uniform(0.05, 0.7), 1).astype(np.int8)
        U = U | U.T
        nbrs = [sum(1 << int(u) for u in np.flatnonzero(U[v])) for v in range(p)]
        fast = min_degree_order(nbrs, np.random.default_rng(trial))
        assert fast == _min_degree_reference(nbrs, np.random.default_rng(trial))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_cholesky_minimal_imap_equals_the_schur_loop(seed):
    # one reversed Cholesky factor replaces the p marginalisation steps; same partial correlations
    stats = _gaussian_data(seed, n=200, p=9)
    tester = GaussianCITester(stats, alpha=0.02)
    perm = [int(v) for v in np.random.default_rng(seed).permutation(9)]
    prec = tester.precision
    theta = prec[np.ix_(perm, perm)]
    R = np.linalg.cholesky(theta[::-1, ::-1])[::-1, ::-1]
    for alpha in (1e-3, 0.05, 0.3):
        assert imap_from_factor(perm, R, tester.n, alpha) == imap_by_schur(
            perm, theta, tester.n, alpha
        )


def test_covered_arcs_fast_lookup_equals_definition():
    rng = np.random.default_rng(3)
    for _ in range(30):
        A = random_dag(9, 0.5, rng)
        parents = [sum(1 << int(u) for u in np.flatnonzero(A[:, v])) for v in range(9)]
        brute = [
            (i, j)
            for j in range(9)
            for i in range(9)
            if parents[j] >> i & 1 and parents[j] == parents[i] | 1 << i
        ]
        assert (
            covered_arcs_of_masks(tuple(parents)) == brute
        )  # ordered by head, one arc per head at most
