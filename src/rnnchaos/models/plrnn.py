"""Piecewise-linear RNNs: the PLRNN, its clipped form, and the shallow PLRNN (shPLRNN).

PLRNN (Durstewitz 2017; Koppe et al. 2019; Mikhaeil, Monfared & Durstewitz 2022)::

    z_{t+1} = A ⊙ z_t + W φ(z_t) + h (+ C s_t),   A = diag(a), diag(W) = 0,   φ(z) = relu(z)

Clipped PLRNN (Brenner et al., ICML 2022, "Tractable dendritic RNNs": their clipped basis
``relu(z - θ) - relu(z)`` with one threshold ``θ = 1``, the sign absorbed into ``W``)::

    φ(z) = relu(z) - relu(z - 1)            (bounded, so orbits cannot diverge)

shallow PLRNN (Hess, Monfared, Brenner & Durstewitz, ICML 2023, "Generalized teacher forcing")::

    z_{t+1} = A ⊙ z_t + W1 relu(W2 z_t + h2) + h1 (+ C s_t),   W1: (M, L), W2: (L, M)

and its clipped form with ``relu(W2 z + h2) - relu(W2 z)``.

Jacobians are exact and piecewise constant: ``diag(a) + W diag(φ'(z))`` and
``diag(a) + W1 diag(d) W2``; ``J @ Q`` costs ``O(B M^2 k)`` (PLRNN) or ``O(B M L k)`` (shPLRNN).

Initialisation: ``[diag(a) | W]`` is the "normalized positive definite" matrix of Talathi & Vartak
(2016) used by the PLRNN papers (Koppe et al. 2019; Brenner et al. 2022): ``K = R^T R / M + I`` with
``R ~ N(0, 1)``, ``AW = K / λ_max(K)`` (spectral radius 1 in the papers), scaled here by ``init_radius``
(default 0.95) so that the all-units-active piece ``diag(a) + W`` is strictly contracting and ``0 < a < 1``;
``h = 0``. (Other linear pieces ``diag(a) + W D`` are not guaranteed contracting; the tests check that
initial orbits stay bounded.) For the shPLRNN, ``a`` is the diagonal of the
same matrix, ``W1``, ``W2``, ``h2`` are uniform ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` (PyTorch's
``Linear`` default) with ``W1`` scaled by ``init_radius``; ``h1 = 0``.  ``init="gtf2023"`` is the
initialisation of Hess et al.'s released code (DurstewitzLab/GTF-shPLRNN ``src/models/shallow_plrnn.jl``,
``initialization.jl``, ``affine.jl``): ``a`` from the same matrix with radius 1, ``W1 ~ U(±1/sqrt(L))``,
``W2 ~ U(±1/sqrt(M))``, ``h2 ~ U(±1/sqrt(L))`` for the clipped form (0 for the plain one; ours draws
``U(±1/sqrt(M))``, 7× wider at M = 5, L = 250), and a linear or affine observation ``B ~ N(0, 2/M)``
(``Flux.kaiming_normal``; ours ``N(0, 1/M)``).  Their ``Affine`` observation is built without its offset
(``use_bias = false``), i.e. ``observation="linear"`` here.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from rnnchaos.models.base import LatentModel, check_parameter_count, register


def normalized_positive_definite(m: int, gen: torch.Generator, radius: float = 1.0) -> Tensor:
    """Talathi & Vartak (2016) initialisation: ``radius * K / λ_max(K)``, ``K = R^T R / m + I`` (float64)."""
    r = torch.randn(m, m, generator=gen, dtype=torch.float64)
    k = r.T @ r / m + torch.eye(m, dtype=torch.float64)
    return radius * k / torch.linalg.eigvalsh(k).max()


def _check_radius(init_radius: float) -> float:
    r = float(init_radius)
    if not (0.0 < r < 10.0):
        raise ValueError(f"init_radius must be in (0, 10), got {init_radius!r}")
    return r


@register
class PLRNN(LatentModel):
    """Piecewise-linear RNN ``z <- a ⊙ z + W φ(z) + h`` with zero-diagonal ``W`` (see module docstring).

    ``clipped=True`` uses ``φ(z) = relu(z) - relu(z - 1)`` (Brenner et al. 2022). State ``z``: ``(B, M)``.
    """

    arch = "plrnn"
    cheap_jacobian = True
    _offdiag: Tensor

    def __init__(self, latent_dim: int, obs_dim: int, *, clipped: bool = False, init_radius: float = 0.95,
                 observation: str = "identity", input_dim: int = 0, dtype: Any = torch.float32,
                 seed: int | torch.Generator | None = None) -> None:
        super().__init__(latent_dim, obs_dim, observation=observation, input_dim=input_dim, dtype=dtype,
                         seed=seed)
        self.clipped = bool(clipped)
        self.init_radius = _check_radius(init_radius)
        m = self.latent_dim
        aw = normalized_positive_definite(m, self._generator, self.init_radius)
        self.A = torch.nn.Parameter(torch.diagonal(aw).clone().to(self._dtype))
        self.W = torch.nn.Parameter((aw - torch.diag(torch.diagonal(aw))).to(self._dtype))
        self.h = torch.nn.Parameter(torch.zeros(m, dtype=self._dtype))
        self.register_buffer("_offdiag", 1.0 - torch.eye(m, dtype=self._dtype), persistent=False)
        if self.input_dim:
            self.C = torch.nn.Parameter(self._randn(m, self.input_dim) / self.input_dim ** 0.5)

    def _extra_config(self) -> dict[str, Any]:
        return {"clipped": self.clipped, "init_radius": self.init_radius}

    @property
    def W_eff(self) -> Tensor:
        """``W`` with its diagonal forced to zero (the diagonal lives in ``A``)."""
        return self.W * self._offdiag.to(self.W.dtype)

    def phi(self, z: Tensor) -> Tensor:
        return torch.clamp(z, 0.0, 1.0) if self.clipped else torch.relu(z)

    def dphi(self, z: Tensor) -> Tensor:
        """Derivative of φ (0/1); at kinks the right-sided derivative for relu, 0 at z = 1 for the clip."""
        d = z > 0
        if self.clipped:
            d = d & (z < 1)
        return d.to(z.dtype)

    def _bias(self, s: Tensor | None) -> Tensor:
        return self.h if s is None else self.h + s @ self.C.T

    def _step(self, z: Tensor, s: Tensor | None) -> Tensor:
        return self.A * z + self.phi(z) @ self.W_eff.T + self._bias(s)

    def _jacobian(self, z: Tensor, s: Tensor | None) -> Tensor:
        return torch.diag(self.A) + self.W_eff[None, :, :] * self.dphi(z)[:, None, :]

    def _tangent(self, z: Tensor, q: Tensor, s: Tensor | None) -> tuple[Tensor, Tensor]:
        jq = self.A[None, :, None] * q + self.W_eff @ (self.dphi(z)[:, :, None] * q)
        return self._step(z, s), jq


#: shPLRNN initialisations (module docstring): ours, and that of Hess et al.'s released code
SHPLRNN_INITS = ("rnnchaos", "gtf2023")


@register
class ShallowPLRNN(LatentModel):
    """Shallow PLRNN ``z <- a ⊙ z + W1 relu(W2 z + h2) + h1`` with hidden width ``L = hidden_dim``.

    ``clipped=True`` uses ``relu(W2 z + h2) - relu(W2 z)`` (Hess et al. 2023). State ``z``: ``(B, M)``.
    """

    arch = "shplrnn"

    def __init__(self, latent_dim: int, obs_dim: int, *, hidden_dim: int | None = None, clipped: bool = False,
                 init_radius: float = 0.95, observation: str = "identity", input_dim: int = 0,
                 dtype: Any = torch.float32, seed: int | torch.Generator | None = None,
                 init: str = "rnnchaos") -> None:
        if init not in SHPLRNN_INITS:
            raise ValueError(f"init must be one of {', '.join(SHPLRNN_INITS)}, got {init!r}")
        super().__init__(latent_dim, obs_dim, observation=observation, input_dim=input_dim, dtype=dtype,
                         seed=seed)
        self.init = init
        if init == "gtf2023":
            init_radius = 1.0
        m = self.latent_dim
        if hidden_dim is None:
            hidden_dim = 4 * m
        if isinstance(hidden_dim, bool) or not isinstance(hidden_dim, int) or hidden_dim < 1:
            raise ValueError(f"hidden_dim must be a positive integer, got {hidden_dim!r}")
        self.hidden_dim = int(hidden_dim)
        check_parameter_count(2 * m * self.hidden_dim, f"a shPLRNN with M={m}, L={self.hidden_dim}")
        self.clipped = bool(clipped)
        self.init_radius = _check_radius(init_radius)
        ell = self.hidden_dim
        aw = normalized_positive_definite(m, self._generator, self.init_radius)
        self.A = torch.nn.Parameter(torch.diagonal(aw).clone().to(self._dtype))
        self.W1 = torch.nn.Parameter(self._uniform(self.init_radius / ell ** 0.5, m, ell))
        self.W2 = torch.nn.Parameter(self._uniform(1.0 / m ** 0.5, ell, m))
        self.h2 = torch.nn.Parameter(self._uniform(1.0 / (ell if init == "gtf2023" else m) ** 0.5, ell))
        self.h1 = torch.nn.Parameter(torch.zeros(m, dtype=self._dtype))
        if init == "gtf2023":
            if not self.clipped:
                with torch.no_grad():
                    self.h2.zero_()
            if observation in ("linear", "affine"):
                with torch.no_grad():
                    self.B.mul_(2.0 ** 0.5)  # N(0, 2/M): Flux.kaiming_normal(N, M)
        if self.input_dim:
            self.C = torch.nn.Parameter(self._randn(m, self.input_dim) / self.input_dim ** 0.5)

    def _extra_config(self) -> dict[str, Any]:
        cfg: dict[str, Any] = {"hidden_dim": self.hidden_dim, "clipped": self.clipped,
                               "init_radius": self.init_radius}
        if self.init != "rnnchaos":
            cfg["init"] = self.init
        return cfg

    def _bias(self, s: Tensor | None) -> Tensor:
        return self.h1 if s is None else self.h1 + s @ self.C.T

    def _pre(self, z: Tensor) -> tuple[Tensor, Tensor]:
        u = z @ self.W2.T
        return u, u + self.h2

    def _hidden(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """Hidden activations ``(B, L)`` and their derivatives w.r.t. the pre-activation ``W2 z``."""
        u, v = self._pre(z)
        act = torch.relu(v)
        d = (v > 0).to(z.dtype)
        if self.clipped:
            act = act - torch.relu(u)
            d = d - (u > 0).to(z.dtype)
        return act, d

    def _step(self, z: Tensor, s: Tensor | None) -> Tensor:
        act, _ = self._hidden(z)
        return self.A * z + act @ self.W1.T + self._bias(s)

    def _jacobian(self, z: Tensor, s: Tensor | None) -> Tensor:
        _, d = self._hidden(z)
        return torch.diag(self.A) + (self.W1[None, :, :] * d[:, None, :]) @ self.W2

    def _tangent(self, z: Tensor, q: Tensor, s: Tensor | None) -> tuple[Tensor, Tensor]:
        act, d = self._hidden(z)
        f = self.A * z + act @ self.W1.T + self._bias(s)
        jq = self.A[None, :, None] * q + self.W1 @ (d[:, :, None] * (self.W2 @ q))
        return f, jq
