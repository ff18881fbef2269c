"""Seeding: every random function takes a ``seed`` (int, None or a Generator); no global seeding."""

from __future__ import annotations

import numpy as np

SeedLike = int | np.random.Generator | np.random.SeedSequence | None


def as_generator(seed: SeedLike) -> np.random.Generator:
    """Return a NumPy ``Generator`` from an int, a SeedSequence, a Generator (returned as is) or None."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool):
        raise ValueError(f"seed must be an integer or a numpy Generator, got {seed!r}")
    if seed is not None and not isinstance(seed, int | np.integer | np.random.SeedSequence):
        raise ValueError(f"seed must be an integer or a numpy Generator, got {seed!r}")
    return np.random.default_rng(seed)
