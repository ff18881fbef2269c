"""Sweeps under faults (issue #16, item 4): a worker SIGKILLed in the middle of a trial (local process pool
and Ray), a journal write that fails half-way, and a full disk (a monkeypatched ``os.write`` and, where
``unshare -rm`` is allowed, a real 1 MiB tmpfs)."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import rnnchaos
from rnnchaos.sweep.config import SweepConfig, parse_config
from rnnchaos.sweep.engine import run_sweep
from rnnchaos.sweep.journal import Journal

TESTS = Path(__file__).resolve().parent
SRC = Path(rnnchaos.__file__).resolve().parent.parent
CLI = "import sys; from rnnchaos.cli import main; sys.exit(main())"


def _config(function: str, grid: dict[str, Any], fixed: dict[str, Any]) -> SweepConfig:
    return parse_config({"sweep": {"name": "faults", "kind": "python", "function": f"test_sweep_trials:{function}",
                                   "python_path": [str(TESTS)], "seed": 5}, "fixed": fixed, "grid": grid})


def _killer(marker: Path, killed: list[int], timeout: float = 60.0) -> threading.Thread:
    """A thread that waits for the trial's PID in ``marker`` and SIGKILLs that process."""
    def run() -> None:
        deadline = time.monotonic() + timeout
        while not marker.exists():
            if time.monotonic() > deadline:
                return
            time.sleep(0.01)
        pid = int(marker.read_text())
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _undisturbed_and_killed(tmp_path: Path, **sweep_kwargs: Any) -> tuple[Path, Path, list[int]]:
    marker = tmp_path / "victim.pid"
    cfg = _config("hang_once", {"x": [0, 1, 2, 3, 4, 5]}, {"victim": 2, "marker": str(marker)})
    marker.write_text("0")  # present: the victim trial does not hang
    run_sweep(cfg, tmp_path / "calm", workers=2, show_progress=False)
    marker.unlink()
    killed: list[int] = []
    thread = _killer(marker, killed)
    res = run_sweep(cfg, tmp_path / "killed", show_progress=False, **sweep_kwargs)
    thread.join(5)
    assert killed and killed[0] != os.getpid(), "the victim trial was never killed"
    assert res.n_ok == 6 and res.n_failed == 0 and res.n_pending == 0
    assert [r["result"]["y"] for r in res.records] == [0, 3, 6, 9, 12, 15]
    return tmp_path / "calm" / "results.csv", tmp_path / "killed" / "results.csv", killed


def test_local_worker_killed_mid_trial_is_retried_and_the_table_is_unchanged(tmp_path):
    calm, killed_csv, _ = _undisturbed_and_killed(tmp_path, workers=2)
    assert killed_csv.read_bytes() == calm.read_bytes()


@pytest.mark.ray
def test_ray_worker_killed_mid_trial_is_retried_and_the_table_is_unchanged(ray_local, tmp_path):
    calm, killed_csv, _ = _undisturbed_and_killed(tmp_path, ray_address="auto")
    assert killed_csv.read_bytes() == calm.read_bytes()


# --- the journal: one durable line per record, never half a line -----------------------------------------

def _fd_name(fd: int) -> str:
    try:
        return os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
    except OSError:
        return ""


