"""Figures of a reconstruction report, as ``matplotlib.figure.Figure`` objects.

Every function takes plain arrays and returns a Figure (drawn in the report style ``STYLE`` inside a
``matplotlib.rc_context``; no backend is chosen and no global rcParams change), so that it shows inline
in a notebook; ``save_figure(fig, path)`` writes it as a PNG atomically:

* ``plot_attractors(x_true, x_gen)``: data and model attractors side by side (3-D for N = 3,
  pairwise projections of the first four dimensions otherwise);
* ``plot_time_series(x_true, x_gen)``: the first steps of data and free run from the same start;
* ``plot_power_spectra(x_true, x_gen, preset)``: the smoothed spectra that D_H compares;
* ``plot_prediction_error(curve)``: PE(1..n);
* ``plot_lyapunov(model_exponents, data_lambda_max)``: model spectrum beside the data's lambda_max;
* ``plot_training(history)``: loss, forcing interval tau (or alpha), lambda_max during training.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from rnnchaos._util.figures import STYLE, new_figure, save_figure, styled  # save_figure: re-exported
from rnnchaos.metrics.power_spectrum import _chunks, chunked_spectrum, whole_spectrum
from rnnchaos.metrics.presets import MetricPreset, get_preset

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_attractors", "plot_time_series", "plot_power_spectra", "plot_prediction_error",
           "plot_lyapunov", "plot_training", "save_figure", "STYLE"]

DATA_COLOR, MODEL_COLOR = "#1f4e9c", "#c0392b"


def _labels(n: int, labels: Sequence[str] | None) -> list[str]:
    return list(labels) if labels is not None else [f"x{i + 1}" for i in range(n)]


@styled(STYLE)
def plot_attractors(x_true: NDArray[np.float64], x_gen: NDArray[np.float64], *,
                    max_points: int = 20_000, labels: Sequence[str] | None = None,
                    title: str | None = None) -> Figure:
    """Data (left) and model (right) attractors on the same axes; (T, N) arrays.

    The data's first ``max_points`` steps and the model's **last** ``max_points`` steps (its long-term
    behaviour: a free run that starts chaotic and later collapses onto a cycle shows the cycle).
    """
    b_all = np.asarray(x_gen)
    start = max(0, b_all.shape[0] - max_points)
    a, b = np.asarray(x_true)[:max_points], b_all[start:]
    n = a.shape[1]
    names = _labels(n, labels)
    finite_b = b[np.all(np.isfinite(b), axis=1)]
    both = np.vstack([a, finite_b]) if finite_b.size else a
    lo, hi = both.min(0), both.max(0)
    pad = 0.05 * np.where(hi > lo, hi - lo, 1.0)
    lo, hi = lo - pad, hi + pad
    if n == 3:
        fig = new_figure((11, 5))
        for k, (arr, col) in enumerate(((a, DATA_COLOR), (finite_b, MODEL_COLOR))):
            ax = fig.add_subplot(1, 2, k + 1, projection="3d")
            if arr.size:
                ax.plot(arr[:, 0], arr[:, 1], arr[:, 2], lw=0.3, color=col)
            ax.set_xlim(lo[0], hi[0])
            ax.set_ylim(lo[1], hi[1])
            ax.set_zlim(lo[2], hi[2])
            ax.set_xlabel(names[0])
            ax.set_ylabel(names[1])
            ax.set_zlabel(names[2])
            ax.set_title(f"data (steps 0-{len(a):,})" if k == 0 else
                         f"model free run (steps {start:,}-{start + len(arr):,})")
    else:
        dims = list(range(min(n, 4)))
        pairs = [(i, j) for i in dims for j in dims if i < j] or [(0, 0)]
        fig = new_figure((3.6 * len(pairs) + 1, 7), layout="constrained")
        axes = fig.subplots(2, len(pairs), squeeze=False)
        for col_idx, (i, j) in enumerate(pairs):
            for row, (arr, name, col) in enumerate(((a, "data", DATA_COLOR), (finite_b, "model", MODEL_COLOR))):
                ax = axes[row, col_idx]
                if n == 1:
                    ax.plot(arr[:-1, 0], arr[1:, 0], ",", color=col) if arr.size else None
                    ax.set_xlabel(f"{names[0]}(t)")
                    ax.set_ylabel(f"{names[0]}(t+1)")
                else:
                    if arr.size:
                        ax.plot(arr[:, i], arr[:, j], lw=0.3, color=col)
                    ax.set_xlim(lo[i], hi[i])
                    ax.set_ylim(lo[j], hi[j])
                    ax.set_xlabel(names[i])
                    ax.set_ylabel(names[j])
                span = f"steps 0-{len(a):,}" if row == 0 else f"steps {start:,}-{start + len(arr):,}"
                ax.set_title(f"{name} ({span})" if n == 1 else f"{name}, {span}: {names[i]} vs {names[j]}",
                             fontsize=10)
    if title:
        fig.suptitle(title)
    return fig


@styled(STYLE)
def plot_time_series(x_true: NDArray[np.float64], x_gen: NDArray[np.float64], *,
                     n_steps: int = 1500, labels: Sequence[str] | None = None,
                     mark: float | None = None) -> Figure:
    """The first ``n_steps`` of data and model free run (same start), one panel per dimension (at most 5).

    ``mark``: a time (in steps) drawn as a vertical line, e.g. the predictability time tau_pred.
    """
    a, b = np.asarray(x_true)[:n_steps], np.asarray(x_gen)[:n_steps]
    n = min(a.shape[1], 5)
    names = _labels(a.shape[1], labels)
    fig = new_figure((11, 1.9 * n + 0.6))
    axes = fig.subplots(n, 1, sharex=True, squeeze=False)
    for d in range(n):
        ax = axes[d, 0]
        ax.plot(a[:, d], color=DATA_COLOR, lw=1.2, label="data")
        ax.plot(b[:, d], color=MODEL_COLOR, lw=1.0, ls="--", label="model (free run)")
        ax.set_ylabel(names[d])
        if mark is not None and np.isfinite(mark):
            ax.axvline(mark, color="gray", lw=0.8, ls=":")
    axes[0, 0].legend(loc="upper right", ncol=2)
    if mark is not None and np.isfinite(mark):
        axes[0, 0].set_title(f"free run from the data's first point (dotted: tau_pred = {mark:.0f} steps)")
    axes[-1, 0].set_xlabel("time step")
    return fig


@styled(STYLE)
def plot_power_spectra(x_true: NDArray[np.float64], x_gen: NDArray[np.float64],
                       preset: str | MetricPreset = "stf2022-corrected", *, d_h_per_dim: Sequence[float] | None = None,
                       labels: Sequence[str] | None = None) -> Figure:
    """The smoothed power spectra that D_H compares (normalised to unit area), data vs model, per dimension."""
    p = get_preset(preset)
    a, b = np.asarray(x_true, dtype=np.float64), np.asarray(x_gen, dtype=np.float64)
    if p.dh_mode == "whole":
        t = min(len(a), len(b))
        sa, sb = whole_spectrum(a[:t], p.dh_sigma), whole_spectrum(b[:t], p.dh_sigma)
        freq_per_bin = 1.0 / t
    else:
        length = min(len(a) // p.dh_n_chunks, len(b) // p.dh_n_chunks)
        sa = chunked_spectrum(_chunks(a, p.dh_n_chunks, length), p.dh_sigma, p.dh_cutoff)
        sb = chunked_spectrum(_chunks(b, p.dh_n_chunks, length), p.dh_sigma, p.dh_cutoff)
        freq_per_bin = 1.0 / (length - length % 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        sa = sa / np.nansum(sa, axis=0)
        sb = sb / np.nansum(sb, axis=0)
    n = min(a.shape[1], 5)
    names = _labels(a.shape[1], labels)
    fig = new_figure((4.2 * n, 3.8), layout="constrained")
    axes = fig.subplots(1, n, squeeze=False)
    f = np.arange(sa.shape[0]) * freq_per_bin
    for d in range(n):
        ax = axes[0, d]
        ax.semilogy(f[1:], sa[1:, d], color=DATA_COLOR, lw=1.4, label="data")
        if np.isfinite(sb[:, d]).any():
            ax.semilogy(f[1:], sb[1:, d], color=MODEL_COLOR, lw=1.2, ls="--", label="model")
        title = names[d]
        if d_h_per_dim is not None:
            title += f"   D_H = {d_h_per_dim[d]:.3f}"
        ax.set_title(title)
        ax.set_xlabel("frequency (cycles / step)")
        positive = sa[1:, d][sa[1:, d] > 0]
        if positive.size:
            ax.set_ylim(max(positive.max() * 1e-6, positive.min()), positive.max() * 3)
    axes[0, 0].set_ylabel(f"power (normalised), preset {p.name}")
    axes[0, 0].legend()
    return fig


@styled(STYLE)
def plot_prediction_error(curve: Sequence[float], *,
                          baseline: Sequence[float] | None = None) -> Figure:
    """PE(n) against n (log scale); ``baseline``: e.g. the error of the 'nothing changes' predictor."""
    c = np.asarray(curve, dtype=np.float64)
    n = np.arange(1, len(c) + 1)
    fig = new_figure((6, 4))
    ax = fig.subplots()
    ax.semilogy(n, c, "o-", color=MODEL_COLOR, ms=3, label="model")
    if baseline is not None:
        ax.semilogy(n, np.asarray(baseline, dtype=np.float64), "s--", color="gray", ms=3,
                    label="persistence (x_t+n = x_t)")
    ax.set_xlabel("prediction horizon n (steps)")
    ax.set_ylabel("PE(n) (mean squared error, data units)")
    ax.legend()
    ax.grid(alpha=0.3)
    return fig


@styled(STYLE)
def plot_lyapunov(model_exponents: Sequence[float], data_lambda_max: float | None,
                  *, units: str = "per step", max_show: int = 40, n_leading: int = 3) -> Figure:
    """The model's Lyapunov spectrum (bars, left: all; right: the ``n_leading`` largest, zoomed) beside the
    data's largest exponent (dashed line)."""
    e = np.asarray(model_exponents, dtype=np.float64)[:max_show]
    fig = new_figure((11, 4), layout="constrained")
    axes = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.6, 1]})
    lam_ok = data_lambda_max is not None and np.isfinite(data_lambda_max)
    for k, ax in enumerate(axes):
        vals = e if k == 0 else e[:n_leading]
        idx = np.arange(1, len(vals) + 1)
        ax.bar(idx, vals, color=MODEL_COLOR, alpha=0.8, label="model spectrum")
        ax.axhline(0.0, color="black", lw=0.6)
        if lam_ok:
            ax.axhline(float(data_lambda_max), color=DATA_COLOR, ls="--", lw=1.5,  # type: ignore[arg-type]
                       label=f"data lambda_max = {data_lambda_max:.4f}")
        ax.set_xlabel("exponent index")
        ax.grid(alpha=0.3, axis="y")
        if k == 1 and len(vals):
            top = max(abs(float(vals[0])), abs(float(data_lambda_max)) if lam_ok else 0.0, 1e-3)  # type: ignore[arg-type]
            low = -4.0 * top
            ax.set_ylim(low, 2.5 * top)
            for i_, v in zip(idx, vals, strict=True):
                y = max(float(v), 0.9 * low)
                ax.annotate(f"{v:.4f}", (i_, y), ha="center", va="bottom" if v >= 0 else "top", fontsize=9,
                            xytext=(0, 2 if v >= 0 else -2), textcoords="offset points")
            ax.set_xticks(idx)
            ax.set_title(f"leading {len(vals)} (zoom; bars below are cut)")
    axes[0].set_ylabel(f"Lyapunov exponent ({units})")
    axes[0].set_title(f"model lambda_max = {e[0]:.4f} {units}" if len(e) else "model spectrum")
    axes[0].legend(loc="lower left", framealpha=0.95)
    return fig


