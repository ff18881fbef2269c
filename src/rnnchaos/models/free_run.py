"""The one free run: iterate a latent model (or a map) from a batch of states and record its observations.

Every free run in rnnchaos goes through :func:`free_run`: the training loop's model selection
(:func:`rnnchaos.training.trainer.selection_score`), ``Reconstructor.generate`` and ``score``, ``rnnchaos
evaluate`` / ``report`` (:mod:`rnnchaos.report.evaluation`) and the reproductions.  For ``z`` of shape
(B, M) the result is the (B, n_steps, N) float64 array whose row t is ``observe(F^t(z))``, starting with
``observe(z)`` (no transient is discarded); entries from the first overflow on are ``inf``.

Dispatch (by the model's ``arch``): an architecture with a fused compiled kernel in
:data:`FREE_RUN_KERNELS` runs there in float64 (today the plain PLRNN and the ALRNN,
:mod:`rnnchaos.models.alrnn_free_run`, about 1 s for 10⁶ steps at M = 30, and the shPLRNN,
:mod:`rnnchaos.models.shplrnn_free_run`); every other model steps in PyTorch in its own dtype and device, one
start at a time (so that a start's trajectory does not depend on the batch it came in: batched BLAS
products round differently), cost n_steps·B model steps plus the per-step PyTorch overhead.

Adding a fused kernel (e.g. for ``gru``) is one line in :data:`FREE_RUN_KERNELS`,
``"gru": "rnnchaos.models.gru_free_run:gru_free_run"``, or at run time
``register_free_run_kernel("gru", fn)``.  The kernel is imported on first use and called as
``fn(model, z, n_steps)`` with ``z`` a float64 (B, M) array; it returns the (B, n_steps, N) float64
observations (``inf`` after an overflow), or ``None`` when it does not cover this instance (a PLRNN with
clipping or external inputs, say), in which case the PyTorch loop runs.  A test compares every
registered kernel with the PyTorch loop (tests/test_free_run.py).

Accepted models: a :class:`rnnchaos.models.base.LatentModel`; its float64 adapter
:class:`rnnchaos.models.base.ModelMap` (the run uses the adapter's float64 copy and constant input); or any
map with a NumPy ``step(z) (B, M) -> (B, M)`` and no observation model (a system of
:mod:`rnnchaos.systems`), whose observations are its states.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from rnnchaos._util.validation import positive_int

__all__ = ["FREE_RUN_KERNELS", "free_run", "initial_states", "register_free_run_kernel"]

Array = NDArray[np.float64]
Kernel = Callable[[Any, Array, int], "Array | None"]

#: architecture name -> its fused free-run kernel, as ``"module:function"`` (imported on first use) or a callable
FREE_RUN_KERNELS: dict[str, str | Kernel] = {
    "plrnn": "rnnchaos.models.alrnn_free_run:alrnn_free_run",
    "alrnn": "rnnchaos.models.alrnn_free_run:alrnn_free_run",
    "shplrnn": "rnnchaos.models.shplrnn_free_run:shplrnn_free_run",
}


def register_free_run_kernel(arch: str, kernel: str | Kernel) -> None:
    """Make :func:`free_run` use ``kernel`` for models whose ``arch`` is ``arch`` (see the module docstring)."""
    if not isinstance(arch, str) or not arch:
        raise ValueError(f"arch must be a non-empty architecture name, got {arch!r}")
    if not (callable(kernel) or (isinstance(kernel, str) and ":" in kernel)):
        raise ValueError(f"kernel must be a callable or a 'module:function' string, got {kernel!r}")
    FREE_RUN_KERNELS[arch] = kernel


def _kernel(arch: Any) -> Kernel | None:
    entry = FREE_RUN_KERNELS.get(arch) if isinstance(arch, str) else None
    if entry is None or callable(entry):
        return entry
    module, _, name = entry.partition(":")
    fn = getattr(importlib.import_module(module), name)
    FREE_RUN_KERNELS[arch] = fn
    return fn


@torch.no_grad()
def initial_states(model: Any, x: Any) -> torch.Tensor:
    """Latent states (B, M) inferred from observations ``x`` (B, N) in the model's own units (already
    standardised), by ``model.infer_latent``, in the model's dtype and on its device."""
    return model.infer_latent(torch.as_tensor(np.asarray(x), dtype=model.dtype).to(_device(model)))


def _device(model: torch.nn.Module) -> torch.device:
    for t in (*model.parameters(), *model.buffers()):
        return t.device
    return torch.device("cpu")


def free_run(model: Any, z0: Any, n_steps: int) -> Array:
    """Observations (B, n_steps, N) float64 of free runs of ``model`` from the latent states ``z0`` (B, M).

    Row t is ``observe(F^t(z0))``; ``inf`` from the first overflow on.  ``model``: a ``LatentModel``, a
    ``ModelMap`` or a NumPy map (module docstring).  ``z0``: NumPy array or torch tensor; a single state
    (M,) is read as a batch of one.  Uses the architecture's fused kernel when one is registered.
    """
    from rnnchaos.models.base import ModelMap

    n = positive_int(n_steps, "n_steps")
    s: torch.Tensor | None = None
    if isinstance(model, ModelMap):
        model, s = model.model, model.input
    if not isinstance(model, torch.nn.Module):
        return _numpy_map_run(model, z0, n)
    return _latent_model_run(model, z0, n, s)


def _latent_model_run(model: Any, z0: Any, n: int, s: torch.Tensor | None) -> Array:
    z = z0.detach() if isinstance(z0, torch.Tensor) else torch.as_tensor(np.asarray(z0))
    if z.dim() == 1:
        z = z[None, :]
    if z.dim() != 2 or z.shape[1] != int(model.latent_dim):
        raise ValueError(f"initial states must have shape (B, {model.latent_dim}), got {tuple(z.shape)}")
    if s is None:
        kernel = _kernel(getattr(model, "arch", None))
        if kernel is not None:
            out = kernel(model, z.cpu().double().numpy(), n)
            if out is not None:
                return out
    z = z.to(device=_device(model), dtype=model.dtype)
    runs = np.empty((z.shape[0], n, int(model.obs_dim)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k in range(z.shape[0]):
            runs[k] = _torch_run(model, z[k:k + 1], n, s).cpu().double().numpy()
    runs[~np.isfinite(runs)] = np.inf
    return runs


@torch.no_grad()
def _torch_run(model: Any, z: torch.Tensor, n_steps: int, s: torch.Tensor | None) -> torch.Tensor:
    out = torch.empty(n_steps, model.obs_dim, dtype=z.dtype, device=z.device)
    ss = None if s is None else s[None, :].to(dtype=z.dtype, device=z.device)
    for t in range(n_steps):
        out[t] = model.observe(z)[0]
        z = model.step(z) if ss is None else model.step(z, ss)
    return out


def _numpy_map_run(fmap: Any, z0: Any, n_steps: int) -> Array:
    if not callable(getattr(fmap, "step", None)):
        raise ValueError(f"free_run needs a LatentModel, a ModelMap or a map with step(z), got {type(fmap).__name__}")
    z = np.array(z0, dtype=np.float64, ndmin=2)
    if z.ndim != 2:
        raise ValueError(f"initial states must have shape (B, M), got {np.shape(z0)}")
    out = np.empty((z.shape[0], n_steps, z.shape[1]))
    with np.errstate(over="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for t in range(n_steps):
            out[:, t] = z
            z = np.asarray(fmap.step(z), dtype=np.float64)
    out[~np.isfinite(out)] = np.inf
    return out
