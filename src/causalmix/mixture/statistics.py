"""From a fitted mixture to the per-component statistics that UT-IGSP consumes.

Two ways:

- :func:`component_statistics` (default of the pipeline): responsibility-weighted means and Grams
  of the observed rows, with effective sizes ``n_c = sum_i r_ic``; no resampling noise.
- :func:`resampled_statistics` (the paper's procedure, for reproduction): draw fresh rows from
  every fitted ``N(mu_c, Sigma_c)`` and treat them as labelled data.

References
----------
.. [1] A. Kumar, K. Shiragur and C. Uhler. Learning mixtures of unknown causal interventions.
   NeurIPS 2024, arXiv:2411.00213.
"""

from __future__ import annotations

import numpy as np

from causalmix._validation import check_positive_int, check_random_state
from causalmix.mixture.em import GaussianMixtureFit
from causalmix.stats.suffstats import SufficientStatistics

__all__ = ["component_statistics", "resampled_statistics"]


def component_statistics(
    X: object,
    mixture: GaussianMixtureFit,
    center: np.ndarray | None = None,
    responsibilities: np.ndarray | None = None,
) -> SufficientStatistics:
    """Responsibility-weighted sufficient statistics of every mixture component.

    Parameters
    ----------
    X : array-like of shape (N, p)
        The rows the mixture describes (usually its training data); not modified.
    mixture : GaussianMixtureFit
    center : ndarray of shape (p,), optional
        Common centring vector of the Grams; defaults to the mean of ``X``.
    responsibilities : ndarray of shape (N, K), optional
        ``mixture.predict_proba(X)`` when the caller already has it (saves an E-step).

    Returns
    -------
    SufficientStatistics
        ``K`` components in the mixture's order; ``n[c] = sum_i r_ic``.

    Raises
    ------
    TypeError
        If ``mixture`` is not a :class:`GaussianMixtureFit`.
    ValueError
        If ``X`` does not have the mixture's number of columns, or some component receives no
        weight at all.
    """
    if not isinstance(mixture, GaussianMixtureFit):
        raise TypeError(f"mixture must be a GaussianMixtureFit, got {type(mixture).__name__}")
    if responsibilities is None:
        responsibilities = mixture.predict_proba(X)
    elif np.shape(responsibilities) != (np.shape(X)[0], mixture.n_components):
        raise ValueError(
            f"responsibilities must have shape (N, K) = ({np.shape(X)[0]}, "
            f"{mixture.n_components}), got {np.shape(responsibilities)}"
        )
    return SufficientStatistics.from_responsibilities(X, responsibilities, center=center)


def resampled_statistics(
    mixture: GaussianMixtureFit,
    n_per_component: int,
    random_state: int | np.random.Generator | None = None,
) -> SufficientStatistics:
    """Statistics of fresh samples drawn from each fitted Gaussian (the paper's procedure).

    Parameters
    ----------
    mixture : GaussianMixtureFit
    n_per_component : int
        Rows drawn from every component; the paper uses ``floor(N / K̂)``.
    random_state : int, numpy.random.Generator or None

    Returns
    -------
    SufficientStatistics
        ``n[c] = n_per_component`` for every component.

    Raises
    ------
    TypeError
        If ``mixture`` is not a :class:`GaussianMixtureFit`.
    ValueError
        If ``n_per_component < 2``.

    Notes
    -----
    The covariances sampled from include ``reg_covar``, as in the reference code (which samples
    from scikit-learn's fitted ``covariances_``).
    """
    if not isinstance(mixture, GaussianMixtureFit):
        raise TypeError(f"mixture must be a GaussianMixtureFit, got {type(mixture).__name__}")
    n_per_component = check_positive_int(n_per_component, "n_per_component", minimum=2)
    rng = check_random_state(random_state)
    datasets = []
    for mean, prec_chol in zip(mixture.means, mixture.precisions_cholesky, strict=True):
        # precision = U Uᵀ (U upper triangular), so x = mu + U⁻ᵀ z has covariance
        # U⁻ᵀ U⁻¹ = (U Uᵀ)⁻¹ = Sigma
        z = rng.standard_normal((n_per_component, mean.size))
        datasets.append(mean + np.linalg.solve(prec_chol.T, z.T).T)
    return SufficientStatistics.from_datasets(datasets)
