"""``rnnchaos lyapunov``: Lyapunov spectrum of a ground-truth system, or λ_max of a measured series.

Thin: parses, calls :func:`rnnchaos.dynamics.lyapunov_spectrum.lyapunov_spectrum` (or the data
estimator of :mod:`rnnchaos.dynamics.lambda_max_data`) and prints the result.
"""

from __future__ import annotations

from typing import Any, Literal, cast

import click

from rnnchaos.cli._common import LibraryChoice, TextOrNumber, emit, json_option, parse_params, seed_option

_SYSTEM_ONLY = ("params", "steps", "transient", "ics", "exponents", "reortho")
_DATA_ONLY = ("method", "lag", "dim", "theiler", "plot")


@click.command("lyapunov")
@click.argument("system", required=False, metavar="[SYSTEM]")
@click.option("--data", "data", type=click.Path(dir_okay=False), default=None,
              help="Estimate lambda_max from a measured series (.npy or .csv, time x dims) instead of a SYSTEM; "
                   "also a published data set by name (stf:lorenz63; rnnchaos data list).")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="System parameter, repeatable (e.g. --param rho=28).")
@click.option("--steps", type=int, default=None, help="Accumulation steps per initial condition [system default].")
@click.option("--dt", type=float, default=None,
              help="Flows: RK4 step (exponents per unit time). Data: sampling interval (adds lambda_max_per_time).")
@click.option("--transient", type=int, default=None, help="State-only steps discarded first [system default].")
@click.option("--ics", type=int, default=None, help="Initial conditions averaged (batched) [system default].")
@click.option("--exponents", type=int, default=None, help="Number of exponents k [system default: all].")
@click.option("--method", type=LibraryChoice("rnnchaos.dynamics.lambda_max_data:METHODS"), default=None,
              help="Data: divergence estimator [rosenstein].")
@click.option("--lag", type=int, default=None, help="Data: embedding lag [first minimum of mutual information].")
@click.option("--dim", type=int, default=None, help="Data: embedding dimension [false nearest neighbours].")
@click.option("--theiler", type=int, default=None, help="Data: Theiler window in samples [automatic].")
@click.option("--plot", type=click.Path(dir_okay=False), default=None, help="Data: save the divergence curve (PNG).")
@click.option("--reortho", type=TextOrNumber(), default=None, metavar="auto|INT",
              help="Steps between two QR re-orthonormalisations of the tangent frame: auto (adapted to the frame's "
                   "conditioning) or a fixed interval [the system's tuned interval where it has one, else auto].")
@seed_option
@json_option
def lyapunov(system: str | None, data: str | None, params: tuple[str, ...], steps: int | None, dt: float | None,
             transient: int | None, ics: int | None, exponents: int | None, method: str | None, lag: int | None,
             dim: int | None, theiler: int | None, plot: str | None, reortho: str | None, seed: int,
             as_json: bool) -> None:
    """Lyapunov spectrum of SYSTEM (tangent-space QR, Benettin et al. 1980), or lambda_max of --data FILE.

    SYSTEM is one of: lorenz63, rossler, lorenz96, duffing, mackey_glass, logistic, tent, henon, or
    dysts:NAME, a system of the dysts catalogue (optional extra rnnchaos[dysts]; e.g. dysts:Lorenz).
    Exponents are per_step for maps and per_time for flows. Exactly one of SYSTEM and --data is required.
    The QR interval is the system's tuned one (a fixed interval, e.g. 5 for the flows and the Hénon map) where it
    has one, else it adapts to the tangent frame's conditioning (auto); --reortho overrides it.
    """
    given = {"params": bool(params), "steps": steps is not None, "transient": transient is not None,
             "ics": ics is not None, "exponents": exponents is not None, "method": method is not None,
             "lag": lag is not None, "dim": dim is not None, "theiler": theiler is not None, "plot": plot is not None,
             "reortho": reortho is not None}
    if (system is None) == (data is None):
        raise click.UsageError("give exactly one of SYSTEM or --data FILE")
    if data is not None:
        wrong = [k for k in _SYSTEM_ONLY if given[k]]
        if wrong:
            flags = ", ".join("--param" if w == "params" else "--" + w for w in wrong)
            raise click.UsageError(f"option(s) {flags} apply only to a SYSTEM, not to --data")
        _data_branch(data, dt=dt, method=method or "rosenstein", lag=lag, dim=dim, theiler=theiler, plot=plot,
                     seed=seed, as_json=as_json)
        return
    wrong = [k for k in _DATA_ONLY if given[k]]
    if wrong:
        raise click.UsageError(f"option(s) {', '.join('--' + w for w in wrong)} apply only to --data, not to a SYSTEM")
    assert system is not None
    result = _system_branch(system, parse_params(params), steps=steps, dt=dt, transient=transient, ics=ics,
                            exponents=exponents, reortho=reortho, seed=seed)
    emit(result, as_json)


