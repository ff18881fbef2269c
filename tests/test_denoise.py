"""The FFT Wiener filter for white observation noise (rnnchaos.data.denoise) and its use in training."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnchaos.data.denoise import denoise_trials, noise_variance, wiener_denoise


def _smooth(T: int, periods=(97.0, 211.0, 53.3), phase: float = 0.0) -> np.ndarray:
    t = np.arange(T)[:, None]
    return np.hstack([np.sin(2 * np.pi * t / p + phase + k) * (1 + 0.3 * k) for k, p in enumerate(periods)])


@settings(max_examples=25, deadline=None)
@given(sd=st.floats(0.01, 10.0), T=st.integers(5000, 20000), seed=st.integers(0, 2**31 - 1))
def test_noise_variance_of_white_noise_is_its_variance(sd, T, seed):
    """For white noise of variance s², the mean high-frequency periodogram is s² (about 1,000+ bins: ±3 %)."""
    x = np.random.default_rng(seed).normal(0.0, sd, (T, 2))
    np.testing.assert_allclose(noise_variance(x), sd**2, rtol=0.15)


@settings(max_examples=15, deadline=None)
@given(sd=st.floats(0.05, 0.5), seed=st.integers(0, 2**31 - 1), phase=st.floats(0, 6.28))
def test_filter_recovers_a_smooth_signal_under_white_noise(sd, seed, phase):
    """Sinusoids (periods 53-211 steps) plus white noise: the noise level is found, and the filtered series is
    at least 5x closer to the signal (in mean square) than the noisy one is.  (Not more: where there is only
    noise, the smoothed periodogram still scatters by about ±30 % around σ², so 1 − σ²/P passes some of it.)"""
    s = _smooth(20000, phase=phase)
    x = s + np.random.default_rng(seed).normal(0.0, sd, s.shape)
    np.testing.assert_allclose(noise_variance(x), sd**2, rtol=0.15)
    err = np.mean((wiener_denoise(x) - s) ** 2, axis=0)
    assert np.all(err < 0.2 * sd**2), (err, sd**2)


def test_a_noise_free_smooth_series_is_left_alone():
    s = _smooth(20000)
    assert np.all(noise_variance(s) < 1e-6 * s.var(axis=0))
    err = wiener_denoise(s) - s
    assert np.sqrt(np.mean(err**2)) < 1e-4 * s.std()
    assert np.abs(err).max() < 1e-2 * s.std()  # the largest errors: a few samples at the two ends


def test_zero_noise_variance_is_the_identity_exactly():
    x = np.random.default_rng(0).normal(size=(500, 3)).cumsum(axis=0)
    np.testing.assert_allclose(wiener_denoise(x, noise_var=np.zeros(3)), x, rtol=0, atol=1e-12)


def test_trials_are_filtered_each_on_its_own():
    rng = np.random.default_rng(1)
    a = _smooth(3000) + rng.normal(0, 0.2, (3000, 3))
    b = 5.0 + _smooth(2000, phase=1.0) + rng.normal(0, 0.2, (2000, 3))
    (fa, fb), info = denoise_trials([a, b])
    np.testing.assert_array_equal(fa, wiener_denoise(a))
    np.testing.assert_array_equal(fb, wiener_denoise(b))
    joint = wiener_denoise(np.concatenate([a, b]))
    assert not np.allclose(joint[2990:3000], fa[-10:], atol=1e-3)  # one filter over both would mix them
    assert info is not None and info.method == "wiener" and len(info.noise_sd) == 3
    np.testing.assert_allclose(info.noise_sd, 0.2, rtol=0.1)
    assert all(0 < r < 0.2 for r in info.removed_sd)


def test_none_and_bad_input():
    x = np.zeros((100, 2))
    same, info = denoise_trials([x], "none")
    assert same[0] is x and info is None
    with pytest.raises(ValueError, match="denoise must be one of"):
        denoise_trials([x], "median")
    with pytest.raises(ValueError, match="at least 50 are needed"):
        wiener_denoise(np.zeros((10, 2)))
    x[5, 0] = np.nan
    with pytest.raises(ValueError, match="NaN|finite"):
        wiener_denoise(x)
    with pytest.raises(ValueError, match="hf_fraction"):
        wiener_denoise(np.zeros((100, 2)), hf_fraction=1.5)


def test_reconstructor_trains_on_the_filtered_series(tmp_path):
    from rnnchaos.training.reconstructor import Reconstructor

    rng = np.random.default_rng(2)
    x = _smooth(3000) + rng.normal(0, 0.3, (3000, 3))
    kw = dict(model="plrnn", hidden=4, forcing="stf", tau=5, epochs=1, seq_len=20, batch_size=4,
              batches_per_epoch=1, lyap_every=0, select_every=0)
    rec = Reconstructor(**kw, denoise="wiener", out=tmp_path / "run").fit(x)
    raw = Reconstructor(**kw).fit(x)
    cfg = json.loads((tmp_path / "run" / "config.json").read_text())
    assert cfg["estimator"]["denoise"] == "wiener"
    np.testing.assert_allclose(cfg["denoise"]["noise_sd"], 0.3, rtol=0.1)
    (filtered,), _ = denoise_trials([x])
    np.testing.assert_allclose(rec.std_, filtered.std(axis=0))  # standardised by the filtered series
    assert np.all(rec.std_ < raw.std_)
    loaded = Reconstructor.load(tmp_path / "run")
    np.testing.assert_allclose(loaded.std_, rec.std_)
    assert loaded.denoise_ == rec.denoise_  # and a re-save keeps it
    loaded.save(tmp_path / "again")
    assert json.loads((tmp_path / "again" / "config.json").read_text())["denoise"] == cfg["denoise"]
    with pytest.raises(ValueError, match="denoise must be one of"):
        Reconstructor(**kw, denoise="gauss").fit(x)


def test_cli_denoise(tmp_path, run_cli):
    data = tmp_path / "x.npy"
    np.save(data, _smooth(1500) + np.random.default_rng(3).normal(0, 0.2, (1500, 3)))
    code, out, err = run_cli("train", "--data", str(data), "--hidden", "4", "--epochs", "1", "--seq-len", "20",
                             "--denoise", "wiener", "--out", str(tmp_path / "run"), "--json")
    assert code == 0, err
    np.testing.assert_allclose(json.loads(out)["denoise_noise_sd"], 0.2, rtol=0.1)
    assert json.loads((tmp_path / "run" / "config.json").read_text())["denoise"]["method"] == "wiener"
    bad = run_cli("train", "--data", str(data), "--epochs", "1", "--denoise", "median")
    assert bad[0] != 0 and "Traceback" not in bad[2] and "median" in bad[2]


def test_bursting_neuron_training_file_noise(shared_data):
    """The bursting neuron's training file carries white noise of sd ≈ 0.10 (z-scored) that its test file lacks
    (docs/results_dsr.md, from experiments/dsr_train_test_differences.py); filtered, the training file is far
    closer to the test file under the benchmark's own metric."""
    from rnnchaos.metrics.scoring import score_trajectory
    from rnnchaos.reproductions.dsr_benchmark import load_split

    train, test = load_split("dendplrnn:bursting_neuron", shared_data)
    (filtered,), info = denoise_trials([train])
    assert info is not None
    np.testing.assert_allclose(info.noise_sd, 0.10, atol=0.01)
    assert np.all(noise_variance(test) < 0.1 * noise_variance(train))
    raw = score_trajectory(test, train[: len(test)], preset="gtf2023", seed=0)
    den = score_trajectory(test, filtered[: len(test)], preset="gtf2023", seed=0)
    assert den.d_stsp < 0.5 * raw.d_stsp and den.d_h < 0.7 * raw.d_h
