"""Interventional essential graph (I-CPDAG) of a DAG for a family of intervention targets."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from causalmix._bitmask import column_masks
from causalmix._validation import check_node_set
from causalmix.graphs._essential import icpdag_of_parents
from causalmix.graphs.dag import check_dag

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
    return icpdag_of_parents(column_masks(A), masks)
