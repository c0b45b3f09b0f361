"""Searching a shared-mechanism mixture's grouping, number of components, DAG and observational
component (private; the model is :mod:`causalmix.mixture.mechanisms`).

Moves at one node (merge two groups, move one component to another group or a group of its own)
are ranked by the change of the expected complete-data log-likelihood and accepted only when the
mixture's BIC, with the moved mechanisms refitted and the rows' likelihood recomputed exactly,
improves. Components are added by splitting one component at one node (a local two-mechanism
fit at every node and component proposes where) or by gathering one node's target back from the
components that hold it besides their own, and deleted while the BIC improves. Structural-EM
rounds (:func:`dag_rounds`) change the DAG; :func:`choose_observational` picks the component
without targets.
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
from causalmix.mixture._mechanism_split import gather_proposals, split_proposals
from causalmix.mixture._order_search import order_search

__all__ = [
    "SearchFit",
    "batch_grow",
    "choose_observational",
    "dag_rounds",
    "drop_unpaid",
    "grow",
    "merge_duplicates",
    "move_candidates",
    "node_q",
    "prune",
    "search",
    "search_node",
    "select_components",
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


def node_q(model: MechanismModel, groups_j: np.ndarray, Gj: np.ndarray, nc: np.ndarray):
    """Node j's mechanisms under a grouping and their expected log-likelihood, from the
    components' blocks ``Gj`` of the Grams (:meth:`MechanismModel.node_grams`)."""
    mechs = []
    for g in range(int(groups_j.max()) + 1):
        members = groups_j == g
        mechs.append(model.fit_block(Gj[members].sum(axis=0), float(nc[members].sum())))
    return mechs, sum(m[3] for m in mechs)


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
        for new in move_candidates(current):
            mechs, q = node_q(model, new, Gj, nc)
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


def grow(model: MechanismModel, fit: SearchFit, settings: dict) -> SearchFit | None:
    """The best (K+1)-fit reached by splitting one component at one node or gathering one, or None.

    Every component and node is scored by a local two-mechanism fit there
    (:mod:`causalmix.mixture._mechanism_split`); the best few become (K+1)-starts (the new
    component shares every mechanism of the split one except at that node), each run for a few
    EM iterations, and so does every gather start (a new component at one node taken back from
    the components that hold it besides other targets), for longer. The best split and the best
    gather by BIC are each run to convergence and searched (the best screened start of one
    family can end worse than the other's); the better of the two is returned.
    """
    state, resp_t = fit.state, fit.resp_t
    K = resp_t.shape[0]
    splits = []
    for _, c, j, post, join in split_proposals(model, state, resp_t)[: settings["grow_candidates"]]:
        new_resp = np.vstack([resp_t, resp_t[c] * post])
        new_resp[c] *= 1.0 - post
        groups = np.hstack([state.groups, state.groups[:, [c]]])
        groups[j, K] = groups[j].max() + 1
        if join >= 0:
            groups[j, c] = join
        groups[j] = canonical(groups[j])
        splits.append((groups, new_resp))
    # components that take one target back from several components holding it: their rows come
    # from several components at once, and EM needs longer to show the gain
    gathers = gather_proposals(model, state, resp_t)
    done = []
    for starts, n_it in ((splits, settings["screen_iter"]), (gathers, settings["gather_iter"])):
        best = None
        for groups, new_resp in starts:
            st, ll, rt, it, conv = run_em(model, groups, new_resp, n_it, settings["tol"])
            score = bic_of(model, st.groups, ll)  # splits differ in size: compare them by BIC
            if best is None or score < best[0]:
                best = (score, st, ll, rt, it, conv)
        if best is not None:
            _, st, ll, rt, it, conv = best
            st, ll, rt, it2, conv = run_em(
                model, st.groups, rt, settings["max_iter"], settings["tol"]
            )
            fit_new = SearchFit(st, ll, rt, fit.n_iter + it + it2, conv, fit.passes)
            done.append(search(model, fit_new, settings))
    return min(done, key=lambda f: f.bic(model)) if done else None


def merge_duplicates(model: MechanismModel, fit: SearchFit, settings: dict) -> SearchFit:
    """Components with the same group at every node merged into one, EM rerun (or ``fit``).

    Two such components have the same density, so one component with their summed weight has
    the same likelihood and fewer parameters: the merge is exact, no search needed.
    """
    groups = fit.state.groups
    _, first, inverse = np.unique(groups.T, axis=0, return_index=True, return_inverse=True)
    if first.size == groups.shape[1]:
        return fit
    keep = np.sort(first)
    # each kept component takes the rows of the duplicates of its column
    label = {int(inverse[k]): i for i, k in enumerate(keep)}
    resp = np.zeros((keep.size, fit.resp_t.shape[1]))
    for c in range(groups.shape[1]):
        resp[label[int(inverse[c])]] += fit.resp_t[c]
    merged = np.array([canonical(row) for row in groups[:, keep]])
    st, ll, rt, it, conv = run_em(model, merged, resp, settings["max_iter"], settings["tol"])
    logger.info("merged %d duplicate components", groups.shape[1] - keep.size)
    return SearchFit(st, ll, rt, fit.n_iter + it, conv, fit.passes)


