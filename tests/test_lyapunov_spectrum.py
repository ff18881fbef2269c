"""Lyapunov spectrum engine: exact truths (linear maps, tent, logistic, det J), reference values, diagnostics."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnchaos.core import FunctionMap
from rnnchaos.dynamics.kaplan_yorke import kaplan_yorke_dimension
from rnnchaos.dynamics.lyapunov_spectrum import CONDITION_LIMIT, LyapunovSpectrumWarning, lyapunov_spectrum
from rnnchaos.dynamics.predictability import predictability_time, predictability_time_from_rate
from rnnchaos.systems import get_system


def linear_map(a: np.ndarray) -> FunctionMap:
    a = np.asarray(a, dtype=float)
    n = a.shape[0]
    return FunctionMap(lambda z: z @ a.T, lambda z: np.broadcast_to(a, (z.shape[0], n, n)), dim=n)


def quiet(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LyapunovSpectrumWarning)
        return lyapunov_spectrum(*args, **kwargs)


# ----------------------------------------------------------------------------------------- exact truths

def test_linear_map_real_eigenvalues():
    """z <- A z: the exponents are log|eig A| (state at the fixed point 0; only the tangent space moves)."""
    rng = np.random.default_rng(0)
    s = np.linalg.qr(rng.standard_normal((4, 4)))[0] + 0.3 * rng.standard_normal((4, 4))
    eig = np.array([2.5, -1.3, 0.7, -0.2])
    a = s @ np.diag(eig) @ np.linalg.inv(s)
    res = lyapunov_spectrum(linear_map(a), np.zeros(4), 4000, transient=0, tangent_transient=200, seed=1)
    expected = np.sort(np.log(np.abs(eig)))[::-1]
    # the only error is log(cond(frame change)) / n_steps
    np.testing.assert_allclose(res.exponents, expected, atol=2e-3)
    assert res.units == "per_step" and res.dt is None


def test_linear_map_complex_eigenvalues():
    """A rotation-scaling block r R(θ) contributes log r twice; a real eigenvalue 0.5 gives log 0.5."""
    r, th = 1.7, 0.9
    a = np.zeros((3, 3))
    a[:2, :2] = r * np.array([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]])
    a[2, 2] = 0.5
    a[0, 2] = 3.0  # non-normal coupling
    res = lyapunov_spectrum(linear_map(a), np.zeros((2, 3)), 3000, transient=0, seed=2)
    np.testing.assert_allclose(res.exponents, [math.log(r), math.log(r), math.log(0.5)], atol=2e-3)
    # the sum is exactly log|det A| per step
    np.testing.assert_allclose(res.sum, math.log(abs(np.linalg.det(a))), rtol=1e-12)


@settings(max_examples=25, deadline=None)
@given(logs=st.lists(st.floats(-2.0, 2.0), min_size=2, max_size=4, unique=True).filter(
    lambda v: np.min(np.diff(np.sort(v))) > 0.2), seed=st.integers(0, 2**16))
def test_linear_map_property(logs, seed):
    """Random well-conditioned A = S diag(±e^l) S^-1 with exponent gaps > 0.2: exponents are the l's."""
    n = len(logs)
    rng = np.random.default_rng(seed)
    s = np.linalg.qr(rng.standard_normal((n, n)))[0] + 0.2 * rng.standard_normal((n, n))
    signs = rng.choice([-1.0, 1.0], size=n)
    a = s @ np.diag(signs * np.exp(logs)) @ np.linalg.inv(s)
    res = lyapunov_spectrum(linear_map(a), np.zeros(n), 2000, transient=0, tangent_transient=150, seed=seed)
    bound = 2 * math.log(np.linalg.cond(s)) / 2000 + 1e-9  # frame-change offset over the run
    np.testing.assert_allclose(res.exponents, np.sort(logs)[::-1], atol=bound)


