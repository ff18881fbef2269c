"""The dysts catalogue as ``dysts:NAME`` systems (optional extra): dysts' equations, our exponents."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from rnnchaos.systems import get_system


def test_missing_extra_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("dysts", "dysts.flows", "dysts.base", "dysts.systems"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ValueError, match=r"rnnchaos\[dysts\]"):
        get_system("dysts:Lorenz")


def test_cli_lorenz_matches_sprott(run_cli) -> None:
    """Must show: λ₁ of dysts' Lorenz within 1 % of Sprott's 0.9056 (β = 2.667 in dysts, 8/3 in Sprott)."""
    pytest.importorskip("dysts")
    code, out, err = run_cli("lyapunov", "dysts:Lorenz", "--json")
    assert code == 0, err
    res = json.loads(out)
    assert res["system"] == "dysts:Lorenz" and res["units"] == "per_time"
    assert abs(res["exponents"][0] - 0.9056) <= 0.01 * 0.9056
    assert abs(res["exponents"][1]) < 0.01  # the flow direction
    assert res["sum"] == pytest.approx(-(10 + 1 + 2.667), rel=1e-3)  # constant divergence
    step = res["step_choice"]
    assert step["met"] and step["dt"] == res["dt"] and step["error"] <= step["tol"]


def test_cli_lorenz84_is_chaotic_at_the_chosen_step(run_cli) -> None:
    """At the old default step (0.0626) dysts' Lorenz84 became a periodic orbit of the RK4 map (λ₁ ≈ 0);
    the step chooser divides it, and λ₁ is positive again (independent DOP853 check: 0.425 ± 0.006)."""
    pytest.importorskip("dysts")
    code, out, err = run_cli("lyapunov", "dysts:Lorenz84", "--ics", "4", "--json")
    assert code == 0, err
    res = json.loads(out)
    assert res["step_choice"]["divisor"] > 1 and res["dt"] < res["step_choice"]["proposed"]
    assert res["exponents"][0] > 0.3


def test_blow_up_at_the_proposed_step_is_halved_and_reported() -> None:
    """ForcedVanDerPol's orbits leave every bounded region at the proposed step: the chooser halves it and says so."""
    pytest.importorskip("dysts")
    s = get_system("dysts:ForcedVanDerPol")
    c = s.step_choice  # type: ignore[attr-defined]
    assert c.probes[0].error is None and c.probes[0].dt == s.proposed_step  # type: ignore[attr-defined]
    assert c.probes[1].dt == pytest.approx(c.probes[0].dt / 2)
    assert c.met and "halving" in c.reason and s.lyapunov_defaults().dt == c.dt
    assert s.integration_step == c.dt and s.default_sample_dt == s.proposed_step  # type: ignore[attr-defined]


def test_rhs_and_jacobian_are_dysts_own() -> None:
    pytest.importorskip("dysts")
    s = get_system("dysts:Lorenz")
    z = np.random.default_rng(0).normal(size=(5, 3)) * 5
    want = np.array([s.dysts.rhs(zi, 0.0) for zi in z])  # type: ignore[attr-defined]
    np.testing.assert_allclose(s.rhs(z), want, rtol=1e-14)
    jwant = np.array([np.asarray(s.dysts.jac(zi, 0.0), dtype=float) for zi in z])  # type: ignore[attr-defined]
    np.testing.assert_allclose(s.jacobian(z), jwant, rtol=1e-14)


@pytest.mark.parametrize("name", ["Rossler", "HenonHeiles", "Duffing"])
def test_finite_difference_jacobian_matches_analytic(name: str) -> None:
    """The fallback for systems without ``_jac`` (all 2n perturbed copies of the batch in one call) agrees
    with dysts' analytic Jacobian where both exist."""
    pytest.importorskip("dysts")
    s = get_system("dysts:" + name)
    z = s.default_initial_conditions(4, seed=1) + np.random.default_rng(1).normal(size=(4, s.dim))
    analytic = s.jacobian(z)
    s._jac_py = None  # type: ignore[attr-defined]
    np.testing.assert_allclose(s.jacobian(z), analytic, atol=1e-6)


def test_nonautonomous_system_appends_time() -> None:
    pytest.importorskip("dysts")
    from rnnchaos.systems.dysts_flows import dysts_system_names

    name = next(n for n in dysts_system_names() if get_system("dysts:" + n).nonautonomous)  # type: ignore[attr-defined]
    s = get_system("dysts:" + name)
    n = s.n_x  # type: ignore[attr-defined]
    z = s.default_initial_conditions(3, seed=0)
    assert z.shape == (3, n + 1)
    np.testing.assert_array_equal(s.rhs(z)[:, n], 1.0)  # t' = 1
    x = s.trajectory(50, transient=10, seed=0)
    assert x.shape == (50, n)  # time is not observed


def test_unknown_name_suggests() -> None:
    pytest.importorskip("dysts")
    with pytest.raises(ValueError, match="did you mean dysts:Lorenz"):
        get_system("dysts:Lorentz")


def test_parameters_override_and_drop_dysts_reference(run_cli) -> None:
    """Lorenz at ρ = 20 (below the Hopf point ≈ 24.74) settles on a stable fixed point: λ₁ < 0."""
    pytest.importorskip("dysts")
    code, out, err = run_cli("lyapunov", "dysts:Lorenz", "--param", "rho=20", "--steps", "3000", "--ics", "4",
                             "--json")
    assert code == 0, err
    res = json.loads(out)
    assert res["parameters"]["rho"] == 20.0
    assert res["exponents"][0] < -0.05
    assert res["reference"] is None  # dysts' stored value holds only at its own parameters


@pytest.mark.parametrize("name", ["Lorenz", "BickleyJet", "InteriorSquirmer", "Aizawa", "ForcedVanDerPol", "BeerRNN",
                                  "BlinkingRotlet", "CellCycle", "CircadianRhythm", "Colpitts", "Hopfield"])
def test_batched_rhs_is_dysts_pointwise(name: str) -> None:
    """Batched calls equal dysts' own point-by-point rhs and jac (a reduction over the batch would not)."""
    pytest.importorskip("dysts")
    s = get_system("dysts:" + name)
    z = s.default_initial_conditions(4, seed=2)
    x, t = s._split(z)  # type: ignore[attr-defined]
    t = t + np.arange(4) * 0.3
    want = np.array([np.asarray(s.dysts.rhs(x[i], t[i]), dtype=float).ravel() for i in range(4)])  # type: ignore[attr-defined]
    np.testing.assert_allclose(s._f(x, t), want, rtol=1e-12, atol=1e-12)  # type: ignore[attr-defined]
    np.testing.assert_allclose(s.rhs(z)[:, : s.n_x], want, rtol=1e-12, atol=1e-12)  # type: ignore[attr-defined]
    if s.has_dysts_jacobian:  # type: ignore[attr-defined]
        jwant = np.array([np.asarray(s.dysts.jac(x[i], t[i]), dtype=float) for i in range(4)])  # type: ignore[attr-defined]
        np.testing.assert_allclose(s._jx(x, t), jwant, rtol=1e-12, atol=1e-12)  # type: ignore[attr-defined]
