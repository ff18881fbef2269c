"""Training data: sources (files or built-in systems), standardisation, time splits, delay embedding
and random batches of subsequences.

A data *source* is either a path to a ``.npy``/``.npz``/``.csv`` file of shape (T, N) (read with
:func:`rnnchaos.data.io.load_series`), a published data set of the catalog (``stf:lorenz63``,
``gtf:ecg``, …: its train file in the shared data directory, :mod:`rnnchaos.data.catalog`), the name of a
built-in system (``lorenz63``, ``rossler``, …, simulated with :func:`rnnchaos.systems.get_system`), or
the stem of a file in a data directory (``stf_lorenz63`` → ``$RNNCHAOS_DATA_DIR/stf_lorenz63.npy``,
the older spelling of ``stf:lorenz63``; :func:`rnnchaos.data.catalog.data_dirs`).  Nothing is read at import time.

Conventions: a series is (T, N) float64; a batch is (B, T, N) float32 (training precision).
Standardisation is a per-dimension z-score whose mean and standard deviation are stored with the
model, so that generated series are returned in data units.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rnnchaos._util.rng import SeedLike, as_generator
from rnnchaos._util.validation import as_trajectory, positive_int
from rnnchaos.data.catalog import CATALOG, data_dirs, entry_files, get_entry, legacy_name, missing_message

#: upper bound on the number of samples simulated for a built-in system (10⁸ samples of 3 floats: 2.4 GB)
MAX_SIM_STEPS = 20_000_000

__all__ = [
    "DataSpec", "SequenceSampler", "Standardizer", "load_source", "shared_data_dir", "split_time",
]


def shared_data_dir() -> Path | None:
    """Directory of the shared reference data sets: ``$RNNCHAOS_DATA_DIR`` or ``<repo>/../shared/data``."""
    env = os.environ.get("RNNCHAOS_DATA_DIR")
    if env:
        return Path(env)
    guess = Path(__file__).resolve().parents[4] / "shared" / "data"
    return guess if guess.is_dir() else None


@dataclass
class DataSpec:
    """Where a training series came from; stored in a run's ``config.json`` so the run can be rebuilt.

    ``kind`` is ``"file"`` (``source`` is a path), ``"system"`` (``source`` is a system name, with
    ``params``, ``n_steps``, ``dt``, ``transient`` and ``seed`` of the simulation) or ``"array"`` (data
    passed in memory; it cannot be reloaded) or ``"trials"`` (several separate series,
    :mod:`rnnchaos.data.trials`; ``trials`` lists each one's ``source``, ``index`` or ``key`` and length
    ``n``).  ``embedding`` is ``None`` or ``{"dim": m, "lag": L}``.
    """

    kind: str
    source: str
    params: dict[str, float] = field(default_factory=dict)
    n_steps: int | None = None
    dt: float | None = None
    transient: int | None = None
    seed: int | None = None
    embedding: dict[str, int] | None = None
    trials: list[dict[str, Any]] | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "source": self.source, "params": dict(self.params),
                             "n_steps": self.n_steps, "dt": self.dt, "transient": self.transient,
                             "seed": self.seed, "embedding": self.embedding}
        if self.trials is not None:
            d["trials"] = [dict(t) for t in self.trials]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DataSpec:
        if not isinstance(d, dict) or d.get("kind") not in ("file", "system", "array", "trials"):
            raise ValueError(f"invalid data spec {d!r}: expected kind 'file', 'system', 'array' or 'trials'")
        trials = d.get("trials")
        if trials is not None and not (isinstance(trials, list) and all(isinstance(t, dict) for t in trials)):
            raise ValueError(f"invalid data spec: 'trials' must be a list of objects, got {trials!r}")
        return cls(kind=str(d["kind"]), source=str(d.get("source", "")),
                   params={str(k): float(v) for k, v in (d.get("params") or {}).items()},
                   n_steps=d.get("n_steps"), dt=d.get("dt"), transient=d.get("transient"),
                   seed=d.get("seed"), embedding=d.get("embedding"), trials=trials)


def _system_names() -> list[str]:
    try:
        from rnnchaos.systems.registry import system_names
    except ImportError:  # pragma: no cover - the systems layer is part of the package
        return []
    return list(system_names())


def load_source(source: str | os.PathLike[str], *, params: dict[str, float] | None = None,
                n_steps: int = 100_000, dt: float | None = None, transient: int = 1000,
                seed: SeedLike = 0, embedding: dict[str, int] | None = None, allow_nonfinite: bool = False
                ) -> tuple[NDArray[np.float64], DataSpec]:
    """Load a training series of shape (T, N) float64 from a file, a built-in system or a shared stem.

    Resolution order: an existing path → a catalog name (``stf:lorenz63``; its train file) → a built-in
    system name → a file ``<stem>.npy`` in a data directory (:func:`rnnchaos.data.catalog.data_dirs`:
    ``$RNNCHAOS_DATA_DIR``, or the user cache that ``rnnchaos data fetch`` fills, then ``../shared/data``).  For a system, ``n_steps`` samples
    spaced ``dt`` (the system's default when None) are simulated after ``transient`` steps, from a seeded
    initial condition.
    ``embedding={"dim": m, "lag": L}`` delay-embeds a scalar series (N = 1) into (T − (m−1)L, m)
    with :func:`rnnchaos.dynamics.embedding.delay_embed`.

    ``allow_nonfinite`` keeps NaN/inf in a file (gaps, :mod:`rnnchaos.data.gaps`).

    Returns ``(x, spec)``; raises ``ValueError`` naming the source when it cannot be resolved.
    """
    text = os.fspath(source)
    from rnnchaos.data.io import load_series

    base = text.rsplit(":", 1)[0] if ".npz:" in text.lower() else text
    if Path(base).exists():
        x = load_series(text, allow_nonfinite=allow_nonfinite)
        spec = DataSpec(kind="file", source=str(Path(base).resolve()) + text[len(base):])
    elif text.strip().lower() in CATALOG:
        train_file, _ = entry_files(text)
        x = load_series(train_file, allow_nonfinite=allow_nonfinite)
        spec = DataSpec(kind="file", source=str(train_file))
    elif _is_system(text):
        from rnnchaos.systems.registry import get_system

        if positive_int(n_steps, "n_steps") > MAX_SIM_STEPS:
            raise ValueError(f"n_steps must be at most {MAX_SIM_STEPS:,} for a simulated system, got {n_steps:,}")
        system = get_system(text, **(params or {}))
        kwargs: dict[str, Any] = {"transient": transient, "seed": seed}
        if dt is not None:
            kwargs["dt"] = dt
        x = np.asarray(system.trajectory(positive_int(n_steps, "n_steps"), **kwargs), dtype=np.float64)
        spec = DataSpec(kind="system", source=text, params=dict(params or {}), n_steps=int(n_steps),
                        dt=dt, transient=transient, seed=seed if isinstance(seed, int) else None)
    else:
        candidate = next((d / f"{text}.npy" for d in data_dirs() if (d / f"{text}.npy").is_file()), None)
        if candidate is not None:
            x = load_series(candidate, allow_nonfinite=allow_nonfinite)
            spec = DataSpec(kind="file", source=str(candidate))
        elif legacy_name(text.strip()) is not None:  # a catalog file not fetched yet: name the fetch command
            raise ValueError(missing_message(get_entry(str(legacy_name(text.strip()))), data_dirs()))
        else:
            names = _system_names()
            hint = f"built-in systems: {', '.join(names)}" if names else "no built-in systems are installed"
            raise ValueError(f"data source {text!r} is neither an existing file (.npy/.npz/.csv) nor a "
                             f"published data set ({', '.join(CATALOG)}) nor a built-in system; {hint}")
    # a memory-mapped file stays mapped (rnnchaos.data.mapped); whoever needs float64 converts what it uses
    x = as_trajectory(x, name=f"data {text!r}", allow_nonfinite=allow_nonfinite, keep_mapped=True)
    if embedding:
        x = embed_scalar(x, dim=int(embedding["dim"]), lag=int(embedding["lag"]))
        spec.embedding = {"dim": int(embedding["dim"]), "lag": int(embedding["lag"])}
    return x, spec


def _is_system(name: str) -> bool:
    if name.strip().lower().startswith("dysts:"):  # the dysts catalogue (optional extra); errors come from get_system
        return True
    key = name.strip().lower().replace("-", "_")
    return key in _system_names()


def embed_scalar(x: NDArray[np.float64], dim: int, lag: int) -> NDArray[np.float64]:
    """Delay-embed a scalar series (T, 1) into (T − (dim−1)·lag, dim) (Takens 1981)."""
    if x.shape[1] != 1:
        raise ValueError(f"delay embedding needs a scalar series (T, 1), got shape {x.shape}")
    dim = positive_int(dim, "embedding dim")
    lag = positive_int(lag, "embedding lag")
    try:
        from rnnchaos.dynamics.embedding import delay_embed
    except ImportError:  # pragma: no cover - the dynamics engine provides it
        span = (dim - 1) * lag
        if x.shape[0] <= span + 1:
            raise ValueError(f"series of length {x.shape[0]} is too short for dim={dim}, lag={lag}") from None
        return np.stack([x[i * lag: x.shape[0] - span + i * lag, 0] for i in range(dim)], axis=1)
    return np.asarray(delay_embed(x[:, 0], dim=dim, lag=lag), dtype=np.float64)


def split_time(x: NDArray[np.float64], test_fraction: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Split (T, N) in time: the first ``(1 − test_fraction)·T`` samples train, the rest test.

    ``test_fraction = 0`` returns the whole series for training and an empty (0, N) test array.
    """
    if not 0.0 <= float(test_fraction) < 1.0:
        raise ValueError(f"test_fraction must be in [0, 1), got {test_fraction}")
    n_test = int(round(float(test_fraction) * x.shape[0]))
    n_train = x.shape[0] - n_test
    return x[:n_train], x[n_train:]


@dataclass
class Standardizer:
    """Per-dimension z-score: ``(x − mean) / std``; ``std`` of a constant dimension is set to 1."""

    mean: NDArray[np.float64]
    std: NDArray[np.float64]

    @classmethod
    def fit(cls, x: NDArray[np.float64]) -> Standardizer:
        x = np.asarray(x, dtype=np.float64)  # float32 pieces of a memory-mapped file: statistics in float64
        mean = x.mean(axis=0)
        std = x.std(axis=0)
        std = np.where(std > 0, std, 1.0)
        return cls(mean=np.asarray(mean, dtype=np.float64), std=np.asarray(std, dtype=np.float64))

    @classmethod
    def fit_blockwise(cls, x: Any) -> Standardizer:
        """As :meth:`fit`, reading ``x`` (a memory map) in blocks (:func:`rnnchaos.data.mapped.mean_std`)."""
        from rnnchaos.data.mapped import mean_std

        mean, std = mean_std(x)
        return cls(mean=mean, std=np.where(std > 0, std, 1.0))

    def transform(self, x: NDArray[Any]) -> NDArray[np.float64]:
        return (np.asarray(x, dtype=np.float64) - self.mean) / self.std

    def inverse(self, x: NDArray[Any]) -> NDArray[np.float64]:
        return np.asarray(x, dtype=np.float64) * self.std + self.mean


class SequenceSampler:
    """Random batches of subsequences that never cross a boundary between trials.

    ``x`` is one (T, N) series or a list of trials (T_i, N) (:mod:`rnnchaos.data.trials`).
    ``sample()`` returns (B, T, N) float32 windows ``x_k[s : s+T]``: the pair (trial k, start s) is drawn
    uniformly from all windows that fit inside one trial, so a trial is chosen with probability
    proportional to its usable length T_k − T + 1.  Trials shorter than ``seq_len`` are never drawn.
    For one series this is the uniform start in [0, T − seq_len] (the same draws as before trials).
    Draws come from the sampler's own seeded Generator, whose state is exposed by
    :meth:`get_state`/:meth:`set_state` so that a resumed run draws exactly the batches an
    uninterrupted one would.  Cost: one gather of B·T·N values and a binary search per window.
    """

    def __init__(self, x: Any, seq_len: int, batch_size: int, seed: SeedLike = 0) -> None:
        self.seq_len = positive_int(seq_len, "seq_len")
        self.batch_size = positive_int(batch_size, "batch_size")
        if self.seq_len < 2:
            raise ValueError(f"seq_len must be at least 2, got {self.seq_len}")
        from rnnchaos.data.mapped import StandardizedSeries

        trials = list(x) if isinstance(x, list | tuple) else [x]
        if len(trials) == 1 and isinstance(trials[0], StandardizedSeries):
            arrays: list[Any] = trials  # standardised window by window as batches are drawn, never copied whole
        else:
            arrays = [np.ascontiguousarray(t, dtype=np.float32) for t in trials]
        if not arrays or any(a.ndim != 2 for a in arrays):
            raise ValueError(f"training data must be a (T, N) series or a list of them, got shapes "
                             f"{[a.shape for a in arrays]}")
        lengths = np.array([a.shape[0] for a in arrays], dtype=np.int64)
        usable = np.maximum(lengths - self.seq_len + 1, 0)
        if usable.sum() == 0:
            shape = arrays[0].shape if len(arrays) == 1 else f"{len(arrays)} trials of at most {lengths.max()} samples"
            raise ValueError(f"training series of shape {shape} is shorter than seq_len={self.seq_len}; "
                             "use a shorter --seq-len or more data")
        self.x = arrays[0] if len(arrays) == 1 else np.concatenate(arrays, axis=0)
        #: first row of each trial in ``self.x``, and the number of windows each trial holds
        self.trial_offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        self.trial_lengths = lengths
        self._cum_usable = np.cumsum(usable)
        self.rng = as_generator(seed)
        self._offsets = np.arange(self.seq_len)

    def draw(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """``batch_size`` (trial, start-within-trial) pairs, uniform over all windows inside a trial."""
        u = self.rng.integers(0, int(self._cum_usable[-1]), size=self.batch_size)
        if len(self.trial_lengths) == 1:
            return np.zeros_like(u), u
        k = np.searchsorted(self._cum_usable, u, side="right")
        before = np.where(k > 0, self._cum_usable[np.maximum(k - 1, 0)], 0)
        return k, u - before

    def sample(self) -> NDArray[np.float32]:
        k, start = self.draw()
        rows = self.trial_offsets[k] + start
        return np.asarray(self.x[rows[:, None] + self._offsets], dtype=np.float32)

    def get_state(self) -> dict[str, Any]:
        return dict(self.rng.bit_generator.state)

    def set_state(self, state: dict[str, Any]) -> None:
        self.rng.bit_generator.state = state
