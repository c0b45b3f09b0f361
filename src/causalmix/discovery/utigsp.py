"""UT-IGSP: permutation-based causal discovery with unknown intervention targets.

Given a base (observational) component and ``K - 1`` interventional components with unknown
targets, UT-IGSP searches over DAGs reachable by covered-arc reversals from minimal I-MAPs of
randomised starting permutations, minimising ``(number of arcs, |V(G)|)`` lexicographically, where
``V(G) = {(k, v) : X_v | X_pa(v) is variant between the base and component k}``. The targets it
reports are ``T_k = {v : (k, v) ∈ V(G)}`` for the best DAG [1]_.

Three entry points, from the rawest input to the most abstract:

- :func:`ut_igsp` — one data matrix per setting (labelled data);
- :func:`ut_igsp_from_statistics` — :class:`~causalmix.stats.SufficientStatistics` (what the
  Mixture-UTIGSP estimator passes, possibly once per candidate base);
- :func:`ut_igsp_from_testers` — any CI / invariance testers, e.g. the oracles.

References
----------
.. [1] C. Squires, Y. Wang and C. Uhler. Permutation-based causal structure learning with unknown
   intervention targets. UAI 2020, arXiv:1910.09007.
.. [2] L. Solus, Y. Wang and C. Uhler. Consistency guarantees for greedy permutation-based causal
   inference algorithms. Biometrika 108(4), 2021.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from causalmix._bitmask import from_column_masks, transpose_masks
from causalmix._frozen import freeze_arrays
from causalmix._validation import (
    check_positive_int,
    check_random_state,
)
from causalmix.discovery._search import NodeTerms, no_terms, search
from causalmix.discovery.options import SearchOptions, resolve_search_options
from causalmix.graphs._essential import icpdag_of_parents
from causalmix.stats.ci import GaussianCITester
from causalmix.stats.invariance import GaussianInvarianceTester
from causalmix.stats.suffstats import SufficientStatistics
from causalmix.stats.testers import CITester, InvarianceTester, check_node_index, mask_to_nodes

__all__ = ["UTIGSPResult", "ut_igsp", "ut_igsp_from_statistics", "ut_igsp_from_testers"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class UTIGSPResult:
    """Result of UT-IGSP.

    Attributes
    ----------
    adjacency : ndarray of shape (p, p), int8
        The estimated DAG (``A[i, j] = 1`` iff ``i -> j``), read-only.
    targets : tuple of frozenset of int
        One inferred target set per component in input order; the base's is empty.
    icpdag : ndarray of shape (p, p), int8
        ``graphs.dag_to_icpdag(adjacency, targets of the non-base components)`` — the identified
        part of the structure.
    score : tuple of (int, int)
        ``(number of arcs, number of (component, node) variances)`` of the best DAG.
    n_arcs : int
    n_runs : int
    base : int
        Index of the base (observational) component.
    run_scores : tuple of tuple of (int, int)
        Final score of each run, in run order.
    """

    adjacency: np.ndarray
    targets: tuple[frozenset[int], ...]
    icpdag: np.ndarray
    score: tuple[int, int]
    n_arcs: int
    n_runs: int
    base: int
    run_scores: tuple[tuple[int, int], ...]

    def __post_init__(self) -> None:
        freeze_arrays(self, ("adjacency", "icpdag"), np.int8)


def ut_igsp_from_testers(
    ci_tester: CITester,
    inv_tester: InvarianceTester | None,
    n_nodes: int,
    n_components: int,
    base: int = 0,
    *,
    depth: int = 4,
    n_runs: int = 5,
    random_state: int | np.random.Generator | None = None,
    start: str = "min_degree",
    select: str = "lexicographic",
    options: SearchOptions | None = None,
) -> UTIGSPResult:
    """UT-IGSP on arbitrary testers (e.g. :class:`~causalmix.stats.DSeparationCITester` and
    :class:`~causalmix.stats.OracleInvarianceTester`).

    Parameters
    ----------
    ci_tester : CITester
        ``independent(i, j, cond_mask) -> bool``. A
        :class:`~causalmix.stats.GaussianCITester` switches on the Gaussian fast paths for the
        threshold graph and the minimal I-MAPs.
    inv_tester : InvarianceTester or None
        ``variant_mask(i, cond_mask) -> int`` (bit ``k``: variant in component ``k``). ``None``
        only when ``n_components == 1`` (the search then reduces to GSP).
    n_nodes : int
        Number of variables ``p``.
    n_components : int
        Number of components ``K`` including the base.
    base : int, default 0
    depth : int, default 4
        Maximal number of consecutive plateau moves (stack depth of the DFS), >= 0.
    n_runs : int, default 5
        Independent runs from randomised starting permutations; the best score wins (ties keep
        the earlier run).
    random_state : int, numpy.random.Generator or None
        One Generator; the runs get independent streams from ``Generator.spawn``.
    start : {"min_degree", "mixed"}, default "min_degree"
        Starting permutations. ``"min_degree"`` is UT-IGSP's randomised minimum-degree order;
        ``"mixed"`` starts every other run from an intervention-informed order (nodes sorted by
        the number of components that change their marginal law), an ancestral order when every
        node is intervened on. An extension of causalmix, not part of the published algorithm.
    select : {"lexicographic", "total"}, default "lexicographic"
        How the best run is chosen: UT-IGSP's lexicographic ``(arcs, targets)``, or the smallest
        ``arcs + targets`` (ties: fewer arcs), so that one false CI independence that drops an
        edge cannot outweigh many spurious targets. An extension of causalmix.
    options : SearchOptions, optional
        The search options as one validated object, in place of ``depth``, ``n_runs``, ``start``
        and ``select`` (which must then keep their defaults; its levels are not used here).

    Returns
    -------
    UTIGSPResult

    Raises
    ------
    TypeError
        If a tester does not implement its protocol, or ``options`` is not a SearchOptions.
    ValueError
        For invalid sizes, base, depth, n_runs, start or select, or ``options`` given together
        with one of those keywords.

    References
    ----------
    .. [1] Squires, Wang & Uhler, UAI 2020, arXiv:1910.09007.
    """
    # (the exact-type tests skip the slow structural Protocol checks for the Gaussian testers)
    if type(ci_tester) is not GaussianCITester and not isinstance(ci_tester, CITester):
        raise TypeError(
            f"ci_tester must implement independent(i, j, cond_mask), got {type(ci_tester).__name__}"
        )
    n_nodes = check_positive_int(n_nodes, "n_nodes")
    n_components = check_positive_int(n_components, "n_components")
    base = check_node_index(base, n_components, "base")
    if inv_tester is None and n_components > 1:
        raise ValueError(f"inv_tester is required when n_components > 1, got {n_components}")
    if (
        inv_tester is not None
        and type(inv_tester) is not GaussianInvarianceTester
        and not isinstance(inv_tester, InvarianceTester)
    ):
        raise TypeError(
            f"inv_tester must implement variant_mask(i, cond_mask), got {type(inv_tester).__name__}"
        )
    options = resolve_search_options(
        options, depth=depth, n_runs=n_runs, start=start, select=select
    )
    rng = check_random_state(random_state)
    terms = _variant_counts(inv_tester)
    (parents, score), run_scores = search(ci_tester, n_nodes, terms, options, rng)
    # bit v of target_masks[k]: v is a target of k (the variant components of each node, transposed)
    variant = [0] * n_nodes
    if inv_tester is not None:
        variant = [inv_tester.variant_mask(v, pa) & ~(1 << base) for v, pa in enumerate(parents)]
    target_masks = transpose_masks(variant, n_components)
    frozen = tuple(frozenset(mask_to_nodes(t)) for t in target_masks)
    adjacency = from_column_masks(parents)
    icpdag = icpdag_of_parents(parents, [t for k, t in enumerate(target_masks) if k != base])
    logger.info("UT-IGSP: score %s over %d runs, targets %s", score, options.n_runs, frozen)
    return UTIGSPResult(
        adjacency=adjacency,
        targets=frozen,
        icpdag=icpdag,
        score=score,
        n_arcs=score[0],
        n_runs=options.n_runs,
        base=base,
        run_scores=run_scores,
    )


def _variant_counts(inv_tester: InvarianceTester | None) -> NodeTerms:
    """UT-IGSP's per-node terms: the number of components in which ``v`` is variant given ``pa``
    (batched through ``variant_masks`` when the tester has it, and counted once per key)."""
    if inv_tester is None:
        return no_terms
    if not hasattr(inv_tester, "variant_masks"):
        variant_mask = inv_tester.variant_mask

        def one_by_one(keys: list[tuple[int, int]]) -> list[int]:
            return [variant_mask(v, pa).bit_count() for v, pa in keys]

        return one_by_one
    variant_masks = inv_tester.variant_masks
    counts: dict[tuple[int, int], int] = {}

    def batched(keys: list[tuple[int, int]]) -> list[int]:
        try:  # the usual case in the search: every term seen before
            return [counts[key] for key in keys]
        except KeyError:
            for key, mask in zip(keys, variant_masks(keys), strict=True):
                counts[key] = mask.bit_count()
            return [counts[key] for key in keys]

    return batched


def ut_igsp_from_statistics(
    stats: SufficientStatistics,
    base: int = 0,
    *,
    alpha_ci: float = 1e-3,
    alpha_inv: float = 1e-3,
    depth: int = 4,
    n_runs: int = 5,
    random_state: int | np.random.Generator | None = None,
    ci_tester: GaussianCITester | None = None,
    inv_tester: GaussianInvarianceTester | None = None,
    start: str = "min_degree",
    select: str = "lexicographic",
    options: SearchOptions | None = None,
) -> UTIGSPResult:
    """UT-IGSP on per-component sufficient statistics with the Gaussian tests.

    Parameters
    ----------
    stats : SufficientStatistics
        ``K`` components (fractional effective sizes allowed); CI tests use component ``base``,
        invariance tests compare ``base`` with every other component.
    base : int, default 0
        The observational (reference) component.
    alpha_ci, alpha_inv : float, default 1e-3
        Levels of the CI and invariance tests, in (0, 1).
    depth, n_runs, random_state, start, select
        See :func:`ut_igsp_from_testers`.
    ci_tester : GaussianCITester, optional
        A tester built on the same ``stats`` and ``base`` to reuse (its cache and its own
        ``alpha``); built here when omitted.
    inv_tester : GaussianInvarianceTester, optional
        A tester on the same ``stats``, any base: if its base differs it is rebased with
        :meth:`~causalmix.stats.GaussianInvarianceTester.with_base` (keeping its level), which
        shares the per-component regressions — cheap when trying every component as the base.
    options : SearchOptions, optional
        All six search options as one validated object (what
        :class:`~causalmix.MixtureUTIGSP` passes), in place of the keywords above, which must then
        keep their defaults.

    Returns
    -------
    UTIGSPResult

    Raises
    ------
    ValueError
        If the base has ``n <= p + 1`` (too few rows for the full-order CI tests), an alpha is
        outside (0, 1), a tester was built on other statistics or another base, or any argument
        of :func:`ut_igsp_from_testers` is invalid.

    References
    ----------
    .. [1] Squires, Wang & Uhler, UAI 2020, arXiv:1910.09007.
    """
    if not isinstance(stats, SufficientStatistics):
        raise TypeError(f"stats must be a SufficientStatistics, got {type(stats).__name__}")
    base = check_node_index(base, stats.n_components, "base")
    options = resolve_search_options(
        options,
        alpha_ci=alpha_ci,
        alpha_inv=alpha_inv,
        depth=depth,
        n_runs=n_runs,
        start=start,
        select=select,
    )
    p, K = stats.n_nodes, stats.n_components
    n_base = float(stats.n[base])
    if n_base <= p + 1:
        raise ValueError(
            f"the base component {base} has n={n_base:g} samples for p={p} variables; "
            f"UT-IGSP needs n > p + 1 = {p + 1}"
        )
    small = [k for k in range(K) if k != base and stats.n[k] <= p]
    if small:
        # info, not a warning: MixtureUTIGSP calls this once per candidate base and reports
        # small components once (diagnostics: component_size)
        logger.info("components %s have fewer samples than variables (p=%d)", small, p)
    if ci_tester is None:
        ci_tester = GaussianCITester(stats, base, options.alpha_ci)
    elif ci_tester.stats is not stats or ci_tester.base != base:
        raise ValueError("ci_tester must be built on the same stats and base")
    if K == 1:
        inv_tester = None
    elif inv_tester is None:
        inv_tester = GaussianInvarianceTester(stats, base, options.alpha_inv)
    elif inv_tester.stats is not stats:
        raise ValueError("inv_tester must be built on the same stats")
    elif inv_tester.base != base:
        inv_tester = inv_tester.with_base(base)
    return ut_igsp_from_testers(
        ci_tester, inv_tester, p, K, base, random_state=random_state, options=options
    )


def ut_igsp(
    datasets: Sequence[object],
    base: int = 0,
    *,
    alpha_ci: float = 1e-3,
    alpha_inv: float = 1e-3,
    depth: int = 4,
    n_runs: int = 5,
    random_state: int | np.random.Generator | None = None,
    start: str = "min_degree",
    select: str = "lexicographic",
    options: SearchOptions | None = None,
) -> UTIGSPResult:
    """UT-IGSP on labelled data: one ``(n_k, p)`` array per setting, same columns.

    Parameters
    ----------
    datasets : sequence of array-like
        ``datasets[base]`` is observational; every array needs more rows than columns, the base
        more than ``p + 1``.
    base : int, default 0
    alpha_ci, alpha_inv, depth, n_runs, random_state, start, select, options
        See :func:`ut_igsp_from_statistics` and :func:`ut_igsp_from_testers`.

    Returns
    -------
    UTIGSPResult
        ``targets`` has one frozenset per dataset, in input order (the base's is empty).

    Raises
    ------
    ValueError
        On mismatched column counts, a dataset with no more rows than variables, NaNs, or any
        invalid parameter.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> def chain(n, shift=0.0):
    ...     x0 = rng.normal(shift, 1, n)
    ...     x1 = x0 + rng.normal(size=n)
    ...     return np.column_stack([x0, x1, 0.8 * x1 + rng.normal(size=n)])
    >>> res = ut_igsp([chain(5000), chain(5000, shift=2.0)], random_state=0)
    >>> res.adjacency.tolist(), res.targets
    ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], (frozenset(), frozenset({0})))

    References
    ----------
    .. [1] Squires, Wang & Uhler, UAI 2020, arXiv:1910.09007.
    """
    if isinstance(datasets, np.ndarray) and datasets.ndim == 2:
        datasets = [datasets]
    if isinstance(datasets, str | bytes) or not isinstance(datasets, Sequence | np.ndarray):
        raise TypeError(f"datasets must be a sequence of 2-D arrays, got {type(datasets).__name__}")
    stats = SufficientStatistics.from_datasets(datasets)  # validates each array
    p = stats.n_nodes
    for k, rows in enumerate(stats.n.tolist()):
        if rows <= p:
            raise ValueError(
                f"datasets[{k}] has {rows:.0f} rows for {p} variables; need more rows than "
                "variables"
            )
    options = resolve_search_options(
        options,
        alpha_ci=alpha_ci,
        alpha_inv=alpha_inv,
        depth=depth,
        n_runs=n_runs,
        start=start,
        select=select,
    )
    return ut_igsp_from_statistics(stats, base, random_state=random_state, options=options)
