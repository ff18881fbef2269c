"""Latent models: analytic Jacobians against autograd (1e-10 in float64), matrix-free tangents, wrapped
PyTorch modules against the modules themselves, observation models, configs and checkpoints."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnchaos.core import TangentMap
from rnnchaos.models import (
    FunctionModel,
    LatentModel,
    TorchModuleModel,
    autograd_jacobian,
    build_model,
    load_checkpoint,
    model_from_config,
    save_checkpoint,
    wrap_model,
)

F64 = torch.float64
CASES = [
    ("plrnn", {}),
    ("plrnn", {"clipped": True}),
    ("shplrnn", {"hidden_dim": 12}),
    ("shplrnn", {"hidden_dim": 12, "clipped": True}),
    ("alrnn", {"relu_units": 5}),
    ("alrnn", {"relu_units": 8}),
    ("rnn", {"gain": 1.5}),
    ("rnn", {"nonlinearity": "relu", "bias": "uniform"}),
    ("lstm", {"gain": 2.0}),
    ("gru", {"gain": 2.0}),
]


def _model(arch: str, kw: dict, seed: int = 3, m: int = 8, **extra) -> LatentModel:
    return build_model(arch, 3, m, seed=seed, dtype=F64, **kw, **extra)


@pytest.mark.parametrize(("arch", "kw"), CASES)
@pytest.mark.parametrize("input_dim", [0, 2])
def test_jacobian_matches_autograd(arch, kw, input_dim):
    model = _model(arch, kw, input_dim=input_dim)
    gen = torch.Generator().manual_seed(0)
    z = 2.0 * torch.randn(6, 8, generator=gen, dtype=F64)
    s = torch.randn(6, input_dim, generator=gen, dtype=F64) if input_dim else None
    jac = model.jacobian(z, s)
    ref = autograd_jacobian(lambda x: model.step(x, s), z)
    assert jac.shape == (6, 8, 8)
    assert torch.allclose(jac, ref, atol=1e-10, rtol=0)
    q = torch.randn(6, 8, 4, generator=gen, dtype=F64)
    f, jq = model.tangent(z, q, s)
    assert torch.allclose(f, model.step(z, s), atol=0, rtol=0)
    assert torch.allclose(jq, jac @ q, atol=1e-12, rtol=0)


@settings(max_examples=30, deadline=None)
@given(case=st.sampled_from(CASES), seed=st.integers(0, 2**31 - 1), scale=st.floats(0.1, 5.0))
def test_jacobian_property_random_states(case, seed, scale):
    arch, kw = case
    model = _model(arch, kw, seed=seed % 1000)
    z = scale * torch.randn(3, 8, generator=torch.Generator().manual_seed(seed), dtype=F64)
    assert torch.allclose(model.jacobian(z), autograd_jacobian(model.step, z), atol=1e-10, rtol=0)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_wrapped_torch_module_is_exact(kind):
    gen_state = torch.get_rng_state()
    cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind]
    torch.manual_seed(11)  # only to create the user's module; restored below
    module = cls(2, 5, batch_first=True).to(F64)
    torch.set_rng_state(gen_state)
    model = wrap_model(module)
    assert isinstance(model, TorchModuleModel)
    m = 10 if kind == "lstm" else 5
    assert model.latent_dim == m and model.input_dim == 2
    z = torch.randn(4, m, generator=torch.Generator().manual_seed(1), dtype=F64)
    s = torch.randn(4, 2, generator=torch.Generator().manual_seed(2), dtype=F64)
    h0 = z[:, :5][None]
    with torch.no_grad():
        if kind == "lstm":
            _, (h1, c1) = module(s[:, None, :], (h0, z[:, 5:][None]))
            expected = torch.cat([h1[0], c1[0]], dim=1)
        else:
            _, h1 = module(s[:, None, :], h0)
            expected = h1[0]
        got = model.step(z, s)
    assert torch.allclose(got, expected, atol=1e-13, rtol=0)
    jac = model.jacobian(z, s)
    assert torch.allclose(jac, autograd_jacobian(lambda x: model.step(x, s), z), atol=1e-10, rtol=0)
    # zero input when used as a map
    f0 = torch.from_numpy(model.as_map().step(z.numpy()))
    assert torch.allclose(f0, model.step(z, torch.zeros(2, dtype=F64)), atol=1e-14, rtol=0)


def test_function_model_autograd_fallback_and_given_jacobian():
    a = torch.tensor([[0.5, -0.3], [0.2, 0.9]], dtype=F64)

    def step(z):
        return torch.sin(z @ a.T)

    model = FunctionModel(step, 2)
    z = torch.tensor([[0.3, -1.0], [2.0, 0.1]], dtype=F64)
    expected = torch.cos(z @ a.T)[:, :, None] * a[None]
    assert torch.allclose(model.jacobian(z), expected, atol=1e-14, rtol=0)
    given_jac = FunctionModel(step, 2, jacobian=lambda x: torch.cos(x @ a.T)[:, :, None] * a[None])
    assert torch.allclose(given_jac.jacobian(z), expected, atol=0, rtol=0)
    assert model.config()["arch"] == "function"
    with pytest.raises(ValueError, match="cannot rebuild"):
        model_from_config(model.config())


@pytest.mark.parametrize(("arch", "kw"), CASES)
def test_as_map_is_a_float64_tangent_map(arch, kw):
    model = build_model(arch, 3, 8, seed=0, **kw)  # float32 by default
    assert model.dtype == torch.float32
    fmap = model.as_map()
    assert isinstance(fmap, TangentMap) and fmap.dim == 8 and fmap.dt is None
    z = np.random.default_rng(0).normal(size=(5, 8))
    q = np.random.default_rng(1).normal(size=(5, 8, 3))
    f, jq = fmap.tangent_step(z, q)
    assert f.dtype == np.float64 and jq.shape == (5, 8, 3)
    np.testing.assert_allclose(jq, fmap.jacobian(z) @ q, atol=1e-12)
    np.testing.assert_allclose(f, fmap.step(z), atol=0)
    # the map is a float64 copy of the float32 model
    with torch.no_grad():
        f32 = model.step(torch.from_numpy(z).float()).double().numpy()
    np.testing.assert_allclose(f, f32, atol=1e-5)


def test_constant_input_in_as_map():
    model = build_model("plrnn", 2, 4, seed=0, input_dim=2, dtype=F64)
    s = np.array([0.5, -1.0])
    z = np.random.default_rng(0).normal(size=(3, 4))
    with torch.no_grad():
        expected = model.step(torch.from_numpy(z), torch.from_numpy(s)).numpy()
    np.testing.assert_allclose(model.as_map(input=s).step(z), expected, atol=0)
    with pytest.raises(ValueError, match="input_dim"):
        model.as_map(input=[1.0, 2.0, 3.0])


def test_plrnn_structure_and_initial_stability():
    model = build_model("plrnn", 3, 10, seed=5, dtype=F64)
    assert torch.all(torch.diagonal(model.W_eff) == 0)
    assert torch.all((model.A > 0) & (model.A < 1))
    # every linear piece A + W D has eigenvalues inside the unit circle at initialisation for D = I
    aw = torch.diag(model.A) + model.W_eff
    assert torch.linalg.eigvals(aw).abs().max() <= 0.95 + 1e-12
    with torch.no_grad():
        traj = model.trajectory(torch.randn(20, 10, generator=torch.Generator().manual_seed(0), dtype=F64), 500)
    assert torch.isfinite(traj).all() and traj[:, -1].abs().max() < 1e3


@pytest.mark.parametrize("observation", ["identity", "linear", "affine"])
def test_infer_latent_reproduces_observation(observation):
    model = build_model("shplrnn", 3, 6, observation=observation, seed=2, dtype=F64)
    gen = torch.Generator().manual_seed(4)
    if observation == "affine":  # a non-zero offset, so that b matters
        with torch.no_grad():
            model.b.copy_(torch.randn(3, generator=gen, dtype=F64))
    x = torch.randn(5, 3, generator=gen, dtype=F64)
    z = torch.randn(5, 6, generator=gen, dtype=F64)
    with torch.no_grad():
        for zz in (None, z):
            inferred = model.infer_latent(x, zz)
            assert inferred.shape == (5, 6)
            assert torch.allclose(model.observe(inferred), x, atol=1e-12)
        if observation == "identity":
            assert torch.equal(model.infer_latent(x, z)[:, 3:], z[:, 3:])
            assert torch.equal(model.infer_latent(x)[:, 3:], torch.zeros(5, 3, dtype=F64))
        else:
            # minimum-norm change: the correction lies in the row space of B
            delta = model.infer_latent(x, z) - z
            proj = torch.linalg.pinv(model.B) @ model.B
            assert torch.allclose(delta @ proj.T, delta, atol=1e-12)


@pytest.mark.parametrize(("arch", "kw"), CASES)
def test_config_roundtrip_and_checkpoint(arch, kw, tmp_path):
    model = build_model(arch, 3, 8, seed=7, observation="linear", **kw)
    path = tmp_path / "model.pt"
    save_checkpoint(model, path)
    loaded = load_checkpoint(path)
    assert type(loaded) is type(model) and loaded.config() == model.config()
    z = torch.randn(4, 8, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(loaded.step(z), model.step(z))
    data = torch.load(path, weights_only=True)
    assert set(data) == {"config", "state_dict"}


def test_affine_observation_checkpoint_keeps_the_offset(tmp_path):
    model = build_model("alrnn", 3, 8, seed=7, observation="affine", relu_units=3)
    with torch.no_grad():
        model.b.copy_(torch.tensor([0.5, -1.0, 2.0]))
    save_checkpoint(model, tmp_path / "a.pt")
    loaded = load_checkpoint(tmp_path / "a.pt")
    z = torch.randn(4, 8, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(loaded.observe(z), model.observe(z))
        assert torch.equal(loaded.observe(z) - z @ loaded.B.T, torch.tensor([0.5, -1.0, 2.0]).expand(4, 3))


def test_alrnn_is_linear_on_its_first_units_and_a_plrnn_when_all_are_rectified():
    gen = torch.Generator().manual_seed(1)
    z = 2.0 * torch.randn(7, 6, generator=gen, dtype=F64)
    lin = build_model("alrnn", 2, 6, seed=3, relu_units=0, dtype=F64)
    with torch.no_grad():
        want = lin.A * z + z @ lin.W_eff.T + lin.h
        assert torch.allclose(lin.step(z), want, atol=1e-14, rtol=0)
        full = build_model("alrnn", 2, 6, seed=3, relu_units=6, dtype=F64)
        plrnn = build_model("plrnn", 2, 6, seed=3, dtype=F64)
        plrnn.load_state_dict(full.state_dict())
        assert torch.equal(full.step(z), plrnn.step(z))
        part = build_model("alrnn", 2, 6, seed=3, relu_units=2, dtype=F64)
        phi = torch.cat([z[:, :4], torch.relu(z[:, 4:])], dim=1)
        assert torch.allclose(part.step(z), part.A * z + phi @ part.W_eff.T + part.h, atol=1e-14, rtol=0)
        assert torch.all(torch.diagonal(part.W_eff) == 0) and part.linear_units == 4
    with pytest.raises(ValueError, match="relu_units"):
        build_model("alrnn", 2, 6, relu_units=7)


def test_wrapped_module_checkpoint(tmp_path):
    model = wrap_model(torch.nn.GRU(3, 4))
    save_checkpoint(model, tmp_path / "g.pt")
    loaded = load_checkpoint(tmp_path / "g.pt")
    z = torch.randn(2, 4, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(loaded.step(z), model.step(z))


def test_seeding_is_local_and_reproducible():
    state = torch.get_rng_state()
    a = build_model("rnn", 2, 16, seed=42)
    b = build_model("rnn", 2, 16, seed=42)
    c = build_model("rnn", 2, 16, seed=43)
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.equal(a.weight_hh, b.weight_hh)
    assert not torch.equal(a.weight_hh, c.weight_hh)


@pytest.mark.parametrize("init", ["normal", "he", "glorot", "orthogonal", "pytorch"])
def test_rnn_init_schemes(init):
    n = 400
    w = build_model("rnn", 1, n, seed=0, init=init, gain=2.0, dtype=F64).weight_hh.detach()
    if init == "orthogonal":
        assert torch.allclose(w @ w.T, 4.0 * torch.eye(n, dtype=F64), atol=1e-10)
    else:
        var = {"normal": 1.0 / n, "he": 2.0 / n, "glorot": 1.0 / n, "pytorch": 1.0 / (3 * n)}[init]
        assert abs(w.var().item() / (4.0 * var) - 1.0) < 0.02


def test_bad_input_raises_value_error():
    with pytest.raises(ValueError, match="unknown architecture"):
        build_model("transformer", 2, 4)
    with pytest.raises(ValueError, match="even"):
        build_model("lstm", 2, 5)
    with pytest.raises(ValueError, match="obs_dim <= latent_dim"):
        build_model("plrnn", 5, 3)
    with pytest.raises(ValueError, match="init scheme"):
        build_model("rnn", 2, 4, init="xavier-ish")
    model = build_model("plrnn", 2, 4)
    with pytest.raises(ValueError, match="shape"):
        model.step(torch.zeros(3, 5))
    with pytest.raises(ValueError, match="seed"):
        build_model("plrnn", 2, 4, seed=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="does not exist"):
        load_checkpoint("/nonexistent/model.pt")


def test_huge_sizes_and_nonfinite_checkpoints_are_refused(tmp_path):
    with pytest.raises(ValueError, match="parameters"):
        build_model("rnn", 2, 10**6)
    with pytest.raises(ValueError, match="parameters"):
        build_model("shplrnn", 2, 100, hidden_dim=10**8)
    with pytest.raises(ValueError, match="parameters"):
        model_from_config({**build_model("plrnn", 2, 4).config(), "latent_dim": 10**6})
    model = build_model("plrnn", 2, 4, seed=0)
    with torch.no_grad():
        model.W[0, 1] = float("nan")
    save_checkpoint(model, tmp_path / "nan.pt")
    with pytest.raises(ValueError, match="NaN or inf"):
        load_checkpoint(tmp_path / "nan.pt")
