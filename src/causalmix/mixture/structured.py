"""Interventional mixtures: Gaussian components that share one SEM up to a single-node intervention.

In a linear-Gaussian SEM a hard (or do-) intervention on node ``j`` replaces one factor,
``p(x_j | x_pa(j))``, by a new marginal ``N(m, v)`` and leaves every other factor alone. Without
knowing the DAG this is the family, for component ``c`` with target ``j`` and ``R`` = the other
nodes,

- ``x_j ~ N(m_c, v_c)`` (free), and
- ``x_R | x_j`` the conditional implied by the natural parameters
  ``M_c = Θ_0 - a_c a_cᵀ`` and ``k_c = h_0 + b_c a_c``,

where ``(Θ_0, h_0)`` are the precision and potential (``Θ_0 μ_0``) of the observational component
and ``a_c = (e_j - B_{:, j}) / sqrt(ω_j)`` in SEM terms (removing the factor of ``x_j`` given its
parents is a rank-one change of the precision). Each extra component costs ``p + 4`` parameters
(``a``, ``b``, ``m``, ``v``, weight) instead of the ``p + p (p + 1) / 2 + 1`` of a free Gaussian, so a
BIC on this model (``criterion="sbic"`` in :func:`~causalmix.mixture.select_n_components`) can pay
for the weak interventions a free-covariance BIC cannot (``docs/design.md`` §1). The model is exact
for single-node hard and do-interventions; everything else (soft or multi-node interventions,
non-Gaussian data) is misspecified and typically costs extra components, which is why the
``"sbic"`` criterion compares its BIC with the free mixture's rather than trusting it alone.
The likelihood is unbounded without a floor, so every diagonal precision entry is capped
(:func:`_precision_cap`) and every target variance floored at ``reg_covar``.

Fitting is generalised EM on the sufficient statistics ``(n_c, Σ r x, Σ r x xᵀ)``: the E-step is
exact; the M-step sets the weights and ``(m_c, v_c)`` in closed form (the marginal of ``x_j`` does
not interact with the rest) and takes a few warm-started L-BFGS steps with an analytic gradient on
the shared ``(Θ_0 = L Lᵀ, h_0)`` and the per-component ``(a_c, b_c)``. By the envelope theorem the
gradient of the profile objective is the plain Gaussian one,
``∂Q/∂Θ_c = ½ (n_c (Σ_c + μ_c μ_cᵀ) - S_c)``, ``∂Q/∂h_c = s_c - n_c μ_c``, chained through ``M_c`` and
``k_c``. Steps that leave a conditional precision non-positive-definite are rejected by the line
search, so the expected complete-data log-likelihood never decreases.

Component 0 is always the observational one. Data are centred and scaled per column by the
caller (the model is invariant to both, the scaling keeps the optimiser's variables O(1)).
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from causalmix.mixture._gaussian import (
    EM_ROUND_HOOK,
    LOG_2PI,
    Data,
    check_ll,
    logsumexp_t,
    normalise_t,
)

__all__: list[str] = []

_LOG_LIMIT = 40.0  # overflow guard on log diag(L) in _unpack


def _precision_cap(reg_covar: float | np.ndarray) -> np.ndarray | float:
    """Largest admissible diagonal precision entry per node: ``2 / reg_covar``.

    The free mixture keeps every variance above ``reg_covar``; the interventional model bounds
    the diagonal of every component's precision instead (which bounds its eigenvalues by ``p``
    times as much). Without a bound the likelihood is unbounded: the observational component can
    become flat in one direction while an interventional one grows infinitely sharp in it. A
    do-intervened target has ``Θ_jj ≈ 1 / v`` with ``v >= reg_covar``, inside the bound.
    """
    reg = np.asarray(reg_covar, dtype=np.float64)
    return np.where(reg > 0, 2.0 / np.maximum(reg, 1e-300), np.inf)


class _SParams(NamedTuple):
    """Parameters of an interventional mixture with ``K`` components (``K - 1`` interventional)."""

    weights: np.ndarray  # (K,)
    targets: np.ndarray  # (K - 1,) int, target node of components 1..K-1
    chol: np.ndarray  # (p, p) lower triangular L, Θ_0 = L Lᵀ
    h0: np.ndarray  # (p,)
    a: np.ndarray  # (K - 1, p)
    b: np.ndarray  # (K - 1,)
    m: np.ndarray  # (K - 1,) mean of x_j in component c
    v: np.ndarray  # (K - 1,) variance of x_j in component c


class _Natural(NamedTuple):
    """Gaussian parameters of every component, both forms."""

    precision: np.ndarray  # (K, p, p)
    h: np.ndarray  # (K, p)
    covariance: np.ndarray  # (K, p, p)
    mean: np.ndarray  # (K, p)
    log_det: np.ndarray  # (K,) log det precision


class _SResult(NamedTuple):
    params: _SParams
    log_likelihood: float
    n_iter: int
    converged: bool
    history: np.ndarray  # mean log-likelihood before each M-step


def n_parameters(k: int, p: int) -> int:
    """Free parameters of a ``k``-component interventional mixture in ``p`` variables."""
    return p + p * (p + 1) // 2 + (k - 1) * (p + 4)


@lru_cache(maxsize=64)
def _layout(targets: tuple[int, ...], p: int) -> tuple[np.ndarray, ...]:
    """Index arrays for given targets: permutations (row c: the other nodes, then the target),
    their inverses, component rows, and the lower triangle of a p x p matrix with its diagonal."""
    k1 = len(targets)
    t = np.array(targets, dtype=np.intp).reshape(k1, 1)
    order = np.broadcast_to(np.arange(p), (k1, p))
    perm = np.concatenate([order[order != t].reshape(k1, p - 1), t], axis=1)
    inv_perm = np.argsort(perm, axis=1)
    il = np.tril_indices(p)
    out = (perm, inv_perm, np.arange(k1)[:, None], il[0], il[1], il[0] == il[1])
    for arr in out:  # cached: shared by every caller
        arr.setflags(write=False)
    return out


def _natural(params: _SParams) -> _Natural | None:
    """Both parameter forms of every component; None when a conditional precision is not PD."""
    L = params.chol
    p = L.shape[0]
    k1 = params.targets.size
    theta0 = L @ L.T
    inv_l = np.linalg.inv(L)
    cov0 = inv_l.T @ inv_l
    precision = np.empty((k1 + 1, p, p))
    covariance = np.empty((k1 + 1, p, p))
    h = np.empty((k1 + 1, p))
    mean = np.empty((k1 + 1, p))
    log_det = np.empty(k1 + 1)
    precision[0], covariance[0], h[0] = theta0, cov0, params.h0
    mean[0] = cov0 @ params.h0
    log_det[0] = 2.0 * np.log(np.diag(L)).sum()
    if k1 == 0:
        return _Natural(precision, h, covariance, mean, log_det)
    a, m, v = params.a, params.m, params.v
    M = theta0 - a[:, :, None] * a[:, None, :]
    kvec = params.h0 + params.b[:, None] * a
    perm, inv_perm, rows = _layout(tuple(params.targets.tolist()), p)[:3]
    Mp = M[rows[:, :, None], perm[:, :, None], perm[:, None, :]]
    kp = kvec[rows, perm]
    P = Mp[:, :-1, :-1]
    try:
        chol_p = np.linalg.cholesky(P)
    except np.linalg.LinAlgError:
        return None
    diag = np.diagonal(chol_p, axis1=1, axis2=2)
    if not np.all(np.isfinite(diag)) or np.any(diag <= 0):
        return None
    p_inv = np.linalg.inv(P)
    m_rj = Mp[:, :-1, -1]
    w = np.einsum("kij,kj->ki", p_inv, m_rj)  # P⁻¹ M_Rj
    z = np.einsum("kij,kj->ki", p_inv, kp[:, :-1])  # P⁻¹ k_R
    sig = np.empty((k1, p, p))
    sig[:, :-1, :-1] = p_inv + v[:, None, None] * w[:, :, None] * w[:, None, :]
    sig[:, :-1, -1] = -w * v[:, None]
    sig[:, -1, :-1] = sig[:, :-1, -1]
    sig[:, -1, -1] = v
    mu = np.empty((k1, p))
    mu[:, :-1] = z - w * m[:, None]
    mu[:, -1] = m
    theta = Mp.copy()
    theta[:, -1, -1] = 1.0 / v + np.einsum("ki,ki->k", m_rj, w)
    hp = kp.copy()
    hp[:, -1] = m / v + np.einsum("ki,ki->k", m_rj, z)
    ix = (rows[:, :, None], inv_perm[:, :, None], inv_perm[:, None, :])
    precision[1:], covariance[1:] = theta[ix], sig[ix]
    h[1:], mean[1:] = hp[rows, inv_perm], mu[rows, inv_perm]
    log_det[1:] = 2.0 * np.log(diag).sum(axis=1) - np.log(v)
    return _Natural(precision, h, covariance, mean, log_det)


class _Stats(NamedTuple):
    n: np.ndarray  # (K,)
    first: np.ndarray  # (K, p)  sum r x
    second: np.ndarray  # (K, p, p)  sum r x xᵀ
    total: float


def _stats(data: Data, resp_t: np.ndarray) -> _Stats:
    n, first, second = data.moments(resp_t)
    return _Stats(n, first, second, float(n.sum()))


def _closed_form(params: _SParams, stats: _Stats, reg_covar: float | np.ndarray) -> _SParams:
    """Weights and the targets' marginals ``(m_c, v_c)``: exact maximisers given the rest
    (``v_c >= reg_covar``, per node when an array)."""
    k1 = params.targets.size
    idx = np.arange(k1)
    n = stats.n[1:]
    j = params.targets
    reg = np.broadcast_to(np.asarray(reg_covar, dtype=np.float64), (params.chol.shape[0],))[j]
    m = stats.first[1:][idx, j] / n
    v = stats.second[1:][idx, j, j] / n - m * m
    # a floor, not an added ridge: max(var, reg) maximises the marginal's likelihood subject to
    # v >= reg, so the M-step never decreases the expected log-likelihood
    return params._replace(weights=stats.n / stats.total, m=m, v=np.maximum(v, reg))


def _tril(p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return _layout((), p)[3:]


def _pack(params: _SParams) -> np.ndarray:
    L = params.chol
    il0, il1, diag = _tril(L.shape[0])
    lower = L[il0, il1]
    lower[diag] = np.log(np.diag(L))
    return np.concatenate([lower, params.h0, params.a.ravel(), params.b])


def _unpack(x: np.ndarray, params: _SParams) -> _SParams:
    p = params.chol.shape[0]
    k1 = params.targets.size
    il0, il1, diag = _tril(p)
    t = il0.size
    lower = x[:t].copy()
    lower[diag] = np.exp(np.clip(lower[diag], -_LOG_LIMIT, _LOG_LIMIT))
    L = np.zeros((p, p))
    L[il0, il1] = lower
    a = x[t + p : t + p + k1 * p].reshape(k1, p)
    return params._replace(chol=L, h0=x[t : t + p], a=a, b=x[t + p + k1 * p :])


def _objective(
    x: np.ndarray, params: _SParams, stats: _Stats, cap: float | np.ndarray = np.inf
) -> tuple[float, np.ndarray | None]:
    """Minus the profile expected complete-data log-likelihood per row, and its gradient."""
    cur = _unpack(x, params)
    with np.errstate(all="ignore"):
        nat = _natural(cur)
    if (
        nat is None
        or not np.all(np.isfinite(nat.covariance))
        or np.any(np.diagonal(nat.precision, axis1=1, axis2=2) > cap)
    ):
        return np.inf, None
    n, s1, S = stats.n, stats.first, stats.second
    value = (
        -0.5 * np.einsum("kij,kij->", nat.precision, S)
        + np.einsum("ki,ki->", nat.h, s1)
        + 0.5 * np.dot(n, nat.log_det - np.einsum("ki,ki->k", nat.h, nat.mean))
    )
    g_theta = 0.5 * (
        n[:, None, None] * (nat.covariance + nat.mean[:, :, None] * nat.mean[:, None, :]) - S
    )
    g_h = s1 - n[:, None] * nat.mean
    g_theta0 = g_theta.sum(axis=0)
    g_h0 = g_h.sum(axis=0)
    gi, ghi = g_theta[1:], g_h[1:]
    g_a = -2.0 * np.einsum("kij,kj->ki", gi, cur.a) + cur.b[:, None] * ghi
    g_b = np.einsum("ki,ki->k", cur.a, ghi)
    L = cur.chol
    g_l = 2.0 * g_theta0 @ L
    il0, il1, diag = _tril(L.shape[0])
    g_lower = g_l[il0, il1]
    g_lower[diag] *= np.diag(L)
    grad = np.concatenate([g_lower, g_h0, g_a.ravel(), g_b])
    if not (np.isfinite(value) and np.all(np.isfinite(grad))):
        return np.inf, None
    return -value / stats.total, -grad / stats.total


def _lbfgs(
    fun, x: np.ndarray, max_iter: int, history: tuple[list, list] | None = None, memory: int = 8
):
    """Minimise with L-BFGS and a backtracking Armijo search (infinite values are rejected).

    ``history`` (pairs of steps and gradient changes) is updated in place, so that successive
    M-steps of one EM run, whose objectives differ little, reuse the curvature estimate.
    """
    f, g = fun(x)
    if not np.isfinite(f):
        return x, f
    s_hist, y_hist = history if history is not None else ([], [])
    for _ in range(max_iter):
        q = g.copy()
        alphas = []
        for s, y in zip(reversed(s_hist), reversed(y_hist), strict=True):
            rho = 1.0 / (y @ s)
            alpha = rho * (s @ q)
            q -= alpha * y
            alphas.append((rho, alpha))
        if y_hist:
            q *= (s_hist[-1] @ y_hist[-1]) / (y_hist[-1] @ y_hist[-1])
        else:
            q *= min(1.0, 1.0 / max(np.linalg.norm(g), 1e-12))
        for (s, y), (rho, alpha) in zip(
            zip(s_hist, y_hist, strict=True), reversed(alphas), strict=True
        ):
            q += (alpha - rho * (y @ q)) * s
        d = -q
        slope = g @ d
        if slope >= 0:
            d, slope = -g, -(g @ g)
            s_hist.clear(), y_hist.clear()
        if -slope < 1e-14:
            break
        step = 1.0
        while True:
            x_new = x + step * d
            f_new, g_new = fun(x_new)
            if np.isfinite(f_new) and f_new <= f + 1e-4 * step * slope:
                break
            step *= 0.5
            if step < 1e-8:
                return x, f
        s, y = x_new - x, g_new - g
        if s @ y > 1e-12:
            s_hist.append(s), y_hist.append(y)
            if len(s_hist) > memory:
                s_hist.pop(0), y_hist.pop(0)
        converged = f - f_new < 1e-12
        x, f, g = x_new, f_new, g_new
        if converged:
            break
    return x, f


def _m_step(
    params: _SParams, stats: _Stats, reg_covar: float | np.ndarray, steps: int, history=None
) -> _SParams:
    params = _closed_form(params, stats, reg_covar)
    cap = _precision_cap(reg_covar)
    x, _ = _lbfgs(lambda z: _objective(z, params, stats, cap), _pack(params), steps, history)
    return _unpack(x, params)


def _weighted_log_prob_t(data: Data, params: _SParams) -> np.ndarray:
    """``log pi_c + log N(x_n; component c)``, component-major (K, N)."""
    nat = _natural(params)
    if nat is None:
        raise ValueError("interventional-mixture parameters are not positive definite")
    const = 0.5 * (nat.log_det - np.einsum("ki,ki->k", nat.h, nat.mean) - data.p * LOG_2PI)
    weighted = data.log_prob_natural_t(nat.precision, nat.h, const)
    weighted += np.log(params.weights)[:, None]
    return weighted


def _e_step_t(data: Data, params: _SParams) -> tuple[float, np.ndarray]:
    """Mean log-likelihood and responsibilities, component-major (K, N)."""
    log_norm, resp_t = normalise_t(_weighted_log_prob_t(data, params))
    return check_ll(log_norm), resp_t


def log_likelihood(data: Data, params: _SParams) -> float:
    """Mean per-row log-likelihood (no responsibilities formed)."""
    return check_ll(logsumexp_t(_weighted_log_prob_t(data, params)))


def run_gem(
    data: Data,
    params: _SParams,
    *,
    tol: float,
    reg_covar: float | np.ndarray,
    max_iter: int,
    steps: int = 10,
) -> _SResult:
    """Generalised EM from ``params``; stops when the mean log-likelihood changes by < ``tol``.

    ``reg_covar`` (scalar or per node) floors the targets' variances and sets the precision cap;
    ``steps`` bounds the L-BFGS iterations of each M-step.
    """
    previous = -np.inf
    converged = False
    n_iter = 0
    curvature: tuple[list, list] = ([], [])
    history = []
    hook = EM_ROUND_HOOK.get()
    for n_iter in range(1, max_iter + 1):  # noqa: B007
        if hook is not None:
            hook()
        ll, resp_t = _e_step_t(data, params)
        history.append(ll)
        params = _m_step(params, _stats(data, resp_t), reg_covar, steps, curvature)
        if abs(ll - previous) < tol:
            converged = True
            break
        previous = ll
    return _SResult(params, log_likelihood(data, params), n_iter, converged, np.asarray(history))


def _rank_two_fit(delta: np.ndarray, dh: np.ndarray) -> tuple[int, np.ndarray, float, float]:
    """Best target ``j`` and ``(a, b)`` with ``delta ≈ s² e_j e_jᵀ - a aᵀ``, ``dh ≈ g e_j + b a``.

    Off the ``(j, j)`` entry, ``delta`` must be ``-a aᵀ``: ``a_R`` comes from the most negative
    eigenpair of ``delta[R, R]``, ``a_j`` from the row ``delta[j, R] = -a_j a_R`` and ``b`` from
    ``dh[R] = b a_R``. Returns ``(j, a, b, residual)`` for the ``j`` with the smallest squared
    residual of these equations.
    """
    p = delta.shape[0]
    best = (0, np.zeros(p), 0.0, np.inf)
    for j in range(p):
        r = np.arange(p) != j
        block = delta[np.ix_(r, r)]
        vals, vecs = np.linalg.eigh(block)
        a = np.zeros(p)
        if vals[0] < 0:
            a[r] = np.sqrt(-vals[0]) * vecs[:, 0]
        norm2 = a @ a
        if norm2 > 0:
            a[j] = -(delta[j, r] @ a[r]) / norm2
        b = (dh[r] @ a[r]) / norm2 if norm2 > 0 else 0.0
        resid = (
            np.sum((block + np.outer(a[r], a[r])) ** 2)
            + 2 * np.sum((delta[j, r] + a[j] * a[r]) ** 2)
            + np.sum((dh[r] - b * a[r]) ** 2)
        )
        if resid < best[3]:
            best = (j, a, b, resid)
    return best


def from_gaussians(
    weights: np.ndarray, means: np.ndarray, covariances: np.ndarray, base: int
) -> tuple[_SParams, float]:
    """Interventional-mixture start from free Gaussians with ``base`` as the observational one.

    Each other component's target and ``(a, b)`` are read off its precision difference to the
    base (:func:`_rank_two_fit`); ``(m, v)`` are its mean and variance of the target. Returns the
    parameters (components reordered: base first; ``a`` shrunk where needed, :func:`_feasible`)
    and the summed squared residual of the rank-two fits (zero when the Gaussians are exactly an
    interventional mixture with this base).
    """
    precisions = np.linalg.inv(covariances)
    hs = np.einsum("kij,kj->ki", precisions, means)
    others = [c for c in range(weights.size) if c != base]
    fits = [_rank_two_fit(precisions[c] - precisions[base], hs[c] - hs[base]) for c in others]
    targets = np.array([f[0] for f in fits], dtype=np.intp)
    p = means.shape[1]
    a = np.array([f[1] for f in fits]).reshape(len(others), p)
    idx = np.array(others, dtype=np.intp)
    params = _SParams(
        weights=np.concatenate([[weights[base]], weights[idx]]),
        targets=targets,
        chol=np.linalg.cholesky(precisions[base]),
        h0=hs[base],
        a=a,
        b=np.array([f[2] for f in fits]),
        m=means[idx, targets],
        v=covariances[idx, targets, targets],
    )
    return _feasible(params), float(sum(f[3] for f in fits))


def _feasible(params: _SParams, margin: float = 0.98) -> _SParams:
    """Shrink each ``a_R`` so that ``Θ_0[R, R] - a_R a_Rᵀ`` is positive definite.

    That holds iff ``q = a_Rᵀ Θ_0[R, R]⁻¹ a_R < 1``; where ``q >= margin`` the vector is scaled
    by ``sqrt(margin / q)``. Starts read off noisy free covariances can violate it.
    """
    theta0 = params.chol @ params.chol.T
    a = params.a.copy()
    for c, j in enumerate(params.targets):
        r = np.arange(theta0.shape[0]) != j
        q = a[c, r] @ np.linalg.solve(theta0[np.ix_(r, r)], a[c, r])
        if q >= margin:
            a[c, r] *= np.sqrt(margin / q)
    return params._replace(a=a)


def grow_candidates(params: _SParams) -> list[_SParams]:
    """(k+1)-component starts: a new intervention on each node, in four variants each.

    The new component starts from the observational law with the target's marginal moved by one
    observational standard deviation either way, and with ``a = 0`` (the other nodes keep their
    observational conditional given the target: exact for a source node) or
    ``a = Θ_0[:, j] / sqrt(Θ_0[j, j])`` (the target's whole Markov blanket is cut: exact for a
    sink); EM then learns ``a``. It takes ``1 / (k + 1)`` of the weight from the others in
    proportion.
    """
    nat = _natural(params)
    p = params.chol.shape[0]
    k = params.weights.size
    mean0, cov0, theta0 = nat.mean[0], nat.covariance[0], nat.precision[0]
    weights = np.concatenate([params.weights * k / (k + 1), [1.0 / (k + 1)]])
    out = []
    for j in range(p):
        sd = np.sqrt(cov0[j, j])
        for a in (np.zeros(p), theta0[:, j] / np.sqrt(theta0[j, j])):
            for sign in (1.0, -1.0):
                out.append(
                    _feasible(
                        params._replace(
                            weights=weights,
                            targets=np.append(params.targets, j),
                            a=np.vstack([params.a, a]),
                            b=np.append(params.b, 0.0),
                            m=np.append(params.m, mean0[j] + sign * sd),
                            v=np.append(params.v, cov0[j, j]),
                        )
                    )
                )
    return out


def bic(data: Data, result: _SResult) -> float:
    """``-2 log L + d log N`` of an interventional-mixture fit on ``data`` (its frame)."""
    k = result.params.weights.size
    return float(-2.0 * data.n * result.log_likelihood + n_parameters(k, data.p) * np.log(data.n))


def _best_of(
    data: Data, starts: list[_SParams], settings: dict, screen_iter: int = 20
) -> _SResult | None:
    """Fit every start for ``screen_iter`` iterations, then the best one to convergence."""
    screened = []
    for start in starts:
        try:
            short = run_gem(data, start, **{**settings, "max_iter": screen_iter})
        except ValueError:  # a start that is not positive definite
            continue
        screened.append(short)
    if not screened:
        return None
    best = max(screened, key=lambda r: r.log_likelihood)
    if best.converged or screen_iter >= settings["max_iter"]:
        return best
    rest = run_gem(
        data, best.params, **{**settings, "max_iter": settings["max_iter"] - screen_iter}
    )
    return rest._replace(
        n_iter=best.n_iter + rest.n_iter, history=np.concatenate([best.history, rest.history])
    )


def converted_starts(
    ranking: Data, weights, means, covariances, n_bases: int = 2
) -> list[_SParams]:
    """Starts from a free-Gaussian fit: the ``n_bases`` bases whose start has the highest
    log-likelihood on the ``ranking`` rows (one E-step each)."""
    ranked = []
    for base in range(weights.size):
        params, _ = from_gaussians(weights, means, covariances, base)
        try:
            ranked.append((log_likelihood(ranking, params), base, params))
        except ValueError:
            continue
    ranked.sort(key=lambda item: (-item[0], item[1]))
    return [params for _, _, params in ranked[:n_bases]]


def fit_from_gaussians(
    data: Data, ranking: Data, weights, means, covariances, settings: dict
) -> _SResult | None:
    """Best interventional-mixture fit started from a free-Gaussian fit (:func:`converted_starts`);
    None when no start is positive definite."""
    return _best_of(data, converted_starts(ranking, weights, means, covariances), settings)


def _ranked_fit(
    data: Data,
    ranking: Data,
    candidates: list[_SParams],
    extra_starts: list[_SParams],
    settings: dict,
    n_candidates: int = 2,
    rank_iter: int = 8,
) -> _SResult | None:
    """Rank ``candidates`` by ``rank_iter`` GEM iterations on the ``ranking`` rows; fit the best
    ``n_candidates`` and ``extra_starts`` on ``data`` and return the best fit."""
    ranked = []
    for start in candidates:
        try:
            short = run_gem(
                ranking, start, tol=0.0, reg_covar=settings["reg_covar"], max_iter=rank_iter
            )
        except ValueError:
            continue
        ranked.append((short.log_likelihood, short.params))
    ranked.sort(key=lambda pair: -pair[0])
    starts = [params for _, params in ranked[:n_candidates]] + list(extra_starts)
    return _best_of(data, starts, settings)


def grow_fit(
    data: Data, ranking: Data, current: _SResult, extra_starts: list[_SParams], settings: dict
) -> _SResult | None:
    """Best (k+1)-component fit: ``current`` grown by one intervention (:func:`grow_candidates`,
    ranked on the ``ranking`` rows), or one of ``extra_starts``."""
    return _ranked_fit(data, ranking, grow_candidates(current.params), extra_starts, settings)


def prune_fit(data: Data, ranking: Data, current: _SResult, settings: dict) -> _SResult | None:
    """Best (k-1)-component fit reached by deleting one interventional component of ``current``.

    Growing adds one component at a time, so a k-fit can carry a component that a better
    (k-1)-fit does without; this is the check.
    """
    params = current.params
    candidates = []
    for c in range(params.targets.size):
        keep = np.arange(params.targets.size) != c
        weights = np.delete(params.weights, c + 1)
        candidates.append(
            params._replace(
                weights=weights / weights.sum(),
                targets=params.targets[keep],
                a=params.a[keep],
                b=params.b[keep],
                m=params.m[keep],
                v=params.v[keep],
            )
        )
    return _ranked_fit(data, ranking, candidates, [], settings)
