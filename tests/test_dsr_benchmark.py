"""The reconstruction benchmark (issue #11): floors against the independent reference, the GTF protocol on
models whose answer is known exactly, and the journal (a rerun skips finished runs)."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnchaos.metrics.scoring import score_trajectory
from rnnchaos.reproductions import dsr_benchmark as bench

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"  # as conftest.shared_data


@pytest.fixture(scope="module")
def data_dir() -> Path:
    """../shared/data, or $RNNCHAOS_DATA_DIR (a worktree's parent has no shared/); skip when neither exists."""
    for cand in (SHARED_DATA, Path(os.environ.get("RNNCHAOS_DATA_DIR", "/nonexistent"))):
        if (cand / "ecg_5d_test.npy").is_file() and (cand.parent / "reference" / "floors_gtf2023.csv").is_file():
            return cand
    pytest.skip("the shared data sets and reference floors are not present")


def test_floors_agree_with_the_independent_reference(data_dir: Path) -> None:
    """Every floor of floors_gtf2023.csv (an independent NumPy implementation of the GTF code) to its
    printed precision (4 decimals: |difference| <= 5e-5); the lengths exactly. The CSV omits the
    Gaussian-mixture D_stsp (N >= 6); ours must be finite there."""
    ref = bench.reference_floors(data_dir.parent / "reference" / "floors_gtf2023.csv")
    assert {d for d, _ in ref} == {ds.reference_name for ds in bench.DATASETS.values()}
    for name, ds in bench.DATASETS.items():
        train, test = bench.load_split(name, data_dir)
        fl = bench.floors(train, test, separate_test_file=ds.separate_test_file, mc_seeds=1)
        for pair in ("train_vs_test", "test_halves"):
            r = ref[(ds.reference_name, pair)]
            assert fl[f"{pair}_length"] == r["length"], (name, pair)
            assert abs(fl[f"{pair}_d_h"] - r["d_h"]) <= 5e-5, (name, pair, fl[f"{pair}_d_h"], r["d_h"])
            if math.isnan(r["d_stsp"]):
                assert test.shape[1] > 5 and math.isfinite(fl[f"{pair}_d_stsp"])
            else:
                assert abs(fl[f"{pair}_d_stsp"] - r["d_stsp"]) <= 5e-5, (name, pair, fl[f"{pair}_d_stsp"], r["d_stsp"])


def test_target_is_the_larger_of_twice_halves_and_train_vs_test() -> None:
    fl = {"test_halves_d_stsp": 0.398, "train_vs_test_d_stsp": 0.2945, "test_halves_d_h": 0.0225,
          "train_vs_test_d_h": 0.0596}
    tg = bench.targets(fl)
    assert tg["d_stsp"] == 2 * 0.398 and tg["d_h"] == 0.0596  # ECG: D_stsp <= 0.80, D_H <= 0.060 (issue #11)


def _series(T: int, N: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(T)[:, None]
    return np.sin(0.07 * t * (1 + np.arange(N))) + 0.1 * rng.standard_normal((T, N))


class Replay:
    """A 'model' whose free run is ``junk`` for the discarded transient, then ``series``."""

    def __init__(self, series: np.ndarray) -> None:
        self.series = series
        self.calls: list[tuple[int, np.ndarray]] = []

    def generate(self, T: int, x0: np.ndarray) -> np.ndarray:
        self.calls.append((T, np.asarray(x0)))
        n_junk = T - self.series.shape[0]
        return np.vstack([np.full((n_junk, self.series.shape[1]), 1e6), self.series])


@settings(max_examples=15, deadline=None)
@given(T=st.integers(200, 1500), N=st.integers(1, 4))
def test_replaying_the_test_data_scores_zero(T: int, N: int) -> None:
    """floor(1.25 T) steps are asked from test[0], floor(0.25 T) discarded (exactly T remain): a model
    replaying the test data scores D_stsp = D_H = 0 whatever its transient was."""
    test = _series(T, N, T)
    model = Replay(test)
    res = bench.gtf_protocol(model.generate, test)
    (n_asked, x0), = model.calls
    assert n_asked == math.floor(1.25 * T) and np.array_equal(x0, test[0])
    assert res["n_scored"] == T
    assert res["d_stsp"] == 0.0
    # D_H = sqrt(1 - BC) of identical spectra: the square root of a rounding error, so ~1e-8, not 0
    assert res["d_h"] == score_trajectory(test, test, preset="gtf2023").d_h and res["d_h"] < 1e-7


def test_replaying_the_training_data_scores_the_train_vs_test_floor() -> None:
    train, test = _series(3000, 3, 1), _series(1000, 3, 2)
    res = bench.gtf_protocol(Replay(train[:1000]).generate, test)
    fl = bench.floors(train, test, separate_test_file=True)
    assert res["d_stsp"] == fl["train_vs_test_d_stsp"] and res["d_h"] == fl["train_vs_test_d_h"]
    # a split series: the training points just before the test segment
    res = bench.gtf_protocol(Replay(train[-1000:]).generate, test)
    fl = bench.floors(train, test, separate_test_file=False)
    assert res["d_stsp"] == fl["train_vs_test_d_stsp"] and res["d_h"] == fl["train_vs_test_d_h"]
    # N > 5: the Gaussian-mixture D_stsp, averaged over the same Monte Carlo seeds in both
    train, test = _series(3000, 6, 1), _series(1000, 6, 2)
    res = bench.gtf_protocol(Replay(train[:1000]).generate, test, mc_seeds=3)
    fl = bench.floors(train, test, separate_test_file=True, mc_seeds=3)
    assert res["d_stsp"] == fl["train_vs_test_d_stsp"] and res["d_stsp_mc_sd"] == fl["train_vs_test_d_stsp_mc_sd"]
    assert res["d_stsp_mc_sd"] > 0 and res["d_h"] == fl["train_vs_test_d_h"]


def test_replaying_ecg_training_file_gives_the_reference_floor(data_dir: Path) -> None:
    train, test = bench.load_split("gtf:ecg", data_dir)
    res = bench.gtf_protocol(Replay(train[:test.shape[0]]).generate, test)
    assert round(res["d_stsp"], 4) == 0.2945 and round(res["d_h"], 4) == 0.0596  # floors_gtf2023.csv


def test_pe_of_known_maps() -> None:
    """PE(20) from every test point: 0 for the exact shift map; mean (x_{t+20} - x_t)^2 for persistence."""
    test = _series(500, 2, 3)
    index = {row.tobytes(): i for i, row in enumerate(test)}

    def encode(x: np.ndarray) -> np.ndarray:
        return np.array([[index[r.tobytes()]] for r in np.asarray(x)], dtype=np.int64)

    shift = (encode, lambda s: s + 1, lambda s: test[np.minimum(s[:, 0], len(test) - 1)])
    res = bench.gtf_protocol(Replay(test).generate, test, pe_functions=shift)
    assert res["pe"] == 0.0
    ident = (lambda x: x, lambda s: s, lambda s: s)
    res = bench.gtf_protocol(Replay(test).generate, test, pe_functions=ident)
    assert res["pe"] == pytest.approx(np.mean((test[20:] - test[:-20]) ** 2), rel=1e-12)


def test_stf_protocol_scores_a_replay_of_the_test_data_as_the_stf_preset_does() -> None:
    test = _series(800, 3, 4)
    res = bench.stf_protocol(lambda n, x0: test[:n], test, n_steps=800)
    s = score_trajectory(test, test, preset="stf2022")
    assert res["d_stsp"] == s.d_stsp and res["d_h"] == s.d_h


def test_plan_gives_the_best_configuration_its_seeds_first() -> None:
    labels = bench.plan(["dendplrnn:lorenz96", "stf_lorenz63"], ["plrnn-stf", "shplrnn64-gtf"], best_seeds=3,
                        minutes=5, best_minutes={"lorenz96_10d": 12})  # file stems name the same sets
    b = "dendplrnn:lorenz96"
    assert labels == [f"{b}/shplrnn64-gtf/0/12", f"{b}/shplrnn64-gtf/1/12", f"{b}/shplrnn64-gtf/2/12",
                      f"{b}/plrnn-stf/0/5", "stf:lorenz63/plrnn-stf/0/5", "stf:lorenz63/plrnn-stf/1/5",
                      "stf:lorenz63/plrnn-stf/2/5", "stf:lorenz63/shplrnn64-gtf/0/5"]
    assert bench.plan(["gtf:ecg"], ["plrnn-stf", "shplrnn64-gtf", "shplrnn-gtf-code", "shplrnn-gtf-code-gtfsel", "shplrnn-gtf-code-gtfsel-decay3000", bench.BEST["gtf:ecg"]], best_seeds=1, only_best=True, minutes=0.5) == [
        f"gtf:ecg/{bench.BEST['gtf:ecg']}/0/0.5"]
    with pytest.raises(ValueError, match="minutes must be a positive number"):
        bench.plan(["gtf:ecg"], ["plrnn-stf"], minutes=math.nan)
    with pytest.raises(ValueError, match="unknown benchmark data set 'ecg'"):
        bench.plan(["ecg"], ["plrnn-stf"])
    with pytest.raises(ValueError, match="unknown benchmark configuration"):
        bench.plan(["gtf:ecg"], ["lstm"])


def _tiny_data(tmp: Path) -> Path:
    d = tmp / "data"
    d.mkdir()
    np.save(d / "bursting_neuron_train.npy", _series(1200, 3, 5))
    np.save(d / "bursting_neuron_test.npy", _series(600, 3, 6))
    return d


TINY = {"epochs": 2, "hidden": 4, "tau": 5, "seq_len": 20, "batch_size": 4, "batches_per_epoch": 2,
        "select_every": 0, "select_steps": 100, "checkpoint_every": 1}


def test_rerun_skips_finished_runs(tmp_path: Path) -> None:
    data = _tiny_data(tmp_path)
    out = tmp_path / "bench"
    best = bench.BEST["dendplrnn:bursting_neuron"]
    kw = {"datasets": ["dendplrnn:bursting_neuron"], "configs": [best, "plrnn-stf"], "best_seeds": 2,
          "minutes": 0.05, "out": out, "data_dir": data, "workers": 1,
          "overrides": {"*": TINY, best: {"width": 6}}}
    first = bench.run_benchmark(**kw)
    assert (first["runs"], first["ran"], first["skipped"], first["failed"]) == (3, 3, 0, 0), first
    runs = sorted((out / "runs").iterdir())
    assert [p.name for p in runs] == sorted(["dendplrnn-bursting_neuron__plrnn-stf__seed0__0.05min",
                                             f"dendplrnn-bursting_neuron__{best}__seed0__0.05min",
                                             f"dendplrnn-bursting_neuron__{best}__seed1__0.05min"])
    for p in runs:
        assert {"config.json", "metrics.jsonl", "model.pt"} <= {f.name for f in p.iterdir()}
    stamps = {p.name: (p / "model.pt").stat().st_mtime_ns for p in runs}
    second = bench.run_benchmark(**kw)
    assert (second["ran"], second["skipped"]) == (0, 3)
    assert stamps == {p.name: (p / "model.pt").stat().st_mtime_ns for p in runs}
    import json

    rows = json.loads((out / "dsr_benchmark.json").read_text())["rows"]
    assert [(r["config"], r["best"], r["n_seeds"]) for r in rows] == [(best, True, 2), ("plrnn-stf", False, 1)]
    best_row = rows[0]
    assert best_row["d_h_min"] <= best_row["d_h"] <= best_row["d_h_max"]
    assert best_row["target_d_h"] == max(2 * best_row["floor_halves_d_h"], best_row["floor_tvt_d_h"])
    assert (out / "dsr_benchmark.md").read_text().count("\n") == 4 and (out / "dsr_benchmark.png").is_file()
    # a run an included directory holds with at least the planned budget is not run again in another directory
    other = bench.run_benchmark(**{**kw, "out": tmp_path / "other", "include": [out]})
    assert (other["runs"], other["ran"]) == (0, 0) and not (tmp_path / "other" / "runs").exists()
    longer = bench.run_benchmark(**{**kw, "out": tmp_path / "longer", "include": [out], "best_seeds": 1,
                                    "configs": [best], "minutes": 0.06})
    assert (longer["runs"], longer["ran"]) == (1, 1)



def test_cli_rejects_unknown_names(run_cli) -> None:
    code, out, err = run_cli("reproduce", "dsr-benchmark", "--datasets", "ecg,gtf:ecg")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "unknown benchmark data set 'ecg'" in err and "gtf:ecg" in err
    code, out, err = run_cli("reproduce", "dsr-benchmark", "--models", "lstm")
    assert code == 2 and "unknown name 'lstm'" in err and "plrnn-stf" in err
    for bad in ("ecg=3", "ecg_5d=0", "nan"):
        code, out, err = run_cli("reproduce", "dsr-benchmark", "--best-minutes", bad)
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "--best-minutes" in err, (bad, err)


def test_training_sees_only_the_training_part(tmp_path: Path) -> None:
    """A single series is split in time: the model is fitted on the first 80 % only (its standardisation
    and stored split say so); the STF protocol is scored beside the GTF one."""
    import json

    d = tmp_path / "data"
    d.mkdir()
    x = _series(1000, 3, 7)
    np.save(d / "stf_rossler.npy", x)
    row = bench.run_trial({"run": "stf:rossler/plrnn-stf/0/0.05", "out": str(tmp_path / "o"),
                           "data_dir": str(d), "stf_steps": 400, "overrides": {"*": TINY}})
    cfg = json.loads((Path(row["run_dir"]) / "config.json").read_text())
    assert cfg["split"]["n_train"] == 800
    np.testing.assert_allclose(cfg["standardization"]["mean"], x[:800].mean(0), rtol=1e-12)
    assert all(math.isfinite(row[k]) for k in ("d_stsp", "d_h", "pe", "stf_d_stsp", "stf_d_h"))
    assert row["budget_clock"] == "wall" and cfg["training"]["budget_clock"] == "wall"
    assert 0 < row["train_cpu_seconds"] and row["training_seconds"] <= row["train_seconds"]


def test_cpu_budget_clock_reaches_every_run_and_changes_the_trial_ids(tmp_path: Path) -> None:
    """--budget-clock cpu is a fixed sweep parameter (so a CPU-budget run is another trial than a wall-clock
    one of the same label) that reaches the trainer of every run; wall, the default, adds nothing, so that
    runs journaled before it existed keep their ids."""
    import json

    data = _tiny_data(tmp_path)
    out = tmp_path / "bench"
    kw = {"datasets": ["dendplrnn:bursting_neuron"], "configs": ["plrnn-stf"], "best_seeds": 1, "only_best": False,
          "minutes": 0.05, "out": out, "data_dir": data, "workers": 1, "overrides": {"*": TINY}}
    wall = bench.run_benchmark(**kw)
    cpu = bench.run_benchmark(**kw, budget_clock="cpu")
    assert (wall["ran"], cpu["ran"], cpu["skipped"]) == (1, 1, 0)
    recs = [json.loads(line) for line in (out / "trials.jsonl").read_text().splitlines()]
    done = [r for r in recs if r.get("status") == "ok"]
    assert [r["result"]["budget_clock"] for r in done] == ["wall", "cpu"]
    assert "budget_clock" not in done[0]["params"] and done[1]["params"]["budget_clock"] == "cpu"
    assert sorted(p.name for p in (out / "runs").iterdir()) == [
        "dendplrnn-bursting_neuron__plrnn-stf__seed0__0.05min", "dendplrnn-bursting_neuron__plrnn-stf__seed0__0.05min-cpu"]


def test_train_score_is_the_selected_models_training_data_score(tmp_path: Path) -> None:
    """The table's training-data column: a row's own ``selected_score``, else (rows journaled before it) the
    ``d_stsp_train`` its trainer logged at the selected epoch; None without selection."""
    import json

    run = tmp_path / "run"
    run.mkdir()
    lines = [{"epoch": 10, "loss": 1.0}, {"epoch": 250, "loss": 0.5, "d_stsp_train": 0.7},
             {"epoch": 500, "loss": 0.4, "d_stsp_train": 0.3}, {"epoch": 750, "loss": 0.3, "d_stsp_train": 0.9}]
    (run / "metrics.jsonl").write_text("".join(json.dumps(e) + "\n" for e in lines))
    assert bench.train_score({"selected_score": 0.25, "selected_epoch": 500, "run_dir": str(run)}) == 0.25
    assert bench.train_score({"selected_epoch": 500, "run_dir": str(run)}) == 0.3
    assert bench.train_score({"selected_epoch": None, "run_dir": str(run)}) is None
    assert bench.train_score({"selected_epoch": 500, "run_dir": str(tmp_path / "gone")}) is None


def test_a_free_run_outside_the_data_range_has_an_undefined_d_stsp_that_the_table_counts_as_worst() -> None:
    """gtf2023's binned D_stsp is NaN exactly when no free-run point lies in the data's histogram range (as both
    published codes); the table must count such a seed as +inf, not drop it and report the others' median."""
    rng = np.random.default_rng(0)
    truth = rng.standard_normal((2_000, 3))
    assert math.isnan(score_trajectory(truth, truth + 100.0, preset="gtf2023").d_stsp)
    assert math.isfinite(score_trajectory(truth, truth[::-1], preset="gtf2023").d_stsp)
    base = {"dataset": "dendplrnn:bursting_neuron", "config": "shplrnn64-gtf", "minutes": 6.0, "epochs": 10,
            "d_h": 0.1, "pe": 0.01, "selected_score": 0.5}
    records = [{"status": "ok", "result": {**base, "seed": s, "d_stsp": v}} for s, v in enumerate([1.0, 2.0, None])]
    floors = {"dendplrnn:bursting_neuron": {"test_halves_d_stsp": 0.1, "train_vs_test_d_stsp": 0.5,
                                            "test_halves_d_h": 0.01, "train_vs_test_d_h": 0.05}}
    (row,) = bench.summary_rows(records, floors)
    assert row["d_stsp"] == 2.0 and row["d_stsp_min"] == 1.0 and row["d_stsp_max"] == math.inf  # not 1.5
    assert "D_stsp undefined in 1 of 3 seeds" in row["verdict"]
    (all_bad,) = bench.summary_rows([{**records[2]}], floors)
    assert all_bad["d_stsp"] == math.inf and "D_stsp miss (no finite score)" in all_bad["verdict"]
    assert "| inf |" in bench.markdown_table([all_bad])
    assert row["stf_d_stsp"] is None and row["stf_d_h"] is None  # no STF protocol on this set: not "inf"


def test_included_directories_join_the_table_with_the_longest_budget_of_each_run(tmp_path: Path) -> None:
    """``--include DIR``: the finished runs of another benchmark directory join the table; of one
    dataset/config/seed run in both, the longer budget wins; unfinished runs and torn lines are skipped."""
    import json

    def journal(d: Path, runs: list[tuple[str, str]]) -> None:
        d.mkdir()
        lines = [json.dumps({"params": {"run": r}, "status": st, "result": {"run": r}}) for r, st in runs]
        (d / "trials.jsonl").write_text("\n".join(lines) + "\n{\"params\": {\"ru")  # a torn last line

    a, b = tmp_path / "a", tmp_path / "b"
    journal(a, [("gtf:ecg/plrnn-stf/0/12", "ok"), ("gtf:ecg/shplrnn-gtf-code/0/12", "ok")])
    journal(b, [("gtf:ecg/shplrnn-gtf-code/0/14", "ok"), ("gtf:ecg/shplrnn-gtf-code/1/14", "error")])
    runs = sorted(r["params"]["run"] for r in bench._all_records(a, b))
    assert runs == ["gtf:ecg/plrnn-stf/0/12", "gtf:ecg/shplrnn-gtf-code/0/14"]
    assert sorted(r["params"]["run"] for r in bench._all_records(a)) == [
        "gtf:ecg/plrnn-stf/0/12", "gtf:ecg/shplrnn-gtf-code/0/12"]
