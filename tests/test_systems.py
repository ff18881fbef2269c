"""Ground-truth systems: registry, parameters, analytic Jacobians, integrator order, trajectories."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnchaos.core import TangentMap
from rnnchaos.systems import (
    SYSTEMS,
    Flow,
    MackeyGlass,
    get_system,
    rk4_integrate,
    rk4_step,
    rk4_tangent_step,
    system_names,
)

ALL = ["lorenz63", "rossler", "lorenz96", "duffing", "mackey_glass", "logistic", "tent", "henon"]
FLOWS = ["lorenz63", "rossler", "lorenz96", "duffing"]


def test_registry_names():
    assert system_names() == ALL
    assert set(SYSTEMS) == set(ALL)


def test_unknown_system_lists_valid_names():
    with pytest.raises(ValueError, match="unknown system 'lorenz'.*lorenz63.*henon"):
        get_system("lorenz")


def test_unknown_parameter_lists_valid_ones():
    with pytest.raises(ValueError, match="unknown parameter.*'rh'.*valid parameters: sigma, rho, beta"):
        get_system("lorenz63", rh=28)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "abc"])
def test_bad_parameter_values(value):
    with pytest.raises(ValueError, match="rho"):
        get_system("lorenz63", rho=value)


@pytest.mark.parametrize(("name", "params", "match"), [
    ("lorenz96", {"N": 3}, "N"), ("lorenz96", {"N": 40.5}, "integer"), ("logistic", {"r": 4.5}, "r"),
    ("logistic", {"r": -1}, "positive"), ("tent", {"mu": 2.5}, "mu"), ("mackey_glass", {"delay_steps": 2}, "delay_steps"),
])
def test_parameter_ranges(name, params, match):
    with pytest.raises(ValueError, match=match):
        get_system(name, **params)


def test_defaults_and_params():
    lor = get_system("lorenz63")
    assert lor.params == {"sigma": 10.0, "rho": 28.0, "beta": 8.0 / 3.0}
    assert get_system("lorenz96", N=7).dim == 7
    assert get_system("lorenz96").params["N"] == 40
    assert get_system("mackey_glass", delay_steps=17).dim == 19


@pytest.mark.parametrize("name", ALL)
def test_as_map_is_tangent_map(name):
    s = get_system(name)
    fmap = s.as_map(s.lyapunov_defaults().dt)
    assert isinstance(fmap, TangentMap)
    assert fmap.dim == s.dim
    assert (fmap.dt is None) == (s.kind == "map")


def _fd_jacobian(f, z, eps=1e-6):
    """Central finite-difference Jacobian of a batched function at states z (B, N)."""
    b, n = z.shape
    cols = []
    for i in range(n):
        e = np.zeros(n)
        e[i] = eps
        cols.append((f(z + e) - f(z - e)) / (2 * eps))
    return np.stack(cols, axis=-1)


@pytest.mark.parametrize("name", FLOWS)
def test_flow_jacobian_matches_finite_differences(name):
    s = get_system(name) if name != "lorenz96" else get_system(name, N=6)
    assert isinstance(s, Flow)
    z = s.default_initial_conditions(3, seed=1)
    jac = s.jacobian(z)
    np.testing.assert_allclose(jac, _fd_jacobian(s.rhs, z), rtol=1e-7, atol=1e-7)
    v = np.random.default_rng(0).standard_normal((3, s.dim, 2))
    np.testing.assert_allclose(s.jvp(z, v), jac @ v, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["logistic", "tent", "henon"])
def test_map_jacobian_matches_finite_differences(name):
    s = get_system(name)
    z = s.default_initial_conditions(4, seed=2)
    z = np.where(np.abs(z - 0.5) < 1e-3, 0.3, z)  # keep clear of the tent map's kink
    fmap = s.as_map()
    jac = fmap.jacobian(z)
    np.testing.assert_allclose(jac, _fd_jacobian(fmap.step, z), rtol=1e-7, atol=1e-8)
    q = np.random.default_rng(1).standard_normal((4, s.dim, s.dim))
    znew, w = fmap.tangent_step(z, q)
    np.testing.assert_allclose(znew, fmap.step(z))
    np.testing.assert_allclose(w, jac @ q, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["lorenz63", "rossler", "duffing", "lorenz96", "mackey_glass"])
def test_tangent_step_is_exact_derivative_of_discrete_step(name):
    s = get_system(name, N=5) if name == "lorenz96" else get_system(name, delay_steps=8) if name == "mackey_glass" \
        else get_system(name)
    fmap = s.as_map(s.lyapunov_defaults().dt if name != "mackey_glass" else None)
    z = s.default_initial_conditions(2, seed=3)
    if name == "mackey_glass":  # a non-constant history
        z = z + 0.1 * np.sin(np.arange(s.dim))[None, :]
    jac = fmap.jacobian(z)
    np.testing.assert_allclose(jac, _fd_jacobian(fmap.step, z, eps=1e-6), rtol=1e-6, atol=1e-8)


def test_rk4_order_four_on_known_solution():
    """Global error of RK4 at t = 2 on the harmonic oscillator (exact solution cos, -sin) and the
    logistic ODE x' = x(1 - x) (exact solution 1 / (1 + 9 e^{-t})): observed order 4."""
    def osc(z):
        return np.stack([z[:, 1], -z[:, 0]], axis=1)

    def logi(z):
        return z * (1 - z)

    for f, z0, exact in [
        (osc, np.array([[1.0, 0.0]]), np.array([math.cos(2.0), -math.sin(2.0)])),
        (logi, np.array([[0.1]]), np.array([1.0 / (1.0 + 9.0 * math.exp(-2.0))])),
    ]:
        errs = []
        hs = [0.2, 0.1, 0.05, 0.025]
        for h in hs:
            z = rk4_integrate(f, z0, h, round(2.0 / h))
            errs.append(np.abs(z[0] - exact).max())
        orders = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
        assert np.all(np.abs(orders - 4.0) < 0.15), orders


