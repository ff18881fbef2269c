"""Lyapunov spectrum of a torch map with the tangent space on its device (CPU or CUDA), by the QR method.

Algorithm (Shimada & Nagashima 1979; Benettin, Galgani, Giorgilli & Strelcyn 1980), exactly as in
:mod:`rnnchaos.dynamics.lyapunov_spectrum`: propagate ``k`` orthonormal tangent vectors ``Q`` ``(B, N, k)``
with ``W = J(z_t) Q`` and re-orthonormalise ``W = Q' R`` (``torch.linalg.qr``, batched); the time averages
of ``log |R_ii|`` are the ``k`` largest exponents. States, frames and the accumulated sums stay on the
device; only the running estimate at the checkpoints (``n_checkpoints`` small copies) comes back to the
host. The summary (means, standard errors, convergence diagnostic) is the NumPy engine's
(:func:`~rnnchaos.dynamics.lyapunov_spectrum.summarise_run`), so both engines report the same fields.

The map is any object with ``dim``, ``dt`` (``None`` for maps), ``step(z)`` ``(B, N) -> (B, N)`` and
``tangent_step(z, Q)`` ``-> (F(z), J(z) Q)`` on tensors, e.g.
:meth:`rnnchaos.models.base.LatentModel.as_torch_map`. The random initial frame is drawn with NumPy from
``seed`` (as in the NumPy engine), so on the CPU in float64 the two engines give the same exponents.

Cost: as the NumPy engine, O((tangent_transient + n_steps) (cost of tangent_step + B N k^2 / reortho_every)),
on the device. Units: ``per_step`` for maps, ``per_time`` (divided by ``dt``) for flows.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rnnchaos._util.device import resolve_device
from rnnchaos._util.progress import progress_bar
from rnnchaos._util.rng import SeedLike, as_generator
from rnnchaos._util.validation import nonnegative_int, positive_int
from rnnchaos.dynamics.lyapunov_spectrum import (
    LyapunovSpectrum,
    check_working_memory,
    checkpoint_steps,
    safe_interval,
    summarise_run,
)

__all__ = ["lyapunov_spectrum_torch"]


def lyapunov_spectrum_torch(fmap: Any, z0: Any, n_steps: int, *, k: int | None = None, transient: int = 1000,
                            tangent_transient: int = 100, reortho_every: int = 1, n_checkpoints: int = 50,
                            seed: SeedLike = None, device: Any = None, dtype: Any = None,
                            progress: bool = False) -> LyapunovSpectrum:
    """The ``k`` largest Lyapunov exponents of the torch map ``fmap`` with the tangent space on ``device``.

    Parameters and result as :func:`rnnchaos.dynamics.lyapunov_spectrum.lyapunov_spectrum`; ``z0`` ``(N,)``
    or ``(B, N)`` (array or tensor). ``device``: ``"cpu"``, ``"cuda"``, ``"auto"`` or a ``torch.device``
    (default: ``fmap.device`` when it has one, else the CPU); ``dtype``: the tangent space's floating type
    (default ``fmap.dtype``, else float64). Orbits that become non-finite are dropped as in the NumPy engine;
    ``ValueError`` when all are, or for bad arguments.
    """
    import torch

    n = positive_int(getattr(fmap, "dim", None), "fmap.dim")
    if not (callable(getattr(fmap, "step", None)) and callable(getattr(fmap, "tangent_step", None))):
        raise ValueError("fmap must have step(z) and tangent_step(z, Q) on torch tensors")
    n_steps = positive_int(n_steps, "n_steps")
    k = n if k is None else positive_int(k, "k")
    if k > n:
        raise ValueError(f"k must be between 1 and the dimension {n}, got {k}")
    transient = nonnegative_int(transient, "transient")
    tangent_transient = nonnegative_int(tangent_transient, "tangent_transient")
    every = positive_int(reortho_every, "reortho_every")
    n_checkpoints = min(positive_int(n_checkpoints, "n_checkpoints"), n_steps)
    dt = getattr(fmap, "dt", None)
    if dt is not None and (not math.isfinite(float(dt)) or float(dt) <= 0):
        raise ValueError(f"fmap.dt must be None (a map) or a positive time step, got {dt!r}")
    dev = resolve_device(device if device is not None else getattr(fmap, "device", None))
    dty = dtype if dtype is not None else getattr(fmap, "dtype", torch.float64)
    rng = as_generator(seed)
    z = torch.as_tensor(z0).to(device=dev, dtype=dty)
    if z.dim() == 1:
        z = z[None, :]
    if z.dim() != 2 or z.shape[1] != n or z.shape[0] < 1:
        raise ValueError(f"z0 must have shape ({n},) or (B, {n}), got {tuple(z.shape)}")
    if not bool(torch.isfinite(z).all()):
        raise ValueError("z0 must be finite (no NaN or inf)")
    check_working_memory(z.shape[0], n, k)
    b0 = z.shape[0]
    notes: list[str] = []
    alive = np.arange(b0)

    def finite(*ts: Any) -> Any:
        ok = torch.ones(ts[0].shape[0], dtype=torch.bool, device=dev)
        for t in ts:
            ok &= torch.isfinite(t.reshape(t.shape[0], -1)).all(dim=1)
        return ok

    def drop(ok_t: Any, where: str) -> Any:
        nonlocal alive
        ok = ok_t.cpu().numpy()
        if not ok.any():
            raise ValueError(
                f"every orbit became non-finite (NaN/inf) {where}; the initial conditions are outside "
                "the basin of a bounded attractor or the parameters make the map diverge")
        lost = alive[~ok]
        notes.append(f"dropped {lost.size} of {b0} initial conditions whose orbit became non-finite "
                     f"{where} (indices {lost[:10].tolist()}{'...' if lost.size > 10 else ''})")
        alive = alive[ok]
        return ok_t

    total = transient + tangent_transient + n_steps
    bar = progress_bar(desc="lyapunov spectrum", total=total, enabled=progress)
    chunk = 256
    try:
        with torch.no_grad():
            done = 0
            while done < transient:
                m = min(chunk, transient - done)
                for _ in range(m):
                    z = fmap.step(z)
                ok = finite(z)
                if not bool(ok.all()):
                    z = z[drop(ok, f"during the state transient (steps {done + 1}..{done + m})")]
                done += m
                bar.update(m)

            g = torch.as_tensor(rng.standard_normal((z.shape[0], n, k))).to(device=dev, dtype=dty)
            q = torch.linalg.qr(g)[0]
            z1, w1 = fmap.tangent_step(z, q)
            if tuple(z1.shape) != tuple(z.shape) or tuple(w1.shape) != tuple(q.shape):
                raise ValueError(f"fmap.tangent_step must return tensors of shapes {tuple(z.shape)} and "
                                 f"{tuple(q.shape)}; got {tuple(z1.shape)} and {tuple(w1.shape)}")
            for t in range(tangent_transient):
                z, w = fmap.tangent_step(z, q)
                ok = finite(z, w)
                if not bool(ok.all()):
                    keep = drop(ok, f"at tangent-transient step {t + 1}")
                    z, w = z[keep], w[keep]
                q = torch.linalg.qr(w)[0]
                if (t + 1) % chunk == 0:
                    bar.update(chunk)
            bar.update(tangent_transient % chunk)

            checkpoints = checkpoint_steps(n_steps, n_checkpoints)
            sums = torch.zeros(z.shape[0], k, dtype=torch.float64, device=dev)
            snap = np.full((checkpoints.size, b0, k), np.nan)
            ci = 0
            since_qr = 0
            reduced = False
            for t in range(1, n_steps + 1):
                z, q = fmap.tangent_step(z, q)
                since_qr += 1
                if since_qr >= every or t == n_steps or t == checkpoints[ci]:
                    ok = finite(z, q)
                    if not bool(ok.all()):
                        if bool(finite(z)[~ok].all()):
                            raise ValueError(
                                f"the tangent frame overflowed between two QR steps (at accumulation step {t}) "
                                f"while the orbit stayed finite; use a smaller reortho_every than {every}")
                        keep = drop(ok, f"at accumulation step {t}")
                        z, q, sums = z[keep], q[keep], sums[keep]
                    q, r = torch.linalg.qr(q)
                    logs = torch.log(torch.diagonal(r, dim1=-2, dim2=-1).abs()).to(torch.float64)
                    sums += logs
                    if every > 1:
                        new_every = safe_interval(logs.cpu().numpy(), since_qr, every)
                        if new_every < every:
                            every = new_every
                            reduced = True
                    since_qr = 0
                if t == checkpoints[ci]:
                    snap[ci, alive] = sums.cpu().numpy()
                    ci += 1
                if t % chunk == 0:
                    bar.update(chunk)
            bar.update(n_steps % chunk)
    finally:
        bar.close()

    scale = float(dt) if dt is not None else 1.0
    units = "per_step" if dt is None else "per_time"
    with np.errstate(invalid="ignore", divide="ignore"):
        return summarise_run(sums.cpu().numpy(), snap, alive, checkpoints, n_steps, k, dt, units, scale, notes,
                             reduced, reortho_every, every)
