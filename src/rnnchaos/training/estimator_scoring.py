"""Scoring of a fitted :class:`rnnchaos.training.reconstructor.Reconstructor` (``Reconstructor.evaluate``).

The protocol is that of ``rnnchaos evaluate`` (:func:`rnnchaos.report.evaluation.evaluate_model`;
Mikhaeil, Monfared & Durstewitz 2022, released code), built from the same three parts, so both print the
same numbers for the same run, data and seed:

* one free run of ``n_steps`` steps from the latent state inferred from ``X_test[0]``
  (``Reconstructor.generate``, i.e. :func:`rnnchaos.models.free_run.free_run`);
* D_stsp and D_H of that run against the whole of ``X_test`` under ``preset``
  (:func:`rnnchaos.metrics.scoring.score_trajectory`; a diverged run is scored on its finite prefix);
* PE(``pe_steps``) from every test point (:func:`rnnchaos.metrics.prediction.prediction_error_curve`)
  through the float64 adapter :class:`rnnchaos.models.base.ModelMap` (``encode``/``step``/``decode``).

Cost: n_steps + T·pe_steps model steps and O(T N log T) for the metrics.
"""

from __future__ import annotations

from typing import Any

from rnnchaos._util.rng import SeedLike
from rnnchaos._util.validation import as_trajectory
from rnnchaos.metrics.presets import DEFAULT_PRESET

__all__ = ["score_estimator"]


def score_estimator(rec: Any, X_test: Any, *, preset: str = DEFAULT_PRESET, n_steps: int = 100_000,
                    pe_steps: int = 20, seed: SeedLike = 0) -> dict[str, Any]:
    """``{"d_stsp", "d_h", "d_h_per_dim", "pe", "pe_steps", "preset", "n_steps", "finite", "diverged_at",
    "notes"}`` of the fitted estimator ``rec`` on ``X_test`` (T, N) in data units (module docstring).

    ``pe`` is None when ``X_test`` has no more than ``pe_steps`` points; ``finite``: the free run never
    overflowed; ``seed`` drives the Monte Carlo of the Gaussian-mixture D_stsp (N > 5)."""
    from rnnchaos.metrics.prediction import prediction_error_curve
    from rnnchaos.metrics.scoring import score_trajectory

    rec._check_fitted()
    x = as_trajectory(X_test, name="X_test", min_length=2)
    if x.shape[1] != rec.mean_.shape[0]:
        raise ValueError(f"X_test has {x.shape[1]} columns; the model was fitted on {rec.mean_.shape[0]}")
    gen = rec.generate(n_steps, x0=x[0])
    score = score_trajectory(x, gen, preset=preset, seed=seed)
    pe: float | None = None
    if x.shape[0] > pe_steps:
        fmap = rec.model_.as_map(mean=rec.mean_, std=rec.std_)
        pe = float(prediction_error_curve(fmap.step, x, int(pe_steps), encode=fmap.encode, decode=fmap.decode)[-1])
    return {"d_stsp": score.d_stsp, "d_h": score.d_h, "d_h_per_dim": score.d_h_per_dim, "pe": pe,
            "pe_steps": int(pe_steps), "preset": score.preset, "n_steps": int(n_steps),
            "finite": score.diverged_at is None, "diverged_at": score.diverged_at, "notes": score.notes}
