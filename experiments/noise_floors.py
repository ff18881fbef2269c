"""Noise floors of D_stsp and D_H: the data against itself shifted, its other half, and independent runs
of the true system, under every preset. Writes experiments/results/noise_floors.json and .md.

Usage (one core, about 2 minutes):
    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python experiments/noise_floors.py [--runs 5]

The Lorenz-63 data of Mikhaeil et al. (2022) (``stf_lorenz63.npy``) is an affine image of a Lorenz-63
trajectory. Its parameters, sampling interval and scaling are estimated here by least squares on the
equations of motion (4th-order central differences), and the independent runs use exactly those values
(RK4, same sampling interval), scaled alike, each from a random initial condition after a 5,000-step
transient. The other flows are compared only with themselves (shifted copies, halves).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import least_squares

from rnnchaos._util.atomic import write_json_atomic, write_text_atomic
from rnnchaos.metrics.power_spectrum import power_spectrum_distance
from rnnchaos.metrics.presets import PRESETS
from rnnchaos.metrics.state_space import state_space_divergence
from rnnchaos.systems.flows import Lorenz63

DATA = Path("/work/shared/data")
OUT = Path(__file__).resolve().parent / "results"


def fit_lorenz_affine(x: np.ndarray) -> dict[str, float]:
    """Least-squares fit of raw = a * x + c (per coordinate) and (dt, sigma, rho, beta) to the data."""
    d = (-x[4:] + 8 * x[3:-1] - 8 * x[1:-3] + x[:-4]) / 12
    xm = x[2:-2]
    xm, d = xm[::5], d[::5]

    def res(p: np.ndarray) -> np.ndarray:
        dt, sig, rho, beta, ax, ay, az, cx, cy, cz = p
        X, Y, Z = ax * xm[:, 0] + cx, ay * xm[:, 1] + cy, az * xm[:, 2] + cz
        f = np.column_stack([sig * (Y - X), X * (rho - Z) - Y, X * Y - beta * Z]) * dt
        return (f / np.array([ax, ay, az]) - d).ravel()

    r = least_squares(res, [0.01, 10.0, 28.0, 8 / 3, 18.0, 18.0, 18.0, 10.0, 10.0, 10.0])
    names = ["dt", "sigma", "rho", "beta", "a_x", "a_y", "a_z", "c_x", "c_y", "c_z"]
    out = {k: float(v) for k, v in zip(names, r.x, strict=True)}
    out["rms_residual"] = float(np.sqrt(np.mean(r.fun**2)))
    out["mean_abs_increment"] = float(np.abs(d).mean())
    return out


def independent_lorenz(fit: dict[str, float], n: int, seed: int) -> np.ndarray:
    system = Lorenz63(sigma=fit["sigma"], rho=fit["rho"], beta=fit["beta"])
    raw = system.trajectory(n, dt=fit["dt"], transient=5000, seed=seed)
    a = np.array([fit["a_x"], fit["a_y"], fit["a_z"]])
    c = np.array([fit["c_x"], fit["c_y"], fit["c_z"]])
    return (raw - c) / a


def scores(x_true: np.ndarray, x_gen: np.ndarray, n_chunks: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in PRESETS:
        entry = {"d_stsp": state_space_divergence(x_true, x_gen, preset=name),
                 "d_h": power_spectrum_distance(x_true, x_gen, preset=name, n_chunks=n_chunks)}
        if x_true.shape[1] <= 5:
            entry["d_stsp_gmm"] = state_space_divergence(x_true, x_gen, preset=name, method="gmm", seed=0)
        out[name] = entry
    return out


def comparisons(x: np.ndarray) -> dict[str, Any]:
    """Same-data comparisons: itself, circular shifts, disjoint halves (same chunk length as the whole)."""
    t = x.shape[0]
    half = t // 2
    res: dict[str, Any] = {"self": scores(x, x)}
    for shift in (1000, t // 2):
        res[f"circular_shift_{shift}"] = scores(x, np.roll(x, shift, axis=0))
    res["first_half_vs_second_half"] = scores(x[:half], x[half:2 * half], n_chunks=25)
    return res


def rewrite_markdown(out: Path = OUT) -> None:
    """Regenerate noise_floors.md from noise_floors.json."""
    write_text_atomic(out / "noise_floors.md", to_markdown(json.loads((out / "noise_floors.json").read_text())))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="independent Lorenz-63 runs")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    t0 = time.time()
    results: dict[str, Any] = {"command": "OMP_NUM_THREADS=1 .venv/bin/python experiments/noise_floors.py "
                               f"--runs {args.runs}"}
    x = np.load(DATA / "stf_lorenz63.npy")
    fit = fit_lorenz_affine(x)
    results["lorenz63_fit"] = fit
    print("fit", json.dumps(fit), file=sys.stderr)
    ds: dict[str, Any] = {"lorenz63": comparisons(x)}
    indep = []
    for seed in range(1, args.runs + 1):
        y = independent_lorenz(fit, x.shape[0], seed)
        indep.append(scores(x, y))
        print("independent run", seed, json.dumps(indep[-1]), file=sys.stderr)
    ds["lorenz63"]["independent_runs"] = indep
    for name in ("stf_lorenz63_yz", "stf_rossler", "stf_duffing_forced", "stf_weather_tde", "stf_eeg_tde"):
        xs = np.load(DATA / f"{name}.npy")
        ds[name.removeprefix("stf_")] = comparisons(xs)
        print("done", name, file=sys.stderr)
    results["datasets"] = ds
    results["seconds"] = time.time() - t0
    args.out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(args.out / "noise_floors.json", results)
    write_text_atomic(args.out / "noise_floors.md", to_markdown(results))
    return 0


def _fmt(v: float | None) -> str:
    if v is None:
        return "–"
    return "nan" if not np.isfinite(v) else f"{v:.4f}"


def to_markdown(results: dict[str, Any]) -> str:
    lines = [f"Command: `{results['command']}` ({results['seconds']:.0f} s)", ""]
    for ds, comps in results["datasets"].items():
        kind = "bins" if ds != "eeg_tde" else "GMM, N > 5"
        lines += [f"### {ds}", "", f"| comparison | preset | D_stsp ({kind}) | D_stsp (GMM) | D_H |",
                  "|---|---|---|---|---|"]
        for comp, per in comps.items():
            if comp == "independent_runs":
                for preset in PRESETS:
                    vals = {k: np.array([r[preset][k] for r in per], dtype=float) for k in per[0][preset]}
                    cells = [f"{vals[k].mean():.4f} ± {vals[k].std(ddof=1):.4f}" if k in vals else "–"
                             for k in ("d_stsp", "d_stsp_gmm", "d_h")]
                    lines.append(f"| independent true runs (n={len(per)}, mean ± sd) | {preset} | "
                                 + " | ".join(cells) + " |")
                continue
            for preset, e in per.items():
                lines.append(f"| {comp} | {preset} | {_fmt(e['d_stsp'])} | {_fmt(e.get('d_stsp_gmm'))}"
                             f" | {_fmt(e['d_h'])} |")
        lines.append("")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
