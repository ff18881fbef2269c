"""Fast exact-criterion period-3 detection for batches of piecewise-linear maps (numba if installed, float64).

Criterion. A continuous map of the line has a point of period 3 iff ``f^3`` has a fixed point that is not
a fixed point of ``f``. Taking the smallest point ``x`` of a 3-cycle, ``f(x) > x`` and ``f^2(x) > x``;
so we only search ``x`` with ``f(x) > x`` and ``f^2(x) > x`` and solve ``f^3(x) = x`` there. The search is
a depth-3 branch over pieces: piece ``i`` of ``f`` restricted to ``{f(x) > x}``; the pieces ``j`` its
image meets; the sub-domain where ``f^2(x) > x``; the pieces ``l`` that image meets; on each leaf
``f^3`` is affine, ``A x + B``, and ``x = B / (1 - A)`` is checked against the leaf. It stops at the first
3-cycle. Cost: O(number of leaves) = O(#pieces of f^3 on the searched region), in practice a few hundred
for width-64 He networks; worst case O(n^3) for n pieces.

Building the map of a two-layer ReLU network (Chatziafratis et al. 2022) is vectorised across networks:
breakpoints ``-b_i/w_i`` sorted per row, the left-tail slope ``sum_{w_i<0} a_i w_i`` and, crossing the
breakpoint of unit ``i`` left to right, slope increments ``a_i |w_i|`` and intercept increments
``sign(w_i) a_i b_i``. Cost O(T k log k) for T networks of width k.

Floating point: decisions use closed intervals with a relative slack of ``1e-12``; a false answer needs a
3-cycle within that distance of a breakpoint or a tangency, events of probability ~1e-12 under continuous
initialisations. The exact Fraction path (:mod:`rnnchaos.maps1d.periodic`) is the reference and the tests
check agreement on random networks.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

try:
    from numba import njit
except ModuleNotFoundError:  # numba comes with the ``torch`` extra; without it the same kernels run as Python
    NUMBA = False

    def njit(*args: Any, **kwargs: Any) -> Any:  # type: ignore[no-redef]
        """Stand-in for ``numba.njit`` when numba is not installed: the kernel runs as plain Python
        (same results, about 100x slower; ``pip install numba`` or ``pip install 'rnnchaos[torch]'``)."""
        if args and callable(args[0]):
            return args[0]
        return lambda func: func
else:
    NUMBA = True

INF = math.inf
_SLACK = 1e-12


@njit(cache=True)
def _aff(x: float, s: float, t: float) -> float:
    if s == 0.0:
        return t
    return s * x + t


@njit(cache=True)
def _restrict_gt(lo: float, hi: float, s: float, t: float) -> tuple[float, float, bool]:
    """Sub-interval of [lo, hi] where s x + t > x."""
    d = s - 1.0
    if d == 0.0:
        if t > 0.0:
            return lo, hi, True
        return lo, hi, False
    c = -t / d
    if d > 0.0:
        lo2 = max(lo, c)
        return lo2, hi, lo2 <= hi
    hi2 = min(hi, c)
    return lo, hi2, lo <= hi2


@njit(cache=True)
def _image(lo: float, hi: float, s: float, t: float) -> tuple[float, float]:
    if s == 0.0:
        return t, t
    a = _aff(lo, s, t)
    b = _aff(hi, s, t)
    if a <= b:
        return a, b
    return b, a


@njit(cache=True)
def _preimage(lo: float, hi: float, s: float, t: float, ylo: float, yhi: float) -> tuple[float, float, bool]:
    """Sub-interval of [lo, hi] mapped by s x + t into [ylo, yhi] (closed, with slack)."""
    if s == 0.0:
        return lo, hi, (t >= ylo - _SLACK * (1.0 + abs(t))) and (t <= yhi + _SLACK * (1.0 + abs(t)))
    a = (ylo - t) / s
    b = (yhi - t) / s
    if a > b:
        a, b = b, a
    a = a - _SLACK * (1.0 + abs(a))
    b = b + _SLACK * (1.0 + abs(b))
    lo2 = max(lo, a)
    hi2 = min(hi, b)
    return lo2, hi2, lo2 <= hi2


@njit(cache=True)
def _first_piece(bp: np.ndarray, n: int, y: float) -> int:
    # smallest j with y <= bp[j] (piece j = [bp[j-1], bp[j]]), with slack
    lo, hi = 0, n
    yy = y - _SLACK * (1.0 + abs(y))
    while lo < hi:
        mid = (lo + hi) // 2
        if bp[mid] < yy:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True)
def _last_piece(bp: np.ndarray, n: int, y: float) -> int:
    # largest j with bp[j-1] <= y, with slack
    lo, hi = 0, n
    yy = y + _SLACK * (1.0 + abs(y))
    while lo < hi:
        mid = (lo + hi) // 2
        if bp[mid] <= yy:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True)
def _piece_lo(bp: np.ndarray, n: int, i: int) -> float:
    return -INF if i == 0 else bp[i - 1]


@njit(cache=True)
def _piece_hi(bp: np.ndarray, n: int, i: int) -> float:
    return INF if i == n else bp[i]


@njit(cache=True)
def has_period3(bp: np.ndarray, sl: np.ndarray, ic: np.ndarray, n: int) -> bool:
    """True iff the PL map (``n`` breakpoints ``bp[:n]``, slopes/intercepts ``[:n+1]``) has a 3-cycle."""
    for i in range(n + 1):
        s1, t1 = sl[i], ic[i]
        lo1, hi1, ok = _restrict_gt(_piece_lo(bp, n, i), _piece_hi(bp, n, i), s1, t1)
        if not ok:
            continue
        ylo, yhi = _image(lo1, hi1, s1, t1)
        j0 = _first_piece(bp, n, ylo)
        j1 = _last_piece(bp, n, yhi)
        for j in range(j0, j1 + 1):
            lo2, hi2, ok2 = _preimage(lo1, hi1, s1, t1, _piece_lo(bp, n, j), _piece_hi(bp, n, j))
            if not ok2:
                continue
            a2 = sl[j] * s1
            b2 = sl[j] * t1 + ic[j]
            lo2, hi2, ok2 = _restrict_gt(lo2, hi2, a2, b2)
            if not ok2:
                continue
            zlo, zhi = _image(lo2, hi2, a2, b2)
            l0 = _first_piece(bp, n, zlo)
            l1 = _last_piece(bp, n, zhi)
            for m in range(l0, l1 + 1):
                lo3, hi3, ok3 = _preimage(lo2, hi2, a2, b2, _piece_lo(bp, n, m), _piece_hi(bp, n, m))
                if not ok3:
                    continue
                a3 = sl[m] * a2
                b3 = sl[m] * b2 + ic[m]
                if a3 == 1.0:
                    if abs(b3) <= _SLACK * (1.0 + abs(b3)) and hi3 > lo3:
                        return True
                    continue
                x = b3 / (1.0 - a3)
                tol = _SLACK * (1.0 + abs(x))
                if x < lo3 - tol or x > hi3 + tol:
                    continue
                # genuine 3-cycle: x is not a fixed point of f (f(x) > x strictly)
                fx = s1 * x + t1
                if fx - x > 1e-10 * (1.0 + abs(x)):
                    return True
    return False


@njit(cache=True)
def clip_pl(bp: np.ndarray, sl: np.ndarray, ic: np.ndarray, n: int, lo: float, hi: float,
            out_bp: np.ndarray, out_sl: np.ndarray, out_ic: np.ndarray) -> int:
    """``min(max(f, lo), hi)`` (use hi = +inf for ReLU). Writes into the out arrays (size >= 3n+3);
    returns the new number of breakpoints."""
    m = 0
    out_sl[0] = 0.0
    first = True
    for i in range(n + 1):
        a = -INF if i == 0 else bp[i - 1]
        b = INF if i == n else bp[i]
        s, t = sl[i], ic[i]
        # cut points inside (a, b)
        cuts = np.empty(2)
        nc = 0
        if s != 0.0:
            for level in (lo, hi):
                if level != INF and level != -INF:
                    x = (level - t) / s
                    if a < x < b:
                        cuts[nc] = x
                        nc += 1
            if nc == 2 and cuts[0] > cuts[1]:
                cuts[0], cuts[1] = cuts[1], cuts[0]
        edges = np.empty(nc + 2)
        edges[0] = a
        for q in range(nc):
            edges[q + 1] = cuts[q]
        edges[nc + 1] = b
        for q in range(nc + 1):
            ea, eb = edges[q], edges[q + 1]
            if ea == -INF and eb == INF:
                probe = 0.0
            elif ea == -INF:
                probe = eb - 1.0
            elif eb == INF:
                probe = ea + 1.0
            else:
                probe = 0.5 * (ea + eb)
            v = s * probe + t
            if v < lo:
                ns, nt = 0.0, lo
            elif v > hi:
                ns, nt = 0.0, hi
            else:
                ns, nt = s, t
            if first:
                out_sl[0] = ns
                out_ic[0] = nt
                first = False
            else:
                if ns == out_sl[m] and nt == out_ic[m]:
                    continue  # collinear: merge
                out_bp[m] = ea
                m += 1
                out_sl[m] = ns
                out_ic[m] = nt
    return m


@njit(cache=True)
def _push(out_bp: np.ndarray, out_sl: np.ndarray, out_ic: np.ndarray, m: int, xl: float, ns: float,
          nt: float) -> int:
    """Append the piece ``ns x + nt`` starting at ``xl``; merges collinear and zero-length pieces."""
    if m < 0:
        out_sl[0] = ns
        out_ic[0] = nt
        return 0
    if ns == out_sl[m] and nt == out_ic[m]:
        return m
    if m >= 1 and xl <= out_bp[m - 1]:
        out_sl[m] = ns
        out_ic[m] = nt
        return m
    if m + 1 >= out_sl.shape[0]:
        return -2
    out_bp[m] = xl
    out_sl[m + 1] = ns
    out_ic[m + 1] = nt
    return m + 1


@njit(cache=True)
def compose_pl(bp_o: np.ndarray, sl_o: np.ndarray, ic_o: np.ndarray, n_o: int,
               bp_i: np.ndarray, sl_i: np.ndarray, ic_i: np.ndarray, n_i: int,
               out_bp: np.ndarray, out_sl: np.ndarray, out_ic: np.ndarray) -> int:
    """outer o inner as a PL map; out arrays need size >= (n_i + 1) * (n_o + 1). Returns #breakpoints,
    or -1 if the out arrays are too small."""
    m = -1
    for i in range(n_i + 1):
        a = -INF if i == 0 else bp_i[i - 1]
        b = INF if i == n_i else bp_i[i]
        s, t = sl_i[i], ic_i[i]
        if s == 0.0:
            j = _first_piece_exact(bp_o, n_o, t)
            m = _push(out_bp, out_sl, out_ic, m, a, 0.0, sl_o[j] * t + ic_o[j])
            if m == -2:
                return -1
            continue
        ya = _aff(a, s, t) if a != -INF else (-INF if s > 0 else INF)
        yb = _aff(b, s, t) if b != INF else (INF if s > 0 else -INF)
        ylo, yhi = (ya, yb) if s > 0 else (yb, ya)
        j0 = _first_piece_exact(bp_o, n_o, ylo)
        j1 = _first_piece_exact(bp_o, n_o, yhi)
        for q in range(j1 - j0 + 1):
            j = j0 + q if s > 0 else j1 - q
            if q == 0:
                xl = a
            else:
                beta = bp_o[j - 1] if s > 0 else bp_o[j]
                xl = (beta - t) / s
            m = _push(out_bp, out_sl, out_ic, m, xl, sl_o[j] * s, sl_o[j] * t + ic_o[j])
            if m == -2:
                return -1
    return m


@njit(cache=True)
def _first_piece_exact(bp: np.ndarray, n: int, y: float) -> int:
    if y == -INF:
        return 0
    if y == INF:
        return n
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) // 2
        if bp[mid] < y:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True)
def batch_period3(bp: np.ndarray, sl: np.ndarray, ic: np.ndarray, nb: np.ndarray, out_mode: int,
                  with_f2: bool) -> tuple[np.ndarray, np.ndarray]:
    """For T maps (rows of padded arrays, ``nb[r]`` breakpoints each) apply the output activation
    (0 identity, 1 relu, 2 clip to [0, 1]) and return ``(period3 of f, period3 of f o f)`` as bool arrays
    (the second only if ``with_f2``; otherwise all False)."""
    T = bp.shape[0]
    M = bp.shape[1]
    p3 = np.zeros(T, dtype=np.bool_)
    p3f2 = np.zeros(T, dtype=np.bool_)
    cb = np.empty(3 * M + 3)
    cs = np.empty(3 * M + 4)
    ci = np.empty(3 * M + 4)
    # f o f rarely has more than a few times as many pieces as f; a map whose square overflows this buffer
    # is conservatively not counted (the f o f result is a certified lower bound either way)
    big = min((3 * M + 4) * (3 * M + 4), 64 * (3 * M + 4)) + 8
    b2 = np.empty(big)
    s2 = np.empty(big)
    i2 = np.empty(big)
    for r in range(T):
        n = nb[r]
        if out_mode == 0:
            fb, fs, fi, fn = bp[r], sl[r], ic[r], n
        else:
            hi = INF if out_mode == 1 else 1.0
            fn = clip_pl(bp[r], sl[r], ic[r], n, 0.0, hi, cb, cs, ci)
            fb, fs, fi = cb, cs, ci
        if has_period3(fb, fs, fi, fn):
            p3[r] = True
            p3f2[r] = True
            continue
        if with_f2:
            n2 = compose_pl(fb, fs, fi, fn, fb, fs, fi, fn, b2, s2, i2)
            if n2 >= 0 and has_period3(b2, s2, i2, n2):
                p3f2[r] = True
    return p3, p3f2


def two_layer_arrays(w: np.ndarray, b: np.ndarray, a: np.ndarray, c: np.ndarray) -> tuple[
        np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exact-criterion PL form of ``sum_i a_i relu(w_i x + b_i) + c`` for T networks at once.

    Inputs ``(T, k)`` (``c``: ``(T,)``). Returns padded ``(bp (T, k), slopes (T, k+1), intercepts (T, k+1),
    n (T,))``; rows are padded with +inf breakpoints (units with ``w_i = 0`` contribute the constant
    ``a_i relu(b_i)``).
    """
    w = np.asarray(w, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    a = np.asarray(a, dtype=np.float64)
    c = np.asarray(c, dtype=np.float64).reshape(-1)
    zero_w = w == 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = np.where(zero_w, np.inf, -b / np.where(zero_w, 1.0, w))
    order = np.argsort(raw, axis=1, kind="stable")
    bp = np.take_along_axis(raw, order, axis=1)
    neg = w < 0.0
    slope0 = np.sum(np.where(neg, a * w, 0.0), axis=1)
    icpt0 = np.sum(np.where(neg, a * b, 0.0), axis=1) + c + np.sum(np.where(zero_w, a * np.maximum(b, 0.0), 0.0), axis=1)
    ds = np.where(zero_w, 0.0, a * np.abs(w))
    dt = np.where(zero_w, 0.0, np.sign(w) * a * b)
    ds = np.take_along_axis(ds, order, axis=1)
    dt = np.take_along_axis(dt, order, axis=1)
    T, k = w.shape
    sl = np.empty((T, k + 1))
    icp = np.empty((T, k + 1))
    sl[:, 0] = slope0
    icp[:, 0] = icpt0
    sl[:, 1:] = slope0[:, None] + np.cumsum(ds, axis=1)
    icp[:, 1:] = icpt0[:, None] + np.cumsum(dt, axis=1)
    n = np.sum(np.isfinite(bp), axis=1).astype(np.int64)
    return np.ascontiguousarray(bp), sl, icp, n


def pack_pl(maps: list[tuple[list[float], list[float], list[float]]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pad a list of float PL maps ``(breakpoints, slopes, intercepts)`` into batch arrays."""
    M = max(1, max(len(m[0]) for m in maps))
    T = len(maps)
    bp = np.full((T, M), np.inf)
    sl = np.zeros((T, M + 1))
    ic = np.zeros((T, M + 1))
    nb = np.zeros(T, dtype=np.int64)
    for r, (b, s, t) in enumerate(maps):
        nb[r] = len(b)
        bp[r, :len(b)] = b
        sl[r, :len(s)] = s
        ic[r, :len(t)] = t
    return bp, sl, ic, nb


OUTPUT_MODES = {"identity": 0, "relu": 1, "clip": 2}


def warmup() -> None:
    """Compile (or load from cache) the numba kernels on a tiny input (without numba: a quick self-check)."""
    bp, sl, ic, n = two_layer_arrays(np.array([[1.0, 1.0]]), np.array([[0.0, -0.5]]),
                                     np.array([[2.0, -4.0]]), np.array([0.0]))
    for mode in (0, 1, 2):
        batch_period3(bp, sl, ic, n, mode, True)
