"""Benchmark: choosing the number of mixture components (causalmix.mixture).

Measures, on data from :mod:`causalmix.simulate` (density 0.8, weights ±U[0.5, 1], N(0, 1) noise,
equal component sizes):

1. **protocol** -- the paper's Figure 1 grid: p in {4, 6, 8}, targets "all" / "half",
   do-interventions to 1.0, N in {2^12, 2^14, 2^16}, 10 seeds; criteria sBIC (default), BIC, ICL.
2. **weak** -- hard interventions on half the nodes (p = 6, N = 2^16): mean 0 / variance 0.1 and
   mean 1 / variance 1; sBIC, BIC, ICL and the paper's drop-ratio rule (cutoff 0.07).
3. **timing** -- the reference sweep (scikit-learn ``GaussianMixture`` for k = 1..p+1, tol 1e-3,
   one k-means start, random_state 0) against ``select_n_components`` (selection + final fit),
   back to back in one worker on the same p = 8 "all", N = 2^16 data sets (5 seeds), CPU time.
4. **overshoot** -- "all" data with ``max_components = p + 3`` (the default cap p + 1 equals K
   there, so over-estimation could not show otherwise).
5. **null / misspecified** -- one Gaussian (p in {4, 8}, N in {2^12, 2^16}); do-interventions on
   pairs of nodes and soft interventions (p = 6), which the interventional mixture cannot represent
   with one component each; sBIC and BIC.

Every worker runs with one BLAS thread at lowered priority. Runs through ``_common.run_tasks``
(cached per task in ``benchmarks/.cache/``); writes ``docs/benchmarks/mixture_selection.{json,md}``
(``--quick``: a small subset in a few minutes, into ``benchmarks/.cache/quick/``).

    nice .venv/bin/python benchmarks/mixture_selection.py --full --jobs 2
    nice .venv/bin/python benchmarks/mixture_selection.py --quick
"""

from __future__ import annotations

import dataclasses
import json
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

import _common as C

NAME = "mixture_selection"


@dataclass(frozen=True)
class SelectionTask:
    """One (experiment cell, seed, method) run; ``method`` is a criterion, "drop_ratio", "pair"
    (the reference sweep and the default selection back to back) or "truth_em"."""

    experiment: str
    p: int
    targets: str
    kind: str
    mean: float
    var: float | None
    n: int
    seed: int
    method: str
    max_components: int | None = None
    part: str = NAME

    def cache_path(self, fingerprint: str):
        return C.cache_path(
            NAME, json.dumps(dataclasses.asdict(self), sort_keys=True) + fingerprint
        )

    def label(self) -> str:
        return f"{self.experiment} p={self.p} {self.targets} N={C.pow2(self.n)} {self.method} seed={self.seed}"


