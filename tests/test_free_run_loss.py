"""The free-run loss on slow-phase windows (rnnchaos.training.free_run_loss): the windows, the combined gradient,
the trainer paths, validation and resume."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnchaos.models.base import build_model
from rnnchaos.training.forcing import ForcingSchedule
from rnnchaos.training.free_run_loss import SlowWindowSampler, free_run_masks
from rnnchaos.training.loss_weights import step_speeds
from rnnchaos.training.reconstructor import Reconstructor
from rnnchaos.training.torch_loss import forced_sequence_loss
from rnnchaos.training.trainer import Trainer, TrainSettings

torch.set_num_threads(1)

MODELS = [("shplrnn", {"hidden_dim": 20, "clipped": True}), ("alrnn", {"relu_units": 4}), ("plrnn", {})]
N, M = 3, 5


def _slow_fast(n: int, seed: int) -> np.ndarray:
    """A slow-fast series: every 50 steps a fast jump of 5 steps, then a drift in a random direction whose speed
    grows from 0.015 to 0.059 per step."""
    rng = np.random.default_rng(seed)
    k = np.arange(n) % 50
    d = rng.standard_normal((n // 50 + 1, N))
    d = np.repeat(d / np.linalg.norm(d, axis=1, keepdims=True), 50, axis=0)[:n]
    v = np.where(k[:, None] < 5, rng.standard_normal((n, N)), (0.01 + 0.001 * k)[:, None] * d)
    return np.cumsum(v, axis=0).astype(np.float32)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), steps=st.integers(1, 10), q=st.floats(0.5, 1.0))
def test_every_window_step_is_at_most_the_quantile_step(seed, steps, q):
    x = _slow_fast(600, seed)
    sampler = SlowWindowSampler([x], steps, batch_size=16, quantile=q)
    assert sampler.threshold == pytest.approx(np.quantile(step_speeds(x), q))
    W = sampler.sample(np.random.default_rng(seed))
    assert W.shape == (16, steps + 1, N)
    assert np.all(step_speeds(W) <= sampler.threshold * (1 + 1e-6))
    # every window is a contiguous piece of the data
    for w in W:
        start = int(np.flatnonzero(np.all(x == w[0], axis=1))[0])
        np.testing.assert_array_equal(x[start:start + steps + 1], w)


def test_windows_never_cross_a_trial_boundary():
    """Two trials whose junction is a step of 0 (the second starts where the first ends, so a window across it
    would qualify by speed): no window spans it."""
    a = _slow_fast(300, 1)
    b = a[-1] + _slow_fast(300, 2) - _slow_fast(300, 2)[0]
    sampler = SlowWindowSampler([a, b], 10, batch_size=4, quantile=0.9)
    assert np.all((sampler.starts + 10 < 300) | (sampler.starts >= 300))
    assert sampler.starts.max() + 10 < 600
    full = SlowWindowSampler([np.concatenate([a, b])], 10, batch_size=4, quantile=0.9)
    assert np.any((full.starts < 300) & (full.starts + 10 >= 300))  # the junction itself would qualify


def test_sampler_refusals():
    x = _slow_fast(200, 0)
    with pytest.raises(ValueError, match="positive integer"):
        SlowWindowSampler([x], 0, 4)
    with pytest.raises(ValueError, match="quantile"):
        SlowWindowSampler([x], 5, 4, quantile=0.0)
    with pytest.raises(ValueError, match="no 40-step window"):
        SlowWindowSampler([x], 40, 4, quantile=0.5)


@pytest.mark.parametrize(("arch", "kw"), MODELS)
@pytest.mark.parametrize("fast", [True, False])
def test_combined_gradient_is_the_gradient_of_the_combined_loss(arch, kw, fast):
    """After one step's loss, .grad equals float64 autograd of L_forced + λ L_free, and the loss is their sum."""
    lam = 0.7
    x = _slow_fast(400, 3)
    m64 = build_model(arch, N, M, observation="affine", seed=1, dtype=torch.float64, **kw)
    model = build_model(arch, N, M, observation="affine", seed=1, **kw)
    model.load_state_dict(m64.state_dict())
    s = TrainSettings(forcing=ForcingSchedule("gtf", alpha=0.3), epochs=1, seq_len=30, batch_size=4,
                      batches_per_epoch=1, free_run_weight=lam, free_run_steps=10)
    tr = Trainer(model, x, s)
    tr.fast = fast
    X = tr.sampler.sample()
    X_free = tr.slow_windows.sample(tr.rng)
    masks = s.forcing.masks(30, None, 0.3)
    loss = tr._batch_loss_and_grad(X, masks, None, X_free)
    got = {n: p.grad.detach().double().numpy().copy() for n, p in model.named_parameters()}

    forced = forced_sequence_loss(m64, torch.from_numpy(X).double(), *masks)
    free = forced_sequence_loss(m64, torch.from_numpy(X_free).double(), *free_run_masks(10))
    (forced + lam * free).backward()
    assert loss == pytest.approx(float((forced + lam * free).detach()), rel=1e-5)
    assert tr.last_free_run_loss == pytest.approx(float(free.detach()), rel=1e-5)
    for n, p in m64.named_parameters():
        np.testing.assert_allclose(got[n], p.grad.numpy(), rtol=2e-4, atol=1e-6, err_msg=n)


