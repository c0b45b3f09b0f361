"""Figures draw what they are given and reject mismatched names."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from causalmix.plotting import (
    plot_edge_frequencies,
    plot_graph,
    plot_selection_curve,
    plot_target_frequencies,
    plot_targets,
)
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


def test_plot_graph_edge_frequency_sets_width_and_label():
    g = make_dag(3, [(0, 1), (1, 2), (2, 1)])  # 0 -> 1, 1 - 2
    freq = np.array([[0, 0.9, 0], [0, 0, 0.2], [0, 0.6, 0]])
    fig, ax = plt.subplots()
    plot_graph(g, edge_frequency=freq, ax=ax)
    arrow = next(p for p in ax.patches if type(p).__name__ == "FancyArrowPatch")
    assert arrow.get_linewidth() == pytest.approx(0.4 + 3.0 * 0.9)
    assert ax.lines[0].get_linewidth() == pytest.approx(0.4 + 3.0 * 0.6)  # the larger entry
    assert {"0.90", "0.60"} <= {t.get_text() for t in ax.texts}
    plt.close(fig)


@pytest.mark.parametrize(
    ("freq", "match"),
    [(np.zeros((2, 2)), r"edge_frequency must have shape \(3, 3\), got \(2, 2\)"),
     (np.full((3, 3), 1.5), r"edge_frequency must hold frequencies in \[0, 1\]")],
)  # fmt: skip
def test_plot_graph_rejects_bad_edge_frequency(freq, match):
    with pytest.raises(ValueError, match=match):
        plot_graph(np.zeros((3, 3), dtype=np.int8), edge_frequency=freq)


def test_frequency_heat_maps():
    fig, (a, b) = plt.subplots(1, 2)
    F = np.array([[0, 0.95], [0.05, 0]])
    assert plot_edge_frequencies(F, names=["a", "b"], ax=a) is a
    np.testing.assert_array_equal(a.images[0].get_array(), F)
    assert {".95", ".05"} <= {t.get_text() for t in a.texts}
    T = np.array([[0, 0], [1.0, 0.1]])
    plot_target_frequencies(T, names=["a", "b"], observational=[0.9, 0.1], ax=b)
    assert [t.get_text() for t in b.get_yticklabels()] == ["0 (obs 0.90)", "1 (obs 0.10)"]
    assert "1" in {t.get_text() for t in b.texts}
    plt.close(fig)


@pytest.mark.parametrize(
    ("call", "match"),
    [(lambda: plot_edge_frequencies(np.zeros((2, 3))), r"square \(p, p\) matrix, got shape \(2, 3\)"),
     (lambda: plot_edge_frequencies(-np.ones((2, 2))), r"frequency must hold frequencies in \[0, 1\]"),
     (lambda: plot_target_frequencies(np.zeros(3)), r"\(K, p\) matrix, got shape \(3,\)"),
     (lambda: plot_target_frequencies(np.zeros((2, 3)), observational=[1.0]),
      r"observational must have shape \(2,\), got \(1,\)"),
     (lambda: plot_target_frequencies(np.zeros((2, 3)), names=["a"]), "names must have 3 entries")],
)  # fmt: skip
def test_frequency_heat_maps_reject_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_plot_selection_curve_marks_cap_sweep_and_direction():
    fig, ax = plt.subplots()
    plot_selection_curve({4: 1.0, 5: 0.5}, chosen=5, criterion="BIC per row",
                         sweep=[3.0, 2.0, 1.5, 1.1, 0.6, 0.7], max_components=7,
                         lower_is_better=True, ax=ax)  # fmt: skip
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["sweep", "all rows", "chosen k = 5", "cap k = 7"]
    assert ax.get_ylabel() == "BIC per row (lower is better)"
    assert [int(t) for t in ax.get_xticks()] == [1, 2, 3, 4, 5, 6, 7]
    plt.close(fig)
