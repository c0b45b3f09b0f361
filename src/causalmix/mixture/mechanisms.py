"""Mixtures whose components share the causal mechanisms of one linear-Gaussian SEM.

Every component ``c`` of the mixture is the same SEM on a given DAG except at its intervention
targets ``T_c``::

    p(x | c) = prod_j N(x_j ; b_jc + beta_jc' x_pa(j), s2_jc),

with ``(b, beta, s2)_jc`` equal to the node's shared mechanism for every ``j`` not in ``T_c``.
An intervened mechanism keeps its parents with new weights (soft, shift) or loses them (hard, do:
its weights are then fitted near zero and its variance is floored, never zero); multi-node
targets are allowed. The observational component is the one without targets.

Fitting (:func:`fit_mechanism_mixture`) works on a more general *grouping*: at every node the
components are partitioned into groups that share one mechanism. EM with a fixed grouping is
exact and monotone: the E-step evaluates the factorised densities node by node, the M-step is per
node and group one weighted least-squares fit on the summed responsibility-weighted Gram matrices
of the group's components. The grouping is searched by moves at one node at a time (merge two
groups, move one component to another group or to a group of its own), ranked by the change of
the expected complete-data log-likelihood (closed form from the Grams) and accepted only when the
BIC of the *mixture* (its exact log-likelihood with the moved mechanisms refitted) improves —
holding the responsibilities fixed favours the grouping they were computed under, so that change
alone decides badly. Each pass of moves is followed by EM to convergence. Finally each candidate
observational component ``o`` defines a target model (at each node the components in ``o``'s group
share the mechanism, every other component has its own) and the one with the smallest BIC wins; the
BIC gap to the runner-up is the evidence reported.

All computations run in a standardised frame (columns centred and scaled to unit variance), so
``reg_covar`` is a variance floor relative to each column's variance; parameters are returned in
the data's units.

References
----------
.. [1] N. Friedman. The Bayesian structural EM algorithm. UAI 1998.
.. [2] A. Kumar, K. Shiragur, C. Uhler. Learning mixtures of unknown causal interventions.
   NeurIPS 2024, arXiv:2411.00213.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from causalmix._validation import (
    check_data_matrix,
    check_positive_int,
    check_random_state,
    check_real,
)
from causalmix.graphs import check_dag
from causalmix.mixture._mechanism_em import (
    MechanismModel,
    MechanismState,
    canonical,
    e_step,
    logsumexp_t,
    m_step,
    n_parameters,
    to_data_units,
)
from causalmix.mixture._mechanism_growth import (
    drop_unpaid,
    grow_while_paid,
    merge_duplicates,
    merge_same_targets,
    select_components,
)
from causalmix.mixture._mechanism_search import (
    SearchFit,
    choose_observational,
    dag_rounds,
    search,
)

__all__ = ["MechanismMixture", "fit_mechanism_mixture", "mechanism_parameters"]

logger = logging.getLogger(__name__)

# rounds of (structure, K) after the first choice of K: a blend that the first DAG explained
# with extra targets is split off once the DAG rounds have changed it (docs/design.md §6)
MAX_ALTERNATIONS = 3
# EM iterations that screen each gather and blend start when K is grown on all rows
ALL_ROWS_GATHER_ITER = 30


@dataclass(frozen=True, eq=False)
class MechanismMixture:
    """A fitted shared-mechanism mixture (immutable; parameters in the data's units).

    Attributes
    ----------
    dag : ndarray (p, p) int8
        The DAG (``A[i, j] = 1`` iff ``i -> j``).
    weights : ndarray (K,)
    intercepts : ndarray (K, p)
        ``b_jc``: component ``c``'s intercept in the equation of ``x_j``.
    coefs : ndarray (K, p, p)
        ``coefs[c, i, j]``: the weight of ``x_i`` in component ``c``'s equation of ``x_j`` (zero
        unless ``i -> j``).
    variances : ndarray (K, p)
        Noise variances ``s2_jc``.
    groups : ndarray (p, K) int
        ``groups[j, c]``: the mechanism group of component ``c`` at node ``j``.
    observational : int
        The component without targets.
    targets : tuple of frozenset
        ``T_c`` per component: the nodes whose mechanism differs from the observational one's.
    log_likelihood : float
        Total log-likelihood of the training rows.
    n_parameters : int
    bic : float
        ``-2 log L + n_parameters log N``.
    observational_bics : dict[int, float]
        BIC of the target model with each candidate as the observational component.
    converged : bool
    n_iter : int
        EM iterations in total (all passes).
    n_passes : int
        Passes of the grouping search.
    responsibilities : ndarray (N, K)
    bic_curve : dict[int, float]
        The best BIC met per number of components during the search (on search rows: scaled to
        all rows, and replaced by the BIC on all rows for the numbers tried there).
    rounds : tuple of (ndarray, float)
        Structural-EM rounds: the DAG of each round and the BIC reached with it (the last round
        may be one that was undone because it did not improve).
    """

    dag: np.ndarray
    weights: np.ndarray
    intercepts: np.ndarray
    coefs: np.ndarray
    variances: np.ndarray
    groups: np.ndarray
    observational: int
    targets: tuple[frozenset[int], ...]
    log_likelihood: float
    n_parameters: int
    bic: float
    observational_bics: dict[int, float]
    converged: bool
    n_iter: int
    n_passes: int
    responsibilities: np.ndarray
    bic_curve: dict[int, float]
    rounds: tuple[tuple[np.ndarray, float], ...]

    @property
    def n_components(self) -> int:
        return int(self.weights.shape[0])

    def log_prob(self, X: object) -> np.ndarray:
        """``log pi_c + log p(x | c)`` of every row, shape (N, K)."""
        X = check_data_matrix(X)
        if X.shape[1] != self.dag.shape[0]:
            raise ValueError(f"X must have {self.dag.shape[0]} columns, got {X.shape[1]}")
        out = np.empty((X.shape[0], self.n_components))
        for c in range(self.n_components):
            r = X - X @ self.coefs[c] - self.intercepts[c]
            v = self.variances[c]
            out[:, c] = np.log(self.weights[c]) - 0.5 * (
                np.sum(np.log(2 * np.pi * v)) + (r * r / v).sum(axis=1)
            )
        return out

    def predict_proba(self, X: object) -> np.ndarray:
        """Posterior component probabilities, shape (N, K)."""
        L = self.log_prob(X).T
        return np.exp(L - logsumexp_t(L)).T

    def score_samples(self, X: object) -> np.ndarray:
        """Log-density of every row, shape (N,)."""
        return logsumexp_t(self.log_prob(X).T)

    @property
    def margin(self) -> float:
        """BIC of the best alternative observational component minus the chosen one's (inf if
        there is no alternative); larger is clearer."""
        others = [v for c, v in self.observational_bics.items() if c != self.observational]
        return (
            float(min(others) - self.observational_bics[self.observational]) if others else np.inf
        )


def fit_mechanism_mixture(
    X: object,
    dag: object,
    responsibilities: object | None = None,
    *,
    groups: object | None = None,
    select_k: bool | str = True,
    max_components: int | None = None,
    reg_covar: float = 1e-6,
    tol: float = 1e-6,
    max_iter: int = 100,
    max_passes: int = 6,
    top_moves: int = 4,
    grow_candidates: int = 4,
    observational_candidates: int | None = 3,
    max_rounds: int = 4,
    search_rows: int | None = 16384,
    random_state: int | np.random.Generator | None = None,
) -> MechanismMixture:
    """Fit a shared-mechanism mixture on a DAG; search its targets (and K) by BIC.

    Parameters
    ----------
    X : array-like (N, p)
    dag : array-like (p, p)
        The DAG, ``A[i, j] != 0`` iff ``i -> j``.
    responsibilities : array-like (N, K), optional
        Starting responsibilities (e.g. of a free Gaussian mixture); rows sum to one. Default:
        one component.
    groups : array-like (p, K) of int, optional
        Starting grouping (``groups[j, c]``: the group of component c at node j). Default: every
        component its own mechanism at every node.
    select_k : bool or "batch", default True
        Also choose the number of components by BIC: components are added one at a time (a
        component split at one node, one node's target gathered back from the components
        that hold it besides their own, or taken back from the observational component's blend)
        while the BIC improves, then deleted while that improves; from one component, every
        paying single-node split is added at once first. After the structural-EM rounds K is
        searched again, alternating with them until it stays (at most ``MAX_ALTERNATIONS``).
        These steps compare the BIC of the search's grouping; last, the fit is compared with
        the (K+1)-fits they rejected by the BIC of the model reported (the observational
        component's mechanisms shared, every other component its own at its targets). "batch":
        from one component that step alone, on the given DAG (the cheap K of wide data; no
        structural-EM rounds); from several components (a grown mixture checked) up to
        ``max_rounds`` rounds of structural EM, then only the merge of components left with the
        same mechanism at every node and the deletion of those whose removal lowers the BIC
        without a refit.
    max_components : int, optional
        Cap for ``select_k``; default ``p + 1``.
    reg_covar : float, default 1e-6
        Noise-variance floor relative to each column's variance.
    tol : float, default 1e-6
        EM stops when the mean log-likelihood per row improves by less.
    max_iter : int, default 100
        EM iterations per run.
    max_passes : int, default 6
        Passes of (grouping moves at every node, EM) per search.
    top_moves : int, default 4
        Moves per node and step evaluated on the mixture's likelihood (the best by the
        expected complete-data log-likelihood).
    grow_candidates : int, default 4
        (component, node) splits screened per added component.
    observational_candidates : int or None, default 3
        Components (those sharing most mechanisms) whose target model is fitted to choose the
        observational component; None tries all.
    max_rounds : int, default 4
        Rounds of structural EM: after the first fit on ``dag``, an order search and then
        single-arc moves that improve the expected BIC change the DAG
        (:mod:`causalmix.mixture._order_search`, :mod:`causalmix.mixture._dag_climb`), the
        mixture is refitted, and a round that does not improve the BIC is undone. 1 keeps
        ``dag`` fixed.
    search_rows : int or None, default 16384
        The searches (grouping, K, DAG) run on this many random rows; then EM and one pass of
        grouping moves run on all rows, with ``select_k`` True components are added there while
        the BIC on all rows improves (the last one the search rows rejected first), and the
        observational component is chosen there. None searches on all rows.
    random_state : int, numpy.random.Generator or None
        Draws the search rows.

    Returns
    -------
    MechanismMixture

    Raises
    ------
    ValueError
        On shapes that do not match, a graph with a cycle, responsibilities that are negative or
        whose rows do not sum to one, or a bad numeric argument.
    """
    if select_k not in (True, False, "batch"):
        raise ValueError(f"select_k must be True, False or 'batch', got {select_k!r}")
    if not isinstance(select_k, str):  # 1, numpy booleans: one meaning for `is True` below
        select_k = bool(select_k)
    X = check_data_matrix(X, min_rows=2)
    n, p = X.shape
    A = check_dag(dag, "dag")
    if A.shape != (p, p):
        raise ValueError(f"dag must have shape ({p}, {p}) for {p} variables, got {A.shape}")
    if responsibilities is None:
        resp = np.ones((n, 1))
    else:
        resp = np.asarray(responsibilities, dtype=np.float64)
        if resp.ndim != 2 or resp.shape[0] != n:
            raise ValueError(f"responsibilities must have shape ({n}, K), got {resp.shape}")
        if (
            not np.all(np.isfinite(resp))
            or np.any(resp < 0)
            or not np.allclose(resp.sum(axis=1), 1.0)
        ):
            raise ValueError("responsibilities must be non-negative with rows summing to one")
    K = resp.shape[1]
    if groups is None:
        start = np.tile(np.arange(K), (p, 1))
    else:
        start = np.asarray(groups)
        if start.shape != (p, K) or not np.issubdtype(start.dtype, np.integer):
            raise ValueError(
                f"groups must be an integer array of shape ({p}, {K}), got {start.shape}"
            )
        start = np.array([canonical(row) for row in start])
    k_max = (
        p + 1 if max_components is None else check_positive_int(max_components, "max_components")
    )
    settings = {
        "tol": check_real(tol, "tol", low=0.0),
        "max_iter": check_positive_int(max_iter, "max_iter"),
        "max_passes": check_positive_int(max_passes, "max_passes"),
        "top_moves": check_positive_int(top_moves, "top_moves"),
        "grow_candidates": check_positive_int(grow_candidates, "grow_candidates"),
        "screen_iter": 10,
        "gather_iter": 100,  # a gathered component draws rows from several: EM is slower to show it
    }
    max_rounds = check_positive_int(max_rounds, "max_rounds")
    reg = check_real(reg_covar, "reg_covar", low=0.0)

    rng = check_random_state(random_state)
    if search_rows is not None:
        search_rows = check_positive_int(search_rows, "search_rows", minimum=2)

    loc, scale = X.mean(axis=0), X.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    Z = (X - loc) / scale
    full = MechanismModel(Z, (A != 0).astype(np.int8), max(reg, 1e-12))
    model = full
    if search_rows is not None and n > search_rows:
        rows = np.sort(rng.choice(n, size=search_rows, replace=False))
        model, resp = MechanismModel(Z[rows], full.dag, full.floor), resp[rows]

    # search the grouping before any EM: EM under the saturated grouping (K free SEMs) drifts
    # into the optima of a free mixture, which the grouping search cannot leave again
    state = m_step(model, start, resp.T.copy())
    ll, resp_t = e_step(state)
    fit = search(model, SearchFit(state, ll, resp_t, 1, False), settings)
    curve: dict[int, float] = {}
    near_miss: list[SearchFit] = []
    rounds = [(model.dag.copy(), fit.bic(model))]
    # structure first at the starting K (a wrong DAG makes extra components look worth their
    # price), then K, then the structure again for the new components
    if select_k != "batch" or K > 1:
        fit = dag_rounds(model, fit, settings, max_rounds, rounds)
    if select_k == "batch":
        fit = select_components(model, fit, settings, k_max, curve, one_at_a_time=False)
    elif select_k:
        fit = select_components(model, fit, settings, k_max, curve, near_miss=near_miss)
        # then alternate: the structure for the new components, K again on the better DAG (a
        # target spread over components that the first DAG explained with extra targets is
        # gathered or split off only once the DAG is right), until K stays (a select that adds
        # and deletes nothing returns its fit, from which the rounds would only repeat)
        for _ in range(MAX_ALTERNATIONS):
            k_before = fit.resp_t.shape[0]
            fit = dag_rounds(model, fit, settings, max_rounds, rounds)
            fit = select_components(model, fit, settings, k_max, curve, near_miss=near_miss)
            if fit.resp_t.shape[0] == k_before:
                break

    # the larger fits rejected last (empty unless select_k is True): the search's near miss, or
    # on all rows the all-rows stage's
    rejected = near_miss
    if model is not full:
        full.set_dag(model.dag)
        fit = _on_all_rows(full, fit, settings)
        curve = {k: v * n / model.n for k, v in curve.items()}  # rescaled, for the record only
        rounds = [(d, b * n / model.n) for d, b in rounds]
        model = full
        if select_k is True:
            # on all rows a component's gain grows with N, its price with log N only: the one
            # the search rows fell just short of paying for is checked again, then components
            # are added while the BIC on all rows improves (docs/design.md §6)
            fit, rejected = _grow_on_all_rows(full, fit, near_miss, settings, k_max, curve)

    # K judged once more by the BIC of the model reported (the observational component shares,
    # every other component its own mechanisms at its targets): the search's grouping may share
    # a mechanism between interventional components, and a fit without a clean observational
    # component can tie a larger one there and lose by far here (docs/design.md §6)
    fit, (obs, fits, n_iter) = _by_reported_bic(
        model, fit, rejected, settings, observational_candidates
    )
    state, ll, resp_t, converged, _ = fits[obs]
    K = resp_t.shape[0]
    targets = tuple(
        frozenset(int(j) for j in np.flatnonzero(state.groups[:, c] != state.groups[:, obs]))
        for c in range(K)
    )
    intercepts, coefs, variances = to_data_units(model, state, loc, scale)
    log_jac = n * float(np.log(scale).sum())
    d = n_parameters(model, state.groups)
    logger.info(
        "mechanism mixture: %d components, observational %d, targets %s, %d passes",
        K,
        obs,
        [sorted(t) for t in targets],
        fit.passes,
    )
    return MechanismMixture(
        dag=model.dag.copy(),
        weights=np.exp(state.log_w),
        intercepts=intercepts,
        coefs=coefs,
        variances=variances,
        groups=state.groups.copy(),
        observational=obs,
        targets=targets,
        log_likelihood=ll - log_jac,
        n_parameters=d,
        bic=-2 * (ll - log_jac) + d * model.log_n,
        observational_bics={o: float(f[4] + 2 * log_jac) for o, f in fits.items()},
        converged=bool(converged),
        n_iter=n_iter,
        n_passes=fit.passes,
        responsibilities=resp_t.T.copy(),
        bic_curve={k: float(v + 2 * log_jac) for k, v in sorted(curve.items())},
        rounds=tuple((dag_r, float(b + 2 * log_jac)) for dag_r, b in rounds),
    )


def _on_all_rows(full: MechanismModel, fit: SearchFit, settings: dict) -> SearchFit:
    """A fit made on the search rows carried to all rows: EM from its parameters, then one more
    pass of grouping moves (``full`` already holds the search's DAG)."""
    st = fit.state
    contrib = [full.node_logdens(j, st.mechs[j]) for j in range(full.p)]
    state = MechanismState(st.groups.copy(), st.mechs, st.log_w, contrib)
    ll, resp_t = e_step(state)
    return search(
        full,
        SearchFit(state, ll, resp_t, fit.n_iter, False, fit.passes),
        {**settings, "max_passes": 2},
    )


def _grow_on_all_rows(
    full: MechanismModel,
    fit: SearchFit,
    near_miss: list,
    settings: dict,
    k_max: int,
    curve: dict,
) -> tuple[SearchFit, list[SearchFit]]:
    """``fit`` (carried to all rows) grown there: first the (K+1)-fit the search rows rejected
    last, then :func:`grow_while_paid` with short searches, then the exact merge of duplicate
    components, the deletion of unpaid ones and :func:`merge_same_targets`. Every fit is noted
    in ``curve`` with its BIC on all rows. Returns the fit and the larger fits rejected on all
    rows (for the reported model's BIC)."""

    def note(f: SearchFit) -> None:
        curve[f.resp_t.shape[0]] = f.bic(full)

    note(fit)
    # short searches, and gathers screened for 30 EM iterations, not 100: on all rows their
    # screening was most of this step's CPU (docs/design.md §6)
    light = {**settings, "max_passes": 2, "gather_iter": ALL_ROWS_GATHER_ITER}
    rejected: list[SearchFit] = []
    if near_miss:  # grown only below k_max, so within the cap
        grown = _on_all_rows(full, near_miss[0], settings)
        note(grown)
        logger.info(
            "all rows: %d components BIC %.1f, the search's rejected %d: %.1f",
            fit.resp_t.shape[0],
            fit.bic(full),
            grown.resp_t.shape[0],
            grown.bic(full),
        )
        if grown.bic(full) < fit.bic(full):
            fit = grown
        else:
            rejected.append(grown)
    fit = grow_while_paid(full, fit, light, k_max, note, rejected)
    # the grouping moves after a growth can leave two components with the same mechanism at
    # every node: merged exactly (and any component left unpaid deleted); two that hold the
    # same targets with different mechanisms are made one where the BIC on all rows says so
    fit = drop_unpaid(full, merge_duplicates(full, fit, settings), settings)
    fit = merge_same_targets(full, fit, light)
    note(fit)
    return fit, rejected


def _by_reported_bic(
    model: MechanismModel,
    fit: SearchFit,
    rejected: list,
    settings: dict,
    n_candidates: int | None,
) -> tuple[SearchFit, tuple]:
    """Among ``fit`` and the fits with more components that the search rejected, the one whose
    reported model (:func:`choose_observational`'s target model) has the lowest BIC, with its
    :func:`choose_observational` result."""

    def reported(f: SearchFit) -> tuple[float, tuple]:
        chosen = choose_observational(model, f, settings, n_candidates)
        return chosen[1][chosen[0]][4], chosen

    best, (score, chosen) = fit, reported(fit)
    for other in rejected:
        if other.resp_t.shape[0] <= fit.resp_t.shape[0]:
            continue
        other_score, other_chosen = reported(other)
        logger.info(
            "reported model: %d components BIC %.1f, %d components %.1f",
            best.resp_t.shape[0],
            score,
            other.resp_t.shape[0],
            other_score,
        )
        if other_score < score:
            best, score, chosen = other, other_score, other_chosen
    return best, chosen


def mechanism_parameters(
    fit: MechanismMixture,
) -> tuple[np.ndarray, np.ndarray]:
    """Each component's implied mean (K, p) and covariance (K, p, p) in the data's units.

    With ``x = (I - B_c')^{-1} (b_c + e)``: mean ``(I - B_c')^{-1} b_c``, covariance
    ``(I - B_c')^{-1} diag(s2_c) (I - B_c')^{-T}``.
    """
    K, p = fit.intercepts.shape
    means = np.empty((K, p))
    covs = np.empty((K, p, p))
    eye = np.eye(p)
    for c in range(K):
        inv = np.linalg.inv(eye - fit.coefs[c].T)
        means[c] = inv @ fit.intercepts[c]
        covs[c] = (inv * fit.variances[c]) @ inv.T
    return means, covs
