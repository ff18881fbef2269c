"""Dispatch of the fused CPU training kernels: which models have one, and the call that fills ``.grad``.

Kernels (each a numba forward plus an exact hand-written backward, for every forcing method via the
m_obs / reset / cut masks of :mod:`rnnchaos.training.forcing`, and the identity, linear and affine
observation models):

* ``plrnn`` (unclipped) and ``alrnn``: :func:`rnnchaos.training.plrnn_kernel.almost_linear_loss_and_grad`
  (the ALRNN of Brenner et al. 2024 is the PLRNN with its first M − P units linear);
* ``shplrnn`` (plain and clipped): :func:`rnnchaos.training.shplrnn_kernel.shplrnn_loss_and_grad`.

The observation matrix's pseudo-inverse ``P = pinv(B)`` is chained by the closed-form derivative of the
pseudo-inverse at constant rank (Golub & Pereyra 1973; :func:`pinv_vjp`, in NumPy: an autograd graph through
the SVD cost more than a third of the shPLRNN's batch), so the gradients equal PyTorch autograd of :func:`rnnchaos.training.torch_loss.forced_sequence_loss` (tested to
float32 round-off against float64 autograd).  Float32 models on the CPU without external inputs only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from rnnchaos.training.plrnn_kernel import almost_linear_loss_and_grad, identity_observation
from rnnchaos.training.shplrnn_kernel import shplrnn_loss_and_grad


def pinv_vjp(B: NDArray[np.float32], P: NDArray[np.float32], gP: NDArray[np.float32]) -> NDArray[np.float32]:
    """dL/dB from dL/dP for P = pinv(B), B (N, M), at constant rank (Golub & Pereyra 1973):
    −Pᵀ gP Pᵀ + (I − B P) gPᵀ P Pᵀ + Pᵀ P gPᵀ (I − P B).  Cost O(N·M·max(N, M))."""
    n, m = B.shape
    gPt = gP.T
    out = -(P.T @ gP @ P.T)
    out += (np.eye(n, dtype=B.dtype) - B @ P) @ gPt @ (P @ P.T)
    out += (P.T @ P) @ gPt @ (np.eye(m, dtype=B.dtype) - P @ B)
    return out.astype(np.float32, copy=False)


def has_fused_kernel(model: Any, device: torch.device) -> bool:
    """True when a fused kernel covers ``model`` on ``device``: a plain PLRNN, an ALRNN or a (clipped)
    shPLRNN, float32, no external inputs, on the CPU."""
    arch = getattr(model, "arch", None)
    if (device.type != "cpu" or getattr(model, "input_dim", 1) != 0
            or getattr(model, "dtype", None) != torch.float32):
        return False
    if arch == "plrnn":
        return not getattr(model, "clipped", True)
    return arch in ("alrnn", "shplrnn")


def fused_loss_and_grad(model: Any, X: NDArray[np.float32], m_obs: NDArray[np.float32],
                        reset: NDArray[np.bool_], cut: NDArray[np.bool_], *, signal_grad: bool = True,
                        weights: NDArray[np.float32] | None = None) -> float:
    """Forced loss of ``model`` on the batch ``X`` (B, T, N) by its fused kernel; sets every parameter's
    ``.grad`` (replacing it) and returns the loss.  Call only where :func:`has_fused_kernel` is True.
    ``signal_grad=False``: the forcing signals are constants of the observation parameters
    (:func:`rnnchaos.training.torch_loss.forced_sequence_loss`).  ``weights`` (B, T): per-step weights of the
    squared error (None: the plain mean squared error)."""
    obs = model.observation
    if obs == "identity":
        Bm, P = identity_observation(model.obs_dim, model.latent_dim)
    else:
        Bm = model.B.detach().numpy()
        P = np.linalg.pinv(Bm).astype(np.float32, copy=False)
    b = model.b.detach().numpy() if obs == "affine" else None
    grads: dict[str, NDArray[np.float32]]
    if model.arch == "shplrnn":
        A, W1, W2, h1, h2 = (getattr(model, n).detach().numpy() for n in ("A", "W1", "W2", "h1", "h2"))
        loss, gA, gW1, gW2, gh1, gh2, gB, gP, gb = shplrnn_loss_and_grad(
            X, A, W1, W2, h1, h2, Bm, P, m_obs, reset, cut, clipped=model.clipped, b=b, signal_grad=signal_grad,
            weights=weights)
        grads = {"A": gA, "W1": gW1, "W2": gW2, "h1": gh1, "h2": gh2}
    else:
        loss, gA, gW, gh, gB, gP, gb = almost_linear_loss_and_grad(
            X, model.A.detach().numpy(), model.W_eff.detach().numpy(), model.h.detach().numpy(), Bm, P, m_obs,
            reset, cut, linear_units=int(getattr(model, "linear_units", 0)), b=b, signal_grad=signal_grad,
            weights=weights)
        grads = {"A": gA, "W": gW, "h": gh}
    for name, g in grads.items():
        getattr(model, name).grad = torch.from_numpy(g)
    if obs != "identity":
        model.B.grad = torch.from_numpy(gB + pinv_vjp(Bm, P, gP))
    if b is not None:
        model.b.grad = torch.from_numpy(gb)
    return loss
