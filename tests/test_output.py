"""Output directories: reserved at the start, complete or absent, never silently replaced, umask
permissions; and the CLI's handling of a second run, Ctrl-C and SIGTERM."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time

import pytest

from causalmix.cli import main
from causalmix.io import atomic_output_dir

FAST = ["--n-runs", "1", "--seed", "1", "--no-plots"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    out = tmp_path_factory.mktemp("sim") / "sim"
    assert main(["-q", "simulate", "--nodes", "4", "--samples", "2000", "--seed", "3",
                 "--out", str(out)]) == 0  # fmt: skip
    return out / "data.csv"


def test_success_refusal_and_force(tmp_path):
    out = tmp_path / "out"
    with atomic_output_dir(out) as tmp:
        (tmp / "f.txt").write_text("one")
    assert (out / "f.txt").read_text() == "one"
    with pytest.raises(FileExistsError, match="exists; pass force=True to replace it"):
        with atomic_output_dir(out):
            pass
    with atomic_output_dir(out, force=True) as tmp:
        (tmp / "g.txt").write_text("two")
    assert sorted(p.name for p in out.iterdir()) == ["g.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary leftovers


def test_failure_leaves_nothing_and_keeps_existing(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_output_dir(out) as tmp:
            (tmp / "half.txt").write_text("partial")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []  # the reservation is gone too
    out.mkdir()
    (out / "keep.txt").write_text("precious")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_output_dir(out, force=True) as tmp:
            raise RuntimeError("boom")
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_forced_replacement_restores_the_old_on_failure(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("precious")
    real = os.replace
    calls = []

    def second_fails(src, dst):
        calls.append((src, dst))
        if len(calls) == 2:  # out -> aside worked; tmp -> out fails
            raise OSError(5, "Input/output error")
        return real(src, dst)

    monkeypatch.setattr("causalmix.output.os.replace", second_fails)
    with pytest.raises(OSError, match="Input/output error"):
        with atomic_output_dir(out, force=True) as tmp:
            (tmp / "new.txt").write_text("new")
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_reserved_at_start(tmp_path):
    out = tmp_path / "out"
    with atomic_output_dir(out) as tmp:
        (tmp / "first.txt").write_text("first")
        assert out.is_dir()  # reserved while the first run works
        with pytest.raises(FileExistsError, match="reserved by a causalmix run still going"):
            with atomic_output_dir(out):
                pass
    assert [p.name for p in out.iterdir()] == ["first.txt"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_parent(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(PermissionError, match="permission denied"):
            with atomic_output_dir(ro / "out"):
                pass
    finally:
        ro.chmod(0o755)


def test_parent_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="parent directory"):
        with atomic_output_dir(tmp_path / "a" / "b"):
            pass
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileExistsError, match="exists and is not a directory"):
        with atomic_output_dir(tmp_path / "file"):
            pass


def test_os_refusal_reported(tmp_path, monkeypatch):
    # root ignores permission bits, so simulate the OS refusing to create directories
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path))

    monkeypatch.setattr("causalmix.output.os.mkdir", refuse)
    with pytest.raises(PermissionError, match="Permission denied"):
        with atomic_output_dir(tmp_path / "out"):
            pass
    assert list(tmp_path.iterdir()) == []


def test_permissions_follow_the_umask(data, tmp_path):
    # before: tempfile.mkdtemp made every output directory 0700
    old = os.umask(0o027)
    try:
        assert main(["-q", "fit", str(data), "--out", str(tmp_path / "out"), *FAST]) == 0
    finally:
        os.umask(old)
    out = tmp_path / "out"
    assert stat.S_IMODE(out.stat().st_mode) == 0o750
    assert {stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()} == {0o640}


def test_second_run_on_the_same_out_fails_while_the_first_runs(data, tmp_path, monkeypatch, capsys):
    # before: both runs exited 0 and printed "wrote"; the later silently replaced the earlier
    from causalmix.estimator import MixtureUTIGSP

    out = tmp_path / "out"
    real_fit = MixtureUTIGSP.fit
    second = []

    def fit_and_start_another_run(self, X, **kwargs):
        second.append(main(["fit", str(data), "--out", str(out), *FAST]))
        return real_fit(self, X, **kwargs)

    monkeypatch.setattr(MixtureUTIGSP, "fit", fit_and_start_another_run)
    assert main(["fit", str(data), "--out", str(out), *FAST]) == 0
    assert second == [2]
    captured = capsys.readouterr()
    assert "exists (empty: reserved by a causalmix run still going" in captured.err
    assert "pass --force" in captured.err
    assert captured.out.count("wrote") == 1
    assert (out / "result.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def _start_fit(data, out):
    # SIGINT may be ignored by the parent (a background job): restore it so Python handles it
    return subprocess.Popen(
        [sys.executable, "-m", "causalmix", "fit", str(data), "--out", str(out), "--no-plots"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sig", "code", "message"),
    [
        (signal.SIGINT, 130, "causalmix fit: interrupted; no output written"),
        (signal.SIGTERM, 143, "causalmix fit: terminated (SIGTERM); no output written"),
    ],
)
def test_signal_during_fit(sig, code, message, tmp_path):
    # before: Ctrl-C printed a 30-line traceback; SIGTERM left .out.tmp-* behind
    # a fit of ~1 s: on 2^14 rows at p = 6 it could finish (and exit) before the signal came
    assert main(["-q", "simulate", "--nodes", "8", "--samples", "65536", "--seed", "1",
                 "--out", str(tmp_path / "sim")]) == 0  # fmt: skip
    data = tmp_path / "sim" / "data.csv"
    work = tmp_path / "work"
    work.mkdir()
    proc = _start_fit(data, work / "out")
    deadline = time.monotonic() + 120
    while not list(work.glob(".out.tmp-*")):  # the fit has started
        assert proc.poll() is None, proc.communicate()
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the fit did not start within 120 s")
        time.sleep(0.05)
    time.sleep(0.2)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == code, stderr
    assert stderr.strip().splitlines()[-1] == message
    assert "Traceback" not in stderr
    assert list(work.iterdir()) == []  # neither the reservation nor .out.tmp-* is left
