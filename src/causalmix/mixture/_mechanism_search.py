"""Searching a shared-mechanism mixture's grouping, number of components, DAG and observational
component (private; the model is :mod:`causalmix.mixture.mechanisms`).

Moves at one node (merge two groups, move one component to another group or a group of its own)
are ranked by the change of the expected complete-data log-likelihood and accepted only when the
mixture's BIC, with the moved mechanisms refitted and the rows' likelihood recomputed exactly,
improves. Structural-EM rounds (:func:`dag_rounds`) change the DAG; :func:`choose_observational`
picks the component without targets. The number of components is searched in
:mod:`causalmix.mixture._mechanism_growth`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from causalmix.mixture._dag_climb import climb
from causalmix.mixture._mechanism_em import (
    MechanismModel,
    MechanismState,
    bic_of,
    canonical,
    e_step,
    group_merges,
    logsumexp_t,
    m_step,
    run_em,
    sharing_counts,
)
from causalmix.mixture._order_search import order_search

__all__ = [
    "SearchFit",
    "choose_observational",
    "dag_rounds",
    "move_candidates",
    "search",
    "search_node",
    "target_groups",
]

logger = logging.getLogger(__name__)


def move_candidates(groups_j: np.ndarray) -> list[np.ndarray]:
    """All groupings of one node one move away: merge two groups, or move one component."""
    n_groups = int(groups_j.max()) + 1
    out = group_merges(groups_j)
    for c in range(groups_j.size):
        alone = np.sum(groups_j == groups_j[c]) == 1
        # another existing group, or (unless c is alone already) a group of its own
        for g in range(n_groups + (0 if alone else 1)):
            if g != groups_j[c]:
                new = groups_j.copy()
                new[c] = g
                out.append(canonical(new))
    seen, unique = set(), []
    for new in out:
        key = new.tobytes()
        if key not in seen and not np.array_equal(new, groups_j):
            seen.add(key)
            unique.append(new)
    return unique


def search_node(
    model: MechanismModel, state: MechanismState, j: int, ll: float, top: int, L: np.ndarray
) -> tuple[float, bool, np.ndarray]:
    """Greedy moves at node j, each accepted only if the mixture's BIC improves.

    ``L`` is ``state.joint()``; returned as it is after the moves (recomputed when one was made).
    """
    Gj, nc = state.blocks[j], state.nc
    k_mech = model.parents[j].size + 2
    changed = False
    while True:
        current = state.groups[j]
        q_now = sum(m[3] for m in state.mechs[j])
        g_now = int(current.max()) + 1
        scored = []
        cands = move_candidates(current)
        all_mechs, all_q = model.fit_groupings(Gj, nc, cands) if cands else ([], [])
        for new, mechs, q in zip(cands, all_mechs, all_q, strict=True):
            delta_params = (int(new.max()) + 1 - g_now) * k_mech
            scored.append((-(2 * (q - q_now) - delta_params * model.log_n), new, mechs))
        scored.sort(key=lambda t: t[0])
        best = None
        L_rest = L - state.contrib[j][current]
        for _, new, mechs in scored[:top]:
            contrib = model.node_logdens(j, mechs)
            ll_new = float(logsumexp_t(L_rest + contrib[new]).sum())
            delta_params = (int(new.max()) + 1 - g_now) * k_mech
            gain = 2 * (ll_new - ll) - delta_params * model.log_n
            if gain > 0 and (best is None or gain > best[0]):
                best = (gain, new, mechs, contrib, ll_new)
        if best is None:
            return ll, changed, L
        _, new, mechs, contrib, ll = best
        state.groups[j] = new
        state.mechs[j] = mechs
        state.contrib[j] = contrib
        L = state.joint()
        changed = True


def target_groups(groups: np.ndarray, o: int) -> np.ndarray:
    """The target model with ``o`` observational: o's group shares, every other component alone."""
    p = groups.shape[0]
    out = np.empty_like(groups)
    for j in range(p):
        shared = groups[j] == groups[j, o]
        out[j] = 0
        out[j, ~shared] = 1 + np.arange(int((~shared).sum()))
    return out


