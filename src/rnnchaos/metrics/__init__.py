"""rnnchaos.metrics: reconstruction metrics with the settings of named papers (presets).

* ``state_space_divergence`` (D_stsp: binning or Gaussian mixture),
* ``power_spectrum_distance`` (D_H: Hellinger distance of smoothed power spectra),
* ``prediction_error`` / ``prediction_error_curve`` (PE(n) from every test point),
* ``PRESETS``: ``stf2022`` (Mikhaeil et al., 2022, published code, quirks included),
  ``stf2022-corrected`` (default) and ``gtf2023`` (Hess et al., 2023). See docs/metrics.md.
"""

from rnnchaos.metrics.power_spectrum import power_spectrum_distance, power_spectrum_distance_per_dim
from rnnchaos.metrics.prediction import prediction_error, prediction_error_curve
from rnnchaos.metrics.presets import DEFAULT_PRESET, PRESETS, MetricPreset, get_preset
from rnnchaos.metrics.state_space import state_space_divergence

__all__ = ["DEFAULT_PRESET", "PRESETS", "MetricPreset", "get_preset", "power_spectrum_distance",
           "power_spectrum_distance_per_dim", "prediction_error", "prediction_error_curve",
           "state_space_divergence"]
