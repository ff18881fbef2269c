"""SIGKILL a small training at 20 random moments; each time, `--resume` must finish with results identical
to an uninterrupted run, and no file in the run directory may be corrupt.

    .venv/bin/python benchmarks/bench_sigkill_resume.py [--kills 20] [--seed 0]

Protocol (issue 8, "Faults"):

1. One uninterrupted reference run of ``rnnchaos train`` (subprocess, one thread) records its final
   JSON summary, the tensors of ``model.pt`` and the losses logged in ``metrics.jsonl``.
2. For each of ``--kills`` moments (seeded), a fresh run is started in its own directory and killed
   with SIGKILL: the first kill comes 0.3 s after the start (during start-up, before any checkpoint);
   the others come at a moment drawn uniformly in [0, 1.1 x the reference's training time] after the
   run has written its first checkpoint (epoch 0), so they land during training, while checkpoints,
   ``model.pt`` and ``metrics.jsonl`` are being written, or after the last epoch. Every file
   present afterwards must be readable: ``config.json`` as JSON, ``checkpoint.pt`` and ``model.pt`` with
   ``torch.load(weights_only=True)``, ``metrics.jsonl`` line by line. Then the same command with
   ``--resume`` is run to completion (or, if the kill came before the first checkpoint existed, the run
   is started again without ``--resume``).
3. The finished run must equal the reference exactly: ``final_loss`` and ``epochs`` of the summary,
   every tensor of ``model.pt`` (``torch.equal``), and the logged loss at every epoch.

Prints one line per kill and a summary; exits 1 if any run differs or any file was corrupt.
Threads are pinned (OMP_NUM_THREADS=1) so that the runs are bit-for-bit reproducible.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

TRAIN = ["train", "--data", "lorenz63", "--n-steps", "3000", "--epochs", "1500", "--hidden", "8", "--seq-len", "30",
         "--batch-size", "8", "--batches-per-epoch", "4", "--tau", "5", "--checkpoint-every", "25", "--log-every", "25",
         "--no-progress", "--seed", "0", "--json"]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
CLI = [sys.executable, "-c", "import sys; from rnnchaos.cli import main; sys.exit(main())"]


def run_to_end(out: Path, resume: bool) -> tuple[int, dict[str, Any] | None, str]:
    cmd = [*CLI, *TRAIN, "--out", str(out), *(["--resume"] if resume else [])]
    proc = subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=900)
    summary = json.loads(proc.stdout) if proc.returncode == 0 and proc.stdout.strip() else None
    return proc.returncode, summary, proc.stderr.strip()


def fingerprint(out: Path) -> dict[str, Any]:
    model = torch.load(out / "model.pt", map_location="cpu", weights_only=True)
    losses = {}
    for line in (out / "metrics.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if "loss" in rec and "epoch" in rec:
            losses[int(rec["epoch"])] = rec["loss"]
    return {"state": model["state_dict"], "config": model["config"], "losses": losses}


def same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a["config"] != b["config"] or a["losses"] != b["losses"] or set(a["state"]) != set(b["state"]):
        return False
    return all(torch.equal(a["state"][k], b["state"][k]) for k in a["state"])


def check_files(out: Path) -> list[str]:
    """Names of files in ``out`` that cannot be read (a corrupt file after the kill)."""
    bad = []
    for path in sorted(out.iterdir()) if out.exists() else []:
        if path.name.endswith(".tmp") or path.name.startswith("."):
            continue  # an unfinished temporary file of an atomic write: never read, replaced next time
        try:
            if path.suffix == ".json":
                json.loads(path.read_text(encoding="utf-8"))
            elif path.suffix == ".pt":
                torch.load(path, map_location="cpu", weights_only=True)
            elif path.suffix == ".jsonl":
                lines = path.read_text(encoding="utf-8").splitlines()
                for line in lines[:-1]:
                    json.loads(line)
        except Exception as exc:  # noqa: BLE001 - any failure to read is what we look for
            bad.append(f"{path.name}: {type(exc).__name__}: {exc}")
    return bad


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(1)
    base = Path(tempfile.mkdtemp(prefix="sigkill-"))
    try:
        t0 = time.perf_counter()
        code, reference, err = run_to_end(base / "reference", resume=False)
        t_ref = time.perf_counter() - t0
        if code != 0 or reference is None:
            print(f"reference run failed (exit {code}): {err}")
            return 1
        ref = fingerprint(base / "reference")
        print(f"reference: {t_ref:.1f} s wall ({reference['seconds']:.1f} s of training), final_loss "
              f"{reference['final_loss']!r}, epochs {reference['epochs']}")
        rng = np.random.default_rng(args.seed)
        moments = np.sort(rng.uniform(0.0, 1.1 * float(reference["seconds"]), size=args.kills))
        moments[0] = -0.3  # negative: seconds after the process start, before training begins
        failures = 0
        for i, moment in enumerate(moments):
            out = base / f"kill{i:02d}"
            proc = subprocess.Popen([*CLI, *TRAIN, "--out", str(out)], env=ENV, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            if moment < 0:
                time.sleep(-float(moment))
            else:
                deadline = time.monotonic() + 600
                while not (out / "checkpoint.pt").exists() and proc.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.01)
                time.sleep(float(moment))
            finished_before_kill = proc.poll() is not None
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            corrupt = check_files(out)
            state = "none"
            if (out / "checkpoint.pt").exists():
                state = f"epoch {torch.load(out / 'checkpoint.pt', weights_only=True)['epoch']}"
            resume = (out / "checkpoint.pt").exists() and (out / "config.json").exists()
            if not resume:
                shutil.rmtree(out, ignore_errors=True)
            code, summary, err = run_to_end(out, resume=resume)
            ok = (code == 0 and summary is not None and not corrupt
                  and summary["final_loss"] == reference["final_loss"] and summary["epochs"] == reference["epochs"]
                  and same(fingerprint(out), ref))
            failures += not ok
            how = "finished before the kill" if finished_before_kill else f"checkpoint at kill: {state}"
            when = f"{-moment:.2f} s after start" if moment < 0 else f"{moment:5.2f} s into training"
            print(f"kill {i + 1:2d} {when} ({how}); {'--resume' if resume else 'restart'}: "
                  f"{'identical' if ok else 'DIFFERENT'}" + (f"; corrupt: {corrupt}" if corrupt else "")
                  + (f"; exit {code}: {err}" if code != 0 else ""))
        print(f"{args.kills - failures}/{args.kills} killed runs resumed to results identical to the reference "
              "(final_loss, every model.pt tensor, every logged loss); no corrupt file" if failures == 0 else
              f"{failures}/{args.kills} killed runs differ from the reference or left a corrupt file")
        return 0 if failures == 0 else 1
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
