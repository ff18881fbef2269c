"""Certified period-3 decisions by ball arithmetic (rnnchaos.maps1d.certified) against exact answers."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("flint")

from rnnchaos.maps1d.batch import period3_batch  # noqa: E402
from rnnchaos.maps1d.certified import NONE, PERIOD3, UNDECIDED, certify_batch  # noqa: E402
from rnnchaos.maps1d.init import InitSpec, sample_networks  # noqa: E402
from rnnchaos.maps1d.montecarlo import chaos_probability  # noqa: E402


def _tent(mu: float) -> dict[str, np.ndarray]:
    """clip(mu relu(x) - 2 mu relu(x - 1/2), 0, 1): the tent map mu min(x, 1 - x) on [0, 1]."""
    return {"w": np.array([[1.0, 1.0]]), "b": np.array([[0.0, -0.5]]), "a": np.array([[mu, -2.0 * mu]]),
            "c": np.array([0.0])}


@pytest.mark.parametrize(("mu", "expected"), [(1.7, PERIOD3), (1.5, NONE), (1.9, PERIOD3), (1.2, NONE)])
def test_tent_map_through_intervals_matches_the_golden_ratio_threshold(mu, expected):
    # the tent map of slope mu has a 3-cycle iff mu >= golden ratio (1.618...)
    params = _tent(mu)
    assert certify_batch(params, "relu", "clip")[0] == expected
    exact, _ = period3_batch(params, "relu", "clip")
    assert bool(exact[0]) == (expected == PERIOD3)


def test_relu_networks_certified_agree_with_exact_criterion():
    params = sample_networks(InitSpec(width=8, init="he", output_gain=8.0), 300, 11)
    dec = certify_batch(params, "relu", "clip")
    exact, _ = period3_batch(params, "relu", "clip")
    decided = dec != UNDECIDED
    assert decided.mean() >= 0.98
    assert np.array_equal(dec[decided] == PERIOD3, exact[decided])
    assert (dec == PERIOD3).sum() >= 1


def test_monotone_tanh_maps_are_certified_free_of_3_cycles():
    # w > 0 and a > 0: f increasing (only fixed points); a < 0: f decreasing (periods 1 and 2 only)
    rng = np.random.default_rng(2)
    for sign in (1.0, -1.0):
        params = {"w": np.abs(rng.normal(0, 3, (40, 4))), "b": rng.normal(0, 2, (40, 4)),
                  "a": sign * np.abs(rng.normal(0, 3, (40, 4))), "c": rng.normal(0, 1, 40)}
        assert np.all(certify_batch(params, "tanh", "identity") == NONE)


def test_tanh_certificates_are_consistent_with_float_bracketing():
    params = sample_networks(InitSpec(width=4, init="he", output_gain=3.0), 200, 5)
    dec = certify_batch(params, "tanh", "identity")
    flt, _ = period3_batch(params, "tanh", "identity")
    assert (dec == PERIOD3).sum() >= 1
    # a proved 3-cycle is found by the float path, and the float path's 3-cycles are not disproved
    assert np.all(flt[dec == PERIOD3])
    assert not np.any(flt[dec == NONE])


def test_chaos_probability_reports_certified_counts():
    res = chaos_probability(InitSpec(width=4, init="he", output_gain=3.0), trials=200, seed=5,
                            hidden_activation="tanh", output_activation="tanh", certify=True)
    c = res.certified
    assert c["n_certified_period3"] + c["n_certified_none"] + c["n_undecided"] == 200
    assert c["float_p3_disproved"] == 0
    with pytest.raises(ValueError, match="depth-2"):
        chaos_probability(InitSpec(width=2, depth=3), trials=10, hidden_activation="tanh", certify=True)
