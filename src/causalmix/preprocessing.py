"""Robust per-column standardisation, so that every fit is independent of the data's units.

:class:`MixtureUTIGSP <causalmix.MixtureUTIGSP>` fits its mixture and its CI / invariance tests on
``z = (x - location) / scale`` computed column by column with :func:`robust_scaler`, and reports
means, covariances and scores back in the data's units. Every step downstream is equivariant to
that transformation, so ``fit(X · D + c)`` and ``fit(X)`` make the same decisions for any positive
diagonal ``D`` (up to rounding), and ``reg_covar`` is relative to each column's scale.

The scale of a column
---------------------
``scale = max(IQR / 1.349, (q99 - q01) / (100 · 4.653))``, the root-mean-square deviation from the
median where that is 0, and the column is constant only where all its values are equal.

- ``IQR / 1.349`` is the standard deviation of a Gaussian column, and unlike the standard deviation
  it is not inflated by a few huge values (concentrations with a long right tail, outliers).
- A do-intervention makes a column (nearly) constant in the rows of its component. When that
  component holds the middle half of a column's values, the IQR is the width of the spike
  (1e-5 of the column's spread, or exactly 0), and ``reg_covar``, being relative to the scale,
  would no longer regularise anything. The second term, a hundredth of the 1 %–99 % range in the
  same units, is a floor that only binds then: for a Gaussian column it is 1/100 of the IQR-based
  scale, for a Cauchy one 1/16.
- Both terms are 0 only when 98 % of the values are equal; the root-mean-square deviation from the
  median (computed on the deviations divided by the largest one, so that neither 1e-300 nor 1e300
  under- or overflows) is then the scale.

Everything is computed from order statistics and differences of the data, never from squares of
the raw values, so columns whose units are 1e-300 or 1e300 are handled like any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from causalmix._frozen import freeze_arrays

__all__ = ["ColumnScaler", "ScaledRows", "robust_scaler"]

_IQR_TO_SD = 1.3489795003921634  # IQR of the standard normal distribution
_RANGE_TO_SD = 4.6526957480816815  # q99 - q01 of the standard normal distribution
_SPIKE_FLOOR = 100.0  # the 1 %-99 % range term of the scale is divided by this (see above)


@dataclass(frozen=True, eq=False)
class ColumnScaler:
    """Per-column location and scale (immutable); ``z = (x - location) / scale``.

    Attributes
    ----------
    location : ndarray of shape (p,)
        Column medians.
    scale : ndarray of shape (p,)
        Positive robust scales (see the module docstring).
    method : tuple of str
        Per column, which rule gave the scale: ``"iqr"``, ``"range"`` (the 1 %–99 % floor) or
        ``"sd"`` (root-mean-square deviation from the median).
    """

    location: np.ndarray
    scale: np.ndarray
    method: tuple[str, ...]

    def __post_init__(self) -> None:
        freeze_arrays(self, ("location", "scale"), np.float64)

    @property
    def log_jacobian(self) -> float:
        """``Σ log scale``: ``log p_x(x) = log p_z(z) - log_jacobian``."""
        return float(np.log(self.scale).sum())

    def transform(self, X: np.ndarray, lazy: bool = False) -> np.ndarray | ScaledRows:
        """``(X - location) / scale``, shape (N, p): a new array, lazy for a dask array, or with
        ``lazy`` a :class:`ScaledRows` view that standardises only the rows it is asked for."""
        if type(X).__module__.startswith("dask"):
            return (X - self.location) / self.scale
        X = np.asarray(X, dtype=np.float64)
        if lazy:
            return ScaledRows(X, self)
        return (X - self.location) / self.scale

    def inverse_means(self, means: np.ndarray) -> np.ndarray:
        """Means of the standardised frame, shape (K, p), in the data's units."""
        with np.errstate(over="ignore"):
            return np.asarray(means) * self.scale + self.location

    def inverse_covariances(self, covariances: np.ndarray) -> np.ndarray:
        """Covariances of the standardised frame, shape (K, p, p), in the data's units.

        Entries beyond the floating-point range (a variance of a column in units of 1e300) are
        ``inf``, and those below it 0; the fit itself never uses them.
        """
        s = self.scale
        with np.errstate(over="ignore", under="ignore"):
            # one factor at a time: s_i s_j alone can overflow where s_i c_ij s_j does not
            return np.asarray(covariances) * s[:, None] * s[None, :]


