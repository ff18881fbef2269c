"""τ = auto when λ_max cannot be confirmed from the data: the documented fallback chain of training/tau.py."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from rnnchaos.data.datasets import shared_data_dir
from rnnchaos.training.reconstructor import Reconstructor
from rnnchaos.training.tau import TAU_MAX, TAU_MIN, auto_tau, autocorrelation_time, leading_components

torch.set_num_threads(1)


def _direct_acf_time(x: np.ndarray) -> int:
    z = (x - x.mean(0)) / x.std(0)
    T = len(z)
    for k in range(1, T):
        acf = np.mean([np.dot(z[:-k, j], z[k:, j]) / np.dot(z[:, j], z[:, j]) for j in range(z.shape[1])])
        if acf < 1 / math.e:
            return k
    return T - 1


def test_autocorrelation_time_equals_the_direct_sum():
    rng = np.random.default_rng(0)
    e = rng.standard_normal((3000, 2))
    x = np.zeros_like(e)
    for t in range(1, len(e)):  # AR(1), φ = 0.95 and 0.8: true decay times 19.5 and 4.5 steps
        x[t] = np.array([0.95, 0.8]) * x[t - 1] + e[t]
    assert autocorrelation_time(x) == _direct_acf_time(x)
    assert 5 <= autocorrelation_time(x) <= 20
    assert autocorrelation_time(x[:, :1]) == _direct_acf_time(x[:, :1])
    with pytest.raises(ValueError, match="constant"):
        autocorrelation_time(np.ones((50, 2)))


def test_autocorrelation_time_in_column_blocks_equals_the_direct_sum(monkeypatch):
    """One column at a time (bounded memory for wide series) gives the direct sum's answer too."""
    import rnnchaos.training.tau as tau_mod

    rng = np.random.default_rng(2)
    e = rng.standard_normal((2000, 5))
    x = np.zeros_like(e)
    phi = np.array([0.97, 0.9, 0.8, 0.95, 0.5])
    for t in range(1, len(e)):
        x[t] = phi * x[t - 1] + e[t]
    whole = autocorrelation_time(x, max_lag=400)
    monkeypatch.setattr(tau_mod, "ACF_BLOCK", 1)  # a block of one column
    assert autocorrelation_time(x, max_lag=400) == whole == _direct_acf_time(x)


def test_leading_components_explain_the_asked_variance():
    rng = np.random.default_rng(1)
    base = rng.standard_normal((2000, 2))
    x = base @ rng.standard_normal((2, 8)) + 0.01 * rng.standard_normal((2000, 8))
    pcs = leading_components(x)
    assert pcs.shape == (2000, 2)  # two directions carry almost all the variance
    np.testing.assert_allclose(pcs.T @ pcs, np.diag(np.diag(pcs.T @ pcs)), atol=1e-8 * len(x))


def test_confirmed_lambda_max_keeps_the_predictability_rule():
    from rnnchaos.systems.registry import get_system

    x = get_system("lorenz63").trajectory(20_000, seed=0)
    res = auto_tau(x)
    assert res.rule == "lambda_max_data" and res.warning is None
    assert res.tau == int(min(TAU_MAX, max(TAU_MIN, round(0.5 * math.log(2) / res.lambda_max))))


_DATA = shared_data_dir()  # $RNNCHAOS_DATA_DIR or ../shared/data
EEG = _DATA / "eeg_64ch.npy" if _DATA is not None else Path("/nonexistent")


@pytest.mark.skipif(not EEG.is_file(), reason="shared data set eeg_64ch.npy is absent")
def test_tau_auto_on_eeg64_takes_the_documented_fallback():
    x = np.load(EEG)[:3000].astype(np.float64)  # a subsample keeps this to about a second
    res = auto_tau(x)
    # λ_max of the data rises by less than one e-fold (it would give τ = 3): not used
    assert res.rule != "lambda_max_data" and res.warning is not None
    assert "not confirmed" in res.warning and "e-folds" in res.warning
    assert res.tau != max(TAU_MIN, round(0.5 * math.log(2) / res.lambda_max))
    assert res.rule == "autocorrelation" and res.n_components is not None and res.n_components < 64
    assert res.tau == autocorrelation_time(x, max_lag=TAU_MAX) == res.autocorrelation_steps
    assert "autocorrelation decay time" in res.warning


def test_the_rule_is_recorded_in_the_run_config(tmp_path):
    x = np.random.default_rng(2).standard_normal((3000, 3))  # white noise: no chaos to confirm
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rec = Reconstructor(hidden=4, epochs=1, seq_len=20, batch_size=2, batches_per_epoch=1, select_every=0,
                            lyap_every=0, out=tmp_path / "run").fit(x)
    assert any("tau=auto" in str(w.message) and "autocorrelation" in str(w.message) for w in caught)
    cfg = json.loads((tmp_path / "run" / "config.json").read_text())
    assert cfg["tau_rule"]["rule"] == "autocorrelation" and cfg["tau"] == rec.tau_ == TAU_MIN
    assert cfg["tau_rule"]["autocorrelation_steps"] == 1
    rec2 = Reconstructor(hidden=4, epochs=1, seq_len=20, batch_size=2, batches_per_epoch=1, select_every=0,
                         lyap_every=0, tau=7, out=tmp_path / "run2").fit(x)
    assert rec2.tau_ == 7 and json.loads((tmp_path / "run2" / "config.json").read_text())["tau_rule"]["rule"] == "given"


def test_lambda_max_of_the_data_is_estimated_only_when_something_uses_it(tmp_path, monkeypatch):
    """τ given and no λ_max logging: no estimate; logging only: the smaller sample; τ = auto: the full one."""
    import rnnchaos.training.tau as tau_mod

    calls: list[int] = []

    def spy(x, **kw):
        calls.append(kw["max_samples"])
        return auto_tau(x, **kw)

    monkeypatch.setattr(tau_mod, "auto_tau", spy)
    x = np.random.default_rng(2).standard_normal((3000, 3))
    kw = dict(hidden=4, epochs=1, seq_len=20, batch_size=2, batches_per_epoch=1, select_every=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        given = Reconstructor(**kw, lyap_every=0, tau=7, out=tmp_path / "given").fit(x)
        assert calls == [] and given.tau_ == 7 and given.lambda_max_data_ is None
        cfg = json.loads((tmp_path / "given" / "config.json").read_text())
        assert cfg["tau_rule"] == {"rule": "given", "estimated": False} and cfg["lambda_max_data"] is None
        bptt = Reconstructor(**kw, lyap_every=0, forcing="bptt").fit(x)
        assert calls == [] and bptt.tau_rule_ == {"rule": "unused", "estimated": False}
        logged = Reconstructor(**kw, lyap_every=1, tau=7).fit(x)
        assert calls == [tau_mod.LOGGED_LAMBDA_SAMPLES] and logged.tau_rule_["rule"] == "given"
        assert logged.lambda_max_data_ is not None and logged.tau_ == 7
        auto = Reconstructor(**kw, lyap_every=0).fit(x)
        assert calls[1:] == [tau_mod.AUTO_TAU_SAMPLES] and auto.tau_rule_["rule"] == "autocorrelation"
    assert tau_mod.LOGGED_LAMBDA_SAMPLES < tau_mod.AUTO_TAU_SAMPLES
