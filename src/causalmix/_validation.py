"""Input validation shared by every public function.

Each checker returns a clean value (a Generator, a float array, a frozenset ...) or raises an error
that names the parameter, what was expected and what was given. ``ValueError`` is raised for bad
values and shapes, ``TypeError`` for wrong kinds. Nothing here mutates its input.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import numpy as np

__all__ = [
    "check_alpha",
    "check_data_matrix",
    "check_node_set",
    "check_positive_int",
    "check_random_state",
    "check_real",
]


def check_random_state(random_state: int | np.random.Generator | None) -> np.random.Generator:
    """Turn ``random_state`` into a :class:`numpy.random.Generator`.

    Parameters
    ----------
    random_state : int, numpy.random.Generator or None
        ``None`` gives fresh OS entropy, an ``int`` (>= 0) seeds a new Generator, a Generator is
        returned as it is (so that one stream is threaded through a whole call).

    Raises
    ------
    TypeError
        For any other kind (including ``bool`` and the legacy ``RandomState``).
    ValueError
        For a negative integer seed.
    """
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral):
        raise TypeError(
            "random_state must be an int, a numpy.random.Generator or None, "
            f"got {type(random_state).__name__}: {random_state!r}"
        )
    if random_state < 0:
        raise ValueError(f"random_state must be a non-negative integer, got {random_state}")
    return np.random.default_rng(int(random_state))


def check_real(
    value: object,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """Check that ``value`` is a finite real number within optional bounds and return it as float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}: {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    too_low = low is not None and (value < low if low_inclusive else value <= low)
    too_high = high is not None and (value > high if high_inclusive else value >= high)
    if too_low or too_high:
        left = "[" if low_inclusive else "("
        right = "]" if high_inclusive else ")"
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise ValueError(f"{name} must be in {left}{lo}, {hi}{right}, got {value:g}")
    return value


def check_alpha(alpha: object, name: str = "alpha") -> float:
    """Check a significance level: a real number strictly between 0 and 1."""
    return check_real(alpha, name, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)


def check_positive_int(value: object, name: str, *, minimum: int = 1) -> int:
    """Check that ``value`` is an integer ``>= minimum`` and return it as ``int``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}: {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def check_node_set(
    nodes: Iterable[int] | int, n_nodes: int, name: str = "targets"
) -> frozenset[int]:
    """Check a set of node indices in ``0..n_nodes-1`` and return it as a frozenset.

    A single integer is accepted as a one-node set.
    """
    if isinstance(nodes, numbers.Integral) and not isinstance(nodes, bool):
        nodes = (int(nodes),)
    if isinstance(nodes, str | bytes) or not isinstance(nodes, Iterable):
        raise TypeError(f"{name} must be an iterable of node indices, got {type(nodes).__name__}")
    out = set()
    for node in nodes:
        if isinstance(node, bool) or not isinstance(node, numbers.Integral):
            raise TypeError(f"{name} must contain integer node indices, got {node!r}")
        if not 0 <= node < n_nodes:
            raise ValueError(f"{name} contains node {node}, outside 0..{n_nodes - 1}")
        out.add(int(node))
    return frozenset(out)


def check_data_matrix(
    X: object, name: str = "X", *, min_rows: int = 1, min_columns: int = 1
) -> np.ndarray:
    """Check a numeric 2-D data matrix with finite entries and return a float64 copy-free view.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Anything :func:`numpy.asarray` turns into a 2-D numeric array (a pandas DataFrame works).
    name : str
        Parameter name used in error messages.
    min_rows, min_columns : int
        Smallest accepted shape.

    Raises
    ------
    ValueError
        If ``X`` is not 2-D, has non-numeric, NaN or infinite entries, or is too small.
    """
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a numeric 2-D array; conversion failed: {exc}") from None
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array (rows x variables), got {arr.ndim} dimension(s)"
        )
    if arr.shape[0] < min_rows:
        raise ValueError(f"{name} must have at least {min_rows} row(s), got shape {arr.shape}")
    if arr.shape[1] < min_columns:
        raise ValueError(
            f"{name} must have at least {min_columns} column(s), got shape {arr.shape}"
        )
    # a finite sum implies finite entries (NaN / inf propagate); it is a cheaper full pass than
    # isfinite + all, and only an overflowing or non-finite sum needs the elementwise check
    if not np.isfinite(arr.sum()) and not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(
            f"{name} contains NaN or infinite values (first at row {bad[0]}, column {bad[1]}); "
            "drop or impute them first"
        )
    return arr
