"""The stability frequencies on Sachs, scored against the 18-edge consensus graph.

Run through ``benchmarks/stability.py --sachs``. One ``causalmix.stability`` run (default
``MixtureUTIGSP``, 50 half-size subsamples, seed 0) per transform of the user guide's worked
example (``none``: the raw concentrations; ``log``: what the guide's ``gaussianity`` check
advises for these positive, right-skewed data; ``rank``). For each threshold t the edges reported
with frequency >= t are compared with the consensus graph:

- **adjacency**: pairs adjacent (any mark) in >= t of the refits' I-CPDAGs; true iff the pair is
  an edge of the consensus graph in either direction;
- **orientation**: arcs ``i -> j`` oriented in >= t of the refits; true iff the consensus graph
  has ``i -> j`` (an arc it has as ``j -> i`` is false);
- how many of the 18 consensus edges are kept (as an adjacency; as the right arc).

The consensus graph is a literature graph, itself uncertain, and 18 of the 55 pairs are edges, so
a random pair is one with probability 0.33: precision must be read against that.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

import _common as C

NAME = "stability_sachs"
TRANSFORMS = ("none", "log", "rank")
RESAMPLES = 50
QUICK_RESAMPLES = 3
THRESHOLDS = (0.5, 0.7, 0.9)


def _names() -> list[str]:
    from causalmix.datasets import SACHS_NODES

    return list(SACHS_NODES)


def score(rec: dict[str, Any], threshold: float) -> dict[str, Any]:
    """Claims of one Sachs run kept at ``threshold`` (frequency >= t) vs the consensus graph."""
    adj_f, adj_t = np.asarray(rec["adj_freq"], float), np.asarray(rec["adj_true"], bool)
    dir_f, dir_t = np.asarray(rec["dir_freq"], float), np.asarray(rec["dir_true"], bool)
    tgt_f, tgt_t = np.asarray(rec["tgt_freq"], float), np.asarray(rec["tgt_true"], bool)
    out: dict[str, Any] = {"threshold": threshold}
    for kind, f, t in (("adjacency", adj_f, adj_t), ("orientation", dir_f, dir_t),
                       ("target", tgt_f, tgt_t)):  # fmt: skip
        kept = f >= threshold
        out[kind] = {"kept": int(kept.sum()), "kept_true": int((kept & t).sum()),
                     "precision": int((kept & t).sum()) / int(kept.sum()) if kept.any() else None}  # fmt: skip
    # of the consensus edges: how many are kept as an adjacency, how many as the right arc
    out["consensus_edges"] = int(adj_t.sum())
    out["consensus_kept_adjacent"] = out["adjacency"]["kept_true"]
    out["consensus_kept_oriented"] = out["orientation"]["kept_true"]
    out["true_targets"] = len(rec["true_target_freq"])
    out["true_targets_kept"] = int(sum(v >= threshold for v in rec["true_target_freq"]))
    return out


def kept_edges(rec: dict[str, Any], threshold: float) -> list[str]:
    """The pairs adjacent in >= ``threshold`` of the refits, as text, with the consensus verdict."""
    names = _names()
    p = len(names)
    iu = np.triu_indices(p, 1)
    off = np.flatnonzero(~np.eye(p, dtype=bool))
    directed = np.zeros(p * p)
    directed[off] = rec["dir_freq"]
    directed = directed.reshape(p, p)
    truth = np.zeros(p * p, dtype=bool)
    truth[off] = rec["dir_true"]
    truth = truth.reshape(p, p)
    out = []
    for (i, j), f in zip(zip(*iu, strict=True), rec["adj_freq"], strict=True):
        if f < threshold:
            continue
        if directed[i, j] >= threshold or directed[j, i] >= threshold:
            a, b = (i, j) if directed[i, j] >= threshold else (j, i)
            mark = "✓" if truth[a, b] else "reversed" if truth[b, a] else "✗"
            out.append(f"{names[a]} → {names[b]} {f:.2f} ({mark})")
        else:
            mark = "✓" if truth[i, j] or truth[j, i] else "✗"
            out.append(f"{names[i]} – {names[j]} {f:.2f} ({mark})")
    return out


def summarize(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for rec in records:
        if rec.get("error"):
            continue
        point = {"adjacency": int(np.sum(rec["ref_adj"])),
                 "adjacency_true": int(np.sum(np.asarray(rec["ref_adj"]) & rec["adj_true"])),
                 "orientation": int(np.sum(rec["ref_dir"])),
                 "orientation_true": int(np.sum(np.asarray(rec["ref_dir"]) & rec["dir_true"]))}  # fmt: skip
        rows.append({"transform": rec["transform"], "K_ref": rec["K_ref"], "K_freq": rec["K_freq"],
                     "seconds": rec["seconds"], "point": point,
                     "thresholds": [score(rec, t) for t in THRESHOLDS],
                     "kept_edges_0.9": kept_edges(rec, 0.9)})  # fmt: skip
    return rows


def _frac(hits: int, n: int) -> str:
    return f"{hits}/{n} = {hits / n:.2f}" if n else "0 kept"


def _refine(saved: dict[str, Any]) -> str:
    """The estimator's ``refine`` setting of the saved runs; runs saved before the parameters
    were recorded ran before refine="mechanisms" became the default."""
    return saved["config"].get("estimator_params", {}).get("refine", "none")


def markdown(saved: dict[str, Any]) -> str:
    """The Sachs subsection of the stability part (from ``stability_sachs.json``)."""
    summary, header = saved["summary"], saved["header"]
    out = [
        "### Sachs: the frequencies against the 18-edge consensus graph",
        "",
        C.header_markdown(header),
        "",
        f"One `causalmix.stability` run per transform of the user guide's worked example, "
        f"{saved['config']['resamples']} half-size subsamples of the 5,846 rows (experiments 1–7), "
        f"`MixtureUTIGSP(refine={_refine(saved)!r})`, seed 0. `log` is the transform the guide's "
        "checks advise for "
        "these positive, right-skewed concentrations. Kept = frequency ≥ t; *adjacency*: the pair "
        "is an edge of the consensus graph in either direction; *orientation*: the consensus "
        "graph has that arc. 18 of the 55 pairs are consensus edges, so a pair picked at random "
        "is one with probability 0.33.",
        "",
    ]
    headers = ["transform", "K̂ (refits)", "t", "adjacencies kept: in the graph",
               "arcs kept: right arc", "consensus edges kept (adjacent / right arc)",
               "targets kept: true", "true targets kept"]  # fmt: skip
    rows = []
    for s in summary:
        ks = ", ".join(
            f"{k}: {v:.2f}" for k, v in sorted(s["K_freq"].items(), key=lambda x: int(x[0]))
        )
        for sc in s["thresholds"]:
            a, o, t = sc["adjacency"], sc["orientation"], sc["target"]
            rows.append([
                s["transform"], f"{s['K_ref']} ({ks})", f"≥ {sc['threshold']:g}",
                _frac(a["kept_true"], a["kept"]), _frac(o["kept_true"], o["kept"]),
                f"{sc['consensus_kept_adjacent']} / {sc['consensus_kept_oriented']} of "
                f"{sc['consensus_edges']}",
                _frac(t["kept_true"], t["kept"]), f"{sc['true_targets_kept']} of {sc['true_targets']}",
            ])  # fmt: skip
        pt = s["point"]
        rows.append([s["transform"], s["K_ref"], "full fit",
                     _frac(pt["adjacency_true"], pt["adjacency"]),
                     _frac(pt["orientation_true"], pt["orientation"]),
                     f"{pt['adjacency_true']} / {pt['orientation_true']} of 18", "", ""])  # fmt: skip
    out += [C.md_table(headers, rows), ""]
    out += ["Edges kept at ≥ 0.9 (adjacency frequency; ✓ in the consensus graph, *reversed*: "
            "the graph has the other direction, ✗ not in it; an arrow when the orientation is "
            "also ≥ 0.9):", ""]  # fmt: skip
    for s in summary:
        edges = "; ".join(s["kept_edges_0.9"]) or "none"
        out.append(f"- `{s['transform']}`: {edges}.")
    out += [
        "",
        "K̂ is the full fit's number of components (refits' distribution in brackets); the paper's "
        "pooled setting has 6 (one observational, five interventions). Targets are scored against "
        "the experiments' targets through the matching of components to experiments (means and "
        "covariances), so they mean little when K̂ is far from 6. Reproduce: `nice "
        ".venv/bin/python benchmarks/stability.py --sachs` (needs `../shared/data/sachs.csv`).",
    ]
    return "\n".join(out)


def run(
    run_task: Any, task_type: Any, jobs: int, use_cache: bool, quick: bool = False
) -> dict[str, Any] | None:
    """Run the Sachs tasks and write ``stability_sachs.json``; None when the data are absent.

    ``quick``: a smoke run (``QUICK_RESAMPLES`` resamples, the ``log`` transform only)."""
    from causalmix.datasets import find_sachs_csv

    try:
        find_sachs_csv()
    except FileNotFoundError as exc:
        print(f"{NAME}: skipped: {exc}")
        return None
    resamples, transforms = (QUICK_RESAMPLES, ("log",)) if quick else (RESAMPLES, TRANSFORMS)
    tasks = [task_type(None, 0, resamples, transform=t) for t in transforms]
    print(f"{NAME}: {len(tasks)} stability runs of {resamples} resamples, jobs={jobs}")
    records = C.run_tasks(tasks, jobs=jobs, use_cache=use_cache, runner=run_task)
    saved = {"name": NAME, "header": C.run_header(),
             "config": {"resamples": resamples, "transforms": transforms, "thresholds": THRESHOLDS,
                        "seed": 0, "estimator_params": json.loads(tasks[0].estimator)},
             "summary": summarize(records),
             "records": [{k: v for k, v in r.items() if k != "traceback"} for r in records]}  # fmt: skip
    path = C.OUT_DIR / f"{NAME}.json"
    C.write_json(path, saved)
    print("wrote", path.relative_to(C.REPO))
    return json.loads(path.read_text())
