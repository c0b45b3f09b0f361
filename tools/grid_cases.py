"""Re-fit chosen cases of the interventions grid with the library on ``PYTHONPATH`` (issue #11).

The cases come from a committed runs file (``docs/benchmarks/interventions_runs.csv``, method
``mechanisms``, non-do kinds, N >= 2^15): ``--failed`` takes every run whose K̂ was wrong,
``--passed N`` every k-th run whose K̂ was right (N of them, in the file's order). Each is
simulated as ``benchmarks/interventions.py`` does and fitted with ``MixtureUTIGSP(random_state=
seed).fit(X, diagnose=False)``; the line per case gives the file's K̂ and targets and the new
ones, and the summary K̂ = K and CPU seconds, the file's and the new ones (the file's CPU was
measured inside the benchmark, two fits side by side: compare sums, not single fits)::

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src python tools/grid_cases.py --failed [--min-p 8] [--max-p 10]
    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src python tools/grid_cases.py --passed 30 [--max-p 10]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import interventions as iv  # noqa: E402
from causalmix import MixtureUTIGSP  # noqa: E402


def _cases(path: Path, failed: bool, n_passed: int, min_p: int, max_p: int) -> list[dict]:
    with open(path, newline="") as f:
        rows = [
            r
            for r in csv.DictReader(f)
            if r["method"] == "mechanisms"
            and r["kind"] != "do"
            and int(r["n"]) >= 2**15
            and min_p <= int(r["p"]) <= max_p
        ]
    if failed:
        return [r for r in rows if r["k_correct"] != "True"]
    ok = [r for r in rows if r["k_correct"] == "True"]
    return ok[:: max(1, len(ok) // n_passed)][:n_passed]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = ap.add_mutually_exclusive_group(required=True)
    which.add_argument("--failed", action="store_true", help="every run whose K̂ was wrong")
    which.add_argument("--passed", type=int, metavar="N", help="N runs whose K̂ was right")
    ap.add_argument("--min-p", type=int, default=0, help="only cases with p at least this")
    ap.add_argument("--max-p", type=int, default=15, help="only cases with p at most this")
    ap.add_argument("--runs", type=Path, default=ROOT / "docs/benchmarks/interventions_runs.csv")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    cases = _cases(args.runs, args.failed, args.passed or 0, args.min_p, args.max_p)
    found = [0, 0]
    cpu = [0.0, 0.0]
    for r in cases:
        cell = iv.Cell(r["kind"], int(r["p"]), r["graph"], int(r["n"]))
        seed = int(r["seed"])
        s = iv.simulate(cell, seed)
        t0 = time.process_time()
        est = MixtureUTIGSP(random_state=seed).fit(s.X, diagnose=False)
        c = time.process_time() - t0
        K = len(s.targets)
        found[0] += r["k_correct"] == "True"
        found[1] += est.n_components_ == K
        cpu[0] += float(r["cpu_s"])
        cpu[1] += c
        print(
            f"{cell.key()} seed={seed} K={K} file K̂={r['K_hat']} {r['targets_est']} | "
            f"now K̂={est.n_components_} {iv._targets_str(est.targets_)} cpu={c:.1f}",
            flush=True,
        )
    print(
        f"{len(cases)} cases: K̂ = K in {found[0]} (file) -> {found[1]} (now); "
        f"CPU {cpu[0]:.0f} s (file) -> {cpu[1]:.0f} s"
    )


if __name__ == "__main__":
    main()
