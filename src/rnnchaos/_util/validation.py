"""Input validation shared by every layer. Errors are ``ValueError`` with a message that says
what was wrong and what would be right (docs/architecture.md, "Conventions")."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray


def as_trajectory(x: Any, name: str = "series", min_length: int = 2, dtype: Any = np.float64,
                  allow_nonfinite: bool = False, keep_mapped: bool = False) -> NDArray[Any]:
    """Return ``x`` as a finite 2-D array of shape (T, N); a 1-D array becomes (T, 1).

    Raises ``ValueError`` for non-numeric input, more than two dimensions, fewer than
    ``min_length`` samples, or NaN/inf values (kept when ``allow_nonfinite``: gaps to cut, :mod:`rnnchaos.data.gaps`).
    ``keep_mapped``: a memory-mapped float array (:mod:`rnnchaos.data.mapped`) is returned as it is, not
    copied into ``dtype``, and checked for NaN/inf block by block.
    """
    if keep_mapped and isinstance(x, np.memmap) and x.dtype.kind == "f" and x.ndim == 2:
        if x.shape[0] < min_length:
            raise ValueError(f"{name} has {x.shape[0]} samples; at least {min_length} are needed")
        if not allow_nonfinite:
            check_finite(x, name)
        return x
    try:
        arr = np.asarray(x, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric (time x dims), got {type(x).__name__}: {exc}") from None
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name} must have shape (T, N) or (T,), got shape {arr.shape}")
    if arr.shape[0] < min_length:
        raise ValueError(f"{name} has {arr.shape[0]} samples; at least {min_length} are needed")
    if arr.shape[1] < 1:
        raise ValueError(f"{name} has no columns; expected shape (T, N) with N >= 1")
    if not allow_nonfinite:
        check_finite(arr, name)
    return arr


def check_finite(arr: NDArray[Any], name: str = "input") -> None:
    """Raise ``ValueError`` if ``arr`` holds NaN or inf, naming the first bad index (a memory map is read
    in blocks, :func:`rnnchaos.data.mapped.find_nonfinite`)."""
    if isinstance(arr, np.memmap):
        from rnnchaos.data.mapped import find_nonfinite

        bad_at, kind, _ = find_nonfinite(arr)
        if bad_at is not None:
            raise ValueError(f"{name} contains {kind} at index {bad_at}; all values must be finite")
        return
    finite = np.isfinite(arr)
    if not finite.all():
        bad = np.argwhere(~finite)[0]
        kind = "NaN" if np.isnan(arr[tuple(bad)]) else "inf"
        raise ValueError(f"{name} contains {kind} at index {tuple(int(i) for i in bad)}; all values must be finite")


def positive_int(value: Any, name: str) -> int:
    """Return ``value`` as an int >= 1 or raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return int(value)


def nonnegative_int(value: Any, name: str) -> int:
    """Return ``value`` as an int >= 0 (integral floats accepted) or raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value}")
    return int(value)


def positive_float(value: Any, name: str) -> float:
    """Return ``value`` as a finite float > 0 or raise ``ValueError``."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number, got {value!r}") from None
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return v
