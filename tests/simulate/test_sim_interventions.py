"""Tests of Intervention, its constructors and paper_interventions."""

from __future__ import annotations

import numpy as np
import pytest

from causalmix.simulate import (
    Intervention,
    do_intervention,
    hard_intervention,
    paper_interventions,
    random_sem,
    shift_intervention,
    soft_intervention,
)


def test_constructors_fill_parameters():
    do = do_intervention([1, 2])
    assert do.targets == frozenset({1, 2})
    assert (do.kind, do.mean, do.var) == ("do", 1.0, 1e-9)
    assert do.cuts_edges
    hard = hard_intervention(0, mean=2.0, var=0.5)
    assert (hard.kind, hard.mean, hard.var, hard.targets) == ("hard", 2.0, 0.5, frozenset({0}))
    soft = soft_intervention(3, weight_scale=0.5)
    assert (soft.kind, soft.weight_scale, soft.mean, soft.var) == ("soft", 0.5, None, None)
    assert not soft.cuts_edges
    assert soft_intervention(3, weight_scale=0.0).cuts_edges
    shift = shift_intervention({4}, 1.5)
    assert (shift.kind, shift.shift, shift.mean) == ("shift", 1.5, None)
    assert shift.to_dict() == {
        "targets": [4],
        "kind": "shift",
        "mean": None,
        "var": None,
        "weight_scale": 1.0,
        "shift": 1.5,
    }


def test_apply_does_not_mutate_inputs():
    w = np.array([[0.0, 1.0], [0.0, 0.0]])
    mu, s2 = np.zeros(2), np.ones(2)
    w2, mu2, s22 = do_intervention(1, value=3.0).apply(w, mu, s2)
    np.testing.assert_array_equal(w, [[0.0, 1.0], [0.0, 0.0]])
    np.testing.assert_array_equal(mu, [0.0, 0.0])
    np.testing.assert_array_equal(w2, np.zeros((2, 2)))
    np.testing.assert_array_equal(mu2, [0.0, 3.0])
    np.testing.assert_array_equal(s22, [1.0, 1e-9])


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: do_intervention([]), ValueError, "at least one node"),
        (lambda: do_intervention([-1]), ValueError, r"non-negative node indices, got \[-1\]"),
        (lambda: do_intervention(["a"]), TypeError, "integer node indices"),
        (lambda: do_intervention(1, var=0.0), ValueError, r"var must be in \(0"),
        (lambda: hard_intervention(1, mean=np.nan, var=1.0), ValueError, "mean must be finite"),
        (lambda: Intervention(frozenset({0}), "cut"), ValueError, "kind must be one of"),
        (lambda: Intervention(frozenset({0}), "hard", mean=1.0), ValueError, "needs both"),
        (
            lambda: Intervention(frozenset({0}), "do", mean=1.0, var=1.0, weight_scale=2.0),
            ValueError,
            "weight_scale applies to 'soft'",
        ),
        (
            lambda: Intervention(frozenset({0}), "soft", shift=1.0),
            ValueError,
            "shift applies to 'shift'",
        ),
        (
            lambda: Intervention(frozenset({0}), "shift", mean=1.0, shift=1.0),
            ValueError,
            "changes only the noise mean",
        ),
        (lambda: soft_intervention(0, weight_scale="x"), TypeError, "weight_scale must be a real"),
    ],
)
def test_intervention_validation(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_paper_interventions_all():
    sem = random_sem(5, random_state=0)
    ivs = paper_interventions(sem)
    assert [iv.targets for iv in ivs] == [frozenset({j}) for j in range(5)]
    assert all(iv.kind == "do" and iv.mean == 1.0 and iv.var == 1e-9 for iv in ivs)


def test_paper_interventions_half_is_random_distinct_and_reproducible():
    sem = random_sem(7, random_state=0)
    a = paper_interventions(sem, "half", random_state=3)
    b = paper_interventions(sem, "half", random_state=3)
    assert [iv.targets for iv in a] == [iv.targets for iv in b]
    nodes = [next(iter(iv.targets)) for iv in a]
    assert len(nodes) == 3 and len(set(nodes)) == 3
    assert all(len(iv.targets) == 1 for iv in a)
    draws = {
        tuple(
            sorted(
                next(iter(iv.targets)) for iv in paper_interventions(sem, "half", random_state=s)
            )
        )
        for s in range(20)
    }
    assert len(draws) > 1  # 35 possible subsets; 20 seeds all equal has probability 35^-19


def test_paper_interventions_explicit_and_kinds():
    sem = random_sem(4, random_state=0)
    ivs = paper_interventions(sem, [0, {1, 3}], kind="hard", mean=2.0)
    assert [iv.targets for iv in ivs] == [frozenset({0}), frozenset({1, 3})]
    assert all(iv.kind == "hard" and iv.mean == 2.0 and iv.var == 1.0 for iv in ivs)
    soft = paper_interventions(sem, [2], kind="soft", mean=0.5, var=2.0, weight_scale=0.25)[0]
    assert (soft.weight_scale, soft.mean, soft.var) == (0.25, 0.5, 2.0)
    shift = paper_interventions(sem, [2], kind="shift", mean=3.0)[0]
    assert (shift.kind, shift.shift) == ("shift", 3.0)
    do = paper_interventions(sem, [2], kind="do", mean=5.0, var=1e-4)[0]
    assert (do.mean, do.var) == (5.0, 1e-4)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"targets": "some"}, "targets must be 'all', 'half'"),
        ({"targets": [[0], []]}, r"targets\[1\] must name at least one node"),
        ({"targets": [[9]]}, r"targets\[0\] contains node 9, outside 0..3"),
        ({"kind": "cut"}, "kind must be one of"),
        ({"kind": "shift", "var": 1.0}, "var must be None for kind='shift'"),
    ],
)
def test_paper_interventions_validation(kwargs, match):
    sem = random_sem(4, random_state=0)
    with pytest.raises(ValueError, match=match):
        paper_interventions(sem, **kwargs)
