"""Simulation of linear Gaussian SEMs, interventions and unlabelled interventional mixtures.

Modules
-------
- :mod:`~causalmix.simulate.dags` — :func:`random_dag` (Erdős–Rényi over a causal order).
- :mod:`~causalmix.simulate.sem` — :class:`LinearGaussianSEM` (exact population moments, sampling)
  and :func:`random_sem`.
- :mod:`~causalmix.simulate.interventions` — :class:`Intervention` (``do``, ``hard``, ``soft``,
  ``shift``), its constructors and :func:`paper_interventions`.
- :mod:`~causalmix.simulate.mixture` — :func:`sample_mixture` returning a :class:`MixtureSample`
  with its ground truth (:class:`ComponentTruth` per component).

Adjacency convention: ``A[i, j] == 1`` iff ``i -> j`` (see :mod:`causalmix.graphs`).

References
----------
.. [1] A. Kumar, K. Shiragur and C. Uhler, "Learning Mixtures of Unknown Causal Interventions",
   NeurIPS 2024, arXiv:2411.00213.
"""

from causalmix.simulate.dags import random_dag
from causalmix.simulate.interventions import (
    Intervention,
    do_intervention,
    hard_intervention,
    paper_interventions,
    shift_intervention,
    soft_intervention,
)
from causalmix.simulate.mixture import ComponentTruth, MixtureSample, sample_mixture
from causalmix.simulate.sem import LinearGaussianSEM, random_sem

__all__ = [
    "ComponentTruth",
    "Intervention",
    "LinearGaussianSEM",
    "MixtureSample",
    "do_intervention",
    "hard_intervention",
    "paper_interventions",
    "random_dag",
    "random_sem",
    "sample_mixture",
    "shift_intervention",
    "soft_intervention",
]
