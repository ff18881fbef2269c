"""``rnnchaos lyapunov --data FILE``: JSON keys, units, warnings and one-line errors with exit code 2."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from rnnchaos.data.io import save_series


def logistic(n: int, x0: float = 0.3) -> np.ndarray:
    x = np.empty(n)
    x[0] = x0
    for i in range(1, n):
        x[i] = 4.0 * x[i - 1] * (1.0 - x[i - 1])
    return x


@pytest.mark.parametrize("ext", [".npy", ".csv"])
def test_logistic_json(run_cli, tmp_path: Path, ext: str) -> None:
    path = tmp_path / f"logistic{ext}"
    save_series(path, logistic(4000))
    code, out, err = run_cli("lyapunov", "--data", str(path), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert {"lambda_max", "lambda_max_per_time", "predictability_steps", "method", "warning"} <= set(data)
    assert data["lambda_max"] == pytest.approx(math.log(2), rel=0.02)
    assert data["lambda_max_per_time"] is None
    assert data["predictability_steps"] == pytest.approx(math.log(2) / data["lambda_max"])
    assert data["method"] == "rosenstein" and data["warning"] is None


def test_dt_gives_per_time(run_cli, tmp_path: Path) -> None:
    save_series(tmp_path / "x.npy", logistic(3000))
    code, out, err = run_cli("lyapunov", "--data", str(tmp_path / "x.npy"), "--dt", "0.25", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["lambda_max_per_time"] == pytest.approx(data["lambda_max"] / 0.25)


def test_noise_has_warning(run_cli, tmp_path: Path) -> None:
    save_series(tmp_path / "noise.npy", np.random.default_rng(0).normal(size=3000))
    code, out, err = run_cli("lyapunov", "--data", str(tmp_path / "noise.npy"), "--json")
    assert code == 0, err
    assert json.loads(out)["warning"]


def _nan_file(tmp: Path) -> Path:
    x = logistic(500)
    x[7] = np.nan
    np.save(tmp / "nan.npy", x)
    return tmp / "nan.npy"


def _inf_csv(tmp: Path) -> Path:
    (tmp / "inf.csv").write_text("1,2\n3,inf\n4,5\n", encoding="utf-8")
    return tmp / "inf.csv"


def _three_d(tmp: Path) -> Path:
    np.save(tmp / "cube.npy", np.zeros((10, 3, 2)))
    return tmp / "cube.npy"


def _constant(tmp: Path) -> Path:
    np.save(tmp / "const.npy", np.full((1000, 2), 3.0))
    return tmp / "const.npy"


def _short(tmp: Path) -> Path:
    np.save(tmp / "short.npy", logistic(6))
    return tmp / "short.npy"


def _bad_csv(tmp: Path) -> Path:
    (tmp / "bad.csv").write_text("1,2\n3,abc\n", encoding="utf-8")
    return tmp / "bad.csv"


def _empty(tmp: Path) -> Path:
    (tmp / "empty.npy").write_bytes(b"")
    return tmp / "empty.npy"


def _pickle(tmp: Path) -> Path:
    np.save(tmp / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    return tmp / "obj.npy"


def _missing(tmp: Path) -> Path:
    return tmp / "missing.npy"


def _extension(tmp: Path) -> Path:
    (tmp / "x.xlsx").write_bytes(b"1,2\n")
    return tmp / "x.xlsx"


@pytest.mark.parametrize(
    ("make", "match"),
    [(_nan_file, "NaN"), (_inf_csv, "inf"), (_three_d, "shape"), (_constant, "constant"), (_short, "at least"),
     (_bad_csv, "could not be parsed"), (_empty, "empty"), (_pickle, "object"), (_missing, "does not exist"),
     (_extension, "unknown extension")],
)
def test_bad_data_is_one_line_exit_2(run_cli, tmp_path: Path, make, match: str) -> None:
    code, out, err = run_cli("lyapunov", "--data", str(make(tmp_path)), "--json")
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and match in lines[0], err
    assert "Traceback" not in err


def test_too_short_for_given_embedding(run_cli, tmp_path: Path) -> None:
    save_series(tmp_path / "x.npy", logistic(80))
    code, _, err = run_cli("lyapunov", "--data", str(tmp_path / "x.npy"), "--dim", "10", "--lag", "8")
    assert code == 2 and "at least" in err and len(err.strip().splitlines()) == 1


def test_real_file_matches_library(run_cli, shared_data: Path) -> None:
    from rnnchaos.data.io import load_series
    from rnnchaos.dynamics.lambda_max_data import lambda_max_from_series

    path = shared_data / "stf_lorenz63.npy"
    code, out, err = run_cli("lyapunov", "--data", str(path), "--json")
    assert code == 0, err
    assert json.loads(out)["lambda_max"] == pytest.approx(lambda_max_from_series(load_series(path)).lambda_max,
                                                          rel=1e-12)
