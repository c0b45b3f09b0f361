"""Run every benchmark part, then assemble docs/benchmarks.md.

    make bench        # = .venv/bin/python benchmarks/run_all.py --quick   (minutes)
    make bench-full   # = .venv/bin/python benchmarks/run_all.py --full    (hours)

``--quick`` runs write only under ``benchmarks/.cache/quick/`` (git-ignored; the assembled report
is ``benchmarks/.cache/quick/report.md``), so ``make bench`` leaves the work tree clean;
``--full`` rewrites ``docs/benchmarks/`` and ``docs/benchmarks.md``, i.e. every number that
``docs/design.md`` quotes: each part with the arguments of its committed run (``Part.full``: a few
parts were committed from a reduced grid, which is what the documents quote; run a part's script
with ``--full`` alone for its complete grid). Each part caches its results in ``benchmarks/.cache/`` (git-ignored),
so an interrupted run resumes where it stopped; ``--fresh`` recomputes. Every part runs at low
priority (``nice``) with one BLAS thread per process; ``--jobs 2`` uses both cores for the
accuracy parts (the timing parts always run in one process). Parts whose data or reference
environment is missing say so and are skipped (Sachs needs ``../shared/data/sachs.csv``;
``utigsp_vs_causaldag`` the venv of ``benchmarks/reference/setup_env.sh``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Part:
    """One benchmark part: its script, extra arguments, and whether it takes ``--jobs``.

    ``name`` is the stem of its results (``<name>.json`` / ``.md``); its page is written by
    ``render(saved)`` of the module ``script``. ``page``: "section" (inlined in
    docs/benchmarks.md), "stage" (linked from it, described by ``about``) or None (a run whose
    results another part's page shows).
    """

    name: str
    script: str
    args: tuple[str, ...] = ()
    full: tuple[str, ...] = ()  # added to --full: the grid of the committed results
    jobs: bool = True  # False: a timing part, always one process
    page: str | None = "section"
    about: str = ""


# run order; the helpers (_common, _shrunk, published, stability_errors, stability_sachs) are not
# parts: stability_sachs runs through `stability.py --sachs`, stability_errors inside stability.py
PARTS = (
    Part("figure1", "figure1"),
    Part("ablations", "ablations", full=("--log2n", "12,14", "--seeds", "3")),
    Part("sachs", "sachs"),
    Part("side_by_side", "side_by_side", jobs=False),
    Part("stability", "stability"),
    Part("stability_sachs", "stability", ("--sachs",), page=None),
    Part("stability_timing", "stability", ("--timing",), jobs=False, page=None),
    Part(
        "scale",
        "scale",
        full=("--cells", "20:16:3,50:18:1,50:20:1,100:18:1", "--dask-cells", "20:18"),
        jobs=False,
    ),
    Part(
        "interventions",
        "interventions",
        full=("--log2n", "15,16", "--seeds", "4", "--methods", "today,mechanisms,oracle"),
    ),
    Part("em_kernel", "em_kernel", jobs=False),
    Part(
        "estimator_cell",
        "estimator_cell",
        page="stage",
        about="the estimator's acceptance cell and the search-extension ablation",
    ),
    Part(
        "mixture_selection",
        "mixture_selection",
        page="stage",
        about="choosing the number of components (sBIC, BIC vs the paper's rule), speed",
    ),
    Part(
        "utigsp_vs_causaldag",
        "utigsp_vs_causaldag",
        jobs=False,
        page="stage",
        about="UT-IGSP alone vs causaldag: test decisions, scores, speed",
    ),
    Part(
        "refine_gate",
        "refine_gate",
        jobs=False,
        page="stage",
        about="whether refine='mechanisms' would refine the paper protocol's data sets",
    ),
    Part(
        "target_pruning",
        "target_pruning",
        jobs=False,
        page="stage",
        about="targets explained by a neighbouring target: point precision / recall, keep vs drop",
    ),
)


def command(part: Part, mode: str, jobs: int, fresh: bool) -> list[str]:
    cmd = ["nice", "-n", "10", sys.executable, str(HERE / f"{part.script}.py"), mode, *part.args]
    if mode == "--full":
        cmd += part.full
    if part.jobs:
        cmd += ["--jobs", str(min(jobs, 2))]
    if fresh:
        cmd.append("--fresh")
    return cmd


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--quick", action="store_true", help="small grids (minutes), into the cache")
    g.add_argument("--full", action="store_true", help="the full grids (hours), into docs/")
    ap.add_argument("--jobs", type=int, default=1, help="processes for the accuracy parts (max 2)")
    names = [p.name for p in PARTS]
    ap.add_argument("--parts", nargs="*", choices=names, default=names)
    ap.add_argument("--fresh", action="store_true", help="ignore cached results")
    args = ap.parse_args(argv)
    mode = "--quick" if args.quick else "--full"
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    failed = []
    for part in (p for p in PARTS if p.name in args.parts):
        cmd = command(part, mode, args.jobs, args.fresh)
        print(f"=== {part.name}: {' '.join(cmd)}", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.run(cmd, env=env, check=False).returncode
        print(f"=== {part.name}: exit {rc} after {time.perf_counter() - t0:.0f} s", flush=True)
        if rc != 0:
            failed.append(part.name)
    report = [sys.executable, str(HERE / "make_report.py"), *(["--quick"] if args.quick else [])]
    if subprocess.run(report, env=env, check=False).returncode != 0:
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
