"""Where in the heartbeat does an ECG reconstruction's D_stsp come from? (issue #11, ECG diagnosis.)

Under ``gtf2023`` D_stsp is KL(p_data || p_model) between Laplace-smoothed histograms with 30 bins per
dimension (5-D: 24.3 million cells, α = 1e-5).  It is a sum over the data's cells, so it splits exactly into
a sum over the test data's points: each point contributes log(p/q) of its cell divided by the smoothed
count normaliser (the cells no data point occupies add a term of order 1e-3, reported as ``empty cells``).
This script assigns every test point to the phase of its beat (signed steps to the nearest R peak: the P wave
and baseline before -40, the QRS complex within ±40, the T wave and the slow phase after +40) and reports
each phase's share of the points, of D_stsp, and of points whose cell the model's free run never visits
(a point there contributes about log(1 / α) ≈ 11.5 / T).  The model's run is the GTF protocol's (1.25 T from
the first test point, 0.25 T dropped); the training data (their first T points) give the floor to read it
against.

    RNNCHAOS_DATA_DIR=../shared/data .venv/bin/python experiments/ecg_dstsp_by_phase.py RUN_DIR [...] \
        [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ecg_waveform import protocol_run, r_peaks  # noqa: E402

from rnnchaos._util.threads import single_thread
from rnnchaos.metrics.presets import get_preset
from rnnchaos.metrics.scoring import score_trajectory
from rnnchaos.metrics.state_space import histogram_range
from rnnchaos.reproductions.dsr_benchmark import load_split

PHASES = {"P wave and baseline (< -40)": (-math.inf, -40), "QRS (-40..40)": (-40, 40),
          "T wave and slow phase (> 40)": (40, math.inf)}


def cells(x: np.ndarray, lo: np.ndarray, hi: np.ndarray, n_bins: int) -> np.ndarray:
    """Flat cell index of every point (-1 outside the histogram range), as gtf2023 bins them."""
    u = np.floor((x - lo) / (hi - lo) * n_bins)
    keep = np.all((u >= 0) & (u < n_bins), axis=1)
    out = np.full(x.shape[0], -1, dtype=np.int64)
    out[keep] = np.ravel_multi_index(tuple(u[keep].astype(np.int64).T), (n_bins,) * x.shape[1])
    return out


def beat_phase(x: np.ndarray) -> np.ndarray:
    """Signed steps from each point to the nearest R peak of ``x[:, 0]``."""
    v = x[:, 0]
    peaks = r_peaks(v)
    t = np.arange(v.size)
    j = np.searchsorted(peaks, t)
    prev, nxt = peaks[np.clip(j - 1, 0, peaks.size - 1)], peaks[np.clip(j, 0, peaks.size - 1)]
    return np.where(np.abs(t - prev) <= np.abs(nxt - t), t - prev, t - nxt)


def decompose(test: np.ndarray, gen: np.ndarray, phase: np.ndarray) -> dict[str, Any]:
    preset = get_preset("gtf2023")
    lo, hi = histogram_range(test, preset)
    n_bins, alpha = int(preset.n_bins), float(preset.alpha)
    n_cells = float(n_bins) ** test.shape[1]
    it, ig = cells(test, lo, hi, n_bins), cells(gen, lo, hi, n_bins)
    kt, ig = it >= 0, ig[ig >= 0]
    u, inv = np.unique(np.concatenate([it[kt], ig]), return_inverse=True)
    h_t = np.bincount(inv[:kt.sum()], minlength=u.size).astype(np.float64)
    h_g = np.bincount(inv[kt.sum():], minlength=u.size).astype(np.float64)
    z_t, z_g = kt.sum() + alpha * n_cells, ig.size + alpha * n_cells
    log_ratio = np.log(((h_t + alpha) / z_t) / ((h_g + alpha) / z_g))
    contrib = np.zeros(test.shape[0])
    contrib[kt] = log_ratio[inv[:kt.sum()]] / z_t
    unvisited = np.zeros(test.shape[0], dtype=bool)
    unvisited[kt] = h_g[inv[:kt.sum()]] == 0
    occupied_terms = float(np.sum(alpha / z_t * log_ratio))  # the α part of the occupied cells' p
    empty = (n_cells - u.size) * alpha / z_t * math.log(z_g / z_t)
    out: dict[str, Any] = {"d_stsp_from_points": float(contrib.sum()), "empty_cells": occupied_terms + empty,
                           "phases": {}}
    for name, (a, b) in PHASES.items():
        m = (phase >= a) & (phase < b)
        out["phases"][name] = {"share_of_points": float(m.mean()), "d_stsp": float(contrib[m].sum()),
                               "unvisited_share": float(unvisited[m].mean())}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="*")
    ap.add_argument("--dataset", default="gtf:ecg")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    train, test = load_split(a.dataset)
    n = test.shape[0]
    phase = beat_phase(test)
    series: list[tuple[str, np.ndarray]] = [("training data", train[:n])]
    with single_thread():
        for run in a.runs:
            series.append((run, protocol_run(run, test)))
        rows = []
        for name, g in series:
            d = decompose(test, g, phase)
            d["d_stsp"] = float(score_trajectory(test, g, preset="gtf2023", seed=0).d_stsp)
            rows.append({"run": name, **d})
            print(f"{name.rstrip('/').split('/')[-1]}: D_stsp {d['d_stsp']:.3f} (points {d['d_stsp_from_points']:.3f}"
                  f" + empty cells {d['empty_cells']:.4f}); "
                  + "; ".join(f"{k}: {v['share_of_points']:.0%} of the points, D_stsp {v['d_stsp']:.3f}, "
                              f"{v['unvisited_share']:.0%} unvisited" for k, v in d["phases"].items()), flush=True)
    if a.json:
        with open(a.json, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
