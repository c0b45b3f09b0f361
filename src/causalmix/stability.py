"""Stability of a fit under resampling: how often each edge, target and K comes back.

:func:`stability` refits a clone of the estimator on random subsamples of the rows (without
replacement, ``fraction`` of them; or bootstrap samples) and reports, for the fit on all rows (the
*reference*):

- the distribution of the number of components K;
- for every ordered pair ``(i, j)`` the frequency of the oriented I-CPDAG edge ``i -> j`` and of the
  undirected edge ``i - j`` (the convention of :mod:`causalmix.graphs`: ``A[i, j] != 0`` iff ``i ->
  j``, both entries set for an undirected edge);
- for every reference component, the frequency with which each node is one of its targets and with
  which it is the observational component; the components of each refit are matched to the
  reference ones by the Hungarian assignment on their means and covariances in the reference's
  standardised units (:func:`causalmix.metrics.match_components`); a reference component left
  unmatched in a refit counts as absent (no target, not observational).

A frequency is a resampling frequency, not a posterior probability: it says how reproducible a
claim is under perturbation of the data (stability selection, [1]_ [2]_).
``docs/benchmarks.md`` measures how often claims with frequency >= 0.9 are true.

References
----------
.. [1] N. Meinshausen, P. Bühlmann. Stability selection. JRSS B 72(4), 2010.
.. [2] N. Friedman, M. Goldszmidt, A. Wyner. Data analysis with Bayesian networks: a bootstrap
   approach. UAI 1999.
"""

from __future__ import annotations

import logging
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from causalmix._frozen import freeze_arrays
from causalmix._stability_refit import fit_without_checks, refit_once, rows_per_refit, unit_free
from causalmix._validation import check_positive_int, check_random_state

__all__ = ["StabilityResult", "stability"]

log = logging.getLogger(__name__)

ProgressCallback = Callable[[str, int, int], None]

PROGRESS_STAGE = "stability (resamples)"


