"""Ablations of sparse teacher forcing on Lorenz-63 (Mikhaeil, Monfared & Durstewitz, NeurIPS 2022, rebuttal
experiments of the released code: ``Windowing``, ``TruncBPTT``, ``Random``).

Each variant keeps one ingredient of STF and drops another, at the same interval tau:

* ``stf``: sparse teacher forcing, the latent state replaced by the data-inferred one every tau steps;
* ``window``: windowing, the state *reset* every tau steps (forced to data) but with no gradient flowing
  across windows, i.e. training on independent windows of length tau;
* ``tbptt``: truncated BPTT, gradients cut every tau steps but the state never forced (free-running);
* ``random``: STF with the interval drawn at random in [tau - delta, tau + delta] at every forcing;
* ``clip``: the gradient-clipped BPTT baseline (no forcing).

Scored like the tau sweep (``stf_common.train_and_score``); writes ``ablations.csv/.json``,
``results.jsonl`` (resumable) and ``ablations.png`` to ``out``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rnnchaos._util.atomic import write_json_atomic
from rnnchaos._util.figures import STYLE, styled
from rnnchaos._util.tables import write_table
from rnnchaos.reproductions.stf_common import (
    FIELDS,
    STFRun,
    budget_text,
    default_fit,
    finished_keys,
    load_dataset,
    noise_floor,
    open_journal,
    record_run,
    series_name,
    train_and_score,
)
from rnnchaos.reproductions.stf_tau_sweep import CLIP_KWARGS

__all__ = ["VARIANTS", "run_ablations", "plot_ablations"]

#: variant -> Reconstructor keyword arguments (tau is added from the command line)
VARIANTS: dict[str, dict[str, Any]] = {
    "stf": {"forcing": "stf"},
    "window": {"forcing": "window"},
    "tbptt": {"forcing": "tbptt"},
    "random": {"forcing": "stf", "tau_mode": "random"},  # delta filled in from --delta
    "clip": {"forcing": "bptt", **CLIP_KWARGS},
}


def _kwargs(variant: str, tau: float, delta: float, base: dict[str, Any]) -> dict[str, Any]:
    kw = dict(base)
    kw.update(VARIANTS[variant])
    if variant == "clip":
        kw["tau"] = "auto"  # unused by BPTT; "auto" still estimates the data's lambda_max
    else:
        kw["tau"] = int(round(tau))
    if variant == "random":
        kw["delta"] = int(round(delta))
    return kw


def run_ablations(*, dataset: str = "lorenz63", model: str = "plrnn", tau: float = 30.0, delta: float = 10.0,
                  variants: Sequence[str] = tuple(VARIANTS), seeds: int = 1, minutes: float = 2.0,
                  out: str | os.PathLike[str] = "stf_ablations", data_dir: str | None = None,
                  reconstructor_kwargs: dict[str, Any] | None = None, n_steps: int = 100_000,
                  lyapunov_steps: int = 5000, fit: Callable[..., Any] = default_fit) -> dict[str, Any]:
    """Run (or resume) the ablations; returns the summary written to ``summary.json``."""
    bad = [v for v in variants if v not in VARIANTS]
    if bad:
        raise ValueError(f"unknown ablation variant(s) {bad}; choose from {', '.join(VARIANTS)}")
    if not (math.isfinite(tau) and tau >= 1):
        raise ValueError(f"tau must be a forcing interval >= 1 step, got {tau!r}")
    if not (math.isfinite(delta) and 0 <= delta < tau):
        raise ValueError(f"delta must satisfy 0 <= delta < tau, got delta={delta!r}, tau={tau!r}")
    if minutes <= 0 or not math.isfinite(minutes):
        raise ValueError(f"minutes must be a positive time budget per run, got {minutes!r}")
    dataset = series_name(dataset)  # stf:lorenz63 -> lorenz63, the name in journal keys and tables
    x = load_dataset(dataset, data_dir)
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    journal = open_journal(root / "results.jsonl")
    latest = journal.load()
    base = dict(reconstructor_kwargs or {})
    with journal:
        for seed in range(seeds):
            for v in variants:
                run = STFRun(dataset, model, v, None if v == "clip" else float(tau), seed, minutes,
                             settings=(("delta", delta),) if v == "random" else ())
                if run.key in finished_keys(latest):
                    continue
                row = train_and_score(run, x, root, reconstructor_kwargs=_kwargs(v, tau, delta, base),
                                      n_steps=n_steps, lyapunov_steps=lyapunov_steps, fit=fit)
                record_run(journal, latest, run.key, row)
                write_table(latest.values(), root, "ablations", fields=FIELDS)
    rows = list(latest.values())
    floor = noise_floor(x)
    summary: dict[str, Any] = {"dataset": dataset, "model": model, "tau": tau, "delta": delta,
                               "noise_floor_halves": floor, "variants": {}}
    for v in variants:
        vals = [r for r in rows if r.get("method") == v and r.get("model") == model]
        summary["variants"][v] = {
            m: (float(np.median([r[m] for r in vals if r.get(m) is not None])) if any(r.get(m) is not None for r in vals)
                else None)
            for m in ("d_stsp_stf2022", "d_h_stf2022", "d_stsp_corrected", "d_h_corrected", "lambda_max_model")}
        summary["variants"][v]["n_runs"] = len(vals)
    write_json_atomic(root / "summary.json", summary)
    write_table(rows, root, "ablations", fields=FIELDS)
    plot_ablations(rows, root / "ablations.png", floor=floor, title=f"{dataset}, {model}, tau = {tau:g}")
    return summary


@styled(STYLE)
def plot_ablations(rows: list[dict[str, Any]], path: Path, *, floor: dict[str, float] | None = None,
                   title: str = "") -> Path:
    """Bar chart of D_stsp (log) and D_H (stf2022 preset) per variant; dots are single seeds."""
    from rnnchaos._util.figures import new_figure, save_figure

    variants = [v for v in VARIANTS if any(r.get("method") == v for r in rows)]
    fig = new_figure((11, 4.2), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, metric, label in ((axes[0], "d_stsp_stf2022", "D_stsp (stf2022)"), (axes[1], "d_h_stf2022", "D_H (stf2022)")):
        for i, v in enumerate(variants):
            vals = [r[metric] for r in rows if r.get("method") == v and r.get(metric) is not None
                    and math.isfinite(r[metric])]
            if vals:
                ax.bar(i, float(np.median(vals)), color="#7570b3" if v != "clip" else "#999999", alpha=0.8)
                ax.plot([i] * len(vals), vals, "k.", ms=6)
            else:
                ax.text(i, 0.5, "failed", ha="center", transform=ax.get_xaxis_transform())
        if floor and metric in floor:
            ax.axhline(floor[metric], color="gray", lw=6, alpha=0.3, label="noise floor (data halves)")
        ax.set_xticks(range(len(variants)), variants)
        ax.set_ylabel(label)
        if metric.startswith("d_stsp"):
            ax.set_yscale("log")
        ax.grid(alpha=0.3, axis="y")
    if floor:
        fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", bbox_to_anchor=(0.5, -0.08))
    fig.suptitle(f"STF ablations: {title} ({budget_text(rows)})")
    return save_figure(fig, path)
