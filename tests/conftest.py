"""Shared test helpers and fixtures."""

from __future__ import annotations

import builtins

import numpy as np
import pytest


def make_dag(p: int, arcs) -> np.ndarray:
    """Adjacency matrix with ``A[i, j] = 1`` for every arc ``(i, j)``."""
    A = np.zeros((p, p), dtype=np.int8)
    for i, j in arcs:
        A[i, j] = 1
    return A


def random_dag(p: int, edge_prob: float, rng: np.random.Generator) -> np.ndarray:
    """A random DAG: upper-triangular Erdős–Rényi, then a random relabelling of the nodes."""
    A = np.triu(rng.random((p, p)) < edge_prob, k=1).astype(np.int8)
    perm = rng.permutation(p)
    return A[np.ix_(perm, perm)]


@pytest.fixture(scope="session")
def cli_simulation(tmp_path_factory):
    """The folder ``causalmix simulate --nodes 4 --samples 3000 --seed 3`` writes (read only).

    It holds data.csv, truth.json and labels.csv: five components of 600 rows, the first
    observational, four do-interventions on one node each.
    """
    from causalmix.cli import main

    out = tmp_path_factory.mktemp("sim") / "sim"
    code = main(
        ["-q", "simulate", "--nodes", "4", "--samples", "3000", "--seed", "3", "--out", str(out)]
    )
    assert code == 0
    return out


@pytest.fixture
def no_dask(monkeypatch):
    """Every ``import dask...`` fails, as when the dask extra is not installed."""
    real_import = builtins.__import__

    def refuse_dask(name, *args, **kwargs):
        if name.startswith("dask"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", refuse_dask)
