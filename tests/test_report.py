"""Evaluation and report: a model that is exactly the data's map scores zero, and the report is complete."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from rnnchaos.models.wrappers import FunctionModel
from rnnchaos.report.evaluation import evaluate_model, load_history
from rnnchaos.report.markdown import write_evaluation_report

THETA = 2 * math.pi * (math.sqrt(5) - 1) / 2 * 0.05  # irrational rotation: quasi-periodic data
R = np.array([[math.cos(THETA), -math.sin(THETA)], [math.sin(THETA), math.cos(THETA)]])
MEAN, STD = np.array([1.0, -2.0]), np.array([2.0, 0.5])


def _rotation_model() -> FunctionModel:
    rt = torch.tensor(R.T)
    return FunctionModel(lambda z: z @ rt.to(z.dtype), latent_dim=2, obs_dim=2,
                         jacobian=lambda z: torch.tensor(R, dtype=z.dtype).expand(z.shape[0], 2, 2))


def _data(t: int) -> np.ndarray:
    z = np.empty((t, 2))
    z[0] = [1.0, 0.3]
    for i in range(1, t):
        z[i] = R @ z[i - 1]
    return z * STD + MEAN  # data units: the model works on standardised values


def test_model_equal_to_the_data_map_scores_zero() -> None:
    x = _data(5000)
    ev = evaluate_model(_rotation_model(), x, mean=MEAN, std=STD, n_steps=5000, pe_steps=5,
                        lyapunov_steps=2000, lambda_max_data=0.0)
    np.testing.assert_allclose(ev.x_gen, x, atol=1e-10)  # one free run from the data's first point
    assert ev.d_stsp == 0.0
    assert ev.d_h == pytest.approx(0.0, abs=1e-6)
    assert ev.pe == pytest.approx(0.0, abs=1e-20)
    np.testing.assert_allclose(ev.lyapunov_model, [0.0, 0.0], atol=1e-12)  # orthogonal map: log|eig| = 0
    # persistence forecast error of a rotation, exactly: |(R^n - I) z|^2 averaged, in data units
    z = (x - MEAN) / STD
    n = 5
    rn = np.linalg.matrix_power(R, n)
    expected = np.mean(((z[:-n] @ (rn - np.eye(2)).T) * STD) ** 2)
    assert ev.pe_persistence[-1] == pytest.approx(expected, rel=1e-9)
    s = ev.summary()
    assert set(s) >= {"d_stsp", "d_h", "pe", "lambda_max_model", "lambda_max_data"}


def test_a_contracting_model_has_lambda_log_r_and_a_positive_divergence() -> None:
    x = _data(4000)
    r = 0.99
    rt = torch.tensor(r * R.T)
    model = FunctionModel(lambda z: z @ rt.to(z.dtype), latent_dim=2, obs_dim=2,
                          jacobian=lambda z: torch.tensor(r * R, dtype=z.dtype).expand(z.shape[0], 2, 2))
    ev = evaluate_model(model, x, mean=MEAN, std=STD, n_steps=4000, pe_steps=3, lyapunov_steps=2000,
                        lambda_max_data=0.0)
    np.testing.assert_allclose(ev.lyapunov_model, [math.log(r)] * 2, atol=1e-12)
    assert ev.d_stsp > 0.1 and ev.d_h > 0.0
    assert ev.pe > 0.0


def test_report_writes_markdown_and_every_figure(tmp_path: Path) -> None:
    x = _data(6000)
    ev = evaluate_model(_rotation_model(), x, mean=MEAN, std=STD, n_steps=6000, pe_steps=5,
                        lyapunov_steps=1000, lambda_max_data=0.01)
    history = [{"epoch": i, "loss": 1.0 / (i + 1), "tau": 30, "seconds": i * 0.1} for i in range(20)]
    history[10].update(lambda_max_model=0.02, lambda_max_data=0.01)
    path = write_evaluation_report(ev, tmp_path / "rep", history=history, config={"seed": 3, "tau": 30})
    text = path.read_text()
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert {"attractors.png", "time_series.png", "power_spectra.png", "prediction_error.png", "lyapunov.png",
            "training.png"} <= set(images)
    for img in images:
        data = (path.parent / img).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    assert "| D_stsp | 0 |" in text and "tau_pred" in text


def test_load_history_skips_bad_lines(tmp_path: Path) -> None:
    (tmp_path / "metrics.jsonl").write_text('{"epoch": 1, "loss": 2.0}\nnot json\n\n{"epoch": 2, "loss": 1.0}\n')
    assert [h["epoch"] for h in load_history(tmp_path)] == [1, 2]
    assert load_history(tmp_path / "nothing") == []


def test_evaluate_and_report_bad_run_dir_is_one_line_exit_2(run_cli, tmp_path: Path) -> None:
    for cmd in ("evaluate", "report"):
        code, out, err = run_cli(cmd, str(tmp_path / "missing"))
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
        code, out, err = run_cli(cmd, str(tmp_path))
        assert code == 2 and "run directory" in err and len(err.strip().splitlines()) == 1, err
