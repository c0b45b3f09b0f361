"""Reading users' tables: one-line errors that name the cause and the fix.

The mistakes checked before pandas parses a text file (pandas would silently repair or misread
them): a header with duplicate names (pandas renames the second ``a`` to ``a.1``), a nameless first
column (the row index ``to_csv`` writes by default; pandas calls it ``Unnamed: 0``), a missing
header row (the first row of numbers would become the column names), trailing separators (pandas
then takes the first column as the row index and shifts every name), decimal commas and files that
are not UTF-8. Messages name this module's parameters (``drop_columns``, ``index_column`` ...); the
CLI rewrites them as its flags.
"""

from __future__ import annotations

import csv
import itertools
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from causalmix.output import atomic_output_dir

__all__ = ["DataError", "atomic_output_dir", "check_columns", "read_table"]

_PEEK_ROWS = 20  # data rows inspected for the layout checks (the header plus this many lines)
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|nan)", re.IGNORECASE)
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+([eE][+-]?\d+)?")
_UNNAMED = re.compile(r"Unnamed: \d+")


class DataError(ValueError):
    """A user's data file cannot be used as it is; the message says why and what to do."""


def read_table(
    path: str | os.PathLike,
    *,
    label_column: str | None = None,
    drop_columns: Sequence[str] = (),
    index_column: str | int | None = None,
    header: bool = True,
    decimal: str = ".",
    encoding: str = "utf-8",
    log_transform: bool = False,
) -> tuple[pd.DataFrame, pd.Series | None]:
    """Read a CSV, TSV or Parquet file into a numeric frame, rejecting the usual file mistakes.

    Parameters
    ----------
    path : path-like
        ``.csv`` (separator ``,``, ``;`` or tab, judged from the first line), ``.tsv``/``.tab``/
        ``.txt`` (tab) or ``.parquet`` (needs pyarrow: ``pip install 'causalmix[parquet]'``).
    label_column : str, optional
        A column of known setting labels; removed from the data and returned separately.
    drop_columns : sequence of str
        Columns to ignore.
    index_column : str or int, optional
        A column of row identifiers (name, or 0-based position): removed from the variables and
        used as the returned frame's index. A nameless first column (the index pandas'
        ``to_csv`` writes by default) is refused unless it is named here.
    header : bool, default True
        Whether the first line holds the column names; with False the columns are named
        ``X0, X1, ...``. A first line of numbers only is refused while ``header`` is True.
    decimal : {".", ","}, default "."
        Decimal mark of text files.
    encoding : str, default "utf-8"
        Text encoding of text files (e.g. ``"latin-1"``, ``"cp1252"``).
    log_transform : bool
        Replace every value by its natural logarithm (all values must be positive).

    Returns
    -------
    data : pandas.DataFrame
        Numeric, finite, validated by :func:`check_columns`; its index holds ``index_column``'s
        values, else the 0-based row positions.
    labels : pandas.Series or None

    Raises
    ------
    DataError
        For a missing or empty file, the layout mistakes listed in the module docstring, an
        unknown column, non-numeric or non-finite cells, and the problems listed in
        :func:`check_columns`.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"data file {str(path)!r} does not exist or is not a file")
    if path.stat().st_size == 0:
        raise DataError(f"data file {str(path)!r} is empty")
    if decimal not in (".", ","):
        raise DataError(f"decimal must be '.' or ',', got {decimal!r}")
    if path.suffix.lower() == ".parquet":
        frame = _read_parquet(path)
    else:
        frame = _read_text(
            path, header=header, decimal=decimal, encoding=encoding, index_column=index_column
        )
    if frame.shape[0] == 0:
        raise DataError(f"data file {path.name} has a header but no rows")
    frame.columns = [str(c).strip() for c in frame.columns]
    if index_column is not None:
        frame = _set_index(frame, index_column, path)
    wanted = (*drop_columns, *([label_column] if label_column else []))
    unknown = [c for c in wanted if c not in frame]
    if unknown:
        raise DataError(
            f"column(s) {unknown} not found in {path.name}; columns are {list(frame.columns)}"
        )
    labels = frame.pop(label_column) if label_column else None
    frame = frame.drop(columns=list(drop_columns))
    numeric = _to_numeric(frame, decimal)
    values = numeric.to_numpy(dtype=np.float64)
    if log_transform:
        if (values <= 0).any():
            col = int(np.argwhere(values <= 0)[0][1])
            raise DataError(
                f"log_transform needs positive values; column {frame.columns[col]!r} has some <= 0"
            )
        numeric = np.log(numeric)
    check_columns(numeric)
    return numeric.astype(np.float64), labels


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise DataError(
            f"reading {path.name} needs pyarrow: pip install 'causalmix[parquet]' "
            "(or save the table as CSV)"
        ) from None
    try:
        return pd.read_parquet(path, engine="pyarrow")
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read {path.name} as Parquet: {_first_line(exc)}") from None


def _read_text(
    path: Path, *, header: bool, decimal: str, encoding: str, index_column: str | int | None
) -> pd.DataFrame:
    try:
        "".encode(encoding)
    except LookupError:
        raise DataError(
            f"unknown encoding={encoding!r} (try 'utf-8', 'latin-1' or 'cp1252')"
        ) from None
    lines = _head_lines(path, encoding)
    tab = path.suffix.lower() in (".tsv", ".tab", ".txt")
    sep = "\t" if tab else _sniff_separator(lines[0] if lines else "")
    rows = [[f.strip() for f in r] for r in csv.reader(lines, delimiter=sep)]
    rows = [r for r in rows if r]
    _check_layout(path.name, rows, sep, header=header, decimal=decimal, index_column=index_column)
    try:
        frame = pd.read_csv(
            path,
            sep=sep,
            header=0 if header else None,
            index_col=False,
            encoding=encoding,
            decimal=decimal,
            skipinitialspace=True,
        )
    except UnicodeDecodeError:
        raise _encoding_error(path, encoding) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise DataError(f"cannot parse {path.name}: {_first_line(exc)}") from None
    if not header:
        frame.columns = [f"X{i}" for i in range(frame.shape[1])]
    return frame


def _head_lines(path: Path, encoding: str) -> list[str]:
    """The first lines of a text file (BOM removed); a decoding failure becomes a DataError."""
    try:
        with open(path, encoding=encoding, newline="") as fh:
            lines = list(itertools.islice(fh, _PEEK_ROWS + 1))
    except UnicodeDecodeError:
        raise _encoding_error(path, encoding) from None
    if lines:
        lines[0] = lines[0].lstrip("\ufeff")
    return lines


def _encoding_error(path: Path, encoding: str) -> DataError:
    """Locate the first line that does not decode and suggest how to read or convert the file."""
    line_no, byte = 0, b""
    with open(path, "rb") as fh:
        for line_no, raw in enumerate(fh, start=1):  # noqa: B007
            try:
                raw.decode(encoding)
            except UnicodeDecodeError as exc:
                byte = raw[exc.start : exc.start + 1]
                break
    return DataError(
        f"{path.name} is not {encoding} text (byte 0x{byte.hex() or '??'} on line {line_no}); "
        "pass its encoding, e.g. encoding='latin-1' or 'cp1252', or save the file as UTF-8"
    )


def _sniff_separator(first_line: str) -> str:
    """The field separator of a delimited text file, judged from its first line."""
    for sep in ("\t", ";", ","):
        if sep in first_line:
            return sep
    return ","


def _check_layout(
    name: str,
    rows: list[list[str]],
    sep: str,
    *,
    header: bool,
    decimal: str,
    index_column: str | int | None,
) -> None:
    """Refuse the file mistakes pandas would silently repair or misread (see the module docstring)."""
    if not rows:
        raise DataError(f"data file {name} has no lines with values")
    shown = {",": "','", ";": "';'", "\t": "tab"}[sep]
    first, data = rows[0], rows[1:] if header else rows
    if decimal == "." and any(_DECIMAL_COMMA.fullmatch(f) for r in data for f in r):
        example = next(f for r in data for f in r if _DECIMAL_COMMA.fullmatch(f))
        raise DataError(
            f"{name} writes numbers with a decimal comma (e.g. {example!r}); pass decimal=','"
        )
    widths = {len(r) for r in data}
    if (
        data
        and len(widths) == 1
        and widths.pop() == len(first) + 1
        and all(r[-1] == "" for r in data)
    ):
        raise DataError(
            f"every row of {name} ends with a trailing {shown} that the header line does not "
            "have (an empty extra field); remove the trailing separators"
        )
    if not header:
        return
    if first and all(_NUMBER.fullmatch(f) for f in first):
        raise DataError(
            f"the first line of {name} holds numbers, not column names ({sep.join(first[:4])}"
            f"{', ...' if len(first) > 4 else ''}): no header row? add a line of column names, "
            "or pass header=False to name the columns X0, X1, ..."
        )
    if len(first) > 1 and first[-1] == "":
        raise DataError(
            f"the header line of {name} ends with a trailing {shown}, which makes an empty, "
            "nameless last column; remove the trailing separators"
        )
    counts: dict[str, int] = {}
    for f in first:
        counts[f] = counts.get(f, 0) + 1
    dup = sorted(f for f, c in counts.items() if c > 1 and f)
    if dup:
        raise DataError(
            f"duplicate column names {dup} in the header of {name}; give every column its own "
            "name (pandas would silently rename the second copy to '<name>.1')"
        )
    nameless = [i for i, f in enumerate(first) if f == "" or _UNNAMED.fullmatch(f)]
    if nameless and nameless[0] == 0 and index_column not in (0, first[0]):
        raise DataError(
            f"the first column of {name} has no name ({first[0]!r}): it looks like the row index "
            "that pandas' to_csv writes by default; pass index_column=0 to use it as row "
            "identifiers, or write the file with to_csv(..., index=False)"
        )
    nameless = [i for i in nameless if not (i == 0 and index_column in (0, first[0]))]
    if nameless:
        raise DataError(
            f"column(s) at position(s) {nameless} of {name} have no name in the header line; "
            "name every column"
        )


def _set_index(frame: pd.DataFrame, index_column: str | int, path: Path) -> pd.DataFrame:
    if isinstance(index_column, int) and not isinstance(index_column, bool):
        if not 0 <= index_column < frame.shape[1]:
            raise DataError(
                f"index_column={index_column} is not a column position of {path.name} "
                f"(it has {frame.shape[1]} columns)"
            )
        index_column = frame.columns[index_column]
    if index_column not in frame:
        raise DataError(
            f"index_column {index_column!r} not found in {path.name}; columns are "
            f"{list(frame.columns)}"
        )
    index = frame.pop(index_column)
    frame.index = pd.Index(index.to_numpy(), name=str(index_column) or "row")
    return frame


def _to_numeric(frame: pd.DataFrame, decimal: str) -> pd.DataFrame:
    numeric = frame.apply(pd.to_numeric, errors="coerce")
    bad = numeric.isna() & frame.notna()
    if bad.to_numpy().any():
        row, col = np.argwhere(bad.to_numpy())[0]
        value = frame.iat[row, col]
        hint = (
            "; it uses a decimal comma: pass decimal=','"
            if decimal == "." and isinstance(value, str) and _DECIMAL_COMMA.fullmatch(value.strip())
            else "; fix it or drop the column with drop_columns"
        )
        raise DataError(
            f"non-numeric value {value!r} in column {frame.columns[col]!r}, data row {row + 1}"
            + hint
        )
    values = numeric.to_numpy(dtype=np.float64)
    if not np.isfinite(values).all():
        row, col = np.argwhere(~np.isfinite(values))[0]
        raise DataError(
            f"missing or infinite value in column {frame.columns[col]!r}, data row {row + 1}; "
            "causalmix needs complete data: drop or impute those rows first"
        )
    return numeric


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def check_columns(frame: pd.DataFrame) -> None:
    """Reject data causal discovery cannot use, naming every problem at once.

    Refused: duplicate column names; constant columns (all of them are named); columns identical
    to an earlier one; fewer than 2 usable variables; fewer rows than ``max(2 p, p + 2)`` (what
    :class:`~causalmix.MixtureUTIGSP` needs).

    Raises
    ------
    DataError
        Naming the offending columns and what to do.
    """
    n, p = frame.shape
    names = [str(c) for c in frame.columns]
    if len(set(names)) != p:
        dup = sorted({c for c in names if names.count(c) > 1})
        raise DataError(f"duplicate column names {dup}")
    values = frame.to_numpy(dtype=np.float64)
    constant = [c for c, r in zip(names, np.ptp(values, axis=0), strict=True) if r == 0]
    if n > 1 and p > 0 and len(constant) == p:
        raise DataError(
            f"all {n} rows are identical (every column is constant: {constant}); "
            "there is nothing to learn from them"
        )
    problems, drop = [], set(constant)
    if constant:
        problems.append(f"constant column(s) {constant} carry no information")
    seen: dict[bytes, str] = {}
    for c, col in zip(names, values.T, strict=True):
        if c in drop:
            continue
        key = col.tobytes()
        if key in seen:
            problems.append(f"column {c!r} is identical to {seen[key]!r}")
            drop.add(c)
        else:
            seen[key] = c
    usable = p - len(drop)
    if problems:
        rest = "" if usable >= 2 else f"; then {usable} column(s) would be left: need at least 2"
        raise DataError("; ".join(problems) + f": drop them with drop_columns{rest}")
    if p < 2:
        raise DataError(f"need at least 2 variables to learn a graph, got {p} column(s)")
    if n < max(2 * p, p + 2):
        raise DataError(
            f"need at least max(2 p, p + 2) = {max(2 * p, p + 2)} rows for {p} variables, got {n}"
        )