def test_rk4_tangent_on_linear_system_is_rk4_polynomial():
    """For z' = A z the RK4 map is P(hA) = I + hA + (hA)^2/2 + (hA)^3/6 + (hA)^4/24, state and tangent alike."""
    a = np.array([[0.3, -2.0, 0.1], [1.0, -0.5, 0.0], [0.2, 0.4, -1.0]])
    h = 0.1
    p = sum(np.linalg.matrix_power(h * a, j) / math.factorial(j) for j in range(5))
    z = np.array([[1.0, -2.0, 0.5]])
    q = np.eye(3)[None]
    znew, w = rk4_tangent_step(lambda x: x @ a.T, lambda x, v: a @ v, z, q, h)
    np.testing.assert_allclose(znew[0], p @ z[0], rtol=1e-14)
    np.testing.assert_allclose(w[0], p, rtol=1e-14)
    np.testing.assert_allclose(rk4_step(lambda x: x @ a.T, z, h)[0], p @ z[0], rtol=1e-14)


def test_mackey_glass_agrees_with_fine_step_reference():
    """Same constant history x = 1.2, h = 0.1 and 0.05 against h = 0.0125: x(t) on t in [0, 100] agrees
    to 1e-4 (amplitude ~1) and converges at order >= 2. (A constant history has a jump of x' at t = 0;
    interpolating across it limits the global order to 2; see the module docstring.)"""
    fine = MackeyGlass(delay_steps=1360)
    ref = fine.trajectory(100, dt=1.0, transient=0, x0=1.2)[:, 0]
    errs = []
    for m in (170, 340):
        coarse = MackeyGlass(delay_steps=m)
        x = coarse.trajectory(100, dt=1.0, transient=0, x0=1.2)[:, 0]
        errs.append(np.abs(x - ref).max())
    assert errs[0] < 1e-4, errs
    assert errs[0] / errs[1] > 3.5, errs
    assert np.ptp(ref[20:]) > 0.5  # it actually oscillates


def test_mackey_glass_dt_must_be_multiple_of_step():
    s = MackeyGlass()
    assert s.as_map(1.0).dt == pytest.approx(1.0)
    with pytest.raises(ValueError, match="multiple"):
        s.as_map(0.15)


@pytest.mark.parametrize("name", ALL)
def test_trajectory_shape_finite_and_seeded(name):
    s = get_system(name)
    x = s.trajectory(50, transient=100, seed=3)
    assert x.shape == (50, s.observed_dim)
    assert x.dtype == np.float64 and np.isfinite(x).all()
    np.testing.assert_array_equal(x, s.trajectory(50, transient=100, seed=3))


