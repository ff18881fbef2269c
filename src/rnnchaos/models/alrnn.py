"""The almost-linear RNN (ALRNN) of Brenner, Hemmer, Monfared & Durstewitz (NeurIPS 2024, "Almost-linear
RNNs yield highly interpretable symbolic codes in dynamical systems reconstruction")::

    z_{t+1} = A ⊙ z_t + W Φ*(z_t) + h (+ C s_t),   A = diag(a),  diag(W) = 0,
    Φ*(z) = [z_1, …, z_{M−P}, relu(z_{M−P+1}), …, relu(z_M)]

Only the last ``P = relu_units`` of the ``M`` units pass through a ReLU; the others enter ``W`` linearly,
so the map has at most ``2^P`` linear pieces (a PLRNN is the case ``P = M``).  The Jacobian is exact and
piecewise constant, ``diag(a) + W diag(Φ*'(z))`` with ``Φ*' = 1`` on the linear units; ``J @ Q`` costs
``O(B M^2 k)``.  Initialisation as the PLRNN's (:mod:`rnnchaos.models.plrnn`): ``[diag(a) | W]`` from the
normalized positive-definite matrix of Talathi & Vartak (2016) scaled by ``init_radius``, ``h = 0``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from rnnchaos.models.base import register
from rnnchaos.models.plrnn import PLRNN


@register
class ALRNN(PLRNN):
    """Almost-linear RNN ``z <- a ⊙ z + W Φ*(z) + h``: ReLU on the last ``relu_units`` units only.

    ``relu_units`` (P, 0 <= P <= M; default ``M // 2``) units are rectified, the first ``M - P`` are linear.
    Same parameters (``A``, ``W``, ``h``) and initialisation as :class:`~rnnchaos.models.plrnn.PLRNN`.
    """

    arch = "alrnn"
    _relu_mask: Tensor

    def __init__(self, latent_dim: int, obs_dim: int, *, relu_units: int | None = None, init_radius: float = 0.95,
                 observation: str = "identity", input_dim: int = 0, dtype: Any = torch.float32,
                 seed: int | torch.Generator | None = None) -> None:
        super().__init__(latent_dim, obs_dim, clipped=False, init_radius=init_radius, observation=observation,
                         input_dim=input_dim, dtype=dtype, seed=seed)
        m = self.latent_dim
        if relu_units is None:
            relu_units = m // 2
        if isinstance(relu_units, bool) or not isinstance(relu_units, int) or not 0 <= relu_units <= m:
            raise ValueError(f"relu_units must be an integer in [0, latent_dim={m}], got {relu_units!r}")
        self.relu_units = int(relu_units)
        mask = torch.zeros(m, dtype=torch.bool)
        mask[m - self.relu_units:] = True
        self.register_buffer("_relu_mask", mask, persistent=False)

    @property
    def linear_units(self) -> int:
        """``M - P``: the number of leading units that enter ``W`` without a ReLU."""
        return self.latent_dim - self.relu_units

    def _extra_config(self) -> dict[str, Any]:
        return {"relu_units": self.relu_units, "init_radius": self.init_radius}

    def phi(self, z: Tensor) -> Tensor:
        return torch.where(self._relu_mask, torch.relu(z), z)

    def dphi(self, z: Tensor) -> Tensor:
        """Derivative of Φ* (0/1): 1 on the linear units, the right-sided ReLU derivative on the others."""
        return ((z > 0) | ~self._relu_mask).to(z.dtype)
