"""Node sets as integer bitmasks (bit ``v`` set iff node ``v`` is in the set).

A 0/1 matrix is stored as one mask per row (``rows[i]`` bit ``j`` iff ``A[i, j] != 0``) or per
column (``cols[j]`` bit ``i`` iff ``A[i, j] != 0``). For an adjacency matrix in the causalmix
convention (``A[i, j] != 0`` iff ``i -> j``) the row masks are the children of each node and the
column masks its parents — the form the structure search and the graph kernels work on.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "column_masks",
    "from_column_masks",
    "from_row_masks",
    "mask_to_nodes",
    "row_masks",
    "transpose_masks",
]

# up to 62 columns a mask fits an int64 and a whole matrix converts in one vectorised product
_INT64_BITS = 62


def mask_to_nodes(mask: int) -> list[int]:
    """Sorted list of the nodes in a bitmask."""
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


def transpose_masks(rows: list[int], size: int | None = None) -> list[int]:
    """Column masks of a 0/1 matrix given by row masks: bit ``i`` of ``out[j]`` iff bit ``j`` of
    ``rows[i]`` (children from parents, parents from children).

    ``size`` is the number of columns (every bit of every row is below it); default
    ``len(rows)``, a square matrix.
    """
    cols = [0] * (len(rows) if size is None else size)
    for i, row in enumerate(rows):
        bi = 1 << i
        while row:
            low = row & -row
            cols[low.bit_length() - 1] |= bi
            row ^= low
    return cols


def row_masks(A: np.ndarray) -> list[int]:
    """Row bitmasks of a 0/1 matrix: bit ``j`` of ``rows[i]`` is set iff ``A[i, j] != 0``."""
    p = A.shape[1]
    if p <= _INT64_BITS:  # one integer matrix-vector product
        weights = np.left_shift(np.int64(1), np.arange(p, dtype=np.int64))
        return ((A != 0).astype(np.int64) @ weights).tolist()
    return [sum(1 << int(j) for j in np.flatnonzero(row)) for row in A]


def from_row_masks(rows: list[int] | tuple[int, ...]) -> np.ndarray:
    """The ``(p, p)`` int8 matrix whose row ``i`` has the bits of ``rows[i]`` (inverse of
    :func:`row_masks` for a square matrix)."""
    p = len(rows)
    if p <= _INT64_BITS:
        bits = np.array(rows, dtype=np.int64)[:, None] >> np.arange(p, dtype=np.int64)
        return (bits & 1).astype(np.int8)
    A = np.zeros((p, p), dtype=np.int8)
    for i, mask in enumerate(rows):
        A[i, mask_to_nodes(mask)] = 1
    return A


def column_masks(A: np.ndarray) -> tuple[int, ...]:
    """Column bitmasks of a 0/1 matrix: bit ``i`` of ``cols[j]`` is set iff ``A[i, j] != 0`` (the
    parent masks of a DAG; a tuple, so that it can key a cache)."""
    return tuple(row_masks(A.T))


def from_column_masks(cols: list[int] | tuple[int, ...]) -> np.ndarray:
    """The ``(p, p)`` int8 matrix whose column ``j`` has the bits of ``cols[j]`` (inverse of
    :func:`column_masks`; C-ordered)."""
    return np.ascontiguousarray(from_row_masks(cols).T)
