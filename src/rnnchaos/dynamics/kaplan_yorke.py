"""Kaplan–Yorke (Lyapunov) dimension of an attractor from its Lyapunov spectrum.

Kaplan & Yorke (1979), "Chaotic behavior of multidimensional difference equations":
with the exponents sorted descending and ``j`` the largest index for which the partial sum
``λ_1 + ... + λ_j`` is still non-negative,

    D_KY = j + (λ_1 + ... + λ_j) / |λ_{j+1}|.

Conventions: ``D_KY = 0`` when ``λ_1 < 0`` (a stable fixed point or cycle); ``D_KY = k`` (the number
of exponents given) when every partial sum is non-negative, since then the dimension cannot be
resolved from the exponents available (give more exponents). Units cancel, so per-step and per-time
exponents give the same dimension. Cost: O(k log k).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def kaplan_yorke_dimension(exponents: Any) -> float:
    """Return the Kaplan–Yorke dimension of a spectrum (any order; it is sorted descending first).

    ``exponents`` is a 1-D array of finite Lyapunov exponents (``-inf`` is allowed: a direction that
    collapses exactly). Raises ``ValueError`` for an empty, multi-dimensional or NaN input.
    """
    lam = np.asarray(exponents, dtype=np.float64)
    if lam.ndim != 1 or lam.size == 0:
        raise ValueError(f"exponents must be a non-empty 1-D array, got shape {lam.shape}")
    if np.isnan(lam).any() or np.isposinf(lam).any():
        raise ValueError("exponents contain NaN or +inf; a Lyapunov spectrum must be finite or -inf")
    lam = np.sort(lam)[::-1]
    if lam[0] < 0:
        return 0.0
    partial = np.cumsum(lam)
    nonneg = np.nonzero(partial >= 0)[0]
    j = int(nonneg[-1]) + 1  # number of exponents whose partial sum is >= 0
    if j >= lam.size:
        return float(lam.size)
    nxt = lam[j]
    if not np.isfinite(nxt):
        return float(j)
    return float(j + partial[j - 1] / abs(nxt))
