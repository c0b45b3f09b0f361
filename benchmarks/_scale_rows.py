"""Rows beyond memory for ``benchmarks/scale.py``: the data on disk, the fit's memory sampled.

The issue's "N = 2^22 at p = 50 in ≤ 4 GB": the mixture of ``scale.simulate`` is drawn block by
block (2^18 rows at a time, each block its own seed, every component's count exact per block)
into a ``.npy`` file, and ``MixtureUTIGSP`` fits the file mapped read-only
(``np.load(mmap_mode="r")``). The data never exist in the process as one anonymous array, so the
fit's own memory is what is measured: a thread samples ``/proc/self/status`` every 0.2 s during
the fit for the anonymous resident memory (``RssAnon``: everything the library allocates) and
the file-backed one (``RssFile``: the mapped pages of the data file the kernel keeps cached while
there is room, reclaimable, so not a requirement). The oracle is UT-IGSP on the per-component
statistics of the true labels, accumulated block by block (Chan's pairwise update, exact for a
do-intervened column whose mean dwarfs its spread).
"""

from __future__ import annotations

import resource
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

import _common as C

BLOCK = 2**18


class _Peak:
    """Sample the process's resident memory in a thread until stopped (GB, peaks)."""

    FIELDS = ("VmRSS", "RssAnon", "RssFile")

    def __init__(self, every: float = 0.2) -> None:
        self.every = every
        self.peak = dict.fromkeys(self.FIELDS, 0.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @classmethod
    def now(cls) -> dict[str, float]:
        out = {}
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in cls.FIELDS:
                out[key] = int(rest.split()[0]) / 2**20  # kB -> GB
        return out

    def _run(self) -> None:
        while not self._stop.is_set():
            for key, value in self.now().items():
                self.peak[key] = max(self.peak[key], value)
            self._stop.wait(self.every)

    def __enter__(self) -> _Peak:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        for key, value in self.now().items():
            self.peak[key] = max(self.peak[key], value)


def _merge(acc: dict, k: int, rows: np.ndarray) -> None:
    """Fold ``rows`` of component ``k`` into its running (n, mean, centred scatter)."""
    n_b = rows.shape[0]
    if n_b == 0:
        return
    m_b = rows.mean(axis=0)
    d = rows - m_b
    s_b = d.T @ d
    if k not in acc:
        acc[k] = [n_b, m_b, s_b]
        return
    n_a, m_a, s_a = acc[k]
    n = n_a + n_b
    delta = m_b - m_a
    acc[k] = [n, m_a + delta * (n_b / n), s_a + s_b + np.outer(delta, delta) * (n_a * n_b / n)]


def write_mixture(path: Path, p: int, log2n: int, seed: int):
    """Draw the mixture block by block into ``path``; return (truth, labelled statistics)."""
    from numpy.lib.format import open_memmap

    import scale
    from causalmix.simulate import sample_mixture
    from causalmix.stats.suffstats import SufficientStatistics

    sem, ivs = scale.model(p, seed)
    n = 2**log2n
    if n % BLOCK:
        raise ValueError(f"log2n must be >= {BLOCK.bit_length() - 1}, got {log2n}")
    out = open_memmap(path, mode="w+", dtype=np.float64, shape=(n, p))
    labels = np.empty(n, dtype=np.int16)
    acc: dict = {}
    first = None
    for b in range(n // BLOCK):
        rng = np.random.default_rng([seed, log2n, b])
        part = sample_mixture(sem, ivs, BLOCK, random_state=rng)
        if part.X.shape[0] != BLOCK:  # exact counts: BLOCK must be a multiple of K
            part = sample_mixture(sem, ivs, BLOCK, exact_counts=False, random_state=rng)
        out[b * BLOCK : (b + 1) * BLOCK] = part.X
        labels[b * BLOCK : (b + 1) * BLOCK] = part.labels
        for k in range(part.n_components):
            _merge(acc, k, part.X[part.labels == k])
        if first is None:
            first = part
    out.flush()
    del out
    truth = C.Truth.from_sample(first)
    truth = C.Truth(truth.dag, truth.targets, truth.observational, truth.means,
                    truth.covariances, truth.weights, labels.astype(np.int64))  # fmt: skip
    ks = sorted(acc)
    stats = SufficientStatistics.from_moments(
        [acc[k][0] for k in ks],
        [acc[k][1] for k in ks],
        [acc[k][2] / (acc[k][0] - 1) for k in ks],
    )
    return truth, stats


def run_on_disk(p: int, log2n: int, seed: int) -> dict:
    """One fit of a mixture written to disk, memory sampled (called in a fresh process)."""
    from causalmix import MixtureUTIGSP
    from causalmix.discovery import ut_igsp_from_statistics

    rec: dict = {"kind": "disk", "p": p, "log2n": log2n, "seed": seed}
    with tempfile.TemporaryDirectory(prefix="causalmix-scale-", dir="/var/tmp") as tmp:
        path = Path(tmp) / "X.npy"
        w0 = time.perf_counter()
        truth, stats = write_mixture(path, p, log2n, seed)
        rec.update(K=len(truth.targets), write_s=time.perf_counter() - w0)
        rec["file_gb"] = path.stat().st_size / 2**30
        X = np.load(path, mmap_mode="r")
        rec["rss_before_gb"] = _Peak.now()["VmRSS"]
        with _Peak() as peak:
            w0, c0 = time.perf_counter(), time.process_time()
            est = MixtureUTIGSP(random_state=seed).fit(X)
            rec.update(fit_s=time.perf_counter() - w0, cpu_s=time.process_time() - c0)
        rec.update(
            peak_rss_gb=peak.peak["VmRSS"],
            peak_anon_gb=peak.peak["RssAnon"],
            peak_file_gb=peak.peak["RssFile"],
            ru_maxrss_gb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
        )
        rec.update(C.score_estimator(est, truth))
        del est, X
    w0 = time.perf_counter()
    oracle = ut_igsp_from_statistics(stats, base=truth.observational or 0, random_state=seed)
    rec["oracle_s"] = time.perf_counter() - w0
    rec["oracle_shd"] = C.score(
        adjacency=oracle.adjacency,
        targets=oracle.targets,
        observational=truth.observational,
        means=stats.means,
        covariances=stats.covariances(),
        weights=stats.n / stats.n.sum(),
        truth=truth,
    )["shd"]
    return rec


def table(records: list[dict]) -> str:
    """The Markdown section of the on-disk runs ("" when there are none)."""
    runs = [r for r in records if r["kind"] == "disk" and not r.get("error")]
    if not runs:
        return ""
    rows = [
        [r["p"], r["K"], C.pow2(2 ** r["log2n"]), r["seed"], f"{r['file_gb']:.2f}",
         f"{r['fit_s']:.0f} ({r['cpu_s']:.0f} CPU)", f"{r['peak_anon_gb']:.2f}",
         f"{r['peak_file_gb']:.2f}", f"{r['peak_rss_gb']:.2f}", r["K_hat"],
         r["obs_correct"], r["shd"], r["oracle_shd"], f"{r['load_1min']:.1f}"]
        for r in runs
    ]  # fmt: skip
    head = ["p", "K", "N", "seed", "data file GB", "fit s (CPU s)", "peak anonymous RSS GB",
            "peak file-backed RSS GB", "peak RSS GB", "K̂", "obs. right", "DAG SHD",
            "oracle SHD", "load (1 min)"]  # fmt: skip
    about = __doc__.split("\n\n", 1)[1].strip()
    return f"\n## Rows beyond memory: the data on disk\n\n{about}\n\n{C.md_table(head, rows)}\n"
