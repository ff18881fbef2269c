"""The fused PLRNN kernel against autograd, exact truths of the forced loss, and the forcing schedules."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnchaos.models.base import build_model
from rnnchaos.training.forcing import ForcingSchedule
from rnnchaos.training.plrnn_kernel import identity_observation, plrnn_loss_and_grad
from rnnchaos.training.torch_loss import forced_sequence_loss

torch.set_num_threads(1)


def _random_plrnn(rng: np.random.Generator, M: int, N: int):
    A = (0.9 * rng.random(M)).astype(np.float32)
    W = (0.15 * rng.standard_normal((M, M))).astype(np.float32)
    np.fill_diagonal(W, 0.0)
    h = (0.1 * rng.standard_normal(M)).astype(np.float32)
    Bm = (rng.standard_normal((N, M)) / np.sqrt(M)).astype(np.float32)
    return A, W, h, Bm


def _autograd_reference(X, A, W, h, Bm, learn_B, m_obs, reset, cut):
    """The forced loss written directly in float64 torch; autograd gives the reference gradients."""
    f64 = torch.float64
    At, Wt, ht = (torch.tensor(v, dtype=f64, requires_grad=True) for v in (A, W, h))
    Bt = torch.tensor(Bm, dtype=f64, requires_grad=learn_B)
    P = torch.linalg.pinv(Bt)
    Xt = torch.tensor(X, dtype=f64)
    off = 1.0 - torch.eye(A.shape[0], dtype=f64)
    z = Xt[:, 0] @ P.T
    loss = Xt.new_zeros(())
    for t in range(1, X.shape[1]):
        z = At * z + torch.relu(z) @ (Wt * off).T + ht
        e = z @ Bt.T - Xt[:, t]
        loss = loss + (e * e).sum()
        z = Xt[:, t] @ P.T if reset[t] else z - float(m_obs[t]) * (e @ P.T)
        if cut[t]:
            z = z.detach()
    loss = loss / (X.shape[0] * (X.shape[1] - 1) * X.shape[2])
    loss.backward()
    gB = Bt.grad.numpy() if learn_B else None
    return loss.item(), At.grad.numpy(), Wt.grad.numpy(), ht.grad.numpy(), gB


@pytest.mark.parametrize("linear", [False, True])
@pytest.mark.parametrize("method,tau,alpha", [("stf", 7, None), ("gtf", None, 0.3), ("window", 9, None),
                                              ("tbptt", 11, None), ("bptt", None, None)])
def test_kernel_gradients_match_autograd(linear, method, tau, alpha):
    rng = np.random.default_rng(3)
    nb, T, N, M = 5, 40, 3, 12
    X = rng.standard_normal((nb, T, N)).astype(np.float32)
    A, W, h, Bm = _random_plrnn(rng, M, N)
    if not linear:
        Bm, _ = identity_observation(N, M)
    m_obs, reset, cut = ForcingSchedule(method, tau=tau, alpha=alpha).masks(T, tau)
    Bt = torch.tensor(Bm, requires_grad=True)
    P = torch.linalg.pinv(Bt)
    loss, gA, gW, gh, gB, gP = plrnn_loss_and_grad(X, A, W, h, Bm, P.detach().numpy(), m_obs, reset, cut)
    ref = _autograd_reference(X, A, W, h, Bm, linear, m_obs, reset, cut)
    assert loss == pytest.approx(ref[0], rel=1e-5)
    scale = max(np.abs(ref[1]).max(), np.abs(ref[2]).max(), np.abs(ref[3]).max())
    for got, want in zip((gA, gW, gh), ref[1:4], strict=True):
        np.testing.assert_allclose(got, want, atol=1e-5 * scale)
    if linear:
        (gPB,) = torch.autograd.grad(P, Bt, torch.from_numpy(gP))
        np.testing.assert_allclose(gB + gPB.numpy(), ref[4], atol=1e-5 * np.abs(ref[4]).max())


def test_kernel_equals_torch_loss_of_the_models_plrnn():
    """The fused kernel and the generic autograd loss agree on the models' own PLRNN (linear observation)."""
    rng = np.random.default_rng(0)
    model = build_model("plrnn", 3, 10, observation="linear", seed=1)
    X = rng.standard_normal((4, 30, 3)).astype(np.float32)
    masks = ForcingSchedule("stf", tau=6).masks(30, 6)
    loss_t = forced_sequence_loss(model, torch.from_numpy(X), *masks)
    loss_t.backward()
    P = torch.linalg.pinv(model.B)
    loss, gA, gW, gh, gB, gP = plrnn_loss_and_grad(
        X, model.A.detach().numpy(), model.W_eff.detach().numpy(), model.h.detach().numpy(),
        model.B.detach().numpy(), P.detach().numpy(), *masks)
    (gPB,) = torch.autograd.grad(P, model.B, torch.from_numpy(gP))
    assert loss == pytest.approx(loss_t.item(), rel=1e-5)
    np.testing.assert_allclose(gA, model.A.grad.numpy(), atol=1e-6)
    np.testing.assert_allclose(gW, model.W.grad.numpy(), atol=1e-6)
    np.testing.assert_allclose(gB + gPB.numpy(), model.B.grad.numpy(), atol=1e-6)


