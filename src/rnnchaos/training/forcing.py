"""Forcing schedules: which steps of a training sequence mix data into the latent state, and how.

Every training method is expressed as three arrays over the T steps of a sequence (see
:mod:`rnnchaos.training.plrnn_kernel`): ``m_obs[t]`` (weight of the data-inferred state after step
t), ``reset[t]`` (the whole state replaced by the one inferred from x_t alone) and ``cut[t]``
(gradient stopped after step t).  The loss at step t is always taken *before* mixing.

Methods (all explicit, nothing is changed silently):

* ``"stf"`` — sparse teacher forcing (Mikhaeil, Monfared & Durstewitz, NeurIPS 2022): every τ steps
  the state is replaced by the data-inferred one (``m_obs = 1``).  τ is ``fixed``, ``random`` (drawn
  per batch uniformly from the integers in [τ − Δ, τ + Δ], at least 1) or ``anneal`` (linearly from 1
  at the first epoch to τ at ``anneal_epochs``, as the paper's released code does without saying so).
* ``"gtf"`` — generalized teacher forcing (Hess, Monfared, Brenner & Durstewitz, ICML 2023): at every
  step ``z ← (1 − α) z + α ẑ`` (``m_obs = α``).
* ``"window"`` — the sequence is cut into windows of τ steps; each window starts from the state inferred
  from the data alone (``reset``; for the identity observation the unobserved units are set to 0)
  and no gradient crosses windows.
* ``"tbptt"`` — truncated BPTT: the free-running state is carried on but the gradient is cut every τ.
* ``"bptt"`` — plain BPTT through the whole sequence (use with gradient clipping).

Gradient through the forcing signal (``signal_grad``): with a learned (linear or affine) observation the
forcing signal ẑ_t = z_t + B⁺(x_t − b − B z_t) depends on B and b.  ``True`` (default) differentiates
through it; ``False`` treats it as a constant of the observation parameters (the gradient through z_t is
kept), as the released GTF code of Hess et al. does (its ẑ = B⁺x is computed before the gradient call,
DurstewitzLab/GTF-shPLRNN ``src/tf_training/training.jl``).  No effect for the identity observation.

Cost: O(T) per batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

METHODS = ("stf", "gtf", "bptt", "tbptt", "window")
TAU_MODES = ("fixed", "random", "anneal")


@dataclass
class ForcingSchedule:
    """A forcing method with its interval τ (steps) or weight α; see the module docstring."""

    method: str = "stf"
    tau: int | None = None
    tau_mode: str = "fixed"
    delta: int = 0
    anneal_epochs: int | None = None
    alpha: float | None = None
    signal_grad: bool = True

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"forcing must be one of {', '.join(METHODS)}, got {self.method!r}")
        if self.tau_mode not in TAU_MODES:
            raise ValueError(f"tau_mode must be one of {', '.join(TAU_MODES)}, got {self.tau_mode!r}")
        if self.method in ("stf", "window", "tbptt"):
            if self.tau is None or isinstance(self.tau, bool) or int(self.tau) < 1:
                raise ValueError(f"forcing {self.method!r} needs an integer tau >= 1, got {self.tau!r}")
            self.tau = int(self.tau)
        if int(self.delta) < 0:
            raise ValueError(f"delta (random tau half-width) must be >= 0, got {self.delta}")
        self.delta = int(self.delta)
        if self.tau_mode == "anneal" and (self.anneal_epochs is None or int(self.anneal_epochs) < 1):
            raise ValueError("tau_mode='anneal' needs anneal_epochs >= 1 (the epoch at which tau is reached)")
        if self.method == "gtf":
            if self.alpha is None or not (0.0 <= float(self.alpha) <= 1.0):
                raise ValueError(f"forcing 'gtf' needs alpha in [0, 1], got {self.alpha!r}")
            self.alpha = float(self.alpha)
        if not isinstance(self.signal_grad, bool | np.bool_):
            raise ValueError(f"signal_grad must be True or False, got {self.signal_grad!r}")
        self.signal_grad = bool(self.signal_grad)

    def tau_for(self, epoch: int, rng: np.random.Generator) -> int | None:
        """The interval used for a batch of epoch ``epoch`` (1-based); random mode draws from ``rng``."""
        if self.tau is None:
            return None
        if self.tau_mode == "random" and self.delta > 0:
            lo = max(1, self.tau - self.delta)
            return int(rng.integers(lo, self.tau + self.delta + 1))
        if self.tau_mode == "anneal":
            assert self.anneal_epochs is not None
            frac = min(1.0, epoch / float(self.anneal_epochs))
            return int((self.tau - 1) * frac) + 1
        return self.tau

    def masks(self, seq_len: int, tau: int | None, alpha: float | None = None
              ) -> tuple[NDArray[np.float32], NDArray[np.bool_], NDArray[np.bool_]]:
        """``(m_obs, reset, cut)``, each of shape (seq_len,), for one batch with interval ``tau``."""
        T = int(seq_len)
        m_obs = np.zeros(T, dtype=np.float32)
        reset = np.zeros(T, dtype=np.bool_)
        cut = np.zeros(T, dtype=np.bool_)
        if self.method == "stf":
            assert tau is not None
            m_obs[tau::tau] = 1.0
        elif self.method == "window":
            assert tau is not None
            reset[tau::tau] = True
            cut[tau::tau] = True
        elif self.method == "tbptt":
            assert tau is not None
            cut[tau::tau] = True
        elif self.method == "gtf":
            a = self.alpha if alpha is None else float(alpha)
            m_obs[1:] = a
        return m_obs, reset, cut

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "tau": self.tau, "tau_mode": self.tau_mode, "delta": self.delta,
                "anneal_epochs": self.anneal_epochs, "alpha": self.alpha, "signal_grad": self.signal_grad}
