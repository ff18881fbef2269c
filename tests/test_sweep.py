"""The sweep engine: grid expansion, ids and seeds, failure isolation, resume, local vs Ray."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rnnchaos.sweep.config import MAX_TRIALS, SweepConfig, load_config, parse_config
from rnnchaos.sweep.engine import _locked, run_sweep
from rnnchaos.sweep.grid import derive_seed, expand, trial_id
from rnnchaos.sweep.journal import Journal

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


def make_config(function: str = "quadratic", grid: dict[str, Any] | None = None, fixed: dict[str, Any] | None = None,
                seed: int = 3) -> SweepConfig:
    doc = {"sweep": {"name": "t", "kind": "python", "function": f"test_sweep_trials:{function}",
                     "python_path": [str(TESTS)], "seed": seed},
           "fixed": fixed if fixed is not None else {"a": 0.5},
           "grid": grid if grid is not None else {"x": [0, 1, 2, 3], "rep": [0, 1]}}
    return parse_config(doc)


def outcome(records: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What must not depend on scheduling: everything except timings and tracebacks."""
    return [(r["index"], r["id"], r["seed"], json.dumps(r["params"], sort_keys=True), r["status"],
             json.dumps(r["result"], sort_keys=True), r["error"]) for r in records]


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# --- grid, ids, seeds -------------------------------------------------------------------------------

def test_grid_is_the_cartesian_product_in_order():
    cfg = make_config(grid={"x": [1, 2, 3], "rep": [0, 1], "m": ["a", "b"]})
    trials = expand(cfg)
    assert cfg.n_trials == len(trials) == 12
    assert [(t.point["x"], t.point["rep"], t.point["m"]) for t in trials][:3] == [(1, 0, "a"), (1, 0, "b"), (1, 1, "a")]
    assert len({t.id for t in trials}) == 12
    assert len({t.seed for t in trials}) == 12
    assert all(t.params["a"] == 0.5 and t.params["seed"] == t.seed for t in trials)


def test_ids_and_seeds_do_not_depend_on_key_order_and_follow_the_sweep_seed():
    a = expand(parse_config('[sweep]\nkind="python"\nfunction="m:f"\n[fixed]\np=1\nq=2\n[grid]\nx=[1,2]\n'))
    b = expand(parse_config('[sweep]\nkind="python"\nfunction="m:f"\n[fixed]\nq=2\np=1\n[grid]\nx=[1,2]\n'))
    assert [t.id for t in a] == [t.id for t in b]
    assert [t.seed for t in a] == [t.seed for t in b]
    c = expand(parse_config('[sweep]\nkind="python"\nfunction="m:f"\nseed=1\n[fixed]\nq=2\np=1\n[grid]\nx=[1,2]\n'))
    assert [t.id for t in c] == [t.id for t in a] and all(s != t.seed for s, t in zip([t.seed for t in c], a, strict=True))
    # the id is a hash of the parameters: 1 and 1.0 are different trials, another function too
    assert trial_id("m:f", {"x": 1}) != trial_id("m:f", {"x": 1.0}) != trial_id("m:g", {"x": 1.0})
    assert 0 <= derive_seed(0, a[0].id) < 2**63


def test_explicit_seed_parameter_is_used_as_given():
    trials = expand(make_config(grid={"x": [1], "seed": [10, 11, 12]}))
    assert [t.seed for t in trials] == [10, 11, 12]
    assert [t.params["seed"] for t in trials] == [10, 11, 12]


