"""One-input, one-output feed-forward networks used as recurrent maps ``x_{t+1} = f(x_t)``.

``f(x) = sigma_2(a . sigma_1(... sigma_1(w x + b) ...) + c)`` with hidden activation ``sigma_1`` in
{relu, tanh} and output activation ``sigma_2`` in {identity, relu, clip, tanh, clip_tanh} (clip = to [0, 1];
clip_tanh = tanh(clip(z, 0, 1)), the notebooks' clipped tanh networks), the model of
Chatziafratis, Panageas, Sanford & Stavroulakis (NeurIPS 2022). Depth 2 = one hidden layer.

With ReLU hidden units the map is continuous piecewise linear and :meth:`Network1D.to_piecewise` builds
it exactly (in Fractions when the parameters are rational): the first layer's breakpoints are ``-b_i/w_i``,
every further ReLU layer splits pieces where a unit's pre-activation crosses zero. Cost
O(P * width) per layer for P pieces. :meth:`Network1D.eval_with_bound` evaluates in float64 with a rigorous
forward error bound (standard model of floating-point arithmetic, Higham 2002, Accuracy and Stability of
Numerical Algorithms, sec. 3.1).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from rnnchaos.maps1d.piecewise import PiecewiseLinear

__all__ = ["Network1D", "HIDDEN_ACTIVATIONS", "OUTPUT_ACTIVATIONS", "SMOOTH_OUTPUTS", "parse_number"]

HIDDEN_ACTIVATIONS = ("relu", "tanh")
OUTPUT_ACTIVATIONS = ("identity", "relu", "clip", "tanh", "clip_tanh")
#: output activations that are not piecewise linear
SMOOTH_OUTPUTS = ("tanh", "clip_tanh")
_EPS = np.finfo(np.float64).eps / 2  # unit roundoff u


def _sech2(z: Any) -> Any:
    """``1 / cosh(z)^2`` without the cancellation of ``1 - tanh(z)^2`` (0 where cosh overflows)."""
    with np.errstate(over="ignore"):
        return 1.0 / np.cosh(z) ** 2


def _gamma(n: int) -> float:
    nu = n * _EPS
    return nu / (1.0 - nu)


#: bounds on rational strings: "1e10000000" would otherwise build a ten-million-digit integer
MAX_NUMBER_CHARS = 400
MAX_DECIMAL_EXPONENT = 400
_EXPONENT = re.compile(r"[eE]\s*([+-]?\d+)")


def parse_number(value: Any, name: str) -> Number_:
    """A JSON number or a string like ``"3/7"`` / ``"0.25"`` -> float or Fraction."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number or a rational string like '3/7', got {value!r}")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value!r}")
        return value
    if isinstance(value, Fraction):
        return value
    if isinstance(value, str):
        text = value.strip()
        exponent = _EXPONENT.search(text)
        if len(text) > MAX_NUMBER_CHARS or (exponent and abs(int(exponent.group(1))) > MAX_DECIMAL_EXPONENT):
            raise ValueError(f"{name} must be a number of at most {MAX_NUMBER_CHARS} characters with a decimal "
                             f"exponent within ±{MAX_DECIMAL_EXPONENT}, got {value[:40]!r}")
        try:
            return Fraction(text)
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"{name} must be a number or a rational string like '3/7', got {value!r}") from None
    raise ValueError(f"{name} must be a number or a rational string like '3/7', got {type(value).__name__}")


Number_ = Any


