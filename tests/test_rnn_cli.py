"""CLI: rnnchaos rnn-lyapunov, rnnchaos gradients, rnnchaos reproduce rnn-gain; random-RNN experiment."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
import torch

from rnnchaos.models import build_model, save_checkpoint
from rnnchaos.reproductions.random_rnn import (
    RandomRNNEnsemble,
    lambda_max_random_rnn,
    mean_field_lambda,
    random_weights,
    run_rnn_gain,
    write_rnn_gain,
)
from test_rnn_examples import cycle_plrnn


def test_rnn_lyapunov_json(run_cli):
    code, out, err = run_cli("rnn-lyapunov", "--arch", "rnn", "--hidden", "60", "--gain", "2.0", "--steps", "800",
                             "--transient", "200", "--ics", "2", "--json")
    assert code == 0, err
    data = json.loads(out)
    for key in ("exponents", "lambda_max", "kaplan_yorke_dimension", "orbit_type", "units"):
        assert key in data
    assert len(data["exponents"]) == 60 and data["units"] == "per_step"
    assert data["lambda_max"] > 0 and data["orbit_type"] == "chaotic"
    assert data["exponents"] == sorted(data["exponents"], reverse=True)


@pytest.mark.parametrize("arch", ["lstm", "gru", "plrnn", "shplrnn"])
def test_rnn_lyapunov_each_arch(run_cli, arch):
    code, out, err = run_cli("rnn-lyapunov", "--arch", arch, "--hidden", "4", "--steps", "300", "--transient",
                             "100", "--ics", "2", "--exponents", "3", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert len(data["exponents"]) == 3 and data["orbit_type"] in (
        "fixed_point", "quasi_periodic", "chaotic", "divergent", "cycle") or data["orbit_type"].endswith("-cycle")


def test_checkpoint_roundtrip_in_cli(run_cli, tmp_path):
    path = tmp_path / "cycle.pt"
    save_checkpoint(cycle_plrnn(), path)
    code, out, err = run_cli("rnn-lyapunov", "--checkpoint", str(path), "--steps", "2000", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["orbit_type"] == "3-cycle" and data["lambda_max"] < 0
    code, out, err = run_cli("gradients", "--checkpoint", str(path), "--steps", "150", "--json")
    assert code == 0, err
    g = json.loads(out)
    assert g["jacobian_growth_rate"] < 0 and g["orbit_type"] == "3-cycle"
    assert {"gradient_growth_rate", "lambda_max", "orbit_type"} <= set(g)


def test_gradients_chaotic_rnn(run_cli):
    code, out, err = run_cli("gradients", "--arch", "rnn", "--hidden", "40", "--gain", "3", "--steps", "120",
                             "--ics", "2", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["lambda_max"] > 0 and data["gradient_growth_rate"] > 0


@pytest.mark.parametrize("args", [
    ("rnn-lyapunov", "--arch", "plrnn", "--gain", "2"),
    ("rnn-lyapunov", "--arch", "rnn", "--hidden", "5", "--exponents", "6"),
    ("rnn-lyapunov", "--checkpoint", "/nonexistent.pt"),
    ("rnn-lyapunov", "--checkpoint", "x.pt", "--arch", "rnn"),
    ("gradients", "--arch", "transformer"),
    ("gradients", "--steps", "2"),
])
def test_bad_input_one_line_exit_2(run_cli, args):
    code, out, err = run_cli(*args)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_corrupt_checkpoint(run_cli, tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    code, _, err = run_cli("rnn-lyapunov", "--checkpoint", str(bad))
    assert code == 2 and len(err.strip().splitlines()) == 1
    torch.save({"config": {"arch": "plrnn", "obs_dim": 2, "latent_dim": 4}, "state_dict": {}}, tmp_path / "e.pt")
    code, _, err = run_cli("rnn-lyapunov", "--checkpoint", str(tmp_path / "e.pt"))
    assert code == 2 and "state_dict" in err


# ---------------------------------------------------------------------- random RNN experiment
def test_orthogonal_subcritical_exponent_is_log_gain():
    # below g = 1 the origin attracts every orbit; there J = g W with W orthogonal: all |eig| = g exactly
    lam = lambda_max_random_rnn("orthogonal", 60, 0.7, 3, n_steps=500, transient=300, seed=0)
    np.testing.assert_allclose(lam, math.log(0.7), atol=1e-9)


def test_mean_field_limits():
    assert mean_field_lambda(0.5) == pytest.approx(math.log(0.5), abs=1e-12)
    assert mean_field_lambda(1.0) == pytest.approx(0.0, abs=1e-12)
    assert mean_field_lambda(2.0) > 0


def test_ensemble_tangent_matches_dense_jacobian():
    w = random_weights("he", 7, 3, seed=1)
    ens = RandomRNNEnsemble(w, 1.3)
    z = np.random.default_rng(0).normal(size=(3, 7))
    q = np.random.default_rng(1).normal(size=(3, 7, 2))
    f, jq = ens.tangent_step(z, q)
    for b in range(3):
        model = build_model("rnn", 1, 7, gain=1.0, dtype=torch.float64, seed=0)
        with torch.no_grad():
            model.weight_hh.copy_(torch.from_numpy(1.3 * w[b]))
        jac = model.as_map().jacobian(z[b:b + 1])[0]
        np.testing.assert_allclose(jq[b], jac @ q[b], atol=1e-13)
        np.testing.assert_allclose(f[b], model.as_map().step(z[b:b + 1])[0], atol=1e-15)
    with pytest.raises(ValueError, match="one state per network"):
        ens.step(z[:2])


def test_run_and_write_rnn_gain_small(tmp_path):
    res = run_rnn_gain(gains=[0.6, 2.5], widths=(80,), schemes=("normal", "orthogonal"), scheme_width=80,
                       trials=2, n_steps=300, transient=100, seed=0)
    paths = write_rnn_gain(res, tmp_path / "out")
    rows = list(csv.DictReader(open(paths["csv"])))
    assert len(rows) == 2 * 2 * 2
    summary = json.load(open(paths["json"]))["summary"]
    lo = [r for r in summary if r["gain"] == 0.6]
    hi = [r for r in summary if r["gain"] == 2.5]
    assert all(r["p_chaos"] == 0.0 for r in lo) and all(r["p_chaos"] == 1.0 for r in hi)
    assert (tmp_path / "out" / "rnn_gain.png").stat().st_size > 10_000
    assert not list((tmp_path / "out").glob("*.tmp"))


def test_every_offered_architecture_runs(run_cli) -> None:
    """Each --arch choice (the library's list) builds and gives a spectrum, with no traceback."""
    import json

    from rnnchaos.models.base import buildable_architectures

    for arch in buildable_architectures():
        code, out, err = run_cli("rnn-lyapunov", "--arch", arch, "--hidden", "4", "--steps", "100", "--transient", "20",
                                 "--json")
        assert code == 0, (arch, err)
        assert len(json.loads(out)["exponents"]) == (8 if arch == "lstm" else 4)
    code, _, err = run_cli("rnn-lyapunov", "--arch", "alrnn", "--hidden", "4", "--width", "9", "--steps", "10")
    assert code == 2 and "relu_units" in err and err.count("\n") == 1
