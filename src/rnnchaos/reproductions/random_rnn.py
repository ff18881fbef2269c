"""Random high-dimensional tanh RNNs: λ_max against gain and width, and the probability of chaos.

Model: ``h_{t+1} = tanh(g W h_t)`` with ``W`` drawn from an initialisation scheme (``normal``:
``N(0, 1/N)``; ``he``: ``N(0, 2/N)`` (He et al. 2015); ``glorot``: ``U(±sqrt(3/N))`` (Glorot & Bengio
2010); ``orthogonal`` (Saxe et al. 2014)). For ``normal`` weights and ``N -> ∞`` the network is
chaotic iff ``g > 1`` (Sompolinsky, Crisanti & Sommers 1988 for the continuous-time network;
Molgedey, Schuchhardt & Schuster 1992 and Cessac 1995 for the discrete-time map used here).

Mean-field prediction (Molgedey et al. 1992; Toyoizumi & Abbott 2011): with ``σ = g · std(W_ij) sqrt(N)``
the local field is Gaussian with variance ``Δ = σ² E[tanh(√Δ ξ)²]`` (``Δ = 0`` for ``σ <= 1``) and
``λ_max = ½ ln(σ² E[(1 - tanh²(√Δ ξ))²])`` per step (``= ln σ`` below the transition). It is exact for
Gaussian weights as ``N -> ∞`` and drawn for comparison only.

λ_max is computed with the shared tangent-space QR engine (Benettin et al. 1980) on a
:class:`RandomRNNEnsemble`: ``B`` independent networks batched as ``B`` "initial conditions", one state
per network, so a whole set of trials costs one batched run. Cost per (scheme, width, gain):
``(transient + n_steps) * B N^2``. Units: per step.
"""

from __future__ import annotations

import csv
import io
import math
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from rnnchaos._util.atomic import write_json_atomic, write_text_atomic
from rnnchaos._util.figures import STYLE, new_figure, save_figure, styled
from rnnchaos._util.progress import progress
from rnnchaos._util.rng import SeedLike, as_generator
from rnnchaos._util.validation import positive_int
from rnnchaos.dynamics.lyapunov_spectrum import lyapunov_spectrum
from rnnchaos.models.gated import init_recurrent

Array = NDArray[np.float64]
SCHEMES = ("normal", "he", "glorot", "orthogonal")
#: std(W_ij) * sqrt(N) of each scheme (the effective gain at g = 1)
SCHEME_SCALE = {"normal": 1.0, "he": math.sqrt(2.0), "glorot": 1.0, "orthogonal": 1.0}


class RandomRNNEnsemble:
    """``B`` independent networks ``h <- tanh(g W_b h)`` as one batched :class:`~rnnchaos.core.TangentMap`.

    Row ``b`` of a batch ``(B, N)`` is the state of network ``b``: use it with exactly ``B`` initial
    conditions. ``tangent_step`` computes ``(1 - h'^2) ⊙ (g W_b Q_b)`` without forming the Jacobian.
    """

    dt: float | None = None

    def __init__(self, weights: Array, gain: float) -> None:
        w = np.asarray(weights, dtype=np.float64)
        if w.ndim != 3 or w.shape[1] != w.shape[2]:
            raise ValueError(f"weights must have shape (B, N, N), got {w.shape}")
        self.gw = float(gain) * w
        self.dim = w.shape[1]

    def _check(self, z: Array) -> None:
        if z.shape[0] != self.gw.shape[0]:
            raise ValueError(f"this ensemble has {self.gw.shape[0]} networks; give one state per network, "
                             f"got a batch of {z.shape[0]}")

    def step(self, z: Array) -> Array:
        self._check(z)
        return np.tanh(np.matmul(self.gw, z[:, :, None])[:, :, 0])

    def tangent_step(self, z: Array, q: Array) -> tuple[Array, Array]:
        self._check(z)
        hn = np.tanh(np.matmul(self.gw, z[:, :, None])[:, :, 0])
        return hn, (1.0 - hn * hn)[:, :, None] * np.matmul(self.gw, q)


