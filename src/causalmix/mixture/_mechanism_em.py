"""EM for the shared-mechanism mixture: the model's maths (private to :mod:`causalmix.mixture`).

The state lives in a standardised frame. ``MechanismModel`` holds the data and the DAG;
``MechanismState`` the grouping (``groups[j, c]``: the mechanism group of component ``c`` at node
``j``), one ``(intercept, beta, variance, expected log-likelihood)`` per node and group, the log
weights and each node's per-group row log-densities. ``m_step`` fits every group's mechanism by
weighted least squares on its summed Grams, ``e_step`` sums the node log-densities per component.
See :mod:`causalmix.mixture.mechanisms` for the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from causalmix.mixture._gaussian import logsumexp_t

__all__ = [
    "LOG_2PI",
    "RIDGE",
    "MechanismModel",
    "MechanismState",
    "bic_of",
    "canonical",
    "e_step",
    "group_merges",
    "logsumexp_t",
    "m_step",
    "n_parameters",
    "normal_logpdf",
    "run_em",
    "sharing_counts",
    "to_data_units",
]

LOG_2PI = float(np.log(2.0 * np.pi))
RIDGE = 1e-9  # relative ridge on a group's Gram: keeps an empty-ish group's solve finite
PRODUCTS_CACHE = 2**24  # node_blocks keeps the rows' products up to this many (128 MB)


def normal_logpdf(r: np.ndarray, var: np.ndarray | float) -> np.ndarray:
    """Log-density of residuals ``r`` under N(0, ``var``) (``var`` broadcast against ``r``)."""
    return -0.5 * (LOG_2PI + np.log(var) + r * r / var)


class MechanismModel:
    """Mutable EM state in the standardised frame (private to this module)."""

    def __init__(self, Z: np.ndarray, dag: np.ndarray, reg: float) -> None:
        self.n, self.p = Z.shape
        self.ZT = np.ascontiguousarray(Z.T)
        self.Zt = np.empty((self.n, self.p + 1))
        self.Zt[:, : self.p] = Z
        self.Zt[:, self.p] = 1.0
        self.floor = float(reg)
        self.log_n = float(np.log(self.n))
        self.set_dag(dag)

    def set_dag(self, dag: np.ndarray) -> None:
        self.dag = (np.asarray(dag) != 0).astype(np.int8)
        self.parents = [np.flatnonzero(self.dag[:, j]) for j in range(self.p)]
        self.idx = [np.append(P, self.p) for P in self.parents]
        self._products = None  # the rows' products for node_blocks, per DAG (see there)

    # ---------------------------------------------------------------- statistics
    def grams(self, resp_t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-component weighted Grams of ``[z, 1]`` (K, p+1, p+1) and weights ``n_c``."""
        K = resp_t.shape[0]
        G = np.empty((K, self.p + 1, self.p + 1))
        for c in range(K):
            G[c] = (self.Zt * resp_t[c, :, None]).T @ self.Zt
        return G, resp_t.sum(axis=1)

    def node_blocks(self, resp_t: np.ndarray) -> list[np.ndarray]:
        """Per node j, the components' weighted Grams on ``[parents, intercept, j]`` (K, m, m):
        all the M-step and the grouping search read. On a sparse DAG they are a small part of the
        whole Grams (at p = 100 about 1/10 of the multiply-adds: one GEMM of the
        responsibilities against the rows' products of those columns per node, the products kept
        for the DAG when they hold at most ``PRODUCTS_CACHE`` values); when they are not (dense
        DAGs), the whole Grams are computed and sliced (:meth:`node_grams`)."""
        sizes = [P.size + 2 for P in self.parents]
        total = sum(m * m for m in sizes)
        if total >= (self.p + 1) ** 2:
            G, _ = self.grams(resp_t)
            return [self.node_grams(j, G) for j in range(self.p)]
        if self.n * total > PRODUCTS_CACHE:  # one node's products at a time (memory)
            return [
                (resp_t @ self._node_products(j)).reshape(-1, m, m) for j, m in enumerate(sizes)
            ]
        if self._products is None:  # EM calls this every iteration on one DAG: keep them
            self._products = np.hstack([self._node_products(j) for j in range(self.p)])
        parts = np.split(resp_t @ self._products, np.cumsum([m * m for m in sizes])[:-1], axis=1)
        return [part.reshape(-1, m, m) for part, m in zip(parts, sizes, strict=True)]

    def _node_products(self, j: int) -> np.ndarray:
        """(N, m * m): every row's products of node j's columns ``[parents, intercept, j]``."""
        Zs = self.Zt[:, np.append(self.idx[j], j)]
        return (Zs[:, :, None] * Zs[:, None, :]).reshape(self.n, -1)

    def fit_mech(
        self, j: int, G: np.ndarray, n: float, parents: np.ndarray | None = None
    ) -> tuple[float, np.ndarray, float, float]:
        """Weighted least squares of node j on its parents from a (summed) Gram.

        Returns ``(intercept, beta, variance, expected complete-data log-likelihood)``.
        """
        idx = self.idx[j] if parents is None else np.append(parents, self.p)
        sub = np.append(idx, j)
        b, beta, var, q = self.fit_blocks(G[np.ix_(sub, sub)][None], np.array([n], dtype=float))
        return float(b[0]), beta[0], float(var[0]), float(q[0])

    def node_grams(self, j: int, G: np.ndarray) -> np.ndarray:
        """The blocks of the Grams ``G`` (K, p+1, p+1) node j's fit reads: rows and columns
        ``[parents, intercept, j]`` (K, m, m) — summing them instead of the whole Grams is what
        keeps the grouping search cheap at p = 50-100."""
        sub = np.append(self.idx[j], j)
        return G[:, sub][:, :, sub]

    def fit_blocks(
        self, B: np.ndarray, n: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Weighted least squares from each of a stack of Gram blocks ``B`` (g, m, m) on
        ``[regressors, intercept, y]`` with weights ``n`` (g,), in one batched solve: intercepts
        (g,), coefficients (g, m - 2), variances (g,) and expected log-likelihoods (g,). The
        searches fit thousands of small mechanisms; one solve per mechanism was most of a
        refinement's time on Sachs (p = 11, K = 8-12)."""
        n = np.asarray(n, dtype=float)
        m = B.shape[-1]
        A = B[:, :-1, :-1] + (RIDGE * np.maximum(n, 1.0))[:, None, None] * np.eye(m - 1)
        rhs = B[:, :-1, -1]
        coef = np.linalg.solve(A, rhs[..., None])[..., 0]
        rss = np.maximum(B[:, -1, -1] - np.einsum("gi,gi->g", coef, rhs), 0.0)
        var = np.maximum(rss / np.maximum(n, 1e-300), self.floor)
        q = -0.5 * (n * (LOG_2PI + np.log(var)) + rss / var)
        return coef[:, -1], coef[:, :-1], var, q

    def group_blocks(
        self, Gj: np.ndarray, nc: np.ndarray, groupings: Sequence[np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """The summed blocks (G, m, m) and weights (G,) of every group of several groupings of
        the components (``Gj``: the components' blocks (K, m, m), ``nc`` their weights), grouping
        after grouping, and each grouping's number of groups."""
        sizes = [int(g.max()) + 1 for g in groupings]
        member = np.concatenate(
            [g[None, :] == np.arange(s)[:, None] for g, s in zip(groupings, sizes, strict=True)]
        ).astype(float)
        K, m = Gj.shape[0], Gj.shape[-1]
        return (member @ Gj.reshape(K, m * m)).reshape(-1, m, m), member @ nc, sizes

    def fit_groupings(
        self, Gj: np.ndarray, nc: np.ndarray, groupings: Sequence[np.ndarray]
    ) -> tuple[list[list[tuple]], np.ndarray]:
        """Node mechanisms under each of several groupings of the components, in one batched
        fit (:meth:`group_blocks`, :meth:`fit_blocks`): per grouping its list of
        ``(intercept, beta, variance, q)`` and (array) its summed ``q``."""
        B, n, sizes = self.group_blocks(Gj, nc, groupings)
        fitted = self.fit_blocks(B, n)
        return as_mechs(fitted, sizes), np.add.reduceat(fitted[3], np.cumsum([0, *sizes[:-1]]))

    def node_logdens(self, j: int, mechs: Sequence[tuple]) -> np.ndarray:
        """(G_j, N) log-densities of every row's ``z_j`` under each group's mechanism."""
        P = self.parents[j]
        b = np.array([m[0] for m in mechs])
        var = np.array([m[2] for m in mechs])
        r = self.ZT[j][None, :] - b[:, None]
        if P.size:
            r -= np.stack([m[1] for m in mechs]) @ self.ZT[P]
        return normal_logpdf(r, var[:, None])


@dataclass
class MechanismState:
    groups: np.ndarray  # (p, K)
    mechs: list  # per node: list of (b, beta, var, q) per group
    log_w: np.ndarray  # (K,)
    contrib: list  # per node: (G_j, N)
    # per node (K, m, m): the Grams' blocks the mechanisms were fitted on
    blocks: list | None = None
    nc: np.ndarray | None = None  # (K,) their weights
    resp_m: np.ndarray | None = None  # (K, N) the responsibilities of that M-step

    def grams(self, model: MechanismModel) -> np.ndarray:
        """The whole Grams (K, p+1, p+1) of the M-step's responsibilities (the DAG search reads
        any parent set)."""
        return model.grams(self.resp_m)[0]

    def joint(self) -> np.ndarray:
        L = np.tile(self.log_w[:, None], (1, self.contrib[0].shape[1]))
        for j, C in enumerate(self.contrib):
            L += C[self.groups[j]]
        return L


def canonical(labels: np.ndarray) -> np.ndarray:
    """Relabel groups 0, 1, ... in order of first appearance."""
    _, first, inv = np.unique(labels, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))
    return order[inv].astype(np.int64)


def sharing_counts(groups: np.ndarray) -> np.ndarray:
    """Per component, how many (node, component) mechanisms it shares (itself included)."""
    return (groups[:, :, None] == groups[:, None, :]).sum(axis=(0, 1))


def group_merges(groups_j: np.ndarray) -> list[np.ndarray]:
    """Every grouping of one node one merge of two groups away (canonical labels)."""
    out = []
    n_groups = int(groups_j.max()) + 1
    for a in range(n_groups):
        for b in range(a + 1, n_groups):
            new = groups_j.copy()
            new[new == b] = a
            new[new > b] -= 1
            out.append(new)
    return out


def n_parameters(model: MechanismModel, groups: np.ndarray) -> int:
    K = groups.shape[1]
    per_node = [int(groups[j].max()) + 1 for j in range(model.p)]
    return (K - 1) + sum(g * (model.parents[j].size + 2) for j, g in enumerate(per_node))


def as_mechs(fitted: tuple[np.ndarray, ...], sizes: Sequence[int]) -> list[list[tuple]]:
    """:meth:`MechanismModel.fit_blocks`'s arrays cut into consecutive lists of ``sizes``
    mechanisms, each mechanism a tuple ``(intercept, beta, variance, q)``."""
    b, beta, var, q = fitted
    out, at = [], 0
    for size in sizes:
        out.append(
            [(float(b[i]), beta[i], float(var[i]), float(q[i])) for i in range(at, at + size)]
        )
        at += size
    return out


def m_step(model: MechanismModel, groups: np.ndarray, resp_t: np.ndarray) -> MechanismState:
    blocks, nc = model.node_blocks(resp_t), resp_t.sum(axis=1)
    mechs: list = [None] * model.p
    by_size: dict[int, list[int]] = {}
    for j, B in enumerate(blocks):
        by_size.setdefault(B.shape[-1], []).append(j)
    for nodes in by_size.values():  # one batched fit per block size
        parts = [model.group_blocks(blocks[j], nc, [groups[j]]) for j in nodes]
        fitted = model.fit_blocks(np.concatenate([B for B, _, _ in parts]),
                                  np.concatenate([n for _, n, _ in parts]))  # fmt: skip
        for j, node in zip(nodes, as_mechs(fitted, [sz[0] for _, _, sz in parts]), strict=True):
            mechs[j] = node
    contrib = [model.node_logdens(j, mechs[j]) for j in range(model.p)]
    log_w = np.log(np.maximum(nc, 1e-300) / model.n)
    return MechanismState(groups.copy(), mechs, log_w, contrib, blocks, nc, resp_t)


def e_step(state: MechanismState) -> tuple[float, np.ndarray]:
    L = state.joint()
    norm = logsumexp_t(L)
    resp_t = np.exp(L - norm)
    return float(norm.sum()), resp_t


def run_em(
    model: MechanismModel, groups: np.ndarray, resp_t: np.ndarray, max_iter: int, tol: float
) -> tuple[MechanismState, float, np.ndarray, int, bool]:
    """EM with a fixed grouping from given responsibilities; monotone in the log-likelihood."""
    ll_old = -np.inf
    for it in range(1, max_iter + 1):
        state = m_step(model, groups, resp_t)
        ll, resp_t = e_step(state)
        if ll - ll_old < tol * model.n:
            return state, ll, resp_t, it, True
        ll_old = ll
    return state, ll, resp_t, max_iter, False


def bic_of(model: MechanismModel, groups: np.ndarray, ll: float) -> float:
    return -2.0 * ll + n_parameters(model, groups) * model.log_n


def to_data_units(model: MechanismModel, state: MechanismState, loc: np.ndarray, scale: np.ndarray):
    K, p = state.groups.shape[1], model.p
    intercepts = np.zeros((K, p))
    coefs = np.zeros((K, p, p))
    variances = np.zeros((K, p))
    for j in range(p):
        P = model.parents[j]
        for c in range(K):
            b, beta, var, _ = state.mechs[j][state.groups[j, c]]
            w = beta * scale[j] / scale[P]
            coefs[c, P, j] = w
            intercepts[c, j] = loc[j] + scale[j] * b - w @ loc[P]
            variances[c, j] = var * scale[j] ** 2
    return intercepts, coefs, variances
