"""Structure learning: UT-IGSP (unknown targets) and the GSP / IGSP baselines.

Modules
-------
options       :class:`SearchOptions`, the search's options as one validated object
permutations  minimal I-MAPs of permutations, starting permutations, covered-arc reversals
utigsp        UT-IGSP entry points and :class:`UTIGSPResult`
gsp           plain GSP and known-target IGSP baselines

References
----------
.. [1] C. Squires, Y. Wang and C. Uhler. Permutation-based causal structure learning with unknown
   intervention targets. UAI 2020, arXiv:1910.09007.
.. [2] L. Solus, Y. Wang and C. Uhler. Consistency guarantees for greedy permutation-based causal
   inference algorithms. Biometrika 108(4), 2021.
"""

from causalmix.discovery.gsp import GSPResult, gsp, gsp_from_testers, igsp, igsp_from_testers
from causalmix.discovery.options import SearchOptions
from causalmix.discovery.utigsp import (
    UTIGSPResult,
    ut_igsp,
    ut_igsp_from_statistics,
    ut_igsp_from_testers,
)

__all__ = [
    "GSPResult",
    "SearchOptions",
    "UTIGSPResult",
    "gsp",
    "gsp_from_testers",
    "igsp",
    "igsp_from_testers",
    "ut_igsp",
    "ut_igsp_from_statistics",
    "ut_igsp_from_testers",
]
