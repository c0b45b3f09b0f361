"""Assemble docs/benchmarks.md from the per-part results in docs/benchmarks/.

    .venv/bin/python benchmarks/make_report.py

Reads ``docs/benchmarks/<part>.md`` and ``<part>.json`` (written by figure1.py, ablations.py,
sachs.py, side_by_side.py, stability.py and interventions.py), states the conventions, and lists
the machine, date and commit of every part. Parts that have not been run are listed as missing.
"""

from __future__ import annotations

import json
import re
import sys

import _common as C

PARTS = (
    ("figure1", "benchmarks/figure1.py"),
    ("ablations", "benchmarks/ablations.py"),
    ("sachs", "benchmarks/sachs.py"),
    ("side_by_side", "benchmarks/side_by_side.py"),
    ("stability", "benchmarks/stability.py"),
    ("scale", "benchmarks/scale.py"),
    ("interventions", "benchmarks/interventions.py"),
)
# benchmarks of single stages, run by their own scripts (linked, not inlined)
STAGES = (
    ("estimator_cell", "the estimator's acceptance cell and the search-extension ablation"),
    (
        "mixture_selection",
        "choosing the number of components (sBIC, BIC vs the paper's rule), speed",
    ),
    ("utigsp_vs_causaldag", "UT-IGSP alone vs causaldag: test decisions, scores, speed"),
    ("refine_gate", "whether refine='mechanisms' would refine the paper protocol's data sets"),
)


def _relink(md: str) -> str:
    """Image links of docs/benchmarks/<part>.md, made relative to docs/."""
    return re.sub(r"\]\((?!https?:|/)([^)]+\.png)\)", r"](benchmarks/\1)", md)


def _headline() -> str:
    """The "Targets of the issue" bullets of the side-by-side part, if it was run."""
    path = C.OUT_DIR / "side_by_side.md"
    if not path.is_file():
        return ""
    text = path.read_text()
    m = re.search(r"### Targets of the issue\n\n(.*?)(?:\n\n|\Z)", text, flags=re.S)
    return m.group(1).strip() if m else ""


def main(argv=None) -> int:
    parts, runs = [], []
    for name, script in PARTS:
        md_path, json_path = C.OUT_DIR / f"{name}.md", C.OUT_DIR / f"{name}.json"
        if not md_path.is_file() or not json_path.is_file():
            parts.append(
                f"## {name}\n\n*Not run yet:* `nice .venv/bin/python {script} --quick` "
                "(or `--full`).\n"
            )
            continue
        saved = json.loads(json_path.read_text())
        header = saved["header"]
        grid = saved.get("config", {}).get("grid") or (
            "quick" if "--quick" in header["command"] else "full"
        )
        grid += " grid"
        runs.append((name, header, grid))
        parts.append(_relink(md_path.read_text()))
    lines = [
        "# causalmix benchmarks",
        "",
        "Reproduces the experiments of *Learning Mixtures of Unknown Causal Interventions* (Kumar, "
        "Shiragur & Uhler, NeurIPS 2024, arXiv:2411.00213) and compares causalmix with the published "
        "reference pipeline (scikit-learn + causaldag 0.1a163 UT-IGSP) on identical data. Every "
        "number and plot below was produced by the committed scripts in `benchmarks/`; the raw "
        "per-run results are next to the plots in `docs/benchmarks/` (`.json`, and `_runs.csv` except for Sachs).",
        "",
        "**Reproduce**: `make bench` (quick grids, minutes) or `make bench-full` (full grids, hours), "
        "i.e. `.venv/bin/python benchmarks/run_all.py --quick|--full [--jobs 2]`; one part: "
        "`nice .venv/bin/python benchmarks/<part>.py --quick|--full`. Results are cached per run in "
        "`benchmarks/.cache/` (git-ignored), so an interrupted run resumes; the reference side needs "
        "`bash benchmarks/reference/setup_env.sh` once.",
        "",
    ]
    headline = _headline()
    if headline:
        lines += ["## Headline: the issue's targets (from part 4)", "", headline, ""]
    lines += ["## Runs", ""]
    if runs:
        rows = []
        for name, h, grid in runs:
            m = h["machine"]
            commit = h["commit"][:10] + (" + uncommitted src/" if h["src_modified"] else "")
            rows.append(
                [
                    name,
                    grid,
                    h["date_utc"],
                    f"`{commit}`",
                    f"{m['cpu']}, {m['logical_cpus']} CPUs, {m['memory_gb']} GB",
                    f"`{h['command']}`",
                ]
            )
        lines += [
            C.md_table(["part", "grid", "date (UTC)", "commit", "machine", "command"], rows),
            "",
        ]
        h = runs[0][1]
        v = h["versions"]
        lines += [
            f"Software: Python {h['machine']['python']}, numpy {v['numpy']}, scipy {v['scipy']}, "
            f"scikit-learn {v['scikit-learn']}, causalmix {v['causalmix']}; {h['machine']['os']}. "
            "One BLAS/OpenMP thread per process; 2 shared cores, so absolute times are noisy — the "
            "side-by-side ratios are measured back to back on the same data.",
            "",
        ]
    lines += [
        "## Conventions",
        "",
        C.CONVENTIONS,
        "- **Sachs graph**: the paper's 18-edge consensus graph (listed in part 3).",
        "- **Simulations**: the paper's protocol unless a part says otherwise: edge probability "
        "0.8 in an upper-triangular node order, weights ±U[0.5, 1], N(0, 1) noise, "
        "do-interventions to 1.0 with variance 1e-9, ⌊N/K⌋ rows per component. Seed s gives the "
        "same graph for every N.",
        "",
    ]
    stages = [
        f"- [{name}](benchmarks/{name}.md): {what} (`benchmarks/{name}.py`)"
        for name, what in STAGES
        if (C.OUT_DIR / f"{name}.md").is_file()
    ]
    if stages:
        lines += ["## Stage benchmarks", "", *stages, ""]
    lines += ["\n".join(p.rstrip().splitlines()) + "\n" for p in parts]
    out = C.REPO / "docs" / "benchmarks.md"
    out.write_text("\n".join(lines).rstrip() + "\n")
    print("wrote", out.relative_to(C.REPO))
    return 0


if __name__ == "__main__":
    sys.exit(main())
