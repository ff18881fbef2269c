"""Expanding a sweep grid into trials with deterministic ids and seeds.

Each trial's parameters are the fixed parameters plus one point of the cartesian product of the
grid lists (last axis fastest). Its **id** is the first 16 hex digits of the SHA-256 of the
canonical JSON of ``{"function": ..., "params": ...}`` (sorted keys, so independent of the order of
keys in the file; ``1`` and ``1.0`` differ). Its **seed** is the explicit ``seed`` parameter if
the config gives one, otherwise it is derived from the sweep seed and the id with NumPy's
``SeedSequence`` (O'Neill's PCG seeding, 2015): 63 bits, independent of the order and the machine
the trials run on, and different for every trial. Cost: O(number of trials).
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnnchaos.sweep.config import SweepConfig

__all__ = ["Trial", "derive_seed", "expand", "trial_id"]


@dataclass(frozen=True)
class Trial:
    """One point of a sweep: ``index`` in grid order, ``id``, ``seed``, the grid point and the full
    parameter dict passed to the trial function (fixed + grid point + ``seed``)."""

    index: int
    id: str
    seed: int
    point: dict[str, Any]
    params: dict[str, Any]


def trial_id(function: str, params: dict[str, Any]) -> str:
    """Deterministic 16-hex-digit id of a trial: SHA-256 of its canonical JSON description."""
    text = json.dumps({"function": function, "params": params}, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=True, allow_nan=False)
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:16]


def derive_seed(sweep_seed: int, tid: str) -> int:
    """Seed in [0, 2**63) derived from the sweep seed and a trial id via ``numpy.random.SeedSequence``."""
    words = [int(tid[i:i + 8], 16) for i in range(0, len(tid), 8)]
    entropy = [sweep_seed & 0xFFFFFFFF, (sweep_seed >> 32) & 0xFFFFFFFF, *words]
    state = np.random.SeedSequence(entropy).generate_state(1, dtype=np.uint64)
    return int(state[0] >> np.uint64(1))


def expand(config: SweepConfig) -> list[Trial]:
    """All trials of ``config`` in grid order (last grid axis varying fastest)."""
    keys = list(config.grid)
    trials = []
    for index, values in enumerate(itertools.product(*(config.grid[k] for k in keys))):
        point = dict(zip(keys, values, strict=True))
        params = {**config.fixed, **point}
        tid = trial_id(config.function, params)
        seed = int(params["seed"]) if "seed" in params else derive_seed(config.seed, tid)
        trials.append(Trial(index=index, id=tid, seed=seed, point=point, params={**params, "seed": seed}))
    return trials