def _make_data(p: int, targets: str, kind: str, mean: float, var: float | None, n: int, seed: int):
    """One simulated mixture. ``targets``: "all" / "half" (one node per intervention, the paper's
    families), "pairs" (p // 2 interventions on two random nodes each) or "none" (the
    observational law alone, K = 1)."""
    from causalmix.simulate import paper_interventions, random_sem, sample_mixture

    # the graph depends on (p, seed) only, so cells differing in N or strength are paired
    rng = np.random.default_rng([seed, p, 7919])
    sem = random_sem(p, density=0.8, random_state=rng)
    if targets == "none":
        ivs = []
    else:
        if targets == "pairs":
            first = rng.choice(p, size=p // 2, replace=False)
            sets = [{int(j), int(rng.choice(np.delete(np.arange(p), j)))} for j in np.sort(first)]
        else:
            sets = targets
        ivs = paper_interventions(
            sem, targets=sets, kind=kind, mean=mean, var=var, random_state=rng
        )
    kind_code = ("do", "hard", "soft", "shift").index(kind)
    data_rng = np.random.default_rng([seed, p, n, 104729, int(1000 * mean), kind_code])
    return sample_mixture(sem, ivs, n, random_state=data_rng)


def _reference_sweep(X: np.ndarray, k_max: int) -> list[float]:
    from sklearn.mixture import GaussianMixture

    return [
        float(GaussianMixture(k, tol=1e-3, random_state=0).fit(X).score(X))
        for k in range(1, k_max + 1)
    ]


def run_task(task: SelectionTask, fingerprint: str, use_cache: bool = True) -> dict[str, Any]:
    """One run, cached; a flat record.

    Times are CPU seconds of the worker (``time.process_time``; one BLAS thread, so equal to
    the wall time on an idle core) -- the machine is shared and wall times would mostly measure
    the other jobs. Method ``"pair"`` runs the reference sweep and the default selection one
    after the other on the same data, so both see the same conditions.
    """
    rec = {k: v for k, v in dataclasses.asdict(task).items() if k != "part"}
    rec["fingerprint"] = fingerprint
    return C.cached_record(task.cache_path(fingerprint), use_cache, rec, lambda: _run(task))


def _run(task: SelectionTask) -> dict[str, Any]:
    from causalmix.mixture import drop_ratio_rule, select_n_components

    sample = _make_data(task.p, task.targets, task.kind, task.mean, task.var, task.n, task.seed)
    X = sample.X
    record: dict[str, Any] = {"K": len(sample.components)}
    if task.method == "truth_em":
        return _truth_em(sample, record)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if task.method == "pair":
            cpu, wall = time.process_time(), time.perf_counter()
            curve = _reference_sweep(X, task.p + 1)
            record["reference_K_hat"] = drop_ratio_rule(curve, 0.07)
            record["reference_seconds"] = time.process_time() - cpu
            record["reference_wall_seconds"] = time.perf_counter() - wall
            record["reference_log_likelihoods"] = curve
        cpu, wall = time.process_time(), time.perf_counter()
        kwargs = {} if task.method == "pair" else {"criterion": task.method}
        res = select_n_components(
            X, max_components=task.max_components, random_state=task.seed, **kwargs
        )
        record["criterion"] = res.criterion
        record["seconds"] = time.process_time() - cpu
        record["wall_seconds"] = time.perf_counter() - wall
    record["K_hat"] = res.n_components
    if res.interventional_curve is not None:
        record["bic_K_hat"] = res.bic_n_components
        record["interventional_curve"] = [
            None if np.isnan(v) else float(v) for v in res.interventional_curve[1:]
        ]
    record["curve"] = [None if np.isnan(v) else float(v) for v in res.curve[1:]]
    return record


def _truth_em(sample, record: dict) -> dict:
    """BIC of the maximum-likelihood K-component fit started from the true parameters.

    If even this fit has a worse BIC than the best fitted model with fewer components, no
    BIC-based choice can return K on these data (the information limit of the criterion).
    """
    from causalmix.mixture import GaussianMixtureFit, fit_mixture

    covs = np.array([c.covariance for c in sample.components]) + 1e-6 * np.eye(sample.X.shape[1])
    start = GaussianMixtureFit.from_parameters(
        [c.weight for c in sample.components],
        [c.mean for c in sample.components],
        covs,
        reg_covar=1e-6,
    )
    cpu = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_mixture(sample.X, init=start, tol=1e-6, max_iter=1000)
    record["seconds"] = time.process_time() - cpu
    record["truth_bic"] = fit.bic()
    record["K_hat"] = record["K"]
    return record


def build_tasks(quick: bool) -> list[SelectionTask]:
    seeds = range(2) if quick else range(10)
    sizes = (2**12, 2**14) if quick else (2**12, 2**14, 2**16)
    big = 2**14 if quick else 2**16
    tasks = []

    def add(experiment, p, targets, kind, mean, var, n, methods, **extra):
        for seed in seeds:
            for method in methods:
                tasks.append(
                    SelectionTask(
                        experiment=experiment, p=p, targets=targets, kind=kind, mean=mean,
                        var=var, n=n, seed=seed, method=method, **extra,
                    )
                )  # fmt: skip

    for p in (4, 6, 8):
        for targets in ("all", "half"):
            for n in sizes:
                add("protocol", p, targets, "do", 1.0, None, n, ("sbic", "bic", "icl"))
    for mean, var in ((0.0, 0.1), (1.0, 1.0)):
        add("weak", 6, "half", "hard", mean, var, big, ("sbic", "bic", "icl", "drop_ratio"))
        add("limit", 6, "half", "hard", mean, var, big, ("truth_em",))
    timing_seeds = range(1) if quick else range(5)
    for seed in timing_seeds:
        tasks.append(
            SelectionTask(experiment="timing", p=8, targets="all", kind="do", mean=1.0, var=None,
                          n=big, seed=seed, method="pair")
        )  # fmt: skip
    for p in (4, 8):
        for n in (2**12, big):
            add("null", p, "none", "do", 1.0, None, n, ("sbic", "bic"))
    for n in (2**12, big):
        add("misspecified", 6, "pairs", "do", 1.0, None, n, ("sbic", "bic"))
    add("misspecified", 6, "half", "soft", 1.0, None, big, ("sbic", "bic"))
    if not quick:
        for p in (4, 6):
            add("overshoot", p, "all", "do", 1.0, None, 2**14, ("sbic", "bic"),
                max_components=p + 3)  # fmt: skip
    # longest first, so the two workers finish together
    cost = {"pair": 20.0, "drop_ratio": 5.0, "sbic": 3.0, "icl": 1.2, "bic": 1.0, "truth_em": 0.5}
    tasks.sort(key=lambda t: -cost[t.method] * t.n * t.p**2)
    return tasks


PROTOCOL_METHODS = ("sbic", "bic", "icl")


def _interventional(sbic: list[dict], bic: list[dict]) -> tuple[list, list]:
    """Per seed: the k the interventional family alone would choose, and its best BIC minus the
    free family's best BIC (same data and seed; negative: the interventional family decides)."""
    free = {r["seed"]: min(v for v in r["curve"] if v is not None) for r in bic}
    alone, margin = [], []
    for r in sorted(sbic, key=lambda r: r["seed"]):
        curve = [
            (v, k) for k, v in enumerate(r.get("interventional_curve") or [], 1) if v is not None
        ]
        if not curve:
            alone.append(r["K_hat"]), margin.append(None)
            continue
        alone.append(min(curve)[1])
        margin.append(round(min(curve)[0] - free[r["seed"]], 1) if r["seed"] in free else None)
    return alone, margin


def _rate(records: list[dict]) -> float:
    return float(np.mean([r["K_hat"] == r["K"] for r in records])) if records else float("nan")


def summarize(records: list[dict]) -> dict:
    records = [r for r in records if not r.get("error")]

    def pick(**kw):
        return [r for r in records if all(r.get(k) == v for k, v in kw.items())]

    out: dict = {"protocol": [], "weak": [], "timing": {}, "overshoot": [], "other": []}
    cells = sorted({(r["p"], r["targets"], r["n"]) for r in pick(experiment="protocol")})
    for p, targets, n in cells:
        row = {"p": p, "targets": targets, "n": n}
        for m in PROTOCOL_METHODS:
            rs = pick(experiment="protocol", p=p, targets=targets, n=n, method=m)
            row["K"] = rs[0]["K"]
            row[f"{m}_rate"] = _rate(rs)
            row[f"{m}_k_hat"] = sorted(r["K_hat"] for r in rs)
            row[f"{m}_median_s"] = float(np.median([r["seconds"] for r in rs]))
        out["protocol"].append(row)
    for m in PROTOCOL_METHODS:
        out[f"protocol_{m}_rate"] = _rate(pick(experiment="protocol", method=m))
    weak_cells = sorted({(r["mean"], r["var"]) for r in pick(experiment="weak")})
    weak_all = {"sbic": [], "bic": [], "icl": []}
    for mean, var in weak_cells:
        row = {"mean": mean, "var": var}
        paper = {
            r["seed"]: r["K_hat"]
            for r in pick(experiment="weak", mean=mean, var=var, method="drop_ratio")
        }
        for m in ("sbic", "bic", "icl", "drop_ratio"):
            rs = pick(experiment="weak", mean=mean, var=var, method=m)
            row["K"] = rs[0]["K"]
            row["n"] = rs[0]["n"]
            row[f"{m}_rate"] = _rate(rs)
            row[f"{m}_k_hat"] = [r["K_hat"] for r in sorted(rs, key=lambda r: r["seed"])]
            row[f"{m}_median_s"] = float(np.median([r["seconds"] for r in rs]))
            if m != "drop_ratio":
                where = [r for r in rs if paper.get(r["seed"]) == 1]
                row[f"{m}_rate_where_paper_1"] = _rate(where)
                row["n_paper_1"] = len(where)
                weak_all[m] += where
        row["sbic_alone_k_hat"], row["sbic_margin"] = _interventional(
            pick(experiment="weak", mean=mean, var=var, method="sbic"),
            pick(experiment="weak", mean=mean, var=var, method="bic"),
        )
        truth = {r["seed"]: r["truth_bic"] for r in pick(experiment="limit", mean=mean, var=var)}
        if truth:
            limited = []
            for r in pick(experiment="weak", mean=mean, var=var, method="bic"):
                smaller = [v for k, v in enumerate(r["curve"], 1) if k < r["K"] and v is not None]
                if r["seed"] in truth and smaller and min(smaller) < truth[r["seed"]]:
                    limited.append(r["seed"])
            row["bic_limit_seeds"] = sorted(limited)
            # the penalty per extra component the data can pay for: the truth-started K-fit's
            # log-likelihood gain over the best fit with k < K components, per component, in
            # units of log N (BIC charges p + p(p+1)/2 + 1 parameters per component)
            budget = {}
            for r in pick(experiment="weak", mean=mean, var=var, method="bic"):
                p_ = r["p"]
                per_component = p_ + p_ * (p_ + 1) // 2 + 1
                gains = [
                    (v - truth[r["seed"]]) / ((r["K"] - k) * np.log(r["n"])) + per_component
                    for k, v in enumerate(r["curve"], 1)
                    if k < r["K"] and v is not None
                ]
                if r["seed"] in truth and gains:
                    budget[r["seed"]] = float(min(gains))
            row["budget"] = [budget[k] for k in sorted(budget)]
            row["bic_per_component"] = per_component
        out["weak"].append(row)
    for m in ("sbic", "bic", "icl"):
        out[f"weak_{m}_rate_where_paper_1"] = _rate(weak_all[m])
    pairs = sorted(pick(experiment="timing"), key=lambda r: r["seed"])
    if pairs:
        ratios = [r["reference_seconds"] / r["seconds"] for r in pairs]
        out["timing"] = {
            "p": pairs[0]["p"], "n": pairs[0]["n"], "seeds": [r["seed"] for r in pairs],
            "reference_median_s": float(np.median([r["reference_seconds"] for r in pairs])),
            "ours_median_s": float(np.median([r["seconds"] for r in pairs])),
            "reference_median_wall_s": float(np.median([r["reference_wall_seconds"] for r in pairs])),
            "ours_median_wall_s": float(np.median([r["wall_seconds"] for r in pairs])),
            "median_ratio": float(np.median(ratios)),
            "min_ratio": float(np.min(ratios)),
            "reference_rate": float(np.mean([r["reference_K_hat"] == r["K"] for r in pairs])),
            "ours_rate": _rate(pairs),
            "criterion": pairs[0].get("criterion", "bic"),
        }  # fmt: skip
    for p in sorted({r["p"] for r in pick(experiment="overshoot")}):
        row = {"p": p}
        for m in ("sbic", "bic"):
            rs = pick(experiment="overshoot", p=p, method=m)
            if rs:
                row.update(n=rs[0]["n"], K=rs[0]["K"], max_components=rs[0]["max_components"])
                row[f"{m}_rate"] = _rate(rs)
                row[f"{m}_k_hat"] = sorted(r["K_hat"] for r in rs)
        out["overshoot"].append(row)
    other = sorted(
        {(r["experiment"], r["p"], r["targets"], r["kind"], r["n"])
         for r in records if r["experiment"] in ("null", "misspecified")}
    )  # fmt: skip
    for experiment, p, targets, kind, n in other:
        row = {"experiment": experiment, "p": p, "targets": targets, "kind": kind, "n": n}
        for m in ("sbic", "bic"):
            rs = pick(experiment=experiment, p=p, targets=targets, kind=kind, n=n, method=m)
            row["K"] = rs[0]["K"]
            row[f"{m}_rate"] = _rate(rs)
            row[f"{m}_k_hat"] = [r["K_hat"] for r in sorted(rs, key=lambda r: r["seed"])]
            row[f"{m}_median_s"] = float(np.median([r["seconds"] for r in rs]))
        row["sbic_alone_k_hat"], row["sbic_margin"] = _interventional(
            pick(experiment=experiment, p=p, targets=targets, kind=kind, n=n, method="sbic"),
            pick(experiment=experiment, p=p, targets=targets, kind=kind, n=n, method="bic"),
        )
        out["other"].append(row)
    return out


def render(saved: dict[str, Any]) -> str:
    """The Markdown of a saved run (``mixture_selection.json``)."""
    summary, header, cfg = saved["summary"], saved["header"], saved["config"]
    names = {"sbic": "sBIC", "bic": "BIC", "icl": "ICL", "drop_ratio": "paper-rule"}
    rate = {m: (f"{names[m]} K̂ = K", f"{m}_rate", ".2f") for m in ("sbic", "bic", "icl")}
    cpu = {m: (f"{names[m]} median CPU s", f"{m}_median_s", ".2f") for m in names if m != "icl"}
    n_col, k_col = ("N", lambda r: C.pow2(r["n"])), ("K", "K")
    lines = [
        "# Choosing the number of mixture components",
        "",
        C.header_markdown(header),
        f"{cfg['jobs']} worker processes, total wall time {cfg['wall_s']:.0f} s.",
        "",
        "Data: `causalmix.simulate` (density 0.8, weights ±U[0.5, 1], N(0, 1) noise, equal "
        "component sizes); K̂ = K is the fraction of seeds whose chosen number of components equals "
        "the true one. sBIC (the BIC of the interventional mixture, "
        "`causalmix.mixture._structured`, searched by `causalmix.mixture._sbic`) is the default criterion of `select_n_components`; "
        "BIC is the free-covariance mixture's.",
        "",
        "## 1. Paper protocol (do-interventions to 1.0)",
        "",
        C.table(summary["protocol"], [
            ("p", "p"), ("targets", "targets"), n_col, k_col, *rate.values(),
            ("sBIC K̂ values", "sbic_k_hat"), cpu["sbic"], cpu["bic"],
        ]),
        "",
        f"Overall K̂ = K: sBIC {summary['protocol_sbic_rate']:.3f}, BIC "
        f"{summary['protocol_bic_rate']:.3f}, ICL {summary['protocol_icl_rate']:.3f}.",
        "",
        '## 2. Weak hard interventions (p = 6, targets "half")',
        "",
        C.table(summary["weak"], [
            ("mean", "mean", "g"), ("var", "var", "g"), n_col, k_col,
            ("paper rule K̂ (per seed)", "drop_ratio_k_hat"), ("sBIC K̂ (per seed)", "sbic_k_hat"),
            ("BIC K̂ (per seed)", "bic_k_hat"), ("ICL K̂ (per seed)", "icl_k_hat"),
            ("sBIC K̂ = K where paper K̂ = 1", "{sbic_rate_where_paper_1:.2f} (of {n_paper_1})"),
            ("BIC same", "bic_rate_where_paper_1", ".2f"),
            ("ICL same", "icl_rate_where_paper_1", ".2f"), cpu["sbic"], cpu["bic"], cpu["drop_ratio"],
        ]),
    ]  # fmt: skip
    lines += _weak_notes(summary["weak"])
    lines += [
        "",
        f"Pooled over both settings, where the paper's rule answers K̂ = 1: sBIC K̂ = K in "
        f"{summary['weak_sbic_rate_where_paper_1']:.2f}, BIC in "
        f"{summary['weak_bic_rate_where_paper_1']:.2f}, ICL in "
        f"{summary['weak_icl_rate_where_paper_1']:.2f} of the runs. (The information limit above "
        "is the free-covariance BIC's; the interventional mixture charges p + 4 = 10 parameters "
        "per extra component and its constrained (K-1)-fits cannot absorb a missing intervention "
        "by distorting free covariances.)",
        "",
    ]
    t = summary.get("timing")
    if t:
        rows = [
            {"what": "reference: sklearn GaussianMixture k = 1..p+1 (tol 1e-3, 1 k-means init) + "
             "drop ratio", "cpu": t["reference_median_s"], "wall": t["reference_median_wall_s"],
             "rate": t["reference_rate"]},
            {"what": f"`select_n_components` (default settings, criterion {t['criterion']}: "
             "selection + final fit)", "cpu": t["ours_median_s"], "wall": t["ours_median_wall_s"],
             "rate": t["ours_rate"]},
        ]  # fmt: skip
        lines += [
            f'## 3. Time: selection + final fit vs the reference sweep (p = {t["p"]}, "all", '
            f"N = {C.pow2(t['n'])})",
            "",
            C.table(rows, [("", "what"), ("median CPU s", "cpu", ".2f"),
                           ("median wall s", "wall", ".2f"), ("K̂ = K", "rate", ".2f")]),
            "",
            f"Both run back to back in the same worker on the same data sets (seeds {t['seeds']}); "
            f"CPU time of one single-threaded process, because the machine was shared. Speed-up "
            f"(reference / ours): median {t['median_ratio']:.1f}x, smallest {t['min_ratio']:.1f}x. "
            "This compares the *algorithms* (a sweep of k-means-started fits against the "
            "selection); the EM kernel alone is compared in `em_kernel.md`.",
            "",
        ]  # fmt: skip
    if summary["overshoot"]:
        lines += [
            '## 4. Over-estimation check ("all", N = 2^14, cap above K)',
            "",
            C.table(summary["overshoot"], [
                ("p", "p"), k_col, ("max_components", "max_components"), rate["sbic"],
                ("sBIC K̂ values", "sbic_k_hat"), rate["bic"], ("BIC K̂ values", "bic_k_hat"),
            ]),
            "",
        ]  # fmt: skip
    if summary.get("other"):
        lines += [
            "## 5. One Gaussian, and interventions outside the interventional model",
            "",
            "null: the observational law alone (K = 1). misspecified: do-interventions on two "
            'nodes at once ("pairs", p // 2 of them) and soft interventions (incoming weights '
            "x 0.5, noise mean 1) on half the nodes; the interventional mixture assumes one hard "
            "target per component, so these measure what its misspecification costs (sBIC then "
            "has to fall back on the free family).",
            "",
            C.table(summary["other"], [
                ("experiment", "experiment"), ("p", "p"), ("targets", "targets"), ("kind", "kind"),
                n_col, k_col, rate["sbic"], ("sBIC K̂ (per seed)", "sbic_k_hat"), rate["bic"],
                ("BIC K̂ (per seed)", "bic_k_hat"),
                ("interventional family alone K̂", "sbic_alone_k_hat"),
                ("its best BIC - free best BIC", "sbic_margin"), cpu["sbic"], cpu["bic"],
            ]),
            "",
        ]  # fmt: skip
    lines += [
        "## Why sBIC is the default",
        "",
        "- ICL adds the entropy of the responsibilities to BIC, i.e. it penalises overlapping "
        "components; weak interventions overlap by nature, so ICL merges them (section 2).",
        "- The drop-ratio rule compares log-likelihood gains with |l_k|, which is large when the "
        "components overlap; it answers K̂ = 1 on weak interventions (section 2).",
        "- The free-covariance BIC is scale free and consistent, but charges p + p(p+1)/2 + 1 "
        "parameters per component; on weak interventions (mean 1 / variance 1) most seeds are "
        "beyond its information limit (section 2).",
        "- sBIC is one BIC over two model families: the free-covariance mixtures and the "
        "interventional mixtures (components share one SEM up to a single-node intervention, "
        "p + 4 parameters per extra component), the latter fitted from BIC's choice upwards. "
        "Where the paper's rule answers 1 it finds K in "
        f"{summary['weak_sbic_rate_where_paper_1']:.2f} of the weak runs (BIC "
        f"{summary['weak_bic_rate_where_paper_1']:.2f}); on the paper protocol "
        f"{summary['protocol_sbic_rate']:.3f} (BIC {summary['protocol_bic_rate']:.3f}). It costs "
        'CPU where BIC\'s choice is below the cap (sections 1-2); at the cap ("all" with the '
        "default K_max = p + 1, section 3) nothing can be added and it costs nothing. On "
        "interventions outside the interventional model (section 5) the free family's BIC wins "
        "and BIC's answer stands; the one-Gaussian null is kept.",
        "",
        C.errors_note(saved["records"]),
    ]
    return "\n".join(lines)


def _weak_notes(weak: list[dict[str, Any]]) -> list[str]:
    """Per weak setting: the interventional margin and BIC's information limit."""
    lines = []
    for r in weak:
        if r.get("sbic_margin"):
            lines.append(
                f"\nmean {r['mean']:g} / var {r['var']:g}: best interventional BIC minus best free "
                f"BIC per seed: {r['sbic_margin']} (negative: the interventional family decides)."
            )
    for r in weak:
        if "bic_limit_seeds" not in r:
            continue
        limited = r["bic_limit_seeds"]
        head = f"\nmean {r['mean']:g} / var {r['var']:g}: "
        if not limited:
            lines.append(head + "no seed is at BIC's information limit (see below).")
            continue
        if r.get("budget"):
            lines.append(
                head + "the truth-started K-fit's log-likelihood gain over the best fit with "
                "fewer components pays for "
                + ", ".join(f"{b:.1f}" for b in sorted(r["budget"]))
                + f" parameters per extra component (units of log N, sorted over seeds); BIC "
                f"charges {r['bic_per_component']}."
            )
        free = [k for s_, k in enumerate(r["bic_k_hat"]) if s_ not in limited]
        lines.append(
            head + f"in seeds {limited} the K-component maximum-likelihood fit started from the "
            "TRUE parameters has a worse BIC than the best fitted model with fewer components, so "
            "no BIC-based search can return K there (the data do not carry the evidence at this "
            f"N); on the other {len(free)} seeds BIC finds K in "
            f"{sum(k == r['K'] for k in free)}."
        )
    return lines


def main(argv=None) -> int:
    ap = C.common_args(__doc__.splitlines()[0])
    args = C.parse(ap, argv)
    tasks = build_tasks(args.quick)
    if args.seeds:
        tasks = [t for t in tasks if t.seed < args.seeds]
    print(f"{NAME}: {len(tasks)} runs ({'quick' if args.quick else 'full'}), jobs={args.jobs}")
    start = time.perf_counter()
    records = C.run_tasks(tasks, jobs=args.jobs, use_cache=not args.fresh, runner=run_task)
    cfg = {"grid": "quick" if args.quick else "reduced" if args.seeds else "full",
           "jobs": args.jobs, "wall_s": time.perf_counter() - start}  # fmt: skip
    header = C.run_header()
    paths = C.write_outputs(NAME, header, cfg, records, summarize(records), render, csv=False)
    C.finish(paths, header)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
