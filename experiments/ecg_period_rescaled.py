"""How much of an ECG reconstruction's D_H is its mean beat interval? (issue #11, ECG diagnosis.)

The trained ECG models beat with a mean interval of 647-920 steps against the data's ~680
(``experiments/ecg_beat_timing.py``).  D_H compares smoothed power spectra, so a wrong fundamental frequency
shifts every harmonic.  This script takes each saved run's GTF-protocol free run (1.25 T from the first test
point, the first 0.25 T dropped), scores it as the benchmark does, then stretches it in time (linear
interpolation) so that its mean beat interval equals (a) the *training* data's and (b) the *test* data's, and
scores it again; and it scans uniform stretches 0.80-1.20 for the one with the lowest D_H.  It also
stretches the *training data* itself by those factors and scores it against the test data: how sensitive D_H
is to the time scale alone.  (b) and the scan use the test data to set one number per run and is a diagnosis, not a result: it says
what a model with the right beat rate but its own beat shape would score.  A uniform time stretch leaves the
state-space distribution almost unchanged, so D_stsp should barely move; what D_H gains is the share of it
that the beat rate causes.

    RNNCHAOS_DATA_DIR=../shared/data .venv/bin/python experiments/ecg_period_rescaled.py RUN_DIR [...] \
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

from ecg_beat_timing import beats  # noqa: E402

from rnnchaos._util.threads import single_thread  # noqa: E402
from rnnchaos.metrics.scoring import score_trajectory  # noqa: E402
from rnnchaos.reproductions.dsr_benchmark import load_split  # noqa: E402
from rnnchaos.training.reconstructor import Reconstructor  # noqa: E402

#: the longest stretch the free run has room for (1.75 T generated after the 0.25 T drop)
MAX_STRETCH = 1.7
#: the uniform stretches scanned
SCAN = tuple(round(0.80 + 0.02 * k, 2) for k in range(21))


def stretch(y: np.ndarray, factor: float, n: int) -> np.ndarray:
    """``n`` samples of ``y`` read at times k · ``factor`` (linear interpolation): its intervals shrink by
    ``factor`` (factor > 1 speeds the run up)."""
    t = np.arange(n) * factor
    if t[-1] > y.shape[0] - 1:
        raise ValueError(f"stretch {factor:.3f} needs {t[-1]:.0f} steps, the run has {y.shape[0]}")
    src = np.arange(y.shape[0])
    return np.column_stack([np.interp(t, src, y[:, j]) for j in range(y.shape[1])])


def score(test: np.ndarray, y: np.ndarray) -> dict[str, float]:
    s = score_trajectory(test, y, preset="gtf2023", seed=0)
    return {"d_stsp": float(s.d_stsp), "d_h": float(s.d_h)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--dataset", default="gtf:ecg")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    train, test = load_split(a.dataset)
    height = float(np.quantile(train[:, 0], 0.99))
    ref = {"training": beats(train, height)["interval_mean"], "test": beats(test, height)["interval_mean"]}
    print(f"mean beat interval: training data {ref['training']:.1f}, test data {ref['test']:.1f} steps", flush=True)
    n = test.shape[0]
    sensitivity = {f: score(test, stretch(train, f, min(n, int((train.shape[0] - 1) / f)))) for f in SCAN}
    print("training data stretched by f, against the test data (D_stsp / D_H): "
          + ", ".join(f"{f:.2f}: {v['d_stsp']:.3f} / {v['d_h']:.4f}" for f, v in sensitivity.items()), flush=True)
    rows: list[dict[str, Any]] = []
    with single_thread():
        for run in a.runs:
            rec = Reconstructor.load(run)
            drop = int(math.floor(0.25 * n))
            y = np.asarray(rec.generate(drop + int(MAX_STRETCH * n) + 2, x0=test[0])[drop:])
            row: dict[str, Any] = {"run": run, "protocol": score(test, y[:n])}
            b = beats(y[:n], height)
            row["interval_mean"] = b.get("interval_mean")
            for name, target in ref.items():
                if b.get("interval_mean") is None or b["last_beat_fraction"] < 0.98:
                    row[f"to_{name}"] = None  # not beating to the end: nothing to rescale
                    continue
                f = b["interval_mean"] / target
                z = stretch(y, f, n)
                row[f"to_{name}"] = {"factor": f, **score(test, z), "interval_mean": beats(z, height).get("interval_mean")}
            scan = {f: score(test, stretch(y, f, n)) for f in SCAN}
            best = min(scan, key=lambda f: scan[f]["d_h"])
            row["scan"] = {str(f): v for f, v in scan.items()}
            row["best_stretch"] = {"factor": best, **scan[best]}
            rows.append(row)
            parts = [f"{run.rstrip('/').split('/')[-1]}: interval {row['interval_mean'] or float('nan'):.0f}; "
                     f"protocol {row['protocol']['d_stsp']:.3f} / {row['protocol']['d_h']:.4f}"]
            for name in ref:
                r = row[f"to_{name}"]
                parts.append(f"to {name} interval (x{r['factor']:.3f}) {r['d_stsp']:.3f} / {r['d_h']:.4f}" if r
                             else f"to {name}: not rescaled (no beats to the end)")
            parts.append(f"lowest D_H at x{best:.2f}: {scan[best]['d_stsp']:.3f} / {scan[best]['d_h']:.4f}")
            print("; ".join(parts), flush=True)
    if a.json:
        with open(a.json, "w", encoding="utf-8") as fh:
            json.dump({"reference_interval": ref, "training_data_stretched": {str(f): v for f, v in sensitivity.items()},
                       "runs": rows}, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
