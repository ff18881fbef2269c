"""L2 regularisation of the latent model, as in the GTF line's code (Hess et al., ICML 2023; their
``regularize`` in ``src/tf_training/regularization.jl``; on EEG they use λ = 1e−4).

Penalty λ·(‖1 − a‖² + Σ_θ ‖θ‖²) over the latent model's parameters: the diagonal ``A`` of the PLRNN family is
pulled towards 1 (each unit keeps a memory of itself, the line's manifold-attractor idea) and every other
latent weight and bias towards 0; the observation model (``B``, ``b``) is not penalised.  Cost: one pass
over the parameters (a few thousand numbers) per batch, by autograd, added to the gradients the batch's
loss left in ``.grad`` (fused kernel or autograd alike).
"""

from __future__ import annotations

from typing import Any

import torch

#: parameters pulled towards 1 instead of 0 (the PLRNN family's diagonal)
PULLED_TO_ONE = ("A",)
#: parameters of the observation model, not penalised
OBSERVATION_PARAMETERS = ("B", "b")


def latent_l2_penalty(model: Any) -> torch.Tensor:
    """‖1 − A‖² + Σ ‖θ‖² over the latent parameters θ of ``model`` (a scalar tensor with its graph)."""
    total = torch.zeros((), dtype=model.dtype, device=next(model.parameters()).device)
    for name, p in model.named_parameters():
        if name in OBSERVATION_PARAMETERS:
            continue
        total = total + ((1.0 - p) ** 2).sum() if name in PULLED_TO_ONE else total + (p ** 2).sum()
    return total


def add_latent_l2(model: Any, weight: float) -> float:
    """Add the gradient of ``weight · latent_l2_penalty(model)`` to the parameters' ``.grad``; returns the
    penalty's value (``weight`` times the sum of squares)."""
    penalty = weight * latent_l2_penalty(model)
    penalty.backward()
    return float(penalty.detach())
