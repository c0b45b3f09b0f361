"""Permutation machinery of GSP / UT-IGSP: minimal I-MAPs, starting orders, covered-arc reversals.

Inside the search a DAG is a tuple ``parents`` of ``p`` integers, ``parents[v]`` being the bitmask
of the parents of ``v`` (so the tuple is hashable and set algebra is integer arithmetic). The public
functions here take and return adjacency matrices (``A[i, j] != 0`` iff ``i -> j``, see
:mod:`causalmix.graphs`); the underscored ones work on parent masks.

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

import math
from collections.abc import Sequence

import numpy as np
from scipy.special import erfc, ndtri

from causalmix._validation import check_alpha, check_real
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

_SQRT2 = math.sqrt(2.0)

Parents = tuple[int, ...]


# ---------------------------------------------------------------- mask <-> adjacency conversion
def _to_adjacency(parents: Parents) -> np.ndarray:
    p = len(parents)
    A = np.zeros((p, p), dtype=np.int8)
    for v, mask in enumerate(parents):
        while mask:
            low = mask & -mask
            A[low.bit_length() - 1, v] = 1
            mask ^= low
    return A


def _to_parents(A: np.ndarray) -> Parents:
    p = A.shape[0]
    if p <= 62:  # parent masks as one integer matrix-vector product
        weights = np.left_shift(np.int64(1), np.arange(p, dtype=np.int64))
        return tuple(((A != 0).T.astype(np.int64) @ weights).tolist())
    return tuple(sum(1 << int(u) for u in np.flatnonzero(A[:, v])) for v in range(p))


def _check_permutation(permutation: Sequence[int], p: int | None = None) -> list[int]:
    perm = [int(v) for v in np.asarray(permutation).ravel()]
    n = len(perm) if p is None else p
    if sorted(perm) != list(range(n)):
        raise ValueError(f"permutation must be a permutation of 0..{n - 1}, got {perm}")
    return perm


# ----------------------------------------------------------------------------- minimal I-MAPs
def _minimal_imap(perm: Sequence[int], ci: CITester) -> Parents:
    parents = [0] * len(perm)
    pred = 0
    for v in perm:
        pa = 0
        rest = pred
        while rest:
            low = rest & -rest
            rest ^= low
            if not ci.independent(low.bit_length() - 1, v, pred ^ low):
                pa |= low
        parents[v] = pa
        pred |= 1 << v
    return tuple(parents)


def _minimal_imap_gaussian(
    perm: Sequence[int], precision: np.ndarray, n: float, alpha: float
) -> Parents:
    perm = list(perm)
    p = len(perm)
    theta = precision[perm][:, perm]
    if n - p - 1 > 0:  # every step has dof = n - (m - 2) - 3 > 0
        try:
            # reversed Cholesky: R = J chol(J Θ J) J is upper triangular with Θ = R Rᵀ, and its
            # column m-1 restricted to the first m rows is the last column of the Schur
            # complement of Θ onto π[:m] (the precision of X_π[:m]) divided by sqrt of its
            # diagonal entry — all steps of :func:`_imap_by_schur` in one LAPACK call
            R = np.linalg.cholesky(theta[::-1, ::-1])[::-1, ::-1]
        except np.linalg.LinAlgError:
            pass
        else:
            return _imap_from_factor(perm, R, n, alpha)
    return _imap_by_schur(perm, theta, n, alpha)


def _minimal_imaps_gaussian(
    perms: list[list[int]], precision: np.ndarray, n: float, alpha: float
) -> list[Parents]:
    """:func:`_minimal_imap_gaussian` of several permutations, factorised in one batch."""
    p = precision.shape[0]
    if len(perms) > 1 and n - p - 1 > 0:
        P = np.array(perms)
        theta = precision[P[:, :, None], P[:, None, :]]
        try:
            R = np.linalg.cholesky(theta[:, ::-1, ::-1])[:, ::-1, ::-1]
        except np.linalg.LinAlgError:
            pass
        else:
            return _imaps_from_factors(perms, R, n, alpha)
    return [_minimal_imap_gaussian(perm, precision, n, alpha) for perm in perms]


def _imap_by_schur(perm: list[int], theta: np.ndarray, n: float, alpha: float) -> Parents:
    """The marginalisation loop itself: for ``m = p .. 2`` read the last variable's partial
    correlations from the precision of ``X_π[:m]``, then marginalise it out (Schur complement)."""
    theta = theta.copy()
    parents = [0] * len(perm)
    for m in range(len(perm), 1, -1):
        last = m - 1
        dof = n - (m - 2) - 3
        col = theta[:last, last]
        diag = np.diag(theta)[:last] * theta[last, last]
        if dof > 0 and theta[last, last] > 0:
            with np.errstate(divide="ignore", invalid="ignore"):
                rho = np.clip(-col / np.sqrt(diag), -1.0, 1.0)
                z = math.sqrt(dof) * np.abs(np.arctanh(rho))
            # one-sided p-value 1 - Φ(z) = erfc(z / sqrt 2) / 2 (NaN compares False: no arc)
            pvals = 0.5 * erfc(z / _SQRT2)
            mask = 0
            for a in np.flatnonzero(pvals <= alpha).tolist():
                mask |= 1 << perm[a]
            parents[perm[last]] = mask
            theta = theta[:last, :last] - np.outer(col, col) / theta[last, last]
        else:
            theta = theta[:last, :last]
    return tuple(parents)


def _imap_from_factor(perm: list[int], R: np.ndarray, n: float, alpha: float) -> Parents:
    """Minimal I-MAP arcs from the upper-triangular ``R`` with ``Θ[π, π] = R Rᵀ``.

    The precision of ``X_π[:m]`` is ``S = R[:m, :m] R[:m, :m]ᵀ``, so for ``a < b = m - 1``:
    ``S[a, b] = R[a, b] R[b, b]``, ``S[b, b] = R[b, b]²`` and ``S[a, a] = Σ_{c=a..b} R[a, c]²``, hence
    the partial correlation ``ρ = -R[a, b] / sqrt(Σ_{c=a..b} R[a, c]²)``. The arc test
    ``1 - Φ(sqrt(dof) |atanh ρ|) <= alpha`` is evaluated as ``ρ² >= tanh(z_α / sqrt(dof))²``.
    """
    return _imaps_from_factors([perm], R[None], n, alpha)[0]


def _imaps_from_factors(
    perms: list[list[int]], R: np.ndarray, n: float, alpha: float
) -> list[Parents]:
    """:func:`_imap_from_factor` for a stack of factors ``R (runs, p, p)``."""
    p = R.shape[-1]
    R2 = R * R
    # column b = m - 1 uses dof = n - (m - 2) - 3 = n - b - 2
    bound = _rho_bound(n - np.arange(p) - 2.0, alpha)
    arcs = np.triu(R2 >= bound**2 * np.cumsum(R2, axis=-1), k=1)
    if p <= 62:  # parent masks as integer products: position b gets the bits 1 << π[a] of its arcs
        P = np.array(perms, dtype=np.int64).reshape(len(perms), p)
        masks = np.matmul(np.left_shift(np.int64(1), P)[:, None, :], arcs)[:, 0]
        parents = np.empty_like(masks)
        parents[np.arange(len(perms))[:, None], P] = masks
        return [tuple(row) for row in parents.tolist()]
    out = [[0] * p for _ in perms]
    runs, rows, cols = np.nonzero(arcs)
    for r, a, b in zip(runs.tolist(), rows.tolist(), cols.tolist(), strict=True):
        perm = perms[r]
        out[r][perm[b]] |= 1 << perm[a]
    return [tuple(parents) for parents in out]


def _rho_bound(dof: np.ndarray | float, alpha: float) -> np.ndarray:
    """``|ρ|`` from which the one-sided Fisher-z p-value ``1 - Φ(sqrt(dof) |atanh ρ|)`` is
    ``<= alpha``: ``tanh(z_α / sqrt(dof))`` with ``z_α = Φ⁻¹(1 - α)`` (NaN where ``dof <= 0``)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.tanh(-ndtri(alpha) / np.sqrt(dof))


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
    return _to_adjacency(_minimal_imap(_check_permutation(permutation), ci_tester))


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
    return _to_adjacency(_minimal_imap_gaussian(perm, prec, n, check_alpha(alpha)))


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
        U = (np.abs(prec / np.outer(d, d)) >= _rho_bound(dof, alpha)).astype(np.int8)
    np.fill_diagonal(U, 0)
    return U


