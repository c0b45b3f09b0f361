"""Baselines on the same search: plain GSP (observational) and IGSP with known targets.

GSP minimises the number of arcs over DAGs reachable by covered-arc reversals from minimal
I-MAPs [1]_. IGSP with known single-node targets [2]_ (in a simplified form) calls the arc
``i -> j`` *protected* when some setting with target set exactly ``{i}`` changes the marginal
law of ``X_j`` (invariance test of ``j`` given ``∅``), and minimises
``(number of arcs, number of protected arcs the DAG orients the other way)``. These are the
"oracle labels" baselines; unlike UT-IGSP they do not infer targets.

References
----------
.. [1] L. Solus, Y. Wang and C. Uhler. Consistency guarantees for greedy permutation-based causal
   inference algorithms. Biometrika 108(4), 2021.
.. [2] Y. Wang, L. Solus, K. D. Yang and C. Uhler. Permutation-based causal inference algorithms
   with interventions. NeurIPS 2017.
.. [3] C. Squires, Y. Wang and C. Uhler. UAI 2020, arXiv:1910.09007.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from causalmix._bitmask import from_column_masks
from causalmix._frozen import freeze_arrays
from causalmix._validation import (
    check_data_matrix,
    check_node_set,
    check_positive_int,
    check_random_state,
)
from causalmix.discovery._search import NodeTerms, no_terms, search
from causalmix.discovery.options import SearchOptions
from causalmix.graphs import dag_to_cpdag, dag_to_icpdag
from causalmix.stats.ci import GaussianCITester
from causalmix.stats.invariance import GaussianInvarianceTester
from causalmix.stats.suffstats import SufficientStatistics
from causalmix.stats.testers import CITester, InvarianceTester, check_node_index

__all__ = ["GSPResult", "gsp", "gsp_from_testers", "igsp", "igsp_from_testers"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class GSPResult:
    """Result of GSP / IGSP.

    Attributes
    ----------
    adjacency : ndarray of shape (p, p), int8
        The estimated DAG, read-only.
    essential_graph : ndarray of shape (p, p), int8
        Its CPDAG (GSP) or its I-CPDAG for the known targets (IGSP).
    score : tuple of (int, int)
        ``(number of arcs, number of contradicted protected arcs)`` (second entry 0 for GSP).
    n_arcs : int
    n_runs : int
    run_scores : tuple of tuple of (int, int)
    """

    adjacency: np.ndarray
    essential_graph: np.ndarray
    score: tuple[int, int]
    n_arcs: int
    n_runs: int
    run_scores: tuple[tuple[int, int], ...]

    def __post_init__(self) -> None:
        freeze_arrays(self, ("adjacency", "essential_graph"), np.int8)


def _check_ci(ci_tester: object) -> None:
    if not isinstance(ci_tester, CITester):
        raise TypeError(
            f"ci_tester must implement independent(i, j, cond_mask), got {type(ci_tester).__name__}"
        )


def _check_rows(n: float, p: int, name: str, need: int) -> None:
    if n <= need:
        raise ValueError(f"{name} has {n:g} rows for {p} variables; need more than {need}")


def _node_sets(targets: Sequence[Iterable[int]], n_nodes: int) -> list[frozenset[int]]:
    return [check_node_set(t, n_nodes, name=f"targets[{k}]") for k, t in enumerate(targets)]


def _run(
    ci: CITester,
    n_nodes: int,
    terms: NodeTerms,
    essential_graph: Callable[[np.ndarray], np.ndarray],
    options: SearchOptions,
    rng: np.random.Generator,
) -> GSPResult:
    """The search and its result, shared by GSP and IGSP (``essential_graph`` of the best DAG)."""
    (parents, score), run_scores = search(ci, n_nodes, terms, options, rng)
    A = from_column_masks(parents)
    return GSPResult(A, essential_graph(A), score, score[0], options.n_runs, run_scores)


def gsp_from_testers(
    ci_tester: CITester,
    n_nodes: int,
    *,
    depth: int = 4,
    n_runs: int = 5,
    random_state: int | np.random.Generator | None = None,
) -> GSPResult:
    """Greedy sparsest permutation search on a CI tester.

    Parameters
    ----------
    ci_tester : CITester
    n_nodes : int
    depth, n_runs, random_state
        As in :func:`causalmix.discovery.ut_igsp_from_testers`.

    Returns
    -------
    GSPResult

    References
    ----------
    .. [1] Solus, Wang & Uhler, Biometrika 2021.
    """
    _check_ci(ci_tester)
    n_nodes = check_positive_int(n_nodes, "n_nodes")
    options = SearchOptions(depth=depth, n_runs=n_runs)
    rng = check_random_state(random_state)
    return _run(ci_tester, n_nodes, no_terms, dag_to_cpdag, options, rng)


def gsp(
    data: object,
    *,
    alpha_ci: float = 1e-3,
    depth: int = 4,
    n_runs: int = 5,
    random_state: int | np.random.Generator | None = None,
) -> GSPResult:
    """GSP on one observational data matrix of shape ``(n, p)`` with ``n > p + 1``.

    Raises
    ------
    ValueError
        If ``data`` is not a finite 2-D array with more than ``p + 1`` rows, or a parameter is
        invalid.

    References
    ----------
    .. [1] Solus, Wang & Uhler, Biometrika 2021.
    """
    X = check_data_matrix(data, "data")
    options = SearchOptions(alpha_ci=alpha_ci, depth=depth, n_runs=n_runs)
    _check_rows(X.shape[0], X.shape[1], "data", X.shape[1] + 1)
    ci = GaussianCITester(SufficientStatistics.from_datasets([X]), 0, options.alpha_ci)
    rng = check_random_state(random_state)
    return _run(ci, X.shape[1], no_terms, dag_to_cpdag, options, rng)


def igsp_from_testers(
    ci_tester: CITester,
    inv_tester: InvarianceTester,
    targets: Sequence[Iterable[int]],
    n_nodes: int,
    base: int = 0,
    *,
    depth: int = 4,
    n_runs: int = 5,
    random_state: int | np.random.Generator | None = None,
) -> GSPResult:
    """IGSP with known targets on arbitrary testers.

    Parameters
    ----------
    ci_tester : CITester
    inv_tester : InvarianceTester
        Compares the base with each component; only ``variant_mask(j, 0)`` (marginals) is used.
    targets : sequence of iterables of int
        Known target set of every component (``K`` entries; the base's should be empty). Only
        single-node sets protect arcs.
    n_nodes : int
    base : int, default 0
    depth, n_runs, random_state
        As in :func:`causalmix.discovery.ut_igsp_from_testers`.

    Returns
    -------
    GSPResult

    References
    ----------
    .. [1] Wang, Solus, Yang & Uhler, NeurIPS 2017.
    """
    _check_ci(ci_tester)
    if not isinstance(inv_tester, InvarianceTester):
        raise TypeError(
            f"inv_tester must implement variant_mask(i, cond_mask), got {type(inv_tester).__name__}"
        )
    n_nodes = check_positive_int(n_nodes, "n_nodes")
    if isinstance(targets, str | bytes) or not isinstance(targets, Sequence):
        raise TypeError(f"targets must be a sequence of node sets, got {type(targets).__name__}")
    sets = _node_sets(targets, n_nodes)
    base = check_node_index(base, len(sets), "base")
    options = SearchOptions(depth=depth, n_runs=n_runs)
    rng = check_random_state(random_state)
    return _igsp(ci_tester, inv_tester, sets, n_nodes, base, options, rng)


def _igsp(
    ci: CITester,
    inv: InvarianceTester,
    sets: list[frozenset[int]],
    n_nodes: int,
    base: int,
    options: SearchOptions,
    rng: np.random.Generator,
) -> GSPResult:
    """IGSP's objective: arcs, then protected arcs oriented against their known target."""
    protected = [0] * n_nodes  # protected[i]: mask of j with i -> j protected
    for k, t in enumerate(sets):
        if k == base or len(t) != 1:
            continue
        (i,) = t
        for j in range(n_nodes):
            if j != i and inv.variant_mask(j, 0) >> k & 1:
                protected[i] |= 1 << j
    logger.debug("IGSP protected arcs (as child masks): %s", protected)

    def terms(keys: list[tuple[int, int]]) -> list[int]:
        return [(pa & protected[v]).bit_count() for v, pa in keys]

    others = [t for k, t in enumerate(sets) if k != base]
    return _run(ci, n_nodes, terms, lambda A: dag_to_icpdag(A, others), options, rng)


def igsp(
    datasets: Sequence[object],
    targets: Sequence[Iterable[int]],
    base: int = 0,
    *,
    alpha_ci: float = 1e-3,
    alpha_inv: float = 1e-3,
    depth: int = 4,
    n_runs: int = 5,
    random_state: int | np.random.Generator | None = None,
) -> GSPResult:
    """IGSP on labelled data with known targets (one array and one target set per setting).

    Raises
    ------
    ValueError
        If ``targets`` and ``datasets`` differ in length, the arrays disagree in columns, a dataset
        has too few rows (the base needs more than ``p + 1``, the others more than ``p``), or a
        parameter is invalid.

    References
    ----------
    .. [1] Wang, Solus, Yang & Uhler, NeurIPS 2017.
    """
    if isinstance(datasets, str | bytes) or not isinstance(datasets, Sequence):
        raise TypeError(f"datasets must be a sequence of 2-D arrays, got {type(datasets).__name__}")
    if not isinstance(targets, Sequence) or len(targets) != len(datasets):
        raise ValueError(
            f"targets must list one node set per dataset ({len(datasets)}), got "
            f"{len(targets) if isinstance(targets, Sequence) else type(targets).__name__}"
        )
    if len(datasets) < 2:
        raise ValueError(f"igsp needs at least 2 datasets, got {len(datasets)}; use gsp")
    stats = SufficientStatistics.from_datasets(datasets)
    p = stats.n_nodes
    base = check_node_index(base, stats.n_components, "base")
    for k, n in enumerate(stats.n):
        _check_rows(n, p, f"datasets[{k}]", p + 1 if k == base else p)
    options = SearchOptions(alpha_ci=alpha_ci, alpha_inv=alpha_inv, depth=depth, n_runs=n_runs)
    sets = _node_sets(targets, p)
    ci = GaussianCITester(stats, base, options.alpha_ci)
    inv = GaussianInvarianceTester(stats, base, options.alpha_inv)
    return _igsp(ci, inv, sets, p, base, options, check_random_state(random_state))
