"""Run by run, what changed between two committed benchmark results (K̂, SHD, targets).

Two uses: a part's runs file against the same file at an earlier commit (did a re-run change
any result?), or two methods of one runs file (which data sets did one method change?)::

    python tools/compare_runs.py figure1 --against f050e47
    python tools/compare_runs.py interventions --methods today,mechanisms --kind do

A run has changed when its K̂ or SHD differs or, where both files record them (the
interventions part), its estimated targets or observational component. Prints the runs that
differ and, per method (or per pair), the runs compared, those changed, and the summed SHD and
CPU seconds on each side (CPU as measured in each run, with whatever shared the machine then).
Reads ``docs/benchmarks/<part>_runs.csv`` and ``git show``; runs nothing.
"""

from __future__ import annotations

import argparse
import io
import subprocess
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
# what identifies a run in each part's runs file (the data set and the method)
KEYS = {
    "figure1": ["p", "targets", "n", "seed", "method"],
    "side_by_side": ["p", "targets", "n", "seed", "method"],
    "interventions": ["kind", "p", "graph", "n", "seed", "method"],
}
# compared and listed; the last two only when both files have them (interventions records them)
COMPARED = ["K_hat", "shd", "targets_est", "obs_est"]


def _runs(part: str, rev: str | None) -> pd.DataFrame:
    path = f"docs/benchmarks/{part}_runs.csv"
    if rev is None:
        return pd.read_csv(ROOT / path)
    text = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{rev}:{path}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return pd.read_csv(io.StringIO(text))


def compared(both: pd.DataFrame) -> list[str]:
    """The columns of :data:`COMPARED` that both sides of a merged frame hold."""
    return [c for c in COMPARED if f"{c}_a" in both and f"{c}_b" in both]


def changed_runs(both: pd.DataFrame) -> pd.Series:
    """Per merged run (columns ``<c>_a``, ``<c>_b``), whether any :func:`compared` column
    differs (two missing values are equal)."""
    changed = pd.Series(False, index=both.index)
    for c in compared(both):
        a, b = both[f"{c}_a"], both[f"{c}_b"]
        changed |= (a != b) & ~(a.isna() & b.isna())
    return changed


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("part", choices=sorted(KEYS))
    which = ap.add_mutually_exclusive_group(required=True)
    which.add_argument("--against", metavar="REV", help="the same runs file at this commit")
    which.add_argument("--methods", metavar="A,B", help="two methods of the current file")
    ap.add_argument("--kind", help="interventions only: the runs of this kind")
    args = ap.parse_args(argv)
    keys = KEYS[args.part]
    if args.kind and "kind" not in keys:
        ap.error(f"--kind: the {args.part} runs have no kinds (interventions only)")
    now = _runs(args.part, None)
    if args.against:
        both = now.merge(_runs(args.part, args.against), on=keys, suffixes=("_a", "_b"))
        names = ("now", args.against)
    else:
        m_a, m_b = args.methods.split(",")
        data = [k for k in keys if k != "method"]
        both = now[now["method"] == m_a].merge(
            now[now["method"] == m_b], on=data, suffixes=("_a", "_b")
        )
        both["method"] = f"{m_a} / {m_b}"
        names = (m_a, m_b)
    if args.kind:
        both = both[both["kind"] == args.kind].copy()
    both["changed"] = changed_runs(both)
    shown = [k for k in keys if k != "method" or args.against]
    listed = compared(both)
    cols = shown + [f"{c}_{s}" for c in listed for s in "ab"]
    changed = both[both["changed"]]
    if len(changed):
        side = {"a": names[0], "b": names[1]}
        label = {f"{c}_{s}": f"{c} ({side[s]})" for c in listed for s in side}
        print(changed[cols].rename(columns=label).to_string(index=False))
    for m, g in both.groupby("method"):
        print(
            f"{m}: {len(g)} runs compared, {int(g['changed'].sum())} changed; SHD summed "
            f"{int(g['shd_a'].sum())} ({names[0]}) against {int(g['shd_b'].sum())} ({names[1]}); "
            f"CPU s summed {g['cpu_s_a'].sum():.0f} against {g['cpu_s_b'].sum():.0f}"
        )


if __name__ == "__main__":
    main()
