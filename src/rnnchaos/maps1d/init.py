"""Random initialisation schemes with their exact variances, and random 1-D recurrent networks.

Variances for a layer with ``fan_in`` inputs and ``fan_out`` outputs (``k`` = hidden width):

=================  =====================================  =========================
scheme             distribution                           variance
=================  =====================================  =========================
he                 N(0, 2/fan_in)  (He et al. 2015)        2/fan_in
he_uniform         U(-sqrt(6/fan_in), +sqrt(6/fan_in))     2/fan_in
glorot             N(0, 2/(fan_in+fan_out)) (Glorot 2010)  2/(fan_in+fan_out)
glorot_uniform     U(+-sqrt(6/(fan_in+fan_out)))           2/(fan_in+fan_out)
lecun              N(0, 1/fan_in)  (LeCun et al. 1998)     1/fan_in
normal             N(0, 1)                                 1
normal_1_over_k    N(0, 1/k)                               1/k
normal_k_as_coded  randn / fan_out (the notebooks' code)   1/fan_out^2
truncated_normal   N(0, 1) truncated to [-1, 1] ("TR(-1,1)")  1 - 2 phi(1)/(2 Phi(1) - 1) = 0.29113...
uniform            U(0, 1) (numpy's default, as in the     1/12 (mean 1/2)
                   scrambling paper's released notebooks)
ones               constant 1                              0
zeros              constant 0                              0
=================  =====================================  =========================

The names follow the scrambling paper's notebooks (Chatziafratis et al. 2022, github.com/steliostavroulakis/
Chaos_RNNs), except ``normal_1_over_k``: there the code draws ``randn / k`` (variance ``1/k^2`` in the first
layer and, since its fan-out is 1, variance 1 in the output layer) while the tables say N(0, 1/k); we use
variance ``1/k`` in every layer, as labelled.

Biases use the same formulas with their layer's ``fan_in``/``fan_out`` (so a first-layer He bias of a 1-input
network has variance 2). The output gain ``g`` multiplies the output layer's weights and bias.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnnchaos._util.rng import SeedLike, as_generator

SCHEMES = ("he", "he_uniform", "glorot", "glorot_uniform", "lecun", "normal", "normal_1_over_k",
           "normal_k_as_coded", "truncated_normal", "uniform", "ones", "zeros")

# variance of a standard normal truncated to [-1, 1]
_TRUNC1 = 1.0 - 2.0 * math.exp(-0.5) / math.sqrt(2 * math.pi) / math.erf(1.0 / math.sqrt(2.0))


def check_scheme(name: str, what: str = "init") -> str:
    if name not in SCHEMES:
        raise ValueError(f"unknown {what} scheme {name!r}; choose one of {', '.join(SCHEMES)}")
    return name


def scheme_variance(name: str, fan_in: int, fan_out: int, width: int) -> float:
    """Exact variance of one entry drawn by ``name`` (see the module table)."""
    check_scheme(name)
    return {
        "he": 2.0 / fan_in, "he_uniform": 2.0 / fan_in,
        "glorot": 2.0 / (fan_in + fan_out), "glorot_uniform": 2.0 / (fan_in + fan_out),
        "lecun": 1.0 / fan_in, "normal": 1.0, "normal_1_over_k": 1.0 / width,
        "normal_k_as_coded": 1.0 / fan_out ** 2,
        "truncated_normal": _TRUNC1, "uniform": 1.0 / 12.0, "ones": 0.0, "zeros": 0.0,
    }[name]


def sample(name: str, shape: tuple[int, ...], fan_in: int, fan_out: int, width: int,
           rng: np.random.Generator) -> np.ndarray:
    """Draw an array of ``shape`` from scheme ``name`` (float64)."""
    check_scheme(name)
    if name == "ones":
        return np.ones(shape)
    if name == "zeros":
        return np.zeros(shape)
    if name in ("he", "glorot", "lecun", "normal", "normal_1_over_k", "normal_k_as_coded"):
        return rng.normal(0.0, math.sqrt(scheme_variance(name, fan_in, fan_out, width)), shape)
    if name == "truncated_normal":
        out = rng.normal(0.0, 1.0, shape)
        bad = np.abs(out) > 1.0
        while bad.any():
            out[bad] = rng.normal(0.0, 1.0, int(bad.sum()))
            bad = np.abs(out) > 1.0
        return out
    if name == "uniform":
        return rng.uniform(0.0, 1.0, shape)
    limit = math.sqrt(3.0 * scheme_variance(name, fan_in, fan_out, width))
    return rng.uniform(-limit, limit, shape)


@dataclass
class InitSpec:
    """Which scheme for which layer. ``None`` for an output or bias scheme means "same as ``init``"
    (bias: same as the layer's weight scheme)."""

    width: int
    init: str = "he"
    bias_init: str | None = None
    output_init: str | None = None
    output_bias_init: str | None = None
    output_gain: float = 1.0
    depth: int = 2
    hidden_init: str | None = None
    hidden_bias_init: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.width, bool) or int(self.width) != self.width or self.width < 1:
            raise ValueError(f"width must be a positive integer, got {self.width!r}")
        if self.depth not in (2, 3):
            raise ValueError(f"depth must be 2 or 3, got {self.depth!r}")
        check_scheme(self.init)
        for v, what in ((self.bias_init, "bias-init"), (self.output_init, "output-init"),
                        (self.output_bias_init, "output-bias-init"), (self.hidden_init, "hidden-init"),
                        (self.hidden_bias_init, "hidden-bias-init")):
            if v is not None:
                check_scheme(v, what)
        if not math.isfinite(self.output_gain):
            raise ValueError(f"output gain must be finite, got {self.output_gain}")

    def describe(self) -> dict[str, Any]:
        out = {"width": self.width, "depth": self.depth, "init": self.init,
               "bias_init": self.bias_init or self.init, "output_init": self.output_init or self.init,
               "output_bias_init": self.output_bias_init or self.bias_init or self.output_init or self.init,
               "output_gain": self.output_gain}
        if self.depth == 3:
            out["hidden_init"] = self.hidden_init or self.init
            out["hidden_bias_init"] = self.hidden_bias_init or self.bias_init or self.hidden_init or self.init
        return out


def sample_networks(spec: InitSpec, trials: int, seed: SeedLike) -> dict[str, np.ndarray]:
    """Parameters of ``trials`` random networks.

    Depth 2: ``w (T,k), b (T,k), a (T,k), c (T,)``. Depth 3 adds the hidden layer ``v (T,k,k), d (T,k)``
    (``f(x) = a . relu(v relu(w x + b) + d) + c``). Fan-in/fan-out: first layer (1, k), hidden (k, k),
    output (k, 1).
    """
    rng = as_generator(seed)
    k = int(spec.width)
    T = int(trials)
    wi = spec.init
    bi = spec.bias_init or spec.init
    oi = spec.output_init or spec.init
    obi = spec.output_bias_init or spec.bias_init or oi
    out: dict[str, np.ndarray] = {}
    out["w"] = sample(wi, (T, k), 1, k, k, rng)
    out["b"] = sample(bi, (T, k), 1, k, k, rng)
    if spec.depth == 3:
        hi = spec.hidden_init or spec.init
        hbi = spec.hidden_bias_init or spec.bias_init or hi
        out["v"] = sample(hi, (T, k, k), k, k, k, rng)
        out["d"] = sample(hbi, (T, k), k, k, k, rng)
    out["a"] = spec.output_gain * sample(oi, (T, k), k, 1, k, rng)
    out["c"] = spec.output_gain * sample(obi, (T,), k, 1, k, rng)
    return out
