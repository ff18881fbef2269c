"""Built-in trial functions of ``rnnchaos sweep``: ``params: dict -> dict`` of JSON results.

Each wraps one library entry point; the per-trial ``seed`` (derived by the sweep engine, see
:mod:`rnnchaos.sweep.grid`) seeds everything random in the trial. Every kind accepts a parameter
``replicate`` that only labels repetitions (it changes the trial id, hence the seed, and is ignored).

* ``lyapunov_trial`` -- Lyapunov spectrum of a ground-truth system by the tangent-space QR method
  (Shimada & Nagashima 1979; Benettin et al. 1980), :func:`rnnchaos.dynamics.lyapunov_spectrum.lyapunov_spectrum`
  on ``rnnchaos.systems.get_system(system, **system_params).as_map(dt)``.
* ``chaos_probability_trial`` -- Monte Carlo probability that a random 1-D ReLU (or tanh) recurrent
  network has a point of period 3, hence Li–Yorke chaos (Li & Yorke 1975; Chatziafratis et al. 2022),
  :func:`rnnchaos.maps1d.montecarlo.chaos_probability` with Wilson 95% intervals.
* ``train_trial`` -- train an RNN on a data source with :class:`rnnchaos.training.reconstructor.Reconstructor`
  (sparse or generalized teacher forcing; Mikhaeil, Monfared & Durstewitz 2022; Hess et al. 2023), then
  score it on the held-out end of the series (D_stsp, D_H, PE).
"""

from __future__ import annotations

from typing import Any

__all__ = ["LYAPUNOV_SETTINGS", "TRAIN_DATA_KEYS", "TRAIN_SCORE_KEYS", "chaos_probability_trial", "lyapunov_trial",
           "train_trial", "validate_chaos_probability", "validate_lyapunov", "validate_train"]

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

    system_params = {k: v for k, v in params.items()
                     if k not in ("system", "seed", "replicate", *LYAPUNOV_SETTINGS)}
    system = get_system(params["system"], **system_params)
    d = system.lyapunov_defaults()
    dt = params.get("dt", d.dt)
    rng = np.random.default_rng(params.get("seed"))
    fmap = system.as_map(dt)
    z0 = system.default_initial_conditions(int(params.get("ics", d.ics)), seed=rng)
    res = lyapunov_spectrum(fmap, z0, params.get("n_steps", d.steps), k=params.get("k", d.exponents),
                            transient=params.get("transient", d.transient),
                            tangent_transient=params.get("tangent_transient", d.tangent_transient),
                            reortho_every=params.get("reortho_every", d.reortho_every), seed=rng)
    return {"system": system.name, **res.to_dict()}


_INIT_KEYS = ("init", "bias_init", "output_init", "output_bias_init")


def _values(fixed: dict[str, Any], grid: dict[str, list[Any]], key: str) -> list[tuple[str, Any]]:
    if key in grid:
        return [(f"grid.{key}[{i}]", v) for i, v in enumerate(grid[key])]
    if key in fixed:
        return [(f"fixed.{key}", fixed[key])]
    return []


def validate_chaos_probability(fixed: dict[str, Any], grid: dict[str, list[Any]]) -> None:
    """Config-time check of a ``chaos-probability`` sweep: widths and network counts positive integers,
    depth 2 or 3, known initialisation schemes and activations. Raises ``ValueError`` naming the key."""
    from rnnchaos.maps1d.init import SCHEMES
    from rnnchaos.maps1d.network import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS

    for key in ("width", "networks"):
        for label, v in _values(fixed, grid, key):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{label} must be a positive integer, got {v!r}")
    for label, v in _values(fixed, grid, "depth"):
        if v not in (2, 3) or isinstance(v, bool):
            raise ValueError(f"{label} must be 2 or 3, got {v!r}")
    for key in _INIT_KEYS:
        for label, v in _values(fixed, grid, key):
            if v not in SCHEMES:
                raise ValueError(f"{label}: unknown scheme {v!r}; choose one of {', '.join(SCHEMES)}")
    for key, allowed in (("hidden_activation", HIDDEN_ACTIVATIONS), ("output_activation", OUTPUT_ACTIVATIONS)):
        for label, v in _values(fixed, grid, key):
            if v not in allowed:
                raise ValueError(f"{label} must be one of {', '.join(allowed)}, got {v!r}")
    for key in ("entropy", "grid_test"):
        for label, v in _values(fixed, grid, key):
            if not isinstance(v, bool):
                raise ValueError(f"{label} must be true or false, got {v!r}")
    for label, v in _values(fixed, grid, "output_gain"):
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise ValueError(f"{label} must be a number, got {v!r}")


