"""The automatic forcing interval: τ = c · τ_pred with τ_pred = ln 2 / λ_max of the training data.

Mikhaeil, Monfared & Durstewitz (NeurIPS 2022) force every τ steps with τ near the predictability time
τ_pred = ln 2 / λ_max (λ_max per step); their Lorenz-63 sweep found the best reconstructions at τ = 30,
about 0.45 τ_pred of that series (τ_pred ≈ 69 steps with its correct λ_max ≈ 0.0101 per step).  The
factor ``TAU_FACTOR`` below was chosen from our own τ sweeps (docs/training.md, "Choosing τ").

λ_max comes from :func:`rnnchaos.dynamics.lambda_max_data.lambda_max_from_series` (Rosenstein 1993 by
default), computed on the training series.  Cost: that of the estimator (about 1 s for 10⁵ samples).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from rnnchaos._util.rng import SeedLike

#: τ = TAU_FACTOR · τ_pred (see the module docstring and docs/training.md for the evidence)
TAU_FACTOR = 0.5
#: bounds on the automatic τ (in steps)
TAU_MIN, TAU_MAX = 2, 1000


@dataclass(frozen=True)
class AutoTau:
    """The automatic τ and what it rests on (λ_max per step, τ_pred in steps, the estimator's warning)."""

    tau: int
    lambda_max: float
    predictability_steps: float | None
    factor: float
    warning: str | None


def auto_tau(x: Any, *, factor: float = TAU_FACTOR, seed: SeedLike = 0, max_samples: int = 100_000) -> AutoTau:
    """τ = round(factor · ln 2 / λ_max) clipped to [TAU_MIN, TAU_MAX], λ_max of ``x`` (T, N) per step.

    Only the first ``max_samples`` samples are used.  A non-positive λ_max (no chaos detected) gives
    ``TAU_MAX`` with a warning, since no forcing interval is needed for non-chaotic data.
    """
    from rnnchaos.dynamics.lambda_max_data import lambda_max_from_series

    if not (math.isfinite(float(factor)) and float(factor) > 0):
        raise ValueError(f"tau factor must be a positive number, got {factor!r}")
    res = lambda_max_from_series(x[:max_samples], seed=seed)
    lam = float(res.lambda_max)
    warning = res.warning
    if lam <= 0 or res.predictability_steps is None:
        msg = f"λ_max of the data is {lam:.3g} ≤ 0 per step: no chaos detected, tau set to {TAU_MAX}"
        return AutoTau(tau=TAU_MAX, lambda_max=lam, predictability_steps=None, factor=float(factor),
                       warning=msg if warning is None else f"{warning}; {msg}")
    tau_pred = float(res.predictability_steps)
    tau = int(min(TAU_MAX, max(TAU_MIN, round(float(factor) * tau_pred))))
    return AutoTau(tau=tau, lambda_max=lam, predictability_steps=tau_pred, factor=float(factor), warning=warning)
