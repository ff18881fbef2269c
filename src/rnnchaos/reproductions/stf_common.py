"""Shared parts of the sparse-teacher-forcing reproductions (Mikhaeil, Monfared & Durstewitz, NeurIPS 2022).

* the benchmark data sets (catalog names ``stf:<name>``, files ``stf_<name>.npy`` in a data directory,
  ``rnnchaos.data.catalog``) and their published tau_pred;
* the published curves (``stf_paper_curves.csv``);
* training one configuration with ``rnnchaos.training.reconstructor.Reconstructor`` under a time budget
  and scoring it with the paper's protocol: one 100,000-step free run from the latent state inferred from
  the data's first point, D_stsp and D_H against the whole data set under ``stf2022`` (comparable with the
  paper) and ``stf2022-corrected`` (docs/metrics.md), and the model's lambda_max;
* a resumable results journal (``results.jsonl``, ``rnnchaos.sweep.journal.Journal``: one JSON object per
  finished run; a rerun skips them),
  tables (``rnnchaos._util.tables.write_table`` with ``fields=FIELDS``) and the noise floor of each
  metric on the data (first vs second half).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rnnchaos.data.catalog import CATALOG
from rnnchaos.metrics.presets import get_preset
from rnnchaos.metrics.scoring import score_trajectory
from rnnchaos.sweep.journal import Journal

__all__ = ["DATASETS", "series_name", "PAPER_TAU_PRED", "STFRun", "data_dir", "load_dataset", "load_paper_curves",
           "train_and_score", "open_journal", "finished_keys", "record_run", "noise_floor", "FIELDS"]

Array = NDArray[np.float64]

#: series name (the journal's and the tables' ``dataset``) -> file name in the data directory, from the
#: ``stf:`` entries of ``rnnchaos.data.catalog.CATALOG`` (``stf:lorenz63`` is the series ``lorenz63``)
DATASETS: dict[str, str] = {name.split(":", 1)[1]: e.train_file for name, e in CATALOG.items()
                            if name.startswith("stf:")}
#: tau_pred = ln 2 / lambda_max (steps) used by the paper (data README)
PAPER_TAU_PRED: dict[str, float] = {"lorenz63": 46.0, "lorenz63_yz": 46.0, "rossler": 77.0,
                                    "duffing_forced": 39.0, "weather_tde": 43.0, "eeg_tde": 41.0}
PRESETS_SCORED = ("stf2022", "stf2022-corrected")
FIELDS = ["dataset", "model", "method", "tau", "seed", "minutes", "epochs_done", "training_status",
          "selected_epoch", "seconds",
          "d_stsp_stf2022", "d_h_stf2022", "d_stsp_corrected", "d_h_corrected", "lambda_max_model",
          "lambda_max_data", "tau_pred_data", "status", "run_dir", "settings"]


def data_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """The data directory: ``path``, else ``$RNNCHAOS_DATA_DIR``, else ``<repo>/../shared/data``
    (``rnnchaos.data.datasets.shared_data_dir``), else ``../shared/data`` from the working directory."""
    if path is not None:
        return Path(path)
    from rnnchaos.data.datasets import shared_data_dir

    found = shared_data_dir()
    return found if found is not None else Path.cwd().parent / "shared" / "data"


def series_name(name: str) -> str:
    """The STF series name of a data set: ``stf:lorenz63`` (the catalog name, documented) and
    ``lorenz63`` (the older spelling) both give ``lorenz63``; ``ValueError`` for anything else."""
    key = name.strip().lower()
    short = key[4:] if key.startswith("stf:") else key
    if short not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join('stf:' + k for k in DATASETS)}")
    return short


def load_dataset(name: str, directory: str | os.PathLike[str] | None = None) -> Array:
    """The benchmark series ``name`` (``stf:lorenz63`` or ``lorenz63``; see ``DATASETS``), (T, N) float64."""
    from rnnchaos.data.catalog import entry_files
    from rnnchaos.data.io import load_series

    path, _ = entry_files(f"stf:{series_name(name)}", directory)  # names 'rnnchaos data fetch' when missing
    return load_series(path)


def load_paper_curves(path: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """Rows of ``stf_paper_curves.csv`` (dataset, model, method, tau (None for clip), metric, value)."""
    p = Path(path) if path is not None else data_dir().parent / "reference" / "stf_paper_curves.csv"
    if not p.is_file():
        return []
    lines = [ln for ln in p.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
    rows = []
    for r in csv.DictReader(io.StringIO("\n".join(lines))):
        rows.append({"dataset": r["dataset"], "model": r["model"], "method": r["method"],
                     "tau": float(r["tau"]) if r["tau"] else None, "metric": r["metric"],
                     "value": float(r["value"])})
    return rows


@dataclass(frozen=True)
class STFRun:
    """One training configuration of a reproduction."""

    dataset: str
    model: str
    method: str  # "stf", "clip" (gradient-clipped BPTT), or an ablation name
    tau: float | None
    seed: int
    minutes: float
    settings: tuple[tuple[str, Any], ...] = ()  # extra Reconstructor keyword arguments

    @property
    def key(self) -> str:
        extra = ",".join(f"{k}={v}" for k, v in self.settings)
        return f"{self.dataset}|{self.model}|{self.method}|{self.tau}|{self.seed}|{extra}"

    @property
    def name(self) -> str:
        tau = "none" if self.tau is None else f"{self.tau:g}"
        return f"{self.dataset}_{self.model}_{self.method}_tau{tau}_seed{self.seed}"


def noise_floor(x: Array) -> dict[str, float]:
    """D_stsp and D_H of the data's first half against its second half (chunks of the same length: D_H with
    25 chunks per half), under both presets (:func:`rnnchaos.metrics.scoring.score_trajectory`)."""
    half = x.shape[0] // 2
    out = {}
    for preset, tag in (("stf2022", "stf2022"), ("stf2022-corrected", "corrected")):
        s = score_trajectory(x[:half], x[half:2 * half], preset=get_preset(preset).with_(dh_n_chunks=25))
        out[f"d_stsp_{tag}"], out[f"d_h_{tag}"] = s.d_stsp, s.d_h
    return out


def scores_under_both_presets(x: Array, x_gen: Array, seed: int = 0) -> dict[str, float]:
    """D_stsp and D_H of a model trajectory under ``stf2022`` and ``stf2022-corrected``
    (:func:`rnnchaos.metrics.scoring.score_trajectory`) as the table's keys ``d_stsp_stf2022``, ...,
    ``d_h_corrected`` (values may be NaN)."""
    out: dict[str, float] = {}
    for preset, tag in (("stf2022", "stf2022"), ("stf2022-corrected", "corrected")):
        s = score_trajectory(x, x_gen, preset=preset, seed=seed)
        out[f"d_stsp_{tag}"], out[f"d_h_{tag}"] = s.d_stsp, s.d_h
    return out


def _model_lambda_max(rec: Any, x: Array, steps: int, seed: int) -> float | None:
    import warnings

    from rnnchaos.dynamics.lyapunov_spectrum import lyapunov_spectrum

    fmap = rec.model_.as_map(mean=getattr(rec, "mean_", None), std=getattr(rec, "std_", None))
    idx = np.linspace(0, x.shape[0] - 1, 4).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return float(lyapunov_spectrum(fmap, fmap.encode(x[idx]), steps, k=1, transient=1000,
                                           seed=seed).lambda_max)
        except ValueError:
            return None


def default_fit(run: STFRun, x: Array, out: Path, kwargs: dict[str, Any]) -> Any:
    """Train with the project's ``Reconstructor`` (imported here: training is another layer's module)."""
    from rnnchaos.training.reconstructor import Reconstructor

    rec = Reconstructor(model=run.model, seed=run.seed, minutes=run.minutes, out=str(out), **kwargs)
    return rec.fit(x)


def train_and_score(run: STFRun, x: Array, out_root: Path, *, reconstructor_kwargs: dict[str, Any],
                    n_steps: int = 100_000, lyapunov_steps: int = 5000,
                    fit: Callable[[STFRun, Array, Path, dict[str, Any]], Any] = default_fit) -> dict[str, Any]:
    """Train one configuration and score it with the paper's protocol; returns one table row."""
    run_dir = out_root / "runs" / run.name
    t0 = time.time()
    row: dict[str, Any] = {"dataset": run.dataset, "model": run.model, "method": run.method, "tau": run.tau,
                           "seed": run.seed, "minutes": run.minutes, "run_dir": str(run_dir),
                           "settings": json.dumps({**dict(run.settings), **reconstructor_kwargs}, default=str,
                                                  sort_keys=True)}
    try:
        rec = fit(run, x, run_dir, reconstructor_kwargs)
    except (ValueError, RuntimeError, FloatingPointError) as exc:
        row.update(status=f"training failed: {' '.join(str(exc).split())}", seconds=time.time() - t0)
        return row
    hist = getattr(rec, "history_", None) or []
    row["epochs_done"] = int(hist[-1].get("epoch", len(hist))) if hist and isinstance(hist[-1], dict) else len(hist)
    result = getattr(rec, "result_", None)
    row["training_status"] = getattr(result, "status", None)
    row["selected_epoch"] = getattr(result, "selected_epoch", None)  # checkpoint chosen by the trainer, if any
    x_gen = np.asarray(rec.generate(n_steps, x0=x[0]), dtype=np.float64)
    row.update(scores_under_both_presets(x, x_gen))
    row["lambda_max_model"] = _model_lambda_max(rec, x, lyapunov_steps, run.seed) if lyapunov_steps else None
    lam = getattr(rec, "lambda_max_data_", None)
    row["lambda_max_data"] = float(lam) if lam is not None else None
    row["tau_pred_data"] = math.log(2) / float(lam) if lam else None
    tau_used = getattr(rec, "tau_", None)
    if run.tau is None and tau_used is not None and run.method != "clip":
        row["tau"] = float(tau_used)
    row["status"] = "ok" if np.all(np.isfinite(x_gen)) else "free run diverged"
    row["seconds"] = time.time() - t0
    return row


