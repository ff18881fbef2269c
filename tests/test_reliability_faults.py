"""Faults while writing results: a full disk (``OSError(ENOSPC)`` from a monkeypatched write) or a
read-only output directory gives a one-line error with exit code 2 and never loses the previous
results; the sweep resumes afterwards."""

from __future__ import annotations

import errno
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

import rnnchaos._util.atomic as atomic

TESTS = Path(__file__).resolve().parent


def _config(tmp: Path, xs: list[int]) -> Path:
    path = tmp / "c.toml"
    path.write_text(f'[sweep]\nkind = "python"\nfunction = "test_sweep_trials:quadratic"\n'
                    f'python_path = [{json.dumps(str(TESTS))}]\n[grid]\nx = {xs}\n')
    return path


def _snapshot(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.name != ".lock"}


def _one_line_exit_2(code: int, out: str, err: str, needle: str) -> None:
    assert code == 2, err
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert needle in lines[0]


def _full_disk_write_atomic(path: Any, writer: Any) -> None:
    """Like ``write_atomic`` but the disk fills up after a few bytes."""
    with atomic.atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")


def test_full_disk_while_writing_tables_keeps_previous_results(tmp_path, run_cli, monkeypatch):
    out = tmp_path / "out"
    args = ["--out", str(out), "--workers", "1", "-q"]
    assert run_cli("sweep", str(_config(tmp_path, [1, 2])), *args)[0] == 0
    before = _snapshot(out)
    monkeypatch.setattr(atomic, "write_atomic", _full_disk_write_atomic)
    code, stdout, err = run_cli("sweep", str(_config(tmp_path, [1, 2, 3])), *args)
    _one_line_exit_2(code, stdout, err, "No space left on device")
    after = _snapshot(out)
    for name in ("results.csv", "results.json", "sweep.json"):
        assert after[name] == before[name], name  # the old tables are untouched, not half-written
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]  # no temporary file left
    # sweep.json is written first, so a full disk stops the sweep before any trial runs
    assert after["trials.jsonl"] == before["trials.jsonl"]
    monkeypatch.undo()
    code, stdout, err = run_cli("sweep", str(_config(tmp_path, [1, 2, 3])), *args, "--json")
    assert code == 0 and json.loads(stdout)["n_ran"] == 1 and json.loads(stdout)["n_ok"] == 3


def test_full_disk_while_journaling_stops_cleanly(tmp_path, run_cli, monkeypatch):
    out = tmp_path / "out"
    args = ["--out", str(out), "--workers", "1", "-q"]
    assert run_cli("sweep", str(_config(tmp_path, [1])), *args)[0] == 0
    before = _snapshot(out)

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    code, stdout, err = run_cli("sweep", str(_config(tmp_path, [1, 2, 3])), *args)
    _one_line_exit_2(code, stdout, err, "No space left on device")
    after = _snapshot(out)
    assert after["results.csv"] == before["results.csv"] and after["results.json"] == before["results.json"]
    monkeypatch.undo()
    code, stdout, err = run_cli("sweep", str(_config(tmp_path, [1, 2, 3])), *args, "--json")
    assert code == 0 and json.loads(stdout)["n_ok"] == 3


def test_read_only_results_directory_keeps_previous_results(tmp_path, run_cli, monkeypatch):
    """A results directory that became read-only (simulated: creating files raises EROFS, as on a
    read-only mount; chmod cannot be used because the tests may run as root)."""
    out = tmp_path / "out"
    args = ["--out", str(out), "--workers", "1", "-q"]
    assert run_cli("sweep", str(_config(tmp_path, [1, 2])), *args)[0] == 0
    before = _snapshot(out)

    def read_only(*a: Any, **k: Any) -> Any:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    code, stdout, err = run_cli("sweep", str(_config(tmp_path, [1, 2, 5])), *args)
    _one_line_exit_2(code, stdout, err, "Read-only file system")
    assert _snapshot(out) == before


def test_unwritable_output_directory_is_refused_before_running(tmp_path, run_cli, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    if os.geteuid() != 0:
        out.chmod(0o500)
    else:
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda p, mode, **k: False if Path(p) == out and mode & os.W_OK else real_access(p, mode, **k))
    log = tmp_path / "calls.log"
    cfg = _config(tmp_path, [1])
    cfg.write_text(cfg.read_text().replace("[grid]", f"[fixed]\nlog = {json.dumps(str(log))}\n[grid]"))
    try:
        code, stdout, err = run_cli("sweep", str(cfg), "--out", str(out), "-q")
    finally:
        out.chmod(0o700)
    _one_line_exit_2(code, stdout, err, "is not writable")
    assert not log.exists()  # no trial ran


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_parent_directory(tmp_path, run_cli):
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o500)
    try:
        code, stdout, err = run_cli("sweep", str(_config(tmp_path, [1])), "--out", str(parent / "out"), "-q")
    finally:
        parent.chmod(0o700)
    _one_line_exit_2(code, stdout, err, "cannot create output directory")


def test_full_disk_at_the_end_keeps_previous_tables_and_the_journal(tmp_path, run_cli, monkeypatch):
    """The disk fills up after the trials ran, while the tables are written: the old tables survive and
    the journal holds the new trials, so the next run only rewrites the tables."""
    out = tmp_path / "out"
    args = ["--out", str(out), "--workers", "1", "-q"]
    assert run_cli("sweep", str(_config(tmp_path, [1, 2])), *args)[0] == 0
    before = _snapshot(out)
    real = atomic.write_atomic

    def fail_on_tables(path: Any, writer: Any) -> None:
        if Path(path).name.startswith("results"):
            _full_disk_write_atomic(path, writer)
        real(path, writer)

    monkeypatch.setattr(atomic, "write_atomic", fail_on_tables)
    code, stdout, err = run_cli("sweep", str(_config(tmp_path, [1, 2, 3])), *args)
    _one_line_exit_2(code, stdout, err, "No space left on device")
    after = _snapshot(out)
    assert after["results.csv"] == before["results.csv"] and after["results.json"] == before["results.json"]
    assert len(after["trials.jsonl"].splitlines()) == 3
    monkeypatch.undo()
    code, stdout, err = run_cli("sweep", str(_config(tmp_path, [1, 2, 3])), *args, "--json")
    assert code == 0 and json.loads(stdout)["n_ran"] == 0 and json.loads(stdout)["n_ok"] == 3


def test_diverging_training_stops_cleanly(tmp_path, run_cli):
    """A learning rate of 1e10 makes the loss non-finite: one line, exit 1, and the run directory keeps the
    last good (finite) checkpoint and model, which load and can be evaluated."""
    import math

    import torch

    out = tmp_path / "run"
    code, stdout, err = run_cli("train", "--data", "lorenz63", "--n-steps", "400", "--epochs", "6", "--hidden", "4",
                                "--seq-len", "20", "--batch-size", "4", "--batches-per-epoch", "1", "--tau", "5",
                                "--lr", "1e10", "--no-progress", "--out", str(out))
    assert code == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err and "diverged" in lines[0]
    state = torch.load(out / "checkpoint.pt", weights_only=True)
    assert all(torch.isfinite(v).all() for v in state["model"].values())
    model = torch.load(out / "model.pt", weights_only=True)
    assert all(torch.isfinite(v).all() for v in model["state_dict"].values())
    for line in (out / "metrics.jsonl").read_text().splitlines():
        rec = json.loads(line)
        assert "loss" not in rec or math.isfinite(rec["loss"])
