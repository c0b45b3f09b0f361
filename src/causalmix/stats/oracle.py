"""Oracle testers: exact answers read off a known DAG and known intervention targets.

They satisfy the same protocols as the Gaussian testers (:mod:`causalmix.stats.testers`), so the
structure search can be run without sampling noise — the population version of UT-IGSP [1]_.

Notes
-----
CI: ``X_i ⊥ X_j | X_S`` iff ``i`` and ``j`` are d-separated by ``S`` in the DAG.
Invariance: for component ``k`` augment the DAG with a source node ``ζ_k`` and arcs
``ζ_k -> t`` for every ``t`` in ``targets[k] Δ targets[base]`` (the mechanisms that differ between
the two components; with an observational base this is ``targets[k]``). ``X_i | X_S`` is variant
in ``k`` iff ``ζ_k`` is d-connected to ``i`` given ``S`` in that augmented DAG. Each ``ζ_k`` gets
its own augmented graph so that paths through another component's ``ζ`` cannot leak in.

References
----------
.. [1] C. Squires, Y. Wang and C. Uhler. Permutation-based causal structure learning with unknown
   intervention targets. UAI 2020, arXiv:1910.09007.
.. [2] J. Pearl. Causality. Cambridge University Press, 2009 (d-separation).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from causalmix._validation import check_node_set
from causalmix.graphs import check_dag
from causalmix.graphs._bayes_ball import bayes_ball_separated
from causalmix.stats.testers import check_node_index, check_nodes_mask, mask_to_nodes

__all__ = ["DSeparationCITester", "OracleInvarianceTester"]


class DSeparationCITester:
    """CI oracle: d-separation in a known DAG (cached by ``(min(i, j), max(i, j), mask(S))``).

    Parameters
    ----------
    dag : array-like of shape (p, p)
        The true DAG, ``A[i, j] != 0`` iff ``i -> j``.

    References
    ----------
    .. [1] C. Squires, Y. Wang and C. Uhler. UAI 2020, arXiv:1910.09007.
    """

    def __init__(self, dag: object) -> None:
        A = check_dag(dag, "dag").copy()
        A.setflags(write=False)
        self.dag = A
        self._bool_dag = A.astype(bool)
        self.n_nodes = int(A.shape[0])
        self.n_computed = 0
        self._cache: dict[tuple[int, int, int], bool] = {}

    def independent(self, i: int, j: int, cond: int) -> bool:
        """Protocol method (bitmask ``cond``, cached, unvalidated)."""
        key = (i, j, cond) if i < j else (j, i, cond)
        ans = self._cache.get(key)
        if ans is None:
            ans = bayes_ball_separated(
                self._bool_dag, frozenset((i,)), frozenset((j,)), frozenset(mask_to_nodes(cond))
            )
            self._cache[key] = ans
            self.n_computed += 1
        return ans

    def is_independent(self, i: int, j: int, cond: Iterable[int] = ()) -> bool:
        """Validated, set-based form of :meth:`independent`."""
        i = check_node_index(i, self.n_nodes, "i")
        j = check_node_index(j, self.n_nodes, "j")
        if i == j:
            raise ValueError(f"i and j must be distinct nodes, got i = j = {i}")
        mask = check_nodes_mask(cond, self.n_nodes, "cond")
        if mask >> i & 1 or mask >> j & 1:
            raise ValueError(f"cond must not contain i={i} or j={j}, got {mask_to_nodes(mask)}")
        return self.independent(i, j, mask)


class OracleInvarianceTester:
    """Invariance oracle: d-separation from a per-component source ``ζ_k`` in the augmented DAG.

    Parameters
    ----------
    dag : array-like of shape (p, p)
        The true DAG.
    targets : sequence of iterables of int
        One target set per component (``K`` entries), e.g. ``[(), {0}, {2}]``.
    base : int, default 0
        The reference component.

    Raises
    ------
    ValueError
        If a target is not a node of ``dag`` or ``base`` is not a component.

    References
    ----------
    .. [1] C. Squires, Y. Wang and C. Uhler. UAI 2020, arXiv:1910.09007.
    """

    def __init__(self, dag: object, targets: Sequence[Iterable[int]], base: int = 0) -> None:
        A = check_dag(dag, "dag")
        p = int(A.shape[0])
        if isinstance(targets, str | bytes) or not isinstance(targets, Sequence):
            raise TypeError(
                f"targets must be a sequence of node sets, got {type(targets).__name__}"
            )
        sets = tuple(check_node_set(t, p, name=f"targets[{k}]") for k, t in enumerate(targets))
        if len(sets) < 2:
            raise ValueError(f"targets must list at least 2 components, got {len(sets)}")
        self.base = check_node_index(base, len(sets), "base")
        self.dag = A
        self.targets = sets
        self.n_nodes = p
        self.n_components = len(sets)
        self.n_computed = 0
        self._augmented: dict[int, np.ndarray] = {}
        for k, t in enumerate(sets):
            changed = t ^ sets[self.base]
            if k == self.base or not changed:
                continue
            aug = np.zeros((p + 1, p + 1), dtype=np.int8)
            aug[:p, :p] = A
            aug[p, sorted(changed)] = 1
            aug.setflags(write=False)
            self._augmented[k] = aug.astype(bool)
        self._cache: dict[tuple[int, int], int] = {}

    def variant_mask(self, i: int, cond: int) -> int:
        """Protocol method: bit ``k`` set iff ``ζ_k`` is d-connected to ``i`` given ``cond``."""
        key = (i, cond)
        ans = self._cache.get(key)
        if ans is None:
            source, target = frozenset((self.n_nodes,)), frozenset((i,))
            nodes = frozenset(mask_to_nodes(cond))
            ans = 0
            for k, aug in self._augmented.items():
                if not bayes_ball_separated(aug, source, target, nodes):
                    ans |= 1 << k
            self._cache[key] = ans
            self.n_computed += 1
        return ans

    def variant_components(self, i: int, cond: Iterable[int] = ()) -> frozenset[int]:
        """Validated, set-based form of :meth:`variant_mask`."""
        i = check_node_index(i, self.n_nodes, "i")
        mask = check_nodes_mask(cond, self.n_nodes, "cond")
        if mask >> i & 1:
            raise ValueError(f"cond must not contain the tested node i={i}")
        return frozenset(mask_to_nodes(self.variant_mask(i, mask)))
