"""Sachs loader (skipped with a reason when the shared data are absent)."""

from __future__ import annotations

import numpy as np
import pytest

from causalmix.datasets import SACHS_NODES, find_sachs_csv, load_sachs

try:
    SACHS = find_sachs_csv()
except FileNotFoundError:
    SACHS = None

needs_sachs = pytest.mark.skipif(SACHS is None, reason="../shared/data/sachs.csv not found")


@needs_sachs
def test_paper_mixture_shape_and_truth():
    data = load_sachs()
    assert data.X.shape == (5846, 11)
    assert data.node_names == list(SACHS_NODES)
    assert np.bincount(data.labels).tolist() == [1755, 911, 723, 810, 799, 848]
    names = [sorted(SACHS_NODES[i] for i in t) for t in data.targets]
    assert names == [[], ["Akt"], ["PKC"], ["PIP2"], ["Mek"], ["PIP3"]]
    assert data.dag.sum() == 18
    assert data.dag[SACHS_NODES.index("Raf"), SACHS_NODES.index("Mek")] == 1


@needs_sachs
def test_log_transform_and_subset():
    raw = load_sachs(experiments=[1, 3])
    logged = load_sachs(experiments=[1, 3], log_transform=True)
    np.testing.assert_allclose(logged.X.to_numpy(), np.log(raw.X.to_numpy()))
    assert len(raw.targets) == 2


@needs_sachs
def test_bad_experiments():
    with pytest.raises(ValueError, match=r"experiments must be among .* unknown \[9\]"):
        load_sachs(experiments=[1, 9])
    with pytest.raises(ValueError, match="must include an observational one"):
        load_sachs(experiments=[3, 4])


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="Sachs data not found"):
        find_sachs_csv(tmp_path / "absent.csv")


def test_bad_columns(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("Raf,Mek\n1,2\n")
    with pytest.raises(ValueError, match="lacks the columns"):
        load_sachs(path)


def _touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")
    return path


def test_search_places_are_only_the_documented_ones(tmp_path, monkeypatch):
    # a package installed at tmp/site/src/causalmix (no pyproject.toml: not a source checkout);
    # a sachs.csv in ../shared/data of a folder further up must not be found
    import causalmix.datasets as datasets

    monkeypatch.setattr(datasets, "__file__", str(tmp_path / "site/src/causalmix/datasets.py"))
    monkeypatch.delenv("CAUSALMIX_SACHS", raising=False)
    _touch(tmp_path / "shared/data/sachs.csv")  # ../shared of tmp/site: only a parent walk finds it
    cwd = tmp_path / "work/run"
    cwd.mkdir(parents=True)
    monkeypatch.chdir(cwd)
    with pytest.raises(FileNotFoundError, match=r"tried [^,]*work/shared/data/sachs\.csv\)"):
        find_sachs_csv()
    # the working directory's ../shared/data
    found = _touch(tmp_path / "work/shared/data/sachs.csv")
    assert find_sachs_csv() == found
    found.unlink()
    # a source checkout's ../shared/data (tmp/site is the checkout root once it has pyproject.toml)
    _touch(tmp_path / "site/pyproject.toml")
    assert find_sachs_csv() == tmp_path / "shared/data/sachs.csv"
    # $CAUSALMIX_SACHS first, an explicit path before everything
    env = _touch(tmp_path / "env.csv")
    monkeypatch.setenv("CAUSALMIX_SACHS", str(env))
    assert find_sachs_csv() == env
    assert find_sachs_csv(tmp_path / "shared/data/sachs.csv") == tmp_path / "shared/data/sachs.csv"
