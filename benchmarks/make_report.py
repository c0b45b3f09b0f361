"""Write every part's page from its saved results, then assemble docs/benchmarks.md.

    .venv/bin/python benchmarks/make_report.py            # docs/benchmarks/ -> docs/benchmarks.md
    .venv/bin/python benchmarks/make_report.py --quick    # benchmarks/.cache/quick/ (git-ignored)

Runs nothing: for every part of ``run_all.PARTS`` with a saved ``<part>.json`` it rewrites
``<part>.md`` with the part's ``render(saved)``, then inlines the sections, links the stage
benchmarks, states the conventions, and lists the machine, date and commit of every part. Parts
that have not been run are listed as missing.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys

import _common as C
from run_all import PARTS

SECTIONS = tuple(p for p in PARTS if p.page == "section")
STAGES = tuple(p for p in PARTS if p.page == "stage")


def render_pages() -> list[str]:
    """Rewrite ``<part>.md`` of every part that has a saved ``<part>.json``; their names."""
    done = []
    for part in (*SECTIONS, *STAGES):
        if C.load(part.name) is not None:
            module = importlib.import_module(part.script)
            C.write_markdown(part.name, module.render)
            done.append(part.name)
    return done


def _relink(md: str) -> str:
    """Image links of docs/benchmarks/<part>.md, made relative to docs/ (quick: unchanged)."""
    if C.OUT_DIR != C.DOCS_DIR:
        return md
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
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the quick results in the cache")
    C.use_output(ap.parse_args(argv).quick)
    rendered = render_pages()
    parts = []
    for part in SECTIONS:
        if part.name not in rendered:
            parts.append(
                f"## {part.name}\n\n*Not run yet:* `nice .venv/bin/python "
                f"benchmarks/{part.script}.py --quick` (or `--full`).\n"
            )
        else:
            parts.append(_relink((C.OUT_DIR / f"{part.name}.md").read_text()))
    runs = []
    for name in (p.name for p in (*SECTIONS, *STAGES) if p.name in rendered):
        header = C.load(name)["header"]
        grid = C.load(name).get("config", {}).get("grid") or (
            "quick" if "--quick" in header["command"] else "full"
        )
        runs.append((name, header, grid + " grid"))
    lines = [
        "# causalmix benchmarks",
        "",
        "Reproduces the experiments of *Learning Mixtures of Unknown Causal Interventions* (Kumar, "
        "Shiragur & Uhler, NeurIPS 2024, arXiv:2411.00213) and compares causalmix with the published "
        "reference pipeline (scikit-learn + causaldag 0.1a163 UT-IGSP) on identical data. Every "
        "number and plot below was produced by the committed scripts in `benchmarks/`; the raw "
        "per-run results are next to the plots in `docs/benchmarks/` (`.json`, and `_runs.csv` except for Sachs).",
        "",
        "**Reproduce**: `make bench-full` (every part's full grid, hours: rewrites "
        "`docs/benchmarks/` and this page, i.e. every number `docs/design.md` quotes) or "
        "`make bench` (quick grids, minutes: written to `benchmarks/.cache/quick/`, git-ignored, "
        "never here), i.e. `.venv/bin/python benchmarks/run_all.py --full|--quick [--jobs 2]`; "
        "one part: `nice .venv/bin/python benchmarks/<part>.py --full|--quick`; this page and "
        "every part's page from the saved results alone: `.venv/bin/python "
        "benchmarks/make_report.py`. Results are cached per run in `benchmarks/.cache/` "
        "(git-ignored), so an interrupted run resumes; the reference side needs "
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
            commit = h["commit"][:10] + (" + uncommitted src/" if h.get("src_modified") else "")
            memory = f", {m['memory_gb']} GB" if m.get("memory_gb") else ""
            rows.append(
                [
                    name,
                    grid,
                    h["date_utc"],
                    f"`{commit}`",
                    f"{m['cpu']}, {m['logical_cpus']} CPUs{memory}",
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
    prefix = "benchmarks/" if C.OUT_DIR == C.DOCS_DIR else ""
    stages = [
        f"- [{p.name}]({prefix}{p.name}.md): {p.about} (`benchmarks/{p.script}.py`)"
        for p in STAGES
        if p.name in rendered
    ]
    if stages:
        lines += ["## Stage benchmarks", "", *stages, ""]
    lines += ["\n".join(p.rstrip().splitlines()) + "\n" for p in parts]
    out = C.REPO / "docs" / "benchmarks.md" if C.OUT_DIR == C.DOCS_DIR else C.OUT_DIR / "report.md"
    out.write_text("\n".join(lines).rstrip() + "\n")
    print("wrote", out.relative_to(C.REPO), "and the pages of", ", ".join(rendered))
    return 0


if __name__ == "__main__":
    sys.exit(main())
