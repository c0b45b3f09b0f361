"""Figures: the learned graph with intervention targets, the model-selection curve, targets per component.

matplotlib is imported lazily, so ``import causalmix`` stays light. Every function takes an optional
``ax`` and returns the Axes it drew on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from causalmix.graphs import check_adjacency, edges

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["plot_graph", "plot_selection_curve", "plot_targets"]


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize)
    return ax


def _names(names: Sequence[str] | None, p: int) -> list[str]:
    if names is None:
        return [str(i) for i in range(p)]
    if len(names) != p:
        raise ValueError(f"names must have {p} entries (one per node), got {len(names)}")
    return [str(n) for n in names]


def plot_graph(
    graph: object,
    *,
    targets: Sequence[frozenset[int]] | None = None,
    names: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Draw a DAG or (I-)CPDAG on a circle; nodes that are intervention targets are highlighted.

    Parameters
    ----------
    graph : array-like of shape (p, p)
        Adjacency in the causalmix convention; undirected edges (both entries set) are drawn as plain
        lines, arcs as arrows.
    targets : sequence of frozenset of int, optional
        Target sets per component; a targeted node is filled orange and annotated with the
        components that hit it.
    names : sequence of str, optional
        Node labels (default ``0..p-1``).
    """
    import matplotlib.patches as mpatches

    A = check_adjacency(graph, "graph")
    p = A.shape[0]
    labels = _names(names, p)
    ax = _axes(ax, (6.0, 6.0))
    angle = np.pi / 2 - 2 * np.pi * np.arange(p) / max(p, 1)
    pos = np.c_[np.cos(angle), np.sin(angle)]
    hit: dict[int, list[int]] = {}
    for k, t in enumerate(targets or ()):
        for v in t:
            hit.setdefault(int(v), []).append(k)
    directed, undirected = edges(A)
    radius = 0.11
    for i, j in directed:
        ax.add_patch(
            mpatches.FancyArrowPatch(
                pos[i], pos[j], arrowstyle="-|>", mutation_scale=14, color="0.2", lw=1.3,
                shrinkA=radius * 150, shrinkB=radius * 150,
            )
        )  # fmt: skip
    for i, j in undirected:
        ax.plot(*np.c_[pos[i], pos[j]], color="tab:blue", lw=1.6, ls="--")
    for v in range(p):
        face = "tab:orange" if v in hit else "white"
        ax.add_patch(
            mpatches.Circle(pos[v], radius, facecolor=face, edgecolor="0.1", lw=1.2, zorder=3)
        )
        ax.text(*pos[v], labels[v], ha="center", va="center", fontsize=8, zorder=4)
        if v in hit:
            ax.text(
                *(pos[v] * 1.28), "I" + ",".join(str(k) for k in hit[v]),
                ha="center", va="center", fontsize=7, color="tab:red",
            )  # fmt: skip
    handles = [
        mpatches.Patch(
            facecolor="tab:orange", edgecolor="0.1", label="intervention target (I<component>)"
        ),
        mpatches.Patch(color="tab:blue", label="undirected: not identified"),
    ]
    ax.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, -0.12),
        fontsize=7,
        ncol=2,
        frameon=False,
    )
    ax.set_xlim(-1.5, 1.5)
    ax.set_ylim(-1.5, 1.5)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax


def plot_selection_curve(
    curve: Mapping[int, float] | Sequence[float],
    *,
    chosen: int | None = None,
    criterion: str = "score",
    ax: Axes | None = None,
) -> Axes:
    """Plot the model-selection score against the number of components, marking the choice.

    Parameters
    ----------
    curve : mapping k -> score, or a sequence of scores for k = 1, 2, ...
        Unfitted ``k`` may be NaN and are skipped.
    chosen : int, optional
        The selected number of components.
    criterion : str
        Axis label.
    """
    if isinstance(curve, Mapping):
        ks = np.array(sorted(curve), dtype=float)
        vals = np.array([curve[int(k)] for k in ks], dtype=float)
    else:
        vals = np.asarray(curve, dtype=float)
        ks = np.arange(1, len(vals) + 1, dtype=float)
    ok = np.isfinite(vals)
    ax = _axes(ax, (5.0, 3.5))
    ax.plot(ks[ok], vals[ok], "o-", color="tab:blue")
    if chosen is not None:
        ax.axvline(chosen, color="tab:red", ls="--", lw=1, label=f"chosen k = {chosen}")
        ax.legend(frameon=False)
    ax.set_xlabel("number of components k")
    ax.set_ylabel(criterion)
    ax.set_xticks(ks[ok])
    ax.grid(alpha=0.3)
    return ax


def plot_targets(
    targets: Sequence[frozenset[int]],
    n_nodes: int,
    *,
    weights: Sequence[float] | None = None,
    names: Sequence[str] | None = None,
    observational: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Components × nodes matrix of inferred intervention targets."""
    labels = _names(names, n_nodes)
    M = np.zeros((len(targets), n_nodes))
    for k, t in enumerate(targets):
        M[k, list(t)] = 1
    ax = _axes(ax, (0.5 * n_nodes + 2, 0.4 * len(targets) + 1.5))
    ax.imshow(M, cmap="Oranges", vmin=0, vmax=1.3, aspect="auto")
    rows = []
    for k in range(len(targets)):
        tag = " (obs)" if k == observational else ""
        w = f" w={weights[k]:.2f}" if weights is not None else ""
        rows.append(f"{k}{tag}{w}")
    ax.set_yticks(range(len(targets)), rows, fontsize=8)
    ax.set_xticks(range(n_nodes), labels, rotation=60, fontsize=8)
    ax.set_xlabel("node")
    ax.set_ylabel("component")
    return ax
