"""Data sets made of several separate series (trials): loading, validation and the train/test split.

A data set may be several recordings that do not continue one another (trials of an experiment,
separate sessions).  Training sequences and evaluation must never cross the boundary between two of
them, so they are kept as a list of (T_i, N) float64 arrays, never concatenated in time for sampling.

Sources (:func:`load_trials`): several ``--data`` arguments, a glob pattern (``"runs/trial_*.npy"``,
sorted), an ``.npz`` archive with several arrays (each one a trial, in archive order; ``file.npz:key``
still selects one), or a ``.npy`` array of shape trials × time × dims.  Every other source is one trial
(:func:`rnnchaos.data.datasets.load_source`), so a single 2-D series behaves exactly as before.

Split (:func:`split_trials`): the held-out part is the last ``test_fraction`` of the **last** trial, so
the test series is one contiguous segment and, for a single trial, the split is the plain time split of
:func:`rnnchaos.data.datasets.split_time`; every other trial is used for training in full.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rnnchaos._util.validation import as_trajectory

Source = str | os.PathLike[str]

__all__ = ["as_trials", "check_gapless", "load_trials", "split_trials", "test_series"]


def as_trials(x: Any, name: str = "training data", min_length: int = 2,
              allow_nonfinite: bool = False) -> list[NDArray[np.float64]]:
    """``x`` as a list of finite (T_i, N) float64 trials: a (T, N) or (T,) array is one trial, a
    (K, T, N) array or a list/tuple of arrays are K trials.  All trials must have the same N.
    ``allow_nonfinite`` keeps NaN/inf (gaps, cut by :func:`rnnchaos.data.gaps.split_trials_at_gaps`)."""
    if isinstance(x, list | tuple):
        items = list(x)
    else:
        arr = x if isinstance(x, np.memmap) else np.asarray(x)  # a memory map stays one (no copy)
        items = list(arr) if arr.ndim == 3 else [arr]
    if not items:
        raise ValueError(f"{name} holds no trial; give a (T, N) array or a list of (T_i, N) arrays")
    trials = [as_trajectory(a, name=name if len(items) == 1 else f"{name}, trial {i}", min_length=min_length,
                            allow_nonfinite=allow_nonfinite, keep_mapped=True)
              for i, a in enumerate(items)]
    dims = {t.shape[1] for t in trials}
    if len(dims) > 1:
        raise ValueError(f"the trials of {name} have different numbers of columns {sorted(dims)}; "
                         "every trial must have the same dimensions N")
    return trials


def check_gapless(x: NDArray[Any], name: str, nan: str) -> None:
    """Under ``nan="error"``, refuse NaN/inf with a message that names the way out (``--nan split``)."""
    if nan == "error" and isinstance(x, np.memmap):  # read in blocks (rnnchaos.data.mapped)
        from rnnchaos.data.mapped import find_nonfinite

        bad_at, kind, n_rows = find_nonfinite(x)
        if bad_at is not None:
            raise ValueError(f"{name} contains {kind} at index {bad_at} ({n_rows} non-finite rows); pass --nan split "
                             "(nan='split') to cut the series into trials at its gaps, or remove them")
        return
    if nan == "error" and not np.isfinite(x).all():
        bad = np.argwhere(~np.isfinite(x))[0]
        kind = "NaN" if np.isnan(x[tuple(bad)]) else "inf"
        n_rows = int((~np.isfinite(x).all(axis=1)).sum())
        raise ValueError(f"{name} contains {kind} at index {tuple(int(i) for i in bad)} ({n_rows} non-finite rows); "
                         "pass --nan split (nan='split') to cut the series into trials at its gaps, or remove them")


def _expand(sources: Source | Sequence[Source]) -> list[str]:
    items = [sources] if isinstance(sources, str | os.PathLike) else list(sources)
    if not items:
        raise ValueError("no data source given")
    out: list[str] = []
    for s in items:
        text = os.fspath(s)
        if any(c in text for c in "*?[") and not Path(text).exists():
            matches = sorted(glob.glob(text))
            if not matches:
                raise ValueError(f"no file matches the pattern {text!r}")
            out.extend(matches)
        else:
            out.append(text)
    return out


def _multi_array(text: str) -> tuple[list[NDArray[Any]], list[dict[str, Any]]] | None:
    """Trials stored in one file (a 3-D ``.npy``, an ``.npz`` with several arrays), or None."""
    from rnnchaos.data.io import DEFAULT_MAX_BYTES, _load_npy, _load_npz

    path = Path(text)
    if not path.is_file() or path.stat().st_size > DEFAULT_MAX_BYTES:
        return None  # load_source reports a missing or oversized file
    ext = path.suffix.lower()
    src = str(path.resolve())
    if ext == ".npy":
        try:  # the header only: a 2-D series is left to load_source, read once
            ndim = np.load(path, mmap_mode="r", allow_pickle=False).ndim
        except Exception:  # a bad file: load_source reports it
            return None
        if ndim != 3:
            return None
        arr = _load_npy(path, text)
        return list(arr), [{"source": src, "index": i} for i in range(arr.shape[0])]
    if ext == ".npz":
        try:
            with np.load(path, allow_pickle=False) as archive:
                keys = list(archive.files)
        except Exception:  # let load_source report the unreadable archive
            return None
        if len(keys) < 2:
            return None
        return [_load_npz(path, k, text) for k in keys], [{"source": src, "key": k} for k in keys]
    return None


def load_trials(sources: Source | Sequence[Source], *, embedding: dict[str, int] | None = None,
                nan: str = "error", **source_kwargs: Any) -> tuple[list[NDArray[np.float64]], Any]:
    """Load the trials of ``sources`` (see the module docstring) as (T_i, N) float64 arrays.

    ``embedding`` delay-embeds each trial separately; ``source_kwargs`` go to
    :func:`rnnchaos.data.datasets.load_source`.  Returns ``(trials, spec)``: for one 2-D source the
    spec of :func:`load_source` unchanged, otherwise a :class:`rnnchaos.data.datasets.DataSpec` of kind
    ``"trials"`` listing each trial's source (and ``index`` or ``key``) and length.

    ``nan``: ``"error"`` refuses NaN/inf with a message naming ``--nan split``; ``"split"`` keeps them,
    for :func:`rnnchaos.data.gaps.split_trials_at_gaps` to cut the trials at their gaps.
    """
    from rnnchaos.data.datasets import DataSpec, embed_scalar, load_source
    from rnnchaos.data.gaps import NAN_POLICIES

    if nan not in NAN_POLICIES:
        raise ValueError(f"nan must be one of {', '.join(NAN_POLICIES)}, got {nan!r}")
    texts = _expand(sources)
    trials: list[NDArray[np.float64]] = []
    records: list[dict[str, Any]] = []
    single_spec = None
    for text in texts:
        multi = _multi_array(text)
        if multi is None:
            x, spec = load_source(text, embedding=embedding, allow_nonfinite=True, **source_kwargs)
            check_gapless(x, f"data {text!r}", nan)
            trials.append(x)
            records.append({"source": spec.source})
            single_spec = spec
            continue
        arrays, recs = multi
        for a, rec in zip(arrays, recs, strict=True):
            label = f"{text}[{rec.get('index', rec.get('key'))}]"
            x = as_trajectory(a, name=f"data {label!r}", allow_nonfinite=True)
            check_gapless(x, f"data {label!r}", nan)
            if embedding:
                x = embed_scalar(x, dim=int(embedding["dim"]), lag=int(embedding["lag"]))
            trials.append(x)
            records.append(rec)
    trials = as_trials(trials, name="data", allow_nonfinite=True)
    if len(trials) == 1 and single_spec is not None:
        return trials, single_spec
    for rec, t in zip(records, trials, strict=True):
        rec["n"] = int(t.shape[0])
    spec = DataSpec(kind="trials", source=texts[0] if len(texts) == 1 else " + ".join(texts),
                    embedding=None if not embedding else {"dim": int(embedding["dim"]), "lag": int(embedding["lag"])},
                    trials=records)
    return trials, spec


def split_trials(trials: Sequence[NDArray[np.float64]], test_fraction: float
                 ) -> tuple[list[NDArray[np.float64]], NDArray[np.float64]]:
    """Hold out the last ``test_fraction`` of the last trial: returns (training trials, test series).

    The training trials are all trials but the last, plus the first part of the last one (dropped when
    it has fewer than 2 samples).  ``test_fraction = 0`` trains on everything and returns an empty
    (0, N) test array.
    """
    from rnnchaos.data.datasets import split_time

    trials = list(trials)
    head, test = split_time(trials[-1], test_fraction)
    train = trials[:-1] + ([head] if head.shape[0] >= 2 else [])
    if not train:
        raise ValueError(f"test_fraction={test_fraction} leaves no training data; use a smaller --test-fraction")
    return train, test


def test_series(data: dict[str, Any], split: dict[str, Any]) -> NDArray[np.float64]:
    """The held-out series of a several-trial run, rebuilt from its ``config.json`` sections ``data``
    (kind ``"trials"``) and ``split``: the last ``n_test`` samples of the last trial (after cutting at gaps
    of NaN/inf, when ``split["gaps"]`` records that the run did).  A run trained
    without a test part has no single series to score against (ValueError)."""
    records = data.get("trials") or []
    sources = list(dict.fromkeys(str(r["source"]) for r in records if isinstance(r, dict) and "source" in r))
    if not sources:
        raise ValueError("the run's config.json lists no trial sources; pass the test series with --test FILE")
    n_test = int(split.get("n_test") or 0)
    if n_test <= 0:
        raise ValueError("this run was trained on several trials without a test part; there is no single series "
                         "to score against, pass one with --test FILE")
    gaps = split.get("gaps")
    trials, _ = load_trials(sources, embedding=data.get("embedding"), nan="split" if gaps else "error")
    if isinstance(gaps, dict):  # cut at the gaps as the training did (rnnchaos.data.gaps)
        from rnnchaos.data.gaps import split_trials_at_gaps

        trials, _ = split_trials_at_gaps(trials, int(gaps.get("min_length") or 2))
    return trials[-1][-n_test:]
