"""d-separation in a DAG by the Bayes-ball reachability algorithm."""

from __future__ import annotations

from collections.abc import Iterable

from causalmix._validation import check_node_set
from causalmix.graphs._bayes_ball import bayes_ball_separated
from causalmix.graphs.dag import check_dag

__all__ = ["d_separated"]


def d_separated(
    dag: object, x: int | Iterable[int], y: int | Iterable[int], given: Iterable[int] = ()
) -> bool:
    """Return True iff node sets ``x`` and ``y`` are d-separated given ``given`` in ``dag``.

    Parameters
    ----------
    dag : array-like of shape (p, p)
        A DAG (``A[i, j] != 0`` iff ``i -> j``).
    x, y : int or iterable of int
        Non-empty, disjoint node sets.
    given : iterable of int
        Conditioning set, disjoint from ``x`` and ``y``.

    Raises
    ------
    ValueError
        If a node is out of range, ``x`` or ``y`` is empty, or the three sets overlap.

    Notes
    -----
    Linear time in the number of edges (Koller & Friedman 2009, Algorithm 3.1).
    """
    A = check_dag(dag).astype(bool)
    p = A.shape[0]
    xs = check_node_set(x, p, name="x")
    ys = check_node_set(y, p, name="y")
    zs = check_node_set(given, p, name="given")
    if not xs or not ys:
        raise ValueError(f"x and y must be non-empty, got x={sorted(xs)}, y={sorted(ys)}")
    if xs & ys or xs & zs or ys & zs:
        raise ValueError(
            f"x, y and given must be disjoint, got x={sorted(xs)}, y={sorted(ys)}, given={sorted(zs)}"
        )
    return bayes_ball_separated(A, xs, ys, zs)