@pytest.mark.parametrize("text, key", [
    ('[sweep]\nkind="python"\nfunction="m:f"\nbogus=1\n[grid]\nx=[1]\n', "sweep.bogus"),
    ('[sweep]\nkind="python"\nfunction="m:f"\n[grid]\nx=[]\n', "grid.x"),
    ('[sweep]\nkind="python"\nfunction="m:f"\n[grid]\nx=3\n', "grid.x"),
    ('[sweep]\nkind="python"\nfunction="m:f"\n[grid]\n', "[grid]"),
    ('[sweep]\nkind="python"\nfunction="m:f"\n[grid]\nx=[1, 1]\n', "grid.x"),
    ('[sweep]\nkind="python"\nfunction="m:f"\nseed="0"\n[grid]\nx=[1]\n', "sweep.seed"),
    ('[sweep]\nkind="python"\nfunction="m:f"\n[fixed]\nx=2\n[grid]\nx=[1]\n', "'x'"),
    ('[sweep]\nkind="python"\nfunction="m:f"\n[grid]\nx=[1]\n[extra]\ny=1\n', "'extra'"),
    ('[sweep]\nkind="nope"\n[grid]\nx=[1]\n', "sweep.kind"),
    ('[sweep]\nkind="python"\n[grid]\nx=[1]\n', "sweep.function"),
    ('[sweep]\nkind="python"\nfunction="not a target"\n[grid]\nx=[1]\n', "sweep.function"),
    ('[sweep]\nkind="python"\nfunction="m:f"\n[grid]\nx=[1, nan]\n', "grid.x[1]"),
    ('[sweep]\nkind="python"\nfunction="m:f"\n[grid]\nx=[1979-05-27]\n', "grid.x[0]"),
    ('[sweep]\nkind="python"\nfunction="m:f"\n[grid]\nseed=[-1]\n', "grid.seed"),
    ('[sweep]\nkind="lyapunov"\n[grid]\nn_steps=[10]\n', "'system'"),
    ('[sweep]\nkind="lyapunov"\n[fixed]\nsystem="henon"\n[grid]\nnsteps=[10]\n', "grid.nsteps"),
    ('[sweep\nkind="python"', "not valid TOML"),
])
def test_bad_configs_name_the_key(text, key):
    with pytest.raises(ValueError) as info:
        parse_config(text)
    msg = str(info.value)
    assert key in msg and "\n" not in msg


def test_too_many_trials_is_refused_before_expansion():
    side = int(MAX_TRIALS ** 0.5) + 1
    with pytest.raises(ValueError, match="at most"):
        parse_config({"sweep": {"kind": "python", "function": "m:f"},
                      "grid": {"x": list(range(side)), "y": list(range(side))}})


# --- running ----------------------------------------------------------------------------------------

def test_failing_trial_is_recorded_and_the_others_go_on(tmp_path):
    cfg = make_config(fixed={"a": 0.5, "bad": 2})
    res = run_sweep(cfg, tmp_path / "out", workers=1, show_progress=False)
    assert res.n_trials == 8 and res.n_ok == 6 and res.n_failed == 2 and res.n_pending == 0
    for rec in res.records:
        x = rec["params"]["x"]
        if x == 2:
            assert rec["status"] == "error" and rec["error"] == "ValueError: x = 2 is the bad value"
            assert "Traceback" in rec["traceback"]
        else:
            assert rec["status"] == "ok" and rec["result"]["y"] == x**2 + 0.5
            assert rec["result"]["u"] == np.random.default_rng(rec["seed"]).uniform()
            assert rec["result"]["vec"] == [0, x]
    rows = read_csv(tmp_path / "out" / "results.csv")
    assert [r["status"] for r in rows] == [rec["status"] for rec in res.records]
    assert list(rows[0]) == ["index", "id", "status", "seed", "x", "rep", "y", "u", "vec", "error"]
    assert rows[4]["error"] == "ValueError: x = 2 is the bad value" and rows[4]["y"] == ""
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    assert doc["sweep"]["n_failed"] == 2 and len(doc["trials"]) == 8


def test_process_pool_gives_the_same_results_as_serial(tmp_path):
    cfg = make_config(fixed={"a": 0.5, "bad": 3})
    serial = run_sweep(cfg, tmp_path / "serial", workers=1, show_progress=False)
    pool = run_sweep(cfg, tmp_path / "pool", workers=2, show_progress=False)
    assert outcome(pool.records) == outcome(serial.records)
    assert (tmp_path / "pool" / "results.csv").read_bytes() == (tmp_path / "serial" / "results.csv").read_bytes()


