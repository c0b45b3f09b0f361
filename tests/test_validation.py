"""Shared input checkers."""

from __future__ import annotations

import numpy as np
import pytest

from causalmix._validation import (
    check_alpha,
    check_data_matrix,
    check_node_set,
    check_positive_int,
    check_random_state,
    check_real,
)


def test_random_state():
    g = np.random.default_rng(3)
    assert check_random_state(g) is g
    assert check_random_state(5).integers(1000) == np.random.default_rng(5).integers(1000)
    assert isinstance(check_random_state(None), np.random.Generator)
    with pytest.raises(TypeError, match="random_state must be an int"):
        check_random_state(np.random.RandomState(0))
    with pytest.raises(TypeError, match="random_state must be an int"):
        check_random_state(True)
    with pytest.raises(ValueError, match="non-negative integer, got -1"):
        check_random_state(-1)


def test_alpha_and_real():
    assert check_alpha(0.05) == 0.05
    for bad in (0, 1, 1.5, -0.1):
        with pytest.raises(ValueError, match=r"alpha must be in \(0, 1\)"):
            check_alpha(bad)
    with pytest.raises(TypeError, match="alpha must be a real number"):
        check_alpha("0.05")
    with pytest.raises(ValueError, match="var must be finite"):
        check_real(float("nan"), "var")
    with pytest.raises(ValueError, match=r"var must be in \(0, inf\], got -1"):
        check_real(-1, "var", low=0, low_inclusive=False)


def test_positive_int():
    assert check_positive_int(np.int64(3), "n") == 3
    with pytest.raises(ValueError, match="n must be an integer >= 2, got 1"):
        check_positive_int(1, "n", minimum=2)
    with pytest.raises(TypeError, match="n must be an integer"):
        check_positive_int(2.0, "n")


def test_node_set():
    assert check_node_set([0, 2, 2], 3) == frozenset({0, 2})
    assert check_node_set(1, 3) == frozenset({1})
    with pytest.raises(ValueError, match=r"targets contains node 3, outside 0..2"):
        check_node_set([3], 3)
    with pytest.raises(TypeError, match="integer node indices"):
        check_node_set([0.5], 3)
    with pytest.raises(TypeError, match="iterable of node indices"):
        check_node_set("ab", 3)


def test_data_matrix():
    assert check_data_matrix([[1, 2], [3, 4]]).dtype == np.float64
    with pytest.raises(ValueError, match="2-D array"):
        check_data_matrix([1, 2, 3])
    with pytest.raises(ValueError, match=r"first at row 1, column 0"):
        check_data_matrix([[1, 2], [np.inf, 4]])
    with pytest.raises(ValueError, match="conversion failed"):
        check_data_matrix([["a", "b"]])
    with pytest.raises(ValueError, match="at least 3 row"):
        check_data_matrix([[1.0]], min_rows=3)
    with pytest.raises(ValueError, match="at least 2 column"):
        check_data_matrix([[1.0]], min_columns=2)
