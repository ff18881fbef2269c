"""D_stsp and D_H against the forcing interval tau (Mikhaeil, Monfared & Durstewitz, NeurIPS 2022, Fig. 4).

For each model and tau, train with sparse teacher forcing (``Reconstructor(forcing="stf", tau=tau)``)
under a wall-clock budget; add the gradient-clipped BPTT baseline (no forcing); score every run with the
paper's protocol (``stf_common.train_and_score``). Writes to ``out``:

* ``results.jsonl`` (journal, resumable: rerunning the same command skips finished runs),
* ``tau_sweep.csv`` / ``tau_sweep.json`` (one row per run), ``summary.json`` (best per model),
* ``tau_sweep.png``: D_stsp and D_H (stf2022 preset, as published) against tau, with tau_pred marked,
  the clipped-BPTT baseline, the published curves and the data's own noise floor (first vs second half).

Budgets: the paper trained 3,000 epochs per run; here each run gets ``minutes`` of one CPU core, so the
numbers are lower bounds of what the method can do and are labelled with their budget.
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
    PAPER_TAU_PRED,
    STFRun,
    budget_text,
    default_fit,
    finished_keys,
    load_dataset,
    load_paper_curves,
    noise_floor,
    open_journal,
    record_run,
    series_name,
    train_and_score,
)

__all__ = ["DEFAULT_TAUS", "plan_tau_sweep", "run_tau_sweep", "plot_tau_sweep"]

DEFAULT_TAUS: tuple[float, ...] = (5, 10, 20, 30, 50, 70, 100, 200)
#: the gradient-clipped BPTT baseline: full BPTT over the training sequence, gradient-norm clipping
CLIP_KWARGS: dict[str, Any] = {"clip": "norm", "clip_value": 10.0}


def plan_tau_sweep(dataset: str, models: Sequence[str], taus: Sequence[float], seeds: int, minutes: float,
                   include_clip: bool = True) -> list[STFRun]:
    """The runs of a sweep, ordered so that partial results cover every tau early (seed-major)."""
    runs = []
    for seed in range(seeds):
        for model in models:
            if include_clip:
                runs.append(STFRun(dataset, model, "clip", None, seed, minutes))
            for tau in taus:
                runs.append(STFRun(dataset, model, "stf", float(tau), seed, minutes))
    return runs


def _kwargs(run: STFRun, base: dict[str, Any]) -> dict[str, Any]:
    kw = dict(base)
    kw.update(dict(run.settings))
    if run.method == "clip":
        kw.update(forcing="bptt", tau="auto")  # tau is unused by BPTT; "auto" still estimates lambda_max
        kw.update(CLIP_KWARGS)
    else:
        kw.update(forcing="stf", tau=int(round(run.tau)) if run.tau is not None else "auto")
        if run.tau is not None and "seq_len" not in kw:
            # at least two forcing intervals per training sequence (the paper's code: "choose seq_len
            # depending on the sweeping range of tau"); 100 as in the paper otherwise
            kw["seq_len"] = max(100, 2 * int(round(run.tau)))
    return kw


def run_tau_sweep(dataset: str, *, models: Sequence[str] = ("plrnn", "rnn", "lstm"),
                  taus: Sequence[float] = DEFAULT_TAUS, seeds: int = 1, minutes: float = 2.0,
                  out: str | os.PathLike[str] = "stf_tau_sweep", data_dir: str | None = None,
                  include_clip: bool = True, reconstructor_kwargs: dict[str, Any] | None = None,
                  n_steps: int = 100_000, lyapunov_steps: int = 5000,
                  fit: Callable[..., Any] = default_fit,
                  on_row: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Run (or resume) the tau sweep on ``dataset``; returns the summary written to ``summary.json``."""
    if not models:
        raise ValueError("models must name at least one architecture, e.g. plrnn,rnn,lstm")
    if minutes <= 0 or not math.isfinite(minutes):
        raise ValueError(f"minutes must be a positive time budget per run, got {minutes!r}")
    if any((not math.isfinite(t)) or t < 1 for t in taus):
        raise ValueError(f"taus must be forcing intervals >= 1 step, got {list(taus)}")
    dataset = series_name(dataset)  # stf:lorenz63 -> lorenz63, the name in journal keys and tables
    x = load_dataset(dataset, data_dir)
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    journal = open_journal(root / "results.jsonl")
    latest = journal.load()
    base = dict(reconstructor_kwargs or {})
    floor = noise_floor(x)
    paper = load_paper_curves(None if data_dir is None else Path(data_dir).parent / "reference" / "stf_paper_curves.csv")

    def finalise() -> dict[str, Any]:  # table, summary and figure after every run: partial results are usable
        rows = [r for r in latest.values() if r.get("dataset") == dataset]
        summary = summarise(rows, dataset, floor)
        write_json_atomic(root / "summary.json", summary)
        write_table(rows, root, "tau_sweep", fields=FIELDS)
        plot_tau_sweep(rows, dataset, root / "tau_sweep.png", floor=floor, paper=paper)
        return summary

    with journal:
        for run in plan_tau_sweep(dataset, models, taus, seeds, minutes, include_clip):
            if run.key in finished_keys(latest):
                continue
            row = train_and_score(run, x, root, reconstructor_kwargs=_kwargs(run, base), n_steps=n_steps,
                                  lyapunov_steps=lyapunov_steps, fit=fit)
            record_run(journal, latest, run.key, row)
            finalise()
            if on_row is not None:
                on_row(row)
    return finalise()


