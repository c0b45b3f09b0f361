"""The depth-limited DFS over covered-arc reversals shared by UT-IGSP, IGSP and GSP.

The objective is decomposable: ``score(G) = (number of arcs, Σ_v term(v, pa_G(v)))`` compared
lexicographically (sparsest first). UT-IGSP's term is the number of components in which ``v`` is
variant given its parents [2]_, GSP's is 0 [1]_. A reversal changes only ``pa(i)`` and ``pa(j)``, so
a neighbour's score is updated from its parent's in O(1) term evaluations (which are cached by the
testers).

A search state is a plain tuple ``(parents, terms, score)`` — parent bitmasks, per-node terms and
the score — to keep the inner loop free of object churn.

References
----------
.. [1] L. Solus, Y. Wang and C. Uhler. Consistency guarantees for greedy permutation-based causal
   inference algorithms. Biometrika 108(4), 2021.
.. [2] C. Squires, Y. Wang and C. Uhler. Permutation-based causal structure learning with unknown
   intervention targets. UAI 2020, arXiv:1910.09007.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from causalmix.discovery.permutations import (
    Parents,
    _covered_arcs,
    _min_degree_order,
    _minimal_imap,
    _minimal_imap_gaussian,
    _reverse,
    _to_parents,
    threshold_graph,
    threshold_graph_gaussian,
)
from causalmix.stats.ci import GaussianCITester
from causalmix.stats.testers import CITester

logger = logging.getLogger(__name__)

NodeTerm = Callable[[int, int], int]
Score = tuple[int, int]
State = tuple[Parents, tuple[int, ...], Score]


def _state(parents: Parents, term: NodeTerm) -> State:
    terms = tuple(term(v, pa) for v, pa in enumerate(parents))
    return parents, terms, (sum(pa.bit_count() for pa in parents), sum(terms))


def _neighbours(
    state: State,
    ci: CITester,
    term: NodeTerm,
    bound: Score,
    visited: set[Parents],
    rng: np.random.Generator,
) -> list[State]:
    """Covered-arc reversals of ``state`` with score ``<= bound`` not in ``visited``, shuffled."""
    parents, terms, (arcs, total) = state
    out = []
    for i, j in _covered_arcs(parents):
        new = _reverse(parents, i, j, ci)
        if new in visited:
            continue
        pi, pj = new[i], new[j]
        ti, tj = term(i, pi), term(j, pj)
        score = (
            arcs
            - parents[i].bit_count()
            - parents[j].bit_count()
            + pi.bit_count()
            + pj.bit_count(),
            total - terms[i] - terms[j] + ti + tj,
        )
        if score <= bound:
            new_terms = list(terms)
            new_terms[i], new_terms[j] = ti, tj
            out.append((new, tuple(new_terms), score))
    if len(out) > 1:
        out = [out[t] for t in rng.permutation(len(out)).tolist()]
    return out


def _dfs(start: State, ci: CITester, term: NodeTerm, depth: int, rng: np.random.Generator) -> State:
    """One run of the search (ALGORITHM.md §3.7): restart at any strictly better neighbour, else
    walk the plateau depth-first up to ``depth`` moves, backtracking when stuck."""
    G = start
    s = G[2]
    visited: set[Parents] = set()
    N = _neighbours(G, ci, term, s, visited, rng)
    stack: list[tuple[State, list[State]]] = []
    while True:
        visited.add(G[0])
        lower = [x for x in N if x[2] < s]
        if lower:
            s = min(x[2] for x in lower)
            G = next(x for x in lower if x[2] == s)
            visited = set()
            stack = []
        elif N and len(stack) < depth:
            stack.append((G, N))
            G = N.pop()
        elif stack:
            G, N = stack.pop()
            continue
        else:
            break
        N = _neighbours(G, ci, term, s, visited, rng)
    return G


def search(
    ci: CITester,
    n_nodes: int,
    term: NodeTerm,
    *,
    depth: int,
    n_runs: int,
    rng: np.random.Generator,
) -> tuple[State, tuple[Score, ...]]:
    """``n_runs`` independent runs from randomised min-degree permutations; best score wins.

    The runs are seeded with ``rng.spawn(n_runs)`` (independent streams of one Generator), so the
    result does not depend on the order in which they are executed; testers' caches are shared.
    With a :class:`~causalmix.stats.GaussianCITester` the threshold graph and the minimal I-MAPs
    use the Gaussian fast paths (precision matrix and Schur complements).
    """
    if isinstance(ci, GaussianCITester):
        prec = ci.precision
        U = threshold_graph_gaussian(prec, ci.n, ci.alpha)

        def imap(perm: list[int]) -> Parents:
            return _minimal_imap_gaussian(perm, prec, ci.n, ci.alpha)
    else:
        U = threshold_graph(ci, n_nodes)

        def imap(perm: list[int]) -> Parents:
            return _minimal_imap(perm, ci)

    neighbours = list(_to_parents(U))
    results = []
    for run, child in enumerate(rng.spawn(n_runs)):
        perm = _min_degree_order(neighbours, child)
        result = _dfs(_state(imap(perm), term), ci, term, depth, child)
        logger.debug("run %d: start order %s, score %s", run, perm, result[2])
        results.append(result)
    best = results[0]
    for result in results[1:]:
        if result[2] < best[2]:  # strict: ties keep the earlier run
            best = result
    return best, tuple(r[2] for r in results)
