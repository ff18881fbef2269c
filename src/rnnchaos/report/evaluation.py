"""Evaluate a trained latent model against data: D_stsp, D_H, PE(n), and lambda_max of model and data.

Protocol (Mikhaeil, Monfared & Durstewitz, 2022, released code): the model trajectory is **one** free run
(:func:`rnnchaos.models.free_run.free_run`) of ``n_steps`` (100,000) steps started from the latent state
inferred from the data's first point, with no transient discarded; D_stsp and D_H compare it with the
whole test series under a metric preset (:func:`rnnchaos.metrics.scoring.score_trajectory`); PE(n) starts
from every test point, through the model's float64 adapter (:class:`rnnchaos.models.base.ModelMap`).
``Reconstructor.score`` follows the same protocol with the same parts and gives the same numbers. The model's Lyapunov spectrum (its first
min(M, 32) exponents by default, adaptive QR interval) comes from
:func:`rnnchaos.models.spectrum.model_lyapunov_spectrum` (per step), the data's lambda_max from
``rnnchaos.dynamics.lambda_max_data.lambda_max_from_series`` (Rosenstein et al., 1993; per step).

Cost: the free run (n_steps model steps), O(T N log T) for the metrics, pe_steps * T model steps for
PE, and lyapunov_steps tangent steps for the spectrum.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rnnchaos._util.rng import SeedLike
from rnnchaos._util.validation import as_trajectory, positive_int
from rnnchaos.data.mapped import release
from rnnchaos.metrics.prediction import prediction_error_curve
from rnnchaos.metrics.presets import DEFAULT_PRESET, get_preset
from rnnchaos.metrics.scoring import score_trajectory

#: the model's exponents computed by default: min(M, DEFAULT_EXPONENTS) (``--exponents K`` overrides)
DEFAULT_EXPONENTS = 32

__all__ = ["Evaluation", "evaluate_model", "evaluate_reconstructor", "evaluate_run", "load_history"]

Array = NDArray[np.float64]


@dataclass
class Evaluation:
    """Result of an evaluation. ``x_true`` (T, N) and ``x_gen`` (n_steps, N) are kept for the figures."""

    preset: str
    d_stsp: float
    d_h: float
    d_h_per_dim: list[float]
    pe: float
    pe_steps: int
    pe_curve: list[float]
    pe_persistence: list[float]
    lambda_max_model: float | None
    lyapunov_model: list[float]
    lambda_max_data: float | None
    n_steps: int
    x_true: Array = field(repr=False)
    x_gen: Array = field(repr=False)
    warnings: list[str] = field(default_factory=list)
    units: str = "per_step"
    d_stsp_n_samples: int | None = None
    lambda_max_data_n_samples: int | None = None
    #: how the model's spectrum was computed: n_exponents, tangent_dtype, reortho, reortho_every, mean interval
    lyapunov_settings: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The numbers only (JSON-ready): d_stsp, d_h, pe, lambda_max_model, lambda_max_data and details."""
        return {"d_stsp": self.d_stsp, "d_h": self.d_h, "pe": self.pe, "lambda_max_model": self.lambda_max_model,
                "lambda_max_data": self.lambda_max_data, "preset": self.preset, "pe_steps": self.pe_steps,
                "d_h_per_dim": self.d_h_per_dim, "lyapunov_model": self.lyapunov_model,
                "lyapunov_settings": self.lyapunov_settings, "units": self.units,
                "n_steps": self.n_steps, "t_test": int(self.x_true.shape[0]),
                # samples the subsampling estimators used: D_stsp (GMM: the first gmm_max_T of t_test), and
                # lambda_max_data when estimated here from the test series (None: taken from the training run)
                "d_stsp_n_samples": self.d_stsp_n_samples, "lambda_max_data_n_samples": self.lambda_max_data_n_samples,
                "warnings": self.warnings}


