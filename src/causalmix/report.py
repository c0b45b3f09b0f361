"""Turning a fitted :class:`~causalmix.MixtureUTIGSP` into files, and scoring results against a truth.

``result.json`` schema (``"schema": "causalmix.result/1"``)
---------------------------------------------------------
=========================  ===================================================================
key                        meaning
=========================  ===================================================================
``causalmix_version``      version that wrote the file
``created``                UTC time stamp (ISO 8601)
``nodes``                  node names, in node order (indices below refer to this order)
``data``                   ``n_rows``, ``n_columns`` and the user's options (source, transforms)
``parameters``             the estimator's parameters (``get_params()``), incl. ``random_state``
``n_components``           number of mixture components K̂
``observational``          index of the component chosen as observational, how it was chosen
                           (``"auto"``, ``"user"``, ``"rows"``) and the evidence per candidate
``components``             per component: ``weight``, ``n_rows`` (hard assignment),
                           ``effective_size`` (Σ responsibilities), ``mean``, ``covariance``,
                           ``targets`` (node names) and ``target_indices``
``selection``              ``criterion``, ``curve`` (score per k, ``null`` where not fitted),
                           ``chosen``
``dag``                    ``edges``: ``[from, to]`` name pairs of the learned DAG
``icpdag``                 ``directed`` and ``undirected`` name pairs of the I-essential graph
``files``                  written by :func:`write_result`: each file in the output directory
                           and what it holds (see ``OUTPUT_FILES``)
``diagnostics``            one object per check of :mod:`causalmix.diagnostics`: ``name``,
                           ``flagged`` / ``passed`` (booleans), ``value`` and ``threshold``
                           (numbers, ``null`` where the check does not apply), ``message``
                           (what was measured and, when flagged, what to do)
=========================  ===================================================================
``data.transform`` (``"none"``, ``"log"`` or ``"rank"``) names the transform applied before
fitting; means and covariances are in the units of the transformed data.
Adjacency convention everywhere: ``A[i, j] != 0`` iff ``i -> j`` (see :mod:`causalmix.graphs`).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from causalmix import __version__
from causalmix._report_figures import write_figures
from causalmix.graphs import check_adjacency, edges

__all__ = [
    "OUTPUT_FILES",
    "RESULT_SCHEMA",
    "evaluate",
    "graph_to_dot",
    "result_to_dict",
    "write_labels",
    "write_result",
]

RESULT_SCHEMA = "causalmix.result/1"

#: Every file ``causalmix fit`` can write, and what it holds (also stored in result.json).
OUTPUT_FILES = {
    "result.json": "everything below in one file: components, targets, selection, both graphs",
    "dag.csv": "the learned DAG as an adjacency matrix: row i, column j is 1 iff i -> j",
    "icpdag.csv": "the I-CPDAG (interventional essential graph): 1 in both (i, j) and (j, i) "
    "for an undirected edge i - j (orientation not identified), else as dag.csv",
    "icpdag.graphml": "the I-CPDAG for graph tools; an undirected edge is two arcs with "
    "undirected=true; nodes carry their intervening components",
    "icpdag.dot": "the I-CPDAG in Graphviz DOT; undirected edges dashed, targets filled orange",
    "labels.csv": "row, component, probability: each data row's most probable component and "
    "its posterior probability",
    "icpdag.png": "figure of the I-CPDAG with the intervention targets",
    "selection.png": "the model-selection curve with the chosen k and the cap",
    "targets.png": "intervention targets per component",
    "stability.json": "with --stability N: how often each K, edge, orientation, target and "
    "observational component came back in N refits on random halves of the rows",
    "stability.png": "with --stability N: edge-frequency and target-frequency heat maps",
}


def _finite_or_none(x: float) -> float | None:
    return float(x) if math.isfinite(float(x)) else None


def _label_counts(labels: Any, K: int) -> np.ndarray:
    """Rows per component; a lazy dask ``labels_`` (dask input) is counted in one pass."""
    if hasattr(labels, "compute"):
        import dask.array as da

        return np.asarray(da.bincount(labels, minlength=K).compute())
    return np.bincount(labels, minlength=K)


def result_to_dict(estimator: Any, data_info: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The JSON-serialisable description of a fitted estimator (see the module docstring)."""
    names = [str(n) for n in estimator.node_names_]
    K = int(estimator.n_components_)
    counts = _label_counts(estimator.labels_, K)
    directed, undirected = edges(estimator.icpdag_)
    params = {
        k: (v if isinstance(v, str | int | float | bool | type(None)) else repr(v))
        for k, v in estimator.get_params().items()
    }
    components = []
    for k in range(K):
        t = sorted(estimator.targets_[k])
        components.append(
            {
                "index": k,
                "observational": k == estimator.observational_component_,
                "weight": float(estimator.weights_[k]),
                "n_rows": int(counts[k]),
                "effective_size": float(estimator.effective_sizes_[k]),
                "targets": [names[i] for i in t],
                "target_indices": t,
                "mean": estimator.means_[k].tolist(),
                "covariance": estimator.covariances_[k].tolist(),
            }
        )
    curve = estimator.selection_curve_
    return {
        "schema": RESULT_SCHEMA,
        "causalmix_version": __version__,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "nodes": names,
        "data": dict(data_info or {}),
        "parameters": params,
        "n_components": K,
        "observational": {
            "component": int(estimator.observational_component_),
            "method": estimator.observational_method_,
            "candidates": estimator.observational_scores_,
        },
        "components": components,
        "selection": {
            "criterion": estimator.selection_criterion_,
            "curve": {str(k): _finite_or_none(v) for k, v in curve.items()},
            "chosen": K,
        },
        "dag": {
            "edges": [
                [names[i], names[j]] for i, j in zip(*np.nonzero(estimator.adjacency_), strict=True)
            ]
        },
        "icpdag": {
            "directed": [[names[i], names[j]] for i, j in directed],
            "undirected": [[names[i], names[j]] for i, j in undirected],
        },
        "diagnostics": [_check_to_json(c) for c in getattr(estimator, "diagnostics_", ())],
    }


