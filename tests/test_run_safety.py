"""Run directories under real use: one training at a time (lock), resumes with changed settings, and
run directories written by an older rnnchaos."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from rnnchaos.training.run_lock import LOCK_NAME, run_lock

SMALL = ["train", "--data", "lorenz63", "--n-steps", "400", "--hidden", "4", "--seq-len", "20", "--batch-size", "4",
         "--batches-per-epoch", "1", "--tau", "5", "--checkpoint-every", "2", "--no-progress"]


def _start_training(out: Path, *extra: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-c", "import sys; from rnnchaos.cli import main; sys.exit(main())", *SMALL,
           "--out", str(out), *extra]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})


def _wait_for_lock(out: Path, proc: subprocess.Popen[str], timeout: float = 120.0) -> None:
    """Wait until ``proc`` holds the lock of ``out`` (its PID is in the lock file)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        lock = out / LOCK_NAME
        if lock.is_file() and lock.read_text().strip() == str(proc.pid):
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError("the training never took the lock")


def _state(run: Path) -> dict[str, torch.Tensor]:
    return torch.load(run / "model.pt", weights_only=True)["state_dict"]


def test_the_lock_refuses_a_second_holder_naming_the_pid(tmp_path: Path) -> None:
    with run_lock(tmp_path / "run"):
        assert (tmp_path / "run" / LOCK_NAME).read_text().strip() == str(os.getpid())
        with pytest.raises(ValueError, match=f"in use by another training \\(PID {os.getpid()}\\)"), \
                run_lock(tmp_path / "run"):
            pass
    with run_lock(tmp_path / "run"):  # released
        pass


def test_a_refused_command_leaves_no_directory(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), run_lock(tmp_path / "new"):
        raise RuntimeError("bad input")
    assert not (tmp_path / "new").exists()


def test_two_concurrent_trainings_on_one_out(tmp_path: Path, run_cli) -> None:
    """Exactly one runs; the other exits 2 with one line naming the holder's PID."""
    out = tmp_path / "run"
    first = _start_training(out, "--epochs", "100000", "--minutes", "0.1", "--select-every", "0", "--lyap-every", "0",
                            "--checkpoint-every", "100000")
    try:
        _wait_for_lock(out, first)
        code, stdout, err = run_cli(*SMALL, "--epochs", "4", "--out", str(out))
        assert code == 2 and stdout == "" and "Traceback" not in err
        assert err.strip().splitlines() == [f"rnnchaos: error: run directory {str(out)!r} is in use by another "
                                            f"training (PID {first.pid}); wait for it to end or choose another --out"]
        stdout1, err1 = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 0, err1
    assert "time_budget" in stdout1


