"""Throughput of training: time per epoch of our sparse-forcing PLRNN against a straightforward PyTorch loop.

Setting of issue 5 (the STF paper's defaults): PLRNN with M = 30 latent units and a linear observation
of the N = 3 Lorenz-63 coordinates, batch 32, sequences of 100 steps, 10 batches per epoch, sparse
teacher forcing every τ = 30 steps, Adam, gradient-norm clipping.  "ours" is the Trainer with the fused
numba kernel (forward + hand-written backward, :mod:`rnnchaos.training.plrnn_kernel`); "straightforward" is
the same Trainer, same model, same batches, with the gradient from PyTorch autograd through a per-step
Python loop (:func:`rnnchaos.training.torch_loss.forced_sequence_loss`), which is how the reference code
computes it.  An LSTM (H = 32, autograd) is timed for scale.  Threads are pinned to 1.

    .venv/bin/python benchmarks/bench_training.py [--epochs 30]

Reference code of the paper on this machine (one core): 88 ms per epoch (PLRNN), 297 ms (LSTM).
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from rnnchaos.models.base import build_model  # noqa: E402
from rnnchaos.training.forcing import ForcingSchedule  # noqa: E402
from rnnchaos.training.trainer import Trainer, TrainSettings  # noqa: E402


def _data() -> np.ndarray:
    from rnnchaos.systems.registry import get_system

    x = get_system("lorenz63").trajectory(20_000, seed=0)
    return ((x - x.mean(0)) / x.std(0)).astype(np.float32)


def time_per_epoch(arch: str, latent: int, fast: bool, epochs: int, x: np.ndarray) -> tuple[float, float]:
    """(wall, CPU) seconds per epoch; CPU time of this process is less affected by other jobs on the machine."""
    model = build_model(arch, 3, latent, observation="linear", seed=0)
    settings = TrainSettings(forcing=ForcingSchedule("stf", tau=30), epochs=epochs, seq_len=100, batch_size=32,
                             batches_per_epoch=10, checkpoint_every=10**6, log_every=10**6, seed=0)
    trainer = Trainer(model, x, settings)
    trainer.fast = trainer.fast and fast
    warm = Trainer(build_model(arch, 3, latent, observation="linear", seed=0), x,
                   TrainSettings(forcing=ForcingSchedule("stf", tau=30), epochs=2, checkpoint_every=10**6,
                                 log_every=10**6))
    warm.fast = warm.fast and fast
    warm.run()  # JIT compilation and allocator warm-up
    t0, c0 = time.perf_counter(), time.process_time()
    trainer.run()
    return (time.perf_counter() - t0) / epochs, (time.process_time() - c0) / epochs


def main() -> None:
    ap = argparse.ArgumentParser(description="training throughput")
    ap.add_argument("--epochs", type=int, default=30)
    args = ap.parse_args()
    torch.set_num_threads(1)
    x = _data()
    with threadpool_limits(1):
        ours = time_per_epoch("plrnn", 30, True, args.epochs, x)
        plain = time_per_epoch("plrnn", 30, False, max(5, args.epochs // 3), x)
        lstm = time_per_epoch("lstm", 64, False, max(3, args.epochs // 6), x)
    print(f"load average (1 min): {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print("PLRNN M=30, batch 32, seq 100, 10 batches, STF tau=30, one thread:       wall      CPU  (ms/epoch)")
    print(f"  ours (fused kernel, hand-written backward):        {1e3 * ours[0]:8.2f} {1e3 * ours[1]:8.2f}")
    print(f"  straightforward PyTorch loop (autograd)   :        {1e3 * plain[0]:8.2f} {1e3 * plain[1]:8.2f}")
    print(f"  speed-up                                  :        {plain[0] / ours[0]:8.1f} {plain[1] / ours[1]:8.1f}")
    print("  reference code of the paper (issue): 88 ms/epoch on an idle core; target <= 30 ms")
    print(f"LSTM H=32 (state 64), autograd              :        {1e3 * lstm[0]:8.2f} {1e3 * lstm[1]:8.2f}"
          "  (reference code: 297 ms)")


if __name__ == "__main__":
    main()
