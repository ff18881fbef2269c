"""A Markdown report of one reconstruction run, with PNG figures (see ``rnnchaos.report.figures``).

``write_report(run_dir)`` loads the run (``Reconstructor.load``), evaluates it
(``rnnchaos.report.evaluation``) and writes ``RUN_DIR/report/report.md`` plus the figures; it returns the
path of the Markdown file. ``write_evaluation_report(evaluation, out_dir, ...)`` does the same for an
evaluation already computed (any model, any data), for callers such as ``rnnchaos demo``.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from rnnchaos._util.atomic import write_text_atomic
from rnnchaos._util.rng import SeedLike
from rnnchaos.metrics.presets import DEFAULT_PRESET
from rnnchaos.report.evaluation import Evaluation, evaluate_run, load_history
from rnnchaos.report.figures import (
    plot_attractors,
    plot_lyapunov,
    plot_power_spectra,
    plot_prediction_error,
    plot_time_series,
    plot_training,
    save_figure,
)

__all__ = ["write_report", "write_evaluation_report"]


def _fmt(v: Any, digits: int = 4) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return "NaN" if math.isnan(v) else f"{v:.{digits}g}"
    return str(v)


def write_evaluation_report(ev: Evaluation, out_dir: str | os.PathLike[str], *,
                            history: list[dict[str, Any]] | None = None, config: dict[str, Any] | None = None,
                            title: str = "Reconstruction report", labels: list[str] | None = None) -> Path:
    """Write ``out_dir/report.md`` and its figures for an :class:`Evaluation`; returns the Markdown path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tau_pred = (math.log(2) / ev.lambda_max_data) if ev.lambda_max_data and ev.lambda_max_data > 0 else None
    figs: list[tuple[str, str, str]] = []
    save_figure(plot_attractors(ev.x_true, ev.x_gen, labels=labels), out / "attractors.png")
    figs.append(("Attractors", "attractors.png",
                 "Data (first 20,000 steps) and the last 20,000 steps of the model's free run from the data's "
                 "first point (its long-term behaviour), on the same axes."))
    save_figure(plot_time_series(ev.x_true, ev.x_gen, labels=labels, mark=tau_pred), out / "time_series.png")
    figs.append(("Free run against the data", "time_series.png",
                 "The first 1,500 steps; the dotted line is the data's predictability time "
                 "tau_pred = ln 2 / lambda_max."))
    if ev.x_gen.shape[0] >= 2 * 50:
        try:
            save_figure(plot_power_spectra(ev.x_true, ev.x_gen, ev.preset, d_h_per_dim=ev.d_h_per_dim,
                                           labels=labels), out / "power_spectra.png")
            figs.append(("Power spectra", "power_spectra.png",
                         f"The smoothed spectra that D_H compares (preset {ev.preset}), normalised to unit area."))
        except ValueError:
            pass
    save_figure(plot_prediction_error(ev.pe_curve, baseline=ev.pe_persistence), out / "prediction_error.png")
    figs.append(("Prediction error", "prediction_error.png",
                 "PE(n) from every test point, against the persistence forecast x_{t+n} = x_t."))
    if ev.lyapunov_model:
        save_figure(plot_lyapunov(ev.lyapunov_model, ev.lambda_max_data, units="per step"), out / "lyapunov.png")
        figs.append(("Lyapunov spectra", "lyapunov.png",
                     "The model's Lyapunov spectrum (tangent-space QR on its map) and the data's largest "
                     "exponent (Rosenstein et al. 1993), both per step."))
    if history:
        save_figure(plot_training(history), out / "training.png")
        figs.append(("Training", "training.png",
                     "Training loss, the forcing interval tau (or alpha) and lambda_max during training."))

    lines = [f"# {title}", ""]
    if config:
        src = config.get("data") or config.get("system") or config.get("data_path")
        model_cfg = config.get("model", {})
        lines += ["## Run", "", "| setting | value |", "|---|---|"]
        for key, val in (("data", src), ("model", model_cfg), ("training", config.get("training")),
                         ("seed", config.get("seed")), ("tau", config.get("tau")),
                         ("lambda_max_data", config.get("lambda_max_data"))):
            if val is not None:
                lines.append(f"| {key} | `{json.dumps(val, default=str)}` |")
        lines.append("")
    lines += ["## Metrics", "",
              f"Preset `{ev.preset}` (docs/metrics.md); model trajectory: one free run of {ev.x_gen.shape[0]:,} "
              f"steps from the latent state inferred from the data's first point (no transient discarded); "
              f"test series: {ev.x_true.shape[0]:,} steps x {ev.x_true.shape[1]} dimensions.", "",
              "| metric | value |", "|---|---|",
              f"| D_stsp | {_fmt(ev.d_stsp)} |",
              f"| D_H (mean over dimensions) | {_fmt(ev.d_h)} |",
              f"| D_H per dimension | {', '.join(_fmt(v, 3) for v in ev.d_h_per_dim)} |",
              f"| PE({ev.pe_steps}) | {_fmt(ev.pe)} (persistence: {_fmt(ev.pe_persistence[-1])}) |",
              f"| lambda_max model (per step) | {_fmt(ev.lambda_max_model)} |",
              f"| lambda_max data (per step) | {_fmt(ev.lambda_max_data)} |",
              f"| tau_pred = ln 2 / lambda_max data (steps) | {_fmt(tau_pred, 3)} |", ""]
    if ev.warnings:
        lines += ["Notes:", ""] + [f"- {w}" for w in ev.warnings] + [""]
    for heading, fname, caption in figs:
        lines += [f"## {heading}", "", f"![{heading}]({fname})", "", caption, ""]
    path = out / "report.md"
    write_text_atomic(path, "\n".join(lines))
    return path


def write_report(run_dir: str | os.PathLike[str], *, out: str | os.PathLike[str] | None = None,
                 test: str | os.PathLike[str] | None = None, preset: str = DEFAULT_PRESET,
                 n_steps: int = 100_000, pe_steps: int = 20, lyapunov_steps: int = 20_000,
                 seed: SeedLike = 0, evaluation: Evaluation | None = None, device: Any = None,
                 exponents: int | None = None, reortho: int | str = "auto", tangent_dtype: str = "float64") -> Path:
    """Evaluate the run in ``run_dir`` and write ``report.md`` with figures to ``out`` (default
    ``RUN_DIR/report``). Returns the path of ``report.md``. Pass ``evaluation`` to skip the evaluation.
    ``device``, ``exponents``, ``reortho``, ``tangent_dtype``: how the model's Lyapunov spectrum is computed
    (:func:`~rnnchaos.report.evaluation.evaluate_model`)."""
    rd = Path(run_dir)
    ev = evaluation or evaluate_run(rd, test=test, preset=preset, n_steps=n_steps, pe_steps=pe_steps,
                                    lyapunov_steps=lyapunov_steps, seed=seed, device=device, exponents=exponents,
                                    reortho=reortho, tangent_dtype=tangent_dtype)
    cfg_path = rd / "config.json"
    config = None
    if cfg_path.is_file():
        try:
            config = json.loads(cfg_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            config = None
    return write_evaluation_report(ev, out if out is not None else rd / "report", history=load_history(rd),
                                   config=config if isinstance(config, dict) else None,
                                   title=f"Reconstruction report: {rd.name}")
