"""Peak memory of ``rnnchaos train --epochs 2`` and ``rnnchaos evaluate`` on a large float32 series,
against the size of the file (issue #16, "large data": the goal is at most 3x the file).

Writes a T x N float32 ``.npy`` (default 10^6 x 64 = 256 MB) of a random walk into a temporary
directory (``--dir``, default the system's), runs each command in a fresh subprocess and reads its peak
resident set size (``ru_maxrss`` of the child, Linux: KiB; pages of a memory-mapped file count while they
are mapped in).  A tiny run (10^3 x 64) gives the fixed cost of Python + torch + rnnchaos, so
``peak - baseline`` is what the data cost.  Threads pinned to 1.  The goal (issue #16) is a peak of at
most 3x the file; files of 64 MiB and more are memory-mapped (rnnchaos.data.mapped).

    .venv/bin/python benchmarks/bench_memory.py [--samples 1000000] [--dims 64] [--dir /tmp] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CLI = "import sys; from rnnchaos.cli import main; sys.exit(main())"
TRAIN = ["--epochs", "2", "--hidden", "8", "--seq-len", "50", "--batch-size", "16", "--batches-per-epoch", "2",
         "--tau", "10", "--select-every", "0", "--lyap-every", "0", "--no-progress"]


def _peak_rss(args: list[str]) -> tuple[int, float, int]:
    """(peak RSS in bytes, seconds, exit code) of ``rnnchaos ARGS`` in a fresh child process."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    code = ("import resource, subprocess, sys; p = subprocess.run(sys.argv[1:]); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(p.returncode)")
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, sys.executable, "-c", CLI, *args], env=env,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"rnnchaos {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    return int(proc.stdout.strip().splitlines()[-1]) * 1024, seconds, proc.returncode


def _series(path: Path, samples: int, dims: int) -> None:
    rng = np.random.default_rng(0)
    x = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(samples, dims))
    block = 100_000
    state = np.zeros(dims, dtype=np.float64)
    for a in range(0, samples, block):  # a bounded random walk, written in blocks
        steps = rng.normal(size=(min(block, samples - a), dims))
        walk = state + np.cumsum(steps, axis=0) * 0.01
        x[a:a + len(walk)] = np.tanh(walk)
        state = walk[-1]
    x.flush()
    del x


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=1_000_000)
    ap.add_argument("--dims", type=int, default=64)
    ap.add_argument("--dir", default=None, help="where the temporary series and runs are written")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    rows = {}
    with tempfile.TemporaryDirectory(prefix="rnnchaos-bench-memory-", dir=args.dir) as tmp:
        d = Path(tmp)
        for name, samples in (("baseline", 1_000), ("large", args.samples)):
            path = d / f"{name}.npy"
            _series(path, samples, args.dims)
            run = d / f"run_{name}"
            train_peak, train_s, _ = _peak_rss(["train", "--data", str(path), *TRAIN, "--out", str(run)])
            eval_peak, eval_s, _ = _peak_rss(["evaluate", str(run), "--n-steps", "2000", "--lyapunov-steps", "100",
                                              "--json"])
            rows[name] = {"samples": samples, "dims": args.dims, "file_bytes": path.stat().st_size,
                          "train_peak_bytes": train_peak, "train_seconds": round(train_s, 1),
                          "evaluate_peak_bytes": eval_peak, "evaluate_seconds": round(eval_s, 1)}
    big, base = rows["large"], rows["baseline"]
    for cmd in ("train", "evaluate"):
        big[f"{cmd}_peak_over_file"] = round(big[f"{cmd}_peak_bytes"] / big["file_bytes"], 2)
        big[f"{cmd}_data_cost_over_file"] = round((big[f"{cmd}_peak_bytes"] - base[f"{cmd}_peak_bytes"])
                                                  / big["file_bytes"], 2)
    if args.json:
        print(json.dumps(rows))
        return
    mib = 1024**2
    print(f"file: {big['samples']:,} x {big['dims']} float32 = {big['file_bytes'] / mib:.0f} MiB")
    for cmd in ("train", "evaluate"):
        verdict = "meets" if big[f"{cmd}_peak_over_file"] <= 3.0 else "misses"
        print(f"{cmd:9s} {verdict} the 3x goal: peak {big[f'{cmd}_peak_bytes'] / mib:7.0f} MiB = {big[f'{cmd}_peak_over_file']:.2f}x the file "
              f"(baseline process {base[f'{cmd}_peak_bytes'] / mib:.0f} MiB; data cost "
              f"{big[f'{cmd}_data_cost_over_file']:.2f}x the file; {big[f'{cmd}_seconds']} s)")


if __name__ == "__main__":
    main()
