"""Named settings of the reconstruction metrics (D_stsp, D_H), one per paper.

The field's metrics differ between papers in bins, ranges, smoothing and the direction of the KL
divergence, so numbers are comparable only under the same settings. Each preset below fixes all of them.

``stf2022``
    Mikhaeil, Monfared & Durstewitz (NeurIPS 2022), as in their released code (DurstewitzLab/ChaosRNN,
    ``evaluation/klx.py``, ``klz.py``, ``pse.py``, ``main_eval.py``), quirks included:

    * D_stsp (bins), for N <= 5 observed dimensions: 10 bins per dimension over [-2 sd, +2 sd] of the
      *data* around **zero** (not around the mean; sd with ddof=1); bin index = trunc((x - lo)/(hi - lo)*B);
      a point is kept only if every coordinate's index is > 0 and < B, so **the lowest bin of every
      dimension is dropped**; p = (h + a)/(sum h + a*B^N) with a = 1e-5; an empty model histogram gives
      NaN; D_stsp = KL(p_data || p_model).
    * D_stsp (GMM), for N > 5: one Gaussian of variance 0.1 per time step on the first 5,000 steps of each
      series; 1,000 Monte Carlo samples from the **model** mixture; KL(p_model || p_data); samples whose
      data likelihood underflows in float32 are dropped (as the published float32 code does).
    * D_H: the data are cut into 50 equal chunks (the tail that does not fill a chunk is dropped); the
      model trajectory into 50 chunks of T_gen/50 steps (2,000 for the paper's 100,000-step run), each
      truncated to the data's chunk length; each chunk is z-scored (ddof=1), its length made even, its
      spectrum is |rfft(x, norm="ortho")|^2 * 2/n, convolved with a normalised Gaussian of
      10*sigma + 1 taps (sigma = 2: 21 taps; full convolution trimmed by 5*sigma each side); chunk spectra
      are averaged; the first 500 frequencies kept; BC = trapezoid integral of sqrt(p_data * p_model) on
      these **unnormalised** spectra; D_H = sqrt(1 - BC) per dimension, averaged over dimensions.
      Because the spectra are not renormalised after the cut-off and the smoothing, a series against
      itself does **not** score 0 (docs/metrics.md gives the numbers).

``stf2022-corrected`` (the default)
    ``stf2022`` with its defects removed: every bin is kept (0 <= index < B, by floor); the histogram
    range is +-2 sd around the data **mean**; D_H spectra are renormalised to unit trapezoid integral
    after the smoothing and the cut-off, so that identical series score exactly 0 and D_H lies in [0, 1];
    the GMM estimate is computed in log space (no underflow, no dropped samples). Everything else is as
    in ``stf2022``. docs/metrics.md measures the effect of each difference.

``gtf2023``
    Hess, Monfared, Brenner & Durstewitz (ICML 2023), released code DurstewitzLab/GTF-shPLRNN
    (``src/measures/stsp_measure.jl``, ``pse.jl``):

    * D_stsp (bins), for N <= 5: 30 bins per dimension over [min - 0.1 sd, max + 0.1 sd] of the data
      (ddof=1), left-closed bins, points outside dropped, a = 1e-5, KL(p_data || p_model).
    * D_stsp (GMM), for N > 5: variance 1, first 10,000 steps, 1,000 Monte Carlo samples from the
      **data** mixture, KL(p_data || p_model); samples where either likelihood underflows in float32 are
      dropped.
    * D_H: each whole series z-scored (ddof=1), |rfft|^2, Gaussian smoothing sigma = 20 (kernel of
      8*sigma + 1 taps, mirror padding at both ends), negative values clipped, normalised to sum 1;
      Hellinger distance sqrt(1/2 * sum (sqrt p - sqrt q)^2) per dimension, averaged.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

__all__ = ["PRESETS", "DEFAULT_PRESET", "MetricPreset", "get_preset"]


@dataclass(frozen=True)
class MetricPreset:
    """All settings of D_stsp and D_H for one paper (see the module docstring)."""

    name: str
    # --- D_stsp by binning ---
    n_bins: int
    bin_range: Literal["sd_zero", "sd_mean", "minmax"]
    range_k: float  # +-k sd for "sd_*"; padding in sd for "minmax"
    drop_lowest_bin: bool
    alpha: float
    max_bin_dims: int  # binning for N <= max_bin_dims, GMM above
    # --- D_stsp by Gaussian mixture ---
    gmm_sigma2: float
    gmm_max_T: int
    gmm_direction: Literal["model||data", "data||model"]
    gmm_mc_samples: int
    gmm_float32_underflow: bool  # drop Monte Carlo samples whose float32 likelihood underflows
    # --- D_H ---
    dh_mode: Literal["chunked", "whole"]
    dh_sigma: float
    dh_n_chunks: int
    dh_cutoff: int | None
    dh_normalize: bool

    def with_(self, **changes: object) -> MetricPreset:
        """A copy with some settings changed (``dataclasses.replace``)."""
        return replace(self, **changes)  # type: ignore[arg-type]


PRESETS: dict[str, MetricPreset] = {
    "stf2022": MetricPreset(
        name="stf2022", n_bins=10, bin_range="sd_zero", range_k=2.0, drop_lowest_bin=True, alpha=1e-5,
        max_bin_dims=5, gmm_sigma2=0.1, gmm_max_T=5000, gmm_direction="model||data", gmm_mc_samples=1000,
        gmm_float32_underflow=True, dh_mode="chunked", dh_sigma=2.0, dh_n_chunks=50, dh_cutoff=500,
        dh_normalize=False),
    "stf2022-corrected": MetricPreset(
        name="stf2022-corrected", n_bins=10, bin_range="sd_mean", range_k=2.0, drop_lowest_bin=False,
        alpha=1e-5, max_bin_dims=5, gmm_sigma2=0.1, gmm_max_T=5000, gmm_direction="model||data",
        gmm_mc_samples=1000, gmm_float32_underflow=False, dh_mode="chunked", dh_sigma=2.0, dh_n_chunks=50,
        dh_cutoff=500, dh_normalize=True),
    "gtf2023": MetricPreset(
        name="gtf2023", n_bins=30, bin_range="minmax", range_k=0.1, drop_lowest_bin=False, alpha=1e-5,
        max_bin_dims=5, gmm_sigma2=1.0, gmm_max_T=10000, gmm_direction="data||model", gmm_mc_samples=1000,
        gmm_float32_underflow=True, dh_mode="whole", dh_sigma=20.0, dh_n_chunks=1, dh_cutoff=None,
        dh_normalize=True),
}

DEFAULT_PRESET = "stf2022-corrected"


def get_preset(preset: str | MetricPreset | None) -> MetricPreset:
    """Return the named preset (``None`` gives the default, ``stf2022-corrected``)."""
    if preset is None:
        return PRESETS[DEFAULT_PRESET]
    if isinstance(preset, MetricPreset):
        return preset
    try:
        return PRESETS[str(preset)]
    except KeyError:
        raise ValueError(f"unknown metric preset {preset!r}; choose one of {', '.join(PRESETS)}") from None
