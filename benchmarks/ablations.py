"""Ablations where the paper's method is weak.

Base setting: p = 6, "half" targets (K = 4), edge probability 0.8 (upper-triangular order),
do-interventions to 1.0, equal weights; one factor varied at a time:

- hard_var   hard interventions with mean 0 and variance 1e-4 … 1000;
- hard_mean  hard interventions with mean 1 … 1000 and variance 1;
- density    edge probability 0.1 … 1.0;
- cutoff     the drop-ratio cutoff 0.01 … 0.6 (paper mode; the default mode does not use it);
- large_p    p = 10, 15, 20 (edge probability 0.4, as in the reference's timing table);
- weights    unequal mixing weights (obs-heavy, geometric 0.6^c, one component at 2 %);
- permute    randomly permuted node order vs the paper's upper-triangular order.

Methods: causalmix default, paper mode, and the oracle (UT-IGSP on the true labelled components).

    nice .venv/bin/python benchmarks/ablations.py --quick          # minutes
    nice .venv/bin/python benchmarks/ablations.py --full --jobs 2  # hours
"""

from __future__ import annotations

import dataclasses
from typing import Any

import _common as C
import published

NAME = "ablations"
BASE = C.Cell(p=6, targets="half")


@dataclasses.dataclass(frozen=True)
class Ablation:
    name: str
    title: str
    factor: str
    values: tuple[Any, ...]
    quick_values: tuple[Any, ...]
    log_x: bool = False
    full_log2n: tuple[int, ...] | None = None  # override of the full grid's N (costly ablations)
    full_seeds: int | None = None

    def grid(self, cfg: dict[str, Any]) -> tuple[tuple[int, ...], int]:
        """(log2 N values, seeds) of this ablation: the run's grid unless overridden (full only)."""
        if cfg.get("quick") or cfg.get("seeds_forced"):
            return tuple(cfg["log2n"]), int(cfg["seeds"])
        return self.full_log2n or tuple(cfg["log2n"]), self.full_seeds or int(cfg["seeds"])

    def cell(self, value: Any, n: int) -> C.Cell:
        b = dataclasses.replace(BASE, n=n)
        if self.name == "hard_var":
            return dataclasses.replace(b, kind="hard", mean=0.0, var=float(value))
        if self.name == "hard_mean":
            return dataclasses.replace(b, kind="hard", mean=float(value), var=1.0)
        if self.name == "density":
            return dataclasses.replace(b, density=float(value))
        if self.name == "large_p":
            return dataclasses.replace(b, p=int(value), density=0.4)
        if self.name == "weights":
            return dataclasses.replace(b, weights=str(value))
        if self.name == "permute":
            return dataclasses.replace(b, permute=bool(value))
        return b  # cutoff: the data do not change

    def methods(self, value: Any) -> list[C.Method]:
        if self.name == "cutoff":
            return [C.DEFAULT, C.Method("paper", "paper", {"cutoff": float(value)}), C.ORACLE]
        return [C.DEFAULT, C.PAPER, C.ORACLE]


METHOD_NAMES = ("default", "paper", "oracle")


ABLATIONS = (
    Ablation(
        "hard_var",
        "Weak hard interventions: mean 0, variance v",
        "variance",
        (1e-4, 1e-3, 1e-2, 0.1, 1.0, 10.0, 100.0, 1000.0),
        (1e-4, 0.1, 1.0, 1000.0),
        log_x=True,
    ),
    Ablation(
        "hard_mean",
        "Hard interventions: mean m, variance 1",
        "mean",
        (1.0, 2.0, 5.0, 10.0, 100.0, 1000.0),
        (1.0, 10.0, 1000.0),
        log_x=True,
    ),
    Ablation(
        "density",
        "Graph density (edge probability)",
        "density",
        (0.1, 0.2, 0.4, 0.6, 0.8, 1.0),
        (0.2, 0.8, 1.0),
    ),
    Ablation(
        "cutoff",
        "Drop-ratio cutoff (paper mode)",
        "cutoff",
        (0.01, 0.03, 0.07, 0.15, 0.3, 0.6),
        (0.01, 0.07, 0.6),
        log_x=True,
    ),
    # paper mode takes ~400 s per fit at p = 20, N = 2^16: fewer seeds and no 2^10
    Ablation(
        "large_p",
        "Larger graphs (edge probability 0.4)",
        "p",
        (10, 15, 20),
        (10,),
        full_log2n=(12, 14, 16),
        full_seeds=5,
    ),
    Ablation(
        "weights",
        "Unequal mixing weights",
        "weights",
        C.WEIGHT_SCHEMES,
        ("equal", "geometric", "one-rare"),
    ),
    Ablation("permute", "Node order", "permuted", (False, True), (False, True)),
)
FULL = {"log2n": (10, 12, 14, 16), "seeds": 10}
QUICK = {"log2n": (12,), "seeds": 2}


