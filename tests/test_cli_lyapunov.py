"""``rnnchaos lyapunov SYSTEM``: output keys, reference values, one-line errors with exit code 2.

(The ``--data`` branch is tested with the data estimator, in that engineer's tests.)
"""

from __future__ import annotations

import json
import math

import pytest

KEYS = {"system", "parameters", "exponents", "kaplan_yorke_dimension", "units", "dt", "steps", "spread", "warnings"}


def run_json(run_cli, *args):
    code, out, err = run_cli("lyapunov", *args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_help(run_cli):
    code, out, _ = run_cli("lyapunov", "--help")
    assert code == 0
    for word in ("SYSTEM", "--data", "--param", "--steps", "--dt", "--ics", "--exponents", "--json", "lorenz63"):
        assert word in out


def test_henon_json(run_cli):
    # a QR at every step, so that the sum is ln 0.3 to rounding (longer intervals: to ~1e-12 at 5, ~1e-9 auto)
    d = run_json(run_cli, "henon", "--steps", "20000", "--ics", "32", "--seed", "1", "--reortho", "1")
    assert KEYS <= set(d) and d["reortho"] == "fixed" and d["mean_reortho_interval"] == 1
    assert d["system"] == "henon" and d["units"] == "per_step" and d["dt"] is None and d["steps"] == 20000
    assert d["parameters"] == {"a": 1.4, "b": 0.3}
    assert abs(d["exponents"][0] / 0.41922 - 1) < 0.005
    assert abs(d["exponents"][1] / -1.62319 - 1) < 0.005
    assert math.isclose(sum(d["exponents"]), math.log(0.3), rel_tol=1e-12)
    assert d["kaplan_yorke_dimension"] == pytest.approx(1 + d["exponents"][0] / -d["exponents"][1])
    assert len(d["spread"]) == 2 and d["warnings"] == []


def test_reortho_default_is_the_systems_tuned_interval(run_cli):
    # henon and the flows have a tuned fixed interval (5): it is the default; --reortho overrides it; systems
    # without one (logistic, tent) run the adaptive schedule
    from rnnchaos.systems.registry import get_system

    assert get_system("henon").lyapunov_defaults().reortho_every == 5
    d = run_json(run_cli, "henon", "--steps", "400", "--ics", "2")
    assert d["reortho"] == "fixed" and d["reortho_every"] == 5 and d["mean_reortho_interval"] == 5
    d = run_json(run_cli, "henon", "--steps", "400", "--ics", "2", "--reortho", "auto")
    assert d["reortho"] == "auto" and d["mean_reortho_interval"] > 5
    assert get_system("logistic").lyapunov_defaults().reortho_every == "auto"
    assert run_json(run_cli, "logistic", "--steps", "400", "--ics", "2")["reortho"] == "auto"


def test_logistic_r4(run_cli):
    d = run_json(run_cli, "logistic", "--steps", "20000", "--ics", "64")
    assert abs(d["exponents"][0] / math.log(2) - 1) < 0.005


def test_parameters_and_options(run_cli):
    d = run_json(run_cli, "tent", "--param", "mu=1.5", "--steps", "200", "--ics", "2")
    assert d["parameters"] == {"mu": 1.5}
    assert d["exponents"][0] == pytest.approx(math.log(1.5), abs=1e-12)
    d = run_json(run_cli, "lorenz63", "--param", "rho=28", "--steps", "300", "--ics", "2", "--exponents", "2",
                 "--dt", "0.005", "--transient", "100")
    assert d["units"] == "per_time" and d["dt"] == 0.005 and len(d["exponents"]) == 2 and d["steps"] == 300


def test_lorenz_flow_units_and_sum(run_cli):
    d = run_json(run_cli, "lorenz63", "--steps", "2000", "--ics", "16")
    assert d["units"] == "per_time" and d["dt"] == 0.01
    assert abs(sum(d["exponents"]) / -13.6667 - 1) < 0.001


def test_text_output(run_cli):
    code, out, _ = run_cli("lyapunov", "tent", "--steps", "100", "--ics", "1")
    assert code == 0
    assert "exponents" in out and "per_step" in out and not out.lstrip().startswith("{")


@pytest.mark.parametrize(("args", "match"), [
    (["lorenz"], "unknown system"),
    (["lorenz63", "--param", "rh=1"], "unknown parameter"),
    (["lorenz63", "--param", "rho=nan"], "finite"),
    (["lorenz63", "--param", "rho"], "NAME=VALUE"),
    (["lorenz63", "--param", "rho=abc"], "number"),
    (["lorenz63", "--steps", "0"], "steps"),
    (["lorenz63", "--steps", "-5"], "steps"),
    (["lorenz63", "--dt", "0"], "dt"),
    (["lorenz63", "--dt", "-0.01"], "dt"),
    (["lorenz63", "--dt", "nan"], "dt"),
    (["lorenz63", "--ics", "0"], "ics"),
    (["lorenz63", "--exponents", "4"], "exponents"),
    (["lorenz63", "--transient", "-1"], "transient"),
    (["henon", "--dt", "0.1"], "map"),
    (["mackey_glass", "--dt", "0.15"], "multiple"),
    ([], "exactly one"),
    (["henon", "--data", "x.npy"], "exactly one"),
    (["henon", "--lag", "2"], "--data"),
    (["--data", "x.npy", "--param", "a=1"], "SYSTEM"),
])
def test_bad_input_one_line_exit_2(run_cli, args, match):
    code, out, err = run_cli("lyapunov", *args)
    assert code == 2
    assert out == ""
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert match in lines[0]
    assert "Traceback" not in err


def test_json_is_one_object_even_with_warnings(run_cli):
    code, out, err = run_cli("lyapunov", "lorenz63", "--steps", "50", "--ics", "1", "--transient", "0", "--json")
    assert code == 0
    d = json.loads(out)  # exactly one JSON object
    assert isinstance(d["warnings"], list)
    assert "Warning" not in err  # diagnostics go into the JSON, not as Python warnings


@pytest.mark.slow
@pytest.mark.parametrize(("system", "checks"), [
    ("lorenz63", [(0, 0.9056, 0.01), (2, -14.5723, 0.01), ("sum", -13.6667, 0.001)]),
    ("rossler", [(0, 0.0714, 0.05)]),
    ("henon", [(0, 0.41922, 0.005), (1, -1.62319, 0.005)]),
    ("logistic", [(0, math.log(2), 0.005)]),
    ("lorenz96", [("sum", -40.0, 0.005), (0, 1.68, 0.05)]),
])
def test_must_show_at_cli_defaults(run_cli, system, checks):
    """The issue's reference values from ``rnnchaos lyapunov SYSTEM`` at its defaults (docs/architecture.md, reference table)."""
    d = run_json(run_cli, system)
    assert d["warnings"] == []
    for index, ref, rel in checks:
        value = sum(d["exponents"]) if index == "sum" else d["exponents"][index]
        assert abs(value / ref - 1) < rel, (system, index, value, ref)


def test_huge_ics_is_refused_with_one_line(run_cli):
    code, out, err = run_cli("lyapunov", "lorenz63", "--ics", "100000000000")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "working memory" in err
