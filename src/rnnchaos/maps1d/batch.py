"""Batched evaluation of many random 1-D networks, and period-3 detection for whole batches.

Parameters come as a dict from :func:`rnnchaos.maps1d.init.sample_networks`: ``w, b, a`` ``(T, k)``,
``c`` ``(T,)`` and, for depth 3, ``v`` ``(T, k, k)``, ``d`` ``(T, k)``.

* ReLU hidden units, PL output (identity/relu/clip): exact criterion of :mod:`rnnchaos.maps1d.fast`
  (depth 2 built vectorised; depth 3 built per network exactly by :class:`Network1D`).
* tanh hidden units or tanh output (smooth maps): ``f(R)`` lies in a bounded invariant interval ``J``;
  ``g = f^3 - id`` is sampled on a uniform grid of ``n_grid`` cells of ``J``, every sign change is refined
  by vectorised bisection (60 halvings) and accepted as a 3-cycle point if ``|f(x) - x|`` exceeds
  ``1e-7 (1 + |x|)``. Resolution: pairs of roots closer than one grid cell (``|J| / n_grid``) and
  tangential roots can be missed; this path is numeric, not exact.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnnchaos.maps1d.fast import OUTPUT_MODES, batch_period3, pack_pl, two_layer_arrays
from rnnchaos.maps1d.network import Network1D

Params = dict[str, np.ndarray]


def _act(z: np.ndarray, name: str) -> np.ndarray:
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "tanh":
        return np.tanh(z)
    if name == "clip":
        return np.clip(z, 0.0, 1.0)
    if name == "clip_tanh":
        return np.tanh(np.clip(z, 0.0, 1.0))
    return z


def batch_eval(params: Params, x: np.ndarray, hidden: str = "relu", output: str = "identity",
               rows: np.ndarray | None = None) -> np.ndarray:
    """``f_r(x[r, n])`` for networks ``r`` (all, or ``rows``) at points ``x`` ``(R, N)`` -> ``(R, N)``."""
    sel = slice(None) if rows is None else rows
    w, b, a, c = params["w"][sel], params["b"][sel], params["a"][sel], params["c"][sel]
    h = _act(w[:, :, None] * x[:, None, :] + b[:, :, None], hidden)
    if "v" in params:
        v, d = params["v"][sel], params["d"][sel]
        h = _act(np.einsum("rjk,rkn->rjn", v, h) + d[:, :, None], hidden)
    z = np.einsum("rk,rkn->rn", a, h) + c[:, None]
    return _act(z, output)


def network_of(params: Params, r: int, hidden: str = "relu", output: str = "identity") -> Network1D:
    """Network ``r`` of a batch as a :class:`Network1D` (float64)."""
    ws = [params["w"][r][:, None]]
    bs = [params["b"][r]]
    if "v" in params:
        ws.append(params["v"][r])
        bs.append(params["d"][r])
    ws.append(params["a"][r][None, :])
    bs.append(np.array([params["c"][r]]))
    return Network1D(ws, bs, hidden, output)


def period3_exact(params: Params, output: str = "identity", with_f2: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Exact-criterion P3 flags for a batch of ReLU networks (depth 2 or 3). Returns ``(p3, p3_of_f2)``."""
    mode = OUTPUT_MODES[output]
    if "v" not in params:
        bp, sl, ic, n = two_layer_arrays(params["w"], params["b"], params["a"], params["c"])
        return batch_period3(bp, sl, ic, n, mode, with_f2)
    maps = []
    for r in range(params["w"].shape[0]):
        pl = network_of(params, r, "relu", "identity").to_piecewise()
        maps.append((pl.breakpoints, pl.slopes, pl.intercepts))
    bp, sl, ic, n = pack_pl(maps)
    return batch_period3(bp, sl, ic, n, mode, with_f2)


def _invariant_bounds(params: Params, hidden: str, output: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-network interval containing f(R) (bounded hidden activations or bounded output)."""
    T = params["w"].shape[0]
    if output == "clip":
        return np.zeros(T), np.ones(T)
    if output == "tanh":
        return -np.ones(T), np.ones(T)
    if output == "clip_tanh":
        return np.zeros(T), np.full(T, np.tanh(1.0) * (1 + 1e-15))
    if hidden != "tanh":
        raise ValueError("the smooth path needs tanh hidden units or a bounded output activation")
    r = np.sum(np.abs(params["a"]), axis=1)
    lo, hi = params["c"] - r, params["c"] + r
    if output == "relu":
        return np.zeros(T), np.maximum(hi, 0.0)
    return lo, hi


def period3_smooth(params: Params, hidden: str = "tanh", output: str = "identity",
                   n_grid: int = 2048, chunk: int = 64) -> np.ndarray:
    """Numeric P3 flags for smooth networks (see the module docstring for the method and its resolution)."""
    T = params["w"].shape[0]
    lo, hi = _invariant_bounds(params, hidden, output)
    out = np.zeros(T, dtype=bool)
    for s in range(0, T, chunk):
        rows = np.arange(s, min(T, s + chunk))
        span = np.maximum(hi[rows] - lo[rows], 1e-12)
        x = lo[rows, None] + span[:, None] * np.linspace(0.0, 1.0, n_grid + 1)[None, :]
        f1 = batch_eval(params, x, hidden, output, rows)
        f3 = batch_eval(params, batch_eval(params, f1, hidden, output, rows), hidden, output, rows)
        g = f3 - x
        sc = np.nonzero(g[:, :-1] * g[:, 1:] <= 0)
        if sc[0].size == 0:
            continue
        r_idx = rows[sc[0]]
        a = x[sc[0], sc[1]].copy()
        b = x[sc[0], sc[1] + 1].copy()
        ga = g[sc[0], sc[1]].copy()
        # vectorised bisection, one point per bracketing cell (network index r_idx)
        for _ in range(60):
            m = 0.5 * (a + b)
            fm = _eval_rows(params, m, r_idx, hidden, output, 3) - m
            left = ga * fm <= 0
            b = np.where(left, m, b)
            a = np.where(left, a, m)
            ga = np.where(left, ga, fm)
        xr = 0.5 * (a + b)
        moved = np.abs(_eval_rows(params, xr, r_idx, hidden, output, 1) - xr) > 1e-7 * (1 + np.abs(xr))
        # a sign change of f^3 - x at a non-fixed point of f is a 3-cycle point
        good = moved & (np.abs(_eval_rows(params, xr, r_idx, hidden, output, 3) - xr) <= 1e-6 * (1 + np.abs(xr)))
        out[np.unique(r_idx[good])] = True
    return out


def _eval_rows(params: Params, x: np.ndarray, r_idx: np.ndarray, hidden: str, output: str, n: int) -> np.ndarray:
    y = x[:, None]
    for _ in range(n):
        y = batch_eval(params, y, hidden, output, r_idx)
    return y[:, 0]


def period3_batch(params: Params, hidden: str = "relu", output: str = "identity",
                  with_f2: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """P3 flags for a batch: exact criterion for ReLU/PL, numeric bracketing for smooth maps.
    The second array (period 3 of ``f o f``) is None on the smooth path."""
    if hidden == "relu" and output in OUTPUT_MODES:
        p3, p3f2 = period3_exact(params, output, with_f2)
        return p3, (p3f2 if with_f2 else None)
    return period3_smooth(params, hidden, output), None


def describe_params(params: Params) -> dict[str, Any]:
    return {k: list(v.shape) for k, v in params.items()}
