"""Shared machinery of the benchmark scripts (not part of the library).

- :class:`Cell` describes one simulated data-generating setting; :func:`simulate` draws it for a
  seed (the SEM depends on the seed and the graph parameters only, so the curves over N and over
  intervention strengths are paired);
- :func:`fit_method` fits one configuration of :class:`causalmix.MixtureUTIGSP` (or the oracle:
  UT-IGSP on the true labelled components) and times it;
- :func:`score` is the ONE evaluation function used for every method, including the reference
  pipeline; it calls :mod:`causalmix.metrics` (docs/spec.md §6 conventions, see ``CONVENTIONS``);
- :func:`run_tasks` runs (cell, method, seed) tasks, optionally in 2 processes, with a resumable
  cache in ``benchmarks/.cache/`` (git-ignored) keyed by task and library fingerprint;
- writers for JSON / CSV / Markdown, the machine / date / commit header, the one table renderer
  (:class:`Col` + :func:`table`), and plot helpers (matplotlib, Agg backend);
- where a run writes: :func:`parse` sends ``--quick`` runs to ``benchmarks/.cache/quick/``
  (git-ignored) and full runs to ``docs/benchmarks/`` (committed); every part's Markdown is
  rendered from its saved JSON by the part's ``render(saved)``, so ``make_report.py`` can rewrite
  every page without running anything.

Every worker limits BLAS / OpenMP to one thread and lowers its priority (``nice``), so timings
are single-core and the benchmarks share the machine politely.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import json
import math
import os
import platform
import re
import shlex
import subprocess
import sys
import time
import traceback
import warnings
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402  (after the thread limits above)

REPO = Path(__file__).resolve().parents[1]
DOCS_DIR = REPO / "docs" / "benchmarks"  # committed results of full runs
CACHE_DIR = REPO / "benchmarks" / ".cache"  # git-ignored: per-task cache, quick results
QUICK_DIR = CACHE_DIR / "quick"
OUT_DIR = DOCS_DIR  # where this process writes: set by parse() / use_output()
HARNESS_VERSION = "1"  # bump to invalidate every cached result of the harness itself

CONVENTIONS = """\
- **DAG SHD**: additions + deletions + reversals between the learned DAG and the true DAG, a
  reversal counting 1 (`causalmix.metrics.shd`).
- **I-CPDAG SHD**: one point per node pair whose state (none, `i→j`, `j→i`, `i–j`) differs between
  the I-essential graph of the learned DAG with the *inferred* targets and that of the true DAG
  with the *true* targets (`causalmix.metrics.icpdag_shd`).
- **Component matching**: Hungarian assignment on `‖μ−μ'‖₁ + ‖Σ−Σ'‖₁` against the true
  (population) parameters; **parameter error** is the summed matched distance; **weight error** is
  `Σ|π̂−π|` against the TRUE weights (unmatched components count their full weight).
- **Target Jaccard** per true component with its matched estimate (observational target set ∅,
  both empty → 1, unmatched → 0); "all" averages over all true components, "int." over the
  interventional ones. The paper's Jaccard scores the observational component 0 (ceiling
  (K−1)/K); where we plot against it we convert ours to that convention ("JS, paper conv.").
- **K̂ = K**: fraction of runs whose number of components equals the truth. **obs. ok**: fraction
  whose component chosen as observational is the one matched to the true observational component.
- **Time**: wall-clock seconds of `fit` (one process, one BLAS thread); data simulation and
  scoring are not timed.
