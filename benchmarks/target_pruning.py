"""Targets explained by a neighbouring target: point precision / recall before and after (#13).

``MixtureUTIGSP(explained_targets="keep")`` reports UT-IGSP's targets; the default ``"drop"``
removes a target whose change another target of its component explains
(:func:`causalmix.discovery.explained.drop_explained_targets`). Both fits use the same seed, so
they differ only in the target sets (and the I-CPDAG drawn with them). Scored on the fit on all
rows (no resampling): a target of an estimated component is true iff it is a target of the true
component matched to it (Hungarian on parameters, :func:`causalmix.metrics.match_components`).

Grid: do-interventions (value 1) on single nodes ("all" for p = 6, 10; ⌊p/2⌋ nodes for p = 15)
and on *pairs* (⌊p/2⌋ components, each on both ends of a distinct true arc: the case the rule
must not break), p = 6, 10, 15, N = 2^13, 2^16, edge probability 0.3 (sparse) and 0.8 (dense),
random node orders.

    nice .venv/bin/python benchmarks/target_pruning.py --quick    # a minute
    nice .venv/bin/python benchmarks/target_pruning.py --full     # ~15 minutes
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

import _common as C

NAME = "target_pruning"
FULL = {"p": (6, 10, 15), "log2n": (13, 16), "density": (0.3, 0.8), "targets": ("single", "pairs"),
        "seeds": 4}  # fmt: skip
QUICK = {"p": (6,), "log2n": (13,), "density": (0.8,), "targets": ("single", "pairs"),
         "seeds": 2}  # fmt: skip


def simulate(p: int, log2n: int, density: float, targets: str, seed: int):
    """The mixture of one run: single-node targets as in the stability grid, or pairs of arcs."""
    from causalmix.simulate import paper_interventions, random_sem, sample_mixture

    if targets == "single":
        kind = "all" if p <= 10 else "half"
        return C.simulate(C.Cell(p=p, targets=kind, n=2**log2n, density=density, permute=True),
                          seed)  # fmt: skip
    key = zlib.crc32(f"pairs-p{p}-d{density:g}-n{log2n}".encode())
    rng = np.random.default_rng([seed, key])
    sem = random_sem(p, density=density, permute=True, random_state=rng)
    arcs = np.argwhere(np.asarray(sem.weights) != 0)
    rng.shuffle(arcs)
    pairs: list[set[int]] = []
    used: set[int] = set()
    for i, j in arcs:  # distinct arcs, no node in two pairs while free arcs remain
        if len(pairs) < p // 2 and not {int(i), int(j)} & used:
            pairs.append({int(i), int(j)})
            used |= {int(i), int(j)}
    ivs = paper_interventions(sem, targets=pairs, kind="do", mean=1.0)
    return sample_mixture(sem, ivs, 2**log2n, random_state=rng)


def score(est: Any, truth: C.Truth) -> dict[str, int]:
    """True / claimed targets of the fit, true targets, and the I-CPDAG's oriented arcs."""
    from causalmix.metrics import match_components

    m = match_components(est.means_, est.covariances_, truth.means, truth.covariances)
    tp = claimed = 0
    for k, t in enumerate(est.targets_):
        true = set(truth.targets[m.est_to_true[k]]) if m.est_to_true[k] >= 0 else set()
        tp += len(t & true)
        claimed += len(t)
    found = sum(
        len(set(est.targets_[e]) & set(truth.targets[t]))
        for t, e in enumerate(m.true_to_est)
        if e >= 0
    )
    G, D = np.asarray(est.icpdag_) != 0, np.asarray(truth.dag) != 0
    oriented = G & ~G.T
    return {"tp": tp, "claimed": claimed, "n_true": sum(len(t) for t in truth.targets),
            "found": found, "arcs": int(oriented.sum()),
            "arcs_true": int((oriented & D).sum())}  # fmt: skip


def run(p: int, log2n: int, density: float, targets: str, seed: int) -> dict[str, Any]:
    from causalmix import MixtureUTIGSP

    sample = simulate(p, log2n, density, targets, seed)
    truth = C.Truth.from_sample(sample)
    rec: dict[str, Any] = {"p": p, "n": 2**log2n, "density": density, "targets": targets,
                           "seed": seed, "K_true": len(truth.targets)}  # fmt: skip
    fits = {}
    for rule in ("keep", "drop"):
        est = MixtureUTIGSP(explained_targets=rule, random_state=seed)
        fits[rule] = est.fit(sample.X, diagnose=False)
        rec.update({f"{rule}_{k}": v for k, v in score(est, truth).items()})
    rec["K_hat"] = fits["drop"].n_components_
    rec["refined"] = bool(fits["drop"].refined_)
    rec["same_dag"] = bool(np.array_equal(fits["keep"].adjacency_, fits["drop"].adjacency_))
    return rec