def test_trajectory_options():
    s = get_system("lorenz63")
    clean = s.trajectory(2000, dt=0.02, transient=500, seed=4)
    noisy = s.trajectory(2000, dt=0.02, transient=500, seed=4, noise=0.1)
    rel = (noisy - clean).std(axis=0) / clean.std(axis=0)
    np.testing.assert_allclose(rel, 0.1, rtol=0.1)
    std = s.trajectory(2000, dt=0.02, transient=500, seed=4, standardize=True)
    np.testing.assert_allclose(std.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(std.std(axis=0), 1.0, rtol=1e-12)
    x0 = s.trajectory(3, transient=0, x0=[1.0, 2.0, 3.0])
    np.testing.assert_array_equal(x0[0], [1.0, 2.0, 3.0])
    # sampling at dt = 0.02 equals every second sample at dt = 0.01 (integration step 0.01)
    a = s.trajectory(20, dt=0.02, transient=0, x0=[1.0, 2.0, 3.0])
    b = s.trajectory(40, dt=0.01, transient=0, x0=[1.0, 2.0, 3.0])
    np.testing.assert_allclose(a, b[::2], rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"n_steps": 0}, "n_steps"), ({"n_steps": 10, "dt": 0.0}, "dt"), ({"n_steps": 10, "dt": float("nan")}, "dt"),
    ({"n_steps": 10, "noise": -1.0}, "noise"), ({"n_steps": 10, "transient": -1}, "transient"),
    ({"n_steps": 10, "x0": [1.0, 2.0]}, "x0"), ({"n_steps": 10, "x0": [1.0, np.nan, 2.0]}, "x0"),
])
def test_trajectory_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        get_system("lorenz63").trajectory(**kwargs)


def test_map_trajectory_rejects_dt_and_divergence_is_reported():
    with pytest.raises(ValueError, match="map"):
        get_system("henon").trajectory(10, dt=0.1)
    with pytest.raises(ValueError, match="non-finite"):
        get_system("henon").trajectory(200, transient=0, x0=[5.0, 5.0])


def test_duffing_phase_is_wrapped_and_autonomous():
    s = get_system("duffing")
    x = s.trajectory(500, dt=0.1, transient=0, seed=0)
    assert np.all((x[:, 2] >= 0) & (x[:, 2] < 2 * math.pi))
    np.testing.assert_allclose(np.diff(np.unwrap(x[:, 2])), 0.1 * 1.2, rtol=1e-12)


@settings(max_examples=30, deadline=None)
@given(sigma=st.floats(1, 20), rho=st.floats(0.5, 50), beta=st.floats(0.1, 5))
def test_lorenz_divergence_is_constant(sigma, rho, beta):
    s = get_system("lorenz63", sigma=sigma, rho=rho, beta=beta)
    z = np.random.default_rng(0).normal(size=(5, 3)) * 10
    np.testing.assert_allclose(s.divergence(z), -(sigma + 1 + beta), rtol=1e-12)
    assert s.reference().exact_sum == pytest.approx(-(sigma + 1 + beta))


def test_reference_table_matches_design():
    assert get_system("lorenz63").reference().exponents == (0.9056, 0.0, -14.5723)
    assert get_system("lorenz63").reference().exact_sum == pytest.approx(-13.6667, abs=1e-4)
    assert get_system("rossler").reference().exponents == (0.0714, 0.0, -5.3943)
    assert get_system("henon").reference().exponents == (0.41922, -1.62319)
    assert get_system("henon").reference().exact_sum == pytest.approx(math.log(0.3))
    assert get_system("logistic").reference().exponents == (pytest.approx(math.log(2)),)
    assert get_system("tent", mu=1.7).reference().exponents == (pytest.approx(math.log(1.7)),)
    assert get_system("lorenz96").reference().exponents == (1.68,)
    assert get_system("lorenz96", N=10).reference().exact_sum == -10.0
    assert get_system("lorenz63", rho=30).reference().exponents is None  # only verified values
    assert get_system("mackey_glass").reference().exponents is None
    for name in ALL:
        ref = get_system(name).reference()
        if ref is not None:
            assert ref.source and ref.units in ("per_step", "per_time")