@settings(max_examples=30, deadline=None)
@given(mu=st.floats(0.2, 2.0))
def test_tent_map_is_ln_mu(mu):
    """|f'| = μ everywhere, so every orbit has λ = ln μ exactly."""
    tent = get_system("tent", mu=mu)
    res = lyapunov_spectrum(tent.as_map(), tent.default_initial_conditions(4, seed=0), 300, transient=10, seed=0)
    np.testing.assert_allclose(res.per_initial_condition, math.log(mu), rtol=0, atol=1e-12)
    assert res.warnings == ()


def test_logistic_r4_is_ln2():
    lg = get_system("logistic")
    res = lyapunov_spectrum(lg.as_map(), lg.default_initial_conditions(64, seed=1), 20000, transient=100, seed=1)
    assert abs(res.lambda_max / math.log(2) - 1) < 0.005


def test_logistic_r383_has_negative_exponent():
    """Period 3 exists at r = 3.83 (docs/architecture.md) but the attracting 3-cycle gives λ < 0."""
    lg = get_system("logistic", r=3.83)
    res = lyapunov_spectrum(lg.as_map(), lg.default_initial_conditions(8, seed=1), 2000, transient=500, seed=1)
    assert res.lambda_max < 0


def test_henon_sum_exact_and_reference_values():
    hen = get_system("henon")
    res = lyapunov_spectrum(hen.as_map(), hen.default_initial_conditions(32, seed=3), 20000, reortho_every=1, seed=3)
    # det J = -b at every step, so with a QR at every step each initial condition's sum is ln 0.3 to rounding
    np.testing.assert_allclose(res.per_initial_condition.sum(axis=1), math.log(0.3), rtol=1e-12)
    np.testing.assert_allclose(res.exponents, [0.41922, -1.62319], rtol=0.005)
    assert res.kaplan_yorke_dimension == pytest.approx(1 + res.exponents[0] / abs(res.exponents[1]))


def test_lorenz_sum_is_mean_log_det_and_reference_values():
    lor = get_system("lorenz63")
    fmap = lor.as_map(0.01)
    z0 = lor.default_initial_conditions(32, seed=4)
    res = lyapunov_spectrum(fmap, z0, 10000, transient=2000, seed=4)
    # exact identity for the discrete RK4 map: Σλ = mean log|det DΦ_h| / h along the same orbit
    z = z0.copy()
    for _ in range(2000 + 100):
        z = fmap.step(z)
    logdet = np.zeros(z.shape[0])
    for _ in range(10000):
        logdet += np.linalg.slogdet(fmap.jacobian(z))[1]
        z = fmap.step(z)
    np.testing.assert_allclose(res.per_initial_condition.sum(axis=1), logdet / (10000 * 0.01), rtol=1e-9)
    # and the flow's divergence -(σ + 1 + β), up to RK4's O(h^4) error
    assert abs(res.sum / (-(10 + 1 + 8 / 3)) - 1) < 0.001
    assert abs(res.exponents[0] / 0.9056 - 1) < 0.01
    assert abs(res.exponents[2] / -14.5723 - 1) < 0.01
    assert abs(res.exponents[1]) < 0.01
    assert res.units == "per_time" and res.dt == 0.01
    assert res.kaplan_yorke_dimension == pytest.approx(2.062, abs=0.002)


def test_duffing_sum_is_minus_delta_and_phase_exponent_zero():
    duf = get_system("duffing")
    res = lyapunov_spectrum(duf.as_map(0.02), duf.default_initial_conditions(8, seed=0), 5000, transient=500, seed=0)
    assert abs(res.sum / -0.3 - 1) < 1e-3
    # the phase direction: exponent 0 up to log(bounded growth) / T, T = 100 time units
    assert np.min(np.abs(res.exponents)) < 2.0 / 100


