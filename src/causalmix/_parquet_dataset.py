"""A Parquet directory, glob or list of files as one lazy dask array (``causalmix fit``, #14).

``causalmix fit cells/`` (every ``*.parquet`` file directly in the directory), ``causalmix fit
'cells/*.parquet'`` (a glob; quote it, or the shell passes the matched files, which works too) or
``causalmix fit a.parquet b.parquet`` read the rows of all files in sorted path order as one
data set. The files' footers (column names, types, row counts) are checked first; then one
chunk-wise pass checks the values. :func:`read_dataset` returns the lazy
``dask.dataframe.read_parquet`` frame, which :class:`~causalmix.MixtureUTIGSP` turns into a dask
array with known chunk lengths in blocks of :data:`causalmix.mixture._chunked.DEFAULT_CHUNK` rows
and fits through the block-wise dask path of :mod:`causalmix.mixture.large` (model selection on a
2^17-row sample in memory, EM rounds and statistics on all rows chunk by chunk). Column names
become node names, as for a CSV file.
"""

from __future__ import annotations

import glob
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from causalmix.io import DataError

__all__: list[str] = []

_GLOB_CHARS = re.compile(r"[*?\[]")
_PANDAS_INDEX = re.compile(r"__index_level_\d+__")  # the index column pandas may write
_MISSING = (
    "reading a Parquet directory or glob needs dask and pyarrow: pip install 'causalmix[dask]'"
)


@dataclass(frozen=True)
class ParquetDataset:
    """The lazily read rows of several Parquet files (immutable).

    Attributes
    ----------
    frame : dask.dataframe.DataFrame of shape (N, p)
        float64 columns, checked finite; ``MixtureUTIGSP.fit`` turns it into a dask array with
        known chunk lengths cut into blocks of ``DEFAULT_CHUNK`` rows.
    columns : list of str
        Column names (the node names).
    files : list of Path
        The files read, in row order.
    """

    frame: object
    columns: list[str]
    files: list[Path]


def is_dataset(paths: Sequence[str | Path]) -> bool:
    """Whether the CLI's data argument(s) name a set of Parquet files: several paths, a
    directory, or a pattern with ``*``, ``?`` or ``[``."""
    if len(paths) != 1:
        return True
    text = str(paths[0])
    return Path(text).is_dir() or (_GLOB_CHARS.search(text) is not None and not Path(text).exists())


def find_files(paths: Sequence[str | Path]) -> list[Path]:
    """The Parquet files named by directories, glob patterns and file names, in sorted order.

    Raises
    ------
    DataError
        If a directory holds no ``*.parquet`` file, a pattern matches no file, a named file does
        not exist, or a matched file is not ``.parquet``.
    """
    files: list[Path] = []
    for arg in paths:
        text = str(arg)
        path = Path(text)
        if path.is_dir():
            found = sorted(f for f in path.glob("*.parquet") if f.is_file())
            if not found:
                raise DataError(f"no *.parquet file in directory {text!r}")
        elif _GLOB_CHARS.search(text) and not path.exists():
            found = sorted(Path(f) for f in glob.glob(text, recursive=True) if Path(f).is_file())
            if not found:
                raise DataError(f"no file matches the pattern {text!r}")
        elif path.is_file():
            found = [path]
        else:
            raise DataError(f"data file {text!r} does not exist or is not a file")
        files += found
    wrong = [str(f) for f in files if f.suffix.lower() != ".parquet"]
    if wrong:
        raise DataError(
            f"only .parquet files can be read together, got {wrong[0]!r}; pass one CSV file alone"
        )
    return files


def _schema_columns(file: Path) -> tuple[dict[str, object], int]:
    """(column name -> Arrow type, rows) from a file's footer."""
    import pyarrow.parquet as pq

    try:
        meta = pq.read_metadata(file)
        schema = meta.schema.to_arrow_schema()
    except (OSError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"cannot read {file} as Parquet: {reason}") from None
    types = {f.name: f.type for f in schema if not _PANDAS_INDEX.fullmatch(f.name)}
    return types, int(meta.num_rows)


