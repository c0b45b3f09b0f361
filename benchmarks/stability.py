"""Are the stability frequencies honest? Calibration on simulations and on Sachs, and speed.

For every run, ``causalmix.stability`` (default ``MixtureUTIGSP``, half-size subsamples) reports
a frequency for each claim; a claim "reported at >= 0.9" is kept. Scored against the truth:

- **adjacency** claims (pair {i, j} adjacent in >= 90 % of the refits' I-CPDAGs): true iff
  adjacent in the true DAG;
- **orientation** claims (``i -> j`` oriented in >= 90 %): true iff the true DAG has ``i -> j``;
- **target** claims (node v a target of full-fit component k in >= 90 %): true iff v is a target
  of the true component matched to k (Hungarian on parameters; unmatched k: false).

Precision = fraction of kept claims that are true (goal >= 0.95); recall = fraction of true
adjacencies / arcs / targets kept. The fit on all rows (the point estimate) is scored the same way
for comparison. Grid: do-interventions (value 1, the paper's) and mean shifts (+2, parents kept),
targets "all" for p = 6, 10 and "half" for p = 15, N = 2^13 and 2^16, random node orders.

    nice .venv/bin/python benchmarks/stability.py --quick            # p = 6, minutes
    nice .venv/bin/python benchmarks/stability.py --full --jobs 2     # the grid
    nice .venv/bin/python benchmarks/stability.py --full --kinds do --reuse-fingerprint FP
        # re-run the do cells; the shift cells read from the cache of library fingerprint FP
    nice .venv/bin/python benchmarks/stability.py --sachs             # Sachs, 3 x 51 fits
    nice -n 5 .venv/bin/python benchmarks/stability.py --timing
"""

from __future__ import annotations

import itertools
import json
import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import _common as C
import stability_errors

NAME = "stability"
THRESHOLD = 0.9
KINDS = {"do": {"kind": "do", "mean": 1.0}, "shift": {"kind": "shift", "mean": 2.0}}
# (p, log2 N) of the full grid, cut to what 2 cores shared by 5 jobs run in ~45 min: N = 2^16
# only at p = 6 ((10, 2^16) and (15, 2^14) took 3-7 min per run at 20 resamples)
FULL_CELLS = ((6, 13), (6, 16), (10, 13), (15, 13))
FULL = {"seeds": 5, "log2n": (13, 16), "p": (6, 10, 15), "kinds": ("do", "shift"),
        "resamples": 20}  # fmt: skip
QUICK = {"seeds": 2, "log2n": (13,), "p": (6,), "kinds": ("do", "shift"),
         "resamples": 10}  # fmt: skip
TIMING = {"p": 8, "log2n": 16, "resamples": 50, "n_jobs": 2}
QUICK_RESAMPLES = 5  # --quick --timing: a smoke run (its results stay in the cache)
BINS = (0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0001)


def estimator_params() -> dict[str, Any]:
    """The parameters of today's default ``MixtureUTIGSP()``: what a new run fits with."""
    from causalmix import MixtureUTIGSP

    return MixtureUTIGSP().get_params()


def _params_json(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, default=str)


@dataclass(frozen=True)
class StabTask:
    cell: C.Cell | None  # None: Sachs
    seed: int
    resamples: int
    transform: str = "none"  # Sachs only: causalmix.transforms ("none", "log", "rank")
    part: str = NAME
    # the MixtureUTIGSP parameters (JSON), part of the cache key: a record computed with other
    # settings (refine="none" before "mechanisms" became the default) is never read back for these
    estimator: str = field(default_factory=lambda: _params_json(estimator_params()))

    def cache_path(self, fingerprint: str):
        what = f"sachs-{self.transform}" if self.cell is None else self.cell.key()
        ident = f"stability|{what}|{self.seed}|{self.resamples}|{self.estimator}|{fingerprint}"
        return C.cache_path(NAME, ident)

    def label(self) -> str:
        what = f"sachs {self.transform}" if self.cell is None else self.cell.key()
        return f"{what} seed={self.seed}"


def _cell(kind: str, p: int, log2n: int) -> C.Cell:
    return C.Cell(p=p, targets="all" if p <= 10 else "half", n=2**log2n, permute=True,
                  **KINDS[kind])  # fmt: skip