@dataclass
class Network1D:
    """A 1-D-in, 1-D-out network. ``weights[l]`` has shape ``(n_out, n_in)``, ``biases[l]`` ``(n_out,)``;
    the first layer has ``n_in = 1`` and the last ``n_out = 1``. Entries are floats or Fractions
    (object arrays) -- with Fractions everything downstream is exact."""

    weights: list[np.ndarray]
    biases: list[np.ndarray]
    hidden_activation: str = "relu"
    output_activation: str = "identity"

    def __post_init__(self) -> None:
        if self.hidden_activation not in HIDDEN_ACTIVATIONS:
            raise ValueError(f"hidden_activation must be one of {HIDDEN_ACTIVATIONS}, got {self.hidden_activation!r}")
        if self.output_activation not in OUTPUT_ACTIVATIONS:
            raise ValueError(f"output_activation must be one of {OUTPUT_ACTIVATIONS}, got {self.output_activation!r}")
        if len(self.weights) != len(self.biases) or len(self.weights) < 2:
            raise ValueError("a network needs at least two layers and one bias vector per weight matrix")
        n_in = 1
        for layer, (w, b) in enumerate(zip(self.weights, self.biases, strict=True), start=1):
            if w.ndim == 2 and w.shape[0] == 0:
                raise ValueError(f"w{layer} has no units; every layer needs at least one")
            if w.ndim != 2 or w.shape[1] != n_in:
                raise ValueError(f"w{layer} must have shape (n_out, {n_in}), got {w.shape}")
            if b.shape != (w.shape[0],):
                raise ValueError(f"b{layer} must have shape ({w.shape[0]},) to match w{layer} {w.shape}, got {b.shape}")
            n_in = w.shape[0]
        if n_in != 1:
            raise ValueError(f"the last layer must have one output, got {n_in}")

    # ------------------------------------------------------------------ construction
    @classmethod
    def two_layer(cls, w: Sequence[Any] | np.ndarray, b: Sequence[Any] | np.ndarray, a: Sequence[Any] | np.ndarray, c: Any,
                  hidden_activation: str = "relu", output_activation: str = "identity") -> Network1D:
        """``f(x) = sigma_2(sum_i a_i sigma_1(w_i x + b_i) + c)``."""
        return cls.from_dict({"w1": list(w), "b1": list(b), "w2": list(a), "b2": c,
                              "hidden_activation": hidden_activation, "output_activation": output_activation})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Network1D:
        """Keys ``w1, b1, w2, b2[, w3, b3, ...]`` (numbers or strings like "3/7"), ``hidden_activation``,
        ``output_activation``. ``w1`` is a list (first-layer weights), the last ``w`` a list (output weights)
        and middle ``w`` matrices ``(n_out, n_in)``; the last bias may be a number."""
        if not isinstance(data, dict):
            raise ValueError("weights must be a JSON object with keys w1, b1, w2, b2")
        depth = 0
        while f"w{depth + 1}" in data:
            depth += 1
        if depth < 2:
            raise ValueError("weights need at least keys w1, b1, w2, b2")
        missing = [f"b{i}" for i in range(1, depth + 1) if f"b{i}" not in data]
        if missing:
            raise ValueError(f"weights are missing key(s) {', '.join(missing)}")
        known = {f"w{i}" for i in range(1, depth + 1)} | {f"b{i}" for i in range(1, depth + 1)} | {
            "hidden_activation", "output_activation"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown key(s) in weights: {', '.join(unknown)}; expected w1, b1, ..., "
                             "hidden_activation, output_activation")
        raw: list[Any] = []
        for i in range(1, depth + 1):
            raw.append(data[f"w{i}"])
            raw.append(data[f"b{i}"])
        flat: list[Any] = []

        def collect(v: Any, name: str) -> Any:
            if isinstance(v, list):
                return [collect(e, name) for e in v]
            x = parse_number(v, name)
            flat.append(x)
            return x

        parsed = [collect(v, ("w" if k % 2 == 0 else "b") + str(k // 2 + 1)) for k, v in enumerate(raw)]
        has_string = _has_string(raw)
        exact = has_string or all(isinstance(x, Fraction) for x in flat)
        if exact:
            parsed = [_to_fraction(v) for v in parsed]

        def arr(v: Any, name: str, ndim: int) -> np.ndarray[Any, Any]:
            a: np.ndarray[Any, Any]
            if exact:
                a = np.empty((), dtype=object)
                if isinstance(v, list):
                    try:
                        a = np.array(v, dtype=object)
                    except ValueError:
                        raise ValueError(f"{name} is ragged; every row must have the same length") from None
                else:
                    a[()] = v
            else:
                try:
                    a = np.array(v, dtype=np.float64)
                except (ValueError, TypeError):
                    raise ValueError(f"{name} must be a (nested) list of numbers of a regular shape") from None
            if a.ndim == 0:
                a = a.reshape(1)
            if ndim == 2 and a.ndim == 1:
                a = a.reshape(-1, 1)
            if a.ndim != ndim:
                raise ValueError(f"{name} has {a.ndim} dimensions, expected {ndim}")
            return a

        weights, biases = [], []
        for i in range(depth):
            w = arr(parsed[2 * i], f"w{i + 1}", 2 if 0 < i < depth - 1 else 1)
            if i == 0:
                w = w.reshape(-1, 1)
            elif i == depth - 1:
                w = w.reshape(1, -1)
            b = arr(parsed[2 * i + 1], f"b{i + 1}", 1)
            weights.append(w)
            biases.append(b)
        return cls(weights, biases, str(data.get("hidden_activation", "relu")),
                   str(data.get("output_activation", "identity")))

    @classmethod
    def from_json(cls, path: str | Path) -> Network1D:
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise ValueError(f"cannot read weights file {path}: {exc.strerror or exc}") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"weights file {path} is not UTF-8 text (byte {exc.start}); expected a JSON object") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"weights file {path} is not valid JSON: {exc.msg} at line {exc.lineno}") from None
        except RecursionError:
            raise ValueError(f"weights file {path} is nested too deeply; expected a flat JSON object with keys "
                             "w1, b1, w2, b2") from None
        return cls.from_dict(data)

    # ------------------------------------------------------------------ properties
    @property
    def exact(self) -> bool:
        return self.weights[0].dtype == object

    @property
    def depth(self) -> int:
        return len(self.weights)

    @property
    def width(self) -> int:
        return int(self.weights[0].shape[0])

    def to_float(self) -> Network1D:
        return Network1D([np.asarray(w, dtype=np.float64) for w in self.weights],
                         [np.asarray(b, dtype=np.float64) for b in self.biases],
                         self.hidden_activation, self.output_activation)

    def lipschitz_bound(self) -> float:
        """An upper bound on the Lipschitz constant: the product of absolute weight matrices (rounded up)."""
        v = np.ones(1)
        n_ops = 0
        for w in self.weights:
            aw = np.abs(np.asarray(w, dtype=np.float64))
            v = aw @ v
            n_ops += w.shape[1] + 1
        return float(v[0]) * (1.0 + 4 * _gamma(n_ops + 4))

    # ------------------------------------------------------------------ evaluation
    def _sigma1(self, z: np.ndarray) -> np.ndarray:
        return np.tanh(z) if self.hidden_activation == "tanh" else np.maximum(z, 0.0)

    def _sigma2(self, z: np.ndarray) -> np.ndarray:
        if self.output_activation == "relu":
            return np.maximum(z, 0.0)
        if self.output_activation == "clip":
            return np.clip(z, 0.0, 1.0)
        if self.output_activation == "tanh":
            return np.tanh(z)
        if self.output_activation == "clip_tanh":
            return np.tanh(np.clip(z, 0.0, 1.0))
        return z

    def __call__(self, x: Any) -> np.ndarray:
        """float64 evaluation at an array of points ``x`` (any shape; same shape returned)."""
        xx = np.asarray(x, dtype=np.float64)
        h = xx.reshape(-1, 1)
        ws = [np.asarray(w, dtype=np.float64) for w in self.weights]
        bs = [np.asarray(b, dtype=np.float64) for b in self.biases]
        for w, b in zip(ws[:-1], bs[:-1], strict=True):
            h = self._sigma1(h @ w.T + b)
        out = self._sigma2(h @ ws[-1].T + bs[-1])
        return out.reshape(xx.shape)

    def derivative(self, x: Any) -> np.ndarray:
        """f'(x) in float64 (one-sided right derivative at ReLU kinks)."""
        xx = np.asarray(x, dtype=np.float64).reshape(-1, 1)
        ws = [np.asarray(w, dtype=np.float64) for w in self.weights]
        bs = [np.asarray(b, dtype=np.float64) for b in self.biases]
        h = xx
        dh = np.ones_like(xx)
        for w, b in zip(ws[:-1], bs[:-1], strict=True):
            z = h @ w.T + b
            dz = dh @ w.T
            if self.hidden_activation == "tanh":
                h = np.tanh(z)
                dh = dz * _sech2(z)
            else:
                h = np.maximum(z, 0.0)
                dh = dz * (z > 0)
        z = h @ ws[-1].T + bs[-1]
        dz = dh @ ws[-1].T
        if self.output_activation == "relu":
            dz = dz * (z > 0)
        elif self.output_activation == "clip":
            dz = dz * ((z > 0) & (z < 1))
        elif self.output_activation == "tanh":
            dz = dz * _sech2(z)
        elif self.output_activation == "clip_tanh":
            dz = dz * ((z > 0) & (z < 1)) * _sech2(z)
        return dz.reshape(np.shape(x))

    def eval_with_bound(self, x: float) -> tuple[float, float]:
        """``(fl(f(x)), e)`` with ``|fl(f(x)) - f(x)| <= e`` rigorously, for a float64 input ``x`` taken as
        exact and the float64 parameters taken as exact. Componentwise running bound: for a layer
        ``z = W h + b`` with ``n`` inputs, ``|err z| <= |W| err_h + gamma_{n+1} (|W||h| + |b|)``; ReLU, clip and
        tanh are 1-Lipschitz (tanh adds 2 ulp of its value). A safety factor of 2 covers the rounding of the
        bound itself."""
        h = np.array([float(x)])
        e = np.zeros(1)
        for li, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            wf = np.asarray(w, dtype=np.float64)
            bf = np.asarray(b, dtype=np.float64)
            z = wf @ h + bf
            aw = np.abs(wf)
            ez = aw @ e + _gamma(wf.shape[1] + 1) * (aw @ np.abs(h) + np.abs(bf))
            ez = 2.0 * ez
            if li < self.depth - 1:
                if self.hidden_activation == "tanh":
                    h = np.tanh(z)
                    e = ez + 4 * _EPS * np.abs(h) + 1e-300
                else:
                    h = np.maximum(z, 0.0)
                    e = ez
            else:
                h = self._sigma2(z)
                e = ez + (4 * _EPS * np.abs(h) if self.output_activation in SMOOTH_OUTPUTS else 0.0)
        return float(h[0]), float(e[0])

    # ------------------------------------------------------------------ exact PL form
    def to_piecewise(self) -> PiecewiseLinear:
        """The exact PL map (ReLU hidden units only); Fractions if the parameters are Fractions."""
        if self.hidden_activation != "relu" or self.output_activation in SMOOTH_OUTPUTS:
            raise ValueError("to_piecewise needs ReLU hidden units and a piecewise-linear output "
                             "(identity, relu or clip); a tanh network is smooth, use rnnchaos.maps1d.smooth")
        exact = self.exact
        zero: Any = Fraction(0) if exact else 0.0
        dtype: Any = object if exact else np.float64
        w0 = self.weights[0][:, 0]
        b0 = self.biases[0]
        # partition of R: breakpoints; per piece the affine maps (slope, intercept) of every unit
        bps: list[Any] = []
        S = np.asarray(w0, dtype=dtype)[None, :].copy()
        T = np.asarray(b0, dtype=dtype)[None, :].copy()
        for layer in range(1, self.depth):
            bps, S, T = _relu_split(bps, S, T, exact)
            w = np.asarray(self.weights[layer], dtype=dtype)
            b = np.asarray(self.biases[layer], dtype=dtype)
            S = S @ w.T
            T = T @ w.T + b[None, :]
        pl = PiecewiseLinear(bps, list(S[:, 0]), list(T[:, 0]), check=False).merged()
        if self.output_activation == "relu":
            pl = pl.relu()
        elif self.output_activation == "clip":
            pl = pl.clip(zero, zero + 1)
        return pl

    def deriv_bound(self, lo: Any, hi: Any) -> Any:
        """``sup |f'|`` over ``[lo, hi]`` (scalars, or arrays of intervals) by interval arithmetic through the
        layers (Moore 1966): for each layer the range of the pre-activations ``[z_lo, z_hi]`` (exact for the
        first, affine, layer; interval matrix products after) and a bound ``D`` on ``|dz/dx|``; an activation
        multiplies ``D`` by ``sup sigma'`` over the range (tanh: ``sech^2`` of the smallest ``|z|``; ReLU/clip:
        1 if the unit can be in its linear part). Returns ``D`` at the output, inflated by ``1e-12`` for
        rounding. Cost O(width^2) per interval."""
        scalar = np.ndim(lo) == 0 and np.ndim(hi) == 0
        lo_a = np.atleast_1d(np.asarray(lo, dtype=np.float64))[:, None]
        hi_a = np.atleast_1d(np.asarray(hi, dtype=np.float64))[:, None]
        ws = [np.asarray(w, dtype=np.float64) for w in self.weights]
        bs = [np.asarray(b, dtype=np.float64) for b in self.biases]
        w0, b0 = ws[0][:, 0], bs[0]
        z1, z2 = lo_a * w0 + b0, hi_a * w0 + b0  # (M, k)
        zlo, zhi = np.minimum(z1, z2), np.maximum(z1, z2)
        d = np.broadcast_to(np.abs(w0), zlo.shape)
        for layer in range(1, len(ws)):
            if self.hidden_activation == "tanh":
                zmin = np.where((zlo <= 0) & (zhi >= 0), 0.0, np.minimum(np.abs(zlo), np.abs(zhi)))
                smax = _sech2(zmin)
                hlo, hhi = np.tanh(zlo), np.tanh(zhi)
            else:
                smax = (zhi > 0).astype(np.float64)
                hlo, hhi = np.maximum(zlo, 0.0), np.maximum(zhi, 0.0)
            dh = smax * d
            w, b = ws[layer], bs[layer]
            wp, wn = np.maximum(w, 0.0), np.minimum(w, 0.0)
            zlo, zhi = hlo @ wp.T + hhi @ wn.T + b, hhi @ wp.T + hlo @ wn.T + b
            d = dh @ np.abs(w).T
        out_lo, out_hi, dout = zlo[:, 0], zhi[:, 0], d[:, 0].copy()
        if self.output_activation == "tanh":
            zout = np.where((out_lo <= 0) & (out_hi >= 0), 0.0, np.minimum(np.abs(out_lo), np.abs(out_hi)))
            dout = dout * _sech2(zout)
        elif self.output_activation == "relu":
            dout = np.where(out_hi <= 0, 0.0, dout)
        elif self.output_activation == "clip":
            dout = np.where((out_hi <= 0) | (out_lo >= 1), 0.0, dout)
        elif self.output_activation == "clip_tanh":
            # tanh(clip(z, 0, 1)): slope <= sech^2 of the smallest clipped value reached
            zc = np.clip(out_lo, 0.0, 1.0)
            dout = np.where((out_hi <= 0) | (out_lo >= 1), 0.0, dout * _sech2(zc))
        res = dout * (1.0 + 1e-12) + 1e-300
        return float(res[0]) if scalar else res

    def output_range(self) -> tuple[float, float] | None:
        """An interval containing ``f(R)`` when it is bounded (tanh hidden units or a bounded output), else
        None. It is invariant, so it contains every periodic orbit. Depth-2 tanh: ``c +- sum |a_i|``."""
        if self.output_activation in ("clip",):
            return 0.0, 1.0
        if self.output_activation == "tanh":
            return -1.0, 1.0
        if self.output_activation == "clip_tanh":
            return 0.0, float(np.tanh(1.0)) * (1 + 1e-15)
        if self.hidden_activation == "tanh":
            a = np.asarray(self.weights[-1], dtype=np.float64)[0]
            c = float(np.asarray(self.biases[-1], dtype=np.float64)[0])
            r = float(np.sum(np.abs(a))) * (1 + 1e-12)
            lo, hi = c - r, c + r
            if self.output_activation == "relu":
                return 0.0, max(hi, 0.0)
            return lo, hi
        return None

    def to_dict(self) -> dict[str, Any]:
        def conv(v: Any) -> Any:
            if isinstance(v, np.ndarray):
                return [conv(e) for e in v]
            if isinstance(v, Fraction):
                return str(v)
            return float(v)

        out: dict[str, Any] = {}
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True), start=1):
            ww = w[:, 0] if i == 1 else (w[0] if i == self.depth else w)
            out[f"w{i}"] = conv(ww)
            out[f"b{i}"] = conv(b) if i < self.depth else conv(b[0])
        out["hidden_activation"] = self.hidden_activation
        out["output_activation"] = self.output_activation
        return out


