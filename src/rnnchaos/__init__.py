"""rnnchaos: chaos in recurrent neural networks.

Measure chaos in any RNN, dynamical system or time series (Lyapunov spectra, λ_max from data, exact
periodic points and Li–Yorke certificates of 1-D recurrent maps, probability of chaos over random
initialisations), and train RNNs on chaotic data with sparse teacher forcing.

Everything is a map ``z_{t+1} = F(z_t)`` with a Jacobian (:class:`rnnchaos.core.TangentMap`).
``import rnnchaos as rc`` gives the main functions and classes; they are imported lazily, so the
package imports quickly and torch is loaded only when a model is used.

``pip install rnnchaos`` gives the NumPy parts (systems, spectra of maps and flows, lambda_max from data,
1-D maps, metrics); RNN models and training need ``pip install 'rnnchaos[torch]'`` (PyTorch and numba).
Without it, using one of them raises a ``ModuleNotFoundError`` whose one-line message names the extra.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # the map abstraction
    "TangentMap": "rnnchaos.core",
    "JacobianMap": "rnnchaos.core",
    "FunctionMap": "rnnchaos.core",
    # ground-truth systems
    "get_system": "rnnchaos.systems",
    "system_names": "rnnchaos.systems",
    # Lyapunov analysis
    "lyapunov_spectrum": "rnnchaos.dynamics.lyapunov_spectrum",
    "LyapunovSpectrum": "rnnchaos.dynamics.lyapunov_spectrum",
    "kaplan_yorke_dimension": "rnnchaos.dynamics.kaplan_yorke",
    "predictability_time": "rnnchaos.dynamics.predictability",
    "lambda_max_from_series": "rnnchaos.dynamics.lambda_max_data",
    "delay_embed": "rnnchaos.dynamics.embedding",
    "classify_orbits": "rnnchaos.dynamics.orbit_classification",
    "gradient_growth": "rnnchaos.dynamics.gradient_growth",
    # exact 1-D recurrent maps (scrambling paper)
    "Network1D": "rnnchaos.maps1d.network",
    "PiecewiseLinear": "rnnchaos.maps1d.piecewise",
    "analyze_network": "rnnchaos.maps1d.analysis",
    "periodic_points": "rnnchaos.maps1d.periodic",
    "find_witness": "rnnchaos.maps1d.li_yorke",
    "InitSpec": "rnnchaos.maps1d.init",
    "chaos_probability": "rnnchaos.maps1d.montecarlo",
    # RNN models as maps
    "LatentModel": "rnnchaos.models.base",
    "build_model": "rnnchaos.models.base",
    "load_checkpoint": "rnnchaos.models.base",
    "model_lyapunov_spectrum": "rnnchaos.models.spectrum",
    "free_run": "rnnchaos.models.free_run",
    # data, training, metrics, reports
    "load_series": "rnnchaos.data.io",
    "Reconstructor": "rnnchaos.training.reconstructor",
    "train_from_source": "rnnchaos.training.run",
    "state_space_divergence": "rnnchaos.metrics.state_space",
    "power_spectrum_distance": "rnnchaos.metrics.power_spectrum",
    "prediction_error": "rnnchaos.metrics.prediction",
    "score_trajectory": "rnnchaos.metrics.scoring",
    "PRESETS": "rnnchaos.metrics.presets",
    "evaluate_run": "rnnchaos.report.evaluation",
    "write_report": "rnnchaos.report.markdown",
    # sweeps on local cores or Ray
    "load_config": "rnnchaos.sweep.config",
    "run_sweep": "rnnchaos.sweep.engine",
}

__all__ = [
    "__version__",
    "PRESETS",
    "FunctionMap",
    "InitSpec",
    "JacobianMap",
    "LatentModel",
    "LyapunovSpectrum",
    "Network1D",
    "PiecewiseLinear",
    "Reconstructor",
    "TangentMap",
    "analyze_network",
    "build_model",
    "chaos_probability",
    "classify_orbits",
    "delay_embed",
    "evaluate_run",
    "find_witness",
    "free_run",
    "get_system",
    "gradient_growth",
    "kaplan_yorke_dimension",
    "lambda_max_from_series",
    "load_config",
    "load_checkpoint",
    "load_series",
    "lyapunov_spectrum",
    "model_lyapunov_spectrum",
    "periodic_points",
    "power_spectrum_distance",
    "run_sweep",
    "score_trajectory",
    "predictability_time",
    "prediction_error",
    "state_space_divergence",
    "system_names",
    "train_from_source",
    "write_report",
]

if TYPE_CHECKING:  # static imports for type checkers and IDEs
    from rnnchaos.core import FunctionMap, JacobianMap, TangentMap
    from rnnchaos.data.io import load_series
    from rnnchaos.dynamics.embedding import delay_embed
    from rnnchaos.dynamics.gradient_growth import gradient_growth
    from rnnchaos.dynamics.kaplan_yorke import kaplan_yorke_dimension
    from rnnchaos.dynamics.lambda_max_data import lambda_max_from_series
    from rnnchaos.dynamics.lyapunov_spectrum import LyapunovSpectrum, lyapunov_spectrum
    from rnnchaos.dynamics.orbit_classification import classify_orbits
    from rnnchaos.dynamics.predictability import predictability_time
    from rnnchaos.maps1d.analysis import analyze_network
    from rnnchaos.maps1d.init import InitSpec
    from rnnchaos.maps1d.li_yorke import find_witness
    from rnnchaos.maps1d.montecarlo import chaos_probability
    from rnnchaos.maps1d.network import Network1D
    from rnnchaos.maps1d.periodic import periodic_points
    from rnnchaos.maps1d.piecewise import PiecewiseLinear
    from rnnchaos.metrics.power_spectrum import power_spectrum_distance
    from rnnchaos.metrics.prediction import prediction_error
    from rnnchaos.metrics.presets import PRESETS
    from rnnchaos.metrics.scoring import score_trajectory
    from rnnchaos.metrics.state_space import state_space_divergence
    from rnnchaos.models.base import LatentModel, build_model, load_checkpoint
    from rnnchaos.models.free_run import free_run
    from rnnchaos.models.spectrum import model_lyapunov_spectrum
    from rnnchaos.report.evaluation import evaluate_run
    from rnnchaos.report.markdown import write_report
    from rnnchaos.sweep.config import load_config
    from rnnchaos.sweep.engine import run_sweep
    from rnnchaos.systems import get_system, system_names
    from rnnchaos.training.reconstructor import Reconstructor
    from rnnchaos.training.run import train_from_source


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'rnnchaos' has no attribute {name!r}")
    try:
        value = getattr(importlib.import_module(module), name)
    except ModuleNotFoundError as exc:  # a torch feature without the extra: say which extra, in one line
        from rnnchaos._util.extras import missing_extra

        err = missing_extra(exc, f"rnnchaos.{name}")
        if err is None:
            raise
        raise err from None
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
