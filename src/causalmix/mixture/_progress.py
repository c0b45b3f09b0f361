"""Progress of a running :func:`~causalmix.mixture.select_n_components` call.

A ``progress`` callback receives ``(stage, k, max_components)`` when a fit with k components
starts (:func:`report_stage`, called by the searches) and at every EM round (through
:data:`~causalmix.mixture._gaussian.EM_ROUND_HOOK`) while :func:`reporting` is active. Context
variables, so concurrent selections in other threads are not affected.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from causalmix.mixture._gaussian import EM_ROUND_HOOK

__all__ = ["ProgressCallback", "report_stage", "reporting"]

#: ``progress(stage, done, total)``: the callback of every long-running call (fit, selection,
#: stability); the CLI draws a progress bar from it.
ProgressCallback = Callable[[str, int, int], None]


class _Progress:
    """Reports ``(stage, k, max_components)`` to a ``progress`` callback: per k and per EM round."""

    def __init__(self, callback: ProgressCallback, total: int) -> None:
        self.callback, self.total = callback, total
        self.k, self.phase, self.rounds = 0, "", 0

    def at(self, k: int, phase: str) -> None:
        self.k, self.phase, self.rounds = k, phase, 0
        self.callback(f"model selection: k={k} {phase}", k, self.total)

    def em_round(self) -> None:
        self.rounds += 1
        self.callback(
            f"model selection: k={self.k} {self.phase}, EM round {self.rounds}", self.k, self.total
        )


_PROGRESS: ContextVar[_Progress | None] = ContextVar("selection_progress", default=None)


def report_stage(k: int, phase: str) -> None:
    """Tell the progress callback of the running :func:`select_n_components` call (if any)."""
    report = _PROGRESS.get()
    if report is not None:
        report.at(k, phase)


@contextlib.contextmanager
def reporting(progress: ProgressCallback | None, total: int) -> Iterator[None]:
    if progress is None:
        yield
        return
    report = _Progress(progress, total)
    tokens = _PROGRESS.set(report), EM_ROUND_HOOK.set(report.em_round)
    try:
        yield
    finally:
        EM_ROUND_HOOK.reset(tokens[1])
        _PROGRESS.reset(tokens[0])
