"""The depth-limited DFS over covered-arc reversals shared by UT-IGSP, IGSP and GSP.

The objective is decomposable: ``score(G) = (number of arcs, Σ_v term(v, pa_G(v)))`` compared
lexicographically (sparsest first). UT-IGSP's term is the number of components in which ``v`` is
variant given its parents [2]_, GSP's is 0 [1]_. A reversal changes only ``pa(i)`` and ``pa(j)``, so
a neighbour's score is updated from its parent's in O(1) term evaluations (which are cached by the
testers).

A search state is a plain tuple ``(parents, score)`` — parent bitmasks and the score — to keep
the inner loop free of object churn; per-node terms are looked up in the testers' caches.

References
----------
.. [1] L. Solus, Y. Wang and C. Uhler. Consistency guarantees for greedy permutation-based causal
   inference algorithms. Biometrika 108(4), 2021.
.. [2] C. Squires, Y. Wang and C. Uhler. Permutation-based causal structure learning with unknown
   intervention targets. UAI 2020, arXiv:1910.09007.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator

import numpy as np

from causalmix._bitmask import column_masks
from causalmix.discovery._parent_masks import (
    Parents,
    covered_arcs,
    min_degree_order,
    minimal_imap,
    minimal_imaps_gaussian,
    reversal,
)
from causalmix.discovery.options import SearchOptions
from causalmix.discovery.permutations import threshold_graph, threshold_graph_gaussian
from causalmix.stats.ci import GaussianCITester
from causalmix.stats.testers import CITester

logger = logging.getLogger(__name__)

# the objective's per-node terms, batched: [term(v, pa) for (v, pa) in keys]
NodeTerms = Callable[[list[tuple[int, int]]], list[int]]
Score = tuple[int, int]


def no_terms(keys: list[tuple[int, int]]) -> list[int]:
    """The terms of a search without invariance tests (GSP; UT-IGSP with one component): 0."""
    return [0] * len(keys)


State = tuple[Parents, Score]


# a covered-arc reversal i -> j of a state: (i, j, new parents, its key (i, j, pa(i)))
Move = tuple[int, int, Parents, tuple[int, int, int]]


class _Memo:
    """Search-wide caches (shared by the runs): covered-arc reversals keyed by ``(i, j, pa(i))``
    — the result depends on nothing else since ``pa(j) = pa(i) ∪ {i}`` — and so is the score change
    of the reversal; and the scored reversal neighbours of every state expanded so far (runs often
    meet on the same plateau)."""

    def __init__(self) -> None:
        self.reversals: dict[tuple[int, int, int], tuple[int, int]] = {}
        self.deltas: dict[tuple[int, int, int], Score] = {}  # score change of a reversal
        self.neighbours: dict[Parents, list[State]] = {}
        self.moves: dict[Parents, list[Move]] = {}  # precomputed (starts)


def _reversal_moves(parents: Parents, ci: CITester, memo: _Memo) -> list[Move]:
    """``(i, j, new parents, key)`` for every covered arc ``i -> j``, in covered-arc order."""
    moves = []
    reversals = memo.reversals
    for i, j in covered_arcs(parents):
        key = (i, j, parents[i])
        pair = reversals.get(key)
        if pair is None:
            pair = reversals[key] = reversal(parents[i], i, j, ci)
        new = list(parents)
        new[i], new[j] = pair
        moves.append((i, j, tuple(new), key))
    return moves


# a run of the search as a generator: it yields the (v, pa) keys whose terms it needs, is sent
# their terms, and returns its final state
Run = Generator[list[tuple[int, int]], list[int], State]


def _scored_reversals(
    state: State, ci: CITester, memo: _Memo
) -> Generator[list[tuple[int, int]], list[int], list[State]]:
    """Every covered-arc reversal of ``state`` with its score, in covered-arc order.

    A neighbour's score is the state's plus the reversal's change, which depends only on the
    reversal's key ``(i, j, pa(i))``: the ``pa(i)``, ``pa(j)`` terms replaced. The terms of the
    reversals not seen before are requested in one batch (yielded; the testers cache them, so the
    state does not carry them); the others were all computed with their first change.
    """
    parents, (arcs, total) = state
    moves = memo.moves.pop(parents, None)
    if moves is None:
        moves = _reversal_moves(parents, ci, memo)
    deltas = memo.deltas
    fresh = [move for move in moves if move[3] not in deltas]
    if fresh:
        t = yield [
            key
            for i, j, new, _ in fresh
            for key in ((i, parents[i]), (j, parents[j]), (i, new[i]), (j, new[j]))
        ]
        for q, (i, j, new, key) in enumerate(fresh):
            deltas[key] = (
                new[i].bit_count()
                + new[j].bit_count()
                - parents[i].bit_count()
                - parents[j].bit_count(),
                t[4 * q + 2] + t[4 * q + 3] - t[4 * q] - t[4 * q + 1],
            )
    out = []
    for _, _, new, key in moves:
        d_arcs, d_total = deltas[key]
        out.append((new, (arcs + d_arcs, total + d_total)))
    return out


def _eligible(
    scored: list[State], bound: Score, visited: set[Parents], rng: np.random.Generator
) -> list[State]:
    """The scored neighbours with score ``<= bound`` not in ``visited``, shuffled."""
    if visited:
        out = [x for x in scored if x[1] <= bound and x[0] not in visited]
    else:  # (right after a restart) no state hashing needed
        out = [x for x in scored if x[1] <= bound]
    if len(out) > 1:
        # in place: the same Fisher-Yates draws as indexing by rng.permutation(len(out))
        rng.shuffle(out)
    return out


def _dfs(start: State, ci: CITester, depth: int, rng: np.random.Generator, memo: _Memo) -> Run:
    """One run of the search: restart at any strictly better neighbour, else walk the plateau
    depth-first up to ``depth`` moves, backtracking when stuck."""
    G = start
    s = G[1]
    visited: set[Parents] = set()
    expanded = memo.neighbours
    scored = expanded.get(G[0])
    if scored is None:
        scored = expanded[G[0]] = yield from _scored_reversals(G, ci, memo)
    N = _eligible(scored, s, visited, rng)
    stack: list[tuple[State, list[State]]] = []
    while True:
        visited.add(G[0])
        lower = [x for x in N if x[1] < s]
        if lower:
            s = min(x[1] for x in lower)
            G = next(x for x in lower if x[1] == s)
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
        scored = expanded.get(G[0])
        if scored is None:
            scored = expanded[G[0]] = yield from _scored_reversals(G, ci, memo)
        N = _eligible(scored, s, visited, rng)
    return G


def _run_all(runs: list[Run], terms: NodeTerms) -> list[State]:
    """Drive the runs in lock-step: every round, the term requests of all the runs still going
    are answered by one call of ``terms`` (one vectorised batch instead of one per run).

    A run's path depends only on its own random stream and on pure (cached) functions, so the
    interleaving changes no result; it only merges the testers' batches."""
    results: dict[int, State] = {}
    requests: dict[int, list[tuple[int, int]]] = {}

    def advance(r: int, answer: list[int] | None) -> None:
        try:
            requests[r] = next(runs[r]) if answer is None else runs[r].send(answer)
        except StopIteration as stop:
            results[r] = stop.value

    for r in range(len(runs)):
        advance(r, None)
    while requests:
        pending = sorted(requests.items())
        requests.clear()
        t = terms([key for _, keys in pending for key in keys])
        pos = 0
        for r, keys in pending:
            advance(r, t[pos : pos + len(keys)])
            pos += len(keys)
    return [results[r] for r in range(len(runs))]


