"""Power-spectrum distance D_H: does a generated trajectory reproduce the data's long-term temporal structure?

D_H is the Hellinger distance between smoothed power spectra, computed per observed dimension and averaged
over dimensions (Mikhaeil, Monfared & Durstewitz, 2022; Hess et al., 2023). Two schemes, chosen by the
preset (``rnnchaos.metrics.presets``):

* ``chunked`` (stf2022, stf2022-corrected): both series cut into ``n_chunks`` chunks, each z-scored;
  spectrum |rfft(x, norm="ortho")|^2 * 2/n convolved with a normalised Gaussian of 10 sigma + 1 taps
  (zero outside the spectrum); chunk spectra averaged; first ``cutoff`` frequencies;
  BC = trapezoid integral of sqrt(p q); D_H = sqrt(1 - BC). ``stf2022`` integrates the unnormalised
  spectra (so a series against itself does not score 0); the corrected preset renormalises them to unit
  trapezoid integral first.
* ``whole`` (gtf2023): each whole series z-scored; |rfft|^2 smoothed by a Gaussian of 8 sigma + 1 taps with
  mirror padding; negatives clipped; normalised to sum 1; Hellinger sqrt(1/2 sum (sqrt p - sqrt q)^2).

Cost O(T N log T). D_H is dimensionless, in [0, 1] for normalised spectra.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import convolve1d, gaussian_filter1d

from rnnchaos._util.validation import as_trajectory
from rnnchaos.metrics.presets import DEFAULT_PRESET, MetricPreset, get_preset

__all__ = ["power_spectrum_distance", "power_spectrum_distance_per_dim", "chunked_spectrum",
           "whole_spectrum", "stf_kernel"]

Array = NDArray[np.float64]


def stf_kernel(sigma: float) -> Array:
    """The normalised Gaussian smoothing kernel of the stf2022 code: 10 sigma + 1 taps centred on 0."""
    size = int(round(10 * sigma)) + 1
    k = np.arange(size, dtype=np.float64) - size // 2
    w = np.exp(-0.5 * (k / sigma) ** 2)
    return w / w.sum()


def _chunks(x: Array, n_chunks: int, length: int) -> Array:
    """The first ``length`` steps of each of ``n_chunks`` equal chunks of ``x`` (T, N): (n_chunks, length, N)."""
    full = x.shape[0] // n_chunks
    return x[: n_chunks * full].reshape(n_chunks, full, x.shape[1])[:, :length]


def chunked_spectrum(chunks: Array, sigma: float, cutoff: int | None) -> Array:
    """Averaged smoothed power spectrum of chunks (C, L, N) -> (F, N), as in the stf2022 code.

    Each chunk is z-scored (ddof=1) and its length made even by dropping the last sample; a constant
    chunk gives NaN and is skipped in the average (``nanmean``).
    """
    c = chunks
    if c.shape[1] % 2:
        c = c[:, :-1]
    n = c.shape[1]
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (c - c.mean(axis=1, keepdims=True)) / c.std(axis=1, ddof=1, keepdims=True)
        spec = np.abs(np.fft.rfft(z, axis=1, norm="ortho")) ** 2 * 2.0 / n
    spec = convolve1d(spec, stf_kernel(sigma), axis=1, mode="constant", cval=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns (constant in every chunk)
        avg = np.nanmean(spec, axis=0)
    return avg[:cutoff] if cutoff is not None else avg


def whole_spectrum(x: Array, sigma: float) -> Array:
    """Normalised smoothed power spectrum of a whole series x (T, N) -> (T//2 + 1, N), as in gtf2023.

    z-score (ddof=1), |rfft|^2, Gaussian filter (8 sigma + 1 taps, mirror padding), negatives clipped,
    each column normalised to sum 1. A constant column gives NaN.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)
        ps = np.abs(np.fft.rfft(z, axis=0)) ** 2
        if sigma > 0:
            ps = gaussian_filter1d(ps, sigma, axis=0, mode="mirror", truncate=4.0)
            ps[ps < 0] = 0.0
        return ps / ps.sum(axis=0, keepdims=True)


def _trapezoid_normalise(p: Array) -> Array:
    with np.errstate(invalid="ignore", divide="ignore"):
        return p / np.trapezoid(p, axis=0)


