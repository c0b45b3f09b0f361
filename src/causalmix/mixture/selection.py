"""Choosing the number of mixture components.

Three rules, each returning its score curve:

``criterion="sbic"`` (default)
    One BIC over two model families: the free-covariance mixtures of ``"bic"`` (below) and the
    *interventional mixtures* (:mod:`causalmix.mixture._structured`), whose components share one
    linear SEM up to a single-node intervention, so that each extra component costs ``p + 4``
    parameters instead of ``p + p (p + 1) / 2 + 1``. Interventional fits start at BIC's choice
    and components are added one at a time while their BIC improves; the (k+1)-fit is the better
    of the interventional k-fit grown by one intervention and the free (k+1)-fit grown from the
    free k-fit and converted; when components were added, deleting each one again is tried (a
    better k-fit can make the last one unnecessary; repeated while it helps). The fit with the
    smallest BIC of either family decides k. On data the interventional model describes
    (single-node hard or do-interventions) it wins and can pay for weak interventions the free
    model cannot; on data it does not describe (multi-node interventions) its BIC is far worse
    and the free model's choice stands. With p <= 2 the interventional mixture saves no
    parameters and sBIC is BIC. The returned mixture is always a free-covariance fit; when an
    interventional fit decides k, it is free EM started from that fit's responsibilities.

``criterion="bic"`` and ``"icl"``
    Scale-free information criteria, ``BIC = -2 log L + d log N`` with
    ``d = (k - 1) + k p + k p (p + 1) / 2`` [2]_, and ``ICL = BIC + 2 * entropy of the
    responsibilities`` [3]_; the smallest value wins. The fits behind them are *grown*: the k-fit
    is split into a (k+1)-start (:mod:`causalmix.mixture.split`), which reaches better optima than
    refitting each k from k-means and costs a few EM iterations per k. The sweep runs on a random
    subsample of ``sweep_size`` rows and stops once the criterion has not improved for
    ``patience`` consecutive k; the chosen k is then refitted on all rows (warm start), and the
    full-data criterion is checked downwards (warm refits of the subsample fits) and upwards
    (growing on all rows) until it stops improving, so the subsample's lower power does not cost
    weak components.

``criterion="drop_ratio"``
    The rule of Kumar, Shiragur & Uhler [1]_ for reproduction: scikit-learn-style fits for
    ``k = 1..K_max`` (one k-means start, ``tol=1e-3``, ``reg_covar=1e-6``, the same k-means seed
    for every k) and :func:`drop_ratio_rule` on their mean log-likelihoods.

Why sBIC is the default (measured by ``benchmarks/mixture_selection.py``, results in
``docs/benchmarks/mixture_selection.md``): on the paper's protocol (do-interventions, p in
{4, 6, 8}, "all"/"half", N in 2^12..2^16, 10 seeds) sBIC, BIC and ICL all find K in every run.
On weak hard interventions (p = 6, "half", N = 2^16) the drop-ratio rule answers k = 1 in 20/20
runs and ICL, which penalises overlapping components, is as bad; the free-covariance BIC finds K
with mean 0 / variance 0.1 but rarely with mean 1 / variance 1, where in most seeds even the
K-component fit started from the true parameters has a worse BIC than a fit with fewer
components (its information limit). The interventional mixture has the power there. Its price
is CPU time where BIC's choice is below ``max_components`` (a few interventional fits per k
tried); on one Gaussian and on multi-node interventions it leaves BIC's answer unchanged.

References
----------
.. [1] A. Kumar, K. Shiragur and C. Uhler. Learning mixtures of unknown causal interventions.
   NeurIPS 2024, arXiv:2411.00213.
.. [2] G. Schwarz. Estimating the dimension of a model. Annals of Statistics 6(2), 1978.
.. [3] C. Biernacki, G. Celeux and G. Govaert. Assessing a mixture model for clustering with the
   integrated completed likelihood. IEEE TPAMI 22(7), 2000.
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from causalmix._frozen import freeze_arrays
from causalmix._validation import (
    check_data_matrix,
    check_positive_int,
    check_random_state,
    check_real,
)
from causalmix.mixture._dask import check_matrix, is_dask_array
from causalmix.mixture._fit import GaussianMixtureFit, to_fit
from causalmix.mixture._gaussian import EMResult
from causalmix.mixture._progress import ProgressCallback
from causalmix.mixture._strategies import by_drop_ratio, by_information_criterion, drop_ratio_rule
from causalmix.preprocessing import ScaledRows

__all__ = ["ComponentSelection", "drop_ratio_rule", "select_n_components"]

logger = logging.getLogger(__name__)

_CRITERIA = ("sbic", "bic", "icl", "drop_ratio")


@dataclass(frozen=True, eq=False)
class ComponentSelection:
    """Result of :func:`select_n_components` (immutable).

    Attributes
    ----------
    n_components : int
        The chosen number of components.
    criterion : str
        ``"sbic"``, ``"bic"``, ``"icl"`` or ``"drop_ratio"``.
    curve : ndarray of shape (max_components + 1,)
        ``curve[k]`` is the criterion for k components on all rows; NaN where k was not fitted on
        all rows and at index 0. sBIC/BIC/ICL: lower is better; sBIC: the smaller of the free and
        the interventional mixture's BIC (the latter fitted from BIC's choice upwards only, and
        not at all when that choice is already ``max_components``). Drop ratio:
        ``|l_k - l_{k-1}| / |l_k|`` (NaN at k = 1).
    log_likelihoods : ndarray of shape (max_components + 1,)
        ``l_k``, the mean per-row log-likelihood on all rows of the fit behind ``curve[k]``,
        same indexing and NaNs.
    mixture : GaussianMixtureFit
        The fit with ``n_components`` components on all rows.
    sweep_curve : ndarray of shape (max_components + 1,)
        The criterion on the sweep rows (equal to ``curve`` when the sweep used all rows).
    n_sweep_samples : int
        Rows used by the sweep.
    max_components : int
    cutoff : float or None
        The drop-ratio cutoff (None for the other criteria).
    bic_n_components : int or None
        ``criterion="sbic"`` only: the free-covariance BIC's choice, where the interventional
        search started (``n_components`` is never below it).
    interventional_curve : ndarray of shape (max_components + 1,) or None
        ``criterion="sbic"`` only: the interventional mixtures' BIC per k (NaN where not
        fitted); where it is below the free mixtures' BIC it makes ``curve``.
    n_selection_samples : int or None
        When the selection ran on a sample (more rows than ``selection_size``, or a dask
        array): its size. ``curve`` and the other curves then refer to the sample, and
        ``mixture`` is the chosen fit refined by EM on all rows. None: all rows.
    """

    n_components: int
    criterion: str
    curve: np.ndarray
    log_likelihoods: np.ndarray
    mixture: GaussianMixtureFit
    sweep_curve: np.ndarray
    n_sweep_samples: int
    max_components: int
    cutoff: float | None = None
    bic_n_components: int | None = None
    interventional_curve: np.ndarray | None = None
    n_selection_samples: int | None = None

    def __post_init__(self) -> None:
        names = ("curve", "log_likelihoods", "sweep_curve", "interventional_curve")
        freeze_arrays(self, names, np.float64)


def select_n_components(
    X: object,
    max_components: int | None = None,
    *,
    criterion: str = "sbic",
    cutoff: float = 0.07,
    tol: float | None = None,
    reg_covar: float = 1e-6,
    max_iter: int | None = None,
    sweep_size: int | str | None = "auto",
    patience: int = 2,
    batch_split: bool | str = "auto",
    selection_size: int | None = 2**17,
    chunk_size: int | None = None,
    random_state: int | np.random.Generator | None = None,
    progress: ProgressCallback | None = None,
) -> ComponentSelection:
    """Choose the number of Gaussian-mixture components and fit the chosen model.

    Parameters
    ----------
    X : array-like of shape (N, p)
        Data; not modified.
    max_components : int, optional
        ``K_max``; defaults to ``p + 1`` (observational plus one intervention per node, the
        paper's choice).
    criterion : {"sbic", "bic", "icl", "drop_ratio"}, default "sbic"
        See the module docstring.
    cutoff : float, default 0.07
        Drop-ratio cutoff (``criterion="drop_ratio"`` only).
    tol : float, optional
        EM tolerance on the mean log-likelihood; defaults to 1e-3 for ``"drop_ratio"`` (as in
        the paper) and 1e-4 otherwise (the BIC gain of a weak component can be a few 1e-3 per
        row, so EM must be run closer to convergence); the interventional fits of ``"sbic"``
        use ``max(tol / 10, 1 / N)``.
    reg_covar : float, default 1e-6
    max_iter : int, optional
        EM iterations per fit; defaults to 100 for ``"drop_ratio"`` and 500 otherwise.
    sweep_size : int, "auto" or None, default "auto"
        BIC/ICL sweeps use this many random rows (all rows when None or larger than N). "auto":
        ``max(8192, (p + 1) p² / 2)``, enough rows for each of ``p + 1`` components to pay
        BIC's ``O(p²)`` price per component (8192 for p <= 24).
    patience : int, default 2
        Stop the sweep once the criterion has not improved for this many consecutive k.
    batch_split : bool or "auto", default "auto"
        Let the sweep split every component whose 1-D split pays for a component at once
        (:func:`causalmix.mixture.split.split_many`) before growing by one; "auto": when
        ``max_components >= 16`` (wide data, where growing one component at a time costs a full
        EM run per component).
    selection_size : int or None, default 2**17
        With more rows than this (or a ``dask.array``), the whole selection runs on this many
        rows drawn at random (sorted), and the chosen fit is then refined by EM on all rows
        block by block (:mod:`causalmix.mixture.large`), so that memory is bounded by
        ``chunk_size`` rather than N. None: always in memory on all rows.
    chunk_size : int, optional
        Rows per block of the all-row EM rounds (default 16384, or the dask array's chunks).
    random_state : int, numpy.random.Generator or None
    progress : callable(stage, k, max_components), optional
        Called when a fit with k components starts and at every EM round (``stage`` says which
        k, on which rows, and the round); for progress displays, it must not raise.

    Returns
    -------
    ComponentSelection

    Raises
    ------
    ValueError
        For an unknown ``criterion``, bad numeric arguments, ``max_components`` above the number
        of rows, or a covariance that is not positive definite ("increase reg_covar").

    Warns
    -----
    ConvergenceWarning
        Once, listing the k whose EM did not converge within ``max_iter``.
    """
    rng = check_random_state(random_state)
    if selection_size is not None:
        selection_size = check_positive_int(selection_size, "selection_size", minimum=2)
    # a dask array, or the estimator's rows standardised block by block (ScaledRows), is read
    # by blocks and never converted whole
    blocks_only = is_dask_array(X) or isinstance(X, ScaledRows)
    if not blocks_only:
        X = check_data_matrix(X, min_rows=2)
    if blocks_only or (selection_size is not None and X.shape[0] > selection_size):
        options = {
            "criterion": criterion,
            "cutoff": cutoff,
            "tol": tol,
            "reg_covar": reg_covar,
            "max_iter": max_iter,
            "sweep_size": sweep_size,
            "patience": patience,
            "batch_split": batch_split,
            "progress": progress,
        }
        size = selection_size if selection_size is not None else X.shape[0]
        return _select_on_sample(X, max_components, size, chunk_size, rng, options)
    if criterion not in _CRITERIA:
        raise ValueError(f"criterion must be one of {_CRITERIA}, got {criterion!r}")
    n, p = X.shape
    if max_components is None:
        max_components = p + 1
    max_components = check_positive_int(max_components, "max_components")
    if max_components > n:
        raise ValueError(f"max_components={max_components} exceeds the number of rows, {n}")
    tol, max_iter = _em_defaults(criterion, tol, max_iter)
    settings = {
        "tol": check_real(tol, "tol", low=0.0),
        "reg_covar": check_real(reg_covar, "reg_covar", low=0.0),
        "max_iter": check_positive_int(max_iter, "max_iter"),
    }
    patience = check_positive_int(patience, "patience")
    if sweep_size == "auto":
        sweep_size = max(8192, (p + 1) * p * p // 2)
    elif sweep_size is not None:
        sweep_size = check_positive_int(sweep_size, "sweep_size", minimum=2)
    if batch_split == "auto":
        batch_split = max_components >= 16
    elif not isinstance(batch_split, bool):
        raise ValueError(f"batch_split must be True, False or 'auto', got {batch_split!r}")

    center = X.mean(axis=0)
    Xc = X - center
    if criterion == "drop_ratio":
        cutoff = check_real(cutoff, "cutoff", low=0.0)
        choice = by_drop_ratio(Xc, max_components, cutoff, rng, settings, progress)
    else:
        cutoff = None
        choice = by_information_criterion(
            Xc,
            max_components,
            criterion,
            patience,
            sweep_size,
            batch_split,
            rng,
            settings,
            progress,
        )
    _warn_unconverged(choice.fits)
    fitted = {k: round(float(v), 1) for k, v in enumerate(choice.curve) if np.isfinite(v)}
    logger.info(
        "selected %d components by %s (curve of the fitted K: %s)", choice.k, criterion, fitted
    )
    return ComponentSelection(
        n_components=choice.k,
        criterion=criterion,
        curve=choice.curve,
        log_likelihoods=choice.log_likelihoods,
        mixture=to_fit(choice.fits[choice.k], center, n, settings["reg_covar"]),
        sweep_curve=choice.sweep_curve,
        n_sweep_samples=choice.n_sweep_samples,
        max_components=max_components,
        cutoff=cutoff,
        bic_n_components=choice.bic_k,
        interventional_curve=choice.interventional_curve,
    )


def _em_defaults(criterion: str, tol: float | None, max_iter: int | None) -> tuple[float, int]:
    """``tol`` and ``max_iter`` where None: the paper's (1e-3, 100) for the drop-ratio rule,
    (1e-4, 500) otherwise (see :func:`select_n_components`)."""
    paper = criterion == "drop_ratio"
    if tol is None:
        tol = 1e-3 if paper else 1e-4
    if max_iter is None:
        max_iter = 100 if paper else 500
    return tol, max_iter


def _select_on_sample(
    X: object,
    max_components: int | None,
    selection_size: int,
    chunk_size: int | None,
    rng: np.random.Generator,
    options: dict,
) -> ComponentSelection:
    """Selection on ``selection_size`` random rows, then EM on all rows (:mod:`.large`)."""
    from causalmix.mixture import large

    if is_dask_array(X):
        X = check_matrix(X)
    size = min(selection_size, X.shape[0])
    sample = large.sample_rows(X, size, rng)
    chosen = select_n_components(
        sample, max_components, selection_size=None, random_state=rng, **options
    )
    tol, max_iter = _em_defaults(options["criterion"], options["tol"], options["max_iter"])
    mixture = large.refine(X, chosen.mixture, tol=tol, max_iter=max_iter, chunk_size=chunk_size)
    if not mixture.converged:
        warnings.warn(
            f"EM on all rows did not converge in max_iter={max_iter}; increase max_iter or tol",
            ConvergenceWarning,
            stacklevel=3,
        )
    return dataclasses.replace(chosen, mixture=mixture, n_selection_samples=size)


def _warn_unconverged(fits: dict[int, EMResult]) -> None:
    bad = sorted(k for k, r in fits.items() if not r.converged)
    if bad:
        warnings.warn(
            f"EM did not converge for k in {bad}; increase max_iter or tol",
            ConvergenceWarning,
            stacklevel=3,
        )
