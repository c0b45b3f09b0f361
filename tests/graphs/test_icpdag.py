"""I-CPDAG: worked examples of docs/spec.md §4, properties, and brute force on small graphs."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from causalmix.graphs import (
    apply_meek_rules,
    dag_to_cpdag,
    dag_to_icpdag,
    edges,
    is_dag,
    skeleton,
    v_structures,
)
from tests.conftest import make_dag, random_dag

# (p, arcs, targets, expected directed, expected undirected) from docs/spec.md §4
WORKED = [
    (3, [(0, 1), (1, 2)], [], [], [(0, 1), (1, 2)]),
    (3, [(0, 1), (1, 2)], [{0}], [(0, 1), (1, 2)], []),
    (3, [(0, 1), (1, 2)], [{2}], [(1, 2)], [(0, 1)]),
    (3, [(0, 1), (1, 2)], [{0, 1}], [(1, 2)], [(0, 1)]),
    (3, [(0, 2), (1, 2)], [], [(0, 2), (1, 2)], []),
    (4, [(0, 1), (0, 2), (1, 3), (2, 3)], [{1}], [(0, 1), (1, 3), (2, 3)], [(0, 2)]),
    (3, [(0, 1), (0, 2), (1, 2)], [{1}], [(0, 1), (0, 2), (1, 2)], []),
    (4, [(0, 1), (0, 2), (0, 3), (2, 1), (3, 1)], [], [(0, 1), (2, 1), (3, 1)], [(0, 2), (0, 3)]),
]


@pytest.mark.parametrize(("p", "arcs", "targets", "directed", "undirected"), WORKED)
def test_worked_examples(p, arcs, targets, directed, undirected):
    got_dir, got_und = edges(dag_to_icpdag(make_dag(p, arcs), targets))
    assert sorted(got_dir) == sorted(directed)
    assert sorted(got_und) == sorted(undirected)


dag_strategy = st.builds(
    lambda p, prob, seed: random_dag(p, prob, np.random.default_rng(seed)),
    st.integers(1, 7),
    st.floats(0.0, 1.0),
    st.integers(0, 2**32 - 1),
)


@settings(max_examples=150, deadline=None)
@given(dag_strategy)
def test_cpdag_idempotent_and_keeps_skeleton_and_v_structures(A):
    cpdag = dag_to_cpdag(A)
    assert np.array_equal(skeleton(cpdag), skeleton(A))
    assert np.array_equal(apply_meek_rules(cpdag), cpdag)
    # every v-structure of the DAG stays directed in the CPDAG
    for a, c, b in v_structures(A):
        assert cpdag[a, c] == 1 and cpdag[c, a] == 0
        assert cpdag[b, c] == 1 and cpdag[c, b] == 0
    # every directed arc of the CPDAG agrees with the DAG
    directed, _ = edges(cpdag)
    assert all(A[i, j] == 1 for i, j in directed)


@settings(max_examples=100, deadline=None)
@given(dag_strategy)
def test_icpdag_without_targets_is_cpdag(A):
    assert np.array_equal(dag_to_icpdag(A, []), dag_to_cpdag(A))
    assert np.array_equal(dag_to_icpdag(A, [set()]), dag_to_cpdag(A))


def _imec_members(A: np.ndarray, targets: list[set[int]]) -> list[np.ndarray]:
    """All DAGs I-Markov equivalent to ``A``, by enumerating orientations of its skeleton."""
    p = A.shape[0]
    pairs = [(i, j) for i in range(p) for j in range(i + 1, p) if A[i, j] or A[j, i]]
    ref_v = v_structures(A)
    members = []
    for flips in itertools.product((False, True), repeat=len(pairs)):
        B = np.zeros_like(A)
        for (i, j), flip in zip(pairs, flips, strict=True):
            if flip:
                B[j, i] = 1
            else:
                B[i, j] = 1
        if not is_dag(B) or v_structures(B) != ref_v:
            continue
        same_cut = all(
            B[i, j] == A[i, j] for t in targets for i, j in pairs if (i in t) != (j in t)
        )
        if same_cut:
            members.append(B)
    return members


@pytest.mark.parametrize("seed", range(60))
def test_icpdag_equals_brute_force_imec(seed):
    rng = np.random.default_rng(seed)
    p = int(rng.integers(2, 6))
    A = random_dag(p, 0.6, rng)
    targets = [
        set(rng.choice(p, size=int(rng.integers(1, 3)), replace=False).tolist())
        for _ in range(int(rng.integers(0, 3)))
    ]
    members = _imec_members(A, targets)
    assert any(np.array_equal(M, A) for M in members)
    union = np.any(np.stack(members).astype(bool), axis=0).astype(np.int8)
    assert np.array_equal(dag_to_icpdag(A, targets), union)


def test_icpdag_rejects_bad_targets_and_cycles():
    A = make_dag(3, [(0, 1), (1, 2)])
    with pytest.raises(ValueError, match=r"targets\[0\] contains node 5"):
        dag_to_icpdag(A, [{5}])
    with pytest.raises(ValueError, match="not acyclic"):
        dag_to_icpdag(make_dag(2, [(0, 1), (1, 0)]), [])


def test_meek_rejects_non_square():
    with pytest.raises(ValueError, match=r"pdag must be a square 2-D matrix, got shape \(2, 3\)"):
        apply_meek_rules(np.zeros((2, 3)))


def _meek_reference(A: np.ndarray) -> np.ndarray:
    """Meek's rules R1–R4 in rounds on boolean matrices (the straightforward formulation)."""
    A = A.astype(bool)
    p = A.shape[0]
    eye = np.eye(p, dtype=bool)
    while True:
        D, U, adj = A & ~A.T, A & A.T, A | A.T
        nonadj = ~adj & ~eye
        Di = D.astype(np.int64)
        orient = U & ((Di.T @ nonadj.astype(np.int64)) > 0)
        orient |= U & ((Di @ Di) > 0)
        for a, b in zip(*np.nonzero(U & ~orient), strict=True):
            mids = np.flatnonzero(U[a] & D[:, b])
            if len(mids) >= 2 and np.any(nonadj[np.ix_(mids, mids)]):
                orient[a, b] = True
                continue
            for d in np.flatnonzero(D[:, b] & adj[a]):
                if np.any(U[a] & D[:, d] & nonadj[:, b]):
                    orient[a, b] = True
                    break
        if not orient.any():
            return A.astype(np.int8)
        orient &= ~(orient & orient.T & np.tril(np.ones((p, p), dtype=bool)))
        A = A & ~orient.T


@pytest.mark.parametrize("p", [5, 9, 70])
def test_meek_bitmask_closure_matches_matrix_reference(p):
    # any partially directed graph, consistent or not, and p > 62 (the non-vectorised masks)
    rng = np.random.default_rng(p)
    for _ in range(40 if p < 62 else 3):
        M = (rng.random((p, p)) < rng.uniform(0.05, 0.6 if p < 62 else 0.08)).astype(np.int8)
        np.fill_diagonal(M, 0)
        assert np.array_equal(apply_meek_rules(M), _meek_reference(M))
        A = random_dag(p, 0.4 if p < 62 else 0.05, rng)
        assert np.array_equal(dag_to_cpdag(A), _meek_reference(skeleton(A) - _v_arcs(A).T))


def _v_arcs(A: np.ndarray) -> np.ndarray:
    """The arcs of a DAG that are part of a v-structure."""
    keep = np.zeros_like(A)
    for a, c, b in v_structures(A):
        keep[a, c] = keep[b, c] = 1
    return keep
