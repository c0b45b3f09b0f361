"""The PNG figures of a result directory (written by :func:`causalmix.report.write_result`).

matplotlib is imported only when a figure is drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["write_figures"]


def write_figures(out_dir: Path, estimator: Any, names: Sequence[str]) -> list[Path]:
    """Draw the I-CPDAG, selection curve, targets (and stability) figures; return their paths."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    from causalmix.plotting import plot_graph, plot_selection_curve, plot_targets

    paths = []
    stab = getattr(estimator, "stability_", None)
    fig, ax = plt.subplots(figsize=(6.5, 6.5))
    title = "learned I-CPDAG (targets in orange)"
    if stab is not None:
        title += f"\nedge label = frequency in {stab.n_resamples} resamples"
    plot_graph(
        estimator.icpdag_,
        targets=estimator.targets_,
        names=names,
        ax=ax,
        title=title,
        edge_frequency=None if stab is None else stab.reference_frequency(),
    )
    paths.append(out_dir / "icpdag.png")
    fig.savefig(paths[-1], dpi=110, bbox_inches="tight")
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(6.0, 4.0))
    _selection_figure(estimator, ax, plot_selection_curve)
    paths.append(out_dir / "selection.png")
    fig.savefig(paths[-1], dpi=110, bbox_inches="tight")
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(0.5 * len(names) + 2.5, 0.4 * estimator.n_components_ + 1.8))
    plot_targets(
        estimator.targets_,
        len(names),
        weights=estimator.weights_,
        names=names,
        observational=estimator.observational_component_,
        ax=ax,
    )
    paths.append(out_dir / "targets.png")
    fig.savefig(paths[-1], dpi=110, bbox_inches="tight")
    plt.close(fig)
    if stab is not None:
        paths.append(_stability_figure(out_dir / "stability.png", stab, names))
    return paths


def _selection_figure(estimator: Any, ax: Any, plot: Any) -> None:
    """The selection curve per row: the full-data fits, the sweep that tried every k, the cap."""
    sel = getattr(estimator, "selection_", None)
    K = estimator.n_components_
    if sel is None:  # a fixed number of components: nothing was selected
        ax.text(0.5, 0.5, f"n_components fixed at {K}: no selection", ha="center", va="center")
        ax.axis("off")
        return
    criterion = str(sel.criterion)
    if criterion == "drop_ratio":
        plot(
            sel.curve[1:],
            chosen=K,
            criterion="drop ratio of the log-likelihood",
            max_components=sel.max_components,
            curve_label="all rows",
            ax=ax,
        )
        if sel.cutoff is not None:
            ax.axhline(sel.cutoff, color="tab:green", lw=1, label=f"cutoff {sel.cutoff:g}")
            ax.legend(frameon=False, fontsize=8)
        ax.set_title("chosen: the largest k whose drop ratio exceeds the cutoff", fontsize=9)
        return
    # the curve is on all rows, or on the random sample that large data are selected on
    n = getattr(sel, "n_selection_samples", None) or int(estimator.effective_sizes_.sum().round())
    sweep = None
    if sel.n_sweep_samples < n:
        sweep = sel.sweep_curve[1:] / sel.n_sweep_samples
    plot(
        sel.curve[1:] / n,
        chosen=K,
        criterion=f"{criterion.upper()} per row",
        sweep=sweep,
        max_components=sel.max_components,
        lower_is_better=True,
        curve_label=f"fits on {n} rows",
        sweep_label=f"sweep on {sel.n_sweep_samples} rows",
        ax=ax,
    )


def _stability_figure(path: Path, stab: Any, names: Sequence[str]) -> Path:
    """stability.png: edge-frequency and target-frequency heat maps side by side."""
    import matplotlib.pyplot as plt

    from causalmix.plotting import plot_edge_frequencies, plot_target_frequencies

    p, K = len(names), stab.target_frequency.shape[0]
    fig, (left, right) = plt.subplots(1, 2, figsize=(0.9 * p + 5, max(0.45 * p, 0.4 * K) + 2))
    plot_edge_frequencies(stab.directed + stab.undirected, names=names, ax=left)
    plot_target_frequencies(
        stab.target_frequency, names=names, observational=stab.observational_frequency, ax=right
    )
    ks = ", ".join(f"K={k}: {f:.2f}" for k, f in stab.k_frequencies.items())
    fig.suptitle(f"{stab.n_resamples} resamples of {stab.fraction:g} N rows; {ks}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path
