"""Removing white observation noise from a training series: the FFT Wiener filter.

For a series x = s + n with additive white noise n of variance σ² (per variable), the Wiener filter
(Wiener 1949; in its FFT form, Press et al., *Numerical Recipes*, 3rd ed., §13.3) multiplies each Fourier
coefficient by Φ(f) = max(0, 1 − σ² / P(f)), with P the periodogram |X(f)|²/T of the noisy series: the
least-squares estimate of s when the signal's power spectrum is P − σ².  Here

* σ² is estimated per variable as the mean periodogram over the top ``hf_fraction`` (20 %) of the
  frequencies, where a smooth signal has no power left and white noise has its flat floor σ² (the same
  estimate as ``experiments/dsr_train_test_differences.py``, which found the bursting neuron's training file
  carrying noise of sd ≈ 0.10 that its test file does not);
* P is smoothed by a Gaussian of ``smooth_bins`` frequency bins before Φ is formed (one periodogram value is
  a χ²₂ variable: unsmoothed, Φ would pass or cut single bins at random);
* each variable and each trial is filtered on its own, on the series mirrored at its end (an even extension,
  so the FFT sees no jump between the last and the first sample).

What a user meets: ``Reconstructor(denoise="wiener")`` / ``rnnchaos train --denoise wiener`` filters the
training data before anything else sees it (standardisation, τ, batches and the model selection's reference
series); the estimated noise is stored in ``config.json`` (``denoise``).  The test data are never filtered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.ndimage import gaussian_filter1d

from rnnchaos._util.validation import as_trajectory

__all__ = ["DENOISE_METHODS", "HF_FRACTION", "SMOOTH_BINS", "DenoiseInfo", "denoise_trials", "noise_variance",
           "wiener_denoise"]

DENOISE_METHODS = ("none", "wiener")
#: share of the highest frequencies over which the white-noise floor σ² is averaged
HF_FRACTION = 0.2
#: sd, in frequency bins, of the Gaussian that smooths the periodogram before the filter is formed
SMOOTH_BINS = 5.0
#: shortest series the filter accepts (the noise floor needs enough high-frequency bins)
MIN_LENGTH = 50


@dataclass(frozen=True)
class DenoiseInfo:
    """What :func:`denoise_trials` did, per variable, in data units: the estimated noise sd, the sd of what
    was removed (at most about the noise sd: the filter keeps the noise inside the signal's band) and the
    share of the variance removed."""

    method: str
    noise_sd: list[float]
    removed_sd: list[float]
    removed_variance_share: list[float]
    hf_fraction: float
    smooth_bins: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _periodogram(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """rfft of the even extension [x, x reversed] of the centred (T, N) ``x``, its periodogram, and 2T."""
    ext = np.concatenate([x, x[::-1]], axis=0)
    coef = np.fft.rfft(ext, axis=0)
    return coef, np.abs(coef) ** 2 / ext.shape[0], ext.shape[0]


def noise_variance(x: np.ndarray, *, hf_fraction: float = HF_FRACTION) -> np.ndarray:
    """Per-variable variance of white noise in the (T, N) series ``x``: the mean periodogram over the top
    ``hf_fraction`` of the frequencies (equal to σ² in expectation for white noise of variance σ²)."""
    x = _as_series(x)
    _, power, _ = _periodogram(x - x.mean(axis=0))
    return np.asarray(power[int((1.0 - hf_fraction) * power.shape[0]):].mean(axis=0))


def wiener_denoise(x: np.ndarray, *, hf_fraction: float = HF_FRACTION, smooth_bins: float = SMOOTH_BINS,
                   noise_var: np.ndarray | None = None) -> np.ndarray:
    """The FFT Wiener estimate of the noise-free (T, N) series under additive white noise (module docstring);
    ``noise_var`` (N,) replaces the high-frequency estimate of σ² when given.  Returns a float64 array."""
    x = _as_series(x)
    _check_options(hf_fraction, smooth_bins)
    mean = x.mean(axis=0)
    coef, power, n_ext = _periodogram(x - mean)
    s2 = (power[int((1.0 - hf_fraction) * power.shape[0]):].mean(axis=0) if noise_var is None
          else np.broadcast_to(np.asarray(noise_var, dtype=np.float64), (x.shape[1],)))
    smooth = gaussian_filter1d(power, smooth_bins, axis=0, mode="nearest") if smooth_bins > 0 else power
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = np.where(smooth > 0, np.clip(1.0 - s2 / smooth, 0.0, 1.0), 0.0)
    filtered = np.fft.irfft(coef * gain, n=n_ext, axis=0)[: x.shape[0]]
    return filtered + mean


def denoise_trials(trials: Sequence[np.ndarray], method: str = "wiener", *, hf_fraction: float = HF_FRACTION,
                   smooth_bins: float = SMOOTH_BINS) -> tuple[list[np.ndarray], DenoiseInfo | None]:
    """Filter each trial on its own (no filter reaches across a trial boundary).  ``method``: ``"none"``
    (returns the trials unchanged and None) or ``"wiener"``.  The info pools the trials, weighted by length."""
    if method not in DENOISE_METHODS:
        raise ValueError(f"denoise must be one of {', '.join(DENOISE_METHODS)}, got {method!r}")
    if method == "none":
        return list(trials), None
    out = [wiener_denoise(t, hf_fraction=hf_fraction, smooth_bins=smooth_bins) for t in trials]
    raw = np.concatenate([_as_series(t) for t in trials], axis=0)
    clean = np.concatenate(out, axis=0)
    noise = np.concatenate([noise_variance(t, hf_fraction=hf_fraction)[None] * len(t) for t in trials]).sum(0)
    removed = raw - clean
    var = raw.var(axis=0)
    info = DenoiseInfo(method=method, noise_sd=[float(v) for v in np.sqrt(noise / raw.shape[0])],
                       removed_sd=[float(v) for v in removed.std(axis=0)],
                       removed_variance_share=[float(v) for v in np.where(var > 0, removed.var(axis=0) / var, 0.0)],
                       hf_fraction=float(hf_fraction), smooth_bins=float(smooth_bins))
    return [o.astype(np.asarray(t).dtype if np.issubdtype(np.asarray(t).dtype, np.floating) else np.float64)
            for o, t in zip(out, trials, strict=True)], info


def _as_series(x: Any) -> np.ndarray:
    return as_trajectory(x, name="denoise input", min_length=MIN_LENGTH)


def _check_options(hf_fraction: float, smooth_bins: float) -> None:
    if not 0.0 < float(hf_fraction) < 1.0:
        raise ValueError(f"hf_fraction must be in (0, 1), got {hf_fraction!r}")
    if not float(smooth_bins) >= 0.0:
        raise ValueError(f"smooth_bins must be >= 0, got {smooth_bins!r}")
