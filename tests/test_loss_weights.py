"""Per-step loss weights (``loss_weights="speed"``, :mod:`rnnchaos.training.loss_weights`): the fused kernels'
weighted gradients against float64 autograd, exact scaling truths, and the weights' own properties."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnchaos.models.base import build_model
from rnnchaos.training.forcing import ForcingSchedule
from rnnchaos.training.fused_kernels import fused_loss_and_grad
from rnnchaos.training.loss_weights import SpeedWeights, step_speeds
from rnnchaos.training.torch_loss import forced_sequence_loss
from rnnchaos.training.trainer import Trainer, TrainSettings

torch.set_num_threads(1)

METHODS = [("stf", 7, None), ("gtf", None, 0.3), ("bptt", None, None)]
MODELS = [("shplrnn", {"hidden_dim": 20, "clipped": True}), ("alrnn", {"relu_units": 4}), ("plrnn", {})]
NB, T, N, M = 4, 30, 3, 5


def _models(arch: str, kw: dict) -> tuple:
    m64 = build_model(arch, N, M, observation="affine", seed=1, dtype=torch.float64, **kw)
    gen = torch.Generator().manual_seed(5)
    with torch.no_grad():
        for p in m64.parameters():
            p.add_(0.1 * torch.randn(p.shape, generator=gen, dtype=torch.float64))
    m32 = build_model(arch, N, M, observation="affine", seed=1, **kw)
    m32.load_state_dict(m64.state_dict())
    return m64, m32


def _grads(model) -> dict[str, np.ndarray]:
    return {n: p.grad.detach().numpy().copy() for n, p in model.named_parameters()}


@pytest.mark.parametrize("method,tau,alpha", METHODS)
@pytest.mark.parametrize(("arch", "kw"), MODELS)
def test_weighted_fused_gradients_equal_float64_autograd(arch, kw, method, tau, alpha):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((NB, T, N)).astype(np.float32)
    W = rng.uniform(0.1, 3.0, (NB, T)).astype(np.float32)
    m64, m32 = _models(arch, kw)
    masks = ForcingSchedule(method, tau=tau, alpha=alpha).masks(T, tau)
    ref_loss = forced_sequence_loss(m64, torch.from_numpy(X).double(), *masks, weights=torch.from_numpy(W).double())
    ref_loss.backward()
    ref = _grads(m64)
    loss = fused_loss_and_grad(m32, X, *masks, weights=W)
    assert loss == pytest.approx(ref_loss.item(), rel=1e-5)
    scale = max(np.abs(g).max() for g in ref.values())
    got = _grads(m32)
    for name, want in ref.items():
        np.testing.assert_allclose(got[name], want, atol=1e-5 * scale, err_msg=name)


@pytest.mark.parametrize(("arch", "kw"), MODELS)
def test_unit_weights_are_the_plain_loss_and_constant_weights_scale_it(arch, kw):
    X = np.random.default_rng(1).standard_normal((NB, T, N)).astype(np.float32)
    _, m32 = _models(arch, kw)
    masks = ForcingSchedule("gtf", alpha=0.3).masks(T, None)
    plain = fused_loss_and_grad(m32, X, *masks)
    g_plain = _grads(m32)
    ones = fused_loss_and_grad(m32, X, *masks, weights=np.ones((NB, T), np.float32))
    assert ones == plain
    for name, g in _grads(m32).items():
        np.testing.assert_array_equal(g, g_plain[name], err_msg=name)
    # constant weights 4 (a power of two: exact in float32) scale loss and gradients by exactly 4
    four = fused_loss_and_grad(m32, X, *masks, weights=np.full((NB, T), 4.0, np.float32))
    assert four == pytest.approx(4 * plain, rel=1e-6)
    for name, g in _grads(m32).items():
        np.testing.assert_allclose(g, 4 * g_plain[name], rtol=1e-6, atol=1e-12, err_msg=name)


def test_the_loss_is_linear_in_the_weights():
    """Dropping step 5 (weight 0) removes exactly what weighting step 5 alone keeps, loss and gradients."""
    X = np.random.default_rng(2).standard_normal((NB, T, N)).astype(np.float32)
    _, m32 = _models("shplrnn", {"hidden_dim": 20, "clipped": True})
    masks = ForcingSchedule("gtf", alpha=0.3).masks(T, None)
    ones = np.ones((NB, T), np.float32)
    drop, only = ones.copy(), np.zeros((NB, T), np.float32)
    drop[:, 5], only[:, 5] = 0.0, 1.0
    full, g_full = fused_loss_and_grad(m32, X, *masks, weights=ones), _grads(m32)
    rest, g_rest = fused_loss_and_grad(m32, X, *masks, weights=drop), _grads(m32)
    step5, g_5 = fused_loss_and_grad(m32, X, *masks, weights=only), _grads(m32)
    assert step5 > 0
    assert full - rest == pytest.approx(step5, rel=1e-4)
    scale = max(np.abs(g).max() for g in g_full.values())
    for name in g_full:
        np.testing.assert_allclose(g_full[name] - g_rest[name], g_5[name], atol=1e-5 * scale, err_msg=name)


def test_kernel_refuses_bad_weights():
    X = np.zeros((NB, T, N), np.float32)
    _, m32 = _models("plrnn", {})
    masks = ForcingSchedule("gtf", alpha=0.3).masks(T, None)
    with pytest.raises(ValueError, match="shape"):
        fused_loss_and_grad(m32, X, *masks, weights=np.ones((NB, T + 1), np.float32))
    with pytest.raises(ValueError, match="finite"):
        fused_loss_and_grad(m32, X, *masks, weights=np.full((NB, T), np.nan, np.float32))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(20, 300), dims=st.integers(1, 4), power=st.sampled_from([1, 2]))
def test_speed_weights_average_one_over_the_training_data_and_fall_with_speed(seed, n, dims, power):
    x = np.cumsum(np.random.default_rng(seed).standard_normal((n, dims)), axis=0)
    sw = SpeedWeights([x], power)
    w = sw(x[None])[0]
    assert w[0] == 1.0
    assert float(np.mean(w[1:].astype(np.float64))) == pytest.approx(1.0, rel=1e-5)
    s = step_speeds(x)
    order = np.argsort(s)
    assert np.all(np.diff(w[1:][order]) <= 1e-6)  # faster steps never weigh more
    assert sw.s0 == pytest.approx(float(np.median(s)))


def test_speed_weights_never_cross_a_trial_boundary():
    """Two trials whose join would be a jump of 100: the jump is no step of the data, so s0 and c are those
    of the two trials' own steps."""
    a = np.linspace(0.0, 1.0, 50)[:, None]
    b = 100.0 + np.linspace(0.0, 3.0, 50)[:, None]
    sw = SpeedWeights([a, b])
    within = np.concatenate([step_speeds(a), step_speeds(b)])
    assert sw.s0 == pytest.approx(float(np.median(within)))
    assert sw.c == pytest.approx(1.0 / float(np.mean(1.0 / (within + sw.s0))))


