"""The one scoring path: D_stsp and D_H of a generated trajectory against a reference series, under a preset.

Every place in rnnchaos that scores a model (``Reconstructor.evaluate``, ``rnnchaos evaluate``, the trainer's
model selection, the reproductions and benchmarks) calls :func:`score_trajectory`, so that the same
trajectory gets the same numbers everywhere.  The metrics themselves are
:func:`rnnchaos.metrics.state_space.state_space_divergence` (D_stsp; binning for N <= 5, a Gaussian
mixture above) and :func:`rnnchaos.metrics.power_spectrum.power_spectrum_distance_per_dim` (D_H), with the
settings of a named preset (:mod:`rnnchaos.metrics.presets`; default :data:`DEFAULT_PRESET`).

A generated trajectory that overflows (a non-finite row) is scored on its finite prefix, and the result
says where it diverged; fewer than two finite rows give NaN for both metrics.

Cost: that of the two metrics, O(T N log T) (plus the Gaussian-mixture Monte Carlo for N > 5).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rnnchaos._util.rng import SeedLike
from rnnchaos.metrics.power_spectrum import power_spectrum_distance_per_dim
from rnnchaos.metrics.presets import DEFAULT_PRESET, MetricPreset, get_preset
from rnnchaos.metrics.state_space import samples_used, state_space_divergence

__all__ = ["TrajectoryScore", "score_trajectory"]

Array = NDArray[np.float64]


@dataclass
class TrajectoryScore:
    """D_stsp and D_H (mean over dimensions, and per dimension) of one trajectory under ``preset``.

    ``diverged_at``: index of the first non-finite row of the generated trajectory (``None`` if all
    are finite); ``n_used``: the number of generated rows that were scored.  ``d_stsp_n_samples``: the
    rows of the data the D_stsp used, of ``d_stsp_n_samples_total`` (the Gaussian mixture uses the first
    ``gmm_max_T`` of the preset; :func:`rnnchaos.metrics.state_space.samples_used`).  ``notes``: why a metric
    is NaN, when one is.
    """

    preset: str
    d_stsp: float
    d_h: float
    d_h_per_dim: list[float]
    n_used: int
    diverged_at: int | None = None
    notes: list[str] = field(default_factory=list)
    d_stsp_n_samples: int | None = None
    d_stsp_n_samples_total: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"preset": self.preset, "d_stsp": self.d_stsp, "d_h": self.d_h, "d_h_per_dim": self.d_h_per_dim,
                "n_used": self.n_used, "diverged_at": self.diverged_at, "notes": list(self.notes),
                "d_stsp_n_samples": self.d_stsp_n_samples, "d_stsp_n_samples_total": self.d_stsp_n_samples_total}


def score_trajectory(x_true: Any, x_gen: Any, *, preset: str | MetricPreset | None = DEFAULT_PRESET,
                     seed: SeedLike = 0) -> TrajectoryScore:
    """Score a generated trajectory ``x_gen`` (T_gen, N) against ``x_true`` (T, N), both in the same units.

    D_stsp = ``state_space_divergence(x_true, x_gen)`` and D_H = mean of
    ``power_spectrum_distance_per_dim(x_true, x_gen)`` under ``preset``; ``seed`` drives the Monte Carlo
    of the Gaussian-mixture D_stsp (N > 5).  See the module docstring for non-finite trajectories.
    """
    p = get_preset(preset)
    x = np.asarray(x_true, dtype=np.float64)
    gen = np.asarray(x_gen, dtype=np.float64)
    if x.ndim != 2 or gen.ndim != 2 or x.shape[1] != gen.shape[1]:
        raise ValueError(f"x_true and x_gen must be (T, N) arrays with the same N, got shapes {x.shape} and "
                         f"{gen.shape}")
    notes: list[str] = []
    finite = np.all(np.isfinite(gen), axis=1)
    diverged_at: int | None = None
    if not finite.all():
        diverged_at = int(np.argmin(finite))
        notes.append(f"the generated trajectory diverged at step {diverged_at}; the metrics use the "
                     f"{diverged_at} finite steps before it")
        gen = gen[:diverged_at]
    n = x.shape[1]
    if gen.shape[0] < 2:
        notes.append("fewer than 2 finite generated steps: D_stsp and D_H are NaN")
        return TrajectoryScore(p.name, math.nan, math.nan, [math.nan] * n, int(gen.shape[0]), diverged_at, notes)
    d_stsp = float(state_space_divergence(x, gen, preset=p, seed=seed))
    used = samples_used(x.shape[0], gen.shape[0], n, preset=p)[0]
    try:
        dims = [float(v) for v in power_spectrum_distance_per_dim(x, gen, preset=p)]
    except ValueError as exc:
        notes.append(f"D_H: {exc}")
        dims = [math.nan] * n
    return TrajectoryScore(p.name, d_stsp, float(np.mean(dims)), dims, int(gen.shape[0]), diverged_at, notes,
                           used, int(x.shape[0]))
