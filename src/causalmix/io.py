"""Reading users' tables and writing results without leaving partial output behind."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["DataError", "atomic_output_dir", "check_columns", "read_table"]


class DataError(ValueError):
    """A user's data file cannot be used as it is; the message says why and what to do."""


def read_table(
    path: str | os.PathLike,
    *,
    label_column: str | None = None,
    drop_columns: Sequence[str] = (),
    log_transform: bool = False,
) -> tuple[pd.DataFrame, pd.Series | None]:
    """Read a CSV, TSV or Parquet file with a header row into a numeric frame.

    Parameters
    ----------
    path : path-like
        ``.csv``, ``.tsv``/``.tab``/``.txt`` (tab separated) or ``.parquet`` (needs pyarrow).
    label_column : str, optional
        A column of known setting labels; removed from the data and returned separately.
    drop_columns : sequence of str
        Columns to ignore.
    log_transform : bool
        Replace every value by its natural logarithm (all values must be positive).

    Returns
    -------
    data : pandas.DataFrame
        Numeric, finite, validated by :func:`check_columns`.
    labels : pandas.Series or None

    Raises
    ------
    DataError
        For a missing or empty file, an unknown column, non-numeric or non-finite cells, and the
        problems listed in :func:`check_columns`.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"data file {str(path)!r} does not exist or is not a file")
    if path.stat().st_size == 0:
        raise DataError(f"data file {str(path)!r} is empty")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            frame = pd.read_parquet(path)
        elif suffix in (".tsv", ".tab", ".txt"):
            frame = pd.read_csv(path, sep="\t")
        else:
            frame = pd.read_csv(path, sep=_sniff_separator(path))
    except ImportError as exc:
        raise DataError(
            f"cannot read {path.name}: {exc}; install pyarrow or convert to CSV"
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"cannot parse {path.name}: {exc}") from None
    if frame.shape[0] == 0:
        raise DataError(f"data file {path.name} has a header but no rows")
    frame.columns = [str(c).strip() for c in frame.columns]
    unknown = [
        c for c in (*drop_columns, *([label_column] if label_column else [])) if c not in frame
    ]
    if unknown:
        raise DataError(
            f"column(s) {unknown} not found in {path.name}; columns are {list(frame.columns)}"
        )
    labels = frame.pop(label_column) if label_column else None
    frame = frame.drop(columns=list(drop_columns))
    numeric = frame.apply(pd.to_numeric, errors="coerce")
    bad = numeric.isna() & frame.notna()
    if bad.to_numpy().any():
        row, col = np.argwhere(bad.to_numpy())[0]
        raise DataError(
            f"non-numeric value {frame.iat[row, col]!r} in column {frame.columns[col]!r}, "
            f"data row {row + 1}; fix it or drop the column with --drop-columns"
        )
    values = numeric.to_numpy(dtype=np.float64)
    if not np.isfinite(values).all():
        row, col = np.argwhere(~np.isfinite(values))[0]
        raise DataError(
            f"missing or infinite value in column {frame.columns[col]!r}, data row {row + 1}; "
            "causalmix needs complete data: drop or impute those rows first"
        )
    if log_transform:
        if (values <= 0).any():
            col = int(np.argwhere(values <= 0)[0][1])
            raise DataError(
                f"--log-transform needs positive values; column {frame.columns[col]!r} has some <= 0"
            )
        numeric = np.log(numeric)
    check_columns(numeric)
    return numeric.astype(np.float64), labels


def _sniff_separator(path: Path) -> str:
    """The field separator of a delimited text file, judged from its header line."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        header = fh.readline()
    for sep in (",", "\t", ";"):
        if sep in header:
            return sep
    return ","


def check_columns(frame: pd.DataFrame) -> None:
    """Reject data causal discovery cannot use: one column, too few rows, constant or duplicate columns.

    Raises
    ------
    DataError
        Naming the offending columns.
    """
    n, p = frame.shape
    if len(set(frame.columns)) != p:
        dup = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
        raise DataError(f"duplicate column names {dup}")
    if p < 2:
        raise DataError(f"need at least 2 variables to learn a graph, got {p} column(s)")
    if n <= p:
        raise DataError(f"need more rows than variables, got {n} rows and {p} columns")
    values = frame.to_numpy(dtype=np.float64)
    const = [c for c, s in zip(frame.columns, values.std(axis=0), strict=True) if s == 0]
    if const:
        raise DataError(
            f"constant column(s) {const} carry no information; drop them with --drop-columns"
        )
    seen: dict[bytes, str] = {}
    for c, col in zip(frame.columns, values.T, strict=True):
        key = col.tobytes()
        if key in seen:
            raise DataError(
                f"columns {seen[key]!r} and {c!r} are identical; drop one with --drop-columns"
            )
        seen[key] = c


@contextlib.contextmanager
def atomic_output_dir(out: str | os.PathLike, *, force: bool = False) -> Iterator[Path]:
    """Yield a temporary directory that becomes ``out`` only if the block succeeds.

    Parameters
    ----------
    out : path-like
        The final directory. Its parent must exist and be writable.
    force : bool
        Replace an existing ``out``; otherwise an existing ``out`` is refused.

    Raises
    ------
    FileExistsError
        If ``out`` exists and ``force`` is False.
    PermissionError
        If the parent directory is not writable.

    Notes
    -----
    Files are written into a sibling temporary directory which is renamed onto ``out`` at the end;
    on any error the temporary directory is removed and an existing ``out`` is left untouched.
    """
    out = Path(out)
    if out.exists() and not force:
        raise FileExistsError(f"output directory {str(out)!r} exists; pass --force to replace it")
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"output path {str(out)!r} exists and is not a directory")
    parent = out.absolute().parent
    if not parent.is_dir():
        raise FileNotFoundError(f"parent directory {str(parent)!r} of the output does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(f"cannot write into {str(parent)!r} (permission denied)")
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
    try:
        yield tmp
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=parent))
            os.replace(out, old / out.name)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
