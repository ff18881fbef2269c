"""Wrap user models as latent maps: a ``torch.nn.RNN/LSTM/GRU`` module, or any function ``step(z)``.

* :class:`TorchModuleModel` keeps a reference to the user's single-layer, unidirectional module (its
  parameters are shared, so the wrapper follows training) and uses the exact Jacobians of
  :mod:`rnnchaos.models.gated` with PyTorch's weights ``weight_hh_l0``, ``bias_hh_l0``, ``bias_ih_l0``;
  the input is zero, or a constant ``s`` entering through ``weight_ih_l0``.
* :class:`FunctionModel` wraps a batched torch function ``step(z): (B, M) -> (B, M)`` acting row by
  row; its Jacobian is the user's ``jacobian(z)`` if given, otherwise computed by reverse-mode autograd
  (``M`` vector–Jacobian products, batched over ``B``; the documented fallback).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from rnnchaos.models.base import LatentModel, register, resolve_dtype
from rnnchaos.models.gated import (
    elman_jacobian,
    elman_step,
    elman_tangent,
    gru_jacobian,
    gru_step,
    gru_tangent,
    lstm_jacobian,
    lstm_step,
    lstm_tangent,
)

_KINDS = {torch.nn.RNN: "rnn", torch.nn.LSTM: "lstm", torch.nn.GRU: "gru"}


@register
class TorchModuleModel(LatentModel):
    """A user ``torch.nn.RNN``, ``LSTM`` or ``GRU`` (one layer, unidirectional) as a latent map.

    State: ``h`` (``M = H``) for RNN/GRU, ``[h, c]`` (``M = 2H``) for LSTM. ``obs_dim`` defaults to ``H``
    (identity observation of the hidden units). Rebuilding from :meth:`config` creates a fresh module of
    the same shape (``kind``, ``hidden_size``, ``input_size``, ``nonlinearity``, ``bias``).
    """

    arch = "torch_module"

    def __init__(self, module: torch.nn.Module | None = None, *, obs_dim: int | None = None,
                 observation: str = "identity", kind: str | None = None, hidden_size: int | None = None,
                 input_size: int | None = None, nonlinearity: str = "tanh", bias: bool = True,
                 latent_dim: int | None = None, input_dim: int | None = None, dtype: Any = None,
                 seed: int | torch.Generator | None = None) -> None:
        if module is None:
            if kind not in ("rnn", "lstm", "gru") or hidden_size is None or input_size is None:
                raise ValueError("give a torch.nn.RNN/LSTM/GRU module, or kind ('rnn'|'lstm'|'gru'), "
                                 "hidden_size and input_size")
            cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind]
            extra: dict[str, Any] = {"nonlinearity": nonlinearity} if kind == "rnn" else {}
            module = cls(int(input_size), int(hidden_size), bias=bool(bias), **extra)
            if dtype is not None:
                module = module.to(resolve_dtype(dtype))
        found = next((k for t, k in _KINDS.items() if type(module) is t), None)
        if found is None or not isinstance(module, torch.nn.RNNBase):
            raise ValueError(f"module must be a torch.nn.RNN, LSTM or GRU, got {type(module).__name__}")
        if module.num_layers != 1 or module.bidirectional or int(getattr(module, "proj_size", 0)):
            raise ValueError("only single-layer, unidirectional modules without projection can be wrapped "
                             f"exactly; got num_layers={module.num_layers}, bidirectional={module.bidirectional}")
        h = int(module.hidden_size)
        m = 2 * h if found == "lstm" else h
        mdtype = module.weight_hh_l0.dtype
        super().__init__(m, h if obs_dim is None else obs_dim, observation=observation,
                         input_dim=int(module.input_size), dtype=mdtype, seed=seed)
        self.kind = found
        self.module = module
        self.hidden_size = h
        self.nonlinearity = getattr(module, "nonlinearity", "tanh")
        self.has_bias = bool(module.bias)

    def _extra_config(self) -> dict[str, Any]:
        return {"kind": self.kind, "hidden_size": self.hidden_size, "input_size": self.input_dim,
                "nonlinearity": self.nonlinearity, "bias": self.has_bias}

    def config(self) -> dict[str, Any]:
        cfg = super().config()
        cfg.pop("latent_dim")
        cfg.pop("input_dim")
        return cfg

    def _weight(self, name: str) -> Tensor:
        w = getattr(self.module, name)
        assert isinstance(w, Tensor)
        return w

    def _biases(self, s: Tensor | None) -> tuple[Tensor, Tensor]:
        w = self._weight("weight_hh_l0")
        if self.has_bias:
            b_hh, b_ih = self._weight("bias_hh_l0"), self._weight("bias_ih_l0")
        else:
            b_hh = b_ih = torch.zeros(w.shape[0], dtype=w.dtype, device=w.device)
        if s is not None:
            b_ih = b_ih + s @ self._weight("weight_ih_l0").T
        return b_hh, b_ih

    def _step(self, z: Tensor, s: Tensor | None) -> Tensor:
        w = self._weight("weight_hh_l0")
        b_hh, b_ih = self._biases(s)
        if self.kind == "rnn":
            return elman_step(z, w, b_hh + b_ih, self.nonlinearity)
        if self.kind == "lstm":
            return lstm_step(z, w, b_hh + b_ih)
        return gru_step(z, w, b_hh, b_ih)

    def _jacobian(self, z: Tensor, s: Tensor | None) -> Tensor:
        w = self._weight("weight_hh_l0")
        b_hh, b_ih = self._biases(s)
        if self.kind == "rnn":
            return elman_jacobian(z, w, b_hh + b_ih, self.nonlinearity)
        if self.kind == "lstm":
            return lstm_jacobian(z, w, b_hh + b_ih)
        return gru_jacobian(z, w, b_hh, b_ih)

    def _tangent(self, z: Tensor, q: Tensor, s: Tensor | None) -> tuple[Tensor, Tensor]:
        w = self._weight("weight_hh_l0")
        b_hh, b_ih = self._biases(s)
        if self.kind == "rnn":
            return elman_tangent(z, q, w, b_hh + b_ih, self.nonlinearity)
        if self.kind == "lstm":
            return lstm_tangent(z, q, w, b_hh + b_ih)
        return gru_tangent(z, q, w, b_hh, b_ih)


def autograd_jacobian(fn: Callable[[Tensor], Tensor], z: Tensor) -> Tensor:
    """Jacobians ``(B, M, M)`` of a row-wise batched ``fn: (B, M) -> (B, M)`` by reverse-mode autograd.

    Uses ``d/dz sum_b fn(z)_b`` (valid because rows are independent): ``M`` vector–Jacobian products,
    each batched over ``B`` (vectorised with vmap when the function allows it). Cost ``O(M)`` backward
    passes; meant as a fallback and as the reference in tests.
    """
    z = z.detach()

    def summed(x: Tensor) -> Tensor:
        return fn(x).sum(dim=0)

    try:
        jac = torch.autograd.functional.jacobian(summed, z, vectorize=True)
    except RuntimeError:
        jac = torch.autograd.functional.jacobian(summed, z, vectorize=False)
    return jac.permute(1, 0, 2)  # (M, B, M) -> (B, M, M)


@register
class FunctionModel(LatentModel):
    """Any batched torch function ``step(z): (B, M) -> (B, M)`` (row-wise) as a latent map.

    ``jacobian(z) -> (B, M, M)`` is optional; without it :func:`autograd_jacobian` is used. Not
    serialisable: :meth:`config` marks it ``"function"`` and :func:`model_from_config` refuses it.
    """

    arch = "function"
    _dtype_carrier: Tensor

    def __init__(self, step: Callable[[Tensor], Tensor], latent_dim: int, obs_dim: int | None = None, *,
                 jacobian: Callable[[Tensor], Tensor] | None = None, observation: str = "identity",
                 dtype: Any = torch.float64, seed: int | torch.Generator | None = None) -> None:
        if not callable(step):
            raise ValueError(f"step must be a callable (B, M) -> (B, M), got {type(step).__name__}")
        super().__init__(latent_dim, latent_dim if obs_dim is None else obs_dim, observation=observation,
                         dtype=dtype, seed=seed)
        self._fn = step
        self._jac_fn = jacobian
        # a dummy buffer carries the dtype (to(float64) in as_map converts it)
        self.register_buffer("_dtype_carrier", torch.zeros((), dtype=self._dtype))

    @property
    def dtype(self) -> torch.dtype:
        return self._dtype_carrier.dtype

    def _step(self, z: Tensor, s: Tensor | None) -> Tensor:
        out = self._fn(z)
        if not isinstance(out, Tensor) or out.shape != z.shape:
            raise ValueError(f"step(z) must return a tensor of shape {tuple(z.shape)}, got "
                             f"{getattr(out, 'shape', type(out).__name__)}")
        return out

    def _jacobian(self, z: Tensor, s: Tensor | None) -> Tensor:
        if self._jac_fn is not None:
            return self._jac_fn(z)
        with torch.enable_grad():
            return autograd_jacobian(self._fn, z)


def wrap_model(obj: Any, *, latent_dim: int | None = None, obs_dim: int | None = None,
               observation: str = "identity") -> LatentModel:
    """Return ``obj`` as a :class:`LatentModel`: models pass through, ``nn.RNN/LSTM/GRU`` are wrapped
    exactly, other callables become a :class:`FunctionModel` (``latent_dim`` required)."""
    if isinstance(obj, LatentModel):
        return obj
    if isinstance(obj, torch.nn.RNN | torch.nn.LSTM | torch.nn.GRU):
        return TorchModuleModel(obj, obs_dim=obs_dim, observation=observation)
    if callable(obj):
        if latent_dim is None:
            raise ValueError("wrapping a function needs latent_dim (the size M of its state)")
        return FunctionModel(obj, latent_dim, obs_dim, observation=observation)
    raise ValueError(f"cannot wrap {type(obj).__name__} as a latent model; give a LatentModel, a "
                     "torch.nn.RNN/LSTM/GRU module or a function step(z)")
