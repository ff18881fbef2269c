"""Periodic points of a piecewise-linear map, found exactly, and the Sharkovsky ordering.

Algorithm: build ``g = f^p`` exactly (:meth:`PiecewiseLinear.iterate`), solve ``s x + t = x`` on every
piece of ``g`` (``x = t / (1 - s)``; a piece with ``s = 1, t = 0`` is an interval of fixed points of
``g``), then keep the points whose minimal period is exactly ``p`` (``f^d(x) != x`` for every proper
divisor ``d`` of ``p``) and group them into orbits. With Fractions every step is exact; with floats a
point ``x`` is reported with the residual bound ``|f^p(x) - x| <= tol_p`` stated in the result
(``tol_p = 64 * eps * (1 + L^p) * (1 + |x|) * p``, ``L`` = Lipschitz constant). Cost: O(#pieces of f^p),
which grows like ``exp(p * h_top)``.

Stability: an orbit's multiplier is the product of the slopes along it (one-sided at breakpoints).
Sharkovsky's theorem (1964): if a continuous map of the line has a point of period ``m`` and ``m``
precedes ``n`` in ``3 > 5 > 7 > ... > 2*3 > 2*5 > ... > 4*3 > ... > 2^k > ... > 4 > 2 > 1`` then it has a
point of period ``n``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from rnnchaos.maps1d.piecewise import INF, PiecewiseLinear

Number = Any


@dataclass
class PeriodicOrbit:
    """One periodic orbit: ``points`` in orbit order starting from the smallest, exact for Fractions."""

    period: int
    points: list[Number]
    multiplier: tuple[Number, Number]  # (left, right) one-sided products of slopes along the orbit
    stability: str  # "attracting", "repelling", "neutral" (|m| = 1) or "mixed" (one-sided differ)
    residual: float = 0.0  # max |f^p(x) - x| over the orbit (0 for exact)

    def as_dict(self) -> dict[str, Any]:
        return {"period": self.period, "points": [_num_out(p) for p in self.points],
                "multiplier": [_num_out(m) for m in self.multiplier], "stability": self.stability,
                "residual": self.residual}


@dataclass
class PeriodicPoints:
    """All points of exact period ``period``; ``intervals`` lists whole intervals of ``f^p``-fixed points."""

    period: int
    orbits: list[PeriodicOrbit] = field(default_factory=list)
    intervals: list[tuple[Number, Number]] = field(default_factory=list)
    tolerance: float = 0.0  # residual bound used for float maps (0 for exact)

    @property
    def exists(self) -> bool:
        return bool(self.orbits) or bool(self.intervals)

    @property
    def points(self) -> list[Number]:
        return sorted(p for o in self.orbits for p in o.points)


def _num_out(v: Number) -> Any:
    return str(v) if isinstance(v, Fraction) else float(v)


def divisors(p: int) -> list[int]:
    return [d for d in range(1, p) if p % d == 0]


def _equal(a: Number, b: Number, tol: float) -> bool:
    if tol == 0.0:
        return bool(a == b)
    return abs(a - b) <= tol * (1.0 + abs(a))


def residual_tolerance(f: PiecewiseLinear, p: int) -> float:
    """Relative tolerance used to decide ``f^p(x) = x`` for float maps (0 for exact maps)."""
    if f.exact:
        return 0.0
    lip = float(f.lipschitz())
    return 64.0 * 2.220446049250313e-16 * (1.0 + lip ** p) * p


def orbit_of(f: PiecewiseLinear, x: Number, n: int) -> list[Number]:
    out = [x]
    for _ in range(n - 1):
        out.append(f(out[-1]))
    return out


def minimal_period(f: PiecewiseLinear, x: Number, p: int, tol: float = 0.0) -> int:
    """Smallest ``d | p`` with ``f^d(x) = x`` (``p`` itself if none smaller)."""
    y = x
    for d in range(1, p + 1):
        y = f(y)
        if p % d == 0 and _equal(y, x, tol):
            return d
    return p


def _multiplier(f: PiecewiseLinear, pts: list[Number]) -> tuple[Number, Number]:
    left: Number = 1
    right: Number = 1
    for x in pts:
        sl, sr = f.slope_at(x)
        left *= sl
        right *= sr
    return left, right


def _stability(m: tuple[Number, Number]) -> str:
    a, b = abs(m[0]), abs(m[1])
    if a < 1 and b < 1:
        return "attracting"
    if a > 1 and b > 1:
        return "repelling"
    if a == 1 and b == 1:
        return "neutral"
    return "mixed"


def periodic_points(f: PiecewiseLinear, p: int, fp: PiecewiseLinear | None = None) -> PeriodicPoints:
    """All points of exact period ``p`` of the PL map ``f`` (see the module docstring for the method).

    ``fp`` may pass a precomputed ``f^p``. Returns orbits sorted by their smallest point.
    """
    if p < 1:
        raise ValueError(f"period must be a positive integer, got {p}")
    g = fp if fp is not None else f.iterate(p)
    tol = residual_tolerance(f, p)
    candidates: list[Number] = []
    intervals: list[tuple[Number, Number]] = []
    one: Number = Fraction(1) if g.exact else 1.0
    for i in range(g.n_pieces):
        lo, hi = g.piece_interval(i)
        s, t = g.slopes[i], g.intercepts[i]
        if s == 1:
            if t == 0 or (not g.exact and abs(t) <= tol):
                intervals.append((lo, hi))
            continue
        x = t / (one - s)
        if lo <= x <= hi:
            if candidates and _equal(candidates[-1], x, tol):
                continue
            candidates.append(x)
    result = PeriodicPoints(period=p, tolerance=tol)
    # intervals of f^p-fixed points: keep those containing a point of exact period p
    for lo, hi in intervals:
        probe = (lo + hi) / 2 if lo != -INF and hi != INF else (hi - one if lo == -INF and hi != INF else
                                                                 (lo + one if hi == INF and lo != -INF else 0 * one))
        if minimal_period(f, probe, p, tol) == p:
            result.intervals.append((lo, hi))
    seen: list[Number] = []
    for x in candidates:
        if any(_equal(x, y, tol) for y in seen):
            continue
        if minimal_period(f, x, p, tol) != p:
            continue
        pts = orbit_of(f, x, p)
        seen.extend(pts)
        start = min(range(p), key=lambda k: pts[k])
        pts = pts[start:] + pts[:start]
        res = 0.0 if tol == 0.0 else max(float(abs(_iter(f, pp, p) - pp)) for pp in pts)
        m = _multiplier(f, pts)
        result.orbits.append(PeriodicOrbit(p, pts, m, _stability(m), res))
    result.orbits.sort(key=lambda o: o.points[0])
    return result


def _iter(f: PiecewiseLinear, x: Number, n: int) -> Number:
    for _ in range(n):
        x = f(x)
    return x


def find_periods(f: PiecewiseLinear, max_period: int) -> dict[int, PeriodicPoints]:
    """Periodic points of every exact period ``1..max_period`` (reuses ``f^p`` compositions)."""
    out: dict[int, PeriodicPoints] = {}
    g = f
    for p in range(1, max_period + 1):
        if p > 1:
            g = f.compose(g)
        out[p] = periodic_points(f, p, fp=g)
    return out


# ---------------------------------------------------------------------- Sharkovsky
def sharkovsky_key(n: int) -> tuple[int, int, int]:
    """Sort key: smaller key = earlier in Sharkovsky's order (3 first, 1 last)."""
    if n < 1:
        raise ValueError("periods are positive integers")
    k = 0
    m = n
    while m % 2 == 0:
        m //= 2
        k += 1
    if m == 1:  # pure powers of two come last, in decreasing order
        return (1, -k, 0)
    return (0, k, m)


