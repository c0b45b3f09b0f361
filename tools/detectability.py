"""How much an intervention of ``benchmarks/interventions.py`` can pay under BIC (issue #11).

For every interventional component ``c`` of a simulated mixture, two gains in nats, each against
the price of ``c`` in the shared-mechanism BIC, ``(2 |T_c| + 1) log(N) / 2`` (a mean and a
variance per target and a weight: the cheapest mechanism):

- the *mixture gain*: the log-likelihood of the rows under the true mixture (population
  parameters) minus that with ``c`` folded into the observational component (pooled weight,
  mean and covariance). An indicator of what a fit can gain, not a bound (a refitted mixture
  without ``c`` can do better, a fitted one with it overfits);
- the *labelled gain*: with the true labels, ``c``'s own least-squares mechanism at each target
  against its rows joining the mechanism shared there. It bounds the mixture's gain in
  expectation (not knowing the labels loses information) but is loose by orders of magnitude.

An intervention whose mixture gain is below its price cannot be expected to be found by a BIC on
any mixture family. The table joins the committed runs (``docs/benchmarks/interventions_runs.csv``,
method ``mechanisms``): K̂ = K of the runs whose every intervention pays and of those with one
that does not. Not a benchmark (no page; 5 minutes)::

    PYTHONPATH=src python tools/detectability.py [--log2n 15,16] [--seeds 4] [--margin 1]
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import interventions as iv  # noqa: E402


def _node_ll(x: np.ndarray, design: np.ndarray) -> float:
    """Maximised Gaussian log-likelihood of a least-squares fit of ``x`` on ``design``."""
    coef, *_ = np.linalg.lstsq(design, x, rcond=None)
    var = max(float(np.mean((x - design @ coef) ** 2)), 1e-12)
    return -0.5 * x.size * (np.log(2 * np.pi * var) + 1.0)


def _mixture_ll(X: np.ndarray, weights, means, covs) -> float:
    """Log-likelihood of the rows under a Gaussian mixture (the library's E-step)."""
    from causalmix.mixture import GaussianMixtureFit

    mixture = GaussianMixtureFit.from_parameters(weights, means, covs)
    return mixture.score(X) * X.shape[0]


def mixture_gain(sample, c: int, obs: int) -> float:
    """Log-likelihood of the rows under the true mixture minus that with ``c`` folded into ``obs``.

    Population parameters on both sides; the fold pools weight, mean and covariance (the best
    single Gaussian for the two components' rows). Neither bound of what a fit gains (a refitted
    K - 1 mixture can do better, a fitted K one overfits), an indicator of it.
    """
    comps = sample.components
    w = np.array([k.weight for k in comps])
    means = np.array([k.mean for k in comps])
    covs = np.array([k.covariance for k in comps])
    full = _mixture_ll(sample.X, w, means, covs)
    pair = w[[obs, c]] / w[[obs, c]].sum()
    mu = pair @ means[[obs, c]]
    d = means[[obs, c]] - mu
    cov = np.einsum("k,kij->ij", pair, covs[[obs, c]] + d[:, :, None] * d[:, None, :])
    keep = [k for k in range(len(comps)) if k not in (obs, c)]
    merged = _mixture_ll(
        sample.X,
        np.append(w[keep], w[obs] + w[c]),
        np.vstack([means[keep], mu]),
        np.concatenate([covs[keep], cov[None]]),
    )
    return full - merged


def labelled_gains(sample) -> list[tuple[frozenset[int], float, float, float]]:
    """(targets, labelled gain, BIC price, mixture gain) of each interventional component, in nats."""
    X, labels, dag = sample.X, sample.labels, np.asarray(sample.dag) != 0
    n = X.shape[0]
    out = []
    for c, comp in enumerate(sample.components):
        if comp.is_observational:
            continue
        gain = 0.0
        for j in sorted(comp.targets):
            design = np.column_stack([np.ones(n), X[:, np.flatnonzero(dag[:, j])]])
            sharing = np.array([j not in k.targets for k in sample.components])
            rest = sharing[labels]  # rows of the components that keep j's mechanism
            own = labels == c
            joined = rest | own
            gain += (
                _node_ll(X[rest, j], design[rest])
                + _node_ll(X[own, j], design[own])
                - _node_ll(X[joined, j], design[joined])
            )
        price = (2 * len(comp.targets) + 1) * np.log(n) / 2
        out.append(
            (frozenset(comp.targets), gain, price, mixture_gain(sample, c, sample.observational))
        )
    return out


def _runs(path: Path) -> dict[tuple, dict]:
    runs = {}
    with path.open() as fh:
        for r in csv.DictReader(fh):
            if r["method"] == "mechanisms":
                runs[(r["kind"], int(r["p"]), r["graph"], int(r["n"]), int(r["seed"]))] = r
    return runs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--log2n", default="15,16")
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--margin", type=float, default=1.0, help="gain below margin x price counts")
    ap.add_argument("--runs", default=str(ROOT / "docs/benchmarks/interventions_runs.csv"))
    args = ap.parse_args(argv)
    runs = _runs(Path(args.runs))
    table: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    ratios: dict[str, list[float]] = defaultdict(list)
    mix: dict[str, list[float]] = defaultdict(list)
    for kind in iv.KINDS:
        if kind == "do":
            continue
        for p in iv.FULL["p"]:
            for graph in iv.GRAPHS:
                for e in (int(v) for v in args.log2n.split(",")):
                    for seed in range(args.seeds):
                        cell = iv.Cell(kind, p, graph, 2**e)
                        gains = labelled_gains(iv.simulate(cell, seed))
                        weak = [m < args.margin * price for _, _, price, m in gains]
                        ratios[kind] += [g / price for _, g, price, _ in gains]
                        mix[kind] += [m / price for *_, price, m in gains]
                        t = table[kind]
                        t["interventions"] += len(gains)
                        t["below"] += sum(weak)
                        r = runs.get((kind, p, graph, 2**e, seed))
                        if r is None:
                            continue
                        ok = r["k_correct"] == "True"
                        group = "runs with one below" if any(weak) else "runs all above"
                        t[group] += 1
                        t[group + ": K ok"] += ok
    print(f"price = (2 |T| + 1) log(N) / 2; 'below' = mixture gain < {args.margin} x price")
    print("| kind | interventions | mixture gain below the price | mixture gain / price: min, "
          "q10, median | labelled gain / price: min, median | runs all above: K̂ = K | runs "
          "with one below: K̂ = K |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for kind, t in table.items():
        r, m = np.array(ratios[kind]), np.array(mix[kind])

        def rate(group: str, t=t) -> str:
            n = t[group]
            return f"{t[group + ': K ok']}/{n}" if n else "–"

        print(f"| {kind} | {t['interventions']} | {t['below']} | {m.min():.2g}, "
              f"{np.quantile(m, 0.1):.2g}, {np.median(m):.3g} | {r.min():.2g}, {np.median(r):.3g} "
              f"| {rate('runs all above')} | {rate('runs with one below')} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
