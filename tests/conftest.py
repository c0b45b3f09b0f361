"""Shared test helpers."""

from __future__ import annotations

import numpy as np


def make_dag(p: int, arcs) -> np.ndarray:
    """Adjacency matrix with ``A[i, j] = 1`` for every arc ``(i, j)``."""
    A = np.zeros((p, p), dtype=np.int8)
    for i, j in arcs:
        A[i, j] = 1
    return A


def random_dag(p: int, edge_prob: float, rng: np.random.Generator) -> np.ndarray:
    """A random DAG: upper-triangular Erdős–Rényi, then a random relabelling of the nodes."""
    A = np.triu(rng.random((p, p)) < edge_prob, k=1).astype(np.int8)
    perm = rng.permutation(p)
    return A[np.ix_(perm, perm)]
