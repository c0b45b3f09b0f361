"""The input mistakes people make: one line on stderr naming the cause and the CLI flag that fixes
it, exit 2, nothing written; and the fix then works."""

from __future__ import annotations

import json
import re
import sys

import numpy as np
import pandas as pd
import pytest

from causalmix.cli import main

QUICK = ["--n-components", "1", "--n-runs", "1", "--no-plots"]


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 1))
    return pd.DataFrame(np.c_[x, x + rng.normal(size=(60, 1)), rng.normal(size=(60, 1))],
                        columns=["a", "b", "c"])  # fmt: skip


def _rows(frame, sep=",", end=""):
    return "".join(sep.join(f"{v:.4f}" for v in r) + end + "\n" for r in frame.to_numpy())


def _run(path, out, *extra):
    return main(["fit", str(path), "--out", str(out), *QUICK, *extra])


def _one_line_error(capsys):
    err = capsys.readouterr().err.strip()
    assert err.startswith("causalmix fit: error:") and "\n" not in err, err
    return err


# (file name, text maker, pattern of the error, the flags that fix it or None)
CASES = {
    # before: the row numbers were fitted as a causal node named 'Unnamed: 0'
    "pandas_index": (
        "d.csv",
        lambda t: t.to_csv(),
        r"first column of d\.csv has no name \(''\): it looks like the row index .* pass "
        r"--index-column=0 .* to_csv\(\.\.\., index=False\)",
        ["--index-column", "0"],
    ),
    # before: the second 'a' was silently renamed 'a.1'
    "duplicate_header": (
        "d.csv",
        lambda t: "a,a,b\n" + _rows(t),
        r"duplicate column names \['a'\] in the header of d\.csv",
        None,
    ),
    # before: the first row of numbers became the column names (one row lost)
    "no_header": (
        "d.csv",
        lambda t: _rows(t),
        r"first line of d\.csv holds numbers, not column names .*no header row\? .*--no-header",
        ["--no-header"],
    ),
    # before: "missing or infinite value in column 'c'" (pandas had made column 'a' the index)
    "trailing_comma_rows": (
        "d.csv",
        lambda t: "a,b,c\n" + _rows(t, end=","),
        r"every row of d\.csv ends with a trailing ',' that the header line does not have",
        None,
    ),
    "trailing_comma_everywhere": (
        "d.csv",
        lambda t: "a,b,c,\n" + _rows(t, end=","),
        r"header line of d\.csv ends with a trailing ','.*remove the trailing separators",
        None,
    ),
    # before: "non-numeric value '0,1257' in column 'a'" with no hint
    "decimal_comma": (
        "d.csv",
        lambda t: t.to_csv(sep=";", decimal=",", index=False),
        r"d\.csv writes numbers with a decimal comma \(e\.g\. '[-0-9]+,[0-9]+'\); pass --decimal=','",
        ["--decimal", ","],
    ),
    # before: "cannot parse d.csv: 'utf-8' codec can't decode byte 0xb0 in position 4"
    "latin1": (
        "d.csv",
        lambda t: ("temp°C,b,c\n" + _rows(t)).encode("latin-1"),
        r"d\.csv is not utf-8 text \(byte 0xb0 on line 1\); pass its encoding, e\.g\. "
        r"--encoding='latin-1'",
        ["--encoding", "latin-1"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_input_mistake_one_line_with_fix(case, table, tmp_path, capsys):
    name, make, pattern, fix = CASES[case]
    content = make(table)
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    out = tmp_path / "out"
    assert _run(path, out) == 2
    err = _one_line_error(capsys)
    assert re.search(pattern, err), err
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # nothing left behind
    if fix is not None:
        assert _run(path, out, *fix) == 0
        result = json.loads((out / "result.json").read_text())
        assert result["nodes"] in (["a", "b", "c"], ["X0", "X1", "X2"], ["temp°C", "b", "c"])
        assert result["data"]["n_rows"] == 60


def test_index_column_names_rows_in_labels(table, tmp_path):
    frame = table.copy()
    frame.index = [f"cell{i}" for i in range(60)]
    frame.index.name = "cell"
    frame.to_csv(tmp_path / "d.csv")
    assert _run(tmp_path / "d.csv", tmp_path / "out", "--index-column", "cell") == 0
    labels = pd.read_csv(tmp_path / "out" / "labels.csv")
    assert list(labels.columns) == ["row", "component", "probability"]
    assert labels["row"].tolist() == frame.index.tolist()
    assert json.loads((tmp_path / "out" / "result.json").read_text())["nodes"] == ["a", "b", "c"]


def test_identical_rows_name_every_constant_column_once(tmp_path, capsys):
    # before (measured with 10^6 rows): std() of many copies of 0.1 is ~1e-17, not 0, so only
    # some constant columns were named; after dropping them the estimator failed again on the
    # others. 10^4 rows show the same rounding (std of 0.1 and 1.7 > 0) and keep the test fast;
    # test_io runs the check on 10^6 rows.
    n = 10**4
    frame = pd.DataFrame({"x": np.full(n, 0.1), "y": np.full(n, 0.3), "z": np.full(n, 2.0),
                          "w": np.full(n, 1.7)})  # fmt: skip
    frame.to_csv(tmp_path / "d.csv", index=False)
    assert _run(tmp_path / "d.csv", tmp_path / "out") == 2
    err = _one_line_error(capsys)
    assert "all 10000 rows are identical" in err and "['x', 'y', 'z', 'w']" in err
    assert _run(tmp_path / "d.csv", tmp_path / "out", "--drop-columns", "z") == 2
    assert "every column is constant: ['x', 'y', 'w']" in _one_line_error(capsys)


def test_several_constant_columns_named_at_once_then_fit(table, tmp_path, capsys):
    frame = table.assign(d=0.1, e=1.7, f=0.3)
    frame.to_csv(tmp_path / "d.csv", index=False)
    assert _run(tmp_path / "d.csv", tmp_path / "out") == 2
    err = _one_line_error(capsys)
    assert (
        "constant column(s) ['d', 'e', 'f'] carry no information: drop them with --drop-columns"
        in err
    )
    assert _run(tmp_path / "d.csv", tmp_path / "out", "--drop-columns", "d,e,f") == 0


def test_parquet_without_pyarrow_one_line(table, tmp_path, monkeypatch, capsys):
    path = tmp_path / "d.parquet"
    path.write_bytes(b"PAR1 not really")  # never read: the import fails first
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # makes `import pyarrow` raise ImportError
    assert _run(path, tmp_path / "out") == 2
    err = _one_line_error(capsys)
    assert "needs pyarrow: pip install 'causalmix[parquet]'" in err


def test_parquet_round_trip(table, tmp_path):
    pytest.importorskip("pyarrow", reason="the parquet extra is not installed")
    table.to_parquet(tmp_path / "d.parquet")
    assert _run(tmp_path / "d.parquet", tmp_path / "out") == 0


def test_library_bug_keeps_its_traceback(table, tmp_path, monkeypatch):
    # before: any TypeError became "error: ..." and exit 2, hiding the bug
    table.to_csv(tmp_path / "d.csv", index=False)

    def buggy_fit(self, X, **kwargs):
        return None + 1  # a TypeError raised by Python, not a deliberate user-input error

    monkeypatch.setattr("causalmix.estimator.MixtureUTIGSP.fit", buggy_fit)
    with pytest.raises(TypeError, match="unsupported operand"):
        _run(tmp_path / "d.csv", tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv"]


def test_library_errors_name_cli_flags(table, tmp_path, capsys):
    table.to_csv(tmp_path / "d.csv", index=False)
    assert _run(tmp_path / "d.csv", tmp_path / "out", "--drop-columns", "zz") == 2
    assert "column(s) ['zz'] not found in d.csv" in _one_line_error(capsys)
    assert main(["fit", str(tmp_path / "d.csv"), "--out", str(tmp_path / "o"),
                 "--log-transform", *QUICK]) == 2  # fmt: skip
    assert "--log-transform needs positive values" in _one_line_error(capsys)
