"""The fitted mixture and its EM state: :class:`GaussianMixtureFit`, the starts, the conversions.

Shared by :mod:`causalmix.mixture.em` (which re-exports :class:`GaussianMixtureFit`),
:mod:`~causalmix.mixture.selection` and :mod:`~causalmix.mixture.large`; the EM maths on
:class:`~causalmix.mixture._gaussian.Params` is in :mod:`causalmix.mixture._gaussian`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans, kmeans_plusplus

from causalmix._frozen import freeze_arrays
from causalmix._validation import check_data_matrix
from causalmix.mixture._gaussian import (
    EMResult,
    Params,
    compute_precision_cholesky,
    estimate_gaussian_parameters,
    estimate_log_gaussian_prob,
    normalise_log,
)

__all__ = ["GaussianMixtureFit", "centred_params", "initial_params", "to_fit"]


@dataclass(frozen=True, eq=False)
class GaussianMixtureFit:
    """A fitted full-covariance Gaussian mixture (immutable).

    Attributes
    ----------
    weights : ndarray of shape (K,)
        Mixing proportions, summing to one.
    means : ndarray of shape (K, p)
    covariances : ndarray of shape (K, p, p)
        Include ``reg_covar`` on the diagonal.
    precisions_cholesky : ndarray of shape (K, p, p)
        Upper-triangular ``U_c`` with ``U_c U_cᵀ = Sigma_c⁻¹`` (scikit-learn's convention).
    log_likelihood : float
        Mean per-sample log-likelihood of these parameters on the training rows.
    n_samples : int
        Number of training rows.
    n_iter : int
        EM iterations of the retained initialisation.
    converged : bool
        Whether the retained initialisation reached ``tol`` within ``max_iter``.
    reg_covar : float
        Regularisation that was added to every covariance diagonal.
    history : ndarray of shape (n_iter,)
        Mean log-likelihood before each M-step. Non-decreasing up to rounding with
        ``reg_covar=0`` (EM's ascent property, Dempster, Laird & Rubin 1977); ``reg_covar > 0`` can cause dips of the
        order of ``reg_covar``.
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    precisions_cholesky: np.ndarray
    log_likelihood: float
    n_samples: int
    n_iter: int
    converged: bool
    reg_covar: float
    history: np.ndarray

    def __post_init__(self) -> None:
        names = ("weights", "means", "covariances", "precisions_cholesky", "history")
        freeze_arrays(self, names, np.float64)

    @classmethod
    def from_parameters(
        cls,
        weights: object,
        means: object,
        covariances: object,
        *,
        reg_covar: float = 0.0,
        n_samples: int = 0,
        log_likelihood: float = float("nan"),
    ) -> GaussianMixtureFit:
        """A mixture given by its parameters, not fitted here (an EM start, a moment-matched
        or a known mixture): the precision factors are computed, the EM state is empty.

        Raises
        ------
        ValueError
            If some covariance is not positive definite.
        """
        covariances = np.asarray(covariances, dtype=np.float64)
        return cls(
            weights=np.asarray(weights, dtype=np.float64),
            means=np.asarray(means, dtype=np.float64),
            covariances=covariances,
            precisions_cholesky=compute_precision_cholesky(covariances),
            log_likelihood=float(log_likelihood),
            n_samples=int(n_samples),
            n_iter=0,
            converged=False,
            reg_covar=float(reg_covar),
            history=np.zeros(0),
        )

    @property
    def n_components(self) -> int:
        """Number of components ``K``."""
        return int(self.weights.shape[0])

    @property
    def n_features(self) -> int:
        """Number of variables ``p``."""
        return int(self.means.shape[1])

    @property
    def n_parameters(self) -> int:
        """Free parameters: ``(K - 1) + K p + K p (p + 1) / 2``."""
        k, p = self.n_components, self.n_features
        return (k - 1) + k * p + k * p * (p + 1) // 2

    def _check_X(self, X: object) -> np.ndarray:
        X = check_data_matrix(X)
        if X.shape[1] != self.n_features:
            raise ValueError(
                f"X must have {self.n_features} columns like the training data, got {X.shape[1]}"
            )
        return X

    def _log_resp(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        weighted = estimate_log_gaussian_prob(X, self.means, self.precisions_cholesky)
        weighted += np.log(self.weights)
        return normalise_log(weighted)

    def score_samples(self, X: object) -> np.ndarray:
        """Log-density ``log p(x_i)`` of each row, shape (N,)."""
        return self._log_resp(self._check_X(X))[0]

    def score(self, X: object) -> float:
        """Mean per-sample log-likelihood of ``X``."""
        return float(self.score_samples(X).mean())

    def predict_proba(self, X: object) -> np.ndarray:
        """Posterior component probabilities (responsibilities), shape (N, K), rows sum to one."""
        return np.exp(self._log_resp(self._check_X(X))[1])

    def predict(self, X: object) -> np.ndarray:
        """Most probable component of each row, shape (N,)."""
        return np.argmax(self._log_resp(self._check_X(X))[1], axis=1)

    def bic(self, X: object | None = None) -> float:
        """Bayesian information criterion ``-2 log L + d log N`` (lower is better).

        With ``X=None`` the training log-likelihood and size are used.
        """
        if X is None:
            n, ll = self.n_samples, self.log_likelihood
        else:
            X = self._check_X(X)
            n, ll = X.shape[0], self.score(X)
        return float(-2.0 * n * ll + self.n_parameters * np.log(n))


def initial_params(
    Xc: np.ndarray,
    n_components: int,
    init: str | GaussianMixtureFit | np.ndarray,
    center: np.ndarray,
    reg_covar: float,
    rng: np.random.Generator,
) -> Params:
    """Starting parameters on centred data ``Xc = X - center``."""
    n = Xc.shape[0]
    if isinstance(init, GaussianMixtureFit):
        covs = np.array(init.covariances)
        return Params(
            np.array(init.weights), init.means - center, covs, compute_precision_cholesky(covs)
        )
    if isinstance(init, np.ndarray):
        pooled = np.cov(Xc, rowvar=False, bias=True).reshape(Xc.shape[1], Xc.shape[1])
        pooled = pooled + reg_covar * np.eye(Xc.shape[1])
        covs = np.repeat(pooled[None], n_components, axis=0)
        weights = np.full(n_components, 1.0 / n_components)
        return Params(weights, init - center, covs, compute_precision_cholesky(covs))
    seed = int(rng.integers(2**31 - 1))
    resp = np.zeros((n, n_components))
    if init == "kmeans":
        labels = KMeans(n_clusters=n_components, n_init=1, random_state=seed).fit(Xc).labels_
        resp[np.arange(n), labels] = 1.0
    else:
        if init == "k-means++":
            _, idx = kmeans_plusplus(Xc, n_components, random_state=seed)
        else:
            idx = np.random.default_rng(seed).choice(n, size=n_components, replace=False)
        resp[idx, np.arange(n_components)] = 1.0
    nk, means, covs = estimate_gaussian_parameters(Xc, resp, reg_covar)
    return Params(nk / n, means, covs, compute_precision_cholesky(covs))


def to_fit(
    result: EMResult, center: np.ndarray, n_samples: int, reg_covar: float
) -> GaussianMixtureFit:
    p = result.params
    return GaussianMixtureFit(
        weights=p.weights,
        means=p.means + center,
        covariances=p.covariances,
        precisions_cholesky=p.precisions_cholesky,
        log_likelihood=result.log_likelihood,
        n_samples=n_samples,
        n_iter=result.n_iter,
        converged=result.converged,
        reg_covar=reg_covar,
        history=result.history,
    )


def centred_params(fit: GaussianMixtureFit, center: np.ndarray) -> Params:
    """The parameters of ``fit`` (copies) with means relative to ``center``."""
    return Params(
        np.array(fit.weights),
        fit.means - center,
        np.array(fit.covariances),
        np.array(fit.precisions_cholesky),
    )
