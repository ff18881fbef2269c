"""Reconstruction quality under a wall-clock time budget on one core (issue 5, "Must show").

Trains on the first 80 % of ``stf_lorenz63.npy`` (Mikhaeil et al. 2022's Lorenz-63 series) and scores one
100,000-step free run from the latent state inferred from the data's first point with the ``stf2022``
metric preset (D_stsp by binning, D_H), against the whole series (as the paper does) and against the
held-out last 20 %.  Each configuration is run for several seeds, one run at a time, threads pinned
to 1.  Model selection is on (every 250 epochs, D_stsp of 4 free runs of 20,000 steps against the *training* part only); the
score of the last model on the training part is recorded beside that of the selected one.

    .venv/bin/python benchmarks/train_quality.py --config plrnn_stf --minutes 5 --seeds 0 1 2
    .venv/bin/python benchmarks/train_quality.py --config plrnn_bptt --minutes 5 --seeds 0 1 2
    # one point of the tau sweep (sequences of max(100, 2 tau) steps, so that each is forced at least once):
    .venv/bin/python benchmarks/train_quality.py --config plrnn_stf --tau 70 --seq-len 140 --minutes 2 \
        --seeds 0 --out benchmarks/results/tau_sweep.jsonl

Each finished run appends one JSON line to ``benchmarks/results/train_quality.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from rnnchaos.data.datasets import shared_data_dir  # noqa: E402
from rnnchaos.training.reconstructor import Reconstructor  # noqa: E402

CONFIGS: dict[str, dict] = {
    # sparse teacher forcing, tau from lambda_max of the data (tau = auto)
    "plrnn_stf": {"model": "plrnn", "hidden": 30, "forcing": "stf", "tau": "auto", "lr_schedule": "cosine",
                  "lr_final": 0.05, "select_every": 250},
    "plrnn50_stf": {"model": "plrnn", "hidden": 50, "forcing": "stf", "tau": "auto", "lr_schedule": "cosine",
                    "lr_final": 0.05, "select_every": 250},
    # the baseline: BPTT through the whole sequence with gradient-norm clipping at 10
    "plrnn_bptt": {"model": "plrnn", "hidden": 30, "forcing": "bptt", "clip": "norm", "clip_value": 10.0,
                   "lr_schedule": "cosine", "lr_final": 0.05, "select_every": 250},
    # generalized teacher forcing with the adaptive alpha of Hess et al. (2023)
    "plrnn_gtf": {"model": "plrnn", "hidden": 30, "forcing": "gtf", "alpha": "auto", "lr_schedule": "cosine",
                  "lr_final": 0.05, "select_every": 250},
    "lstm_stf": {"model": "lstm", "hidden": 32, "forcing": "stf", "tau": "auto", "lr_schedule": "cosine",
                 "lr_final": 0.05, "select_every": 250},
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", required=True, choices=sorted(CONFIGS))
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--data", default="stf_lorenz63")
    ap.add_argument("--out", default="benchmarks/results/train_quality.jsonl")
    ap.add_argument("--runs", default="/tmp/rnnchaos_quality_runs")
    ap.add_argument("--tau", type=int, default=None, help="Override the configuration's tau (a tau sweep).")
    ap.add_argument("--seq-len", type=int, default=None,
                    help="Sequence length (default 100; a tau sweep uses max(100, 2 tau) so that every sequence "
                         "is forced at least once).")
    args = ap.parse_args()
    torch.set_num_threads(1)
    shared = shared_data_dir()
    if shared is None:
        sys.exit("shared data directory not found (set RNNCHAOS_DATA_DIR)")
    x = np.load(shared / f"{args.data}.npy")
    n_train = int(0.8 * len(x))
    for seed in args.seeds:
        tag = (f"_tau{args.tau}" if args.tau is not None else "") + (f"_T{args.seq_len}" if args.seq_len else "")
        run_dir = Path(args.runs) / f"{args.config}{tag}_{args.minutes:g}min_seed{seed}"
        if run_dir.exists():
            import shutil
            shutil.rmtree(run_dir)
        cfg = dict(CONFIGS[args.config])
        if args.tau is not None:
            cfg["tau"] = args.tau
        if args.seq_len is not None:
            cfg["seq_len"] = args.seq_len
        with threadpool_limits(1):
            t0 = time.time()
            rec = Reconstructor(**cfg, epochs=10**9, minutes=args.minutes, seed=seed, out=run_dir,
                                log_every=100, checkpoint_every=1000).fit(x[:n_train])
            wall = time.time() - t0
            full = rec.evaluate(x, preset="stf2022")
            test = rec.evaluate(x[n_train:], preset="stf2022")
        row = {"config": args.config, "settings": cfg, "data": args.data, "seed": seed, "minutes": args.minutes,
               "epochs": rec.result_.epochs, "train_seconds": round(rec.result_.seconds, 1),
               "wall_seconds_incl_setup": round(wall, 1), "status": rec.result_.status,
               "final_loss": rec.result_.final_loss, "selected_epoch": rec.result_.selected_epoch,
               "d_stsp_train_selected": rec.result_.selected_score,
               "d_stsp_train_last": next((h["d_stsp_train"] for h in reversed(rec.history_) if "d_stsp_train" in h),
                                         None), "tau": rec.tau_, "lambda_max_data": rec.lambda_max_data_,
               "d_stsp_full": full["d_stsp"], "d_h_full": full["d_h"], "d_stsp_test": test["d_stsp"],
               "d_h_test": test["d_h"], "pe20_test": test["pe"], "load_avg": os.getloadavg()[0]}
        print(json.dumps(row), flush=True)
        with open(args.out, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