def _min_degree_order(neighbours: list[int], rng: np.random.Generator) -> list[int]:
    """Reverse min-degree elimination order of an undirected graph given as neighbour masks.

    Ties are broken by ``rng`` among the minimum-degree nodes listed in increasing order. Nodes
    sit in buckets (bitmasks) by current degree, and neighbour masks only ever hold uneliminated
    nodes, so eliminating ``v`` touches only its neighbours: each gains the others (fill-in) and
    loses ``v``. Once the remaining nodes form a clique (minimum degree = their number - 1) every
    later step is a uniform draw among all of them and the fill-in bookkeeping stops.
    """
    p = len(neighbours)
    nbrs = list(neighbours)
    degree = [nb.bit_count() for nb in nbrs]
    buckets = [0] * max(p, 1)  # buckets[d]: the nodes of degree d
    for v, d in enumerate(degree):
        buckets[d] |= 1 << v
    order = []
    dmin = 0  # no non-empty bucket below dmin
    for left in range(p, 0, -1):
        while not buckets[dmin]:
            dmin += 1
        ties = buckets[dmin]
        if dmin == left - 1:  # a clique: all the remaining nodes tie from now on
            rest = []
            while ties:
                low = ties & -ties
                rest.append(low.bit_length() - 1)
                ties ^= low
            while len(rest) > 1:
                order.append(rest.pop(int(rng.integers(len(rest)))))
            order.append(rest[0])
            break
        n_ties = ties.bit_count()
        if n_ties > 1:  # the r-th smallest tied node
            for _ in range(int(rng.integers(n_ties))):
                ties &= ties - 1
            bv = ties & -ties
        else:
            bv = ties
        v = bv.bit_length() - 1
        buckets[dmin] ^= bv
        clique = nbrs[v]
        rest_mask = clique
        while rest_mask:
            low = rest_mask & -rest_mask
            rest_mask ^= low
            u = low.bit_length() - 1
            nu = nbrs[u] = (nbrs[u] | clique) & ~(low | bv)
            d = nu.bit_count()
            du = degree[u]
            if d != du:
                buckets[du] ^= low
                buckets[d] |= low
                degree[u] = d
                if d < dmin:
                    dmin = d
        order.append(v)
    return order[::-1]


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
    return _min_degree_order(list(_to_parents(U)), rng)


