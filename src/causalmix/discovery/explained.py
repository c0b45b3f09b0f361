"""Drop inferred targets whose change another target of the same component explains.

UT-IGSP reports ``T_k = {v : X_v | X_pa(v) differs between the base and component k}`` for the
DAG it found [1]_. When that DAG misorients the arc between a true target ``u`` and its neighbour
``v`` (truth ``u -> v``, found ``v -> u``), or misses it, ``v``'s conditional law given its found
parents changes with ``u`` and ``v`` is reported as a target too: the commonest false target of
the estimator on do-interventions (``benchmarks/target_pruning.py``).

:func:`drop_explained_targets` tests, for every pair ``u != v`` of targets of one component,
whether ``v``'s conditional becomes invariant once the edge to ``u`` is taken the other way —
given ``pa(v) △ {u}`` (``u`` added as a parent, or removed) or given
``(pa(v) ∪ pa(u) ∪ {u}) \\ {v}`` (``v`` below ``u`` with ``u``'s parents: the law ``v`` would have
in a DAG where the arc points out of the target ``u``, ``u``'s parents included so that the
collider ``ζ_k -> u <- pa(u)`` the intervention opens is closed). If either set makes ``v``
invariant in component ``k``, ``u`` *explains* ``v``, and ``v`` is dropped unless ``v`` explains
``u`` as well (a mutual explanation leaves both: nothing tells which one moved). A true target of
a do-intervention is never dropped: its own law changes whatever it is conditioned on.

This is an extension of causalmix (not in UT-IGSP): the DAG is left as found, only the target
sets change; see ``docs/design.md`` ("Targets explained by a neighbouring target").

References
----------
.. [1] C. Squires, Y. Wang and C. Uhler. Permutation-based causal structure learning with unknown
   intervention targets. UAI 2020, arXiv:1910.09007.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from causalmix.stats.testers import InvarianceTester

__all__ = ["contested_edges", "drop_explained_targets", "explaining_targets"]

logger = logging.getLogger(__name__)


def explaining_targets(
    inv_tester: InvarianceTester,
    parents: Sequence[int],
    targets: Sequence[frozenset[int]],
    base: int,
) -> tuple[dict[int, frozenset[int]], ...]:
    """For every component and target ``v``, the other targets ``u`` that explain ``v``.

    Parameters
    ----------
    inv_tester : InvarianceTester
        ``variant_mask(i, cond_mask)`` (bit ``k``: ``X_i | X_cond`` differs from the base in
        component ``k``); its ``variant_masks`` batch is used when present.
    parents : sequence of int
        Parent bitmask of each node in the DAG the targets were inferred on (bit ``i`` of
        ``parents[v]``: ``i -> v``).
    targets : sequence of frozenset of int
        One target set per component (the base's is ignored).
    base : int
        The base component.

    Returns
    -------
    tuple of dict
        Per component, ``{v: frozenset of u}`` for every target ``v`` (empty for the base).

    Notes
    -----
    ``u`` explains ``v`` in component ``k`` iff ``v`` is invariant in ``k`` given
    ``pa(v) △ {u}`` or given ``(pa(v) ∪ pa(u) ∪ {u}) \\ {v}``. All the tests run as one batch.
    """
    queries: list[tuple[int, int]] = []
    where: list[tuple[int, int, int]] = []  # (component, v, u) of each query
    for k, t in enumerate(targets):
        if k == base:
            continue
        for v in sorted(t):
            for u in sorted(t):
                if u == v:
                    continue
                toggled = parents[v] ^ (1 << u)
                below = (parents[v] | parents[u] | (1 << u)) & ~(1 << v)
                for cond in dict.fromkeys((toggled, below)):
                    queries.append((v, cond))
                    where.append((k, v, u))
    if hasattr(inv_tester, "variant_masks"):
        masks = inv_tester.variant_masks(queries)
    else:
        masks = [inv_tester.variant_mask(v, cond) for v, cond in queries]
    found: list[dict[int, set[int]]] = [
        {} if k == base else {v: set() for v in t} for k, t in enumerate(targets)
    ]
    for (k, v, u), mask in zip(where, masks, strict=True):
        if not mask >> k & 1:
            found[k][v].add(u)
    return tuple({v: frozenset(us) for v, us in f.items()} for f in found)


def drop_explained_targets(
    inv_tester: InvarianceTester,
    parents: Sequence[int],
    targets: Sequence[frozenset[int]],
    base: int,
) -> tuple[frozenset[int], ...]:
    """The target sets without the targets another target of their component explains.

    Parameters
    ----------
    inv_tester, parents, targets, base
        As in :func:`explaining_targets`.

    Returns
    -------
    tuple of frozenset of int
        One set per component, in order: ``T_k`` minus every ``v`` explained by some ``u`` that
        ``v`` does not explain in turn. Deterministic (no random draw).

    Examples
    --------
    The truth is ``0 -> 1``, component 1 intervenes on node 0; the DAG found has the arc reversed,
    so node 1 looks like a target too; given node 0 it is invariant, and it is dropped:

    >>> from causalmix.stats import OracleInvarianceTester
    >>> oracle = OracleInvarianceTester([[0, 1], [0, 0]], [(), {0}])
    >>> drop_explained_targets(oracle, [0b10, 0b00], [frozenset(), frozenset({0, 1})], base=0)
    (frozenset(), frozenset({0}))
    """
    explained = explaining_targets(inv_tester, parents, targets, base)
    out = []
    for k, t in enumerate(targets):
        drop = {
            v
            for v, us in explained[k].items()
            if any(v not in explained[k][u] for u in us)  # not a mutual explanation
        }
        for v in sorted(drop):
            logger.debug(
                "component %d: target %d dropped, its change is explained by target(s) %s",
                k,
                v,
                sorted(explained[k][v]),
            )
        out.append(frozenset(int(v) for v in t - drop))
    return tuple(out)


def contested_edges(
    inv_tester: InvarianceTester,
    parents: Sequence[int],
    targets: Sequence[frozenset[int]],
    base: int,
) -> np.ndarray:
    """The edges of the DAG whose orientation the component's invariance tests contradict.

    An edge ``u - v`` of the DAG (either direction) is *contested* when ``u`` and ``v`` are both
    targets of one component and one of them explains the other (:func:`explaining_targets`):
    its change goes away once the edge is taken the other way, the signature of the misoriented
    (or missed) arc next to a true target that makes UT-IGSP claim the neighbour as a target. The
    DAG's direction of that edge is then not supported by the tests, whichever target moved (a
    mutual explanation contests it too). :func:`causalmix.stability` does not count a refit's
    orientation of a contested edge (``docs/design.md``, "Stability").

    Parameters
    ----------
    inv_tester, parents, targets, base
        As in :func:`explaining_targets` (``targets``: UT-IGSP's own, before any is dropped).

    Returns
    -------
    ndarray of shape (p, p), bool
        Symmetric; ``[u, v]`` True for a contested edge. Deterministic (no random draw).

    Examples
    --------
    The truth is ``0 -> 1``, component 1 intervenes on node 0; the DAG found has ``1 -> 0``, so
    node 1 is claimed too and node 0 explains it: the edge is contested.

    >>> from causalmix.stats import OracleInvarianceTester
    >>> oracle = OracleInvarianceTester([[0, 1], [0, 0]], [(), {0}])
    >>> contested_edges(oracle, [0b10, 0b00], [frozenset(), frozenset({0, 1})], base=0)[0, 1]
    np.True_
    """
    p = len(parents)
    out = np.zeros((p, p), dtype=bool)
    for found in explaining_targets(inv_tester, parents, targets, base):
        for v, us in found.items():
            for u in us:
                if parents[v] >> u & 1 or parents[u] >> v & 1:
                    out[u, v] = out[v, u] = True
    return out
