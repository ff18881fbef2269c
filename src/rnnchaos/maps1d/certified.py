"""Certified period-3 decisions for 1-D networks (tanh or ReLU) by ball arithmetic with outward rounding.

For a two-layer network ``f(x) = out(a . act(w x + b) + c)`` (``act`` tanh or ReLU; ``out`` identity, tanh,
relu, clip to [0, 1] or tanh after clip) with float64 weights, taken as exact, each network gets one of

* ``PERIOD3`` (1): a 3-cycle is proved: a cell ``X`` with ``f(X)`` disjoint from ``X`` (so it holds no fixed
  point of ``f``) on whose end points ``g = f^3 - id`` has certainly opposite signs (intermediate value
  theorem; 3 is prime, so a root of ``g`` that is not a fixed point has exact period 3);
* ``NONE`` (0): no 3-cycle is proved: every cell of a cover of the invariant interval ``J`` (``f(R)`` lies
  in ``J``, hence every periodic orbit) is excluded, either because the enclosure of ``g`` on it misses 0,
  or because ``g`` is strictly monotone on it (its derivative enclosure misses 0) and it holds a certified
  fixed point of ``f`` (then the only root of ``g`` there is that fixed point) or ``g`` keeps one strict sign
  at both ends, or because ``f`` is monotone on ``K = hull(C, f(C), f^2(C))``, which holds the whole orbit of a
  3-cycle through ``C`` (a monotone map has no 3-cycle: the order of the orbit's points would be kept by
  ``f`` or by ``f o f``);
* ``UNDECIDED`` (-1): the cell budget ran out or cells shrank to ``min_width`` unresolved (tangencies, roots
  on cell ends); counted apart, never as either answer.

Enclosures: Arb balls (Johansson 2017, python-flint's ``arb``): every operation rounds outward, so an
enclosure always contains the true range. ``g`` on a cell ``C`` with midpoint ``m`` is enclosed by the
intersection of the natural extension ``f(f(f(C))) - C`` and the mean-value form
``g(m) + g'(C) (C - m)`` (Moore 1966), with ``g'(C) = f'(f^2(C)) f'(f(C)) f'(C) - 1`` by the chain rule; for
ReLU units ``f'`` is the Clarke generalised derivative (the unit's slope is ``[0, 1]`` on a cell straddling
its kink) and Lebourg's mean-value theorem keeps the form valid. The search starts from ``n_cells`` equal
cells of ``J`` and bisects undecided cells, depth first.

Cost: about ``2 us x width`` per map evaluation on a ball; a width-4 tanh network is decided in a few
milliseconds, width 64 in tens to hundreds of milliseconds (more near tangencies).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rnnchaos._util.extras import missing_extra

PERIOD3 = 1
NONE = 0
UNDECIDED = -1
HIDDEN = ("tanh", "relu")
OUTPUTS = ("identity", "tanh", "relu", "clip", "clip_tanh")


def _flint() -> Any:
    try:
        import flint
    except ModuleNotFoundError as exc:
        raise (missing_extra(exc, "certified period-3 decisions") or exc) from None
    return flint


def _down(b: Any) -> float:
    """A float <= every point of the ball ``b`` (exact when ``b`` is an exact float)."""
    x = b.lower()
    m = float(x.mid())
    if x.rad() == 0 and type(b)(m) == x:
        return m
    return math.nextafter(m, -math.inf)


def _up(b: Any) -> float:
    """A float >= every point of the ball ``b`` (exact when ``b`` is an exact float)."""
    x = b.upper()
    m = float(x.mid())
    if x.rad() == 0 and type(b)(m) == x:
        return m
    return math.nextafter(m, math.inf)


class _Net:
    """One network as Arb balls: map and Clarke-derivative enclosures on balls."""

    def __init__(self, w: np.ndarray, b: np.ndarray, a: np.ndarray, c: float, hidden: str, output: str) -> None:
        flint = _flint()
        self.arb = flint.arb
        self.w = [self.arb(float(v)) for v in w]
        self.b = [self.arb(float(v)) for v in b]
        self.a = [self.arb(float(v)) for v in a]
        self.c = self.arb(float(c))
        self.hidden = hidden
        self.output = output
        self.zero, self.one = self.arb(0), self.arb(1)

    def _relu(self, z: Any) -> Any:
        if z > 0:
            return z
        if z < 0:
            return self.zero
        return self.zero.union(z.upper())

    # derivative enclosures are intervals (lo, hi) of floats rounded outward through Arb: a ball cannot hold
    # the Clarke hull [0, d] of a ReLU kink without dipping below 0, and the monotonicity test needs it exact
    def _gate(self, z: Any, d: tuple[float, float]) -> tuple[float, float]:
        """``H(z) d`` for the Heaviside step ``H`` (Clarke: the hull of 0 and ``d``)."""
        if z > 0:
            return d
        if z < 0:
            return 0.0, 0.0
        return min(0.0, d[0]), max(0.0, d[1])

    def _iadd(self, p: tuple[float, float], q: tuple[float, float]) -> tuple[float, float]:
        arb = self.arb
        return _down(arb(p[0]) + arb(q[0])), _up(arb(p[1]) + arb(q[1]))

    def imul(self, p: tuple[float, float], q: tuple[float, float]) -> tuple[float, float]:
        """Interval product, rounded outward."""
        arb = self.arb
        prods = [arb(x) * arb(y) for x in p for y in q]
        return min(_down(v) for v in prods), max(_up(v) for v in prods)

    def _iball(self, b: Any) -> tuple[float, float]:
        return _down(b), _up(b)

    def _clip(self, z: Any) -> Any:
        y = self._relu(z)
        if y < 1:
            return y
        if y > 1:
            return self.one
        return y.union(self.one)

    def value_and_slope(self, x: Any) -> tuple[Any, tuple[float, float]]:
        """``(f(X), f'(X))`` enclosures on the ball ``X``: a ball and an interval ``(lo, hi)``."""
        z = self.c
        dz = (0.0, 0.0)
        for w, b, a in zip(self.w, self.b, self.a, strict=True):
            u = w * x + b
            if self.hidden == "tanh":
                t = u.tanh()
                z = z + a * t
                dz = self._iadd(dz, self._iball(a * w * (1 - t * t)))
            else:
                z = z + a * self._relu(u)
                dz = self._iadd(dz, self._gate(u, self._iball(a * w)))
        out = self.output
        if out == "identity":
            return z, dz
        if out == "tanh":
            y = z.tanh()
            return y, self.imul(self._iball(1 - y * y), dz)
        if out == "relu":
            return self._relu(z), self._gate(z, dz)
        dc = self._gate(1 - z, self._gate(z, dz))
        zc = self._clip(z)
        if out == "clip":
            return zc, dc
        y = zc.tanh()
        return y, self.imul(self._iball(1 - y * y), dc)

    def f(self, x: Any) -> Any:
        return self.value_and_slope(x)[0]


def _sign(v: Any) -> int:
    return 1 if v > 0 else (-1 if v < 0 else 0)


def _cell(arb: Any, lo: float, hi: float) -> Any:
    return arb(lo).union(arb(hi))


def certify_period3(net: _Net, lo: float, hi: float, n_cells: int = 32, max_cells: int = 20_000,
                    min_width: float = 1e-12) -> int:
    """Decide "has a 3-cycle" for ``net`` on the interval ``[lo, hi]`` that contains ``f(R)``: ``PERIOD3``,
    ``NONE`` or ``UNDECIDED`` (module docstring)."""
    arb = net.arb
    edges = np.linspace(lo, hi, n_cells + 1)
    stack = [(float(edges[i]), float(edges[i + 1])) for i in range(n_cells - 1, -1, -1)]
    used = 0
    undecided = False
    gcache: dict[float, int] = {}
    fcache: dict[float, int] = {}

    def g_sign(x: float) -> int:
        if x not in gcache:
            p = arb(x)
            gcache[x] = _sign(net.f(net.f(net.f(p))) - p)
        return gcache[x]

    def fx_sign(x: float) -> int:
        if x not in fcache:
            p = arb(x)
            fcache[x] = _sign(net.f(p) - p)
        return fcache[x]

    while stack:
        a, b = stack.pop()
        used += 1
        if used > max_cells:
            return UNDECIDED
        c = _cell(arb, a, b)
        f1, d1 = net.value_and_slope(c)
        f2, d2 = net.value_and_slope(f1)
        f3, d3 = net.value_and_slope(f2)
        dlo, dhi = net.imul(net.imul(d3, d2), d1)
        dg = arb(dlo).union(arb(dhi)) - 1
        g_nat = f3 - c
        if g_nat > 0 or g_nat < 0:
            continue
        m = 0.5 * (a + b)
        pm = arb(m)
        g_mv = (net.f(net.f(net.f(pm))) - pm) + dg * (c - pm)
        if g_mv > 0 or g_mv < 0:
            continue
        sa, sb = g_sign(a), g_sign(b)
        no_fixed = (f1 - c) > 0 or (f1 - c) < 0
        if no_fixed and sa * sb == -1:
            return PERIOD3
        # a 3-cycle through the cell lies in K = hull(C, f(C), f^2(C)); f monotone on K forbids it
        klo, khi = net.value_and_slope(c.union(f1).union(f2))[1]
        if klo >= 0.0 or khi <= 0.0:
            continue
        if dg > 0 or dg < 0:  # g strictly monotone on the cell: at most one root
            if sa != 0 and sa == sb:
                continue
            if fx_sign(a) * fx_sign(b) == -1:  # a fixed point of f is in the cell: it is the only root of g
                continue
        if b - a <= min_width * (1.0 + abs(a) + abs(b)) or m <= a or m >= b:
            undecided = True
            continue
        stack.append((m, b))
        stack.append((a, m))
    return UNDECIDED if undecided else NONE


def _invariant_interval(w: np.ndarray, b: np.ndarray, a: np.ndarray, c: float, hidden: str, output: str
                        ) -> tuple[float, float]:
    """An interval containing ``f(R)`` (and so every periodic orbit), widened outward by a relative 1e-9."""
    if output in ("clip",):
        lo, hi = 0.0, 1.0
    elif output == "tanh":
        lo, hi = -1.0, 1.0
    elif output == "clip_tanh":
        lo, hi = 0.0, math.tanh(1.0)
    elif hidden == "tanh":
        r = float(np.sum(np.abs(a)))
        lo, hi = (float(c) - r, float(c) + r) if output == "identity" else (0.0, max(float(c) + r, 0.0))
    else:
        raise ValueError("a ReLU network with an unbounded output has no bounded invariant interval; "
                         "use rnnchaos.maps1d.fast (exact) or pass lo and hi")
    pad = 1e-9 * (1.0 + abs(lo) + abs(hi))
    return lo - pad, hi + pad


def certify_batch(params: dict[str, np.ndarray], hidden: str = "tanh", output: str = "identity",
                  bounds: tuple[np.ndarray, np.ndarray] | None = None, n_cells: int = 32,
                  max_cells: int = 20_000) -> np.ndarray:
    """Certified period-3 decisions for a batch of two-layer networks (``w, b, a`` ``(T, k)``, ``c`` ``(T,)``):
    an int8 array of ``PERIOD3`` / ``NONE`` / ``UNDECIDED``. ``bounds``: per-network ``(lo, hi)`` containing
    ``f(R)``, needed for ReLU networks with an unbounded output."""
    if hidden not in HIDDEN:
        raise ValueError(f"hidden activation must be one of {', '.join(HIDDEN)}, got {hidden!r}")
    if output not in OUTPUTS:
        raise ValueError(f"output activation must be one of {', '.join(OUTPUTS)}, got {output!r}")
    if "v" in params:
        raise ValueError("certified decisions support depth-2 networks only")
    T = params["w"].shape[0]
    out = np.empty(T, dtype=np.int8)
    for r in range(T):
        w, b, a, c = params["w"][r], params["b"][r], params["a"][r], float(params["c"][r])
        if bounds is None:
            lo, hi = _invariant_interval(w, b, a, c, hidden, output)
        else:
            lo, hi = float(bounds[0][r]), float(bounds[1][r])
        out[r] = certify_period3(_Net(w, b, a, c, hidden, output), lo, hi, n_cells=n_cells, max_cells=max_cells)
    return out
