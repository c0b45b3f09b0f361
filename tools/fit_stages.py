"""Where the time of a small fit goes: wall seconds per stage of ``MixtureUTIGSP().fit``.

Simulates one cell of the paper's protocol as ``benchmarks/side_by_side.py`` does, fits it with
the default estimator for a few seeds and times, per fit, the estimator's steps
(``causalmix._fit_steps``) and, inside the choice of K, the grown sweep on its subsample, the
grows and the EM runs of :mod:`causalmix.mixture._sweep` (by their row count). The timers wrap
the functions; nested stages are counted in their callers too::

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src python tools/fit_stages.py 4 half 16 --seeds 10
"""

from __future__ import annotations

import argparse
import collections
import functools
import inspect
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import _common as C  # noqa: E402
import causalmix._fit_steps as steps  # noqa: E402
import causalmix.mixture._sweep as sweep  # noqa: E402
from causalmix import MixtureUTIGSP  # noqa: E402


def _timed(module, name: str, label: str, seconds: dict, calls: collections.Counter):
    """Replace ``module.name`` by a timer that adds to ``seconds[label (+ row count)]``;
    returns the original function."""
    func = getattr(module, name)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            rows = getattr(args[0], "n", None) if args else None
            key = f"{label} [{rows} rows]" if isinstance(rows, int) else label
            seconds[key] += time.perf_counter() - start
            calls[key] += 1

    setattr(module, name, wrapper)
    return func


def stage_times(p: int, targets: str, log2n: int, seeds: int) -> tuple[list[float], dict, dict]:
    """Fit wall times and, per stage, summed seconds and calls over ``seeds`` fits (the timers
    are removed again before it returns)."""
    seconds: dict[str, float] = collections.defaultdict(float)
    calls: collections.Counter = collections.Counter()
    wrapped = [(steps, name, f"step {name}")
               for name, func in inspect.getmembers(steps, inspect.isfunction)
               if func.__module__ == steps.__name__ and not name.startswith("_")]  # fmt: skip
    wrapped += [(sweep, name, f"sweep {name}") for name in ("_grow_until_worse", "grow", "run_em")]
    originals = [(m, name, _timed(m, name, label, seconds, calls)) for m, name, label in wrapped]
    fits = []
    try:
        for seed in range(seeds):
            sample = C.simulate(C.Cell(p=p, targets=targets, n=2**log2n), seed)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                MixtureUTIGSP(random_state=seed).fit(sample.X)
            fits.append(time.perf_counter() - start)
    finally:
        for module, name, func in originals:
            setattr(module, name, func)
    return fits, dict(seconds), dict(calls)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("p", type=int)
    ap.add_argument("targets", choices=("all", "half"))
    ap.add_argument("log2n", type=int)
    ap.add_argument("--seeds", type=int, default=10)
    args = ap.parse_args(argv)
    fits, seconds, calls = stage_times(args.p, args.targets, args.log2n, args.seeds)
    print(f"fit: median {np.median(fits):.3f} s, mean {np.mean(fits):.3f} s over {len(fits)} fits")
    print(f"{'stage':52s} {'s per fit':>10s} {'calls':>6s}")
    for key, total in sorted(seconds.items(), key=lambda kv: -kv[1]):
        print(f"{key:52s} {total / len(fits):10.3f} {calls[key]:6d}")


if __name__ == "__main__":
    main()
