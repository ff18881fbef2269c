"""``rnnchaos demo``: the whole tool in one run on built-in data (a few minutes on 2 cores).

1. Lorenz-63 (σ=10, ρ=28, β=8/3): Lyapunov spectrum by the tangent-space QR method (Benettin et al.
   1980) and λ_max of a sampled trajectory by Rosenstein et al. (1993), with τ_pred = ln 2 / λ_max.
2. A PLRNN trained on that trajectory with sparse teacher forcing at τ = auto (Mikhaeil, Monfared &
   Durstewitz 2022) under a time budget, then evaluated (D_stsp, D_H, prediction error, model λ_max)
   with a report of figures.
3. P(period 3) — hence Li–Yorke chaos — of randomly initialised 1-D ReLU recurrent maps at three widths,
   computed exactly (Chatziafratis et al. 2022), with Wilson 95% intervals.

Everything shown is computed in the run; the summary and figures go to one run directory.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from rnnchaos._util.atomic import write_json_atomic, write_text_atomic
from rnnchaos._util.figures import STYLE, styled
from rnnchaos._util.validation import positive_float, positive_int

WIDTHS = (2, 16, 64)
MAX_DEMO_TRIALS = 10**6


def _step(log: list[str], verbose: bool, text: str) -> None:
    log.append(text)
    if verbose:
        import click

        click.echo(text, err=True)


def _lorenz_section(out: Path, seed: int, log: list[str], verbose: bool) -> dict[str, Any]:
    from rnnchaos.dynamics.lambda_max_data import lambda_max_from_series
    from rnnchaos.dynamics.lyapunov_spectrum import lyapunov_spectrum
    from rnnchaos.dynamics.predictability import predictability_time
    from rnnchaos.systems import get_system

    lorenz = get_system("lorenz63")
    d = lorenz.lyapunov_defaults()
    _step(log, verbose, "[1/4] Lorenz-63 Lyapunov spectrum (tangent-space QR)")
    spec = lyapunov_spectrum(lorenz.as_map(d.dt), lorenz.default_initial_conditions(32, seed=seed),
                             n_steps=d.steps, transient=d.transient, tangent_transient=d.tangent_transient,
                             reortho_every=d.reortho_every, seed=seed)
    ref = lorenz.reference()
    dt = float(d.dt or 0.01)
    x = lorenz.trajectory(20_000, dt=dt, seed=seed)
    _step(log, verbose, "[2/4] lambda_max of the sampled x-series (Rosenstein 1993)")
    data = lambda_max_from_series(x[:, 0], dt=dt, seed=seed)
    data.plot(out / "lorenz_divergence.png")
    tau = predictability_time(data.lambda_max, dt=dt)
    return {
        "spectrum_per_time": [float(v) for v in spec.exponents],
        "spectrum_reference": list(ref.exponents) if ref and ref.exponents else None,
        "kaplan_yorke_dimension": float(spec.kaplan_yorke_dimension),
        "lambda_max_from_data_per_time": data.lambda_max_per_time,
        "lambda_max_from_data_per_step": data.lambda_max,
        "data_warning": data.warning,
        "tau_pred_steps": tau.steps,
        "tau_pred_time": tau.time,
        "dt": dt,
    }


def _training_section(out: Path, minutes: float, seed: int, log: list[str], verbose: bool) -> dict[str, Any]:
    from rnnchaos.report.evaluation import evaluate_run
    from rnnchaos.report.markdown import write_report
    from rnnchaos.training.run import train_from_source

    _step(log, verbose, f"[3/4] training a PLRNN with sparse teacher forcing, tau = auto ({minutes:g} min budget)")
    run_dir = out / "training"
    rec, summary = train_from_source("lorenz63", n_steps=50_000, test_fraction=0.2, model="plrnn", hidden=30,
                                     forcing="stf", tau="auto", epochs=3000, minutes=minutes, seed=seed,
                                     out=run_dir, progress=verbose)
    _step(log, verbose, "      evaluating (100,000-step free run, D_stsp, D_H, prediction error, model spectrum)")
    evaluation = evaluate_run(run_dir, seed=seed)
    report = write_report(run_dir, evaluation=evaluation)
    result: dict[str, Any] = {key: summary.get(key) for key in
                              ("tau", "lambda_max_data", "epochs", "seconds", "final_loss", "status")}
    result["report"] = os.fspath(report)
    result["evaluation"] = evaluation.summary()
    return result


def _chaos_section(out: Path, trials: int, seed: int, log: list[str], verbose: bool) -> list[dict[str, Any]]:
    from rnnchaos.maps1d.init import InitSpec
    from rnnchaos.maps1d.montecarlo import chaos_probability

    _step(log, verbose, f"[4/4] P(period 3) of random 1-D ReLU recurrent maps, He init, {trials} networks per width")
    rows = []
    for width in WIDTHS:
        res = chaos_probability(InitSpec(width=width, init="he"), trials=trials, seed=seed)
        rows.append({"width": width, "trials": trials, "p_period3": res.p_period3,
                     "ci95": [float(v) for v in res.ci95], "p_positive_entropy": res.p_positive_entropy})
    _plot_chaos(rows, out / "chaos_probability.png")
    return rows


@styled(STYLE)
def _plot_chaos(rows: list[dict[str, Any]], path: Path) -> None:
    from rnnchaos._util.figures import new_figure, save_figure

    fig = new_figure((5.5, 3.6))
    ax = fig.subplots()
    widths = [str(r["width"]) for r in rows]
    p = np.array([r["p_period3"] for r in rows])
    lo = p - np.array([r["ci95"][0] for r in rows])
    hi = np.array([r["ci95"][1] for r in rows]) - p
    ax.bar(widths, p, color="#4c72b0", yerr=[lo, hi], capsize=6)
    for i, v in enumerate(p):
        ax.text(i, v + hi[i] + 0.005, f"{v:.3f}", ha="center", va="bottom", fontsize=10)
    ax.set_xlabel("width k of the hidden layer")
    ax.set_ylabel("P(period 3) (Li–Yorke chaos)")
    ax.set_title(f"Random ReLU maps f(x) = Σ aᵢ relu(wᵢx + bᵢ) + c, He init\n{rows[0]['trials']} networks per width, "
                 "95% Wilson intervals", fontsize=10)
    ax.set_ylim(0, max(0.05, float((p + hi).max()) * 1.25))
    save_figure(fig, path)


def _markdown(summary: dict[str, Any]) -> str:
    lz, tr, ch = summary["lorenz63"], summary["training"], summary["chaos_probability"]
    ev = tr.get("evaluation", {})
    ref = lz["spectrum_reference"]
    lines = [
        "# rnnchaos demo", "",
        f"Seed {summary['seed']}; total {summary['seconds']:.0f} s. Everything below was computed in this run.", "",
        "## 1. Lorenz-63: Lyapunov exponents", "",
        "| quantity | this run | reference |", "|---|---|---|",
        "| spectrum (per time unit) | " + ", ".join(f"{v:.4f}" for v in lz["spectrum_per_time"]) + " | "
        + (", ".join(f"{v:g}" for v in ref) + " (Sprott 2003)" if ref else "–") + " |",
        f"| Kaplan–Yorke dimension | {lz['kaplan_yorke_dimension']:.3f} | 2.062 |",
        f"| λ_max from 20,000 samples of x, dt = {lz['dt']:g} (Rosenstein) | "
        f"{lz['lambda_max_from_data_per_time']:.3f} per time unit | 0.9056 |",
        f"| τ_pred = ln 2 / λ_max | {lz['tau_pred_steps']:.1f} steps = {lz['tau_pred_time']:.3f} time units | |",
        "", "![divergence curve](lorenz_divergence.png)", "",
        "## 2. PLRNN trained with sparse teacher forcing (τ = auto)", "",
        f"τ = {tr['tau']} steps (data λ_max = {tr['lambda_max_data']:.4f} per step), "
        f"{tr['epochs']} epochs in {tr['seconds']:.0f} s, status {tr['status']}.", "",
    ]
    if ev:
        lines += ["| D_stsp | D_H | PE | λ_max model (per step) | λ_max data (per step) | preset |",
                  "|---|---|---|---|---|---|",
                  f"| {ev.get('d_stsp', float('nan')):.4f} | {ev.get('d_h', float('nan')):.4f} | "
                  f"{ev.get('pe', float('nan')):.4g} | {ev.get('lambda_max_model') or float('nan'):.4f} | "
                  f"{ev.get('lambda_max_data') or float('nan'):.4f} | {ev.get('preset', '')} |", ""]
    rel = os.path.relpath(tr["report"], summary["out"])
    lines += [f"Full report with attractors, spectra and training curves: [{rel}]({rel})", "",
              "## 3. Probability that a random 1-D ReLU recurrent map is chaotic", "",
              "| width | networks | P(period 3) | 95% CI | P(positive entropy) |", "|---|---|---|---|---|"]
    for r in ch:
        lines.append(f"| {r['width']} | {r['trials']} | {r['p_period3']:.4f} | "
                     f"[{r['ci95'][0]:.4f}, {r['ci95'][1]:.4f}] | {r['p_positive_entropy']:.4f} |")
    lines += ["", "![P(period 3)](chaos_probability.png)", ""]
    return "\n".join(lines)


def run_demo(out: str | os.PathLike[str], *, minutes: float = 2.0, trials: int = 4000, seed: int = 0,
             verbose: bool = True) -> dict[str, Any]:
    """Run the demo into directory ``out`` and return its summary (also written as ``summary.json``;
    the human-readable page is ``README.md`` in ``out``). ``minutes`` is the training budget."""
    minutes = positive_float(minutes, "minutes")
    trials = positive_int(trials, "trials")
    if trials > MAX_DEMO_TRIALS:
        raise ValueError(f"trials must be at most {MAX_DEMO_TRIALS:,} for the demo, got {trials:,}; "
                         "use `rnnchaos chaos-probability` for larger studies")
    out_dir = Path(out)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ValueError(f"output directory {os.fspath(out_dir)!r} is not empty; choose a new --out")
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    log: list[str] = []
    summary: dict[str, Any] = {"seed": seed, "out": os.fspath(out_dir)}
    summary["lorenz63"] = _lorenz_section(out_dir, seed, log, verbose)
    summary["training"] = _training_section(out_dir, minutes, seed, log, verbose)
    summary["chaos_probability"] = _chaos_section(out_dir, trials, seed, log, verbose)
    summary["seconds"] = time.perf_counter() - t0
    summary["page"] = os.fspath(out_dir / "README.md")
    write_json_atomic(out_dir / "summary.json", summary)
    write_text_atomic(out_dir / "README.md", _markdown(summary))
    return summary
