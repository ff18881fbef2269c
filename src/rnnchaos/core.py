"""The one idea of the architecture: everything is a map ``z_{t+1} = F(z_t)`` with a Jacobian.

Ground-truth maps, discretised flows, trained RNNs and user functions all implement
:class:`TangentMap`, and every analysis in :mod:`rnnchaos.dynamics` is written once against it.

Shapes: a batch of states is ``(B, N)``; a batch of tangent frames is ``(B, N, k)``.
Units: ``dt`` is ``None`` for maps (exponents per step) and the time per step for discretised flows
(exponents per unit time = per-step value / dt).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


@runtime_checkable
class TangentMap(Protocol):
    """A batched map with tangent propagation.

    ``step(z)`` maps states ``(B, N) -> (B, N)``; ``tangent_step(z, Q)`` returns ``(F(z), J(z) @ Q)``
    for tangent frames ``Q`` of shape ``(B, N, k)`` without having to form ``J`` when ``k < N``.
    """

    dim: int
    dt: float | None

    def step(self, z: Array) -> Array: ...

    def tangent_step(self, z: Array, q: Array) -> tuple[Array, Array]: ...


@runtime_checkable
class ParametricMap(Protocol):
    """A latent map written in PyTorch with trainable parameters θ and an observation model: what the
    gradient analyses (:mod:`rnnchaos.dynamics.gradient_growth`) read, since ``∂L/∂θ`` needs autograd.

    ``step(z)`` maps ``(B, M) -> (B, M)``, ``tangent(z, Q)`` returns ``(F(z), J(z) @ Q)`` for ``Q``
    ``(B, M, k)``, ``observe(z)`` maps ``(B, M) -> (B, N)``; ``parameters()`` yields θ and ``to(dtype)``
    returns the map in that precision (``torch.nn.Module`` semantics). Every
    :class:`rnnchaos.models.base.LatentModel` is one. Tensors are ``torch.Tensor``, typed ``Any`` here so
    that this module does not import torch.
    """

    latent_dim: int
    obs_dim: int

    def step(self, z: Any) -> Any: ...

    def tangent(self, z: Any, q: Any) -> Any: ...

    def observe(self, z: Any) -> Any: ...

    def parameters(self) -> Any: ...

    def to(self, *args: Any, **kwargs: Any) -> Any: ...


class JacobianMap:
    """Base class for maps with an explicit Jacobian ``(B, N) -> (B, N, N)``; derives ``tangent_step``."""

    dim: int
    dt: float | None = None

    def step(self, z: Array) -> Array:  # pragma: no cover - abstract
        raise NotImplementedError

    def jacobian(self, z: Array) -> Array:  # pragma: no cover - abstract
        raise NotImplementedError

    def tangent_step(self, z: Array, q: Array) -> tuple[Array, Array]:
        return self.step(z), self.jacobian(z) @ q


class FunctionMap(JacobianMap):
    """Wrap user functions ``step(z)`` and ``jacobian(z)`` (both batched over a leading axis) as a map.

    Example: the Hénon map ``FunctionMap(lambda z: ..., lambda z: ..., dim=2)``.
    """

    def __init__(self, step: Callable[[Array], Array], jacobian: Callable[[Array], Array], dim: int,
                 dt: float | None = None, name: str = "function") -> None:
        if int(dim) < 1:
            raise ValueError(f"dim must be a positive integer, got {dim}")
        self._step = step
        self._jacobian = jacobian
        self.dim = int(dim)
        self.dt = dt
        self.name = name

    def step(self, z: Array) -> Array:
        return np.asarray(self._step(z), dtype=np.float64)

    def jacobian(self, z: Array) -> Array:
        return np.asarray(self._jacobian(z), dtype=np.float64)

    def __repr__(self) -> str:
        return f"FunctionMap(name={self.name!r}, dim={self.dim}, dt={self.dt})"


def as_batch(z: Any, dim: int, name: str = "z0") -> Array:
    """Return initial states as a float64 array ``(B, dim)``; a single state ``(dim,)`` becomes ``(1, dim)``."""
    arr = np.asarray(z, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != dim:
        raise ValueError(f"{name} must have shape ({dim},) or (B, {dim}), got {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or inf; initial states must be finite")
    return arr
