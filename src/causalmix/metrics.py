"""Evaluation metrics: graph distances, component matching, parameter and target recovery.

Conventions (state them in every report)
----------------------------------------
- Graphs follow :mod:`causalmix.graphs`: ``A[i, j] != 0`` iff ``i -> j``; an undirected edge
  ``i - j`` has both entries set.
- :func:`shd` between DAGs counts additions + deletions + reversals, a reversal counting 1.
  :func:`icpdag_shd` counts one point per unordered node pair whose state (no edge, ``i -> j``,
  ``j -> i`` or ``i - j``) differs. On two DAGs both give the same number.
- Estimated components are matched to true ones by the Hungarian algorithm
  (:func:`scipy.optimize.linear_sum_assignment`) on ``‖mu − mu'‖₁ + ‖Σ − Σ'‖₁`` (entrywise L1),
  which also handles different numbers of components; the reference code enumerated permutations.
- Target recovery is the Jaccard index per true component (observational target set ``∅``, both
  empty → 1, unmatched → 0).

References
----------
.. [1] A. Kumar, K. Shiragur and C. Uhler, "Learning Mixtures of Unknown Causal Interventions",
   NeurIPS 2024, arXiv:2411.00213.
.. [2] H. W. Kuhn, "The Hungarian method for the assignment problem", Naval Research Logistics
   Quarterly 2, 1955.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score

from causalmix._frozen import freeze_arrays
from causalmix.graphs import check_adjacency, check_dag

__all__ = [
    "ComponentMatching",
    "TargetJaccard",
    "adjusted_rand_index",
    "component_distances",
    "icpdag_shd",
    "jaccard",
    "match_components",
    "parameter_error",
    "shd",
    "target_jaccard",
    "weight_error",
]


def _pair_differences(a: np.ndarray, b: np.ndarray, names: tuple[str, str]) -> int:
    if a.shape != b.shape:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same shape, got {a.shape} and {b.shape}"
        )
    diff = a != b
    # the pair {i, j} differs iff either ordered entry differs
    return int(np.triu(diff | diff.T, k=1).sum())


def shd(dag_a: object, dag_b: object) -> int:
    """Structural Hamming distance between two DAGs on the same nodes.

    Parameters
    ----------
    dag_a, dag_b : array-like of shape (p, p)
        Adjacency matrices of DAGs (``A[i, j] != 0`` iff ``i -> j``).

    Returns
    -------
    int
        Number of edge additions, deletions and reversals turning ``dag_a`` into ``dag_b``,
        a reversal counting 1: each unordered pair ``{i, j}`` contributes 1 iff its state (none,
        ``i -> j``, ``j -> i``) differs, so ``shd`` is a metric on DAGs.

    Raises
    ------
    ValueError
        If an input is not a DAG or the shapes differ.
    """
    a = check_dag(dag_a, "dag_a")
    b = check_dag(dag_b, "dag_b")
    return _pair_differences(a, b, ("dag_a", "dag_b"))


def icpdag_shd(g_a: object, g_b: object) -> int:
    """Structural Hamming distance between partially directed graphs (CPDAGs, I-CPDAGs, PDAGs).

    Parameters
    ----------
    g_a, g_b : array-like of shape (p, p)
        Adjacency matrices; ``i - j`` is encoded by ``A[i, j] = A[j, i] = 1``.

    Returns
    -------
    int
        Number of unordered node pairs whose state differs, the states being none, ``i -> j``,
        ``j -> i`` and ``i - j``. An undirected edge vs a directed one counts 1, as does a
        reversal, a missing or an extra edge.

    Raises
    ------
    ValueError
        If an input is not a valid adjacency matrix or the shapes differ.
    """
    a = check_adjacency(g_a, "g_a")
    b = check_adjacency(g_b, "g_b")
    return _pair_differences(a, b, ("g_a", "g_b"))


def _check_moments(means: object, covs: object, prefix: str) -> tuple[np.ndarray, np.ndarray]:
    mu = np.asarray(means, dtype=np.float64)
    cov = np.asarray(covs, dtype=np.float64)
    if mu.ndim != 2 or cov.shape != (mu.shape[0], mu.shape[1], mu.shape[1]):
        raise ValueError(
            f"{prefix}_means must have shape (K, p) and {prefix}_covs (K, p, p), got "
            f"{mu.shape} and {cov.shape}"
        )
    if not (np.all(np.isfinite(mu)) and np.all(np.isfinite(cov))):
        raise ValueError(f"{prefix}_means and {prefix}_covs must be finite")
    return mu, cov


def component_distances(
    est_means: object, est_covs: object, true_means: object, true_covs: object
) -> np.ndarray:
    """Pairwise distances ``D[e, t] = ‖mu_e − mu_t‖₁ + ‖Σ_e − Σ_t‖₁`` (entrywise L1), (K_est, K_true).

    Takes the arguments of :func:`match_components`; raises ``ValueError`` on inconsistent shapes,
    different ``p``, an empty side or non-finite values.
    """
    em, ec = _check_moments(est_means, est_covs, "est")
    tm, tc = _check_moments(true_means, true_covs, "true")
    if em.shape[1] != tm.shape[1]:
        raise ValueError(
            f"estimated and true components must have the same p, got {em.shape[1]} and "
            f"{tm.shape[1]}"
        )
    if em.shape[0] == 0 or tm.shape[0] == 0:
        raise ValueError(
            f"need at least one estimated and one true component, got {em.shape[0]} and "
            f"{tm.shape[0]}"
        )
    d_mean = np.abs(em[:, None, :] - tm[None, :, :]).sum(axis=2)
    d_cov = np.abs(ec[:, None] - tc[None, :]).sum(axis=(2, 3))
    return d_mean + d_cov


@dataclass(frozen=True, eq=False)
class ComponentMatching:
    """One-to-one matching of estimated to true mixture components.

    Attributes
    ----------
    est_to_true : ndarray of shape (K_est,), int
        True component matched to each estimated one, ``-1`` if unmatched.
    true_to_est : ndarray of shape (K_true,), int
        Estimated component matched to each true one, ``-1`` if unmatched.
    cost : ndarray of shape (K_est, K_true)
        The full distance matrix used for the assignment.
    distances : ndarray of shape (K_true,)
        Distance of each true component to its match, ``nan`` if unmatched.
    total_distance : float
        Sum of the matched distances.
    """

    est_to_true: np.ndarray
    true_to_est: np.ndarray
    cost: np.ndarray
    distances: np.ndarray
    total_distance: float

    def __post_init__(self) -> None:
        freeze_arrays(self, ("est_to_true", "true_to_est", "cost", "distances"))

    n_est = property(lambda self: int(self.est_to_true.shape[0]), doc="Number of estimates.")
    n_true = property(lambda self: int(self.true_to_est.shape[0]), doc="Number of true components.")

    @property
    def pairs(self) -> list[tuple[int, int]]:
        """Matched ``(est, true)`` pairs, sorted by the true index."""
        return [(int(e), t) for t, e in enumerate(self.true_to_est) if e >= 0]


def match_components(
    est_means: object, est_covs: object, true_means: object, true_covs: object
) -> ComponentMatching:
    """Match estimated to true components by minimum total parameter distance.

    Parameters
    ----------
    est_means, est_covs : array-like of shapes (K_est, p) and (K_est, p, p)
    true_means, true_covs : array-like of shapes (K_true, p) and (K_true, p, p)

    Returns
    -------
    ComponentMatching
        ``min(K_est, K_true)`` pairs; the surplus components on the larger side are unmatched.

    Raises
    ------
    ValueError
        As :func:`component_distances`.

    Notes
    -----
    Solves the (rectangular) assignment problem on ``D[e, t] = ‖mu_e − mu_t‖₁ + ‖Σ_e − Σ_t‖₁``
    with the Hungarian algorithm in ``O(K³)``, never by enumerating permutations.
    """
    cost = component_distances(est_means, est_covs, true_means, true_covs)
    rows, cols = linear_sum_assignment(cost)
    est_to_true = np.full(cost.shape[0], -1, dtype=np.int64)
    true_to_est = np.full(cost.shape[1], -1, dtype=np.int64)
    est_to_true[rows] = cols
    true_to_est[cols] = rows
    distances = np.full(cost.shape[1], np.nan)
    distances[cols] = cost[rows, cols]
    return ComponentMatching(
        est_to_true, true_to_est, cost, distances, float(cost[rows, cols].sum())
    )


def parameter_error(
    est_means: object,
    est_covs: object,
    true_means: object,
    true_covs: object,
    matching: ComponentMatching | None = None,
) -> float:
    """Summed distance ``‖mu − mu'‖₁ + ‖Σ − Σ'‖₁`` over matched components.

    Takes the arguments of :func:`match_components` and optionally their ``matching`` (computed
    when omitted). Unmatched components do not contribute; report ``K_est`` vs ``K_true`` alongside.

    Raises
    ------
    ValueError
        As :func:`component_distances`, or if ``matching`` does not fit the numbers of components.
    TypeError
        If ``matching`` is not a :class:`ComponentMatching`.
    """
    if matching is None:
        return match_components(est_means, est_covs, true_means, true_covs).total_distance
    cost = component_distances(est_means, est_covs, true_means, true_covs)
    _check_matching(matching, cost.shape[0], cost.shape[1])
    return float(sum(cost[e, t] for e, t in matching.pairs))


def _check_matching(matching: ComponentMatching, n_est: int, n_true: int) -> None:
    if not isinstance(matching, ComponentMatching):
        raise TypeError(f"matching must be a ComponentMatching, got {type(matching).__name__}")
    if (matching.n_est, matching.n_true) != (n_est, n_true):
        raise ValueError(
            f"matching is for {matching.n_est} estimated and {matching.n_true} true components, "
            f"got {n_est} and {n_true}"
        )


def _check_weights(weights: object, name: str) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError(
            f"{name} must be a 1-D vector of finite non-negative reals, got {w.tolist()}"
        )
    return w


def weight_error(est_weights: object, true_weights: object, matching: ComponentMatching) -> float:
    """Mixing-weight error ``Σ |π̂_e − π_t|`` over matched pairs, against the TRUE weights.

    ``est_weights`` has shape (K_est,), ``true_weights`` (K_true,), fitting ``matching``. Matched
    pairs add ``|π̂_e − π_t|``; every unmatched estimated component adds its full weight ``π̂_e`` and
    every unmatched true component its full weight ``π_t`` (as if matched to a component of weight
    0), so the value lies in ``[0, 2]`` for weights summing to 1.

    Raises
    ------
    ValueError
        If a weight vector is not 1-D, finite and non-negative, or does not fit ``matching``.

    Notes
    -----
    The reference code compared estimates with ``1 / K̂`` instead of the true weights.
    """
    est = _check_weights(est_weights, "est_weights")
    true = _check_weights(true_weights, "true_weights")
    _check_matching(matching, est.shape[0], true.shape[0])
    matched = sum(abs(est[e] - true[t]) for e, t in matching.pairs)
    return float(
        matched + est[matching.est_to_true < 0].sum() + true[matching.true_to_est < 0].sum()
    )


def jaccard(a: Iterable[int], b: Iterable[int]) -> float:
    """Jaccard index ``|a ∩ b| / |a ∪ b|`` of two node sets; 1 when both are empty."""
    a, b = frozenset(a), frozenset(b)
    union = a | b
    return 1.0 if not union else len(a & b) / len(union)


@dataclass(frozen=True, eq=False)
class TargetJaccard:
    """Target-recovery scores.

    Attributes
    ----------
    per_component : ndarray of shape (K_true,)
        Jaccard index of each true component with its matched estimate (0 if unmatched).
    mean_all : float
        Mean over all true components.
    mean_interventional : float
        Mean over the true interventional components (``nan`` if there are none).
    """

    per_component: np.ndarray
    mean_all: float
    mean_interventional: float

    def __post_init__(self) -> None:
        freeze_arrays(self, ("per_component",), np.float64)


def target_jaccard(
    est_targets: Sequence[Iterable[int]],
    true_targets: Sequence[Iterable[int]],
    matching: ComponentMatching,
    observational: int | None = 0,
) -> TargetJaccard:
    """Jaccard index of estimated vs true target sets over matched components.

    Parameters
    ----------
    est_targets : sequence of K_est node sets
        Inferred targets of each estimated component (the base component's set is ``∅``).
    true_targets : sequence of K_true node sets
    matching : ComponentMatching
    observational : int or None, default 0
        Index of the true observational component (its target set must be empty), or None if
        there is none. It is excluded from ``mean_interventional``.

    Raises
    ------
    ValueError
        If the lengths do not fit ``matching``, ``observational`` is out of range or the true
        observational target set is not empty.

    Notes
    -----
    Conventions: two empty sets score 1 (an observational component matched to an estimate with no
    targets is perfect); an unmatched true component scores 0. Unlike the paper's average (capped at
    ``(K−1)/K`` by a quirk of the reference code), the observational component is never scored as
    "every node is a target".
    """
    est = [frozenset(t) for t in est_targets]
    true = [frozenset(t) for t in true_targets]
    _check_matching(matching, len(est), len(true))
    if observational is not None:
        if not 0 <= observational < len(true):
            raise ValueError(
                f"observational must be None or in 0..{len(true) - 1}, got {observational}"
            )
        if true[observational]:
            raise ValueError(
                f"true_targets[{observational}] is the observational component and must be empty, "
                f"got {sorted(true[observational])}"
            )
    scores = np.array(
        [0.0 if e < 0 else jaccard(est[e], true[t]) for t, e in enumerate(matching.true_to_est)]
    )
    interventional = [t for t in range(len(true)) if t != observational]
    mean_int = float(scores[interventional].mean()) if interventional else float("nan")
    return TargetJaccard(scores, float(scores.mean()), mean_int)


def adjusted_rand_index(labels_a: object, labels_b: object) -> float:
    """Adjusted Rand index between two clusterings of the same rows.

    Thin validated wrapper of :func:`sklearn.metrics.adjusted_rand_score`: 1 for identical
    partitions (up to relabelling), about 0 for independent ones. Inputs have shape (N,).

    Raises
    ------
    ValueError
        If a label vector is not 1-D, is empty, or the lengths differ.
    """
    a = np.asarray(labels_a)
    b = np.asarray(labels_b)
    for name, arr in (("labels_a", a), ("labels_b", b)):
        if arr.ndim != 1 or arr.shape[0] == 0:
            raise ValueError(f"{name} must be a non-empty 1-D vector, got shape {arr.shape}")
    if a.shape != b.shape:
        raise ValueError(
            f"labels_a and labels_b must have the same length, got {a.shape[0]} and {b.shape[0]}"
        )
    return float(adjusted_rand_score(a, b))
