"""Large series: memory-mapped files read in blocks (rnnchaos.data.mapped), and estimators that look at
a prefix or a subsample say how many samples they used."""

from __future__ import annotations

import json

import numpy as np
import pytest

import rnnchaos.data.io as data_io
import rnnchaos.data.mapped as mapped
from rnnchaos.data.datasets import SequenceSampler, Standardizer
from rnnchaos.data.io import load_series
from rnnchaos.systems.registry import get_system
from rnnchaos.training.tau import auto_tau


def test_auto_tau_reports_the_samples_it_used() -> None:
    x = np.asarray(get_system("henon").trajectory(3000, seed=0), dtype=np.float64)
    cut = auto_tau(x, max_samples=2000, seed=0)
    assert (cut.n_samples, cut.n_samples_total) == (2000, 3000)
    assert cut.to_dict()["n_samples"] == 2000 and cut.to_dict()["n_samples_total"] == 3000
    same = auto_tau(x[:2000], max_samples=2000, seed=0)  # the estimate is that of the prefix, exactly
    assert (same.tau, same.lambda_max, same.rule) == (cut.tau, cut.lambda_max, cut.rule)
    assert (same.n_samples, same.n_samples_total) == (2000, 2000)
    whole = auto_tau(x, seed=0)
    assert (whole.n_samples, whole.n_samples_total) == (3000, 3000)


# --- memory-mapped series (rnnchaos.data.mapped) ------------------------------------------------------------



