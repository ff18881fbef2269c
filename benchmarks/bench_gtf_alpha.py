"""Cost of the adaptive GTF α (Hess et al. 2023's product upper bound) against a fixed α, per epoch.

The ECG setting of the GTF paper: clipped shPLRNN, M = 5, hidden width L = 250, affine observation of
the 5 standardised ECG delay coordinates (``ecg_5d_train.npy`` of the shared data; a Lorenz-63 series
padded to 5 columns when it is missing), batch 16, sequences of 200 steps, 50 batches per epoch, RAdam
with exponential decay 1e−3 → 1e−6.  ``fixed``: α = 0.3; ``auto``: α estimated every ``--alpha-every``
optimizer steps (5 in their code) by :func:`rnnchaos.training.gtf.update_alpha`.  Threads pinned to 1.

    .venv/bin/python benchmarks/bench_gtf_alpha.py [--epochs 4] [--alpha-every 5]
"""

from __future__ import annotations

import argparse
import os
import time

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from rnnchaos.data.datasets import shared_data_dir  # noqa: E402
from rnnchaos.models.base import build_model  # noqa: E402
from rnnchaos.training.forcing import ForcingSchedule  # noqa: E402
from rnnchaos.training.trainer import Trainer, TrainSettings  # noqa: E402


def _data() -> np.ndarray:
    d = shared_data_dir()
    if d is not None and (d / "ecg_5d_train.npy").is_file():
        x = np.load(d / "ecg_5d_train.npy").astype(np.float64)
    else:
        from rnnchaos.systems.registry import get_system

        x = get_system("lorenz63").trajectory(100_000, seed=0)
        x = np.concatenate([x, x[:, :2] ** 2], axis=1)
    return (x - x.mean(0)) / x.std(0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--alpha-every", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    x = _data()
    for mode in ("warm-up", "fixed", "auto"):  # the warm-up compiles the fused kernel; not reported
        model = build_model("shplrnn", 5, 5, observation="affine", seed=0, hidden_dim=250, clipped=True)
        s = TrainSettings(forcing=ForcingSchedule("gtf", alpha=1.0 if mode == "auto" else 0.3),
                          alpha_mode="auto" if mode == "auto" else "fixed",
                          alpha_every=args.alpha_every, epochs=1 if mode == "warm-up" else args.epochs, seq_len=200, batch_size=16,
                          batches_per_epoch=50, optimizer="radam", lr_schedule="exponential", lr_end=1e-6,
                          log_every=1, checkpoint_every=10**6)
        tr = Trainer(model, x, s)
        t0 = time.perf_counter()
        res = tr.run()
        per_epoch = (time.perf_counter() - t0) / s.epochs  # type: ignore[operator]
        if mode == "warm-up":
            continue
        print(f"{mode:5s}  {'fused' if tr.fast else 'autograd'}  {per_epoch:.3f} s/epoch  "
              f"final alpha {res.history[-1]['alpha']:.4f}  load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
