"""Scrambling experiments: exact truths of their building blocks and the reproduce commands (small runs)."""

from __future__ import annotations

import json
from fractions import Fraction as F
from pathlib import Path

import numpy as np
import pytest

from rnnchaos.maps1d.network import Network1D
from rnnchaos.maps1d.scrambling import orbit_distance
from rnnchaos.reproductions.scrambling_higher_dim import TwoLayerReLUMap, spectral_radius_fraction
from rnnchaos.reproductions.scrambling_maps import run_distance, run_lipschitz, run_persistence
from rnnchaos.reproductions.scrambling_table import table_rows
from rnnchaos.reproductions.scrambling_width import run_gain


def test_lipschitz_map_laps_saturate_exactly() -> None:
    res = run_lipschitz(t_max=8)
    # slopes on [0, 1] are the partial sums of a: 0.8, -0.7, 4.3, -4.7, 6.3, -2.1
    assert res["lipschitz_constant"] == pytest.approx(6.3, abs=1e-15)
    assert res["period3"] is False and res["periods"] == [1]
    assert [r["laps_lipschitz_map"] for r in res["rows"]] == [6, 18, 28, 32, 32, 32, 32, 32]
    assert res["entropy_estimate"] == 0.0


def test_persistence_without_noise_is_the_tent_map() -> None:
    res = run_persistence(trials=3, seed=0, t_max=5, scale=0.0)
    for r in res["rows"]:
        assert r["recurrent_median"] == r["feedforward_median"] == r["tent_laps"] == 2 ** r["t"]
    assert res["p_period3_recurrent"] == 1.0


def test_distance_orbits_are_exact() -> None:
    res = run_distance(steps=40)
    ex = res["exact"]
    assert ex.d[0] == pytest.approx(1e-7, rel=1e-12)
    assert np.all(ex.tail_inf <= ex.d) and np.all(ex.d <= ex.tail_sup)
    # the exact orbit is the Fraction iteration of f
    net = Network1D.from_dict({"w1": [1, 1], "b1": ["1/100000", "-502/1000"], "w2": ["19999/10000", -4], "b2": 0})
    f = net.to_piecewise()
    x = F("0.175421")
    for t in range(40):
        assert float(x) == ex.x[t]
        x = f(x)
    assert res["has_period3"] is True
    assert 10 < res["float_faithful_steps"] <= 40


def test_orbit_distance_of_a_contraction_goes_to_zero() -> None:
    from rnnchaos.maps1d.piecewise import PiecewiseLinear

    f = PiecewiseLinear.affine(F(1, 2), F(1))
    od = orbit_distance(f, F(0), F(1), 10)
    assert od.d.tolist() == [2.0 ** -t for t in range(11)]
    assert od.tail_sup.tolist() == od.d.tolist() and od.tail_inf[0] == 2.0 ** -10


def test_contracting_networks_never_have_three_cycles() -> None:
    # Lipschitz constant < 1 (gain 0.01): a unique fixed point, no cycles at all
    rows = run_gain(trials=300, seed=0, width=8, gains=(0.01,))
    assert rows[0]["p_period3"] == 0.0 and rows[0]["p_positive_entropy_lower_bound"] == 0.0


def test_two_layer_relu_map_jacobian_and_linear_lyapunov() -> None:
    rng = np.random.default_rng(0)
    m = TwoLayerReLUMap(rng.normal(0, 0.3, (16, 8)), rng.normal(0, 0.1, 16), rng.normal(0, 0.3, (8, 16)),
                        rng.normal(0, 0.1, 8))
    z = rng.normal(size=(3, 8))
    eps = 1e-6
    num = np.stack([(m.step(z + eps * e) - m.step(z - eps * e)) / (2 * eps) for e in np.eye(8)], axis=-1)
    assert np.allclose(m.jacobian(z), num, atol=1e-8)
    q = rng.normal(size=(3, 8, 2))
    assert np.allclose(m.tangent_step(z, q)[1], m.jacobian(z) @ q, atol=1e-13)
    # always-active ReLUs: F is affine, lambda_max = log of the largest |eigenvalue| of W2 W1
    from rnnchaos.dynamics.lyapunov_spectrum import lyapunov_spectrum

    d = np.array([1.5, 0.9, 0.5, 0.2])
    lin = TwoLayerReLUMap(np.eye(4), np.full(4, 1e6), np.diag(d), np.zeros(4))
    res = lyapunov_spectrum(lin, np.ones((2, 4)), 200, k=4, transient=10, seed=0)
    assert res.exponents == pytest.approx(np.log(d), abs=1e-10)


def test_spectral_radius_fraction_limits() -> None:
    assert spectral_radius_fraction(0.01, 20, "normal", seed=0)[0] == 0.0
    assert spectral_radius_fraction(0.5, 20, "normal", seed=0)[0] == 1.0


def test_table_rows_and_published_sources() -> None:
    rows = table_rows()
    assert len(rows) == 32
    orig = [r.published_percent for r in rows if r.block == "ReLU, width 2"]
    assert orig == [13.77, 7.49, 4.51, 4.45, 2.28, 4.45]
    assert all("Chaos_RNNs" in r.source for r in rows)


@pytest.mark.parametrize("cmd, args, files", [
    ("scrambling-table", ("--trials", "60", "--no-certify"), ("scrambling_table.csv", "scrambling_table.json", "scrambling_table.png")),
    ("scrambling-gain", ("--trials", "200"), ("scrambling_gain.csv", "scrambling_gain.json", "scrambling_gain.png")),
    ("persistence", ("--trials", "20"), ("persistence.csv", "persistence.json", "persistence.png")),
    ("lipschitz", ("--trials", "6"), ("lipschitz.csv", "lipschitz.json", "lipschitz.png")),
    ("distance", ("--trials", "60"), ("distance.csv", "distance.json", "distance.png")),
])
def test_reproduce_commands_write_outputs(run_cli, tmp_path: Path, cmd: str, args: tuple[str, ...],
                                          files: tuple[str, ...]) -> None:
    code, out, err = run_cli("reproduce", cmd, "--out", str(tmp_path), *args)
    assert code == 0, err
    for name in files:
        assert (tmp_path / name).is_file() and str(tmp_path / name) in out
    data = json.loads((tmp_path / files[1]).read_text())
    assert data["rows"] and "meta" in data


def test_reproduce_bad_trials_exit_2(run_cli, tmp_path: Path) -> None:
    code, out, err = run_cli("reproduce", "higher-dim", "--trials", "0", "--out", str(tmp_path))
    assert code == 2 and err.count("\n") == 1 and "--trials" in err