def _system_branch(name: str, params: dict[str, float], *, steps: int | None, dt: float | None,
                   transient: int | None, ics: int | None, exponents: int | None, reortho: str | None,
                   seed: int) -> dict[str, Any]:
    import warnings

    import numpy as np

    from rnnchaos._util.validation import positive_float, positive_int
    from rnnchaos.dynamics.lyapunov_spectrum import (
        LyapunovSpectrumWarning,
        check_working_memory,
        lyapunov_spectrum,
        parse_reortho,
    )
    from rnnchaos.dynamics.predictability import predictability_time
    from rnnchaos.systems.registry import get_system

    if reortho is not None:
        parse_reortho(reortho, "--reortho")  # refuse a bad value before any work
    sysm = get_system(name, **params)
    d = sysm.lyapunov_defaults()
    every = parse_reortho(d.reortho_every if reortho is None else reortho, "--reortho")
    n_steps = positive_int(d.steps if steps is None else steps, "--steps")
    n_ics = positive_int(d.ics if ics is None else ics, "--ics")
    k = d.exponents if exponents is None else positive_int(exponents, "--exponents")
    if transient is not None and transient < 0:
        raise ValueError(f"--transient must be a non-negative integer, got {transient}")
    n_transient = d.transient if transient is None else int(transient)
    if sysm.kind == "map":
        if dt is not None:
            raise ValueError(f"{sysm.name} is a map (exponents per step): --dt does not apply")
        step_dt = None
    else:
        step_dt = d.dt if dt is None else positive_float(dt, "--dt")
    if k is not None and k > sysm.dim:
        raise ValueError(f"--exponents must be between 1 and the dimension {sysm.dim} of {sysm.name}, got {k}")
    check_working_memory(n_ics, sysm.dim, sysm.dim if k is None else k, "initial conditions (--ics)")
    rng = np.random.default_rng(seed)
    z0 = sysm.default_initial_conditions(n_ics, rng)
    fmap = sysm.as_map(step_dt)
    with warnings.catch_warnings():  # diagnostics are reported in the output's "warnings" list
        warnings.simplefilter("ignore", LyapunovSpectrumWarning)
        res = lyapunov_spectrum(fmap, z0, n_steps, k=k, transient=n_transient,
                                tangent_transient=d.tangent_transient, reortho_every=every,
                                seed=rng, progress=True)
    ref = sysm.reference()
    tau = predictability_time(res.lambda_max * (fmap.dt or 1.0), fmap.dt)
    return {
        "system": sysm.name,
        "parameters": sysm.params,
        "exponents": [float(v) for v in res.exponents],
        "kaplan_yorke_dimension": res.kaplan_yorke_dimension,
        "units": res.units,
        "dt": res.dt,
        "steps": res.n_steps,
        "spread": [float(v) for v in res.spread],
        "stderr": [float(v) for v in res.stderr],
        "sum": res.sum,
        "reortho": res.reortho,
        "reortho_every": res.reortho_every,
        "mean_reortho_interval": res.mean_reortho_interval,
        "initial_conditions": int(res.per_initial_condition.shape[0]),
        "transient": n_transient,
        "predictability_steps": tau.steps,
        "predictability_time": tau.time,
        "reference": None if ref is None else ref.to_dict(),
        "step_choice": (None if step_dt is None else {"dt": step_dt, "reason": "given by --dt"} if dt is not None
                        else d.extra.get("step_choice", {"dt": step_dt, "reason": "the system's default step"})),
        "warnings": list(res.warnings),
    }


def _data_branch(path: str, *, dt: float | None, method: str, lag: int | None, dim: int | None, theiler: int | None,
                 plot: str | None, seed: int, as_json: bool) -> None:
    from rnnchaos.data.catalog import resolve_file
    from rnnchaos.data.io import load_series
    from rnnchaos.dynamics.lambda_max_data import lambda_max_from_series

    x = load_series(resolve_file(path))  # a file, or a published data set by name (stf:lorenz63)
    result = lambda_max_from_series(x, dt=dt, method=cast(Literal["rosenstein", "kantz"], method), lag=lag, embedding_dim=dim, theiler=theiler, seed=seed)
    if plot is not None:
        result.plot(plot)
    emit(result.to_dict(), as_json)