def claims(res: Any, truth: C.Truth) -> dict[str, Any]:
    """Every claim's frequency with its truth value, and the reference fit's own claims."""
    from causalmix.metrics import match_components

    dag = np.asarray(truth.dag) != 0
    p = dag.shape[0]
    iu = np.triu_indices(p, 1)
    off = ~np.eye(p, dtype=bool)
    true_adj = (dag | dag.T)[iu]
    ref = np.asarray(res.reference_icpdag) != 0
    m = match_components(res.reference_means, res.reference_covariances, truth.means,
                         truth.covariances)  # fmt: skip
    K_ref = res.target_frequency.shape[0]
    tgt_truth = np.zeros((K_ref, p), dtype=bool)
    for k, t in enumerate(m.est_to_true):
        if t >= 0:
            tgt_truth[k, sorted(truth.targets[t])] = True
    # recall side: every true (component, target) pair and the frequency of its matched component
    true_target_freq = [
        float(res.target_frequency[e, v]) if e >= 0 else 0.0
        for t, e in enumerate(m.true_to_est)
        for v in sorted(truth.targets[t])
    ]
    ref_targets = np.zeros((K_ref, p), dtype=bool)
    for k, t in enumerate(res.reference_targets):
        ref_targets[k, sorted(t)] = True
    return {
        "adj_freq": res.adjacency[iu], "adj_true": true_adj,
        "dir_freq": res.directed[off], "dir_true": dag[off],
        "tgt_freq": res.target_frequency.ravel(), "tgt_true": tgt_truth.ravel(),
        "true_target_freq": true_target_freq,
        "ref_adj": (ref | ref.T)[iu], "ref_dir": (ref & ~ref.T)[off], "ref_tgt": ref_targets.ravel(),
        "K_true": len(truth.targets), "K_ref": K_ref,
        "K_freq": {str(k): f for k, f in res.k_frequencies.items()},
        "obs_freq_true_obs": (
            float(res.observational_frequency[m.true_to_est[truth.observational]])
            if truth.observational is not None and m.true_to_est[truth.observational] >= 0
            else 0.0
        ),
    }  # fmt: skip


def run_stab_task(task: StabTask, fingerprint: str, use_cache: bool = True) -> dict[str, Any]:
    from causalmix import MixtureUTIGSP, stability

    params = json.loads(task.estimator)
    rec: dict[str, Any] = {"seed": task.seed, "resamples": task.resamples,
                           "fingerprint": fingerprint, "refine": params["refine"]}  # fmt: skip
    if task.cell is None:
        rec.update(setting=f"sachs-{task.transform}", kind="sachs", p=11,
                   transform=task.transform)  # fmt: skip
    else:
        rec.update(setting=task.cell.kind, **task.cell.as_dict())

    def compute() -> dict[str, Any]:
        if task.cell is None:
            from sachs import load

            data, truth = load(task.transform)
            X = data.X
        else:
            sample = C.simulate(task.cell, task.seed)
            X, truth = sample.X, C.Truth.from_sample(sample)
        t0 = time.perf_counter()
        res = stability(X, MixtureUTIGSP(**params), n_resamples=task.resamples, n_jobs=1,
                        random_state=task.seed)  # fmt: skip
        return {"seconds": time.perf_counter() - t0, **claims(res, truth)}

    return C.cached_record(task.cache_path(fingerprint), use_cache, rec, compute)


# ------------------------------------------------------------------ scoring
def _rate(hits: int, n: int) -> float:
    return hits / n if n else float("nan")


def _bins(freq: np.ndarray, true: np.ndarray) -> list[dict[str, Any]]:
    """Fraction of true claims per frequency bin (claims of frequency 0 left out)."""
    out = []
    for lo, hi in itertools.pairwise(BINS):
        sel = (freq >= lo) & (freq < hi) & (freq > 0)
        out.append({"low": lo, "high": min(hi, 1.0), "claims": int(sel.sum()),
                    "true_fraction": _rate(int((sel & true).sum()), int(sel.sum()))})  # fmt: skip
    return out


