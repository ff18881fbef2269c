"""Full frames kept as Householder reflectors (rnnchaos.dynamics.householder_qr.HouseholderFrame): J Q by
?ormqr equals J times the formed Q, and a full spectrum computed that way equals the one with Q formed."""

import numpy as np
import pytest
import torch

import rnnchaos.dynamics.lyapunov_spectrum as ls
from rnnchaos.dynamics.householder_qr import HouseholderFrame, householder_factor, householder_qr
from rnnchaos.models import build_model
from rnnchaos.models.base import ModelMap
from rnnchaos.models.spectrum import model_lyapunov_spectrum


def test_reflectors_applied_to_j_equal_j_times_the_formed_q():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((3, 40, 40))
    frame, logs = householder_factor(w)
    q, logs2 = householder_qr(w)
    np.testing.assert_array_equal(logs, logs2)
    np.testing.assert_allclose(frame.explicit(), q, rtol=0, atol=1e-14)
    j = torch.from_numpy(rng.standard_normal((3, 40, 40)))
    np.testing.assert_allclose(frame.times(j).numpy(), j.numpy() @ q, rtol=0, atol=1e-12)
    sub = frame[np.array([True, False, True])]
    assert isinstance(sub, HouseholderFrame) and sub.shape == (2, 40, 40)
    np.testing.assert_allclose(sub.explicit(), q[[0, 2]], rtol=0, atol=1e-14)


def test_householder_factor_refuses_frames_that_are_not_full():
    with pytest.raises(ValueError, match="full frames"):
        householder_factor(np.zeros((1, 5, 3)))


@pytest.mark.parametrize("arch,kw", [("rnn", {"gain": 1.5, "init": "normal"}), ("plrnn", {}), ("alrnn", {})])
def test_full_spectrum_with_reflectors_equals_the_one_with_q_formed(arch, kw, monkeypatch):
    """With a QR at every step both paths run the same arithmetic up to rounding (?ormqr against ?orgqr + GEMM),
    so the exponents agree to 1e-10; the reflector path is the one taken for k = N >= FACTORED_MIN_DIM. (At longer
    intervals both carry the interval's own conditioning error, about 1e-6 on the most negative exponent at an
    interval of 4 here, and differ by that.)"""
    model = build_model(arch, 1, 64, seed=0, dtype=torch.float64, **kw)
    calls = []
    real = ModelMap.tangent_step_householder
    monkeypatch.setattr(ModelMap, "tangent_step_householder", lambda self, z, f: calls.append(1) or real(self, z, f))
    a = model_lyapunov_spectrum(model, 400, transient=100, n_initial_conditions=2, seed=3, reortho_every=1)
    assert len(calls) >= 400
    monkeypatch.setattr(ls, "FACTORED_MIN_DIM", 10**9)
    b = model_lyapunov_spectrum(model, 400, transient=100, n_initial_conditions=2, seed=3, reortho_every=1)
    assert np.all(np.isfinite(a.exponents))
    np.testing.assert_allclose(a.exponents, b.exponents, rtol=0, atol=1e-10)


def test_adaptive_full_spectrum_with_reflectors_agrees_within_its_stderr(monkeypatch):
    """With the adaptive interval the two paths may pick different blocks; they agree within the stated error."""
    model = build_model("rnn", 1, 96, gain=1.5, init="normal", seed=1, dtype=torch.float64)
    a = model_lyapunov_spectrum(model, 1500, transient=200, n_initial_conditions=2, seed=0)
    monkeypatch.setattr(ls, "FACTORED_MIN_DIM", 10**9)
    b = model_lyapunov_spectrum(model, 1500, transient=200, n_initial_conditions=2, seed=0)
    err = np.asarray(a.stderr)
    assert np.all(np.abs(np.asarray(a.exponents) - np.asarray(b.exponents)) <= np.maximum(err, 1e-12))


def test_a_model_with_an_expensive_jacobian_keeps_the_formed_q():
    assert ModelMap(build_model("lstm", 1, 64, seed=0)).factored_tangent is False
    assert ModelMap(build_model("rnn", 1, 64, seed=0)).factored_tangent is True
