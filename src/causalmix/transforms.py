"""Per-column transforms that bring non-Gaussian data closer to the method's Gaussian model.

``causalmix fit --transform {none,log,rank}`` applies one of these to every column before fitting
(see ``docs/user_guide.md``, "Transforms"):

- ``log``: the natural logarithm (positive data only): right-skewed measurements such as
  concentrations or intensities, whose spread grows with their level;
- ``rank``: the nonparanormal / Gaussian-copula transform of Liu, Lafferty & Wasserman [1]_:
  each value is replaced by the standard normal quantile of its rank, ``Φ⁻¹(r / (N + 1))``
  (ties get their average rank). Every column becomes exactly normal in distribution over all
  rows; relationships that are monotone in the original units stay monotone.

The rank transform makes the *pooled* column Gaussian, not each component; it removes skewness
and outliers, which otherwise make the mixture split one cluster into several. Note that it
changes the meaning of parameters: means and covariances are then in normal-score units.

References
----------
.. [1] H. Liu, J. Lafferty and L. Wasserman. The nonparanormal: semiparametric estimation of high
   dimensional undirected graphs. JMLR 10, 2009.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri
from scipy.stats import rankdata

__all__ = ["TRANSFORMS", "apply_transform", "log_transform", "rank_transform"]

TRANSFORMS = ("none", "log", "rank")


def rank_transform(X: object) -> np.ndarray:
    """Normal scores of the column ranks: ``Φ⁻¹(rank / (N + 1))``, ties averaged.

    Parameters
    ----------
    X : array-like of shape (N, p)
        Finite values.

    Returns
    -------
    ndarray of shape (N, p)
        Each column symmetric about 0; a column's order (and its ties) are kept.

    Raises
    ------
    ValueError
        If ``X`` is not a finite 2-D array.
    """
    X = _check(X)
    ranks = rankdata(X, method="average", axis=0)
    return ndtri(ranks / (X.shape[0] + 1.0))


def log_transform(X: object) -> np.ndarray:
    """Natural logarithm of every value.

    Raises
    ------
    ValueError
        If ``X`` is not a finite 2-D array or has a value <= 0 (naming the column index).
    """
    X = _check(X)
    bad = np.flatnonzero((X <= 0).any(axis=0))
    if bad.size:
        raise ValueError(
            f"the log transform needs positive values; column {int(bad[0])} has values <= 0 "
            "(use transform 'rank' instead, or shift the column)"
        )
    return np.log(X)


def apply_transform(X: object, transform: str) -> np.ndarray:
    """``X`` transformed by name: ``"none"`` (a float copy), ``"log"`` or ``"rank"``.

    Raises
    ------
    ValueError
        For an unknown name, or as :func:`log_transform` / :func:`rank_transform`.
    """
    if transform not in TRANSFORMS:
        raise ValueError(f"transform must be one of {TRANSFORMS}, got {transform!r}")
    if transform == "log":
        return log_transform(X)
    if transform == "rank":
        return rank_transform(X)
    return _check(X).copy()


def _check(X: object) -> np.ndarray:
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("X must be a 2-D array of numbers") from None
    if arr.ndim != 2 or not np.all(np.isfinite(arr)):
        raise ValueError(f"X must be a finite 2-D array, got shape {arr.shape}")
    return arr
