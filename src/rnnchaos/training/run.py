"""One training run from a data source: load, split in time, fit a :class:`Reconstructor`, summarise.

This is what ``rnnchaos train`` calls; it is also the simplest way to script a run:

    summary = train_from_source("lorenz63", out="runs/l63", epochs=500)

Cost: that of :meth:`Reconstructor.fit` plus loading (or simulating) the data and one λ_max estimate.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from rnnchaos._util.validation import positive_int
from rnnchaos.data.trials import load_trials, split_trials
from rnnchaos.training.reconstructor import Reconstructor


def train_from_source(data: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], *, params: dict[str, float] | None = None,
                      n_steps: int = 100_000, dt: float | None = None, embedding: dict[str, int] | None = None,
                      test_fraction: float = 0.2, resume: bool = False, **estimator: Any
                      ) -> tuple[Reconstructor, dict[str, Any]]:
    """Train on the first ``1 − test_fraction`` of ``data`` (file, system name or shared stem; see
    :func:`rnnchaos.data.datasets.load_source`); ``estimator`` are :class:`Reconstructor` arguments.

    Several trials (a list of sources, a glob, a multi-array ``.npz`` or a trials × time × dims ``.npy``;
    :mod:`rnnchaos.data.trials`): the test part is the last ``test_fraction`` of the last trial.
    ``nan="split"`` (an estimator argument, CLI ``--nan split``) cuts every trial at its runs of NaN/inf
    rows and keeps the pieces of at least ``seq_len`` samples (:mod:`rnnchaos.data.gaps`); what it kept is
    recorded under ``split["gaps"]`` in ``config.json`` and in the summary (``gaps``, ``trials_kept``,
    ``trials_dropped``, ``samples_kept``, ``samples_dropped``).

    Returns the fitted estimator and a summary with ``run``, ``tau``, ``lambda_max_data`` (per step) and
    the samples its estimate used (``lambda_max_data_n_samples`` of ``lambda_max_data_n_samples_total``),
    ``epochs``, ``seconds``, ``final_loss``, ``status`` and ``message`` (with ``denoise``: ``denoise_noise_sd``).
    """
    seed = int(estimator.get("seed", 0))
    nan = estimator.get("nan", "error")
    trials, spec = load_trials(data, params=params, n_steps=n_steps, dt=dt, seed=seed, embedding=embedding, nan=nan)
    gaps: dict[str, Any] | None = None
    if nan == "split":
        label = f"data {os.fspath(data)!r}" if isinstance(data, str | os.PathLike) else "data"
        trials, gaps, spec = _cut_at_gaps(trials, spec, positive_int(estimator.get("seq_len", 100), "seq_len"), label)
    train, x_test = split_trials(trials, test_fraction)
    split: dict[str, Any] = {"test_fraction": float(test_fraction), "n_train": sum(int(t.shape[0]) for t in train),
                             "n_test": int(x_test.shape[0])}
    if len(trials) > 1:
        split.update({"n_trials": len(trials), "n_train_trials": len(train), "test_from": "last trial"})
    if gaps is not None:
        split["gaps"] = gaps
    rec = Reconstructor(**estimator)
    rec.fit(train if len(train) > 1 else train[0], data_spec=spec, split=split, resume=resume)
    res = rec.result_
    summary = {
        "run": None if rec.out is None else os.fspath(rec.out),
        "tau": rec.tau_,
        "alpha": rec.alpha_ if rec.forcing == "gtf" else None,
        "lambda_max_data": rec.lambda_max_data_,
        # the λ_max / τ = auto estimate uses the first n_samples of n_samples_total (rnnchaos.training.tau)
        "lambda_max_data_n_samples": (rec.tau_rule_ or {}).get("n_samples"),
        "lambda_max_data_n_samples_total": (rec.tau_rule_ or {}).get("n_samples_total"),
        "epochs": res.epochs,
        "seconds": round(res.seconds, 3),
        "final_loss": res.final_loss,
        "status": res.status,
        "message": res.message,
        "selected_epoch": res.selected_epoch,
    }
    if rec.denoise_ is not None:  # --denoise: the noise sd the filter estimated, per variable (data units)
        summary["denoise_noise_sd"] = [round(v, 6) for v in rec.denoise_["noise_sd"]]
    if gaps is not None:  # --nan split: what the cut kept
        summary.update({"gaps": gaps["n_gaps"], "trials_kept": gaps["n_trials_kept"],
                        "trials_dropped": gaps["n_trials_dropped"], "samples_kept": gaps["n_samples_kept"],
                        "samples_dropped": gaps["n_samples_dropped"]})
    return rec, summary


def _cut_at_gaps(trials: list[Any], spec: Any, seq_len: int, name: str) -> tuple[list[Any], dict[str, Any], Any]:
    """Cut the loaded trials at their runs of NaN/inf (:func:`rnnchaos.data.gaps.split_trials_at_gaps`),
    keeping pieces of at least ``seq_len`` samples.  When there were gaps, the data spec becomes kind
    ``"trials"`` listing each kept piece (source, rows ``start``–``stop``, ``n``), so that ``evaluate``
    rebuilds the same test part."""
    from rnnchaos.data.datasets import DataSpec
    from rnnchaos.data.gaps import split_trials_at_gaps

    pieces, report = split_trials_at_gaps(trials, seq_len, name=name)
    rows = report.pop("pieces")
    if report["n_gaps"] == 0 or spec.kind not in ("file", "trials"):
        return pieces, report, spec
    originals = spec.trials if spec.kind == "trials" and spec.trials else [{"source": spec.source}]
    records = [{**{k: v for k, v in rec.items() if k != "n"}, "start": a, "stop": b, "n": b - a}
               for rec, kept in zip(originals, rows, strict=True) for a, b in kept]
    new_spec = DataSpec(kind="trials", source=spec.source, embedding=spec.embedding, trials=records)
    return pieces, report, new_spec
