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
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted, validate_data

import causalmix._fit_steps as steps
from causalmix._fit_steps import ProgressCallback
from causalmix._observational import choose_observational
from causalmix._refine import SEPARATED_SHARE, refine
from causalmix._validation import check_random_state
from causalmix.preprocessing import robust_scaler

__all__ = ["SEPARATED_SHARE", "MixtureUTIGSP"]

log = logging.getLogger(__name__)


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
        correct. When the free selection keeps one component, that model's batch growth proposes
        K first (``selection_criterion_`` "mechanisms"; ``causalmix._refine.grow_from_one``).
        "none": the pipeline's answer without it (``paper_mode`` uses "none").
    explained_targets : {"drop", "keep"}, default="drop"
        "drop": UT-IGSP's targets without those another target of their component explains
        (:func:`causalmix.discovery.explained.drop_explained_targets`: the neighbour of a true
        target behind a misoriented arc, the commonest false target on do-interventions); the
        DAG is kept. "keep": UT-IGSP's own (``paper_mode``). Not used when ``refined_``.
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
        Those of ``utigsp_`` minus the explained ones (``explained_targets="drop"``), or the
        refinement's.
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
        explained_targets: str = "drop",
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
        self.explained_targets = explained_targets
        self.random_state = random_state

    @classmethod
    def paper_mode(cls, **overrides: Any) -> MixtureUTIGSP:
        """An estimator configured like the published procedure (for reproduction).

        Drop-ratio rule with cutoff 0.07 over ``k = 1..p+1``, resampled statistics and plain
        UT-IGSP (minimum-degree starts, lexicographic choice of the best run, its targets kept as
        inferred). Unlike the publication it is *not* handed the true observational rows: the
        observational component is still inferred (``observational="auto"``) unless given.
        """
        params: dict[str, Any] = {
            "criterion": "drop_ratio",
            "cutoff": 0.07,
            "statistics": "resampled",
            "start": "min_degree",
            "select": "lexicographic",
            "refine": "none",
            "explained_targets": "keep",
        }
        params.update(overrides)
        return cls(**params)

    # ------------------------------------------------------------------ validation
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
        diagnose: bool = True,
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
        diagnose : bool, default True
            Run the checks of :mod:`causalmix.diagnostics` (``diagnostics_``, warnings). They
            come last and change no other attribute; :func:`causalmix.stability` skips them on
            its fits, where they are not part of the result and the extra (K + 1)-component fit
            of ``components_at_cap`` can cost more than the fit. False: ``diagnostics_ = ()``.

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
        from causalmix.mixture import large

        progress = progress or _no_progress
        if large.is_dask_input(X):
            X = large.check_fit_input(self, X)
        else:
            X = self._validate_X(X, reset=True)
        options = steps.check_params(self)
        big = steps.check_fit_data(X, self.node_names_)
        # every step below runs on robustly standardised columns (unit-free; reg_covar relative)
        self.scaler_ = robust_scaler(steps.scaling_rows(X, big), self.node_names_)
        # beyond memory, rows are standardised block by block as they are read (no copy of X)
        X_data, X = X, self.scaler_.transform(X, lazy=big)
        obs_rows = steps.check_observational_rows(observational_rows, X.shape[0])
        rng = check_random_state(self.random_state)

        mixture, k_max = steps.fit_components(self, X, big, rng, progress)
        latest = None  # the last free mixture's responsibilities (the diagnostics reuse them)

        def structure(mixture: Any) -> Any:
            """Components, statistics, observational component and UT-IGSP from ``mixture``."""
            nonlocal latest
            resp, summary = steps.set_components(self, X, mixture, big)
            latest = resp
            stats = steps.compute_statistics(self, X, mixture, resp, summary, rng)
            choice = choose_observational(
                self.observational,
                self.effective_sizes_,
                X.shape[1],
                lambda bases: steps.search_bases(stats, bases, options, rng, progress),
                steps.rows_share(X, mixture, resp, obs_rows),
            )
            steps.set_structure(self, choice, stats)
            return resp

        resp = structure(mixture)
        refine(self, X, mixture, resp, obs_rows, k_max, big, rng, progress, structure)
        log.info(
            "observational component %d (%s, margin %s); %d arcs",
            self.observational_component_,
            self.observational_method_,
            self.observational_margin_,
            int(self.adjacency_.sum()),
        )
        steps.resample(self, X_data, rng, progress)
        self.diagnostics_ = steps.diagnose(self, X, big, rng, latest) if diagnose else ()
        return self

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
