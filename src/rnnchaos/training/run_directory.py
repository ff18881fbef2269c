"""Persistence of a :class:`rnnchaos.training.reconstructor.Reconstructor`: its run directory.

A run directory holds ``config.json`` (format :data:`RUN_FORMAT`, version :data:`RUN_VERSION`: data source,
split, standardisation, estimator parameters, model config, training settings, τ and λ_max of the data, and
the result), ``model.pt`` (``{"config", "state_dict"}``), and, written by the trainer, ``metrics.jsonl`` and
``checkpoint.pt``.  Files are written atomically and read with ``torch.load(weights_only=True)`` and
validated; nothing is unpickled.  Every malformed file is reported as a ``ValueError`` naming it.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rnnchaos._util.atomic import atomic_path, write_json_atomic
from rnnchaos._util.torch_files import load_weights_only
from rnnchaos.data.datasets import DataSpec
from rnnchaos.training.trainer import TrainResult, TrainSettings, _read_metrics

__all__ = ["GROWABLE", "RUN_FORMAT", "RUN_VERSION", "load_run", "read_config", "resume_differences", "run_config",
           "save_run", "stored_estimator_params"]

RUN_FORMAT = "rnnchaos-run"
RUN_VERSION = 1


#: the settings a resumed run may change, and only upward: the epoch cap and the time budget (None: unbounded)
GROWABLE = ("epochs", "minutes")
#: estimator parameters that never change the numbers of a run, so a resume may give other values
_NOT_COMPARED = ("progress", "device", "score_steps")


def stored_estimator_params(cls: Any, cfg: dict[str, Any]) -> dict[str, Any]:
    """The ``estimator`` section of a run's ``config.json``, with every parameter that an older rnnchaos did
    not write yet taken at its default in ``cls.__init__`` (for every option added since version 1 the default
    is the behaviour before the option existed), so that older runs open and resume."""
    import inspect

    stored = dict(cfg.get("estimator") or {})
    for name, p in list(inspect.signature(cls.__init__).parameters.items())[1:]:  # after self
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is not p.empty and name not in stored:
            stored[name] = p.default
    stored.setdefault("model_kwargs", {})
    return stored


def _grows(stored: Any, given: Any) -> bool:
    """``given`` is at least ``stored`` (None: unbounded)."""
    if given is None:
        return True
    return stored is not None and float(given) >= float(stored)


def resume_differences(cls: Any, previous: dict[str, Any], params: dict[str, Any],
                       training: dict[str, Any]) -> list[str]:
    """How the settings of a resume (``params`` of the estimator, ``training`` = ``TrainSettings.to_dict()``)
    differ from those stored in ``previous`` (a run's ``config.json``): one ``"name: stored X, given Y"`` per
    setting, empty when the run may continue.  ``epochs`` and ``minutes`` (:data:`GROWABLE`) may grow; a
    training field missing from an older file is derived from the estimator parameters, which are compared."""
    def plain(value: Any) -> Any:
        return json.loads(json.dumps(value, default=str))

    stored = plain(stored_estimator_params(cls, previous))
    mine = plain(params)
    out: dict[str, str] = {}
    for key in sorted(mine):
        if key in _NOT_COMPARED or key in GROWABLE:
            continue
        if mine[key] != stored.get(key):
            out[key] = f"{key}: stored {stored.get(key)!r}, given {mine[key]!r}"
    theirs = plain(previous.get("training") or {})
    given = plain(training)
    for key in sorted(given):
        if key in out or key not in theirs or key in _NOT_COMPARED:  # a CUDA run may resume on the CPU
            continue
        if key in GROWABLE:
            if not _grows(theirs[key], given[key]):
                out[key] = f"{key}: stored {theirs[key]!r}, given {given[key]!r} (it may only grow)"
        elif isinstance(given[key], dict) and isinstance(theirs[key], dict):  # the forcing schedule
            for sub in sorted(set(given[key]) & set(theirs[key])):  # a field an older file lacks: derived
                if given[key][sub] != theirs[key][sub]:
                    out[f"{key}.{sub}"] = f"{key}.{sub}: stored {theirs[key][sub]!r}, given {given[key][sub]!r}"
        elif given[key] != theirs[key]:
            out[key] = f"{key}: stored {theirs[key]!r}, given {given[key]!r}"
    return list(out.values())


def run_config(rec: Any, settings: TrainSettings) -> dict[str, Any]:
    """The ``config.json`` contents of a fitted estimator ``rec`` trained with ``settings``."""
    cfg: dict[str, Any] = {
        "format": RUN_FORMAT, "version": RUN_VERSION,
        "data": rec.data_spec_.to_dict(), "split": rec.split_,
        "standardization": {"mean": rec.mean_.tolist(), "std": rec.std_.tolist(), "x0": rec.x0_.tolist()},
        "estimator": rec._stored_params(), "model": rec.model_.config(),
        "training": settings.to_dict(), "seed": int(rec.seed),
        "tau": rec.tau_, "tau_rule": rec.tau_rule_, "lambda_max_data": rec.lambda_max_data_,
    }
    if getattr(rec, "denoise_", None) is not None:  # what the training data's filter removed (rnnchaos.data.denoise)
        cfg["denoise"] = rec.denoise_
    result = getattr(rec, "result_", None)
    if result is not None:
        cfg["result"] = _result_summary(result)
    return cfg


def save_run(rec: Any, run_dir: str | os.PathLike[str]) -> None:
    """Write ``config.json`` and ``model.pt`` (``{"config", "state_dict"}``) of ``rec`` to ``run_dir`` atomically."""
    rec._check_fitted()
    d = Path(run_dir)
    d.mkdir(parents=True, exist_ok=True)
    write_json_atomic(d / "config.json", run_config(rec, rec.settings_))
    with atomic_path(d / "model.pt") as tmp:
        torch.save({"config": rec.model_.config(),
                    "state_dict": {k: v.detach().cpu() for k, v in rec.model_.state_dict().items()}}, tmp)


def load_run(cls: Any, run_dir: str | os.PathLike[str]) -> Any:
    """Rebuild a fitted estimator of class ``cls`` from a run directory (``torch.load(weights_only=True)``,
    every field validated)."""
    from rnnchaos.models.base import model_from_config

    d = Path(run_dir)
    cfg = read_config(d)
    cfg = _on_available_device(cfg, d)
    params = stored_estimator_params(cls, cfg)
    params["model_kwargs"] = params.get("model_kwargs") or {}
    try:
        rec = cls(**params)
    except TypeError as exc:
        raise ValueError(f"{str(d / 'config.json')!r}: invalid estimator parameters: {exc}") from None
    path = d / "model.pt"
    if not path.is_file():
        raise ValueError(f"run directory {str(d)!r} has no model.pt")
    data = load_weights_only(path, repr(str(path)))
    if not isinstance(data, dict) or set(data) != {"config", "state_dict"}:
        raise ValueError(f"{str(path)!r} must hold a dict with keys 'config' and 'state_dict'")
    if data["config"] != cfg["model"]:
        raise ValueError(f"{str(path)!r}: model config does not match config.json")
    model = model_from_config(data["config"])
    sd = data["state_dict"]
    if not isinstance(sd, dict) or not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise ValueError(f"{str(path)!r}: state_dict must map names to tensors")
    bad = [k for k, v in sd.items() if not bool(torch.isfinite(v).all())]
    if bad:
        raise ValueError(f"{str(path)!r}: weights {bad} hold NaN or inf; the model cannot be used")
    try:
        model.load_state_dict(sd)
    except RuntimeError as exc:
        raise ValueError(f"{str(path)!r}: state_dict does not fit the model config: "
                         f"{' '.join(str(exc).split())[:300]}") from None
    model.eval()
    rec.model_ = model
    rec.n_features_in_ = int(model.obs_dim)
    st = cfg["standardization"]
    rec.mean_ = np.asarray(st["mean"], dtype=np.float64)
    rec.std_ = np.asarray(st["std"], dtype=np.float64)
    if (rec.mean_.shape != (model.obs_dim,) or rec.std_.shape != (model.obs_dim,)
            or not np.all(np.isfinite(rec.mean_)) or not np.all(np.isfinite(rec.std_)) or np.any(rec.std_ <= 0)):
        raise ValueError(f"{str(d / 'config.json')!r}: standardization does not match the model's "
                         f"{model.obs_dim} observed dimensions")
    rec.x0_ = np.asarray(st.get("x0", rec.mean_), dtype=np.float64)
    if rec.x0_.shape != rec.mean_.shape or not np.all(np.isfinite(rec.x0_)):
        raise ValueError(f"{str(d / 'config.json')!r}: standardization.x0 has the wrong length")
    rec.tau_ = cfg.get("tau")
    rec.tau_rule_ = cfg.get("tau_rule")
    rec.lambda_max_data_ = cfg.get("lambda_max_data")
    rec.denoise_ = cfg.get("denoise") if isinstance(cfg.get("denoise"), dict) else None
    rec.data_spec_ = DataSpec.from_dict(cfg["data"])
    rec.split_ = cfg.get("split") or {}
    rec.settings_ = TrainSettings.from_dict(cfg["training"])
    rec.alpha_ = rec.settings_.forcing.alpha
    rec.history_ = [h for h in _read_metrics(d / "metrics.jsonl") if "event" not in h]
    res = cfg.get("result")
    if isinstance(res, dict):
        rec.result_ = TrainResult(epochs=int(res.get("epochs", 0)), seconds=float(res.get("seconds", 0.0)),
                                  final_loss=float(res["final_loss"]) if res.get("final_loss") is not None
                                  else float("nan"), status=str(res.get("status", "")),
                                  message=str(res.get("message", "")), history=rec.history_,
                                  selected_epoch=res.get("selected_epoch"),
                                  selected_score=res.get("selected_score"))
    return rec


def _on_available_device(cfg: dict[str, Any], run_dir: Path) -> dict[str, Any]:
    """``cfg`` with its device set to ``cpu`` when it names ``cuda`` and this machine has no CUDA device (a
    run trained on a GPU opens, evaluates and reports anywhere; the weights are stored on the CPU), saying
    so in one line on stderr. The file itself is not changed."""
    trained = (cfg.get("training") or {}).get("device"), (cfg.get("estimator") or {}).get("device")
    if "cuda" not in trained or torch.cuda.is_available():
        return cfg
    out = dict(cfg)
    for section in ("training", "estimator"):
        if isinstance(out.get(section), dict) and out[section].get("device") == "cuda":
            out[section] = {**out[section], "device": "cpu"}
    sys.stderr.write(f"rnnchaos: info: run {str(run_dir)!r} was trained on cuda; this machine has no CUDA "
                     "device, so it is opened on the CPU\n")
    return out


def read_config(run_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and validate ``run_dir/config.json`` of a run directory."""
    path = Path(run_dir) / "config.json"
    if not path.is_file():
        raise ValueError(f"{str(path)!r} does not exist; is {str(run_dir)!r} a run directory?")
    try:
        cfg = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{str(path)!r} is not valid JSON: {exc}") from None
    if not isinstance(cfg, dict) or cfg.get("format") != RUN_FORMAT:
        raise ValueError(f"{str(path)!r} is not an rnnchaos run config (format {RUN_FORMAT!r})")
    if cfg.get("version") != RUN_VERSION:
        raise ValueError(f"{str(path)!r} has version {cfg.get('version')!r}; this rnnchaos reads {RUN_VERSION}")
    for key in ("data", "standardization", "estimator", "model", "training"):
        if not isinstance(cfg.get(key), dict):
            raise ValueError(f"{str(path)!r} lacks the {key!r} section")
    return cfg


def _result_summary(result: TrainResult) -> dict[str, Any]:
    fl = result.final_loss
    return {"epochs": result.epochs, "seconds": round(result.seconds, 3),
            "final_loss": fl if isinstance(fl, float) and math.isfinite(fl) else None,
            "status": result.status, "message": result.message, "selected_epoch": result.selected_epoch,
            "selected_score": result.selected_score}