def _check_to_json(check: Any) -> dict[str, Any]:
    out = check.to_dict()
    for key in ("value", "threshold"):
        if out[key] is not None:
            out[key] = _finite_or_none(out[key])
    return out


def graph_to_dot(
    graph: object, names: Sequence[str], targets: Sequence[frozenset[int]] = ()
) -> str:
    """Graphviz DOT text of a DAG or I-CPDAG; undirected edges get ``dir=none``, targets are filled."""
    A = check_adjacency(graph, "graph")
    hit: dict[int, list[int]] = {}
    for k, t in enumerate(targets):
        for v in t:
            hit.setdefault(int(v), []).append(k)
    lines = ["digraph causalmix {", "  node [shape=ellipse];"]
    for v, name in enumerate(names):
        label = json.dumps(str(name))
        if v in hit:
            comps = ",".join(map(str, hit[v]))
            lines.append(
                f'  n{v} [label={label}, style=filled, fillcolor=orange, xlabel="I{comps}"];'
            )
        else:
            lines.append(f"  n{v} [label={label}];")
    directed, undirected = edges(A)
    lines += [f"  n{i} -> n{j};" for i, j in directed]
    lines += [f"  n{i} -> n{j} [dir=none, style=dashed];" for i, j in undirected]
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_result(
    out_dir: Path,
    estimator: Any,
    data_info: Mapping[str, Any] | None = None,
    *,
    plots: bool = True,
    extra_files: Sequence[str] = (),
) -> list[Path]:
    """Write result.json, dag.csv, icpdag.{csv,graphml,dot} and PNG figures into ``out_dir``.

    ``out_dir`` must exist (the CLI passes the temporary directory of
    :func:`causalmix.io.atomic_output_dir`). ``extra_files`` (names in :data:`OUTPUT_FILES`, e.g.
    ``labels.csv`` written by the caller) are listed in result.json's ``files``. Returns the
    written paths.
    """
    import networkx as nx
    import pandas as pd

    names = [str(n) for n in estimator.node_names_]
    written = []
    path = out_dir / "dag.csv"
    pd.DataFrame(estimator.adjacency_, index=names, columns=names).to_csv(path)
    written.append(path)
    path = out_dir / "icpdag.csv"
    pd.DataFrame(estimator.icpdag_, index=names, columns=names).to_csv(path)
    written.append(path)
    path = out_dir / "icpdag.graphml"
    nx.write_graphml(estimator.to_networkx(graph="icpdag"), path)
    written.append(path)
    path = out_dir / "icpdag.dot"
    path.write_text(graph_to_dot(estimator.icpdag_, names, estimator.targets_))
    written.append(path)
    stab = getattr(estimator, "stability_", None)
    if stab is not None:
        path = out_dir / "stability.json"
        path.write_text(json.dumps(stab.to_dict(), indent=2) + "\n")
        written.append(path)
    if plots:
        written += write_figures(out_dir, estimator, names)
    result = result_to_dict(estimator, data_info)
    listed = ["result.json", *sorted({p.name for p in written} | set(extra_files))]
    result["files"] = {name: OUTPUT_FILES[name] for name in listed if name in OUTPUT_FILES}
    path = out_dir / "result.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    return [path, *written]


