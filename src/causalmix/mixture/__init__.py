"""Disentangling the mixture: its fit, its number of components and the per-component statistics.

- :mod:`~causalmix.mixture.em`: full-covariance Gaussian-mixture EM (:func:`fit_mixture`,
  :class:`GaussianMixtureFit`);
- :mod:`~causalmix.mixture.split`: growing a k-component fit into a (k+1)-component start;
- :mod:`~causalmix.mixture.selection`: the number of components (:func:`select_n_components`,
  sBIC by default; BIC, ICL; the paper's :func:`drop_ratio_rule`); its rules are in the private
  modules ``_strategies`` (one function per rule), ``_sweep`` (the free-covariance fits per k)
  and ``_sbic`` (the search over the interventional mixture of ``_structured``, whose components
  share one SEM up to a single-node intervention);
- :mod:`~causalmix.mixture.statistics`: fitted mixture -> :class:`~causalmix.stats.SufficientStatistics`;
- :mod:`~causalmix.mixture.large`: many rows (or a ``dask.array``): selection on a sample, EM and
  statistics on all rows block by block, memory bounded by the block size;
- :mod:`~causalmix.mixture.mechanisms`: mixtures whose components share the mechanisms of one
  linear SEM (``refine="mechanisms"`` of the estimator).
"""

from causalmix.mixture.em import GaussianMixtureFit, fit_mixture
from causalmix.mixture.selection import ComponentSelection, drop_ratio_rule, select_n_components
from causalmix.mixture.statistics import component_statistics, resampled_statistics

__all__ = [
    "ComponentSelection",
    "GaussianMixtureFit",
    "component_statistics",
    "drop_ratio_rule",
    "fit_mixture",
    "resampled_statistics",
    "select_n_components",
]
