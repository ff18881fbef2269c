"""Lyapunov spectra of RNN models against exact truths; orbit classification; exact PLRNN cycles."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnchaos.core import FunctionMap
from rnnchaos.dynamics.orbit_classification import classify_orbits, dominant_orbit_type
from rnnchaos.dynamics.plrnn_cycles import find_cycles
from rnnchaos.models import FunctionModel, build_model
from rnnchaos.models.spectrum import model_lyapunov_spectrum
from test_rnn_examples import chaotic_plrnn, cycle_plrnn, lozi_shplrnn, plrnn, quasiperiodic_plrnn

F64 = torch.float64

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _linear_model(a: np.ndarray, analytic: bool) -> FunctionModel:
    at = torch.as_tensor(a)
    jac = (lambda z: at.expand(z.shape[0], -1, -1)) if analytic else None
    return FunctionModel(lambda z: z @ at.T, a.shape[0], jacobian=jac)


@pytest.mark.parametrize("analytic", [True, False])
def test_linear_rnn_real_and_complex_eigenvalues(analytic):
    # A = P diag(blocks) P^-1: a complex pair r e^{±iθ} (r = 0.9), and real eigenvalues 1.05 and -0.5
    r, theta = 0.9, 0.7
    block = np.zeros((4, 4))
    block[:2, :2] = r * np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    block[2, 2], block[3, 3] = 1.05, -0.5
    p = np.eye(4) + 0.3 * np.random.default_rng(0).normal(size=(4, 4))
    a = p @ block @ np.linalg.inv(p)
    exact = np.sort(np.log(np.abs(np.linalg.eigvals(a))))[::-1]
    np.testing.assert_allclose(exact, [math.log(1.05), math.log(0.9), math.log(0.9), math.log(0.5)], atol=1e-12)
    n = 4000
    spec = model_lyapunov_spectrum(_linear_model(a, analytic), n, n_initial_conditions=2, transient=0,
                                   reortho_every=1, seed=1)
    # finite-time error of the QR method on a linear map is O(log cond(P) / n)
    bound = 4.0 * math.log(np.linalg.cond(p)) / n + 1e-9
    np.testing.assert_allclose(spec.exponents, exact, atol=bound)
    # with a QR at every step the sum is exact at any length: log|det A|
    assert spec.sum == pytest.approx(math.log(abs(np.linalg.det(a))), abs=1e-10)
    assert spec.units == "per_step"


SUM_CASES = [
    ("plrnn", {}), ("plrnn", {"clipped": True}), ("shplrnn", {"hidden_dim": 16}),
    ("shplrnn", {"hidden_dim": 16, "clipped": True}), ("alrnn", {"relu_units": 3}), ("rnn", {"gain": 1.8}), ("lstm", {"gain": 3.0}),
    ("gru", {"gain": 3.0}),
]


@pytest.mark.parametrize(("arch", "kw"), SUM_CASES)
def test_sum_of_exponents_is_orbit_mean_log_det(arch, kw):
    model = build_model(arch, 2, 6, seed=4, dtype=F64, **kw)
    z0 = np.random.default_rng(2).normal(size=(3, 6))
    transient, tangent_transient, n = 50, 20, 300
    spec = model_lyapunov_spectrum(model, n, z0=z0, transient=transient, tangent_transient=tangent_transient,
                                   reortho_every=1, seed=0)
    fmap = model.as_map()
    z = z0.copy()
    for _ in range(transient + tangent_transient):
        z = fmap.step(z)
    logdet = np.zeros(3)
    for _ in range(n):
        logdet += np.linalg.slogdet(fmap.jacobian(z))[1]
        z = fmap.step(z)
    assert spec.sum == pytest.approx(float(np.mean(logdet / n)), abs=1e-9)


def test_chaotic_examples_sum_rule_and_lozi_literature_value():
    spec = model_lyapunov_spectrum(lozi_shplrnn(), 20000, z0=np.full((2, 2), 0.1) + [[0, 0], [0.05, 0]],
                                   reortho_every=1, seed=0)
    # Lozi map: |det J| = b everywhere, so with a QR at every step the sum is ln b to rounding; λ1 ≈ 0.47 for a = 1.7, b = 0.5
    assert spec.sum == pytest.approx(math.log(0.5), abs=1e-10)
    assert 0.45 < spec.lambda_max < 0.49


@pytest.mark.parametrize(("gain", "sign"), [(0.8, -1), (1.5, 1)])
def test_random_tanh_rnn_transition(gain, sign):
    model = build_model("rnn", 1, 500, gain=gain, init="normal", seed=0, dtype=F64)
    spec = model_lyapunov_spectrum(model, 1500, k=1, n_initial_conditions=2, transient=500, seed=0)
    assert sign * spec.lambda_max > 0.02


# ---------------------------------------------------------------------- orbit classification
def test_classification_of_exact_examples():
    rot = 0.5 * (1 + math.sqrt(5))  # irrational rotation number
    c, s = math.cos(rot), math.sin(rot)
    rotation = FunctionMap(lambda z: z @ np.array([[c, s], [-s, c]]),
                           lambda z: np.broadcast_to(np.array([[c, -s], [s, c]]), (z.shape[0], 2, 2)), dim=2)
    contraction = FunctionMap(lambda z: 0.5 * z + 1.0, lambda z: np.broadcast_to(0.5 * np.eye(2), (z.shape[0], 2, 2)),
                              dim=2)
    flip = FunctionMap(lambda z: -z, lambda z: np.broadcast_to(-np.eye(2), (z.shape[0], 2, 2)), dim=2)
    expand = FunctionMap(lambda z: 2.0 * z, lambda z: np.broadcast_to(2.0 * np.eye(2), (z.shape[0], 2, 2)), dim=2)
    z0 = np.array([[0.3, -0.2], [1.0, 0.5]])
    assert [x.label for x in classify_orbits(contraction, z0)] == ["fixed_point"] * 2
    assert [x.label for x in classify_orbits(flip, z0)] == ["2-cycle"] * 2
    qp = classify_orbits(rotation, z0, seed=0)
    assert [x.label for x in qp] == ["quasi_periodic"] * 2
    assert all(abs(x.lambda_max) < 1e-10 for x in qp)
    assert [x.label for x in classify_orbits(expand, z0)] == ["divergent"] * 2
    hen = FunctionMap(lambda z: np.stack([1 - 1.4 * z[:, 0] ** 2 + z[:, 1], 0.3 * z[:, 0]], axis=1),
                      lambda z: np.stack([np.stack([-2.8 * z[:, 0], np.ones(len(z))], 1),
                                          np.stack([np.full(len(z), 0.3), np.zeros(len(z))], 1)], 1), dim=2)
    res = classify_orbits(hen, np.array([[0.1, 0.1]]), seed=0)
    assert res[0].label == "chaotic" and abs(res[0].lambda_max - 0.41922) < 0.02
    assert dominant_orbit_type(res + qp) == "quasi_periodic"


def test_divergent_plrnn_and_bad_input():
    model = plrnn([1.5, 1.5], [[0.0, 0.0], [0.0, 0.0]], [1.0, 1.0])
    assert classify_orbits(model.as_map(), np.ones((1, 2)))[0].orbit_type == "divergent"
    with pytest.raises(ValueError, match="shape"):
        classify_orbits(model.as_map(), np.ones((1, 3)))
    with pytest.raises(ValueError, match="NaN"):
        classify_orbits(model.as_map(), np.array([[np.nan, 1.0]]))


# ---------------------------------------------------------------------- exact cycles of PLRNNs
def test_lozi_fixed_points_are_exact():
    a, b = 1.7, 0.5
    fps, info = find_cycles(lozi_shplrnn(a, b), 1)
    xs = sorted(float(o.points[0, 0]) for o in fps)
    np.testing.assert_allclose(xs, [1 / (1 - a - b), 1 / (1 + a - b)], atol=1e-12)
    for o in fps:
        assert o.points[0, 0] == pytest.approx(o.points[0, 1], abs=1e-12)  # y* = x*
        # Lozi fixed-point multipliers solve μ² ± a μ - b = 0
        np.testing.assert_allclose(np.sort(np.abs(o.multipliers)),
                                   np.sort(np.abs(np.roots([1, np.sign(o.points[0, 0]) * a, -b]))), atol=1e-12)
    assert info["singular"] == 0


def test_stable_cycle_found_exactly_and_matches_iteration_and_spectrum():
    model = cycle_plrnn()
    cycles, _ = find_cycles(model, 3)
    stable = [c for c in cycles if c.stable]
    assert len(stable) == 1
    fmap = model.as_map()
    z = np.random.default_rng(0).normal(size=(4, 3))
    for _ in range(3000):
        z = fmap.step(z)
    # every IC lands on the stable 3-cycle: its points are those of the exact solution
    d = np.min(np.max(np.abs(z[:, None, :] - stable[0].points[None]), axis=2), axis=1)
    assert np.all(d < 1e-12)
    spec = model_lyapunov_spectrum(model, 3000, n_initial_conditions=2, seed=0)
    np.testing.assert_allclose(spec.exponents, stable[0].exponents, atol=2e-3)
    assert find_cycles(model, 2)[0] == []  # no 2-cycles


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), clipped=st.booleans(), period=st.integers(1, 3))
def test_found_cycles_are_true_minimal_cycles(seed, clipped, period):
    rng = np.random.default_rng(seed)
    w = rng.normal(0, 2, (3, 3))
    np.fill_diagonal(w, 0)
    model = plrnn(rng.uniform(-0.9, 0.9, 3).tolist(), w.tolist(), rng.normal(size=3).tolist(), clipped=clipped)
    fmap = model.as_map()
    cycles, _ = find_cycles(model, period)
    for c in cycles:
        z = c.points[:1]
        for j in range(period):
            np.testing.assert_allclose(z[0], c.points[j], atol=1e-8 * (1 + np.abs(c.points).max()))
            z = fmap.step(z)
        np.testing.assert_allclose(z[0], c.points[0], atol=1e-8 * (1 + np.abs(c.points).max()))
        if period > 1:
            assert np.max(np.abs(c.points[1:] - c.points[0]), axis=1).min() > 0
    # a fixed point reached by iteration is among the enumerated ones
    if period == 1:
        z = rng.normal(size=(8, 3))
        for _ in range(2000):
            z = fmap.step(z)
        nxt = fmap.step(z)
        for zi, ni in zip(z, nxt, strict=True):
            if np.all(np.isfinite(zi)) and np.max(np.abs(ni - zi)) < 1e-12 * (1 + np.abs(zi).max()):
                assert any(np.max(np.abs(c.points[0] - zi)) < 1e-8 * (1 + np.abs(zi).max()) for c in cycles)


def test_find_cycles_rejects_large_and_wrong_models():
    with pytest.raises(ValueError, match="max_sequences"):
        find_cycles(build_model("plrnn", 2, 12, seed=0), 2)
    with pytest.raises(ValueError, match="plrnn"):
        find_cycles(build_model("rnn", 2, 4, seed=0), 1)


def test_quasiperiodic_plrnn_has_zero_exponent():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec = model_lyapunov_spectrum(quasiperiodic_plrnn(), 20000, n_initial_conditions=2, seed=0)
    assert abs(spec.lambda_max) < 5e-3 and spec.exponents[1] < -0.1


def test_chaotic_plrnn_positive_exponent():
    spec = model_lyapunov_spectrum(chaotic_plrnn(), 10000, n_initial_conditions=2, seed=0)
    assert spec.lambda_max > 0.1


@pytest.mark.parametrize("kind", ["lstm", "gru", "function"])
def test_sum_rule_for_wrapped_modules_and_functions(kind):
    from rnnchaos.models import wrap_model

    if kind == "function":
        a = torch.tensor([[1.2, -0.7, 0.3], [0.9, 0.4, -1.1], [-0.5, 1.3, 0.8]], dtype=F64)
        model = FunctionModel(lambda z: torch.tanh(2.0 * z @ a.T), 3)  # autograd Jacobian
    else:
        gen_state = torch.get_rng_state()
        torch.manual_seed(5)  # only to create the user's module; restored below
        module = (torch.nn.LSTM(2, 3) if kind == "lstm" else torch.nn.GRU(2, 3)).to(F64)
        torch.set_rng_state(gen_state)
        with torch.no_grad():
            module.weight_hh_l0.mul_(4.0)
        model = wrap_model(module)
    m = model.latent_dim
    z0 = np.random.default_rng(3).normal(size=(2, m))
    spec = model_lyapunov_spectrum(model, 200, z0=z0, transient=30, tangent_transient=10, reortho_every=1, seed=0)
    fmap = model.as_map()
    z = z0.copy()
    for _ in range(40):
        z = fmap.step(z)
    logdet = np.zeros(2)
    for _ in range(200):
        logdet += np.linalg.slogdet(fmap.jacobian(z))[1]
        z = fmap.step(z)
    assert spec.sum == pytest.approx(float(np.mean(logdet / 200)), abs=1e-9)
