"""``rnnchaos rnn-lyapunov`` and ``rnnchaos gradients``: chaos and gradient growth of an RNN model.

Thin: builds (or loads) a model with :mod:`rnnchaos.models`, calls
:func:`rnnchaos.models.spectrum.model_lyapunov_spectrum`,
:func:`rnnchaos.dynamics.orbit_classification.classify_orbits` and
:func:`rnnchaos.dynamics.gradient_growth.gradient_growth`, and prints the result.

``--checkpoint FILE`` loads ``torch.save({"config": model.config(), "state_dict": model.state_dict()})``
(read with ``torch.load(..., weights_only=True)``), the format written by rnnchaos training.
"""

from __future__ import annotations

import warnings
from collections import Counter
from typing import Any

import click

from rnnchaos._util.threads import single_thread
from rnnchaos.cli._common import (
    LibraryChoice,
    apply_options,
    device_option,
    emit,
    json_option,
    reortho_option,
    seed_option,
    tangent_dtype_option,
)

model_options = [
    click.option("--arch", type=LibraryChoice("rnnchaos.models.base:buildable_architectures"), default=None, help="Architecture [rnn]."),
    click.option("--hidden", type=click.IntRange(1), default=None,
                 help="Recurrent units: the latent size M (an LSTM's state [h, c] has 2M entries) [64]."),
    click.option("--gain", type=click.FloatRange(min=0), default=None,
                 help="rnn/lstm/gru: gain g multiplying the recurrent weights [1]."),
    click.option("--init", "init", type=LibraryChoice("rnnchaos.models.gated:INITS"), default=None,
                 help="rnn/lstm/gru: recurrent weight initialisation [rnn: normal N(0, g²/M); lstm/gru: pytorch]."),
    click.option("--clipped", is_flag=True, default=False, help="plrnn/shplrnn: the clipped (bounded) variant."),
    click.option("--width", type=click.IntRange(1), default=None,
                 help="shplrnn: hidden width L [4M]; alrnn: number P of ReLU units [M // 2]."),
    click.option("--checkpoint", type=click.Path(dir_okay=False), default=None,
                 help="Load a saved model {'config', 'state_dict'} instead of building one."),
    click.option("--ics", type=click.IntRange(1), default=4, show_default=True,
                 help="Initial conditions (batched), drawn from N(0, 1)."),
    click.option("--transient", type=click.IntRange(0), default=1000, show_default=True,
                 help="Steps discarded before measuring."),
]





def _model(arch: str | None, hidden: int | None, gain: float | None, init: str | None, clipped: bool,
           width: int | None, checkpoint: str | None, seed: int) -> Any:
    import torch

    from rnnchaos.models import build_model, load_checkpoint

    if checkpoint is not None:
        given = [n for n, v in (("--arch", arch), ("--hidden", hidden), ("--gain", gain), ("--init", init),
                                ("--width", width)) if v is not None] + (["--clipped"] if clipped else [])
        if given:
            raise click.UsageError(f"{', '.join(given)} cannot be combined with --checkpoint (the checkpoint "
                                   "fixes the model)")
        return load_checkpoint(checkpoint)
    arch = arch or "rnn"
    m = hidden or 64
    kw: dict[str, Any] = {"dtype": torch.float64}
    if arch in ("rnn", "lstm", "gru"):
        if clipped or width is not None:
            raise click.UsageError("--clipped and --width apply to plrnn/shplrnn only")
        if gain is not None:
            kw["gain"] = gain
        if init is not None:
            kw["init"] = init
    else:
        if gain is not None or init is not None:
            raise click.UsageError("--gain and --init apply to rnn, lstm and gru only")
        if arch == "alrnn":
            if clipped:
                raise click.UsageError("--clipped applies to plrnn/shplrnn only")
            if width is not None:
                kw["relu_units"] = width
        else:
            kw["clipped"] = clipped
        if arch == "shplrnn":
            kw["hidden_dim"] = width or 4 * m
        elif width is not None and arch != "alrnn":
            raise click.UsageError("--width applies to shplrnn and alrnn only")
    latent = 2 * m if arch == "lstm" else m
    return build_model(arch, min(latent, 3), latent, seed=seed, **kw)


