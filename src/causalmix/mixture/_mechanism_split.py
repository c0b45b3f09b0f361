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

from causalmix.mixture._mechanism_em import LOG_2PI, RIDGE, MechanismModel, MechanismState

__all__ = ["split_proposals"]

MIN_WEIGHT = 1e-3  # rows a component holds with less responsibility do not move its fit
N_ITER = 25  # EM iterations of each local fit (each is one small weighted least squares)
MAX_ROWS = 4096  # rows of a component a local fit uses: it only ranks the splits (on all search
# rows the local fits dominated a refinement's profile)
TOL = 1e-7  # per-row relative tolerance of the local fit


def _wls(X: np.ndarray, y: np.ndarray, w: np.ndarray, floor: float):
    n = float(w.sum())
    XW = X * w[:, None]
    A = XW.T @ X + (RIDGE * max(n, 1.0)) * np.eye(X.shape[1])
    coef = np.linalg.solve(A, XW.T @ y)
    r = y - X @ coef
    var = max(float(w @ (r * r)) / max(n, 1e-300), floor)
    return coef, var


def _logdens(X: np.ndarray, y: np.ndarray, coef: np.ndarray, var: float) -> np.ndarray:
    r = y - X @ coef
    return -0.5 * (LOG_2PI + np.log(var) + r * r / var)


def _two_mechanisms(X, y, w, s, floor, held=None):
    """Weighted EM of a two-regression mixture from the initial posterior ``s`` of mechanism B;
    ``held = (coef, var)`` keeps mechanism A fixed (another group's mechanism)."""
    ll_old = -np.inf
    for _ in range(N_ITER):
        alpha = float(np.clip(w @ s / w.sum(), 1e-6, 1 - 1e-6))
        coef_a, var_a = held if held is not None else _wls(X, y, w * (1.0 - s), floor)
        coef_b, var_b = _wls(X, y, w * s, floor)
        la = np.log1p(-alpha) + _logdens(X, y, coef_a, var_a)
        lb = np.log(alpha) + _logdens(X, y, coef_b, var_b)
        top = np.logaddexp(la, lb)
        s = np.exp(lb - top)
        ll = float(w @ top)
        if ll - ll_old < TOL * w.sum():
            break
        ll_old = ll
    return ll, (coef_a, var_a, coef_b, var_b, alpha)


def node_split(model: MechanismModel, state: MechanismState, resp_c: np.ndarray, c: int, j: int):
    """The best split of component c at node j as ``(penalised gain, posterior, join)``.

    ``posterior``: every row's probability of the second mechanism (the new component's share of
    the row); ``join``: the existing group at j whose mechanism the rest of c takes (its own
    group refitted when -1). Joining prices the split at one weight when c was alone in its group
    (its mechanism is replaced, not added), which is how a component that swallowed an
    intervention is told apart: the rest of it rejoins the mechanism the others share.
    """
    keep = np.flatnonzero(resp_c > MIN_WEIGHT)
    keep = keep[:: -(-keep.size // MAX_ROWS)]  # every k-th row: at most MAX_ROWS, spread evenly
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
    la = _logdens(X, y, coef_c, var)
    for g, held in others:
        lb = _logdens(X, y, *held)
        post = np.exp(lb - np.logaddexp(la, lb))  # c's own mechanism against group g's
        starts.append((-1, None, post))
        starts.append((g, held, 1.0 - post))  # rows unlike group g's mechanism leave
    best = None
    for join, held, s in starts:
        if not 0.0 < float(w @ s) < float(w.sum()):
            continue
        ll, params = _two_mechanisms(X, y, w, s, model.floor, held)
        added = 1 + (k_mech if join < 0 or not alone else 0)
        score = 2.0 * scale * (ll - ll_one) - added * model.log_n
        if best is None or score > best[0]:
            best = (score, params, join)
    if best is None:
        return -np.inf, None, -1
    score, (coef_a, var_a, coef_b, var_b, alpha), join = best
    Xall, yall = model.Zt[:, idx], model.ZT[j]
    la = np.log1p(-alpha) + _logdens(Xall, yall, coef_a, var_a)
    lb = np.log(alpha) + _logdens(Xall, yall, coef_b, var_b)
    return score, np.exp(lb - np.logaddexp(la, lb)), join


def split_proposals(model: MechanismModel, state: MechanismState, resp_t: np.ndarray) -> list:
    """Every (component, node) split as ``(penalised gain, c, j, posterior, join)``, best first."""
    out = []
    for c in range(resp_t.shape[0]):
        if resp_t[c].sum() < 2 * (model.p + 2):
            continue
        for j in range(model.p):
            score, post, join = node_split(model, state, resp_t[c], c, j)
            if post is not None:
                out.append((score, c, j, post, join))
    out.sort(key=lambda t: -t[0])
    return out
