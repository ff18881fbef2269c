"""The fast period-3 criterion against the exact rational method; Monte Carlo, init schemes, grid test."""

from __future__ import annotations

import math
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnchaos.maps1d.batch import network_of, period3_exact
from rnnchaos.maps1d.fast import batch_period3, compose_pl, pack_pl, two_layer_arrays
from rnnchaos.maps1d.grid import grid_period3
from rnnchaos.maps1d.init import SCHEMES, InitSpec, sample, sample_networks, scheme_variance
from rnnchaos.maps1d.montecarlo import chaos_probability, wilson_interval
from rnnchaos.maps1d.network import Network1D
from rnnchaos.maps1d.periodic import periodic_points


def _exact_network(params: dict[str, np.ndarray], r: int, output: str) -> Network1D:
    """Network r with its float64 parameters taken as exact rationals."""
    return Network1D.two_layer([F(v) for v in params["w"][r]], [F(v) for v in params["b"][r]],
                               [F(v) for v in params["a"][r]], F(params["c"][r]), output_activation=output)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 6), st.sampled_from(["identity", "relu", "clip"]),
       st.floats(0.5, 4.0))
def test_fast_criterion_agrees_with_exact_method(seed: int, width: int, output: str, gain: float) -> None:
    spec = InitSpec(width=width, init="he", output_gain=gain)
    params = sample_networks(spec, 12, seed)
    p3, p3f2 = period3_exact(params, output, with_f2=True)
    for r in range(12):
        f = _exact_network(params, r, output).to_piecewise()
        assert bool(p3[r]) == periodic_points(f, 3).exists
        if r < 4:  # f o f has a 3-cycle  <=>  f has a point of period 3 or 6
            assert bool(p3f2[r]) == (periodic_points(f, 3).exists or periodic_points(f, 6).exists)


def test_fast_criterion_on_chaotic_ensemble_has_both_answers() -> None:
    # a strongly chaotic ensemble (gain 4) so that both outcomes occur many times
    spec = InitSpec(width=4, init="he", output_gain=4.0)
    params = sample_networks(spec, 150, 7)
    p3, _ = period3_exact(params, "identity")
    truth = np.array([periodic_points(_exact_network(params, r, "identity").to_piecewise(), 3).exists
                      for r in range(150)])
    assert 20 < truth.sum() < 130
    assert np.array_equal(p3, truth)


def test_depth3_fast_matches_exact() -> None:
    spec = InitSpec(width=3, init="he", depth=3, output_gain=3.0)
    params = sample_networks(spec, 30, 3)
    p3, _ = period3_exact(params, "identity")
    for r in range(30):
        net = network_of(params, r)
        exact = Network1D([np.array([[F(v) for v in row] for row in w], dtype=object) for w in net.weights],
                          [np.array([F(v) for v in b], dtype=object) for b in net.biases])
        assert bool(p3[r]) == periodic_points(exact.to_piecewise(), 3).exists


