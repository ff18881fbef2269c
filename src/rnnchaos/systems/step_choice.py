"""Choosing a safe RK4 step for a flow: step doubling along a probe orbit, halving on blow-up.

Local error by step doubling (Hairer, Nørsett & Wanner, *Solving ODEs I*, 2nd ed. 1993, §II.4): one
RK4 step of size ``h`` against two of size ``h/2`` from the same state; their difference estimates the
local error of the step ``h`` (it is ``(1 - 2^-4) ≈ 15/16`` of it for a smooth field; we take the
difference itself). Each coordinate's error is divided by that coordinate's standard deviation along
the probe orbit, the largest over the coordinates is kept, and the 99th percentile over the probe
orbit (a quantile, not the maximum, so that a kink of a piecewise-smooth field such as Chua's does not
rule every step out) must not exceed ``tol`` (default ``1e-4`` of the attractor's size per step).

:func:`choose_rk4_step` starts from a proposed step ``h0`` and tries only steps ``h0 / m`` (``m`` a
positive integer, so that a sampling interval of ``h0`` stays a whole number of steps):

1. integrate a probe orbit (a few initial conditions, ``transient`` then ``measure`` time units);
2. if the orbit becomes non-finite or leaves the ball of radius ``bound`` about the origin, double
   ``m`` (halve the step) and retry;
3. else, if the error quantile exceeds ``tol``, take the next ``m`` from RK4's local error ``∝ h⁵``
   (at least ``m + 1``) and retry; else accept.

At most ``max_probes`` probes; every probe is recorded in :class:`StepChoice` (step, outcome, error).
Cost: each probe is ``(transient + measure) / h`` RK4 steps of the probe batch plus two half steps at
every ``every``-th step of the measured part, i.e. well under the cost of a Lyapunov run at that step.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rnnchaos.core import Array
from rnnchaos.systems.integrators import Rhs, rk4_step

#: default tolerance: 99th percentile of the scaled RK4 local error per step along the probe orbit
TOL = 1e-4
QUANTILE = 0.99


@dataclass(frozen=True)
class Probe:
    """One probe of :func:`choose_rk4_step`: the step ``dt``, its ``outcome`` and the error quantile."""

    dt: float
    outcome: str  # "accepted", "error above tolerance", "k of B probe orbits non-finite at t=..." (or left the bound)
    error: float | None  # the scaled local-error quantile (None where the orbit blew up)

    def to_dict(self) -> dict[str, Any]:
        return {"dt": self.dt, "outcome": self.outcome, "error": self.error}


@dataclass(frozen=True)
class StepChoice:
    """The step chosen by :func:`choose_rk4_step` (time units of the flow) and why.

    ``dt`` the chosen step, ``proposed`` the step it started from (``dt = proposed / divisor``),
    ``error`` the scaled local-error quantile at ``dt``, ``tol`` and ``quantile`` the criterion,
    ``met`` whether the criterion was met within the probes, ``reason`` one line, ``probes`` every probe.
    """

    dt: float
    proposed: float
    divisor: int
    error: float | None
    tol: float
    quantile: float
    met: bool
    reason: str
    probes: tuple[Probe, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {"dt": self.dt, "proposed": self.proposed, "divisor": self.divisor, "error": self.error,
                "tol": self.tol, "quantile": self.quantile, "met": self.met, "reason": self.reason,
                "probes": [p.to_dict() for p in self.probes]}


def local_error_quantile(f: Rhs, z0: Array, h: float, n_transient: int, n_measure: int, *, every: int = 4,
                         quantile: float = QUANTILE, coords: int | None = None, bound: float = math.inf,
                         bounded: Sequence[int] | None = None) -> tuple[float | None, str]:
    """Scaled RK4 local-error quantile along the orbits from ``z0 (B, N)`` at step ``h``.

    ``n_transient`` steps first, then ``n_measure`` steps with a step-doubling estimate at every
    ``every``-th one. Only the first ``coords`` coordinates are scored (all if None). An orbit that
    becomes non-finite or leaves ``|z_i| <= bound`` (for the coordinates ``i`` in ``bounded``, all if
    None; a phase or a position on a periodic domain grows without bound) is dropped (as the Lyapunov engine drops it: a few
    jittered initial conditions may lie outside the basin); when more than half are lost, the probe
    has blown up. Returns ``(quantile, note)``, or ``(None, why)`` after a blow-up.
    """
    z = np.array(z0, dtype=float)
    b0 = z.shape[0]
    c = z.shape[1] if coords is None else int(coords)
    errs: list[Array] = []
    states: list[Array] = []
    alive = np.arange(b0)
    cols = np.arange(z.shape[1]) if bounded is None else np.asarray(bounded, dtype=int)
    with np.errstate(all="ignore"):
        for i in range(n_transient + n_measure):
            z1 = rk4_step(f, z, h)
            if i >= n_transient and (i - n_transient) % every == 0:
                z2 = rk4_step(f, rk4_step(f, z, 0.5 * h), 0.5 * h)
                e_i = np.full((b0, c), np.nan)
                e_i[alive] = np.abs(z2 - z1)[:, :c]
                s_i = np.full((b0, c), np.nan)
                s_i[alive] = z[:, :c]
                errs.append(e_i)
                states.append(s_i)
            z = z1
            zb = z[:, cols]
            bad = ~np.isfinite(z).all(axis=1) | (np.abs(zb).max(axis=1, initial=0.0, where=np.isfinite(zb)) > bound)
            if bad.any():
                why = (f"non-finite at t={(i + 1) * h:.4g}" if not np.isfinite(z[bad]).all()
                       else f"left |z| <= {bound:.3g} at t={(i + 1) * h:.4g}")
                alive, z = alive[~bad], z[~bad]
                if 2 * alive.size < b0:
                    return None, f"{b0 - alive.size} of {b0} probe orbits {why}"
    e = np.array(errs)  # (S, B, c), NaN for dropped orbits
    sd = np.array(states)[:, alive].std(axis=(0, 1))  # the surviving orbits only
    scale = np.maximum(sd, 1e-6 * max(float(sd.max()), 1e-300))
    worst = (e[:, alive] / scale).max(axis=2).ravel()
    lost = b0 - alive.size
    return float(np.quantile(worst, quantile)), (f"{lost} of {b0} probe orbits escaped and were dropped" if lost else "")


def choose_rk4_step(f: Rhs, z0: Array, h0: float, *, transient: float, measure: float, tol: float = TOL,
                    quantile: float = QUANTILE, coords: int | None = None, bound: float = math.inf,
                    bounded: Sequence[int] | None = None, max_probes: int = 8, every: int = 4) -> StepChoice:
    """The largest tried step ``h0 / m`` whose RK4 local error meets ``tol`` (see the module docstring).

    ``f`` the batched right-hand side ``(B, N) -> (B, N)``, ``z0 (B, N)`` the probe's initial states,
    ``transient``/``measure`` in time units. Raises ``ValueError`` when every probe blew up.
    """
    if not (math.isfinite(h0) and h0 > 0):
        raise ValueError(f"the proposed step must be a positive number, got {h0!r}")
    if not (tol > 0 and 0 < quantile <= 1):
        raise ValueError(f"tol must be positive and quantile in (0, 1], got {tol!r}, {quantile!r}")
    m = 1
    probes: list[Probe] = []
    for _ in range(int(max_probes)):
        h = h0 / m
        n_tr, n_me = math.ceil(transient / h), max(1, math.ceil(measure / h))
        err, why = local_error_quantile(f, z0, h, n_tr, n_me, every=every, quantile=quantile, coords=coords,
                                        bound=bound, bounded=bounded)
        if err is None:
            probes.append(Probe(h, why, None))
            m *= 2
            continue
        if err <= tol:
            probes.append(Probe(h, "accepted" + (f" ({why})" if why else ""), err))
            return StepChoice(h, h0, m, err, tol, quantile, True, _reason(probes, tol, quantile), tuple(probes))
        probes.append(Probe(h, "error above tolerance", err))
        m = max(m + 1, math.ceil(m * (err / tol) ** 0.2))  # RK4 local error ~ h^5
    if all(p.error is None for p in probes):
        raise ValueError(f"every probe orbit blew up, down to step {h0 / (m // 2):.3g} (from {h0:.3g}); the "
                         "initial conditions are outside a bounded attractor or the system is too stiff for RK4")
    m_best, err_best = min(((round(h0 / p.dt), p.error) for p in probes if p.error is not None),
                           key=lambda t: t[1])
    return StepChoice(h0 / m_best, h0, m_best, err_best, tol, quantile, False, _reason(probes, tol, quantile),
                      tuple(probes))


def _reason(probes: list[Probe], tol: float, quantile: float) -> str:
    last = probes[-1]
    crit = f"RK4 local error (step doubling, {quantile:.0%} quantile, per attractor size) <= {tol:g}"
    if last.outcome.startswith("accepted") and len(probes) == 1:
        return f"proposed step kept: {crit} ({last.error:.2g})"
    blow = [p for p in probes if p.error is None]
    parts = [f"{len(blow)} halving(s) after blow-up ({blow[0].outcome} at step {blow[0].dt:.3g})"] if blow else []
    big = [p for p in probes if p.outcome == "error above tolerance"]
    if big:
        parts.append(f"{len(big)} reduction(s) for the local error ({big[0].error:.2g} at step {big[0].dt:.3g})")
    head = "" if last.outcome.startswith("accepted") else "criterion NOT met within the probes; smallest error kept; "
    return head + "; ".join(parts) + f"; {crit}"
