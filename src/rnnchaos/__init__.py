"""rnnchaos: chaos in recurrent neural networks.

Measure chaos in any RNN, dynamical system or time series (Lyapunov spectra, λ_max from data, exact
periodic points and Li–Yorke certificates of 1-D recurrent maps, probability of chaos over random
initialisations), and train RNNs on chaotic data with sparse teacher forcing.

Everything is a map ``z_{t+1} = F(z_t)`` with a Jacobian (:class:`rnnchaos.core.TangentMap`).
``import rnnchaos as rc`` gives the main functions and classes; they are imported lazily, so the
package imports quickly and torch is loaded only when a model is used.
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
    # data
    "load_series": "rnnchaos.data.io",
}

__all__ = ["__version__", *sorted(_EXPORTS)]

if TYPE_CHECKING:  # static imports for type checkers and IDEs
    from rnnchaos.core import FunctionMap, JacobianMap, TangentMap
    from rnnchaos.data.io import load_series
    from rnnchaos.dynamics.embedding import delay_embed
    from rnnchaos.dynamics.kaplan_yorke import kaplan_yorke_dimension
    from rnnchaos.dynamics.lambda_max_data import lambda_max_from_series
    from rnnchaos.dynamics.lyapunov_spectrum import LyapunovSpectrum, lyapunov_spectrum
    from rnnchaos.dynamics.predictability import predictability_time
    from rnnchaos.systems import get_system, system_names


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'rnnchaos' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
