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

__all__ = [
    "plot_edge_frequencies",
    "plot_graph",
    "plot_selection_curve",
    "plot_target_frequencies",
    "plot_targets",
]


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
    edge_frequency: object = None,
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
    edge_frequency : array-like of shape (p, p), optional
        Resampling frequency of each drawn edge (``[i, j]`` for the arc ``i -> j``; either entry
        for an undirected edge), e.g. from :class:`causalmix.StabilityResult`: sets the line width
        and labels the edge.

    Raises
    ------
    ValueError
        If ``names`` or ``edge_frequency`` do not match the graph's size, or a frequency lies
        outside [0, 1].
    """
    import matplotlib.patches as mpatches

    A = check_adjacency(graph, "graph")
    p = A.shape[0]
    labels = _names(names, p)
    freq = _frequencies(edge_frequency, (p, p), "edge_frequency")

    def width(i: int, j: int, base: float) -> float:
        return base if freq is None else 0.4 + 3.0 * max(freq[i, j], freq[j, i])

    def label(i: int, j: int) -> None:
        if freq is not None:
            mid = pos[i] + 0.42 * (pos[j] - pos[i])  # off-centre: crossing edges keep apart
            text = f"{max(freq[i, j], freq[j, i]):.2f}"
            ax.text(
                *mid,
                text,
                ha="center",
                va="center",
                fontsize=7,
                color="0.15",
                bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8},
            )

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
                pos[i],
                pos[j],
                arrowstyle="-|>",
                mutation_scale=14,
                color="0.2",
                lw=width(i, j, 1.3),
                shrinkA=radius * 150,
                shrinkB=radius * 150,
            )
        )
        label(i, j)
    for i, j in undirected:
        ax.plot(*np.c_[pos[i], pos[j]], color="tab:blue", lw=width(i, j, 1.6), ls="--")
        label(i, j)
    for v in range(p):
        face = "tab:orange" if v in hit else "white"
        ax.add_patch(
            mpatches.Circle(pos[v], radius, facecolor=face, edgecolor="0.1", lw=1.2, zorder=3)
        )
        ax.text(*pos[v], labels[v], ha="center", va="center", fontsize=8, zorder=4)
        if v in hit:
            ax.text(
                *(pos[v] * 1.28),
                "I" + ",".join(str(k) for k in hit[v]),
                ha="center",
                va="center",
                fontsize=7,
                color="tab:red",
            )
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


def _as_curve(curve: Mapping[int, float] | Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """(k, value) of the finite entries of a mapping k -> value or a sequence for k = 1, 2, ..."""
    if isinstance(curve, Mapping):
        ks = np.array(sorted(curve), dtype=float)
        vals = np.array([curve[int(k)] for k in ks], dtype=float)
    else:
        vals = np.asarray(curve, dtype=float)
        ks = np.arange(1, len(vals) + 1, dtype=float)
    ok = np.isfinite(vals)
    return ks[ok], vals[ok]


def plot_selection_curve(
    curve: Mapping[int, float] | Sequence[float],
    *,
    chosen: int | None = None,
    criterion: str = "score",
    sweep: Mapping[int, float] | Sequence[float] | None = None,
    max_components: int | None = None,
    lower_is_better: bool | None = None,
    curve_label: str = "all rows",
    sweep_label: str = "sweep",
    ax: Axes | None = None,
) -> Axes:
    """Plot the model-selection score against the number of components, marking choice and cap.

    Parameters
    ----------
    curve : mapping k -> score, or a sequence of scores for k = 1, 2, ...
        The scores that decided (for causalmix's criteria, the fits on all rows). Unfitted ``k``
        may be NaN and are skipped.
    chosen : int, optional
        The selected number of components (a red dashed line).
    criterion : str
        Axis label.
    sweep : mapping or sequence, optional
        A second curve drawn dashed, e.g. the subsample sweep that tried every k up to where it
        stopped (put both on one scale first, e.g. per row).
    max_components : int, optional
        The largest k allowed (a wide grey line; the x axis runs to it).
    lower_is_better : bool, optional
        Added to the axis label ("lower is better" / "higher is better").
    curve_label, sweep_label : str
        Legend entries of the two curves.
    """
    ks, vals = _as_curve(curve)
    ax = _axes(ax, (5.0, 3.5))
    ticks = set(ks.tolist())
    if sweep is not None:
        sk, sv = _as_curve(sweep)
        ax.plot(sk, sv, "s--", color="0.55", ms=4, label=sweep_label)
        ticks |= set(sk.tolist())
    ax.plot(ks, vals, "o-", color="tab:blue", label=curve_label)
    if chosen is not None:
        ax.axvline(chosen, color="tab:red", ls="--", lw=1, label=f"chosen k = {chosen}")
    if max_components is not None:
        ax.axvline(max_components, color="0.5", lw=5, alpha=0.3, label=f"cap k = {max_components}")
        ticks |= set(range(1, max_components + 1))
    if sweep is not None or chosen is not None or max_components is not None:
        ax.legend(frameon=False, fontsize=8)
    ax.set_xlabel("number of components k")
    better = {None: "", True: " (lower is better)", False: " (higher is better)"}[lower_is_better]
    ax.set_ylabel(criterion + better)
    ax.set_xticks(sorted(ticks))
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


def _frequencies(values: object, shape: tuple[int, ...], name: str) -> np.ndarray | None:
    if values is None:
        return None
    F = np.asarray(values, dtype=float)
    if F.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {F.shape}")
    if not np.all((F >= 0) & (F <= 1)):
        raise ValueError(f"{name} must hold frequencies in [0, 1]")
    return F


def _heat_map(F: np.ndarray, ax: Axes, cmap: str) -> None:
    image = ax.imshow(F, cmap=cmap, vmin=0, vmax=1, aspect="auto")
    if F.size <= 400:  # numbers stay legible up to 20 x 20 cells
        for (r, c), v in np.ndenumerate(F):
            if v > 0:
                color = "white" if v > 0.6 else "black"
                ax.text(
                    c,
                    r,
                    f"{v:.2f}"[1:] if v < 1 else "1",
                    ha="center",
                    va="center",
                    fontsize=6,
                    color=color,
                )
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="frequency")


def plot_edge_frequencies(
    frequency: object, *, names: Sequence[str] | None = None, ax: Axes | None = None
) -> Axes:
    """Heat map of edge frequencies: row ``i``, column ``j`` = how often ``i -> j`` (or ``i - j``).

    Parameters
    ----------
    frequency : array-like of shape (p, p)
        E.g. ``result.directed + result.undirected`` of a :class:`causalmix.StabilityResult`:
        a stably oriented edge shows one dark cell, an edge whose orientation is not identified
        two (``[i, j]`` and ``[j, i]``).

    Raises
    ------
    ValueError
        If ``frequency`` is not square with entries in [0, 1], or ``names`` has the wrong length.
    """
    F = np.asarray(frequency, dtype=float)
    if F.ndim != 2 or F.shape[0] != F.shape[1]:
        raise ValueError(f"frequency must be a square (p, p) matrix, got shape {F.shape}")
    _frequencies(F, F.shape, "frequency")
    labels = _names(names, F.shape[0])
    ax = _axes(ax, (0.45 * len(labels) + 2.5, 0.45 * len(labels) + 1.5))
    _heat_map(F, ax, "Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=60, fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_xlabel("to (j)")
    ax.set_ylabel("from (i)")
    ax.set_title("edge frequency: i → j or i − j", fontsize=9)
    return ax


def plot_target_frequencies(
    frequency: object,
    *,
    names: Sequence[str] | None = None,
    observational: Sequence[float] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Heat map of target frequencies: components (rows) × nodes (columns).

    Parameters
    ----------
    frequency : array-like of shape (K, p)
        ``result.target_frequency`` of a :class:`causalmix.StabilityResult`.
    observational : sequence of float (K,), optional
        How often each component is the observational one (shown in the row labels).

    Raises
    ------
    ValueError
        If ``frequency`` is not 2-D with entries in [0, 1], or ``names`` / ``observational`` have
        the wrong length.
    """
    F = np.asarray(frequency, dtype=float)
    if F.ndim != 2:
        raise ValueError(f"frequency must be a (K, p) matrix, got shape {F.shape}")
    _frequencies(F, F.shape, "frequency")
    obs = _frequencies(observational, (F.shape[0],), "observational")
    labels = _names(names, F.shape[1])
    ax = _axes(ax, (0.45 * len(labels) + 2.5, 0.4 * F.shape[0] + 1.5))
    _heat_map(F, ax, "Oranges")
    rows = [f"{k}" + ("" if obs is None else f" (obs {obs[k]:.2f})") for k in range(F.shape[0])]
    ax.set_yticks(range(F.shape[0]), rows, fontsize=8)
    ax.set_xticks(range(len(labels)), labels, rotation=60, fontsize=8)
    ax.set_xlabel("node")
    ax.set_ylabel("component of the full fit")
    ax.set_title("target frequency", fontsize=9)
    return ax
