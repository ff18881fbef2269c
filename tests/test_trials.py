"""Several trials: loading, the split, standardisation, and a sampler that never crosses a boundary."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnchaos.data.datasets import SequenceSampler
from rnnchaos.data.trials import as_trials, load_trials, split_trials
from rnnchaos.training.reconstructor import Reconstructor

torch.set_num_threads(1)


def _labelled(lengths: list[int]) -> list[np.ndarray]:
    """Trial k, sample t holds (k, t): a window's rows say where they came from."""
    return [np.stack([np.full(n, k, dtype=float), np.arange(n, dtype=float)], axis=1) for k, n in enumerate(lengths)]


@settings(max_examples=150, deadline=None)
@given(lengths=st.lists(st.integers(1, 60), min_size=1, max_size=6), seq_len=st.integers(2, 20),
       batch=st.integers(1, 16), seed=st.integers(0, 2**32 - 1))
def test_no_sampled_sequence_crosses_a_trial_boundary(lengths, seq_len, batch, seed):
    if max(lengths) < seq_len:
        with pytest.raises(ValueError, match="shorter than seq_len"):
            SequenceSampler(_labelled(lengths), seq_len, batch, seed=seed)
        return
    sampler = SequenceSampler(_labelled(lengths), seq_len, batch, seed=seed)
    for _ in range(5):
        X = sampler.sample()
        assert X.shape == (batch, seq_len, 2)
        trial = X[:, :, 0]
        assert np.all(trial == trial[:, :1])                      # one trial per window
        start = X[:, 0, 1]
        np.testing.assert_array_equal(X[:, :, 1], start[:, None] + np.arange(seq_len))  # consecutive samples
        k = trial[:, 0].astype(int)
        assert np.all(start + seq_len <= np.array(lengths)[k])   # inside that trial
        assert np.all(np.array(lengths)[k] >= seq_len)           # short trials are never drawn


class _Enumerate:
    def integers(self, lo, hi, size):
        return np.arange(lo, hi)[:size]


def test_every_window_inside_a_trial_is_drawn_with_equal_weight():
    lengths, L = [5, 12, 3, 9], 4
    sampler = SequenceSampler(_labelled(lengths), L, batch_size=sum(max(n - L + 1, 0) for n in lengths))
    sampler.rng = _Enumerate()  # u = 0, 1, ..., total − 1: the map u -> (trial, start) must be a bijection
    k, start = sampler.draw()
    got = sorted(zip(k.tolist(), start.tolist(), strict=True))
    want = [(i, s) for i, n in enumerate(lengths) for s in range(n - L + 1)]
    assert got == want  # so trial i is drawn with probability ∝ its usable length n_i − L + 1


def test_one_series_draws_exactly_the_starts_of_before():
    x = np.random.default_rng(1).standard_normal((500, 3))
    sampler = SequenceSampler(x, 30, 8, seed=7)
    ref = np.random.default_rng(7)
    for _ in range(3):
        starts = ref.integers(0, 500 - 30 + 1, size=8)
        np.testing.assert_array_equal(sampler.sample(), x.astype(np.float32)[starts[:, None] + np.arange(30)])


def test_sources_of_several_trials(tmp_path):
    rng = np.random.default_rng(0)
    a, b, c = rng.standard_normal((50, 2)), rng.standard_normal((70, 2)), rng.standard_normal((40, 2))
    np.save(tmp_path / "t_a.npy", a)
    np.save(tmp_path / "t_b.npy", b)
    np.save(tmp_path / "stack.npy", np.stack([a, a[::-1]]))
    np.savez(tmp_path / "several.npz", first=a, second=b, third=c)
    np.save(tmp_path / "three_cols.npy", rng.standard_normal((30, 3)))

    for sources, want in (([tmp_path / "t_a.npy", tmp_path / "t_b.npy"], [a, b]),
                          (str(tmp_path / "t_*.npy"), [a, b]),
                          (tmp_path / "stack.npy", [a, a[::-1]]),
                          (tmp_path / "several.npz", [a, b, c])):
        trials, spec = load_trials(sources)
        assert len(trials) == len(want) and all(np.array_equal(t, w) for t, w in zip(trials, want, strict=True))
        assert spec.kind == "trials" and [t["n"] for t in spec.trials] == [w.shape[0] for w in want]
    trials, spec = load_trials(str(tmp_path / "several.npz") + ":second")  # one member: a plain series
    assert spec.kind == "file" and len(trials) == 1 and np.array_equal(trials[0], b)
    with pytest.raises(ValueError, match="different numbers of columns"):
        load_trials([tmp_path / "t_a.npy", tmp_path / "three_cols.npy"])
    with pytest.raises(ValueError, match="no file matches"):
        load_trials(str(tmp_path / "nothing_*.npy"))
    with pytest.raises(ValueError, match="no trial"):
        as_trials([])


