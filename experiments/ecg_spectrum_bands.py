"""Which harmonics of the heartbeat carry an ECG reconstruction's D_H? (issue #11, ECG diagnosis.)

``gtf2023``'s D_H per dimension is sqrt(1 − BC), BC = Σ_f sqrt(p(f) q(f)) over the normalised smoothed power
spectra (σ = 20 bins) of the test data (p) and of the free run (q); 1 − BC = Σ_f (sqrt p − sqrt q)² / 2 splits
exactly over frequency bands.  The bands are harmonics of the test data's beat frequency f₀ = 1 / (mean R-R
interval): below 0.5 f₀, the fundamental, harmonics 2-3, 4-10, 11-30 and above.  For each band the script
reports its share of 1 − BC (mean over dimensions) and the power p and q hold there.  The free run is the GTF
protocol's (1.25 T from the first test point, 0.25 T dropped); the training data give the floor.

    RNNCHAOS_DATA_DIR=../shared/data .venv/bin/python experiments/ecg_spectrum_bands.py RUN_DIR [...] [--json OUT]
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
from rnnchaos.metrics.power_spectrum import whole_spectrum
from rnnchaos.reproductions.dsr_benchmark import load_split

SIGMA = 20.0  # gtf2023's smoothing, in frequency bins
BANDS = {"< 0.5 f0": (0.0, 0.5), "f0": (0.5, 1.5), "2-3 f0": (1.5, 3.5), "4-10 f0": (3.5, 10.5),
         "11-30 f0": (10.5, 30.5), "> 30 f0": (30.5, math.inf)}


def bands(test: np.ndarray, gen: np.ndarray, f0: float) -> dict[str, Any]:
    n = min(test.shape[0], gen.shape[0])
    p, q = whole_spectrum(test[:n], SIGMA), whole_spectrum(gen[:n], SIGMA)
    c = 0.5 * (np.sqrt(p) - np.sqrt(q)) ** 2
    f = np.fft.rfftfreq(n) / f0
    out: dict[str, Any] = {"d_h": float(np.mean(np.sqrt(np.clip(c.sum(axis=0), 0, None)))),
                           "one_minus_bc": float(c.sum(axis=0).mean()), "bands": {}}
    for name, (lo, hi) in BANDS.items():
        m = (f >= lo) & (f < hi)
        out["bands"][name] = {"one_minus_bc": float(c[m].sum(axis=0).mean()), "power_data": float(p[m].sum(axis=0).mean()),
                              "power_model": float(q[m].sum(axis=0).mean())}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="*")
    ap.add_argument("--dataset", default="gtf:ecg")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    train, test = load_split(a.dataset)
    peaks = r_peaks(test[:, 0])
    f0 = 1.0 / float(np.diff(peaks).mean())
    n = test.shape[0]
    series: list[tuple[str, np.ndarray]] = [("training data", train[:n])]
    with single_thread():
        for run in a.runs:
            series.append((run, protocol_run(run, test)))
    rows = []
    print(f"beat frequency of the test data f0 = 1/{1 / f0:.1f} per step; per band: share of 1 - BC (power data / model)")
    for name, g in series:
        b = bands(test, g, f0)
        rows.append({"run": name, **b})
        print(f"{name.rstrip('/').split('/')[-1]}: D_H {b['d_h']:.4f}, 1 - BC {b['one_minus_bc']:.4f}; "
              + "; ".join(f"{k} {v['one_minus_bc']:.4f} ({v['power_data']:.3f} / {v['power_model']:.3f})"
                          for k, v in b["bands"].items()), flush=True)
    if a.json:
        with open(a.json, "w", encoding="utf-8") as fh:
            json.dump({"f0": f0, "runs": rows}, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
