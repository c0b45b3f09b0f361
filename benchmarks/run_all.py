"""Run every benchmark part, then assemble docs/benchmarks.md.

    make bench        # = .venv/bin/python benchmarks/run_all.py --quick   (minutes)
    make bench-full   # = .venv/bin/python benchmarks/run_all.py --full    (hours)

Each part caches its results per (cell, method, seed) in ``benchmarks/.cache/`` (git-ignored), so an
interrupted run resumes where it stopped; ``--fresh`` recomputes. Every part runs at low priority
(``nice``) with one BLAS thread per process; ``--jobs 2`` uses both cores for the accuracy parts
(the side-by-side timing comparison always runs in one process).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PARTS = ("figure1", "ablations", "sachs", "side_by_side", "interventions")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--quick", action="store_true", help="small grids (minutes)")
    g.add_argument("--full", action="store_true", help="the full grids (hours)")
    ap.add_argument("--jobs", type=int, default=1, help="processes for the accuracy parts (max 2)")
    ap.add_argument("--parts", nargs="*", choices=PARTS, default=list(PARTS))
    ap.add_argument("--fresh", action="store_true", help="ignore cached results")
    args = ap.parse_args(argv)
    mode = "--quick" if args.quick else "--full"
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    failed = []
    for part in args.parts:
        cmd = ["nice", "-n", "10", sys.executable, str(HERE / f"{part}.py"), mode]
        if part != "side_by_side":
            cmd += ["--jobs", str(min(args.jobs, 2))]
        if args.fresh:
            cmd.append("--fresh")
        print(f"=== {part}: {' '.join(cmd)}", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.run(cmd, env=env, check=False).returncode
        print(f"=== {part}: exit {rc} after {time.perf_counter() - t0:.0f} s", flush=True)
        if rc != 0:
            failed.append(part)
    rc = subprocess.run(
        [sys.executable, str(HERE / "make_report.py")], env=env, check=False
    ).returncode
    if rc != 0:
        failed.append("make_report")
    print(
        "reproduce with:",
        " ".join(["nice", ".venv/bin/python", "benchmarks/run_all.py", *sys.argv[1:]]),
    )
    if failed:
        print("FAILED:", ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
