"""Figures draw what they are given and reject mismatched names."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from causalmix.plotting import plot_graph, plot_selection_curve, plot_targets
from tests.conftest import make_dag


def test_plot_graph_draws_arrows_and_undirected_lines():
    g = make_dag(3, [(0, 1), (1, 2), (2, 1)])  # 0 -> 1, 1 - 2
    fig, ax = plt.subplots()
    out = plot_graph(g, targets=[frozenset(), frozenset({0})], names=["a", "b", "c"], ax=ax)
    assert out is ax
    arrows = [p for p in ax.patches if type(p).__name__ == "FancyArrowPatch"]
    assert len(arrows) == 1
    assert len(ax.lines) == 1  # the undirected edge
    texts = [t.get_text() for t in ax.texts]
    assert "I1" in texts and {"a", "b", "c"} <= set(texts)
    plt.close(fig)


def test_plot_selection_curve_skips_nan():
    fig, ax = plt.subplots()
    plot_selection_curve({1: -5.0, 2: -3.0, 3: np.nan}, chosen=2, criterion="bic", ax=ax)
    xs = ax.lines[0].get_xdata()
    assert list(xs) == [1.0, 2.0]
    plt.close(fig)


def test_plot_targets_matrix():
    fig, ax = plt.subplots()
    plot_targets([frozenset(), frozenset({1})], 3, weights=[0.5, 0.5], observational=0, ax=ax)
    img = ax.images[0].get_array()
    assert img.tolist() == [[0, 0, 0], [0, 1, 0]]
    plt.close(fig)


def test_names_length_checked():
    with pytest.raises(ValueError, match="names must have 2 entries"):
        plot_graph(np.zeros((2, 2)), names=["a"])
