"""Command-line interface: ``causalmix demo | simulate | fit | evaluate``.

The CLI owns all output: results go to files and stdout, progress and log messages to stderr. A
user error (bad file, bad option, existing output) prints one line naming the CLI's flags and exits
with status 2; Ctrl-C exits 130 and SIGTERM 143, each with one line. No partial output is ever left
behind: the output directory is reserved at the start and the files are written to a temporary
directory that is renamed onto it at the end. A bug (any other exception) keeps its traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from causalmix import CausalmixWarning, __version__
from causalmix._cli_demo import cmd_demo, cmd_simulate
from causalmix._cli_runtime import (
    EXIT_SIGINT,
    EXIT_SIGTERM,
    Progress,
    Terminated,
    cli_message,
    handle_sigterm,
    is_user_error,
)

__all__ = ["main"]

log = logging.getLogger("causalmix.cli")

EXIT_USER_ERROR = 2


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="causalmix",
        description=(
            "Causal discovery from unlabeled mixtures of observational and interventional data "
            "(Mixture-UTIGSP). Adjacency convention everywhere: A[i, j] != 0 iff i -> j."
        ),
    )
    parser.add_argument("--version", action="version", version=f"causalmix {__version__}")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("-v", "--verbose", action="count", default=0,
                           help="more log messages on stderr (-vv for debug)")  # fmt: skip
    verbosity.add_argument("-q", "--quiet", action="store_true",
                           help="only errors on stderr; no progress line (there is none either "
                                "when stderr is not a terminal)")  # fmt: skip
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add_fit_options(p: argparse.ArgumentParser) -> None:
        g = p.add_argument_group("method")
        g.add_argument("--mode", choices=("default", "paper"), default="default",
                       help="'default': our choices (BIC-type selection, responsibility-weighted "
                            "statistics); 'paper': the published procedure (drop-ratio rule, "
                            "resampled statistics) for reproduction")  # fmt: skip
        g.add_argument(
            "--n-components",
            default="auto",
            help="number of mixture components, or 'auto' to select it (default auto)",
        )
        g.add_argument(
            "--max-components",
            type=int,
            default=None,
            help="largest number of components tried by 'auto' (default p + 1)",
        )
        g.add_argument("--reg-covar", type=float, default=None,
                       help="added to the diagonal of every mixture covariance (default: the "
                            "estimator's, 1e-6)")  # fmt: skip
        g.add_argument("--criterion", default=None,
                       help="selection criterion for 'auto' (see causalmix.mixture; default: the "
                            "mode's)")  # fmt: skip
        g.add_argument(
            "--cutoff",
            type=float,
            default=0.07,
            help="drop-ratio cutoff of the paper's rule (criterion drop_ratio)",
        )
        g.add_argument(
            "--alpha-ci",
            type=float,
            default=1e-3,
            help="significance level of the partial-correlation CI test (default 1e-3)",
        )
        g.add_argument(
            "--alpha-inv",
            type=float,
            default=1e-3,
            help="significance level of the invariance test (default 1e-3)",
        )
        g.add_argument("--refine", choices=("none", "mechanisms"), default=None,
                       help="'mechanisms' (the default): structural EM on a mixture whose "
                            "components share the SEM's mechanisms except at their targets, for "
                            "overlapping (hard, soft, shift) interventions; skipped when the "
                            "components are separated. 'none': the free mixture and UT-IGSP only")  # fmt: skip
        g.add_argument("--n-runs", type=int, default=5, help="UT-IGSP restarts (default 5)")
        g.add_argument("--depth", type=int, default=4, help="UT-IGSP search depth (default 4)")
        g.add_argument(
            "--observational",
            default="auto",
            help="index of the observational component, or 'auto' to infer it",
        )
        g.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
        p.add_argument("--out", required=True, type=Path, help="output directory (must not exist)")
        p.add_argument("--force", action="store_true", help="replace an existing output directory")
        p.add_argument("--no-plots", action="store_true", help="skip the PNG figures")

    demo = sub.add_parser("demo", help="fit a built-in simulated example and compare with the truth",
                          description="Simulate the paper's setting (p = 6, a do-intervention on "
                          "every node, N = 2^14), fit it, print truth vs estimate and write the "
                          "outputs of 'fit' plus truth.json and data.csv.")  # fmt: skip
    demo.add_argument("--out", type=Path, default=Path("demo-output"),
                      help="output directory (default demo-output)")  # fmt: skip
    demo.add_argument("--force", action="store_true", help="replace an existing output directory")
    demo.add_argument(
        "--seed", type=int, default=7, help="seed of the simulation and fit (default 7)"
    )
    demo.add_argument("--no-plots", action="store_true", help="skip the PNG figures")

    sim = sub.add_parser("simulate", help="write a simulated mixture (data.csv + truth.json)",
                         description="Simulate a linear-Gaussian SEM and an unlabeled mixture of "
                         "its observational and interventional distributions.")  # fmt: skip
    sim.add_argument("--nodes", type=int, default=6, help="number of variables p (default 6)")
    sim.add_argument(
        "--density",
        type=float,
        default=0.8,
        help="probability of each possible edge (default 0.8, as in the paper)",
    )
    sim.add_argument("--targets", default="all",
                     help="'all' (every node once), 'half' (floor(p/2) random nodes) or explicit "
                          "sets like '0;1,2;4' (components separated by ';')")  # fmt: skip
    sim.add_argument(
        "--kind",
        choices=("do", "hard", "soft", "shift"),
        default="do",
        help="intervention kind (default do)",
    )
    sim.add_argument(
        "--mean",
        type=float,
        default=1.0,
        help="do value / hard mean / shift / soft noise mean (default 1.0)",
    )
    sim.add_argument(
        "--var",
        type=float,
        default=None,
        help="residual variance of the target (do: 1e-9, hard: 1.0 by default)",
    )
    sim.add_argument("--samples", type=int, default=2**14, help="number of rows N (default 16384)")
    sim.add_argument(
        "--no-permute",
        action="store_true",
        help="keep the paper's fixed node order (i -> j only for i < j)",
    )
    sim.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    sim.add_argument("--out", required=True, type=Path, help="output directory (must not exist)")
    sim.add_argument("--force", action="store_true", help="replace an existing output directory")

    fit = sub.add_parser("fit", help="fit Mixture-UTIGSP to a data file",
                         description="Fit a CSV/TSV/Parquet file with a header row (one column per "
                         "variable) and write into --out: result.json, dag.csv (the DAG), "
                         "icpdag.csv/.graphml/.dot (the I-CPDAG), labels.csv (component of each "
                         "row) and PNG figures. See docs/user_guide.md.")  # fmt: skip
    fit.add_argument("data", type=Path, nargs="+",
                     help="CSV (separator , ; or tab), TSV or Parquet file with a header row, or "
                          "a directory / quoted glob / list of Parquet files read chunk-wise with "
                          "dask (pip install 'causalmix[dask]'; docs/scale.md)")  # fmt: skip
    fit.add_argument("--label-column", default=None,
                     help="column of known setting labels: excluded from the variables, used to "
                          "report agreement (ARI) and with --observational-label")  # fmt: skip
    fit.add_argument("--observational-label", default=None,
                     help="values of --label-column (comma separated) marking rows known to be "
                          "observational; their component becomes the observational one")  # fmt: skip
    fit.add_argument("--drop-columns", default="", help="comma-separated columns to ignore")
    fit.add_argument("--index-column", default=None,
                     help="column of row identifiers (name, or 0-based position such as 0 for "
                          "the index pandas' to_csv writes): not a variable; labels.csv uses "
                          "its values")  # fmt: skip
    fit.add_argument(
        "--no-header",
        action="store_true",
        help="the file has no header line: columns are named X0, X1, ...",
    )
    fit.add_argument("--decimal", choices=(".", ","), default=".",
                     help="decimal mark of a text file (default .)")  # fmt: skip
    fit.add_argument(
        "--encoding", default="utf-8", help="text encoding, e.g. latin-1 or cp1252 (default utf-8)"
    )
    fit.add_argument("--transform", choices=("none", "log", "rank"), default=None,
                     help="per-column transform before fitting: 'log' for positive, right-skewed "
                          "data; 'rank' = normal scores of the ranks (nonparanormal); default "
                          "none (see docs/user_guide.md)")  # fmt: skip
    fit.add_argument("--log-transform", action="store_true", help="same as --transform log")
    add_fit_options(fit)
    fit.add_argument("--stability", type=int, default=0, metavar="N",
                     help="also refit on N half-size subsamples and write stability.json and "
                          "stability.png: how often each edge, target and K comes back")  # fmt: skip
    fit.add_argument("--jobs", type=int, default=1,
                     help="parallel refits for --stability (-1: all cores; default 1)")  # fmt: skip

    ev = sub.add_parser("evaluate", help="score a result.json against a truth.json",
                        description="Metrics (causalmix.report.evaluate): K̂ vs K, observational component, "
                        "DAG SHD (reversal = 1), I-CPDAG SHD, parameter and weight errors, "
                        "target Jaccard (observational target set ∅).")  # fmt: skip
    ev.add_argument("result", type=Path, help="result.json written by 'fit' or 'demo'")
    ev.add_argument("--truth", type=Path, required=True, help="truth.json written by 'simulate'")
    ev.add_argument("--json", action="store_true", help="print the metrics as JSON")
    return parser


def _estimator(args: argparse.Namespace) -> Any:
    from causalmix.estimator import MixtureUTIGSP

    n_components: int | str = args.n_components
    if n_components != "auto":
        try:
            n_components = int(n_components)
        except ValueError:
            raise ValueError(
                f"--n-components must be 'auto' or an integer, got {args.n_components!r}"
            ) from None
    observational: int | str = args.observational
    if observational != "auto":
        try:
            observational = int(observational)
        except ValueError:
            raise ValueError(
                f"--observational must be 'auto' or an integer, got {args.observational!r}"
            ) from None
    kwargs: dict[str, Any] = dict(
        n_components=n_components, max_components=args.max_components, alpha_ci=args.alpha_ci,
        alpha_inv=args.alpha_inv, n_runs=args.n_runs, depth=args.depth, observational=observational,
        random_state=args.seed,
    )  # fmt: skip
    if args.criterion is not None:
        kwargs["criterion"] = args.criterion
    if getattr(args, "reg_covar", None) is not None:
        kwargs["reg_covar"] = args.reg_covar
    if getattr(args, "refine", None) is not None:
        kwargs["refine"] = args.refine
    if getattr(args, "stability", 0):
        if args.stability < 0:
            raise ValueError(
                f"--stability must be a number of resamples >= 0, got {args.stability}"
            )
        if args.jobs == 0 or args.jobs < -1:
            raise ValueError(
                f"--jobs must be a positive number of processes or -1, got {args.jobs}"
            )
        kwargs.update(n_resamples=args.stability, n_jobs=args.jobs)
    if args.mode == "paper":
        kwargs.setdefault("cutoff", args.cutoff)
        return MixtureUTIGSP.paper_mode(**kwargs)
    if kwargs.get("criterion") == "drop_ratio":
        kwargs["cutoff"] = args.cutoff
    return MixtureUTIGSP(**kwargs)


def _cmd_fit(args: argparse.Namespace, progress: Progress) -> int:
    from causalmix._cli_dataset import fit_dataset
    from causalmix._parquet_dataset import is_dataset
    from causalmix.io import atomic_output_dir, read_table
    from causalmix.report import write_labels, write_result

    drop = [c.strip() for c in args.drop_columns.split(",") if c.strip()]
    if args.observational_label is not None and args.label_column is None:
        raise ValueError("--observational-label needs --label-column")
    transform = _transform_option(args)
    index_column = args.index_column
    if index_column is not None and index_column.isdigit():
        index_column = int(index_column)
    est = _estimator(args)  # bad options fail before the file is read
    if is_dataset(args.data):  # a directory, glob or several Parquet files: dask (issue #14)
        with atomic_output_dir(args.out, force=args.force) as tmp:
            written = fit_dataset(args, est, drop, transform, progress, tmp)
        return _finish(args, est, written)
    with atomic_output_dir(args.out, force=args.force) as tmp:  # reserved before the long fit
        frame, labels = read_table(
            args.data[0], label_column=args.label_column, drop_columns=drop,
            index_column=index_column, header=not args.no_header, decimal=args.decimal,
            encoding=args.encoding, log_transform=transform == "log",
        )  # fmt: skip
        if transform == "rank":
            from causalmix.transforms import rank_transform

            frame = frame.copy()
            frame[:] = rank_transform(frame.to_numpy())
        obs_rows = None
        if args.observational_label is not None:
            wanted = {v.strip() for v in args.observational_label.split(",")}
            obs_rows = labels.astype(str).str.strip().isin(wanted).to_numpy()
            if not obs_rows.any():
                raise ValueError(
                    f"no row of column {args.label_column!r} has a value in {sorted(wanted)}"
                )
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CausalmixWarning)  # printed as the "checks" block
            est.fit(frame, observational_rows=obs_rows, progress=progress)
        progress.close()
        info: dict[str, Any] = {
            "source": str(args.data[0]), "n_rows": int(frame.shape[0]), "n_columns": int(frame.shape[1]),
            "transform": transform, "log_transform": transform == "log", "dropped_columns": drop,
            "label_column": args.label_column, "index_column": args.index_column,
            "fit_seconds": round(time.perf_counter() - t0, 3),
        }  # fmt: skip
        if labels is not None:
            from sklearn.metrics import adjusted_rand_score

            info["adjusted_rand_index_vs_labels"] = float(
                adjusted_rand_score(labels.astype(str), est.labels_)
            )
        write_labels(tmp / "labels.csv", frame.index, est.labels_, est.predict_proba(frame))
        written = write_result(tmp, est, info, plots=not args.no_plots, extra_files=["labels.csv"])
    return _finish(args, est, written)


def _finish(args: argparse.Namespace, est: Any, written: list[Path]) -> int:
    _print_summary(est)
    _print_checks(est)
    names = [*sorted(p.name for p in written), "labels.csv"]
    print(f"wrote {args.out}/ ({', '.join(names)}); dag.csv is the DAG, icpdag.* the I-CPDAG")
    return 0


def _print_summary(est: Any) -> None:
    names = [str(n) for n in est.node_names_]
    print(f"components: {est.n_components_} (selected by {est.selection_criterion_}); "
          f"observational: {est.observational_component_} ({est.observational_method_})")  # fmt: skip
    for k in range(est.n_components_):
        t = ", ".join(names[i] for i in sorted(est.targets_[k])) or "-"
        tag = "obs" if k == est.observational_component_ else "int"
        print(f"  [{k}] {tag} weight {est.weights_[k]:.3f}  targets: {t}")
    print(f"DAG: {int(est.adjacency_.sum())} arcs; I-CPDAG: {_icpdag_counts(est.icpdag_)}")


def _transform_option(args: argparse.Namespace) -> str:
    if args.log_transform and args.transform not in (None, "log"):
        raise ValueError(f"--log-transform contradicts --transform {args.transform}; give one")
    return "log" if args.log_transform else args.transform or "none"


def _print_checks(est: Any) -> None:
    """The diagnostics (causalmix.diagnostics) as a short block: flagged ones with their advice."""
    checks = est.diagnostics_
    flagged = [c for c in checks if c.flagged]
    where = ' (details: result.json "diagnostics", docs/user_guide.md)' if flagged else ""
    print(f"checks: {len(flagged)} of {len(checks)} flagged{where}")
    for c in flagged:
        print(f"  ! {c.name}: {c.message}")
    passed = [c.name for c in checks if not c.flagged]
    if passed:
        print(f"  ok: {', '.join(passed)}")


def _icpdag_counts(g: np.ndarray) -> str:
    from causalmix.graphs import edges

    d, u = edges(g)
    return f"{len(d)} directed, {len(u)} undirected"


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from causalmix.report import evaluate

    docs = []
    for path in (args.result, args.truth):
        if not path.is_file():
            raise FileNotFoundError(f"{str(path)!r} does not exist")
        try:
            docs.append(json.loads(path.read_text()))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path} is not valid JSON: {exc}") from None
    result, truth = docs
    for key, doc, path in (("components", result, args.result), ("dag_edges", truth, args.truth)):
        if key not in doc:
            raise ValueError(
                f"{path} lacks {key!r}: is it a causalmix {'result' if doc is result else 'truth'} file?"
            )
    scores = evaluate(result, truth)
    if args.json:
        print(json.dumps(scores, indent=2))
    else:
        width = max(map(len, scores))
        for key, value in scores.items():
            shown = f"{value:.4f}" if isinstance(value, float) else str(value)
            print(f"{key:<{width}}  {shown}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status.

    0 success, 2 user error (one line on stderr), 130 interrupted (SIGINT), 143 terminated
    (SIGTERM); a bug raises its exception (Python prints the traceback, exit status 1).
    """
    parser = _build_parser()
    args = parser.parse_args(argv)
    level = (
        logging.ERROR
        if args.quiet
        else (logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)]
    )
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", force=True)
    progress = Progress(enabled=not args.quiet)
    prefix = f"causalmix {args.command}"
    try:
        with handle_sigterm():
            if args.command == "fit":
                return _cmd_fit(args, progress)
            if args.command == "simulate":
                return cmd_simulate(args)
            if args.command == "demo":
                return cmd_demo(args, progress)
            return _cmd_evaluate(args)
    except KeyboardInterrupt:
        progress.close()
        print(f"{prefix}: interrupted; no output written", file=sys.stderr)
        return EXIT_SIGINT
    except Terminated:
        progress.close()
        print(f"{prefix}: terminated (SIGTERM); no output written", file=sys.stderr)
        return EXIT_SIGTERM
    except (ValueError, TypeError, OSError) as exc:
        progress.close()
        if not is_user_error(exc):
            raise  # a bug: keep the traceback
        # DataError and parameter errors are ValueErrors; FileExistsError etc. are OSErrors
        print(f"{prefix}: error: {cli_message(exc)}", file=sys.stderr)
        if args.verbose:
            raise
        return EXIT_USER_ERROR