@dataclass
class SearchFit:
    """One fit with the DAG it was made on (the model's DAG changes between rounds)."""

    state: MechanismState
    ll: float
    resp_t: np.ndarray
    n_iter: int
    converged: bool
    passes: int = 0
    score: float = np.nan
    dag: np.ndarray | None = None

    def bic(self, model: MechanismModel) -> float:
        if self.dag is None:
            self.dag, self.score = model.dag.copy(), bic_of(model, self.state.groups, self.ll)
        elif not np.array_equal(self.dag, model.dag):
            raise RuntimeError("internal error: a fit's BIC asked for under another DAG")
        return self.score


def search(model: MechanismModel, fit: SearchFit, settings: dict) -> SearchFit:
    """Passes of grouping moves at every node, each followed by EM, until nothing moves."""
    state, ll, resp_t = fit.state, fit.ll, fit.resp_t
    n_iter, converged, passes = fit.n_iter, fit.converged, 0
    while passes < settings["max_passes"]:
        passes += 1
        state = m_step(model, state.groups, resp_t)
        ll, resp_t = e_step(state)
        moved = False
        L = state.joint()
        for j in range(model.p):
            ll, changed, L = search_node(model, state, j, ll, settings["top_moves"], L)
            moved |= changed
        state, ll, resp_t, it, converged = run_em(
            model, state.groups, resp_t, settings["max_iter"], settings["tol"]
        )
        n_iter += it
        if not moved:
            break
    return SearchFit(state, ll, resp_t, n_iter, converged, fit.passes + passes)


def dag_rounds(
    model: MechanismModel, fit: SearchFit, settings: dict, max_rounds: int, rounds: list
) -> SearchFit:
    """Structural-EM rounds: an order search and arc moves by expected BIC, then grouping search
    and EM; a round that does not improve the mixture's BIC is undone and ends the rounds."""
    for _ in range(max_rounds - 1):
        old_dag, old_bic = model.dag.copy(), fit.bic(model)
        st = fit.state
        G = st.grams(model)
        ordered = order_search(model, st.groups, G, st.nc, old_dag)
        new_dag, new_groups = climb(model, st.groups, G, st.nc, ordered)
        if np.array_equal(new_dag, old_dag):
            break
        model.set_dag(new_dag)
        state = m_step(model, new_groups, fit.resp_t)
        ll, resp_t = e_step(state)
        moved = search(model, SearchFit(state, ll, resp_t, fit.n_iter, False, fit.passes), settings)
        rounds.append((new_dag, moved.bic(model)))
        if moved.bic(model) >= old_bic:
            model.set_dag(old_dag)  # never worse than the round before
            break
        fit = moved
    return fit


def choose_observational(
    model: MechanismModel, fit: SearchFit, settings: dict, n_candidates: int | None
) -> tuple[int, dict[int, tuple], int]:
    """The observational component: the candidate whose target model has the smallest BIC.

    The candidates are the ``n_candidates`` components that share most mechanisms (None: all);
    each one's target model (:func:`target_groups`) is fitted by EM from ``fit``. Returns the
    chosen component, per candidate ``(state, ll, resp_t, converged, bic)``, and the EM
    iterations of ``fit`` and of these fits together.
    """
    state, resp_t = fit.state, fit.resp_t
    order = np.argsort(-sharing_counts(state.groups), kind="stable")
    cands = order if n_candidates is None else order[:n_candidates]
    fits = {}
    n_iter = fit.n_iter
    for o in cands:
        tg = target_groups(state.groups, int(o))
        st, ll_o, r_o, it, conv = run_em(model, tg, resp_t, settings["max_iter"], settings["tol"])
        n_iter += it
        fits[int(o)] = (st, ll_o, r_o, conv, bic_of(model, tg, ll_o))
    obs = min(fits, key=lambda o: fits[o][4])
    logger.debug(
        "grouping %s; target-model BIC per candidate %s",
        state.groups.tolist(),
        {o: f[4] for o, f in fits.items()},
    )
    return obs, fits, n_iter