def random_weights(scheme: str, width: int, trials: int, seed: SeedLike = None) -> Array:
    """``trials`` recurrent matrices ``(trials, N, N)`` (float64) from ``scheme`` at unit gain."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown init scheme {scheme!r}; choose one of {SCHEMES}")
    width = positive_int(width, "width")
    trials = positive_int(trials, "trials")
    rng = as_generator(seed)
    gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
    return np.stack([init_recurrent(scheme, width, width, gen).numpy() for _ in range(trials)])


def mean_field_lambda(sigma: float, n_quad: int = 101) -> float:
    """Mean-field λ_max (per step) of ``h <- tanh(W h)`` with ``std(W_ij) = sigma / sqrt(N)``, ``N -> ∞``.

    Gauss–Hermite quadrature for the Gaussian averages; the variance ``Δ`` by fixed-point iteration.
    """
    if sigma <= 0:
        return -math.inf
    x, w = np.polynomial.hermite_e.hermegauss(n_quad)
    w = w / w.sum()
    delta = 0.0
    if sigma > 1.0:
        delta = 1.0
        for _ in range(5000):
            new = sigma**2 * float(np.sum(w * np.tanh(math.sqrt(delta) * x) ** 2))
            if abs(new - delta) < 1e-14:
                delta = new
                break
            delta = new
    d = 1.0 - np.tanh(math.sqrt(delta) * x) ** 2
    return 0.5 * math.log(sigma**2 * float(np.sum(w * d * d)))


def lambda_max_random_rnn(scheme: str, width: int, gain: float, trials: int, *, n_steps: int = 1500,
                          transient: int = 500, seed: SeedLike = None) -> Array:
    """λ_max (per step) of ``trials`` random networks ``tanh(g W h)``: array ``(trials,)``."""
    rng = as_generator(seed)
    weights = random_weights(scheme, width, trials, rng)
    h0 = rng.normal(0.0, 1.0, size=(trials, width))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec = lyapunov_spectrum(RandomRNNEnsemble(weights, gain), h0, n_steps, k=1, transient=transient,
                                 tangent_transient=100, seed=rng)
    return spec.per_initial_condition[:, 0].copy()


def run_rnn_gain(*, gains: Any = None, widths: Any = (50, 100, 200, 400), schemes: Any = SCHEMES,
                 scheme_width: int = 200, trials: int = 8, n_steps: int = 1500, transient: int = 500,
                 chaos_threshold: float = 0.005, seed: SeedLike = 0,
                 show_progress: bool = False) -> dict[str, Any]:
    """The whole experiment: λ_max against ``g`` for every width (``normal`` init) and for every scheme
    at ``scheme_width``, ``trials`` networks each. Returns ``{"rows": [...], "summary": [...], ...}``;
    a trial counts as chaotic when ``λ_max > chaos_threshold``.
    """
    gains = np.round(np.linspace(0.5, 2.5, 17), 4) if gains is None else np.asarray(gains, dtype=np.float64)
    trials = positive_int(trials, "trials")
    widths = [positive_int(w, "width") for w in widths]
    schemes = list(schemes)
    for s in schemes:
        if s not in SCHEMES:
            raise ValueError(f"unknown init scheme {s!r}; choose from {SCHEMES}")
    ss = np.random.SeedSequence(int(as_generator(seed).integers(2**62)))
    configs = [("normal", w) for w in widths] + [(s, scheme_width) for s in schemes
                                                  if (s, scheme_width) not in [("normal", w) for w in widths]]
    rows: list[dict[str, Any]] = []
    summary: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    jobs = [(s, w, float(g)) for s, w in configs for g in gains]
    children = ss.spawn(len(jobs))
    for (scheme, width, g), child in progress(list(zip(jobs, children, strict=True)), desc="rnn-gain",
                                              total=len(jobs), enabled=show_progress):
        lam = lambda_max_random_rnn(scheme, width, g, trials, n_steps=n_steps, transient=transient,
                                    seed=np.random.default_rng(child))
        for i, v in enumerate(lam):
            rows.append({"scheme": scheme, "width": width, "gain": g, "trial": i, "lambda_max": float(v)})
        summary.append({"scheme": scheme, "width": width, "gain": g,
                        "effective_gain": g * SCHEME_SCALE[scheme],
                        "lambda_mean": float(np.mean(lam)), "lambda_std": float(np.std(lam)),
                        "p_chaos": float(np.mean(lam > chaos_threshold)),
                        "mean_field_lambda": mean_field_lambda(g * SCHEME_SCALE[scheme])})
    return {"rows": rows, "summary": summary, "gains": gains.tolist(), "widths": widths, "schemes": schemes,
            "scheme_width": scheme_width, "trials": trials, "n_steps": n_steps, "transient": transient,
            "chaos_threshold": chaos_threshold, "units": "per_step",
            "seconds": time.perf_counter() - t0}


def write_rnn_gain(result: dict[str, Any], out_dir: str | Path) -> dict[str, str]:
    """Write ``rnn_gain.csv`` (one row per trial), ``rnn_gain.json`` (summary) and ``rnn_gain.png``,
    each atomically. Returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=["scheme", "width", "gain", "trial", "lambda_max"])
    writer.writeheader()
    writer.writerows(result["rows"])
    paths = {"csv": str(out / "rnn_gain.csv"), "json": str(out / "rnn_gain.json"), "png": str(out / "rnn_gain.png")}
    write_text_atomic(paths["csv"], buf.getvalue())
    write_json_atomic(paths["json"], {k: v for k, v in result.items() if k != "rows"})
    plot_rnn_gain(result, paths["png"])
    return paths


