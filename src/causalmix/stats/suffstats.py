"""Per-component sufficient statistics: effective sizes, means and intercept-augmented Grams.

Everything downstream of the mixture (CI tests, invariance tests, UT-IGSP) consumes only these
statistics, never raw rows. A component's statistics may come from labelled rows
(:meth:`SufficientStatistics.from_datasets`), from soft EM responsibilities
(:meth:`SufficientStatistics.from_responsibilities`, effective size ``n_c = sum_i r_ic``) or from
moments (:meth:`SufficientStatistics.from_moments`).

Notes
-----
For component ``h`` with rows ``x_i`` and weights ``w_i`` (1 for labelled rows, the responsibilities
otherwise) the Gram matrix is ``G_h = sum_i w_i x̃_i x̃_iᵀ`` with ``x̃_i = [x_i - center, 1]``; the
last index ``p`` is the intercept. All components share one ``center`` (by default the pooled mean),
which leaves every regression statistic unchanged and avoids cancellation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from causalmix._frozen import freeze_arrays
from causalmix._validation import check_data_matrix

__all__ = ["SufficientStatistics", "check_statistics"]


@dataclass(frozen=True, eq=False)
class SufficientStatistics:
    """Sufficient statistics of ``K`` Gaussian components over ``p`` variables.

    Attributes
    ----------
    n : ndarray of shape (K,)
        Effective sample size of each component (may be fractional).
    means : ndarray of shape (K, p)
        Weighted mean of each component.
    grams : ndarray of shape (K, p + 1, p + 1)
        ``sum_i w_i x̃_i x̃_iᵀ`` with ``x̃ = [x - center, 1]``.
    center : ndarray of shape (p,)
        The common centring vector.
    """

    n: np.ndarray
    means: np.ndarray
    grams: np.ndarray
    center: np.ndarray

    def __post_init__(self) -> None:
        freeze_arrays(self, ("n", "means", "grams", "center"), np.float64)
        k, p = self.means.shape if self.means.ndim == 2 else (None, None)
        if k is None or self.n.shape != (k,) or self.grams.shape != (k, p + 1, p + 1):
            raise ValueError(
                "inconsistent shapes: n "
                f"{self.n.shape}, means {self.means.shape}, grams {self.grams.shape}; expected "
                "(K,), (K, p), (K, p+1, p+1)"
            )
        if self.center.shape != (p,):
            raise ValueError(f"center must have shape ({p},), got {self.center.shape}")
        if np.any(self.n <= 0):
            raise ValueError(f"n must be positive for every component, got {self.n.tolist()}")

    @property
    def n_components(self) -> int:
        """Number of components ``K``."""
        return int(self.n.shape[0])

    @property
    def n_nodes(self) -> int:
        """Number of variables ``p``."""
        return int(self.means.shape[1])

    def scatter(self) -> np.ndarray:
        """Within-component scatter matrices ``sum_i w_i (x_i - m)(x_i - m)ᵀ``, shape (K, p, p)."""
        p = self.n_nodes
        d = self.means - self.center
        return self.grams[:, :p, :p] - self.n[:, None, None] * d[:, :, None] * d[:, None, :]

    def covariances(self, ddof: float = 1.0) -> np.ndarray:
        """Covariance of each component, ``scatter / (n - ddof)``, shape (K, p, p).

        Raises
        ------
        ValueError
            If some component has ``n <= ddof``.
        """
        denom = self.n - ddof
        if np.any(denom <= 0):
            raise ValueError(
                f"every component needs n > ddof={ddof} for a covariance, got n={self.n.tolist()}"
            )
        return self.scatter() / denom[:, None, None]

    def subset(self, components: Sequence[int]) -> SufficientStatistics:
        """Statistics of the listed components, in the given order."""
        idx = np.asarray(components, dtype=np.intp)
        if idx.ndim != 1 or np.any((idx < 0) | (idx >= self.n_components)):
            raise ValueError(
                f"components must index 0..{self.n_components - 1}, got {np.asarray(components).tolist()}"
            )
        return SufficientStatistics(self.n[idx], self.means[idx], self.grams[idx], self.center)

    @classmethod
    def from_datasets(
        cls, datasets: Sequence[object], center: np.ndarray | None = None
    ) -> SufficientStatistics:
        """Statistics of labelled data, one array of shape ``(n_k, p)`` per component.

        The moments of each array take one BLAS pass over its rows (``aᵀ1`` and ``aᵀa``), or two
        over a centred copy when a column's mean dwarfs its spread (cancellation).

        Raises
        ------
        ValueError
            If ``datasets`` is empty or the arrays disagree in their number of columns.
        """
        if isinstance(datasets, np.ndarray) and datasets.ndim == 2:
            datasets = [datasets]
        if len(datasets) == 0:
            raise ValueError("datasets must hold at least one array, got an empty sequence")
        arrays, sums = [], []
        for i, d in enumerate(datasets):
            if type(d) is np.ndarray and d.dtype == np.float64 and d.ndim == 2 and d.size:
                # the column sums are needed anyway and are finite iff every entry is: the
                # element-wise check only runs (and raises) when they are not
                s = np.ones(d.shape[0]) @ d
                if not np.isfinite(s).all():
                    d = check_data_matrix(d, name=f"datasets[{i}]")
                arrays.append(d)
                sums.append(s)
            else:
                arrays.append(check_data_matrix(d, name=f"datasets[{i}]"))
                sums.append(None)
        widths = {a.shape[1] for a in arrays}
        if len(widths) != 1:
            shapes = [a.shape for a in arrays]
            raise ValueError(
                f"datasets must all have the same number of columns, got shapes {shapes}"
            )
        p = arrays[0].shape[1]
        n = np.array([a.shape[0] for a in arrays], dtype=np.float64)
        sums, scatter = _sums_and_scatters(arrays, sums)
        means = sums / n[:, None]
        if center is None:
            center = sums.sum(axis=0) / n.sum()  # the pooled mean
        center = _check_center(center, p)
        return cls._from_scatter(n, means, scatter, center)

    @classmethod
    def _from_scatter(
        cls, n: np.ndarray, means: np.ndarray, scatter: np.ndarray, center: np.ndarray
    ) -> SufficientStatistics:
        """Grams about ``center`` from sizes, means and within-component scatter matrices."""
        k, p = means.shape
        d = means - center
        grams = np.empty((k, p + 1, p + 1))
        grams[:, :p, :p] = scatter + n[:, None, None] * d[:, :, None] * d[:, None, :]
        grams[:, :p, p] = n[:, None] * d
        grams[:, p, :p] = n[:, None] * d
        grams[:, p, p] = n
        return cls(n, means, grams, center)

    @classmethod
    def from_responsibilities(
        cls, X: object, responsibilities: object, center: np.ndarray | None = None
    ) -> SufficientStatistics:
        """Weighted statistics from soft assignments.

        Parameters
        ----------
        X : array-like of shape (N, p)
        responsibilities : array-like of shape (N, K)
            Non-negative weights, typically EM posteriors (rows summing to one).
        center : ndarray of shape (p,), optional
            Defaults to the pooled mean of ``X``.

        Raises
        ------
        ValueError
            On mismatched shapes, negative weights or a component with zero total weight.
        """
        X = check_data_matrix(X)
        resp = np.asarray(responsibilities, dtype=np.float64)
        if resp.ndim != 2 or resp.shape[0] != X.shape[0]:
            raise ValueError(
                f"responsibilities must have shape (N, K) with N={X.shape[0]}, got {resp.shape}"
            )
        if np.any(~np.isfinite(resp)) or np.any(resp < 0):
            raise ValueError("responsibilities must be finite and non-negative")
        n = resp.sum(axis=0)
        if np.any(n <= 0):
            raise ValueError(f"every component needs positive total weight, got {n.tolist()}")
        p = X.shape[1]
        center = X.mean(axis=0) if center is None else _check_center(center, p)
        xt = np.empty((X.shape[0], p + 1))
        xt[:, :p] = X - center
        xt[:, p] = 1.0
        # grams[k] = xtᵀ diag(resp[:, k]) xt: one GEMM per component (BLAS; an einsum over all
        # components at once is much slower), symmetrised against rounding
        grams = np.empty((resp.shape[1], p + 1, p + 1))
        for k in range(resp.shape[1]):
            grams[k] = (xt * resp[:, k, None]).T @ xt
        grams += grams.transpose(0, 2, 1)
        grams *= 0.5
        means = (resp.T @ X) / n[:, None]
        return cls(n, means, grams, center)

    @classmethod
    def from_moments(
        cls,
        n: object,
        means: object,
        covariances: object,
        center: np.ndarray | None = None,
        ddof: float = 1.0,
    ) -> SufficientStatistics:
        """Statistics from sizes, means and covariances (``covariance = scatter / (n - ddof)``)."""
        n = np.asarray(n, dtype=np.float64)
        means = np.asarray(means, dtype=np.float64)
        covs = np.asarray(covariances, dtype=np.float64)
        if means.ndim != 2 or covs.shape != (means.shape[0], means.shape[1], means.shape[1]):
            raise ValueError(
                f"means must be (K, p) and covariances (K, p, p), got {means.shape} and {covs.shape}"
            )
        if n.shape != (means.shape[0],):
            raise ValueError(f"n must have shape ({means.shape[0]},), got {n.shape}")
        p = means.shape[1]
        if center is None:
            center = (n[:, None] * means).sum(axis=0) / n.sum()
        center = _check_center(center, p)
        d = means - center
        grams = np.empty((means.shape[0], p + 1, p + 1))
        grams[:, :p, :p] = (n - ddof)[:, None, None] * covs + n[:, None, None] * d[:, :, None] * d[
            :, None, :
        ]
        grams[:, :p, p] = n[:, None] * d
        grams[:, p, :p] = n[:, None] * d
        grams[:, p, p] = n
        return cls(n, means, grams, center)


# One-pass moments lose about ``eps * (1 + mean² / variance)`` of relative precision; above this
# ratio (a column whose mean dwarfs its spread, e.g. a do-intervened variable) the scatter is
# recomputed from explicitly centred rows.
_ONE_PASS_MAX_RATIO = 1e4


def _sums_and_scatters(
    arrays: list[np.ndarray], sums: Sequence[np.ndarray | None] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Column sums ``(K, p)`` and scatters ``sum_i (x_i - m)(x_i - m)ᵀ`` ``(K, p, p)``.

    One pass over each array's rows (``aᵀ1`` and ``aᵀa`` by BLAS, no copy) unless cancellation
    would cost precision; such an array is redone with two passes over a centred copy. ``sums``
    may hold column sums ``aᵀ1`` already computed (None: compute it).
    """
    n = np.array([a.shape[0] for a in arrays], dtype=np.float64)
    if sums is None:
        sums = [None] * len(arrays)
    sums = np.stack(
        [np.ones(a.shape[0]) @ a if s is None else s for a, s in zip(arrays, sums, strict=True)]
    )
    raw = np.stack([a.T @ a for a in arrays])
    scatter = raw - sums[:, :, None] * sums[:, None, :] / n[:, None, None]
    diag_raw = np.diagonal(raw, axis1=1, axis2=2)
    diag = np.diagonal(scatter, axis1=1, axis2=2)
    for h in np.flatnonzero(~np.all(diag * _ONE_PASS_MAX_RATIO > diag_raw, axis=1)).tolist():
        a = arrays[h]
        y = a - sums[h] / n[h]
        ys = np.ones(a.shape[0]) @ y
        scatter[h] = y.T @ y - np.outer(ys, ys) / n[h]
    return sums, (scatter + scatter.transpose(0, 2, 1)) / 2.0


def _check_center(center: object, p: int) -> np.ndarray:
    center = np.asarray(center, dtype=np.float64)
    if center.shape != (p,) or not np.all(np.isfinite(center)):
        raise ValueError(
            f"center must be a finite vector of shape ({p},), got shape {center.shape}"
        )
    return center


def check_statistics(stats: object, name: str = "stats") -> SufficientStatistics:
    """Raise ``TypeError`` unless ``stats`` is a :class:`SufficientStatistics`; return it."""
    if not isinstance(stats, SufficientStatistics):
        raise TypeError(f"{name} must be a SufficientStatistics, got {type(stats).__name__}")
    return stats
