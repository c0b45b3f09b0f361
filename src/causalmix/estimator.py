"""MixtureUTIGSP: the end-to-end estimator.

Pipeline (Kumar, Shiragur & Uhler 2024, with the changes argued in ``docs/design.md``):

1. fit Gaussian mixtures and choose the number of components (:mod:`causalmix.mixture`);
2. per-component sufficient statistics from the EM responsibilities (or, in paper mode, from rows
   resampled from each fitted Gaussian);
3. identify the observational component from the data: UT-IGSP is run with every component as the
   base; with base ``b`` the targets inferred for component ``k`` approximate ``I_k Δ I_b``, so the
   observational base is the one that explains the data with the fewest targets (ties: fewest arcs);
4. UT-IGSP with that base gives the DAG and one target set per component;
5. the I-CPDAG of the DAG and the inferred targets is the identifiable part of the graph.

References
----------
.. [1] A. Kumar, K. Shiragur, C. Uhler. Learning mixtures of unknown causal interventions.
   NeurIPS 2024, arXiv:2411.00213.
.. [2] C. Squires, Y. Wang, C. Uhler. Permutation-based causal structure learning with unknown
   intervention targets. UAI 2020, arXiv:1910.09007.
"""

from __future__ import annotations

import logging
import numbers
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted, validate_data

from causalmix._validation import check_positive_int, check_random_state
from causalmix.diagnostics import run_diagnostics
from causalmix.discovery import SearchOptions
from causalmix.preprocessing import robust_scaler

__all__ = ["MixtureUTIGSP"]

log = logging.getLogger(__name__)

ProgressCallback = Callable[[str, int, int], None]

_STATISTICS = ("weighted", "resampled")
_REFINE = ("none", "mechanisms")
# refine="mechanisms" is skipped when less than this share of the rows' responsibility is split
# between components (1 - the largest responsibility, averaged over the rows). Measured:
# do-interventions 0.06-0.37 % (rows of the observational component within a few 1e-3 of the
# do-value; benchmarks/refine_gate.py on the paper protocol, 144 data sets); overlapping hard,
# soft and shift interventions share several times more.
SEPARATED_SHARE = 0.02


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


