"""``causalmix fit`` on a Parquet directory, glob or several files: the dask path (issue #14).

The files are read lazily (:mod:`causalmix._parquet_dataset`) and fitted by
:class:`~causalmix.MixtureUTIGSP` through its block-wise dask path; ``labels.csv`` is written
partition by partition, so that no step holds all rows in memory (the model selection's 2^17-row
sample aside). Options that need every row in memory at once are refused with one line.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from causalmix._parquet_dataset import read_dataset

__all__ = ["check_options", "fit_dataset", "write_labels_by_partition"]

# rows per predict_proba call while writing labels.csv: bounds the memory of a partition's
# posteriors (the same block size as the in-memory chunked fit)
LABEL_BLOCK_ROWS = 16384

_IN_MEMORY_ONLY = {  # option attribute -> (flag, value meaning "not given")
    "label_column": ("--label-column", None),
    "observational_label": ("--observational-label", None),
    "index_column": ("--index-column", None),
    "no_header": ("--no-header", False),
    "stability": ("--stability", 0),
}


def check_options(args: argparse.Namespace, transform: str) -> None:
    """Refuse the options that need all rows in memory.

    Raises
    ------
    ValueError
        Naming every such option given.
    """
    given = [
        flag
        for attr, (flag, unset) in _IN_MEMORY_ONLY.items()
        if getattr(args, attr, unset) != unset
    ]
    if transform == "rank":
        given.append("--transform rank")
    if given:
        raise ValueError(
            f"{', '.join(given)} cannot be used with a Parquet directory, glob or several files "
            "(they need all rows in memory); fit one file instead"
        )


def fit_dataset(
    args: argparse.Namespace, est: Any, drop: list[str], transform: str, progress: Any, out: Path
) -> list[Path]:
    """Read, fit, and write labels.csv and the results into ``out``; returns the written paths."""
    from causalmix import CausalmixWarning
    from causalmix.report import write_result

    check_options(args, transform)
    data = read_dataset(args.data, drop_columns=drop, log_transform=transform == "log")
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CausalmixWarning)  # printed as the "checks" block
        est.fit(data.frame, progress=progress)
    progress.close()
    n_rows = write_labels_by_partition(out / "labels.csv", est, data.frame)
    info: dict[str, Any] = {
        "source": " ".join(str(p) for p in args.data),
        "files": [str(f) for f in data.files],
        "n_rows": n_rows,
        "n_columns": len(data.columns),
        "transform": transform,
        "log_transform": transform == "log",
        "dropped_columns": drop,
        "label_column": None,
        "index_column": None,
        "fit_seconds": round(time.perf_counter() - t0, 3),
    }
    return write_result(out, est, info, plots=not args.no_plots, extra_files=["labels.csv"])


def write_labels_by_partition(path: Path, est: Any, frame: Any) -> int:
    """``labels.csv`` (row position, component, its posterior) one partition at a time.

    Rows are numbered 0, 1, ... across the files in order. Returns the number of rows.
    """
    import pandas as pd

    start = 0
    with path.open("w", newline="") as handle:
        handle.write("row,component,probability\n")
        for i in range(frame.npartitions):
            part = frame.get_partition(i).compute().to_numpy(dtype=np.float64)
            for lo in range(0, part.shape[0], LABEL_BLOCK_ROWS):
                block = part[lo : lo + LABEL_BLOCK_ROWS]
                proba = est.predict_proba(block)
                labels = proba.argmax(axis=1)
                rows = np.arange(start, start + block.shape[0])
                pd.DataFrame(
                    {"row": rows, "component": labels, "probability": proba[rows - start, labels]}
                ).to_csv(handle, header=False, index=False, float_format="%.6g")
                start += block.shape[0]
    return start