def test_tent_network_batch_and_composition() -> None:
    bp, sl, ic, n = two_layer_arrays(np.array([[1.0, 1.0]]), np.array([[0.0, -0.5]]), np.array([[2.0, -4.0]]),
                                     np.array([0.0]))
    p3, _ = batch_period3(bp, sl, ic, n, 0, False)
    assert p3[0]
    # slope 1.6 < golden ratio: no 3-cycle
    bp, sl, ic, n = two_layer_arrays(np.array([[1.0, 1.0]]), np.array([[0.0, -0.5]]), np.array([[1.6, -3.2]]),
                                     np.array([0.0]))
    assert not batch_period3(bp, sl, ic, n, 0, False)[0][0]
    # numba composition of the slope-2 tent network with itself (flat left of 0 and right of 1)
    bp, sl, ic, n = two_layer_arrays(np.array([[1.0, 1.0]]), np.array([[0.0, -0.5]]), np.array([[2.0, -4.0]]),
                                     np.array([0.0]))
    out_b, out_s, out_i = np.empty(16), np.empty(17), np.empty(17)
    m = compose_pl(bp[0], sl[0], ic[0], int(n[0]), bp[0], sl[0], ic[0], int(n[0]), out_b, out_s, out_i)
    assert list(out_b[:m]) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert list(out_s[:m + 1]) == [0.0, 4.0, -4.0, 4.0, -4.0, 0.0]


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 8))
def test_numba_composition_matches_exact_composition(seed: int, width: int) -> None:
    params = sample_networks(InitSpec(width=width, init="he", output_gain=2.0), 1, seed)
    bp, sl, ic, n = two_layer_arrays(params["w"], params["b"], params["a"], params["c"])
    size = (int(n[0]) + 1) ** 2 + 2
    out_b, out_s, out_i = np.empty(size), np.empty(size + 1), np.empty(size + 1)
    m = compose_pl(bp[0], sl[0], ic[0], int(n[0]), bp[0], sl[0], ic[0], int(n[0]), out_b, out_s, out_i)
    exact = _exact_network(params, 0, "identity").to_piecewise()
    ff = exact.compose(exact)
    xs = np.random.default_rng(seed).uniform(-5, 5, 40)
    idx = np.searchsorted(out_b[:m], xs)
    got = out_s[idx] * xs + out_i[idx]
    want = np.array([float(ff(F(x))) for x in xs])
    assert np.allclose(got, want, rtol=1e-12, atol=1e-12)
    assert m + 1 >= ff.n_pieces  # numba merges only exactly collinear pieces


def test_pack_pl_roundtrip() -> None:
    bp, sl, ic, n = pack_pl([([0.5], [2.0, -2.0], [0.0, 2.0]), ([], [0.5], [0.1])])
    assert n.tolist() == [1, 0] and bp.shape == (2, 1)
    p3, _ = batch_period3(bp, sl, ic, n, 0, False)
    assert p3.tolist() == [True, False]


@pytest.mark.parametrize("name", SCHEMES)
def test_scheme_variances(name: str) -> None:
    rng = np.random.default_rng(0)
    n = 200_000
    x = sample(name, (n,), 4, 16, 16, rng)
    var = scheme_variance(name, 4, 16, 16)
    # 6-sigma statistical tolerance on the sample variance (kurtosis <= 3 for these laws)
    assert abs(x.var() - var) <= 6 * math.sqrt(2.0 / n) * var + 1e-15
    if name == "uniform":
        assert 0.0 <= x.min() and x.max() < 1.0


def test_unknown_scheme_and_bad_spec() -> None:
    with pytest.raises(ValueError, match="unknown init scheme 'foo'"):
        InitSpec(width=4, init="foo")
    with pytest.raises(ValueError, match="width"):
        InitSpec(width=0)
    with pytest.raises(ValueError, match="depth"):
        InitSpec(width=4, depth=4)


def test_wilson_interval_known_values() -> None:
    lo, hi = wilson_interval(5, 10)
    assert lo == pytest.approx(0.2365931, abs=1e-6) and hi == pytest.approx(0.7634069, abs=1e-6)
    assert wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(10, 10)[1] == 1.0


def test_monte_carlo_is_seeded_and_independent_of_workers() -> None:
    spec = InitSpec(width=8, init="he", output_gain=2.0)
    a = chaos_probability(spec, trials=2500, seed=11, workers=1)
    b = chaos_probability(spec, trials=2500, seed=11, workers=2)
    c = chaos_probability(spec, trials=2500, seed=12, workers=1)
    assert (a.n_period3, a.n_positive_entropy) == (b.n_period3, b.n_positive_entropy)
    assert a.n_period3 != c.n_period3 or a.n_positive_entropy != c.n_positive_entropy
    assert a.ci95[0] <= a.p_period3 <= a.ci95[1]
    assert a.n_positive_entropy is not None and a.n_positive_entropy >= a.n_period3


def test_grid_f4_bug_counts_a_two_cycle_as_chaos() -> None:
    # f(x) = 0.9 - 2 relu(x): monotone (no 3-cycle), a 2-cycle {-0.9, 0.9} and the fixed point 0.3
    params = {"w": np.array([[1.0]]), "b": np.array([[0.0]]), "a": np.array([[-2.0]]), "c": np.array([0.9])}
    assert grid_period3(params, power=4)[0]
    assert not grid_period3(params, power=3)[0]
    assert not period3_exact(params)[0][0]
