"""``rnnchaos metrics``, ``rnnchaos evaluate`` and ``rnnchaos report``: judge a reconstruction.

Thin wrappers: the computation lives in ``rnnchaos.metrics`` and ``rnnchaos.report``.
"""

from __future__ import annotations

from pathlib import Path

import click

from rnnchaos.cli._common import (
    LibraryChoice,
    device_option,
    emit,
    json_option,
    reortho_option,
    seed_option,
    tangent_dtype_option,
)
from rnnchaos.metrics.presets import DEFAULT_PRESET, PRESETS

exponents_option = click.option("--exponents", type=click.IntRange(1), default=None,
                                 help="Number K of the model's Lyapunov exponents [min(M, 32)].")
preset_option = click.option("--preset", type=click.Choice(list(PRESETS)), default=DEFAULT_PRESET,
                             show_default=True, help="Metric settings (see docs/metrics.md).")


@click.command("metrics")
@click.option("--truth", "truth", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Data series (T, N): .npy, .npz, .csv, ...")
@click.option("--generated", "generated", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Model trajectory (T', N) with the same N (for stf2022: one 100,000-step free run).")
@preset_option
@click.option("--method", type=LibraryChoice("rnnchaos.metrics.state_space:METHODS", extra=("auto",)), default="auto", show_default=True,
              help="D_stsp estimator: histogram or Gaussian mixture (auto: bins for N <= 5).")
@seed_option
@json_option
def metrics(truth: Path, generated: Path, preset: str, method: str, seed: int, as_json: bool) -> None:
    """D_stsp and D_H between a data series and a generated trajectory."""
    from rnnchaos.data.io import load_series
    from rnnchaos.metrics.power_spectrum import power_spectrum_distance_per_dim
    from rnnchaos.metrics.state_space import samples_used, state_space_divergence

    x_true = load_series(truth)
    x_gen = load_series(generated)
    if x_true.shape[1] != x_gen.shape[1]:
        raise ValueError(f"--truth has {x_true.shape[1]} columns but --generated has {x_gen.shape[1]}; the two "
                         "series must have the same width")
    m = None if method == "auto" else method
    d_stsp = state_space_divergence(x_true, x_gen, preset=preset, method=m, seed=seed)  # type: ignore[arg-type]
    d_h_dims = power_spectrum_distance_per_dim(x_true, x_gen, preset=preset)
    used = samples_used(x_true.shape[0], x_gen.shape[0], x_true.shape[1], preset=preset, method=m)  # type: ignore[arg-type]
    emit({"d_stsp": d_stsp, "d_stsp_n_samples": used[0], "d_stsp_n_samples_generated": used[1],
          "d_h": float(d_h_dims.mean()), "d_h_per_dim": [float(v) for v in d_h_dims],
          "preset": preset, "t_truth": int(x_true.shape[0]), "t_generated": int(x_gen.shape[0]),
          "n_dim": int(x_true.shape[1])}, as_json)


@click.command("evaluate")
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--test", "test_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Test series (default: the run's own data/test split as recorded in config.json).")
@preset_option
@click.option("--n-steps", type=int, default=100_000, show_default=True,
              help="Length of the model's free run (the stf2022 protocol uses 100,000).")
@click.option("--pe-steps", type=int, default=20, show_default=True, help="Horizon n of PE(n).")
@click.option("--lyapunov-steps", type=int, default=20_000, show_default=True,
              help="Steps of the model's Lyapunov-spectrum estimate.")
@exponents_option
@reortho_option
@tangent_dtype_option
@device_option
@seed_option
@json_option
def evaluate(run_dir: Path, test_file: Path | None, preset: str, n_steps: int, pe_steps: int,
             lyapunov_steps: int, exponents: int | None, reortho: str, tangent_dtype: str, device: str, seed: int,
             as_json: bool) -> None:
    """D_stsp, D_H, PE(n) and lambda_max of a trained run against its data (a run trained on CUDA opens on a
    machine without one; --device chooses where the model's Lyapunov spectrum is computed)."""
    from rnnchaos.dynamics.lyapunov_spectrum import parse_reortho
    from rnnchaos.report.evaluation import evaluate_run

    every = parse_reortho(reortho, "--reortho")
    result = evaluate_run(run_dir, test=test_file, preset=preset, n_steps=n_steps, pe_steps=pe_steps,
                          lyapunov_steps=lyapunov_steps, seed=seed, device=device, exponents=exponents,
                          reortho=every, tangent_dtype=tangent_dtype)
    emit(result.summary(), as_json)


@click.command("report")
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--test", "test_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Test series (default: the run's own data/test split).")
@preset_option
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Report directory (default RUN_DIR/report).")
@click.option("--n-steps", type=int, default=100_000, show_default=True, help="Length of the model's free run.")
@click.option("--lyapunov-steps", type=int, default=20_000, show_default=True,
              help="Steps of the model's Lyapunov-spectrum estimate.")
@exponents_option
@reortho_option
@tangent_dtype_option
@device_option
@seed_option
@json_option
def report(run_dir: Path, test_file: Path | None, preset: str, out: Path | None, n_steps: int,
           lyapunov_steps: int, exponents: int | None, reortho: str, tangent_dtype: str, device: str, seed: int,
           as_json: bool) -> None:
    """Write a Markdown report with figures (attractors, spectra, metrics, Lyapunov spectra, training)."""
    from rnnchaos._util.device import resolve_device
    from rnnchaos.dynamics.lyapunov_spectrum import parse_reortho
    from rnnchaos.report.markdown import write_report

    dev = resolve_device(device)
    every = parse_reortho(reortho, "--reortho")
    path = write_report(run_dir, out=out, test=test_file, preset=preset, n_steps=n_steps,
                        lyapunov_steps=lyapunov_steps, seed=seed, device=dev, exponents=exponents, reortho=every,
                        tangent_dtype=tangent_dtype)
    emit({"report": str(path)}, as_json)
