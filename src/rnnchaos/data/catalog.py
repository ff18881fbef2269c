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

``CATALOG`` maps each name to a ``DatasetEntry`` (file names relative to the data directory, see
``rnnchaos.data.datasets.shared_data_dir``). ``rnnchaos train --data stf:lorenz63`` trains on the entry's
train file; ``rnnchaos reproduce stf-tau-sweep --dataset stf:lorenz63`` loads the same file. Nothing is
read at import time. The provenance of every file is in the data directory's README.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CATALOG", "DatasetEntry", "get_entry", "entry_files", "legacy_name"]


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


def entry_files(name: str, directory: str | os.PathLike[str] | None = None) -> tuple[Path, Path | None]:
    """Paths of the entry's train file and test file (None for a single series) in ``directory``
    (default: ``shared_data_dir()``). ``ValueError`` when the directory or the train file is missing."""
    entry = get_entry(name)
    if directory is None:
        from rnnchaos.data.datasets import shared_data_dir

        found = shared_data_dir()
        if found is None:
            raise ValueError(f"no data directory for {entry.name!r}: set RNNCHAOS_DATA_DIR to the directory "
                             f"holding {entry.train_file}")
        directory = found
    root = Path(directory)
    train = root / entry.train_file
    if not train.is_file():
        raise ValueError(f"data set file {str(train)!r} of {entry.name!r} not found; set RNNCHAOS_DATA_DIR "
                         f"(or pass the data directory) to the directory holding {entry.train_file}")
    return train, (root / entry.test_file if entry.test_file is not None else None)
