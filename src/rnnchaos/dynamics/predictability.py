"""Predictability time from the largest Lyapunov exponent.

An infinitesimal error grows like ``exp(λ_max t)``, so it doubles after

    τ_pred = ln 2 / λ_max

(the "doubling time"; used to choose the forcing interval of sparse teacher forcing, Mikhaeil,
Monfared & Durstewitz 2022). Cost: O(1).

Units: ``lambda_max`` is per step unless ``dt`` is given. With ``dt`` (time per step) the exponent is
read as **per step** and τ is reported both in steps and in time units (``steps * dt``). Use
:func:`predictability_time_from_rate` when the exponent is already per unit time.
When ``λ_max <= 0`` errors do not grow, so the predictability time is infinite (``math.inf``): the
orbit is predictable forever, up to the noise level.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["PredictabilityTime", "predictability_time", "predictability_time_from_rate"]


@dataclass(frozen=True)
class PredictabilityTime:
    """τ_pred = ln 2 / λ_max in steps and (when ``dt`` is known) in time units.

    ``steps`` and ``time`` are ``math.inf`` for λ_max <= 0 (errors never double: no finite horizon);
    ``time`` is None when no ``dt`` was given.
    """

    steps: float
    time: float | None
    lambda_max_per_step: float
    dt: float | None

    @property
    def is_finite(self) -> bool:
        """True when λ_max > 0, i.e. errors grow and the prediction horizon is finite."""
        return math.isfinite(self.steps)

    def to_dict(self) -> dict[str, Any]:
        return {"predictability_steps": self.steps, "predictability_time": self.time,
                "lambda_max_per_step": self.lambda_max_per_step, "dt": self.dt,
                "meaning": ("errors double every predictability_steps steps" if self.is_finite
                            else "lambda_max <= 0: errors do not grow, predictability time is infinite")}


def _check_dt(dt: float | None) -> float | None:
    if dt is None:
        return None
    try:
        v = float(dt)
    except (TypeError, ValueError):
        raise ValueError(f"dt must be a positive number or None, got {dt!r}") from None
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"dt must be a positive finite number or None, got {dt!r}")
    return v


def predictability_time(lambda_max: float, dt: float | None = None) -> PredictabilityTime:
    """τ_pred = ln 2 / λ_max for an exponent **per step**; with ``dt`` also in time units.

    ``λ_max <= 0`` gives ``inf`` (no error growth). Raises ``ValueError`` for NaN or a non-positive dt.
    """
    lam = float(lambda_max)
    if math.isnan(lam):
        raise ValueError("lambda_max is NaN; give a finite exponent (per step)")
    step_dt = _check_dt(dt)
    steps = math.log(2.0) / lam if lam > 0 and math.isfinite(lam) else (0.0 if lam == math.inf else math.inf)
    time = None if step_dt is None else steps * step_dt
    return PredictabilityTime(steps=steps, time=time, lambda_max_per_step=lam, dt=step_dt)


def predictability_time_from_rate(lambda_max_per_time: float, dt: float) -> PredictabilityTime:
    """τ_pred for an exponent **per unit time** (flows) sampled every ``dt`` time units."""
    step_dt = _check_dt(dt)
    if step_dt is None:
        raise ValueError("dt is required to convert an exponent per unit time into steps")
    lam = float(lambda_max_per_time)
    if math.isnan(lam):
        raise ValueError("lambda_max is NaN; give a finite exponent (per unit time)")
    return predictability_time(lam * step_dt, step_dt)