def evaluate_model(model: Any, x_test: Any, *, mean: Any = None, std: Any = None,
                   generate: Callable[[int, Array], Any] | None = None, preset: str = DEFAULT_PRESET,
                   n_steps: int = 100_000, pe_steps: int = 20, lyapunov_steps: int = 20_000,
                   lambda_max_data: float | None = None, seed: SeedLike = 0, device: Any = None,
                   exponents: int | None = None, reortho: int | str = "auto",
                   tangent_dtype: str = "float64") -> Evaluation:
    """Evaluate a ``LatentModel`` (``rnnchaos.models``) on a test series ``x_test`` (T, N) in data units.

    ``mean``/``std``: the standardisation applied before the model (identity when None). ``generate(T, x0)``
    may supply the free run (e.g. ``Reconstructor.generate``); by default it is computed here.
    ``lambda_max_data`` (per step) is estimated from ``x_test`` when not given. ``device``
    (``cpu``/``cuda``/``auto``; None: the CPU): where the model's Lyapunov spectrum is computed (on CUDA by
    :func:`rnnchaos.dynamics.lyapunov_spectrum_torch.lyapunov_spectrum_torch`, float64, same initial states
    and frame); the free run and PE(n) use the float64 NumPy adapter on the CPU. ``exponents``: how many of
    the model's exponents (default ``min(M, 32)``, so a 1,000-unit model is not sent through a full
    spectrum); ``reortho`` and ``tangent_dtype`` as in :func:`rnnchaos.models.spectrum.model_lyapunov_spectrum`.
    """
    from rnnchaos._util.device import resolve_device
    from rnnchaos.dynamics.lambda_max_data import lambda_max_from_series
    from rnnchaos.models.free_run import free_run
    from rnnchaos.models.spectrum import model_lyapunov_spectrum

    dev = resolve_device(device)
    p = get_preset(preset)
    x = as_trajectory(x_test, name="test series", min_length=10)
    release(x_test)  # a memory-mapped test series: the float64 copy is what is used from here on
    n_steps = positive_int(n_steps, "n_steps")
    pe_steps = positive_int(pe_steps, "pe_steps")
    lyapunov_steps = positive_int(lyapunov_steps, "lyapunov_steps")
    m = int(model.latent_dim)
    k = min(m, DEFAULT_EXPONENTS) if exponents is None else positive_int(exponents, "exponents")
    if k > m:
        raise ValueError(f"exponents must be at most the model's latent size {m}, got {k}")
    if int(model.obs_dim) != x.shape[1]:
        raise ValueError(f"the model observes {model.obs_dim} dimensions but the test series has {x.shape[1]} "
                         "columns")
    notes: list[str] = []
    fmap = model.as_map(mean=mean, std=std)
    if generate is not None:
        x_gen = np.asarray(generate(n_steps, x[0]), dtype=np.float64)
    else:
        with np.errstate(over="ignore", invalid="ignore"):  # observations -> data units
            x_gen = free_run(fmap, fmap.encode(x[:1]), n_steps)[0] * fmap.std + fmap.mean
    score = score_trajectory(x, x_gen, preset=p, seed=seed)
    notes += score.notes
    if score.diverged_at is not None:
        x_gen = x_gen[:score.diverged_at]
    pe_curve = prediction_error_curve(fmap.step, x, pe_steps, encode=fmap.encode, decode=fmap.decode)
    persistence = prediction_error_curve(lambda s: s, x, pe_steps)
    # Lyapunov spectrum of the model from four data-inferred states spread over the test series
    idx = np.linspace(0, x.shape[0] - 1, 4).astype(int)
    lyap: list[float] = []
    lam_model: float | None = None
    lyap_settings: dict[str, Any] = {"n_exponents": k, "tangent_dtype": tangent_dtype}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            spec = model_lyapunov_spectrum(model, lyapunov_steps, k=k, z0=fmap.encode(x[idx]), transient=1000,
                                           reortho_every=reortho, seed=seed, device=dev, tangent_dtype=tangent_dtype)
            lyap = [float(v) for v in spec.exponents]
            lam_model = spec.lambda_max
            d = spec.to_dict()
            lyap_settings.update({key: d[key] for key in ("reortho", "reortho_every", "mean_reortho_interval")})
        except ValueError as exc:
            notes.append(f"model Lyapunov spectrum: {exc}")
    notes += [str(w.message) for w in caught]
    lam_samples: int | None = None
    if lambda_max_data is None:
        try:
            lam_est = lambda_max_from_series(x, seed=seed)
            lambda_max_data = float(lam_est.lambda_max)
            lam_samples = lam_est.n_samples
        except ValueError as exc:
            notes.append(f"data lambda_max: {exc}")
    return Evaluation(preset=p.name, d_stsp=score.d_stsp, d_h=score.d_h, d_h_per_dim=score.d_h_per_dim,
                      pe=float(pe_curve[-1]), pe_steps=pe_steps,
                      pe_curve=[float(v) for v in pe_curve], pe_persistence=[float(v) for v in persistence],
                      lambda_max_model=lam_model, lyapunov_model=lyap, lambda_max_data=lambda_max_data,
                      n_steps=n_steps, x_true=x, x_gen=x_gen, warnings=notes,
                      d_stsp_n_samples=score.d_stsp_n_samples, lambda_max_data_n_samples=lam_samples,
                      lyapunov_settings=lyap_settings)


