"""Built-in trial functions of ``rnnchaos sweep``: ``params: dict -> dict`` of JSON results.

Each wraps one library entry point; the per-trial ``seed`` (derived by the sweep engine, see
:mod:`rnnchaos.sweep.grid`) seeds everything random in the trial.

* ``lyapunov_trial`` -- Lyapunov spectrum of a ground-truth system by the tangent-space QR method
  (Shimada & Nagashima 1979; Benettin et al. 1980), :func:`rnnchaos.dynamics.lyapunov_spectrum.lyapunov_spectrum`
  on ``rnnchaos.systems.get_system(system, **system_params).as_map(dt)``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["LYAPUNOV_SETTINGS", "lyapunov_trial", "validate_lyapunov"]

#: parameters of the ``lyapunov`` kind that configure the engine; every other parameter (besides
#: ``system`` and ``seed``) is a parameter of the system (e.g. ``rho`` of ``lorenz63``)
LYAPUNOV_SETTINGS = ("dt", "n_steps", "transient", "tangent_transient", "k", "ics", "reortho_every")


def validate_lyapunov(fixed: dict[str, Any], grid: dict[str, list[Any]]) -> None:
    """Config-time check of a ``lyapunov`` sweep: known system names, and every other parameter is an
    engine setting or a parameter of every system named. Raises ``ValueError`` naming the key."""
    from rnnchaos.systems.registry import SYSTEMS

    names = grid.get("system", [fixed.get("system")])
    label = "grid.system" if "system" in grid else "fixed.system"
    classes = []
    for name in names:
        key = str(name).strip().lower().replace("-", "_") if isinstance(name, str) else None
        if key not in SYSTEMS:
            raise ValueError(f"{label}: unknown system {name!r}; valid systems: {', '.join(SYSTEMS)}")
        classes.append(SYSTEMS[key])
    for section, keys in (("fixed", list(fixed)), ("grid", list(grid))):
        for param in keys:
            if param in ("system", "seed") or param in LYAPUNOV_SETTINGS:
                continue
            for cls in classes:
                if param not in cls.PARAMS:
                    raise ValueError(f"unknown parameter {section}.{param} for system {cls.name!r}; engine settings: "
                                     f"{', '.join(LYAPUNOV_SETTINGS)}; system parameters: "
                                     f"{', '.join(cls.PARAMS) or '(none)'}")


def lyapunov_trial(params: dict[str, Any]) -> dict[str, Any]:
    """Lyapunov spectrum of ``get_system(params["system"], **system_params)``.

    Engine settings (default: the system's ``lyapunov_defaults()``, as used by ``rnnchaos lyapunov``):
    ``dt`` (integration step of a flow; must be absent for maps), ``n_steps``, ``transient``,
    ``tangent_transient``, ``k`` (number of exponents), ``ics`` (initial conditions averaged),
    ``reortho_every``. Every other parameter except ``seed`` is passed to the system.

    Returns the spectrum's ``to_dict()`` (``exponents`` in ``per_step`` for maps, ``per_time`` for
    flows, ``lambda_max``, ``sum``, ``kaplan_yorke_dimension``, ``stderr``, ``warnings``, ...) plus the
    system name. Cost: that of :func:`~rnnchaos.dynamics.lyapunov_spectrum.lyapunov_spectrum`.
    """
    import numpy as np

    from rnnchaos.dynamics.lyapunov_spectrum import lyapunov_spectrum
    from rnnchaos.systems.registry import get_system

    system_params = {k: v for k, v in params.items() if k not in ("system", "seed", *LYAPUNOV_SETTINGS)}
    system = get_system(params["system"], **system_params)
    d = system.lyapunov_defaults()
    dt = params.get("dt", d.dt)
    rng = np.random.default_rng(params.get("seed"))
    fmap = system.as_map(dt)
    z0 = system.default_initial_conditions(int(params.get("ics", d.ics)), seed=rng)
    res = lyapunov_spectrum(fmap, z0, params.get("n_steps", d.steps), k=params.get("k", d.exponents),
                            transient=params.get("transient", d.transient),
                            tangent_transient=params.get("tangent_transient", d.tangent_transient),
                            reortho_every=params.get("reortho_every", 1), seed=rng)
    return {"system": system.name, **res.to_dict()}
