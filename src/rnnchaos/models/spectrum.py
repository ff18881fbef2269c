"""Lyapunov spectrum of a latent model along its own orbits (thin layer over the shared engine).

The model is turned into a float64 :class:`~rnnchaos.core.TangentMap` with ``model.as_map()``, whose
``tangent_step`` propagates ``J @ Q`` without forming ``J`` (e.g. ``(1 - h'^2) ⊙ (g W Q)`` for a tanh
RNN, ``O(B M^2 k)`` per step), and the spectrum is computed by the batched tangent-space QR method
(Shimada & Nagashima 1979; Benettin et al. 1980) in
:func:`rnnchaos.dynamics.lyapunov_spectrum.lyapunov_spectrum`. Units: ``per_step``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from rnnchaos._util.rng import SeedLike, as_generator
from rnnchaos._util.validation import positive_float, positive_int
from rnnchaos.dynamics.lyapunov_spectrum import LyapunovSpectrum, lyapunov_spectrum
from rnnchaos.models.base import LatentModel

#: floating types of the tangent space (``tangent_dtype``; float32 runs the torch engine)
TANGENT_DTYPES = ("float64", "float32")


def initial_conditions(model: LatentModel, n: int, *, scale: float = 1.0,
                       seed: SeedLike = None) -> NDArray[np.float64]:
    """``n`` random initial states ``(n, M)`` with i.i.d. ``N(0, scale^2)`` entries (float64).

    For an LSTM the cell half of ``z = [h, c]`` is drawn the same way; ``h`` is clipped to (-1, 1), the
    range the cell can reach.
    """
    n = positive_int(n, "n_initial_conditions")
    scale = positive_float(scale, "scale")
    z = as_generator(seed).normal(0.0, scale, size=(n, model.latent_dim))
    if model.arch == "lstm" or getattr(model, "kind", None) == "lstm":
        h = model.latent_dim // 2
        z[:, :h] = np.tanh(z[:, :h])
    return z


def model_lyapunov_spectrum(model: LatentModel, n_steps: int = 5000, *, k: int | None = None,
                            n_initial_conditions: int = 4, z0: Any = None, transient: int = 1000,
                            tangent_transient: int = 100, reortho_every: int | str = "auto", scale: float = 1.0,
                            input: Any = None, seed: SeedLike = None,  # noqa: A002
                            progress: bool = False, device: Any = None,
                            tangent_dtype: str = "float64") -> LyapunovSpectrum:
    """The ``k`` largest Lyapunov exponents (all ``M`` by default) of ``model`` along its own orbits.

    ``z0`` ``(B, M)`` gives the initial conditions; otherwise ``n_initial_conditions`` are drawn with
    :func:`initial_conditions` from ``seed``. ``input``: constant external input (zero when None).
    Returns a :class:`~rnnchaos.dynamics.lyapunov_spectrum.LyapunovSpectrum` in ``per_step`` units.
    ``device``: where the tangent space lives (``cpu``/``cuda``/``auto``; None: the CPU). On the CPU the
    float64 NumPy engine runs on ``model.as_map()``; on CUDA the torch engine
    (:func:`rnnchaos.dynamics.lyapunov_spectrum_torch.lyapunov_spectrum_torch`) runs on
    ``model.as_torch_map(device=...)`` in float64, with the same initial conditions and frame.
    ``tangent_dtype="float32"``: orbit and tangent space in float32 (torch engine, on ``device``), about twice
    as fast for large ``M``; its accuracy against float64 is stated in docs/rnn.md. ``reortho_every``: ``"auto"``
    (adaptive QR interval) or a fixed interval, see :func:`~rnnchaos.dynamics.lyapunov_spectrum.lyapunov_spectrum`.
    Cost: ``(transient + tangent_transient + n_steps)`` model steps with ``k`` tangent vectors each.
    """
    from rnnchaos._util.device import resolve_device

    if tangent_dtype not in TANGENT_DTYPES:
        raise ValueError(f"tangent_dtype must be one of {', '.join(TANGENT_DTYPES)}, got {tangent_dtype!r}")
    dev = resolve_device(device)
    rng = as_generator(seed)
    if z0 is None:
        z0 = initial_conditions(model, n_initial_conditions, scale=scale, seed=rng)
    if dev.type != "cpu" or tangent_dtype != "float64":
        import torch

        from rnnchaos.dynamics.lyapunov_spectrum_torch import lyapunov_spectrum_torch

        fmap = model.as_torch_map(input=input, device=dev, dtype=getattr(torch, tangent_dtype))
        return lyapunov_spectrum_torch(fmap, np.asarray(z0, dtype=np.float64),
                                       n_steps, k=k, transient=transient, tangent_transient=tangent_transient,
                                       reortho_every=reortho_every, seed=rng, progress=progress)
    return lyapunov_spectrum(model.as_map(input=input), z0, n_steps, k=k, transient=transient,
                             tangent_transient=tangent_transient, reortho_every=reortho_every,
                             seed=rng, progress=progress)