def test_speed_weights_refuse_data_that_do_not_move_and_other_powers():
    with pytest.raises(ValueError, match="move"):
        SpeedWeights([np.zeros((10, 2))])
    with pytest.raises(ValueError, match="power"):
        SpeedWeights([np.arange(10.0)[:, None]], power=3)


def test_settings_refuse_an_unknown_weighting():
    with pytest.raises(ValueError, match="loss_weights"):
        TrainSettings(loss_weights="slow").validate()


@pytest.mark.parametrize(("arch", "kw"), [("shplrnn", {"hidden_dim": 30, "clipped": True}), ("alrnn", {"relu_units": 2})])
def test_trainer_with_speed_weights_fused_equals_autograd(arch, kw):
    """Two epochs with loss_weights='speed': the fused path and the autograd path give the same losses, and
    these differ from the unweighted run's (the weights reach the loss)."""
    x = np.cumsum(np.random.default_rng(3).standard_normal((400, N)), axis=0).astype(np.float32) * 0.1
    histories = {}
    for weights, fast in (("speed", True), ("speed", False), ("speed2", True), ("speed2", False), ("none", True)):
        model = build_model(arch, N, M, observation="affine", seed=2, **kw)
        st_ = TrainSettings(forcing=ForcingSchedule("gtf", alpha=0.3), epochs=2, seq_len=30, batch_size=4,
                            batches_per_epoch=3, log_every=1, checkpoint_every=10, loss_weights=weights)
        trainer = Trainer(model, x, st_)
        trainer.fast = fast
        histories[(weights, fast)] = [e["loss"] for e in trainer.run().history]
    for w in ("speed", "speed2"):
        np.testing.assert_allclose(histories[(w, True)], histories[(w, False)], rtol=1e-5)
    assert not np.allclose(histories[("speed", True)], histories[("none", True)], rtol=1e-3)