def search(
    ci: CITester,
    n_nodes: int,
    terms: NodeTerms,
    options: SearchOptions,
    rng: np.random.Generator,
) -> tuple[State, tuple[Score, ...]]:
    """``options.n_runs`` independent runs from randomised starting permutations; the best wins.

    Each run walks up to ``options.depth`` plateau moves. ``start="min_degree"`` (UT-IGSP) starts
    every run from a randomised minimum-degree order of the threshold graph; ``"mixed"`` starts the
    even-numbered runs from an *intervention-informed* order instead: nodes sorted by the number of components in which their marginal law differs
    from the base (random tie-breaking). Under interventions on a node's ancestors its marginal
    changes, so the count grows along every directed path and the order is ancestral when every
    node is intervened on. ``select="lexicographic"`` (UT-IGSP) keeps the run with the smallest
    ``(arcs, targets)``; ``"total"`` the smallest ``arcs + targets`` (ties: fewer arcs), which keeps
    one missed weak edge (a false CI independence) from outweighing many spurious targets.

    The runs are seeded with ``rng.spawn(n_runs)`` (independent streams of one Generator), so the
    result does not depend on the order in which they are executed; testers' caches are shared.
    With a :class:`~causalmix.stats.GaussianCITester` the threshold graph and the minimal I-MAPs
    use the Gaussian fast paths (precision matrix and Schur complements). ``terms`` receives the
    ``(v, pa)`` keys in batches (a start's ``p`` nodes, all reversal neighbours of a state), so a
    tester can compute the uncached ones vectorised.
    """
    if isinstance(ci, GaussianCITester):
        prec = ci.precision
        U = threshold_graph_gaussian(prec, ci.n, ci.alpha)

        def imaps(perms: list[list[int]]) -> list[Parents]:
            return minimal_imaps_gaussian(perms, prec, ci.n, ci.alpha)
    else:
        U = threshold_graph(ci, n_nodes)

        def imaps(perms: list[list[int]]) -> list[Parents]:
            return [minimal_imap(perm, ci) for perm in perms]

    start, select = options.start, options.select
    neighbours = list(column_masks(U))
    children = rng.spawn(options.n_runs)
    # every run's start first (each run's own stream draws its permutation before its DFS, as if
    # the runs were executed one after the other), so all start terms come in one batch
    if start == "mixed":
        counts = terms([(v, 0) for v in range(n_nodes)])
    perms = [
        _informed_order(counts, child)
        if start == "mixed" and run % 2 == 0
        else min_degree_order(neighbours, child)
        for run, child in enumerate(children)
    ]
    starts = imaps(perms)
    memo = _Memo()
    # the starts' terms and those of their reversal neighbours (every run expands its start)
    # in one batch
    keys = [key for parents in starts for key in enumerate(parents)]
    for parents in starts:
        moves = memo.moves[parents] = _reversal_moves(parents, ci, memo)
        keys += [key for i, j, new, _ in moves for key in ((i, new[i]), (j, new[j]))]
    t = terms(keys)
    runs = []
    for run, (child, parents) in enumerate(zip(children, starts, strict=True)):
        arcs = sum(pa.bit_count() for pa in parents)
        state0 = (parents, (arcs, sum(t[run * n_nodes : (run + 1) * n_nodes])))
        runs.append(_dfs(state0, ci, options.depth, child, memo))
    results = _run_all(runs, terms)
    for run, (perm, result) in enumerate(zip(perms, results, strict=True)):
        logger.debug("run %d: start order %s, score %s", run, perm, result[1])

    def key(score: Score) -> tuple[int, ...]:
        return (score[0] + score[1], score[0]) if select == "total" else score

    best = results[0]
    for result in results[1:]:
        if key(result[1]) < key(best[1]):  # strict: ties keep the earlier run
            best = result
    return best, tuple(r[1] for r in results)


def _informed_order(counts: list[int], rng: np.random.Generator) -> list[int]:
    """Nodes by increasing number of components that change their marginal; random ties."""
    return [int(v) for v in np.lexsort((rng.random(len(counts)), np.asarray(counts)))]
