"""Exact piecewise-linear maps, periodic points and Li–Yorke certificates against exactly known truths."""

from __future__ import annotations

import math
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnchaos.maps1d.entropy import invariant_interval, lap_growth
from rnnchaos.maps1d.li_yorke import check_witness_exact, check_witness_float, find_witness, pl_evaluator
from rnnchaos.maps1d.network import Network1D
from rnnchaos.maps1d.periodic import (
    entropy_lower_bound_from_period,
    find_periods,
    implied_periods,
    periodic_points,
    sharkovsky_key,
    sharkovsky_type,
)
from rnnchaos.maps1d.piecewise import PiecewiseLinear

PHI = (1 + math.sqrt(5)) / 2


def _phi_rational() -> F:
    """A Fibonacci ratio within 1e-30 of the golden ratio."""
    a, b = 1, 1
    for _ in range(80):
        a, b = b, a + b
    return F(b, a)


def tent_network(mu: F | float) -> Network1D:
    """mu * min(x, 1 - x) as a width-2 ReLU network: (mu) relu(x) - (2 mu) relu(x - 1/2) on x >= 0."""
    half = F(1, 2) if isinstance(mu, F) else 0.5
    return Network1D.two_layer([1, 1], [0, -half], [mu, -2 * mu], 0 * mu)


def test_tent_slope_two_three_cycles_exact() -> None:
    f = PiecewiseLinear.tent(F(2))
    res = periodic_points(f, 3)
    cycles = sorted(tuple(o.points) for o in res.orbits)
    assert cycles == [(F(2, 9), F(4, 9), F(8, 9)), (F(2, 7), F(4, 7), F(6, 7))]
    assert all(o.stability == "repelling" for o in res.orbits)
    assert sorted(abs(o.multiplier[0]) for o in res.orbits) == [8, 8]


def test_tent_network_equals_tent_map_and_its_cycles() -> None:
    net = tent_network(F(2))
    f = net.to_piecewise()
    tent = PiecewiseLinear.tent(F(2))
    for x in (F(-3), F(0), F(1, 7), F(1, 2), F(5, 6), F(1)):
        assert f(x) == tent(x) or x < 0  # the network is flat (0) left of 0, the tent map is 2x there
    cycles = sorted(tuple(o.points) for o in periodic_points(f, 3).orbits)
    assert cycles == [(F(2, 9), F(4, 9), F(8, 9)), (F(2, 7), F(4, 7), F(6, 7))]


@pytest.mark.parametrize("sign", [1, -1])
def test_tent_period_three_iff_slope_at_least_golden_ratio(sign: int) -> None:
    q = _phi_rational()
    mu = q + sign * F(1, 10**9)
    # exact: mu >= phi  <=>  mu^2 - mu - 1 >= 0 (mu > 0)
    assert (mu * mu - mu - 1 > 0) == (sign > 0)
    has3 = periodic_points(PiecewiseLinear.tent(mu), 3).exists
    assert has3 == (sign > 0)
    assert periodic_points(tent_network(mu).to_piecewise(), 3).exists == (sign > 0)


def test_tent_counts_of_periodic_orbits_slope_two() -> None:
    # the slope-2 tent map is conjugate to the doubling map: orbits of exact period p are
    # (1/p) sum_{d|p} mobius(p/d) 2^d  ->  2, 1, 2, 3, 6, 9
    found = find_periods(PiecewiseLinear.tent(F(2)), 6)
    assert [len(found[p].orbits) for p in range(1, 7)] == [2, 1, 2, 3, 6, 9]


def test_exact_witness_and_rejection() -> None:
    f = PiecewiseLinear.tent(F(2))
    cert = find_witness(f)
    assert cert is not None and cert.valid and cert.method == "exact rational arithmetic"
    a, y1, y2, y3 = cert.orbit
    assert (y3 <= a < y1 < y2) or (y3 >= a > y1 > y2)
    assert not check_witness_exact(f, F(2, 3)).valid  # a fixed point is no witness
    assert find_witness(PiecewiseLinear.tent(F(3, 2))) is None  # 3/2 < phi: no 3-cycle


def test_float_witness_is_certified_with_error_bounds() -> None:
    net = tent_network(2.0)
    f = net.to_piecewise()
    cert = find_witness(f, network=net)
    assert cert is not None and cert.valid
    e1, e2, e3 = cert.bounds
    assert 0 < e1 <= e2 <= e3 < 1e-10
    # the same point verified in exact arithmetic on the exactly-represented float map
    exact = Network1D.two_layer([F(1), F(1)], [F(0), F(-1, 2)], [F(2), F(-4)], F(0)).to_piecewise()
    assert check_witness_exact(exact, F(cert.witness)).valid
    # and a float non-witness is rejected
    assert not check_witness_float(pl_evaluator(f), 2.0, 2.0 / 3.0).valid


def test_invariant_interval_laps_and_entropy_of_tent() -> None:
    f = PiecewiseLinear.tent(F(2))
    J = invariant_interval(f, [F(0), F(2, 3)])
    assert J == (F(0), F(1))
    growth = lap_growth(f, 6, interval=J)
    assert growth.laps == [2, 4, 8, 16, 32, 64]
    assert growth.entropy_ratio == pytest.approx(math.log(2), abs=1e-15)


