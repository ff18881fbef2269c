"""The catalog of published data sets (``rnnchaos.data.catalog``): names that cannot be taken for a
built-in system, files that exist with the stated dimensions, and the same file behind every spelling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnnchaos.data.catalog import CATALOG, entry_files, get_entry, legacy_name
from rnnchaos.data.datasets import load_source
from rnnchaos.systems.registry import system_names


def test_names_are_prefixed_and_never_a_system() -> None:
    systems = {s.lower() for s in system_names()}
    assert {"stf:lorenz63", "gtf:ecg", "gtf:eeg64", "dendplrnn:lorenz96", "dendplrnn:bursting_neuron"} <= set(CATALOG)
    for name, entry in CATALOG.items():
        prefix, series = name.split(":")
        assert prefix in {"stf", "gtf", "dendplrnn"} and entry.name == name
        assert name not in systems and entry.dims >= 1 and entry.source and entry.description
        assert legacy_name(Path(entry.train_file).stem) == name


def test_every_entry_file_exists_with_its_dimensions(shared_data: Path) -> None:
    for name, entry in CATALOG.items():
        train, test = entry_files(name, shared_data)
        arr = np.load(train, mmap_mode="r")
        assert arr.ndim == 2 and arr.shape[1] == entry.dims, name
        assert (test is None) == (entry.test_file is None)
        if test is not None:
            assert np.load(test, mmap_mode="r").shape[1] == entry.dims, name


def test_train_data_spellings_load_the_same_file(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RNNCHAOS_DATA_DIR", str(shared_data))
    new, spec_new = load_source("stf:lorenz63")
    old, spec_old = load_source("stf_lorenz63")
    assert spec_new.source == spec_old.source == str(shared_data / "stf_lorenz63.npy")
    np.testing.assert_array_equal(new, old)
    ecg, spec = load_source("gtf:ecg")
    assert spec.source.endswith("ecg_5d_train.npy")
    np.testing.assert_array_equal(ecg, np.load(shared_data / "ecg_5d_train.npy"))
    _, system = load_source("lorenz63", n_steps=100)  # the bare name is still the built-in system
    assert system.kind == "system"


def test_unknown_entry_and_missing_file_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown data set 'stf:mars'.*stf:lorenz63"):
        get_entry("stf:mars")
    with pytest.raises(ValueError, match="ecg_5d_train.npy"):
        entry_files("gtf:ecg", tmp_path)


def test_reproduce_accepts_catalog_and_bare_names(run_cli, tmp_path: Path) -> None:
    """Both spellings reach the loader (which then names the missing file); an unknown name exits 2."""
    for spelling in ("stf:rossler", "rossler"):
        code, _, err = run_cli("reproduce", "stf-tau-sweep", "--dataset", spelling, "--data-dir",
                               str(tmp_path), "--minutes", "0.01")
        assert code == 2 and "stf_rossler.npy" in err and err.count("\n") == 1
    code, _, err = run_cli("reproduce", "stf-tau-sweep", "--dataset", "gtf:ecg")
    assert code == 2 and "stf:lorenz63" in err


def test_benchmark_data_sets_are_catalog_files() -> None:
    """The DSR benchmark's data sets name the same files as catalog entries (no file outside the catalog)."""
    from rnnchaos.reproductions.dsr_benchmark import DATASETS as BENCH

    for ds in BENCH.values():
        assert ds.name in CATALOG, ds
        assert ds.entry is CATALOG[ds.name]
