"""Free-run windows from the slow phase: a multi-step loss where the data do not expand.

Teacher forcing (GTF with α, or STF every τ steps) keeps the loss gradients bounded in chaotic data by pulling
the state back to the data at every step or every τ steps (Hess et al., ICML 2023; Mikhaeil et al., NeurIPS
2022).  The price is that the loss sees the model's dynamics over a few steps only.  In a slow-fast series
such as ECG, the long-term statistic that matters most, the time between heartbeats, is set by the slow
drift between beats: hundreds of steps in which the data move little and do not diverge.  A one-step or
forced loss scores the drift's velocity, but not where 100 steps of it lead (issue #11: the models' beat
intervals scatter 2–4× the data's, and their mean interval is off by up to 35 %).

This loss adds free runs (no forcing at all, plain BPTT, the multi-step prediction or "shooting" loss of
system identification) of ``steps`` K steps, from the latent state inferred from the data at the start of
windows drawn from the *slow phase* only: windows whose every step moves at most the ``quantile``-quantile of
the training data's step lengths ‖x_t − x_{t−1}‖.  There nearby trajectories do not separate much over K
steps, so the free-run gradients stay bounded where a free run across a heartbeat would explode.  The
trainer minimises

    L = L_forced + λ · L_free,     L_free = mean over the windows, steps 1 … K and dimensions of ‖x̂_t − x_t‖²,

with λ = ``free_run_weight`` (:class:`rnnchaos.training.trainer.TrainSettings`), one batch of ``batch_size``
windows per optimizer step, drawn from the trainer's seeded generator (a resumed run draws the same windows).
Windows never cross a boundary between trials.  On ECG (standardised), the median step is 0.040; a quarter
of all 101-step windows lie below it (K = 100), a tenth of the 201-step ones.

Cost: one BPTT pass over ``batch_size`` × (K + 1) steps per optimizer step by the same kernel as the forced
loss (for K = 100 and the forced batch's 200 steps, half as much again).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from rnnchaos.training.loss_weights import step_speeds


class SlowWindowSampler:
    """Batches of (K + 1)-step windows of the training ``trials`` (a list of (T_i, N) arrays, standardised)
    whose every step is at most the ``quantile``-quantile of all steps' lengths; see the module docstring.

    ``sample(rng)`` draws ``batch_size`` windows uniformly from all qualifying ones (B, K + 1, N) float32.
    """

    def __init__(self, trials: list[NDArray[Any]], steps: int, batch_size: int, quantile: float = 0.5) -> None:
        if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 1:
            raise ValueError(f"free-run steps must be a positive integer, got {steps!r}")
        if not (0.0 < float(quantile) <= 1.0):
            raise ValueError(f"the free-run windows' speed quantile must be in (0, 1], got {quantile!r}")
        self.steps = int(steps)
        self.batch_size = int(batch_size)
        arrays = [np.ascontiguousarray(np.asarray(t), dtype=np.float32) for t in trials]
        speeds = [step_speeds(a) for a in arrays]  # (T_i − 1,) each, empty for a one-sample trial
        if not any(v.size for v in speeds):
            raise ValueError("free-run windows need a training series of at least 2 steps")
        #: the largest step length a window may contain (standardised units)
        self.threshold = float(np.quantile(np.concatenate(speeds), float(quantile)))
        starts: list[NDArray[np.int64]] = []
        offset = 0
        for a, v in zip(arrays, speeds, strict=True):
            if len(a) > self.steps:
                slow = sliding_window_view(v, self.steps).max(axis=1) <= self.threshold
                starts.append(offset + np.flatnonzero(slow).astype(np.int64))
            offset += len(a)
        self.starts = np.concatenate(starts) if starts else np.zeros(0, dtype=np.int64)
        if self.starts.size == 0:
            raise ValueError(f"no {self.steps}-step window of the training data moves at most the "
                             f"{float(quantile):g}-quantile step length {self.threshold:.3g} at every step; "
                             "use fewer free-run steps or a larger quantile")
        self.x = arrays[0] if len(arrays) == 1 else np.concatenate(arrays, axis=0)
        #: the share of all (K + 1)-step windows inside a trial that qualify
        self.share = float(self.starts.size / max(1, sum(max(0, len(a) - self.steps) for a in arrays)))
        self._offsets = np.arange(self.steps + 1)

    def sample(self, rng: np.random.Generator) -> NDArray[np.float32]:
        rows = self.starts[rng.integers(0, self.starts.size, size=self.batch_size)]
        return np.asarray(self.x[rows[:, None] + self._offsets], dtype=np.float32)


def free_run_masks(steps: int) -> tuple[NDArray[np.float32], NDArray[np.bool_], NDArray[np.bool_]]:
    """The (m_obs, reset, cut) masks of a plain free run of ``steps`` steps from z_0 = P x_0 (no forcing)."""
    n = int(steps) + 1
    return np.zeros(n, dtype=np.float32), np.zeros(n, dtype=np.bool_), np.zeros(n, dtype=np.bool_)
