"""CLI: rnnchaos periods / chaos-probability, and one-line errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def _write(tmp_path: Path, name: str, text: str) -> str:
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_periods_exact_tent(run_cli, tmp_path: Path) -> None:
    path = _write(tmp_path, "tent.json", json.dumps({"w1": [1, 1], "b1": [0, "-1/2"], "w2": [2, -4], "b2": 0}))
    code, out, err = run_cli("periods", "--weights", path, "--max-period", "4", "--json")
    assert code == 0, err
    res = json.loads(out)
    assert res["period3"] is True and res["li_yorke_chaotic"] is True
    assert res["witness"] in ("2/9", "2/7")
    assert res["witness_certificate"]["method"] == "exact rational arithmetic"
    assert res["periods"] == [1, 2, 3, 4]
    assert res["laps"] == [2, 4, 8, 16]
    assert res["entropy_lower_bound"] == pytest.approx(0.48121182505960347, abs=1e-15)
    cycles = sorted(sorted(o["points"]) for o in res["orbits"]["3"])
    assert cycles == [["2/7", "4/7", "6/7"], ["2/9", "4/9", "8/9"]]


def test_periods_text_and_tanh(run_cli, tmp_path: Path) -> None:
    path = _write(tmp_path, "t.json", json.dumps({"w1": [1.5, -2.0], "b1": [0.1, 0.3], "w2": [2.0, 1.5],
                                                  "b2": 0.1, "hidden_activation": "tanh"}))
    code, out, err = run_cli("periods", "--weights", path, "--max-period", "3")
    assert code == 0, err
    assert "period3" in out and "lyapunov_exponent" in out


@pytest.mark.parametrize("content, message", [
    ('{"w1": [1, 1', "not valid JSON"),
    ('{"w1": [1, 1], "b1": [0, 1, 2], "w2": [1, 1], "b2": 0}', "b1 must have shape (2,)"),
    ('{"w1": [1, 1], "b1": [0, 1], "w2": [1, 1, 1], "b2": 0}', "w2 must have shape"),
    ('{"w1": [1, 1], "b1": [0, 1]}', "at least keys w1, b1, w2, b2"),
    ('{"w1": [1, "x"], "b1": [0, 1], "w2": [1, 1], "b2": 0}', "rational string"),
    ('{"w1": [1], "b1": [0], "w2": [1], "b2": 0, "hidden_activation": "sigmoid"}', "hidden_activation"),
    ('[1, 2]', "JSON object"),
    ('{"w1": [], "b1": [], "w2": [], "b2": 0}', "no units"),
    ('{"w1": [1, NaN], "b1": [0, 1], "w2": [1, 1], "b2": 0}', "must be finite"),
    ('{"w1": [1, 2], "b1": [0, 1], "w2": [1, 1], "b2": 0, "extra": 1}', "unknown key(s)"),
])
def test_periods_bad_weights_one_line_exit_2(run_cli, tmp_path: Path, content: str, message: str) -> None:
    path = _write(tmp_path, "bad.json", content)
    code, out, err = run_cli("periods", "--weights", path)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_periods_missing_file_exit_2(run_cli, tmp_path: Path) -> None:
    code, _, err = run_cli("periods", "--weights", str(tmp_path / "nope.json"))
    assert code == 2 and err.count("\n") == 1


def test_chaos_probability_json_and_seed(run_cli) -> None:
    args = ("chaos-probability", "--width", "16", "--init", "he", "--trials", "1500", "--output-gain", "2",
            "--seed", "3", "--json")
    code, out, err = run_cli(*args)
    assert code == 0, err
    res = json.loads(out)
    assert res["trials"] == 1500
    assert 0.0 <= res["ci95"][0] <= res["p_period3"] <= res["ci95"][1] <= 1.0
    assert res["p_positive_entropy"] >= res["p_period3"]
    code2, out2, _ = run_cli(*args)
    assert json.loads(out2)["n_period3"] == res["n_period3"]


@pytest.mark.parametrize("args, message", [
    (("--width", "8", "--init", "kaiming"), "unknown init scheme 'kaiming'"),
    (("--width", "8", "--bias-init", "foo"), "unknown bias-init scheme 'foo'"),
    (("--width", "0"), "--width must be"),
    (("--width", "8", "--trials", "0"), "--trials must be a positive integer"),
    (("--width", "8", "--depth", "4"), "depth"),
])
def test_chaos_probability_bad_input_exit_2(run_cli, args: tuple[str, ...], message: str) -> None:
    code, out, err = run_cli("chaos-probability", *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err