def test_a_worker_that_dies_fails_only_its_trial(tmp_path):
    cfg = make_config("die", grid={"x": [0, 1, 2, 3, 4]}, fixed={"bad": 2})
    res = run_sweep(cfg, tmp_path / "out", workers=2, show_progress=False)
    status = {r["params"]["x"]: r["status"] for r in res.records}
    assert status == {0: "ok", 1: "ok", 2: "error", 3: "ok", 4: "ok"}
    assert "died" in res.records[2]["error"]
    assert [r["result"]["y"] for r in res.records if r["status"] == "ok"] == [0, 2, 6, 8]


def test_non_dict_result_is_a_failed_trial(tmp_path):
    res = run_sweep(make_config("not_a_dict", grid={"x": [1]}), tmp_path / "o", workers=1, show_progress=False)
    assert res.records[0]["status"] == "error" and "expected a dict" in res.records[0]["error"]


def test_unimportable_function_is_a_failed_trial(tmp_path):
    res = run_sweep(make_config("no_such_function", grid={"x": [1]}), tmp_path / "o", workers=1, show_progress=False)
    assert res.records[0]["status"] == "error" and "no attribute 'no_such_function'" in res.records[0]["error"]


# --- resume -----------------------------------------------------------------------------------------

def test_restarted_sweep_skips_journaled_trials(tmp_path):
    log = tmp_path / "calls.log"
    cfg = make_config(fixed={"a": 0.5, "log": str(log)})
    ref = run_sweep(cfg, tmp_path / "ref", workers=1, show_progress=False)
    out = tmp_path / "out"
    run_sweep(cfg, out, workers=1, show_progress=False)
    # simulate a kill after three trials, the fourth torn while being written
    lines = (out / "trials.jsonl").read_text().splitlines()
    (out / "trials.jsonl").write_text("\n".join(lines[:3]) + "\n" + lines[3][:40])
    log.write_text("")
    res = run_sweep(cfg, out, workers=1, show_progress=False)
    assert res.n_skipped == 3 and res.n_ran == 5
    called = log.read_text().splitlines()
    assert len(called) == 5
    done_first = {f"{json.loads(x)['params']['x']},{json.loads(x)['params']['rep']}" for x in lines[:3]}
    assert not done_first & set(called)
    assert outcome(res.records) == outcome(ref.records)
    # the journal was repaired: every line is valid JSON, one per trial
    journal = [json.loads(x) for x in (out / "trials.jsonl").read_text().splitlines()]
    assert sorted(r["id"] for r in journal) == sorted(r["id"] for r in ref.records)
    # a third run does nothing
    log.write_text("")
    again = run_sweep(cfg, out, workers=2, show_progress=False)
    assert again.n_ran == 0 and again.n_skipped == 8 and log.read_text() == ""


def test_failed_trials_are_skipped_unless_retry_failed(tmp_path):
    log = tmp_path / "calls.log"
    cfg = make_config(grid={"x": [0, 1, 2]}, fixed={"bad": 1, "log": str(log)})
    run_sweep(cfg, tmp_path / "o", workers=1, show_progress=False)
    log.write_text("")
    assert run_sweep(cfg, tmp_path / "o", workers=1, show_progress=False).n_ran == 0
    res = run_sweep(cfg, tmp_path / "o", workers=1, show_progress=False, retry_failed=True)
    assert res.n_ran == 1 and log.read_text() == "1,0\n"


def test_extending_the_grid_reuses_the_done_trials(tmp_path):
    log = tmp_path / "calls.log"
    run_sweep(make_config(grid={"x": [0, 1]}, fixed={"log": str(log)}), tmp_path / "o", workers=1, show_progress=False)
    log.write_text("")
    res = run_sweep(make_config(grid={"x": [0, 1, 2]}, fixed={"log": str(log)}), tmp_path / "o", workers=1,
                    show_progress=False)
    assert res.n_skipped == 2 and log.read_text() == "2,0\n"
    # another sweep seed derives other trial seeds: nothing is reused
    res = run_sweep(make_config(grid={"x": [0, 1, 2]}, fixed={"log": str(log)}, seed=4), tmp_path / "o", workers=1,
                    show_progress=False)
    assert res.n_skipped == 0 and res.n_ran == 3


