"""The catalog of published data sets in the shared data directory, named ``<paper>:<series>``.

The prefix names the paper whose repository the file comes from, so that a file can never be taken
for a built-in system (``lorenz63`` is simulated by ``rnnchaos.systems``; ``stf:lorenz63`` is the series
of Mikhaeil, Monfared & Durstewitz 2022):

* ``stf:`` -- "On the difficulty of learning chaotic dynamics with RNNs" (NeurIPS 2022),
  DurstewitzLab/ChaosRNN @0e84b30; one series each (train/test by a time split);
* ``gtf:`` -- Hess, Monfared, Brenner & Durstewitz, "Generalized teacher forcing for learning chaotic
  dynamics" (ICML 2023), DurstewitzLab/GTF-shPLRNN @b6172ce;
* ``dendplrnn:`` -- Brenner et al., "Tractable dendritic RNNs for reconstructing nonlinear dynamical
  systems" (ICML 2022), DurstewitzLab/dendPLRNN @368ed04; separate train and test files.

``CATALOG`` maps each name to a ``DatasetEntry`` (file names relative to a data directory, see
:func:`data_dirs`). The repository, pinned commit, path, sha256, size and shape of every file are in
``sources.json`` beside this module (:func:`sources`), from which ``rnnchaos data fetch``
(:mod:`rnnchaos.data.fetch`) downloads them. ``rnnchaos train --data stf:lorenz63`` trains on the entry's
train file; ``rnnchaos reproduce stf-tau-sweep --dataset stf:lorenz63`` loads the same file. Nothing is
read at import time. The provenance of every file is in the data directory's README.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["CATALOG", "DatasetEntry", "get_entry", "entry_files", "legacy_name", "data_dirs", "fetch_dir",
           "user_cache_dir", "sources", "missing_message", "resolve_file"]


@dataclass(frozen=True)
class DatasetEntry:
    """One published data set: ``train_file`` (and ``test_file``, or None when the paper used one series
    split in time) in the data directory, its number of observed dimensions ``dims``, the repository
    and path it was taken from (``source``) and a one-line ``description``."""

    name: str
    train_file: str
    test_file: str | None
    dims: int
    source: str
    description: str


_CHAOS_RNN = "DurstewitzLab/ChaosRNN @0e84b30 : datasets/"
_GTF = "DurstewitzLab/GTF-shPLRNN @b6172ce : ICML2023_datasets/"
_DEND = "DurstewitzLab/dendPLRNN @368ed04 : BPTT_TF/Experiments/Table1/"

CATALOG: dict[str, DatasetEntry] = {e.name: e for e in (
    DatasetEntry("stf:lorenz63", "stf_lorenz63.npy", None, 3, _CHAOS_RNN + "Lorenz/lorenz_data_chaos.npy",
                 "Lorenz-63, affinely rescaled, 100,000 steps"),
    DatasetEntry("stf:lorenz63_yz", "stf_lorenz63_yz.npy", None, 2, _CHAOS_RNN + "Lorenz/lorenz_2d_chaos.npy",
                 "the same Lorenz-63 trajectory, only (y, z) observed"),
    DatasetEntry("stf:rossler", "stf_rossler.npy", None, 3, _CHAOS_RNN + "Roessler_chaos_rosenstein.npy",
                 "Rossler attractor, 100,000 steps"),
    DatasetEntry("stf:duffing_forced", "stf_duffing_forced.npy", None, 3, _CHAOS_RNN + "duffing_data_chaos.npy",
                 "forced Duffing oscillator; column 3 is the observed periodic drive"),
    DatasetEntry("stf:weather_tde", "stf_weather_tde.npy", None, 5,
                 _CHAOS_RNN + "weather_datasets/tde_temperature_MoreSmoothedNoYearShort.npy",
                 "Jena air temperature, detrended, delay-embedded, z-scored (real data)"),
    DatasetEntry("stf:eeg_tde", "stf_eeg_tde.npy", None, 10, _CHAOS_RNN + "EEGf/tde_eegf.npy",
                 "delay-embedded EEG, z-scored (real data)"),
    DatasetEntry("gtf:ecg", "ecg_5d_train.npy", "ecg_5d_test.npy", 5,
                 _GTF + "ECG/ECG_pecuzal_5d_{train,test}.npy",
                 "human ECG, 5-D PECUZAL delay embedding, separate train and test segments (real data)"),
    DatasetEntry("gtf:eeg64", "eeg_64ch.npy", None, 64, _GTF + "EEG/EEG_train.npy",
                 "64-channel EEG, z-scored; the source ships the same array as train and test (real data)"),
    DatasetEntry("dendplrnn:lorenz96", "lorenz96_10d_train.npy", "lorenz96_10d_test.npy", 10,
                 _DEND + "Lorenz96/data/", "Lorenz-96 with 10 variables, z-scored, about 1% noise on train"),
    DatasetEntry("dendplrnn:bursting_neuron", "bursting_neuron_train.npy", "bursting_neuron_test.npy", 3,
                 _DEND + "BurstingNeuron/data/", "biophysical bursting-neuron model, z-scored"),
)}


def legacy_name(stem: str) -> str | None:
    """The catalog name of a data file's stem, the older spelling (``stf_lorenz63`` -> ``stf:lorenz63``,
    ``ecg_5d_train`` -> ``gtf:ecg``); None when ``stem`` is no catalog entry's train file."""
    for entry in CATALOG.values():
        if stem == Path(entry.train_file).stem:
            return entry.name
    return None


