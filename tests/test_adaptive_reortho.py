"""The adaptive re-orthonormalisation interval (``reortho_every="auto"``) against a QR at every step."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

from rnnchaos.dynamics.householder_qr import householder_qr
from rnnchaos.dynamics.lyapunov_spectrum import lyapunov_spectrum
from rnnchaos.models import build_model
from rnnchaos.models.spectrum import model_lyapunov_spectrum
from rnnchaos.systems import get_system
from test_rnn_examples import chaotic_plrnn

F64 = torch.float64

MODELS = {
    "tanh": lambda: build_model("rnn", 1, 24, gain=3.0, init="normal", seed=0, dtype=F64),
    "plrnn": chaotic_plrnn,
    "lstm": lambda: build_model("lstm", 3, 16, gain=12.0, init="normal", seed=0, dtype=F64),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_adaptive_agrees_with_every_step_within_stderr(name):
    model = MODELS[name]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        every = model_lyapunov_spectrum(model, 3000, n_initial_conditions=4, transient=500, reortho_every=1, seed=3)
        auto = model_lyapunov_spectrum(model, 3000, n_initial_conditions=4, transient=500, seed=3)
    assert auto.reortho == "auto" and every.reortho == "fixed"
    assert auto.mean_reortho_interval > 1.5  # the schedule did lengthen the interval
    finite = np.isfinite(every.exponents)
    assert finite.all() and np.all(every.stderr > 0)
    assert np.all(np.abs(auto.exponents - every.exponents) <= np.minimum(every.stderr, auto.stderr))


def test_adaptive_keeps_henon_sum_to_a_millionth():
    # det J = -0.3 at every step: with a QR every step the sum is ln 0.3 to rounding; the adaptive interval
    # lets each QR lose at most ~eps * 1e14 of the smallest |r_ii| (10x the limit), far below the standard error
    hen = get_system("henon")
    res = lyapunov_spectrum(hen.as_map(), hen.default_initial_conditions(8, seed=3), 20000, seed=3)
    assert res.mean_reortho_interval > 4
    np.testing.assert_allclose(res.per_initial_condition.sum(axis=1), math.log(0.3), atol=1e-6)
    assert np.all(1e-6 < res.stderr)


class _SwitchingMap:
    """State: a step counter; tangent: diag(e^0.1, e^-0.1) before step ``switch``, diag(e^30, e^-30) after."""

    dim = 2
    dt = None

    def __init__(self, switch: int) -> None:
        self.switch = switch

    def step(self, z):
        return z + np.array([1.0, 0.0])

    def tangent_step(self, z, q):
        rate = np.where(z[:, 0] < self.switch, 0.1, 30.0)
        scale = np.exp(np.stack([rate, -rate], axis=1))[:, :, None]
        return self.step(z), scale * q


def test_block_that_overflows_is_recomputed_shorter():
    # the interval reaches 64 while the growth is slow; the first block after the switch overflows float64
    # (e^(30 * 64)): it is recomputed from its start with shorter intervals, and the exponents stay exact
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = lyapunov_spectrum(_SwitchingMap(300), np.zeros(2), 1000, transient=0, tangent_transient=300, seed=0)
    np.testing.assert_allclose(res.exponents, [30.0, -30.0], rtol=1e-12)
    assert res.reortho_recomputed >= 1 and res.reortho_every == 1


def test_fixed_interval_still_refuses_an_overflow():
    with pytest.raises(ValueError, match="tangent frame overflowed.*reortho_every"):
        lyapunov_spectrum(_SwitchingMap(0), np.zeros(2), 1000, transient=0, tangent_transient=0, reortho_every=64,
                          n_checkpoints=1,
                          seed=0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_householder_qr_is_a_qr(dtype):
    w = np.random.default_rng(0).standard_normal((3, 40, 7)).astype(dtype)
    q, logs = householder_qr(w)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    assert q.dtype == dtype and logs.shape == (3, 7)
    for i in range(3):
        np.testing.assert_allclose(q[i].T @ q[i], np.eye(7), atol=tol)
        r = q[i].T @ w[i]
        np.testing.assert_allclose(np.tril(r, -1), 0, atol=tol * 10)
        np.testing.assert_allclose(logs[i], np.log(np.abs(np.linalg.qr(w[i].astype(np.float64))[1].diagonal())),
                                   atol=tol * 10)


def test_rnn_lyapunov_reports_the_interval_and_fixed_interval_matches(run_cli):
    import json

    args = ["rnn-lyapunov", "--arch", "rnn", "--hidden", "24", "--gain", "3.0", "--steps", "1500", "--transient",
            "200", "--ics", "4", "--json"]
    code, out, err = run_cli(*args)
    assert code == 0, err
    auto = json.loads(out)
    code, out, err = run_cli(*args, "--reortho", "1")
    assert code == 0, err
    every = json.loads(out)
    assert auto["reortho"] == "auto" and auto["mean_reortho_interval"] > 1.5
    assert every["reortho"] == "fixed" and every["reortho_every"] == 1 and every["mean_reortho_interval"] == 1
    diff = np.abs(np.array(auto["exponents"]) - np.array(every["exponents"]))
    assert np.all(diff <= np.array(every["stderr"]))


def test_float32_tangent_space_is_close_to_float64(run_cli):
    import json

    args = ["rnn-lyapunov", "--arch", "rnn", "--hidden", "64", "--gain", "1.5", "--steps", "3000", "--transient",
            "500", "--ics", "4", "--exponents", "8", "--json"]
    code, out, err = run_cli(*args)
    assert code == 0, err
    f64 = json.loads(out)
    code, out, err = run_cli(*args, "--tangent-dtype", "float32")
    assert code == 0, err
    f32 = json.loads(out)
    assert f32["tangent_dtype"] == "float32"
    # the float32 orbit separates from the float64 one (chaos), so they agree statistically: within 4 stderr
    tol = 4 * np.hypot(np.array(f64["stderr"]), np.array(f32["stderr"]))
    assert np.all(np.abs(np.array(f32["exponents"]) - np.array(f64["exponents"])) <= tol)


def test_householder_qr_without_torch_equals_the_torch_path():
    """The SciPy fallback (used when torch is not installed) gives the same Q (up to column signs) and log|diag R|."""
    from rnnchaos.dynamics import householder_qr as hq

    w = np.random.default_rng(0).standard_normal((3, 40, 7))
    for dtype, tol in ((np.float64, 1e-12), (np.float32, 1e-5)):
        q1, l1 = hq.householder_qr(w.astype(dtype))
        q2, l2 = hq._householder_qr_scipy(w.astype(dtype))
        np.testing.assert_allclose(np.abs(q1), np.abs(q2), atol=tol)
        np.testing.assert_allclose(l1, l2, atol=tol)
        np.testing.assert_allclose(np.swapaxes(q2, 1, 2) @ q2, np.broadcast_to(np.eye(7), (3, 7, 7)), atol=tol)
