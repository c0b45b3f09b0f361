"""d-separation in a DAG by the Bayes-ball reachability algorithm."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from causalmix._validation import check_node_set
from causalmix.graphs.dag import check_dag

__all__ = ["d_separated"]


def d_separated(
    dag: object, x: int | Iterable[int], y: int | Iterable[int], given: Iterable[int] = ()
) -> bool:
    """Return True iff node sets ``x`` and ``y`` are d-separated given ``given`` in ``dag``.

    Parameters
    ----------
    dag : array-like of shape (p, p)
        A DAG (``A[i, j] != 0`` iff ``i -> j``).
    x, y : int or iterable of int
        Non-empty, disjoint node sets.
    given : iterable of int
        Conditioning set, disjoint from ``x`` and ``y``.

    Raises
    ------
    ValueError
        If a node is out of range, ``x`` or ``y`` is empty, or the three sets overlap.

    Notes
    -----
    Linear time in the number of edges (Koller & Friedman 2009, Algorithm 3.1).
    """
    A = check_dag(dag).astype(bool)
    p = A.shape[0]
    xs = check_node_set(x, p, name="x")
    ys = check_node_set(y, p, name="y")
    zs = check_node_set(given, p, name="given")
    if not xs or not ys:
        raise ValueError(f"x and y must be non-empty, got x={sorted(xs)}, y={sorted(ys)}")
    if xs & ys or xs & zs or ys & zs:
        raise ValueError(
            f"x, y and given must be disjoint, got x={sorted(xs)}, y={sorted(ys)}, given={sorted(zs)}"
        )
    return _d_separated_unchecked(A, xs, ys, zs)


def _d_separated_unchecked(
    A: np.ndarray, xs: frozenset[int], ys: frozenset[int], zs: frozenset[int]
) -> bool:
    """:func:`d_separated` without validation, for hot loops of oracle testers.

    ``A`` must be a boolean DAG adjacency and the three node sets disjoint, non-empty ``xs``/``ys``.
    """
    p = A.shape[0]
    in_z = np.zeros(p, dtype=bool)
    in_z[list(zs)] = True
    # ancestors of the conditioning set (including it): colliders there are open
    anc = in_z.copy()
    frontier = list(zs)
    while frontier:
        v = frontier.pop()
        for u in np.flatnonzero(A[:, v] & ~anc):
            anc[u] = True
            frontier.append(int(u))
    # states: (node, came_from_child) -- travelling "up" when True
    seen: set[tuple[int, bool]] = set()
    stack = [(v, True) for v in xs]
    while stack:
        v, up = stack.pop()
        if (v, up) in seen:
            continue
        seen.add((v, up))
        if not in_z[v] and v in ys:
            return False
        if up and not in_z[v]:
            stack.extend((int(u), True) for u in np.flatnonzero(A[:, v]))
            stack.extend((int(c), False) for c in np.flatnonzero(A[v]))
        elif not up:
            if not in_z[v]:
                stack.extend((int(c), False) for c in np.flatnonzero(A[v]))
            if anc[v]:
                stack.extend((int(u), True) for u in np.flatnonzero(A[:, v]))
    return True
