"""``signal_grad=False``: the forcing signal of the mixing is a constant of the observation parameters
(as in Hess et al.'s GTF code); exact truths on a hand-computed case, fused kernels against float64
autograd, and which gradients it changes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnchaos.models.base import build_model
from rnnchaos.training.forcing import ForcingSchedule
from rnnchaos.training.fused_kernels import fused_loss_and_grad
from rnnchaos.training.torch_loss import forced_sequence_loss

torch.set_num_threads(1)

METHODS = [("stf", 7, None), ("gtf", None, 0.3), ("window", 9, None), ("tbptt", 11, None), ("bptt", None, None)]
MODELS = [("shplrnn", {"hidden_dim": 20}), ("shplrnn", {"hidden_dim": 20, "clipped": True}),
          ("alrnn", {"relu_units": 4}), ("plrnn", {})]
NB, T, N, M = 4, 30, 3, 6


def _models(arch: str, kw: dict, observation: str) -> tuple:
    m64 = build_model(arch, N, M, observation=observation, seed=1, dtype=torch.float64, **kw)
    gen = torch.Generator().manual_seed(5)
    with torch.no_grad():
        for p in m64.parameters():
            p.add_(0.1 * torch.randn(p.shape, generator=gen, dtype=torch.float64))
    m32 = build_model(arch, N, M, observation=observation, seed=1, **kw)
    m32.load_state_dict(m64.state_dict())
    return m64, m32


def _one_unit_plrnn(a: float, h: float, beta: float, observation: str = "linear", dtype=torch.float64):
    """PLRNN with M = N = 1 (so W = 0): z <- a z + h, observed as x = beta z."""
    m = build_model("plrnn", 1, 1, observation=observation, seed=0, dtype=dtype)
    with torch.no_grad():
        m.A.fill_(a)
        m.W.zero_()
        m.h.fill_(h)
        m.B.fill_(beta)
    return m


@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize("signal_grad", [True, False])
def test_gtf_gradient_of_the_observation_on_a_hand_computed_case(fused, signal_grad):
    """T = 3, GTF with α: z0 = x0/β, z1 = a z0 + h, z1' = (1−α) z1 + α c with c = x1/β, z2 = a z1' + h,
    L = ((β z1 − x1)² + (β z2 − x2)²) / 2.  dL/dβ by hand: with signal_grad the forcing signal c depends
    on β (dc/dβ = −x1/β²); without, c is a constant, but z0 = x0/β still carries its gradient."""
    a, h, beta = 0.8, 0.1, 1.5
    alpha = float(np.float32(0.3))  # the masks hold α in float32
    x0, x1, x2 = 0.6, -0.2, 0.4
    z0 = x0 / beta
    z1 = a * z0 + h
    c = x1 / beta
    z1p = (1 - alpha) * z1 + alpha * c
    z2 = a * z1p + h
    e1, e2 = beta * z1 - x1, beta * z2 - x2
    loss = (e1 ** 2 + e2 ** 2) / 2
    dz1 = -a * x0 / beta ** 2
    dz1p = (1 - alpha) * dz1 + (alpha * -x1 / beta ** 2 if signal_grad else 0.0)
    dz2 = a * dz1p
    dbeta = e1 * (z1 + beta * dz1) + e2 * (z2 + beta * dz2)
    # dL/da and dL/dh do not depend on signal_grad
    da = e1 * beta * z0 + e2 * beta * (z1p + a * (1 - alpha) * z0)
    dh = e1 * beta + e2 * beta * (1 + a * (1 - alpha))
    X = np.array([[[x0], [x1], [x2]]])
    masks = ForcingSchedule("gtf", alpha=alpha).masks(3, None)
    if fused:
        m = _one_unit_plrnn(a, h, beta, dtype=torch.float32)
        got_loss = fused_loss_and_grad(m, X.astype(np.float32), *masks, signal_grad=signal_grad)
        tol = 1e-6
    else:
        m = _one_unit_plrnn(a, h, beta)
        lt = forced_sequence_loss(m, torch.from_numpy(X), *masks, signal_grad=signal_grad)
        lt.backward()
        got_loss = lt.item()
        tol = 1e-12
    assert got_loss == pytest.approx(loss, abs=tol)
    assert m.B.grad.item() == pytest.approx(dbeta, abs=tol)
    assert m.A.grad.item() == pytest.approx(da, abs=tol)
    assert m.h.grad.item() == pytest.approx(dh, abs=tol)


@pytest.mark.parametrize("observation", ["linear", "affine"])
@pytest.mark.parametrize("method,tau,alpha", METHODS)
@pytest.mark.parametrize(("arch", "kw"), MODELS)
def test_fused_gradients_without_signal_gradient_equal_float64_autograd(arch, kw, method, tau, alpha,
                                                                        observation):
    X = np.random.default_rng(0).standard_normal((NB, T, N)).astype(np.float32)
    m64, m32 = _models(arch, kw, observation)
    masks = ForcingSchedule(method, tau=tau, alpha=alpha).masks(T, tau)
    ref_loss = forced_sequence_loss(m64, torch.from_numpy(X).double(), *masks, signal_grad=False)
    ref_loss.backward()
    ref = {n: p.grad.numpy() for n, p in m64.named_parameters()}
    loss = fused_loss_and_grad(m32, X, *masks, signal_grad=False)
    assert loss == pytest.approx(ref_loss.item(), rel=1e-5)
    scale = max(np.abs(g).max() for g in ref.values())
    for name, p in m32.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), ref[name], atol=1e-5 * scale, err_msg=name)


@pytest.mark.parametrize("observation", ["identity", "linear", "affine"])
def test_signal_gradient_changes_only_the_observation_gradients(observation):
    """Same loss; the latent parameters' gradients are unchanged; B and b change under GTF with a learned
    observation (nothing changes for the identity observation, which has no parameters)."""
    X = np.random.default_rng(2).standard_normal((NB, T, N))
    masks = ForcingSchedule("gtf", alpha=0.3).masks(T, None)
    grads, losses = [], []
    for sg in (True, False):
        m, _ = _models("shplrnn", {"hidden_dim": 12, "clipped": True}, observation)
        lt = forced_sequence_loss(m, torch.from_numpy(X), *masks, signal_grad=sg)
        lt.backward()
        losses.append(lt.item())
        grads.append({n: p.grad.clone() for n, p in m.named_parameters()})
    assert losses[0] == pytest.approx(losses[1], rel=1e-13)
    for name in ("A", "W1", "W2", "h1", "h2"):
        torch.testing.assert_close(grads[0][name], grads[1][name], rtol=1e-11, atol=1e-13)
    for name in ("B", "b"):
        if name in grads[0]:
            assert not torch.allclose(grads[0][name], grads[1][name])


def test_signal_grad_is_validated_and_stored():
    with pytest.raises(ValueError, match="signal_grad must be True or False"):
        ForcingSchedule("gtf", alpha=0.3, signal_grad="no")  # type: ignore[arg-type]
    s = ForcingSchedule("gtf", alpha=0.3, signal_grad=False)
    assert ForcingSchedule(**s.to_dict()) == s
    assert ForcingSchedule("gtf", alpha=0.3).signal_grad is True