def sharkovsky_type(periods: list[int]) -> int | None:
    """The period that comes first in Sharkovsky's order among ``periods`` (the map's type, as far as the
    periods searched can tell); ``None`` if empty."""
    if not periods:
        return None
    return min(periods, key=sharkovsky_key)


def implied_periods(period: int, up_to: int) -> list[int]:
    """All periods ``<= up_to`` that Sharkovsky's theorem forces once ``period`` exists."""
    key = sharkovsky_key(period)
    return [n for n in range(1, up_to + 1) if sharkovsky_key(n) >= key]


def entropy_lower_bound_from_period(period: int) -> float:
    """Topological entropy lower bound implied by a periodic orbit of period ``2^k * m`` (``m`` odd > 1):
    ``h >= log(lambda_m) / 2^k`` with ``lambda_m`` the largest root of ``x^m - 2 x^(m-2) - 1``
    (Štefan 1977; Block, Guckenheimer, Misiurewicz & Young 1980). Period 3 gives ``log(golden ratio)``.
    Powers of two give 0."""
    k = 0
    m = period
    while m % 2 == 0:
        m //= 2
        k += 1
    if m == 1:
        return 0.0
    lo, hi = 1.0, 2.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if mid ** m - 2 * mid ** (m - 2) - 1 > 0:
            hi = mid
        else:
            lo = mid
    return math.log((lo + hi) / 2) / (2 ** k)