def drop_unpaid(model: MechanismModel, fit: SearchFit, settings: dict) -> SearchFit:
    """Components whose deletion lowers the BIC even without a refit, deleted; EM rerun.

    Deleting component c with the other components' parameters held (their weights
    renormalised) gives a likelihood no higher than EM from there would reach, so when even
    that lowers the BIC the deletion is certainly worth it: a check of one log-sum-exp per
    component, where :func:`prune` refits every deletion (K EM runs). The lightest components
    are tried first, one at a time, each against the mixture left by the deletions before.
    """
    state = fit.state
    L = state.joint()  # (K, N) log w_c + log p(x | c)
    keep = np.ones(L.shape[0], dtype=bool)
    groups = state.groups
    best = bic_of(model, groups, fit.ll)
    for c in np.argsort(state.log_w):
        trial = keep.copy()
        trial[c] = False
        if trial.sum() == 0:
            break
        log_norm = np.log(np.exp(state.log_w[trial]).sum())
        ll = float(logsumexp_t(L[trial] - log_norm).sum())
        g = np.array([canonical(row) for row in groups[:, trial]])
        score = bic_of(model, g, ll)
        if score < best:
            keep, best = trial, score
    if keep.all():
        return fit
    resp = fit.resp_t[keep]
    resp = resp / np.maximum(resp.sum(axis=0), 1e-300)
    g = np.array([canonical(row) for row in groups[:, keep]])
    st, ll, rt, it, conv = run_em(model, g, resp, settings["max_iter"], settings["tol"])
    logger.info("dropped %d components the mixture does not pay for", int((~keep).sum()))
    return SearchFit(st, ll, rt, fit.n_iter + it, conv, fit.passes)


def batch_grow(
    model: MechanismModel, fit: SearchFit, settings: dict, k_max: int
) -> SearchFit | None:
    """From one component, a new component at every node whose split pays at once, or None.

    Growing one component at a time costs one EM per component added: dozens of interventions
    (p = 50-100) take dozens of rounds, and a free-covariance mixture cannot pay for such
    components at all (its BIC charges p (p + 1) / 2 covariance parameters for each). Every node
    whose best local split (the excess start included) has a positive penalised gain proposes
    one component that differs from the start there only; each row starts in proposal k with
    the odds its local fit gives it (the proposals as independent alternatives to the start).
    EM, the grouping search, the merge of components left identical and the deletion of those
    the mixture does not pay for (:func:`drop_unpaid`) follow. The caller keeps the result only
    when its BIC is lower.
    """
    if fit.resp_t.shape[0] != 1:
        return None
    props = [t for t in split_proposals(model, fit.state, fit.resp_t, excess=True) if t[0] > 0]
    props = props[: k_max - 1]
    if len(props) < 2:  # one or none: the one-at-a-time growth does the same
        return None
    groups = np.zeros((model.p, len(props) + 1), dtype=np.int64)
    odds = np.ones((len(props) + 1, model.n))
    for k, (_, _, j, post, _) in enumerate(props, start=1):
        groups[j, k] = 1
        odds[k] = post / np.maximum(1.0 - post, 1e-12)
    groups = np.array([canonical(row) for row in groups])
    resp = odds / odds.sum(axis=0)
    st, ll, rt, it, conv = run_em(model, groups, resp, settings["max_iter"], settings["tol"])
    logger.info("batch growth: %d components proposed", len(props))
    # the unpaid ones first: the grouping search's cost grows with K
    grown = drop_unpaid(model, SearchFit(st, ll, rt, fit.n_iter + it, conv, fit.passes), settings)
    grown = search(model, grown, settings)
    merged = merge_duplicates(model, grown, settings)
    kept = drop_unpaid(model, merged, settings)
    # a deleted component may have held a group that another component shared with it alone
    return kept if kept is merged else search(model, kept, settings)


def prune(model: MechanismModel, fit: SearchFit, settings: dict) -> SearchFit | None:
    """The best (K-1)-fit reached by deleting one component, or None when K = 1."""
    K = fit.resp_t.shape[0]
    if K == 1:
        return None
    best = None
    for c in range(K):
        keep = np.arange(K) != c
        resp = fit.resp_t[keep]
        resp = resp / np.maximum(resp.sum(axis=0), 1e-300)
        groups = np.array([canonical(row) for row in fit.state.groups[:, keep]])
        st, ll, rt, it, conv = run_em(model, groups, resp, settings["screen_iter"], settings["tol"])
        if best is None or ll > best[1]:
            best = (st, ll, rt, it, conv)
    st, ll, rt, it, conv = best
    st, ll, rt, it2, conv = run_em(model, st.groups, rt, settings["max_iter"], settings["tol"])
    return search(model, SearchFit(st, ll, rt, fit.n_iter + it + it2, conv, fit.passes), settings)


def select_components(
    model: MechanismModel, fit: SearchFit, settings: dict, k_max: int, curve: dict
) -> SearchFit:
    """Add components while the BIC improves, then delete them while that improves; from one
    component, first every paying single-node split at once (:func:`batch_grow`)."""

    def note(f: SearchFit) -> None:
        k = f.resp_t.shape[0]
        curve[k] = min(curve.get(k, np.inf), f.bic(model))

    def improve(fit: SearchFit, step) -> SearchFit:
        """Apply ``step`` (grow or prune) while it lowers the BIC."""
        while (other := step(model, fit, settings)) is not None:
            note(other)
            if other.bic(model) >= fit.bic(model):
                break
            fit = other
        return fit

    note(fit)
    if (batch := batch_grow(model, fit, settings, k_max)) is not None:
        note(batch)
        if batch.bic(model) < fit.bic(model):
            fit = batch
    fit = improve(fit, lambda m, f, s: grow(m, f, s) if f.resp_t.shape[0] < k_max else None)
    fit = improve(fit, prune)
    return fit


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