class MixtureUTIGSP(BaseEstimator):
    """Causal discovery from an unlabeled mixture of observational and interventional data.

    Parameters
    ----------
    n_components : "auto" or int, default="auto"
        Number of mixture components (observational + interventional distributions), or "auto" to
        select it with ``criterion``.
    max_components : int or None, default=None
        Largest number of components tried by "auto"; ``None`` means ``p + 1`` (every node
        intervened once plus the observational distribution), as in the paper.
    criterion : str, default="bic"
        Selection criterion passed to :func:`causalmix.mixture.select_n_components`; "drop_ratio"
        is the paper's rule (with ``cutoff``). "sbic" (the default of ``select_n_components``)
        also finds weak interventions that BIC cannot pay for, at the price of a few seconds per
        fit at N = 2^16 when BIC's choice is below ``max_components``; the estimator keeps "bic"
        because its end-to-end benchmarks (``docs/benchmarks.md``) were measured with it.
    cutoff : float, default=0.07
        Cutoff of the drop-ratio rule (used only with ``criterion="drop_ratio"``).
    statistics : {"weighted", "resampled"}, default="weighted"
        "weighted": responsibility-weighted statistics of the data; "resampled": the paper's
        ``floor(N / K)`` fresh rows drawn from each fitted Gaussian.
    observational : "auto" or int, default="auto"
        Index of the observational component, or "auto" to infer it from the data.
    alpha_ci, alpha_inv : float, default=1e-3
        Significance levels of the CI and invariance tests.
    depth, n_runs : int, default=4, 5
        UT-IGSP search depth and number of restarts.
    start : {"mixed", "min_degree"}, default="mixed"
        Starting permutations of the search: "mixed" adds intervention-informed orders to
        UT-IGSP's randomised minimum-degree ones (see :func:`causalmix.discovery.ut_igsp_from_testers`).
    select : {"total", "lexicographic"}, default="total"
        How the best search run is chosen: fewest ``arcs + targets``, or UT-IGSP's lexicographic
        ``(arcs, targets)``.
    reg_covar : float, default=1e-6
        Added to the diagonal of the mixture covariances (do-interventions make them
        near-singular), **relative to unit variance**: the mixture is fitted to columns
        standardised by their robust scale (``scaler_``), so in the data's units column ``j``
        gets ``reg_covar * scaler_.scale[j] ** 2``.
    n_resamples : int, default=0
        When positive, ``fit`` ends by refitting clones on that many half-size subsamples and
        stores how often each edge, target and K comes back as ``stability_``
        (:func:`causalmix.stability`).
    n_jobs : int or None, default=None
        Parallel refits for ``n_resamples`` (joblib convention).
    refine : {"none", "mechanisms"}, default="mechanisms"
        "mechanisms": after the pipeline above, structural EM on a mixture whose components share
        the causal mechanisms of one SEM except at their targets
        (:func:`causalmix.mixture.mechanisms.fit_mechanism_mixture`): the number of components,
        the targets, the observational component and the DAG are then decided by that model's
        BIC, started from the free mixture and UT-IGSP's DAG. Right for hard, soft and shift
        interventions whose components overlap (where invariance tests on responsibility-weighted
        statistics over-call targets); slower. Skipped (``refined_`` False) when the free
        mixture's two or more components are separated (less than 2 % of the rows'
        responsibility shared), as do-interventions' are: then there is no overlap for it to
        correct. "none": the pipeline's answer without it (``paper_mode`` uses "none").
    random_state : int, numpy.random.Generator or None
        Seeds every random step (mixture initialisation, resampling, search).

    Attributes
    ----------
    n_components_ : int
    weights_ : ndarray (K,)
    means_ : ndarray (K, p)
        In the data's units.
    covariances_ : ndarray (K, p, p)
        In the data's units (entries beyond the floating-point range are ``inf`` or 0).
    scaler_ : ColumnScaler
        Per-column median and robust scale; every fit runs on ``(X - location) / scale``
        (:mod:`causalmix.preprocessing`), so results do not depend on the data's units.
    labels_ : ndarray (N,)
        Most probable component of each training row.
    effective_sizes_ : ndarray (K,)
        Σ responsibilities per component.
    observational_component_ : int
    observational_method_ : {"auto", "user", "rows", "single"}
    observational_scores_ : list of dict
        Per candidate base: total inferred targets, arcs, and whether it was chosen.
    observational_margin_ : int or None
        Targets of the runner-up base minus those of the chosen one (larger = clearer); None if
        not inferred.
    targets_ : tuple of frozenset
        Inferred intervention targets per component (node indices); the observational one is ∅.
    adjacency_ : ndarray (p, p) int8
        The learned DAG (``A[i, j] = 1`` iff ``i -> j``).
    icpdag_ : ndarray (p, p) int8
        Its interventional essential graph for the inferred targets.
    selection_curve_ : dict[int, float]
        Criterion value per number of components tried (empty when ``n_components`` is an int).
    selection_criterion_ : str
    selection_ : ComponentSelection or None
        The whole model selection (sweep curve, cap); None when ``n_components`` is an int.
    node_names_ : list of str
        Column names of a DataFrame input, else ``X0 .. X{p-1}``.
    feature_names_in_ : ndarray of str
        Only when fitted on a DataFrame with string column names (scikit-learn convention).
    n_features_in_ : int
    max_components_ : int or None
        The cap the selection actually used (None for a fixed ``n_components``).
    mixture_ : GaussianMixtureFit
        Fitted to the standardised columns (``scaler_``).
    statistics_ : SufficientStatistics
        Per-component statistics of the standardised columns.
    utigsp_ : UTIGSPResult
    stability_ : StabilityResult
        Only when ``n_resamples > 0``.
    mechanisms_ : MechanismMixture or None
        With ``refine="mechanisms"``: the shared-mechanism fit behind the reported components,
        targets and DAG (its ``rounds`` are the structural-EM rounds with their BIC); then
        ``observational_method_`` is "likelihood" and ``observational_margin_`` the BIC gap to
        the best alternative observational component.
    refined_ : bool
        Whether ``refine="mechanisms"`` replaced the results (False when it was not asked for or
        the components were separated).
    diagnostics_ : tuple of Check
        The checks of :mod:`causalmix.diagnostics`, computed at the end of ``fit``; each flagged
        one was also issued as a :class:`~causalmix.CausalmixWarning`.

    Notes
    -----
    Unit invariance: columns are centred on their medians and divided by a robust scale
    (:func:`causalmix.preprocessing.robust_scaler`) before anything is fitted, and every later step
    is equivariant, so ``fit(X * d + c)`` (positive per-column ``d``) makes the same choices as
    ``fit(X)`` up to rounding. ``predict``, ``predict_proba`` and ``score`` take data in the
    original units.
    """

    #: False on the fits of :func:`causalmix.stability`: their checks are not part of its result,
    #: and the extra (K + 1)-component fit of ``components_at_cap`` can cost more than the fit
    _diagnose: bool = True

    def __init__(
        self,
        n_components: int | str = "auto",
        *,
        max_components: int | None = None,
        criterion: str = "bic",
        cutoff: float = 0.07,
        statistics: str = "weighted",
        observational: int | str = "auto",
        alpha_ci: float = 1e-3,
        alpha_inv: float = 1e-3,
        depth: int = 4,
        n_runs: int = 5,
        start: str = "mixed",
        select: str = "total",
        reg_covar: float = 1e-6,
        n_resamples: int = 0,
        n_jobs: int | None = None,
        refine: str = "mechanisms",
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self.n_components = n_components
        self.max_components = max_components
        self.criterion = criterion
        self.cutoff = cutoff
        self.statistics = statistics
        self.observational = observational
        self.alpha_ci = alpha_ci
        self.alpha_inv = alpha_inv
        self.depth = depth
        self.n_runs = n_runs
        self.start = start
        self.select = select
        self.reg_covar = reg_covar
        self.n_resamples = n_resamples
        self.n_jobs = n_jobs
        self.refine = refine
        self.random_state = random_state

    @classmethod
    def paper_mode(cls, **overrides: Any) -> MixtureUTIGSP:
        """An estimator configured like the published procedure (for reproduction).

        Drop-ratio rule with cutoff 0.07 over ``k = 1..p+1``, resampled statistics and plain
        UT-IGSP (minimum-degree starts, lexicographic choice of the best run). Unlike the
        publication it is *not* handed the true observational rows: the observational component is
        still inferred (``observational="auto"``) unless given.
        """
        params: dict[str, Any] = {
            "criterion": "drop_ratio",
            "cutoff": 0.07,
            "statistics": "resampled",
            "start": "min_degree",
            "select": "lexicographic",
            "refine": "none",
        }
        params.update(overrides)
        return cls(**params)

    # ------------------------------------------------------------------ validation
    def _check_params(self) -> SearchOptions:
        if not (self.n_components == "auto" or _is_int(self.n_components)):
            raise ValueError(
                f"n_components must be 'auto' or a positive integer, got {self.n_components!r}"
            )
        if _is_int(self.n_components):
            check_positive_int(self.n_components, "n_components")
        if self.max_components is not None:
            check_positive_int(self.max_components, "max_components")
        if self.statistics not in _STATISTICS:
            raise ValueError(f"statistics must be one of {_STATISTICS}, got {self.statistics!r}")
        if not (self.observational == "auto" or _is_int(self.observational)):
            raise ValueError(
                f"observational must be 'auto' or a component index, got {self.observational!r}"
            )
        if self.refine not in _REFINE:
            raise ValueError(f"refine must be one of {_REFINE}, got {self.refine!r}")
        check_positive_int(self.n_resamples, "n_resamples", minimum=0)
        # validated here, once, so that a typo fails before the mixture fit
        return SearchOptions(
            alpha_ci=self.alpha_ci,
            alpha_inv=self.alpha_inv,
            depth=self.depth,
            n_runs=self.n_runs,
            start=self.start,
            select=self.select,
        )

    def _validate_X(self, X: object, *, reset: bool) -> np.ndarray:
        # scikit-learn's validation gives the standard messages (sparse, complex, 1-D, empty ...)
        # and keeps n_features_in_ / feature_names_in_ consistent between fit and predict
        arr = validate_data(
            self, X, reset=reset, dtype=np.float64, ensure_min_samples=1 if not reset else 2
        )
        if reset:
            names = getattr(self, "feature_names_in_", None)
            self.node_names_ = (
                [str(c) for c in names]
                if names is not None
                else [f"X{i}" for i in range(arr.shape[1])]
            )
        return arr

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        X: object,
        y: None = None,
        *,
        observational_rows: object = None,
        progress: ProgressCallback | None = None,
    ) -> MixtureUTIGSP:
        """Fit the whole pipeline to unlabeled rows.

        Parameters
        ----------
        X : array-like, pandas.DataFrame, dask.array or dask DataFrame of shape (N, p)
            Unlabeled rows; a (dask) DataFrame's column names become node names. Above 2^17 rows,
            or for dask input (extra ``causalmix[dask]``), the mixture is chosen on a sample of
            2^17 rows and refined, and the statistics computed, on all rows block by block
            (:mod:`causalmix.mixture.large`); ``labels_`` is then lazy for a dask array.
        y : None
            Ignored (scikit-learn API).
        observational_rows : array-like of bool (N,) or of int indices, optional
            Rows known to be observational; the component they mostly belong to becomes the
            observational one (overrides ``observational="auto"``).
        progress : callable(stage, done, total), optional
            Called as the long steps advance (the CLI draws a progress bar).

        Returns
        -------
        self

        Raises
        ------
        ValueError
            For invalid parameters or data (non-finite values, a constant column, fewer rows than
            ``2 * p``), or an ``observational`` index >= the number of components.

        Warns
        -----
        CausalmixWarning
            One per flagged check of :mod:`causalmix.diagnostics` (also in ``diagnostics_``).
        """
        from causalmix.discovery import ut_igsp_from_statistics
        from causalmix.graphs import dag_to_icpdag
        from causalmix.mixture import (
            component_statistics,
            fit_mixture,
            large,
            resampled_statistics,
            select_n_components,
        )

        progress = progress or _no_progress
        if large.is_dask_input(X):
            X = large.check_fit_input(self, X)
        else:
            X = self._validate_X(X, reset=True)
        n, p = X.shape
        big = large.is_dask_array(X) or n > large.IN_MEMORY_ROWS
        options = self._check_params()
        min_rows = p + 2  # the base component needs n > p + 1 rows for the CI tests
        if n < max(2 * p, min_rows):
            raise ValueError(
                f"X needs at least {max(2 * p, min_rows)} rows for {p} variables, got {n}"
            )
        k_cap = n // min_rows  # every component must be able to hold p + 2 rows
        const = np.flatnonzero(large.column_ranges(X) == 0)
        if const.size:
            bad = [self.node_names_[i] for i in const]
            raise ValueError(
                f"X has constant column(s) {bad}; they carry no information, drop them"
            )
        # every step below runs on robustly standardised columns (unit-free; reg_covar relative)
        self.scaler_ = robust_scaler(_scaling_rows(X, big), self.node_names_)
        X_data, X = X, self.scaler_.transform(X)
        obs_rows = _check_rows(observational_rows, n)
        rng = check_random_state(self.random_state)

        # 1-2. mixture and number of components
        progress("fitting mixture", 0, 1)
        k_max = p + 1
        if self.n_components == "auto":
            k_max = p + 1 if self.max_components is None else self.max_components
            if k_max > k_cap:
                log.warning("max_components lowered from %d to %d: %d rows allow at most %d "
                            "components of p + 2 = %d rows", k_max, k_cap, n, k_cap, min_rows)  # fmt: skip
                k_max = k_cap
            selection = select_n_components(
                X, max_components=k_max, criterion=self.criterion,
                cutoff=self.cutoff, reg_covar=self.reg_covar, random_state=rng,
                selection_size=large.IN_MEMORY_ROWS, progress=progress,
            )  # fmt: skip
            mixture = selection.mixture
            self.selection_ = selection
            # curve[k] is the criterion for k components (index 0 unused; NaN where not fitted)
            self.selection_curve_ = {
                k: float(selection.curve[k]) for k in range(1, len(selection.curve))
            }
            self.selection_criterion_ = str(selection.criterion)
            self.max_components_ = int(selection.max_components)
        else:
            if self.n_components > k_cap:
                raise ValueError(
                    f"n_components={self.n_components} needs at least "
                    f"{self.n_components * min_rows} rows (p + 2 = {min_rows} per component), got {n}"
                )
            mixture = (
                large.fit_fixed(X, self.n_components, reg_covar=self.reg_covar, rng=rng)
                if big
                else fit_mixture(X, self.n_components, reg_covar=self.reg_covar, random_state=rng)
            )
            self.selection_curve_ = {}
            self.selection_criterion_ = "fixed"
            self.selection_ = None
            self.max_components_ = None
        progress("fitting mixture", 1, 1)
        K = mixture.n_components
        if big:  # one block-wise pass instead of (N, K) responsibilities (issue #14)
            summary = large.summarise(X, mixture)
            resp = None
            self.labels_, self.effective_sizes_ = summary.labels, summary.effective_sizes
        else:
            resp = mixture.predict_proba(X)
            self.labels_, self.effective_sizes_ = resp.argmax(axis=1), resp.sum(axis=0)
        self.mixture_ = mixture
        self.n_components_ = K
        self.weights_ = np.asarray(mixture.weights)
        self.means_ = self.scaler_.inverse_means(mixture.means)
        self.covariances_ = self.scaler_.inverse_covariances(mixture.covariances)
        log.info("mixture: %d components, weights %s", K, np.round(self.weights_, 3).tolist())

        # 3. per-component statistics
        if self.statistics == "weighted":
            stats = (
                summary.statistics
                if big
                else component_statistics(X, mixture, responsibilities=resp)
            )
        else:
            stats = resampled_statistics(mixture, n // K, random_state=rng)
        self.statistics_ = stats

        # 4. observational component and UT-IGSP
        usable = [k for k in range(K) if self.effective_sizes_[k] > p + 1]
        if obs_rows is not None:
            obs_resp = (
                resp[obs_rows] if resp is not None else large.responsibilities(X, obs_rows, mixture)
            )
            base_candidates = [int(obs_resp.mean(axis=0).argmax())]
            self.observational_method_ = "rows"
        elif self.observational != "auto":
            if not 0 <= int(self.observational) < K:
                raise ValueError(
                    f"observational={self.observational} is not a component index (the mixture has {K})"
                )
            base_candidates = [int(self.observational)]
            self.observational_method_ = "user"
        elif K == 1:
            base_candidates = [0]
            self.observational_method_ = "single"
        else:
            # a base needs more than p + 1 effective rows for its CI tests (the component cap
            # guarantees the largest has N / K >= p + 2); a base of a few dozen rows has tests
            # without power (an empty graph), so prefer bases of at least 10 p rows when any
            powered = [k for k in usable if self.effective_sizes_[k] >= 10 * p]
            base_candidates = powered or usable
            self.observational_method_ = "auto"
        if not set(base_candidates) <= set(usable):
            raise ValueError(
                f"the observational component {base_candidates[0]} holds only "
                f"{self.effective_sizes_[base_candidates[0]]:.1f} effective rows; UT-IGSP needs more "
                f"than p + 1 = {p + 1}: use fewer components or more data"
            )
        seeds = rng.spawn(len(base_candidates))
        results = []
        for done, (b, child) in enumerate(zip(base_candidates, seeds, strict=True)):
            progress("UT-IGSP (base candidates)", done, len(base_candidates))
            results.append(
                ut_igsp_from_statistics(stats, base=b, random_state=child, options=options)
            )
        progress("UT-IGSP (base candidates)", len(base_candidates), len(base_candidates))
        keys = [(sum(len(t) for t in r.targets), int(r.adjacency.sum())) for r in results]
        best = min(range(len(results)), key=lambda i: keys[i])
        self.observational_scores_ = [
            {"component": b, "n_targets": keys[i][0], "n_arcs": keys[i][1], "chosen": i == best}
            for i, b in enumerate(base_candidates)
        ]
        if len(results) > 1:
            others = sorted(k[0] for i, k in enumerate(keys) if i != best)
            self.observational_margin_ = int(others[0] - keys[best][0])
        else:
            self.observational_margin_ = None
        result = results[best]
        self.observational_component_ = base_candidates[best]
        self.utigsp_ = result
        self.targets_ = tuple(frozenset(int(v) for v in t) for t in result.targets)
        self.adjacency_ = np.asarray(result.adjacency, dtype=np.int8)
        non_base = [t for k, t in enumerate(self.targets_) if k != self.observational_component_]
        self.icpdag_ = dag_to_icpdag(self.adjacency_, non_base)
        self.mechanisms_ = None
        self.refined_ = False
        if self.refine == "mechanisms" and big:
            _refine_out_of_memory(X, mixture, n, rng)
        elif self.refine == "mechanisms":
            progress("refining (shared mechanisms)", 0, 1)
            self._refine(X, resp, obs_rows, k_max if self.n_components == "auto" else K, rng)
            progress("refining (shared mechanisms)", 1, 1)
        log.info(
            "observational component %d (%s, margin %s); %d arcs",
            self.observational_component_, self.observational_method_,
            self.observational_margin_, int(self.adjacency_.sum()),
        )  # fmt: skip
        self.__dict__.pop("stability_", None)  # never keep the frequencies of an earlier fit
        if self.n_resamples:
            from causalmix.stability import resample_fit

            self.stability_ = resample_fit(X_data, self, n_resamples=self.n_resamples, n_jobs=self.n_jobs,
                                           random_state=rng, progress=progress)  # fmt: skip
        # last: its draws from rng (a row sample, one extra fit) change nothing above
        if self._diagnose:
            diagnostic_rows = large.sample_rows(X, large.IN_MEMORY_ROWS, rng) if big else X
            self.diagnostics_ = run_diagnostics(self, diagnostic_rows, rng)
        else:
            self.diagnostics_ = ()
        return self

    def _refine(
        self, X: np.ndarray, resp: np.ndarray, obs_rows: np.ndarray | None, k_max: int, rng
    ) -> None:
        """Structural EM on the shared-mechanism mixture; replaces the reported results."""
        from causalmix.graphs import dag_to_icpdag
        from causalmix.mixture.mechanisms import fit_mechanism_mixture, mechanism_parameters
        from causalmix.stats import SufficientStatistics

        shared = float(np.mean(1.0 - resp.max(axis=1)))
        # one free component is "separated" trivially: an intervention the free mixture could not
        # pay for may hide in it, and the refinement's growth is what can find it
        alone = resp.shape[1] == 1 and self.n_components == "auto"
        if shared < SEPARATED_SHARE and not alone:
            # no overlap to leak through (do-interventions): the statistics above are the
            # components' own, and the refinement could only re-derive the same answer slower
            log.info(
                "components separated (%.2g of the responsibility shared): not refined", shared
            )
            self.refined_ = False
            return
        fit = fit_mechanism_mixture(
            X, self.adjacency_, resp, select_k=self.n_components == "auto",
            max_components=max(k_max, resp.shape[1]), reg_covar=self.reg_covar, random_state=rng,
        )  # fmt: skip
        post = fit.responsibilities
        obs = fit.observational
        if obs_rows is not None or self.observational != "auto":
            # the user's observational rows (or the rows of the named free component) decide
            rows = obs_rows if obs_rows is not None else self.labels_ == self.observational
            obs = int(post[rows].mean(axis=0).argmax())
            self.observational_method_ = "rows" if obs_rows is not None else "user"
            self.observational_margin_ = None
        else:
            self.observational_method_ = "likelihood" if fit.n_components > 1 else "single"
            self.observational_margin_ = float(fit.margin) if fit.n_components > 1 else None
        groups = fit.groups
        self.targets_ = tuple(
            frozenset(int(j) for j in np.flatnonzero(groups[:, c] != groups[:, obs]))
            for c in range(fit.n_components)
        )
        self.observational_component_ = obs
        self.observational_scores_ = [
            {"component": int(c), "bic": float(b), "chosen": int(c) == obs}
            for c, b in fit.observational_bics.items()
        ]
        self.mechanisms_ = fit
        self.refined_ = True
        self.n_components_ = fit.n_components
        self.weights_ = np.asarray(fit.weights)
        means, covariances = mechanism_parameters(fit)
        self.means_ = self.scaler_.inverse_means(means)
        self.covariances_ = self.scaler_.inverse_covariances(covariances)
        self.labels_ = post.argmax(axis=1)
        self.effective_sizes_ = post.sum(axis=0)
        self.statistics_ = SufficientStatistics.from_responsibilities(X, post)
        self.adjacency_ = np.asarray(fit.dag, dtype=np.int8)
        non_base = [t for k, t in enumerate(self.targets_) if k != obs]
        self.icpdag_ = dag_to_icpdag(self.adjacency_, non_base)

    # ------------------------------------------------------------------ prediction / export
    def predict(self, X: object) -> np.ndarray:
        """Most probable component of each row, shape (N,)."""
        return self.predict_proba(X).argmax(axis=1)

    def predict_proba(self, X: object) -> np.ndarray:
        """Posterior component probabilities of each row, shape (N, K)."""
        check_is_fitted(self, "mixture_")
        X = self._standardised(X)
        if getattr(self, "mechanisms_", None) is not None:
            return self.mechanisms_.predict_proba(X)
        return self.mixture_.predict_proba(X)

    def fit_predict(self, X: object, y: None = None, **fit_params: Any) -> np.ndarray:
        """Fit and return the training labels."""
        return self.fit(X, **fit_params).labels_

    def score(self, X: object, y: None = None) -> float:
        """Mean log-likelihood of ``X`` under the fitted mixture, in the data's units.

        The mixture is fitted to the standardised columns ``z = (x - location) / scale``
        (``scaler_``); the density of ``x`` is that of ``z`` times the Jacobian ``1 / Π scale``, so
        this is ``mean log p_z(z) - Σ log scale`` — the log-density of the original rows, comparable
        with other models fitted to the same data in the same units.
        """
        check_is_fitted(self, "mixture_")
        Z = self._standardised(X)
        if getattr(self, "mechanisms_", None) is not None:
            log_p = float(self.mechanisms_.score_samples(Z).mean())
        else:
            log_p = float(self.mixture_.score(Z))
        return log_p - self.scaler_.log_jacobian

    def _standardised(self, X: object) -> np.ndarray:
        return self.scaler_.transform(self._validate_X(X, reset=False))

    def to_networkx(self, graph: str = "icpdag") -> Any:
        """The learned graph as a :class:`networkx.DiGraph` with node names.

        Parameters
        ----------
        graph : {"icpdag", "dag"}
            With "icpdag", an undirected edge is stored as two arcs with ``undirected=True``.
            Nodes carry ``targets`` (comma-separated components that intervene on them).
        """
        import networkx as nx

        check_is_fitted(self, "adjacency_")
        if graph not in ("icpdag", "dag"):
            raise ValueError(f"graph must be 'icpdag' or 'dag', got {graph!r}")
        A = self.icpdag_ if graph == "icpdag" else self.adjacency_
        G = nx.DiGraph()
        for v, name in enumerate(self.node_names_):
            comps = [str(k) for k, t in enumerate(self.targets_) if v in t]
            G.add_node(name, index=v, targets=",".join(comps))
        for i, j in zip(*np.nonzero(A), strict=True):
            G.add_edge(self.node_names_[i], self.node_names_[j], undirected=bool(A[j, i]))
        return G


def _refine_out_of_memory(X: Any, mixture: Any, n: int, rng: np.random.Generator) -> None:
    """refine="mechanisms" needs every row in memory: beyond that, say whether it was needed."""
    from causalmix.diagnostics import CausalmixWarning
    from causalmix.mixture import large

    sample = np.asarray(large.sample_rows(X, min(2**14, n), rng))
    shared = float(np.mean(1.0 - mixture.predict_proba(sample).max(axis=1)))
    if shared < SEPARATED_SHARE:
        log.info("components separated (%.2g of the responsibility shared): not refined", shared)
        return
    warnings.warn(
        f"refine='mechanisms' skipped: it needs the rows in memory (at most "
        f"{large.IN_MEMORY_ROWS}, not a dask array; got {n}), and the components overlap "
        f"({shared:.0%} of the responsibility shared), where the free mixture's targets and "
        f"observational component are unreliable; refit a sample of at most "
        f"{large.IN_MEMORY_ROWS} rows to refine",
        CausalmixWarning,
        stacklevel=3,
    )


def _scaling_rows(X: object, big: bool) -> np.ndarray:
    """The rows the column scales are estimated from: all, or 2^17 evenly spaced ones when the
    data are large (the same rows for an in-memory array and a dask array; no random draw)."""
    from causalmix.mixture import large

    if not big:
        return X
    idx = np.linspace(0, X.shape[0] - 1, large.IN_MEMORY_ROWS).round().astype(np.intp)
    if large.is_dask_array(X):
        from causalmix.mixture import _dask

        return _dask.take_rows(X, idx)
    return X[idx]


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_rows(rows: object, n: int) -> np.ndarray | None:
    if rows is None:
        return None
    arr = np.asarray(rows)
    if arr.dtype == bool:
        if arr.shape != (n,):
            raise ValueError(
                f"observational_rows as a mask must have shape ({n},), got {arr.shape}"
            )
        mask = arr
    else:
        if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
            raise ValueError("observational_rows must be a boolean mask or integer row indices")
        if arr.size and (arr.min() < 0 or arr.max() >= n):
            raise ValueError(f"observational_rows indices must lie in 0..{n - 1}")
        mask = np.zeros(n, dtype=bool)
        mask[arr] = True
    if not mask.any():
        raise ValueError("observational_rows selects no row")
    return mask
