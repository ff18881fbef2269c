"""Exact fixed points and k-cycles of small piecewise-linear RNNs by enumerating their linear regions.

A PLRNN ``z <- a ⊙ z + W φ(z) + h`` is affine on every region where each unit's branch of ``φ`` is
fixed: ``relu`` has two branches (``z_i <= 0``, ``z_i > 0``), the clipped ``relu(z) - relu(z - 1)``
three (``<= 0``, ``(0, 1)``, ``>= 1``). In a region ``r`` with ``φ(z) = D_r z + c_r`` the map is
``F_r(z) = (diag(a) + W D_r) z + W c_r + h``. A k-cycle visits regions ``r_1, ..., r_k``; composing the
pieces gives ``z_1 = P z_1 + p``, a linear system. Solving it for **every** region sequence and keeping
the solutions that the true (nonlinear) map reproduces finds **all** isolated fixed points and k-cycles
exactly (up to floating-point round-off). The shallow PLRNN ``a ⊙ z + W1 relu(W2 z + h2) + h1`` is
handled the same way, with regions given by the signs of ``W2 z + h2`` (and of ``W2 z`` when clipped).

Because the PL map is continuous, a solution that lands on a region boundary is still verified
correctly by the true map. Solutions of singular systems (a continuum of cycles) are skipped and
counted in ``n_singular``.

Cost: ``R^k`` region sequences (``R = 2^M`` for the PLRNN, ``3^M`` clipped, ``2^L``/``4^L`` for the
shPLRNN with hidden width ``L``), each an ``O(k M^3)`` composition and solve, vectorised in chunks. This
is exponential: use it for small models (``R^k`` up to ``max_sequences``). SCYFI (Eisenmann, Monfared,
Göring & Durstewitz, NeurIPS 2023, "Bifurcations and loss jumps in RNN training") is the heuristic
alternative for large models: it iterates region guesses instead of enumerating them.

Units: the Lyapunov exponents of a cycle are ``log|eig(P)| / k`` per step (``P`` the product of the
cycle's Jacobians); a cycle is stable when all ``|eig(P)| < 1``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rnnchaos._util.validation import positive_int

Array = NDArray[np.float64]

__all__ = ["PeriodicOrbit", "PiecewiseAffine", "find_cycles", "piecewise_affine_form"]


@dataclass(frozen=True)
class PiecewiseAffine:
    """A continuous piecewise-affine map in region form: ``F(z) = mats[r] @ z + offs[r]`` in region ``r``.

    ``mats``: ``(R, M, M)``; ``offs``: ``(R, M)``; ``step(z)``: the true map ``(B, M) -> (B, M)``.
    """

    mats: Array
    offs: Array
    step_fn: Any
    dim: int

    def step(self, z: Array) -> Array:
        return np.asarray(self.step_fn(z), dtype=np.float64)


@dataclass(frozen=True)
class PeriodicOrbit:
    """A fixed point (``period = 1``) or minimal-period k-cycle.

    ``points``: ``(k, M)`` the orbit, starting at its lexicographically smallest point; ``multipliers``:
    eigenvalues of the cycle's Jacobian product; ``exponents``: ``log|multipliers| / k`` per step,
    descending; ``stable``: all ``|multipliers| < 1``; ``regions``: region index of each point.
    """

    points: Array
    period: int
    multipliers: NDArray[np.complex128]
    exponents: Array
    stable: bool
    regions: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"period": self.period, "points": self.points.tolist(), "stable": self.stable,
                "exponents": self.exponents.tolist(), "units": "per_step",
                "spectral_radius": float(np.max(np.abs(self.multipliers)))}


def piecewise_affine_form(model: Any) -> PiecewiseAffine:
    """Region form of a PLRNN or shPLRNN model (``rnnchaos.models``), in float64.

    Raises ``ValueError`` for other architectures or a model with an external input (use it as a map
    with zero input: the regions are those of the autonomous map).
    """
    import torch

    arch = getattr(model, "arch", None)
    if arch not in ("plrnn", "shplrnn"):
        raise ValueError(f"exact region enumeration needs a 'plrnn' or 'shplrnn' model, got arch={arch!r}")
    fmap = model.as_map()
    p = {k: v.detach().to(torch.float64).numpy() for k, v in fmap.model.named_parameters()}
    a = p["A"]
    m = a.shape[0]
    if arch == "plrnn":
        w = p["W"] * (1.0 - np.eye(m))
        h = p["h"]
        branches = 3 if model.clipped else 2
        codes = np.array(list(itertools.product(range(branches), repeat=m)), dtype=np.int64)  # (R, M)
        d = (codes == 1).astype(np.float64)
        c = (codes == 2).astype(np.float64)
        mats = np.diag(a)[None] + w[None] * d[:, None, :]
        offs = c @ w.T + h[None]
    else:
        w1, w2, h1, h2 = p["W1"], p["W2"], p["h1"], p["h2"]
        ell = w2.shape[0]
        branches = 4 if model.clipped else 2
        codes = np.array(list(itertools.product(range(branches), repeat=ell)), dtype=np.int64)  # (R, L)
        if model.clipped:  # bit 0: W2 z + h2 > 0, bit 1: W2 z > 0
            d1 = (codes & 1).astype(np.float64)
            d2 = ((codes >> 1) & 1).astype(np.float64)
        else:
            d1 = codes.astype(np.float64)
            d2 = np.zeros_like(d1)
        mats = np.diag(a)[None] + (w1[None] * (d1 - d2)[:, None, :]) @ w2[None]
        offs = (d1 * h2[None]) @ w1.T + h1[None]
    return PiecewiseAffine(mats=mats, offs=offs, step_fn=fmap.step, dim=m)


def _minimal_rotation(seq: tuple[int, ...]) -> bool:
    return all(seq <= seq[i:] + seq[:i] for i in range(1, len(seq)))


def find_cycles(model: Any, period: int = 1, *, max_sequences: int = 2_000_000, tol: float = 1e-9,
                chunk: int = 4096) -> tuple[list[PeriodicOrbit], dict[str, int]]:
    """All fixed points (``period=1``) or minimal-period ``period``-cycles of a small PLRNN/shPLRNN.

    ``model`` is a PLRNN/shPLRNN (``rnnchaos.models``) or a :class:`PiecewiseAffine`. Returns the orbits
    (deduplicated, one per cycle) and counts ``{"sequences", "singular", "candidates"}``.
    Raises ``ValueError`` if more than ``max_sequences`` region sequences would be needed.
    """
    pa = model if isinstance(model, PiecewiseAffine) else piecewise_affine_form(model)
    k = positive_int(period, "period")
    mats, offs, m = pa.mats, pa.offs, pa.dim
    n_regions = mats.shape[0]
    total = n_regions ** k
    if total > max_sequences:
        raise ValueError(f"{n_regions} regions give {total} sequences for period {k}, more than "
                         f"max_sequences={max_sequences}; use a smaller model or period, or a heuristic "
                         "search such as SCYFI (Eisenmann et al. 2023)")
    seqs_all = [s for s in itertools.product(range(n_regions), repeat=k) if _minimal_rotation(s)]
    eye = np.eye(m)
    found: list[PeriodicOrbit] = []
    keys: set[tuple[float, ...]] = set()
    n_singular = 0
    n_candidates = 0
    for start in range(0, len(seqs_all), chunk):
        seqs = np.array(seqs_all[start:start + chunk], dtype=np.int64).reshape(-1, k)
        prod = np.broadcast_to(eye, (seqs.shape[0], m, m)).copy()
        off = np.zeros((seqs.shape[0], m))
        for j in range(k):
            mj, bj = mats[seqs[:, j]], offs[seqs[:, j]]
            prod = mj @ prod
            off = (mj @ off[:, :, None])[:, :, 0] + bj
        lhs = eye[None] - prod
        det_ok = np.abs(np.linalg.det(lhs)) > 1e-12
        n_singular += int((~det_ok).sum())
        if not det_ok.any():
            continue
        z1 = np.linalg.solve(lhs[det_ok], off[det_ok][:, :, None])[:, :, 0]
        seq_ok = seqs[det_ok]
        # verify with the true map and record the orbit
        orbit = [z1]
        for _ in range(k):
            orbit.append(pa.step(orbit[-1]))
        pts = np.stack(orbit[:k], axis=1)  # (C, k, M)
        scale = 1.0 + np.max(np.abs(pts), axis=(1, 2))
        closes = np.max(np.abs(orbit[k] - z1), axis=1) <= tol * scale
        # consistency of the chosen pieces: F_{r_j}(z_j) must equal the true F(z_j)
        piece_ok = np.ones(z1.shape[0], dtype=bool)
        for j in range(k):
            mj, bj = mats[seq_ok[:, j]], offs[seq_ok[:, j]]
            piece = (mj @ pts[:, j, :, None])[:, :, 0] + bj
            piece_ok &= np.max(np.abs(piece - orbit[j + 1]), axis=1) <= tol * scale
        good = np.nonzero(closes & piece_ok)[0]
        n_candidates += int(good.size)
        for i in good:
            p_pts = pts[i]
            if k > 1:
                dist = np.max(np.abs(p_pts[:, None, :] - p_pts[None, :, :]), axis=2)
                if np.any(dist[~np.eye(k, dtype=bool)] <= 1e3 * tol * scale[i]):
                    continue  # not of minimal period k
            first = min(range(k), key=lambda j: tuple(p_pts[j]))
            p_pts = np.roll(p_pts, -first, axis=0)
            regs = tuple(int(r) for r in np.roll(seq_ok[i], -first))
            key = tuple(np.round(p_pts.ravel() / (1e4 * tol * scale[i])).tolist())
            if key in keys:
                continue
            keys.add(key)
            jac = np.eye(m)
            for r in regs:
                jac = mats[r] @ jac
            mult = np.asarray(np.linalg.eigvals(jac), dtype=np.complex128)
            with np.errstate(divide="ignore"):
                exps = np.sort(np.log(np.abs(mult)) / k)[::-1]
            found.append(PeriodicOrbit(points=p_pts, period=k, multipliers=mult, exponents=exps,
                                       stable=bool(np.max(np.abs(mult)) < 1.0), regions=regs))
    return found, {"sequences": len(seqs_all), "singular": n_singular, "candidates": n_candidates}
