"""The number of components of a shared-mechanism mixture (private; the model is
:mod:`causalmix.mixture.mechanisms`, the grouping search :mod:`causalmix.mixture._mechanism_search`).

Components are added by splitting one component at one node (a local two-mechanism fit at every
node and component proposes where) or by gathering one node's target back from the components
that hold it besides their own, and deleted while the BIC improves. From one component, every
paying single-node split is added at once first (:func:`batch_grow`), and the components the BIC
does not pay for are deleted without a refit (:func:`drop_unpaid`).
"""

from __future__ import annotations

import logging

import numpy as np

from causalmix.mixture._mechanism_em import (
    MechanismModel,
    bic_of,
    canonical,
    logsumexp_t,
    run_em,
    sharing_counts,
)
from causalmix.mixture._mechanism_search import SearchFit, search
from causalmix.mixture._mechanism_split import blend_proposals, gather_proposals, split_proposals

__all__ = [
    "batch_grow",
    "drop_unpaid",
    "grow",
    "grow_while_paid",
    "merge_duplicates",
    "merge_same_targets",
    "prune",
    "select_components",
]

logger = logging.getLogger(__name__)


def _columns(groups: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """The grouping of the components ``keep`` (a mask or indices), relabelled canonically."""
    return np.array([canonical(row) for row in groups[:, keep]])


def _without(fit: SearchFit, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Grouping and renormalised responsibilities of the components ``keep`` (a mask)."""
    resp = fit.resp_t[keep]
    return _columns(fit.state.groups, keep), resp / np.maximum(resp.sum(axis=0), 1e-300)


def grow(model: MechanismModel, fit: SearchFit, settings: dict) -> SearchFit | None:
    """The best (K+1)-fit reached by splitting one component at one node or gathering one, or None.

    Every component and node is scored by a local two-mechanism fit there
    (:mod:`causalmix.mixture._mechanism_split`); the best few become (K+1)-starts (the new
    component shares every mechanism of the split one except at that node), each run for a few
    EM iterations, and so does every gather start (a new component at one node taken back from
    the components that hold it besides other targets) and every blend start (one taken back
    from the observational component's blend, ``blend_proposals``), for longer. The best split
    and the best gather or blend by BIC are each run to convergence and searched (the best
    screened start of one family can end worse than the other's); the better one is returned.
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
    # components that take one target back from several components holding it, or from the
    # observational component's blend: their rows come from several components at once, and EM
    # needs longer to show the gain
    gathers = gather_proposals(model, state, resp_t) + blend_proposals(model, state, resp_t)
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
    inverse = inverse.reshape(-1)  # NumPy 2.0.x returns it with a trailing axis when axis= is given
    if first.size == groups.shape[1]:
        return fit
    keep = np.sort(first)
    # each kept component takes the rows of the duplicates of its column
    label = {int(inverse[k]): i for i, k in enumerate(keep)}
    resp = np.zeros((keep.size, fit.resp_t.shape[1]))
    for c in range(groups.shape[1]):
        resp[label[int(inverse[c])]] += fit.resp_t[c]
    merged = _columns(groups, keep)
    st, ll, rt, it, conv = run_em(model, merged, resp, settings["max_iter"], settings["tol"])
    logger.info("merged %d duplicate components", groups.shape[1] - keep.size)
    return SearchFit(st, ll, rt, fit.n_iter + it, conv, fit.passes)


def merge_same_targets(model: MechanismModel, fit: SearchFit, settings: dict) -> SearchFit:
    """Two components with the same targets made one while the BIC improves (or ``fit``).

    Targets are read against the component that shares most mechanisms (the likely
    observational one). Two components that hold the same targets with different mechanisms
    there can be one intervention's rows and a slice of another component's rows that a growth
    cut off and EM could not give back (docs/design.md §6). Three (K-1)-starts per such pair:
    either one deleted (its rows spread over the others by their responsibilities, as
    :func:`prune` does) or the two merged (rows summed, the first one's mechanisms); each is
    run by EM and the grouping search, the best kept when it lowers the BIC, and the pairs of
    the result tried again.
    """
    while True:
        groups, K = fit.state.groups, fit.resp_t.shape[0]
        ref = int(np.argmax(sharing_counts(groups)))
        held = groups != groups[:, [ref]]  # (p, K): the nodes where each component differs
        best = fit
        for a in range(K):
            for b in range(a + 1, K):
                if not held[:, a].any() or not np.array_equal(held[:, a], held[:, b]):
                    continue
                summed = fit.resp_t.copy()
                summed[a] += summed[b]
                without_b = np.arange(K) != b
                starts = [_without(fit, np.arange(K) != c) for c in (a, b)]
                starts.append((_columns(groups, without_b), summed[without_b]))
                for g, resp in starts:
                    st, ll, rt, it, conv = run_em(
                        model, g, resp, settings["max_iter"], settings["tol"]
                    )
                    cand = search(
                        model, SearchFit(st, ll, rt, fit.n_iter + it, conv, fit.passes), settings
                    )
                    if cand.bic(model) < best.bic(model):
                        best = cand
        if best is fit:
            return fit
        logger.info(
            "two components with the same targets made one: BIC %.1f -> %.1f",
            fit.bic(model),
            best.bic(model),
        )
        fit = best


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
        g = _columns(groups, trial)
        score = bic_of(model, g, ll)
        if score < best:
            keep, best = trial, score
    if keep.all():
        return fit
    g, resp = _without(fit, keep)
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
        groups, resp = _without(fit, keep)
        st, ll, rt, it, conv = run_em(model, groups, resp, settings["screen_iter"], settings["tol"])
        if best is None or ll > best[1]:
            best = (st, ll, rt, it, conv)
    st, ll, rt, it, conv = best
    st, ll, rt, it2, conv = run_em(model, st.groups, rt, settings["max_iter"], settings["tol"])
    return search(model, SearchFit(st, ll, rt, fit.n_iter + it + it2, conv, fit.passes), settings)


def _improve(
    model: MechanismModel,
    fit: SearchFit,
    settings: dict,
    step,
    note=None,
    rejected: list | None = None,
) -> SearchFit:
    """Apply ``step`` (grow or prune) while it lowers the BIC; ``note`` sees every result, the
    one that did not lower it is appended to ``rejected``."""
    while (other := step(model, fit, settings)) is not None:
        if note is not None:
            note(other)
        if other.bic(model) >= fit.bic(model):
            if rejected is not None:
                rejected.append(other)
            break
        fit = other
    return fit


def grow_while_paid(
    model: MechanismModel,
    fit: SearchFit,
    settings: dict,
    k_max: int,
    note=None,
    rejected: list | None = None,
) -> SearchFit:
    """Add one component at a time (:func:`grow`) while the BIC improves, up to ``k_max``."""

    def step(m: MechanismModel, f: SearchFit, s: dict) -> SearchFit | None:
        return grow(m, f, s) if f.resp_t.shape[0] < k_max else None

    return _improve(model, fit, settings, step, note, rejected)


def select_components(
    model: MechanismModel,
    fit: SearchFit,
    settings: dict,
    k_max: int,
    curve: dict,
    one_at_a_time: bool = True,
    near_miss: list | None = None,
) -> SearchFit:
    """Add components while the BIC improves, then delete them while that improves; from one
    component, first every paying single-node split at once (:func:`batch_grow`). With
    ``one_at_a_time`` False only that, or from several components only the merge of those left
    identical and the deletion of the unpaid ones (:func:`merge_duplicates`,
    :func:`drop_unpaid`). ``near_miss`` (a list, emptied first) receives the last grown fit the
    BIC rejected: on a subsample of the rows a real component can fall just short of its price,
    and the caller checks it again on all rows and by the reported model's BIC."""
    if near_miss is not None:
        near_miss.clear()

    def note(f: SearchFit) -> None:
        k = f.resp_t.shape[0]
        curve[k] = min(curve.get(k, np.inf), f.bic(model))

    note(fit)
    if (batch := batch_grow(model, fit, settings, k_max)) is not None:
        note(batch)
        if batch.bic(model) < fit.bic(model):
            fit = batch
    elif not one_at_a_time and fit.resp_t.shape[0] > 1:
        # several components to start from (a grown mixture checked again on a better DAG): the
        # exact and the certain deletions only, no refitted search over K
        merged = merge_duplicates(model, fit, settings)
        kept = drop_unpaid(model, merged, settings)
        if kept is not fit:
            fit = search(model, kept, settings)
            note(fit)
    if not one_at_a_time:
        return fit
    fit = grow_while_paid(model, fit, settings, k_max, note, near_miss)
    return _improve(model, fit, settings, prune, note)
