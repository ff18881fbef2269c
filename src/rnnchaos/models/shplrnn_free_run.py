"""Fused free run of a shallow PLRNN (shPLRNN, Hess et al., ICML 2023; plain or clipped) in one compiled
(numba) loop, float64::

    z_{t+1} = A ⊙ z_t + W1 φ(W2 z_t + h2) + h1,   φ = relu  or  relu(W2 z + h2) − relu(W2 z)  (clipped),
    x_t = B z_t + b                                 (identity: B = [I 0], b = 0; linear: b = 0).

:func:`shplrnn_free_run` has the signature of the free-run kernel registry of
:mod:`rnnchaos.models.free_run` (``fn(model, z0, n_steps)``; ``None`` for a model with external inputs);
:func:`shallow_plrnn_free_run` is the array-level loop.

Cost: O(n_steps·M·L) per start, no per-step Python overhead.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from rnnchaos.models.alrnn_free_run import observation_arrays

Array = NDArray[np.float64]


@numba.njit(cache=True)
def _run(z0: Any, A: Any, W1: Any, W2: Any, h1: Any, h2: Any, Bm: Any, b: Any, clipped: bool,
         n_steps: int) -> Any:  # pragma: no cover - compiled
    M = A.shape[0]
    N = Bm.shape[0]
    L = h2.shape[0]
    out = np.empty((n_steps, N))
    z = z0.copy()
    act = np.empty(L)
    W1T = np.ascontiguousarray(W1.T)
    W2T = np.ascontiguousarray(W2.T)
    for t in range(n_steps):
        for j in range(N):
            s = b[j]
            for i in range(M):
                s += Bm[j, i] * z[i]
            out[t, j] = s
        u = np.dot(z, W2T)
        for k in range(L):
            v = u[k] + h2[k]
            a = v if v > 0 else 0.0
            if clipped and u[k] > 0:
                a -= u[k]
            act[k] = a
        zn = np.dot(act, W1T)
        finite = True
        for i in range(M):
            v = A[i] * z[i] + zn[i] + h1[i]
            z[i] = v
            if not np.isfinite(v):
                finite = False
        if not finite:
            out[t + 1:, :] = np.inf
            break
    return out


def shallow_plrnn_free_run(z0: Array, A: Array, W1: Array, W2: Array, h1: Array, h2: Array, Bm: Array,
                           n_steps: int, *, clipped: bool = False, b: Array | None = None) -> Array:
    """Observations (n_steps, N) float64 of one free run from ``z0`` (M,), starting with ``B z0 + b``;
    ``inf`` after an overflow."""
    f = np.float64
    bb = np.zeros(np.shape(Bm)[0]) if b is None else np.ascontiguousarray(b, dtype=f)
    c = np.ascontiguousarray
    return _run(c(z0, dtype=f), c(A, dtype=f), c(W1, dtype=f), c(W2, dtype=f),
                c(h1, dtype=f), c(h2, dtype=f), c(Bm, dtype=f), bb, bool(clipped), int(n_steps))


def shplrnn_free_run(model: Any, z0: Array, n_steps: int) -> Array | None:
    """Observations (B, n_steps, N) float64 of free runs of a shPLRNN from ``z0`` (B, M); ``inf`` after an
    overflow.  ``None`` for a model with external inputs."""
    if model.arch != "shplrnn" or model.input_dim != 0:
        return None
    Bm, b = observation_arrays(model)
    A, W1, W2, h1, h2 = (getattr(model, n).detach().cpu().double().numpy() for n in ("A", "W1", "W2", "h1", "h2"))
    z0 = np.asarray(z0, dtype=np.float64).reshape(-1, model.latent_dim)
    out = np.empty((z0.shape[0], int(n_steps), int(model.obs_dim)))
    for k in range(z0.shape[0]):
        out[k] = shallow_plrnn_free_run(z0[k], A, W1, W2, h1, h2, Bm, n_steps, clipped=model.clipped, b=b)
    out[~np.isfinite(out)] = np.inf
    return out