def test_entropy_bounds_from_periods() -> None:
    assert entropy_lower_bound_from_period(3) == pytest.approx(math.log(PHI), abs=1e-14)
    # period 5: largest root of x^5 - 2x^3 - 1
    lam5 = max(r.real for r in np.roots([1, 0, -2, 0, 0, -1]) if abs(r.imag) < 1e-12)
    assert entropy_lower_bound_from_period(5) == pytest.approx(math.log(lam5), abs=1e-12)
    assert entropy_lower_bound_from_period(6) == pytest.approx(math.log(PHI) / 2, abs=1e-14)
    assert entropy_lower_bound_from_period(8) == 0.0


def test_sharkovsky_order() -> None:
    order = [3, 5, 7, 9, 6, 10, 12, 20, 24, 16, 8, 4, 2, 1]
    assert sorted(order, key=sharkovsky_key) == order
    assert sharkovsky_type([1, 2, 4, 6]) == 6
    assert implied_periods(3, 8) == list(range(1, 9))
    assert implied_periods(4, 8) == [1, 2, 4]


def test_merging_restrict_and_clip() -> None:
    f = PiecewiseLinear([F(0), F(1)], [F(1), F(1), F(1)], [F(0), F(0), F(0)], check=True)
    assert f.merged().n_pieces == 1
    g = PiecewiseLinear.affine(F(2), F(-1)).clip(F(0), F(1))
    assert g.breakpoints == [F(1, 2), F(1)]
    assert [g(F(x)) for x in (-1, 3)] == [0, 1]
    with pytest.raises(ValueError, match="discontinuous"):
        PiecewiseLinear([F(0)], [F(1), F(2)], [F(0), F(1)])


# ---------------------------------------------------------------------- property tests
def _random_exact_pl(seed: int, n_break: int) -> PiecewiseLinear:
    rng = np.random.default_rng(seed)
    xs = sorted({F(int(v), 8) for v in rng.integers(-24, 24, size=n_break + 1)})
    ys = [F(int(v), 4) for v in rng.integers(-8, 8, size=len(xs))]
    return PiecewiseLinear.from_points(xs, ys, F(int(rng.integers(-3, 4)), 2), F(int(rng.integers(-3, 4)), 2))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 5), st.integers(1, 5), st.integers(1, 5))
def test_composition_is_associative_and_matches_iteration(seed: int, n1: int, n2: int, n3: int) -> None:
    f, g, h = (_random_exact_pl(seed + k, n) for k, n in enumerate((n1, n2, n3)))
    left = f.compose(g).compose(h)
    right = f.compose(g.compose(h))
    assert (left.breakpoints, left.slopes, left.intercepts) == (right.breakpoints, right.slopes, right.intercepts)
    rng = np.random.default_rng(seed)
    for x in [F(int(v), 16) for v in rng.integers(-80, 80, size=12)]:
        assert left(x) == f(g(h(x)))
    f3 = f.iterate(3)
    for x in [F(int(v), 7) for v in rng.integers(-30, 30, size=8)]:
        assert f3(x) == f(f(f(x)))


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 4))
def test_float_composition_matches_numeric_iteration(seed: int, width: int) -> None:
    rng = np.random.default_rng(seed)
    net = Network1D.two_layer(rng.normal(0, 1.4, width), rng.normal(0, 1.4, width),
                              rng.normal(0, 1.0, width), float(rng.normal()))
    f = net.to_piecewise()
    f3 = f.iterate(3)
    xs = rng.uniform(-3, 3, 50)
    direct = net(net(net(xs)))
    scale = 1 + np.abs(direct) + f.lipschitz() ** 3 * (1 + np.abs(xs))
    assert np.all(np.abs(f3.evaluate(xs) - direct) <= 1e-12 * scale)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 4), st.sampled_from(["identity", "relu", "clip"]))
def test_reported_periodic_points_are_exact(seed: int, period: int, output: str) -> None:
    rng = np.random.default_rng(seed)
    k = int(rng.integers(1, 4))
    w = [F(int(v), 4) for v in rng.integers(-8, 9, k)]
    b = [F(int(v), 4) for v in rng.integers(-8, 9, k)]
    a = [F(int(v), 2) for v in rng.integers(-6, 7, k)]
    net = Network1D.two_layer(w, b, a, F(int(rng.integers(-4, 5)), 4), output_activation=output)
    f = net.to_piecewise()
    res = periodic_points(f, period)
    for orbit in res.orbits:
        for x in orbit.points:
            y = x
            for _ in range(period):
                y = f(y)
            assert y == x  # exact
            # exact minimal period
            z = x
            for d in range(1, period):
                z = f(z)
                assert z != x or period % d != 0


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 3))
def test_float_periodic_points_within_stated_bound(seed: int, period: int) -> None:
    rng = np.random.default_rng(seed)
    k = 3
    net = Network1D.two_layer(rng.normal(0, 1.4, k), rng.normal(0, 1.4, k), rng.normal(0, 1.5, k),
                              float(rng.normal()))
    f = net.to_piecewise()
    res = periodic_points(f, period)
    for orbit in res.orbits:
        for x in orbit.points:
            y = x
            for _ in range(period):
                y = f(y)
            assert abs(y - x) <= res.tolerance * (1 + abs(x))


def test_trapped_laps_of_an_escaping_horseshoe() -> None:
    # slope-3 tent map: most orbits escape [0, 1]; the non-escaping Cantor set carries 2^t laps (entropy log 2)
    from rnnchaos.maps1d.entropy import trapped_lap_growth

    assert trapped_lap_growth(PiecewiseLinear.tent(F(3)), (F(0), F(1)), 6) == [2, 4, 8, 16, 32, 64]
    assert invariant_interval(PiecewiseLinear.tent(F(3)), [F(0), F(3, 4)]) is None
