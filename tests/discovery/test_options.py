"""SearchOptions: the search's six options, validated once and handed down."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from causalmix.discovery import SearchOptions, ut_igsp, ut_igsp_from_statistics
from causalmix.discovery.options import resolve_search_options
from causalmix.stats import SufficientStatistics


def _chain_data():
    rng = np.random.default_rng(0)

    def chain(n, shift=0.0):
        x0 = rng.normal(shift, 1, n)
        x1 = x0 + rng.normal(size=n)
        return np.column_stack([x0, x1, 0.8 * x1 + rng.normal(size=n)])

    return [chain(2000), chain(2000, shift=2.0)]


def test_defaults_are_the_published_search_and_the_object_is_frozen():
    options = SearchOptions()
    assert dataclasses.astuple(options) == (1e-3, 1e-3, 4, 5, "min_degree", "lexicographic")
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.depth = 2
    assert SearchOptions(depth=np.int64(2)).depth == 2 and type(SearchOptions(depth=2).depth) is int


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"alpha_ci": 1.0}, ValueError, "alpha_ci"),
        ({"alpha_inv": 0}, ValueError, "alpha_inv"),
        ({"depth": -1}, ValueError, r"depth must be an integer >= 0, got -1"),
        ({"n_runs": 0}, ValueError, r"n_runs must be an integer >= 1, got 0"),
        ({"n_runs": 2.5}, TypeError, r"n_runs must be an integer, got float"),
        ({"start": "best"}, ValueError, r"start must be one of \('min_degree', 'mixed'\)"),
        ({"select": "sum"}, ValueError, r"select must be one of \('lexicographic', 'total'\)"),
    ],
)
def test_each_option_is_validated_with_its_name(kwargs, error, match):
    with pytest.raises(error, match=match):
        SearchOptions(**kwargs)


def test_resolve_builds_from_keywords_or_passes_the_object_on():
    options = SearchOptions(depth=2, start="mixed")
    assert resolve_search_options(options, depth=4, start="min_degree") is options
    assert resolve_search_options(None, depth=2, start="mixed") == options
    with pytest.raises(ValueError, match=r"either as options= or as keywords.*\['depth'\]"):
        resolve_search_options(options, depth=3, start="min_degree")
    with pytest.raises(TypeError, match="options must be a SearchOptions or None, got dict"):
        resolve_search_options({"depth": 2}, depth=4)


def test_options_object_gives_the_keywords_result():
    data = _chain_data()
    kw = {"alpha_ci": 0.01, "alpha_inv": 0.01, "depth": 2, "n_runs": 3, "start": "mixed"}
    by_keywords = ut_igsp(data, random_state=1, select="total", **kw)
    by_object = ut_igsp(data, random_state=1, options=SearchOptions(select="total", **kw))
    assert by_object.score == by_keywords.score and by_object.run_scores == by_keywords.run_scores
    assert np.array_equal(by_object.adjacency, by_keywords.adjacency)
    assert by_object.targets == by_keywords.targets and by_object.n_runs == 3
    stats = SufficientStatistics.from_datasets(data)
    with pytest.raises(ValueError, match=r"not both; got options and \['n_runs'\]"):
        ut_igsp_from_statistics(stats, n_runs=3, options=SearchOptions())
