"""Random DAGs for simulations (Erdős–Rényi over a random or fixed causal order).

Adjacency convention (as in :mod:`causalmix.graphs`): ``A[i, j] == 1`` iff ``i -> j``; matrices are
``np.int8`` with entries 0/1.

References
----------
.. [1] A. Kumar, K. Shiragur and C. Uhler, "Learning Mixtures of Unknown Causal Interventions",
   NeurIPS 2024, arXiv:2411.00213.
"""

from __future__ import annotations

import numpy as np

from causalmix._validation import check_positive_int, check_random_state, check_real

__all__ = ["random_dag"]

#: Edge density of the paper's simulations.
PAPER_DENSITY = 0.8


def random_dag(
    n_nodes: int,
    density: float | None = None,
    *,
    expected_degree: float | None = None,
    permute: bool = True,
    random_state: int | np.random.Generator | None = None,
) -> np.ndarray:
    """Random DAG: each edge compatible with a causal order is kept independently.

    Parameters
    ----------
    n_nodes : int
        Number of nodes ``p >= 1``.
    density : float in [0, 1] or None
        Probability ``q`` of keeping each of the ``p (p - 1) / 2`` order-compatible edges. ``None``
        means the paper's 0.8 unless ``expected_degree`` is given.
    expected_degree : float in [0, p - 1] or None
        Alternative to ``density`` (mutually exclusive): the expected number of neighbours of a node,
        giving ``q = expected_degree / (p - 1)``.
    permute : bool, default True
        Relabel the nodes by a uniformly random permutation. ``False`` reproduces the paper: node
        ``i`` can only point to ``j > i`` (the adjacency is strictly upper triangular).
    random_state : int, Generator or None

    Returns
    -------
    ndarray of shape (p, p), dtype int8

    Raises
    ------
    ValueError
        If both ``density`` and ``expected_degree`` are given, or either is out of range.

    Notes
    -----
    The expected number of edges is ``q p (p - 1) / 2`` and each node has ``q (p - 1)`` expected
    neighbours.
    """
    rng = check_random_state(random_state)
    p = check_positive_int(n_nodes, "n_nodes")
    q = _edge_probability(p, density, expected_degree)
    upper = np.triu(rng.random((p, p)) < q, k=1).astype(np.int8)
    if not permute:
        return upper
    perm = rng.permutation(p)
    dag = np.zeros((p, p), dtype=np.int8)
    # position k of the causal order gets label perm[k]
    dag[np.ix_(perm, perm)] = upper
    return dag


def _edge_probability(n_nodes: int, density: float | None, expected_degree: float | None) -> float:
    if density is not None and expected_degree is not None:
        raise ValueError(
            "density and expected_degree are mutually exclusive; got "
            f"density={density}, expected_degree={expected_degree}"
        )
    if expected_degree is not None:
        deg = check_real(expected_degree, "expected_degree", low=0.0, high=max(n_nodes - 1, 0))
        return deg / (n_nodes - 1) if n_nodes > 1 else 0.0
    if density is None:
        return PAPER_DENSITY
    return check_real(density, "density", low=0.0, high=1.0)