def build_tasks(
    cfg: dict[str, Any], names: list[str], methods: list[str]
) -> tuple[list[C.Task], list[tuple]]:
    """Tasks plus an index (ablation, value, n, method name, task) to regroup the records."""
    tasks, index, seen = [], [], {}
    for ab in ABLATIONS:
        if ab.name not in names:
            continue
        values = cfg["quick_values"][ab.name] if cfg.get("quick") else ab.values
        for value in values:
            log2n, seeds = ab.grid(cfg)
            for e in log2n:
                cell = ab.cell(value, 2**e)
                for method in ab.methods(value):
                    if method.name not in methods:
                        continue
                    for seed in range(seeds):
                        t = C.Task(NAME, cell, method, seed)
                        key = (cell, method.key(), seed)
                        if key not in seen:
                            seen[key] = len(tasks)
                            tasks.append(t)
                        index.append((ab.name, value, 2**e, method.name, seen[key]))
    return tasks, index


def regroup(records, index) -> list[dict[str, Any]]:
    """One record per (ablation, value, n, method, seed) — a task can serve several ablations."""
    out = []
    for ab, value, n, method, i in index:
        r = dict(records[i])
        r.update(ablation=ab, value=str(value), n=n, method=method)
        out.append(r)
    return out


def _x(ab: Ablation, values) -> tuple[list[float], list[str]]:
    if ab.log_x or all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return [float(v) for v in values], [f"{v:g}" for v in values]
    return list(range(len(values))), [str(v) for v in values]


def plot(ab: Ablation, summary, values, cfg) -> Any:
    plt = C.pyplot()
    panels = [
        ("shd", "DAG SHD (median, IQR)"),
        ("k_correct", "fraction K̂ = K"),
        ("jaccard_int", "target Jaccard, int. (mean)"),
        ("fit_s", "fit time s (median)"),
    ]
    ns = [2**e for e in ab.grid(cfg)[0]]
    fig, axes = plt.subplots(
        len(ns), len(panels), figsize=(3.2 * len(panels), 2.5 * len(ns)), squeeze=False
    )
    x, ticks = _x(ab, values)
    for i, n in enumerate(ns):
        for j, (metric, title) in enumerate(panels):
            ax = axes[i, j]
            for method in ("default", "paper", "oracle"):
                if method == "oracle" and metric == "k_correct":
                    continue
                rows = [
                    next(
                        (
                            r
                            for r in summary
                            if r["ablation"] == ab.name
                            and r["value"] == str(v)
                            and r["n"] == n
                            and r["method"] == method
                        ),
                        {},
                    )
                    for v in values
                ]
                st = C.STYLE[method]
                if metric == "k_correct":
                    ax.plot(
                        x,
                        [C._num(r.get("k_correct_frac")) for r in rows],
                        marker=st["marker"],
                        color=st["color"],
                        label=st["label"],
                        ms=4,
                    )
                else:
                    center = "mean" if metric == "jaccard_int" else "med"
                    C.plot_band(ax, x, rows, metric, method, center=center, band=metric == "shd")
            if ab.log_x:
                C.set_log(ax, "x")
            else:
                ax.set_xticks(x, ticks, fontsize=8)
            if metric == "fit_s":
                C.set_log(ax)
            if i == 0:
                ax.set_title(title, fontsize=9)
            if j == 0:
                ax.set_ylabel(f"N = {C.pow2(n)}")
            if i == len(ns) - 1:
                ax.set_xlabel(ab.factor)
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=8)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=9, frameon=False)
    fig.suptitle(ab.title, fontsize=10)
    fig.tight_layout(rect=(0, 0.05 if len(ns) > 1 else 0.1, 1, 0.96))
    path = C.OUT_DIR / f"{NAME}_{ab.name}.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def render(saved: dict[str, Any]) -> str:
    """The Markdown of a saved run (``ablations.json``)."""
    cfg = saved["config"]
    return markdown(saved["summary"], saved["records"], cfg, saved["header"], cfg["ablations"])


