"""Permutation machinery of GSP / UT-IGSP: minimal I-MAPs, starting orders, covered-arc reversals.

Inside the search a DAG is a tuple ``parents`` of ``p`` integers, ``parents[v]`` being the bitmask
of the parents of ``v`` (so the tuple is hashable and set algebra is integer arithmetic). The public
functions here take and return adjacency matrices (``A[i, j] != 0`` iff ``i -> j``, see
:mod:`causalmix.graphs`); the kernels they wrap, on parent masks, are in
:mod:`causalmix.discovery._parent_masks`.

Notes
-----
*Minimal I-MAP of a permutation π* (population definition): ``π_a -> π_b`` (``a < b``) iff
``X_πa`` and ``X_πb`` are dependent given all other predecessors of ``π_b`` — one CI test per pair.
Gaussian fast path (as in the reference implementation): walk ``m = p .. 2`` over the precision
matrix of ``X_π[:m]``, read the partial correlations of the last variable with every predecessor,
add an arc iff the *one-sided* Fisher-z p-value ``1 - Φ(z)`` is ``<= alpha`` with
``z = sqrt(n - (m - 2) - 3) |atanh ρ|``, then marginalise the last variable out by a Schur
complement; ``O(p³)`` in total.

*Starting permutations*: an undirected threshold graph (edge iff the full-order partial correlation
is significant), then minimum-degree elimination with uniformly random tie-breaking and fill-in; the
permutation is the reverse elimination order.

*Covered-arc reversal*: ``i -> j`` is covered iff ``pa(j) = pa(i) ∪ {i}``. Reversing it with
``P = pa(i)`` gives ``j -> i``; then for each ``k ∈ P`` (``R = P \\ {k}``) the arc ``k -> i`` is
removed if ``CI(i, k | R ∪ {j})`` and ``k -> j`` if ``CI(j, k | R)``. Only ``pa(i), pa(j)`` change.

References
----------
.. [1] L. Solus, Y. Wang and C. Uhler. Consistency guarantees for greedy permutation-based causal
   inference algorithms. Biometrika 108(4), 2021.
.. [2] C. Squires, Y. Wang and C. Uhler. Permutation-based causal structure learning with unknown
   intervention targets. UAI 2020, arXiv:1910.09007.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from causalmix._bitmask import column_masks, from_column_masks
from causalmix._validation import check_alpha, check_real
from causalmix.discovery._parent_masks import covered_arcs, min_degree_order, reversal, rho_bound
from causalmix.discovery._parent_masks import minimal_imap as minimal_imap_masks
from causalmix.discovery._parent_masks import minimal_imap_gaussian as minimal_imap_gaussian_masks
from causalmix.graphs import check_adjacency, check_dag
from causalmix.stats.testers import CITester

__all__ = [
    "covered_arcs_of",
    "min_degree_permutation",
    "minimal_imap",
    "minimal_imap_gaussian",
    "reverse_covered_arc",
    "threshold_graph",
    "threshold_graph_gaussian",
]


def _check_permutation(permutation: Sequence[int], p: int | None = None) -> list[int]:
    perm = [int(v) for v in np.asarray(permutation).ravel()]
    n = len(perm) if p is None else p
    if sorted(perm) != list(range(n)):
        raise ValueError(f"permutation must be a permutation of 0..{n - 1}, got {perm}")
    return perm


def minimal_imap(permutation: Sequence[int], ci_tester: CITester) -> np.ndarray:
    """Minimal I-MAP of a permutation, one CI test per ordered pair (population definition).

    Parameters
    ----------
    permutation : sequence of int
        A permutation ``π`` of ``0..p-1`` (causal order, sources first).
    ci_tester : CITester
        Anything with ``independent(i, j, cond_mask) -> bool``.

    Returns
    -------
    ndarray of shape (p, p), int8
        The DAG with ``π_a -> π_b`` iff ``X_πa`` and ``X_πb`` are dependent given the other
        predecessors of ``π_b``.

    References
    ----------
    .. [1] Solus, Wang & Uhler, Biometrika 2021.
    """
    return from_column_masks(minimal_imap_masks(_check_permutation(permutation), ci_tester))


def minimal_imap_gaussian(
    permutation: Sequence[int], precision: object, n: float, alpha: float = 1e-3
) -> np.ndarray:
    """Gaussian fast path of :func:`minimal_imap` from a precision matrix (``O(p³)``).

    Parameters
    ----------
    permutation : sequence of int
    precision : array-like of shape (p, p)
        Inverse covariance of the (base) component.
    n : float
        Sample size.
    alpha : float, default 1e-3
        Arc iff the one-sided p-value ``1 - Φ(z) <= alpha`` (the reference's convention).

    References
    ----------
    .. [1] Squires, Wang & Uhler, UAI 2020, arXiv:1910.09007.
    """
    prec = np.asarray(precision, dtype=np.float64)
    if prec.ndim != 2 or prec.shape[0] != prec.shape[1] or not np.all(np.isfinite(prec)):
        raise ValueError(f"precision must be a finite square matrix, got shape {prec.shape}")
    perm = _check_permutation(permutation, prec.shape[0])
    n = check_real(n, "n", low=0.0, low_inclusive=False)
    return from_column_masks(minimal_imap_gaussian_masks(perm, prec, n, check_alpha(alpha)))


# ---------------------------------------------------------------------- starting permutations
def threshold_graph(ci_tester: CITester, n_nodes: int) -> np.ndarray:
    """Undirected graph with ``a - b`` iff ``X_a, X_b`` are dependent given all other variables."""
    full = (1 << n_nodes) - 1
    U = np.zeros((n_nodes, n_nodes), dtype=np.int8)
    for a in range(n_nodes):
        for b in range(a + 1, n_nodes):
            if not ci_tester.independent(a, b, full ^ (1 << a) ^ (1 << b)):
                U[a, b] = U[b, a] = 1
    return U


def threshold_graph_gaussian(precision: object, n: float, alpha: float = 1e-3) -> np.ndarray:
    """Gaussian threshold graph: ``a - b`` iff ``1 - Φ(sqrt(n - p - 1) |atanh ρ_ab·rest|) <= alpha``.

    ``ρ_ab·rest = -Θ_ab / sqrt(Θ_aa Θ_bb)`` from the precision ``Θ``; no edges if ``n <= p + 1``.
    """
    prec = np.asarray(precision, dtype=np.float64)
    p = prec.shape[0]
    n = check_real(n, "n", low=0.0, low_inclusive=False)
    alpha = check_alpha(alpha)
    dof = n - p - 1
    if dof <= 0:
        return np.zeros((p, p), dtype=np.int8)
    d = np.sqrt(np.abs(np.diag(prec)))
    with np.errstate(divide="ignore", invalid="ignore"):
        U = (np.abs(prec / np.outer(d, d)) >= rho_bound(dof, alpha)).astype(np.int8)
    np.fill_diagonal(U, 0)
    return U


def min_degree_permutation(graph: object, rng: np.random.Generator) -> list[int]:
    """Random starting permutation: reverse of a randomised minimum-degree elimination order.

    Parameters
    ----------
    graph : array-like of shape (p, p)
        Symmetric undirected adjacency (e.g. from :func:`threshold_graph`).
    rng : numpy.random.Generator
        Breaks ties between minimum-degree nodes uniformly at random.
    """
    U = check_adjacency(graph, "graph")
    if np.any(U != U.T):
        raise ValueError("graph must be symmetric (an undirected adjacency matrix)")
    return min_degree_order(list(column_masks(U)), rng)


def covered_arcs_of(dag: object) -> list[tuple[int, int]]:
    """Covered arcs ``(i, j)`` of a DAG: ``i -> j`` with ``pa(j) = pa(i) ∪ {i}``."""
    return covered_arcs(column_masks(check_dag(dag)))


def reverse_covered_arc(dag: object, i: int, j: int, ci_tester: CITester) -> np.ndarray:
    """Reverse the covered arc ``i -> j`` and drop the arcs into ``i, j`` that CI tests remove.

    Raises
    ------
    ValueError
        If ``i -> j`` is not a covered arc of ``dag``.

    References
    ----------
    .. [1] Solus, Wang & Uhler, Biometrika 2021; Squires, Wang & Uhler, UAI 2020.
    """
    parents = list(column_masks(check_dag(dag)))
    if (i, j) not in covered_arcs(parents):
        raise ValueError(f"({i}, {j}) is not a covered arc of the DAG")
    parents[i], parents[j] = reversal(parents[i], i, j, ci_tester)
    return from_column_masks(parents)
