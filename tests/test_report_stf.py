"""The STF reproduction recipes (tau sweep, ablations) with a stand-in estimator: planning, scoring,
resuming, tables and figures. Real training is exercised by the experiments, not here."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rnnchaos.metrics.state_space import state_space_divergence
from rnnchaos.reproductions import stf_ablations, stf_tau_sweep
from rnnchaos.reproductions.stf_common import STFRun, load_paper_curves


def _series(t: int = 20_000) -> np.ndarray:
    s = np.arange(t) * 0.07
    return np.column_stack([np.sin(s), np.cos(1.7 * s), np.sin(0.3 * s) * np.cos(s)])


class FakeRec:
    """Generates the data scaled by 1 + |tau - 30| / 100: best at tau = 30, worst for clipped BPTT."""

    def __init__(self, x: np.ndarray, kwargs: dict[str, Any]) -> None:
        tau = kwargs.get("tau")
        self.scale = 1.5 if kwargs["forcing"] == "bptt" else 1 + abs(tau - 30) / 100
        self.x, self.kwargs = x, kwargs
        self.history_ = [{"epoch": 7, "loss": 0.1}]
        self.lambda_max_data_ = 0.01
        self.tau_ = None if kwargs["forcing"] == "bptt" else tau

    def generate(self, t: int, x0: Any = None) -> np.ndarray:
        return np.resize(self.x, (t, self.x.shape[1])) * self.scale


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    np.save(d / "stf_lorenz63.npy", _series())
    return d


def test_tau_sweep_scores_every_run_and_resumes(data_dir: Path, tmp_path: Path) -> None:
    calls: list[STFRun] = []

    def fit(run: STFRun, x: np.ndarray, out: Path, kwargs: dict[str, Any]) -> FakeRec:
        calls.append(run)
        assert kwargs["forcing"] == ("bptt" if run.method == "clip" else "stf")
        return FakeRec(x, kwargs)

    out = tmp_path / "sweep"
    summary = stf_tau_sweep.run_tau_sweep("lorenz63", models=["plrnn"], taus=[10, 30, 100], minutes=0.1, out=out,
                                          data_dir=str(data_dir), n_steps=20_000, lyapunov_steps=0, fit=fit)
    assert len(calls) == 4  # clip + three taus
    rows = json.loads((out / "tau_sweep.json").read_text())
    x = _series()
    for r in rows:
        scale = 1.5 if r["method"] == "clip" else 1 + abs(r["tau"] - 30) / 100
        assert r["d_stsp_stf2022"] == pytest.approx(state_space_divergence(x, x * scale, preset="stf2022"))
        assert r["epochs_done"] == 7 and r["status"] == "ok"
        assert r["tau_pred_data"] == pytest.approx(math.log(2) / 0.01)
    best = summary["best"]["plrnn|stf|d_stsp_corrected"]
    assert best["tau"] == 30 and best["value"] == pytest.approx(0.0, abs=1e-12)
    assert (out / "tau_sweep.csv").read_text().count("\n") == 5
    assert (out / "tau_sweep.png").read_bytes()[:4] == b"\x89PNG"
    # rerun: nothing is trained again
    stf_tau_sweep.run_tau_sweep("lorenz63", models=["plrnn"], taus=[10, 30, 100], minutes=0.1, out=out,
                                data_dir=str(data_dir), n_steps=20_000, lyapunov_steps=0, fit=fit)
    assert len(calls) == 4


def test_ablations_pass_each_variant_to_the_estimator(data_dir: Path, tmp_path: Path) -> None:
    seen: dict[str, dict[str, Any]] = {}

    def fit(run: STFRun, x: np.ndarray, out: Path, kwargs: dict[str, Any]) -> FakeRec:
        seen[run.method] = kwargs
        return FakeRec(x, kwargs)

    summary = stf_ablations.run_ablations(tau=30, delta=5, minutes=0.1, out=tmp_path / "abl", data_dir=str(data_dir),
                                          n_steps=20_000, lyapunov_steps=0, fit=fit)
    assert seen["window"]["forcing"] == "window" and seen["tbptt"]["forcing"] == "tbptt"
    assert seen["random"]["tau_mode"] == "random" and seen["random"]["delta"] == 5 and seen["random"]["tau"] == 30
    assert seen["clip"]["forcing"] == "bptt" and seen["clip"]["tau"] == "auto"
    assert summary["variants"]["stf"]["d_stsp_corrected"] == pytest.approx(0.0, abs=1e-12)
    assert (tmp_path / "abl" / "ablations.png").is_file()


def test_training_failure_is_recorded_not_raised(data_dir: Path, tmp_path: Path) -> None:
    def fit(run: STFRun, x: np.ndarray, out: Path, kwargs: dict[str, Any]) -> FakeRec:
        raise ValueError("loss became NaN at epoch 3")

    stf_tau_sweep.run_tau_sweep("lorenz63", models=["rnn"], taus=[30], minutes=0.1, out=tmp_path / "s",
                                data_dir=str(data_dir), n_steps=20_000, lyapunov_steps=0, include_clip=False, fit=fit)
    rows = json.loads((tmp_path / "s" / "tau_sweep.json").read_text())
    assert rows[0]["status"].startswith("training failed: loss became NaN")
    # a failed run is retried when the sweep is resumed
    stf_tau_sweep.run_tau_sweep("lorenz63", models=["rnn"], taus=[30], minutes=0.1, out=tmp_path / "s",
                                data_dir=str(data_dir), n_steps=20_000, lyapunov_steps=0, include_clip=False,
                                fit=lambda run, x, out, kw: FakeRec(x, kw))
    rows = json.loads((tmp_path / "s" / "tau_sweep.json").read_text())
    assert [r["status"] for r in rows] == ["ok"]


def test_published_curves_parse(shared_data: Path) -> None:
    rows = load_paper_curves(shared_data.parent / "reference" / "stf_paper_curves.csv")
    best = min(r["value"] for r in rows if r["dataset"] == "lorenz63" and r["metric"] == "dstsp_bins")
    assert best == 0.062


def test_cli_bad_input_is_one_line_exit_2(run_cli, tmp_path: Path, data_dir: Path) -> None:
    cases = [
        ("reproduce", "stf-tau-sweep", "--dataset", "mars"),
        ("reproduce", "stf-tau-sweep", "--dataset", "lorenz63", "--taus", "0,5", "--data-dir", str(data_dir)),
        ("reproduce", "stf-tau-sweep", "--dataset", "lorenz63", "--data-dir", str(tmp_path / "none"),
         "--out", str(tmp_path / "o")),
        ("reproduce", "stf-ablations", "--variants", "stf,magic", "--data-dir", str(data_dir),
         "--out", str(tmp_path / "o2")),
        ("reproduce", "stf-ablations", "--tau", "10", "--delta", "20", "--data-dir", str(data_dir),
         "--out", str(tmp_path / "o3")),
    ]
    for args in cases:
        code, out, err = run_cli(*args)
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, (args, err)
