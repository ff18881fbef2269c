"""Training options of issue #11: time-budget runs without an epoch cap, GTF α rules, noise, LR decay."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from rnnchaos.models.base import build_model
from rnnchaos.training.reconstructor import DEFAULT_EPOCHS, Reconstructor
from rnnchaos.training.trainer import Trainer, TrainSettings

torch.set_num_threads(1)

TINY = ["--data", "lorenz63", "--model", "rnn", "--n-steps", "2000", "--hidden", "3", "--batch-size", "2",
        "--batches-per-epoch", "1", "--seq-len", "10", "--select-every", "0", "--lyap-every", "0", "--tau", "5",
        "--no-progress", "--json"]


def test_minutes_alone_trains_until_the_budget(run_cli):
    # a tiny RNN does an epoch in ~2 ms: with the old default cap of 1000 epochs it stopped after ~2 s
    code, out, err = run_cli("train", *TINY, "--minutes", "0.1", "--log-every", "100000",
                             "--checkpoint-every", "100000")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["status"] == "time_budget"
    assert summary["seconds"] >= 6.0
    assert summary["epochs"] > DEFAULT_EPOCHS


def test_epoch_cap_defaults():
    assert Reconstructor()._epochs() == DEFAULT_EPOCHS == 1000
    assert Reconstructor(minutes=1.0)._epochs() is None
    assert Reconstructor(minutes=1.0, epochs=7)._epochs() == 7
    with pytest.raises(ValueError, match="epochs, minutes or both"):
        TrainSettings(epochs=None, minutes=None).validate()
    TrainSettings(epochs=None, minutes=0.5).validate()
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        TrainSettings(epochs=0).validate()


def test_cosine_schedule_over_the_time_budget_without_epochs():
    x = np.random.default_rng(0).standard_normal((200, 2))
    s = TrainSettings(epochs=None, minutes=1.0, lr=1e-2, lr_schedule="cosine", lr_final=0.1, seq_len=10,
                      batch_size=2)
    tr = Trainer(build_model("rnn", 2, 3, observation="linear", seed=0), x, s)
    tr.elapsed = 0.0
    assert tr._lr(5) == pytest.approx(1e-2)
    tr.elapsed = 30.0
    assert tr._lr(5) == pytest.approx(1e-3 + 0.5 * (1e-2 - 1e-3))
    tr.elapsed = 60.0
    assert tr._lr(5) == pytest.approx(1e-3)