def write_labels(
    path: Path, rows: Sequence[Any], labels: np.ndarray, probabilities: np.ndarray
) -> Path:
    """Write ``labels.csv``: one line per data row with its component and that posterior.

    Parameters
    ----------
    path : Path
        The file to write.
    rows : sequence
        Row identifiers (the index column's values, else 0-based row positions).
    labels : ndarray of shape (N,)
        Most probable component per row.
    probabilities : ndarray of shape (N, K)
        Posterior component probabilities per row.
    """
    import pandas as pd

    labels = np.asarray(labels)
    prob = np.asarray(probabilities)[np.arange(labels.size), labels]
    pd.DataFrame({"row": list(rows), "component": labels, "probability": prob}).to_csv(
        path, index=False, float_format="%.6g"
    )
    return path


def _edges_to_adjacency(
    pairs: Sequence[Sequence[Any]], index: Mapping[Any, int], p: int
) -> np.ndarray:
    A = np.zeros((p, p), dtype=np.int8)
    for a, b in pairs:
        A[index[a], index[b]] = 1
    return A


def evaluate(result: Mapping[str, Any], truth: Mapping[str, Any]) -> dict[str, Any]:
    """Score a ``result.json`` against a ground truth (``MixtureSample.truth_dict()`` format).

    Conventions: DAG SHD counts a reversal once; I-CPDAG SHD scores one point per
    node pair whose adjacency or mark differs; components are matched by the Hungarian assignment
    on ``‖μ − μ'‖₁ + ‖Σ − Σ'‖₁``; the weight error is ``Σ |π̂ − π|`` against the true weights; the
    target Jaccard treats the observational target set as ∅ (both empty → 1) and scores unmatched
    true components 0.

    Raises
    ------
    ValueError
        If the two files describe different numbers of nodes.
    """
    from causalmix import metrics
    from causalmix.graphs import dag_to_icpdag

    p = len(result["nodes"])
    if int(truth["n_nodes"]) != p:
        raise ValueError(f"result has {p} nodes but truth has {truth['n_nodes']}")
    by_index = {i: i for i in range(p)}
    by_name = {name: i for i, name in enumerate(result["nodes"])}
    true_dag = _edges_to_adjacency(truth["dag_edges"], by_index, p)
    est_dag = _edges_to_adjacency(result["dag"]["edges"], by_name, p)
    est_icpdag = _edges_to_adjacency(result["icpdag"]["directed"], by_name, p)
    und = _edges_to_adjacency(result["icpdag"]["undirected"], by_name, p)
    est_icpdag |= und | und.T
    true_targets = [frozenset(t) for t in truth["targets"]]
    obs = truth.get("observational")
    true_icpdag = dag_to_icpdag(true_dag, [t for k, t in enumerate(true_targets) if k != obs])
    comps = result["components"]
    est_means = np.array([c["mean"] for c in comps])
    est_covs = np.array([c["covariance"] for c in comps])
    matching = metrics.match_components(
        est_means, est_covs, np.asarray(truth["means"]), np.asarray(truth["covariances"])
    )
    est_targets = [frozenset(c["target_indices"]) for c in comps]
    jac = metrics.target_jaccard(est_targets, true_targets, matching, observational=obs)
    est_obs = result["observational"]["component"]
    obs_match = None if obs is None else int(matching.true_to_est[obs]) == int(est_obs)
    return {
        "n_components_true": int(truth["n_components"]),
        "n_components_est": int(result["n_components"]),
        "observational_correct": obs_match,
        "shd": int(metrics.shd(est_dag, true_dag)),
        "icpdag_shd": int(metrics.icpdag_shd(est_icpdag, true_icpdag)),
        "n_edges_true": int(true_dag.sum()),
        "parameter_error": float(matching.total_distance),
        "weight_error": float(
            metrics.weight_error([c["weight"] for c in comps], truth["weights"], matching)
        ),
        "jaccard_all": float(jac.mean_all),
        "jaccard_interventional": float(jac.mean_interventional),
    }
