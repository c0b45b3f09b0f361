"""Full-covariance Gaussian-mixture EM with warm starts.

The model is ``p(x) = sum_c pi_c N(x; mu_c, Sigma_c)``. The iteration is the
one of scikit-learn's :class:`~sklearn.mixture.GaussianMixture` with ``covariance_type="full"``:
same M-step (``n_c`` floored by ``10 eps``, ``reg_covar`` added to every diagonal), same
convergence rule (absolute change of the mean log-likelihood below ``tol``), same k-means
initialisation. Started from the same parameters both give the same iterates up to rounding.

What this module adds over scikit-learn, and why it exists:

- warm starts from any :class:`GaussianMixtureFit` (used to split a k-component fit into a
  (k+1)-component start, and to refine a fit made on a subsample with a few full-data iterations);
  model selection in :mod:`causalmix.mixture.selection` spends most of its time here;
- both EM steps as one matrix product each over per-row features ``(x_i x_j, x, 1)`` stored once
  per data set (the E-step's log-densities and the M-step's weighted moments), component-major
  log-domain responsibilities; the maths lives in :mod:`causalmix.mixture._gaussian`, and its
  speed is measured by ``benchmarks/mixture_selection.py`` (section 3);
- an immutable result, :class:`GaussianMixtureFit`, whose reported ``log_likelihood`` is that of
  the returned parameters (scikit-learn's ``lower_bound_`` belongs to the previous iterate).

References
----------
.. [1] A. Kumar, K. Shiragur and C. Uhler. Learning mixtures of unknown causal interventions.
   NeurIPS 2024, arXiv:2411.00213.
.. [2] A. P. Dempster, N. M. Laird and D. B. Rubin. Maximum likelihood from incomplete data via
   the EM algorithm. JRSS-B 39(1), 1977.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from causalmix._validation import (
    check_data_matrix,
    check_positive_int,
    check_random_state,
    check_real,
)
from causalmix.mixture._em_loop import run_em
from causalmix.mixture._fit import GaussianMixtureFit, initial_params, to_fit
from causalmix.mixture._gaussian import EMResult

__all__ = ["GaussianMixtureFit", "fit_mixture"]

logger = logging.getLogger(__name__)

_INITS = ("kmeans", "k-means++", "random_from_data")


def fit_mixture(
    X: object,
    n_components: int | None = None,
    *,
    init: str | GaussianMixtureFit | np.ndarray = "kmeans",
    n_init: int = 1,
    tol: float = 1e-3,
    reg_covar: float = 1e-6,
    max_iter: int = 100,
    random_state: int | np.random.Generator | None = None,
) -> GaussianMixtureFit:
    """Fit a full-covariance Gaussian mixture with EM.

    Parameters
    ----------
    X : array-like of shape (N, p)
        Data; not modified.
    n_components : int, optional
        ``K``. May be omitted when ``init`` is a fit or an array of means (``K`` is then taken
        from it).
    init : {"kmeans", "k-means++", "random_from_data"}, GaussianMixtureFit or ndarray, default "kmeans"
        Starting point. ``"kmeans"``: responsibilities from one scikit-learn ``KMeans`` run
        (``n_init=1``), as in scikit-learn's default. ``"k-means++"``: ``K`` rows picked by
        k-means++ seeding. ``"random_from_data"``: ``K`` distinct random rows. A
        :class:`GaussianMixtureFit` warm-starts from its parameters; an array of shape ``(K, p)``
        gives the initial means (equal weights, pooled covariance).
    n_init : int, default 1
        Number of initialisations; the one with the highest final log-likelihood is kept. Must be
        1 for a warm start or given means.
    tol : float, default 1e-3
        Convergence threshold on the change of the mean log-likelihood between iterations.
    reg_covar : float, default 1e-6
        Added to every covariance diagonal; keeps do-interventions (near-zero variance) finite.
    max_iter : int, default 100
        EM iterations per initialisation (0 returns the initial parameters).
    random_state : int, numpy.random.Generator or None
        Seeds the initialisations; scikit-learn receives integers drawn from it.

    Returns
    -------
    GaussianMixtureFit

    Raises
    ------
    ValueError
        On bad arguments, fewer rows than components, or when a covariance is not positive
        definite ("increase reg_covar").
    TypeError
        If ``init`` is of an unsupported kind.

    Warns
    -----
    ConvergenceWarning
        If the retained initialisation did not converge within ``max_iter``.
    """
    X = check_data_matrix(X)
    rng = check_random_state(random_state)
    n_init = check_positive_int(n_init, "n_init")
    tol = check_real(tol, "tol", low=0.0)
    reg_covar = check_real(reg_covar, "reg_covar", low=0.0)
    max_iter = check_positive_int(max_iter, "max_iter", minimum=0)
    n_components = _check_n_components(n_components, init, X)
    if not isinstance(init, str) and n_init != 1:
        raise ValueError(f"n_init must be 1 with a given init (warm start), got {n_init}")

    center = X.mean(axis=0)
    Xc = X - center
    best: EMResult | None = None
    for _ in range(n_init):
        start = initial_params(Xc, n_components, init, center, reg_covar, rng)
        result = run_em(Xc, start, tol=tol, reg_covar=reg_covar, max_iter=max_iter)
        if best is None or result.log_likelihood > best.log_likelihood:
            best = result
    if not best.converged and max_iter > 0:
        warnings.warn(
            f"EM with {n_components} components did not converge in max_iter={max_iter} "
            f"iterations (last change above tol={tol:g}); increase max_iter or tol, or try other "
            "initialisations",
            ConvergenceWarning,
            stacklevel=2,
        )
    return to_fit(best, center, X.shape[0], reg_covar)


def _check_n_components(n_components: object, init: object, X: np.ndarray) -> int:
    if isinstance(init, GaussianMixtureFit):
        given = init.n_components
        if init.n_features != X.shape[1]:
            raise ValueError(f"init has {init.n_features} features but X has {X.shape[1]} columns")
    elif isinstance(init, np.ndarray):
        if init.ndim != 2 or init.shape[1] != X.shape[1] or not np.all(np.isfinite(init)):
            raise ValueError(
                f"init means must be a finite array of shape (n_components, {X.shape[1]}), "
                f"got shape {init.shape}"
            )
        given = init.shape[0]
    elif isinstance(init, str):
        if init not in _INITS:
            raise ValueError(
                f"init must be one of {_INITS}, a GaussianMixtureFit or means, got {init!r}"
            )
        given = None
    else:
        raise TypeError(
            "init must be a string, a GaussianMixtureFit or an array of means, "
            f"got {type(init).__name__}"
        )
    if n_components is None:
        if given is None:
            raise ValueError("n_components is required unless init is a fit or an array of means")
        n_components = given
    n_components = check_positive_int(n_components, "n_components")
    if given is not None and given != n_components:
        raise ValueError(f"n_components={n_components} disagrees with init ({given} components)")
    if n_components > X.shape[0]:
        raise ValueError(
            f"n_components={n_components} must not exceed the number of rows, {X.shape[0]}"
        )
    return n_components
