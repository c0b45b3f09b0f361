"""What the CLI does around a command: progress line, signals, and turning errors into one line."""

from __future__ import annotations

import contextlib
import re
import shutil
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

__all__ = [
    "EXIT_SIGINT",
    "EXIT_SIGTERM",
    "Progress",
    "Terminated",
    "cli_message",
    "handle_sigterm",
    "is_user_error",
]

EXIT_SIGINT = 130  # 128 + SIGINT, what shells report for Ctrl-C
EXIT_SIGTERM = 143  # 128 + SIGTERM, a batch scheduler's time limit

# library parameter names -> the CLI flags that set them, so that errors name what the user typed
_FLAGS = {
    "force=True": "--force",
    "drop_columns": "--drop-columns",
    "label_column": "--label-column",
    "index_column": "--index-column",
    "header=False": "--no-header",
    "decimal": "--decimal",
    "encoding": "--encoding",
    "log_transform": "--log-transform",
    "n_components": "--n-components",
    "max_components": "--max-components",
    "reg_covar": "--reg-covar",
    "alpha_ci": "--alpha-ci",
    "alpha_inv": "--alpha-inv",
    "n_runs": "--n-runs",
    "depth": "--depth",
    "cutoff": "--cutoff",
    "criterion": "--criterion",
    "observational": "--observational",
    "random_state": "--seed",
}
# names that are also English words are replaced only as "name=" or "name must" (the forms the
# library's messages use for parameters); the others wherever they stand as a whole word
_WORDS = {k for k in _FLAGS if "_" not in k and "=" not in k}
_FLAG_RE = re.compile(
    r"(?<![\w'\"-])("
    + "|".join(
        re.escape(k) + (r"(?==| must)" if k in _WORDS else "")
        for k in sorted(_FLAGS, key=len, reverse=True)
    )
    + r")(?![\w'\"])"
)
_PACKAGE = str(Path(__file__).resolve().parent)


class Terminated(BaseException):
    """Raised in the main thread by SIGTERM so that ``finally`` blocks clean up (exit 143)."""


def cli_message(exc: BaseException) -> str:
    """The error's first line, with library parameter names replaced by the CLI's flags."""
    text = str(exc).strip() or type(exc).__name__
    return _FLAG_RE.sub(lambda m: _FLAGS[m.group(1)], text.splitlines()[0])


def is_user_error(exc: BaseException) -> bool:
    """Whether ``exc`` reports a problem with the user's input or files, not a bug.

    OSErrors (missing files, permissions, an existing output) always are. A ValueError or
    TypeError is one only when causalmix raised it deliberately: its innermost frame is a
    ``raise`` statement in the causalmix package. One raised by Python or NumPy on a line of
    causalmix's code (a bug) keeps its traceback.
    """
    if isinstance(exc, OSError):
        return True
    if not isinstance(exc, ValueError | TypeError):
        return False
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return False
    last = frames[-1]
    inside = str(Path(last.filename).resolve()).startswith(_PACKAGE)
    return inside and (last.line or "").lstrip().startswith("raise")


@contextlib.contextmanager
def handle_sigterm() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` for the duration (main thread only)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGTERM"):
        yield
        return

    def raise_terminated(signum: int, frame: object) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class Progress:
    """One status line on a terminal's stderr: stage, a bar, done/total and the elapsed time.

    Quiet when disabled or when the stream is not a terminal (logs, batch jobs). Redrawn at most
    every ``interval`` seconds; :meth:`close` erases it.
    """

    def __init__(self, enabled: bool, stream: TextIO | None = None, interval: float = 0.1) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.enabled = enabled and bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = interval
        self.start = time.monotonic()
        self._drawn = 0.0
        self._visible = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if self._visible and now - self._drawn < self.interval:
            return
        total = max(total, 1)
        width = 20
        filled = min(width, int(width * done / total))
        tail = f" [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {now - self.start:7.1f} s"
        # one terminal line (a wrapped line could not be redrawn with "\r"): shorten the stage
        room = max(shutil.get_terminal_size((80, 24)).columns - 1 - len(tail), 10)
        line = f"{stage[:room]:<{room}}{tail}"
        self.stream.write("\r" + line + "\x1b[K")
        self.stream.flush()
        self._drawn, self._visible = now, True

    def close(self) -> None:
        if self._visible:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._visible = False
