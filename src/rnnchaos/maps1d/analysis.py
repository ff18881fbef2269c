"""One call that analyses a 1-D recurrent map: periods, Li–Yorke certificate, laps, entropy, Lyapunov.

The notions are kept apart on purpose (docs/architecture.md, "Conventions"): ``period3`` / ``li_yorke_chaotic`` are topological
(a 3-cycle, or any period that is not a power of two, implies Li–Yorke chaos: Li & Yorke 1975; positive
entropy implies Li–Yorke chaos, Smítal 1986), while ``lyapunov_exponent`` (per step) is measured along
one typical orbit and can be negative for a Li–Yorke chaotic map whose attractor is a stable cycle
(logistic map at r = 3.83).

ReLU networks are analysed exactly (:mod:`rnnchaos.maps1d.periodic`, Fractions when the parameters are
rational); smooth maps (tanh networks, the logistic map) by certified root bracketing
(:mod:`rnnchaos.maps1d.smooth`). Cost grows like the number of pieces of ``f^P``, i.e. ``exp(P h_top)``;
iterates with more than ``max_pieces`` pieces are not built and the result says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

from rnnchaos.maps1d.entropy import growth_rate, invariant_interval, lap_growth, trapped_lap_growth
from rnnchaos.maps1d.li_yorke import check_witness_float, find_witness
from rnnchaos.maps1d.network import SMOOTH_OUTPUTS, Network1D
from rnnchaos.maps1d.periodic import (
    PeriodicPoints,
    entropy_lower_bound_from_period,
    implied_periods,
    periodic_points,
    sharkovsky_type,
)
from rnnchaos.maps1d.piecewise import PiecewiseLinear
from rnnchaos.maps1d.smooth import lyapunov_exponent_1d, periodic_points_smooth

Func = Callable[[Any], Any]


def _out(v: Any) -> Any:
    if isinstance(v, Fraction):
        return str(v)
    return float(v)


def _odd_part(p: int) -> int:
    while p % 2 == 0:
        p //= 2
    return p


def _li_yorke_from_periods(periods: list[int]) -> bool:
    """A period that is not a power of two implies positive entropy, hence Li–Yorke chaos."""
    return any(_odd_part(p) > 1 for p in periods)


def _lyapunov(f: Func, df: Func, x0: float, n_steps: int, transient: int,
              noise: float = 0.0) -> tuple[float | None, str]:
    try:
        lam = lyapunov_exponent_1d(f, df, x0, n_steps=n_steps, transient=transient, noise=noise)
    except ValueError as exc:
        return None, str(exc)
    return lam, "ok"


def analyze_piecewise(f: PiecewiseLinear, max_period: int = 6, network: Network1D | None = None,
                      max_pieces: int = 50_000, lyapunov_steps: int = 60_000,
                      lyapunov_x0: float | None = None) -> dict[str, Any]:
    """Full analysis of a PL map (exact if ``f`` is exact). ``network`` enables the rigorous float
    Li–Yorke check against the network itself."""
    if max_period < 1:
        raise ValueError(f"max_period must be a positive integer, got {max_period}")
    found: dict[int, PeriodicPoints] = {}
    g = f
    truncated_at: int | None = None
    top = max(max_period, 3)
    for p in range(1, top + 1):
        if p > 1:
            if g.n_pieces * f.n_pieces > 4 * max_pieces:
                truncated_at = p
                break
            g = f.compose(g)
        found[p] = periodic_points(f, p, fp=g)
    periods = [p for p, r in found.items() if r.exists and p <= max_period]
    p3 = found.get(3)
    period3 = bool(p3 is not None and p3.exists)
    cert = find_witness(f, network=network, p3=p3) if period3 else None
    seeds = [x for r in found.values() for o in r.orbits for x in o.points]
    for r in found.values():
        for lo, hi in r.intervals:
            seeds.extend(v for v in (lo, hi) if v not in (-math.inf, math.inf))
    J = invariant_interval(f, seeds)
    laps = lap_growth(f, max_period, interval=J, max_pieces=max_pieces)
    laps_list = laps.laps
    crossings: list[int] | None = laps.crossings
    laps_domain = "invariant interval containing every periodic orbit found"
    entropy_est = laps.entropy_ratio if len(laps.laps) >= 2 else None
    hull = (min(seeds), max(seeds)) if seeds else None
    if J is None and hull is not None and hull[1] > hull[0]:
        # no bounded invariant interval: count laps on the non-escaping part of the periodic hull
        laps_list = trapped_lap_growth(f, hull, max_period, max_pieces=max_pieces)
        crossings = None
        laps_domain = ("points of the hull of the periodic orbits found whose iterates stay in it (no bounded "
                       "invariant interval contains them: other orbits escape)")
        entropy_est = math.log(laps_list[-1] / laps_list[-2]) if len(laps_list) >= 2 else None
    elif J is None:
        laps_domain = "whole real line (no periodic orbit to anchor an interval)"
    all_periods = [p for p, r in found.items() if r.exists]
    s_type = sharkovsky_type(all_periods)
    lower = max((entropy_lower_bound_from_period(p) for p in all_periods), default=0.0)
    ff = f.to_float()

    def fe(x: Any) -> Any:
        xf = float(x)
        i = ff.piece_index(xf)
        return ff.slopes[i] * xf + ff.intercepts[i]

    def dfe(x: Any) -> Any:
        return ff.slopes[ff.piece_index(float(x))]

    if lyapunov_x0 is None:
        lyapunov_x0 = float((J[0] + J[1]) / 2) if J is not None else 0.0
        # avoid starting exactly on a periodic point or breakpoint
        lyapunov_x0 += 1e-7 * (1.0 + abs(lyapunov_x0)) * math.pi / 3
    lam, lam_note = _lyapunov(fe, dfe, lyapunov_x0, lyapunov_steps, 1000, noise=1e-13)
    return {
        "exact": f.exact,
        "method": "exact piecewise-linear analysis" + (" in rational arithmetic" if f.exact else " in float64"),
        "period3": period3,
        "li_yorke_chaotic": period3 or _li_yorke_from_periods(all_periods),
        "witness": None if cert is None else _out(cert.witness),
        "witness_certificate": None if cert is None else cert.as_dict(),
        "periods": periods,
        "max_period": max_period,
        "periods_truncated_at": truncated_at,
        "orbits": {str(p): [o.as_dict() for o in r.orbits] for p, r in found.items() if p <= max_period},
        "periodic_intervals": {str(p): [[_out(a), _out(b)] for a, b in r.intervals]
                               for p, r in found.items() if r.intervals},
        "residual_tolerance": {str(p): r.tolerance for p, r in found.items()},
        "sharkovsky_type": s_type,
        "implied_periods": implied_periods(s_type, max_period) if s_type is not None else [],
        "pieces": f.n_pieces,
        "laps": laps_list,
        "laps_interval": ([_out(J[0]), _out(J[1])] if J is not None else
                          ([_out(hull[0]), _out(hull[1])] if hull is not None else None)),
        "laps_domain": laps_domain,
        "crossings": crossings,
        "oscillation_growth_rate": growth_rate(crossings) if crossings else None,
        "entropy_lower_bound": lower,
        "entropy_estimate": entropy_est,
        "entropy_units": "nats per step",
        "lyapunov_exponent": lam,
        "lyapunov_positive": None if lam is None else bool(lam > 0),
        "lyapunov_units": "per step",
        "lyapunov_note": lam_note if lam is None else (
            f"along the float orbit of x0 = {lyapunov_x0:.6g} with 1e-13 relative noise per step "
            "(keeps expanding PL orbits from collapsing onto binary fractions)"),
    }


def analyze_smooth(f: Func, df: Func, interval: tuple[float, float], lipschitz: float, max_period: int = 6,
                   evaluate_with_bound: Callable[[float], tuple[float, float]] | None = None,
                   n_grid: int = 4096, min_width: float = 1e-10, lyapunov_x0: float | None = None,
                   lyapunov_steps: int = 60_000,
                   deriv_bound: Callable[[float, float], float] | None = None) -> dict[str, Any]:
    """Analysis of a smooth map on an invariant ``interval`` by certified root bracketing (see
    :mod:`rnnchaos.maps1d.smooth`). ``evaluate_with_bound`` enables a rigorous float Li–Yorke check."""
    if max_period < 1:
        raise ValueError(f"max_period must be a positive integer, got {max_period}")
    found = {}
    for p in range(1, max(max_period, 3) + 1):
        found[p] = periodic_points_smooth(f, p, interval, lipschitz, df=df, n_grid=n_grid, min_width=min_width,
                                          deriv_bound=deriv_bound)
    all_periods = [p for p, r in found.items() if r.exists]
    periods = [p for p in all_periods if p <= max_period]
    period3 = found[3].exists
    cert = None
    if period3 and evaluate_with_bound is not None:
        for orbit in found[3].orbits:
            x, y, z = sorted(orbit)
            a = x if abs(float(f(np.float64(x))) - y) < abs(float(f(np.float64(x))) - z) else z
            for k in range(8, 50):
                for sign in (1.0, -1.0):
                    c = check_witness_float(evaluate_with_bound, lipschitz, a + sign * (1 + abs(a)) * 2.0 ** -k)
                    if c.valid:
                        cert = c
                        break
                if cert:
                    break
            if cert:
                break
    # laps of f^t, numerically: monotone pieces on a fine grid (approximate)
    xs = np.linspace(interval[0], interval[1], 20001)
    laps = []
    ys: Any = xs.copy()
    for _ in range(max_period):
        ys = f(ys)
        d = np.sign(np.diff(ys))
        d = d[d != 0]
        laps.append(int(1 + np.count_nonzero(d[1:] != d[:-1])) if d.size else 1)
    s_type = sharkovsky_type(all_periods)
    lower = max((entropy_lower_bound_from_period(p) for p in all_periods), default=0.0)
    x0 = lyapunov_x0 if lyapunov_x0 is not None else 0.5 * (interval[0] + interval[1]) + 1e-3 * (
        interval[1] - interval[0]) * math.pi / 7
    lam, lam_note = _lyapunov(f, df, x0, lyapunov_steps, 1000)
    unresolved = {str(p): len(r.unresolved) for p, r in found.items()}
    return {
        "exact": False,
        "method": "certified root bracketing (grid + Brent, Lipschitz exclusion) on the invariant interval",
        "period3": period3,
        "li_yorke_chaotic": period3 or _li_yorke_from_periods(all_periods),
        "witness": None if cert is None else float(cert.witness),
        "witness_certificate": None if cert is None else cert.as_dict(),
        "periods": periods,
        "max_period": max_period,
        "orbits": {str(p): [{"period": p, "points": o, "multiplier": (r.multipliers[i] if r.multipliers else None),
                             "stability": (None if not r.multipliers else
                                           ("attracting" if abs(r.multipliers[i]) < 1 else "repelling"))}
                            for i, o in enumerate(r.orbits)] for p, r in found.items() if p <= max_period},
        "unresolved_cells": unresolved,
        "root_resolution": min_width,
        "sharkovsky_type": s_type,
        "implied_periods": implied_periods(s_type, max_period) if s_type is not None else [],
        "laps": laps,
        "laps_interval": [float(interval[0]), float(interval[1])],
        "laps_method": "sign changes of finite differences on a 20001-point grid (approximate)",
        "entropy_lower_bound": lower,
        "entropy_estimate": math.log(laps[-1] / laps[-2]) if len(laps) >= 2 else None,
        "entropy_units": "nats per step",
        "lyapunov_exponent": lam,
        "lyapunov_positive": None if lam is None else bool(lam > 0),
        "lyapunov_units": "per step",
        "lyapunov_note": lam_note if lam is None else f"along the orbit of x0 = {x0:.6g}",
    }


def analyze_network(net: Network1D, max_period: int = 6) -> dict[str, Any]:
    """Analyse a 1-D network map: exact PL analysis for ReLU networks, smooth analysis for tanh."""
    if net.hidden_activation == "relu" and net.output_activation not in SMOOTH_OUTPUTS:
        f = net.to_piecewise()
        res = analyze_piecewise(f, max_period=max_period, network=None if net.exact else net)
    else:
        J = net.output_range()
        if J is None:
            raise ValueError("cannot bound the invariant interval of this smooth network")
        fn = net.to_float()
        res = analyze_smooth(fn.__call__, fn.derivative, J, fn.lipschitz_bound(), max_period=max_period,
                             evaluate_with_bound=fn.eval_with_bound, deriv_bound=fn.deriv_bound)
    res["network"] = {"depth": net.depth, "width": net.width, "hidden_activation": net.hidden_activation,
                      "output_activation": net.output_activation}
    return res