def test_a_killed_holder_releases_the_lock(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = _start_training(out, "--epochs", "100000", "--select-every", "0", "--lyap-every", "0",
                           "--checkpoint-every", "100000")
    try:
        _wait_for_lock(out, proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert (out / LOCK_NAME).read_text().strip() == str(proc.pid)  # a stale PID, but no lock behind it
    with run_lock(out):
        assert (out / LOCK_NAME).read_text().strip() == str(os.getpid())


def test_resume_may_grow_the_epochs_and_ends_as_an_uninterrupted_run(tmp_path: Path, run_cli) -> None:
    grown, straight = tmp_path / "grown", tmp_path / "straight"
    assert run_cli(*SMALL, "--epochs", "4", "--out", str(grown))[0] == 0
    code, out, err = run_cli(*SMALL, "--epochs", "6", "--out", str(grown), "--resume", "--json")
    assert code == 0, err
    assert json.loads(out)["epochs"] == 6
    assert run_cli(*SMALL, "--epochs", "6", "--out", str(straight))[0] == 0
    a, b = _state(grown), _state(straight)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert json.loads((grown / "config.json").read_text())["training"]["epochs"] == 6


def test_resume_refuses_shrinking_and_lists_every_difference(tmp_path: Path, run_cli) -> None:
    run = tmp_path / "run"
    assert run_cli(*SMALL, "--epochs", "4", "--out", str(run))[0] == 0
    code, _, err = run_cli(*SMALL, "--epochs", "2", "--out", str(run), "--resume")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "epochs: stored 4, given 2 (it may only grow)" in err
    code, _, err = run_cli(*SMALL, "--epochs", "4", "--hidden", "6", "--lr", "0.01", "--noise", "0.1",
                           "--out", str(run), "--resume")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "(hidden: stored 4, given 6; lr: stored 0.001, given 0.01; noise: stored 0.0, given 0.1)" in err
    code, _, err = run_cli(*SMALL, "--epochs", "4", "--minutes", "5", "--out", str(run), "--resume")
    assert code == 2 and "minutes: stored None, given 5.0 (it may only grow)" in err


def test_resume_without_a_budget_keeps_the_stored_one_and_a_larger_one_grows_it(tmp_path: Path, run_cli) -> None:
    """--resume without --epochs/--minutes keeps the stored budget (one warning line), rather than the
    default 1,000 epochs; a larger --epochs and --minutes train on, and the next bare resume keeps those."""
    run = tmp_path / "run"
    assert run_cli(*SMALL, "--epochs", "2", "--minutes", "5", "--out", str(run))[0] == 0
    before = _state(run)
    code, out, err = run_cli(*SMALL, "--out", str(run), "--resume", "--json")
    assert code == 0, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rnnchaos: warning: ") and "Traceback" not in err
    assert "keeping the stored budget (epochs 2, minutes 5.0)" in lines[0]
    assert json.loads(out)["epochs"] == 2
    after = _state(run)
    assert all(torch.equal(before[k], after[k]) for k in before)  # nothing trained beyond the stored budget
    cfg = json.loads((run / "config.json").read_text())
    assert (cfg["training"]["epochs"], cfg["training"]["minutes"]) == (2, 5.0)
    assert (cfg["estimator"]["epochs"], cfg["estimator"]["minutes"]) == (2, 5.0)
    code, out, err = run_cli(*SMALL, "--epochs", "4", "--minutes", "10", "--out", str(run), "--resume", "--json")
    assert code == 0 and err == "", err
    assert json.loads(out)["epochs"] == 4
    code, out, err = run_cli(*SMALL, "--out", str(run), "--resume", "--json")
    assert code == 0 and "keeping the stored budget (epochs 4, minutes 10.0)" in err
    assert json.loads(out)["epochs"] == 4
    code, _, err = run_cli(*SMALL, "--epochs", "3", "--out", str(run), "--resume")  # a smaller one is refused
    assert code == 2 and "epochs: stored 4, given 3 (it may only grow)" in err


#: options added after the first run-directory version: an older config.json has none of them
NEW_FIELDS = ("width", "alpha_rule", "alpha_every", "alpha_smoothing", "alpha_decay", "alpha_min", "noise", "lr_end",
              "nan", "forcing_signal_grad", "lr_decay_epochs")


def _as_older_version(run: Path) -> None:
    cfg = json.loads((run / "config.json").read_text())
    for section in ("estimator", "training"):
        for key in NEW_FIELDS:
            cfg[section].pop(key, None)
    cfg["training"]["forcing"].pop("signal_grad")
    (run / "config.json").write_text(json.dumps(cfg))


def test_a_run_written_without_the_newer_fields_opens_and_resumes(tmp_path: Path, run_cli) -> None:
    from rnnchaos.training.reconstructor import Reconstructor

    old, straight = tmp_path / "old", tmp_path / "straight"
    assert run_cli(*SMALL, "--epochs", "4", "--out", str(old))[0] == 0
    _as_older_version(old)
    cfg = json.loads((old / "config.json").read_text())
    assert not set(NEW_FIELDS) & (set(cfg["estimator"]) | set(cfg["training"]))
    rec = Reconstructor.load(old)
    assert rec.noise == 0.0 and rec.nan == "error" and rec.settings_.alpha_rule == "product_upper_bound"
    code, out, err = run_cli(*SMALL, "--epochs", "6", "--out", str(old), "--resume", "--json")
    assert code == 0, err
    assert run_cli(*SMALL, "--epochs", "6", "--out", str(straight))[0] == 0
    a, b = _state(old), _state(straight)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_a_run_of_another_version_is_named(tmp_path: Path, run_cli) -> None:
    run = tmp_path / "run"
    assert run_cli(*SMALL, "--epochs", "2", "--out", str(run))[0] == 0
    cfg = json.loads((run / "config.json").read_text())
    cfg["version"] = 7
    (run / "config.json").write_text(json.dumps(cfg))
    for argv in ([*SMALL, "--epochs", "4", "--out", str(run), "--resume"], ["evaluate", str(run)]):
        code, out, err = run_cli(*argv)
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
        assert "version 7" in err and "reads 1" in err
