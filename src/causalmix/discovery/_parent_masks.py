"""Permutation machinery on parent bitmasks: minimal I-MAPs, min-degree orders, reversals.

A DAG is a tuple ``parents`` of ``p`` integers, ``parents[v]`` being the bitmask of the parents of
``v`` (hashable; set algebra is integer arithmetic). These are the unvalidated kernels of the
structure search (:mod:`causalmix.discovery._search`); :mod:`causalmix.discovery.permutations`
states the maths and wraps them for adjacency matrices.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.special import erfc, ndtri

from causalmix._bitmask import mask_to_nodes
from causalmix.stats.testers import CITester

__all__ = [
    "Parents",
    "covered_arcs",
    "imap_by_schur",
    "imap_from_factor",
    "imaps_from_factors",
    "min_degree_order",
    "minimal_imap",
    "minimal_imap_gaussian",
    "minimal_imaps_gaussian",
    "reversal",
    "rho_bound",
]

_SQRT2 = math.sqrt(2.0)

Parents = tuple[int, ...]


# ----------------------------------------------------------------------------- minimal I-MAPs
def minimal_imap(perm: Sequence[int], ci: CITester) -> Parents:
    """Minimal I-MAP of ``perm`` by one CI test per ordered pair (population definition)."""
    parents = [0] * len(perm)
    pred = 0
    for v in perm:
        pa = 0
        for u in mask_to_nodes(pred):
            if not ci.independent(u, v, pred ^ (1 << u)):
                pa |= 1 << u
        parents[v] = pa
        pred |= 1 << v
    return tuple(parents)


def minimal_imap_gaussian(
    perm: Sequence[int], precision: np.ndarray, n: float, alpha: float
) -> Parents:
    """Gaussian minimal I-MAP from the precision matrix: one reversed Cholesky factorisation,
    or the Schur-complement loop when the factorisation fails or the sample is too small."""
    perm = list(perm)
    p = len(perm)
    theta = precision[perm][:, perm]
    if n - p - 1 > 0:  # every step has dof = n - (m - 2) - 3 > 0
        try:
            # reversed Cholesky: R = J chol(J Θ J) J is upper triangular with Θ = R Rᵀ, and its
            # column m-1 restricted to the first m rows is the last column of the Schur
            # complement of Θ onto π[:m] (the precision of X_π[:m]) divided by sqrt of its
            # diagonal entry — all steps of :func:`imap_by_schur` in one LAPACK call
            R = np.linalg.cholesky(theta[::-1, ::-1])[::-1, ::-1]
        except np.linalg.LinAlgError:
            pass
        else:
            return imap_from_factor(perm, R, n, alpha)
    return imap_by_schur(perm, theta, n, alpha)


def minimal_imaps_gaussian(
    perms: list[list[int]], precision: np.ndarray, n: float, alpha: float
) -> list[Parents]:
    """:func:`minimal_imap_gaussian` of several permutations, factorised in one batch."""
    p = precision.shape[0]
    if len(perms) > 1 and n - p - 1 > 0:
        P = np.array(perms)
        theta = precision[P[:, :, None], P[:, None, :]]
        try:
            R = np.linalg.cholesky(theta[:, ::-1, ::-1])[:, ::-1, ::-1]
        except np.linalg.LinAlgError:
            pass
        else:
            return imaps_from_factors(perms, R, n, alpha)
    return [minimal_imap_gaussian(perm, precision, n, alpha) for perm in perms]


def imap_by_schur(perm: list[int], theta: np.ndarray, n: float, alpha: float) -> Parents:
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


def imap_from_factor(perm: list[int], R: np.ndarray, n: float, alpha: float) -> Parents:
    """Minimal I-MAP arcs from the upper-triangular ``R`` with ``Θ[π, π] = R Rᵀ``.

    The precision of ``X_π[:m]`` is ``S = R[:m, :m] R[:m, :m]ᵀ``, so for ``a < b = m - 1``:
    ``S[a, b] = R[a, b] R[b, b]``, ``S[b, b] = R[b, b]²`` and ``S[a, a] = Σ_{c=a..b} R[a, c]²``, hence
    the partial correlation ``ρ = -R[a, b] / sqrt(Σ_{c=a..b} R[a, c]²)``. The arc test
    ``1 - Φ(sqrt(dof) |atanh ρ|) <= alpha`` is evaluated as ``ρ² >= tanh(z_α / sqrt(dof))²``.
    """
    return imaps_from_factors([perm], R[None], n, alpha)[0]


def imaps_from_factors(
    perms: list[list[int]], R: np.ndarray, n: float, alpha: float
) -> list[Parents]:
    """:func:`imap_from_factor` for a stack of factors ``R (runs, p, p)``."""
    p = R.shape[-1]
    R2 = R * R
    # column b = m - 1 uses dof = n - (m - 2) - 3 = n - b - 2
    bound = rho_bound(n - np.arange(p) - 2.0, alpha)
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


def rho_bound(dof: np.ndarray | float, alpha: float) -> np.ndarray:
    """``|ρ|`` from which the one-sided Fisher-z p-value ``1 - Φ(sqrt(dof) |atanh ρ|)`` is
    ``<= alpha``: ``tanh(z_α / sqrt(dof))`` with ``z_α = Φ⁻¹(1 - α)`` (NaN where ``dof <= 0``)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.tanh(-ndtri(alpha) / np.sqrt(dof))


# ---------------------------------------------------------------------- starting permutations
def min_degree_order(neighbours: list[int], rng: np.random.Generator) -> list[int]:
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
            rest = mask_to_nodes(ties)
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
        for u in mask_to_nodes(clique):
            low = 1 << u
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


# ------------------------------------------------------------------------------- covered arcs
def covered_arcs(parents: Parents) -> list[tuple[int, int]]:
    """The covered arcs ``(i, j)``, ``pa(j) = pa(i) ∪ {i}``, ordered by head."""
    # i -> j is covered iff pa(j) = pa(i) ∪ {i} =: cl(i). Distinct nodes have distinct cl(i) (two
    # equal ones would put each node in the other's parents: a cycle), so each head j has at most
    # one covered arc, found by a dictionary lookup of pa(j); arcs come out ordered by head.
    closure = {pa | (1 << i): i for i, pa in enumerate(parents)}
    return [(closure[pj], j) for j, pj in enumerate(parents) if pj in closure]


def reversal(P: int, i: int, j: int, ci: CITester) -> tuple[int, int]:
    """New ``(pa(i), pa(j))`` after reversing the covered arc ``i -> j`` with ``pa(i) = P``."""
    bj = 1 << j
    new_i, new_j = P | bj, P
    for k in mask_to_nodes(P):
        low = 1 << k
        R = P ^ low
        if ci.independent(i, k, R | bj):
            new_i ^= low
        if ci.independent(j, k, R):
            new_j ^= low
    return new_i, new_j
