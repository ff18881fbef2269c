"""The scrambling paper's grid test for period 3, re-implemented faithfully (for comparison only).

Chatziafratis, Panageas, Sanford & Stavroulakis (NeurIPS 2022) released notebooks
(github.com/steliostavroulakis/Chaos_RNNs, ``NEW_DEPTH_2_RNNs_and_Chaos_Period_3_Probability_RNNs.ipynb``)
that call a network "chaotic" when, on the grid ``x = linspace(-1, 1, 163)``, the number of sign changes
of ``x - F(x)`` exceeds that of ``x - f(x)``. Sign changes are counted between consecutive grid points
``(i-1, i)`` for ``i = 1..161`` (the last pair is skipped) plus exact zeros at interior points with a sign
change across them.

By a bug, ``F`` is ``f^4`` (the notebook stores ``f(x)`` in the array and then applies ``f`` three more
times), so the test counts fixed points of ``f^4`` -- 2- and 4-cycles, which do not imply chaos.
``power=4`` reproduces the published test; ``power=3`` is the intended one. Even corrected, a grid on
``[-1, 1]`` misses 3-cycles outside the window or between grid points, and can be fooled by fixed points
of ``f`` that the grid resolves differently for ``f`` and ``f^3``. Cost O(T * 163 * power * width).
"""

from __future__ import annotations

import numpy as np

from rnnchaos.maps1d.batch import Params, batch_eval

GRID_POINTS = 163
WINDOW = 1.0


def _sign_changes(x: np.ndarray, F: np.ndarray) -> np.ndarray:
    d = x[None, :] - F
    n = d.shape[1]
    count = np.zeros(d.shape[0], dtype=np.int64)
    for i in range(1, n - 1):
        count += (d[:, i - 1] * d[:, i] < 0)
        count += (d[:, i] == 0) & (d[:, i - 1] * d[:, i + 1] < 0)
    return count


def grid_period3(params: Params, power: int = 4, hidden: str = "relu", output: str = "identity",
                 n_points: int = GRID_POINTS, window: float = WINDOW, chunk: int = 500) -> np.ndarray:
    """The notebooks' test for a batch of networks: True where ``#sign changes of x - f^power(x)`` exceeds
    ``#sign changes of x - f(x)`` on ``linspace(-window, window, n_points)``."""
    if power < 1:
        raise ValueError(f"power must be >= 1, got {power}")
    T = params["w"].shape[0]
    x = np.linspace(-window, window, n_points)
    out = np.zeros(T, dtype=bool)
    for s in range(0, T, chunk):
        rows = np.arange(s, min(T, s + chunk))
        X = np.broadcast_to(x, (rows.size, n_points)).copy()
        F1 = batch_eval(params, X, hidden, output, rows)
        Fp = F1
        for _ in range(power - 1):
            Fp = batch_eval(params, Fp, hidden, output, rows)
        out[rows] = _sign_changes(x, Fp) - _sign_changes(x, F1) > 0
    return out
