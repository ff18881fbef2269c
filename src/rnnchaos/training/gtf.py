"""Adaptive forcing weight α of generalized teacher forcing, from Jacobian-norm estimates.

Generalized teacher forcing (Hess, Monfared, Brenner & Durstewitz, ICML 2023) replaces the latent
state at every step by ``z ← (1 − α) z + α ẑ``.  The Jacobian of the forced map is then
``(1 − α) J(z)`` on the observed directions, so the product of T Jacobians that drives the loss gradient
grows at most like ``((1 − α) G)^T`` with ``G`` the geometric mean of the spectral norms ``‖J(z_t)‖₂``
along the trajectory.  Their adaptive rule picks the smallest α that keeps this bounded:

    α = max(0, 1 − 1/G),      G = exp( mean_t log ‖J(z_t)‖₂ ),

re-estimated during training (here every ``alpha_every`` epochs) on a batch of forced trajectories,
capped at ``alpha_max``.  Cost: one forced pass of the batch and B·T spectral norms of M × M matrices,
O(B·T·M³).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray


@torch.no_grad()
def jacobian_norm_growth(model: Any, X: NDArray[np.float32], max_states: int = 2000) -> float:
    """G: geometric mean of ‖J(z_t)‖₂ over the states of a teacher-forced pass of ``model`` over ``X``
    (B, T, N) (every state replaced by the data-inferred one), at most ``max_states`` states."""
    Xt = torch.as_tensor(np.asarray(X), dtype=model.dtype)
    p = next(model.parameters())
    Xt = Xt.to(p.device)
    states = []
    z = model.infer_latent(Xt[:, 0])
    for t in range(1, Xt.shape[1]):
        states.append(z)
        z = model.infer_latent(Xt[:, t], model.step(z))
    Z = torch.cat(states, dim=0)[:max_states]
    J = model.jacobian(Z)
    norms = torch.linalg.matrix_norm(J.double(), ord=2)
    return float(torch.exp(torch.log(torch.clamp(norms, min=1e-300)).mean()))


def adaptive_alpha(model: Any, X: NDArray[np.float32], alpha_max: float = 1.0) -> float:
    """α = clip(1 − 1/G, 0, alpha_max) with G from :func:`jacobian_norm_growth` (Hess et al. 2023)."""
    G = jacobian_norm_growth(model, X)
    return float(min(float(alpha_max), max(0.0, 1.0 - 1.0 / G)))