def chaos_probability_trial(params: dict[str, Any]) -> dict[str, Any]:
    """P(period 3) of ``networks`` random 1-D recurrent networks ``x -> f(x)`` of one initialisation.

    Parameters: ``width`` (required), ``depth`` (2 or 3), ``init``, ``bias_init``, ``output_init``,
    ``output_bias_init``, ``output_gain`` (the fields of :class:`rnnchaos.maps1d.init.InitSpec`),
    ``networks`` (default 1000), ``hidden_activation``, ``output_activation``, ``entropy`` (also the
    certified lower bound on P(h_top > 0), ReLU only), ``grid_test`` (also the scrambling paper's grid
    test, as published with f^4 and corrected with f^3). The trial seed seeds the networks.

    Returns flat numbers: ``networks``, ``n_period3``, ``p_period3``, ``ci95_low``, ``ci95_high``
    (Wilson 1927), the same for ``positive_entropy`` when computed, ``grid_*`` counts and
    probabilities when asked, and ``method``. Cost: about 25 us per width-64 ReLU network (exact
    criterion), one process.
    """
    from rnnchaos.maps1d.init import InitSpec
    from rnnchaos.maps1d.montecarlo import chaos_probability

    spec_keys = ("width", "depth", "init", "bias_init", "output_init", "output_bias_init", "output_gain")
    spec = InitSpec(**{k: params[k] for k in spec_keys if k in params})
    res = chaos_probability(spec, trials=params.get("networks", 1000), seed=params["seed"],
                            hidden_activation=params.get("hidden_activation", "relu"),
                            output_activation=params.get("output_activation", "identity"), workers=1,
                            entropy=params.get("entropy", True), grid=params.get("grid_test", False))
    out: dict[str, Any] = {"networks": res.trials, "n_period3": res.n_period3, "p_period3": res.p_period3,
                           "ci95_low": res.ci95[0], "ci95_high": res.ci95[1]}
    if res.n_positive_entropy is not None and res.ci95_positive_entropy is not None:
        out.update({"n_positive_entropy": res.n_positive_entropy, "p_positive_entropy": res.p_positive_entropy,
                    "ci95_positive_entropy_low": res.ci95_positive_entropy[0],
                    "ci95_positive_entropy_high": res.ci95_positive_entropy[1]})
    for key, value in res.grid.items():
        name = key if "grid" in key else f"grid_{key}"
        if isinstance(value, tuple | list):
            out[f"{name}_low"], out[f"{name}_high"] = value
        else:
            out[name] = value
    out["method"] = res.method
    return out


#: options of the ``train`` kind about the data (see :func:`rnnchaos.data.datasets.load_source`)
TRAIN_DATA_KEYS = ("data", "system_params", "n_steps", "dt", "embedding", "test_fraction")
#: options of the ``train`` kind about scoring (see :meth:`Reconstructor.evaluate`)
TRAIN_SCORE_KEYS = ("score", "preset", "score_steps", "pe_steps")
#: Reconstructor parameters a sweep may not set: files, devices and output are the engine's business
_TRAIN_FORBIDDEN = ("out", "progress", "seed", "device")


def _reconstructor_params() -> list[str]:
    import inspect

    try:
        from rnnchaos.training.reconstructor import Reconstructor
    except ImportError as exc:
        raise ValueError(f"kind 'train' needs rnnchaos.training.reconstructor, which cannot be imported: {exc}") from None

    sig = inspect.signature(Reconstructor.__init__)
    return [n for n, p in sig.parameters.items() if n != "self" and p.kind is not p.VAR_KEYWORD]


