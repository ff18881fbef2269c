"""``kill -9`` in the middle of ``rnnchaos train``, then ``--resume``: identical losses to an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

EPOCHS = 150


def _cmd(data: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-c", "import sys; from rnnchaos.cli import main; sys.exit(main())", "train", "--data", str(data), "--hidden", "8", "--epochs",
            str(EPOCHS), "--seq-len", "30", "--batch-size", "4", "--batches-per-epoch", "3", "--tau", "7",
            "--tau-mode", "random", "--delta", "3", "--checkpoint-every", "25", "--log-every", "1",
            "--test-fraction", "0", "--seed", "5", "--out", str(out), "--no-progress", "--json", *extra]


def _losses(run: Path) -> list[tuple[int, float, int]]:
    rows = [json.loads(s) for s in (run / "metrics.jsonl").read_text().splitlines() if s.strip()]
    return [(r["epoch"], r["loss"], r["tau"]) for r in rows]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    from rnnchaos.systems.registry import get_system

    path = tmp_path_factory.mktemp("resume") / "lorenz.npy"
    np.save(path, get_system("lorenz63").trajectory(2000, seed=2))
    return path


def test_kill_9_then_resume_gives_identical_losses(tmp_path, data, run_cli):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    ref = tmp_path / "uninterrupted"
    code, ref_out, err = run_cli(*_cmd(data, ref)[3:])  # the same command, in this process
    assert code == 0, err

    run = tmp_path / "killed"
    proc = subprocess.Popen(_cmd(data, run), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    metrics = run / "metrics.jsonl"
    deadline = time.time() + 120
    killed_at = 0
    while time.time() < deadline and proc.poll() is None:
        if metrics.is_file():
            n = sum(1 for _ in open(metrics, encoding="utf-8"))
            if n >= 40:
                os.kill(proc.pid, signal.SIGKILL)
                killed_at = n
                break
        time.sleep(0.005)
    proc.wait(timeout=30)
    proc.stdout.close()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed; make it longer"
    assert 0 < killed_at < EPOCHS

    resumed = subprocess.run(_cmd(data, run, "--resume"), env=env, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout)
    assert summary["epochs"] == EPOCHS and summary["status"] == "completed"
    want = _losses(ref)
    got = _losses(run)
    assert len(want) == EPOCHS
    assert got == want  # exactly the same floats, epochs and random taus
    assert json.loads(ref_out)["final_loss"] == summary["final_loss"]


def test_resume_with_other_settings_is_refused(tmp_path, data, run_cli):
    args = ["train", "--data", str(data), "--hidden", "6", "--epochs", "3", "--seq-len", "20", "--batch-size", "4",
            "--batches-per-epoch", "2", "--tau", "5", "--out", str(tmp_path / "r"), "--no-progress"]
    code, _, err = run_cli(*args)
    assert code == 0, err
    code, _, err = run_cli(*[a if a != "5" else "6" for a in args], "--resume")
    assert code == 2 and "settings differ" in err and "tau: stored 5, given 6" in err
    code, _, err = run_cli("train", "--data", str(data), "--out", str(tmp_path / "none"), "--resume", "--no-progress")
    assert code == 2 and "config.json" in err