def test_linear_system_is_fitted_exactly():
    """Data from x_{t+1} = A x_t with A diagonal in (0, 1), a PLRNN with W = 0, h = 0, identity observation
    (N = M): the loss is exactly 0 and so is every gradient, for every forcing method."""
    rng = np.random.default_rng(1)
    M = 4
    a = np.array([0.9, 0.5, 0.99, 0.2], dtype=np.float32)
    x0 = rng.standard_normal((6, M)).astype(np.float32)
    X = np.stack([x0 * a[None, :] ** t for t in range(25)], axis=1).astype(np.float32)
    Bm, P = identity_observation(M, M)
    W = np.zeros((M, M), np.float32)
    h = np.zeros(M, np.float32)
    for method, tau, alpha in [("stf", 5, None), ("bptt", None, None), ("gtf", None, 0.5), ("window", 3, None)]:
        masks = ForcingSchedule(method, tau=tau, alpha=alpha).masks(25, tau)
        loss, gA, gW, gh, _, _ = plrnn_loss_and_grad(X, a, W, h, Bm, P, *masks)
        assert loss < 1e-12
        assert np.abs(gA).max() < 1e-6 and np.abs(gW).max() < 1e-6 and np.abs(gh).max() < 1e-6


def test_window_every_step_is_the_one_step_error():
    """Windowing with τ = 1 resets to P x_{t-1} before every step: loss = mean ‖B F(P x_{t-1}) − x_t‖²."""
    rng = np.random.default_rng(2)
    N, M = 2, 6
    A, W, h, Bm = _random_plrnn(rng, M, N)
    X = rng.standard_normal((3, 10, N)).astype(np.float32)
    P = np.linalg.pinv(Bm).astype(np.float32)
    masks = ForcingSchedule("window", tau=1).masks(10, 1)
    loss, *_ = plrnn_loss_and_grad(X, A, W, h, Bm, P, *masks, need_grad=False)
    z = X[:, :-1].astype(np.float64) @ P.T.astype(np.float64)
    pred = (A * z + np.maximum(z, 0) @ W.T + h) @ Bm.T
    assert loss == pytest.approx(float(np.mean((pred - X[:, 1:]) ** 2)), rel=1e-5)


@settings(max_examples=40, deadline=None)
@given(tau=st.integers(1, 60), T=st.integers(2, 150))
def test_stf_masks_force_every_tau_steps(tau, T):
    m_obs, reset, cut = ForcingSchedule("stf", tau=tau).masks(T, tau)
    forced = np.flatnonzero(m_obs)
    np.testing.assert_array_equal(forced, np.arange(tau, T, tau))
    assert np.all(m_obs[forced] == 1.0) and not reset.any() and not cut.any()


@settings(max_examples=40, deadline=None)
@given(tau=st.integers(1, 50), delta=st.integers(0, 20), seed=st.integers(0, 10_000))
def test_random_tau_stays_in_its_interval(tau, delta, seed):
    sched = ForcingSchedule("stf", tau=tau, tau_mode="random", delta=delta)
    rng = np.random.default_rng(seed)
    draws = [sched.tau_for(1, rng) for _ in range(50)]
    assert all(max(1, tau - delta) <= d <= tau + delta for d in draws)


def test_annealed_tau_goes_from_one_to_tau():
    sched = ForcingSchedule("stf", tau=30, tau_mode="anneal", anneal_epochs=100)
    rng = np.random.default_rng(0)
    taus = [sched.tau_for(e, rng) for e in range(0, 201)]
    assert taus[0] == 1 and taus[100] == 30 and taus[200] == 30
    assert all(b >= a for a, b in zip(taus, taus[1:], strict=False))


@pytest.mark.parametrize("kwargs,match", [
    ({"method": "stf"}, "integer tau"), ({"method": "gtf"}, "alpha in"), ({"method": "nope", "tau": 3}, "forcing must"),
    ({"method": "stf", "tau": 5, "tau_mode": "anneal"}, "anneal_epochs"),
    ({"method": "gtf", "alpha": 1.5}, "alpha in"),
])
def test_schedule_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ForcingSchedule(**kwargs)


def test_adaptive_gtf_alpha_of_a_linear_map():
    """For z <- diag(a) z, ‖J‖₂ = max|a| everywhere, so G = max|a| and α = 1 − 1/max|a| (Hess et al. 2023)."""
    from rnnchaos.training.gtf import adaptive_alpha, jacobian_norm_growth

    model = build_model("plrnn", 2, 2, observation="identity", seed=0, dtype=torch.float64)
    with torch.no_grad():
        model.A.copy_(torch.tensor([2.0, 0.5], dtype=torch.float64))
        model.W.zero_()
        model.h.zero_()
    X = np.random.default_rng(0).standard_normal((3, 10, 2))
    assert jacobian_norm_growth(model, X) == pytest.approx(2.0, rel=1e-12)
    assert adaptive_alpha(model, X) == pytest.approx(0.5, rel=1e-12)
    with torch.no_grad():
        model.A.copy_(torch.tensor([0.9, 0.5], dtype=torch.float64))
    assert adaptive_alpha(model, X) == 0.0  # contracting: no forcing needed