def validate_train(fixed: dict[str, Any], grid: dict[str, list[Any]]) -> None:
    """Config-time check of a ``train`` sweep: every parameter is a data option, a scoring option,
    ``model_kwargs`` (a table passed to the architecture) or a :class:`Reconstructor` parameter."""
    allowed = set(TRAIN_DATA_KEYS) | set(TRAIN_SCORE_KEYS) | {"model_kwargs", "seed"}
    est = [p for p in _reconstructor_params() if p not in _TRAIN_FORBIDDEN]
    allowed |= set(est)
    for section, keys in (("fixed", list(fixed)), ("grid", list(grid))):
        for key in keys:
            if key in _TRAIN_FORBIDDEN and key != "seed":
                raise ValueError(f"{section}.{key} cannot be set in a train sweep (the engine runs each trial "
                                 "in memory on the CPU, seeded by its trial seed)")
            if key not in allowed:
                raise ValueError(f"unknown parameter {section}.{key} for kind 'train'; data: "
                                 f"{', '.join(TRAIN_DATA_KEYS)}; scoring: {', '.join(TRAIN_SCORE_KEYS)}; "
                                 f"model_kwargs; estimator: {', '.join(est)}")
    for label, v in _values(fixed, grid, "model_kwargs") + _values(fixed, grid, "system_params"):
        if not isinstance(v, dict):
            raise ValueError(f"{label} must be a table, got {v!r}")
    for label, v in _values(fixed, grid, "data"):
        if not isinstance(v, str) or not v:
            raise ValueError(f"{label} must be a file path, a built-in system or a shared data set name, got {v!r}")


def train_trial(params: dict[str, Any]) -> dict[str, Any]:
    """Train a :class:`~rnnchaos.training.reconstructor.Reconstructor` on ``data`` and score it.

    Data options (:func:`rnnchaos.data.datasets.load_source`): ``data`` (a file, a built-in system
    name or a shared data set stem; required), ``system_params``, ``n_steps``, ``dt``, ``embedding``,
    ``test_fraction`` (default 0.2: the last fifth of the series is held out, as ``rnnchaos train``).
    Scoring options: ``score`` (default true), ``preset`` (default ``stf2022-corrected``),
    ``score_steps`` (free-run length, default 100,000), ``pe_steps`` (default 20). ``model_kwargs`` go
    to the architecture; every other parameter is a ``Reconstructor`` argument (``model``, ``hidden``,
    ``forcing``, ``tau``, ``epochs``, ``lr``, ...). The trial seed seeds the data simulation, the model
    initialisation and the batches; training runs on the CPU, in memory (no run directory).

    Returns ``tau``, ``alpha``, ``lambda_max_data`` (per step), ``epochs``, ``final_loss``, ``status``,
    ``message`` and, when scored, ``d_stsp``, ``d_h``, ``pe``. With ``minutes`` set, training stops on
    wall-clock time and results are no longer reproducible. Cost: that of ``fit`` plus one free run.
    """
    from rnnchaos.data.datasets import load_source, split_time
    from rnnchaos.metrics.presets import DEFAULT_PRESET
    from rnnchaos.training.reconstructor import Reconstructor

    p = {k: v for k, v in params.items() if k != "replicate"}
    seed = int(p.pop("seed"))
    data = p.pop("data")
    source_kwargs: dict[str, Any] = {"seed": seed}
    if "system_params" in p:
        source_kwargs["params"] = p.pop("system_params")
    for key in ("n_steps", "dt", "embedding"):
        if key in p:
            source_kwargs[key] = p.pop(key)
    test_fraction = float(p.pop("test_fraction", 0.2))
    do_score = bool(p.pop("score", True))
    preset = p.pop("preset", DEFAULT_PRESET)
    score_steps = int(p.pop("score_steps", 100_000))
    pe_steps = int(p.pop("pe_steps", 20))
    model_kwargs = dict(p.pop("model_kwargs", {}) or {})

    x, spec = load_source(data, **source_kwargs)
    x_train, x_test = split_time(x, test_fraction)
    split = {"test_fraction": test_fraction, "n_train": int(x_train.shape[0]), "n_test": int(x_test.shape[0])}
    rec = Reconstructor(**p, model_kwargs=model_kwargs, seed=seed, device="cpu", progress=False)
    rec.fit(x_train, data_spec=spec, split=split)
    res = rec.result_
    out: dict[str, Any] = {"tau": rec.tau_, "alpha": rec.alpha_ if rec.forcing == "gtf" else None,
                           "lambda_max_data": rec.lambda_max_data_, "epochs": res.epochs,
                           "final_loss": res.final_loss, "status": res.status, "message": res.message}
    if do_score:
        if x_test.shape[0] < 2:
            raise ValueError("scoring needs a test split: set test_fraction > 0 or score = false")
        scores = rec.evaluate(x_test, preset=preset, n_steps=score_steps, pe_steps=pe_steps)
        finite = scores["finite"]  # a run that overflowed gets no D_stsp / D_H (not its finite prefix's)
        out.update({"d_stsp": scores["d_stsp"] if finite else None, "d_h": scores["d_h"] if finite else None,
                    "pe": scores["pe"], "preset": scores["preset"], "finite": finite})
    return out
