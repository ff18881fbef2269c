"""data.datasets: sources, time split, standardisation, delay embedding and seeded batches."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnchaos.data.datasets import (
    DataSpec,
    SequenceSampler,
    Standardizer,
    embed_scalar,
    load_source,
    split_time,
)


def test_load_file_and_system(tmp_path):
    x = np.random.default_rng(0).standard_normal((50, 2))
    np.save(tmp_path / "a.npy", x)
    got, spec = load_source(tmp_path / "a.npy")
    np.testing.assert_array_equal(got, x)
    assert spec.kind == "file" and spec.source.endswith("a.npy")
    sim, spec = load_source("lorenz63", n_steps=200, seed=3)
    assert sim.shape == (200, 3) and spec.kind == "system" and spec.n_steps == 200
    again, _ = load_source("lorenz63", n_steps=200, seed=3)
    np.testing.assert_array_equal(sim, again)
    assert DataSpec.from_dict(spec.to_dict()) == spec


def test_shared_stem(shared_data):
    x, spec = load_source("stf_lorenz63")
    assert x.shape == (100_000, 3) and spec.source.endswith("stf_lorenz63.npy")


def test_unknown_source_and_nan_file(tmp_path):
    with pytest.raises(ValueError, match="neither an existing file"):
        load_source("definitely_not_a_system")
    bad = np.ones((20, 2))
    bad[3, 0] = np.nan
    np.save(tmp_path / "bad.npy", bad)
    with pytest.raises(ValueError, match="NaN"):
        load_source(tmp_path / "bad.npy")


def test_split_time():
    x = np.arange(20.0).reshape(10, 2)
    tr, te = split_time(x, 0.3)
    np.testing.assert_array_equal(tr, x[:7])
    np.testing.assert_array_equal(te, x[7:])
    tr, te = split_time(x, 0.0)
    assert tr.shape == (10, 2) and te.shape == (0, 2)
    with pytest.raises(ValueError, match="test_fraction"):
        split_time(x, 1.0)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 1000), n=st.integers(3, 200), d=st.integers(1, 4))
def test_standardizer_round_trip(seed, n, d):
    x = np.random.default_rng(seed).normal(3.0, 2.0, size=(n, d))
    s = Standardizer.fit(x)
    z = s.transform(x)
    np.testing.assert_allclose(z.mean(0), 0.0, atol=1e-9)
    np.testing.assert_allclose(z.std(0), 1.0, rtol=1e-9)
    np.testing.assert_allclose(s.inverse(z), x, rtol=1e-12, atol=1e-12)


def test_constant_column_keeps_unit_scale():
    x = np.column_stack([np.ones(10), np.arange(10.0)])
    s = Standardizer.fit(x)
    assert s.std[0] == 1.0 and np.all(np.isfinite(s.transform(x)))


def test_embedding_of_a_scalar_series():
    x = np.arange(10.0)[:, None]
    e = embed_scalar(x, dim=3, lag=2)
    np.testing.assert_array_equal(e[0], [0.0, 2.0, 4.0])
    assert e.shape == (6, 3)
    with pytest.raises(ValueError, match="scalar"):
        embed_scalar(np.ones((10, 2)), dim=2, lag=1)


def test_sampler_windows_state_and_seed():
    x = np.arange(100.0)[:, None]
    a = SequenceSampler(x, seq_len=7, batch_size=5, seed=11)
    b = SequenceSampler(x, seq_len=7, batch_size=5, seed=11)
    batch = a.sample()
    assert batch.shape == (5, 7, 1) and batch.dtype == np.float32
    np.testing.assert_array_equal(np.diff(batch[..., 0], axis=1), 1.0)  # contiguous windows
    np.testing.assert_array_equal(batch, b.sample())
    state = a.get_state()
    nxt = a.sample()
    a.set_state(state)
    np.testing.assert_array_equal(a.sample(), nxt)
    with pytest.raises(ValueError, match="shorter than seq_len"):
        SequenceSampler(x[:5], seq_len=7, batch_size=2)
