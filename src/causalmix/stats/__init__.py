"""Sufficient statistics and the tests UT-IGSP runs on them.

Modules
-------
suffstats   per-component sizes, means and intercept-augmented Gram matrices
testers     the ``CITester`` / ``InvarianceTester`` protocols the search consumes; node bitmasks
ci          partial-correlation (Fisher z) CI test and its memoised tester
invariance  component-batched Gaussian invariance test and its memoised tester
oracle      d-separation twins of both testers, for exact (population) answers

References
----------
.. [1] C. Squires, Y. Wang and C. Uhler. Permutation-based causal structure learning with unknown
   intervention targets. UAI 2020, arXiv:1910.09007.
"""

from causalmix.stats.ci import GaussianCITester, partial_correlation, partial_correlation_test
from causalmix.stats.invariance import (
    GaussianInvarianceTester,
    InvarianceTestResult,
    invariance_test,
)
from causalmix.stats.oracle import DSeparationCITester, OracleInvarianceTester
from causalmix.stats.suffstats import SufficientStatistics
from causalmix.stats.testers import CITester, InvarianceTester, mask_to_nodes, nodes_to_mask

__all__ = [
    "CITester",
    "DSeparationCITester",
    "GaussianCITester",
    "GaussianInvarianceTester",
    "InvarianceTestResult",
    "InvarianceTester",
    "OracleInvarianceTester",
    "SufficientStatistics",
    "invariance_test",
    "mask_to_nodes",
    "nodes_to_mask",
    "partial_correlation",
    "partial_correlation_test",
]
