"""The fused shPLRNN (plain, clipped) and ALRNN kernels against float64 autograd of the generic forced loss,
for every forcing method and observation model; exact truths; the trainer's dispatch; the free runs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnchaos.models.alrnn_free_run import alrnn_free_run
from rnnchaos.models.base import build_model
from rnnchaos.models.shplrnn_free_run import shplrnn_free_run
from rnnchaos.training.forcing import ForcingSchedule
from rnnchaos.training.fused_kernels import fused_loss_and_grad, has_fused_kernel
from rnnchaos.training.plrnn_kernel import almost_linear_loss_and_grad, identity_observation
from rnnchaos.training.shplrnn_kernel import shplrnn_loss_and_grad
from rnnchaos.training.torch_loss import forced_sequence_loss

torch.set_num_threads(1)

METHODS = [("stf", 7, None), ("gtf", None, 0.3), ("window", 9, None), ("tbptt", 11, None), ("bptt", None, None)]
MODELS = [("shplrnn", {"hidden_dim": 20}), ("shplrnn", {"hidden_dim": 20, "clipped": True}),
          ("alrnn", {"relu_units": 4}), ("alrnn", {"relu_units": 0}), ("plrnn", {})]
NB, T, N, M = 5, 40, 3, 6


def _models(arch: str, kw: dict, observation: str) -> tuple:
    """A float64 model with perturbed parameters (non-zero biases and offset) and its float32 copy."""
    m64 = build_model(arch, N, M, observation=observation, seed=1, dtype=torch.float64, **kw)
    gen = torch.Generator().manual_seed(5)
    with torch.no_grad():
        for p in m64.parameters():
            p.add_(0.1 * torch.randn(p.shape, generator=gen, dtype=torch.float64))
    m32 = build_model(arch, N, M, observation=observation, seed=1, **kw)
    m32.load_state_dict(m64.state_dict())
    return m64, m32


@pytest.mark.parametrize("observation", ["identity", "linear", "affine"])
@pytest.mark.parametrize("method,tau,alpha", METHODS)
@pytest.mark.parametrize(("arch", "kw"), MODELS)
def test_fused_gradients_equal_float64_autograd(arch, kw, method, tau, alpha, observation):
    X = np.random.default_rng(0).standard_normal((NB, T, N)).astype(np.float32)
    m64, m32 = _models(arch, kw, observation)
    masks = ForcingSchedule(method, tau=tau, alpha=alpha).masks(T, tau)
    ref_loss = forced_sequence_loss(m64, torch.from_numpy(X).double(), *masks)
    ref_loss.backward()
    ref = {n: p.grad.numpy() for n, p in m64.named_parameters()}
    assert has_fused_kernel(m32, torch.device("cpu"))
    loss = fused_loss_and_grad(m32, X, *masks)
    assert loss == pytest.approx(ref_loss.item(), rel=1e-5)
    scale = max(np.abs(g).max() for g in ref.values())
    got = {n: p.grad.numpy() for n, p in m32.named_parameters()}
    assert set(got) == set(ref)
    for name, want in ref.items():
        np.testing.assert_allclose(got[name], want, atol=1e-5 * scale, err_msg=name)


def test_shplrnn_kernel_fits_a_linear_system_exactly():
    """x_{t+1} = a ⊙ x_t and an shPLRNN with W1 = 0, h1 = 0, A = a (identity observation, N = M): the loss
    and every gradient are exactly zero for every forcing method, plain and clipped."""
    rng = np.random.default_rng(1)
    m, ell = 4, 9
    a = np.array([0.9, 0.5, 0.99, 0.2], dtype=np.float32)
    x0 = rng.standard_normal((6, m)).astype(np.float32)
    X = np.stack([x0 * a[None, :] ** t for t in range(25)], axis=1).astype(np.float32)
    Bm, P = identity_observation(m, m)
    W1 = np.zeros((m, ell), np.float32)
    W2 = rng.standard_normal((ell, m)).astype(np.float32)
    h2 = rng.standard_normal(ell).astype(np.float32)
    zeros = np.zeros(m, np.float32)
    for clipped in (False, True):
        for method, tau, alpha in METHODS:
            masks = ForcingSchedule(method, tau=tau, alpha=alpha).masks(25, tau)
            loss, *grads = shplrnn_loss_and_grad(X, a, W1, W2, zeros, h2, Bm, P, *masks, clipped=clipped)
            assert loss < 1e-12
            assert max(np.abs(g).max() for g in grads) < 1e-6


def test_window_every_step_is_the_one_step_error_of_the_shplrnn():
    """Windowing with τ = 1 resets to P x_{t−1} before every step: loss = mean ‖B F(P x_{t−1}) + b − x_t‖²."""
    _, model = _models("shplrnn", {"hidden_dim": 15, "clipped": True}, "affine")
    X = np.random.default_rng(2).standard_normal((3, 10, N)).astype(np.float32)
    masks = ForcingSchedule("window", tau=1).masks(10, 1)
    loss = fused_loss_and_grad(model, X, *masks)
    m64 = model.double()
    with torch.no_grad():
        xt = torch.from_numpy(X[:, :-1].reshape(-1, N)).double()
        pred = m64.observe(m64.step(m64.infer_latent(xt))).numpy().reshape(3, 9, N)
    assert loss == pytest.approx(float(np.mean((pred - X[:, 1:]) ** 2)), rel=1e-5)


def test_kernel_arguments_are_checked():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((4, 30, N)).astype(np.float32)
    _, model = _models("plrnn", {}, "linear")
    A, W, h, Bm = (t.detach().numpy() for t in (model.A, model.W_eff, model.h, model.B))
    P = np.linalg.pinv(Bm).astype(np.float32)
    masks = ForcingSchedule("gtf", alpha=0.2).masks(30, None)
    with pytest.raises(ValueError, match="linear_units"):
        almost_linear_loss_and_grad(X, A, W, h, Bm, P, *masks, linear_units=M + 1)
    with pytest.raises(ValueError, match="offset b"):
        almost_linear_loss_and_grad(X, A, W, h, Bm, P, *masks, b=np.zeros(N + 1, np.float32))
    with pytest.raises(ValueError, match="W1 must be"):
        shplrnn_loss_and_grad(X, A, W, W, h, np.zeros(M + 1, np.float32), Bm, P, *masks)


def test_dispatch_covers_the_gtf_line_and_nothing_else():
    cpu = torch.device("cpu")
    assert has_fused_kernel(build_model("shplrnn", 2, 4, clipped=True), cpu)
    assert has_fused_kernel(build_model("alrnn", 2, 4), cpu)
    assert has_fused_kernel(build_model("plrnn", 2, 4), cpu)
    assert not has_fused_kernel(build_model("plrnn", 2, 4, clipped=True), cpu)
    assert not has_fused_kernel(build_model("shplrnn", 2, 4, dtype=torch.float64), cpu)
    assert not has_fused_kernel(build_model("shplrnn", 2, 4, input_dim=1), cpu)
    assert not has_fused_kernel(build_model("gru", 2, 4), cpu)


@pytest.mark.parametrize("observation", ["identity", "affine"])
@pytest.mark.parametrize(("arch", "kw", "fn"), [("shplrnn", {"hidden_dim": 11}, shplrnn_free_run),
                                               ("shplrnn", {"hidden_dim": 11, "clipped": True}, shplrnn_free_run),
                                               ("alrnn", {"relu_units": 3}, alrnn_free_run),
                                               ("plrnn", {}, alrnn_free_run)])
def test_free_run_matches_model_trajectory(arch, kw, fn, observation):
    model, _ = _models(arch, kw, observation)
    z0 = torch.randn(2, M, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        ref = model.observe(model.trajectory(z0, 59)).numpy()
    got = fn(model, z0.numpy(), 60)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)


def test_free_run_overflow_is_inf():
    model = build_model("shplrnn", 2, 3, hidden_dim=4, dtype=torch.float64, seed=0)
    with torch.no_grad():
        model.A.fill_(1e150)
    out = shplrnn_free_run(model, np.ones((1, 3)), 10)
    assert out is not None and np.isinf(out[0, -1]).all() and np.isfinite(out[0, 0]).all()
    assert shplrnn_free_run(build_model("shplrnn", 2, 3, input_dim=1), np.ones((1, 3)), 5) is None
    assert alrnn_free_run(build_model("plrnn", 2, 3, clipped=True), np.ones((1, 3)), 5) is None


@pytest.mark.parametrize(("arch", "kw"), [("shplrnn", {"hidden_dim": 30, "clipped": True}), ("alrnn", {"relu_units": 2})])
def test_trainer_runs_the_fused_kernel_and_matches_its_autograd_path(arch, kw):
    """Two epochs of the trainer, fused path against autograd path from the same state: same losses to
    float32 round-off (the optimizer steps on the fused gradients)."""
    from rnnchaos.training.trainer import Trainer, TrainSettings

    x = np.random.default_rng(3).standard_normal((400, N)).astype(np.float32)
    histories = []
    for fast in (True, False):
        model = build_model(arch, N, M, observation="affine", seed=2, **kw)
        settings = TrainSettings(forcing=ForcingSchedule("gtf", alpha=0.3), epochs=2, seq_len=30, batch_size=4,
                                 batches_per_epoch=3, log_every=1, checkpoint_every=10)
        trainer = Trainer(model, x, settings)
        assert trainer.fast
        trainer.fast = fast
        histories.append([e["loss"] for e in trainer.run().history])
    np.testing.assert_allclose(histories[0], histories[1], rtol=1e-5)


@pytest.mark.parametrize("shape", [(3, 6), (6, 3), (5, 5)])
def test_pinv_vjp_equals_float64_autograd(shape):
    """The closed-form pullback of P = pinv(B) that chains the kernels' dL/dP to B, against autograd
    through the SVD, for wide, tall and square B."""
    from rnnchaos.training.fused_kernels import pinv_vjp

    rng = np.random.default_rng(3)
    B = rng.standard_normal(shape)
    gP = rng.standard_normal(shape[::-1])
    Bt = torch.tensor(B, requires_grad=True)
    (want,) = torch.autograd.grad(torch.linalg.pinv(Bt), Bt, torch.tensor(gP))
    got = pinv_vjp(B.astype(np.float32), np.linalg.pinv(B).astype(np.float32), gP.astype(np.float32))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want.numpy(), atol=1e-5 * np.abs(want.numpy()).max())
