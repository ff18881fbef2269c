"""State-space divergence D_stsp: how well a generated trajectory reproduces the data's attractor geometry.

Two estimators of the Kullback-Leibler divergence between the state-space distributions of the data and of
a model's free-running trajectory, each with the settings of a named preset (``rnnchaos.metrics.presets``):

* **binning** (Koppe et al., 2019; Mikhaeil et al., 2022; Hess et al., 2023), for few observed dimensions:
  a histogram of ``B`` bins per dimension, Laplace smoothing ``alpha``, ``KL(p_data || p_model)``.
  Vectorised: one ``np.ravel_multi_index`` per series and ``np.bincount`` (or ``np.unique`` when ``B**N``
  cells would not fit in memory); cells empty in both histograms are summed in closed form.
  Cost O(T N + B^N) (O(T N log T) in the sparse path).
* **Gaussian mixture** (Hershey & Olsen, 2007; Mikhaeil et al., 2022; Hess et al., 2023), for many
  dimensions: one isotropic Gaussian of variance ``sigma2`` per time step, a Monte Carlo estimate of the
  KL with ``M`` samples. The mixture densities are evaluated by a chunked log-sum-exp (never more than
  ``M x chunk`` distances in memory). Cost O(M T N).

D_stsp is dimensionless (nats); 0 means identical distributions (up to the estimator).
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from rnnchaos._util.rng import SeedLike, as_generator
from rnnchaos._util.validation import as_trajectory, positive_int
from rnnchaos.metrics.presets import DEFAULT_PRESET, MetricPreset, get_preset

__all__ = ["state_space_divergence", "binned_kl", "gmm_kl", "histogram_range", "bin_indices"]

Array = NDArray[np.float64]
_DENSE_CELL_LIMIT = 1 << 22  # above this many cells the histogram is kept sparse
_FLOAT32_EXP_UNDERFLOW = math.log(2.0**-150)  # exp(x) rounds to 0.0 in float32 below this


def _check_pair(x_true: Any, x_gen: Any) -> tuple[Array, Array]:
    xt = as_trajectory(x_true, name="x_true (data)", min_length=2)
    xg = as_trajectory(x_gen, name="x_gen (model trajectory)", min_length=2)
    if xt.shape[1] != xg.shape[1]:
        raise ValueError(f"x_true has {xt.shape[1]} columns but x_gen has {xg.shape[1]}; both must be (T, N) "
                         "with the same N")
    return xt, xg


def histogram_range(x_true: Array, preset: MetricPreset) -> tuple[Array, Array]:
    """Lower and upper histogram edges per dimension (from the data only), as the preset defines them.

    ``sd_zero``: [-k sd, +k sd] (stf2022, around zero); ``sd_mean``: mean +- k sd; ``minmax``:
    [min - k sd, max + k sd] (gtf2023). sd uses ddof=1, as torch and Julia do.
    """
    sd = x_true.std(axis=0, ddof=1)
    k = preset.range_k
    if preset.bin_range == "sd_zero":
        lo, hi = -k * sd, k * sd
    elif preset.bin_range == "sd_mean":
        mu = x_true.mean(axis=0)
        lo, hi = mu - k * sd, mu + k * sd
    else:
        lo, hi = x_true.min(axis=0) - k * sd, x_true.max(axis=0) + k * sd
    if np.any(hi <= lo):
        bad = int(np.argmax(hi <= lo))
        raise ValueError(f"x_true is constant in column {bad}; D_stsp needs a data series that varies in every "
                         "dimension")
    return lo, hi


def bin_indices(x: Array, lo: Array, hi: Array, n_bins: int, drop_lowest_bin: bool) -> NDArray[np.int64]:
    """Flat histogram cell index of every kept point of ``x`` (T, N).

    With ``drop_lowest_bin`` (the stf2022 quirk) the index is truncated toward zero, as
    ``torch.Tensor.long()`` does, and a point is kept only if every index is > 0 and < B; otherwise the
    index is the floor and a point is kept if every index is in [0, B).
    """
    u = (x - lo) / (hi - lo) * n_bins
    if drop_lowest_bin:
        idx = np.trunc(u)
        keep = np.all((idx > 0) & (idx < n_bins), axis=1)
    else:
        idx = np.floor(u)
        keep = np.all((idx >= 0) & (idx < n_bins), axis=1)
    coords = idx[keep].astype(np.int64)
    return np.ravel_multi_index(tuple(coords.T), (n_bins,) * x.shape[1]).astype(np.int64)


def binned_kl(x_true: Array, x_gen: Array, *, n_bins: int, lo: Array, hi: Array, alpha: float,
              drop_lowest_bin: bool) -> float:
    """KL(p_data || p_model) between Laplace-smoothed histograms, p = (h + alpha)/(sum h + alpha B^N).

    Returns NaN when the model (or data) histogram is empty, as both published codes do.
    """
    n_dim = x_true.shape[1]
    n_cells_f = float(n_bins) ** n_dim
    if n_cells_f >= 2.0**62:
        raise ValueError(f"{n_bins} bins in {n_dim} dimensions is too many cells for a histogram; use "
                         "method='gmm' for high-dimensional data")
    n_cells = int(n_cells_f)
    it = bin_indices(x_true, lo, hi, n_bins, drop_lowest_bin)
    ig = bin_indices(x_gen, lo, hi, n_bins, drop_lowest_bin)
    n_t, n_g = it.size, ig.size
    if n_t == 0 or n_g == 0:
        return float("nan")
    z_t = n_t + alpha * n_cells
    z_g = n_g + alpha * n_cells
    if n_cells <= _DENSE_CELL_LIMIT:
        h_t = np.bincount(it, minlength=n_cells).astype(np.float64)
        h_g = np.bincount(ig, minlength=n_cells).astype(np.float64)
        p = (h_t + alpha) / z_t
        q = (h_g + alpha) / z_g
        return float(np.sum(p * np.log(p / q)))
    # sparse: only occupied cells are listed; the rest all have p = alpha/z_t, q = alpha/z_g
    cells, inverse = np.unique(np.concatenate([it, ig]), return_inverse=True)
    h_t = np.bincount(inverse[:n_t], minlength=cells.size).astype(np.float64)
    h_g = np.bincount(inverse[n_t:], minlength=cells.size).astype(np.float64)
    p = (h_t + alpha) / z_t
    q = (h_g + alpha) / z_g
    n_empty = n_cells - cells.size
    p0 = alpha / z_t
    return float(np.sum(p * np.log(p / q)) + n_empty * p0 * math.log(z_g / z_t))


def _mixture_logpdf(samples: Array, means: Array, sigma2: float, chunk: int = 2048) -> tuple[Array, Array]:
    """log of the mixture density (1/T) sum_t N(s; mu_t, sigma2 I) at each sample, by chunked log-sum-exp.

    Also returns the largest exponent -|s - mu_t|^2/(2 sigma2) per sample (for the float32-underflow
    emulation). Memory O(M * chunk).
    """
    m, n = samples.shape
    running_max = np.full(m, -np.inf)
    running_sum = np.zeros(m)
    s2 = np.einsum("ij,ij->i", samples, samples)
    for start in range(0, means.shape[0], chunk):
        mu = means[start:start + chunk]
        d2 = s2[:, None] - 2.0 * samples @ mu.T + np.einsum("ij,ij->i", mu, mu)[None, :]
        e = -0.5 * np.maximum(d2, 0.0) / sigma2
        cmax = e.max(axis=1)
        new_max = np.maximum(running_max, cmax)
        running_sum = running_sum * np.exp(running_max - new_max) + np.exp(e - new_max[:, None]).sum(axis=1)
        running_max = new_max
    log_norm = -math.log(means.shape[0]) - 0.5 * n * math.log(2.0 * math.pi * sigma2)
    return running_max + np.log(running_sum) + log_norm, running_max


def gmm_kl(x_from: Array, x_to: Array, *, sigma2: float, mc_samples: int, seed: SeedLike = 0,
           drop_float32_underflow: Literal["none", "to", "both"] = "none") -> float:
    """Monte Carlo KL(P || Q) between two Gaussian mixtures with one component N(x_t, sigma2 I) per row.

    Samples are drawn from P (the mixture on ``x_from``, shape (T, N)); the estimate is the mean of
    log P(s) - log Q(s) (Hershey & Olsen, 2007). ``drop_float32_underflow`` reproduces the published
    float32 codes, which drop samples whose density underflowed to 0: ``"to"`` checks Q only (stf2022),
    ``"both"`` checks P and Q (gtf2023). Cost O(mc_samples * (T_from + T_to) * N).
    """
    rng = as_generator(seed)
    mc_samples = positive_int(mc_samples, "mc_samples")
    sigma = math.sqrt(sigma2)
    t_idx = rng.integers(0, x_from.shape[0], size=mc_samples)
    samples = x_from[t_idx] + sigma * rng.standard_normal((mc_samples, x_from.shape[1]))
    log_p, max_p = _mixture_logpdf(samples, x_from, sigma2)
    log_q, max_q = _mixture_logpdf(samples, x_to, sigma2)
    keep = np.ones(mc_samples, dtype=bool)
    if drop_float32_underflow in ("to", "both"):
        keep &= max_q > _FLOAT32_EXP_UNDERFLOW
    if drop_float32_underflow == "both":
        keep &= max_p > _FLOAT32_EXP_UNDERFLOW
    if not keep.any():
        return float("nan")
    return float(np.mean(log_p[keep] - log_q[keep]))


#: the D_stsp estimators: histogram (bins) and Gaussian mixture (gmm)
METHODS: tuple[str, ...] = ("bins", "gmm")


def samples_used(n_true: int, n_gen: int, n_dim: int, *, preset: str | MetricPreset = DEFAULT_PRESET,
                 method: Literal["bins", "gmm"] | None = None, max_T: int | None = None) -> tuple[int, int]:
    """How many rows of the data (``n_true``) and of the model trajectory (``n_gen``) the D_stsp of
    :func:`state_space_divergence` uses: all of them when binning, the first ``max_T`` (the preset's
    ``gmm_max_T``) of each for the Gaussian mixture."""
    p = get_preset(preset)
    if (method or ("bins" if n_dim <= p.max_bin_dims else "gmm")) == "bins":
        return int(n_true), int(n_gen)
    t_max = p.gmm_max_T if max_T is None else positive_int(max_T, "max_T")
    return min(int(n_true), t_max), min(int(n_gen), t_max)


def state_space_divergence(x_true: Any, x_gen: Any, *, preset: str | MetricPreset = DEFAULT_PRESET,
                           method: Literal["bins", "gmm"] | None = None, n_bins: int | None = None,
                           sigma2: float | None = None, max_T: int | None = None,
                           mc_samples: int | None = None, seed: SeedLike = 0) -> float:
    """D_stsp between the data ``x_true`` (T, N) and a model trajectory ``x_gen`` (T', N), in nats.

    ``method`` is ``"bins"`` or ``"gmm"``; by default binning for N <= 5 and the Gaussian mixture above,
    as in both papers. ``n_bins``, ``sigma2``, ``max_T`` and ``mc_samples`` override the preset.
    For the ``stf2022`` comparison with the paper, ``x_gen`` is one 100,000-step free run started from
    the latent state inferred from the data's first point, with no transient discarded.
    The GMM estimate is random (Monte Carlo); ``seed`` fixes it. Binning is deterministic.

    Returns NaN only where the published code does: an empty model histogram (the model trajectory
    never visits the data's range) or no Monte Carlo sample left after the float32-underflow filter.
    """
    p = get_preset(preset)
    xt, xg = _check_pair(x_true, x_gen)
    n_dim = xt.shape[1]
    if method is None:
        method = "bins" if n_dim <= p.max_bin_dims else "gmm"
    if method == "bins":
        b = p.n_bins if n_bins is None else positive_int(n_bins, "n_bins")
        lo, hi = histogram_range(xt, p)
        return binned_kl(xt, xg, n_bins=b, lo=lo, hi=hi, alpha=p.alpha, drop_lowest_bin=p.drop_lowest_bin)
    if method == "gmm":
        s2 = p.gmm_sigma2 if sigma2 is None else float(sigma2)
        if not (math.isfinite(s2) and s2 > 0):
            raise ValueError(f"sigma2 must be a positive finite variance, got {sigma2!r}")
        t_max = p.gmm_max_T if max_T is None else positive_int(max_T, "max_T")
        m = p.gmm_mc_samples if mc_samples is None else positive_int(mc_samples, "mc_samples")
        a, b_ = xt[:t_max], xg[:t_max]
        if p.gmm_direction == "model||data":
            a, b_ = b_, a
        drop: Literal["none", "to", "both"] = "none"
        if p.gmm_float32_underflow:
            drop = "to" if p.gmm_direction == "model||data" else "both"
        return gmm_kl(a, b_, sigma2=s2, mc_samples=m, seed=seed, drop_float32_underflow=drop)
    raise ValueError(f"method must be 'bins' or 'gmm', got {method!r}")
