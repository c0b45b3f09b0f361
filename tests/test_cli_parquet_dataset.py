"""``causalmix fit`` on a Parquet directory, glob or several files (issue #14): the dask path."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from causalmix import MixtureUTIGSP
from causalmix._parquet_dataset import find_files, is_dataset, read_dataset
from causalmix.cli import main
from causalmix.io import DataError
from causalmix.mixture import _chunked, large
from causalmix.simulate import do_intervention, random_sem, sample_mixture

pytest.importorskip("dask.dataframe", reason="the dask extra (causalmix[dask]) is not installed")
pytest.importorskip("pyarrow", reason="pyarrow is not installed")
# dask's own Parquet reader calls a pandas API deprecated in pandas 3.1 (not causalmix's code)
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.reset_index")

COLUMNS = ["a", "b", "c", "d"]


def _frame(n: int = 6000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sem = random_sem(4, expected_degree=2.0, random_state=rng)
    ivs = [do_intervention(1, 1.0), do_intervention(3, 1.0)]
    # a copy: the sample's X is read-only, and pandas 2.2 (the declared minimum) would wrap it
    return pd.DataFrame(sample_mixture(sem, ivs, n, random_state=rng).X.copy(), columns=COLUMNS)


def _write_parts(frame: pd.DataFrame, folder, n_parts: int = 3) -> list:
    folder.mkdir(exist_ok=True)
    paths = []
    for i, part in enumerate(np.array_split(np.arange(len(frame)), n_parts)):
        paths.append(folder / f"part{i}.parquet")
        frame.iloc[part].to_parquet(paths[-1])
    return paths


@pytest.mark.slow
def test_directory_glob_and_file_list_equal_the_in_memory_fit(tmp_path, monkeypatch, capsys):
    """Same K, targets, DAG, labels as MixtureUTIGSP.fit on the concatenated rows, statistics
    to 1e-8; the block-wise path (6000 rows > 4000, 1500-row blocks) on both sides."""
    frame = _frame()
    paths = _write_parts(frame, tmp_path / "cells")
    monkeypatch.setattr(large, "IN_MEMORY_ROWS", 4000)
    monkeypatch.setattr(_chunked, "DEFAULT_CHUNK", 1500)
    want = MixtureUTIGSP(random_state=0).fit(frame)
    targets = [sorted(COLUMNS[i] for i in t) for t in want.targets_]
    sources = {
        "dir": [str(tmp_path / "cells")],
        "glob": [str(tmp_path / "cells" / "part*.parquet")],
        "list": [str(p) for p in paths],
    }
    for name, source in sources.items():
        out = tmp_path / f"out-{name}"
        assert main(["fit", *source, "--out", str(out), "--no-plots"]) == 0
        result = json.loads((out / "result.json").read_text())
        assert result["nodes"] == COLUMNS
        assert result["data"]["n_rows"] == 6000
        assert result["n_components"] == want.n_components_
        assert [c["targets"] for c in result["components"]] == targets
        dag = pd.read_csv(out / "dag.csv", index_col=0)
        np.testing.assert_array_equal(dag.to_numpy(), want.adjacency_)
        labels = pd.read_csv(out / "labels.csv")
        np.testing.assert_array_equal(labels["row"], np.arange(6000))
        np.testing.assert_array_equal(labels["component"], want.labels_)
        # identical blocks and summation order; 1e-8 leaves room for a BLAS that splits a
        # block's products differently between calls
        sizes = [c["effective_size"] for c in result["components"]]
        np.testing.assert_allclose(sizes, want.effective_sizes_, rtol=1e-8)
    capsys.readouterr()


def test_dask_frame_fit_names_nodes_and_equals_the_array_fit(tmp_path, monkeypatch):
    import dask.dataframe as dd

    frame = _frame(3000)
    _write_parts(frame, tmp_path / "cells", 2)
    monkeypatch.setattr(large, "IN_MEMORY_ROWS", 2000)  # the block-wise path on both sides
    monkeypatch.setattr(_chunked, "DEFAULT_CHUNK", 1000)
    est = MixtureUTIGSP(random_state=1, n_components=3).fit(dd.read_parquet(tmp_path / "cells"))
    want = MixtureUTIGSP(random_state=1, n_components=3).fit(frame)
    assert est.node_names_ == COLUMNS
    assert est.targets_ == want.targets_
    # same blocks (1000 rows) and summation order on both paths: rounding only
    np.testing.assert_allclose(est.statistics_.grams, want.statistics_.grams, rtol=1e-8)


def test_log_transform_is_lazy_and_exact(tmp_path):
    frame = _frame(400).abs() + 0.5
    _write_parts(frame, tmp_path / "cells", 2)
    got = read_dataset([tmp_path / "cells"], drop_columns=["c"], log_transform=True)
    assert got.columns == ["a", "b", "d"]
    np.testing.assert_allclose(got.frame.compute().to_numpy(), np.log(frame[got.columns]))


def test_is_dataset(tmp_path):
    (tmp_path / "x.csv").write_text("a\n1\n")
    assert is_dataset([tmp_path])
    assert is_dataset([tmp_path / "*.parquet"])
    assert is_dataset([tmp_path / "x.csv", tmp_path / "x.csv"])
    assert not is_dataset([tmp_path / "x.csv"])


def test_file_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"no \*\.parquet file in directory '.*empty'"):
        find_files([tmp_path / "empty"])
    with pytest.raises(DataError, match=r"no file matches the pattern '.*nothing-\*\.parquet'"):
        find_files([str(tmp_path / "nothing-*.parquet")])
    with pytest.raises(DataError, match=r"data file '.*absent\.parquet' does not exist"):
        find_files([tmp_path / "absent.parquet"])
    (tmp_path / "x.csv").write_text("a\n1\n")
    with pytest.raises(
        DataError, match=r"only \.parquet files can be read together, got '.*x\.csv'"
    ):
        find_files([tmp_path / "x.csv", tmp_path / "x.csv"])


def test_missing_extra_names_it(tmp_path, no_dask):
    with pytest.raises(DataError, match=r"pip install 'causalmix\[dask\]'"):
        read_dataset([tmp_path])


def test_column_errors_name_the_file_and_column(tmp_path):
    frame = _frame(100)
    paths = _write_parts(frame, tmp_path / "ok", 2)
    with pytest.raises(DataError, match=r"column\(s\) \['z'\] of drop_columns not found in"):
        read_dataset(paths, drop_columns=["z"])
    with pytest.raises(DataError, match="has no column left to fit"):
        read_dataset(paths, drop_columns=COLUMNS)
    renamed = _write_parts(frame.rename(columns={"d": "e"}), tmp_path / "renamed", 1)
    with pytest.raises(DataError, match=r"part0\.parquet does not have the columns of .*"
                                        r"\(missing \['d'\], extra \['e'\]\)"):  # fmt: skip
        read_dataset([paths[0], *renamed])
    text = frame.assign(c=frame["c"].astype(str))
    texts = _write_parts(text, tmp_path / "text", 1)
    with pytest.raises(DataError, match=r"column 'c' of .*text/part0\.parquet is not numeric"):
        read_dataset([paths[0], *texts])
    empty = _write_parts(frame.iloc[:0], tmp_path / "empty", 1)
    with pytest.raises(DataError, match=r"the 1 Parquet file\(s\) hold no rows"):
        read_dataset(empty)
    (tmp_path / "broken.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(DataError, match=r"cannot read .*broken\.parquet as Parquet"):
        read_dataset([tmp_path / "broken.parquet"])


def test_value_errors_name_the_column(tmp_path):
    frame = _frame(100)
    frame.loc[70, "b"] = np.nan
    paths = _write_parts(frame, tmp_path / "nan", 2)
    with pytest.raises(DataError, match=r"column 'b' has 1 missing or infinite value\(s\)"):
        read_dataset(paths)
    with pytest.raises(DataError, match=r"log_transform needs positive values; column 'a' has"):
        read_dataset(paths, drop_columns=["b"], log_transform=True)


def test_cli_refuses_in_memory_options_and_reports_one_line(tmp_path, capsys):
    _write_parts(_frame(100), tmp_path / "cells", 2)
    args = ["fit", str(tmp_path / "cells"), "--out", str(tmp_path / "out"), "--no-plots"]
    assert main([*args, "--label-column", "a", "--stability", "3"]) == 2
    err = capsys.readouterr().err
    assert "--label-column, --stability cannot be used with a Parquet directory" in err
    with pytest.raises(ValueError, match=r"--transform rank cannot be used with a Parquet"):
        main(["-v", *args, "--transform", "rank"])
    assert main(["fit", str(tmp_path / "none-*.parquet"), "--out", str(tmp_path / "o2")]) == 2
    assert "no file matches the pattern" in capsys.readouterr().err
    assert not (tmp_path / "out").exists() and not (tmp_path / "o2").exists()
