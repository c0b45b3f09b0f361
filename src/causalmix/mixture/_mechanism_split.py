"""Where to add a component to a shared-mechanism mixture: two mechanisms at one node (private).

Splitting component ``c`` into two that differ only at node ``j`` changes the mixture's likelihood
through node j's factor alone: with the other components' responsibilities held, the gain is that
of a weighted two-component *mixture of linear regressions* of ``z_j`` on its parents over c's rows
against c's single mechanism there. Each mechanism keeps the node's parents (soft, shift) or may
drop their weight to zero (hard, do), and neither needs to be c's current mechanism, so a
component that merged two interventions (its mechanism at j a blend of an intervened and the
observational one) is told apart as well as a weak intervention hidden in the observational rows.
A one-dimensional two-Gaussian fit to the residuals cannot do either: an intervened mechanism
changes how ``z_j`` depends on its parents, not only the residuals' mean and spread.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from causalmix.mixture._mechanism_em import (
    RIDGE,
    MechanismModel,
    MechanismState,
    canonical,
    normal_logpdf,
    sharing_counts,
)

__all__ = ["blend_proposals", "gather_proposals", "split_proposals"]

MIN_WEIGHT = 1e-3  # rows a component holds with less responsibility do not move its fit
N_ITER = 25  # EM iterations of each local fit (each is one small weighted least squares)
MAX_ROWS = 4096  # rows of a component a local fit uses: it only ranks the splits (on all search
# rows the local fits dominated a refinement's profile)
TOL = 1e-7  # per-row relative tolerance of the local fit
EXCESS_BINS = (32, 128, 512)  # histogram resolutions of the excess start (see _excess_start)
BLEND_CANDIDATES = 3  # components whose lone mechanisms blend_proposals takes apart (heaviest
# first among those sharing most: with a blend every component shares equally often)


def _wls(
    prod: np.ndarray, Xy: np.ndarray, X: np.ndarray, y: np.ndarray, W: np.ndarray, floor: float
):
    """Weighted least squares of ``y`` on ``X`` under each row of weights ``W`` (S, n), in one
    batched solve (``prod``: the rows' products ``x x'`` (n, m*m); ``Xy``: ``x y`` (n, m)).
    Returns the coefficients (S, m), variances (S,) and residuals (S, n)."""
    n = W.sum(axis=1)
    m = X.shape[1]
    A = (W @ prod).reshape(-1, m, m) + (RIDGE * np.maximum(n, 1.0))[:, None, None] * np.eye(m)
    coef = np.linalg.solve(A, (W @ Xy)[..., None])[..., 0]
    r = y[None, :] - coef @ X.T
    var = np.maximum(np.einsum("sn,sn->s", W, r * r) / np.maximum(n, 1e-300), floor)
    return coef, var, r


def _logdens(X: np.ndarray, y: np.ndarray, coef: np.ndarray, var: float) -> np.ndarray:
    return normal_logpdf(y - X @ coef, var)


def _posterior_b(X: np.ndarray, y: np.ndarray, params: tuple) -> np.ndarray:
    """Every row's probability of mechanism B under a two-regression fit ``params`` =
    ``(coef_a, var_a, coef_b, var_b, alpha)`` (``alpha``: B's weight)."""
    coef_a, var_a, coef_b, var_b, alpha = params
    la = np.log1p(-alpha) + _logdens(X, y, coef_a, var_a)
    lb = np.log(alpha) + _logdens(X, y, coef_b, var_b)
    return np.exp(lb - np.logaddexp(la, lb))


def _spread(n: int) -> np.ndarray:
    """Every k-th of ``n`` indices: at most ``MAX_ROWS``, spread evenly."""
    return np.arange(0, n, -(-n // MAX_ROWS))


def _fit_all_rows(model: MechanismModel, j: int, s0: np.ndarray, held) -> tuple:
    """A two-regression fit of node j over all rows (on a spread subset of them), started from
    the posterior ``s0`` (N,) of mechanism B, mechanism A held at ``held`` (None: fitted).
    Returns the node's regressors, its values and the fit's ``(coef_a, var_a, coef_b, var_b,
    alpha)``."""
    X, y = model.Zt[:, model.idx[j]], model.ZT[j]
    keep = _spread(model.n)
    _, [params] = _two_mechanisms(
        X[keep], y[keep], np.ones(keep.size), s0[keep][None, :], model.floor, [held]
    )
    return X, y, params


def _taken_from_all(resp_t: np.ndarray, post: np.ndarray) -> np.ndarray:
    """(K + 1, N) responsibilities: a new component takes the share ``post`` of every row from
    every component."""
    r = np.vstack([resp_t, post])
    r[:-1] *= 1.0 - post
    return r


def _two_mechanisms(X, y, w, s, floor, held):
    """Weighted EM of two-regression mixtures, one per start: ``s`` (S, n) holds each start's
    initial posterior of mechanism B, ``held[i] = (coef, var)`` keeps start i's mechanism A fixed
    (another group's mechanism; None: fitted). The starts run side by side, each until its
    likelihood stops improving. Returns per start its log-likelihood and
    ``(coef_a, var_a, coef_b, var_b, alpha)``."""
    n_starts, m = s.shape[0], X.shape[1]
    prod = (X[:, :, None] * X[:, None, :]).reshape(X.shape[0], m * m)
    Xy = X * y[:, None]
    free = np.array([h is None for h in held])
    coef_a, var_a = np.zeros((n_starts, m)), np.ones(n_starts)
    for i, h in enumerate(held):
        if h is not None:
            coef_a[i], var_a[i] = h
    coef_b, var_b = np.zeros((n_starts, m)), np.ones(n_starts)
    ll, alpha = np.full(n_starts, -np.inf), np.zeros(n_starts)
    s, w_sum, active = s.copy(), float(w.sum()), np.arange(n_starts)
    for _ in range(N_ITER):
        a = np.clip(s[active] @ w / w_sum, 1e-6, 1 - 1e-6)
        fa = active[free[active]]
        if fa.size:
            coef_a[fa], var_a[fa], _ = _wls(prod, Xy, X, y, w * (1.0 - s[fa]), floor)
        coef_b[active], var_b[active], rb = _wls(prod, Xy, X, y, w * s[active], floor)
        ra = y[None, :] - coef_a[active] @ X.T
        la = np.log1p(-a)[:, None] + normal_logpdf(ra, var_a[active, None])
        lb = np.log(a)[:, None] + normal_logpdf(rb, var_b[active, None])
        top = np.logaddexp(la, lb)
        s[active] = np.exp(lb - top)
        ll_new = top @ w
        done = ll_new - ll[active] < TOL * w_sum
        ll[active], alpha[active] = ll_new, a
        active = active[~done]
        if not active.size:
            break
    return ll, [(coef_a[i], float(var_a[i]), coef_b[i], float(var_b[i]), float(alpha[i]))
                for i in range(n_starts)]  # fmt: skip


def _excess_start(X: np.ndarray, y: np.ndarray, w: np.ndarray, coef: np.ndarray, var: float):
    """Rows of the histogram bin of ``y`` where the rows most exceed the mechanism's fit.

    Per bin, the weighted count against the count the mechanism ``N(X coef, var)`` predicts,
    as a z-score; the best bin over three resolutions is the start. An intervention that
    concentrates ``z_j`` (a do-intervention: a point mass; a hard one with a small variance) is
    a narrow excess there; the other starts (the sign or size of the residual) split c's rows
    in halves, from which the two-regression EM rarely collapses onto a point mass.
    """
    lo, hi = np.quantile(y, [0.001, 0.999])
    if not hi > lo:
        return np.zeros_like(y)
    mu, sd = X @ coef, np.sqrt(var)
    best, start = -np.inf, np.zeros_like(y)
    for n_bins in EXCESS_BINS:
        edges = np.linspace(lo, hi, n_bins + 1)
        b = np.searchsorted(edges, y) - 1
        inside = (b >= 0) & (b < n_bins)
        seen = np.bincount(b[inside], weights=w[inside], minlength=n_bins)
        expected = w @ np.diff(ndtr((edges[None, :] - mu[:, None]) / sd), axis=1)
        z = (seen - expected) / np.sqrt(expected + 1.0)
        k = int(np.argmax(z))
        if z[k] > best:
            best, start = float(z[k]), (inside & (b == k)).astype(float)
    return start


def node_split(
    model: MechanismModel,
    state: MechanismState,
    resp_c: np.ndarray,
    c: int,
    j: int,
    excess: bool = False,
):
    """The best split of component c at node j as ``(penalised gain, posterior, join)``.

    ``posterior``: every row's probability of the second mechanism (the new component's share of
    the row); ``join``: the existing group at j whose mechanism the rest of c takes (its own
    group refitted when -1). Joining prices the split at one weight when c was alone in its group
    (its mechanism is replaced, not added), which is how a component that swallowed an
    intervention is told apart: the rest of it rejoins the mechanism the others share.
    ``excess`` adds the start of :func:`_excess_start` (narrow interventions).
    """
    keep = np.flatnonzero(resp_c > MIN_WEIGHT)
    keep = keep[_spread(keep.size)]
    idx = model.idx[j]
    X, y, w = model.Zt[keep][:, idx], model.ZT[j, keep], resp_c[keep]
    scale = float(resp_c.sum()) / float(w.sum())  # the gain on all of c's rows
    own = state.groups[j, c]
    b, beta, var, _ = state.mechs[j][own]
    coef_c = np.append(beta, b)
    r = (y - X @ coef_c) / np.sqrt(var)
    ll_one = float(w @ _logdens(X, y, coef_c, var))
    k_mech = model.parents[j].size + 2
    alone = int(np.sum(state.groups[j] == own)) == 1
    others = [(g, (np.append(m[1], m[0]), m[2])) for g, m in enumerate(state.mechs[j]) if g != own]
    starts = [(-1, None, (r > 0).astype(float)), (-1, None, (np.abs(r) > 1.0).astype(float))]
    if excess:
        starts.append((-1, None, _excess_start(X, y, w, coef_c, var)))
    la = _logdens(X, y, coef_c, var)
    for g, held in others:
        lb = _logdens(X, y, *held)
        post = np.exp(lb - np.logaddexp(la, lb))  # c's own mechanism against group g's
        starts.append((-1, None, post))
        starts.append((g, held, 1.0 - post))  # rows unlike group g's mechanism leave
    starts = [t for t in starts if 0.0 < float(w @ t[2]) < float(w.sum())]
    if not starts:
        return -np.inf, None, -1
    lls, fits = _two_mechanisms(
        X, y, w, np.array([t[2] for t in starts]), model.floor, [t[1] for t in starts]
    )
    best = None
    for (join, _, _), ll, params in zip(starts, lls, fits, strict=True):
        added = 1 + (k_mech if join < 0 or not alone else 0)
        score = 2.0 * scale * (ll - ll_one) - added * model.log_n
        if best is None or score > best[0]:
            best = (score, params, join)
    score, params, join = best
    return score, _posterior_b(model.Zt[:, idx], model.ZT[j], params), join


def split_proposals(
    model: MechanismModel, state: MechanismState, resp_t: np.ndarray, excess: bool = False
) -> list:
    """Every (component, node) split as ``(penalised gain, c, j, posterior, join)``, best first
    (``excess``: see :func:`node_split`)."""
    out = []
    for c in range(resp_t.shape[0]):
        if resp_t[c].sum() < 2 * (model.p + 2):
            continue
        for j in range(model.p):
            score, post, join = node_split(model, state, resp_t[c], c, j, excess)
            if post is not None:
                out.append((score, c, j, post, join))
    out.sort(key=lambda t: -t[0])
    return out


def _shared_groups(groups: np.ndarray, log_w: np.ndarray) -> np.ndarray:
    """Per node, the group most components share; ties go to the group of the component that
    shares most mechanisms with the others (then the heavier one): the observational guess."""
    ref = int(np.lexsort((-log_w, -sharing_counts(groups)))[0])
    out = np.empty(groups.shape[0], dtype=np.int64)
    for j, row in enumerate(groups):
        counts = np.bincount(row)
        top = np.flatnonzero(counts == counts.max())
        out[j] = row[ref] if row[ref] in top else top[0]
    return out


def gather_proposals(model: MechanismModel, state: MechanismState, resp_t: np.ndarray) -> list:
    """New components that take one target node away from components holding several.

    A weak intervention's rows can be spread over several components, each then carrying a
    blend of the intervened and the shared mechanism at its node j besides its own target
    (targets {a, j}, {b, j}, ...), or two interventions share one component (targets {a, j}).
    No split of one component at one node undoes that: every such component must give j back
    at once. Per node j held off the shared mechanism by a component with other targets too:
    the holders go back to the shared mechanism at j, and a new component takes the shared
    mechanisms everywhere but at j. Its mechanism at j is a two-regression fit over all rows
    (on a spread subset) with the shared one held, started from the holders' blends; every
    component gives it the rows that mechanism explains better. Returns ``(groups, resp_t)``
    starts of K + 1 components.
    """
    groups = state.groups
    p, K = groups.shape
    mode = _shared_groups(groups, state.log_w)
    off = groups != mode[:, None]  # (p, K): component c is off the shared mechanism at j
    out = []
    for j in range(p):
        holders = np.flatnonzero(off[j] & (off.sum(axis=0) >= 2))
        if holders.size == 0:
            continue
        g = np.hstack([groups, mode[:, None]])
        g[j, K] = groups[j].max() + 1
        # start: how much better the holders' blends explain each row than the shared mechanism
        w_h = resp_t[holders].sum(axis=0)
        lm = state.contrib[j][mode[j]]
        lb = np.logaddexp.reduce(
            [
                np.log(np.maximum(resp_t[c], 1e-300)) + state.contrib[j][groups[j, c]]
                for c in holders
            ]
        ) - np.log(np.maximum(w_h, 1e-300))
        s0 = w_h * np.exp(lb - np.logaddexp(lb, lm))
        b, beta, var, _ = state.mechs[j][mode[j]]
        X, y, params = _fit_all_rows(model, j, s0, (np.append(beta, b), var))
        # from every component: the rows the new mechanism explains better
        r = _taken_from_all(resp_t, _posterior_b(X, y, params))
        g[j, holders] = mode[j]
        g[j] = canonical(g[j])
        out.append((g, r))
    return out


def blend_proposals(model: MechanismModel, state: MechanismState, resp_t: np.ndarray) -> list:
    """New components that take an intervention back from the observational component.

    When one intervention's rows sit in the observational component, that component's
    mechanism at the intervened node j is a blend and every other component (each with its own
    target) is off it at j: the observational component is alone at j, and every component then
    shares as many mechanisms as it does (each is alone at one node), so the observational one
    is not told apart by sharing. Neither a split of one component (the others keep their own
    mechanisms at j) nor a gather (it holds the shared mechanism at the blend) undoes that. For
    each of the ``BLEND_CANDIDATES`` heaviest components that share most mechanisms, at every
    node where it is alone: every component returns to one mechanism at j and a new component
    takes another, both fitted by a two-regression EM over all rows (on a spread subset) started
    from that component's rows; the new component is the lighter of the two and has the shared
    mechanisms everywhere else. Returns ``(groups, resp_t)`` starts of K + 1 components.
    """
    groups = state.groups
    K = groups.shape[1]
    if K < 3:
        return []
    counts = sharing_counts(groups)
    tied = np.flatnonzero(counts == counts.max())
    refs = tied[np.argsort(-state.log_w[tied], kind="stable")][:BLEND_CANDIDATES]
    mode = _shared_groups(groups, state.log_w)
    out = []
    for ref in refs:
        for j in np.flatnonzero(np.sum(groups == groups[:, [ref]], axis=1) == 1):
            X, y, (coef_a, var_a, coef_b, var_b, alpha) = _fit_all_rows(model, j, resp_t[ref], None)
            if alpha > 0.5:  # the new component is the lighter mechanism
                coef_a, var_a, coef_b, var_b = coef_b, var_b, coef_a, var_a
                alpha = 1.0 - alpha
            r = _taken_from_all(resp_t, _posterior_b(X, y, (coef_a, var_a, coef_b, var_b, alpha)))
            g = np.hstack([groups, mode[:, None]])
            g[j] = 0
            g[j, K] = 1
            out.append((np.array([canonical(row) for row in g]), r))
    return out
