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
from causalmix.mixture._lbfgs import lbfgs

__all__ = [
    "Natural",
    "SParams",
    "SResult",
    "bic",
    "e_step_t",
    "log_likelihood",
    "n_parameters",
    "natural",
    "run_gem",
]

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


class SParams(NamedTuple):
    """Parameters of an interventional mixture with ``K`` components (``K - 1`` interventional)."""

    weights: np.ndarray  # (K,)
    targets: np.ndarray  # (K - 1,) int, target node of components 1..K-1
    chol: np.ndarray  # (p, p) lower triangular L, Θ_0 = L Lᵀ
    h0: np.ndarray  # (p,)
    a: np.ndarray  # (K - 1, p)
    b: np.ndarray  # (K - 1,)
    m: np.ndarray  # (K - 1,) mean of x_j in component c
    v: np.ndarray  # (K - 1,) variance of x_j in component c


class Natural(NamedTuple):
    """Gaussian parameters of every component, both forms."""

    precision: np.ndarray  # (K, p, p)
    h: np.ndarray  # (K, p)
    covariance: np.ndarray  # (K, p, p)
    mean: np.ndarray  # (K, p)
    log_det: np.ndarray  # (K,) log det precision


class SResult(NamedTuple):
    params: SParams
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


def natural(params: SParams) -> Natural | None:
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
        return Natural(precision, h, covariance, mean, log_det)
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
    return Natural(precision, h, covariance, mean, log_det)


class _Stats(NamedTuple):
    n: np.ndarray  # (K,)
    first: np.ndarray  # (K, p)  sum r x
    second: np.ndarray  # (K, p, p)  sum r x xᵀ
    total: float


def _stats(data: Data, resp_t: np.ndarray) -> _Stats:
    n, first, second = data.moments(resp_t)
    return _Stats(n, first, second, float(n.sum()))


def _closed_form(params: SParams, stats: _Stats, reg_covar: float | np.ndarray) -> SParams:
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


def _pack(params: SParams) -> np.ndarray:
    L = params.chol
    il0, il1, diag = _tril(L.shape[0])
    lower = L[il0, il1]
    lower[diag] = np.log(np.diag(L))
    return np.concatenate([lower, params.h0, params.a.ravel(), params.b])


def _unpack(x: np.ndarray, params: SParams) -> SParams:
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
    x: np.ndarray, params: SParams, stats: _Stats, cap: float | np.ndarray = np.inf
) -> tuple[float, np.ndarray | None]:
    """Minus the profile expected complete-data log-likelihood per row, and its gradient."""
    cur = _unpack(x, params)
    with np.errstate(all="ignore"):
        nat = natural(cur)
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


def _m_step(
    params: SParams, stats: _Stats, reg_covar: float | np.ndarray, steps: int, history=None
) -> SParams:
    params = _closed_form(params, stats, reg_covar)
    cap = _precision_cap(reg_covar)
    x, _ = lbfgs(lambda z: _objective(z, params, stats, cap), _pack(params), steps, history)
    return _unpack(x, params)


def _weighted_log_prob_t(data: Data, params: SParams) -> np.ndarray:
    """``log pi_c + log N(x_n; component c)``, component-major (K, N)."""
    nat = natural(params)
    if nat is None:
        raise ValueError("interventional-mixture parameters are not positive definite")
    const = 0.5 * (nat.log_det - np.einsum("ki,ki->k", nat.h, nat.mean) - data.p * LOG_2PI)
    weighted = data.log_prob_natural_t(nat.precision, nat.h, const)
    weighted += np.log(params.weights)[:, None]
    return weighted


def e_step_t(data: Data, params: SParams) -> tuple[float, np.ndarray]:
    """Mean log-likelihood and responsibilities, component-major (K, N)."""
    log_norm, resp_t = normalise_t(_weighted_log_prob_t(data, params))
    return check_ll(log_norm), resp_t


def log_likelihood(data: Data, params: SParams) -> float:
    """Mean per-row log-likelihood (no responsibilities formed)."""
    return check_ll(logsumexp_t(_weighted_log_prob_t(data, params)))


def run_gem(
    data: Data,
    params: SParams,
    *,
    tol: float,
    reg_covar: float | np.ndarray,
    max_iter: int,
    steps: int = 10,
) -> SResult:
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
        ll, resp_t = e_step_t(data, params)
        history.append(ll)
        params = _m_step(params, _stats(data, resp_t), reg_covar, steps, curvature)
        if abs(ll - previous) < tol:
            converged = True
            break
        previous = ll
    return SResult(params, log_likelihood(data, params), n_iter, converged, np.asarray(history))


def bic(data: Data, result: SResult) -> float:
    """``-2 log L + d log N`` of an interventional-mixture fit on ``data`` (its frame)."""
    k = result.params.weights.size
    return float(-2.0 * data.n * result.log_likelihood + n_parameters(k, data.p) * np.log(data.n))
