"""Bitmask <-> matrix conversions (one implementation for graphs/ and discovery/)."""

from __future__ import annotations

import numpy as np
import pytest

from causalmix._bitmask import (
    column_masks,
    from_column_masks,
    from_row_masks,
    mask_to_nodes,
    row_masks,
    transpose_masks,
)


@pytest.mark.parametrize("p", [1, 5, 62, 63, 70])  # 62: the last size of the int64 fast path
def test_row_and_column_masks_round_trip(p):
    rng = np.random.default_rng(p)
    A = (rng.random((p, p)) < 0.3).astype(np.int8)
    rows = row_masks(A)
    assert rows == [sum(1 << j for j in np.flatnonzero(A[i]).tolist()) for i in range(p)]
    assert column_masks(A) == tuple(row_masks(A.T))
    for back in (from_row_masks(rows), from_column_masks(column_masks(A))):
        assert back.dtype == np.int8 and back.flags.c_contiguous
        np.testing.assert_array_equal(back, A)
    assert transpose_masks(rows) == list(column_masks(A))


def test_transpose_masks_of_a_rectangular_matrix_and_mask_to_nodes():
    # 3 rows, 5 columns: out[j] holds the rows with bit j
    rows = [0b10001, 0b00100, 0b10100]
    assert transpose_masks(rows, 5) == [0b001, 0, 0b110, 0, 0b101]
    assert mask_to_nodes(0b10100) == [2, 4]
    assert mask_to_nodes(0) == []
