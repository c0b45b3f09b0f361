"""The ``simulate`` and ``demo`` commands of the CLI (see :mod:`causalmix.cli`)."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from causalmix._cli_runtime import Progress


def _parse_target_sets(text: str) -> str | list[list[int]]:
    if text in ("all", "half"):
        return text
    try:
        return [[int(v) for v in part.split(",") if v.strip()] for part in text.split(";")]
    except ValueError:
        raise ValueError(f"--targets must be 'all', 'half' or like '0;1,2', got {text!r}") from None


def _simulate(
    *,
    nodes: int,
    density: float,
    targets: Any,
    kind: str,
    mean: float,
    var: float | None,
    samples: int,
    permute: bool,
    seed: int,
) -> Any:
    from causalmix.simulate import paper_interventions, random_sem, sample_mixture

    rng = np.random.default_rng(seed)
    sem = random_sem(nodes, density=density, permute=permute, random_state=rng)
    ivs = paper_interventions(sem, targets=targets, kind=kind, mean=mean, var=var, random_state=rng)
    return sample_mixture(sem, ivs, samples, random_state=rng)


def _write_simulation(out: Path, sample: Any, meta: dict[str, Any]) -> None:
    import pandas as pd

    names = [f"X{i}" for i in range(sample.X.shape[1])]
    pd.DataFrame(sample.X, columns=names).to_csv(out / "data.csv", index=False)
    truth = sample.truth_dict()
    truth.update({"schema": "causalmix.truth/1", "nodes": names, "simulation": meta})
    (out / "truth.json").write_text(json.dumps(truth, indent=2) + "\n")
    np.savetxt(out / "labels.csv", sample.labels, fmt="%d", header="component", comments="")


def cmd_simulate(args: argparse.Namespace) -> int:
    from causalmix.io import atomic_output_dir

    targets = _parse_target_sets(args.targets)
    sample = _simulate(
        nodes=args.nodes,
        density=args.density,
        targets=targets,
        kind=args.kind,
        mean=args.mean,
        var=args.var,
        samples=args.samples,
        permute=not args.no_permute,
        seed=args.seed,
    )
    meta = {
        k: v
        for k, v in vars(args).items()
        if k not in ("out", "force", "verbose", "quiet", "command")
    }
    with atomic_output_dir(args.out, force=args.force) as tmp:
        _write_simulation(tmp, sample, meta)
    print(
        f"wrote {args.out}/data.csv ({sample.X.shape[0]} rows x {sample.X.shape[1]} columns), "
        f"truth.json, labels.csv"
    )
    return 0


def cmd_demo(args: argparse.Namespace, progress: Progress) -> int:
    import pandas as pd

    from causalmix.estimator import MixtureUTIGSP
    from causalmix.io import atomic_output_dir
    from causalmix.report import evaluate, result_to_dict, write_result

    meta = {
        "nodes": 6,
        "density": 0.8,
        "targets": "all",
        "kind": "do",
        "mean": 1.0,
        "samples": 2**14,
        "seed": args.seed,
    }
    sample = _simulate(**meta, var=None, permute=True)
    names = [f"X{i}" for i in range(6)]
    est = MixtureUTIGSP(random_state=args.seed)
    with atomic_output_dir(args.out, force=args.force) as tmp:
        t0 = time.perf_counter()
        est.fit(pd.DataFrame(sample.X, columns=names), progress=progress)
        progress.close()
        seconds = time.perf_counter() - t0
        info = {
            "source": "causalmix demo (simulated)",
            "n_rows": int(sample.X.shape[0]),
            "n_columns": 6,
            "fit_seconds": round(seconds, 3),
        }
        write_result(tmp, est, info, plots=not args.no_plots)
        _write_simulation(tmp, sample, meta)
        truth = json.loads((tmp / "truth.json").read_text())
        scores = evaluate(result_to_dict(est, info), truth)
        (tmp / "evaluation.json").write_text(json.dumps(scores, indent=2) + "\n")
    _print_demo_table(sample, est, scores, seconds)
    print(
        f"\nwrote {args.out}/ (result.json, truth.json, evaluation.json, data.csv, dag.csv, "
        f"icpdag.*{'' if args.no_plots else ', *.png'})"
    )
    return 0


def _print_demo_table(sample: Any, est: Any, scores: dict[str, Any], seconds: float) -> None:
    from causalmix.metrics import match_components

    m = match_components(est.means_, est.covariances_, sample.means, sample.covariances)
    print("causalmix demo: p = 6, do-intervention on every node, N = 2^14, no labels given\n")
    print(f"{'':22}{'truth':>14}{'estimate':>14}")
    print(f"{'components':22}{sample.n_components:>14}{est.n_components_:>14}")
    true_obs = sample.observational
    est_obs_as_true = m.est_to_true[est.observational_component_]
    print(f"{'observational':22}{'component 0':>14}{'true ' + str(est_obs_as_true):>14}")
    print("\ncomponent (true)   weight true / est   targets true / est")
    for t in range(sample.n_components):
        e = int(m.true_to_est[t])
        w_est = f"{est.weights_[e]:.3f}" if e >= 0 else "  -  "
        t_est = sorted(est.targets_[e]) if e >= 0 else "unmatched"
        tag = " (obs)" if t == true_obs else ""
        print(
            f"  {t}{tag:<14}   {sample.weights[t]:.3f} / {w_est}       "
            f"{sorted(sample.targets[t])} / {t_est}"
        )
    print(
        f"\nDAG SHD {scores['shd']} (true graph has {scores['n_edges_true']} edges)   "
        f"I-CPDAG SHD {scores['icpdag_shd']}"
    )
    print(
        f"target Jaccard: {scores['jaccard_interventional']:.3f} (interventional), "
        f"{scores['jaccard_all']:.3f} (all)"
    )
    errors = f"parameter error {scores['parameter_error']:.3f}"
    print(f"{errors}, weight error {scores['weight_error']:.3f}, fit time {seconds:.1f} s")
