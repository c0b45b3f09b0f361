"""Interventional essential graph (I-CPDAG) of a DAG for a family of intervention targets."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from causalmix._bitmask import mask_to_nodes as _bits
from causalmix._bitmask import transpose_masks
from causalmix._validation import check_node_set
from causalmix.graphs.cpdag import _meek_closure
from causalmix.graphs.dag import _from_row_masks, _row_masks, check_dag

__all__ = ["dag_to_icpdag"]


def dag_to_icpdag(dag: object, targets: Iterable[Iterable[int]]) -> np.ndarray:
    """The I-essential graph of ``dag`` for the targets family ``{∅} ∪ targets``.

    Parameters
    ----------
    dag : array-like of shape (p, p)
        A DAG in the causalmix convention (``A[i, j] != 0`` iff ``i -> j``).
    targets : iterable of iterables of int
        One node set per interventional setting. The observational setting (∅) is always implied;
        empty sets are allowed and change nothing.

    Returns
    -------
    ndarray of shape (p, p), int8
        Directed arcs are identified within the I-Markov equivalence class; undirected edges
        (both entries set) are not.

    Raises
    ------
    ValueError
        If ``dag`` has a cycle or a target lies outside ``0..p-1``.

    Notes
    -----
    Two DAGs are I-Markov equivalent iff they share skeleton and v-structures and orient alike every
    edge with exactly one endpoint in some target set (Hauser & Bühlmann 2012). The essential graph
    keeps those arcs and the v-structure arcs directed and closes the rest under Meek's rules.
    """
    A = check_dag(dag)
    p = A.shape[0]
    sets = [check_node_set(t, p, name=f"targets[{k}]") for k, t in enumerate(targets)]
    masks = [sum(1 << v for v in t) for t in sets]
    return _icpdag_of_parents(_row_masks(A.T), masks)


def _icpdag_of_parents(parents: Sequence[int], targets: Sequence[int]) -> np.ndarray:
    """:func:`dag_to_icpdag` of an (unvalidated) DAG given as parent bitmasks (bit ``u`` of
    ``parents[v]``: ``u -> v``) for target sets given as node bitmasks."""
    p = len(parents)
    children = transpose_masks(list(parents))
    adj = [children[v] | parents[v] for v in range(p)]
    # keep[c]: the parents a of c whose arc a -> c stays directed — v-structure arcs (a collider
    # with a non-adjacent co-parent) and arcs with exactly one endpoint in some target set
    keep = [0] * p
    for c, pa in enumerate(parents):
        if pa & (pa - 1):
            for a in _bits(pa):
                if pa & ~adj[a] & ~(1 << a):
                    keep[c] |= 1 << a
    targets = [t for t in targets if t]
    if targets:
        for c, pa in enumerate(parents):
            if pa:
                for t in targets:
                    keep[c] |= pa & (~t if t >> c & 1 else t)
    # the skeleton with both directions, minus the reverse of every kept arc
    return _from_row_masks(_meek_closure([adj[x] & ~keep[x] for x in range(p)]))
