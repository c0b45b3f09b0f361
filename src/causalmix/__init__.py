"""causalmix: causal discovery from unlabeled mixtures of interventional data.

Main entry points: :class:`MixtureUTIGSP` (unlabeled rows → components, observational component,
targets, DAG and I-CPDAG) and :func:`ut_igsp` (UT-IGSP on already labelled settings). Adjacency
convention everywhere: ``A[i, j] != 0`` iff ``i -> j`` (see :mod:`causalmix.graphs`).
"""

__version__ = "0.1.0"

from causalmix.diagnostics import CausalmixWarning
from causalmix.discovery import ut_igsp
from causalmix.estimator import MixtureUTIGSP
from causalmix.stability import StabilityResult, stability

__all__ = [
    "CausalmixWarning",
    "MixtureUTIGSP",
    "StabilityResult",
    "__version__",
    "stability",
    "ut_igsp",
]
