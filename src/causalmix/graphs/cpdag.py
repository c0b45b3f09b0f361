"""Meek's rules and the observational essential graph (CPDAG)."""

from __future__ import annotations

import numpy as np

from causalmix.graphs.dag import check_adjacency

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
    A = check_adjacency(pdag, "pdag").astype(bool)
    p = A.shape[0]
    eye = np.eye(p, dtype=bool)
    while True:
        D = A & ~A.T
        U = A & A.T
        adj = A | A.T
        nonadj = ~adj & ~eye
        Di = D.astype(np.int64)
        # R1: some c with c -> a and c not adjacent to b
        orient = U & ((Di.T @ nonadj.astype(np.int64)) > 0)
        # R2: a -> c -> b
        orient |= U & ((Di @ Di) > 0)
        # R3 and R4 need pairs of intermediate nodes; p is small, loop over undirected edges
        for a, b in zip(*np.nonzero(U & ~orient), strict=True):
            mids = np.flatnonzero(U[a] & D[:, b])
            if len(mids) >= 2 and np.any(nonadj[np.ix_(mids, mids)]):
                orient[a, b] = True
                continue
            # R4: a - c -> d -> b, a adjacent to d, c not adjacent to b
            for d in np.flatnonzero(D[:, b] & adj[a]):
                if np.any(U[a] & D[:, d] & nonadj[:, b]):
                    orient[a, b] = True
                    break
        if not orient.any():
            return A.astype(np.int8)
        # orient[a, b] and orient[b, a] can both fire only on an inconsistent input; keep the first
        conflict = orient & orient.T
        orient &= ~(conflict & np.tril(np.ones((p, p), dtype=bool)))
        A = A & ~orient.T


def dag_to_cpdag(dag: object) -> np.ndarray:
    """The essential graph (CPDAG) of a DAG's Markov equivalence class.

    Equivalent to :func:`causalmix.graphs.dag_to_icpdag` with no interventions.
    """
    from causalmix.graphs.icpdag import dag_to_icpdag

    return dag_to_icpdag(dag, ())