def test_lorenz96_sum_and_lambda1():
    l96 = get_system("lorenz96")
    res = lyapunov_spectrum(l96.as_map(0.05), l96.default_initial_conditions(8, seed=5), 3000, transient=400,
                            tangent_transient=200, seed=5)
    assert abs(res.sum / -40 - 1) < 0.005
    assert abs(res.lambda_max / 1.68 - 1) < 0.05


# ------------------------------------------------------------------------------------------ behaviour

def test_batched_equals_one_at_a_time():
    hen = get_system("henon")
    z0 = hen.default_initial_conditions(3, seed=6)
    batched = lyapunov_spectrum(hen, z0, 2000, transient=100, reortho_every=1, seed=0)
    for i in range(3):
        single = lyapunov_spectrum(hen, z0[i], 2000, transient=100, reortho_every=1, seed=i + 10)
        np.testing.assert_allclose(batched.per_initial_condition[i], single.exponents, atol=1e-9)


def test_partial_spectrum_equals_leading_exponents():
    lor = get_system("lorenz63")
    z0 = lor.default_initial_conditions(2, seed=7)
    # 20 time units of frame alignment: the random initial frames' influence is ~e^{-0.9 * 20}
    full = lyapunov_spectrum(lor.as_map(0.01), z0, 3000, tangent_transient=2000, seed=0)
    part = lyapunov_spectrum(lor.as_map(0.01), z0, 3000, k=2, tangent_transient=2000, seed=1)
    np.testing.assert_allclose(part.per_initial_condition, full.per_initial_condition[:, :2], atol=1e-6)


def test_reortho_interval_gives_same_result():
    hen = get_system("henon")
    z0 = hen.default_initial_conditions(4, seed=8)
    a = lyapunov_spectrum(hen, z0, 4000, reortho_every=1, seed=0)
    b = lyapunov_spectrum(hen, z0, 4000, reortho_every=5, seed=0)
    np.testing.assert_allclose(a.exponents, b.exponents, atol=1e-9)
    assert b.reortho_every == 5 and b.warnings == ()


def test_too_sparse_reortho_is_reduced_with_warning():
    a = np.diag([10.0, 0.1])  # the frame's diagonal spans 100^m after m steps
    with pytest.warns(LyapunovSpectrumWarning, match="too sparse"):
        res = lyapunov_spectrum(linear_map(a), np.zeros(2), 2000, transient=0, reortho_every=40, seed=0)
    assert res.reortho_every < 40
    assert 100.0 ** res.reortho_every <= CONDITION_LIMIT * 100
    np.testing.assert_allclose(res.exponents, np.log([10.0, 0.1]), atol=0.05)


def test_diverging_orbits_are_dropped_with_warning():
    hen = get_system("henon")
    z0 = np.vstack([hen.default_initial_conditions(3, seed=9), [[5.0, 5.0]]])
    with pytest.warns(LyapunovSpectrumWarning, match="dropped 1 of 4 initial conditions.*indices \\[3\\]"):
        res = lyapunov_spectrum(hen, z0, 1000, transient=100, seed=0)
    assert res.per_initial_condition.shape == (3, 2)
    assert np.isfinite(res.exponents).all()


def test_all_orbits_diverging_raise_naming_the_step():
    hen = get_system("henon")
    with pytest.raises(ValueError, match="every orbit became non-finite.*step"):
        lyapunov_spectrum(hen, [[5.0, 5.0], [4.0, -3.0]], 100, transient=0, tangent_transient=0, seed=0)


def test_unconverged_running_estimate_warns():
    """A 'map' whose stretching rate keeps growing with time: the running mean never settles."""
    def step(z):
        return np.stack([np.zeros(len(z)), z[:, 1] + 1.0], axis=1)

    def jac(z):
        j = np.zeros((len(z), 2, 2))
        j[:, 0, 0] = np.exp(1.0 + z[:, 1] / 500.0)
        j[:, 1, 1] = 1.0
        return j

    fmap = FunctionMap(step, jac, dim=2)
    with pytest.warns(LyapunovSpectrumWarning, match="not converged"):
        res = lyapunov_spectrum(fmap, np.zeros((4, 2)), 2000, transient=0, seed=0)
    assert any("not converged" in w for w in res.warnings)


