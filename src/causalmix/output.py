"""Output directories that appear complete or not at all, and are never silently replaced."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_output_dir"]

_DEFERRED = tuple(
    s for s in (getattr(signal, "SIGINT", None), getattr(signal, "SIGTERM", None)) if s
)


@contextlib.contextmanager
def atomic_output_dir(out: str | os.PathLike, *, force: bool = False) -> Iterator[Path]:
    """Reserve ``out`` now; yield a temporary directory that becomes ``out`` if the block succeeds.

    Parameters
    ----------
    out : path-like
        The final directory. Its parent must exist and be writable.
    force : bool
        Replace an existing ``out`` (at the end, in one step); otherwise an existing ``out`` is
        refused before any work is done.

    Yields
    ------
    pathlib.Path
        A sibling directory ``.NAME.tmp-XXXXXXXX`` to write the files into.

    Raises
    ------
    FileExistsError
        If ``out`` exists and ``force`` is False (also when another run reserved it meanwhile),
        or ``out`` is a file.
    FileNotFoundError, PermissionError
        If the parent directory is missing or not writable.

    Notes
    -----
    Without ``force``, ``out`` is created empty at once (``mkdir`` is atomic), so of two runs
    started on the same ``out`` the later one fails here instead of replacing the earlier one's
    result. At the end the temporary directory is renamed onto ``out``; with ``force`` an
    existing ``out`` is first renamed aside and deleted after the rename. SIGINT and SIGTERM are
    held back during these renames. On any error or interruption the temporary directory and the
    reservation are removed and an existing ``out`` is left untouched. Directories are created
    with ``mkdir`` (mode 0o777 less the umask, like the files written into them), never 0o700.
    """
    out = Path(out)
    parent = out.absolute().parent
    if not parent.is_dir():
        raise FileNotFoundError(f"parent directory {str(parent)!r} of the output does not exist")
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"output path {str(out)!r} exists and is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(f"cannot write into {str(parent)!r} (permission denied)")
    reserved = False
    if not (force and out.exists()):
        try:
            os.mkdir(out)
            reserved = True
        except FileExistsError:
            if not force:
                raise FileExistsError(_exists_message(out)) from None
    committed = False
    tmp = None
    try:
        tmp = _unique_dir(parent, f".{out.name}.tmp-")
        yield tmp
        with _signals_held():
            _commit(tmp, out, replace=not reserved)
            committed = True
    finally:
        if tmp is not None and tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
        if reserved and not committed:
            with contextlib.suppress(OSError):
                os.rmdir(out)  # only if still empty: never deletes another run's files


def _exists_message(out: Path) -> str:
    empty = out.is_dir() and not any(out.iterdir())
    why = (
        " (empty: reserved by a causalmix run still going, or left by one that was killed)"
        if empty
        else ""
    )
    return f"output directory {str(out)!r} exists{why}; pass force=True to replace it"


def _unique_dir(parent: Path, prefix: str) -> Path:
    """Create ``parent/prefix<random>`` with the umask's permissions (unlike mkdtemp's 0o700)."""
    while True:
        path = parent / f"{prefix}{secrets.token_hex(4)}"
        try:
            os.mkdir(path)
            return path
        except FileExistsError:  # pragma: no cover - 2^32 names
            continue


def _commit(tmp: Path, out: Path, *, replace: bool) -> None:
    if not replace:
        try:
            os.replace(tmp, out)  # onto our own empty reservation
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
            raise FileExistsError(
                f"output directory {str(out)!r} was filled by another run meanwhile; "
                "nothing was replaced"
            ) from None
        return
    if not out.exists():
        os.replace(tmp, out)
        return
    old = out.absolute().parent / f".{out.name}.old-{secrets.token_hex(4)}"
    os.replace(out, old)
    try:
        os.replace(tmp, out)
    except OSError:
        os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT / SIGTERM back (delivered afterwards) so that renames finish as a unit."""
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - not POSIX
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _DEFERRED)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
