"""Bayes-ball d-separation without validation, the kernel of :func:`causalmix.graphs.d_separated`.

References
----------
.. [1] D. Koller and N. Friedman. Probabilistic Graphical Models. MIT Press, 2009, Algorithm 3.1.
"""

from __future__ import annotations

import numpy as np

__all__ = ["bayes_ball_separated"]


def bayes_ball_separated(
    A: np.ndarray, xs: frozenset[int], ys: frozenset[int], zs: frozenset[int]
) -> bool:
    """:func:`~causalmix.graphs.d_separated` without validation, for hot loops of oracle testers.

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
