"""Series with gaps: cut a recording into separate trials at its runs of NaN/inf rows.

Real recordings (EEG, ECG, field sensors) have artefact gaps stored as NaN.  Concatenating the clean
segments would make training sequences run across the jumps; instead :func:`split_at_gaps` cuts the
series at every run of non-finite rows (a row is non-finite when any of its N values is NaN or ±inf),
keeps the finite segments of at least ``min_length`` samples as separate trials
(:mod:`rnnchaos.data.trials`: a :class:`rnnchaos.data.datasets.SequenceSampler` never draws a window
across a trial boundary) and reports what it kept and dropped.

Cost: one pass over the series (``np.isfinite`` and a run-length scan), O(T·N); the trials are views of
the input, nothing is copied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rnnchaos._util.validation import positive_int

__all__ = ["NAN_POLICIES", "GapSplit", "finite_segments", "split_at_gaps", "split_trials_at_gaps"]

#: what training does with NaN/inf in a series: refuse it (``error``) or cut it into trials (``split``)
NAN_POLICIES = ("error", "split")


def finite_segments(x: NDArray[Any]) -> list[tuple[int, int]]:
    """``[(start, stop), ...]``: the maximal runs of rows of ``x`` (T, N) whose values are all finite."""
    arr = np.asarray(x)
    ok = np.isfinite(arr).all(axis=1) if arr.ndim == 2 else np.isfinite(arr)
    edges = np.flatnonzero(np.diff(np.concatenate([[False], ok, [False]]).astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


@dataclass
class GapSplit:
    """The result of :func:`split_at_gaps`: the kept trials, their (start, stop) rows in the input, and
    counts of what was kept and dropped (``report()``, stored in a run's ``config.json``)."""

    trials: list[NDArray[Any]]
    kept: list[tuple[int, int]]
    dropped: list[tuple[int, int]]
    n_gaps: int
    n_nonfinite_rows: int
    min_length: int
    n_rows: int

    def report(self) -> dict[str, Any]:
        """``n_gaps``, ``n_nonfinite_rows``, ``min_length``, ``n_trials_kept``/``n_trials_dropped`` and
        ``n_samples_kept``/``n_samples_dropped`` (finite samples in segments shorter than ``min_length``)."""
        return {"n_gaps": self.n_gaps, "n_nonfinite_rows": self.n_nonfinite_rows, "min_length": self.min_length,
                "n_trials_kept": len(self.kept), "n_trials_dropped": len(self.dropped),
                "n_samples_kept": sum(b - a for a, b in self.kept),
                "n_samples_dropped": sum(b - a for a, b in self.dropped)}


def split_at_gaps(x: Any, min_length: int, name: str = "series") -> GapSplit:
    """Cut ``x`` (T, N) or (T,) into its finite segments and keep those of at least ``min_length`` rows.

    A gap is a maximal run of rows holding NaN or inf (in any column); a series without gaps comes back
    as one trial.  Raises ``ValueError`` when no row is finite or when no segment is long enough (naming
    the longest one), so that training never starts on nothing.
    """
    min_length = positive_int(min_length, "min_length")
    arr = np.asarray(x)
    if arr.dtype.kind not in "iuf":
        raise ValueError(f"{name} has dtype {arr.dtype}; a real numeric array (float or int) is needed")
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name} must have shape (T, N) or (T,), got shape {arr.shape}")
    segments = finite_segments(arr)
    n_finite = sum(b - a for a, b in segments)
    if not segments:
        raise ValueError(f"{name} has no finite sample: all {arr.shape[0]} rows hold NaN or inf; nothing to train on")
    n_gaps = len(segments) - 1 + int(segments[0][0] > 0) + int(segments[-1][1] < arr.shape[0])
    kept = [s for s in segments if s[1] - s[0] >= min_length]
    dropped = [s for s in segments if s[1] - s[0] < min_length]
    if not kept:
        longest = max(b - a for a, b in segments)
        raise ValueError(f"cutting {name} at its {n_gaps} gap(s) of NaN/inf leaves no trial of at least "
                         f"{min_length} samples (the sequence length; the longest finite piece has {longest}); "
                         "use a shorter --seq-len or fill the gaps")
    return GapSplit(trials=[arr[a:b] for a, b in kept], kept=kept, dropped=dropped, n_gaps=n_gaps,
                    n_nonfinite_rows=int(arr.shape[0] - n_finite), min_length=min_length, n_rows=int(arr.shape[0]))


def split_trials_at_gaps(trials: Sequence[Any], min_length: int, name: str = "data"
                         ) -> tuple[list[NDArray[Any]], dict[str, Any]]:
    """:func:`split_at_gaps` on each of ``trials``: returns (all kept pieces in order, a summed report
    with ``n_trials_in`` and, per input trial, its kept ``(start, stop)`` rows under ``pieces``)."""
    pieces: list[NDArray[Any]] = []
    report: dict[str, Any] = {"n_trials_in": len(trials), "n_gaps": 0, "n_nonfinite_rows": 0, "min_length": int(min_length),
              "n_trials_kept": 0, "n_trials_dropped": 0, "n_samples_kept": 0, "n_samples_dropped": 0}
    rows: list[list[list[int]]] = []
    errors: list[str] = []
    for i, t in enumerate(trials):
        label = name if len(trials) == 1 else f"{name}, trial {i}"
        try:
            g = split_at_gaps(t, min_length, name=label)
        except ValueError as exc:
            if len(trials) == 1:
                raise
            errors.append(str(exc))
            arr = np.asarray(t)
            segs = finite_segments(arr if arr.ndim == 2 else arr[:, None])
            report["n_trials_dropped"] += len(segs)
            report["n_samples_dropped"] += sum(b - a for a, b in segs)
            report["n_nonfinite_rows"] += int(arr.shape[0]) - sum(b - a for a, b in segs)
            rows.append([])
            continue
        pieces.extend(g.trials)
        for key, value in g.report().items():
            if key != "min_length":
                report[key] += value
        rows.append([[a, b] for a, b in g.kept])
    if not pieces:
        raise ValueError(f"no trial of {name} keeps a finite piece of at least {min_length} samples: {errors[0]}")
    report["pieces"] = rows
    return pieces, report
