"""Series too large to copy: memory-mapped ``.npy`` files, statistics computed block by block, and a
lazily standardised view.

A ``.npy`` file of at least :data:`MMAP_BYTES` holding a C-ordered float32 or float64 array is opened
with ``np.load(mmap_mode="r")`` (:func:`rnnchaos.data.io.load_series`) instead of being read into a
float64 copy. The functions here read such an array in blocks of about :data:`BLOCK_BYTES` and, after
each block, drop the pages they touched from this process's mapping (``madvise(MADV_DONTNEED)``; the
kernel's page cache keeps them), so that a full pass over a file costs one block of resident memory,
not the file's size:

* :func:`find_nonfinite`: the first NaN/inf and the number of rows holding one (what ``check_finite``
  and ``check_gapless`` report);
* :func:`mean_std`: per-column mean and (population) standard deviation, two passes in float64
  (cost O(T·N), two reads of the file);
* :class:`StandardizedSeries`: ``(x − mean) / std`` computed on the rows asked for (a batch of training
  windows), never for the whole series.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["BLOCK_BYTES", "MMAP_BYTES", "StandardizedSeries", "find_nonfinite", "is_mapped", "iter_blocks",
           "mean_std", "release"]

#: ``.npy`` files of at least this many bytes are memory-mapped rather than read
MMAP_BYTES = 64 * 1024**2
#: bytes of one block of a blockwise pass
BLOCK_BYTES = 8 * 1024**2


def is_mapped(x: Any) -> bool:
    """Whether ``x`` is (a view of) a memory-mapped array."""
    return isinstance(x, np.memmap) and getattr(x, "_mmap", None) is not None


def release(x: Any) -> None:
    """Drop the pages of ``x``'s memory map from this process's resident set (no-op for other arrays or
    where ``madvise`` is unavailable). The data stay readable: a later access reads them again."""
    mm = getattr(x, "_mmap", None) if isinstance(x, np.memmap) else None
    advice = getattr(mmap, "MADV_DONTNEED", None)
    if mm is None or advice is None or not hasattr(mm, "madvise"):
        return
    try:
        mm.madvise(advice)
    except (OSError, ValueError):  # a closed map or a platform that refuses: keep the pages
        pass


def iter_blocks(x: Any, block_bytes: int = BLOCK_BYTES) -> Iterator[tuple[int, NDArray[Any]]]:
    """``(start, x[start:start + rows])`` over the rows of ``x`` (T, N), about ``block_bytes`` a block,
    releasing the mapped pages after each block."""
    n = int(x.shape[0])
    row_bytes = max(1, int(np.prod(x.shape[1:], dtype=np.int64)) * int(x.dtype.itemsize))
    rows = max(1, int(block_bytes) // row_bytes)
    try:
        for start in range(0, n, rows):
            yield start, np.asarray(x[start:start + rows])
            release(x)
    finally:
        release(x)


def find_nonfinite(x: Any) -> tuple[tuple[int, int] | None, str, int]:
    """``(index of the first NaN/inf or None, "NaN" or "inf", number of rows holding one)`` of a (T, N)
    array, read in blocks."""
    first: tuple[int, int] | None = None
    kind = ""
    n_rows = 0
    for start, block in iter_blocks(x):
        finite = np.isfinite(block)
        if finite.all():
            continue
        bad_rows = ~finite.all(axis=1)
        n_rows += int(bad_rows.sum())
        if first is None:
            r, c = (int(v) for v in np.argwhere(~finite)[0])
            first = (start + r, c)
            kind = "NaN" if np.isnan(block[r, c]) else "inf"
    return first, kind, n_rows


def mean_std(x: Any) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per-column mean and population standard deviation (ddof 0) of a (T, N) array, in float64, by two
    blockwise passes (sum, then sum of squared deviations from the mean)."""
    n = int(x.shape[0])
    total = np.zeros(x.shape[1], dtype=np.float64)
    for _, block in iter_blocks(x):
        total += block.sum(axis=0, dtype=np.float64)
    mean = total / n
    squares = np.zeros(x.shape[1], dtype=np.float64)
    for _, block in iter_blocks(x):
        d = block.astype(np.float64) - mean
        squares += np.einsum("ij,ij->j", d, d)
    return mean, np.sqrt(squares / n)


class StandardizedSeries:
    """``(x − mean) / std`` of a (T, N) array ``x`` (typically memory-mapped), computed only for the rows
    that are indexed: ``view[key]`` reads ``x[key]`` and returns it standardised in float64, exactly as
    ``(np.asarray(x, float64) − mean) / std`` would give for those rows. Pages read are released after each
    access (:func:`release`). ``np.asarray(view)`` builds the whole standardised array (avoid it)."""

    ndim = 2

    def __init__(self, x: Any, mean: NDArray[np.float64], std: NDArray[np.float64]) -> None:
        self.base = x
        self.mean = np.asarray(mean, dtype=np.float64)
        self.std = np.asarray(std, dtype=np.float64)
        self.shape: tuple[int, int] = (int(x.shape[0]), int(x.shape[1]))
        self.dtype = np.dtype(np.float64)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key: Any) -> NDArray[np.float64]:
        rows = np.asarray(self.base[key], dtype=np.float64)
        release(self.base)
        return (rows - self.mean) / self.std

    def __array__(self, dtype: Any = None, copy: Any = None) -> NDArray[Any]:
        out = np.empty(self.shape, dtype=dtype or np.float64)
        for start, block in iter_blocks(self.base):
            out[start:start + block.shape[0]] = (block.astype(np.float64) - self.mean) / self.std
        return out
