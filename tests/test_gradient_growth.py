"""Gradient growth along orbits (Mikhaeil, Monfared & Durstewitz 2022): rate = λ_max on chaotic orbits,
bounded gradients on stable cycles."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from rnnchaos.dynamics.gradient_growth import fit_rate, gradient_growth
from rnnchaos.dynamics.plrnn_cycles import find_cycles
from rnnchaos.models import build_model
from rnnchaos.models.spectrum import initial_conditions, model_lyapunov_spectrum
from test_rnn_examples import chaotic_plrnn, cycle_plrnn, lozi_shplrnn

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.mark.parametrize("make", [chaotic_plrnn, lozi_shplrnn], ids=["plrnn", "lozi-shplrnn"])
def test_chaotic_gradient_rate_equals_lambda_max(make):
    model = make()
    lam = model_lyapunov_spectrum(model, 10000, k=1, n_initial_conditions=4, seed=0).lambda_max
    assert lam > 0.1
    z0 = np.random.default_rng(1).uniform(-0.5, 0.5, size=(8, model.latent_dim))  # in the basin
    res = gradient_growth(model, z0, 1000, n_windows=1, seed=1)  # one long window per IC
    assert abs(res.jacobian_growth_rate - lam) <= 0.1 * lam
    assert abs(res.loss_gradient_growth_rate - lam) <= 0.1 * lam
    assert res.gradient_growth_rate == res.loss_gradient_growth_rate


def test_stable_cycle_gradients_bounded_and_rate_is_cycle_exponent():
    model = cycle_plrnn()
    cycle = [c for c in find_cycles(model, 3)[0] if c.stable][0]
    res = gradient_growth(model, None, 600, n_initial_conditions=4, seed=2)
    # ‖∂z_T/∂z_1‖ decays exactly at the cycle's largest exponent (< 0)
    assert res.jacobian_growth_rate < 0
    assert res.jacobian_growth_rate == pytest.approx(cycle.exponents[0], abs=2e-3)
    # the loss gradient stays bounded: no growth from the first to the second half of the horizon
    lg = res.log_loss_gradient_norm
    half = res.loss_steps > 300
    assert np.all(np.isfinite(lg))
    assert lg[:, half].max() <= lg[:, ~half].max() + 1e-9
    # bounded: the target lies on the same cycle at another phase, so ‖∂L_T/∂θ‖ tends to a constant and its
    # rate over the fit region (T >= 120) is zero up to the noise of 64 windows, far from the cycle's -0.245
    assert abs(res.loss_gradient_growth_rate) <= 1e-3


def test_jacobian_norm_is_exact_for_linear_map():
    # PLRNN with W = 0 and h < 0 keeps z < 0: z' = a ⊙ z + h, so ‖∂z_T/∂z_1‖ = max|a|^(T-1)
    model = build_model("plrnn", 2, 2, seed=0, dtype=torch.float64)
    with torch.no_grad():
        model.A.copy_(torch.tensor([0.9, -0.5], dtype=torch.float64))
        model.W.zero_()
        model.h.copy_(torch.tensor([-1.0, -1.0], dtype=torch.float64))
    res = gradient_growth(model, -np.ones((2, 2)), 50, transient=10, seed=0)
    expected = (res.steps - 1) * math.log(0.9)
    np.testing.assert_allclose(res.log_jacobian_norm, np.broadcast_to(expected, (2 * 16, 50)), atol=1e-12)
    assert res.jacobian_growth_rate == pytest.approx(math.log(0.9), abs=1e-12)


def test_fit_rate_and_bad_input():
    t = np.arange(10)
    assert fit_rate(t, 0.3 * t + 2.0) == pytest.approx(0.3, abs=1e-12)
    assert math.isnan(fit_rate(t, np.full(10, np.nan)))
    with pytest.raises(ValueError, match="LatentModel"):
        gradient_growth(lambda z: z, None, 10)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n_steps"):
        gradient_growth(chaotic_plrnn(), None, 2)
    with pytest.raises(ValueError, match="loss_steps"):
        gradient_growth(chaotic_plrnn(), None, 20, loss_steps=[0, 5])


def test_probe_bound_for_large_models():
    model = build_model("rnn", 2, 40, gain=2.5, seed=3, dtype=torch.float64)
    z0 = np.random.default_rng(0).normal(size=(2, 40))
    exact = gradient_growth(model, z0, 300, loss_steps=[10, 300], seed=0)
    probed = gradient_growth(model, z0, 300, loss_steps=[10, 300], max_exact_dim=10, seed=0)
    # ‖P V‖_2 <= ‖P‖_2 for orthonormal probes V: a lower bound at every T
    assert np.all(probed.log_jacobian_norm <= exact.log_jacobian_norm + 1e-9)
    assert exact.jacobian_growth_rate > 0
    assert abs(probed.jacobian_growth_rate - exact.jacobian_growth_rate) <= 0.1 * exact.jacobian_growth_rate


# ---------------------------------------------------------------------- the estimate converges to λ_max
def _tanh_rnn(seed: int):
    return build_model("rnn", 3, 32, gain=3.0, seed=seed, dtype=torch.float64)


def _lstm(seed: int):
    # most random LSTMs are not chaotic, and many are multistable; this one (8 cells, gain 12) is chaotic
    # from every initial condition tried (λ_max ≈ 0.355): its seeds vary the orbits, not the model
    return build_model("lstm", 3, 16, gain=12.0, init="normal", seed=0, dtype=torch.float64)


def _plrnn(seed: int):
    return chaotic_plrnn()


# tanh: three random models (32 units, gain 3); lstm and plrnn: one model, three sets of orbits
CHAOTIC = [("tanh", _tanh_rnn, s) for s in (2, 3, 4)] + [("lstm", _lstm, s) for s in (0, 1, 2)] + \
          [("plrnn", _plrnn, s) for s in (0, 1, 2)]


@pytest.mark.parametrize(("name", "make", "seed"), CHAOTIC, ids=[f"{n}-seed{s}" for n, _, s in CHAOTIC])
def test_windowed_rates_within_5_percent_of_lambda_max(name, make, seed):
    # the rates average log-norms over 4 ICs x 16 windows of 200 steps along the orbits (Oseledets): both
    # converge to λ_max, which is measured independently by the QR method over 4 x 20,000 steps
    model = make(seed)
    z0 = initial_conditions(model, 4, seed=seed)
    lam = model_lyapunov_spectrum(model, 20_000, k=1, z0=z0, seed=seed).lambda_max
    assert lam > 0.05
    res = gradient_growth(model, z0, 200, seed=seed)
    assert res.n_windows == 16 and res.log_jacobian_norm.shape[0] == 64
    assert abs(res.gradient_growth_rate - lam) <= 0.05 * lam
    assert abs(res.jacobian_growth_rate - lam) <= 0.05 * lam


@pytest.mark.parametrize("arch", ["rnn", "lstm"])
@pytest.mark.parametrize("seed", [0, 1])
def test_contracting_models_have_no_gradient_growth(arch, seed):
    model = build_model(arch, 3, 32, gain=0.5, seed=seed, dtype=torch.float64)
    lam = model_lyapunov_spectrum(model, 2000, k=1, n_initial_conditions=2, seed=seed).lambda_max
    assert lam < 0
    res = gradient_growth(model, None, 200, seed=seed)
    # ‖∂z_T/∂z_1‖ decays at λ_max (the leading multiplier of the stable fixed point)
    assert res.jacobian_growth_rate <= 0
    assert abs(res.jacobian_growth_rate - lam) <= 0.05 * abs(lam)
    # the loss gradient does not grow: where orbit and target sit on the same fixed point to rounding it is
    # constant (an LSTM, whose fixed point is not 0) and its fitted rate is 0 up to rounding (< 1e-5 per
    # step, a factor below 1.002 over the horizon); else it decays. NaN would fail this too.
    assert res.gradient_growth_rate * 200 <= 1e-3


# ---------------------------------------------------------------------- the same through `rnnchaos gradients`
def _gradients_cli(run_cli, *args: str) -> dict:
    import json

    code, out, err = run_cli("gradients", *args, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cli_gradient_rate_within_5_percent_of_lambda_max_tanh(run_cli, seed):
    # issue 13's example (it gave -11% before the windowed estimate); three random models
    d = _gradients_cli(run_cli, "--arch", "rnn", "--hidden", "64", "--gain", "2.0", "--seed", str(seed))
    assert d["orbit_type"] == "chaotic" and d["lambda_max"] > 0.05
    assert abs(d["gradient_growth_rate"] - d["lambda_max"]) <= 0.05 * d["lambda_max"]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "make"), [("lstm", _lstm), ("plrnn", _plrnn)])
@pytest.mark.parametrize("seed", [0, 1])
def test_cli_gradient_rate_within_5_percent_of_lambda_max_checkpoints(run_cli, tmp_path, name, make, seed):
    from rnnchaos.models import save_checkpoint

    path = tmp_path / f"{name}.pt"
    save_checkpoint(make(seed), path)
    d = _gradients_cli(run_cli, "--checkpoint", str(path), "--ics", "4", "--seed", str(seed))
    assert d["lambda_max"] > 0.05
    assert abs(d["gradient_growth_rate"] - d["lambda_max"]) <= 0.05 * d["lambda_max"]


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["rnn", "lstm"])
def test_cli_contracting_models_gradient_rate_not_positive(run_cli, arch):
    d = _gradients_cli(run_cli, "--arch", arch, "--hidden", "32", "--gain", "0.5", "--steps", "200")
    assert d["lambda_max"] < 0 and d["jacobian_growth_rate"] <= 0
    # no growth over the horizon: a rate of 0 to rounding or a decay, or (the target orbit reached the same fixed
    # point, so the loss gradients are exactly zero) no rate, with the note saying they are bounded
    rate = d["gradient_growth_rate"]
    assert (rate is not None and rate * 200 <= 1e-3) or (rate is None and "bounded" in d["note"])
