"""Pure maths of full-covariance Gaussian-mixture EM (each function unit-tested).

The iteration is scikit-learn's ``GaussianMixture(covariance_type="full")``: the M-step floors
``n_c`` by ``10 eps`` and adds ``reg_covar`` to every diagonal; convergence is an absolute change of
the mean log-likelihood below ``tol``. Data are centred by the caller; means live in that frame.
Public entry points are in :mod:`causalmix.mixture.em`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.linalg import lapack

_LOG_2PI = float(np.log(2.0 * np.pi))
_EPS = 10.0 * np.finfo(np.float64).eps  # scikit-learn's floor on n_c
_MOMENT_BUDGET = 2**23  # floats (64 MB) of stored outer products before chunking
_MOMENT_CHUNK = 2048


class _Params(NamedTuple):
    """Parameters during EM; means are relative to the centring vector of the data."""

    weights: np.ndarray  # (K,)
    means: np.ndarray  # (K, p)
    covariances: np.ndarray  # (K, p, p)
    precisions_cholesky: np.ndarray  # (K, p, p), upper triangular U with U Uᵀ = Sigma⁻¹


class _EMResult(NamedTuple):
    params: _Params
    log_likelihood: float
    n_iter: int
    converged: bool
    history: np.ndarray


def _normalise_log(weighted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise log-sum-exp of ``log pi_c + log N_c(x)``; returns (log p(x), log responsibilities)."""
    top = weighted.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(weighted - top).sum(axis=1)) + top[:, 0]
    return log_norm, weighted - log_norm[:, None]


def _estimate_log_gaussian_prob(
    X: np.ndarray, means: np.ndarray, precisions_cholesky: np.ndarray
) -> np.ndarray:
    """``log N(x_i; mu_c, Sigma_c)``, shape (N, K), in one batched matrix product.

    With ``U_c`` the upper Cholesky factor of the precision, ``(x - mu)ᵀ Sigma⁻¹ (x - mu) =
    ||(x - mu) U_c||²`` and ``log det Sigma_c⁻¹ = 2 sum log diag U_c``.
    """
    n, p = X.shape
    k = means.shape[0]
    stacked = precisions_cholesky.transpose(1, 0, 2).reshape(p, k * p)  # [U_1 | ... | U_K]
    y = X @ stacked
    y -= np.einsum("ki,kij->kj", means, precisions_cholesky).reshape(k * p)
    y = y.reshape(n, k, p)
    sq = np.einsum("nkj,nkj->nk", y, y)
    log_det = np.log(np.diagonal(precisions_cholesky, axis1=1, axis2=2)).sum(axis=1)
    return -0.5 * (p * _LOG_2PI + sq) + log_det


class _Moments:
    """Row-wise outer products ``x_i x_iᵀ`` (upper triangle) of centred data, for fast M-steps.

    ``sum_i r_ic x_i x_iᵀ`` for all ``c`` is then one ``(K, N) @ (N, p(p+1)/2)`` product. The
    products are stored when they fit in ``_MOMENT_BUDGET`` floats and recomputed chunk by chunk
    otherwise.
    """

    def __init__(self, X: np.ndarray) -> None:
        self.X = X
        self.p = X.shape[1]
        self.iu, self.ju = np.triu_indices(self.p)
        n_terms = X.shape[0] * self.iu.size
        self.stored = X[:, self.iu] * X[:, self.ju] if n_terms <= _MOMENT_BUDGET else None

    def weighted(self, resp: np.ndarray) -> np.ndarray:
        """``sum_i r_ic x_i x_iᵀ``, shape (K, p, p)."""
        if self.stored is not None:
            tri = resp.T @ self.stored
        else:
            tri = np.zeros((resp.shape[1], self.iu.size))
            for start in range(0, self.X.shape[0], _MOMENT_CHUNK):
                xs = self.X[start : start + _MOMENT_CHUNK]
                tri += resp[start : start + _MOMENT_CHUNK].T @ (xs[:, self.iu] * xs[:, self.ju])
        out = np.empty((resp.shape[1], self.p, self.p))
        out[:, self.iu, self.ju] = tri
        out[:, self.ju, self.iu] = tri
        return out


