"""The resampling behind :func:`causalmix.stability.stability` and ``MixtureUTIGSP(n_resamples=...)``:
its result (:class:`StabilityResult`), the refits of a fitted reference (:func:`resample_fit`) and
one refit (a resample, a fit, its claims aligned to the reference's components, matched in
standardised units). It imports no estimator, so the estimator can call it."""

from __future__ import annotations

import inspect
import logging
import numbers
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from causalmix._frozen import freeze_arrays
from causalmix._validation import check_positive_int
from causalmix.diagnostics import CausalmixWarning
from causalmix.mixture._progress import ProgressCallback

__all__ = [
    "PROGRESS_STAGE",
    "ProgressCallback",
    "StabilityResult",
    "fit_without_checks",
    "refit_once",
    "resample_fit",
    "rows_per_refit",
    "unit_free",
]

log = logging.getLogger("causalmix.stability")

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
        ``directed[i, j]``: fraction of refits whose I-CPDAG orients ``i -> j`` and whose own
        invariance tests do not contradict that orientation (``contested_edges`` of
        :mod:`causalmix.discovery.explained`: two targets of a component, one explained by the
        other once the edge is taken the other way).
    undirected : ndarray (p, p), symmetric
        Fraction of refits whose I-CPDAG has the undirected edge ``i - j``, or a contested arc.
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


def _check_fraction(fraction: object) -> float:
    if not isinstance(fraction, numbers.Real) or isinstance(fraction, bool):
        raise TypeError(f"fraction must be a number in (0, 1), got {type(fraction).__name__}")
    if not 0.0 < float(fraction) < 1.0:
        raise ValueError(
            f"fraction must be in (0, 1) (subsampling without replacement), got {fraction!r}; "
            "use bootstrap=True to resample all N rows with replacement"
        )
    return float(fraction)


def rows_per_refit(n: int, fraction: object, bootstrap: object) -> int:
    """Rows of one refit: all ``n`` with ``bootstrap``, else ``round(fraction n)`` (at least 2)."""
    if not isinstance(bootstrap, bool):
        raise TypeError(f"bootstrap must be a bool, got {type(bootstrap).__name__}")
    if bootstrap:
        return n
    m = round(_check_fraction(fraction) * n)
    if n and m < 2:
        raise ValueError(f"fraction={fraction} of {n} rows leaves {m} row(s) per refit; need >= 2")
    return m


def refit_once(
    X: np.ndarray,
    template: Any,
    rng: np.random.Generator,
    m: int,
    bootstrap: bool,
    ref_z: tuple[np.ndarray, np.ndarray],
    unit: tuple[np.ndarray, np.ndarray],
) -> dict[str, Any]:
    """One refit on a resample; its claims as indicator arrays aligned to the reference.

    ``ref_z``: the reference's means and covariances in the standardised ``unit``.
    """
    from sklearn.base import clone
    from threadpoolctl import threadpool_limits

    from causalmix._fit_steps import contested_orientations
    from causalmix.metrics import match_components

    rows = (
        rng.integers(0, X.shape[0], size=m)
        if bootstrap
        else rng.choice(X.shape[0], m, replace=False)
    )
    est = clone(template).set_params(random_state=rng)
    with threadpool_limits(limits=1), warnings.catch_warnings():
        # no BLAS oversubscription (same arithmetic for any n_jobs); a refit's diagnostics are
        # not the user's result, so its CausalmixWarnings are not shown
        warnings.simplefilter("ignore", CausalmixWarning)
        fit_without_checks(est, X[np.sort(rows)])
    A = np.asarray(est.icpdag_) != 0
    # an orientation the refit's own invariance tests contradict is not counted (the edge is)
    directed = A & ~A.T & ~contested_orientations(est)
    matching = match_components(*unit_free(est.means_, est.covariances_, unit), *ref_z)
    K_ref, p = ref_z[0].shape
    targets = np.zeros((K_ref, p), dtype=bool)
    observational = np.zeros(K_ref, dtype=bool)
    for e, k in enumerate(matching.est_to_true):
        if k >= 0:
            targets[k, sorted(est.targets_[e])] = True
            observational[k] = e == est.observational_component_
    return {
        "k": int(est.n_components_),
        "directed": directed,
        "undirected": (A | A.T) & ~directed & ~directed.T,
        "targets": targets,
        "observational": observational,
        "matched": matching.true_to_est >= 0,
    }


def unit_free(means: Any, covs: Any, unit: tuple[np.ndarray, np.ndarray]) -> tuple[Any, Any]:
    """Means and covariances in the reference's standardised units ``(x - location) / scale``.

    The matching sums absolute parameter differences over columns: in the data's units the columns
    with the largest values (Sachs: concentrations in the thousands next to ones below 1) would
    decide it alone; standardised, every column counts alike, whatever the units.
    """
    location, scale = unit
    covs = np.asarray(covs) / np.multiply.outer(scale, scale)
    return (np.asarray(means) - location) / scale, covs


def fit_without_checks(est: Any, X: Any, **fit_params: Any) -> Any:
    """``est.fit(X)``, skipping the diagnostic checks of an estimator whose ``fit`` takes
    ``diagnose`` (:class:`~causalmix.MixtureUTIGSP`): they come last in ``fit`` and change no other
    attribute, and a stability fit's checks are not part of its result. Other estimators are
    fitted as they are."""
    if "diagnose" in inspect.signature(est.fit).parameters:
        fit_params["diagnose"] = False
    return est.fit(X, **fit_params)


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