@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Map every .npy and read it in blocks of 4 KiB, so that a small file takes the large-file path."""
    monkeypatch.setattr(data_io, "MMAP_BYTES", 0)
    monkeypatch.setattr(mapped, "BLOCK_BYTES", 4096)
    monkeypatch.setattr(mapped.iter_blocks, "__defaults__", (4096,))


def _series(tmp_path, T: int = 3000, N: int = 3, dtype=np.float32):
    x = np.asarray(get_system("lorenz63").trajectory(T, seed=1), dtype=dtype)[:, :N]
    path = tmp_path / "big.npy"
    np.save(path, x)
    return path, x


def test_a_large_npy_is_memory_mapped_in_its_own_dtype(tmp_path, small_blocks) -> None:
    path, x = _series(tmp_path)
    y = load_series(path)
    assert isinstance(y, np.memmap) and y.dtype == np.float32 and not y.flags.writeable
    assert np.array_equal(np.asarray(y), x)
    one = tmp_path / "one.npy"
    np.save(one, x[:, 0])
    assert load_series(one).shape == (3000, 1)
    np.save(tmp_path / "ints.npy", np.arange(10))  # not float: read and converted as before
    assert load_series(tmp_path / "ints.npy").dtype == np.float64


def test_nonfinite_values_in_a_mapped_file_give_the_in_memory_message(tmp_path, small_blocks, monkeypatch) -> None:
    _, x = _series(tmp_path)
    x[2500, 1] = np.nan
    x[2700:2702] = np.inf
    np.save(tmp_path / "gap.npy", x)
    with pytest.raises(ValueError) as mapped_err:
        load_series(tmp_path / "gap.npy")
    monkeypatch.setattr(data_io, "MMAP_BYTES", 10**12)
    with pytest.raises(ValueError) as memory_err:
        load_series(tmp_path / "gap.npy")
    assert str(mapped_err.value) == str(memory_err.value)
    assert "NaN at index (2500, 1)" in str(mapped_err.value)
    assert mapped.find_nonfinite(x) == ((2500, 1), "NaN", 3)


def test_blockwise_mean_and_std_equal_numpy(tmp_path, small_blocks) -> None:
    path, x = _series(tmp_path, T=5001)
    y = load_series(path)
    mean, std = mapped.mean_std(y)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(mean, x64.mean(axis=0), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(std, x64.std(axis=0), rtol=1e-12)
    fitted = Standardizer.fit_blockwise(y)
    np.testing.assert_array_equal(fitted.mean, mean)


def test_standardized_view_and_sampler_equal_the_in_memory_path(tmp_path, small_blocks) -> None:
    path, x = _series(tmp_path)
    y = load_series(path)
    std = Standardizer.fit_blockwise(y)
    view = mapped.StandardizedSeries(y, std.mean, std.std)
    full = (x.astype(np.float64) - std.mean) / std.std  # what the in-memory path computes
    idx = np.array([[0, 5], [2999, 17]])
    np.testing.assert_array_equal(view[idx], full[idx])
    np.testing.assert_array_equal(view[10:20], full[10:20])
    np.testing.assert_array_equal(np.asarray(view), full)
    lazy = SequenceSampler(view, seq_len=40, batch_size=8, seed=3)
    eager = SequenceSampler(full, seq_len=40, batch_size=8, seed=3)
    for _ in range(3):
        a, b = lazy.sample(), eager.sample()
        assert a.dtype == np.float32 and np.array_equal(a, b)


def test_training_on_a_mapped_file_never_copies_the_whole_series(tmp_path, small_blocks, monkeypatch, run_cli) -> None:
    """train and evaluate run on the memory map; np.asarray of the whole standardised view is never called."""
    path, _ = _series(tmp_path)

    def refuse(self, *a, **k):
        raise AssertionError("the whole standardised series was built")

    monkeypatch.setattr(mapped.StandardizedSeries, "__array__", refuse)
    out = tmp_path / "run"
    code, stdout, err = run_cli("train", "--data", str(path), "--epochs", "2", "--hidden", "4", "--seq-len", "20",
                                "--batch-size", "4", "--batches-per-epoch", "2", "--tau", "5", "--select-every", "2",
                                "--lyap-every", "2", "--no-progress", "--out", str(out), "--json")
    assert code == 0, err
    summary = json.loads(stdout)
    assert summary["status"] == "completed" and summary["epochs"] == 2
    # τ is given; λ_max of the data is estimated for the λ logging (--lyap-every), on the map too
    assert summary["lambda_max_data_n_samples"] == summary["lambda_max_data_n_samples_total"] == 2400
    code, stdout, err = run_cli("evaluate", str(out), "--n-steps", "500", "--lyapunov-steps", "50", "--json")
    assert code == 0, err
    ev = json.loads(stdout)
    assert ev["t_test"] == 600 and ev["d_stsp_n_samples"] == 600


def test_commands_on_a_mapped_file_give_the_in_memory_numbers(tmp_path, run_cli, monkeypatch) -> None:
    """lyapunov --data and metrics convert the rows they use to float64: the same output mapped or not."""
    path, x = _series(tmp_path, T=4000)
    np.save(tmp_path / "gen.npy", x[::-1].copy())
    argvs = [["lyapunov", "--data", str(path), "--json"],
             ["metrics", "--truth", str(path), "--generated", str(tmp_path / "gen.npy"), "--json"]]
    in_memory = [run_cli(*a) for a in argvs]
    monkeypatch.setattr(data_io, "MMAP_BYTES", 0)
    monkeypatch.setattr(mapped, "BLOCK_BYTES", 4096)
    mapped_out = [run_cli(*a) for a in argvs]
    for (c1, o1, e1), (c2, o2, e2) in zip(in_memory, mapped_out, strict=True):
        assert c1 == c2 == 0, (e1, e2)
        assert json.loads(o1) == json.loads(o2)
    assert json.loads(mapped_out[0][1])["n_samples"] == 4000  # lambda_max from data: every sample
    metrics = json.loads(mapped_out[1][1])  # 3 dims: binned D_stsp, every sample
    assert (metrics["d_stsp_n_samples"], metrics["d_stsp_n_samples_generated"]) == (4000, 4000)


def test_gmm_d_stsp_reports_the_samples_it_used() -> None:
    from rnnchaos.metrics.state_space import samples_used

    assert samples_used(20_000, 3_000, 6, preset="stf2022") == (5000, 3000)  # GMM, first gmm_max_T
    assert samples_used(20_000, 3_000, 3, preset="stf2022") == (20_000, 3000)  # bins: all
    assert samples_used(20_000, 30_000, 6, preset="gtf2023") == (10_000, 10_000)


def test_nan_split_on_a_mapped_file_trains_on_the_pieces(tmp_path, small_blocks, run_cli) -> None:
    _, x = _series(tmp_path)
    x[1000:1010] = np.nan
    np.save(tmp_path / "gappy.npy", x)
    code, stdout, err = run_cli("train", "--data", str(tmp_path / "gappy.npy"), "--nan", "split", "--epochs", "1",
                                "--hidden", "4", "--seq-len", "20", "--batch-size", "4", "--batches-per-epoch", "1",
                                "--tau", "5", "--select-every", "0", "--lyap-every", "0", "--no-progress", "--json")
    assert code == 0, err
    summary = json.loads(stdout)
    assert (summary["gaps"], summary["trials_kept"], summary["samples_kept"]) == (1, 2, 2990)
