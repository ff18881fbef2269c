"""Fused free run of an almost-linear RNN (ALRNN, Brenner et al., NeurIPS 2024) or a plain PLRNN
(Durstewitz 2017) in one compiled (numba) loop, float64::

    z_{t+1} = A ⊙ z_t + W Φ*(z_t) + h,   Φ* = identity on the first ``linear_units`` units, relu on the rest,
    x_t = B z_t + b                       (identity observation: B = [I 0], b = 0; linear: b = 0).

The PLRNN is ``linear_units = 0``.  :func:`alrnn_free_run` has the signature of the free-run kernel
registry of :mod:`rnnchaos.models.free_run` (``fn(model, z0, n_steps)``; ``None`` for an instance it does not
cover: a clipped PLRNN or external inputs); :func:`almost_linear_free_run` is the array-level loop.

Cost: O(n_steps·M²) per start, no per-step Python overhead (about 1 s for 10⁶ steps at M = 30).
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


@numba.njit(cache=True)
def _run(z0: Any, A: Any, W: Any, h: Any, Bm: Any, b: Any, n_linear: int,
         n_steps: int) -> Any:  # pragma: no cover - compiled
    M = A.shape[0]
    N = Bm.shape[0]
    out = np.empty((n_steps, N))
    z = z0.copy()
    r = np.empty(M)
    WT = np.ascontiguousarray(W.T)
    for t in range(n_steps):
        for j in range(N):
            s = b[j]
            for i in range(M):
                s += Bm[j, i] * z[i]
            out[t, j] = s
        for i in range(M):
            r[i] = z[i] if (z[i] > 0 or i < n_linear) else 0.0
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


def almost_linear_free_run(z0: Array, A: Array, W: Array, h: Array, Bm: Array, n_steps: int, *,
                           linear_units: int = 0, b: Array | None = None) -> Array:
    """Observations (n_steps, N) float64 of one free run from ``z0`` (M,), starting with ``B z0 + b``;
    ``inf`` after an overflow.  ``W`` is used as given (pass the zero-diagonal ``W_eff``)."""
    f = np.float64
    M = int(np.shape(A)[0])
    if not 0 <= int(linear_units) <= M:
        raise ValueError(f"linear_units must be in [0, M={M}], got {linear_units!r}")
    bb = np.zeros(np.shape(Bm)[0]) if b is None else np.ascontiguousarray(b, dtype=f)
    return _run(np.ascontiguousarray(z0, dtype=f), np.ascontiguousarray(A, dtype=f),
                np.ascontiguousarray(W, dtype=f), np.ascontiguousarray(h, dtype=f),
                np.ascontiguousarray(Bm, dtype=f), bb, int(linear_units), int(n_steps))


def observation_arrays(model: Any) -> tuple[Array, Array]:
    """``(B, b)`` of a model's observation model in float64: identity ``[I 0]`` and 0, linear ``B`` and 0,
    affine ``B`` and ``b``."""
    if model.observation == "identity":
        return np.eye(model.obs_dim, model.latent_dim), np.zeros(model.obs_dim)
    Bm = model.B.detach().cpu().double().numpy()
    b = model.b.detach().cpu().double().numpy() if model.observation == "affine" else np.zeros(model.obs_dim)
    return Bm, b


def alrnn_free_run(model: Any, z0: Array, n_steps: int) -> Array | None:
    """Observations (B, n_steps, N) float64 of free runs of an ALRNN or a plain PLRNN from ``z0`` (B, M);
    ``inf`` after an overflow.  ``None`` for a clipped PLRNN or a model with external inputs."""
    if model.arch not in ("plrnn", "alrnn") or getattr(model, "clipped", True) or model.input_dim != 0:
        return None
    Bm, b = observation_arrays(model)
    A, W, h = (t.detach().cpu().double().numpy() for t in (model.A, model.W_eff, model.h))
    n_lin = int(getattr(model, "linear_units", 0))
    z0 = np.asarray(z0, dtype=np.float64).reshape(-1, model.latent_dim)
    out = np.empty((z0.shape[0], int(n_steps), int(model.obs_dim)))
    for k in range(z0.shape[0]):
        out[k] = almost_linear_free_run(z0[k], A, W, h, Bm, n_steps, linear_units=n_lin, b=b)
    out[~np.isfinite(out)] = np.inf
    return out
