"""Classify the long-term behaviour of orbits of a map: fixed point, k-cycle, quasi-periodic, chaotic,
divergent.

Algorithm (per initial condition, batched):

1. iterate ``transient`` steps; an orbit whose norm exceeds ``divergence_threshold`` (or becomes
   non-finite) is **divergent**;
2. recurrence: on a window of ``window`` further states, the smallest ``p <= max_period`` with
   ``max_t |z_{t+p} - z_t|_inf <= tol * (1 + max|z|)`` makes the orbit a **fixed point** (``p = 1``) or
   a **p-cycle**;
3. otherwise the largest Lyapunov exponent (tangent-space QR, Benettin et al. 1980, via
   :func:`rnnchaos.dynamics.lyapunov_spectrum.lyapunov_spectrum` with ``k = 1``) decides: ``λ_max >
   lambda_tol`` is **chaotic**, ``|λ_max| <= lambda_tol`` is **quasi-periodic** (bounded, aperiodic,
   neutral: an invariant circle/torus), and ``λ_max < -lambda_tol`` without detected recurrence is a
   **cycle** of period > ``max_period`` (or a still-converging transient), reported with ``period=None``.

This is the classification used by Mikhaeil, Monfared & Durstewitz (NeurIPS 2022) to state when loss
gradients stay bounded (fixed points, cycles), grow sub-exponentially (quasi-periodic) or diverge
(chaotic). A finite-time λ estimate has an error of order ``1/n_steps``, so ``lambda_tol`` must exceed
it (default ``max(0.005, 10 / n_steps)`` per step).

Cost: ``transient + window * max_period`` comparisons + ``n_steps`` tangent steps for aperiodic orbits.
Units of ``lambda_max``: per step (maps) or per unit time (``fmap.dt`` set).
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rnnchaos._util.rng import SeedLike, as_generator
from rnnchaos._util.validation import positive_float, positive_int
from rnnchaos.core import TangentMap, as_batch

ORBIT_TYPES = ("fixed_point", "cycle", "quasi_periodic", "chaotic", "divergent")

__all__ = ["ORBIT_TYPES", "OrbitClassification", "classify_orbits", "dominant_orbit_type"]


@dataclass(frozen=True)
class OrbitClassification:
    """Classification of one orbit.

    ``orbit_type`` is one of :data:`ORBIT_TYPES`; ``period`` is 1 for a fixed point, ``k`` for a
    k-cycle and None otherwise; ``lambda_max`` (in ``units``) is None when recurrence already decided;
    ``recurrence_error`` is the relative error of the best period found; ``evidence`` says why.
    """

    orbit_type: str
    period: int | None
    lambda_max: float | None
    recurrence_error: float
    max_norm: float
    units: str
    evidence: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """``"fixed_point"``, ``"3-cycle"``, ``"cycle"``, ``"chaotic"``, ..."""
        if self.orbit_type == "cycle" and self.period is not None:
            return f"{self.period}-cycle"
        return self.orbit_type

    def to_dict(self) -> dict[str, Any]:
        return {"orbit_type": self.orbit_type, "label": self.label, "period": self.period,
                "lambda_max": self.lambda_max, "recurrence_error": self.recurrence_error,
                "max_norm": self.max_norm, "units": self.units, "evidence": self.evidence}


def classify_orbits(fmap: TangentMap, z0: Any, *, transient: int = 2000, window: int | None = None,
                    max_period: int = 64, tol: float = 1e-7, n_steps: int = 3000,
                    lambda_tol: float | None = None, divergence_threshold: float = 1e8,
                    seed: SeedLike = None) -> list[OrbitClassification]:
    """Classify the orbit of each initial condition ``z0`` ``(N,)`` or ``(B, N)`` (see module docstring).

    Returns one :class:`OrbitClassification` per initial condition, in order.
    """
    from rnnchaos.dynamics.lyapunov_spectrum import lyapunov_spectrum

    n = positive_int(getattr(fmap, "dim", None), "fmap.dim")
    z = as_batch(z0, n, "z0").copy()
    transient = int(transient)
    if transient < 0:
        raise ValueError(f"transient must be a non-negative integer, got {transient}")
    max_period = positive_int(max_period, "max_period")
    window = positive_int(window if window is not None else max(4 * max_period, 256), "window")
    n_steps = positive_int(n_steps, "n_steps")
    tol = positive_float(tol, "tol")
    divergence_threshold = positive_float(divergence_threshold, "divergence_threshold")
    lam_tol = max(0.005, 10.0 / n_steps) if lambda_tol is None else positive_float(lambda_tol, "lambda_tol")
    units = "per_step" if fmap.dt is None else "per_time"
    rng = as_generator(seed)
    b = z.shape[0]
    diverged_at = np.full(b, -1)
    max_norm = np.zeros(b)

    def track(zz: np.ndarray, t: int) -> np.ndarray:
        norms = np.max(np.abs(zz), axis=1)
        bad = ~np.isfinite(norms) | (norms > divergence_threshold)
        new = bad & (diverged_at < 0)
        diverged_at[new] = t
        np.maximum(max_norm, np.where(np.isfinite(norms), norms, np.inf), out=max_norm)
        zz[bad] = 0.0  # keep the batch finite; these rows are already classified
        return zz

    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(transient):
            z = track(fmap.step(z), t + 1)
        max_norm[:] = 0.0
        max_norm[diverged_at >= 0] = np.inf
        hist = np.empty((window + max_period, b, n))
        for t in range(window + max_period):
            z = track(fmap.step(z), transient + t + 1)
            hist[t] = z

    results: list[OrbitClassification | None] = [None] * b
    scale = 1.0 + np.max(np.abs(hist), axis=(0, 2))
    best_err = np.full(b, np.inf)
    period = np.zeros(b, dtype=int)
    for p in range(1, max_period + 1):
        err = np.max(np.abs(hist[p:p + window] - hist[:window]), axis=(0, 2)) / scale
        hit = (period == 0) & (err <= tol)
        period[hit] = p
        best_err = np.minimum(best_err, err)
    err_at_period = np.array([
        np.max(np.abs(hist[p:p + window, i] - hist[:window, i])) / scale[i] if p else best_err[i]
        for i, p in enumerate(period)])

    pending: list[int] = []
    for i in range(b):
        if diverged_at[i] >= 0:
            results[i] = OrbitClassification(
                "divergent", None, None, math.inf, math.inf, units,
                f"|z| exceeded {divergence_threshold:g} (or became non-finite) at step {int(diverged_at[i])}")
        elif period[i] == 1:
            results[i] = OrbitClassification(
                "fixed_point", 1, None, float(err_at_period[i]), float(max_norm[i]), units,
                f"|z_(t+1) - z_t| <= {tol:g} (relative) over {window} steps after a transient of {transient}")
        elif period[i] > 1:
            results[i] = OrbitClassification(
                "cycle", int(period[i]), None, float(err_at_period[i]), float(max_norm[i]), units,
                f"|z_(t+{int(period[i])}) - z_t| <= {tol:g} (relative) over {window} steps; no shorter period")
        else:
            pending.append(i)

    if pending:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            spec = lyapunov_spectrum(fmap, hist[-1, pending], n_steps, k=1, transient=0,
                                     tangent_transient=min(100, n_steps), seed=rng)
        lam = spec.per_initial_condition[:, 0]
        if lam.shape[0] != len(pending):  # an orbit escaped during the estimate
            lam = np.full(len(pending), np.nan)
        for j, i in enumerate(pending):
            li = float(lam[j])
            common = (float(best_err[i]), float(max_norm[i]), units)
            if not math.isfinite(li):
                results[i] = OrbitClassification("divergent", None, None, *common,
                                                  "orbit became non-finite while estimating λ_max")
            elif li > lam_tol:
                results[i] = OrbitClassification("chaotic", None, li, *common,
                                                  f"no period <= {max_period}; λ_max = {li:.4g} > {lam_tol:.3g}")
            elif li >= -lam_tol:
                results[i] = OrbitClassification(
                    "quasi_periodic", None, li, *common,
                    f"bounded, no period <= {max_period}; |λ_max| = {abs(li):.3g} <= {lam_tol:.3g}")
            else:
                results[i] = OrbitClassification(
                    "cycle", None, li, *common,
                    f"λ_max = {li:.4g} < 0 but no period <= {max_period} within tol {tol:g}: a longer cycle "
                    "or a slow transient; increase max_period or transient")
    out = [r for r in results if r is not None]
    assert len(out) == b
    return out


def dominant_orbit_type(classes: list[OrbitClassification]) -> str:
    """Most common label among ``classes`` (ties broken by order of :data:`ORBIT_TYPES`)."""
    if not classes:
        raise ValueError("no orbit classifications given")
    counts = Counter(c.label for c in classes)
    order = {t: i for i, t in enumerate(ORBIT_TYPES)}
    return max(counts, key=lambda lab: (counts[lab], -order.get(lab.split("-")[-1], 0)))