@styled(STYLE)
def plot_rnn_gain(result: dict[str, Any], path: str | Path) -> None:
    """Three panels: λ_max vs g by scheme (with mean-field curve), by width, and P(chaos) vs g."""
    import matplotlib

    summ = result["summary"]
    fig = new_figure((16, 4.8), layout="constrained")
    axes = fig.subplots(1, 3)
    sw = result["scheme_width"]
    gfine = np.linspace(min(result["gains"]), max(result["gains"]), 200)
    colors = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    ax = axes[0]
    for i, scheme in enumerate(result["schemes"]):
        rows = [r for r in summ if r["scheme"] == scheme and r["width"] == sw]
        if not rows:
            continue
        g = np.array([r["gain"] for r in rows])
        ax.errorbar(g, [r["lambda_mean"] for r in rows], yerr=[r["lambda_std"] for r in rows], marker="o",
                    ms=4, capsize=2, color=colors[i % len(colors)], label=f"{scheme} (N={sw})")
        ax.plot(gfine, [mean_field_lambda(x * SCHEME_SCALE[scheme]) for x in gfine], ls="--", lw=1,
                color=colors[i % len(colors)])
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xlabel("gain g")
    ax.set_ylabel("λ_max (per step)")
    ax.set_title("λ_max by initialisation (dashed: mean-field, N→∞)")
    ax.legend(fontsize=9)
    ax = axes[1]
    for i, width in enumerate(result["widths"]):
        rows = [r for r in summ if r["scheme"] == "normal" and r["width"] == width]
        g = np.array([r["gain"] for r in rows])
        ax.errorbar(g, [r["lambda_mean"] for r in rows], yerr=[r["lambda_std"] for r in rows], marker="o",
                    ms=4, capsize=2, color=colors[i % len(colors)], label=f"N={width}")
    ax.plot(gfine, [mean_field_lambda(x) for x in gfine], "k--", lw=1, label="mean-field")
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xlabel("gain g")
    ax.set_ylabel("λ_max (per step)")
    ax.set_title("λ_max by width, W ~ N(0, 1/N)")
    ax.legend(fontsize=9)
    ax = axes[2]
    for i, scheme in enumerate(result["schemes"]):
        rows = [r for r in summ if r["scheme"] == scheme and r["width"] == sw]
        if rows:
            ax.plot([r["gain"] for r in rows], [r["p_chaos"] for r in rows], marker="o", ms=4,
                    color=colors[i % len(colors)], label=f"{scheme} (N={sw})")
    greys = matplotlib.colormaps["Greys"]
    others = [w for w in result["widths"] if w != sw]
    for j, width in enumerate(others):
        rows = [r for r in summ if r["scheme"] == "normal" and r["width"] == width]
        ax.plot([r["gain"] for r in rows], [r["p_chaos"] for r in rows], ls=":", marker=".",
                color=greys(0.4 + 0.6 * (j + 1) / (len(others) + 1)), label=f"normal (N={width})")
    ax.set_xlabel("gain g")
    ax.set_ylabel(f"P(λ_max > {result['chaos_threshold']:g})")
    ax.set_ylim(-0.03, 1.03)
    ax.set_title(f"probability of chaos over {result['trials']} initialisations")
    ax.legend(fontsize=8)
    fig.suptitle("Random tanh RNNs h ← tanh(g W h): transition to chaos", fontsize=13)
    save_figure(fig, path, dpi=110, tight=False)