class ScaledRows:
    """The standardised rows of an in-memory (or memory-mapped) array, computed on access.

    The block-wise pipeline of long data (:mod:`causalmix.mixture.large`) reads rows by slices
    and sorted index arrays only; standardising each block as it is read keeps its memory
    bounded by the block, where a standardised copy would be a second array of ``N`` rows (and
    would read all of a memory-mapped file into memory).

    Parameters
    ----------
    X : ndarray of shape (N, p), float64
    scaler : ColumnScaler
    """

    ndim = 2
    dtype = np.dtype(np.float64)

    def __init__(self, X: np.ndarray, scaler: ColumnScaler) -> None:
        self._X = X
        self._scaler = scaler
        self.shape = X.shape

    def __len__(self) -> int:
        return self.shape[0]

    def __array__(self, dtype: object = None, copy: object = None) -> np.ndarray:
        # a silent conversion would be the whole standardised copy this class exists to avoid
        # (NumPy would otherwise build it row by row through __getitem__)
        raise TypeError(
            "ScaledRows is read by row blocks (X[start:stop] or X[indices]); it is not converted "
            "to one array"
        )

    def __getitem__(self, rows: slice | np.ndarray) -> np.ndarray:
        """Rows ``rows`` (a slice, integer indices or a boolean mask), standardised, in memory."""
        if isinstance(rows, tuple):
            raise TypeError("ScaledRows takes row selections only (a slice or an index array)")
        block = np.asarray(self._X[rows], dtype=np.float64)
        return (block - self._scaler.location) / self._scaler.scale


def robust_scaler(X: np.ndarray, names: Sequence[str] | None = None) -> ColumnScaler:
    """Robust location and scale of every column of ``X`` (see the module docstring).

    Parameters
    ----------
    X : ndarray of shape (N, p)
        Finite data.
    names : sequence of str, optional
        Column names for the error message (default ``X0 .. X{p-1}``).

    Returns
    -------
    ColumnScaler

    Raises
    ------
    ValueError
        If some column is constant (all its values equal), naming the columns.
    """
    X = np.asarray(X, dtype=np.float64)
    p = X.shape[1]
    names = [f"X{i}" for i in range(p)] if names is None else [str(n) for n in names]
    const = np.flatnonzero(X.max(axis=0) == X.min(axis=0))
    if const.size:
        bad = [names[i] for i in const]
        raise ValueError(f"X has constant column(s) {bad}; they carry no information, drop them")
    q01, q25, q50, q75, q99 = np.quantile(X, [0.01, 0.25, 0.5, 0.75, 0.99], axis=0)
    iqr = _spread(q75, q25) / _IQR_TO_SD
    wide = _spread(q99, q01) / (_RANGE_TO_SD * _SPIKE_FLOOR)
    scale = np.maximum(iqr, wide)
    method = ["iqr" if a >= b else "range" for a, b in zip(iqr, wide, strict=True)]
    for j in np.flatnonzero(~(scale > 0)):
        scale[j] = _safe_sd(X[:, j], q50[j])  # > 0: the column is not constant
        method[j] = "sd"
    return ColumnScaler(location=q50, scale=scale, method=tuple(method))


def _spread(upper: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """``upper - lower``, halved before subtracting where the difference would overflow."""
    with np.errstate(over="ignore"):
        diff = upper - lower
    bad = ~np.isfinite(diff)
    diff[bad] = 2.0 * (upper[bad] / 2 - lower[bad] / 2)
    return diff


def _safe_sd(x: np.ndarray, center: float) -> float:
    """Root-mean-square deviation of ``x`` from ``center``, never squaring extreme magnitudes."""
    dev = x / 2 - center / 2  # halved: no overflow near the largest float
    top = np.abs(dev).max()
    return float(2.0 * top * np.sqrt(np.mean((dev / top) ** 2)))
