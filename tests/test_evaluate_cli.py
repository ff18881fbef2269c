"""``rnnchaos metrics`` (and bad input for ``evaluate``/``report``): exact outputs and one-line errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from rnnchaos.metrics.power_spectrum import power_spectrum_distance
from rnnchaos.metrics.state_space import state_space_divergence


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(5000, 3)).cumsum(axis=0)
    b = rng.normal(size=(6000, 3)).cumsum(axis=0)
    pa, pb = tmp_path / "a.npy", tmp_path / "b.npy"
    np.save(pa, a)
    np.save(pb, b)
    return pa, pb, a, b


@pytest.mark.parametrize("preset", ["stf2022", "stf2022-corrected", "gtf2023"])
def test_metrics_json_matches_the_library(run_cli, pair, preset: str) -> None:
    pa, pb, a, b = pair
    code, out, err = run_cli("metrics", "--truth", str(pa), "--generated", str(pb), "--preset", preset, "--json")
    assert code == 0, err
    res = json.loads(out)
    assert res["d_stsp"] == pytest.approx(state_space_divergence(a, b, preset=preset), rel=1e-12)
    assert res["d_h"] == pytest.approx(power_spectrum_distance(a, b, preset=preset), rel=1e-12)
    assert res["preset"] == preset


def test_metrics_identical_files_give_zero(run_cli, pair) -> None:
    pa, _, _, _ = pair
    code, out, _ = run_cli("metrics", "--truth", str(pa), "--generated", str(pa), "--json")
    assert code == 0
    res = json.loads(out)
    assert res["d_stsp"] == 0.0
    assert res["d_h"] == pytest.approx(0.0, abs=1e-7)


def test_metrics_text_output(run_cli, pair) -> None:
    pa, pb, _, _ = pair
    code, out, _ = run_cli("metrics", "--truth", str(pa), "--generated", str(pb))
    assert code == 0
    assert out.splitlines()[0].startswith("d_stsp")


def test_metrics_bad_input_is_one_line_exit_2(run_cli, pair, tmp_path: Path) -> None:
    pa, _, a, _ = pair
    narrow = tmp_path / "narrow.npy"
    np.save(narrow, a[:, :2])
    code, out, err = run_cli("metrics", "--truth", str(pa), "--generated", str(narrow))
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "width" in err
    code, _, err = run_cli("metrics", "--truth", str(pa), "--generated", str(tmp_path / "missing.npy"))
    assert code == 2 and len(err.strip().splitlines()) == 1
    garbage = tmp_path / "garbage.npy"
    garbage.write_bytes(b"not an array")
    code, _, err = run_cli("metrics", "--truth", str(garbage), "--generated", str(pa))
    assert code == 2 and len(err.strip().splitlines()) == 1
    code, _, err = run_cli("metrics", "--truth", str(pa), "--generated", str(pa), "--preset", "nope")
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_evaluate_and_report_on_a_real_run_directory(run_cli, tmp_path: Path) -> None:
    """A short Reconstructor run (20 epochs) on a Lorenz-63 trajectory; evaluate reloads its data source."""
    import torch

    from rnnchaos.data.datasets import DataSpec
    from rnnchaos.systems.flows import Lorenz63
    from rnnchaos.training.reconstructor import Reconstructor

    torch.set_num_threads(1)
    x = Lorenz63().trajectory(6000, dt=0.01, seed=1)
    data = tmp_path / "lorenz.npy"
    np.save(data, x)
    run = tmp_path / "run"
    rec = Reconstructor(model="plrnn", hidden=8, tau=20, epochs=20, out=run, seed=0)
    rec.fit(x, data_spec=DataSpec(kind="file", source=str(data)))
    code, out, err = run_cli("evaluate", str(run), "--n-steps", "5000", "--lyapunov-steps", "500", "--json")
    assert code == 0, err
    res = json.loads(out)
    assert {"d_stsp", "d_h", "pe", "lambda_max_model", "lambda_max_data"} <= set(res)
    gen = rec.generate(5000, x0=x[0])
    assert res["d_stsp"] == pytest.approx(state_space_divergence(x, gen), rel=1e-9)
    assert res["lambda_max_data"] == pytest.approx(rec.lambda_max_data_)
    # default: min(M, 32) exponents with the adaptive QR interval, reported
    assert len(res["lyapunov_model"]) == 8 and res["lyapunov_settings"]["n_exponents"] == 8
    assert res["lyapunov_settings"]["reortho"] == "auto" and res["lyapunov_settings"]["tangent_dtype"] == "float64"
    code, out, err = run_cli("evaluate", str(run), "--n-steps", "5000", "--lyapunov-steps", "500", "--exponents", "3",
                             "--reortho", "2", "--json")
    assert code == 0, err
    res3 = json.loads(out)
    assert len(res3["lyapunov_model"]) == 3 and res3["lyapunov_settings"]["reortho_every"] <= 2
    assert res3["d_stsp"] == res["d_stsp"]
    code, out, err = run_cli("report", str(run), "--n-steps", "5000", "--lyapunov-steps", "500", "--json")
    assert code == 0, err
    report = Path(json.loads(out)["report"])
    assert report.is_file() and (report.parent / "training.png").is_file()


@pytest.mark.parametrize("arch,n_dim,seed,preset", [("plrnn", 3, 0, None), ("lstm", 6, 3, "stf2022")])
def test_reconstructor_score_prints_the_numbers_of_evaluate(run_cli, tmp_path: Path, arch: str, n_dim: int,
                                                           seed: int, preset: str | None) -> None:
    """``Reconstructor.score`` and ``rnnchaos evaluate``: same run, data and seed -> the same numbers, bit for
    bit (the default preset is the same too); N = 6 scores D_stsp by the seeded Gaussian-mixture estimate."""
    import torch

    from rnnchaos.data.datasets import DataSpec
    from rnnchaos.systems.flows import Lorenz63, Lorenz96
    from rnnchaos.training.reconstructor import Reconstructor

    torch.set_num_threads(1)
    system = Lorenz63() if n_dim == 3 else Lorenz96(N=n_dim)
    x = system.trajectory(3000, dt=0.01 if n_dim == 3 else 0.05, seed=2)
    np.save(tmp_path / "x.npy", x)
    run = tmp_path / "run"
    Reconstructor(model=arch, hidden=6, tau=15, epochs=4, seq_len=40, out=run, seed=1).fit(
        x, data_spec=DataSpec(kind="file", source=str(tmp_path / "x.npy")))
    args = ["--n-steps", "3000", "--pe-steps", "7", "--lyapunov-steps", "300", "--seed", str(seed)]
    code, out, err = run_cli("evaluate", str(run), *args, *(["--preset", preset] if preset else []), "--json")
    assert code == 0, err
    shown = json.loads(out)
    kwargs = {"preset": preset} if preset else {}
    score = Reconstructor.load(run).evaluate(x, n_steps=3000, pe_steps=7, seed=seed, **kwargs)
    for key in ("d_stsp", "d_h", "d_h_per_dim", "pe", "preset"):
        assert score[key] == shown[key], key
    assert math.isfinite(score["d_stsp"]) and score["pe"] > 0
