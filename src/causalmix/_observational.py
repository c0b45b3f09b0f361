"""Which component of the mixture is the observational one: the rule of :class:`MixtureUTIGSP`.

With base ``b`` the targets UT-IGSP infers for component ``k`` approximate ``I_k Δ I_b``, so the
observational base is the one that explains the data with the fewest targets (ties: fewest arcs,
then the first candidate) [1]_. The candidates are the one component the user names, directly or
through rows known to be observational, else every component large enough to be a base.

After ``refine="mechanisms"`` the shared-mechanism fit decides by its BIC instead, unless the
user named the component (:func:`refined_observational`).

References
----------
.. [1] A. Kumar, K. Shiragur, C. Uhler. Learning mixtures of unknown causal interventions.
   NeurIPS 2024, arXiv:2411.00213.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from causalmix.discovery import UTIGSPResult

__all__ = [
    "ObservationalChoice",
    "base_candidates",
    "choose_observational",
    "refined_observational",
]

# a base needs at least this many effective rows per variable for its CI tests to have power
POWERED_ROWS_PER_NODE = 10


@dataclass(frozen=True, eq=False)
class ObservationalChoice:
    """The observational component and how it was found.

    Attributes
    ----------
    component : int
    method : {"auto", "user", "rows", "single"}
    scores : list of dict
        Per candidate base: ``component``, ``n_targets``, ``n_arcs`` and whether it was ``chosen``.
    margin : int or None
        Targets of the runner-up base minus those of the chosen one; None with one candidate.
    result : UTIGSPResult
        UT-IGSP with the chosen base.
    """

    component: int
    method: str
    scores: list[dict[str, Any]]
    margin: int | None
    result: UTIGSPResult


def base_candidates(
    observational: int | str,
    effective_sizes: np.ndarray,
    n_nodes: int,
    rows_share: np.ndarray | None = None,
) -> tuple[list[int], str]:
    """The components UT-IGSP is run with as base, and the method that chose them.

    Parameters
    ----------
    observational : "auto" or int
        The estimator's parameter.
    effective_sizes : ndarray of shape (K,)
        Σ responsibilities per component.
    n_nodes : int
    rows_share : ndarray of shape (K,), optional
        Mean responsibility of the rows known to be observational (they decide when given).

    Returns
    -------
    candidates : list of int
    method : {"rows", "user", "single", "auto"}

    Raises
    ------
    ValueError
        If ``observational`` is not a component index, or the one component named has too few
        effective rows (``<= p + 1``) for UT-IGSP's CI tests.
    """
    K = len(effective_sizes)
    usable = [k for k in range(K) if effective_sizes[k] > n_nodes + 1]
    if rows_share is not None:
        candidates, method = [int(rows_share.argmax())], "rows"
    elif observational != "auto":
        if not 0 <= int(observational) < K:
            raise ValueError(
                f"observational={observational} is not a component index (the mixture has {K})"
            )
        candidates, method = [int(observational)], "user"
    elif K == 1:
        candidates, method = [0], "single"
    else:
        # a base needs more than p + 1 effective rows for its CI tests (the component cap
        # guarantees the largest has N / K >= p + 2); a base of a few dozen rows has tests
        # without power (an empty graph), so prefer bases of at least 10 p rows when any
        powered = [k for k in usable if effective_sizes[k] >= POWERED_ROWS_PER_NODE * n_nodes]
        candidates, method = powered or usable, "auto"
    if not set(candidates) <= set(usable):
        raise ValueError(
            f"the observational component {candidates[0]} holds only "
            f"{effective_sizes[candidates[0]]:.1f} effective rows; UT-IGSP needs more "
            f"than p + 1 = {n_nodes + 1}: use fewer components or more data"
        )
    return candidates, method


def choose_observational(
    observational: int | str,
    effective_sizes: np.ndarray,
    n_nodes: int,
    search: Callable[[list[int]], Sequence[UTIGSPResult]],
    rows_share: np.ndarray | None = None,
) -> ObservationalChoice:
    """The observational component: UT-IGSP with each candidate base, fewest targets wins.

    Parameters
    ----------
    observational, effective_sizes, n_nodes, rows_share
        As in :func:`base_candidates`.
    search : callable
        ``search(candidates)`` returns UT-IGSP's result with each candidate as base, in order.

    Returns
    -------
    ObservationalChoice
        Chosen by ``(total inferred targets, number of arcs)``, smallest first; ties keep the
        earlier candidate. The margin is the runner-up's targets minus the chosen one's.

    Raises
    ------
    ValueError
        As :func:`base_candidates`.
    """
    candidates, method = base_candidates(observational, effective_sizes, n_nodes, rows_share)
    results = search(candidates)
    keys = [(sum(len(t) for t in r.targets), int(r.adjacency.sum())) for r in results]
    best = min(range(len(results)), key=lambda i: keys[i])
    scores = [
        {"component": b, "n_targets": keys[i][0], "n_arcs": keys[i][1], "chosen": i == best}
        for i, b in enumerate(candidates)
    ]
    margin = None
    if len(results) > 1:
        others = sorted(k[0] for i, k in enumerate(keys) if i != best)
        margin = int(others[0] - keys[best][0])
    return ObservationalChoice(candidates[best], method, scores, margin, results[best])


def refined_observational(
    fit: Any,
    observational: int | str,
    labels: np.ndarray,
    obs_rows: np.ndarray | None,
) -> tuple[int, str, float | None]:
    """The observational component of a shared-mechanism fit, its method and its margin.

    Rows known to be observational (or, with ``observational`` an index, the rows the free
    mixture gave that component: ``labels == observational``) decide by their mean responsibility
    under the refined fit; otherwise the fit's own choice by BIC (``"likelihood"``, with its BIC
    margin) or ``"single"`` when it has one component.

    Parameters
    ----------
    fit : MechanismMixture
        From :func:`causalmix.mixture.mechanisms.fit_mechanism_mixture`.
    observational : "auto" or int
    labels : ndarray of shape (N,)
        The free mixture's labels.
    obs_rows : ndarray of bool of shape (N,) or None

    Returns
    -------
    component : int
    method : {"rows", "user", "likelihood", "single"}
    margin : float or None
    """
    if obs_rows is not None or observational != "auto":
        rows = obs_rows if obs_rows is not None else labels == observational
        component = int(fit.responsibilities[rows].mean(axis=0).argmax())
        return component, "rows" if obs_rows is not None else "user", None
    if fit.n_components > 1:
        return fit.observational, "likelihood", float(fit.margin)
    return fit.observational, "single", None
