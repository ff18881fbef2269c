"""Adaptive forcing weight α of generalized teacher forcing (GTF), from Jacobian-norm bounds.

Generalized teacher forcing (Hess, Monfared, Brenner & Durstewitz, ICML 2023) replaces the latent
state at every step by ``z ← (1 − α) z + α ẑ``.  The Jacobian of the forced map is then
``(1 − α) J(z)``, so the norm of a product of T Jacobians, which drives the loss gradient, is bounded by
``((1 − α) G)^T`` where ``G`` is the geometric mean of the spectral norms ``‖J(z_t)‖₂`` along the
sequence (submultiplicativity: ‖∏ J_t‖ ≤ ∏ ‖J_t‖ = G^T).  The smallest α that keeps this bound from
growing is ``α* = max(0, 1 − 1/G)``.

Rules (``rule=``):

* ``"product_upper_bound"`` (default; the rule of the paper and of its released code, where it is
  called ``product_upper_bound``): ``G`` is computed *per training sequence* at the forcing signals
  ẑ_2, …, ẑ_T of that sequence (the first is skipped, as in their code; ẑ below), and the **largest** G over
  the batch is used: ``α* = max(0, 1 − 1 / max_b G_b)``.
* ``"pooled_geomean"`` (the earlier rnnchaos estimate, kept as an option): one geometric mean over the
  states of all sequences of the batch pooled (at most 2000 states), which is smaller than the
  per-sequence maximum whenever the sequences differ.

How often and how smoothed (:func:`update_alpha`, called by the trainer): α starts at ``alpha_max``
(1.0 by default, the paper code's initial ``gtf_alpha``), and every ``alpha_every`` optimizer steps
(5 in the paper's code; counted within an epoch) α* is estimated on that step's batch and

    α ← α*                       if α* > α   (the bound must hold now),
    α ← γ α + (1 − γ) α*         otherwise   (slow annealing down to the estimate),

with the smoothing factor γ = ``alpha_smoothing`` (0.999 in the paper's code, ``gtf_alpha_decay``),
and the result capped at ``alpha_max``.

The forcing signals of ``product_upper_bound`` are, as in their code, the states inferred from each
observation alone, ẑ_t = ``infer_latent(x_t)``: B⁺(x_t − b) for a linear or affine observation (their
``apply_inverse``), x_t with the unobserved units at 0 for the identity observation (their code
estimates those with a learned matrix instead).  ``pooled_geomean`` keeps its original states, those
of a fully forced pass ẑ_t = infer_latent(x_t, step(ẑ_{t−1})).

Cost of one estimate: B·T state inferences, B·(T − 1) Jacobians and their spectral norms (SVDs of
M × M matrices), O(B·T·M³) (plus the Jacobian's own cost, O(B·T·M·L) for an shPLRNN of width L).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

#: α estimation rules (see the module docstring)
ALPHA_RULES = ("product_upper_bound", "pooled_geomean")


@torch.no_grad()
def _forced_states(model: Any, X: NDArray[Any]) -> torch.Tensor:
    """States ẑ_0 … ẑ_{T−1} of a fully forced pass over ``X`` (B, T, N): (B, T, M)."""
    Xt = torch.as_tensor(np.asarray(X), dtype=model.dtype)
    p = next(model.parameters())
    Xt = Xt.to(p.device)
    z = model.infer_latent(Xt[:, 0])
    states = [z]
    for t in range(1, Xt.shape[1]):
        z = model.infer_latent(Xt[:, t], model.step(z))
        states.append(z)
    return torch.stack(states, dim=1)


@torch.no_grad()
def _log_spectral_norms(model: Any, Z: torch.Tensor) -> torch.Tensor:
    J = model.jacobian(Z.reshape(-1, Z.shape[-1]))
    norms = torch.linalg.matrix_norm(J.double(), ord=2)
    return torch.log(torch.clamp(norms, min=1e-300)).reshape(Z.shape[:-1])


@torch.no_grad()
def forcing_signals(model: Any, X: NDArray[Any]) -> torch.Tensor:
    """ẑ_t = infer_latent(x_t) for every observation of ``X`` (B, T, N), from the data alone: (B, T, M)."""
    Xt = torch.as_tensor(np.asarray(X), dtype=model.dtype).to(next(model.parameters()).device)
    B, T, N = Xt.shape
    return model.infer_latent(Xt.reshape(B * T, N)).reshape(B, T, -1)


@torch.no_grad()
def sequence_norm_growth(model: Any, X: NDArray[Any]) -> NDArray[np.float64]:
    """G_b for each sequence b of ``X`` (B, T, N): the geometric mean of ‖J(ẑ_t)‖₂ over t = 1 … T − 1,
    ẑ_t the forcing signals of :func:`forcing_signals`."""
    logs = _log_spectral_norms(model, forcing_signals(model, X)[:, 1:])
    return np.asarray(torch.exp(logs.mean(dim=1)).cpu().numpy(), dtype=np.float64)


@torch.no_grad()
def jacobian_norm_growth(model: Any, X: NDArray[Any], max_states: int = 2000) -> float:
    """G of the ``pooled_geomean`` rule (the earlier rnnchaos estimate, unchanged): geometric mean of
    ‖J(ẑ_t)‖₂ over the forced states t = 0 … T − 2 of all sequences of ``X`` (B, T, N) pooled in time
    order, the first ``max_states`` of them."""
    Z = _forced_states(model, X)[:, :-1].transpose(0, 1)
    Z = Z.reshape(-1, Z.shape[-1])[:max_states]
    return float(torch.exp(_log_spectral_norms(model, Z[None]).mean()))


def alpha_from_growth(G: float, alpha_max: float = 1.0) -> float:
    """α* = clip(1 − 1/G, 0, alpha_max) (Hess et al. 2023, their ``opt_α``)."""
    return float(min(float(alpha_max), max(0.0, 1.0 - 1.0 / float(G))))


def adaptive_alpha(model: Any, X: NDArray[Any], alpha_max: float = 1.0, rule: str = "product_upper_bound") -> float:
    """The estimate α* of ``rule`` (:data:`ALPHA_RULES`) on the batch ``X`` (B, T, N)."""
    if rule == "product_upper_bound":
        G = float(np.max(sequence_norm_growth(model, X)))
    elif rule == "pooled_geomean":
        G = jacobian_norm_growth(model, X)
    else:
        raise ValueError(f"alpha rule must be one of {', '.join(ALPHA_RULES)}, got {rule!r}")
    return alpha_from_growth(G, alpha_max)


def smoothed_alpha(alpha: float, estimate: float, smoothing: float, alpha_max: float = 1.0) -> float:
    """The annealing update of Hess et al.'s code: the estimate when it is larger, else γα + (1 − γ)α*."""
    new = estimate if estimate > alpha else smoothing * alpha + (1.0 - smoothing) * estimate
    return float(min(float(alpha_max), new))


def update_alpha(model: Any, X: NDArray[Any], alpha: float, *, smoothing: float, alpha_max: float = 1.0,
                 rule: str = "product_upper_bound") -> float:
    """One α update on the batch ``X``: :func:`adaptive_alpha` followed by :func:`smoothed_alpha`."""
    return smoothed_alpha(alpha, adaptive_alpha(model, X, alpha_max, rule), smoothing, alpha_max)
