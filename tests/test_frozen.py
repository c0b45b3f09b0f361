"""The read-only array fields of the frozen result dataclasses."""

from dataclasses import dataclass

import numpy as np
import pytest

from causalmix._frozen import freeze_arrays


@dataclass(frozen=True)
class _Result:
    a: np.ndarray
    b: np.ndarray | None

    def __post_init__(self) -> None:
        freeze_arrays(self, ("a", "b"), np.float64)


def test_fields_are_read_only_copies():
    source = np.arange(3)
    r = _Result(source, None)
    assert r.b is None
    assert r.a.dtype == np.float64
    source[0] = 10  # the caller's array is not the result's
    assert r.a[0] == 0
    with pytest.raises(ValueError, match="read-only"):
        r.a[0] = 1.0
