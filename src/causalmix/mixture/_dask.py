"""The ``dask.array`` side of :mod:`causalmix.mixture.large` (optional extra ``causalmix[dask]``).

Only three operations touch dask: summing a block function over the row blocks (one task per
block, then one task that adds the results in block order), drawing rows into memory, and the
lazy labels. Everything numeric is the block functions of :mod:`causalmix.mixture._chunked`, so
the graph runs unchanged on the threaded scheduler or a ``dask.distributed`` cluster (whichever
is the default when the pass is computed, e.g. after ``distributed.Client(address)``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from causalmix.mixture._chunked import DEFAULT_CHUNK, labels_block, sum_parts

__all__ = [
    "check_matrix",
    "frame_to_array",
    "is_dask_array",
    "is_dask_frame",
    "labels",
    "mapper",
    "require",
    "take_rows",
]

_MISSING = (
    "a dask array needs the optional dependency dask; install it with pip install 'causalmix[dask]'"
)


def is_dask_array(X: object) -> bool:
    """Whether ``X`` is a ``dask.array.Array`` (without importing dask)."""
    return type(X).__module__.startswith("dask.array") and hasattr(X, "to_delayed")


def is_dask_frame(X: object) -> bool:
    """Whether ``X`` is a ``dask.dataframe.DataFrame`` (without importing dask)."""
    return type(X).__module__.startswith("dask.dataframe") and hasattr(X, "to_dask_array")


def frame_to_array(frame: object) -> tuple[object, list[str]]:
    """(float64 dask array with known row chunks of ``DEFAULT_CHUNK`` rows, column names).

    Computing the chunk lengths is one pass over the partitions (no rows are kept).
    """
    require()
    names = [str(c) for c in frame.columns]
    X = frame.to_dask_array(lengths=True).astype(np.float64)
    return X.rechunk({0: DEFAULT_CHUNK, 1: -1}), names


def require() -> object:
    """Import ``dask.array``, or raise ImportError naming the extra."""
    try:
        import dask.array as da
    except ImportError:
        raise ImportError(_MISSING) from None
    return da


def check_matrix(X: object) -> object:
    """A 2-D floating dask array with one chunk across the columns.

    Raises
    ------
    ValueError
        If ``X`` is not 2-D with at least two rows, or not numeric.
    """
    require()
    if X.ndim != 2 or X.shape[0] < 2 or X.shape[1] < 1:
        raise ValueError(f"X must be a 2-D dask array with at least 2 rows, got shape {X.shape}")
    if not np.issubdtype(X.dtype, np.number) or np.issubdtype(X.dtype, np.complexfloating):
        raise ValueError(f"X must hold real numbers, got dtype {X.dtype}")
    if np.isnan(X.shape[0]):
        raise ValueError("X must have known chunk sizes; call X.compute_chunk_sizes() first")
    return X.astype(np.float64).rechunk({1: -1})


def mapper(X: object) -> Callable:
    """``(block function, args) -> results summed over the row blocks of X`` (one compute)."""
    import dask

    blocks = check_matrix(X).to_delayed().ravel().tolist()

    def run(function: Callable, args: tuple) -> tuple:
        parts = [dask.delayed(function, pure=True)(b, *args) for b in blocks]
        return dask.delayed(sum_parts, pure=True)(parts).compute()

    return run


def take_rows(X: object, idx: np.ndarray) -> np.ndarray:
    """Rows ``idx`` (sorted) of a dask array, computed into memory."""
    return np.asarray(check_matrix(X)[idx].compute(), dtype=np.float64)


def labels(X: object, center: np.ndarray, params: object) -> object:
    """Lazy most probable component of every row (a 1-D dask array)."""
    X = check_matrix(X)
    return X.map_blocks(lambda b: labels_block(b, center, params), drop_axis=1, dtype=np.intp)