@pytest.mark.parametrize(("arch", "kw"), MODELS[:2])
def test_trainer_with_the_free_run_loss_fused_equals_autograd(arch, kw):
    """Two epochs: the fused and the autograd paths log the same losses and free-run losses, which differ from
    a run without the free-run loss; λ = 0 is the run without it."""
    x = _slow_fast(600, 4)
    hist = {}
    for lam, fast in ((0.5, True), (0.5, False), (0.0, True), (None, True)):
        model = build_model(arch, N, M, observation="affine", seed=2, **kw)
        extra = {} if lam is None else {"free_run_weight": lam, "free_run_steps": 10}
        s = TrainSettings(forcing=ForcingSchedule("gtf", alpha=0.3), epochs=2, seq_len=30, batch_size=4,
                          batches_per_epoch=3, log_every=1, checkpoint_every=10, **extra)
        tr = Trainer(model, x, s)
        tr.fast = fast
        hist[(lam, fast)] = tr.run().history
    a, b = hist[(0.5, True)], hist[(0.5, False)]
    np.testing.assert_allclose([e["loss"] for e in a], [e["loss"] for e in b], rtol=1e-5)
    np.testing.assert_allclose([e["free_run_loss"] for e in a], [e["free_run_loss"] for e in b], rtol=1e-5)
    assert all(e["free_run_loss"] > 0 for e in a)
    assert [e["loss"] for e in hist[(0.0, True)]] == [e["loss"] for e in hist[(None, True)]]
    assert "free_run_loss" not in hist[(0.0, True)][0]
    assert not np.allclose([e["loss"] for e in a], [e["loss"] for e in hist[(0.0, True)]], rtol=1e-3)


@pytest.mark.parametrize("bad", [{"free_run_weight": -1.0}, {"free_run_weight": float("nan")},
                                 {"free_run_steps": 0}, {"free_run_quantile": 1.5}])
def test_settings_refuse_bad_free_run_options(bad):
    with pytest.raises(ValueError, match="free_run"):
        TrainSettings(**bad).validate()


def test_free_run_loss_resumes_exactly(tmp_path, interrupt_training_at):
    """A run killed mid-way and resumed logs the same losses as one uninterrupted run (the windows come from the
    trainer's checkpointed generator), and config.json records the options."""
    x = _slow_fast(1500, 5)
    kw = dict(model="shplrnn", hidden=3, width=16, epochs=8, seq_len=30, batch_size=4, batches_per_epoch=3,
              forcing="gtf", alpha=0.3, free_run_weight=0.5, free_run_steps=10, checkpoint_every=2, log_every=1,
              lyap_every=0, select_every=0, seed=3)
    ref = Reconstructor(out=tmp_path / "ref", **kw).fit(x)
    cfg = json.loads((tmp_path / "ref" / "config.json").read_text())
    assert cfg["training"]["free_run_weight"] == 0.5 and cfg["training"]["free_run_steps"] == 10
    interrupt_training_at(lambda: Reconstructor(out=tmp_path / "run", **kw).fit(x), 5)
    rec = Reconstructor(out=tmp_path / "run", **kw).fit(x, resume=True)
    want = [(h["epoch"], h["loss"], h["free_run_loss"]) for h in ref.history_]
    assert [(h["epoch"], h["loss"], h["free_run_loss"]) for h in rec.history_] == want


def test_cli_free_run_loss(tmp_path, run_cli):
    data = tmp_path / "x.npy"
    np.save(data, _slow_fast(1500, 6))
    r = run_cli("train", "--data", str(data), "--model", "shplrnn", "--hidden", "3", "--width", "16",
                "--forcing", "gtf", "--alpha", "0.3", "--seq-len", "30", "--batch-size", "4",
                "--batches-per-epoch", "2", "--epochs", "3", "--free-run-loss", "0.5", "--free-run-steps", "10",
                "--out", str(tmp_path / "run"), "--json")
    code, _, err = r
    assert code == 0, err
    cfg = json.loads((tmp_path / "run" / "config.json").read_text())
    assert cfg["training"]["free_run_weight"] == 0.5
    bad = run_cli("train", "--data", str(data), "--epochs", "1", "--free-run-loss", "-1")
    assert bad[0] != 0 and "Traceback" not in bad[2] and "free_run_weight" in bad[2]
