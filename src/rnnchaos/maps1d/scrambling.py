"""Scrambled pairs: the distance between two orbits, with running (tail) liminf and limsup.

A pair ``(x, y)`` is scrambled (Li & Yorke 1975) if ``liminf_t |f^t(x) - f^t(y)| = 0`` and
``limsup_t |f^t(x) - f^t(y)| > 0``. On a finite horizon ``T`` we report ``d_t = |f^t(x) - f^t(y)|`` and the
tail infimum and supremum ``inf_{t <= s <= T} d_s`` and ``sup_{t <= s <= T} d_s``, whose limits as
``T -> inf`` and then ``t -> inf`` are the liminf and limsup. Orbits can be computed in exact rational
arithmetic (a PL map with rational parameters), which shows how long float64 orbits stay faithful.
Cost O(T) map evaluations (exact: the denominators grow, O(T^2) digit work).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from rnnchaos.maps1d.piecewise import PiecewiseLinear

#: the paper's near-tent example: f(x) = 1.9999 relu(x + 1e-5) - 4 relu(x - 0.502), x0 = 0.175421, y0 = x0 + 1e-7
PAPER_EXAMPLE = {"w1": [1, 1], "b1": ["1/100000", "-502/1000"], "w2": ["19999/10000", -4], "b2": 0,
                 "x0": "0.175421", "delta": "1e-7", "steps": 150}


@dataclass
class OrbitDistance:
    """``d[t] = |f^t(x0) - f^t(y0)|`` for t = 0..T and its tail inf/sup; ``x``, ``y`` are the orbits."""

    x: np.ndarray
    y: np.ndarray
    d: np.ndarray
    tail_inf: np.ndarray
    tail_sup: np.ndarray

    def as_dict(self) -> dict[str, Any]:
        return {"x": self.x.tolist(), "y": self.y.tolist(), "distance": self.d.tolist(),
                "tail_inf": self.tail_inf.tolist(), "tail_sup": self.tail_sup.tolist()}


def _tails(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.minimum.accumulate(d[::-1])[::-1], np.maximum.accumulate(d[::-1])[::-1]


def orbit_distance(f: PiecewiseLinear, x0: Any, y0: Any, n_steps: int) -> OrbitDistance:
    """Orbits of ``x0`` and ``y0`` under ``f`` for ``n_steps`` steps (exact if ``f`` is exact and the
    points are Fractions; floats otherwise) and their distances."""
    if n_steps < 1:
        raise ValueError(f"n_steps must be a positive integer, got {n_steps}")
    if f.exact:
        x0, y0 = Fraction(x0), Fraction(y0)
    else:
        x0, y0 = float(x0), float(y0)
    xs, ys = [x0], [y0]
    for _ in range(n_steps):
        xs.append(f(xs[-1]))
        ys.append(f(ys[-1]))
    x = np.array([float(v) for v in xs])
    y = np.array([float(v) for v in ys])
    d = np.array([float(abs(a - b)) for a, b in zip(xs, ys, strict=True)])
    lo, hi = _tails(d)
    return OrbitDistance(x, y, d, lo, hi)