- Spread: "med [q25, q75]" = median and inter-quartile range over seeds."""


# --------------------------------------------------------------------------------------------
# cells and simulation
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    """One simulated setting (the paper's Figure 1 protocol by default)."""

    p: int
    targets: str = "all"  # "all" | "half"
    n: int = 2**12
    density: float = 0.8
    kind: str = "do"  # do | hard | soft | shift
    mean: float = 1.0
    var: float | None = None
    weights: str = "equal"  # see WEIGHT_SCHEMES
    permute: bool = False  # the paper's DAGs are upper triangular

    def key(self) -> str:
        parts = [
            f"p{self.p}",
            self.targets,
            f"n{self.n}",
            f"d{self.density:g}",
            self.kind,
            f"m{self.mean:g}",
            f"v{'none' if self.var is None else f'{self.var:g}'}",
            f"w-{self.weights}",
            f"perm{int(self.permute)}",
        ]
        return "_".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _weights(scheme: str, k: int) -> np.ndarray | None:
    """Mixing weights of a named scheme; component 0 is observational."""
    if scheme == "equal":
        return None
    if scheme == "obs-heavy":  # half of the rows are observational
        w = np.full(k, 0.5 / (k - 1))
        w[0] = 0.5
    elif scheme == "geometric":  # w_c ∝ 0.6^c
        w = 0.6 ** np.arange(k)
    elif scheme == "one-rare":  # the last interventional component has 2 % of the rows
        w = np.full(k, 0.98 / (k - 1))
        w[-1] = 0.02
    else:
        raise ValueError(f"unknown weight scheme {scheme!r}")
    return w / w.sum()


WEIGHT_SCHEMES = ("equal", "obs-heavy", "geometric", "one-rare")


def simulate(cell: Cell, seed: int):
    """Draw the mixture of ``cell`` for ``seed`` (a :class:`causalmix.simulate.MixtureSample`).

    The SEM depends on (seed, p, density, permute) only; the "half" target choice on those and the
    seed; the rows also on N and the intervention. So cells that differ only in N or in the
    intervention share the graph and weights.
    """
    from causalmix.simulate import paper_interventions, random_sem, sample_mixture

    graph_key = zlib.crc32(f"p{cell.p}-d{cell.density:g}-perm{int(cell.permute)}".encode())
    sem = random_sem(
        cell.p,
        density=cell.density,
        permute=cell.permute,
        random_state=np.random.default_rng([seed, graph_key, 0]),
    )
    ivs = paper_interventions(
        sem,
        targets=cell.targets,
        kind=cell.kind,
        mean=cell.mean,
        var=cell.var,
        random_state=np.random.default_rng([seed, graph_key, 1]),
    )
    weights = _weights(cell.weights, len(ivs) + 1)
    rows_key = zlib.crc32(cell.key().encode())
    return sample_mixture(
        sem, ivs, cell.n, weights=weights, random_state=np.random.default_rng([seed, rows_key, 2])
    )


# --------------------------------------------------------------------------------------------
# truth and the one scoring function
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Truth:
    """What a result is scored against."""

    dag: np.ndarray
    targets: list[frozenset[int]]
    observational: int | None
    means: np.ndarray
    covariances: np.ndarray
    weights: np.ndarray
    labels: np.ndarray | None = None

    @classmethod
    def from_sample(cls, sample) -> Truth:
        return cls(
            np.asarray(sample.dag),
            list(sample.targets),
            sample.observational,
            np.asarray(sample.means),
            np.asarray(sample.covariances),
            np.asarray(sample.weights),
            np.asarray(sample.labels),
        )

    @classmethod
    def from_labelled(
        cls,
        X: np.ndarray,
        labels: np.ndarray,
        dag: np.ndarray,
        targets: Sequence[frozenset[int]],
        observational: int = 0,
    ) -> Truth:
        """Truth from labelled real data: empirical moments per component (Sachs)."""
        X = np.asarray(X, dtype=float)
        ks = range(len(targets))
        means = np.stack([X[labels == k].mean(axis=0) for k in ks])
        covs = np.stack([np.cov(X[labels == k], rowvar=False) for k in ks])
        weights = np.array([(labels == k).mean() for k in ks])
        return cls(
            np.asarray(dag),
            [frozenset(t) for t in targets],
            observational,
            means,
            covs,
            weights,
            np.asarray(labels),
        )


def score(
    *,
    adjacency: np.ndarray,
    targets: Sequence[Iterable[int]],
    observational: int | None,
    means: np.ndarray,
    covariances: np.ndarray,
    weights: np.ndarray,
    truth: Truth,
    labels: np.ndarray | None = None,
) -> dict[str, Any]:
    """Every §6 metric of one result; ``targets`` has one node set per ESTIMATED component.

    The estimated I-CPDAG is built from ``adjacency`` and the inferred targets of the
    non-observational components; the true one from the true DAG and targets.
    """
    from causalmix import metrics
    from causalmix.graphs import dag_to_icpdag

    adjacency = (np.asarray(adjacency) != 0).astype(np.int8)
    est_targets = [frozenset(int(v) for v in t) for t in targets]
    K, K_true = len(est_targets), len(truth.targets)
    est_icpdag = dag_to_icpdag(
        adjacency, [t for k, t in enumerate(est_targets) if k != observational]
    )
    true_icpdag = dag_to_icpdag(
        truth.dag, [t for k, t in enumerate(truth.targets) if k != truth.observational]
    )
    matching = metrics.match_components(means, covariances, truth.means, truth.covariances)
    jac = metrics.target_jaccard(
        est_targets, truth.targets, matching, observational=truth.observational
    )
    interventional = [k for k in range(K_true) if k != truth.observational]
    obs_ok = None
    if truth.observational is not None and observational is not None:
        obs_ok = bool(int(matching.true_to_est[truth.observational]) == int(observational))
    out = {
        "K": K_true,
        "K_hat": K,
        "k_correct": K == K_true,
        "shd": metrics.shd(adjacency, truth.dag),
        "icpdag_shd": metrics.icpdag_shd(est_icpdag, true_icpdag),
        "n_edges": int(adjacency.sum()),
        "n_edges_true": int((truth.dag != 0).sum()),
        "jaccard_all": jac.mean_all,
        "jaccard_int": jac.mean_interventional,
        # the paper's convention: the observational component always scores 0
        "jaccard_paper": float(jac.per_component[interventional].sum() / K_true),
        "param_err": matching.total_distance,
        "weight_err": metrics.weight_error(weights, truth.weights, matching),
        "obs_correct": obs_ok,
        "n_targets": int(sum(len(t) for t in est_targets)),
    }
    if labels is not None and truth.labels is not None:
        out["ari"] = metrics.adjusted_rand_index(labels, truth.labels)
    return out


# --------------------------------------------------------------------------------------------
# methods
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Method:
    """A named estimator configuration: ``base`` in {"default", "paper", "oracle"} + overrides."""

    name: str
    base: str = "default"
    params: Mapping[str, Any] = field(default_factory=dict)

    def key(self) -> str:
        return self.name + "-" + json.dumps(dict(self.params), sort_keys=True)


DEFAULT = Method("default", "default")
PAPER = Method("paper", "paper")
ORACLE = Method("oracle", "oracle")


def make_estimator(method: Method, seed: int):
    from causalmix.estimator import MixtureUTIGSP

    params = dict(method.params)
    if method.base == "paper":
        return MixtureUTIGSP.paper_mode(random_state=seed, **params)
    if method.base == "default":
        return MixtureUTIGSP(random_state=seed, **params)
    raise ValueError(f"no estimator for method base {method.base!r}")


def score_estimator(est: Any, truth: Truth) -> dict[str, Any]:
    """:func:`score` of a fitted ``MixtureUTIGSP``."""
    return score(
        adjacency=est.adjacency_,
        targets=est.targets_,
        observational=est.observational_component_,
        means=est.means_,
        covariances=est.covariances_,
        weights=est.weights_,
        truth=truth,
        labels=np.asarray(est.labels_),
    )


def fit_method(method: Method, X: Any, truth: Truth, seed: int) -> dict[str, Any]:
    """Fit ``method`` on ``X`` (timed) and score it against ``truth``."""
    if method.base == "oracle":
        return _fit_oracle(method, np.asarray(X, dtype=float), truth, seed)
    from causalmix import CausalmixWarning

    est = make_estimator(method, seed)
    w0, c0 = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CausalmixWarning)  # recorded as rec["flags"]
        est.fit(X)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    rec = score_estimator(est, truth)
    rec.update(fit_s=wall, cpu_s=cpu, obs_margin=getattr(est, "observational_margin_", None))
    rec["flags"] = [c.name for c in getattr(est, "diagnostics_", ()) if c.flagged]
    return rec