@styled(STYLE)
def plot_training(history: Sequence[dict[str, Any]]) -> Figure:
    """Training curves from ``metrics.jsonl`` records: loss (log), tau or alpha, lambda_max model vs data."""
    epochs = np.array([h.get("epoch", i) for i, h in enumerate(history)], dtype=np.float64)
    loss = np.array([h.get("loss", np.nan) for h in history], dtype=np.float64)
    forcing_key = "tau" if any("tau" in h for h in history) else ("alpha" if any("alpha" in h for h in history)
                                                                   else None)
    lam = [(h.get("epoch", i), h.get("lambda_max_model"), h.get("lambda_max_data")) for i, h in enumerate(history)
           if h.get("lambda_max_model") is not None]
    n_panels = 1 + (forcing_key is not None) + bool(lam)
    fig = new_figure((5.2 * n_panels, 3.8), layout="constrained")
    axes = fig.subplots(1, n_panels, squeeze=False)
    ax = axes[0, 0]
    ax.semilogy(epochs, loss, color="black", lw=1.0)
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss")
    ax.grid(alpha=0.3)
    k = 1
    if forcing_key is not None:
        ax = axes[0, k]
        vals = np.array([h.get(forcing_key, np.nan) if h.get(forcing_key) is not None else np.nan for h in history],
                        dtype=np.float64)
        ax.plot(epochs, vals, color="#6a3d9a", lw=1.2)
        ax.set_xlabel("epoch")
        ax.set_ylabel("forcing interval tau (steps)" if forcing_key == "tau" else "forcing alpha")
        ax.grid(alpha=0.3)
        k += 1
    if lam:
        ax = axes[0, k]
        ep = np.array([r[0] for r in lam], dtype=np.float64)
        ax.plot(ep, np.array([r[1] for r in lam], dtype=np.float64), "o-", color=MODEL_COLOR, ms=3,
                label="model")
        data_vals = [r[2] for r in lam if r[2] is not None]
        if data_vals:
            ax.axhline(float(data_vals[-1]), color=DATA_COLOR, ls="--", label="data")
        ax.set_xlabel("epoch")
        ax.set_ylabel("lambda_max (per step)")
        ax.legend()
        ax.grid(alpha=0.3)
    return fig
