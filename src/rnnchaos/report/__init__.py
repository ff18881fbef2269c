"""rnnchaos.report: evaluate a reconstruction run and write a Markdown report with figures.

* ``write_report(run_dir, ...) -> Path`` (``rnnchaos report RUN_DIR``),
* ``write_evaluation_report(evaluation, out_dir, ...) -> Path`` for an evaluation computed elsewhere,
* ``evaluate_run`` / ``evaluate_model`` / ``evaluate_reconstructor`` (``rnnchaos evaluate RUN_DIR``),
* the figure functions of ``rnnchaos.report.figures`` (each returns a ``matplotlib.figure.Figure``;
  ``save_figure(fig, path)`` writes it as a PNG).

Attributes are imported lazily, so that ``import rnnchaos.report.evaluation`` does not load matplotlib.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "write_report": "markdown", "write_evaluation_report": "markdown",
    "Evaluation": "evaluation", "evaluate_run": "evaluation", "evaluate_model": "evaluation",
    "evaluate_reconstructor": "evaluation", "load_history": "evaluation",
    "plot_attractors": "figures", "plot_time_series": "figures", "plot_power_spectra": "figures",
    "plot_prediction_error": "figures", "plot_lyapunov": "figures", "plot_training": "figures",
    "save_figure": "figures",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"rnnchaos.report.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'rnnchaos.report' has no attribute {name!r}")
