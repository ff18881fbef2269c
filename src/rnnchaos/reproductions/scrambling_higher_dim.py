"""Higher dimensions: 64-wide two-layer ReLU maps ``z -> W2 relu(W1 z + b1) + b2`` of R^64.

Reproduces the notebook ``Higher_Dimensions.ipynb`` of the scrambling paper (github.com/steliostavroulakis/
Chaos_RNNs): weights ``N(0, sigma^2)``, zero biases, the Jacobian ``J = W2 diag(1[W1 x > 0]) W1`` at one input
``x`` (there: the first sklearn digit image; here a fixed vector of integer pixel values 0..16 drawn once
with the seed -- with zero biases ``J`` depends only on the direction of ``x``), and the fraction of
networks whose spectral radius ``max |eig J|`` exceeds 1, for sigma from 0.10 to 0.20. The notebook's second
curve is labelled "Glorot" without its code; we use Glorot-shaped uniform weights
``U(-sqrt(3) sigma, sqrt(3) sigma)`` with the same standard deviation and say so.

We add the largest Lyapunov exponent of the map (per step) from the shared engine
(:func:`rnnchaos.dynamics.lyapunov_spectrum.lyapunov_spectrum`, QR method, Benettin et al. 1980) for a few
networks per sigma, with the exact Jacobian below. With zero biases the map is positively homogeneous, so
``lambda_max`` is the exponential growth rate of ``|z_t|`` and orbits grow or shrink geometrically; horizons
are kept short enough (300 steps) to stay inside float64's range.

Published numbers (notebook cell arrays ``xs_1, ys_1`` and ``xs_glo, ys_glo``, 1,000 networks per point).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from rnnchaos._util.figures import SMALL_STYLE, new_figure, save_figure, styled
from rnnchaos._util.rng import SeedLike, as_generator
from rnnchaos._util.tables import write_table
from rnnchaos.core import Array, JacobianMap
from rnnchaos.reproductions.scrambling_common import FIGURE_DPI, PAPER, REPO

PUBLISHED_NORMAL = {0.0: 0.0, 0.1: 0.0, 0.11: 0.0, 0.12: 0.002, 0.13: 0.036, 0.14: 0.313, 0.15: 0.747, 0.16: 0.972,
                    0.19: 1.0, 0.2: 1.0}
PUBLISHED_GLOROT = {0.0: 0.0, 0.1: 0.0, 0.12: 0.004, 0.13: 0.039, 0.14: 0.301, 0.15: 0.742, 0.16: 0.972, 0.17: 0.999,
                    0.2: 1.0}
SIGMAS = tuple(round(0.10 + 0.01 * i, 2) for i in range(11))


class TwoLayerReLUMap(JacobianMap):
    """``F(z) = W2 relu(W1 z + b1) + b2`` on R^N with its exact Jacobian ``W2 diag(1[W1 z + b1 > 0]) W1``.

    Shapes: ``W1 (H, N)``, ``W2 (N, H)``; states ``(B, N)``; Jacobians ``(B, N, N)``. Units: per step
    (``dt = None``)."""

    def __init__(self, w1: Array, b1: Array, w2: Array, b2: Array) -> None:
        self.w1 = np.asarray(w1, dtype=np.float64)
        self.b1 = np.asarray(b1, dtype=np.float64)
        self.w2 = np.asarray(w2, dtype=np.float64)
        self.b2 = np.asarray(b2, dtype=np.float64)
        h, n = self.w1.shape
        if self.w2.shape != (n, h) or self.b1.shape != (h,) or self.b2.shape != (n,):
            raise ValueError(f"TwoLayerReLUMap needs W1 (H, N), b1 (H,), W2 (N, H), b2 (N,); got {self.w1.shape}, "
                             f"{self.b1.shape}, {self.w2.shape}, {self.b2.shape}")
        self.dim = n
        self.dt = None

    def step(self, z: Array) -> Array:
        return np.maximum(z @ self.w1.T + self.b1, 0.0) @ self.w2.T + self.b2

    def jacobian(self, z: Array) -> Array:
        mask = (z @ self.w1.T + self.b1) > 0  # (B, H)
        return np.einsum("nh,bh,hm->bnm", self.w2, mask.astype(np.float64), self.w1)

    def tangent_step(self, z: Array, q: Array) -> tuple[Array, Array]:
        pre = z @ self.w1.T + self.b1
        mask = (pre > 0).astype(np.float64)
        y = np.maximum(pre, 0.0) @ self.w2.T + self.b2
        wq = np.einsum("hm,bmk->bhk", self.w1, q) * mask[:, :, None]
        return y, np.einsum("nh,bhk->bnk", self.w2, wq)


def _weights(scheme: str, sigma: float, shape: tuple[int, ...], rng: np.random.Generator) -> Array:
    if scheme == "normal":
        return rng.normal(0.0, sigma, shape)
    if scheme == "glorot_uniform_same_std":
        lim = np.sqrt(3.0) * sigma
        return rng.uniform(-lim, lim, shape)
    raise ValueError(f"unknown scheme {scheme!r}; expected 'normal' or 'glorot_uniform_same_std'")


def spectral_radius_fraction(sigma: float, trials: int, scheme: str, seed: SeedLike, n: int = 64,
                             x: Array | None = None) -> tuple[float, np.ndarray]:
    """Fraction of ``trials`` networks with ``max |eig J(x)| > 1``, and the radii."""
    rng = as_generator(seed)
    if x is None:
        x = np.random.default_rng(12345).integers(0, 17, n).astype(np.float64)
    radii = np.empty(trials)
    for i in range(trials):
        w1 = _weights(scheme, sigma, (n, n), rng)
        w2 = _weights(scheme, sigma, (n, n), rng)
        j = w2 @ ((w1 @ x > 0)[:, None] * w1)
        radii[i] = np.max(np.abs(np.linalg.eigvals(j)))
    return float(np.mean(radii > 1.0)), radii


def lyapunov_of_networks(sigma: float, networks: int, scheme: str, seed: SeedLike, n: int = 64,
                         n_steps: int = 300) -> dict[str, Any]:
    """lambda_max (per step) of ``networks`` random maps from the shared engine."""
    from rnnchaos.dynamics.lyapunov_spectrum import lyapunov_spectrum

    rng = as_generator(seed)
    lams = []
    notes: list[str] = []
    for _ in range(networks):
        fmap = TwoLayerReLUMap(_weights(scheme, sigma, (n, n), rng), np.zeros(n),
                               _weights(scheme, sigma, (n, n), rng), np.zeros(n))
        z0 = rng.normal(0.0, 1.0, (4, n))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                res = lyapunov_spectrum(fmap, z0, n_steps, k=1, transient=20, tangent_transient=20,
                                        seed=int(rng.integers(2**31)))
                lams.append(float(res.lambda_max))
            except ValueError as exc:
                notes.append(str(exc))
        notes.extend(str(w.message) for w in caught)
    arr = np.array(lams)
    return {"lambda_max_mean": float(arr.mean()) if arr.size else None,
            "lambda_max_min": float(arr.min()) if arr.size else None,
            "lambda_max_max": float(arr.max()) if arr.size else None,
            "fraction_lambda_positive": float(np.mean(arr > 0)) if arr.size else None,
            "n_lyapunov": int(arr.size), "engine_notes": len(notes)}


def run_higher_dim(trials: int = 1000, seed: int = 0, lyapunov_networks: int = 8,
                   sigmas: tuple[float, ...] = SIGMAS) -> list[dict[str, Any]]:
    rows = []
    for si, scheme in enumerate(("normal", "glorot_uniform_same_std")):
        for k, sigma in enumerate(sigmas):
            frac, radii = spectral_radius_fraction(sigma, trials, scheme, seed=seed * 1000 + si * 100 + k)
            pub = (PUBLISHED_NORMAL if scheme == "normal" else PUBLISHED_GLOROT).get(sigma)
            row: dict[str, Any] = {"scheme": scheme, "sigma": sigma, "trials": trials,
                                   "fraction_spectral_radius_gt_1": frac,
                                   "median_spectral_radius": float(np.median(radii)),
                                   "published_fraction": pub}
            row.update(lyapunov_of_networks(sigma, lyapunov_networks, scheme, seed=seed * 1000 + 500 + si * 100 + k))
            rows.append(row)
    return rows


@styled(SMALL_STYLE)
def plot_higher_dim(rows: list[dict[str, Any]], path: str | os.PathLike[str]) -> Path:
    fig = new_figure((11.5, 4.5))
    a1, a2 = fig.subplots(1, 2)
    colors = {"normal": "#b2182b", "glorot_uniform_same_std": "#2166ac"}
    for scheme, pub in (("normal", PUBLISHED_NORMAL), ("glorot_uniform_same_std", PUBLISHED_GLOROT)):
        rs = [r for r in rows if r["scheme"] == scheme]
        s = [r["sigma"] for r in rs]
        a1.plot(s, [r["fraction_spectral_radius_gt_1"] for r in rs], marker="o", color=colors[scheme],
                label=f"{scheme} (ours)")
        ps = sorted(p for p in pub if 0.095 <= p <= 0.205)
        a1.plot(ps, [pub[p] for p in ps], ls=":", marker="x", color=colors[scheme],
                label=f"{'Normal' if scheme == 'normal' else 'Glorot'} (published notebook)")
        lam = [r["lambda_max_mean"] if r["lambda_max_mean"] is not None else np.nan for r in rs]
        lo = [r["lambda_max_min"] if r["lambda_max_min"] is not None else np.nan for r in rs]
        hi = [r["lambda_max_max"] if r["lambda_max_max"] is not None else np.nan for r in rs]
        a2.plot(s, lam, marker="o", color=colors[scheme], label=f"{scheme}: mean")
        a2.fill_between(s, lo, hi, color=colors[scheme], alpha=0.15)
    a1.set_xlabel("weight standard deviation sigma")
    a1.set_ylabel("fraction with spectral radius of J > 1")
    a1.set_title(f"64-d two-layer ReLU maps, Jacobian at a fixed input\n{rows[0]['trials']} networks per point")
    a1.grid(alpha=0.3)
    a1.legend(fontsize=8)
    a2.axhline(0.0, color="k", lw=0.8)
    a2.set_xlabel("weight standard deviation sigma")
    a2.set_ylabel("lambda_max (per step)")
    a2.set_title(f"largest Lyapunov exponent (shared QR engine), {rows[0]['n_lyapunov']} networks per point\n"
                 "(band: min-max over networks)")
    a2.grid(alpha=0.3)
    a2.legend(fontsize=8)
    return save_figure(fig, path, dpi=FIGURE_DPI)


def reproduce_higher_dim(out: str | os.PathLike[str], trials: int = 1000, seed: int = 0) -> list[Path]:
    rows = run_higher_dim(trials=trials, seed=seed)
    meta = {"paper": PAPER, "source": f"{REPO}/Higher_Dimensions.ipynb (arrays xs_1/ys_1, xs_glo/ys_glo)",
            "trials_per_sigma": trials, "seed": seed, "biases": "zero (as in the notebook)",
            "input": "fixed integer vector in [0, 16]^64 (the notebook used the first sklearn digit)",
            "glorot_note": "the notebook's 'Glorot' curve code is not shown; we use U(+-sqrt(3) sigma)",
            "lyapunov": "lambda_max per step, shared engine, 4 initial conditions x 300 steps per network"}
    table = write_table(rows, out, "higher_dim", meta=meta, nonfinite="string", newline="\r\n")
    return [table["csv"], table["json"], plot_higher_dim(rows, Path(out) / "higher_dim.png")]