def check_files(files: Sequence[Path], drop_columns: Sequence[str] = ()) -> tuple[list[str], int]:
    """(the variables' column names, total rows), checked from the footers only.

    Raises
    ------
    DataError
        If a drop column is unknown, a kept column is not numeric in some file, the files do not
        all have the same columns, or they hold no row.
    """
    import pyarrow as pa

    first, n_rows = _schema_columns(files[0])
    unknown = [c for c in drop_columns if c not in first]
    if unknown:
        raise DataError(
            f"column(s) {unknown} of drop_columns not found in {files[0]}; "
            f"columns are {list(first)}"
        )
    columns = [c for c in first if c not in drop_columns]
    if not columns:
        raise DataError(f"{files[0]} has no column left to fit after drop_columns")
    for file in files:
        types, rows = (first, n_rows) if file == files[0] else _schema_columns(file)
        if file != files[0]:
            n_rows += rows
            if set(types) - set(drop_columns) != set(columns):
                missing = sorted(set(columns) - set(types))
                extra = sorted(set(types) - set(columns) - set(drop_columns))
                raise DataError(
                    f"{file} does not have the columns of {files[0]} (missing {missing}, "
                    f"extra {extra}); every file needs the same columns"
                )
        for name in columns:
            kind = types[name]
            if not (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
                raise DataError(
                    f"column {name!r} of {file} is not numeric (Parquet type {kind}); "
                    "drop it with drop_columns"
                )
    if n_rows == 0:
        raise DataError(f"the {len(files)} Parquet file(s) hold no rows")
    return columns, n_rows


def read_dataset(
    paths: Sequence[str | Path],
    *,
    drop_columns: Sequence[str] = (),
    log_transform: bool = False,
) -> ParquetDataset:
    """The rows of every Parquet file named by ``paths`` as one lazy, checked dask array.

    Parameters
    ----------
    paths : sequence of str or Path
        Directories (their ``*.parquet`` files), glob patterns and file names.
    drop_columns : sequence of str
        Columns to ignore.
    log_transform : bool
        Take the natural logarithm of every value (lazily; all values must be positive).

    Returns
    -------
    ParquetDataset

    Raises
    ------
    DataError
        Missing dask or pyarrow (naming ``causalmix[dask]``), the problems of :func:`find_files`
        and :func:`check_files`, and non-finite (or, with ``log_transform``, non-positive)
        values, naming the column; the value check is one pass over the rows.
    """
    try:
        import dask
        import dask.dataframe as dd
        import pyarrow  # noqa: F401
    except ImportError:
        raise DataError(_MISSING) from None
    files = find_files(paths)
    columns, _ = check_files(files, drop_columns)
    frame = dd.read_parquet([str(f) for f in files], columns=columns, index=False)
    frame = frame.astype(np.float64)
    checks = [(~np.isfinite(frame)).sum()]
    if log_transform:
        checks.append((frame <= 0).sum())
    counts = [np.asarray(c) for c in dask.compute(*checks)]
    if counts[0].any():
        col = int(np.flatnonzero(counts[0])[0])
        raise DataError(
            f"column {columns[col]!r} has {int(counts[0][col])} missing or infinite value(s) in "
            f"{_describe(paths)}; remove those rows first"
        )
    if log_transform:
        if counts[1].any():
            col = int(np.flatnonzero(counts[1])[0])
            raise DataError(
                f"log_transform needs positive values; column {columns[col]!r} has "
                f"{int(counts[1][col])} value(s) <= 0"
            )
        frame = np.log(frame)
    return ParquetDataset(frame, columns, files)


def _describe(paths: Sequence[str | Path]) -> str:
    return " ".join(repr(str(p)) for p in paths[:3]) + (" ..." if len(paths) > 3 else "")
