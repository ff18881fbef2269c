"""How robust is a selected model's training-data score?  (issue #11, ECG diagnosis; training data only)

For each saved run, the GTF-protocol score on the *training* series (D_stsp/f + D_H/f, the floor-relative
selection score of :func:`rnnchaos.training.trainer.selection_score`) is recomputed
  * from the first training point (what the trainer selected by),
  * from ``--starts`` other training points spread evenly over the series (same run length, 1.25 T), and
  * from the first point with every parameter perturbed by relative Gaussian noise ``--rel-noise``
    (``--perturb`` draws).
If the scores from other starts or of nearby parameters scatter far more than the selected score, the
selection picked a lucky start (multistable or intermittent dynamics) rather than a good model.  The held-out
data are read only with ``--held-out-starts K`` (evaluation after training, never selection): the GTF protocol's
D_stsp and D_H on the test data from the single start ``test[0]`` (what the benchmark table reports) and their
medians over K runs started from the test points ``i·T // K``, to show how much of a table difference is the
scatter of one chaotic run.

    RNNCHAOS_DATA_DIR=../shared/data .venv/bin/python experiments/selection_robustness.py \
        experiments/results/dsr_benchmark_decay/runs/gtf-ecg__*  --dataset gtf:ecg --json OUT.json
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import sys

import numpy as np
import torch

from rnnchaos._util.threads import single_thread
from rnnchaos.metrics.scoring import score_trajectory
from rnnchaos.models.free_run import free_run, initial_states
from rnnchaos.reproductions.dsr_benchmark import load_split
from rnnchaos.training.reconstructor import Reconstructor
from rnnchaos.training.trainer import training_floors


def score_from(model: torch.nn.Module, xs: np.ndarray, start: int, floors: tuple[float, float]) -> float:
    """Floor-relative GTF-protocol score of ``model`` on standardised ``xs``: one free run of floor(1.25 T) steps
    from the state inferred from ``xs[start]``, its first floor(0.25 T) dropped, against the whole series."""
    n = xs.shape[0]
    run = free_run(model, initial_states(model, xs[start:start + 1]), int(math.floor(1.25 * n)))[0]
    run = np.asarray(run[int(math.floor(0.25 * n)):], dtype=np.float64)
    if not np.all(np.isfinite(run)):
        return math.inf
    s = score_trajectory(xs, run, preset="gtf2023")
    v = s.d_stsp / floors[0] + s.d_h / floors[1]
    return float(v) if math.isfinite(v) else math.inf


def held_out(rec: Reconstructor, test: np.ndarray, k: int) -> dict[str, object]:
    """GTF-protocol (D_stsp, D_H) on the test data (data units, preset gtf2023, one run each) from the test points
    ``i·T // k``, i = 0 … k − 1; ``first`` is the benchmark table's start (i = 0)."""
    n = test.shape[0]
    each = []
    for start in (np.arange(k) * n) // k:
        run = rec.generate(int(math.floor(1.25 * n)), x0=test[int(start)])[int(math.floor(0.25 * n)):]
        s = score_trajectory(test, np.asarray(run, dtype=np.float64), preset="gtf2023")
        each.append((round(float(s.d_stsp), 3), round(float(s.d_h), 4)))
    med = (float(np.median([e[0] for e in each])), float(np.median([e[1] for e in each])))
    return {"first": each[0], "median": (round(med[0], 3), round(med[1], 4)), "each": each}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--starts", type=int, default=6)
    ap.add_argument("--perturb", type=int, default=6)
    ap.add_argument("--rel-noise", type=float, default=1e-4)
    ap.add_argument("--held-out-starts", type=int, default=0)
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    train, test = load_split(a.dataset)
    out = []
    with single_thread():
        for run in a.runs:
            rec = Reconstructor.load(run)
            xs = (train - rec.mean_) / rec.std_
            floors = training_floors(xs, "gtf2023")
            model = rec.model_
            first = score_from(model, xs, 0, floors)
            starts = np.linspace(0, xs.shape[0] - 1, a.starts + 2)[1:-1].astype(int)
            by_start = [score_from(model, xs, int(s), floors) for s in starts]
            rng = np.random.default_rng(0)
            by_param = []
            for _ in range(a.perturb):
                m2 = copy.deepcopy(model)
                with torch.no_grad():
                    for p in m2.parameters():
                        p.mul_(1 + a.rel_noise * torch.as_tensor(rng.standard_normal(p.shape), dtype=p.dtype))
                by_param.append(score_from(m2, xs, 0, floors))
            row = {"run": run, "first": first, "starts": by_start, "perturbed": by_param,
                   "median_starts": float(np.median(by_start)), "median_perturbed": float(np.median(by_param)) if by_param else None}
            print(f"{run.rstrip('/').split('/')[-1]}: first {first:.2f}; other starts median {row['median_starts']:.2f} "
                  f"{np.round(by_start, 1).tolist()}; perturbed {a.rel_noise:g} median {row['median_perturbed']} "
                  f"{np.round(by_param, 1).tolist()}", flush=True)
            if a.held_out_starts:  # printed after the run's line, so that each block reads as one run
                row["held_out"] = held_out(rec, test, a.held_out_starts)
                print(f"  held out: test[0] {row['held_out']['first']}; median over {a.held_out_starts} starts "
                      f"{row['held_out']['median']}; each {row['held_out']['each']}", flush=True)
            out.append(row)
    if a.json:
        with open(a.json, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