def get_entry(name: str) -> DatasetEntry:
    """The catalog entry ``name`` (e.g. ``"stf:lorenz63"``); ``ValueError`` listing the names otherwise."""
    entry = CATALOG.get(name.strip().lower())
    if entry is None:
        raise ValueError(f"unknown data set {name!r}; the catalog has {', '.join(CATALOG)}")
    return entry


def user_cache_dir() -> Path:
    """The per-user cache directory for fetched data, as ``platformdirs.user_cache_dir("rnnchaos")`` picks it:
    ``$XDG_CACHE_HOME/rnnchaos`` (default ``~/.cache/rnnchaos``) on Linux, ``~/Library/Caches/rnnchaos``
    on macOS, ``%LOCALAPPDATA%\\rnnchaos\\Cache`` on Windows."""
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "rnnchaos" / "Cache"
    if sys.platform == "darwin":  # pragma: no cover - exercised on macOS only
        return Path.home() / "Library" / "Caches" / "rnnchaos"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return Path(xdg if xdg and os.path.isabs(xdg) else Path.home() / ".cache") / "rnnchaos"


def _repo_data_dir() -> Path | None:
    guess = Path(__file__).resolve().parents[4] / "shared" / "data"
    return guess if guess.is_dir() else None


def data_dirs() -> list[Path]:
    """Where data set files are looked for, in order: ``$RNNCHAOS_DATA_DIR`` alone when it is set; otherwise
    the user cache directory (:func:`user_cache_dir`, where ``rnnchaos data fetch`` puts them) and then the
    checkout's ``../shared/data`` when it exists."""
    env = os.environ.get("RNNCHAOS_DATA_DIR")
    if env:
        return [Path(env)]
    repo = _repo_data_dir()
    return [user_cache_dir()] + ([repo] if repo is not None else [])


def fetch_dir() -> Path:
    """Where ``rnnchaos data fetch`` writes by default: ``$RNNCHAOS_DATA_DIR`` when set, else the user cache."""
    env = os.environ.get("RNNCHAOS_DATA_DIR")
    return Path(env) if env else user_cache_dir()


@functools.cache
def sources() -> dict[str, Any]:
    """The parsed ``sources.json``: ``base_url``, ``repositories`` (commit, licence) and ``files`` (per file
    name: repository, path, sha256, bytes, shape, dtype)."""
    with open(Path(__file__).with_name("sources.json"), encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def missing_message(entry: DatasetEntry, searched: list[Path], directory: Path | None = None) -> str:
    """The one-line error for a data set found in none of ``searched``; it names the fetch command (with
    ``--dir`` when the caller asked for a ``directory`` other than the default)."""
    where = " or ".join(str(d) for d in searched)
    fetch = f"rnnchaos data fetch {entry.name}" + (f" --dir {directory}" if directory is not None else "")
    hint = "" if directory is not None or os.environ.get("RNNCHAOS_DATA_DIR") else \
        " or set RNNCHAOS_DATA_DIR to the directory holding it"
    return f"data set {entry.name!r} ({entry.train_file}) is not in {where}; download it with '{fetch}'{hint}"


def entry_files(name: str, directory: str | os.PathLike[str] | None = None) -> tuple[Path, Path | None]:
    """Paths of the entry's train file and test file (None for a single series) in ``directory``, or when
    None in the first of :func:`data_dirs` that holds the train file. ``ValueError`` naming the fetch
    command (``rnnchaos data fetch NAME``) when the train file is in none of them."""
    entry = get_entry(name)
    searched = [Path(directory)] if directory is not None else data_dirs()
    for root in searched:
        train = root / entry.train_file
        if train.is_file():
            return train, (root / entry.test_file if entry.test_file is not None else None)
    raise ValueError(missing_message(entry, searched, Path(directory) if directory is not None else None))


def resolve_file(text: str) -> str:
    """``text`` itself when it names an existing path or no data set; else the train file of the catalog
    entry it names (``stf:lorenz63``, or the older stem ``stf_lorenz63``), searched as :func:`entry_files`
    does (``ValueError`` naming the fetch command when it is missing)."""
    key = text.strip().lower()
    if Path(text).exists() or (key not in CATALOG and legacy_name(text.strip()) is None):
        return text
    train, _ = entry_files(key if key in CATALOG else str(legacy_name(text.strip())))
    return str(train)