def power_spectrum_distance_per_dim(x_true: Any, x_gen: Any, *,
                                    preset: str | MetricPreset = DEFAULT_PRESET,
                                    sigma: float | None = None, n_chunks: int | None = None,
                                    cutoff: int | None = None) -> Array:
    """D_H per observed dimension, shape (N,). See ``power_spectrum_distance``."""
    p = get_preset(preset)
    xt = as_trajectory(x_true, name="x_true (data)", min_length=4)
    xg = as_trajectory(x_gen, name="x_gen (model trajectory)", min_length=4)
    if xt.shape[1] != xg.shape[1]:
        raise ValueError(f"x_true has {xt.shape[1]} columns but x_gen has {xg.shape[1]}; both must be (T, N) "
                         "with the same N")
    s = p.dh_sigma if sigma is None else float(sigma)
    if not (math.isfinite(s) and s > 0):
        raise ValueError(f"sigma must be a positive smoothing width in frequency bins, got {sigma!r}")
    if p.dh_mode == "whole":
        t = min(xt.shape[0], xg.shape[0])
        ps_t, ps_g = whole_spectrum(xt[:t], s), whole_spectrum(xg[:t], s)
        with np.errstate(invalid="ignore"):
            bc = np.sum(np.sqrt(ps_t * ps_g), axis=0)
            return np.sqrt(np.clip(1.0 - bc, 0.0, None))
    nc = p.dh_n_chunks if n_chunks is None else int(n_chunks)
    if nc < 1:
        raise ValueError(f"n_chunks must be >= 1, got {n_chunks!r}")
    cut = p.dh_cutoff if cutoff is None else int(cutoff)
    length = min(xt.shape[0] // nc, xg.shape[0] // nc)
    if length < 4:
        raise ValueError(f"D_H cuts each series into {nc} chunks; x_true has {xt.shape[0]} and x_gen "
                         f"{xg.shape[0]} steps, so the chunks would have {length} < 4 steps; pass longer "
                         "series or fewer chunks")
    spec_t = chunked_spectrum(_chunks(xt, nc, length), s, cut)
    spec_g = chunked_spectrum(_chunks(xg, nc, length), s, cut)
    if p.dh_normalize:
        spec_t, spec_g = _trapezoid_normalise(spec_t), _trapezoid_normalise(spec_g)
        with np.errstate(invalid="ignore"):
            bc = np.trapezoid(np.sqrt(spec_t * spec_g), axis=0)
            # a model chunk without any variation has no spectrum: maximal distance
            bc = np.where(np.isnan(spec_g).all(axis=0) & ~np.isnan(spec_t).all(axis=0), 0.0, bc)
            return np.sqrt(np.clip(1.0 - bc, 0.0, None))
    with np.errstate(invalid="ignore"):
        bc = np.trapezoid(np.sqrt(spec_t * spec_g), axis=0)
        return np.sqrt(1.0 - bc)  # NaN if BC > 1 or a spectrum is undefined, as published


def power_spectrum_distance(x_true: Any, x_gen: Any, *, preset: str | MetricPreset = DEFAULT_PRESET,
                            sigma: float | None = None, n_chunks: int | None = None,
                            cutoff: int | None = None) -> float:
    """D_H between the data ``x_true`` (T, N) and a model trajectory ``x_gen`` (T', N), averaged over N.

    ``sigma`` (smoothing, in frequency bins), ``n_chunks`` and ``cutoff`` (number of frequencies kept)
    override the preset. In the chunked scheme the data are cut into ``n_chunks`` equal chunks and the
    model trajectory into ``n_chunks`` chunks of T'/n_chunks steps, each truncated to the shorter chunk
    length (the stf2022 code: 50 chunks of 2,000 model steps for a 100,000-step run); the ``whole``
    scheme truncates both series to the shorter length. NaN only where the ``stf2022`` preset's published
    formula gives it (BC > 1, or a constant series); with the corrected preset a constant model gives 1.
    """
    per_dim = power_spectrum_distance_per_dim(x_true, x_gen, preset=preset, sigma=sigma, n_chunks=n_chunks,
                                              cutoff=cutoff)
    return float(np.mean(per_dim))