def markdown(summary, records, cfg, header, names) -> str:
    out = [
        "## 2. Ablations: where the paper's method is weak",
        "",
        C.header_markdown(header),
        "",
        f'Base: p = 6, "half" targets (K = 4), edge probability 0.8, do-interventions to 1.0, equal '
        f"weights, upper-triangular order; one factor varied at a time; {cfg['seeds']} seeds per cell, "
        "N = "
        + ", ".join(C.pow2(2**e) for e in cfg["log2n"])
        + " unless a section says otherwise. "
        "Methods as in Figure 1 "
        "(default, paper mode, oracle UT-IGSP on the true labelled components). Cells: median "
        "[q25, q75] DAG SHD, fraction K̂ = K, mean interventional target Jaccard, median fit time.",
        "",
        'Published summary of the reference\'s ablations (p = 6, "half", 5 runs per cell; '
        "median SHD / mean JS (paper convention) / fraction K̂ = K [oracle SHD]):",
        "",
        published.ABLATIONS_TEXT,
        "",
    ]
    for ab in ABLATIONS:
        if ab.name not in names:
            continue
        values = cfg["quick_values"][ab.name] if cfg.get("quick") else ab.values
        log2n, seeds = ab.grid(cfg)
        grid = f"{seeds} seeds per cell, N = " + ", ".join(C.pow2(2**e) for e in log2n)
        out += [f"### {ab.title}", "", f"![{ab.name}]({NAME}_{ab.name}.png)", "", grid + ".", ""]
        headers = [
            ab.factor,
            "N",
            "SHD default",
            "SHD paper",
            "SHD oracle",
            "K̂=K def / paper",
            "Jaccard int. def / paper / oracle",
            "time s def / paper",
        ]
        rows = []
        for v in values:
            for e in ab.grid(cfg)[0]:
                get = {
                    m: next(
                        (
                            r
                            for r in summary
                            if r["ablation"] == ab.name
                            and r["value"] == str(v)
                            and r["n"] == 2**e
                            and r["method"] == m
                        ),
                        {},
                    )
                    for m in ("default", "paper", "oracle")
                }
                d, pa, o = get["default"], get["paper"], get["oracle"]
                rows.append(
                    [
                        f"{v:g}" if isinstance(v, float) else str(v),
                        C.pow2(2**e),
                        C.fmt_spread(d, "shd"),
                        C.fmt_spread(pa, "shd"),
                        C.fmt_spread(o, "shd"),
                        f"{C.fmt(d.get('k_correct_frac'))} / {C.fmt(pa.get('k_correct_frac'))}",
                        f"{C.fmt(d.get('jaccard_int_mean'))} / {C.fmt(pa.get('jaccard_int_mean'))} / "
                        f"{C.fmt(o.get('jaccard_int_mean'))}",
                        f"{C.fmt_time(d.get('fit_s_med'))} / {C.fmt_time(pa.get('fit_s_med'))}",
                    ]
                )
        out += [C.md_table(headers, rows), ""]
    out.append(C.errors_note(records))
    return "\n".join(out)


def main(argv=None) -> int:
    ap = C.common_args(__doc__.splitlines()[0])
    ap.add_argument(
        "--only",
        nargs="*",
        default=None,
        choices=[a.name for a in ABLATIONS],
        help="run only these ablations",
    )
    ap.add_argument("--methods", nargs="*", choices=METHOD_NAMES, default=list(METHOD_NAMES))
    args = C.parse(ap, argv)
    cfg: dict[str, Any] = dict(QUICK if args.quick else FULL)
    cfg["quick"] = bool(args.quick)
    cfg["quick_values"] = {a.name: a.quick_values for a in ABLATIONS}
    if args.seeds:
        cfg["seeds"] = args.seeds
        cfg["seeds_forced"] = True
    if args.log2n:  # one N grid for every ablation (the per-ablation overrides no longer apply)
        cfg["log2n"] = tuple(int(v) for v in args.log2n.split(","))
        cfg["seeds_forced"] = True
    if not args.quick:
        cfg["grid"] = "reduced" if cfg.get("seeds_forced") else "full"
    names = args.only or [a.name for a in ABLATIONS]
    tasks, index = build_tasks(cfg, names, args.methods)
    print(f"{NAME}: {len(tasks)} fits ({cfg.get('grid', 'quick')} grid), jobs={args.jobs}")
    records = regroup(C.run_tasks(tasks, jobs=args.jobs, use_cache=not args.fresh), index)
    header = C.run_header()
    summary = C.summarize(records, by=("ablation", "value", "n", "method"))
    pngs = []
    for ab in ABLATIONS:
        if ab.name in names:
            values = cfg["quick_values"][ab.name] if args.quick else ab.values
            pngs.append(plot(ab, summary, values, cfg))
    cfg_out = {**cfg, "ablations": names, "base": BASE.as_dict()}
    paths = C.write_outputs(NAME, header, cfg_out, records, summary, render)
    C.finish([*paths, *pngs], header)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