def summarize(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for r in records:
        groups.setdefault((r["targets"], r["density"]), []).append(r)
        groups.setdefault((r["targets"], "all"), []).append(r)
    groups[("all", "all")] = list(records)
    rows = []
    for (targets, density), sel in groups.items():
        row: dict[str, Any] = {"targets": targets, "density": density, "runs": len(sel),
                               "K_right": sum(r["K_hat"] == r["K_true"] for r in sel)}  # fmt: skip
        for rule in ("keep", "drop"):
            tot = {k: sum(r[f"{rule}_{k}"] for r in sel) for k in
                   ("tp", "claimed", "n_true", "found", "arcs", "arcs_true")}  # fmt: skip
            row[f"{rule}_precision"] = tot["tp"] / tot["claimed"] if tot["claimed"] else None
            row[f"{rule}_recall"] = tot["found"] / tot["n_true"] if tot["n_true"] else None
            row[f"{rule}_claimed"] = tot["claimed"]
            row[f"{rule}_orientation"] = tot["arcs_true"] / tot["arcs"] if tot["arcs"] else None
            row[f"{rule}_arcs"] = tot["arcs"]
        rows.append(row)
    return rows


def main(argv=None) -> int:
    ap = C.common_args(__doc__.splitlines()[0])
    args = C.parse(ap, argv)
    cfg = C.grid_config(args, QUICK, FULL)
    C.mark_start()
    records = []
    for targets in cfg["targets"]:
        for density in cfg["density"]:
            for p in cfg["p"]:
                for e in cfg["log2n"]:
                    for seed in range(cfg["seeds"]):
                        rec = run(p, e, density, targets, seed)
                        records.append(rec)
                        print(f"{targets} d={density} p={p} N=2^{e} seed={seed}: targets "
                              f"{rec['keep_tp']}/{rec['keep_claimed']} -> "
                              f"{rec['drop_tp']}/{rec['drop_claimed']} true of claimed "
                              f"({rec['drop_n_true']} true)", flush=True)  # fmt: skip
    header = C.run_header()
    C.finish(C.write_outputs(NAME, header, cfg, records, summarize(records), render), header)
    return 0


def _f(x: Any) -> str:
    return "–" if x is None else f"{x:.2f}"


def render(saved: dict[str, Any]) -> str:
    """The Markdown of a saved run (``target_pruning.json``)."""
    cfg, summary, records = saved["config"], saved["summary"], saved["records"]
    table = C.md_table(
        ["targets", "edge prob.", "runs", "K̂ right", "precision: keep → drop",
         "recall: keep → drop", "claims: keep → drop", "I-CPDAG arcs right: keep → drop",
         "same DAG"],
        [[s["targets"], s["density"], s["runs"], s["K_right"],
          f"{_f(s['keep_precision'])} → **{_f(s['drop_precision'])}**",
          f"{_f(s['keep_recall'])} → {_f(s['drop_recall'])}",
          f"{s['keep_claimed']} → {s['drop_claimed']}",
          f"{_f(s['keep_orientation'])} ({s['keep_arcs']}) → "
          f"{_f(s['drop_orientation'])} ({s['drop_arcs']})",
          "all" if all(r["same_dag"] for r in records) else "not all"]
         for s in summary],
    )  # fmt: skip
    return "\n\n".join([
        "# Targets explained by a neighbouring target (issue #13)",
        C.header_markdown(saved["header"]),
        "Point estimate (one fit on all rows) of `MixtureUTIGSP(explained_targets=...)`, "
        "`\"keep\"` = UT-IGSP's targets, `\"drop\"` (the default) = without the targets another "
        "target of their component explains (`causalmix.discovery.explained`). Do-interventions "
        "(value 1) on single nodes (every node for p ≤ 10, ⌊p/2⌋ of them for p = 15) or on pairs "
        "(⌊p/2⌋ components on both ends of a distinct true arc); p = "
        f"{', '.join(map(str, cfg['p']))}; N = {', '.join(C.pow2(2**e) for e in cfg['log2n'])}; "
        f"{cfg['seeds']} seeds per cell; random node orders. **precision** = claimed targets "
        "that are true (component matched to the truth by the Hungarian assignment on "
        "parameters); **recall** = true targets found; *I-CPDAG arcs right* = oriented arcs of "
        "the I-CPDAG drawn with the targets that the true DAG has (count in brackets).",
        table,
    ])  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
