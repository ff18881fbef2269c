"""Elman (tanh/relu), LSTM and GRU cells as latent maps, with PyTorch's parameter layout.

Equations (PyTorch ``nn.RNN``/``nn.LSTM``/``nn.GRU``; Hochreiter & Schmidhuber 1997; Cho et al. 2014),
with the input ``s`` zero or constant, so ``b = b_ih + b_hh + W_ih s`` is a constant bias per gate:

* Elman: ``h' = tanh(W_hh h + b)``; state ``z = h`` (``M = H``).
* LSTM: ``[i, f, g, o] = [σ, σ, tanh, σ](W_hh h + b)``, ``c' = f ⊙ c + i ⊙ g``, ``h' = o ⊙ tanh(c')``;
  state ``z = [h, c]`` (``M = 2H``), so the cell is a map of ``(h, c)``.
* GRU: ``r, u = σ(W_hr h + b_r), σ(W_hu h + b_u)``, ``n = tanh(b_in + r ⊙ (W_hn h + b_hn))``,
  ``h' = (1 - u) ⊙ n + u ⊙ h``; state ``z = h``.

The functional cores (``elman_*``, ``lstm_*``, ``gru_*``) take the weights explicitly, so the same exact
Jacobians serve the built-in models here and wrapped user ``torch.nn`` modules
(:mod:`rnnchaos.models.wrappers`). ``*_tangent`` computes ``J @ Q`` from ``W_hh @ Q`` and elementwise
products without forming ``J``: ``O(B G H^2 k)`` with ``G`` gates (``(1 - h'^2) ⊙ (W @ Q)`` for Elman).

Initialisation of ``W_hh`` (``init``; the gain ``g`` multiplies it): ``"normal"`` ``N(0, 1/H)`` (the
random-RNN ensemble of Sompolinsky, Crisanti & Sommers 1988), ``"he"`` ``N(0, 2/H)`` (He et al. 2015),
``"glorot"`` ``U(±sqrt(6/(2H)))`` (Glorot & Bengio 2010; variance ``1/H``), ``"orthogonal"`` (Saxe et al.
2014; QR of a Gaussian with sign correction), ``"pytorch"`` ``U(±1/sqrt(H))`` (PyTorch's default).
Biases are zero (Elman) or PyTorch's ``U(±1/sqrt(H))`` (LSTM, GRU) unless ``bias="zeros"/"uniform"``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from rnnchaos.models.base import LatentModel, check_parameter_count, register

INITS = ("normal", "he", "glorot", "orthogonal", "pytorch")


def init_recurrent(scheme: str, rows: int, cols: int, gen: torch.Generator, gain: float = 1.0) -> Tensor:
    """A ``(rows, cols)`` recurrent weight matrix (float64) from ``scheme`` in :data:`INITS`, times ``gain``."""
    if scheme == "normal":
        w = torch.randn(rows, cols, generator=gen, dtype=torch.float64) / cols ** 0.5
    elif scheme == "he":
        w = torch.randn(rows, cols, generator=gen, dtype=torch.float64) * (2.0 / cols) ** 0.5
    elif scheme == "glorot":
        bound = (6.0 / (rows + cols)) ** 0.5
        w = (2.0 * torch.rand(rows, cols, generator=gen, dtype=torch.float64) - 1.0) * bound
    elif scheme == "orthogonal":
        a = torch.randn(max(rows, cols), min(rows, cols), generator=gen, dtype=torch.float64)
        q, r = torch.linalg.qr(a)
        q = q * torch.sign(torch.diagonal(r))[None, :]
        w = q if rows >= cols else q.T
    elif scheme == "pytorch":
        w = (2.0 * torch.rand(rows, cols, generator=gen, dtype=torch.float64) - 1.0) / cols ** 0.5
    else:
        raise ValueError(f"unknown init scheme {scheme!r}; choose one of {INITS}")
    return float(gain) * w


def _check_gain(gain: Any) -> float:
    try:
        g = float(gain)
    except (TypeError, ValueError):
        raise ValueError(f"gain must be a number, got {gain!r}") from None
    if not (g >= 0.0 and g < 1e6):
        raise ValueError(f"gain must be a finite non-negative number, got {gain!r}")
    return g


# ---------------------------------------------------------------------- functional cores
def elman_step(h: Tensor, w: Tensor, b: Tensor, nonlinearity: str = "tanh") -> Tensor:
    a = h @ w.T + b
    return torch.tanh(a) if nonlinearity == "tanh" else torch.relu(a)


def _elman_deriv(hn: Tensor, a: Tensor | None, nonlinearity: str) -> Tensor:
    if nonlinearity == "tanh":
        return 1.0 - hn * hn
    assert a is not None
    return (a > 0).to(hn.dtype)


def elman_jacobian(h: Tensor, w: Tensor, b: Tensor, nonlinearity: str = "tanh") -> Tensor:
    a = h @ w.T + b
    hn = torch.tanh(a) if nonlinearity == "tanh" else torch.relu(a)
    return _elman_deriv(hn, a, nonlinearity)[:, :, None] * w[None, :, :]


def elman_tangent(h: Tensor, q: Tensor, w: Tensor, b: Tensor,
                  nonlinearity: str = "tanh") -> tuple[Tensor, Tensor]:
    a = h @ w.T + b
    hn = torch.tanh(a) if nonlinearity == "tanh" else torch.relu(a)
    return hn, _elman_deriv(hn, a, nonlinearity)[:, :, None] * (w @ q)


def _lstm_parts(z: Tensor, w: Tensor, b: Tensor) -> tuple[Tensor, ...]:
    hs = w.shape[1]
    h, c = z[:, :hs], z[:, hs:]
    a = h @ w.T + b
    ai, af, ag, ao = a.split(hs, dim=1)
    i, f, g, o = torch.sigmoid(ai), torch.sigmoid(af), torch.tanh(ag), torch.sigmoid(ao)
    cn = f * c + i * g
    tc = torch.tanh(cn)
    return h, c, i, f, g, o, cn, tc


def lstm_step(z: Tensor, w: Tensor, b: Tensor) -> Tensor:
    _, _, _, _, _, o, cn, tc = _lstm_parts(z, w, b)
    return torch.cat([o * tc, cn], dim=1)


def _lstm_coeffs(z: Tensor, w: Tensor, b: Tensor) -> tuple[Tensor, ...]:
    """Elementwise factors of the LSTM Jacobian: dc'/da_gate and dh'/da_o, dh'/dc'."""
    _, c, i, f, g, o, cn, tc = _lstm_parts(z, w, b)
    di = g * i * (1 - i)      # dc'/da_i
    df = c * f * (1 - f)      # dc'/da_f
    dg = i * (1 - g * g)      # dc'/da_g
    do = tc * o * (1 - o)     # dh'/da_o
    dhc = o * (1 - tc * tc)   # dh'/dc'
    return torch.cat([o * tc, cn], dim=1), di, df, dg, do, dhc, f


def lstm_jacobian(z: Tensor, w: Tensor, b: Tensor) -> Tensor:
    hs = w.shape[1]
    _, di, df, dg, do, dhc, f = _lstm_coeffs(z, w, b)
    wi, wf, wg, wo = w.split(hs, dim=0)
    dc_dh = di[:, :, None] * wi + df[:, :, None] * wf + dg[:, :, None] * wg
    dc_dc = torch.diag_embed(f)
    dh_dh = do[:, :, None] * wo + dhc[:, :, None] * dc_dh
    dh_dc = torch.diag_embed(dhc * f)
    top = torch.cat([dh_dh, dh_dc], dim=2)
    bottom = torch.cat([dc_dh, dc_dc], dim=2)
    return torch.cat([top, bottom], dim=1)


def lstm_tangent(z: Tensor, q: Tensor, w: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    hs = w.shape[1]
    out, di, df, dg, do, dhc, f = _lstm_coeffs(z, w, b)
    qh, qc = q[:, :hs, :], q[:, hs:, :]
    wq = w @ qh                                   # (B, 4H, k)
    qi, qf, qg, qo = wq.split(hs, dim=1)
    dc = di[:, :, None] * qi + df[:, :, None] * qf + dg[:, :, None] * qg + f[:, :, None] * qc
    dh = do[:, :, None] * qo + dhc[:, :, None] * dc
    return out, torch.cat([dh, dc], dim=1)


def _gru_parts(h: Tensor, w: Tensor, b_hh: Tensor, b_x: Tensor) -> tuple[Tensor, ...]:
    """``b_x`` = input part ``b_ih + W_ih s`` (3H); ``b_hh`` (3H) sits inside the reset product."""
    hs = w.shape[1]
    v = h @ w.T + b_hh                            # (B, 3H)
    vr, vu, vn = v.split(hs, dim=1)
    xr, xu, xn = b_x.split(hs, dim=-1)
    r = torch.sigmoid(xr + vr)
    u = torch.sigmoid(xu + vu)
    n = torch.tanh(xn + r * vn)
    return r, u, n, vn


def gru_step(h: Tensor, w: Tensor, b_hh: Tensor, b_x: Tensor) -> Tensor:
    _, u, n, _ = _gru_parts(h, w, b_hh, b_x)
    return (1 - u) * n + u * h


def gru_jacobian(h: Tensor, w: Tensor, b_hh: Tensor, b_x: Tensor) -> Tensor:
    hs = w.shape[1]
    r, u, n, vn = _gru_parts(h, w, b_hh, b_x)
    wr, wu, wn = w.split(hs, dim=0)
    dn_common = 1 - n * n
    dr = (r * (1 - r))[:, :, None] * wr
    du = (u * (1 - u))[:, :, None] * wu
    dn = dn_common[:, :, None] * (vn[:, :, None] * dr + r[:, :, None] * wn)
    eye = torch.eye(hs, dtype=h.dtype, device=h.device)
    return (h - n)[:, :, None] * du + (1 - u)[:, :, None] * dn + u[:, :, None] * eye


def gru_tangent(h: Tensor, q: Tensor, w: Tensor, b_hh: Tensor, b_x: Tensor) -> tuple[Tensor, Tensor]:
    hs = w.shape[1]
    r, u, n, vn = _gru_parts(h, w, b_hh, b_x)
    wq = w @ q
    qr, qu, qn = wq.split(hs, dim=1)
    dr = (r * (1 - r))[:, :, None] * qr
    du = (u * (1 - u))[:, :, None] * qu
    dn = (1 - n * n)[:, :, None] * (vn[:, :, None] * dr + r[:, :, None] * qn)
    out = (1 - u) * n + u * h
    return out, (h - n)[:, :, None] * du + (1 - u)[:, :, None] * dn + u[:, :, None] * q


# ---------------------------------------------------------------------- models
class _GatedBase(LatentModel):
    gates = 1

    def __init__(self, hidden: int, latent_dim: int, obs_dim: int, *, gain: float, init: str, bias: str,
                 observation: str, input_dim: int, dtype: Any, seed: int | torch.Generator | None) -> None:
        super().__init__(latent_dim, obs_dim, observation=observation, input_dim=input_dim, dtype=dtype,
                         seed=seed)
        if init not in INITS:
            raise ValueError(f"unknown init scheme {init!r}; choose one of {INITS}")
        if bias not in ("zeros", "uniform"):
            raise ValueError(f"bias must be 'zeros' or 'uniform', got {bias!r}")
        check_parameter_count(self.gates * hidden * (hidden + input_dim), f"a {self.arch} with {hidden} units")
        self.hidden_size = hidden
        self.gain = _check_gain(gain)
        self.init = init
        self.bias_init = bias
        g = self.gates
        blocks = [init_recurrent(init, hidden, hidden, self._generator, self.gain) for _ in range(g)]
        self.weight_hh = torch.nn.Parameter(torch.cat(blocks, dim=0).to(self._dtype))
        bound = 1.0 / hidden ** 0.5
        if bias == "zeros":
            self.bias_hh = torch.nn.Parameter(torch.zeros(g * hidden, dtype=self._dtype))
            self.bias_ih = torch.nn.Parameter(torch.zeros(g * hidden, dtype=self._dtype))
        else:
            self.bias_hh = torch.nn.Parameter(self._uniform(bound, g * hidden))
            self.bias_ih = torch.nn.Parameter(self._uniform(bound, g * hidden))
        if self.input_dim:
            self.weight_ih = torch.nn.Parameter(self._uniform(bound, g * hidden, self.input_dim))

    def _extra_config(self) -> dict[str, Any]:
        return {"gain": self.gain, "init": self.init, "bias": self.bias_init}

    def _input_bias(self, s: Tensor | None) -> Tensor:
        return self.bias_ih if s is None else self.bias_ih + s @ self.weight_ih.T


@register
class ElmanRNN(_GatedBase):
    """Elman RNN ``h <- tanh(W_hh h + b)`` (or relu); ``latent_dim = H``. Default: zero bias, ``W ~ N(0, g²/H)``."""

    arch = "rnn"
    cheap_jacobian = True
    gates = 1

    def __init__(self, latent_dim: int, obs_dim: int, *, gain: float = 1.0, init: str = "normal",
                 bias: str = "zeros", nonlinearity: str = "tanh", observation: str = "identity",
                 input_dim: int = 0, dtype: Any = torch.float32,
                 seed: int | torch.Generator | None = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(latent_dim, latent_dim, obs_dim, gain=gain, init=init, bias=bias,
                         observation=observation, input_dim=input_dim, dtype=dtype, seed=seed)
        self.nonlinearity = nonlinearity

    def _extra_config(self) -> dict[str, Any]:
        return {**super()._extra_config(), "nonlinearity": self.nonlinearity}

    def _b(self, s: Tensor | None) -> Tensor:
        return self._input_bias(s) + self.bias_hh

    def _step(self, z: Tensor, s: Tensor | None) -> Tensor:
        return elman_step(z, self.weight_hh, self._b(s), self.nonlinearity)

    def _jacobian(self, z: Tensor, s: Tensor | None) -> Tensor:
        return elman_jacobian(z, self.weight_hh, self._b(s), self.nonlinearity)

    def _tangent(self, z: Tensor, q: Tensor, s: Tensor | None) -> tuple[Tensor, Tensor]:
        return elman_tangent(z, q, self.weight_hh, self._b(s), self.nonlinearity)


@register
class LSTMModel(_GatedBase):
    """LSTM cell as a map of ``z = [h, c]``; ``latent_dim = M = 2H`` must be even. PyTorch gate order i,f,g,o."""

    arch = "lstm"
    gates = 4

    def __init__(self, latent_dim: int, obs_dim: int, *, gain: float = 1.0, init: str = "pytorch",
                 bias: str = "uniform", observation: str = "identity", input_dim: int = 0,
                 dtype: Any = torch.float32, seed: int | torch.Generator | None = None) -> None:
        if isinstance(latent_dim, bool) or not isinstance(latent_dim, int) or latent_dim < 2 or latent_dim % 2:
            raise ValueError(f"an LSTM's latent state is [h, c], so latent_dim = 2 * hidden must be an even "
                             f"integer >= 2, got {latent_dim!r}")
        super().__init__(latent_dim // 2, latent_dim, obs_dim, gain=gain, init=init, bias=bias,
                         observation=observation, input_dim=input_dim, dtype=dtype, seed=seed)

    def _b(self, s: Tensor | None) -> Tensor:
        return self._input_bias(s) + self.bias_hh

    def _step(self, z: Tensor, s: Tensor | None) -> Tensor:
        return lstm_step(z, self.weight_hh, self._b(s))

    def _jacobian(self, z: Tensor, s: Tensor | None) -> Tensor:
        return lstm_jacobian(z, self.weight_hh, self._b(s))

    def _tangent(self, z: Tensor, q: Tensor, s: Tensor | None) -> tuple[Tensor, Tensor]:
        return lstm_tangent(z, q, self.weight_hh, self._b(s))


@register
class GRUModel(_GatedBase):
    """GRU cell as a map of ``h``; ``latent_dim = H``. PyTorch gate order r, z(update), n."""

    arch = "gru"
    gates = 3

    def __init__(self, latent_dim: int, obs_dim: int, *, gain: float = 1.0, init: str = "pytorch",
                 bias: str = "uniform", observation: str = "identity", input_dim: int = 0,
                 dtype: Any = torch.float32, seed: int | torch.Generator | None = None) -> None:
        super().__init__(latent_dim, latent_dim, obs_dim, gain=gain, init=init, bias=bias,
                         observation=observation, input_dim=input_dim, dtype=dtype, seed=seed)

    def _step(self, z: Tensor, s: Tensor | None) -> Tensor:
        return gru_step(z, self.weight_hh, self.bias_hh, self._input_bias(s))

    def _jacobian(self, z: Tensor, s: Tensor | None) -> Tensor:
        return gru_jacobian(z, self.weight_hh, self.bias_hh, self._input_bias(s))

    def _tangent(self, z: Tensor, q: Tensor, s: Tensor | None) -> tuple[Tensor, Tensor]:
        return gru_tangent(z, q, self.weight_hh, self.bias_hh, self._input_bias(s))