def _estimate_gaussian_parameters(
    X: np.ndarray, resp: np.ndarray, reg_covar: float, moments: _Moments | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """M-step: (unnormalised weights ``n_c``, means, covariances) from responsibilities.

    ``Sigma_c = sum_i r_ic x_i x_iᵀ / n_c - mu_c mu_cᵀ + reg_covar I`` on centred data. The
    rounding error of this form is about ``eps |mu_c|²``, far below ``reg_covar`` once the data
    are centred (the mixture means are then of the order of the data's spread).
    """
    nk = resp.sum(axis=0) + _EPS
    means = (resp.T @ X) / nk[:, None]
    if moments is None:
        moments = _Moments(X)
    covariances = moments.weighted(resp) / nk[:, None, None]
    covariances -= means[:, :, None] * means[:, None, :]
    p = X.shape[1]
    covariances.reshape(-1, p * p)[:, :: p + 1] += reg_covar
    return nk, means, covariances


def _compute_precision_cholesky(covariances: np.ndarray) -> np.ndarray:
    """Upper Cholesky factors of the precisions.

    Raises
    ------
    ValueError
        If some covariance is not positive definite, with advice.
    """
    out = np.empty_like(covariances)
    for c, covariance in enumerate(covariances):
        chol, info = lapack.dpotrf(covariance, lower=1, clean=1)
        if info == 0:
            inv_chol, info = lapack.dtrtri(chol, lower=1)
        if info != 0 or not np.all(np.isfinite(chol)):
            raise ValueError(
                f"the covariance of mixture component {c} is not positive definite (collapsed "
                "or duplicated rows, or a near-deterministic variable); increase reg_covar, use "
                "fewer components, or rescale the data"
            )
        out[c] = inv_chol.T
    return out


def _params_from_resp(
    X: np.ndarray, resp: np.ndarray, reg_covar: float, moments: _Moments | None = None
) -> _Params:
    nk, means, covariances = _estimate_gaussian_parameters(X, resp, reg_covar, moments)
    return _Params(nk / nk.sum(), means, covariances, _compute_precision_cholesky(covariances))


def _e_step(X: np.ndarray, params: _Params) -> tuple[float, np.ndarray]:
    """Mean log-likelihood and log-responsibilities, shape (N, K)."""
    weighted = _estimate_log_gaussian_prob(X, params.means, params.precisions_cholesky)
    weighted += np.log(params.weights)
    log_norm, log_resp = _normalise_log(weighted)
    ll = float(log_norm.mean())
    if not np.isfinite(ll):
        raise ValueError(
            "the mixture log-likelihood is not finite (a component collapsed onto a point); "
            "increase reg_covar or use fewer components"
        )
    return ll, log_resp


def _run_em(
    X: np.ndarray, params: _Params, *, tol: float, reg_covar: float, max_iter: int
) -> _EMResult:
    """EM iterations from ``params`` on centred data, scikit-learn's convergence rule.

    Iteration ``n`` evaluates ``l(theta_{n-1})`` in the E-step and computes ``theta_n``; it stops
    when ``|l(theta_{n-1}) - l(theta_{n-2})| < tol``. A final E-step gives ``l`` of the returned
    ``theta``.
    """
    moments = _Moments(X)
    history = []
    previous = -np.inf
    converged = False
    for _ in range(max_iter):
        ll, log_resp = _e_step(X, params)
        params = _params_from_resp(X, np.exp(log_resp), reg_covar, moments)
        history.append(ll)
        if abs(ll - previous) < tol:
            converged = True
            break
        previous = ll
    final_ll, _ = _e_step(X, params)
    return _EMResult(params, final_ll, len(history), converged, np.asarray(history))