def evaluate_reconstructor(rec: Any, x_test: Any, **kwargs: Any) -> Evaluation:
    """Evaluate a fitted ``rnnchaos.training.reconstructor.Reconstructor`` (its model, standardisation,
    ``generate`` and ``lambda_max_data_``) on ``x_test``; keyword arguments as in ``evaluate_model``."""
    kwargs.setdefault("lambda_max_data", getattr(rec, "lambda_max_data_", None))
    return evaluate_model(rec.model_, x_test, mean=getattr(rec, "mean_", None), std=getattr(rec, "std_", None),
                          generate=lambda t, x0: rec.generate(t, x0=x0), **kwargs)


def load_history(run_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The records of ``RUN_DIR/metrics.jsonl`` (an empty list when absent; bad lines are skipped)."""
    path = Path(run_dir) / "metrics.jsonl"
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict):
            out.append(rec)
    return out


def _load_reconstructor(run_dir: Path) -> Any:
    if not run_dir.is_dir():
        raise ValueError(f"run directory {str(run_dir)!r} does not exist; give the --out directory of a "
                         "'rnnchaos train' run")
    if not (run_dir / "model.pt").is_file() and not (run_dir / "config.json").is_file():
        raise ValueError(f"{str(run_dir)!r} is not a run directory (no model.pt or config.json)")
    try:
        from rnnchaos.training.reconstructor import Reconstructor
    except ImportError as exc:  # pragma: no cover - depends on the training layer being installed
        raise ValueError(f"cannot load runs: rnnchaos.training.reconstructor is unavailable ({exc})") from None
    return Reconstructor.load(run_dir)


def run_test_series(rec: Any, run_dir: Path, test: str | os.PathLike[str] | None) -> Array:
    """The series to evaluate on: ``test`` if given; else the run's test split when it has one, otherwise its
    whole training series (the STF paper scores the free run against the training data), rebuilt from the
    data source recorded in ``config.json``."""
    from rnnchaos.data.io import load_series

    if test is not None:
        return load_series(test)
    cfg_path = run_dir / "config.json"
    try:
        cfg = json.loads(cfg_path.read_text(encoding="utf-8")) if cfg_path.is_file() else {}
    except json.JSONDecodeError:
        cfg = {}
    data = cfg.get("data") if isinstance(cfg, dict) else None
    if isinstance(data, dict) and data.get("kind") == "trials":  # several trials: the end of the last one
        from rnnchaos.data.trials import test_series

        return test_series(data, cfg.get("split") or {})
    if not isinstance(data, dict) or data.get("kind") not in ("file", "system"):
        raise ValueError(f"{str(run_dir)!r} records no reloadable data source (it was trained on an in-memory "
                         "array); pass the test series with --test FILE")
    from rnnchaos.data.datasets import DataSpec, load_source

    spec = DataSpec.from_dict(data)
    kwargs: dict[str, Any] = {"params": spec.params, "embedding": spec.embedding}
    for key in ("n_steps", "dt", "transient", "seed"):
        if getattr(spec, key) is not None:
            kwargs[key] = getattr(spec, key)
    x, _ = load_source(spec.source, **kwargs)
    split = cfg.get("split") or {}
    n_train, n_test = int(split.get("n_train") or x.shape[0]), int(split.get("n_test") or 0)
    return x[n_train:n_train + n_test] if n_test > 0 else x[:n_train]


def evaluate_run(run_dir: str | os.PathLike[str], *, test: str | os.PathLike[str] | None = None,
                 preset: str = DEFAULT_PRESET, n_steps: int = 100_000, pe_steps: int = 20,
                 lyapunov_steps: int = 20_000, seed: SeedLike = 0, device: Any = None,
                 exponents: int | None = None, reortho: int | str = "auto",
                 tangent_dtype: str = "float64") -> Evaluation:
    """Load a run directory (``Reconstructor.load``: on the CPU whatever device it was trained on, unless
    CUDA is present) and evaluate it on ``test`` (default: the run's data); ``device``, ``exponents``,
    ``reortho`` and ``tangent_dtype`` as in :func:`evaluate_model`."""
    from rnnchaos._util.device import resolve_device

    dev = resolve_device(device)  # refuse cuda without CUDA before loading anything
    rd = Path(run_dir)
    rec = _load_reconstructor(rd)
    x = run_test_series(rec, rd, test)
    return evaluate_reconstructor(rec, x, preset=preset, n_steps=n_steps, pe_steps=pe_steps,
                                  lyapunov_steps=lyapunov_steps, seed=seed, device=dev, exponents=exponents,
                                  reortho=reortho, tangent_dtype=tangent_dtype)
