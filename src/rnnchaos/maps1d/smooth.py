"""Periodic points of smooth 1-D maps (tanh networks, the logistic map) by certified root bracketing,
and Lyapunov exponents along orbits.

Root finding for ``g(x) = f^p(x) - x`` on an interval ``[lo, hi]`` that contains every periodic orbit
(e.g. an invariant interval):

1. a uniform grid of ``n_grid`` cells; a cell whose end values change sign holds a root, refined by
   Brent's method (Brent 1973, ``scipy.optimize.brentq``) to ``xtol`` (default ``1e-14``);
2. a cell without a sign change is *certified root-free* if ``|g(a)| + |g(b)| > L_g (b - a)`` where
   ``L_g = L^p + 1`` bounds the Lipschitz constant of ``g`` (a root inside would force a smaller sum);
3. otherwise it is bisected, down to the stated resolution ``min_width``; cells that are still neither
   bracketed nor certified are returned in ``unresolved`` (possible tangential double roots), so no root is
   missed silently.

Roots of exact period ``p`` are kept (``|f^d(x) - x| > tol`` for every proper divisor ``d``) and grouped into
orbits. Cost: O(n_grid * p) map evaluations plus the refinements.

Lyapunov exponent of a 1-D map along the orbit of ``x0``: ``lambda = (1/n) sum log|f'(x_t)|`` after a
transient (per step). For the logistic map at r = 3.83 the orbit falls on the attracting 3-cycle and
``lambda = (1/3) log|(f^3)'|`` < 0 although a 3-cycle exists (Li–Yorke chaos without a positive exponent).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import brentq

Func = Callable[[Any], Any]


DerivBound = Callable[[Any, Any], Any]


def logistic(r: float) -> tuple[Func, Func, tuple[float, float], float]:
    """``(f, f', invariant interval [0, 1], Lipschitz bound r)`` of the logistic map ``r x (1 - x)``
    (0 < r <= 4). :func:`logistic_deriv_bound` gives the local bound of ``|f'|``."""
    if not 0 < r <= 4:
        raise ValueError(f"logistic map needs 0 < r <= 4 to keep [0, 1] invariant, got {r}")

    def f(x: Any) -> Any:
        return r * x * (1.0 - x)

    def df(x: Any) -> Any:
        return r * (1.0 - 2.0 * x)

    return f, df, (0.0, 1.0), float(r)


def logistic_deriv_bound(r: float) -> DerivBound:
    """``sup |f'|`` on ``[lo, hi]`` for the logistic map: ``r max(|1 - 2 lo|, |1 - 2 hi|)`` (arrays allowed)."""

    def bound(lo: Any, hi: Any) -> Any:
        return float(r) * np.maximum(np.abs(1.0 - 2.0 * np.asarray(lo)), np.abs(1.0 - 2.0 * np.asarray(hi)))

    return bound


def iterate_lipschitz(f: Func, deriv_bound: DerivBound, p: int, clamp: tuple[float, float]) -> Callable[
        [Any, Any], Any]:
    """Local Lipschitz bound of ``f^p - id`` on cells ``[a, b]`` (scalars or arrays of cells): propagate a
    centred-form enclosure ``E_{k+1} = f(c_k) +- L_k r_k`` (``L_k = sup |f'|`` on ``E_k``, intersected with
    the invariant interval ``clamp``) and return ``prod_k L_k + 1`` (Moore 1966 interval arithmetic,
    mean-value form). ``f`` and ``deriv_bound`` must accept arrays."""
    lo_c, hi_c = clamp

    def lip(a: Any, b: Any) -> Any:
        lo = np.asarray(a, dtype=np.float64)
        hi = np.asarray(b, dtype=np.float64)
        total = np.ones_like(lo)
        for k in range(p):
            L = np.asarray(deriv_bound(lo, hi), dtype=np.float64)
            total = total * L
            if k == p - 1:
                break
            c = 0.5 * (lo + hi)
            r = 0.5 * (hi - lo)
            fc = np.asarray(f(c), dtype=np.float64)
            nlo = np.maximum(lo_c, fc - L * r)
            nhi = np.minimum(hi_c, fc + L * r)
            empty = nlo > nhi  # numerically empty: fall back to the whole interval
            lo = np.where(empty, lo_c, nlo)
            hi = np.where(empty, hi_c, nhi)
        out = total * (1.0 + 1e-12) + 1.0
        return float(out) if out.ndim == 0 else out

    return lip


@dataclass
class SmoothPeriodicPoints:
    """Orbits of exact period ``period`` (each starting from its smallest point), and unresolved cells."""

    period: int
    orbits: list[list[float]] = field(default_factory=list)
    multipliers: list[float] = field(default_factory=list)
    unresolved: list[tuple[float, float]] = field(default_factory=list)
    resolution: float = 0.0
    xtol: float = 0.0

    @property
    def exists(self) -> bool:
        return bool(self.orbits)


def _iterate(f: Func, x: Any, n: int) -> Any:
    for _ in range(n):
        x = f(x)
    return x


def roots_certified(g: Func, lo: float, hi: float, lipschitz: float | Callable[[Any, Any], Any],
                    n_grid: int = 4096,
                    min_width: float = 1e-10, xtol: float = 1e-14,
                    max_cells: int = 1_000_000) -> tuple[list[float], list[tuple[float, float]]]:
    """All roots of ``g`` on ``[lo, hi]`` found by bracketing + Brent, and unresolved cells (see module).
    ``lipschitz`` is a constant or a function ``(a, b) -> Lipschitz bound of g on [a, b]``."""
    lip_on: Callable[[Any, Any], Any] = (lipschitz if callable(lipschitz)
                                         else (lambda a, b: float(lipschitz)))
    xs = np.linspace(lo, hi, n_grid + 1)
    gs = np.asarray(g(xs), dtype=np.float64)
    roots: list[float] = []
    unresolved: list[tuple[float, float]] = []
    stack: list[tuple[float, float, float, float]] = []
    # first pass, vectorised over the grid when the bound accepts arrays: drop certified root-free cells
    try:
        cell_l = np.broadcast_to(np.asarray(lip_on(xs[:-1], xs[1:]), dtype=np.float64), (n_grid,))
    except (TypeError, ValueError):
        cell_l = np.array([lip_on(float(a), float(b)) for a, b in zip(xs[:-1], xs[1:], strict=True)])
    ga_all, gb_all = gs[:-1], gs[1:]
    keep = ~((ga_all * gb_all > 0) & (np.abs(ga_all) + np.abs(gb_all) > cell_l * np.diff(xs)))
    for i in np.nonzero(keep)[0]:
        stack.append((float(xs[i]), float(xs[i + 1]), float(gs[i]), float(gs[i + 1])))
    visited = 0
    while stack:
        a, b, ga, gb = stack.pop()
        visited += 1
        if ga == 0.0 or gb == 0.0:
            roots.extend(v for v, gv in ((a, ga), (b, gb)) if gv == 0.0)
            continue
        if ga * gb < 0:
            roots.append(float(brentq(g, a, b, xtol=xtol, rtol=4 * np.finfo(float).eps)))
            continue
        if abs(ga) + abs(gb) > lip_on(a, b) * (b - a):
            continue  # certified root-free
        if b - a < min_width or visited > max_cells:
            unresolved.append((a, b))
            continue
        m = 0.5 * (a + b)
        gm = float(g(np.float64(m)))
        stack.append((a, m, ga, gm))
        stack.append((m, b, gm, gb))
    roots.sort()
    dedup: list[float] = []
    for r in roots:
        if not dedup or abs(r - dedup[-1]) > 10 * xtol:
            dedup.append(r)
    return dedup, unresolved


def periodic_points_smooth(f: Func, period: int, interval: tuple[float, float], lipschitz: float,
                           df: Func | None = None, n_grid: int = 4096, min_width: float = 1e-10,
                           xtol: float = 1e-14, period_tol: float = 1e-9,
                           deriv_bound: DerivBound | None = None) -> SmoothPeriodicPoints:
    """Orbits of exact period ``period`` of a smooth map ``f`` (vectorised over numpy arrays) on ``interval``.

    ``lipschitz`` bounds ``|f'|`` on the interval; ``deriv_bound(lo, hi)`` (optional) bounds ``|f'|`` on a
    sub-interval and gives much tighter local exclusion; ``period_tol`` decides ``f^d(x) = x`` for divisors."""
    if period < 1:
        raise ValueError(f"period must be a positive integer, got {period}")
    lo, hi = float(interval[0]), float(interval[1])
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"interval must be finite with lo < hi, got {interval}")

    def g(x: Any) -> Any:
        return _iterate(f, x, period) - x

    lg: float | Callable[[Any, Any], Any] = float(lipschitz) ** period + 1.0
    if deriv_bound is not None:
        lg = iterate_lipschitz(f, deriv_bound, period, (lo, hi))
    roots, unresolved = roots_certified(g, lo, hi, lg, n_grid=n_grid, min_width=min_width, xtol=xtol)
    out = SmoothPeriodicPoints(period=period, unresolved=unresolved, resolution=min_width, xtol=xtol)
    used: list[float] = []
    for x in roots:
        if any(abs(x - u) <= period_tol for u in used):
            continue
        y = x
        minimal = period
        for d in range(1, period):
            y = float(f(np.float64(y)))
            if period % d == 0 and abs(y - x) <= period_tol:
                minimal = d
                break
        if minimal != period:
            continue
        orbit = [float(x)]
        for _ in range(period - 1):
            orbit.append(float(f(np.float64(orbit[-1]))))
        # snap orbit points to the Brent roots (more accurate than forward iteration of an unstable orbit)
        snapped = []
        for p in orbit:
            near = [r for r in roots if abs(r - p) <= 1e3 * period_tol]
            snapped.append(near[int(np.argmin([abs(r - p) for r in near]))] if near else p)
        used.extend(snapped)
        start = int(np.argmin(snapped))
        snapped = snapped[start:] + snapped[:start]
        out.orbits.append(snapped)
        if df is not None:
            out.multipliers.append(float(np.prod([df(np.float64(p)) for p in snapped])))
    out.orbits.sort(key=lambda o: o[0])
    return out