def _fit_oracle(method: Method, X: np.ndarray, truth: Truth, seed: int) -> dict[str, Any]:
    """UT-IGSP on the TRUE labelled components with the true observational base (a baseline)."""
    from causalmix.discovery import ut_igsp

    if truth.labels is None:
        raise ValueError("the oracle needs the true labels")
    K = len(truth.targets)
    blocks = [X[truth.labels == k] for k in range(K)]
    w0, c0 = time.perf_counter(), time.process_time()
    res = ut_igsp(blocks, base=truth.observational or 0, random_state=seed, **dict(method.params))
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    means = np.stack([b.mean(axis=0) for b in blocks])
    covs = np.stack([np.cov(b, rowvar=False) for b in blocks])
    weights = np.array([b.shape[0] for b in blocks], dtype=float) / X.shape[0]
    rec = score(
        adjacency=res.adjacency,
        targets=res.targets,
        observational=truth.observational,
        means=means,
        covariances=covs,
        weights=weights,
        truth=truth,
        labels=truth.labels,
    )
    rec.update(fit_s=wall, cpu_s=cpu, obs_margin=None)
    return rec


# --------------------------------------------------------------------------------------------
# tasks, cache and workers
# --------------------------------------------------------------------------------------------
def library_fingerprint() -> str:
    """Hash of the library source: cached results are reused only for identical code."""
    h = hashlib.sha256(HARNESS_VERSION.encode())
    for path in sorted((REPO / "src" / "causalmix").rglob("*.py")):
        h.update(path.relative_to(REPO).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


@dataclass(frozen=True)
class Task:
    part: str  # the script ("figure1", ...): cache namespace
    cell: Cell
    method: Method
    seed: int

    def cache_path(self, fingerprint: str) -> Path:
        return cache_path(
            self.part, f"{self.cell.key()}|{self.method.key()}|{self.seed}|{fingerprint}"
        )

    def label(self) -> str:
        return f"{self.cell.key()} {self.method.name} seed={self.seed}"


def cache_path(part: str, ident: str) -> Path:
    """The cache file of one task of ``part``: ``ident`` names the task and the library code."""
    return CACHE_DIR / part / (hashlib.sha256(ident.encode()).hexdigest()[:20] + ".json")


def cached_record(
    path: Path, use_cache: bool, rec: dict[str, Any], compute: Callable[[], Mapping[str, Any]]
) -> dict[str, Any]:
    """The record cached at ``path``, or ``rec`` updated with ``compute()`` and cached.

    A failure is a result too: its error and traceback are recorded (and reported), not raised.
    """
    if use_cache and path.is_file():
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError:
            pass
    try:
        rec.update(compute())
        rec["error"] = None
    except Exception as exc:  # a failed fit is a result too (reported, not fatal)
        rec["error"] = f"{type(exc).__name__}: {exc}"
        rec["traceback"] = traceback.format_exc(limit=6)
    write_json(path, rec)
    return rec


def worker_init() -> None:
    """Lower the priority and pin BLAS / OpenMP to one thread (called once per process)."""
    try:
        current = os.nice(0)
        if current < 10:
            os.nice(10 - current)
    except OSError:
        pass
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


def run_task(
    task: Task,
    fingerprint: str,
    use_cache: bool = True,
    *,
    simulate_fn: Callable[..., Any] | None = None,
    fit_fn: Callable[..., dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Simulate, fit, score one task; read / write the cache.

    ``simulate_fn(cell, seed)`` and ``fit_fn(method, X, truth, seed)`` default to this module's
    :func:`simulate` and :func:`fit_method`; a part with its own protocol passes its own.
    """
    simulate_fn = simulate if simulate_fn is None else simulate_fn
    fit_fn = fit_method if fit_fn is None else fit_fn
    rec: dict[str, Any] = {
        "part": task.part,
        **task.cell.as_dict(),
        "method": task.method.name,
        "seed": task.seed,
        "fingerprint": fingerprint,
    }

    def compute() -> dict[str, Any]:
        sample = simulate_fn(task.cell, task.seed)
        return fit_fn(task.method, sample.X, Truth.from_sample(sample), task.seed)

    return cached_record(task.cache_path(fingerprint), use_cache, rec, compute)


def run_tasks(
    tasks: Sequence[Task],
    jobs: int = 1,
    use_cache: bool = True,
    runner: Callable[..., dict[str, Any]] = run_task,
) -> list[dict[str, Any]]:
    """Run ``tasks`` (cached ones are read back), in ``jobs`` processes; returns the records."""
    mark_start()
    fingerprint = library_fingerprint()
    total = len(tasks)
    records: list[dict[str, Any] | None] = [None] * total
    started = time.perf_counter()
    done = 0

    def report(i: int, rec: dict[str, Any]) -> None:
        nonlocal done
        done += 1
        records[i] = rec
        if rec.get("error"):
            status = "ERROR " + rec["error"]
        elif "status" in rec:
            status = rec["status"]
        else:
            secs = rec.get("fit_s", rec.get("seconds")) or 0.0
            shd = f"shd={rec['shd']} " if "shd" in rec else ""
            k_hat, k = rec.get("K_hat", rec.get("K_ref")), rec.get("K", rec.get("K_true"))
            status = f"{shd}K̂={k_hat}/{k} {secs:.2f}s"

        if done % max(1, total // 50) == 0 or done == total or rec.get("error"):
            el = time.perf_counter() - started
            print(f"  [{done}/{total} {el:6.0f}s] {tasks[i].label()}: {status}", flush=True)

    if jobs <= 1:
        worker_init()
        for i, t in enumerate(tasks):
            report(i, runner(t, fingerprint, use_cache))
    else:
        with ProcessPoolExecutor(max_workers=min(jobs, 2), initializer=worker_init) as pool:
            futs = {pool.submit(runner, t, fingerprint, use_cache): i for i, t in enumerate(tasks)}
            for fut in as_completed(futs):
                report(futs[fut], fut.result())
    return [r for r in records if r is not None]


# --------------------------------------------------------------------------------------------
# summaries
# --------------------------------------------------------------------------------------------
METRICS = (
    "K_hat",
    "shd",
    "icpdag_shd",
    "jaccard_all",
    "jaccard_int",
    "jaccard_paper",
    "param_err",
    "weight_err",
    "ari",
    "fit_s",
    "n_edges",
    "n_targets",
)
FRACTIONS = ("k_correct", "obs_correct")


def _num(v: Any) -> float:
    if v is None:
        return math.nan
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def summarize(records: Sequence[Mapping[str, Any]], by: Sequence[str]) -> list[dict[str, Any]]:
    """Per group: runs, errors, and for each metric median / q25 / q75 / mean; fractions for bools."""
    groups: dict[tuple, list[Mapping[str, Any]]] = {}
    for r in records:
        groups.setdefault(tuple(r.get(k) for k in by), []).append(r)
    out = []
    for key, rs in groups.items():
        ok = [r for r in rs if not r.get("error")]
        row: dict[str, Any] = dict(zip(by, key, strict=True))
        row["runs"] = len(ok)
        row["errors"] = len(rs) - len(ok)
        for m in METRICS:
            v = np.array([_num(r.get(m)) for r in ok])
            v = v[np.isfinite(v)]
            if v.size:
                q25, med, q75 = np.percentile(v, [25, 50, 75])
                row.update(
                    {f"{m}_med": med, f"{m}_q25": q25, f"{m}_q75": q75, f"{m}_mean": v.mean()}
                )
            else:
                row.update(
                    {
                        f"{m}_med": math.nan,
                        f"{m}_q25": math.nan,
                        f"{m}_q75": math.nan,
                        f"{m}_mean": math.nan,
                    }
                )
        for m in FRACTIONS:
            v = [r.get(m) for r in ok if r.get(m) is not None]
            row[f"{m}_frac"] = float(np.mean(v)) if v else math.nan
        out.append(row)
    return out


def fmt(x: Any, digits: int = 2) -> str:
    """Compact number formatting for tables ('–' for missing)."""
    x = _num(x)
    if not math.isfinite(x):
        return "–"
    if abs(x) >= 1000:
        return f"{x:.0f}"
    if x == int(x) and abs(x) < 1000 and digits <= 2:
        return f"{int(x)}"
    return f"{x:.{digits}f}"


def fmt_spread(row: Mapping[str, Any], m: str, digits: int = 1) -> str:
    """'med [q25, q75]'."""
    return f"{fmt(row.get(m + '_med'), digits)} [{fmt(row.get(m + '_q25'), digits)}, {fmt(row.get(m + '_q75'), digits)}]"


def fmt_time(x: Any) -> str:
    x = _num(x)
    if not math.isfinite(x):
        return "–"
    return f"{x:.3f}" if x < 1 else f"{x:.2f}" if x < 100 else f"{x:.0f}"


def md_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The one Markdown table writer: a header row and one row per sequence of cells."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


@dataclass(frozen=True)
class Col:
    """One column of a :func:`table`: a header and how a row gives its cell.

    ``value`` is a key of the row; a ``str.format`` template over the row's fields if it contains
    "{" (``"{ci[0]:,} / {ci[1]:,}"``); or a function of the row. ``fmt`` is a format spec for a
    key's or a function's value (``".2f"``; None: ``str``). A missing field or None gives "–".
    """

    header: str
    value: str | Callable[[Mapping[str, Any]], Any]
    fmt: str | None = None

    def cell(self, row: Mapping[str, Any]) -> str:
        try:
            if callable(self.value):
                v = self.value(row)
            elif "{" in self.value:
                return self.value.format_map(row)
            else:
                v = row[self.value]
            if v is None:
                return "–"
            return str(v) if self.fmt is None else format(v, self.fmt)
        except (KeyError, IndexError, TypeError):  # a missing field, or None in a template
            return "–"


def table(rows: Iterable[Mapping[str, Any]], cols: Sequence[Col | tuple]) -> str:
    """A table spec applied to rows (mappings): the Markdown table.

    ``cols``: :class:`Col` or the tuple of its arguments, ``(header, value[, fmt])``.
    """
    cols = [c if isinstance(c, Col) else Col(*c) for c in cols]
    return md_table([c.header for c in cols], ([c.cell(r) for c in cols] for r in rows))


def pow2(n: int) -> str:
    e = math.log2(n)
    return f"2^{int(e)}" if e == int(e) else str(n)


# --------------------------------------------------------------------------------------------
# header: machine, date, commit, command
# --------------------------------------------------------------------------------------------
def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return math.nan


_START: dict[str, str] = {}


def mark_start() -> None:
    """Remember the date, commit and library fingerprint at the start of a run (once)."""
    if not _START:
        _START.update(
            date_utc=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            commit=_git("rev-parse", "HEAD"),
            library_fingerprint=library_fingerprint(),
        )


def run_header() -> dict[str, Any]:
    """Machine, date, commit and versions of one benchmark run (and its start, if marked)."""
    import scipy
    import sklearn

    import causalmix

    src_modified = bool(_git("status", "--porcelain", "--", "src"))
    lib = Path(causalmix.__file__).resolve()
    if not lib.is_relative_to(REPO / "src"):
        print(f"WARNING: causalmix imported from {lib}, not from {REPO / 'src'}", file=sys.stderr)
        src_modified = True  # the commit does not describe the code that ran
    return {
        "date_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": _git("rev-parse", "HEAD"),
        "commit_date": _git("log", "-1", "--format=%cI"),
        "src_modified": src_modified,
        "library_fingerprint": library_fingerprint(),
        "library_path": str(lib.parent),
        "machine": {
            "cpu": _cpu_model(),
            "logical_cpus": os.cpu_count(),
            "memory_gb": round(_mem_gb(), 1),
            "os": platform.platform(),
            "python": platform.python_version(),
            "blas_threads": 1,
        },
        "versions": {
            "causalmix": causalmix.__version__,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__,
        },
        "command": reproduce_command(),
        "start": dict(_START),
        "load_avg": os.getloadavg(),  # (1, 5, 15 min) when the results were written
    }


def reproduce_command() -> str:
    script = Path(sys.argv[0]).resolve()
    try:
        script_s = script.relative_to(REPO).as_posix()
    except ValueError:
        script_s = str(script)
    return "nice .venv/bin/python " + " ".join([script_s, *map(shlex.quote, sys.argv[1:])])


def header_markdown(header: Mapping[str, Any]) -> str:
    """One italic line: date, commit, machine, versions and the command of a run.

    Tolerates the shorter headers of runs written before the harness recorded everything (the
    fields they lack are left out).
    """
    m = header.get("machine") or {}
    commit = f"`{(header.get('commit') or '?')[:10]}`"
    if header.get("src_modified"):
        commit += " (src/ had uncommitted changes)"
    v = header.get("versions") or {}
    start = header.get("start") or {}
    if start and start["commit"] != header["commit"]:
        same = start["library_fingerprint"] == header["library_fingerprint"]
        commit += f" (started {start['date_utc']} at commit `{start['commit'][:10]}`" + (
            ", same library code)" if same else ", the library changed during the run)"
        )
    if header.get("note"):  # a remark on the run added by hand to its JSON
        commit += f" ({header['note']})"
    machine = [f"{m['logical_cpus']} logical CPUs"] if m.get("logical_cpus") else []
    machine += [f"{m['memory_gb']} GB"] if m.get("memory_gb") else []
    machine.append("one BLAS thread per process")
    soft = [f"Python {m['python']}"] if m.get("python") else []
    soft += [f"{k} {v[k]}" for k in ("causalmix", "numpy", "scikit-learn") if v.get(k)]
    return (
        f"*Run {header['date_utc']} at commit {commit} on {m.get('cpu', 'unknown CPU')} "
        f"({', '.join(machine)}), {', '.join(soft)}. Reproduce: `{header['command']}`.*"
    )


# --------------------------------------------------------------------------------------------
# writers
# --------------------------------------------------------------------------------------------
def _json_default(o: Any) -> Any:
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.bool_):
        return bool(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, frozenset | set):
        return sorted(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def _clean(o: Any) -> Any:
    """NaN / inf -> None, recursively (strict JSON)."""
    if isinstance(o, float | np.floating):
        return float(o) if math.isfinite(o) else None
    if isinstance(o, Mapping):
        return {str(k): _clean(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [_clean(v) for v in o]
    return o


def write_json(path: Path, obj: Any) -> None:
    """Atomic JSON write."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(_clean(obj), indent=1, default=_json_default) + "\n")
    tmp.replace(path)


def write_csv(path: Path, records: Sequence[Mapping[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    keys: list[str] = []
    for r in records:
        keys += [k for k in r if k not in keys and k != "traceback"]
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=keys, extrasaction="ignore")
        w.writeheader()
        for r in records:
            w.writerow({k: _clean(r.get(k)) for k in keys})


def use_output(quick: bool) -> Path:
    """Send this process's results to ``QUICK_DIR`` (``quick``) or ``DOCS_DIR``; returns it.

    A ``--quick`` run never touches the committed results, so ``make bench`` leaves the work tree
    clean; a full run (re)writes ``docs/benchmarks/``.
    """
    global OUT_DIR
    OUT_DIR = QUICK_DIR if quick else DOCS_DIR
    return OUT_DIR


def parse(ap: Any, argv: Sequence[str] | None = None) -> Any:
    """``ap.parse_args(argv)``, then :func:`use_output` for its ``--quick`` flag."""
    args = ap.parse_args(argv)
    use_output(bool(getattr(args, "quick", False)))
    return args


def load(name: str, directory: Path | None = None) -> dict[str, Any] | None:
    """The saved ``<name>.json`` of a part (``OUT_DIR`` by default), or None if absent."""
    path = (OUT_DIR if directory is None else directory) / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def write_markdown(name: str, render: Callable[[dict[str, Any]], str]) -> Path:
    """``<name>.md`` rendered from the saved ``<name>.json`` (what make_report.py does too)."""
    saved = load(name)
    if saved is None:
        raise FileNotFoundError(f"no {name}.json in {OUT_DIR}")
    path = OUT_DIR / f"{name}.md"
    path.write_text(render(saved).rstrip() + "\n")
    return path


def write_outputs(
    name: str,
    header: Mapping[str, Any],
    config: Mapping[str, Any],
    records: Sequence[Mapping[str, Any]],
    summary: Any,
    render: Callable[[dict[str, Any]], str],
    extra: Mapping[str, Any] | None = None,
    csv: bool = True,
) -> list[Path]:
    """``<OUT_DIR>/<name>.json|_runs.csv|.md`` (the PNGs are written by the scripts).

    The Markdown is ``render(saved)`` of the JSON as read back, so the page can always be
    regenerated from the committed results alone. ``csv=False`` skips the CSV copy of the records
    (they are in the JSON too); the Sachs part uses it so that no tracked ``sachs*.csv`` can be
    mistaken for a committed copy of the data.
    """
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    paths = [OUT_DIR / f"{name}.json", OUT_DIR / f"{name}_runs.csv"]
    write_json(
        paths[0],
        {
            "name": name,
            "header": header,
            "config": config,
            "summary": summary,
            "records": records,
            **(extra or {}),
        },
    )
    if csv:
        write_csv(paths[1], records)
    else:
        paths.pop(1)
    paths.append(write_markdown(name, render))
    return paths


def finish(paths: Sequence[Path], header: Mapping[str, Any]) -> None:
    for p in paths:
        print("wrote", p.relative_to(REPO) if p.is_relative_to(REPO) else p)
    print("reproduce with:", header["command"])


def common_args(description: str):
    import argparse

    ap = argparse.ArgumentParser(description=description)
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true", help="small subset (minutes)")
    g.add_argument("--full", action="store_true", help="the full grid (hours; the default)")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes (at most 2), default 1")
    ap.add_argument("--seeds", type=int, default=None, help="override the number of seeds")
    ap.add_argument(
        "--log2n", default=None, help="override N: comma-separated powers of two, e.g. 12,14,16"
    )
    ap.add_argument("--p", default=None, help="override p: comma-separated, e.g. 6,8")
    ap.add_argument("--fresh", action="store_true", help="ignore the cache in benchmarks/.cache/")
    return ap


def grid_config(args: Any, quick: Mapping[str, Any], full: Mapping[str, Any]) -> dict[str, Any]:
    """The grid of a run: ``quick`` or ``full``, with the command line's overrides applied.

    ``cfg["grid"]`` is ``"quick"``, ``"full"`` or ``"reduced"`` (the full grid with fewer seeds,
    N or p), and names what the tables may claim.
    """
    cfg = dict(quick if args.quick else full)
    overridden = False
    if args.seeds:
        overridden |= args.seeds != cfg["seeds"]
        cfg["seeds"] = args.seeds
    for key in ("log2n", "p"):
        value = getattr(args, key, None)
        if value:
            try:
                values = tuple(int(v) for v in value.split(","))
            except ValueError:
                raise SystemExit(
                    f"--{key} must be comma-separated integers, got {value!r}"
                ) from None
            overridden |= values != tuple(cfg[key])
            cfg[key] = values
    cfg["grid"] = "quick" if args.quick else "reduced" if overridden else "full"
    cfg["full"] = cfg["grid"] == "full"
    return cfg


def grid_sentence(cfg: Mapping[str, Any]) -> str | None:
    """A warning line for tables of a grid smaller than the full one (None for the full grid)."""
    if cfg.get("grid", "full" if cfg.get("full") else "quick") == "full":
        return None
    what = "quick" if cfg.get("grid") == "quick" else "reduced"
    return (
        f"- This is a *{what}* grid ({cfg['seeds']} seeds; N = "
        + ", ".join(pow2(2**e) for e in cfg["log2n"])
        + "; p = "
        + ", ".join(str(p) for p in cfg["p"])
        + "): the full grid (`--full`) has more seeds and cells."
    )


def errors_note(records: Sequence[Mapping[str, Any]]) -> str:
    errs = [r for r in records if r.get("error")]
    if not errs:
        return ""
    kinds: dict[str, int] = {}
    for r in errs:
        msg = re.sub(r"\d+(\.\d+)?", "#", str(r["error"]))[:160]
        kinds[msg] = kinds.get(msg, 0) + 1
    lines = [f"\n**{len(errs)} of {len(records)} runs failed** (excluded from the statistics):"]
    lines += [f"- {n}× `{msg}`" for msg, n in sorted(kinds.items(), key=lambda kv: -kv[1])]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# plotting
# --------------------------------------------------------------------------------------------
def pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    return plt


STYLE = {
    "default": {"color": "tab:blue", "marker": "o", "label": "causalmix default"},
    "paper": {"color": "tab:orange", "marker": "s", "label": "causalmix paper mode"},
    "oracle": {"color": "tab:green", "marker": "^", "label": "oracle UT-IGSP (true labels)"},
    "reference": {"color": "black", "marker": "x", "label": "reference (published means)"},
    "reference-live": {"color": "tab:red", "marker": "D", "label": "reference pipeline (re-run)"},
}


def plot_band(
    ax,
    x: Sequence[float],
    rows: Sequence[Mapping[str, Any]],
    metric: str,
    style: str,
    *,
    center: str = "mean",
    label: str | None = None,
    band: bool = True,
) -> None:
    """Line of ``center`` (mean or med) with an inter-quartile band."""
    st = STYLE.get(style, {"color": None, "marker": "o", "label": style})
    y = [_num(r.get(f"{metric}_{center}")) for r in rows]
    ax.plot(x, y, marker=st["marker"], color=st["color"], label=label or st["label"], ms=4, lw=1.3)
    if band:
        lo = [_num(r.get(f"{metric}_q25")) for r in rows]
        hi = [_num(r.get(f"{metric}_q75")) for r in rows]
        ax.fill_between(x, lo, hi, color=st["color"], alpha=0.15, lw=0)


def set_log(ax, axis: str = "y") -> None:
    """Log scale on ``axis`` if some plotted point is finite with a positive coordinate there."""
    ok = False
    for ln in ax.get_lines():
        x = np.asarray(ln.get_xdata(), dtype=float)
        y = np.asarray(ln.get_ydata(), dtype=float)
        v = y if axis == "y" else x
        ok |= bool(np.any(np.isfinite(x) & np.isfinite(y) & (v > 0)))
    if ok:
        (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