def test_split_holds_out_the_end_of_the_last_trial():
    a, b = np.arange(20.0)[:, None], np.arange(100.0, 110.0)[:, None]
    train, test = split_trials([a, b], 0.3)
    assert len(train) == 2 and np.array_equal(train[0], a) and np.array_equal(train[1], b[:7])
    np.testing.assert_array_equal(test, b[7:])
    train, test = split_trials([a], 0.25)  # one trial: the plain time split
    assert np.array_equal(train[0], a[:15]) and np.array_equal(test, a[15:])
    train, test = split_trials([a, b], 0.0)
    assert len(train) == 2 and test.shape == (0, 1)


def test_fit_on_trials_standardises_over_all_and_trains(tmp_path):
    from rnnchaos.systems.registry import get_system

    sys_ = get_system("lorenz63")
    trials = [sys_.trajectory(600, seed=s) for s in (1, 2, 3)]
    rec = Reconstructor(hidden=6, epochs=3, seq_len=20, batch_size=4, batches_per_epoch=2, tau=5,
                        select_every=0, lyap_every=0).fit(trials)
    pooled = np.concatenate(trials)
    np.testing.assert_allclose(rec.mean_, pooled.mean(0))
    np.testing.assert_allclose(rec.std_, pooled.std(0))
    assert rec.result_.status == "completed" and rec.result_.epochs == 3
    rec3 = Reconstructor(hidden=6, epochs=3, seq_len=20, batch_size=4, batches_per_epoch=2, tau=5,
                         select_every=0, lyap_every=0).fit(np.stack(trials))  # trials x time x dims
    assert [h["loss"] for h in rec3.history_] == [h["loss"] for h in rec.history_]


def test_cli_trains_on_several_data_files(tmp_path, run_cli):
    from rnnchaos.systems.registry import get_system

    for s in (1, 2):
        np.save(tmp_path / f"trial_{s}.npy", get_system("lorenz63").trajectory(800, seed=s))
    out = tmp_path / "run"
    code, stdout, err = run_cli("train", "--data", str(tmp_path / "trial_1.npy"), "--data", str(tmp_path / "trial_2.npy"),
                                "--hidden", "6", "--epochs", "2", "--seq-len", "20", "--batch-size", "4",
                                "--batches-per-epoch", "2", "--tau", "5", "--select-every", "0", "--lyap-every", "0",
                                "--out", str(out), "--no-progress", "--json")
    assert code == 0, err
    assert json.loads(stdout)["status"] == "completed"
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["data"]["kind"] == "trials" and [t["n"] for t in cfg["data"]["trials"]] == [800, 800]
    assert cfg["split"] == {"test_fraction": 0.2, "n_train": 800 + 640, "n_test": 160, "n_trials": 2,
                            "n_train_trials": 2, "test_from": "last trial"}


def test_evaluate_rebuilds_the_test_part_of_a_several_trial_run(tmp_path, run_cli):
    from rnnchaos.data.trials import test_series
    from rnnchaos.systems.registry import get_system

    stack = np.stack([get_system("lorenz63").trajectory(800, seed=s) for s in (1, 2)])
    np.save(tmp_path / "stack.npy", stack)  # trials x time x dims
    out = tmp_path / "run"
    code, _, err = run_cli("train", "--data", str(tmp_path / "stack.npy"), "--hidden", "6", "--epochs", "2",
                           "--seq-len", "20", "--batch-size", "4", "--batches-per-epoch", "2", "--tau", "5",
                           "--select-every", "0", "--lyap-every", "0", "--out", str(out), "--no-progress", "--json")
    assert code == 0, err
    cfg = json.loads((out / "config.json").read_text())
    np.testing.assert_array_equal(test_series(cfg["data"], cfg["split"]), stack[1, 640:])
    code, stdout, err = run_cli("evaluate", str(out), "--n-steps", "2000", "--lyapunov-steps", "200", "--json")
    assert code == 0, err
    assert json.loads(stdout)["d_stsp"] is not None
    with pytest.raises(ValueError, match="without a test part"):
        test_series(cfg["data"], {"n_test": 0})
