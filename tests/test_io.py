"""Reading users' tables and atomic output directories."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from causalmix.io import DataError, atomic_output_dir, check_columns, read_table


def _write(path, text):
    path.write_text(text)
    return path


def test_read_csv_tsv_label_and_drop(tmp_path):
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(20, 3)) + 5, columns=["a", "b", "c"])
    df["lab"] = ["x", "y"] * 10
    df.to_csv(tmp_path / "d.csv", index=False)
    df.to_csv(tmp_path / "d.tsv", index=False, sep="\t")
    for name in ("d.csv", "d.tsv"):
        data, labels = read_table(tmp_path / name, label_column="lab", drop_columns=["c"])
        assert list(data.columns) == ["a", "b"]
        assert labels.tolist() == df["lab"].tolist()
        np.testing.assert_allclose(data.to_numpy(), df[["a", "b"]].to_numpy())
    logged, _ = read_table(tmp_path / "d.csv", drop_columns=["lab"], log_transform=True)
    np.testing.assert_allclose(logged.to_numpy(), np.log(df[["a", "b", "c"]].to_numpy()))


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "is empty"),
        ("a,b\n", "header but no rows"),
        ("a,b\n1,2\n3,x\n4,5\n", r"non-numeric value 'x' in column 'b', data row 2"),
        ("a,b\n1,2\n3,\n4,5\n", r"missing or infinite value in column 'b', data row 2"),
        ("a,b\n1,2\n3,inf\n4,5\n", "missing or infinite"),
        ("a\n1\n2\n3\n", "at least 2 variables"),
        ("a,b,c\n1,2,3\n4,5,6\n", "more rows than variables"),
        ("a,b\n1,2\n1,3\n1,4\n", r"constant column\(s\) \['a'\]"),
        ("a,b,c\n1,1,0\n2,2,5\n3,3,1\n4,4,2\n", "columns 'a' and 'b' are identical"),
    ],
)
def test_bad_tables(tmp_path, text, match):
    with pytest.raises(DataError, match=match):
        read_table(_write(tmp_path / "bad.csv", text))


def test_missing_file_and_columns(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_table(tmp_path / "nope.csv")
    path = _write(tmp_path / "ok.csv", "a,b\n1,2\n2,1\n3,5\n")
    with pytest.raises(DataError, match=r"column\(s\) \['zz'\] not found"):
        read_table(path, drop_columns=["zz"])
    with pytest.raises(DataError, match="needs positive values"):
        read_table(_write(tmp_path / "neg.csv", "a,b\n1,-2\n2,1\n3,5\n"), log_transform=True)


def test_duplicate_names():
    frame = pd.DataFrame(np.arange(12.0).reshape(4, 3), columns=["a", "a", "b"])
    with pytest.raises(DataError, match=r"duplicate column names \['a'\]"):
        check_columns(frame)


def test_atomic_output_dir_success_and_refusal(tmp_path):
    out = tmp_path / "out"
    with atomic_output_dir(out) as tmp:
        (tmp / "f.txt").write_text("one")
    assert (out / "f.txt").read_text() == "one"
    with pytest.raises(FileExistsError, match="exists; pass --force"):
        with atomic_output_dir(out):
            pass
    with atomic_output_dir(out, force=True) as tmp:
        (tmp / "g.txt").write_text("two")
    assert sorted(p.name for p in out.iterdir()) == ["g.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary leftovers


def test_atomic_output_dir_failure_leaves_nothing(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_output_dir(out) as tmp:
            (tmp / "half.txt").write_text("partial")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_atomic_output_dir_read_only(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(PermissionError, match="permission denied"):
            with atomic_output_dir(ro / "out"):
                pass
    finally:
        ro.chmod(0o755)


def test_atomic_output_dir_parent_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="parent directory"):
        with atomic_output_dir(tmp_path / "a" / "b"):
            pass


def test_unwritable_parent_reported(tmp_path, monkeypatch):
    # root ignores permission bits, so simulate the OS refusing to create the temporary directory
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path))

    monkeypatch.setattr("causalmix.io.tempfile.mkdtemp", refuse)
    with pytest.raises(PermissionError, match="Permission denied"):
        with atomic_output_dir(tmp_path / "out"):
            pass
    assert list(tmp_path.iterdir()) == []
