"""What the false claims kept at >= 0.9 are: a mistake of the estimator, or of the counting?

Used by ``benchmarks/stability.py``. For each simulated run (the truth is drawn again from its cell
and seed) the claims kept at THRESHOLD that are false, and those of the fit on all rows, are
sorted by kind:

- orientation: the true DAG has the reverse arc (*reversed*), or the pair is not adjacent;
- target: the node is a parent or a child of a true target of the matched true component
  (*neighbour*), or further away; or the component is matched to the observational one or to
  none (*base*: the whole target set is relative to the wrong component).

With the observational component, K and the components right (do-interventions), a stable false
target that neighbours a true one is the estimator's invariance test or graph at fault, not the
resampling; the same errors in the fit on all rows show it.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

import _common as C

THRESHOLD = 0.9
CELL_FIELDS = ("p", "targets", "n", "density", "kind", "mean", "var", "weights", "permute")


@functools.cache
def _dag(cell: C.Cell, seed: int) -> np.ndarray:
    return np.asarray(C.simulate(cell, seed).dag) != 0


def _sort(rec: dict[str, Any], dag: np.ndarray) -> dict[str, int]:
    p = dag.shape[0]
    off = ~np.eye(p, dtype=bool)
    reverse = dag.T[off]
    true_dir = np.asarray(rec["dir_true"], bool)
    k_ref = int(rec["K_ref"])
    tgt_true = np.asarray(rec["tgt_true"], bool).reshape(k_ref, p)
    out: dict[str, int] = {}
    true_adj = np.asarray(rec["adj_true"], bool)
    for src, adj_claim, dir_claim, tgt_claim in (
        ("kept", np.asarray(rec["adj_freq"]) >= THRESHOLD, np.asarray(rec["dir_freq"]) >= THRESHOLD,
         np.asarray(rec["tgt_freq"]).reshape(k_ref, p) >= THRESHOLD),
        ("point", np.asarray(rec["ref_adj"], bool), np.asarray(rec["ref_dir"], bool),
         np.asarray(rec["ref_tgt"], bool).reshape(k_ref, p)),
    ):  # fmt: skip
        out[f"{src}_adj"] = int(adj_claim.sum())
        out[f"{src}_adj_false"] = int((adj_claim & ~true_adj).sum())
        false = dir_claim & ~true_dir
        out[f"{src}_dir"] = int(dir_claim.sum())
        out[f"{src}_dir_reversed"] = int((false & reverse).sum())
        out[f"{src}_dir_nonadjacent"] = int((false & ~reverse).sum())
        out[f"{src}_tgt"] = int(tgt_claim.sum())
        for key in ("neighbour", "further", "base"):
            out[f"{src}_tgt_{key}"] = 0
        for k, v in zip(*np.nonzero(tgt_claim & ~tgt_true), strict=True):
            true_t = np.flatnonzero(tgt_true[k])
            if true_t.size == 0:
                out[f"{src}_tgt_base"] += 1
            elif dag[true_t, v].any() or dag[v, true_t].any():
                out[f"{src}_tgt_neighbour"] += 1
            else:
                out[f"{src}_tgt_further"] += 1
    return out


def _k_settled(rec: dict[str, Any]) -> bool:
    """Whether the refits agree on K as the ``stability_k`` check asks."""
    from causalmix.diagnostics import k_settled

    return k_settled(rec["K_freq"])


def breakdown(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The false kept and point claims by kind, summed over runs: per setting (do, shift), and
    over all simulated runs split by whether the ``stability_k`` check would pass."""
    groups = (
        ("do", lambda r: r.get("setting") == "do"),
        ("shift", lambda r: r.get("setting") == "shift"),
        ("K settled", lambda r: r.get("setting") in ("do", "shift") and _k_settled(r)),
        ("K unsettled (stability_k flagged)",
         lambda r: r.get("setting") in ("do", "shift") and not _k_settled(r)),
    )  # fmt: skip
    rows = []
    for setting, member in groups:
        sel = [r for r in records if member(r) and not r.get("error")]
        if not sel or "dir_freq" not in sel[0]:
            continue
        total: dict[str, int] = {}
        for r in sel:
            cell = C.Cell(**{k: r[k] for k in CELL_FIELDS})
            for key, val in _sort(r, _dag(cell, r["seed"])).items():
                total[key] = total.get(key, 0) + val
        total["runs"] = len(sel)
        total["K_right"] = sum(r["K_ref"] == r["K_true"] for r in sel)
        total["obs_right"] = sum(r["obs_freq_true_obs"] >= 0.5 for r in sel)
        rows.append({"setting": setting, **total})
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return ""
    headers = ["runs", "runs: K̂ right / obs. right", "claims", "adjacencies (false)",
               "arcs (false: reversed / not adjacent)",
               "targets (false: neighbour / further / wrong base)"]  # fmt: skip
    table = []
    for r in rows:
        for src, what in (("kept", "kept at ≥ 0.9"), ("point", "fit on all rows")):
            adj = f"{r[f'{src}_adj']} ({r[f'{src}_adj_false']})" if f"{src}_adj" in r else "–"
            table.append([
                r["setting"], f"{r['runs']}: {r['K_right']} / {r['obs_right']}", what, adj,
                f"{r[f'{src}_dir']} ({r[f'{src}_dir_reversed']} / {r[f'{src}_dir_nonadjacent']})",
                f"{r[f'{src}_tgt']} ({r[f'{src}_tgt_neighbour']} / {r[f'{src}_tgt_further']} / "
                f"{r[f'{src}_tgt_base']})",
            ])  # fmt: skip
    return "\n".join([
        "What the false claims are (all simulated runs of a group pooled; *K settled*: one K in "
        "more than half of the refits, the `stability_k` check's rule): *reversed* = the "
        "true DAG has the other direction; *neighbour* = a parent or child of a true target of "
        "the matched true component; *wrong base* = a target claimed for the component matched "
        "to the observational one (or to none). *obs. right*: runs in which the component "
        "matched to the true observational one is the observational one in ≥ half the refits.",
        "",
        C.md_table(headers, table),
    ])  # fmt: skip