def calibration(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Precision and recall of the claims kept at THRESHOLD, pooled over ``records``."""
    ok = [r for r in records if not r.get("error")]
    out: dict[str, Any] = {"runs": len(ok)}
    for kind, f, t, ref in (("adjacency", "adj_freq", "adj_true", "ref_adj"),
                            ("orientation", "dir_freq", "dir_true", "ref_dir"),
                            ("target", "tgt_freq", "tgt_true", "ref_tgt")):  # fmt: skip
        freq = np.concatenate([np.asarray(r[f], float) for r in ok]) if ok else np.zeros(0)
        true = np.concatenate([np.asarray(r[t], bool) for r in ok]) if ok else np.zeros(0, bool)
        point = np.concatenate([np.asarray(r[ref], bool) for r in ok]) if ok else np.zeros(0, bool)
        kept = freq >= THRESHOLD
        if kind == "target":
            n_true = sum(len(r["true_target_freq"]) for r in ok)
            kept_true = sum(sum(v >= THRESHOLD for v in r["true_target_freq"]) for r in ok)
        else:
            n_true, kept_true = int(true.sum()), int((kept & true).sum())
        out[kind] = {
            "kept": int(kept.sum()), "kept_true": int((kept & true).sum()),
            "precision": _rate(int((kept & true).sum()), int(kept.sum())),
            "n_true": n_true, "recall": _rate(kept_true, n_true),
            "point_claims": int(point.sum()),
            "point_precision": _rate(int((point & true).sum()), int(point.sum())),
            "point_recall": _rate(int((point & true).sum()), int(true.sum())),
            "bins": _bins(freq, true),
        }  # fmt: skip
    out["K_mode_correct"] = _rate(
        sum(int(max(r["K_freq"], key=r["K_freq"].get)) == r["K_true"] for r in ok), len(ok)
    )
    out["K_ref_correct"] = _rate(sum(r["K_ref"] == r["K_true"] for r in ok), len(ok))
    out["seconds_med"] = float(np.median([r["seconds"] for r in ok])) if ok else float("nan")
    return out


def summarize(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    groups = sorted({(r["setting"], r["p"], r.get("n", 0)) for r in records}, key=str)
    for setting, p, n in groups:
        sel = [r for r in records if (r["setting"], r["p"], r.get("n", 0)) == (setting, p, n)]
        rows.append({"setting": setting, "p": p, "n": n, **calibration(sel)})
    sim = [r for r in records if r["kind"] != "sachs"]
    for setting in ("do", "shift"):
        sel = [r for r in sim if r["setting"] == setting]
        if sel:
            rows.append({"setting": setting, "p": "all", "n": "all", **calibration(sel)})
    if sim:
        rows.append({"setting": "all simulated", "p": "all", "n": "all", **calibration(sim)})
    return rows


# ------------------------------------------------------------------ timing
def timing(resamples: int | None = None) -> dict[str, Any]:
    """Wall and CPU seconds (main process + joblib workers) of one 50-resample run (or
    ``resamples``)."""
    import resource

    from joblib.externals.loky import get_reusable_executor

    from causalmix import MixtureUTIGSP, stability
    from causalmix._stability_refit import PROGRESS_STAGE

    cell = _cell("do", TIMING["p"], TIMING["log2n"])
    X = C.simulate(cell, 0).X
    load_before = os.getloadavg()
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    marks: dict[int, float] = {}  # resamples done -> seconds (0: the fit on all rows is done)

    def progress(stage: str, done: int, total: int) -> None:
        if stage == PROGRESS_STAGE:
            marks.setdefault(done, time.perf_counter() - t0)

    t0, c0 = time.perf_counter(), time.process_time()
    spec = dict(TIMING, resamples=resamples or TIMING["resamples"])
    res = stability(X, MixtureUTIGSP(), n_resamples=spec["resamples"],
                    n_jobs=TIMING["n_jobs"], random_state=0, progress=progress)  # fmt: skip
    seconds = time.perf_counter() - t0
    get_reusable_executor().shutdown(wait=True)  # reap the workers: their CPU time is counted
    children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (
        time.process_time()
        - c0
        + sum(getattr(children1, f) - getattr(children0, f) for f in ("ru_utime", "ru_stime"))
    )
    return {**spec, "cell": cell.key(), "seconds": seconds, "cpu_seconds": cpu,
            "reference_seconds": marks.get(0), "first_refit_seconds": marks.get(1),
            "load_avg_before": load_before, "load_avg": os.getloadavg(),
            "k_frequencies": res.k_frequencies, "header": C.run_header()}  # fmt: skip


# ------------------------------------------------------------------ report
def _pct(x: Any) -> str:
    return "–" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.2f}"


def markdown(summary, records, cfg, header, timed, sachs, errors=()) -> str:
    from causalmix import MixtureUTIGSP

    # the estimator's parameters when the grid ran; grids saved before they were recorded ran
    # before refine="mechanisms" became the default
    params = cfg.get("estimator_params") or MixtureUTIGSP(refine="none").get_params()
    out = [
        "## Stability: are the reported frequencies honest?",
        "",
        C.header_markdown(header),
        "",
        f"`causalmix.stability` with `MixtureUTIGSP()` (parameters "
        f"`{json.dumps(params, sort_keys=True, default=str)}`), "
        f"half-size subsamples; {cfg['resamples']} resamples per simulated run (so ≥ 0.9 means "
        f"≥ {int(np.ceil(THRESHOLD * cfg['resamples']))} of them); "
        f"{cfg['seeds']} seeds per cell. Grid: do-interventions (value 1) and mean shifts "
        "(+2, parents kept) on every node (p = 6, 10) or on ⌊p/2⌋ nodes (p = 15), N = "
        + ", ".join(C.pow2(2**e) for e in cfg["log2n"])
        + ", p = "
        + ", ".join(map(str, cfg["p"]))
        + ", random node orders, edge probability 0.8.",
        "",
        "A claim is *kept* when its frequency is ≥ 0.9. **precision** = kept claims that are true "
        "(goal ≥ 0.95); **recall** = true edges / arcs / targets that are kept; *point* = the same "
        "for the single fit on all rows. Adjacency: pair adjacent in the I-CPDAG (any mark) vs the "
        "true skeleton. Orientation: `i → j` oriented vs the true DAG's arc. Target: node of a "
        "full-fit component vs the targets of the true component matched to it.",
        "",
    ]
    if reused := cfg.get("reused"):
        out += [
            f"- The {', '.join(reused['kinds'])} runs ({reused['runs']}) were **not re-run** "
            f"for this page: they are read from the cache of an older library (fingerprint "
            f"`{reused['fingerprint']}`"
            + (f", commit `{reused['commit'][:10]}`" if reused.get("commit") else "")
            + "), before the change of the commit above; the other "
            f"cells ran with it. Reproduce: `nice .venv/bin/python benchmarks/stability.py "
            f"--full --kinds do --reuse-fingerprint {reused['fingerprint']}` (with that cache).",
            "",
        ]
    if cfg.get("grid") == "partial":
        out += [_partial_sentence(cfg, records), ""]
    elif grid := C.grid_sentence(cfg):
        out += [grid, ""]
    headers = ["setting", "p", "N", "runs", "K̂ ok (full / mode)", "adjacency kept: prec. / recall",
               "point prec. / recall", "orientation kept: prec. / recall", "point prec. / recall",
               "targets kept: prec. / recall", "point prec. / recall", "s / run"]  # fmt: skip
    rows = []
    for s in summary:
        a, o, t = s["adjacency"], s["orientation"], s["target"]
        n = s["n"] if isinstance(s["n"], str) or not s["n"] else C.pow2(s["n"])
        rows.append([
            s["setting"], s["p"], n, s["runs"], f"{_pct(s['K_ref_correct'])} / {_pct(s['K_mode_correct'])}",
            f"{_pct(a['precision'])} / {_pct(a['recall'])} ({a['kept']})",
            f"{_pct(a['point_precision'])} / {_pct(a['point_recall'])}",
            f"{_pct(o['precision'])} / {_pct(o['recall'])} ({o['kept']})",
            f"{_pct(o['point_precision'])} / {_pct(o['point_recall'])}",
            f"{_pct(t['precision'])} / {_pct(t['recall'])} ({t['kept']})",
            f"{_pct(t['point_precision'])} / {_pct(t['point_recall'])}",
            C.fmt_time(s["seconds_med"]),
        ])  # fmt: skip
    out += [C.md_table(headers, rows), "", "(n) = number of claims kept. ", ""]
    pooled = next((s for s in summary if s["setting"] == "all simulated"), None)
    if pooled:
        out += ["Reliability (all simulated runs pooled): fraction of claims that are true, by "
                "reported frequency (claims with frequency 0 left out).", ""]  # fmt: skip
        brows = []
        for kind in ("adjacency", "orientation", "target"):
            brows.append([kind] + [
                f"{_pct(b['true_fraction'])} ({b['claims']})" for b in pooled[kind]["bins"]
            ])  # fmt: skip
        labels = [f"[{lo:g}, {min(hi, 1):g}{']' if hi > 1 else ')'}" for lo, hi in
                  itertools.pairwise(BINS)]  # fmt: skip
        out += [C.md_table(["claim", *labels], brows), ""]
    if errors:
        import stability_errors

        out += [stability_errors.markdown(errors), ""]
    if timed:
        h = timed["header"]
        out += [
            f"**Time**: {timed['resamples']} resamples at p = {timed['p']}, N = "
            f"{C.pow2(2 ** timed['log2n'])} (do-interventions on every node), `n_jobs="
            f"{timed['n_jobs']}`: **{timed['seconds']:.1f} s** wall (goal ≤ 60 s) for "
            f"{timed['cpu_seconds']:.1f} CPU seconds (main process + workers, so ≥ "
            f"{timed['cpu_seconds'] / 2:.1f} s on two idle cores; "
            + (
                f"the fit on all rows took {timed['reference_seconds']:.1f} s, the first refit "
                f"was back at {timed['first_refit_seconds']:.1f} s"
                if timed.get("reference_seconds") is not None
                else "no split recorded"
            )
            + f"), run {h['date_utc']} at commit "
            f"`{h['commit'][:10]}`; 1-minute load average "
            f"{timed['load_avg_before'][0]:.1f} before, {timed['load_avg'][0]:.1f} after (what "
            "else ran on the 2 cores). Reproduce: `nice -n 5 "
            ".venv/bin/python benchmarks/stability.py --timing` (on otherwise idle cores).",
            "",
        ]
    if sachs:
        import stability_sachs

        out += [stability_sachs.markdown(sachs), ""]
    else:
        out += ["**Sachs**: not run (`benchmarks/stability.py --sachs`, needs "
                "`../shared/data/sachs.csv`).", ""]  # fmt: skip
    out.append(C.errors_note(records))
    return "\n".join(out)


def _partial_sentence(cfg: dict[str, Any], records: list[dict[str, Any]]) -> str:
    """Which runs of the full grid a partial page holds (``--cached-only``)."""
    seeds: dict[tuple[str, int, int], list[int]] = {}
    for r in records:
        seeds.setdefault((r["setting"], r["p"], r["n"]), []).append(r["seed"])
    ran = "; ".join(f"{kind} p = {p}, N = {C.pow2(n)}: seeds {', '.join(map(str, sorted(s)))}"
                    for (kind, p, n), s in sorted(seeds.items()))  # fmt: skip
    return (
        f"- This is a *partial* grid: {len(records)} of the full grid's "
        f"{cfg['seeds'] * len(cfg['cells']) * len(cfg['kinds'])} runs, those finished when the "
        f"run (seed by seed, every cell of a seed before the next seed) was stopped at its time "
        f"budget, rendered with `--cached-only`. Runs per cell: {ran}."
    )


def render(saved: dict[str, Any]) -> str:
    """The Markdown of the saved grid (``stability.json``), with the saved timing and Sachs runs
    next to it (``stability_timing.json``, ``stability_sachs.json``) if present."""
    import stability_sachs

    return markdown(saved["summary"], saved["records"], saved["config"], saved["header"],
                    C.load(f"{NAME}_timing"), C.load(stability_sachs.NAME),
                    saved.get("errors", ()))  # fmt: skip


def _rewrite() -> None:
    """Rewrite ``stability.md`` after a timing or Sachs run (if the grid was run)."""
    if C.load(NAME) is None:
        print(f"no {NAME}.json in {C.OUT_DIR} yet: run the grid to write {NAME}.md")
        return
    print("wrote", C.write_markdown(NAME, render).relative_to(C.REPO))


def _reused_records(
    fingerprint: str, cfg: dict[str, Any], kinds: list[str], partial: bool = False
) -> list[dict]:
    """The cached runs of the grid's ``kinds`` made by library ``fingerprint`` (any estimator
    parameters of that library), one per (cell, seed); missing runs are an error unless
    ``partial`` (``--cached-only``: the page lists the runs it holds)."""
    found = {}
    for path in sorted((C.CACHE_DIR / NAME).glob("*.json")):
        rec = json.loads(path.read_text())
        if rec.get("fingerprint") == fingerprint and rec.get("resamples") == cfg["resamples"]:
            found[(rec["setting"], rec["p"], rec["n"], rec["seed"])] = rec
    keys = [(kind, p, 2**e, seed) for kind in kinds for p, e in cfg["cells"]
            for seed in range(cfg["seeds"])]  # fmt: skip
    missing = [k for k in keys if k not in found]
    if missing and not partial:
        raise SystemExit(f"--reuse-fingerprint {fingerprint}: no cached run for {missing}")
    return [found[k] for k in keys if k in found]


def _commit_of(fingerprint: str) -> str | None:
    """The commit of the saved grid run made with library ``fingerprint`` (or that reused its
    runs), if the saved page is that run's."""
    saved = C.load(NAME) or {}
    if saved.get("header", {}).get("library_fingerprint") == fingerprint:
        return saved["header"].get("commit")
    reused = saved.get("config", {}).get("reused") or {}
    return reused.get("commit") if reused.get("fingerprint") == fingerprint else None