@dataclass(frozen=True, eq=False)
class StabilityResult:
    """Resampling frequencies of the claims of one fit (see :func:`stability`).

    Attributes
    ----------
    n_resamples : int
    fraction : float
        Rows per refit as a fraction of N (1.0 with ``bootstrap=True``).
    bootstrap : bool
    node_names : tuple of str
    n_components : ndarray of int (n_resamples,)
        K chosen by each refit, in resample order.
    reference_icpdag : ndarray (p, p) int8
        The I-CPDAG of the fit on all rows.
    reference_targets : tuple of frozenset
        Targets of each reference component.
    reference_observational : int
        The reference's observational component.
    reference_means, reference_covariances : ndarray (K_ref, p), (K_ref, p, p)
        The reference components' parameters (what the refits are matched to).
    directed : ndarray (p, p)
        ``directed[i, j]``: fraction of refits whose I-CPDAG orients ``i -> j``.
    undirected : ndarray (p, p), symmetric
        Fraction of refits whose I-CPDAG has the undirected edge ``i - j``.
    target_frequency : ndarray (K_ref, p)
        ``[k, v]``: fraction of refits in which the component matched to reference component ``k``
        has ``v`` among its targets.
    observational_frequency : ndarray (K_ref,)
        Fraction of refits in which the component matched to ``k`` is the observational one.
    matched_frequency : ndarray (K_ref,)
        Fraction of refits in which reference component ``k`` is matched at all (a refit with
        fewer components leaves some unmatched).
    """

    n_resamples: int
    fraction: float
    bootstrap: bool
    node_names: tuple[str, ...]
    n_components: np.ndarray
    reference_icpdag: np.ndarray
    reference_targets: tuple[frozenset[int], ...]
    reference_observational: int
    reference_means: np.ndarray
    reference_covariances: np.ndarray
    directed: np.ndarray
    undirected: np.ndarray
    target_frequency: np.ndarray
    observational_frequency: np.ndarray
    matched_frequency: np.ndarray

    def __post_init__(self) -> None:
        arrays = (
            "n_components",
            "reference_icpdag",
            "reference_means",
            "reference_covariances",
            "directed",
            "undirected",
            "target_frequency",
            "observational_frequency",
            "matched_frequency",
        )
        freeze_arrays(self, arrays)

    @property
    def adjacency(self) -> np.ndarray:
        """(p, p) symmetric: fraction of refits with any edge between ``i`` and ``j``."""
        return self.directed + self.directed.T + self.undirected

    @property
    def k_frequencies(self) -> dict[int, float]:
        """Distribution of K over the refits: ``{k: fraction}``, increasing k."""
        ks, counts = np.unique(self.n_components, return_counts=True)
        return {int(k): float(c) / self.n_resamples for k, c in zip(ks, counts, strict=True)}

    def stable_graph(self, threshold: float = 0.9) -> np.ndarray:
        """The edges that come back in at least ``threshold`` of the refits, as an I-CPDAG-style matrix.

        A pair is adjacent when :attr:`adjacency` >= ``threshold``; it is oriented ``i -> j`` when
        ``directed[i, j]`` >= ``threshold``, else left undirected (adjacent, orientation not stable).

        Returns
        -------
        ndarray (p, p) int8
            ``A[i, j] = 1`` iff ``i -> j``; both entries set for an undirected edge.

        Raises
        ------
        ValueError
            If ``threshold`` is not in (0, 1].
        """
        t = _check_threshold(threshold)
        adj = self.adjacency >= t
        oriented = self.directed >= t
        A = adj & ~oriented.T  # drop the entry pointing against a stable orientation
        np.fill_diagonal(A, False)
        return A.astype(np.int8)

    def stable_targets(self, threshold: float = 0.9) -> tuple[frozenset[int], ...]:
        """Per reference component, the nodes that are its target in >= ``threshold`` of the refits.

        Raises
        ------
        ValueError
            If ``threshold`` is not in (0, 1].
        """
        t = _check_threshold(threshold)
        return tuple(frozenset(np.flatnonzero(row >= t).tolist()) for row in self.target_frequency)

    def reference_frequency(self) -> np.ndarray:
        """(p, p): how often each edge of the full fit's I-CPDAG comes back, as drawn there.

        For an arc ``i -> j`` of the reference the frequency of ``i -> j`` (:attr:`directed`); for
        an undirected edge the frequency of the pair being adjacent; 0 for absent pairs.
        """
        ref = self.reference_icpdag != 0
        return np.where(ref & ref.T, self.adjacency, np.where(ref, self.directed, 0.0))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable summary (what ``causalmix fit --stability`` writes).

        Edges are listed once per adjacent pair seen in any refit, with the frequency of the pair
        being adjacent, of ``source -> target``, of ``target -> source`` and of undirected.
        """
        names = list(self.node_names)
        adj, ref = self.adjacency, self.reference_icpdag
        edge_list = []
        for i, j in zip(*np.nonzero(np.triu(adj, 1)), strict=True):
            edge = {
                "source": names[i],
                "target": names[j],
                "adjacent": float(adj[i, j]),
                "forward": float(self.directed[i, j]),
                "backward": float(self.directed[j, i]),
                "undirected": float(self.undirected[i, j]),
                "in_reference": bool(ref[i, j] or ref[j, i]),
            }
            edge_list.append(edge)
        edge_list.sort(key=lambda e: -e["adjacent"])
        comps = []
        for k, row in enumerate(self.target_frequency):
            comp = {
                "component": k,
                "reference_targets": [names[v] for v in sorted(self.reference_targets[k])],
                "observational_frequency": float(self.observational_frequency[k]),
                "matched_frequency": float(self.matched_frequency[k]),
                "target_frequency": {names[v]: float(row[v]) for v in np.flatnonzero(row)},
            }
            comps.append(comp)
        return {
            "schema": "causalmix.stability/1",
            "n_resamples": self.n_resamples,
            "fraction": self.fraction,
            "bootstrap": self.bootstrap,
            "nodes": names,
            "n_components_frequency": {str(k): f for k, f in self.k_frequencies.items()},
            "reference_observational": self.reference_observational,
            "edges": edge_list,
            "components": comps,
        }


def _check_threshold(threshold: object) -> float:
    if not isinstance(threshold, numbers.Real) or isinstance(threshold, bool):
        raise TypeError(f"threshold must be a number in (0, 1], got {type(threshold).__name__}")
    if not 0.0 < float(threshold) <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold!r}")
    return float(threshold)


def _check_estimator(estimator: object) -> None:
    if not (hasattr(estimator, "fit") and hasattr(estimator, "get_params")):
        raise TypeError(
            "estimator must be a scikit-learn style estimator such as MixtureUTIGSP, got "
            f"{type(estimator).__name__}"
        )


def stability(
    X: object,
    estimator: Any = None,
    *,
    n_resamples: int = 50,
    fraction: float = 0.5,
    bootstrap: bool = False,
    n_jobs: int | None = None,
    random_state: int | np.random.Generator | None = None,
    progress: ProgressCallback | None = None,
) -> StabilityResult:
    """Fit on all rows, refit on ``n_resamples`` resamples and count how often each claim returns.

    Parameters
    ----------
    X : array-like or pandas.DataFrame of shape (N, p)
        Unlabeled rows (as for :meth:`MixtureUTIGSP.fit`).
    estimator : MixtureUTIGSP, optional
        Its parameters are used (it is cloned, never modified); default ``MixtureUTIGSP()``. Its own
        ``random_state`` is replaced by streams spawned from ``random_state``.
    n_resamples : int, default=50
    fraction : float in (0, 1), default=0.5
        Each refit sees ``round(fraction * N)`` rows drawn without replacement.
    bootstrap : bool, default=False
        Draw N rows with replacement instead (``fraction`` is then ignored). Duplicate rows make
        the mixture's covariance estimates and the tests over-confident; subsampling is the
        stability-selection default.
    n_jobs : int or None, default=None
        Parallel refits (joblib; None = 1 unless inside a ``joblib.parallel_config`` context, -1 =
        all cores). Each refit runs with one BLAS thread so that workers do not oversubscribe the
        cores and results do not depend on ``n_jobs``; so does the fit on all rows (a second
        BLAS thread does not speed up matrices of p columns, and on a loaded machine its
        spinning made that fit 5-40 s instead of 1 s at p = 8, N = 2^16).
    random_state : int, numpy.random.Generator or None
        One Generator is made from it; the reference fit and every refit get their own child
        stream (``Generator.spawn``), so the result is identical for the same seed whatever
        ``n_jobs``.
    progress : callable(stage, done, total), optional
        Called after the reference fit and as refits complete.

    Returns
    -------
    StabilityResult

    Raises
    ------
    TypeError
        If ``estimator`` is not an estimator, ``fraction`` not a number or ``bootstrap`` not a bool.
    ValueError
        If ``n_resamples`` < 1, ``fraction`` outside (0, 1), or a subsample would have fewer than
        2 rows; the estimator's own errors on ``X`` propagate.

    Notes
    -----
    With ``MixtureUTIGSP(n_resamples=...)`` the same frequencies are computed inside ``fit`` and
    stored as ``stability_``, next to the fit's ``diagnostics_``. Here neither the fit on all rows
    nor the refits run the checks of :mod:`causalmix.diagnostics` (on 2^16 rows at the cap of
    components, their extra (K + 1)-component fit costs ten times the fit).
    """
    from sklearn.base import clone
    from threadpoolctl import threadpool_limits

    from causalmix.estimator import MixtureUTIGSP

    estimator = MixtureUTIGSP() if estimator is None else estimator
    _check_estimator(estimator)
    check_positive_int(n_resamples, "n_resamples")
    n_rows = np.shape(X)[0] if np.ndim(X) == 2 else 0  # other shapes: the estimator's message
    rows_per_refit(n_rows, fraction, bootstrap)
    rng = check_random_state(random_state)
    reference = clone(estimator)
    if "n_resamples" in reference.get_params():
        reference.set_params(n_resamples=0)
    reference.set_params(random_state=rng.spawn(1)[0])
    with threadpool_limits(limits=1):  # as the refits; see n_jobs
        if progress is None:
            fit_without_checks(reference, X)
        else:
            fit_without_checks(reference, X, progress=progress)
    arr = np.asarray(X, dtype=np.float64)
    return resample_fit(
        arr,
        reference,
        n_resamples=n_resamples,
        fraction=fraction,
        bootstrap=bootstrap,
        n_jobs=n_jobs,
        random_state=rng,
        progress=progress,
    )


def resample_fit(
    X: np.ndarray,
    reference: Any,
    *,
    n_resamples: int,
    fraction: float = 0.5,
    bootstrap: bool = False,
    n_jobs: int | None = None,
    random_state: np.random.Generator,
    progress: ProgressCallback | None = None,
) -> StabilityResult:
    """Frequencies of the claims of a *fitted* ``reference`` over refits of its clones.

    The work horse of :func:`stability` and of ``MixtureUTIGSP(n_resamples=...)``; ``X`` is the
    validated float array the reference was fitted on. Parameters as :func:`stability`.
    """
    from joblib import Parallel, delayed
    from sklearn.base import clone

    check_positive_int(n_resamples, "n_resamples")
    n = X.shape[0]
    m = rows_per_refit(n, fraction, bootstrap)
    template = clone(reference)
    if "n_resamples" in template.get_params():
        template.set_params(n_resamples=0, n_jobs=None)
    ref_means = np.asarray(reference.means_)
    ref_covs = np.asarray(reference.covariances_)
    scaler = getattr(reference, "scaler_", None)  # match in its units (see unit_free)
    ones = np.ones(X.shape[1])
    unit = (ones - 1, ones) if scaler is None else (scaler.location, scaler.scale)
    ref_z = unit_free(ref_means, ref_covs, unit)
    children = random_state.spawn(n_resamples)
    progress = progress or (lambda stage, done, total: None)
    progress(PROGRESS_STAGE, 0, n_resamples)
    jobs = (
        delayed(refit_once)(X, template, child, m, bootstrap, ref_z, unit) for child in children
    )
    records = []
    for record in Parallel(n_jobs=n_jobs, return_as="generator")(jobs):
        records.append(record)
        progress(PROGRESS_STAGE, len(records), n_resamples)
    # share of refits making each claim (booleans summed over refits, divided by their number)
    freq = {
        key: np.mean([rec[key] for rec in records], axis=0)
        for key in ("directed", "undirected", "targets", "observational", "matched")
    }
    log.info("stability: %d refits of %d rows", n_resamples, m)
    return StabilityResult(
        n_resamples=int(n_resamples),
        fraction=1.0 if bootstrap else float(fraction),
        bootstrap=bool(bootstrap),
        node_names=tuple(str(v) for v in reference.node_names_),
        n_components=np.array([rec["k"] for rec in records], dtype=np.int64),
        reference_icpdag=np.asarray(reference.icpdag_, dtype=np.int8),
        reference_targets=tuple(frozenset(int(v) for v in t) for t in reference.targets_),
        reference_observational=int(reference.observational_component_),
        reference_means=ref_means,
        reference_covariances=ref_covs,
        directed=freq["directed"],
        undirected=freq["undirected"],
        target_frequency=freq["targets"],
        observational_frequency=freq["observational"],
        matched_frequency=freq["matched"],
    )
