"""Hill climbing over DAGs scored by a mechanism mixture's expected complete-data BIC.

The structure step of structural EM [1]_: with the responsibilities of the current fit held
fixed, the expected complete-data log-likelihood decomposes over nodes, and each node's term is,
per mechanism group, a weighted least-squares fit on the group's summed Grams. Single-arc moves
(add, remove, reverse) are applied greedily while the expected BIC improves. By the EM bound an
improvement of the expected score never lowers the mixture's likelihood-based score, so the step
is safe; the next EM and grouping search then adapt the parameters and groups to the new DAG.

References
----------
.. [1] N. Friedman. The Bayesian structural EM algorithm. UAI 1998.
"""

from __future__ import annotations

import numpy as np

from causalmix.mixture._mechanism_em import group_merges

__all__ = ["climb"]


def _reaches(A: np.ndarray, start: int, goal: int) -> bool:
    """Whether a directed path ``start -> ... -> goal`` exists in ``A``."""
    seen = np.zeros(A.shape[0], dtype=bool)
    stack = [start]
    while stack:
        v = stack.pop()
        if v == goal:
            return True
        for w in np.flatnonzero(A[v]):
            if not seen[w]:
                seen[w] = True
                stack.append(int(w))
    return False


def climb(
    model, groups: np.ndarray, G: np.ndarray, nc: np.ndarray, dag: np.ndarray, max_moves: int = 200
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy single-arc moves from ``dag`` while the expected BIC improves.

    ``model`` supplies ``fit_groupings``, ``log_n`` and ``p``; ``groups`` is the (p, K) starting
    grouping, ``G`` and ``nc`` the per-component Grams and weights of the current
    responsibilities. A node's score for a parent set is the best over its grouping and the
    groupings one merge away (a better parent set can make a component's separate mechanism
    unnecessary, e.g. when an arc into an intervened node's child is oriented right). Returns the
    DAG and the grouping.
    """
    p = model.p
    A = (np.asarray(dag) != 0).astype(np.int8).copy()
    groups = np.asarray(groups).copy()
    cache: dict[tuple[int, bytes, bytes], tuple[float, np.ndarray]] = {}

    def score(j: int, P: np.ndarray) -> tuple[float, np.ndarray]:
        key = (j, P.tobytes(), groups[j].tobytes())
        if key not in cache:
            best = (-np.inf, groups[j])
            cands = [groups[j], *group_merges(groups[j])]
            sub = np.concatenate([P, [p, j]])
            _, qs = model.fit_groupings(G[:, sub][:, :, sub], nc, cands)
            for cand, q in zip(cands, qs, strict=True):
                value = q - 0.5 * (int(cand.max()) + 1) * (P.size + 2) * model.log_n
                if value > best[0]:
                    best = (value, cand)
            cache[key] = best
        return cache[key]

    def pa(j: int, drop: int = -1, add: int = -1) -> np.ndarray:
        P = set(np.flatnonzero(A[:, j]).tolist())
        P.discard(drop)
        if add >= 0:
            P.add(add)
        return np.array(sorted(P), dtype=np.int64)

    for _ in range(max_moves):
        best, move = 1e-9, None
        for i in range(p):
            for j in range(p):
                if i == j:
                    continue
                now_j = score(j, pa(j))[0]
                if A[i, j]:
                    delta = score(j, pa(j, drop=i))[0] - now_j
                    if delta > best:
                        best, move = delta, ("remove", i, j)
                    A[i, j] = 0
                    ok = not _reaches(A, i, j)
                    A[i, j] = 1
                    if ok:
                        delta = (
                            score(j, pa(j, drop=i))[0]
                            + score(i, pa(i, add=j))[0]
                            - now_j
                            - score(i, pa(i))[0]
                        )
                        if delta > best:
                            best, move = delta, ("reverse", i, j)
                elif not A[j, i] and not _reaches(A, j, i):
                    delta = score(j, pa(j, add=i))[0] - now_j
                    if delta > best:
                        best, move = delta, ("add", i, j)
        if move is None:
            break
        kind, i, j = move
        A[i, j] = 1 if kind == "add" else 0
        if kind == "reverse":
            A[j, i] = 1
        for v in (i, j):
            groups[v] = score(v, pa(v))[1]
    return A, groups
