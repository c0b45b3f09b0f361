"""The tester interface the structure search consumes, and node-set bitmasks.

The search (:mod:`causalmix.discovery`) never sees data: it asks two questions through the
protocols below, and real (Gaussian) and oracle (d-separation) testers both answer them.

Node sets are passed as **bitmasks** on this interface: the set ``S`` is the integer
``sum(1 << v for v in S)``. Bitmasks are cheap, hashable cache keys and make the set algebra of
the search (parents, covered arcs) a handful of integer operations. Every concrete tester also has
set-based convenience methods (``is_independent(i, j, S)``, ``variant_components(i, S)``).

References
----------
.. [1] C. Squires, Y. Wang and C. Uhler. Permutation-based causal structure learning with unknown
   intervention targets. UAI 2020, arXiv:1910.09007.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from causalmix._bitmask import mask_to_nodes
from causalmix._validation import check_node_set

__all__ = ["CITester", "InvarianceTester", "mask_to_nodes", "nodes_to_mask"]


@runtime_checkable
class CITester(Protocol):
    """Answers conditional-independence queries ``X_i ⊥ X_j | X_S``."""

    def independent(self, i: int, j: int, cond: int) -> bool:
        """Return True iff ``X_i`` and ``X_j`` are judged independent given the bitmask ``cond``.

        Must be symmetric in ``i`` and ``j``; ``cond`` never contains ``i`` or ``j``.
        """
        ...


@runtime_checkable
class InvarianceTester(Protocol):
    """Answers invariance queries: is the law of ``X_i | X_S`` the same as in the base component?"""

    def variant_mask(self, i: int, cond: int) -> int:
        """Bitmask over components: bit ``k`` set iff ``X_i | X_cond`` changes between the base
        component and component ``k``. The base's own bit is never set."""
        ...


def nodes_to_mask(nodes: Iterable[int]) -> int:
    """Bitmask of a node set (no validation; see :func:`check_nodes_mask`)."""
    mask = 0
    for v in nodes:
        mask |= 1 << int(v)
    return mask


def check_nodes_mask(nodes: Iterable[int], n_nodes: int, name: str = "cond") -> int:
    """Validate a node set (see :func:`causalmix._validation.check_node_set`) and return its mask."""
    return nodes_to_mask(check_node_set(nodes, n_nodes, name=name))


def check_node_index(i: object, n_nodes: int, name: str) -> int:
    """Validate one node index in ``0..n_nodes-1`` and return it as ``int``."""
    if isinstance(i, bool) or not isinstance(i, numbers.Integral):
        raise TypeError(f"{name} must be an integer node index, got {type(i).__name__}: {i!r}")
    if not 0 <= i < n_nodes:
        raise ValueError(f"{name} must be a node index in 0..{n_nodes - 1}, got {i}")
    return int(i)
