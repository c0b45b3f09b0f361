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

from causalmix import CausalmixWarning
from causalmix._cli_demo import cmd_demo, cmd_simulate
from causalmix._cli_parser import build_parser
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


def _auto_or_int(value: str, flag: str) -> int | str:
    if value == "auto":
        return value
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{flag} must be 'auto' or an integer, got {value!r}") from None


def _estimator(args: argparse.Namespace) -> Any:
    from causalmix.estimator import MixtureUTIGSP

    n_components = _auto_or_int(args.n_components, "--n-components")
    observational = _auto_or_int(args.observational, "--observational")
    kwargs: dict[str, Any] = dict(
        n_components=n_components,
        max_components=args.max_components,
        alpha_ci=args.alpha_ci,
        alpha_inv=args.alpha_inv,
        n_runs=args.n_runs,
        depth=args.depth,
        observational=observational,
        random_state=args.seed,
    )
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
            args.data[0],
            label_column=args.label_column,
            drop_columns=drop,
            index_column=index_column,
            header=not args.no_header,
            decimal=args.decimal,
            encoding=args.encoding,
            log_transform=transform == "log",
        )
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
            "source": str(args.data[0]),
            "n_rows": int(frame.shape[0]),
            "n_columns": int(frame.shape[1]),
            "transform": transform,
            "log_transform": transform == "log",
            "dropped_columns": drop,
            "label_column": args.label_column,
            "index_column": args.index_column,
            "fit_seconds": round(time.perf_counter() - t0, 3),
        }
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
    print(
        f"components: {est.n_components_} (selected by {est.selection_criterion_}); "
        f"observational: {est.observational_component_} ({est.observational_method_})"
    )
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
            kind = "result" if doc is result else "truth"
            raise ValueError(f"{path} lacks {key!r}: is it a causalmix {kind} file?")
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
    parser = build_parser()
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
