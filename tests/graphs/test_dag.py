"""DAG utilities and d-separation."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest

from causalmix.graphs import (
    check_adjacency,
    check_dag,
    children,
    covered_arcs,
    d_separated,
    edges,
    is_dag,
    parents,
    skeleton,
    topological_order,
    v_structures,
)
from tests.conftest import make_dag, random_dag


def test_topological_order_respects_arcs():
    rng = np.random.default_rng(0)
    for _ in range(20):
        A = random_dag(7, 0.4, rng)
        pos = {v: k for k, v in enumerate(topological_order(A))}
        assert all(pos[i] < pos[j] for i, j in zip(*np.nonzero(A), strict=True))


def test_cycle_detection():
    cyc = make_dag(3, [(0, 1), (1, 2), (2, 0)])
    assert not is_dag(cyc)
    assert is_dag(make_dag(3, [(0, 1), (1, 2)]))
    with pytest.raises(ValueError, match=r"dag is not acyclic: nodes \[0, 1, 2\]"):
        check_dag(cyc)
    with pytest.raises(ValueError, match="not acyclic"):
        topological_order(cyc)


def test_check_adjacency_errors():
    with pytest.raises(
        ValueError, match=r"adjacency must be a square 2-D matrix, got shape \(3,\)"
    ):
        check_adjacency(np.zeros(3))
    with pytest.raises(ValueError, match=r"self-loops at nodes \[1\]"):
        check_adjacency(np.diag([0, 1]))
    with pytest.raises(ValueError, match="finite"):
        check_adjacency(np.array([[0, np.nan], [0, 0]]))
    with pytest.raises(ValueError, match="conversion failed"):
        check_adjacency([["a", "b"], ["c", "d"]])
    assert check_adjacency(np.array([[0, 0.3], [0, 0]])).dtype == np.int8


def test_parents_children_skeleton_edges():
    A = make_dag(4, [(0, 1), (2, 1), (1, 3)])
    assert parents(A, 1) == {0, 2}
    assert children(A, 1) == {3}
    assert np.array_equal(skeleton(A), A | A.T)
    pd = A.copy()
    pd[3, 1] = 1  # make 1 - 3 undirected
    assert edges(pd) == ([(0, 1), (2, 1)], [(1, 3)])
    assert parents(pd, 3) == frozenset()
    with pytest.raises(ValueError, match=r"node must be an integer in 0..3, got 4"):
        parents(A, 4)


def test_v_structures_and_covered_arcs():
    A = make_dag(4, [(0, 2), (1, 2), (2, 3)])
    assert v_structures(A) == {(0, 2, 1)}
    # 2 -> 3 has pa(3) = {2} but pa(2) = {0, 1}: not covered; 0->2 not covered (1 is a parent of 2)
    assert covered_arcs(A) == []
    chain = make_dag(3, [(0, 1), (1, 2)])
    assert covered_arcs(chain) == [(0, 1)]
    full = make_dag(3, [(0, 1), (0, 2), (1, 2)])
    assert covered_arcs(full) == [(0, 1), (1, 2)]


@pytest.mark.parametrize("seed", range(15))
def test_d_separation_matches_networkx(seed):
    rng = np.random.default_rng(seed)
    A = random_dag(6, 0.4, rng)
    G = nx.DiGraph()
    G.add_nodes_from(range(6))
    G.add_edges_from(zip(*np.nonzero(A), strict=True))
    for x, y in itertools.combinations(range(6), 2):
        rest = [v for v in range(6) if v not in (x, y)]
        for size in range(3):
            for S in itertools.combinations(rest, size):
                assert d_separated(A, x, y, S) == nx.is_d_separator(G, {x}, {y}, set(S))


def test_d_separation_errors():
    A = make_dag(3, [(0, 1), (1, 2)])
    with pytest.raises(ValueError, match="must be disjoint"):
        d_separated(A, 0, 0)
    with pytest.raises(ValueError, match="must be non-empty"):
        d_separated(A, [], 1)
    with pytest.raises(ValueError, match=r"given contains node 7"):
        d_separated(A, 0, 2, [7])
