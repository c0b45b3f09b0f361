"""Choosing the number of mixture components.

Three rules, each returning its score curve:

``criterion="sbic"`` (default)
    One BIC over two model families: the free-covariance mixtures of ``"bic"`` (below) and the
    *interventional mixtures* (:mod:`causalmix.mixture.structured`), whose components share one
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

import contextlib
import dataclasses
import logging
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from causalmix._validation import (
    check_data_matrix,
    check_positive_int,
    check_random_state,
    check_real,
)
from causalmix.mixture import structured
from causalmix.mixture._dask import check_matrix, is_dask_array
from causalmix.mixture._fit import GaussianMixtureFit, initial_params, to_fit
from causalmix.mixture._gaussian import (
    EM_ROUND_HOOK,
    Data,
    EMResult,
    e_step,
    params_from_resp,
    params_from_resp_t,
    run_em,
)
from causalmix.mixture.split import grow, split_many

__all__ = ["ComponentSelection", "drop_ratio_rule", "select_n_components"]

logger = logging.getLogger(__name__)

_RANKING_ROWS = 4096  # rows on which grown interventional starts are ranked

_CRITERIA = ("sbic", "bic", "icl", "drop_ratio")


class _Progress:
    """Reports ``(stage, k, max_components)`` to a ``progress`` callback: per k and per EM round."""

    def __init__(self, callback: Callable[[str, int, int], None], total: int) -> None:
        self.callback, self.total = callback, total
        self.k, self.phase, self.rounds = 0, "", 0

    def at(self, k: int, phase: str) -> None:
        self.k, self.phase, self.rounds = k, phase, 0
        self.callback(f"model selection: k={k} {phase}", k, self.total)

    def em_round(self) -> None:
        self.rounds += 1
        self.callback(
            f"model selection: k={self.k} {self.phase}, EM round {self.rounds}", self.k, self.total
        )


_PROGRESS: ContextVar[_Progress | None] = ContextVar("selection_progress", default=None)


def _at(k: int, phase: str) -> None:
    """Tell the progress callback of the running :func:`select_n_components` call (if any)."""
    report = _PROGRESS.get()
    if report is not None:
        report.at(k, phase)


@contextlib.contextmanager
def _reporting(progress: Callable[[str, int, int], None] | None, total: int) -> Iterator[None]:
    if progress is None:
        yield
        return
    report = _Progress(progress, total)
    tokens = _PROGRESS.set(report), EM_ROUND_HOOK.set(report.em_round)
    try:
        yield
    finally:
        EM_ROUND_HOOK.reset(tokens[1])
        _PROGRESS.reset(tokens[0])


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
        for name in ("curve", "log_likelihoods", "sweep_curve", "interventional_curve"):
            if getattr(self, name) is None:
                continue
            arr = np.array(getattr(self, name), dtype=np.float64)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)


def drop_ratio_rule(curve: Sequence[float] | np.ndarray, cutoff: float = 0.07) -> int:
    """The paper's backward drop-ratio rule.

    Parameters
    ----------
    curve : array-like of shape (K_max,)
        ``curve[k - 1] = l_k``, the mean per-sample log-likelihood of the k-component fit.
    cutoff : float, default 0.07
        Non-negative threshold (the paper uses 0.07 in simulations).

    Returns
    -------
    int
        The largest ``k`` in ``K_max .. 2`` with ``|l_k - l_{k-1}| / |l_k| > cutoff``, else 1.
        A zero ``l_k`` gives an infinite ratio unless ``l_{k-1}`` is zero as well.

    Raises
    ------
    ValueError
        If ``curve`` is not a non-empty 1-D array of finite numbers, or ``cutoff`` is negative.

    Examples
    --------
    The Sachs curve of the paper (Table 1):

    >>> sachs = [-67.031, -59.4454, -58.1279, -56.8729, -56.5484, -56.2204, -56.0816,
    ...          -55.8046, -55.7381, -55.7098, -55.6611, -55.2302]
    >>> [drop_ratio_rule(sachs, c) for c in (0.01, 0.07, 0.15, 0.30)]
    [4, 2, 1, 1]
    """
    cutoff = check_real(cutoff, "cutoff", low=0.0)
    try:
        values = np.asarray(curve, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"curve must be a 1-D array of numbers; conversion failed: {exc}"
        ) from None
    if values.ndim != 1 or values.size == 0 or not np.all(np.isfinite(values)):
        raise ValueError(
            f"curve must be a non-empty 1-D array of finite log-likelihoods, got {values!r}"
        )
    for k in range(values.size, 1, -1):
        if _drop_ratio(values[k - 1], values[k - 2]) > cutoff:
            return k
    return 1


def _drop_ratio(current: float, previous: float) -> float:
    change = abs(current - previous)
    if current == 0.0:
        return np.inf if change > 0 else 0.0
    return change / abs(current)


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
    progress: Callable[[str, int, int], None] | None = None,
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
    if not is_dask_array(X):
        X = check_data_matrix(X, min_rows=2)
    if is_dask_array(X) or (selection_size is not None and X.shape[0] > selection_size):
        options = {"criterion": criterion, "cutoff": cutoff, "tol": tol, "reg_covar": reg_covar,
                   "max_iter": max_iter, "sweep_size": sweep_size, "patience": patience,
                   "batch_split": batch_split, "progress": progress}  # fmt: skip
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
    paper = criterion == "drop_ratio"
    tol = check_real(
        1e-3 if paper and tol is None else 1e-4 if tol is None else tol, "tol", low=0.0
    )
    max_iter = check_positive_int(
        (100 if paper else 500) if max_iter is None else max_iter, "max_iter"
    )
    reg_covar = check_real(reg_covar, "reg_covar", low=0.0)
    patience = check_positive_int(patience, "patience")
    if sweep_size == "auto":
        sweep_size = max(8192, (p + 1) * p * p // 2)
    elif sweep_size is not None:
        sweep_size = check_positive_int(sweep_size, "sweep_size", minimum=2)
    if batch_split == "auto":
        batch_split = max_components >= 16
    elif not isinstance(batch_split, bool):
        raise ValueError(f"batch_split must be True, False or 'auto', got {batch_split!r}")
    if paper:
        cutoff = check_real(cutoff, "cutoff", low=0.0)

    center = X.mean(axis=0)
    Xc = X - center
    settings = {"tol": tol, "reg_covar": reg_covar, "max_iter": max_iter}
    bic_choice = s_scores = None
    if paper:
        with _reporting(progress, max_components):
            fits = _paper_sweep(Xc, max_components, rng, settings)
        lls = _by_k(max_components, {k: r.log_likelihood for k, r in fits.items()})
        curve = np.full(max_components + 1, np.nan)
        for k in range(2, max_components + 1):
            curve[k] = _drop_ratio(lls[k], lls[k - 1])
        chosen = drop_ratio_rule(lls[1:], cutoff)
        sweep_curve, n_sweep = curve, n
    else:
        base_criterion = "bic" if criterion == "sbic" else criterion
        data = Data(Xc)  # row features shared by every full-data fit
        with _reporting(progress, max_components):
            fits, scores, sweep_scores, n_sweep = _grown_sweep(
                data,
                max_components,
                base_criterion,
                patience,
                sweep_size,
                rng,
                settings,
                batch_split,
            )
        sweep_curve = _by_k(max_components, sweep_scores)
        chosen = min(scores, key=scores.get)
        lls = {k: r.log_likelihood for k, r in fits.items()}
        cutoff = None
        if criterion == "sbic":
            # one BIC over two model families: the free fits above and the interventional fits
            # from BIC's choice upwards; per k the better one, overall the best
            bic_choice = chosen
            with _reporting(progress, max_components):
                s_chosen, s_scores, s_lls, final = _interventional_upward(
                    data, fits[chosen], max_components, rng, settings
                )
            for k, value in s_scores.items():
                if value < scores.get(k, np.inf):
                    scores[k], lls[k] = value, s_lls[k]
            chosen = min(scores, key=scores.get)
            if chosen == s_chosen and chosen in s_scores and scores[chosen] == s_scores[chosen]:
                fits = {**fits, chosen: final}
        curve = _by_k(max_components, scores)
        lls = _by_k(max_components, lls)
    _warn_unconverged(fits)
    logger.info("selected %d components by %s (curve %s)", chosen, criterion, curve[1:])
    return ComponentSelection(
        n_components=chosen,
        criterion=criterion,
        curve=curve,
        log_likelihoods=lls,
        mixture=to_fit(fits[chosen], center, n, reg_covar),
        sweep_curve=sweep_curve,
        n_sweep_samples=n_sweep,
        max_components=max_components,
        cutoff=cutoff,
        bic_n_components=bic_choice,
        interventional_curve=None if s_scores is None else _by_k(max_components, s_scores),
    )


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
    paper = options["criterion"] == "drop_ratio"
    tol = options["tol"] if options["tol"] is not None else 1e-3 if paper else 1e-4
    max_iter = options["max_iter"] if options["max_iter"] is not None else 100 if paper else 500
    mixture = large.refine(X, chosen.mixture, tol=tol, max_iter=max_iter, chunk_size=chunk_size)
    if not mixture.converged:
        warnings.warn(
            f"EM on all rows did not converge in max_iter={max_iter}; increase max_iter or tol",
            ConvergenceWarning,
            stacklevel=3,
        )
    return dataclasses.replace(chosen, mixture=mixture, n_selection_samples=size)


def _paper_sweep(
    Xc: np.ndarray, max_components: int, rng: np.random.Generator, settings: dict
) -> dict[int, EMResult]:
    """Independent fits for k = 1..K_max from k-means starts sharing one seed (the reference's)."""
    seed = int(rng.integers(2**31 - 1))
    zero = np.zeros(Xc.shape[1])
    fits = {}
    for k in range(1, max_components + 1):
        _at(k, "(k-means start, all rows)")
        start = initial_params(
            Xc, k, "kmeans", zero, settings["reg_covar"], np.random.default_rng(seed)
        )
        fits[k] = run_em(Xc, start, **settings)
    return fits


def _grown_sweep(
    data: Data,
    max_components: int,
    criterion: str,
    patience: int,
    sweep_size: int | None,
    rng: np.random.Generator,
    settings: dict,
    batch: bool = False,
) -> tuple[dict[int, EMResult], dict[int, float], dict[int, float], int]:
    """Subsample sweep, then full-data refits around its choice.

    Returns the full-data fits and their criterion, the sweep's criterion and its row count.
    """
    n = data.n
    subsample = sweep_size is not None and sweep_size < n
    sweep_data = Data(data.X[rng.choice(n, size=sweep_size, replace=False)]) if subsample else data
    sweep_fits, sweep_scores = _grow_until_worse(
        sweep_data, max_components, criterion, patience, rng, settings, batch
    )
    if not subsample:
        return sweep_fits, sweep_scores, sweep_scores, n
    start_k = min(sweep_scores, key=sweep_scores.get)
    fits: dict[int, EMResult] = {}
    scores: dict[int, float] = {}
    # downwards: warm refits of the subsample fits while the full-data criterion improves. With
    # batch splits (wide data) only the choice is refitted: a split that pays on the subsample
    # pays on more rows (BIC's price per row, d log(n) / 2n, falls with n) and its price, over
    # 600 nats at p >= 15, dwarfs the sampling noise of its gain (saves a full-data EM run)
    previous = None
    lower = [start_k] if batch else [k for k in sweep_fits if k <= start_k]
    for k in sorted(lower, reverse=True):
        _at(k, f"(refit on all {n} rows)")
        fits[k] = run_em(data, sweep_fits[k].params, **settings)
        scores[k] = _criterion(data, fits[k], criterion)
        if previous is not None and scores[k] >= scores[previous]:
            break
        previous = k
    # upwards: grow on all rows from the best full-data fit (a warm refit of the subsample's
    # larger fit can stall in a poor optimum, e.g. when the subsample missed a small component
    # and split a large one instead); stop at the first k that does not improve
    best = min(scores, key=scores.get)
    for k in range(best + 1, max_components + 1):
        _at(k, f"(grown on all {n} rows)")
        grown = grow(data, fits[k - 1], rng=rng, n_candidates=1 if batch else 3, **settings)
        if k not in fits or grown.log_likelihood > fits[k].log_likelihood:
            fits[k] = grown
            scores[k] = _criterion(data, grown, criterion)
        if scores[k] >= scores[k - 1]:
            break
    return fits, scores, sweep_scores, sweep_data.n


def _interventional_upward(
    data: Data, start: EMResult, max_components: int, rng: np.random.Generator, settings: dict
) -> tuple[int, dict[int, float], dict[int, float], EMResult]:
    """Add components while the interventional mixture's BIC improves, from the BIC choice.

    The interventional fits run on the columns scaled to unit variance (the model is invariant
    to it, the optimiser is not). Each k + 1 is the better of the free (k + 1)-fit grown from the
    free k-fit and converted (:func:`structured.converted_starts`), and the interventional k-fit
    grown by one intervention (:func:`structured.grow_fit`); afterwards added components are
    deleted again while that improves the criterion (:func:`structured.prune_fit`). Returns the
    chosen k, the criterion and mean log-likelihood (original scale) per k fitted, and a
    free-covariance fit with the chosen k started from the interventional one (``start`` when
    nothing was added). Falls back to ``start`` alone (no interventional k) when k is already
    ``max_components``, p <= 2, or no interventional start is positive definite.
    """
    Xc, n = data.X, data.n
    scale = Xc.std(axis=0)
    scale[scale == 0] = 1.0
    Z = Xc / scale
    log_jac = float(np.log(scale).sum())
    zdata = Data(Z)
    ranking = Data(Z[rng.choice(n, size=min(n, _RANKING_ROWS), replace=False)])
    gem = {
        # a change below one nat over all rows, or tol / 10 per row, ends an interventional fit;
        # the criterion compares differences of (p + 4) log(N) / 2 nats and more
        "tol": max(settings["tol"] / 10.0, 1.0 / n),
        # reg_covar per node in the scaled frame: the free mixture's floor
        "reg_covar": settings["reg_covar"] / scale**2,
        "max_iter": settings["max_iter"],
    }

    def to_z(params):
        return params.weights, params.means / scale, params.covariances / np.outer(scale, scale)

    k = start.params.weights.size
    if k >= max_components or Xc.shape[1] <= 2:
        # nothing to add, or p + 4 parameters per component save nothing on a free Gaussian's
        return k, {}, {}, start
    free = start
    current = structured.fit_from_gaussians(zdata, ranking, *to_z(free.params), gem)
    if current is None:  # no positive-definite start: the free family alone decides
        logger.warning("no interventional-mixture start is positive definite; using BIC alone")
        return k, {}, {}, start
    scores = {k: structured.bic(zdata, current) + 2.0 * n * log_jac}
    lls = {k: current.log_likelihood - log_jac}
    logger.info("interventional mixture: k=%d, criterion %.1f", k, scores[k])
    while k < max_components:
        _at(k + 1, "(interventional mixture)")
        free = grow(data, free, rng=rng, **settings)
        grown = structured.grow_fit(
            zdata, ranking, current, structured.converted_starts(ranking, *to_z(free.params)), gem
        )
        if grown is None:
            break
        score = structured.bic(zdata, grown) + 2.0 * n * log_jac
        scores[k + 1], lls[k + 1] = score, grown.log_likelihood - log_jac
        logger.info("interventional mixture: k=%d, criterion %.1f", k + 1, score)
        if score >= scores[k]:
            break
        k, current = k + 1, grown
    while k > start.params.weights.size:
        # the components were added one at a time: a (k-1)-fit reached by deleting one of them
        # can beat the (k-1)-fit the growth went through (which then made the k-th necessary)
        pruned = structured.prune_fit(zdata, ranking, current, gem)
        if pruned is None:
            break
        score = structured.bic(zdata, pruned) + 2.0 * n * log_jac
        if score >= min(scores[k - 1], scores[k]):
            break
        logger.info("interventional mixture: pruned to k=%d, criterion %.1f", k - 1, score)
        k, current = k - 1, pruned
        scores[k], lls[k] = score, pruned.log_likelihood - log_jac
    if k == start.params.weights.size:
        return k, scores, lls, start
    # free-covariance refit started from the interventional fit's responsibilities
    _, resp_t = structured._e_step_t(zdata, current.params)
    return (
        k,
        scores,
        lls,
        run_em(data, params_from_resp_t(data, resp_t, settings["reg_covar"]), **settings),
    )


def _grow_until_worse(
    data: Data,
    max_components: int,
    criterion: str,
    patience: int,
    rng: np.random.Generator,
    settings: dict,
    batch: bool = False,
) -> tuple[dict[int, EMResult], dict[int, float]]:
    """Grow fits from k = 1 until the criterion has not improved for ``patience`` steps.

    With ``batch``, every step first tries :func:`split.split_many` (all components whose 1-D
    split pays for a component at once) and keeps it when it improves the criterion and stays
    within ``max_components``; otherwise it grows by one. The fitted k then have gaps.
    """
    fits: dict[int, EMResult] = {}
    scores: dict[int, float] = {}
    X = data.X
    n, p = X.shape
    # a quarter of BIC's price of one free-covariance component (nats): a 1-D gain is a lower
    # bound of the full one (at p = 50 the axis gains of do-splits measured 0.1-0.6 of the
    # full gain, those of non-targets below 0.05 of the price); the criterion decides below
    threshold = 0.125 * (1 + p + p * (p + 1) // 2) * np.log(n)
    start = params_from_resp(data, np.ones((X.shape[0], 1)), settings["reg_covar"])
    _at(1, f"(sweep on {data.n} rows)")
    current = run_em(data, start, **settings)
    k = 1
    while k <= max_components:
        fits[k] = current
        scores[k] = _criterion(data, current, criterion)
        best_k = min(scores, key=scores.get)
        if k - best_k >= patience or k == max_components:
            break
        grown = None
        if batch and k == best_k:
            grown = split_many(data, current, threshold=threshold, rng=rng,
                               n_proposal_rows=2048, rank_iter=15, **settings)  # fmt: skip
            if grown is not None:
                new_k = grown.params.weights.size
                if new_k > max_components or _criterion(data, grown, criterion) >= scores[k]:
                    grown = None
        if grown is None:
            # with batch splits the clear splits are made; a single grow mostly confirms that
            # none is left, so one candidate split instead of three (a third of the EM runs)
            _at(k + 1, f"(sweep on {data.n} rows)")
            grown = grow(data, current, rng=rng, n_candidates=1 if batch else 3, **settings)
        current = grown
        k = current.params.weights.size
    return fits, scores


def _criterion(X: np.ndarray | Data, result: EMResult, criterion: str) -> float:
    n, p = (X.X if isinstance(X, Data) else X).shape
    k = result.params.weights.shape[0]
    n_params = (k - 1) + k * p + k * p * (p + 1) // 2
    bic = -2.0 * n * result.log_likelihood + n_params * np.log(n)
    if criterion == "bic":
        return float(bic)
    _, log_resp = e_step(X, result.params)
    entropy = -np.sum(np.exp(log_resp) * log_resp)
    return float(bic + 2.0 * entropy)


def _by_k(max_components: int, values: dict[int, float]) -> np.ndarray:
    out = np.full(max_components + 1, np.nan)
    for k, v in values.items():
        out[k] = v
    return out


def _warn_unconverged(fits: dict[int, EMResult]) -> None:
    bad = sorted(k for k, r in fits.items() if not r.converged)
    if bad:
        warnings.warn(
            f"EM did not converge for k in {bad}; increase max_iter or tol",
            ConvergenceWarning,
            stacklevel=3,
        )
