"""λ_max of a measured series (Rosenstein 1993, Kantz 1994) against exactly known exponents."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from rnnchaos.dynamics.lambda_max_data import (
    MaxLyapunovFromData,
    lambda_max_from_series,
    mean_period,
    scaling_region,
)

LORENZ_LAMBDA = 0.9056  # per time unit (Sprott 2003; docs/architecture.md)
HENON_LAMBDA = 0.41922  # per step (Sprott 2003)
KEYS = {"lambda_max", "lambda_max_per_time", "predictability_steps", "method", "lag", "embedding_dim",
        "theiler", "fit_range", "warning", "n_samples", "n_references"}


def _lorenz(u: np.ndarray) -> list[float]:
    return [10.0 * (u[1] - u[0]), u[0] * (28.0 - u[2]) - u[1], u[0] * u[1] - 8.0 / 3.0 * u[2]]


@pytest.fixture(scope="module")
def lorenz_xyz() -> np.ndarray:
    """20,000 samples of Lorenz-63 at dt = 0.01 after a transient of 50 time units, DOP853 at 1e-10."""
    f = lambda t, u: _lorenz(u)  # noqa: E731
    s0 = solve_ivp(f, (0.0, 50.0), [1.0, 1.0, 1.0], method="DOP853", rtol=1e-10, atol=1e-10).y[:, -1]
    t = np.arange(20_000) * 0.01
    sol = solve_ivp(f, (0.0, t[-1]), s0, t_eval=t, method="DOP853", rtol=1e-10, atol=1e-10)
    return sol.y.T.copy()


def logistic(n: int, x0: float = 0.3, r: float = 4.0) -> np.ndarray:
    x = np.empty(n)
    x[0] = x0
    for i in range(1, n):
        x[i] = r * x[i - 1] * (1.0 - x[i - 1])
    return x


def tent(n: int, mu: float, x0: float = 0.2) -> np.ndarray:
    x = np.empty(n)
    x[0] = x0
    for i in range(1, n):
        x[i] = mu * min(x[i - 1], 1.0 - x[i - 1])
    return x


def henon_x(n: int) -> np.ndarray:
    x, y, out = 0.1, 0.0, np.empty(n)
    for i in range(n + 100):
        x, y = 1.0 - 1.4 * x * x + y, 0.3 * x
        if i >= 100:
            out[i - 100] = x
    return out


# --- the Must-show numbers --------------------------------------------------------------------------

def test_lorenz_x_within_15_percent(lorenz_xyz: np.ndarray) -> None:
    res = lambda_max_from_series(lorenz_xyz[:, 0], dt=0.01)
    assert res.warning is None
    assert res.lambda_max_per_time == pytest.approx(LORENZ_LAMBDA, rel=0.15)
    assert res.lambda_max_per_time == pytest.approx(res.lambda_max / 0.01, rel=1e-12)
    assert res.lag >= 1 and res.embedding_dim == 3  # Kennel et al. (1992): Lorenz needs 3 delays


def test_lorenz_x_kantz_within_15_percent(lorenz_xyz: np.ndarray) -> None:
    res = lambda_max_from_series(lorenz_xyz[:, 0], dt=0.01, method="kantz")
    assert res.warning is None and res.method == "kantz"
    assert res.lambda_max_per_time == pytest.approx(LORENZ_LAMBDA, rel=0.15)


def test_lorenz_full_state_within_15_percent(lorenz_xyz: np.ndarray) -> None:
    res = lambda_max_from_series(lorenz_xyz, dt=0.01)  # N = 3: the series is the state (no delays)
    assert res.embedding_dim == 1 and res.lag == 1
    assert res.lambda_max_per_time == pytest.approx(LORENZ_LAMBDA, rel=0.15)


@pytest.mark.parametrize("x0", [0.1, 0.3, 0.77])
def test_logistic_r4_is_ln2(x0: float) -> None:
    # exact: λ = ln 2 per step; finite-sample tolerance 2% (Rosenstein), 3% (Kantz)
    x = logistic(5000, x0)
    res = lambda_max_from_series(x)
    assert res.warning is None and res.lag == 1 and res.embedding_dim == 1
    assert res.lambda_max == pytest.approx(math.log(2), rel=0.02)
    assert res.lambda_max_per_time is None
    assert res.predictability_steps == pytest.approx(1.0 / (res.lambda_max / math.log(2)), rel=1e-12)
    assert lambda_max_from_series(x, method="kantz").lambda_max == pytest.approx(math.log(2), rel=0.03)


@settings(max_examples=6, deadline=None)
@given(mu=st.floats(1.55, 1.95))
def test_tent_map_is_ln_mu(mu: float) -> None:
    res = lambda_max_from_series(tent(5000, mu))
    assert res.warning is None
    assert res.lambda_max == pytest.approx(math.log(mu), rel=0.03)


def test_henon_x_series() -> None:
    res = lambda_max_from_series(henon_x(5000))
    assert res.warning is None and res.embedding_dim == 2
    assert res.lambda_max == pytest.approx(HENON_LAMBDA, rel=0.05)
    assert lambda_max_from_series(henon_x(5000), method="kantz").lambda_max == pytest.approx(HENON_LAMBDA, rel=0.05)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("shape", [(3000,), (3000, 3)])
def test_white_noise_is_not_reported_as_chaotic(seed: int, shape: tuple[int, ...]) -> None:
    res = lambda_max_from_series(np.random.default_rng(seed).normal(size=shape))
    assert res.warning is not None


@pytest.mark.parametrize("omega", [0.01, 0.1, 0.5, 1.3])
def test_sinusoid_is_not_reported_as_chaotic(omega: float) -> None:
    t = np.arange(5000)
    assert lambda_max_from_series(np.sin(omega * t)).warning is not None
    assert lambda_max_from_series(np.c_[np.sin(omega * t), np.cos(omega * t), np.sin(2 * omega * t)]).warning


def test_quasiperiodic_is_not_reported_as_chaotic() -> None:
    t = np.arange(8000)
    x = np.sin(0.05 * t) + 0.7 * np.sin(0.05 * math.sqrt(2) * t)
    assert lambda_max_from_series(x).warning is not None


def test_stf_lorenz63_in_true_range(shared_data: Path) -> None:
    # behaves like Lorenz-63 sampled at dt = 0.01-0.012: λ_max = 0.009-0.011 per step (data README)
    from rnnchaos.data.io import load_series

    res = lambda_max_from_series(load_series(shared_data / "stf_lorenz63.npy"))
    assert res.warning is None
    assert 0.009 <= res.lambda_max <= 0.011


# --- properties --------------------------------------------------------------------------------------

@settings(max_examples=10, deadline=None)
@given(scale=st.floats(1e-3, 1e3), shift=st.floats(-1e3, 1e3))
def test_affine_invariance(scale: float, shift: float) -> None:
    x = logistic(2000)
    a = lambda_max_from_series(x, seed=1)
    b = lambda_max_from_series(scale * x + shift, seed=1)
    assert b.lambda_max == pytest.approx(a.lambda_max, rel=1e-6)
    assert (a.lag, a.embedding_dim, a.theiler, a.fit_range) == (b.lag, b.embedding_dim, b.theiler, b.fit_range)


@pytest.mark.parametrize("scale", [1e-300, 1e300])
def test_extreme_magnitudes_do_not_overflow(scale: float) -> None:
    x = logistic(2000)
    with np.errstate(all="raise"):
        b = lambda_max_from_series(scale * x, seed=1)
    assert b.lambda_max == pytest.approx(lambda_max_from_series(x, seed=1).lambda_max, rel=1e-9)


def test_constant_column_is_ignored() -> None:
    x = logistic(2000)
    a = lambda_max_from_series(x, seed=1)
    b = lambda_max_from_series(np.c_[x, np.full_like(x, 5.0)], seed=1)
    assert b.lambda_max == pytest.approx(a.lambda_max, rel=1e-9)


def test_same_seed_same_numbers(lorenz_xyz: np.ndarray) -> None:
    x = lorenz_xyz[:8000, 0]
    a = lambda_max_from_series(x, seed=3, n_references=500)
    b = lambda_max_from_series(x, seed=np.random.default_rng(3), n_references=500)
    np.testing.assert_array_equal(a.divergence, b.divergence)
    assert a.to_dict() == b.to_dict()


def test_given_embedding_is_used() -> None:
    res = lambda_max_from_series(logistic(3000), lag=2, embedding_dim=3, theiler=7, max_horizon=25)
    assert (res.lag, res.embedding_dim, res.theiler) == (2, 3, 7)
    assert res.divergence.shape == (26,)
    assert 0 <= res.fit_range[0] < res.fit_range[1] <= 25


def test_mean_period_of_sinusoid() -> None:
    t = np.arange(4096)
    assert mean_period(np.sin(2 * np.pi * t / 64)) == pytest.approx(64.0, rel=1e-9)


def test_scaling_region_of_exact_line_with_saturation() -> None:
    i = np.arange(200.0)
    curve = np.minimum(-5.0 + 0.05 * i, 0.0)  # slope 0.05 up to step 100, then flat
    a, b, slope, r2, problem = scaling_region(curve)
    assert problem is None and r2 == pytest.approx(1.0)
    assert slope == pytest.approx(0.05, rel=1e-10)
    assert b <= 100


def test_to_dict_and_plot(tmp_path: Path) -> None:
    res = lambda_max_from_series(logistic(2000), dt=0.5)
    d = res.to_dict()
    assert set(d) == KEYS
    assert json.loads(json.dumps(d)) == d
    assert d["lambda_max_per_time"] == pytest.approx(d["lambda_max"] / 0.5)
    assert d["n_samples"] == 2000 and 0 < d["n_references"] < 2000  # every delay vector with K successors
    few = lambda_max_from_series(logistic(2000), n_references=50).to_dict()
    assert few["n_references"] == 50 and few["n_samples"] == 2000
    assert isinstance(res, MaxLyapunovFromData)
    with pytest.raises(AttributeError):
        res.lambda_max = 1.0  # type: ignore[misc]  # frozen
    out = tmp_path / "sub" / "div.png"
    res.plot(out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in out.parent.iterdir()] == ["div.png"]  # no temporary file left behind


def test_non_chaotic_to_dict_has_no_predictability() -> None:
    res = lambda_max_from_series(np.sin(0.1 * np.arange(3000)))
    d = res.to_dict()
    assert res.warning is not None
    if res.lambda_max <= 0:
        assert d["predictability_steps"] is None
    json.dumps(d, allow_nan=False)


# --- bad input -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("x", "kwargs", "match"),
    [
        (np.r_[logistic(500)[:100], np.nan, logistic(500)[:399]], {}, "NaN"),
        (np.r_[logistic(500)[:100], np.inf, logistic(500)[:399]], {}, "inf"),
        (np.zeros((50, 2, 2)), {}, "shape"),
        (np.ones(1000), {}, "constant"),
        (np.ones((1000, 3)) * [1.0, 2.0, 3.0], {}, "constant"),
        (logistic(5), {}, "at least"),
        (logistic(60), {"embedding_dim": 10, "lag": 5}, "at least"),
        (logistic(300), {"max_horizon": 400}, "at least"),
        (logistic(500), {"method": "wolf"}, "method"),
        (logistic(500), {"dt": -1.0}, "dt"),
        (logistic(500), {"dt": float("nan")}, "dt"),
        (logistic(500), {"lag": 0}, "lag"),
        (logistic(500), {"theiler": -2}, "theiler"),
        (logistic(500), {"min_neighbours": 0, "method": "kantz"}, "min_neighbours"),
        (["a", "b", "c"] * 10, {}, "numeric"),
    ],
)
def test_bad_input_is_value_error(x: object, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        lambda_max_from_series(x, **kwargs)  # type: ignore[arg-type]
