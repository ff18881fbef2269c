"""Forced sequence loss of any :class:`rnnchaos.models.base.LatentModel`, by PyTorch autograd.

This is the general (and reference) implementation of the forcing schedules of
:mod:`rnnchaos.training.forcing` for every architecture and observation model; the PLRNN with an
identity observation has a fused kernel (:mod:`rnnchaos.training.plrnn_kernel`) that computes the same
loss and gradients faster.  At step t, with ẑ_t the data-inferred state ``model.infer_latent(x_t, z_t)``:

    loss_t = ‖observe(z_t) − x_t‖²  (taken before forcing),
    z'_t   = z_t + m_obs[t] · (ẑ_t − z_t)              (STF: m = 1; GTF: m = α),
             (``signal_grad=False``: ẑ_t − z_t = B⁺(x_t − b − B z_t) with B, b constants),
    z'_t   = infer_latent(x_t)  where reset[t]          (windowing: full reset),
    z'_t   = z'_t.detach()      where cut[t]            (truncated BPTT, windows).

The state at t = 0 is ``infer_latent(x_0)``.  The loss is the mean over batch, steps 1 … T−1 and
observed dimensions.  Cost: T model steps and their backward pass, O(T·B·M²) for dense models, with
PyTorch's per-operation overhead at every step.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import Tensor


def forced_sequence_loss(model: Any, X: Tensor, m_obs: NDArray[np.float32], reset: NDArray[np.bool_],
                         cut: NDArray[np.bool_], *, signal_grad: bool = True,
                         weights: Tensor | None = None) -> Tensor:
    """Mean squared error of a forced run of ``model`` on the batch ``X`` (B, T, N); see module docstring.

    ``signal_grad=False`` treats the forcing signal ``ẑ_t − z_t`` of the mixing as a constant of the
    observation parameters (``B``, ``b``): it is computed by :func:`forcing_signal_detached`, so the gradient
    still flows through ``z_t`` but not into the observation model through ẑ_t.  ``weights`` (B, T): per-step
    weights of the squared error, Σ w_bt ‖e_bt‖² / (B (T − 1) N) (:mod:`rnnchaos.training.loss_weights`)."""
    if X.dim() != 3:
        raise ValueError(f"X must have shape (B, T, N), got {tuple(X.shape)}")
    T = X.shape[1]
    z = model.infer_latent(X[:, 0])
    total = X.new_zeros(())
    for t in range(1, T):
        z = model.step(z)
        err = model.observe(z) - X[:, t]
        sq = err * err
        total = total + (sq.sum() if weights is None else (weights[:, t, None] * sq).sum())
        if reset[t]:
            z = model.infer_latent(X[:, t])
        elif m_obs[t] > 0:
            z_hat = model.infer_latent(X[:, t], z) if signal_grad else forcing_signal_detached(model, X[:, t], z)
            z = z_hat if m_obs[t] == 1.0 else z + float(m_obs[t]) * (z_hat - z)
        if cut[t]:
            z = z.detach()
    return total / (X.shape[0] * (T - 1) * X.shape[2])


def forcing_signal_detached(model: Any, x: Tensor, z: Tensor) -> Tensor:
    """``infer_latent(x, z)`` with the observation parameters detached: for a linear or affine observation
    ``z + B⁺ (x − b − B z)`` with ``B``, ``b`` and ``B⁺`` constants (the gradient w.r.t. ``z`` is unchanged,
    ``I − B⁺B``); the identity observation has no parameters, so it is ``infer_latent(x, z)``.

    With M = N and B invertible the value is ``B⁻¹(x − b)``, the forcing signal ẑ of Hess et al. (ICML 2023),
    whose released code computes it outside the gradient (``estimate_forcing_signals`` before
    ``Flux.gradient`` in ``src/tf_training/training.jl``)."""
    if model.observation == "identity":
        return model.infer_latent(x, z)
    B = model.B.detach()
    xs = x.to(B.dtype) - model.b.detach() if model.observation == "affine" else x.to(B.dtype)
    return z + (xs - z @ B.T) @ torch.linalg.pinv(B).T
