"""Li–Yorke certificates: a point ``a`` with ``f^3(a) <= a < f(a) < f^2(a)`` (or the mirror image
``f^3(a) >= a > f(a) > f^2(a)``).

Li & Yorke (1975, "Period three implies chaos") prove that such a point forces a 3-cycle, hence every
period (Sharkovsky 1964), an uncountable scrambled set and topological entropy ``>= log(golden ratio)``.
Conversely every 3-cycle ``x < y < z`` yields a witness (``a = x`` when ``f(x) = y``, else ``a = z``), so
the condition is equivalent to having period 3.

Checking: for maps with rational parameters the inequalities are checked in exact rational arithmetic.
For float64 maps we evaluate ``f``, ``f^2``, ``f^3`` with a rigorous forward error bound (``e_1``,
``e_{n+1} = e(f at y_n) + L e_n`` with ``L`` a Lipschitz bound) and require every inequality to hold with a
margin larger than the bounds: the certificate is then a proof for the real-arithmetic map whose parameters
are exactly the given float64 numbers. Cost: O(width) per evaluation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from rnnchaos.maps1d.network import Network1D
from rnnchaos.maps1d.periodic import PeriodicPoints, periodic_points
from rnnchaos.maps1d.piecewise import PiecewiseLinear

Number = Any
_U = 2.0 ** -53


@dataclass
class LiYorkeCertificate:
    """A checked witness. ``orbit = (a, f(a), f^2(a), f^3(a))``; ``bounds`` are the rigorous absolute
    error bounds of the float evaluations (all 0 for exact); ``orientation`` is "up"
    (``f^3(a) <= a < f(a) < f^2(a)``) or "down" (the mirror)."""

    witness: Number
    orbit: tuple[Number, Number, Number, Number]
    orientation: str
    method: str
    bounds: tuple[float, float, float]
    valid: bool

    def as_dict(self) -> dict[str, Any]:
        def out(v: Number) -> Any:
            return str(v) if isinstance(v, Fraction) else float(v)

        return {"witness": out(self.witness), "orbit": [out(v) for v in self.orbit],
                "orientation": self.orientation, "method": self.method, "error_bounds": [float(e) for e in self.bounds],
                "valid": self.valid}


def li_yorke_condition(a: Number, y1: Number, y2: Number, y3: Number) -> str | None:
    """Exact check of the Li–Yorke inequalities; returns the orientation or None."""
    if y3 <= a < y1 < y2:
        return "up"
    if y3 >= a > y1 > y2:
        return "down"
    return None


def check_witness_exact(f: PiecewiseLinear, a: Number) -> LiYorkeCertificate:
    """Exact rational check (``f`` must be exact)."""
    if not f.exact:
        raise ValueError("check_witness_exact needs an exact (Fraction) map; use check_witness_float")
    a = Fraction(a)
    y1 = f(a)
    y2 = f(y1)
    y3 = f(y2)
    orient = li_yorke_condition(a, y1, y2, y3)
    return LiYorkeCertificate(a, (a, y1, y2, y3), orient or "none", "exact rational arithmetic",
                              (0.0, 0.0, 0.0), orient is not None)


def check_witness_float(evaluate: Callable[[float], tuple[float, float]], lipschitz: float,
                        a: float) -> LiYorkeCertificate:
    """Check with rigorous float error bounds. ``evaluate(x) -> (fl(f(x)), bound)``."""
    a = float(a)
    y1, e1 = evaluate(a)
    y2, d2 = evaluate(y1)
    e2 = d2 + lipschitz * e1
    y3, d3 = evaluate(y2)
    e3 = d3 + lipschitz * e2
    # comparisons of float numbers are exact; the margins must exceed the bounds
    up = (y3 + e3 <= a) and (a < y1 - e1) and (y1 + e1 < y2 - e2)
    down = (y3 - e3 >= a) and (a > y1 + e1) and (y1 - e1 > y2 + e2)
    # the sums above are rounded; inflate once more by one ulp-level factor
    slack = 4 * _U * (abs(a) + abs(y1) + abs(y2) + abs(y3) + e1 + e2 + e3)
    up = up and (y3 + e3 + slack <= a) and (a + slack < y1 - e1) and (y1 + e1 + slack < y2 - e2)
    down = down and (y3 - e3 - slack >= a) and (a - slack > y1 + e1) and (y1 - e1 - slack > y2 + e2)
    orient = "up" if up else ("down" if down else "none")
    return LiYorkeCertificate(a, (a, y1, y2, y3), orient, "float64 with rigorous forward error bounds "
                              "(Higham 2002 standard model)", (e1, e2, e3), orient != "none")


def pl_evaluator(f: PiecewiseLinear) -> Callable[[float], tuple[float, float]]:
    """Evaluation of a float PL map with a rigorous bound: ``|fl(s x + t) - (s x + t)| <= 2u(|s x| + |s x + t|)``,
    taking the stored breakpoints, slopes and intercepts as exact (continuity makes the choice of piece at a
    breakpoint irrelevant up to the continuity defect, which is added)."""
    g = f.to_float()
    defect = 0.0
    for i, b in enumerate(g.breakpoints):
        defect = max(defect, abs((g.slopes[i] * b + g.intercepts[i]) - (g.slopes[i + 1] * b + g.intercepts[i + 1])))

    def ev(x: float) -> tuple[float, float]:
        i = g.piece_index(x)
        sx = g.slopes[i] * x
        y = sx + g.intercepts[i]
        return y, 2.5 * _U * (abs(sx) + abs(y)) + 2 * defect + 1e-300

    return ev


def find_witness(f: PiecewiseLinear, network: Network1D | None = None,
                 p3: PeriodicPoints | None = None) -> LiYorkeCertificate | None:
    """A checked Li–Yorke witness built from a 3-cycle of ``f``, or None if ``f`` has no 3-cycle.

    Exact maps: the cycle point itself (``f^3(a) = a``). Float maps: the cycle point is only approximate,
    so points ``a = x + delta`` on the side where ``f^3(a) < a`` (resp. ``>``) are tried for a geometric
    range of ``delta`` until the float certificate holds. ``network`` (if given) is used for the rigorous
    evaluation, otherwise the PL map itself.
    """
    p3 = p3 if p3 is not None else periodic_points(f, 3)
    for orbit in p3.orbits:
        x, y, z = sorted(orbit.points)
        a = x if _close(f(x), y) else z
        if f.exact:
            cert = check_witness_exact(f, a)
            if cert.valid:
                return cert
            continue
        ev: Callable[[float], tuple[float, float]]
        if network is not None:
            ev = network.eval_with_bound
            lip = network.lipschitz_bound()
        else:
            ev = pl_evaluator(f)
            lip = float(f.lipschitz()) * (1 + 1e-12)
        scale = 1.0 + abs(a)
        for k in range(8, 52):
            for sign in (1.0, -1.0):
                cand = float(a) + sign * scale * 2.0 ** -k
                cert = check_witness_float(ev, lip, cand)
                if cert.valid:
                    return cert
    for (lo, hi) in p3.intervals:  # degenerate: an interval of 3-periodic points; try its midpoint
        if lo != -float("inf") and hi != float("inf"):
            mid = (lo + hi) / 2
            cert = check_witness_exact(f, mid) if f.exact else check_witness_float(pl_evaluator(f), float(f.lipschitz()), mid)
            if cert.valid:
                return cert
    return None


def _close(a: Number, b: Number) -> bool:
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a == b
    return abs(float(a) - float(b)) <= 1e-9 * (1 + abs(float(b)))
