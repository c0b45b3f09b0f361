"""Meek's rules and the observational essential graph (CPDAG)."""

from __future__ import annotations

import numpy as np

from causalmix._bitmask import column_masks, from_row_masks, row_masks
from causalmix.graphs._essential import icpdag_of_parents, meek_closure
from causalmix.graphs.dag import check_adjacency, check_dag

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
    return from_row_masks(meek_closure(row_masks(A)))


def dag_to_cpdag(dag: object) -> np.ndarray:
    """The essential graph (CPDAG) of a DAG's Markov equivalence class.

    Equivalent to :func:`causalmix.graphs.dag_to_icpdag` with no interventions.

    Raises
    ------
    ValueError
        If ``dag`` is not a valid adjacency matrix or has a directed cycle.
    """
    return icpdag_of_parents(column_masks(check_dag(dag)), ())
