"""Fused free run of a plain PLRNN (Durstewitz 2017; Koppe et al. 2019) in one compiled (numba) loop.

    z_{t+1} = A ⊙ z_t + W · relu(z_t) + h,   x_t = B z_t   (identity observation: B = [I 0]).

Registered in :data:`rnnchaos.models.free_run.FREE_RUN_KERNELS` under ``"plrnn"``; only
:func:`rnnchaos.models.free_run.free_run` calls it.  It covers the unclipped PLRNN without external inputs
and returns ``None`` for any other instance (the dispatcher then steps the model in PyTorch).

Cost: O(n_steps·M²) per start in float64 (about 1 s for 10⁶ steps at M = 30), no per-step Python overhead.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


@numba.njit(cache=True)
def _run(z0: Any, A: Any, W: Any, h: Any, Bm: Any, n_steps: int) -> Any:  # pragma: no cover - compiled
    M = A.shape[0]
    N = Bm.shape[0]
    out = np.empty((n_steps, N))
    z = z0.copy()
    r = np.empty(M)
    WT = np.ascontiguousarray(W.T)
    for t in range(n_steps):
        for j in range(N):
            s = 0.0
            for i in range(M):
                s += Bm[j, i] * z[i]
            out[t, j] = s
        for i in range(M):
            r[i] = z[i] if z[i] > 0 else 0.0
        zn = np.dot(r, WT)
        finite = True
        for i in range(M):
            v = A[i] * z[i] + zn[i] + h[i]
            z[i] = v
            if not np.isfinite(v):
                finite = False
        if not finite:
            out[t + 1:, :] = np.inf
            break
    return out


def plrnn_free_run(model: Any, z0: Array, n_steps: int) -> Array | None:
    """Observations (B, n_steps, N) float64 of free runs of a plain PLRNN from ``z0`` (B, M) float64;
    ``inf`` after an overflow.  ``None`` when ``model`` is clipped or has external inputs."""
    if getattr(model, "clipped", True) or getattr(model, "input_dim", 1) != 0:
        return None
    f = np.float64
    if model.observation == "linear":
        Bm = model.B.detach().cpu().double().numpy()
    else:
        Bm = np.eye(model.obs_dim, model.latent_dim)
    A, W, h = (np.ascontiguousarray(t.detach().cpu().double().numpy(), dtype=f) for t in (model.A, model.W_eff, model.h))
    Bm = np.ascontiguousarray(Bm, dtype=f)
    out = np.empty((z0.shape[0], int(n_steps), int(model.obs_dim)))
    for k in range(z0.shape[0]):
        out[k] = _run(np.ascontiguousarray(z0[k], dtype=f), A, W, h, Bm, int(n_steps))
    out[~np.isfinite(out)] = np.inf
    return out