def main(argv=None) -> int:
    ap = C.common_args(__doc__.splitlines()[0])
    ap.add_argument("--timing", action="store_true", help="only the 50-resample timing run")
    ap.add_argument("--sachs", action="store_true", help="only the Sachs runs")
    ap.add_argument(
        "--kinds",
        default=None,
        help="comma-separated kinds to run (do, shift); with --reuse-fingerprint the "
        "grid's other kinds are read from the cache, else left out",
    )
    ap.add_argument(
        "--reuse-fingerprint",
        default=None,
        help="read the runs of the kinds not in --kinds from the cache records of "
        "this library fingerprint (an older library: the page says so)",
    )
    ap.add_argument("--reuse-commit", default=None,
                    help="with --reuse-fingerprint: the commit whose library made those runs "
                         "(named on the page; else found from the saved page, if it is that run's)")  # fmt: skip
    ap.add_argument("--cached-only", action="store_true",
                    help="run nothing: write the grid's page from the runs already in the cache "
                         "(a run stopped at its time budget); the page lists which ran")  # fmt: skip
    args = C.parse(ap, argv)
    if args.timing:
        timed = timing(QUICK_RESAMPLES if args.quick else None)
        path = C.OUT_DIR / f"{NAME}_timing.json"
        C.write_json(path, timed)
        print(f"{timed['resamples']} resamples: {timed['seconds']:.1f} s; wrote {path}")
        _rewrite()
        return 0
    if args.sachs:
        import stability_sachs

        stability_sachs.run(run_stab_task, StabTask, jobs=args.jobs, use_cache=not args.fresh,
                            quick=args.quick)  # fmt: skip
        _rewrite()
        return 0
    cfg = C.grid_config(args, QUICK, FULL)
    if cfg["grid"] == "full":
        cells = FULL_CELLS
    else:  # quick, or the --p / --log2n overrides: every combination
        cells = tuple((p, e) for p in cfg["p"] for e in cfg["log2n"])
    cfg["cells"] = cells
    cfg["estimator_params"] = params = estimator_params()
    run_kinds = tuple(args.kinds.split(",")) if args.kinds else tuple(cfg["kinds"])
    tasks = [StabTask(_cell(kind, p, e), seed, cfg["resamples"], estimator=_params_json(params))
             for seed in range(cfg["seeds"]) for p, e in cells for kind in run_kinds]  # fmt: skip
    reused = []
    if args.reuse_fingerprint:
        reused = _reused_records(args.reuse_fingerprint, cfg, [k for k in cfg["kinds"]
                                                                if k not in run_kinds],
                                 partial=args.cached_only)  # fmt: skip
        cfg["reused"] = {"fingerprint": args.reuse_fingerprint, "runs": len(reused),
                         "kinds": sorted({r["setting"] for r in reused}),
                         "commit": args.reuse_commit or _commit_of(args.reuse_fingerprint)}  # fmt: skip
    elif run_kinds != tuple(cfg["kinds"]):
        cfg["kinds"], cfg["grid"], cfg["full"] = list(run_kinds), "reduced", False
    if args.cached_only:
        fingerprint = C.library_fingerprint()
        tasks = [t for t in tasks if t.cache_path(fingerprint).is_file()]
        cfg["grid"], cfg["full"] = "partial", False
    print(f"{NAME}: {len(tasks)} stability runs ({cfg['grid']}), jobs={args.jobs}")
    records = C.run_tasks(tasks, jobs=args.jobs, use_cache=not args.fresh, runner=run_stab_task)
    records += reused
    header = C.run_header()
    summary = summarize(records)
    errors = stability_errors.breakdown(records)
    per_claim = ("adj_", "dir_", "tgt_", "true_target_freq", "ref_")  # in the cache, not committed
    slim = [{k: v for k, v in r.items() if not k.startswith(per_claim)} for r in records]
    paths = C.write_outputs(NAME, header, cfg, slim, summary, render, extra={"errors": errors})
    C.finish(paths, header)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
