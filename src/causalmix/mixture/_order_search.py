"""Order search over DAGs scored by a mechanism mixture's expected complete-data BIC (private).

The structure step of structural EM [1]_ with the responsibilities and the grouping held: the
expected complete-data BIC is a sum over nodes, and a node's term for a parent set is, per
mechanism group, a weighted least-squares fit on the group's summed Gram. For a variable order,
each node takes the parents among its predecessors that a greedy forward-backward selection on
that term finds; the order is improved by moving one node at a time to its best position (the
"sifting" of order-based searches such as BOSS [2]_) until no move helps. Unlike single-arc hill
climbing this reverses whole chains at once, which dense graphs need (arc moves stall there).

All candidate parents of a node are scored in one step: with ``R`` the group's Gram residualised
on the current parents and the intercept, adding ``k`` leaves ``R_jj - R_jk^2 / R_kk``.

References
----------
.. [1] N. Friedman. The Bayesian structural EM algorithm. UAI 1998.
.. [2] B. Andrews, J. Ramsey, R. Sanchez-Romero, J. Camchong, E. Kummerfeld. Fast scalable and
   accurate discovery of DAGs using the best order score search and grow-shrink trees.
   NeurIPS 2023.
"""

from __future__ import annotations

import numpy as np

from causalmix.graphs import topological_order
from causalmix.mixture._mechanism_em import LOG_2PI, RIDGE, group_merges

__all__ = ["order_search"]

MAX_SWEEPS = 8  # passes over the nodes; each pass tries every node at every position
MAX_GROUPS = 5  # a node with more mechanism groups is scored on one merge of them at most


def _coarsenings(groups_j: np.ndarray) -> list[np.ndarray]:
    """The node's grouping and every grouping made by merging some of its groups: all of them
    up to ``MAX_GROUPS`` groups (at most 52), else the grouping and its single merges."""
    n_groups = int(groups_j.max()) + 1
    if n_groups > MAX_GROUPS:
        return [groups_j, *group_merges(groups_j)]
    out, seen, todo = [], set(), [groups_j]
    while todo:
        row = todo.pop()
        if row.tobytes() not in seen:
            seen.add(row.tobytes())
            out.append(row)
            todo.extend(group_merges(row))
    return out


