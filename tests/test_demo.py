"""``rnnchaos demo`` end to end with a tiny budget: every section is computed and written."""

from __future__ import annotations

import json
import math


def test_demo_small_budget(run_cli, tmp_path):
    out = tmp_path / "demo"
    code, stdout, stderr = run_cli("demo", "--out", str(out), "--minutes", "0.1", "--trials", "200", "--json")
    assert code == 0, stderr
    summary = json.loads(stdout)
    lz = summary["lorenz63"]
    assert abs(lz["spectrum_per_time"][0] - 0.9056) < 0.05 * 0.9056
    assert abs(sum(lz["spectrum_per_time"]) + 41 / 3) < 0.01 * 41 / 3
    assert math.isclose(lz["tau_pred_steps"], math.log(2) / lz["lambda_max_from_data_per_step"], rel_tol=1e-9)
    tr = summary["training"]
    assert tr["tau"] >= 1 and tr["epochs"] >= 1
    assert set(tr["evaluation"]) >= {"d_stsp", "d_h", "pe", "lambda_max_model"}
    widths = [row["width"] for row in summary["chaos_probability"]]
    assert widths == [2, 16, 64]
    for row in summary["chaos_probability"]:
        assert row["ci95"][0] <= row["p_period3"] <= row["ci95"][1]
    for name in ("README.md", "summary.json", "lorenz_divergence.png", "chaos_probability.png"):
        assert (out / name).stat().st_size > 0
    assert (out / "training" / "report" / "report.md").is_file()


def test_demo_refuses_nonempty_directory(run_cli, tmp_path):
    (tmp_path / "keep.txt").write_text("user data")
    code, _, stderr = run_cli("demo", "--out", str(tmp_path), "--minutes", "0.1")
    assert code == 2 and "not empty" in stderr
    assert (tmp_path / "keep.txt").read_text() == "user data"