def lyapunov_exponent_1d(f: Func, df: Func, x0: float, n_steps: int = 10_000, transient: int = 1_000,
                         noise: float = 0.0, seed: int = 0) -> float:
    """Lyapunov exponent per step along the orbit of ``x0``: ``(1/n) sum_t log|f'(x_t)|`` after
    ``transient`` steps. Returns ``-inf`` if the orbit hits a point with ``f' = 0`` and raises ValueError if
    the orbit diverges. Cost O(n_steps).

    ``noise > 0`` adds a seeded relative perturbation ``noise * (1 + |x|) * N(0, 1)`` after every step: float
    orbits of expanding piecewise-linear maps collapse (the slope-2 tent map reaches 0 in about 55 binary
    doublings), and a tiny perturbation restores a typical orbit without moving an attracting cycle."""
    rng = np.random.default_rng(seed)
    x = float(x0)

    def step(v: float) -> float:
        y = float(f(np.float64(v)))
        if noise > 0.0:
            y += noise * (1.0 + abs(y)) * float(rng.standard_normal())
        return y

    for _ in range(transient):
        x = step(x)
        if not math.isfinite(x):
            raise ValueError("the orbit diverges (|x| -> inf); no Lyapunov exponent along it")
    total = 0.0
    for _ in range(n_steps):
        d = abs(float(df(np.float64(x))))
        if d == 0.0:
            return -math.inf
        total += math.log(d)
        x = step(x)
        if not math.isfinite(x):
            raise ValueError("the orbit diverges (|x| -> inf); no Lyapunov exponent along it")
    return total / n_steps
