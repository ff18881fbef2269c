"""Where in a heartbeat the ECG models' one-step error lies, against the data's speed (issue #11, ECG diagnosis).

For each saved run: from every training state x_t (the first 50,000; the latent state inferred from x_t alone)
the model's one-step velocity v̂_t = x̂_{t+1} − x_t against the data's v_t = x_{t+1} − x_t, in standardised
units, binned by the data's speed ‖v_t‖.  Per bin: the share of steps, the rms error ‖v̂ − v‖, that rms relative
to the bin's rms speed, the median signed one-step speed error along the data's direction ((v̂ − v)·v / ‖v‖²)
and the bin's share of the summed squared error (what the mean squared error sees).

The one-step signed error is not the drift speed: from a data state the model first relaxes onto its own slow
manifold.  So the script also runs the model freely for ``--drift-steps`` K steps (50) from every fifth start of
a slow window (every step of the next K slower than 0.01) and reports the drift ratio
(x̂_{t+K} − x_t)·(x_{t+K} − x_t) / ‖x_{t+K} − x_t‖² (1: the right speed; its spread is the window-to-window
speed error that scatters the beat timing) and the rms K-step error against the rms K-step displacement.
(The data are smooth at this scale: the rms third difference in the slow phase is 2.7e-4, so white measurement
noise is below 6e-5 and does not bias these numbers.)  Training data only.

    RNNCHAOS_DATA_DIR=../shared/data .venv/bin/python experiments/ecg_slow_phase_error.py RUN_DIR [RUN_DIR ...] \
        [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import numpy as np
import torch

from rnnchaos._util.threads import single_thread
from rnnchaos.reproductions.dsr_benchmark import load_split
from rnnchaos.training.reconstructor import Reconstructor

BINS = [(0.0, 0.005), (0.005, 0.01), (0.01, 0.02), (0.02, 0.05), (0.05, 0.2), (0.2, np.inf)]


def slow_phase_error(rec: Reconstructor, x: np.ndarray) -> list[dict[str, Any]]:
    """The per-speed-bin rows for model ``rec`` on the data ``x`` (T, N) in data units."""
    m = rec.model_
    X = torch.tensor((x - rec.mean_) / rec.std_, dtype=m.dtype)
    with torch.no_grad():
        pred = m.observe(m.step(m.infer_latent(X[:-1]))).double().numpy()
    Xn = X.double().numpy()
    v, vh = Xn[1:] - Xn[:-1], pred - Xn[:-1]
    speed = np.linalg.norm(v, axis=1)
    err = np.linalg.norm(vh - v, axis=1)
    total = float((err ** 2).sum())
    rows = []
    for lo, hi in BINS:
        s = (speed >= lo) & (speed < hi)
        if not s.any():
            continue
        rms = float(np.sqrt((err[s] ** 2).mean()))
        along = np.sum((vh - v)[s] * v[s], axis=1) / np.maximum(speed[s], 1e-12) ** 2
        rows.append({"speed_from": lo, "speed_to": None if not np.isfinite(hi) else hi,
                     "share_of_steps": float(s.mean()), "rms_error": rms,
                     "relative_rms_error": rms / float(np.sqrt((speed[s] ** 2).mean())),
                     "median_relative_speed_error": float(np.median(along)),
                     "share_of_squared_error": float((err[s] ** 2).sum()) / total})
    return rows


def slow_drift(rec: Reconstructor, x: np.ndarray, k: int, every: int = 5) -> dict[str, Any]:
    """The K-step free-run drift of model ``rec`` from the slow windows of ``x`` (T + k, N) (docstring)."""
    m = rec.model_
    X = torch.tensor((x - rec.mean_) / rec.std_, dtype=m.dtype)
    Xn = X.double().numpy()
    n = Xn.shape[0] - k
    fast = np.concatenate([[0], np.cumsum(np.linalg.norm(np.diff(Xn, axis=0), axis=1) >= 0.01)])
    starts = np.where(fast[k:n + k] - fast[:n] == 0)[0]
    idx = starts[::every]
    with torch.no_grad():
        z = m.infer_latent(X[idx])
        for _ in range(k):
            z = m.step(z)
        xh = m.observe(z).double().numpy()
    d, dh = Xn[idx + k] - Xn[idx], xh - Xn[idx]
    ratio = np.sum(dh * d, axis=1) / np.sum(d * d, axis=1)
    return {"steps": k, "slow_windows": int(starts.size), "drift_ratio_median": float(np.median(ratio)),
            "drift_ratio_q25": float(np.quantile(ratio, 0.25)), "drift_ratio_q75": float(np.quantile(ratio, 0.75)),
            "rms_error": float(np.sqrt(((dh - d) ** 2).sum(axis=1).mean())),
            "rms_displacement": float(np.sqrt((d ** 2).sum(axis=1).mean()))}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--dataset", default="gtf:ecg")
    ap.add_argument("--steps", type=int, default=50_000)
    ap.add_argument("--drift-steps", type=int, default=50)
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    train, _ = load_split(a.dataset)
    out = []
    with single_thread():
        for run in a.runs:
            rec = Reconstructor.load(run)
            rows = slow_phase_error(rec, train[: a.steps + 1])
            drift = slow_drift(rec, train[: a.steps + a.drift_steps], a.drift_steps)
            out.append({"run": run, "bins": rows, "drift": drift})
            print(run.rstrip("/").split("/")[-1])
            for r in rows:
                hi = "inf" if r["speed_to"] is None else f"{r['speed_to']}"
                print(f"  speed [{r['speed_from']}, {hi}): {r['share_of_steps']:.2f} of steps, rms error "
                      f"{r['rms_error']:.4f} ({r['relative_rms_error']:.2f} of the speed), median speed error "
                      f"{r['median_relative_speed_error']:+.3f}, {r['share_of_squared_error']:.2f} of the squared error",
                      flush=True)
            print(f"  {drift['steps']}-step free runs from {drift['slow_windows']} slow windows (every 5th): drift "
                  f"ratio {drift['drift_ratio_median']:.3f} [{drift['drift_ratio_q25']:.3f}, {drift['drift_ratio_q75']:.3f}], "
                  f"rms error {drift['rms_error']:.4f} against a displacement of {drift['rms_displacement']:.4f}", flush=True)
    if a.json:
        with open(a.json, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
