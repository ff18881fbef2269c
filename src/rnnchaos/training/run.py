"""One training run from a data source: load, split in time, fit a :class:`Reconstructor`, summarise.

This is what ``rnnchaos train`` calls; it is also the simplest way to script a run:

    summary = train_from_source("lorenz63", out="runs/l63", epochs=500)

Cost: that of :meth:`Reconstructor.fit` plus loading (or simulating) the data and one λ_max estimate.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

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

    Returns the fitted estimator and a summary with ``run``, ``tau``, ``lambda_max_data`` (per step),
    ``epochs``, ``seconds``, ``final_loss``, ``status`` and ``message``.
    """
    seed = int(estimator.get("seed", 0))
    trials, spec = load_trials(data, params=params, n_steps=n_steps, dt=dt, seed=seed, embedding=embedding)
    train, x_test = split_trials(trials, test_fraction)
    split: dict[str, Any] = {"test_fraction": float(test_fraction), "n_train": sum(int(t.shape[0]) for t in train),
                             "n_test": int(x_test.shape[0])}
    if len(trials) > 1:
        split.update({"n_trials": len(trials), "n_train_trials": len(train), "test_from": "last trial"})
    rec = Reconstructor(**estimator)
    rec.fit(train if len(train) > 1 else train[0], data_spec=spec, split=split, resume=resume)
    res = rec.result_
    summary = {
        "run": None if rec.out is None else os.fspath(rec.out),
        "tau": rec.tau_,
        "alpha": rec.alpha_ if rec.forcing == "gtf" else None,
        "lambda_max_data": rec.lambda_max_data_,
        "epochs": res.epochs,
        "seconds": round(res.seconds, 3),
        "final_loss": res.final_loss,
        "status": res.status,
        "message": res.message,
        "selected_epoch": res.selected_epoch,
    }
    return rec, summary
