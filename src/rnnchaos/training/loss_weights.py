"""Per-step weights of the training loss: the speed weighting for slow-fast series.

In a slow-fast series the mean squared error of (teacher-forced) predictions is set by the fast phase.  On
ECG (issue #11) a heartbeat lasts about 50 steps and the slow drift between beats about 600: the steps that
move less than 0.01 (standardised units) are 21 % of the data but carry 3-7 % of the loss of the trained
models, whose one-step velocity error there is 54-120 % of the data's speed (rms) and whose 50-step free
runs from the slow phase miss the data's displacement by 68-82 % (rms; ``experiments/ecg_slow_phase_error.py``).
The time between beats is the time the slow drift takes, so an error there that the loss hardly sees sets the
heartbeat's timing in the free run.

The speed weights move the loss towards relative rather than absolute velocity errors (as a relative error
norm does for stiff systems):

    w_t = c / (s_t + s₀)^p,     s_t = ‖x_t − x_{t−1}‖,

with s₀ the median of s over the training data (so the weights do not diverge where the data stand still)
and c chosen so that the mean weight over the training data is 1 (the loss stays on the scale of the mean
squared error).  ``speed`` is p = 1, ``speed2`` p = 2 (the squared relative error).  On ECG the slowest step
weighs 18× (p = 1) or 336× (p = 2) the fastest; for the trained models above the slow steps' share of the
loss becomes 10 % (p = 1) or 19 % (p = 2) instead of 3 %, the heartbeat's 14 % or 3 % instead of 47 %.
The weights come from the clean training data of each batch, before any training noise is added.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

#: loss weightings of :class:`rnnchaos.training.trainer.TrainSettings` (``loss_weights``)
LOSS_WEIGHTINGS = ("none", "speed", "speed2")
#: the power p of each speed weighting
SPEED_POWERS = {"speed": 1, "speed2": 2}


def step_speeds(x: NDArray[Any]) -> NDArray[np.float64]:
    """s_t = ‖x_t − x_{t−1}‖ along the last axis of ``x`` (..., T, N): shape (..., T − 1)."""
    a = np.asarray(x, dtype=np.float64)
    return np.linalg.norm(np.diff(a, axis=-2), axis=-1)


class SpeedWeights:
    """w_t = c / (s_t + s₀)^p for the training series ``trials`` (a list of (T_i, N) arrays; speeds never
    cross a trial boundary); see the module docstring."""

    def __init__(self, trials: list[NDArray[Any]], power: int = 1) -> None:
        if power not in (1, 2):
            raise ValueError(f"the speed weights' power must be 1 or 2, got {power!r}")
        self.power = int(power)
        speeds = np.concatenate([step_speeds(t) for t in trials if len(t) >= 2])
        if speeds.size == 0:
            raise ValueError("speed loss weights need a training series of at least 2 steps")
        self.s0 = float(np.median(speeds))
        if not (np.isfinite(self.s0) and self.s0 > 0):
            raise ValueError("speed loss weights need training data that move: the median step is 0")
        self.c = float(1.0 / np.mean((speeds + self.s0) ** -self.power))

    def __call__(self, X: NDArray[Any]) -> NDArray[np.float32]:
        """Weights (B, T) of the batch ``X`` (B, T, N); column 0 (no loss there) is 1."""
        w = np.ones(X.shape[:2], dtype=np.float32)
        w[:, 1:] = self.c * (step_speeds(X) + self.s0) ** -self.power
        return w