class _NodeScores:
    """Best parent sets by node and predecessor set, cached. A node's score is the best over its
    grouping's coarsenings: a wrong DAG needs extra mechanism groups that the right one merges,
    so the grouping found under the current DAG alone would make that DAG look right.

    The coarsenings' groups are unions of the node's groups and many recur (a grouping of five
    has 52 coarsenings but 31 distinct groups): each distinct group is fitted once per parent
    set, all of them in one batched solve, and a coarsening's score is a sum over its groups."""

    def __init__(
        self, groups: np.ndarray, G: np.ndarray, nc: np.ndarray, floor: float, log_n: float
    ) -> None:
        self.p = groups.shape[0]
        self.floor, self.log_n = floor, log_n
        # per node: the distinct groups' summed Grams (U, p+1, p+1) and weights (U,), which
        # groups each coarsening holds (n_coarsenings, U) and its number of groups
        self.nodes = []
        for groups_j in groups:
            index: dict[bytes, int] = {}  # a distinct group (membership mask) -> its number
            masks, rows = [], []
            for row in _coarsenings(groups_j):
                used = []
                for g in range(row.max() + 1):
                    mask = row == g
                    number = index.setdefault(mask.tobytes(), len(masks))
                    if number == len(masks):  # a group not seen in an earlier coarsening
                        masks.append(mask)
                    used.append(number)
                rows.append(used)
            masks = np.array(masks, dtype=float)
            holds = np.zeros((len(rows), len(masks)))
            for r, used in enumerate(rows):
                holds[r, used] = 1.0
            self.nodes.append(
                (np.tensordot(masks, G, axes=1), masks @ nc, holds, holds.sum(axis=1))
            )
        self.cache: dict[tuple[int, int], tuple[float, tuple[int, ...]]] = {}

    def _terms(self, j: int, P: list[int]) -> tuple[float, np.ndarray]:
        """Node j's score with parents ``P`` and, for every k, with ``P + [k]`` (each the best
        over the node's groupings)."""
        p, one = self.p, np.array([*P, self.p], dtype=np.int64)
        S, n, holds, n_groups = self.nodes[j]
        B = S[:, one, :]  # (U, k, p+1)
        A = B[:, :, one] + (RIDGE * np.maximum(n, 1.0))[:, None, None] * np.eye(one.size)
        X = np.linalg.solve(A, B)
        # the Grams residualised on P and the intercept, R = S - B' A^-1 B: row j and diagonal
        rss0 = np.maximum(S[:, j, j] - np.einsum("uk,uk->u", B[:, :, j], X[:, :, j]), 0.0)
        Rj = S[:, j, :p] - np.einsum("uk,uki->ui", B[:, :, j], X[:, :, :p])
        d = np.einsum("uii->ui", S)[:, :p] - np.einsum("uki,uki->ui", B[:, :, :p], X[:, :, :p])
        d[d <= 1e-12 * np.maximum(n, 1.0)[:, None]] = np.inf  # parents in P, constant columns
        rss = np.maximum(rss0[:, None] - Rj**2 / d, 0.0)
        n_safe = np.maximum(n, 1e-300)
        var0 = np.maximum(rss0 / n_safe, self.floor)
        now = -0.5 * n * (LOG_2PI + np.log(var0)) - 0.5 * rss0 / var0
        var = np.maximum(rss / n_safe[:, None], self.floor)
        more = -0.5 * n[:, None] * (LOG_2PI + np.log(var)) - 0.5 * rss / var
        price = 0.5 * n_groups * self.log_n
        best_now = float(np.max(holds @ now - price * (len(P) + 2)))
        best_more = np.max(holds @ more - (price * (len(P) + 3))[:, None], axis=0)
        return best_now, best_more

    def best(self, j: int, pred_mask: int) -> tuple[float, tuple[int, ...]]:
        key = (j, pred_mask)
        if key not in self.cache:
            cand = [k for k in range(self.p) if pred_mask >> k & 1]
            P: list[int] = []
            score, more = self._terms(j, P)
            while cand:  # forward: the best single addition while it pays
                k = max(cand, key=lambda v: more[v])
                if more[k] <= score + 1e-9:
                    break
                P, cand = sorted([*P, k]), [v for v in cand if v != k]
                score, more = self._terms(j, P)
            dropped = True
            while dropped and P:  # backward: drop a parent while that pays
                dropped = False
                for k in P:
                    rest = [v for v in P if v != k]
                    s_rest = self._terms(j, rest)[0]
                    if s_rest > score + 1e-9:
                        score, P, dropped = s_rest, rest, True
                        break
            self.cache[key] = (score, tuple(P))
        return self.cache[key]

    def order_score(self, order: list[int]) -> float:
        total, mask = 0.0, 0
        for j in order:
            total += self.best(j, mask)[0]
            mask |= 1 << j
        return total


def order_search(
    model, groups: np.ndarray, G: np.ndarray, nc: np.ndarray, dag: np.ndarray
) -> np.ndarray:
    """The DAG of the best order reached from ``dag``'s topological order by moving one node at a
    time (``model`` supplies ``p``, ``floor`` and ``log_n``; ``G``, ``nc`` are the per-component
    Grams and weights of the current responsibilities)."""
    scores = _NodeScores(np.asarray(groups), G, nc, model.floor, model.log_n)
    order = topological_order((np.asarray(dag) != 0).astype(np.int8))
    best = scores.order_score(order)
    for _ in range(MAX_SWEEPS):
        improved = False
        for v in list(order):
            rest = [u for u in order if u != v]
            for pos in range(len(order)):
                cand = [*rest[:pos], v, *rest[pos:]]
                value = scores.order_score(cand)
                if value > best + 1e-6:
                    best, order, improved = value, cand, True
        if not improved:
            break
    A, mask = np.zeros((model.p, model.p), dtype=np.int8), 0
    for j in order:
        A[list(scores.best(j, mask)[1]), j] = 1
        mask |= 1 << j
    return A
