"""One refit of :func:`causalmix.stability.stability`: a resample, a fit, its claims aligned to the
reference's components (matched in standardised units)."""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np

from causalmix.diagnostics import CausalmixWarning

__all__ = ["refit_once", "rows_per_refit", "unit_free"]


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
        "directed": A & ~A.T,
        "undirected": A & A.T,
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
    """``est.fit(X)``, skipping a :class:`~causalmix.MixtureUTIGSP`'s diagnostic checks: they come
    last in ``fit`` and change no other attribute, and a stability fit's checks are not part of
    its result. Other estimators are fitted as they are."""
    from causalmix.estimator import MixtureUTIGSP

    if isinstance(est, MixtureUTIGSP):
        fit_params["diagnose"] = False
    return est.fit(X, **fit_params)
