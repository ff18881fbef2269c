"""The average heartbeat of ECG reconstructions against the data's (issue #11, ECG diagnosis).

``ecg_period_rescaled.py`` found that the models' time scale is right (their best uniform stretch is
0.98-1.04) and the best model (seed 2 of the best configuration) also beats at the data's rate with the data's
variability (interval 683 ± 6.6 % against 683 ± 6.2 %), yet scores D_H 0.12 against the target 0.06; its
spectrum differs from the data's in harmonics 4-10 of the beat, where both hold the same total power but
distribute it differently over the harmonics: the shape of the beat.  This script shows that shape.  For the
data and for each saved run's GTF-protocol free run (1.25 T from the first test point, 0.25 T dropped) it
finds the R peaks (local maxima of the first coordinate with a prominence of half its range, at least 300
steps apart), averages the first coordinate over windows from ``-BEFORE`` to ``+AFTER`` steps around them,
and reports the rms difference to the test data's average beat in the segments of the beat and the mean
beat-to-beat sd (how much single beats vary around their average), and the beats' memory: the
autocorrelation over beats of the R-R interval and of the R and T amplitudes; ``--figure``
draws them.  The test data are used only to describe, not to choose anything.

    RNNCHAOS_DATA_DIR=../shared/data .venv/bin/python experiments/ecg_waveform.py RUN_DIR [...] \
        [--json OUT.json] [--figure OUT.png]
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

import numpy as np
from scipy.signal import find_peaks

from rnnchaos._util.threads import single_thread
from rnnchaos.reproductions.dsr_benchmark import load_split
from rnnchaos.training.reconstructor import Reconstructor

BEFORE, AFTER = 250, 450
#: segments of the window, in steps relative to the R peak (set from the data's average beat)
SEGMENTS = {"before R (P wave, baseline)": (-250, -40), "QRS": (-40, 40), "after R (T wave)": (40, 450)}


def r_peaks(v: np.ndarray) -> np.ndarray:
    """R peaks of the first coordinate ``v``: local maxima with a prominence of half its range, at least 300
    steps apart (every ECG diagnosis script finds beats this way)."""
    peaks, _ = find_peaks(v, distance=300, prominence=0.5 * np.ptp(v))
    return peaks


def protocol_run(run: str, test: np.ndarray, extra: int = 0) -> np.ndarray:
    """The GTF protocol's free run of the saved model in ``run``: 1.25 T steps from the first test point, the
    first 0.25 T dropped (data units); ``extra`` steps more at the end."""
    n = test.shape[0]
    drop = int(math.floor(0.25 * n))
    rec = Reconstructor.load(run)
    return np.asarray(rec.generate(drop + n + extra, x0=test[0])[drop:])


def average_beat(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Mean and sd of ``x[:, 0]`` over windows around its R peaks, and the number of beats averaged."""
    v = np.asarray(x, dtype=np.float64)[:, 0]
    peaks = r_peaks(v)
    peaks = peaks[(peaks >= BEFORE) & (peaks + AFTER < v.size)]
    if peaks.size == 0:
        return np.full(BEFORE + AFTER, np.nan), np.full(BEFORE + AFTER, np.nan), 0
    w = np.stack([v[p - BEFORE:p + AFTER] for p in peaks])
    return w.mean(axis=0), w.std(axis=0), int(peaks.size)


def beat_memory(x: np.ndarray, lags: tuple[int, ...] = (1, 2, 3, 4)) -> dict[str, list[float]]:
    """Autocorrelation over beats, at ``lags`` beats, of the R-R interval, the R-peak amplitude and the T-wave
    amplitude (the maximum 150-250 steps after the R peak): the data's beats remember the beats before them."""
    v = np.asarray(x, dtype=np.float64)[:, 0]
    peaks = r_peaks(v)
    peaks = peaks[peaks + 250 < v.size]
    series = {"rr_interval": np.diff(peaks).astype(np.float64), "r_amplitude": v[peaks],
              "t_amplitude": np.array([v[p + 150:p + 250].max() for p in peaks])}

    def ac(s: np.ndarray, lag: int) -> float:
        s = s - s.mean()
        return float(np.mean(s[:-lag] * s[lag:]) / s.var()) if s.size > lag + 2 and s.var() > 0 else float("nan")

    return {k: [round(ac(s, lag), 3) for lag in lags] for k, s in series.items()}


def compare(ref: np.ndarray, mean: np.ndarray) -> dict[str, float]:
    lags = np.arange(-BEFORE, AFTER)
    return {name: float(np.sqrt(np.mean((mean[(lags >= lo) & (lags < hi)] - ref[(lags >= lo) & (lags < hi)]) ** 2)))
            for name, (lo, hi) in SEGMENTS.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="*")
    ap.add_argument("--dataset", default="gtf:ecg")
    ap.add_argument("--json", default=None)
    ap.add_argument("--figure", default=None)
    a = ap.parse_args()
    train, test = load_split(a.dataset)
    ref, ref_sd, nb = average_beat(test)
    curves: list[tuple[str, np.ndarray]] = [("test data", ref)]
    rows: list[dict[str, Any]] = [{"run": "test data", "beats": nb, "beat_sd": float(np.mean(ref_sd)),
                                   "memory": beat_memory(test)}]
    tr, tr_sd, nbt = average_beat(train)
    curves.append(("training data", tr))
    rows.append({"run": "training data", "beats": nbt, "rms_to_test": compare(ref, tr), "beat_sd": float(np.mean(tr_sd)),
                 "memory": beat_memory(train)})
    with single_thread():
        for run in a.runs:
            y = protocol_run(run, test)
            m, m_sd, k = average_beat(y)
            label = run.rstrip("/").split("/")[-1].split("__14min")[0].replace("gtf-ecg__", "")
            curves.append((label, m))
            rows.append({"run": run, "beats": k, "rms_to_test": compare(ref, m) if k else None,
                         "beat_sd": float(np.mean(m_sd)) if k else None, "memory": beat_memory(y) if k > 6 else None})
    print(f"rms difference of the average beat (first coordinate, data units) to the test data's; the test "
          f"data's beat-to-beat sd averages {rows[0]['beat_sd']:.3f}")
    for r in rows:
        if r["memory"]:
            print(f"{str(r['run']).rstrip('/').split('/')[-1]}: autocorrelation over beats at lags 1-4: "
                  + "; ".join(f"{k} {v}" for k, v in r["memory"].items()))
    for r in rows[1:]:
        d = r["rms_to_test"]
        print(f"{str(r['run']).rstrip('/').split('/')[-1]}: {r['beats']} beats, beat-to-beat sd "
              f"{r['beat_sd'] if r['beat_sd'] is not None else float('nan'):.3f}; "
              + ("; ".join(f"{k} {v:.3f}" for k, v in d.items()) if d else "no beats"))
    if a.json:
        with open(a.json, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, indent=1)
    if a.figure:
        figure(curves, a.figure)
    return 0


def figure(curves: list[tuple[str, np.ndarray]], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lags = np.arange(-BEFORE, AFTER)
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for i, (name, m) in enumerate(curves):
        ax.plot(lags, m, lw=2.2 if i == 0 else 1.1, color="k" if i == 0 else None,
                ls="--" if name == "training data" else "-", label=name)
    for lo, _ in SEGMENTS.values():
        ax.axvline(lo, color="0.8", lw=0.8)
    ax.set_xlabel("steps from the R peak")
    ax.set_ylabel("first coordinate (data units)")
    ax.set_title("ECG: average beat of the data and of each model's free run (GTF protocol)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    raise SystemExit(main())
