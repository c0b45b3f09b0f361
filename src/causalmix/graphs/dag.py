"""Directed acyclic graphs as adjacency matrices (``A[i, j] != 0`` iff ``i -> j``)."""

from __future__ import annotations

import numpy as np

__all__ = [
    "check_adjacency",
    "check_dag",
    "children",
    "covered_arcs",
    "edges",
    "is_dag",
    "parents",
    "skeleton",
    "topological_order",
    "v_structures",
]


def check_adjacency(A: object, name: str = "adjacency") -> np.ndarray:
    """Validate a square adjacency matrix without self-loops and return it as int8 zeros/ones.

    Parameters
    ----------
    A : array-like of shape (p, p)
        Any numeric or boolean matrix; non-zero entries are edges.
    name : str
        Parameter name used in error messages.

    Raises
    ------
    ValueError
        If ``A`` is not a finite square 2-D matrix or has a non-zero diagonal (a self-loop).
    """
    try:
        arr = np.asarray(A, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be a numeric square matrix; conversion failed: {exc}"
        ) from None
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name} must be a square 2-D matrix, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must have finite entries")
    if np.any(np.diag(arr) != 0):
        loops = np.flatnonzero(np.diag(arr)).tolist()
        raise ValueError(f"{name} has self-loops at nodes {loops}")
    return (arr != 0).astype(np.int8)


def _kahn_order(A: np.ndarray) -> list[int]:
    """Kahn's algorithm; returns a partial order when ``A`` has a cycle."""
    indeg = A.sum(axis=0).astype(np.int64)
    stack = sorted(np.flatnonzero(indeg == 0).tolist(), reverse=True)
    order: list[int] = []
    while stack:
        v = stack.pop()
        order.append(v)
        for c in np.flatnonzero(A[v]).tolist():
            indeg[c] -= 1
            if indeg[c] == 0:
                stack.append(c)
    return order


def is_dag(A: object) -> bool:
    """Return True iff the directed graph ``A`` (see :func:`check_adjacency`) has no directed cycle.

    Undirected edges (both entries set) count as a 2-cycle, so a CPDAG with undirected edges is not a DAG.
    """
    A = check_adjacency(A)
    return len(_kahn_order(A)) == A.shape[0]


def check_dag(A: object, name: str = "dag") -> np.ndarray:
    """Validate a DAG and return it as an int8 adjacency matrix.

    Raises
    ------
    ValueError
        If ``A`` is not a valid adjacency matrix or contains a directed cycle.
    """
    A = check_adjacency(A, name)
    order = _kahn_order(A)
    if len(order) != A.shape[0]:
        on_cycle = sorted(set(range(A.shape[0])) - set(order))
        raise ValueError(
            f"{name} is not acyclic: nodes {on_cycle} lie on or behind a directed cycle"
        )
    return A


def topological_order(A: object) -> list[int]:
    """A topological order of the DAG ``A`` (parents before children; ties by smallest index).

    Raises
    ------
    ValueError
        If ``A`` has a directed cycle.
    """
    return _kahn_order(check_dag(A))


def parents(A: object, node: int) -> frozenset[int]:
    """The nodes ``i`` with ``i -> node`` (directed edges only)."""
    A = check_adjacency(A)
    _check_node(node, A.shape[0])
    return frozenset(np.flatnonzero(A[:, node] & (1 - A[node, :])).tolist())


def children(A: object, node: int) -> frozenset[int]:
    """The nodes ``j`` with ``node -> j`` (directed edges only)."""
    A = check_adjacency(A)
    _check_node(node, A.shape[0])
    return frozenset(np.flatnonzero(A[node, :] & (1 - A[:, node])).tolist())


def skeleton(A: object) -> np.ndarray:
    """The undirected skeleton: symmetric int8 matrix with ``S[i, j] = 1`` iff ``i`` and ``j`` are adjacent."""
    A = check_adjacency(A)
    return (A | A.T).astype(np.int8)


def v_structures(A: object) -> set[tuple[int, int, int]]:
    """Unshielded colliders ``a -> c <- b`` of a DAG as triples ``(a, c, b)`` with ``a < b``."""
    A = check_dag(A)
    adj = (A | A.T).astype(bool)
    out = set()
    for c in range(A.shape[0]):
        pa = np.flatnonzero(A[:, c]).tolist()
        for ia, a in enumerate(pa):
            for b in pa[ia + 1 :]:
                if not adj[a, b]:
                    out.add((a, c, b))
    return out


def covered_arcs(A: object) -> list[tuple[int, int]]:
    """Arcs ``i -> j`` of a DAG with ``pa(j) = pa(i) ∪ {i}``, in row-major order.

    Reversing a covered arc gives a Markov-equivalent DAG (Chickering 1995).
    """
    A = check_dag(A)
    out = []
    for i, j in zip(*np.nonzero(A), strict=True):
        pa_j = A[:, j].copy()
        pa_j[i] = 0
        if np.array_equal(pa_j, A[:, i]):
            out.append((int(i), int(j)))
    return out


def edges(A: object) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Split a (partially directed) graph into directed arcs ``(i, j)`` and undirected edges ``(i, j), i < j``."""
    A = check_adjacency(A)
    directed = [(int(i), int(j)) for i, j in zip(*np.nonzero(A & (1 - A.T)), strict=True)]
    undirected = [(int(i), int(j)) for i, j in zip(*np.nonzero(np.triu(A & A.T)), strict=True)]
    return directed, undirected


def _check_node(node: object, p: int) -> None:
    if isinstance(node, bool) or not isinstance(node, int | np.integer) or not 0 <= node < p:
        raise ValueError(f"node must be an integer in 0..{p - 1}, got {node!r}")
