"""The one free run (rnnchaos.models.free_run): fused kernels agree with the PyTorch loop, dispatch, edge cases."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnchaos.models import free_run as fr
from rnnchaos.models.base import build_model
from rnnchaos.models.free_run import FREE_RUN_KERNELS, free_run, initial_states, register_free_run_kernel
from rnnchaos.models.wrappers import FunctionModel


def _reference(model, z0, n):
    """observe(F^t(z0)), t = 0 .. n-1, from the model's own trajectory (no free_run code involved)."""
    with torch.no_grad():
        traj = model.trajectory(torch.as_tensor(z0, dtype=model.dtype), n - 1)
        return torch.stack([model.observe(traj[:, t]) for t in range(n)], dim=1).double().numpy()


def _without_kernels(monkeypatch):
    monkeypatch.setattr(fr, "FREE_RUN_KERNELS", {})


@pytest.mark.parametrize("observation", ["linear", "identity"])
def test_plrnn_kernel_equals_the_model_trajectory_and_the_torch_loop(monkeypatch, observation):
    model = build_model("plrnn", 3, 8, observation=observation, seed=4, dtype=torch.float64)
    z0 = np.random.default_rng(0).normal(size=(3, 8))
    got = free_run(model, z0, 60)
    assert got.shape == (3, 60, 3) and got.dtype == np.float64
    np.testing.assert_allclose(got, _reference(model, z0, 60), rtol=1e-12, atol=1e-12)
    _without_kernels(monkeypatch)
    np.testing.assert_allclose(free_run(model, z0, 60), got, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("arch", sorted(FREE_RUN_KERNELS))
def test_every_registered_kernel_agrees_with_the_torch_loop(monkeypatch, arch):
    model = build_model(arch, 2, 6, observation="linear", seed=1, dtype=torch.float64)
    z0 = 0.5 * np.random.default_rng(1).normal(size=(2, 6))
    fast = free_run(model, z0, 200)
    _without_kernels(monkeypatch)
    np.testing.assert_allclose(free_run(model, z0, 200), fast, rtol=1e-10, atol=1e-10)


def test_the_kernel_is_what_runs_for_a_plain_plrnn(monkeypatch):
    calls = []
    real = fr._kernel("plrnn")

    def spy(model, z0, n):
        calls.append(z0.shape)
        return real(model, z0, n)

    monkeypatch.setitem(FREE_RUN_KERNELS, "plrnn", spy)
    model = build_model("plrnn", 2, 4, observation="linear", seed=0)
    free_run(model, np.zeros((2, 4)), 5)
    assert calls == [(2, 4)]
    clipped = build_model("plrnn", 2, 4, observation="linear", seed=0, clipped=True, dtype=torch.float64)
    z0 = np.random.default_rng(2).normal(size=(2, 4))
    np.testing.assert_allclose(free_run(clipped, z0, 30), _reference(clipped, z0, 30), rtol=1e-12, atol=1e-12)
    assert len(calls) == 2  # the kernel was asked and declined the clipped PLRNN (returned None)


@pytest.mark.parametrize("arch,latent", [("lstm", 6), ("gru", 3), ("rnn", 3)])  # no fused kernel
def test_torch_models_run_in_their_own_dtype_exactly(arch, latent):
    model = build_model(arch, 2, latent, observation="linear", seed=0)  # float32, as trained
    z0 = initial_states(model, np.random.default_rng(3).normal(size=(2, 2)))
    got = free_run(model, z0, 40)
    for k in range(2):  # each start is the model's own float32 trajectory of that start, bit for bit
        np.testing.assert_array_equal(got[k], _reference(model, z0[k:k + 1], 40)[0])
    # so one start's run does not depend on the batch it came in
    np.testing.assert_array_equal(free_run(model, z0[1:], 40)[0], got[1])


def test_the_adapter_runs_its_float64_copy_in_data_units():
    model = build_model("gru", 2, 3, observation="linear", seed=5)
    mean, std = np.array([1.0, -2.0]), np.array([3.0, 0.5])
    fmap = model.as_map(mean=mean, std=std)
    x0 = np.array([[2.5, -1.0]])
    z0 = fmap.encode(x0)
    got = free_run(fmap, z0, 25)
    ref = _reference(fmap.model, z0, 25)
    np.testing.assert_allclose(got, ref, rtol=1e-13)
    np.testing.assert_allclose(fmap.decode(z0), ref[:, 0] * std + mean, rtol=1e-13)


def test_numpy_maps_are_observed_through_their_state():
    from rnnchaos.systems.maps import Henon

    hen = Henon()
    z0 = np.array([[0.1, 0.2], [0.3, -0.1]])
    got = free_run(hen, z0, 50)
    z = z0.copy()
    for t in range(50):
        np.testing.assert_array_equal(got[:, t], z)
        z = hen.step(z)


def test_overflow_gives_inf_from_the_first_overflowing_step():
    model = build_model("plrnn", 1, 1, observation="identity", seed=0, dtype=torch.float64)
    with torch.no_grad():
        model.A.fill_(2.0**500)  # powers of two: every finite entry is exact
        model.h.zero_()
    got = free_run(model, np.array([[1.0]]), 6)[0, :, 0]
    np.testing.assert_array_equal(got, [1.0, 2.0**500, 2.0**1000, np.inf, np.inf, np.inf])
    blow = FunctionModel(lambda z: z * 2.0**600, latent_dim=1)
    np.testing.assert_array_equal(free_run(blow, np.array([[1.0]]), 4)[0, :, 0], [1.0, 2.0**600, np.inf, np.inf])


def test_a_kernel_is_added_with_one_registration(monkeypatch):
    monkeypatch.setattr(fr, "FREE_RUN_KERNELS", dict(FREE_RUN_KERNELS))
    model = build_model("rnn", 2, 3, observation="linear", seed=0)
    register_free_run_kernel("rnn", lambda m, z, n: np.full((z.shape[0], n, m.obs_dim), 7.0))
    assert np.all(free_run(model, np.zeros((2, 3)), 4) == 7.0)
    register_free_run_kernel("rnn", lambda m, z, n: None)  # declines: the PyTorch loop runs
    z0 = np.zeros((1, 3))
    np.testing.assert_array_equal(free_run(model, z0, 4), _reference(model, z0, 4))
    register_free_run_kernel("rnn", "rnnchaos.models.alrnn_free_run:alrnn_free_run")  # by name, imported lazily
    assert fr.FREE_RUN_KERNELS["rnn"] == "rnnchaos.models.alrnn_free_run:alrnn_free_run"
    np.testing.assert_array_equal(free_run(model, z0, 4), _reference(model, z0, 4))  # it declines an Elman RNN
    assert callable(fr.FREE_RUN_KERNELS["rnn"])
    for bad in ((1, lambda m, z, n: None), ("rnn", "no_colon"), ("", lambda m, z, n: None)):
        with pytest.raises(ValueError, match="must be"):
            register_free_run_kernel(*bad)


def test_bad_input_is_a_value_error():
    model = build_model("plrnn", 2, 4, observation="linear", seed=0)
    with pytest.raises(ValueError, match=r"shape \(B, 4\)"):
        free_run(model, np.zeros((2, 3)), 5)
    with pytest.raises(ValueError, match="n_steps must be a positive integer"):
        free_run(model, np.zeros((2, 4)), 0)
    with pytest.raises(ValueError, match="needs a LatentModel"):
        free_run(object(), np.zeros((1, 2)), 3)
    with pytest.raises(ValueError, match="std must be a positive finite vector of length 2"):
        model.as_map(std=[1.0, 0.0])


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 40), b=st.integers(1, 4))
def test_a_run_of_n_steps_is_the_prefix_of_a_longer_one(seed, n, b):
    model = build_model("plrnn", 2, 5, observation="linear", seed=seed % 50)
    z0 = np.random.default_rng(seed).normal(size=(b, 5))
    long = free_run(model, z0, n + 7)
    np.testing.assert_array_equal(free_run(model, z0, n), long[:, :n])
    # and restarting from the state after k steps continues the same orbit
    k = max(1, n // 2)
    with torch.no_grad():
        zk = model.as_map().model.trajectory(torch.as_tensor(z0), k)[:, -1].numpy()
    np.testing.assert_allclose(free_run(model, zk, n + 7 - k), long[:, k:], rtol=1e-9, atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), arch=st.sampled_from(["plrnn", "gru", "lstm"]))
def test_adapter_decode_inverts_encode_in_data_units(seed, arch):
    """x -> infer_latent((x - mean)/std) -> observe -> * std + mean is the identity (linear observation with
    the pseudo-inverse: B B⁺ = I for a full-row-rank B)."""
    rng = np.random.default_rng(seed)
    model = build_model(arch, 3, 6, observation="linear", seed=seed % 97)
    mean, std = rng.normal(size=3), rng.uniform(0.1, 5.0, size=3)
    fmap = model.as_map(mean=mean, std=std)
    x = mean + std * rng.normal(size=(4, 3))
    np.testing.assert_allclose(fmap.decode(fmap.encode(x)), x, rtol=1e-9, atol=1e-9 * float(np.abs(x).max()))
