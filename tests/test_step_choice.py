"""The RK4 step chooser (step doubling, halving on blow-up): exact truths on a linear ODE, a blow-up retried."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnnchaos.systems import get_system
from rnnchaos.systems.step_choice import choose_rk4_step, local_error_quantile

OMEGA = 2.0 * math.pi  # the rotation x' = ω y, y' = -ω x: period 1, radius conserved


def rotation(z: np.ndarray) -> np.ndarray:
    return OMEGA * np.stack([z[:, 1], -z[:, 0]], axis=1)


def rk4_factor(x: complex) -> complex:
    """RK4's amplification factor for z' = λz at x = hλ (its stability polynomial)."""
    return 1 + x + x**2 / 2 + x**3 / 6 + x**4 / 24


def doubling_gap(h: float) -> float:
    """|two half steps − one step| for the rotation, per unit radius: exact, since both are complex factors."""
    x = -1j * OMEGA * h
    return abs(rk4_factor(x / 2) ** 2 - rk4_factor(x))


def test_estimate_on_rotation_is_the_exact_doubling_gap() -> None:
    """Per coordinate, the estimate is r·gap·|cos| (or |sin|) of the phase over the std r/√2: the maximum
    over coordinates lies in [gap, √2 gap], whatever r, and its maximum over many phases near √2 gap."""
    r, h = 3.0, 0.05
    z0 = np.array([[r, 0.0]])
    est, note = local_error_quantile(rotation, z0, h, 0, 400, every=1, quantile=1.0)  # 20 periods
    g = doubling_gap(h)
    assert note == "" and est is not None
    assert g <= est * (1 + 1e-6) <= math.sqrt(2) * g * (1 + 1e-3)
    assert est >= 0.99 * math.sqrt(2) * g  # the phases sampled come near the diagonal


@pytest.mark.parametrize("tol", [1e-5, 1e-7, 1e-9])
def test_chosen_step_meets_tolerance_and_is_not_needlessly_small(tol: float) -> None:
    r, h0 = 2.0, 0.1
    c = choose_rk4_step(rotation, np.array([[r, 0.0], [0.0, r]]), h0, transient=1.0, measure=5.0, tol=tol)
    assert c.met and c.dt == pytest.approx(h0 / c.divisor) and c.proposed == h0
    assert doubling_gap(c.dt) <= tol * (1 + 1e-9)  # the estimate bounds the gap from above
    # largest step whose upper bound √2·gap meets tol: every step below it is accepted, so the chooser
    # (which jumps by RK4's h⁵ law and then creeps) stops within a factor 2 of it
    hs = h0 / np.arange(1, 2000)
    star = hs[np.argmax([math.sqrt(2) * doubling_gap(h) <= tol for h in hs])]
    assert c.dt >= 0.5 * star
    assert [p.outcome for p in c.probes][-1] == "accepted"
    assert all(p.error is not None and p.error > tol for p in c.probes[:-1])


def test_proposed_step_kept_when_fine() -> None:
    c = choose_rk4_step(rotation, np.array([[1.0, 0.0]]), 0.001, transient=0.5, measure=1.0)
    assert c.divisor == 1 and c.dt == 0.001 and len(c.probes) == 1 and "kept" in c.reason


def test_blow_up_is_retried_with_a_smaller_step_and_reported() -> None:
    """Lorenz-63 at RK4 step 0.4 leaves the attractor (beyond RK4's stability for λ₃ ≈ −14.6): halved, reported."""
    s = get_system("lorenz63")
    z0 = s.default_initial_conditions(4, seed=0)
    c = choose_rk4_step(s.rhs, z0, 0.4, transient=10.0, measure=10.0, bound=1e4)
    blown = [p for p in c.probes if p.error is None]
    assert blown and blown[0].dt == 0.4
    assert "probe orbits" in blown[0].outcome and ("non-finite" in blown[0].outcome or "left" in blown[0].outcome)
    assert c.probes[1].dt == pytest.approx(0.2)  # the next probe halves the step
    assert c.met and c.dt < 0.2 and "halving" in c.reason
    assert c.error is not None and c.error <= c.tol


def test_every_probe_blowing_up_is_an_error() -> None:
    """z' = z² from z = 1 blows up at t = 1 whatever the step: the chooser gives up after max_probes."""
    with pytest.raises(ValueError, match="every probe orbit blew up"):
        choose_rk4_step(lambda z: z**2, np.ones((2, 1)), 0.1, transient=2.0, measure=1.0, max_probes=3)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="positive"):
        choose_rk4_step(rotation, np.ones((1, 2)), -1.0, transient=1.0, measure=1.0)
