"""Effect of each difference between the stf2022 and stf2022-corrected presets, on the Lorenz-63 data.

Usage: OMP_NUM_THREADS=1 .venv/bin/python experiments/preset_differences.py
Writes experiments/results/preset_differences.md. Compares the data with (a) an independent run of the true
system (noise_floors.py's fit, seed 1) and (b) a distorted copy (x -> 1.15 x, a model with too large an
attractor), switching one setting at a time.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from rnnchaos._util.atomic import write_text_atomic
from rnnchaos.metrics.power_spectrum import power_spectrum_distance
from rnnchaos.metrics.presets import PRESETS
from rnnchaos.metrics.state_space import state_space_divergence

sys.path.insert(0, str(Path(__file__).resolve().parent))
from noise_floors import fit_lorenz_affine, independent_lorenz  # noqa: E402

x = np.load("/work/shared/data/stf_lorenz63.npy")
fit = fit_lorenz_affine(x)
others = {"independent true run": independent_lorenz(fit, x.shape[0], 1), "data scaled by 1.15": 1.15 * x}
base = PRESETS["stf2022"]
variants = {
    "stf2022 (published)": base,
    "keep lowest bin only": base.with_(drop_lowest_bin=False),
    "range around mean only": base.with_(bin_range="sd_mean"),
    "both = stf2022-corrected": PRESETS["stf2022-corrected"],
}
lines = ["| comparison | setting | D_stsp (bins) |", "|---|---|---|"]
for name, y in others.items():
    for vname, p in variants.items():
        lines.append(f"| {name} | {vname} | {state_space_divergence(x, y, preset=p):.4f} |")
lines += ["", "| comparison | setting | D_H |", "|---|---|---|"]
for name, y in {"data itself": x, **others}.items():
    for vname, p in {"unnormalised spectra (stf2022)": base, "normalised (corrected)": PRESETS["stf2022-corrected"]}.items():
        lines.append(f"| {name} | {vname} | {power_spectrum_distance(x, y, preset=p):.4f} |")
from rnnchaos.metrics.state_space import bin_indices, histogram_range  # noqa: E402

kept = {}
for pname in ("stf2022", "stf2022-corrected"):
    p = PRESETS[pname]
    lo, hi = histogram_range(x, p)
    kept[pname] = bin_indices(x, lo, hi, p.n_bins, p.drop_lowest_bin).size / x.shape[0]
lines += ["", "Fraction of the 100,000 data points that enter the histogram: "
          + ", ".join(f"{k}: {v:.3f}" for k, v in kept.items()) + "."]
write_text_atomic(Path(__file__).resolve().parent / "results" / "preset_differences.md", "\n".join(lines) + "\n")
print("\n".join(lines))
