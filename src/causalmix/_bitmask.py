"""Node sets as integer bitmasks (bit ``v`` set iff node ``v`` is in the set)."""

from __future__ import annotations

__all__ = ["mask_to_nodes", "transpose_masks"]


def mask_to_nodes(mask: int) -> list[int]:
    """Sorted list of the nodes in a bitmask."""
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


def transpose_masks(rows: list[int]) -> list[int]:
    """Column masks of a 0/1 matrix given by row masks: bit ``i`` of ``out[j]`` iff bit ``j`` of
    ``rows[i]`` (children from parents, parents from children)."""
    cols = [0] * len(rows)
    for i, row in enumerate(rows):
        bi = 1 << i
        while row:
            low = row & -row
            cols[low.bit_length() - 1] |= bi
            row ^= low
    return cols