def open_journal(path: Path) -> Journal:
    """The run journal ``results.jsonl`` (``rnnchaos.sweep.journal.Journal``: records keyed by ``"key"``,
    NaN scores allowed). Journals written before the Journal was shared have the same lines and load as they are."""
    return Journal(path, key="key", required=("key",), allow_nan=True)


def finished_keys(latest: dict[str, dict[str, Any]]) -> set[str]:
    """Keys of finished runs among ``{key: last record}``; a run whose training failed is not finished
    (a rerun retries it)."""
    return {k for k, r in latest.items() if not str(r.get("status", "")).startswith("training failed")}


def record_run(journal: Journal, latest: dict[str, dict[str, Any]], key: str, row: dict[str, Any]) -> None:
    """Append ``{"key": key, **row}`` to ``journal`` (NumPy scalars as numbers, other objects as strings)
    and make it the last record of ``key`` in ``latest``."""
    rec = json.loads(json.dumps({"key": key, **row}, default=_json_default))
    journal.append(rec)
    latest[key] = rec


def budget_text(rows: list[dict[str, Any]]) -> str:
    """'2 min or 3,000 epochs per run, whichever first' from the rows' budgets and settings."""
    minutes = sorted({float(r["minutes"]) for r in rows if r.get("minutes") is not None})
    epochs: set[int] = set()
    for r in rows:
        try:
            e = json.loads(r.get("settings") or "{}").get("epochs")
        except (json.JSONDecodeError, AttributeError):
            e = None
        if e is not None:
            epochs.add(int(e))
    text = "/".join(f"{m:g}" for m in minutes) + " min"
    if epochs:
        text += " or " + "/".join(f"{e:,}" for e in sorted(epochs)) + " epochs, whichever first,"
    return text + " per run"


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    return str(obj)
