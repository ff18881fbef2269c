"""Lyapunov spectrum of a torch map with the tangent space on its device (CPU or CUDA), by the QR method.

Algorithm (Shimada & Nagashima 1979; Benettin, Galgani, Giorgilli & Strelcyn 1980), exactly as in
:mod:`rnnchaos.dynamics.lyapunov_spectrum`: propagate ``k`` orthonormal tangent vectors ``Q`` ``(B, N, k)``
with ``W = J(z_t) Q`` and re-orthonormalise ``W = Q' R`` (``torch.linalg.qr``, batched); the time averages
of ``log |R_ii|`` are the ``k`` largest exponents. States and frames stay on the device; only
``log |diag R|`` ``(B, k)`` comes back to the host at each QR. The loop, the adaptive QR interval and the
summary are the NumPy engine's (:func:`~rnnchaos.dynamics.lyapunov_spectrum.run_tangent_qr`), so both
engines report the same fields; in float32 the interval obeys the float32 limits
(``CONDITION_LIMIT_FLOAT32``, ``MAX_LOG_GROWTH_FLOAT32``).

The map is any object with ``dim``, ``dt`` (``None`` for maps), ``step(z)`` ``(B, N) -> (B, N)`` and
``tangent_step(z, Q)`` ``-> (F(z), J(z) Q)`` on tensors, e.g.
:meth:`rnnchaos.models.base.LatentModel.as_torch_map`. The random initial frame is drawn with NumPy from
``seed`` (as in the NumPy engine), so on the CPU in float64 the two engines give the same exponents.

Cost: as the NumPy engine, O((tangent_transient + n_steps) (cost of tangent_step + B N k^2 / reortho_every)),
on the device. Units: ``per_step`` for maps, ``per_time`` (divided by ``dt``) for flows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnnchaos._util.device import resolve_device
from rnnchaos._util.rng import SeedLike, as_generator
from rnnchaos.dynamics.lyapunov_spectrum import (
    CONDITION_LIMIT,
    CONDITION_LIMIT_FLOAT32,
    MAX_LOG_GROWTH,
    MAX_LOG_GROWTH_FLOAT32,
    LyapunovSpectrum,
    check_working_memory,
    run_settings,
    run_tangent_qr,
)

__all__ = ["TorchOps", "lyapunov_spectrum_torch"]


class TorchOps:
    """Array operations of the torch engine on ``device`` in ``dtype`` (``torch.linalg.qr``, batched)."""

    def __init__(self, device: Any, dtype: Any) -> None:
        import torch

        self.device, self.dtype = device, dtype
        single = dtype in (torch.float32, torch.float16, torch.bfloat16)
        self.condition_limit = CONDITION_LIMIT_FLOAT32 if single else CONDITION_LIMIT
        self.max_log_growth = MAX_LOG_GROWTH_FLOAT32 if single else MAX_LOG_GROWTH

    def asarray(self, a: Any) -> Any:
        import torch

        return torch.as_tensor(a).to(device=self.device, dtype=self.dtype)

    def finite(self, *ts: Any) -> Any:
        import torch

        ok = torch.ones(ts[0].shape[0], dtype=torch.bool, device=self.device)
        for t in ts:
            ok &= torch.isfinite(t.reshape(t.shape[0], -1)).all(dim=1)
        return ok.cpu().numpy()

    def take(self, x: Any, ok: Any) -> Any:
        import torch

        return x[torch.as_tensor(ok, device=self.device)]

    def qr(self, w: Any) -> tuple[Any, Any]:
        import torch

        q, r = torch.linalg.qr(w)
        logs = torch.log(torch.diagonal(r, dim1=-2, dim2=-1).abs()).to(torch.float64)
        return q, logs.cpu().numpy()

    def check_shapes(self, fmap: Any, z: Any, q: Any) -> None:
        z1, w1 = fmap.tangent_step(z, q)
        if tuple(z1.shape) != tuple(z.shape) or tuple(w1.shape) != tuple(q.shape):
            raise ValueError(f"fmap.tangent_step must return tensors of shapes {tuple(z.shape)} and "
                             f"{tuple(q.shape)}; got {tuple(z1.shape)} and {tuple(w1.shape)}")


def lyapunov_spectrum_torch(fmap: Any, z0: Any, n_steps: int, *, k: int | None = None, transient: int = 1000,
                            tangent_transient: int = 100, reortho_every: int | str = "auto",
                            n_checkpoints: int = 50, seed: SeedLike = None, device: Any = None, dtype: Any = None,
                            progress: bool = False) -> LyapunovSpectrum:
    """The ``k`` largest Lyapunov exponents of the torch map ``fmap`` with the tangent space on ``device``.

    Parameters and result as :func:`rnnchaos.dynamics.lyapunov_spectrum.lyapunov_spectrum` (``reortho_every``
    ``"auto"`` by default); ``z0`` ``(N,)`` or ``(B, N)`` (array or tensor). ``device``: ``"cpu"``, ``"cuda"``,
    ``"auto"`` or a ``torch.device`` (default: ``fmap.device`` when it has one, else the CPU); ``dtype``: the
    tangent space's floating type (default ``fmap.dtype``, else float64). Orbits that become non-finite are
    dropped as in the NumPy engine; ``ValueError`` when all are, or for bad arguments.
    """
    import torch

    if not (callable(getattr(fmap, "step", None)) and callable(getattr(fmap, "tangent_step", None))):
        raise ValueError("fmap must have step(z) and tangent_step(z, Q) on torch tensors")
    s = run_settings(getattr(fmap, "dim", None), getattr(fmap, "dt", None), n_steps, k, transient, tangent_transient,
                     reortho_every, n_checkpoints)
    dev = resolve_device(device if device is not None else getattr(fmap, "device", None))
    dty = dtype if dtype is not None else getattr(fmap, "dtype", torch.float64)
    rng = as_generator(seed)
    z = torch.as_tensor(z0).to(device=dev, dtype=dty)
    if z.dim() == 1:
        z = z[None, :]
    if z.dim() != 2 or z.shape[1] != s.dim or z.shape[0] < 1:
        raise ValueError(f"z0 must have shape ({s.dim},) or (B, {s.dim}), got {tuple(z.shape)}")
    if not bool(torch.isfinite(z).all()):
        raise ValueError("z0 must be finite (no NaN or inf)")
    check_working_memory(z.shape[0], s.dim, s.k)
    with torch.no_grad(), np.errstate(invalid="ignore", divide="ignore"):
        return run_tangent_qr(fmap, z, s, TorchOps(dev, dty), rng, progress)
