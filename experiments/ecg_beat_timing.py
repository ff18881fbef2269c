"""Heartbeat timing of ECG reconstructions against the data (issue #11, ECG diagnosis).

The ECG series holds about 147 beats in 100,000 steps: one R peak every ~680 steps, with the interval varying by
about 6 % (coefficient of variation) from beat to beat. For each saved run this script runs the model freely
from the first *training* point for 1.25 T steps (the GTF protocol's length; the first 0.25 T dropped) and
compares its beats with the training data's: R peaks are the local maxima of the first coordinate above the
data's 99 % quantile at least 300 steps apart (``scipy.signal.find_peaks``); it reports their number, the mean,
standard deviation and range of the intervals between them, the peak height and where in the run the last beat
falls (a model whose chaotic beating is only a transient falls onto a fixed point there). It also reports the model's
λ_max (tangent-space QR, 4 orbits). The test data are read only with ``--test`` (to show them beside the
training data; no model is scored on them).

    RNNCHAOS_DATA_DIR=../shared/data .venv/bin/python experiments/ecg_beat_timing.py RUN_DIR [RUN_DIR ...] \
        [--json OUT.json] [--test]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

import numpy as np
from scipy.signal import find_peaks

from rnnchaos._util.threads import single_thread
from rnnchaos.models.spectrum import model_lyapunov_spectrum
from rnnchaos.reproductions.dsr_benchmark import load_split
from rnnchaos.training.reconstructor import Reconstructor

MIN_BEAT_DISTANCE = 300  # steps: less than half the data's shortest interval (535)


def beats(x: np.ndarray, height: float) -> dict[str, Any]:
    """R peaks of ``x[:, 0]`` above ``height`` at least ``MIN_BEAT_DISTANCE`` apart, and their intervals."""
    v = np.asarray(x, dtype=np.float64)[:, 0]
    peaks, _ = find_peaks(v, height=height, distance=MIN_BEAT_DISTANCE)
    d = np.diff(peaks).astype(np.float64)
    out: dict[str, Any] = {"beats": int(peaks.size),
                           # where the series stops beating (a collapse onto a fixed point shows as < 1)
                           "last_beat_fraction": float(peaks[-1] / v.size) if peaks.size else 0.0}
    if d.size >= 2:
        out.update(interval_mean=float(d.mean()), interval_sd=float(d.std()), interval_cv=float(d.std() / d.mean()),
                   interval_min=int(d.min()), interval_max=int(d.max()), peak_height=float(v[peaks].mean()))
    return out


def line(name: str, b: dict[str, Any]) -> str:
    if "interval_mean" not in b:
        return f"{name}: {b['beats']} beats"
    stop = "" if b["last_beat_fraction"] > 0.98 else f", last beat at {b['last_beat_fraction']:.0%} of the run"
    return (f"{name}: {b['beats']} beats, interval {b['interval_mean']:.0f} ± {b['interval_sd']:.0f} steps "
            f"(cv {b['interval_cv']:.3f}, range {b['interval_min']}–{b['interval_max']}), peak height "
            f"{b['peak_height']:.2f}{stop}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--dataset", default="gtf:ecg")
    ap.add_argument("--test", action="store_true", help="also describe the test data (no model is scored on it)")
    ap.add_argument("--lyapunov-steps", type=int, default=20_000)
    ap.add_argument("--json", default=None)
    ap.add_argument("--figure", default=None, help="PNG: the first coordinate of the data and of each free run")
    a = ap.parse_args()
    train, test = load_split(a.dataset)
    height = float(np.quantile(train[:, 0], 0.99))
    rows: list[dict[str, Any]] = [{"run": "training data", **beats(train, height)}]
    print(line("training data", rows[0]), flush=True)
    if a.test:
        rows.append({"run": "test data", **beats(test, height)})
        print(line("test data", rows[-1]), flush=True)
    n = train.shape[0]
    series = [("training data", train)]
    with single_thread():
        for run in a.runs:
            rec = Reconstructor.load(run)
            y = np.asarray(rec.generate(int(math.floor(1.25 * n)), x0=train[0])[int(math.floor(0.25 * n)):])
            row = {"run": run, **beats(y, height)}
            series.append((run.rstrip("/").split("/")[-1].split("__14min")[0], y))
            spec = model_lyapunov_spectrum(rec.model_, a.lyapunov_steps, transient=5000, n_initial_conditions=4, seed=0)
            row["lambda_max"], row["lambda_max_stderr"] = float(spec.exponents[0]), float(spec.stderr[0])
            rows.append(row)
            print(line(run.rstrip("/").split("/")[-1], row) + f"; λ_max {row['lambda_max']:.4f} ± "
                  f"{row['lambda_max_stderr']:.4f} per step", flush=True)
    if a.json:
        with open(a.json, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, indent=1)
    if a.figure:
        figure(series, a.figure)
    return 0


def figure(series: list[tuple[str, np.ndarray]], path: str) -> None:
    """One panel per series: its first coordinate over the whole scored run (100,000 steps)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(series), 1, figsize=(11, 1.6 * len(series)), sharex=True, squeeze=False)
    for ax, (name, y) in zip(axes[:, 0], series, strict=True):
        ax.plot(np.asarray(y)[:, 0], lw=0.3, color="k")
        ax.set_title(name, fontsize=8, loc="left")
        ax.set_ylim(-3, 5)
    axes[-1, 0].set_xlabel("step of the scored free run (training data: its own steps)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
