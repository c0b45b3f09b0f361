"""Shape of each mixture component: responsibility-weighted skewness and excess kurtosis (the
``gaussianity`` check of :mod:`causalmix.diagnostics`)."""

from __future__ import annotations

import numpy as np

__all__ = ["component_shape"]

# a row whose responsibility is below this adds nothing a skewness or kurtosis can show: its
# weight, times any deviation it can have at such a posterior, is far below rounding
NEGLIGIBLE = 1e-12


def component_shape(
    Z: np.ndarray, resp: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Responsibility-weighted skewness and excess kurtosis per component and variable.

    Parameters
    ----------
    Z : ndarray of shape (N, p)
    resp : ndarray of shape (N, K)
        Responsibilities (rows sum to one).

    Returns
    -------
    skewness, excess_kurtosis : ndarray of shape (K, p)
        ``m3 / m2^1.5`` and ``m4 / m2² - 3`` of the weighted central moments ``m_r``; NaN where a
        component's variable has no spread.
    variance : ndarray of shape (K, p)
        ``m2``.
    sizes : ndarray of shape (K,)
        Effective sizes ``Σ_i r_ik``.
    """
    resp_t = np.ascontiguousarray(resp.T)
    sizes = resp_t.sum(axis=1)
    K, p = resp.shape[1], Z.shape[1]
    skew, kurt, var = np.full((K, p), np.nan), np.full((K, p), np.nan), np.zeros((K, p))
    for k in range(K):
        if sizes[k] <= 0:
            continue
        # rows the component does not reach weigh nothing: a separated component's moments
        # then cost its own rows, not all N (the fit's diagnostics, issue #14)
        rows = np.flatnonzero(resp_t[k] > NEGLIGIBLE)
        w, z = resp_t[k, rows] / sizes[k], Z[rows]
        d = z - w @ z
        d2 = d * d
        m2 = var[k] = w @ d2
        ok = m2 > 0
        skew[k, ok] = (w @ (d2 * d))[ok] / m2[ok] ** 1.5
        kurt[k, ok] = (w @ (d2 * d2))[ok] / m2[ok] ** 2 - 3.0
    return skew, kurt, var, sizes
