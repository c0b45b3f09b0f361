"""Reading users' tables and atomic output directories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from causalmix.io import DataError, check_columns, read_table


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
        (
            "a,b,c\n1,2,3\n4,5,6\n",
            r"need at least max\(2 p, p \+ 2\) = 6 rows for 3 variables, got 2",
        ),
        ("a,b\n1,2\n1,3\n1,4\n", r"constant column\(s\) \['a'\]"),
        ("a,b,c\n1,1,0\n2,2,5\n3,3,1\n4,4,2\n", "column 'b' is identical to 'a'"),
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


ROWS = "".join(f"{i * 0.5:.1f},{(i * 7) % 5:.1f},{(i * 3) % 4:.1f}\n" for i in range(12))


@pytest.mark.parametrize(
    ("text", "kwargs", "match"),
    [
        (
            ",a,b,c\n" + "".join(f"{i}," + r for i, r in enumerate(ROWS.splitlines(True))),
            {},
            r"first column of bad\.csv has no name \(''\).*pass index_column=0",
        ),
        (
            "Unnamed: 0,a,b,c\n"
            + "".join(f"{i}," + r for i, r in enumerate(ROWS.splitlines(True))),
            {},
            r"first column of bad\.csv has no name \('Unnamed: 0'\)",
        ),
        ("a,,c\n" + ROWS, {}, r"column\(s\) at position\(s\) \[1\] of bad\.csv have no name"),
        ("a,a,b\n" + ROWS, {}, r"duplicate column names \['a'\] in the header"),
        (ROWS, {}, r"no header row\? .*pass header=False"),
        (
            "a,b,c\n" + ROWS.replace("\n", ",\n"),
            {},
            r"every row of bad\.csv ends with a trailing ','",
        ),
        (
            "a,b,c,\n" + ROWS.replace("\n", ",\n"),
            {},
            r"header line of bad\.csv ends with a trailing ','",
        ),
        (
            "a;b;c\n" + ROWS.replace(",", ";").replace(".", ","),
            {},
            r"decimal comma \(e\.g\. '0,0'\); pass decimal=','",
        ),
        ("a,b,c\n" + ROWS, {"decimal": ";"}, r"decimal must be '\.' or ',', got ';'"),
        ("a,b,c\n" + ROWS, {"encoding": "klingon"}, r"unknown encoding='klingon'"),
        (
            "a,b,c\n" + ROWS,
            {"index_column": 5},
            r"index_column=5 is not a column position of bad\.csv \(it has 3",
        ),
        ("a,b,c\n" + ROWS, {"index_column": "zz"}, r"index_column 'zz' not found in bad\.csv"),
        ("\n\n", {}, "has no lines with values"),
        (
            "a,b,c\n" + ROWS * 2 + "1,2,3,4\n",
            {},
            r"cannot parse bad\.csv: .*Expected 3 fields in line 26, saw 4",
        ),
    ],
)
def test_layout_mistakes(tmp_path, text, kwargs, match):
    with pytest.raises(DataError, match=match):
        read_table(_write(tmp_path / "bad.csv", text), **kwargs)


def test_layout_fixes(tmp_path):
    expected = np.loadtxt(ROWS.splitlines(), delimiter=",")
    indexed = ",a,b,c\n" + "".join(f"r{i}," + r for i, r in enumerate(ROWS.splitlines(True)))
    data, _ = read_table(_write(tmp_path / "i.csv", indexed), index_column=0)
    assert list(data.columns) == ["a", "b", "c"] and data.index[0] == "r0"
    np.testing.assert_array_equal(data.to_numpy(), expected)
    data, _ = read_table(_write(tmp_path / "h.csv", ROWS), header=False)
    assert list(data.columns) == ["X0", "X1", "X2"] and data.shape == (12, 3)
    text = "a;b;c\n" + ROWS.replace(",", ";").replace(".", ",")
    data, _ = read_table(_write(tmp_path / "d.csv", text), decimal=",")
    np.testing.assert_array_equal(data.to_numpy(), expected)
    (tmp_path / "l.csv").write_bytes(("a°,b,c\n" + ROWS).encode("latin-1"))
    with pytest.raises(DataError, match=r"not utf-8 text \(byte 0xb0 on line 1\)"):
        read_table(tmp_path / "l.csv")
    data, _ = read_table(tmp_path / "l.csv", encoding="latin-1")
    assert list(data.columns) == ["a°", "b", "c"]
    (tmp_path / "bom.csv").write_bytes(("a,b,c\n" + ROWS).encode("utf-8-sig"))
    assert list(read_table(tmp_path / "bom.csv")[0].columns) == ["a", "b", "c"]
    assert read_table(tmp_path / "bom.csv")[0].index.tolist() == list(range(12))


def test_not_utf8_beyond_the_first_lines(tmp_path):
    text = ("a,b,c\n" + ROWS * 3 + "1.0,2.0,3.5\n").encode() + "x°,1,2\n".encode("latin-1")
    (tmp_path / "late.csv").write_bytes(text)
    with pytest.raises(DataError, match=r"not utf-8 text \(byte 0xb0 on line 39\)"):
        read_table(tmp_path / "late.csv")


def test_constant_and_identical_columns_named_together():
    rng = np.random.default_rng(0)
    x = rng.normal(size=10)
    frame = pd.DataFrame({"a": x, "k": 0.1, "b": x, "m": 0.3, "c": rng.normal(size=10)})
    with pytest.raises(DataError, match=r"constant column\(s\) \['k', 'm'\] carry no information; "
                       r"column 'b' is identical to 'a': drop them with drop_columns$"):  # fmt: skip
        check_columns(frame)
    with pytest.raises(DataError, match=r"then 1 column\(s\) would be left: need at least 2"):
        check_columns(frame[["a", "k", "b"]])
    with pytest.raises(DataError, match=r"all 10 rows are identical"):
        check_columns(frame[["k", "m"]])
    n = 10**6  # std() of 10^6 copies of 0.1 is 2.8e-17: constancy is max == min, not std == 0
    big = pd.DataFrame({"x": np.full(n, 0.1), "y": np.full(n, 0.3), "z": np.full(n, 2.0),
                        "w": np.full(n, 1.7), "v": np.arange(n, dtype=float)})  # fmt: skip
    with pytest.raises(DataError, match=r"constant column\(s\) \['x', 'y', 'z', 'w'\] carry"):
        check_columns(big)


def test_parquet_needs_pyarrow(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pyarrow", None)
    (tmp_path / "d.parquet").write_bytes(b"PAR1")
    with pytest.raises(DataError, match=r"needs pyarrow: pip install 'causalmix\[parquet\]'"):
        read_table(tmp_path / "d.parquet")


def test_parquet_unreadable(tmp_path):
    pytest.importorskip("pyarrow", reason="the parquet extra is not installed")
    (tmp_path / "d.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(DataError, match=r"cannot read d\.parquet as Parquet"):
        read_table(tmp_path / "d.parquet")
