"""Sufficient statistics and the tests UT-IGSP runs on them."""

from causalmix.stats.suffstats import SufficientStatistics

__all__ = ["SufficientStatistics"]
