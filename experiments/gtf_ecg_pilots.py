"""Pilots for issue #11's ECG collapse: the shPLRNN + GTF settings of ``dsr_benchmark.CONFIGS["shplrnn-gtf"]``
with the differences from Hess et al.'s released code (DurstewitzLab/GTF-shPLRNN) switched on one by one.
Trains on the ECG training file only and judges on it (never the test file): the GTF protocol with the
training series as truth (a free run of 1.25 T from its first point, the first 0.25 T dropped, ``gtf2023``),
the amplitude (mean sd over dimensions) of the last 10,000 steps of 100,000-step free runs from 4 training
points, and the n-step free-run error from 4,000 training points (standardised units).

    RNNCHAOS_DATA_DIR=/work/shared/data OMP_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python \\
        experiments/gtf_ecg_pilots.py --variant paper --minutes 8 --seed 0 --out /tmp/pilots

Variants (Reconstructor keyword arguments on top of the benchmark configuration):
``base`` (none); ``schedule``: ``lr_decay_epochs=5000`` (their per-epoch learning-rate decay, cut off by the
budget instead of squeezed into it); ``nosignal``: also ``forcing_signal_grad=False, clip="none"``;
``paper``: also ``init="gtf2023"`` and ``observation="linear"`` (their initialisation; their Affine has no offset).
Cost: ``--minutes`` of training on one core plus about a minute of scoring.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from rnnchaos.metrics.scoring import score_trajectory
from rnnchaos.reproductions.dsr_benchmark import CONFIGS, load_split
from rnnchaos.training.reconstructor import Reconstructor

SCHEDULE = {"lr_decay_epochs": 5000}
NOSIGNAL = {**SCHEDULE, "forcing_signal_grad": False, "clip": "none"}
PAPER = {**NOSIGNAL, "observation": "linear", "init": "gtf2023"}
VARIANTS = {"base": {}, "schedule": SCHEDULE, "nosignal": NOSIGNAL, "paper": PAPER}


def free_run_errors(rec: Reconstructor, x: np.ndarray, horizons: tuple[int, ...] = (20, 100, 300),
                    n_starts: int = 4000, seed: int = 0) -> dict[int, float]:
    """Mean squared n-step free-run error (standardised units) from ``n_starts`` random points of ``x``."""
    m = rec.model_
    xs = (x - rec.mean_) / rec.std_
    H = max(horizons)
    idx = np.random.default_rng(seed).integers(0, len(xs) - H - 1, n_starts)
    out = {}
    with torch.no_grad():
        z = m.infer_latent(torch.as_tensor(xs[idx], dtype=m.dtype))
        for t in range(1, H + 1):
            z = m.step(z)
            if t in horizons:
                out[t] = float(np.mean((m.observe(z).double().numpy() - xs[idx + t]) ** 2))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--variant", choices=sorted(VARIANTS), required=True)
    ap.add_argument("--minutes", type=float, default=8.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="/tmp/gtf_ecg_pilots")
    a = ap.parse_args()
    torch.set_num_threads(1)
    train, _ = load_split("gtf:ecg")
    kw = CONFIGS["shplrnn-gtf"].reconstructor_kwargs("gtf:ecg", train.shape[1])
    mk = kw.pop("model_kwargs", {})
    over = dict(VARIANTS[a.variant])
    if "init" in over:
        mk["init"] = over.pop("init")
    kw.update(over, select_every=0, lyap_every=0)  # judge the last model, as their evaluation does
    name = f"{a.variant}_s{a.seed}_{a.minutes:g}min"
    t0 = time.time()
    rec = Reconstructor(**kw, **mk, seed=a.seed, minutes=a.minutes, out=str(Path(a.out) / name)).fit(train)
    n = train.shape[0]
    s = score_trajectory(train, rec.generate(int(1.25 * n), x0=train[0])[int(0.25 * n):], preset="gtf2023", seed=0)
    amps = [float(rec.generate(100_000, x0=train[i])[-10_000:].std(0).mean())
            for i in np.linspace(0, n - 1, 4).astype(int)]
    out = {"variant": a.variant, "seed": a.seed, "minutes": a.minutes, "epochs": rec.result_.epochs,
           "final_loss": rec.result_.final_loss, "d_stsp_train": s.d_stsp, "d_h_train": s.d_h,
           "amplitude_last_10k": amps, "data_amplitude": float(train.std(0).mean()),
           "free_run_mse": free_run_errors(rec, train), "seconds": time.time() - t0}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
