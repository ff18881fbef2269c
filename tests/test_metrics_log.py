"""The training log: metrics.csv beside metrics.jsonl (same rows, exact floats, rewritten on resume), and the
optional TensorBoard writer, flushed and closed also when a run fails (a fake writer)."""

from __future__ import annotations

import csv
import importlib.machinery
import importlib.util
import json
import sys
import types

import numpy as np
import pytest
import torch

from rnnchaos.training import metrics_log
from rnnchaos.training.reconstructor import Reconstructor

torch.set_num_threads(1)

SMALL = {"hidden": 5, "seq_len": 20, "batch_size": 4, "batches_per_epoch": 2, "log_every": 1, "tau": 5,
         "select_every": 2, "select_steps": 200, "select_starts": 1, "lyap_every": 3, "checkpoint_every": 2}


@pytest.fixture(scope="module")
def lorenz() -> np.ndarray:
    from rnnchaos.systems.registry import get_system

    return get_system("lorenz63").trajectory(1500, seed=1)


def _jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _csv(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _same_rows(run):
    rows = [e for e in _jsonl(run / "metrics.jsonl") if "event" not in e]
    table = _csv(run / "metrics.csv")
    assert len(rows) == len(table) > 0
    for e, r in zip(rows, table, strict=True):
        assert set(e) <= set(metrics_log.CSV_COLUMNS)  # every logged key has a column
        for col in metrics_log.CSV_COLUMNS:
            if e.get(col) is None:
                assert r[col] == ""
            else:  # floats read back bit for bit
                assert type(e[col])(r[col]) == e[col]
    return rows


def test_metrics_csv_holds_the_rows_of_metrics_jsonl(tmp_path, lorenz):
    run = tmp_path / "r"
    Reconstructor(out=run, epochs=6, **SMALL).fit(lorenz)
    rows = _same_rows(run)
    assert [e["epoch"] for e in rows] == [1, 2, 3, 4, 5, 6]  # log_every=1
    assert any("d_stsp_train" in e for e in rows) and any("lambda_max_model" in e for e in rows)
    assert (run / "metrics.csv").read_text().splitlines()[0] == ",".join(metrics_log.CSV_COLUMNS)


def test_metrics_csv_is_rewritten_with_the_history_on_resume(tmp_path, lorenz):
    ref = tmp_path / "ref"
    Reconstructor(out=ref, epochs=6, **SMALL).fit(lorenz)
    run = tmp_path / "run"
    Reconstructor(out=run, epochs=4, **SMALL).fit(lorenz)
    with open(run / "metrics.csv", "a") as fh:  # a line cut by a kill
        fh.write("5,0.12")
    Reconstructor(out=run, epochs=6, **SMALL).fit(lorenz, resume=True)
    assert [e["loss"] for e in _same_rows(run)] == [e["loss"] for e in _same_rows(ref)]


class _FakeWriter:
    instances: list[_FakeWriter] = []

    def __init__(self, log_dir: str) -> None:
        self.log_dir, self.scalars, self.flushed, self.closed = log_dir, [], 0, False
        _FakeWriter.instances.append(self)

    def add_scalar(self, key, value, step):
        assert not self.closed
        self.scalars.append((key, value, step))

    def flush(self):
        self.flushed += 1

    def close(self):
        self.closed = True


@pytest.fixture
def fake_tensorboard(monkeypatch):
    module = types.ModuleType("torch.utils.tensorboard")
    module.SummaryWriter = _FakeWriter
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", module)
    real = importlib.util.find_spec  # the package "is installed"
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: importlib.machinery.ModuleSpec(name, None) if name == "tensorboard"
                        else real(name, *a))
    _FakeWriter.instances.clear()
    return _FakeWriter


def test_tensorboard_writer_is_flushed_and_closed(tmp_path, lorenz, fake_tensorboard):
    rec = Reconstructor(out=tmp_path / "tb", epochs=3, tensorboard=True, **SMALL).fit(lorenz)
    (w,) = fake_tensorboard.instances
    assert w.log_dir == str(tmp_path / "tb" / "tensorboard") and w.closed and w.flushed >= 1
    losses = [(step, v) for k, v, step in w.scalars if k == "loss"]
    assert losses == [(e["epoch"], e["loss"]) for e in rec.history_]


def test_tensorboard_writer_is_closed_when_the_run_fails(tmp_path, lorenz, fake_tensorboard, monkeypatch):
    from rnnchaos.training.trainer import Trainer

    real = Trainer._batch_loss_and_grad
    calls = {"n": 0}

    def failing(self, X, masks, weights=None):
        calls["n"] += 1
        if calls["n"] > 3:  # epoch 2 (two batches per epoch), after epoch 1 was logged
            raise RuntimeError("simulated failure")
        return real(self, X, masks, weights)

    monkeypatch.setattr(Trainer, "_batch_loss_and_grad", failing)
    with pytest.raises(RuntimeError, match="simulated failure"):
        Reconstructor(out=tmp_path / "tb", epochs=5, tensorboard=True, **SMALL).fit(lorenz)
    (w,) = fake_tensorboard.instances
    assert w.scalars and w.closed and w.flushed == 1


def test_train_tensorboard_without_the_package_is_one_line_naming_the_extra(tmp_path, monkeypatch, run_cli):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tensorboard" else real(name, *a))
    code, out, err = run_cli("train", "--data", "lorenz63", "--n-steps", "300", "--epochs", "1", "--hidden", "3",
                             "--seq-len", "20", "--tau", "5", "--no-progress", "--tensorboard",
                             "--out", str(tmp_path / "r"))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("rnnchaos: error: ") and "pip install 'rnnchaos[tensorboard]'" in err
