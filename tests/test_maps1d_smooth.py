"""Smooth path (certified bracketing) on the logistic map and tanh networks; the analysis keeps chaos notions apart."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnnchaos.maps1d.analysis import analyze_smooth
from rnnchaos.maps1d.network import Network1D
from rnnchaos.maps1d.smooth import (
    logistic,
    logistic_deriv_bound,
    lyapunov_exponent_1d,
    periodic_points_smooth,
    roots_certified,
)


def test_logistic_r4_three_cycles_to_1e12() -> None:
    f, df, J, L = logistic(4.0)
    res = periodic_points_smooth(f, 3, J, L, df=df, deriv_bound=logistic_deriv_bound(4.0))
    # x = sin^2(theta) conjugates to angle doubling: the 3-cycles are theta = pi/7 {1,2,4} and pi/9 {1,2,4}
    exact = sorted([sorted(math.sin(math.pi * j / 7) ** 2 for j in (1, 2, 4)),
                    sorted(math.sin(math.pi * j / 9) ** 2 for j in (1, 2, 4))])
    got = sorted(sorted(o) for o in res.orbits)
    assert len(got) == 2
    for g, e in zip(got, exact, strict=True):
        assert np.max(np.abs(np.array(g) - np.array(e))) < 1e-12
    assert res.unresolved == []
    assert sorted(abs(m) for m in res.multipliers) == pytest.approx([8.0, 8.0], rel=1e-9)


def test_logistic_r4_lyapunov_is_log2() -> None:
    f, df, _, _ = logistic(4.0)
    lam = lyapunov_exponent_1d(f, df, 0.1234, n_steps=200_000, transient=100)
    assert lam == pytest.approx(math.log(2), abs=0.01)


def test_logistic_r383_period3_but_negative_lyapunov() -> None:
    f, df, J, L = logistic(3.83)
    res = analyze_smooth(f, df, J, L, max_period=3, deriv_bound=logistic_deriv_bound(3.83))
    assert res["period3"] is True and res["li_yorke_chaotic"] is True
    assert res["lyapunov_exponent"] < 0 and res["lyapunov_positive"] is False
    # the orbit settles on the attracting 3-cycle: lambda = (1/3) log |multiplier|
    attracting = [o for o in res["orbits"]["3"] if o["stability"] == "attracting"]
    assert len(attracting) == 1
    assert res["lyapunov_exponent"] == pytest.approx(math.log(abs(attracting[0]["multiplier"])) / 3, abs=1e-6)
    assert res["entropy_lower_bound"] == pytest.approx(math.log((1 + math.sqrt(5)) / 2), abs=1e-12)


def test_certified_roots_report_unresolved_tangencies() -> None:
    # g(x) = x^2 touches zero at 0 without a sign change: cannot be certified, must be reported
    roots, unresolved = roots_certified(lambda x: np.asarray(x) ** 2 - 0.0, -1.0, 1.0, 2.0, n_grid=64,
                                        min_width=1e-6)
    assert roots == [0.0] or unresolved
    roots, unresolved = roots_certified(lambda x: (np.asarray(x) - 1 / 3) ** 2, -1.0, 1.0, 4.0, n_grid=64,
                                        min_width=1e-6)
    assert roots == [] and len(unresolved) >= 1
    # the cell holding the double root is never excluded, and nothing far from it is left unresolved
    assert any(a <= 1 / 3 <= b for a, b in unresolved)
    assert all(abs(0.5 * (a + b) - 1 / 3) < 1e-2 for a, b in unresolved)


def test_tanh_network_periodic_points_satisfy_bound() -> None:
    rng = np.random.default_rng(5)
    k = 4
    net = Network1D.two_layer(rng.normal(0, 2, k), rng.normal(0, 1, k), rng.normal(0, 1.5, k), 0.1,
                              hidden_activation="tanh")
    J = net.output_range()
    assert J is not None
    for p in (1, 2, 3):
        res = periodic_points_smooth(net.__call__, p, J, net.lipschitz_bound(), deriv_bound=net.deriv_bound)
        for orbit in res.orbits:
            for x in orbit:
                y = x
                for _ in range(p):
                    y = float(net(y))
                assert abs(y - x) <= 1e-9


def test_network_eval_bound_is_rigorous_against_exact_arithmetic() -> None:
    from fractions import Fraction as F

    rng = np.random.default_rng(1)
    k = 16
    w, b, a = rng.normal(0, 2, k), rng.normal(0, 2, k), rng.normal(0, 0.5, k)
    c = float(rng.normal())
    net = Network1D.two_layer(w, b, a, c)
    exact = Network1D.two_layer([F(v) for v in w], [F(v) for v in b], [F(v) for v in a], F(c)).to_piecewise()
    for x in rng.uniform(-4, 4, 50):
        y, e = net.eval_with_bound(float(x))
        assert abs(F(y) - exact(F(float(x)))) <= F(e)


def test_batched_tanh_period3_agrees_with_certified_bracketing() -> None:
    from rnnchaos.maps1d.batch import network_of, period3_smooth
    from rnnchaos.maps1d.init import InitSpec, sample_networks

    params = sample_networks(InitSpec(width=4, init="he", output_gain=6.0), 60, 5)
    fast = period3_smooth(params, "tanh", "identity")
    truth = []
    for r in range(60):
        net = network_of(params, r, "tanh", "identity")
        J = net.output_range()
        assert J is not None
        res = periodic_points_smooth(net.__call__, 3, J, net.lipschitz_bound(), deriv_bound=net.deriv_bound)
        assert res.unresolved == []
        truth.append(res.exists)
    assert sum(truth) >= 1
    assert fast.tolist() == truth