def _has_string(v: Any) -> bool:
    if isinstance(v, list):
        return any(_has_string(e) for e in v)
    return isinstance(v, str)


def _to_fraction(v: Any) -> Any:
    """Floats given next to rational strings are read as the decimal they print as (0.1 -> 1/10)."""
    if isinstance(v, list):
        return [_to_fraction(e) for e in v]
    if isinstance(v, float):
        return Fraction(repr(v))
    return v


def _relu_split(bps: list[Any], S: np.ndarray, T: np.ndarray, exact: bool) -> tuple[list[Any], np.ndarray, np.ndarray]:
    """Apply ReLU to every unit on every piece: split pieces where a unit's affine pre-activation crosses
    zero, then zero the inactive units. ``S, T`` are ``(P, units)`` slopes and intercepts per piece."""
    new_b: list[Any] = []
    rows_s, rows_t = [], []
    n_p = S.shape[0]
    one: Any = Fraction(1) if exact else 1.0
    for p in range(n_p):
        lo = bps[p - 1] if p > 0 else None
        hi = bps[p] if p < len(bps) else None
        s, t = S[p], T[p]
        nz = np.nonzero(s != 0)[0]
        cuts = set()
        for j in nz:
            x = -t[j] / s[j]
            if (lo is None or x > lo) and (hi is None or x < hi):
                cuts.add(x)
        pts = sorted(cuts)
        edges = [lo, *pts, hi]
        for q in range(len(edges) - 1):
            a, b = edges[q], edges[q + 1]
            if a is None and b is None:
                probe = 0 * one
            elif a is None:
                probe = b - one
            elif b is None:
                probe = a + one
            else:
                probe = (a + b) / 2
            active = (s * probe + t) > 0
            rows_s.append(np.where(active, s, 0 * one))
            rows_t.append(np.where(active, t, 0 * one))
            if q < len(edges) - 2:
                new_b.append(edges[q + 1])
        if hi is not None:
            new_b.append(hi)
    dtype: Any = object if exact else np.float64
    S2 = np.array(rows_s, dtype=dtype).reshape(len(rows_s), S.shape[1])
    T2 = np.array(rows_t, dtype=dtype).reshape(len(rows_t), S.shape[1])
    if not exact:
        # float rounding can produce (near-)coincident cuts; keep breakpoints strictly increasing
        keep_b: list[Any] = []
        keep_rows = [0]
        for k, b in enumerate(new_b):
            if keep_b and b <= keep_b[-1]:
                keep_rows[-1] = k + 1
                continue
            keep_b.append(b)
            keep_rows.append(k + 1)
        new_b = keep_b
        S2, T2 = S2[keep_rows], T2[keep_rows]
    return new_b, S2, T2
