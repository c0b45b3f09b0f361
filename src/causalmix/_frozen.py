"""Read-only array fields for the frozen result dataclasses."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["freeze_arrays"]


def freeze_arrays(obj: Any, names: tuple[str, ...], dtype: Any = None) -> None:
    """Replace each named field of a frozen dataclass by a read-only copy (``None`` is kept).

    Called from ``__post_init__``: the result owns its arrays, so a caller's later edit of the
    array it passed in cannot change the result, and the result's arrays cannot be edited.
    """
    for name in names:
        value = getattr(obj, name)
        if value is None:
            continue
        arr = np.array(value, dtype=dtype)
        arr.setflags(write=False)
        object.__setattr__(obj, name, arr)