def test_converged_run_has_no_warning():
    hen = get_system("henon")
    with warnings.catch_warnings():
        warnings.simplefilter("error", LyapunovSpectrumWarning)
        res = lyapunov_spectrum(hen, hen.default_initial_conditions(16, seed=1), 20000, seed=1)
    assert res.warnings == ()


def test_result_structure_and_json():
    lor = get_system("lorenz63")
    res = quiet(lor.as_map(0.01), lor.default_initial_conditions(5, seed=0), 500, n_checkpoints=10, seed=0)
    assert res.exponents.shape == (3,) and res.per_initial_condition.shape == (5, 3)
    # one row at the first QR at or after each of 10 evenly spaced steps (rows share a QR when an interval spans
    # several checkpoints), the last one at the final step
    assert 2 <= res.running.shape[0] <= 10 and res.running.shape[1] == 3 and res.spread.shape == (3,)
    assert res.running_steps.shape == (res.running.shape[0],) and res.running_steps[-1] == 500
    assert np.all(np.diff(res.running_steps) > 0)
    marks = np.linspace(50, 500, 10).round()
    assert all(((res.running_steps >= m) & (res.running_steps < m + 64)).any() for m in marks)
    np.testing.assert_allclose(res.running[-1], res.exponents)
    np.testing.assert_allclose(res.exponents, res.per_initial_condition.mean(axis=0))
    np.testing.assert_allclose(res.spread, res.per_initial_condition.std(axis=0, ddof=1))
    assert np.all(np.diff(res.exponents) <= 0)
    assert res.lambda_max == res.exponents[0] and res.sum == pytest.approx(res.exponents.sum())
    d = res.to_dict()
    json.dumps(d)
    assert d["units"] == "per_time" and d["n_initial_conditions"] == 5
    with pytest.raises(AttributeError):
        res.units = "per_step"  # type: ignore[misc]


def test_same_seed_same_numbers():
    hen = get_system("henon")
    a = lyapunov_spectrum(hen, hen.default_initial_conditions(2, seed=0), 500, seed=11)
    b = lyapunov_spectrum(hen, hen.default_initial_conditions(2, seed=0), 500, seed=11)
    np.testing.assert_array_equal(a.per_initial_condition, b.per_initial_condition)


def test_large_system_partial_spectrum():
    """N = 1000, k = 32: only J @ Q is propagated (Lorenz-96's jvp never forms J)."""
    l96 = get_system("lorenz96", N=1000)
    res = quiet(l96.as_map(0.05), l96.default_initial_conditions(1, seed=0), 20, k=32, transient=20,
                tangent_transient=5, seed=0)
    assert res.exponents.shape == (32,) and np.isfinite(res.exponents).all()
    assert np.all(np.diff(res.exponents) <= 0)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"n_steps": 0}, "n_steps"), ({"n_steps": 10, "k": 3}, "k must be"), ({"n_steps": 10, "k": 0}, "k"),
    ({"n_steps": 10, "reortho_every": 0}, "reortho_every"), ({"n_steps": 10, "transient": -1}, "transient"),
    ({"n_steps": 10, "z0": [1.0, 2.0, 3.0]}, "z0"), ({"n_steps": 10, "z0": [np.nan, 0.0]}, "z0"),
    ({"n_steps": 2.5}, "n_steps"),
])
def test_bad_arguments(kwargs, match):
    args = {"z0": [0.1, 0.1], **kwargs}
    z0 = args.pop("z0")
    with pytest.raises(ValueError, match=match):
        lyapunov_spectrum(get_system("henon"), z0, **args)


