"""The command line's argument parser: ``causalmix demo | simulate | fit | evaluate``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from causalmix import __version__

__all__ = ["build_parser"]


def build_parser() -> argparse.ArgumentParser:
    """The parser of every subcommand and option (their names and defaults are the CLI's API)."""
    parser = argparse.ArgumentParser(
        prog="causalmix",
        description=(
            "Causal discovery from unlabeled mixtures of observational and interventional data "
            "(Mixture-UTIGSP). Adjacency convention everywhere: A[i, j] != 0 iff i -> j."
        ),
    )
    parser.add_argument("--version", action="version", version=f"causalmix {__version__}")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="more log messages on stderr (-vv for debug)",
    )
    verbosity.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="only errors on stderr; no progress line (there is none either when stderr is not "
        "a terminal)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_demo(sub)
    _add_simulate(sub)
    _add_fit(sub)
    _add_evaluate(sub)
    return parser


def _add_output(p: argparse.ArgumentParser, default: Path | None = None) -> None:
    """``--out`` (required unless a default is given) and ``--force``."""
    if default is None:
        p.add_argument("--out", required=True, type=Path, help="output directory (must not exist)")
    else:
        p.add_argument(
            "--out", type=Path, default=default, help=f"output directory (default {default})"
        )
    p.add_argument("--force", action="store_true", help="replace an existing output directory")


def _add_no_plots(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-plots", action="store_true", help="skip the PNG figures")


def _add_demo(sub: Any) -> None:
    demo = sub.add_parser(
        "demo",
        help="fit a built-in simulated example and compare with the truth",
        description="Simulate the paper's setting (p = 6, a do-intervention on every node, "
        "N = 2^14), fit it, print truth vs estimate and write the outputs of 'fit' plus "
        "truth.json and data.csv.",
    )
    _add_output(demo, default=Path("demo-output"))
    demo.add_argument(
        "--seed", type=int, default=7, help="seed of the simulation and fit (default 7)"
    )
    _add_no_plots(demo)


def _add_simulate(sub: Any) -> None:
    sim = sub.add_parser(
        "simulate",
        help="write a simulated mixture (data.csv + truth.json)",
        description="Simulate a linear-Gaussian SEM and an unlabeled mixture of its "
        "observational and interventional distributions.",
    )
    sim.add_argument("--nodes", type=int, default=6, help="number of variables p (default 6)")
    sim.add_argument(
        "--density",
        type=float,
        default=0.8,
        help="probability of each possible edge (default 0.8, as in the paper)",
    )
    sim.add_argument(
        "--targets",
        default="all",
        help="'all' (every node once), 'half' (floor(p/2) random nodes) or explicit sets like "
        "'0;1,2;4' (components separated by ';')",
    )
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
    _add_output(sim)


def _add_fit(sub: Any) -> None:
    fit = sub.add_parser(
        "fit",
        help="fit Mixture-UTIGSP to a data file",
        description="Fit a CSV/TSV/Parquet file with a header row (one column per variable) and "
        "write into --out: result.json, dag.csv (the DAG), icpdag.csv/.graphml/.dot (the "
        "I-CPDAG), labels.csv (component of each row) and PNG figures. See docs/user_guide.md.",
    )
    fit.add_argument(
        "data",
        type=Path,
        nargs="+",
        help="CSV (separator , ; or tab), TSV or Parquet file with a header row, or a directory "
        "/ quoted glob / list of Parquet files read chunk-wise with dask (pip install "
        "'causalmix[dask]'; docs/scale.md)",
    )
    fit.add_argument(
        "--label-column",
        default=None,
        help="column of known setting labels: excluded from the variables, used to report "
        "agreement (ARI) and with --observational-label",
    )
    fit.add_argument(
        "--observational-label",
        default=None,
        help="values of --label-column (comma separated) marking rows known to be "
        "observational; their component becomes the observational one",
    )
    fit.add_argument("--drop-columns", default="", help="comma-separated columns to ignore")
    fit.add_argument(
        "--index-column",
        default=None,
        help="column of row identifiers (name, or 0-based position such as 0 for the index "
        "pandas' to_csv writes): not a variable; labels.csv uses its values",
    )
    fit.add_argument(
        "--no-header",
        action="store_true",
        help="the file has no header line: columns are named X0, X1, ...",
    )
    fit.add_argument(
        "--decimal",
        choices=(".", ","),
        default=".",
        help="decimal mark of a text file (default .)",
    )
    fit.add_argument(
        "--encoding", default="utf-8", help="text encoding, e.g. latin-1 or cp1252 (default utf-8)"
    )
    fit.add_argument(
        "--transform",
        choices=("none", "log", "rank"),
        default=None,
        help="per-column transform before fitting: 'log' for positive, right-skewed data; "
        "'rank' = normal scores of the ranks (nonparanormal); default none (see "
        "docs/user_guide.md)",
    )
    fit.add_argument("--log-transform", action="store_true", help="same as --transform log")
    _add_method_options(fit)
    _add_output(fit)
    _add_no_plots(fit)
    fit.add_argument(
        "--stability",
        type=int,
        default=0,
        metavar="N",
        help="also refit on N half-size subsamples and write stability.json and stability.png: "
        "how often each edge, target and K comes back",
    )
    fit.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="parallel refits for --stability (-1: all cores; default 1)",
    )


def _add_method_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("method")
    g.add_argument(
        "--mode",
        choices=("default", "paper"),
        default="default",
        help="'default': our choices (BIC-type selection, responsibility-weighted statistics); "
        "'paper': the published procedure (drop-ratio rule, resampled statistics) for "
        "reproduction",
    )
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
    g.add_argument(
        "--reg-covar",
        type=float,
        default=None,
        help="added to the diagonal of every mixture covariance (default: the estimator's, 1e-6)",
    )
    g.add_argument(
        "--criterion",
        default=None,
        help="selection criterion for 'auto' (see causalmix.mixture; default: the mode's)",
    )
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
    g.add_argument(
        "--refine",
        choices=("none", "mechanisms"),
        default=None,
        help="'mechanisms' (the default): structural EM on a mixture whose components share the "
        "SEM's mechanisms except at their targets, for overlapping (hard, soft, shift) "
        "interventions; skipped when the components are separated. 'none': the free mixture "
        "and UT-IGSP only",
    )
    g.add_argument("--n-runs", type=int, default=5, help="UT-IGSP restarts (default 5)")
    g.add_argument("--depth", type=int, default=4, help="UT-IGSP search depth (default 4)")
    g.add_argument(
        "--observational",
        default="auto",
        help="index of the observational component, or 'auto' to infer it",
    )
    g.add_argument("--seed", type=int, default=0, help="random seed (default 0)")


def _add_evaluate(sub: Any) -> None:
    ev = sub.add_parser(
        "evaluate",
        help="score a result.json against a truth.json",
        description="Metrics (causalmix.report.evaluate): K̂ vs K, observational component, DAG "
        "SHD (reversal = 1), I-CPDAG SHD, parameter and weight errors, target Jaccard "
        "(observational target set ∅).",
    )
    ev.add_argument("result", type=Path, help="result.json written by 'fit' or 'demo'")
    ev.add_argument("--truth", type=Path, required=True, help="truth.json written by 'simulate'")
    ev.add_argument("--json", action="store_true", help="print the metrics as JSON")
