"""The observational-component rule (causalmix._observational), branch by branch.

Small constructed cases: a fake UT-IGSP ``search`` returns results with chosen target sets and
arcs, so every branch of the rule is exercised without fitting anything.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from causalmix._observational import base_candidates, choose_observational, refined_observational
from causalmix.discovery import UTIGSPResult

P = 3  # nodes: a base needs more than p + 1 = 4 effective rows, a powered one 10 p = 30


def _result(n_targets: int, n_arcs: int, base: int = 0) -> UTIGSPResult:
    """A UT-IGSP result on 3 nodes with ``n_targets`` targets (in component 1) and a chain of
    ``n_arcs`` arcs."""
    A = np.zeros((P, P), dtype=np.int8)
    for i in range(n_arcs):
        A[i, i + 1] = 1
    targets = (frozenset(), frozenset(range(n_targets)), frozenset())
    return UTIGSPResult(A, targets, A, (n_arcs, n_targets), n_arcs, 1, base, ((n_arcs, 0),))


def _search(table):
    """A fake search: ``table[base]`` is ``(n_targets, n_arcs)``; records the bases it ran."""
    calls = []

    def search(bases):
        calls.append(list(bases))
        return [_result(*table[b], base=b) for b in bases]

    return search, calls


def test_user_given_component_is_the_only_candidate():
    search, calls = _search({1: (2, 1)})
    choice = choose_observational(1, np.array([50.0, 40.0, 30.0]), P, search)
    assert calls == [[1]]
    assert (choice.component, choice.method, choice.margin) == (1, "user", None)
    assert choice.scores == [{"component": 1, "n_targets": 2, "n_arcs": 1, "chosen": True}]


def test_user_index_outside_the_mixture_is_rejected():
    with pytest.raises(
        ValueError, match=r"observational=3 is not a component index \(the mixture has 3\)"
    ):
        base_candidates(3, np.array([50.0, 40.0, 30.0]), P)


def test_rows_given_choose_their_most_responsible_component_over_the_parameter():
    share = np.array([0.1, 0.2, 0.7])
    assert base_candidates(0, np.array([50.0, 40.0, 30.0]), P, rows_share=share) == ([2], "rows")
    search, _ = _search({2: (0, 2)})
    choice = choose_observational("auto", np.array([50.0, 40.0, 30.0]), P, search, share)
    assert (choice.component, choice.method, choice.margin) == (2, "rows", None)


def test_single_component():
    assert base_candidates("auto", np.array([80.0]), P) == ([0], "single")


def test_auto_prefers_powered_bases_else_every_usable_one():
    # 4.5 effective rows: usable (> p + 1 = 4); 30: powered (>= 10 p); 4: not usable
    assert base_candidates("auto", np.array([30.0, 4.5, 4.0, 31.0]), P) == ([0, 3], "auto")
    assert base_candidates("auto", np.array([29.0, 4.5, 4.0]), P) == ([0, 1], "auto")


def test_a_named_component_too_small_for_the_ci_tests_is_rejected():
    with pytest.raises(
        ValueError, match=r"component 1 holds only 4.0 effective rows; UT-IGSP needs"
    ):
        base_candidates(1, np.array([50.0, 4.0]), P)


def test_auto_chooses_fewest_targets_and_reports_the_margin():
    search, calls = _search({0: (3, 1), 1: (1, 2), 2: (4, 0)})
    choice = choose_observational("auto", np.array([40.0, 35.0, 30.0]), P, search)
    assert calls == [[0, 1, 2]]
    assert (choice.component, choice.method) == (1, "auto")
    assert choice.margin == 2  # runner-up (component 0) has 3 targets, the chosen 1
    assert [s["chosen"] for s in choice.scores] == [False, True, False]
    assert choice.result.base == 1


def test_equal_targets_are_broken_by_fewest_arcs_then_by_candidate_order():
    search, _ = _search({0: (2, 2), 1: (2, 1), 2: (2, 1)})
    choice = choose_observational("auto", np.array([40.0, 35.0, 30.0]), P, search)
    assert choice.component == 1 and choice.margin == 0


def test_refined_observational_by_bic_rows_or_user():
    post = np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7]])
    fit = SimpleNamespace(responsibilities=post, n_components=2, observational=0, margin=12.5)
    assert refined_observational(fit, "auto", np.array([0, 1, 1]), None) == (0, "likelihood", 12.5)
    rows = np.array([False, True, True])
    assert refined_observational(fit, "auto", np.array([0, 1, 1]), rows) == (1, "rows", None)
    # a named free component: its rows under the free labels decide
    assert refined_observational(fit, 1, np.array([0, 1, 1]), None) == (1, "user", None)
    single = SimpleNamespace(
        responsibilities=post[:, :1], n_components=1, observational=0, margin=0
    )
    assert refined_observational(single, "auto", np.zeros(3, int), None) == (0, "single", None)
