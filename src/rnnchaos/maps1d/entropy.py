"""Lap numbers, topological entropy and oscillation counts of piecewise-linear maps.

* Invariant interval: the smallest interval containing given seed points (e.g. every periodic point
  found) that is closed under ``f`` (``J <- hull(J u f(J))`` until it stops growing).
* Lap numbers ``l(f^t)`` on ``J`` (number of maximal monotone pieces), computed by iterating ``f``
  restricted to ``J`` exactly.
* Topological entropy (Misiurewicz & Szlenk 1980): ``h(f) = lim_t (1/t) log l(f^t)``. We report the ratio
  estimate ``log(l_T / l_{T-1})`` (exact for maps whose lap numbers grow geometrically, e.g. ``log 2`` for
  the full tent map) and ``log(l_T)/T``. Units: nats per iteration.
* Oscillations: the number of crossings of ``f^t`` with a horizontal line, whose exponential growth in
  ``t`` is the expressivity measure of Chatziafratis et al. (2020, 2022).

Cost: O(l(f^t)) per iteration; we stop once a piece cap is reached.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from rnnchaos.maps1d.piecewise import INF, PiecewiseLinear

Number = Any


def invariant_interval(f: PiecewiseLinear, seeds: list[Number], max_iter: int = 200,
                       max_abs: float = 1e12) -> tuple[Number, Number] | None:
    """Smallest ``J = [lo, hi]`` containing ``seeds`` with ``f(J)`` inside ``J``; None if ``seeds`` is empty
    or the closure keeps growing (beyond ``max_iter`` steps or ``|x| > max_abs``)."""
    if not seeds:
        return None
    lo, hi = min(seeds), max(seeds)
    for _ in range(max_iter):
        a, b = f.image(lo, hi)
        nlo, nhi = min(lo, a), max(hi, b)
        if nlo == lo and nhi == hi:
            return lo, hi
        lo, hi = nlo, nhi
        if abs(float(lo)) > max_abs or abs(float(hi)) > max_abs:
            return None
    return None


@dataclass
class LapGrowth:
    """Lap numbers ``laps[t-1] = l(f^t)`` on ``interval`` for t = 1..len(laps), with entropy estimates."""

    interval: tuple[Number, Number] | None
    laps: list[int]
    crossings: list[int]
    level: Number | None
    entropy_ratio: float  # log(l_T / l_{T-1})
    entropy_root: float  # log(l_T) / T
    truncated: bool  # True if the piece cap stopped the iteration early

    def as_dict(self) -> dict[str, Any]:
        def out(v: Any) -> Any:
            return None if v is None else (str(v) if not isinstance(v, float) else v)

        return {"interval": None if self.interval is None else [out(self.interval[0]), out(self.interval[1])],
                "laps": self.laps, "crossings": self.crossings, "level": out(self.level),
                "entropy_ratio_estimate": self.entropy_ratio, "entropy_root_estimate": self.entropy_root,
                "truncated": self.truncated}


def lap_growth(f: PiecewiseLinear, t_max: int, interval: tuple[Number, Number] | None = None,
               level: Number | None = None, max_pieces: int = 200_000) -> LapGrowth:
    """Lap numbers and level crossings of ``f^t`` for ``t = 1..t_max`` on ``interval`` (whole line if None;
    the interval should be invariant for ``f^t`` restricted to it to equal the true iterate there).
    ``level`` defaults to the interval's midpoint."""
    if t_max < 1:
        raise ValueError(f"t_max must be >= 1, got {t_max}")
    lo, hi = interval if interval is not None else (-INF, INF)
    base = f.restrict(lo, hi) if interval is not None else f
    if level is None and interval is not None:
        level = (lo + hi) / 2
    g = base
    laps: list[int] = []
    cross: list[int] = []
    truncated = False
    for t in range(1, t_max + 1):
        if t > 1:
            if g.n_pieces * max(1, base.n_pieces) > max_pieces * 4:
                truncated = True
                break
            g = base.compose(g)
            if interval is not None:
                g = g.restrict(lo, hi)
            if g.n_pieces > max_pieces:
                truncated = True
        laps.append(g.laps(lo, hi))
        cross.append(g.crossings(level, lo, hi) if level is not None else 0)
        if truncated:
            break
    T = len(laps)
    ratio = math.log(laps[-1] / laps[-2]) if T >= 2 else math.log(laps[0])
    root = math.log(laps[-1]) / T
    return LapGrowth(interval, laps, cross, level, ratio, root, truncated)


def growth_rate(counts: list[int]) -> float:
    """Least-squares slope of ``log(count_t)`` against ``t`` (nats per iteration); 0 for fewer than 2 points."""
    pts = [(t + 1, math.log(c)) for t, c in enumerate(counts) if c > 0]
    if len(pts) < 2:
        return 0.0
    n = len(pts)
    mt = sum(p[0] for p in pts) / n
    my = sum(p[1] for p in pts) / n
    num = sum((p[0] - mt) * (p[1] - my) for p in pts)
    den = sum((p[0] - mt) ** 2 for p in pts)
    return num / den


def trapped_lap_growth(f: PiecewiseLinear, interval: tuple[Number, Number], t_max: int,
                       max_pieces: int = 200_000) -> list[int]:
    """Laps of ``f^t`` on the points of ``J = interval`` whose first ``t`` iterates stay in ``J``
    (``K_t = {x in J : f^s(x) in J, s < t}``), t = 1..t_max, for an interval that is *not* invariant
    (orbits can escape, e.g. a horseshoe with expanding tails). Their growth rate is the entropy of ``f``
    restricted to the non-escaping set (Misiurewicz & Szlenk 1980 applied piecewise).

    Method: ``f_J`` = ``f`` with its breakpoints outside ``J`` removed agrees with ``f`` on ``J``, so
    ``(f_J)^t = f^t`` on ``K_t``; ``K_t`` is kept as a list of intervals and refined with the preimage of
    ``J`` under each affine piece of ``(f_J)^(t-1)``. A lap never spans two components of ``K_t``.
    """
    lo, hi = interval
    fj = f.restrict(lo, hi)
    g = fj  # g = (f_J)^t
    comps: list[tuple[Number, Number]] = [(lo, hi)]  # K_1 = J
    out: list[int] = []
    for t in range(1, t_max + 1):
        if t > 1:
            # K_t = K_{t-1} intersected with g_{t-1}^{-1}(J), g_{t-1} = previous g
            new: list[tuple[Number, Number]] = []
            for a, b in comps:
                for i in range(g.n_pieces):
                    pa, pb = g.piece_interval(i)
                    ia, ib = max(a, pa), min(b, pb)
                    if ia > ib:
                        continue
                    s, c = g.slopes[i], g.intercepts[i]
                    if s == 0:
                        if lo <= c <= hi:
                            new.append((ia, ib))
                        continue
                    xa, xb = (lo - c) / s, (hi - c) / s
                    if xa > xb:
                        xa, xb = xb, xa
                    ja, jb = max(ia, xa), min(ib, xb)
                    if ja <= jb:
                        new.append((ja, jb))
            new.sort()
            merged: list[tuple[Number, Number]] = []
            for a, b in new:
                if merged and a <= merged[-1][1]:
                    merged[-1] = (merged[-1][0], max(merged[-1][1], b))
                else:
                    merged.append((a, b))
            comps = merged
            if g.n_pieces * fj.n_pieces > 4 * max_pieces:
                break
            g = fj.compose(g)
        out.append(sum(g.laps(a, b) for a, b in comps if b > a) + sum(1 for a, b in comps if b == a))
    return out
