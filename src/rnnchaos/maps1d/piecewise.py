"""Exact continuous piecewise-linear (PL) maps of the whole real line.

A :class:`PiecewiseLinear` map is stored as sorted breakpoints ``b_0 < ... < b_{n-1}`` and ``n + 1``
affine pieces ``x -> s_i x + t_i`` on ``(-inf, b_0], [b_0, b_1], ..., [b_{n-1}, +inf)`` (both tails are
unbounded). The numbers may be Python floats or :class:`fractions.Fraction`; with Fractions every
operation (evaluation, sums, ReLU, clipping, composition, iteration) is exact.

Algorithms: composition ``g o h`` splits every piece of ``h`` at the preimages of the breakpoints of ``g``
that its image crosses, so its cost is O(#pieces of the result); the lap number (number of maximal
monotone pieces, Misiurewicz & Szlenk 1980) is read off the slope signs. Units: none (a map of R).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

Number = Any  # float or Fraction

INF = math.inf


def _is_exact(values: Sequence[Number]) -> bool:
    return all(isinstance(v, Fraction | int) and not isinstance(v, bool) for v in values)


class PiecewiseLinear:
    """A continuous piecewise-linear map R -> R (exact with Fractions, float64 otherwise).

    Parameters
    ----------
    breakpoints : sorted, strictly increasing, length n
    slopes, intercepts : length n + 1; piece i is ``s_i x + t_i`` between breakpoints i-1 and i.
    check : verify continuity at every breakpoint (exactly for Fractions, to ``1e-9`` relative for floats).
    """

    __slots__ = ("breakpoints", "slopes", "intercepts", "exact")

    def __init__(self, breakpoints: Sequence[Number], slopes: Sequence[Number], intercepts: Sequence[Number],
                 check: bool = True) -> None:
        bps = list(breakpoints)
        sl = list(slopes)
        ic = list(intercepts)
        if len(sl) != len(bps) + 1 or len(ic) != len(bps) + 1:
            raise ValueError(f"a PL map with {len(bps)} breakpoints needs {len(bps) + 1} slopes and intercepts, "
                             f"got {len(sl)} and {len(ic)}")
        self.exact = _is_exact(bps + sl + ic)
        if self.exact:
            bps = [Fraction(v) for v in bps]
            sl = [Fraction(v) for v in sl]
            ic = [Fraction(v) for v in ic]
        else:
            bps = [float(v) for v in bps]
            sl = [float(v) for v in sl]
            ic = [float(v) for v in ic]
            if not all(math.isfinite(v) for v in bps + sl + ic):
                raise ValueError("PL map parameters must be finite (got NaN or inf)")
        if any(b2 <= b1 for b1, b2 in zip(bps, bps[1:], strict=False)):
            raise ValueError("breakpoints must be strictly increasing")
        if check:
            for i, b in enumerate(bps):
                left = sl[i] * b + ic[i]
                right = sl[i + 1] * b + ic[i + 1]
                if self.exact:
                    ok = left == right
                else:
                    ok = abs(left - right) <= 1e-9 * (1.0 + abs(left) + abs(sl[i] * b) + abs(sl[i + 1] * b))
                if not ok:
                    raise ValueError(f"PL map is discontinuous at breakpoint {b}: {left} vs {right}")
        self.breakpoints: list[Number] = bps
        self.slopes: list[Number] = sl
        self.intercepts: list[Number] = ic

    # ------------------------------------------------------------------ construction
    @classmethod
    def affine(cls, slope: Number, intercept: Number) -> PiecewiseLinear:
        return cls([], [slope], [intercept])

    @classmethod
    def identity(cls, exact: bool = True) -> PiecewiseLinear:
        return cls([], [Fraction(1) if exact else 1.0], [Fraction(0) if exact else 0.0])

    @classmethod
    def from_points(cls, xs: Sequence[Number], ys: Sequence[Number], left_slope: Number,
                    right_slope: Number) -> PiecewiseLinear:
        """Interpolate the points ``(xs[i], ys[i])`` (xs increasing) and extend with the given tail slopes."""
        if len(xs) != len(ys) or len(xs) < 1:
            raise ValueError("from_points needs equally many xs and ys (at least one)")
        sl = [left_slope]
        ic = [ys[0] - left_slope * xs[0]]
        for i in range(len(xs) - 1):
            s = (ys[i + 1] - ys[i]) / (xs[i + 1] - xs[i])
            sl.append(s)
            ic.append(ys[i] - s * xs[i])
        sl.append(right_slope)
        ic.append(ys[-1] - right_slope * xs[-1])
        return cls(list(xs), sl, ic, check=False).merged()

    @classmethod
    def tent(cls, mu: Number) -> PiecewiseLinear:
        """The tent map ``x -> mu * min(x, 1 - x)`` on the whole line (breakpoint 1/2)."""
        half = Fraction(1, 2) if isinstance(mu, Fraction | int) else 0.5
        return cls([half], [mu, -mu], [0 * mu, mu])

    # ------------------------------------------------------------------ basic properties
    @property
    def n_pieces(self) -> int:
        return len(self.slopes)

    def __repr__(self) -> str:
        kind = "exact" if self.exact else "float"
        return f"PiecewiseLinear({kind}, pieces={self.n_pieces})"

    def piece_index(self, x: Number) -> int:
        """Index of the piece containing ``x`` (the left one at a breakpoint; any is valid by continuity)."""
        return bisect.bisect_left(self.breakpoints, x)

    def piece_interval(self, i: int) -> tuple[Number, Number]:
        lo = self.breakpoints[i - 1] if i > 0 else -INF
        hi = self.breakpoints[i] if i < len(self.breakpoints) else INF
        return lo, hi

    def __call__(self, x: Number) -> Number:
        if self.exact and not isinstance(x, Fraction | int):
            x = Fraction(x)
        i = self.piece_index(x)
        return self.slopes[i] * x + self.intercepts[i]

    def evaluate(self, x: Any) -> np.ndarray:
        """Vectorised float64 evaluation at an array of points (any shape)."""
        xx = np.asarray(x, dtype=np.float64)
        bp = np.asarray([float(b) for b in self.breakpoints], dtype=np.float64)
        idx = np.searchsorted(bp, xx, side="left")
        s = np.asarray([float(v) for v in self.slopes])[idx]
        t = np.asarray([float(v) for v in self.intercepts])[idx]
        return s * xx + t

    def slope_at(self, x: Number) -> tuple[Number, Number]:
        """One-sided slopes ``(f'(x-), f'(x+))``."""
        i = bisect.bisect_left(self.breakpoints, x)
        j = bisect.bisect_right(self.breakpoints, x)
        return self.slopes[i], self.slopes[j]

    def lipschitz(self) -> Number:
        return max(abs(s) for s in self.slopes)

    def to_float(self) -> PiecewiseLinear:
        return PiecewiseLinear([float(v) for v in self.breakpoints], [float(v) for v in self.slopes],
                               [float(v) for v in self.intercepts], check=False)

    def values_at_breakpoints(self) -> list[Number]:
        return [self.slopes[i] * b + self.intercepts[i] for i, b in enumerate(self.breakpoints)]

    # ------------------------------------------------------------------ algebra
    def merged(self, tol: float = 0.0) -> PiecewiseLinear:
        """Remove breakpoints between collinear pieces (exact equality, or ``tol`` for floats)."""
        bps: list[Number] = []
        sl = [self.slopes[0]]
        ic = [self.intercepts[0]]
        for i, b in enumerate(self.breakpoints):
            s, t = self.slopes[i + 1], self.intercepts[i + 1]
            same = (s == sl[-1] and t == ic[-1]) if (self.exact or tol == 0.0) else (
                abs(s - sl[-1]) <= tol * (1 + abs(s)) and abs(t - ic[-1]) <= tol * (1 + abs(t)))
            if same:
                continue
            bps.append(b)
            sl.append(s)
            ic.append(t)
        return PiecewiseLinear(bps, sl, ic, check=False)

    def _combine(self, other: PiecewiseLinear, op: Callable[[Number, Number], Number]) -> PiecewiseLinear:
        bps = sorted(set(self.breakpoints) | set(other.breakpoints))
        sl, ic = [], []
        for j in range(len(bps) + 1):
            i1 = bisect.bisect_left(self.breakpoints, bps[j]) if j < len(bps) else len(self.breakpoints)
            i2 = bisect.bisect_left(other.breakpoints, bps[j]) if j < len(bps) else len(other.breakpoints)
            sl.append(op(self.slopes[i1], other.slopes[i2]))
            ic.append(op(self.intercepts[i1], other.intercepts[i2]))
        return PiecewiseLinear(bps, sl, ic, check=False).merged()

    def __add__(self, other: PiecewiseLinear | Number) -> PiecewiseLinear:
        if isinstance(other, PiecewiseLinear):
            return self._combine(other, lambda a, b: a + b)
        return PiecewiseLinear(self.breakpoints, self.slopes, [t + other for t in self.intercepts], check=False)

    def __sub__(self, other: PiecewiseLinear | Number) -> PiecewiseLinear:
        if isinstance(other, PiecewiseLinear):
            return self._combine(other, lambda a, b: a - b)
        return self + (-other)

    def scale(self, c: Number) -> PiecewiseLinear:
        if c == 0:
            return PiecewiseLinear([], [0 * c], [0 * c], check=False)
        return PiecewiseLinear(self.breakpoints, [c * s for s in self.slopes], [c * t for t in self.intercepts],
                               check=False)

    def _split_at_level(self, level: Number) -> PiecewiseLinear:
        """The same map with breakpoints added where it crosses ``level`` inside a piece."""
        bps: list[Number] = []
        sl: list[Number] = []
        ic: list[Number] = []
        for i in range(self.n_pieces):
            lo, hi = self.piece_interval(i)
            s, t = self.slopes[i], self.intercepts[i]
            if s != 0:
                x = (level - t) / s
                if lo < x < hi:
                    sl.append(s)
                    ic.append(t)
                    bps.append(x)
            sl.append(s)
            ic.append(t)
            if i < len(self.breakpoints):
                bps.append(self.breakpoints[i])
        return PiecewiseLinear(bps, sl, ic, check=False)

    def clip(self, lo: Number | None = None, hi: Number | None = None) -> PiecewiseLinear:
        """``x -> min(max(f(x), lo), hi)``: ReLU is ``clip(0, None)``; the paper's clipped output is ``clip(0, 1)``."""
        g = self
        for level in (lo, hi):
            if level is not None:
                g = g._split_at_level(level)
        sl, ic = list(g.slopes), list(g.intercepts)
        for i in range(g.n_pieces):
            a, b = g.piece_interval(i)
            mid = _piece_probe(a, b, g.exact)
            v = g.slopes[i] * mid + g.intercepts[i]
            if lo is not None and v < lo:
                sl[i], ic[i] = 0 * g.slopes[i], lo
            elif hi is not None and v > hi:
                sl[i], ic[i] = 0 * g.slopes[i], hi
        return PiecewiseLinear(g.breakpoints, sl, ic, check=False).merged()

    def relu(self) -> PiecewiseLinear:
        zero = Fraction(0) if self.exact else 0.0
        return self.clip(zero, None)

    def compose(self, inner: PiecewiseLinear) -> PiecewiseLinear:
        """``self o inner``: ``x -> self(inner(x))``, exact for Fractions. Cost O(#pieces of the result)."""
        bps: list[Number] = []
        sl: list[Number] = []
        ic: list[Number] = []
        outer_b = self.breakpoints
        for i in range(inner.n_pieces):
            lo, hi = inner.piece_interval(i)
            s, t = inner.slopes[i], inner.intercepts[i]
            if s == 0:
                v = self(t)
                sl.append(0 * s)
                ic.append(v)
            else:
                # image of (lo, hi) under s x + t; the outer breakpoints strictly inside it
                ylo = s * lo + t if lo != -INF else (-INF if s > 0 else INF)
                yhi = s * hi + t if hi != INF else (INF if s > 0 else -INF)
                ya, yb = (ylo, yhi) if s > 0 else (yhi, ylo)
                j0 = bisect.bisect_right(outer_b, ya) if ya != -INF else 0
                j1 = bisect.bisect_left(outer_b, yb) if yb != INF else len(outer_b)
                inner_bps = outer_b[j0:j1]
                xs = [(beta - t) / s for beta in inner_bps]
                if s < 0:
                    xs = xs[::-1]
                    idxs = list(range(j1, j0 - 1, -1))
                else:
                    idxs = list(range(j0, j1 + 1))
                for k, oj in enumerate(idxs):
                    so, to = self.slopes[oj], self.intercepts[oj]
                    sl.append(so * s)
                    ic.append(so * t + to)
                    if k < len(xs):
                        bps.append(xs[k])
            if i < len(inner.breakpoints):
                bps.append(inner.breakpoints[i])
        return _clean(bps, sl, ic).merged()

    def iterate(self, n: int) -> PiecewiseLinear:
        """``f^n`` (``f^0`` is the identity)."""
        if n < 0:
            raise ValueError(f"iterate needs n >= 0, got {n}")
        g = PiecewiseLinear.identity(self.exact)
        if not self.exact:
            g = g.to_float()
        for _ in range(n):
            g = self.compose(g)
        return g

    def restrict(self, lo: Number, hi: Number) -> PiecewiseLinear:
        """The same map on ``[lo, hi]``, extended affinely outside (breakpoints outside are dropped).
        Iterating the restriction of ``f`` to an invariant interval gives ``f^n`` there at far lower cost."""
        i0 = self.piece_index(lo) if lo != -INF else 0
        i1 = self.piece_index(hi) if hi != INF else self.n_pieces - 1
        return PiecewiseLinear(self.breakpoints[i0:i1], self.slopes[i0:i1 + 1], self.intercepts[i0:i1 + 1],
                               check=False)

    def image(self, lo: Number, hi: Number) -> tuple[Number, Number]:
        """``f([lo, hi])`` for a bounded interval: min and max over the endpoints and breakpoints inside."""
        vals = [self(lo), self(hi)] + [self(b) for b in self.breakpoints if lo < b < hi]
        return min(vals), max(vals)

    # ------------------------------------------------------------------ shape
    def laps(self, lo: Number = -INF, hi: Number = INF) -> int:
        """Lap number on ``[lo, hi]``: maximal intervals on which the map is monotone (constant pieces merge
        with either neighbour). Misiurewicz & Szlenk (1980)."""
        signs: list[int] = []
        for i in range(self.n_pieces):
            a, b = self.piece_interval(i)
            if b <= lo or a >= hi:
                continue
            s = self.slopes[i]
            if s != 0:
                sg = 1 if s > 0 else -1
                if not signs or signs[-1] != sg:
                    signs.append(sg)
        return max(1, len(signs))

    def turning_points(self) -> list[Number]:
        """Breakpoints where the slope changes sign (local extrema); a flat stretch counts once, at its left end."""
        out: list[Number] = []
        prev_sign, prev_idx = 0, -1
        for i, s in enumerate(self.slopes):
            if s == 0:
                continue
            sg = 1 if s > 0 else -1
            if prev_sign != 0 and sg != prev_sign:
                out.append(self.breakpoints[prev_idx])
            prev_sign, prev_idx = sg, i
        return out

    def crossings(self, level: Number, lo: Number = -INF, hi: Number = INF) -> int:
        """Number of points in ``(lo, hi)`` where the graph crosses the horizontal line ``y = level``
        (oscillation count used for expressivity, Chatziafratis et al. 2020)."""
        count = 0
        for i in range(self.n_pieces):
            a, b = self.piece_interval(i)
            s, t = self.slopes[i], self.intercepts[i]
            if s == 0:
                continue
            x = (level - t) / s
            if a <= x < b and lo < x < hi:
                count += 1
        return count


def _piece_probe(a: Number, b: Number, exact: bool) -> Number:
    one = Fraction(1) if exact else 1.0
    if a == -INF and b == INF:
        return 0 * one
    if a == -INF:
        return b - one
    if b == INF:
        return a + one
    return (a + b) / 2


def _clean(bps: list[Number], sl: list[Number], ic: list[Number]) -> PiecewiseLinear:
    """Drop pieces of zero (or, through float rounding, negative) length so breakpoints increase strictly."""
    out_b: list[Number] = []
    out_s = [sl[0]]
    out_t = [ic[0]]
    for k, b in enumerate(bps):
        if out_b and b <= out_b[-1]:
            # the piece between out_b[-1] and b has no length: replace the last piece by the next one
            out_s[-1] = sl[k + 1]
            out_t[-1] = ic[k + 1]
            continue
        out_b.append(b)
        out_s.append(sl[k + 1])
        out_t.append(ic[k + 1])
    return PiecewiseLinear(out_b, out_s, out_t, check=False)
