"""Meek's rules and the observational essential graph (CPDAG)."""

from __future__ import annotations

import numpy as np

from causalmix._bitmask import mask_to_nodes as _bits
from causalmix._bitmask import transpose_masks
from causalmix.graphs.dag import _from_row_masks, _row_masks, check_adjacency

__all__ = ["apply_meek_rules", "dag_to_cpdag"]


def apply_meek_rules(pdag: object) -> np.ndarray:
    """Close a partially directed graph under Meek's rules R1–R4.

    Parameters
    ----------
    pdag : array-like of shape (p, p)
        Directed ``i -> j``: ``A[i, j] = 1, A[j, i] = 0``; undirected ``i - j``: both set.

    Returns
    -------
    ndarray of shape (p, p), int8
        The same skeleton with every undirected edge that R1–R4 force oriented.

    Notes
    -----
    R1 ``c -> a - b``, c, b non-adjacent ⇒ ``a -> b``; R2 ``a -> c -> b`` and ``a - b`` ⇒ ``a -> b``;
    R3 ``a - c -> b``, ``a - d -> b``, c, d non-adjacent ⇒ ``a -> b``; R4 ``a - c -> d -> b``, a
    adjacent to d, c, b non-adjacent ⇒ ``a -> b``. Meek (1995) shows R1–R4 are sound and complete
    for a pattern plus background orientations.
    """
    A = check_adjacency(pdag, "pdag")
    return _from_row_masks(_meek_closure(_row_masks(A)))


def _meek_closure(rows: list[int]) -> list[int]:
    """:func:`apply_meek_rules` on row bitmasks (bit ``j`` of ``rows[i]``: ``A[i, j] = 1``).

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
        found = False
        for a in range(p):
            ua = und[a]
            rest = ua
            while rest:
                bb = rest & -rest
                rest ^= bb
                b = bb.bit_length() - 1
                if d_in[a] & nonadj[b] or d_out[a] & d_in[b]:  # R1, R2
                    orient[a] |= bb
                    found = True
                    continue
                mids = ua & d_in[b]  # R3: a - c -> b and a - d -> b, c and d non-adjacent
                if mids & (mids - 1) and any(nonadj[c] & mids for c in _bits(mids)):
                    orient[a] |= bb
                    found = True
                    continue
                # R4: a - c -> d -> b, a adjacent to d, c not adjacent to b
                for d in _bits(d_in[b] & adj[a]):
                    if ua & d_in[d] & nonadj[b]:
                        orient[a] |= bb
                        found = True
                        break
        if not found:
            return rows
        # orient[a, b] and orient[b, a] can both fire only on an inconsistent input; keep a < b
        for a in range(1, p):
            for b in _bits(orient[a] & ((1 << a) - 1)):
                if orient[b] >> a & 1:
                    orient[a] &= ~(1 << b)
        for a in range(p):  # a -> b: drop b -> a
            for b in _bits(orient[a]):
                rows[b] &= ~(1 << a)
                cols[a] &= ~(1 << b)


def dag_to_cpdag(dag: object) -> np.ndarray:
    """The essential graph (CPDAG) of a DAG's Markov equivalence class.

    Equivalent to :func:`causalmix.graphs.dag_to_icpdag` with no interventions.
    """
    from causalmix.graphs.icpdag import dag_to_icpdag

    return dag_to_icpdag(dag, ())