def _half_then_full(name: str) -> Any:
    """An ``os.write`` for which the disk fills up while writing ``name``: half the first write gets
    through, then every write to that file fails with ENOSPC."""
    real = os.write
    calls = {"n": 0}

    def write(fd: int, data: Any) -> int:
        if _fd_name(fd) != name:
            return real(fd, data)
        calls["n"] += 1
        if calls["n"] == 1:
            return real(fd, bytes(data)[: max(1, len(data) // 2)])
        raise OSError(errno.ENOSPC, "No space left on device")

    return write


needs_proc = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc/self/fd")


@needs_proc
def test_a_partial_journal_write_is_truncated_back(tmp_path, monkeypatch):
    path = tmp_path / "trials.jsonl"
    recs = [{"id": f"t{i}", "seed": i, "status": "ok", "pad": "q" * 300} for i in range(3)]
    with Journal(path) as journal:
        journal.append(recs[0])
        before = path.read_bytes()
        monkeypatch.setattr(os, "write", _half_then_full("trials.jsonl"))
        with pytest.raises(OSError) as info:
            journal.append(recs[1])
        assert info.value.errno == errno.ENOSPC and "No space left on device" in str(info.value)
        assert str(path) in str(info.value) and "\n" not in str(info.value)
        assert path.read_bytes() == before  # the half record is gone
        monkeypatch.undo()
        journal.append(recs[2])  # space again: appending goes on from the clean end
    assert Journal(path).load() == {"t0": recs[0], "t2": recs[2]}
    assert len(path.read_bytes().splitlines()) == 2


@needs_proc
def test_full_disk_while_appending_stops_cleanly_with_the_journal_intact(tmp_path, run_cli, monkeypatch):
    cfg = tmp_path / "c.toml"
    out = tmp_path / "out"
    args = ["--out", str(out), "--workers", "1", "-q"]

    def write_config(xs: list[int]) -> str:
        cfg.write_text('[sweep]\nkind = "python"\nfunction = "test_sweep_trials:padded"\n'
                       f'python_path = [{json.dumps(str(TESTS))}]\n[fixed]\npad = 500\n[grid]\nx = {xs}\n')
        return str(cfg)

    assert run_cli("sweep", write_config([1, 2]), *args)[0] == 0
    journal_before = (out / "trials.jsonl").read_bytes()
    monkeypatch.setattr(os, "write", _half_then_full("trials.jsonl"))
    code, stdout, err = run_cli("sweep", write_config([1, 2, 3]), *args)
    monkeypatch.undo()
    assert code == 2 and stdout == "" and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rnnchaos: error: ") and "No space left on device" in lines[0]
    assert "cannot append to the journal" in lines[0], lines[0]
    assert (out / "trials.jsonl").read_bytes() == journal_before
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    rows = (out / "results.csv").read_text().splitlines()
    assert [r.split(",")[2] for r in rows[1:]] == ["ok", "ok", "pending"]  # the tables say what is missing
    code, stdout, _ = run_cli("sweep", write_config([1, 2, 3]), *args, "--json")
    assert code == 0 and json.loads(stdout)["n_ran"] == 1 and json.loads(stdout)["n_ok"] == 3
    fresh = tmp_path / "fresh"
    assert run_cli("sweep", str(cfg), "--out", str(fresh), "--workers", "1", "-q")[0] == 0
    assert (out / "results.csv").read_bytes() == (fresh / "results.csv").read_bytes()


def _unshare_works() -> bool:
    if shutil.which("unshare") is None or not sys.platform.startswith("linux"):
        return False
    try:
        return subprocess.run(["unshare", "-rm", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


# The script runs as root of a new user and mount namespace (unshare -rm): it mounts a 1 MiB tmpfs on
# $MNT, runs a sweep there, fills the disk to one free page, and runs the sweep again with a trial whose
# journal record needs three pages.
_TMPFS_SCRIPT = r"""
set -e
mount -t tmpfs -o size=1m tmpfs "$MNT"
"$PY" -c "$CLI" sweep "$CFG2" --out "$MNT/out" --workers 1 -q
cp "$MNT/out/trials.jsonl" "$SNAP/before.jsonl"
dd if=/dev/zero of="$MNT/fill" bs=4096 2>/dev/null || true
truncate -s -4096 "$MNT/fill"
set +e
"$PY" -c "$CLI" sweep "$CFG3" --out "$MNT/out" --workers 1 -q 2>"$SNAP/err"
echo $? >"$SNAP/rc"
set -e
cp "$MNT/out/trials.jsonl" "$SNAP/after.jsonl"
ls -a "$MNT/out" >"$SNAP/listing"
rm "$MNT/fill"
"$PY" -c "$CLI" sweep "$CFG3" --out "$MNT/out" --workers 1 -q --json >"$SNAP/resumed.json"
cp "$MNT/out/results.csv" "$SNAP/resumed.csv"
"""


@pytest.mark.skipif(not _unshare_works(), reason="unshare -rm (user and mount namespaces) is not allowed here")
def test_a_real_full_tmpfs_stops_the_sweep_cleanly(tmp_path):
    mnt, snap = tmp_path / "mnt", tmp_path / "snap"
    mnt.mkdir()
    snap.mkdir()
    cfgs = {}
    for xs in ([1, 2], [1, 2, 3]):
        cfgs[len(xs)] = tmp_path / f"c{len(xs)}.toml"
        cfgs[len(xs)].write_text('[sweep]\nkind = "python"\nfunction = "test_sweep_trials:padded"\n'
                                 f'python_path = [{json.dumps(str(TESTS))}]\n[fixed]\npad = 10000\n'
                                 f'log = {json.dumps(str(tmp_path / "calls.log"))}\n[grid]\nx = {xs}\n')
    env = {**os.environ, "MNT": str(mnt), "SNAP": str(snap), "PY": sys.executable, "CLI": CLI,
           "CFG2": str(cfgs[2]), "CFG3": str(cfgs[3]), "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run(["unshare", "-rm", "sh", "-c", _TMPFS_SCRIPT], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (snap / "rc").read_text().strip() == "2"
    err = (snap / "err").read_text()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert "cannot append to the journal" in lines[0] and "No space left on device" in lines[0], lines[0]
    assert (snap / "after.jsonl").read_bytes() == (snap / "before.jsonl").read_bytes()
    assert not [n for n in (snap / "listing").read_text().split() if n.endswith(".tmp")]
    assert (tmp_path / "calls.log").read_text().splitlines() == ["1,0", "2,0", "3,0", "3,0"]  # 3 ran, then again
    resumed = json.loads((snap / "resumed.json").read_text())
    assert resumed["n_ok"] == 3 and resumed["n_ran"] == 1
    fresh = tmp_path / "fresh"
    subprocess.run([sys.executable, "-c", CLI, "sweep", str(cfgs[3]), "--out", str(fresh), "--workers", "1", "-q"],
                   env=env, check=True, capture_output=True)
    assert (snap / "resumed.csv").read_bytes() == (fresh / "results.csv").read_bytes()