# ------------------------------------------------------------------------------- covered arcs
def _covered_arcs(parents: Parents) -> list[tuple[int, int]]:
    # i -> j is covered iff pa(j) = pa(i) ∪ {i} =: cl(i). Distinct nodes have distinct cl(i) (two
    # equal ones would put each node in the other's parents: a cycle), so each head j has at most
    # one covered arc, found by a dictionary lookup of pa(j); arcs come out ordered by head.
    closure = {pa | (1 << i): i for i, pa in enumerate(parents)}
    return [(closure[pj], j) for j, pj in enumerate(parents) if pj in closure]


def _reversal(P: int, i: int, j: int, ci: CITester) -> tuple[int, int]:
    """New ``(pa(i), pa(j))`` after reversing the covered arc ``i -> j`` with ``pa(i) = P``."""
    bj = 1 << j
    new_i, new_j = P | bj, P
    rest = P
    while rest:
        low = rest & -rest
        rest ^= low
        k = low.bit_length() - 1
        R = P ^ low
        if ci.independent(i, k, R | bj):
            new_i ^= low
        if ci.independent(j, k, R):
            new_j ^= low
    return new_i, new_j


def _reverse(parents: Parents, i: int, j: int, ci: CITester) -> Parents:
    out = list(parents)
    out[i], out[j] = _reversal(parents[i], i, j, ci)
    return tuple(out)


def covered_arcs_of(dag: object) -> list[tuple[int, int]]:
    """Covered arcs ``(i, j)`` of a DAG: ``i -> j`` with ``pa(j) = pa(i) ∪ {i}``."""
    return _covered_arcs(_to_parents(check_dag(dag)))


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
    parents = _to_parents(check_dag(dag))
    if (i, j) not in _covered_arcs(parents):
        raise ValueError(f"({i}, {j}) is not a covered arc of the DAG")
    return _to_adjacency(_reverse(parents, i, j, ci_tester))
