"""What ECG's targets ask of a model: surrogates built from the training data's own beats, scored like a model.

The 5-D ECG series is an exact delay embedding of one scalar s: column j at time t is s(t + d_j), the lags
d_j found here from the training data by exact equality.  The scalar is cut into beats at the flattest point
55-90 % through each R-R interval, and the beats are put together again in other orders:

* **in order**: a check of the cutting; it must score as the training data do;
* **shuffled**: the beats in random order: no memory across beats, but a jump at each join (the level at the
  cut varies from beat to beat with sd 0.18);
* **twin**: after each beat, the next is drawn from the k beats whose level at the cut is nearest (a twin
  surrogate in the sense of Thiel et al. 2006, Europhys. Lett. 75, 535), the remaining offset ramped away
  over the beat: no jumps, and no memory of the R-R interval beyond what the level carries;
* **fixed interval**: every beat, in order, resampled to the mean interval (no R-R variation).

Each surrogate is re-embedded with the data's lags and scored with ``gtf2023`` against the test and the
training data, as the benchmark scores a free run.  ``--runs`` adds, for saved models, the GTF-protocol free
run re-embedded from its first column and from the mean of its columns' estimates of s, the columns'
disagreement about s (rms, in units of the data's sd: is the 5-D output consistent with one scalar?), and the
spread of its beats per phase beside the data's.

    RNNCHAOS_DATA_DIR=../shared/data PYTHONPATH=src python experiments/ecg_beat_surrogates.py \
        --out experiments/results/ecg_beat_surrogates [--runs RUN ...]
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
from ecg_waveform import AFTER, BEFORE, average_beat, protocol_run, r_peaks  # noqa: E402

from rnnchaos._util.atomic import write_json_atomic  # noqa: E402
from rnnchaos._util.threads import single_thread  # noqa: E402
from rnnchaos.metrics.scoring import score_trajectory  # noqa: E402
from rnnchaos.reproductions.dsr_benchmark import load_split  # noqa: E402

#: the part of each R-R interval searched for the flattest point, where a beat is cut
CUT_WINDOW = (0.55, 0.90)
#: phases of a beat, in steps from the R peak, for the beats' spread (rms over the phase of the sd over beats)
PHASES = {"P wave and baseline": (-BEFORE, -40), "QRS": (-40, 40), "T wave and slow phase": (40, AFTER)}
#: twin surrogates: the next beat is drawn from the k beats nearest in level at the cut
TWIN_K = (3, 8, 20)
SEEDS = (0, 1, 2)


def delay_lags(x: np.ndarray, max_lag: int = 200) -> list[int]:
    """The lags d_j with x[t, j] = x[t + d_j, 0] exactly (the series is a delay embedding of its column 0)."""
    lags = []
    for j in range(x.shape[1]):
        hit = [d for d in range(max_lag) if np.array_equal(x[d:, 0], x[:x.shape[0] - d, j])]
        if not hit:
            raise ValueError(f"column {j} is no delayed copy of column 0 within {max_lag} steps")
        lags.append(hit[0])
    return lags


def scalar(x: np.ndarray, lags: list[int]) -> np.ndarray:
    """The scalar s behind the embedding, T + max(lags) samples long."""
    j = int(np.argmax(lags))
    return np.concatenate([x[:, 0], x[x.shape[0] - lags[j]:, j]])


def embed(s: np.ndarray, lags: list[int], n: int) -> np.ndarray:
    return np.column_stack([s[d:d + n] for d in lags])


def cut_beats(s: np.ndarray) -> list[np.ndarray]:
    peaks = r_peaks(s)
    slope = np.abs(np.gradient(s))
    cuts = []
    for a, b in zip(peaks[:-1], peaks[1:], strict=True):
        lo, hi = a + int(CUT_WINDOW[0] * (b - a)), a + int(CUT_WINDOW[1] * (b - a))
        cuts.append(lo + int(np.argmin(slope[lo:hi])))
    return [s[a:b] for a, b in zip(cuts[:-1], cuts[1:], strict=True)]


def _resample(seg: np.ndarray, m: int) -> np.ndarray:
    return np.interp(np.linspace(0, seg.size - 1, m), np.arange(seg.size), seg)


def _tile(parts: list[np.ndarray], length: int) -> np.ndarray:
    z = np.concatenate(parts)
    return np.tile(z, int(math.ceil(length / z.size)))[:length]


def twin(beats: list[np.ndarray], k: int, seed: int, length: int) -> np.ndarray:
    """Beats chained by their level at the cut (module docstring), ``length`` samples."""
    rng = np.random.default_rng(seed)
    starts = np.array([b[0] for b in beats])
    i = int(rng.integers(len(beats)))
    out, size, level = [beats[i]], beats[i].size, beats[i][-1]
    while size < length:
        i = int(rng.choice(np.argsort(np.abs(starts - level))[:k]))
        b = beats[i] + (level - beats[i][0]) * (1.0 - np.arange(beats[i].size) / beats[i].size)
        out.append(b)
        size += b.size
        level = b[-1]
    return np.concatenate(out)[:length]


def beat_spread(x: np.ndarray) -> dict[str, float]:
    """Per phase of the beat (PHASES), the rms over the phase of the sd of the first coordinate over beats."""
    _, sd, _ = average_beat(x)
    return {p: float(np.sqrt(np.mean(sd[BEFORE + lo:BEFORE + hi] ** 2))) for p, (lo, hi) in PHASES.items()}


def rr_ac1(z: np.ndarray) -> float:
    """Autocorrelation at lag one beat of the R-R intervals of the scalar ``z`` (the data's: 0.63 and 0.68)."""
    c = np.diff(r_peaks(z)).astype(np.float64)
    c -= c.mean()
    return float(np.mean(c[:-1] * c[1:]) / c.var())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="gtf:ecg")
    ap.add_argument("--out", required=True)
    ap.add_argument("--runs", nargs="*", default=[])
    a = ap.parse_args()
    train, test = load_split(a.dataset)
    n = test.shape[0]
    lags = delay_lags(train)
    if delay_lags(test) != lags:
        raise SystemExit("the test data's lags differ from the training data's")
    s = scalar(train, lags)
    beats = cut_beats(s)
    span = n + max(lags)
    rows: list[dict[str, Any]] = []

    def add(name: str, z: np.ndarray, **extra: Any) -> None:
        y = embed(z, lags, n)
        row: dict[str, Any] = {"surrogate": name, **extra, "rr_ac1": rr_ac1(z[:span])}
        for ref_name, ref in (("test", test), ("train", train)):
            r = score_trajectory(ref, y, preset="gtf2023", seed=0)
            row[f"vs_{ref_name}"] = {"d_stsp": float(r.d_stsp), "d_h": float(r.d_h)}
        rows.append(row)
        print(f"{name} {extra or ''}: R-R ac1 {row['rr_ac1']:.2f}; vs test {row['vs_test']['d_stsp']:.3f} / {row['vs_test']['d_h']:.4f}; "
              f"vs train {row['vs_train']['d_stsp']:.3f} / {row['vs_train']['d_h']:.4f}", flush=True)

    levels = np.array([b[0] for b in beats])
    info = {"lags": lags, "beats": len(beats), "mean_beat": float(np.mean([b.size for b in beats])),
            "level_sd": float(levels.std()), "s_sd": float(s.std()),
            "rr_ac1": {"train": rr_ac1(s), "test": rr_ac1(scalar(test, lags))},
            "beat_spread": {"train": beat_spread(train), "test": beat_spread(test)}}
    print(json.dumps(info), flush=True)
    with single_thread():
        add("training data", s)
        add("in order", _tile(beats, span))
        for seed in SEEDS:
            order = np.random.default_rng(seed).permutation(len(beats))
            z = _tile([beats[i] for i in order], span)
            jumps = np.abs(levels[order[1:]] - np.array([beats[i][-1] for i in order[:-1]]))
            add("shuffled", z, seed=seed, mean_jump=float(jumps.mean()))
        for k in TWIN_K:
            for seed in SEEDS:
                add("twin", twin(beats, k, seed, span), k=k, seed=seed)
        m = int(round(info["mean_beat"]))
        add("fixed interval", _tile([_resample(b, m) for b in beats], span))
        consistency = []
        for run in a.runs:
            y = protocol_run(run, test, extra=2 * max(lags))
            d = max(lags)
            est = np.stack([y[d - lag: y.shape[0] - lag, j] for j, lag in enumerate(lags)])  # s(u), u >= d
            row = {"run": run, "disagreement": float(np.sqrt(((est - est.mean(0)) ** 2).mean()) / s.std()),
                   "beat_spread": beat_spread(y[:n])}
            for label, z in (("raw", None), ("column 0", y[:, 0]), ("mean of columns", est.mean(0))):
                yy = y[:n] if z is None else embed(z, lags, n)
                r = score_trajectory(test, yy, preset="gtf2023", seed=0)
                row[label] = {"d_stsp": float(r.d_stsp), "d_h": float(r.d_h)}
            consistency.append(row)
            print(f"{run}: beat spread " + ", ".join(f"{k} {v:.3f}" for k, v in row["beat_spread"].items())
                  + f"; disagreement {row['disagreement']:.3f}; " + "; ".join(
                f"{k} {row[k]['d_stsp']:.3f} / {row[k]['d_h']:.4f}" for k in ("raw", "column 0", "mean of columns")),
                flush=True)
    os.makedirs(a.out, exist_ok=True)
    write_json_atomic(os.path.join(a.out, "result.json"),
                      {"info": info, "surrogates": rows, "runs": consistency})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