def test_not_a_map():
    with pytest.raises(ValueError, match="TangentMap"):
        lyapunov_spectrum(object(), [0.0], 10)  # type: ignore[arg-type]


# ------------------------------------------------------------------------- Kaplan–Yorke, predictability

def test_kaplan_yorke_examples():
    assert kaplan_yorke_dimension([0.9056, 0.0, -14.5723]) == pytest.approx(2 + 0.9056 / 14.5723)
    assert kaplan_yorke_dimension([0.41922, -1.62319]) == pytest.approx(1 + 0.41922 / 1.62319)
    assert kaplan_yorke_dimension([-0.1, -1.0]) == 0.0
    assert kaplan_yorke_dimension([0.5, 0.1]) == 2.0
    assert kaplan_yorke_dimension([-2.0, 1.0]) == pytest.approx(1.5)  # sorted first
    assert kaplan_yorke_dimension([0.3, -np.inf]) == 1.0
    for bad in ([], [[1.0]], [np.nan, 1.0]):
        with pytest.raises(ValueError):
            kaplan_yorke_dimension(bad)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-10, 10), min_size=1, max_size=8))
def test_kaplan_yorke_bounds(lams):
    d = kaplan_yorke_dimension(lams)
    lam = np.sort(lams)[::-1]
    assert 0.0 <= d <= len(lams)
    j = int(math.floor(d))
    if 0 < d < len(lams):
        assert np.sum(lam[:j]) >= 0 and np.sum(lam[: j + 1]) < 0 or math.isclose(d, j)


def test_predictability_time():
    p = predictability_time(0.05, dt=0.01)
    assert p.steps == pytest.approx(math.log(2) / 0.05) and p.time == pytest.approx(math.log(2) / 0.05 * 0.01)
    q = predictability_time_from_rate(0.9056, dt=0.01)
    assert q.time == pytest.approx(math.log(2) / 0.9056) and q.steps == pytest.approx(math.log(2) / 0.009056)
    for lam in (0.0, -0.3):
        r = predictability_time(lam)
        assert r.steps == math.inf and not r.is_finite and r.time is None
        assert "infinite" in r.to_dict()["meaning"]
    with pytest.raises(ValueError):
        predictability_time(float("nan"))
    with pytest.raises(ValueError):
        predictability_time(0.1, dt=0.0)


def test_tangent_overflow_between_qrs_is_a_clear_error():
    """Growth e^10 per step over 100 steps between QRs overflows float64 while the orbit (at 0) stays finite."""
    a = np.diag([math.exp(10.0), 0.5])
    with pytest.raises(ValueError, match="tangent frame overflowed.*reortho_every"):
        lyapunov_spectrum(linear_map(a), np.zeros(2), 1000, transient=0, tangent_transient=0, reortho_every=100,
                          n_checkpoints=1, seed=0)


def test_superstable_orbit_gives_minus_infinity():
    """Logistic r = 2: the fixed point x = 1/2 has f'(1/2) = 0, so λ = -inf exactly (reported, not NaN)."""
    lg = get_system("logistic", r=2.0)
    with pytest.warns(LyapunovSpectrumWarning, match="-inf"):
        res = lyapunov_spectrum(lg, lg.default_initial_conditions(3, seed=0), 100, seed=0)
    assert res.exponents[0] == -math.inf and res.kaplan_yorke_dimension == 0.0


def test_map_returning_wrong_shapes_is_rejected():
    bad = FunctionMap(lambda z: z[:, :1], lambda z: np.ones((z.shape[0], 2, 2)), dim=2)
    with pytest.raises(ValueError, match="shapes"):
        lyapunov_spectrum(bad, np.zeros(2), 10, transient=0)


def test_oversized_run_is_refused_before_allocating():
    l96 = get_system("lorenz96", N=1000)
    with pytest.raises(ValueError, match="GiB of working memory"):
        lyapunov_spectrum(l96.as_map(0.05), np.full((1000, 1000), 8.0), 10)