def test_sigkill_then_restart_skips_done_trials(tmp_path):
    """A real interruption: the CLI is SIGKILLed mid-sweep, then started again."""
    log = tmp_path / "calls.log"
    config = tmp_path / "kill.toml"
    config.write_text(f'[sweep]\nkind = "python"\nfunction = "test_sweep_trials:quadratic"\n'
                      f'python_path = [{json.dumps(str(TESTS))}]\n[fixed]\nsleep = 0.15\nlog = {json.dumps(str(log))}\n'
                      f'[grid]\nx = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n')
    out = tmp_path / "out"
    cmd = [sys.executable, "-c", "import sys; from rnnchaos.cli import main; sys.exit(main())", "sweep", str(config), "--out", str(out), "--workers", "1", "-q"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    journal = out / "trials.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if journal.exists() and journal.read_text().count("\n") >= 3:
            break
        assert proc.poll() is None, "the sweep ended before it could be killed"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (out / "results.csv").exists()  # killed before the tables were written
    done_ids = set(Journal(journal).load())
    assert 3 <= len(done_ids) < 10
    log.write_text("")
    rc = subprocess.run(cmd + ["--json"], env=env, capture_output=True, text=True, timeout=120)
    assert rc.returncode == 0, rc.stderr
    summary = json.loads(rc.stdout)
    assert summary["n_skipped"] == len(done_ids) and summary["n_ran"] == 10 - len(done_ids)
    assert len(log.read_text().splitlines()) == 10 - len(done_ids)
    rows = read_csv(out / "results.csv")
    assert [float(r["y"]) for r in rows] == [x**2 for x in range(10)]


def test_two_sweeps_cannot_share_an_output_directory(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    with _locked(out), pytest.raises(ValueError, match="another sweep is running"):
        run_sweep(make_config(grid={"x": [1]}), out, workers=1, show_progress=False)


# --- CLI ----------------------------------------------------------------------------------------------

def _write(tmp_path: Path, grid: str, fixed: str = "a = 0.5") -> Path:
    path = tmp_path / "c.toml"
    path.write_text(f'[sweep]\nkind = "python"\nfunction = "test_sweep_trials:quadratic"\n'
                    f'python_path = [{json.dumps(str(TESTS))}]\n[fixed]\n{fixed}\n[grid]\n{grid}\n')
    return path


def test_cli_exit_codes(run_cli, tmp_path):
    ok = _write(tmp_path, "x = [1, 2]")
    code, out, err = run_cli("sweep", str(ok), "--out", str(tmp_path / "a"), "--workers", "1", "--json", "-q")
    assert code == 0 and json.loads(out)["n_ok"] == 2
    bad = _write(tmp_path, "x = [1, 2]", "bad = 2")
    code, out, err = run_cli("sweep", str(bad), "--out", str(tmp_path / "b"), "--workers", "1", "--json", "-q")
    assert code == 1
    summary = json.loads(out)
    assert summary["n_failed"] == 1 and summary["failed"][0]["error"] == "ValueError: x = 2 is the bad value"
    broken = _write(tmp_path, "x = []")
    code, out, err = run_cli("sweep", str(broken), "--out", str(tmp_path / "c"))
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "grid.x" in err
    assert not (tmp_path / "c").exists()


def test_cli_dry_run_lists_trials(run_cli, tmp_path):
    cfg = _write(tmp_path, "x = [1, 2, 3]\nrep = [0, 1]")
    code, out, err = run_cli("sweep", str(cfg), "--dry-run", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["n_trials"] == 6 and [t["x"] for t in doc["trials"]] == [1, 1, 2, 2, 3, 3]
    assert doc["trials"][0]["id"] == expand(load_config(cfg))[0].id


def test_example_config_is_valid():
    for path in sorted((ROOT / "examples" / "sweeps").glob("*.toml")):
        assert load_config(path).n_trials >= 1


# --- Ray ----------------------------------------------------------------------------------------------

@pytest.mark.ray
def test_ray_gives_the_same_results_as_local_processes(ray_local, tmp_path):
    cfg = make_config(grid={"x": [0, 1, 2, 3, 4], "rep": [0, 1]}, fixed={"a": 0.5, "bad": 3})
    local = run_sweep(cfg, tmp_path / "local", workers=2, show_progress=False)
    on_ray = run_sweep(cfg, tmp_path / "ray", ray_address="auto", show_progress=False)
    assert local.n_trials == 10 and local.n_failed == 2
    assert outcome(on_ray.records) == outcome(local.records)
    assert (tmp_path / "ray" / "results.csv").read_bytes() == (tmp_path / "local" / "results.csv").read_bytes()
    assert ray_local.is_initialized()  # the fixture's instance was reused, not shut down


@pytest.mark.ray
def test_ray_worker_death_fails_only_its_trial(ray_local, tmp_path):
    cfg = make_config("die", grid={"x": [0, 1, 2]}, fixed={"bad": 1})
    res = run_sweep(cfg, tmp_path / "o", ray_address="auto", show_progress=False)
    assert [r["status"] for r in res.records] == ["ok", "error", "ok"]
    assert res.records[1]["error"].startswith("Ray task failed")


# --- built-in kinds -------------------------------------------------------------------------------------

def test_lyapunov_kind_gives_the_exact_henon_sum(tmp_path):
    """Hénon: λ1 + λ2 = ln|det J| = ln b exactly, for every a (docs/architecture.md, reference table)."""
    cfg = parse_config('[sweep]\nkind = "lyapunov"\n[fixed]\nsystem = "henon"\nn_steps = 500\nics = 2\n'
                       'transient = 200\n[grid]\nb = [0.3, 0.2]\n')
    res = run_sweep(cfg, tmp_path / "o", workers=1, show_progress=False)
    assert [r["status"] for r in res.records] == ["ok", "ok"]
    for rec in res.records:
        assert rec["result"]["units"] == "per_step"
        assert rec["result"]["sum"] == pytest.approx(np.log(rec["params"]["b"]), abs=1e-12)


@pytest.mark.parametrize("text, key", [
    ('[sweep]\nkind = "lyapunov"\n[grid]\nsystem = ["henon", "nope"]\n', "grid.system"),
    ('[sweep]\nkind = "lyapunov"\n[fixed]\nrho = 28.0\n[grid]\nsystem = ["lorenz63", "rossler"]\n', "fixed.rho"),
    ('[sweep]\nkind = "lyapunov"\n[fixed]\nsystem = "henon"\n[grid]\nnsteps = [10]\n', "grid.nsteps"),
])
def test_lyapunov_kind_checks_system_parameters_at_load_time(text, key):
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        parse_config(text)


def test_ray_missing_is_a_one_line_error(run_cli, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    cfg = _write(tmp_path, "x = [1]")
    code, out, err = run_cli("sweep", str(cfg), "--out", str(tmp_path / "o"), "--ray", "auto", "-q")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "optional dependency 'ray'" in err and "pip install 'rnnchaos[ray]'" in err


def test_chaos_probability_kind_matches_the_library_call(tmp_path):
    from rnnchaos.maps1d.init import InitSpec
    from rnnchaos.maps1d.montecarlo import chaos_probability

    cfg = parse_config('[sweep]\nkind = "chaos-probability"\nseed = 5\n[fixed]\nnetworks = 300\n'
                       '[grid]\nwidth = [4, 8]\ninit = ["he", "zeros"]\n')
    res = run_sweep(cfg, tmp_path / "o", workers=1, show_progress=False)
    assert [r["status"] for r in res.records] == ["ok"] * 4
    for rec in res.records:
        p = rec["params"]
        direct = chaos_probability(InitSpec(width=p["width"], init=p["init"]), trials=300, seed=rec["seed"])
        assert rec["result"]["n_period3"] == direct.n_period3
        assert rec["result"]["n_positive_entropy"] == direct.n_positive_entropy
        assert rec["result"]["ci95_low"] <= rec["result"]["p_period3"] <= rec["result"]["ci95_high"]
        if p["init"] == "zeros":  # every weight and bias zero: f is constant, no 3-cycle
            assert rec["result"]["n_period3"] == 0


@pytest.mark.parametrize("text, key", [
    ('[sweep]\nkind = "chaos-probability"\n[grid]\nwidth = [4, 0]\n', "grid.width[1]"),
    ('[sweep]\nkind = "chaos-probability"\n[fixed]\nwidth = 4\n[grid]\ninit = ["he", "kaiming"]\n', "grid.init[1]"),
    ('[sweep]\nkind = "chaos-probability"\n[fixed]\nwidth = 4\ndepth = 4\n[grid]\ninit = ["he"]\n', "fixed.depth"),
    ('[sweep]\nkind = "chaos-probability"\n[fixed]\nwidth = 4\n[grid]\ntrials = [10]\n', "grid.trials"),
    ('[sweep]\nkind = "chaos-probability"\n[grid]\ninit = ["he"]\n', "'width'"),
])
def test_chaos_probability_kind_checks_parameters_at_load_time(text, key):
    with pytest.raises(ValueError, match=re.escape(key)):
        parse_config(text)


def test_train_kind_matches_a_direct_reconstructor_fit(tmp_path):
    """A train trial is Reconstructor(...).fit on the first 80 % of the series, seeded by the trial seed."""
    from rnnchaos.data.datasets import load_source, split_time
    from rnnchaos.training.reconstructor import Reconstructor

    cfg = parse_config('[sweep]\nkind = "train"\nseed = 2\n[fixed]\ndata = "lorenz63"\nn_steps = 300\nepochs = 2\n'
                       'hidden = 4\nseq_len = 20\nbatch_size = 4\nbatches_per_epoch = 1\nscore = false\n'
                       '[grid]\ntau = [3, 7]\n')
    res = run_sweep(cfg, tmp_path / "o", workers=1, show_progress=False)
    assert [r["status"] for r in res.records] == ["ok", "ok"]
    for rec in res.records:
        assert rec["result"]["tau"] == rec["params"]["tau"] and rec["result"]["epochs"] == 2
        x, _ = load_source("lorenz63", n_steps=300, seed=rec["seed"])
        x_train, _ = split_time(x, 0.2)
        direct = Reconstructor(hidden=4, tau=rec["params"]["tau"], epochs=2, seq_len=20, batch_size=4,
                               batches_per_epoch=1, seed=rec["seed"]).fit(x_train)
        assert rec["result"]["final_loss"] == direct.result_.final_loss


def test_train_kind_rejects_engine_owned_parameters():
    with pytest.raises(ValueError, match=r"fixed\.out cannot be set"):
        parse_config('[sweep]\nkind = "train"\n[fixed]\ndata = "lorenz63"\nout = "runs/x"\n[grid]\ntau = [5]\n')
    with pytest.raises(ValueError, match=r"grid\.epochz"):
        parse_config('[sweep]\nkind = "train"\n[fixed]\ndata = "lorenz63"\n[grid]\nepochz = [5]\n')


@pytest.mark.ray
def test_cli_ray_auto_starts_and_stops_its_own_instance(tmp_path):
    """End to end through the real command: `--ray auto` starts a local Ray instance, runs 8 trials (one
    raises), stops Ray, exits 1 (some failed), and writes the same table as local processes."""
    pytest.importorskip("ray")
    cfg = _write(tmp_path, "x = [0, 1, 2, 3]\nrep = [0, 1]", "a = 0.5\nbad = 2")
    base = [sys.executable, "-c", "import sys; from rnnchaos.cli import main; sys.exit(main())", "sweep", str(cfg),
            "-q", "--json", "--workers", "2"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    local = subprocess.run([*base, "--out", str(tmp_path / "local")], env=env, capture_output=True, text=True,
                           timeout=300)
    on_ray = subprocess.run([*base, "--out", str(tmp_path / "ray"), "--ray", "auto"], env=env, capture_output=True,
                            text=True, timeout=300)
    assert local.returncode == 1 and on_ray.returncode == 1, on_ray.stderr
    assert json.loads(on_ray.stdout)["n_failed"] == 2 and json.loads(on_ray.stdout)["n_ok"] == 6
    assert (tmp_path / "ray" / "results.csv").read_bytes() == (tmp_path / "local" / "results.csv").read_bytes()