def summarise(rows: list[dict[str, Any]], dataset: str, floor: dict[str, float]) -> dict[str, Any]:
    """Best (lowest) D_stsp and D_H under stf2022 per model and method, with the noise floor."""
    best: dict[str, Any] = {}
    for r in rows:
        for metric in ("d_stsp_stf2022", "d_h_stf2022", "d_stsp_corrected", "d_h_corrected"):
            v = r.get(metric)
            if v is None or not math.isfinite(v):
                continue
            key = f"{r['model']}|{r['method']}|{metric}"
            if key not in best or v < best[key]["value"]:
                best[key] = {"value": v, "tau": r.get("tau"), "seed": r.get("seed"), "minutes": r.get("minutes"),
                             "epochs_done": r.get("epochs_done")}
    return {"dataset": dataset, "tau_pred_paper": PAPER_TAU_PRED.get(dataset), "noise_floor_halves": floor,
            "best": best, "n_runs": len(rows)}


@styled(STYLE)
def plot_tau_sweep(rows: list[dict[str, Any]], dataset: str, path: Path, *, floor: dict[str, float] | None = None,
                   paper: list[dict[str, Any]] | None = None) -> Path:
    """D_stsp (log scale) and D_H against tau, per model, as published (stf2022 preset)."""
    from rnnchaos._util.figures import new_figure, save_figure

    colors = {"plrnn": "#1b9e77", "rnn": "#d95f02", "lstm": "#7570b3", "shplrnn": "#e7298a", "gru": "#66a61e"}
    fig = new_figure((12, 4.6), layout="constrained")
    axes = fig.subplots(1, 2)
    models = sorted({r["model"] for r in rows})
    tau_lams = [r["tau_pred_data"] for r in rows if r.get("tau_pred_data")]
    for ax, metric, paper_metric, label in ((axes[0], "d_stsp_stf2022", "dstsp", "D_stsp (stf2022)"),
                                            (axes[1], "d_h_stf2022", "d_h", "D_H (stf2022)")):
        for m in models:
            col = colors.get(m, "black")
            stf = [r for r in rows if r["model"] == m and r["method"] == "stf" and r.get(metric) is not None
                   and math.isfinite(r[metric])]
            taus = sorted({float(r["tau"]) for r in stf})
            if taus:
                means = [float(np.mean([r[metric] for r in stf if float(r["tau"]) == t])) for t in taus]
                ax.plot(taus, means, "o-", color=col, label=f"{m} STF (ours)")
                ax.plot([float(r["tau"]) for r in stf], [r[metric] for r in stf], ".", color=col, alpha=0.4)
            clip = [r[metric] for r in rows if r["model"] == m and r["method"] == "clip" and r.get(metric) is not None
                    and math.isfinite(r[metric])]
            if clip:
                ax.axhline(float(np.mean(clip)), color=col, ls="--", lw=1.2, label=f"{m} clipped BPTT (ours)")
            pub = [p for p in (paper or []) if p["dataset"] == dataset and p["model"] == m
                   and p["metric"].startswith(paper_metric)]
            pts = sorted((p["tau"], p["value"]) for p in pub if p["method"] == "stf" and p["tau"] is not None)
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], "s:", mfc="none", color=col, ms=7,
                        label=f"{m} STF (paper)")
            for p in pub:
                if p["method"] == "clip":
                    ax.axhline(p["value"], color=col, ls=(0, (1, 3)), lw=1.2, label=f"{m} clipped (paper)")
        if floor and f"{metric.replace('_stf2022', '')}_stf2022" in floor:
            ax.axhline(floor[f"{metric.replace('_stf2022', '')}_stf2022"], color="gray", lw=6, alpha=0.3,
                       label="noise floor (data halves)")
        tp = PAPER_TAU_PRED.get(dataset)
        if tp:
            ax.axvline(tp, color="black", ls=":", lw=1.0, label=f"tau_pred (paper) = {tp:g}")
        if tau_lams:
            ax.axvline(float(np.median(tau_lams)), color="gray", ls="-.", lw=1.0,
                       label=f"tau_pred (our lambda_max) = {float(np.median(tau_lams)):.0f}")
        ax.set_xscale("log")
        all_taus = sorted({float(r["tau"]) for r in rows if r["method"] == "stf" and r.get("tau") is not None})
        if all_taus:
            ax.set_xticks(all_taus, [f"{t:g}" for t in all_taus])
            ax.minorticks_off()
        if metric.startswith("d_stsp"):
            ax.set_yscale("log")
        ax.set_xlabel("forcing interval tau (steps)")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3, which="both")
    uniq: dict[str, Any] = {}
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=False):
            uniq.setdefault(lab, h)
    axes[1].legend(uniq.values(), uniq.keys(), fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.suptitle(f"{dataset}: sparse teacher forcing vs tau ({budget_text(rows)}; paper: 3,000 epochs)")
    return save_figure(fig, path)