def _orbits(model: Any, ics: int, transient: int, seed: int) -> tuple[str, dict[str, int], Any]:
    from rnnchaos.dynamics.orbit_classification import classify_orbits, dominant_orbit_type
    from rnnchaos.models.spectrum import initial_conditions

    z0 = initial_conditions(model, ics, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        classes = classify_orbits(model.as_map(), z0, transient=max(transient, 1), seed=seed)
    counts = Counter(c.label for c in classes)
    return dominant_orbit_type(classes), dict(counts), z0


def _lyapunov(model: Any, steps: int, k: int | None, ics: int, transient: int, seed: int,
              device: str = "cpu", reortho: int | str = "auto", tangent_dtype: str = "float64") -> Any:
    from rnnchaos.models.spectrum import model_lyapunov_spectrum

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model_lyapunov_spectrum(model, steps, k=k, n_initial_conditions=ics, transient=transient,
                                       reortho_every=reortho, seed=seed, device=device, tangent_dtype=tangent_dtype)


@click.command("rnn-lyapunov")
@click.option("--exponents", type=click.IntRange(1), default=None,
              help="Number of exponents K [all if M <= 64, else 32].")
@click.option("--steps", type=click.IntRange(1), default=5000, show_default=True,
              help="Accumulation steps per initial condition.")
@reortho_option
@tangent_dtype_option
@device_option
@seed_option
@json_option
def _rnn_lyapunov(exponents: int | None, steps: int, reortho: str, tangent_dtype: str, device: str, seed: int,
                  as_json: bool, arch: str | None, hidden: int | None, gain: float | None, init: str | None,
                  clipped: bool, width: int | None, checkpoint: str | None, ics: int, transient: int) -> None:
    """Lyapunov spectrum (tangent-space QR, Benettin et al. 1980) and orbit type of an RNN used as a map.

    Exponents are per step. The orbit type (fixed_point, k-cycle, quasi_periodic, chaotic, divergent) is the
    most common one over the initial conditions. With --device cuda (or auto on a machine with CUDA) the
    tangent space lives on the GPU (torch engine); on the CPU the NumPy engine runs (the torch engine with
    --tangent-dtype float32). The QR interval used is reported (reortho_every, mean_reortho_interval).
    """
    from rnnchaos._util.device import resolve_device
    from rnnchaos.dynamics.lyapunov_spectrum import parse_reortho

    dev = resolve_device(device)  # refuse cuda without CUDA before any work
    every = parse_reortho(reortho, "--reortho")
    with single_thread():
        _run_rnn_lyapunov(exponents, steps, seed, as_json, arch, hidden, gain, init, clipped, width, checkpoint,
                          ics, transient, dev.type, every, tangent_dtype)


def _run_rnn_lyapunov(exponents: int | None, steps: int, seed: int, as_json: bool, arch: str | None,
                      hidden: int | None, gain: float | None, init: str | None, clipped: bool, width: int | None,
                      checkpoint: str | None, ics: int, transient: int, device: str, reortho: int | str,
                      tangent_dtype: str) -> None:
    model = _model(arch, hidden, gain, init, clipped, width, checkpoint, seed)
    m = model.latent_dim
    if exponents is not None and exponents > m:
        raise click.BadParameter(f"must be at most the latent size {m}", param_hint="--exponents")
    k = exponents if exponents is not None else (m if m <= 64 else 32)
    orbit_type, counts, _ = _orbits(model, ics, transient, seed)
    spec = _lyapunov(model, steps, k, ics, transient, seed, device, reortho, tangent_dtype)
    d = spec.to_dict()
    emit({"arch": model.arch, "latent_dim": m, "exponents": d["exponents"], "lambda_max": d["lambda_max"],
          "kaplan_yorke_dimension": d["kaplan_yorke_dimension"], "orbit_type": orbit_type,
          "orbit_types": counts, "units": d["units"], "sum": d["sum"], "spread": d["spread"],
          "stderr": d["stderr"], "n_exponents": k, "n_steps": steps,
          "n_initial_conditions": d["n_initial_conditions"], "reortho": d["reortho"],
          "reortho_every": d["reortho_every"], "mean_reortho_interval": d["mean_reortho_interval"],
          "tangent_dtype": tangent_dtype, "device": device, "warnings": d["warnings"]}, as_json)


rnn_lyapunov = apply_options(model_options, _rnn_lyapunov)


@click.command("gradients")
@click.option("--steps", type=click.IntRange(3), default=200, show_default=True,
              help="Largest horizon T of ‖∂z_T/∂z_1‖ and ‖∂L_T/∂θ‖.")
@click.option("--lyapunov-steps", type=click.IntRange(1), default=20_000, show_default=True,
              help="Steps for the λ_max estimate shown beside the rate.")
@click.option("--windows", type=click.IntRange(1), default=16, show_default=True,
              help="Consecutive windows of --steps steps measured along each orbit; the rates average over all.")
@device_option
@seed_option
@json_option
def _gradients(steps: int, lyapunov_steps: int, windows: int, device: str, seed: int, as_json: bool,
               arch: str | None, hidden: int | None, gain: float | None, init: str | None, clipped: bool,
               width: int | None, checkpoint: str | None, ics: int, transient: int) -> None:
    """Exponential growth rate of gradients along orbits, beside λ_max (Mikhaeil et al., NeurIPS 2022).

    gradient_growth_rate is the fitted slope of log ‖∂L_T/∂θ‖ against T (loss at one time T, target an
    independent orbit); jacobian_growth_rate that of log ‖∂z_T/∂z_1‖. Both per step, averaged in log over
    --windows consecutive windows along each of the --ics orbits (converges to λ_max on chaotic orbits).
    """
    import numpy as np

    from rnnchaos._util.device import resolve_device
    from rnnchaos.dynamics.gradient_growth import gradient_growth

    dev = resolve_device(device).type
    model = _model(arch, hidden, gain, init, clipped, width, checkpoint, seed)
    with single_thread(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        orbit_type, counts, z0 = _orbits(model, ics, transient, seed)
        spec = _lyapunov(model, lyapunov_steps, 1, ics, transient, seed, dev)
        res = gradient_growth(model, z0, steps, transient=transient, n_windows=windows, device=dev, seed=seed)
    d = res.to_dict()
    note = None
    if not np.isfinite(res.log_loss_gradient_norm).any():
        note = ("the loss gradients are exactly zero: the target orbit (an independent orbit of the same model) "
                "reached the same attractor state, so no loss-gradient rate can be fitted; they are bounded")
    emit({"arch": model.arch, "latent_dim": model.latent_dim,
          "gradient_growth_rate": d["gradient_growth_rate"], "jacobian_growth_rate": d["jacobian_growth_rate"],
          "lambda_max": spec.lambda_max, "orbit_type": orbit_type, "orbit_types": counts, "units": "per_step",
          "max_log_loss_gradient_norm": res.max_log_loss_gradient_norm, "steps": steps, "windows": windows,
          "fit_start": d["fit_start"], "device": dev, **({"note": note} if note else {})}, as_json)


gradients = apply_options(model_options, _gradients)
