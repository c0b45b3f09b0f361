"""Meek's closure and the interventional essential graph on bitmasks (unvalidated kernels).

The validated, matrix-based functions of :mod:`causalmix.graphs.cpdag` and
:mod:`causalmix.graphs.icpdag` call these, and so does the structure search, which holds its DAGs
as parent bitmasks already (:mod:`causalmix._bitmask`). See
:func:`causalmix.graphs.apply_meek_rules` and :func:`causalmix.graphs.dag_to_icpdag` for the
definitions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from causalmix._bitmask import from_row_masks, mask_to_nodes, transpose_masks

__all__ = ["icpdag_of_parents", "meek_closure"]


def meek_closure(rows: list[int]) -> list[int]:
    """Meek's rules R1–R4 on row bitmasks (bit ``j`` of ``rows[i]``: ``A[i, j] = 1``).

    Works in rounds: every rule is evaluated on the graph as it stands at the start of the round,
    then all the orientations found are applied at once (on an inconsistent input, where both
    ``a -> b`` and ``b -> a`` would be forced, only the one with ``a < b`` is kept).
    """
    rows = list(rows)
    p = len(rows)
    full = (1 << p) - 1
    cols = transpose_masks(rows)  # cols[j]: the nodes i with A[i, j] (kept in step with rows)
    while True:
        und = [rows[i] & cols[i] for i in range(p)]  # i - j
        d_in = [cols[j] & ~rows[j] for j in range(p)]  # i -> j, as the set of tails of j
        d_out = [rows[i] & ~cols[i] for i in range(p)]
        adj = [rows[i] | cols[i] for i in range(p)]
        nonadj = [full & ~adj[i] & ~(1 << i) for i in range(p)]
        orient = [0] * p  # orient[a] bit b: orient the undirected a - b as a -> b
        for a in range(p):
            ua = und[a]
            for b in mask_to_nodes(ua):
                if _forced(a, b, ua, d_in, d_out, adj, nonadj):
                    orient[a] |= 1 << b
        if not any(orient):
            return rows
        # orient[a, b] and orient[b, a] can both fire only on an inconsistent input; keep a < b
        for a in range(1, p):
            for b in mask_to_nodes(orient[a] & ((1 << a) - 1)):
                if orient[b] >> a & 1:
                    orient[a] &= ~(1 << b)
        for a in range(p):  # a -> b: drop b -> a
            for b in mask_to_nodes(orient[a]):
                rows[b] &= ~(1 << a)
                cols[a] &= ~(1 << b)


def _forced(
    a: int,
    b: int,
    ua: int,
    d_in: list[int],
    d_out: list[int],
    adj: list[int],
    nonadj: list[int],
) -> bool:
    """Whether one of R1–R4 orients the undirected edge ``a - b`` (``ua``: the undirected
    neighbours of ``a``) as ``a -> b``."""
    if d_in[a] & nonadj[b] or d_out[a] & d_in[b]:  # R1, R2
        return True
    mids = ua & d_in[b]  # R3: a - c -> b and a - d -> b, c and d non-adjacent
    if mids & (mids - 1) and any(nonadj[c] & mids for c in mask_to_nodes(mids)):
        return True
    # R4: a - c -> d -> b, a adjacent to d, c not adjacent to b
    return any(ua & d_in[d] & nonadj[b] for d in mask_to_nodes(d_in[b] & adj[a]))


def icpdag_of_parents(parents: Sequence[int], targets: Sequence[int]) -> np.ndarray:
    """:func:`~causalmix.graphs.dag_to_icpdag` of an (unvalidated) DAG given as parent bitmasks
    (bit ``u`` of ``parents[v]``: ``u -> v``) for target sets given as node bitmasks; no targets
    give the CPDAG."""
    p = len(parents)
    children = transpose_masks(list(parents))
    adj = [children[v] | parents[v] for v in range(p)]
    # keep[c]: the parents a of c whose arc a -> c stays directed — v-structure arcs (a collider
    # with a non-adjacent co-parent) and arcs with exactly one endpoint in some target set
    keep = [0] * p
    for c, pa in enumerate(parents):
        if pa & (pa - 1):
            for a in mask_to_nodes(pa):
                if pa & ~adj[a] & ~(1 << a):
                    keep[c] |= 1 << a
    targets = [t for t in targets if t]
    if targets:
        for c, pa in enumerate(parents):
            if pa:
                for t in targets:
                    keep[c] |= pa & (~t if t >> c & 1 else t)
    # the skeleton with both directions, minus the reverse of every kept arc
    return from_row_masks(meek_closure([adj[x] & ~keep[x] for x in range(p)]))
