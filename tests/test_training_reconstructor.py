"""Reconstructor: fit/generate/save/load round trip, bad input, divergence handling, the train CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from rnnchaos.models.base import model_from_config
from rnnchaos.training.reconstructor import Reconstructor

torch.set_num_threads(1)

SMALL = {"hidden": 8, "epochs": 6, "seq_len": 20, "batch_size": 4, "batches_per_epoch": 2, "log_every": 1,
         "checkpoint_every": 2}


@pytest.fixture(scope="module")
def lorenz() -> np.ndarray:
    from rnnchaos.systems.registry import get_system

    return get_system("lorenz63").trajectory(3000, seed=1)


def test_fit_generate_save_load_round_trip(tmp_path, lorenz):
    rec = Reconstructor(tau=10, out=tmp_path / "run", lyap_every=3, **SMALL).fit(lorenz)
    assert rec.result_.status == "completed" and rec.result_.epochs == 6
    np.testing.assert_allclose(rec.mean_, lorenz.mean(0))
    np.testing.assert_allclose(rec.std_, lorenz.std(0))
    y = rec.generate(200)
    assert y.shape == (200, 3) and y.dtype == np.float64
    # the free run starts at the observation of the state inferred from the first training point
    np.testing.assert_allclose(y[0], lorenz[0], rtol=1e-4, atol=1e-4 * np.abs(lorenz).max())
    for name in ("config.json", "metrics.jsonl", "checkpoint.pt", "model.pt"):
        assert (tmp_path / "run" / name).is_file()
    lines = [json.loads(s) for s in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [e["epoch"] for e in lines] == [1, 2, 3, 4, 5, 6]
    assert all({"loss", "grad_norm", "tau", "seconds"} <= set(e) for e in lines)
    assert "lambda_max_model" in lines[2] and "lambda_max_data" in lines[2]
    loaded = Reconstructor.load(tmp_path / "run")
    np.testing.assert_array_equal(loaded.generate(200), y)
    assert loaded.tau_ == 10 and loaded.history_ == rec.history_
    # model.pt is a plain weights-only checkpoint that rebuilds through the models' registry
    data = torch.load(tmp_path / "run" / "model.pt", weights_only=True)
    model = model_from_config(data["config"])
    model.load_state_dict(data["state_dict"])
    # save() to another directory gives the same model
    rec.save(tmp_path / "copy")
    np.testing.assert_array_equal(Reconstructor.load(tmp_path / "copy").generate(50), y[:50])


def test_same_seed_same_losses(lorenz):
    a = Reconstructor(tau=10, seed=3, **SMALL).fit(lorenz)
    b = Reconstructor(tau=10, seed=3, **SMALL).fit(lorenz)
    assert [e["loss"] for e in a.history_] == [e["loss"] for e in b.history_]


@pytest.mark.parametrize("arch,forcing,extra", [("lstm", "stf", {}), ("gru", "gtf", {"alpha": 0.2}),
                                                ("shplrnn", "window", {}), ("rnn", "tbptt", {}),
                                                ("plrnn", "gtf", {"alpha": "auto"})])
def test_every_architecture_and_method_trains(arch, forcing, extra, lorenz):
    rec = Reconstructor(model=arch, forcing=forcing, tau=10, **extra,
                        **{**SMALL, "epochs": 3, "hidden": 6}).fit(lorenz)
    assert rec.result_.status == "completed"
    assert np.isfinite(rec.result_.final_loss)
    assert rec.generate(20).shape == (20, 3)
    if forcing == "gtf":
        assert 0.0 <= rec.alpha_ <= 1.0 and all("alpha" in e for e in rec.history_)


def test_nan_in_data_is_a_clear_error(lorenz):
    bad = lorenz.copy()
    bad[17, 1] = np.nan
    with pytest.raises(ValueError, match=r"NaN at index \(17, 1\)"):
        Reconstructor(tau=10, **SMALL).fit(bad)


def test_diverging_run_stops_and_keeps_last_good_checkpoint(tmp_path, lorenz):
    run = tmp_path / "div"
    with pytest.warns(UserWarning, match="training diverged at epoch 2"):
        rec = Reconstructor(forcing="bptt", lr=0.3, clip="none", out=run,
                            **{**SMALL, "epochs": 50, "checkpoint_every": 1}).fit(lorenz)
    assert rec.result_.status == "diverged" and rec.result_.epochs == 1
    assert "restored the last good checkpoint (epoch 1)" in rec.result_.message
    ckpt = torch.load(run / "checkpoint.pt", weights_only=True)
    assert ckpt["epoch"] == 1
    for k, v in rec.model_.state_dict().items():
        assert torch.isfinite(v).all()
        torch.testing.assert_close(v, ckpt["model"][k], rtol=0, atol=0)
    last = json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])
    assert last["event"] == "diverged"
    assert json.loads((run / "config.json").read_text())["result"]["status"] == "diverged"


@pytest.mark.parametrize("kwargs,match", [
    ({"model": "transformer"}, "model must be one of"), ({"forcing": "gtf"}, "needs alpha"),
    ({"tau": 0}, "tau must be"), ({"tau": "often"}, "tau must be"), ({"observation": "cubic"}, "observation"),
    ({"seq_len": 5000}, "fewer than seq_len"), ({"optimizer": "sgd"}, "optimizer must be"),
    ({"width": 4}, "width applies to shplrnn"), ({"model": "shplrnn", "width": 0}, "width"),
    ({"model": "alrnn", "width": -1}, "width"), ({"model": "alrnn", "width": 9}, "relu_units"),
    ({"model": "shplrnn", "width": 5, "model_kwargs": {"hidden_dim": 6}}, "width once"),
])
def test_bad_parameters_raise_value_error(kwargs, match, lorenz):
    with pytest.raises(ValueError, match=match):
        Reconstructor(**{**SMALL, "tau": 10, **kwargs}).fit(lorenz)


@pytest.mark.parametrize("arch,width,attr", [("shplrnn", 13, "hidden_dim"), ("alrnn", 3, "relu_units")])
def test_width_sets_the_second_size_and_survives_save_load(arch, width, attr, tmp_path, lorenz):
    rec = Reconstructor(model=arch, width=width, observation="affine", forcing="gtf", alpha=0.3,
                        out=tmp_path / "w", **{**SMALL, "epochs": 2}).fit(lorenz)
    assert getattr(rec.model_, attr) == width and rec.model_.observation == "affine"
    loaded = Reconstructor.load(tmp_path / "w")
    assert loaded.width == width and getattr(loaded.model_, attr) == width
    np.testing.assert_array_equal(loaded.generate(30), rec.generate(30))


def test_existing_run_is_not_overwritten_without_resume(tmp_path, lorenz):
    Reconstructor(tau=10, out=tmp_path / "r", **{**SMALL, "epochs": 2}).fit(lorenz)
    with pytest.raises(ValueError, match="use --resume"):
        Reconstructor(tau=10, out=tmp_path / "r", **{**SMALL, "epochs": 2}).fit(lorenz)


def test_load_rejects_tampered_run_dirs(tmp_path, lorenz):
    Reconstructor(tau=10, out=tmp_path / "r", **{**SMALL, "epochs": 2}).fit(lorenz)
    cfg = json.loads((tmp_path / "r" / "config.json").read_text())
    cfg["standardization"]["std"] = [1.0]
    (tmp_path / "r" / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ValueError, match="standardization"):
        Reconstructor.load(tmp_path / "r")
    (tmp_path / "r" / "config.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        Reconstructor.load(tmp_path / "r")


def test_cli_train_json(run_cli, tmp_path, lorenz):
    data = tmp_path / "l63.npy"
    np.save(data, lorenz)
    code, out, err = run_cli("train", "--data", str(data), "--hidden", "6", "--epochs", "3", "--seq-len", "20",
                             "--batch-size", "4", "--batches-per-epoch", "2", "--tau", "auto",
                             "--out", str(tmp_path / "run"), "--no-progress", "--json")
    assert code == 0, err
    res = json.loads(out)
    assert {"run", "tau", "lambda_max_data", "epochs", "seconds", "final_loss"} <= set(res)
    assert res["epochs"] == 3 and res["tau"] >= 2 and res["lambda_max_data"] > 0
    cfg = json.loads((tmp_path / "run" / "config.json").read_text())
    assert cfg["split"] == {"test_fraction": 0.2, "n_train": 2400, "n_test": 600}
    assert cfg["data"]["kind"] == "file" and cfg["tau"] == res["tau"]


def test_cli_train_width_clipped_affine(run_cli, tmp_path, lorenz):
    data = tmp_path / "l63.npy"
    np.save(data, lorenz)
    code, out, err = run_cli("train", "--data", str(data), "--model", "shplrnn", "--hidden", "5", "--width", "17",
                             "--clipped", "--observation", "affine", "--forcing", "gtf", "--alpha", "0.3",
                             "--epochs", "2", "--seq-len", "20", "--batch-size", "4", "--batches-per-epoch", "2",
                             "--out", str(tmp_path / "run"), "--no-progress", "--json")
    assert code == 0, err
    cfg = json.loads((tmp_path / "run" / "config.json").read_text())
    assert cfg["model"]["hidden_dim"] == 17 and cfg["model"]["clipped"] is True
    assert cfg["model"]["observation"] == "affine" and cfg["estimator"]["width"] == 17


@pytest.mark.parametrize("args,match", [
    (["--data", "no_such_thing"], "neither an existing file"),
    (["--data", "lorenz63", "--tau", "x"], "expected 'auto' or a positive integer"),
    (["--data", "lorenz63", "--forcing", "gtf"], "needs --alpha"),
    (["--data", "lorenz63", "--resume"], "--resume needs --out"),
    (["--data", "lorenz63", "--model", "alrnn", "--clipped"], "--clipped applies to plrnn and shplrnn"),
    (["--data", "lorenz63", "--width", "3"], "width applies to shplrnn"),
])
def test_cli_errors_are_one_line_exit_2(run_cli, args, match):
    code, out, err = run_cli("train", *args, "--epochs", "1", "--no-progress")
    assert code == 2 and match in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_model_selection_keeps_the_best_scoring_state(tmp_path, lorenz):
    from rnnchaos.training.trainer import selection_score

    rec = Reconstructor(tau=10, out=tmp_path / "sel", select_every=2, select_steps=300, select_starts=2,
                        **{**SMALL, "epochs": 6}).fit(lorenz)
    scores = {e["epoch"]: e["d_stsp_train"] for e in rec.history_ if "d_stsp_train" in e}
    assert sorted(scores) == [2, 4, 6]
    finite = {k: v for k, v in scores.items() if v is not None}
    best_epoch = min(finite, key=finite.get)
    assert rec.result_.selected_epoch == best_epoch
    assert rec.result_.selected_score == pytest.approx(finite[best_epoch])
    xs = (lorenz - rec.mean_) / rec.std_
    assert selection_score(rec.model_, xs, 300, 2) == pytest.approx(finite[best_epoch], rel=1e-6)
    # model.pt holds the selected state
    loaded = Reconstructor.load(tmp_path / "sel")
    np.testing.assert_array_equal(loaded.generate(100), rec.generate(100))


def test_damaged_run_files_are_refused(tmp_path, lorenz):
    run = tmp_path / "r"
    Reconstructor(tau=10, out=run, **{**SMALL, "epochs": 2}).fit(lorenz)
    model = torch.load(run / "model.pt", weights_only=True)
    model["state_dict"]["A"][0] = float("nan")
    torch.save(model, run / "model.pt")
    with pytest.raises(ValueError, match="NaN or inf"):
        Reconstructor.load(run)
    ckpt = torch.load(run / "checkpoint.pt", weights_only=True)
    ckpt["torch_rng"] = torch.zeros(3)
    torch.save(ckpt, run / "checkpoint.pt")
    with pytest.raises(ValueError, match="torch_rng"):
        Reconstructor(tau=10, out=run, **{**SMALL, "epochs": 2}).fit(lorenz, resume=True)


def test_size_limits(lorenz):
    with pytest.raises(ValueError, match="hidden must be at most"):
        Reconstructor(**{**SMALL, "tau": 10, "hidden": 10**6}).fit(lorenz)
    from rnnchaos.data.datasets import load_source

    with pytest.raises(ValueError, match="n_steps must be at most"):
        load_source("lorenz63", n_steps=10**11)


def test_tensorboard_without_the_package_names_the_extra(tmp_path, lorenz, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tensorboard" else real(name, *a))
    rec = Reconstructor(tau=10, out=tmp_path / "tb", tensorboard=True, **{**SMALL, "epochs": 2})
    with pytest.raises(ValueError, match=r"rnnchaos\[tensorboard\]"):
        rec.fit(lorenz)
    assert not (tmp_path / "tb" / "checkpoint.pt").exists()  # refused before training


def test_tau_not_shorter_than_sequences_warns(lorenz):
    with pytest.warns(UserWarning, match="no training sequence is ever forced"):
        Reconstructor(**{**SMALL, "tau": 25, "epochs": 1}).fit(lorenz)


def test_resume_of_a_run_written_before_a_setting_existed(tmp_path, lorenz):
    """A config.json without a later-added setting (forcing_signal_grad, lr_decay_epochs) resumes when the
    setting is at its default, and is refused when it is not."""
    run = tmp_path / "r"
    Reconstructor(tau=10, out=run, **{**SMALL, "epochs": 2}).fit(lorenz)
    cfg = json.loads((run / "config.json").read_text())
    for key in ("forcing_signal_grad", "lr_decay_epochs"):
        del cfg["estimator"][key]
    (run / "config.json").write_text(json.dumps(cfg))
    rec = Reconstructor(tau=10, out=run, **{**SMALL, "epochs": 2}).fit(lorenz, resume=True)
    assert rec.result_.epochs == 2
    (run / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ValueError, match="forcing_signal_grad"):
        Reconstructor(tau=10, out=run, forcing_signal_grad=False, **{**SMALL, "epochs": 2}).fit(lorenz, resume=True)


def test_gtf_protocol_selection_scores_one_long_run_from_the_first_training_point(tmp_path, lorenz):
    """select_protocol='gtf2023': the score is D_stsp (gtf2023) of one free run of 1.25 T from x[0] with
    0.25 T dropped; 'floor-relative' adds D_H, each divided by the training halves' own score."""
    from rnnchaos.metrics.scoring import score_trajectory
    from rnnchaos.models.free_run import free_run, initial_states
    from rnnchaos.training.trainer import selection_score, training_floors

    x = lorenz[:800]
    rec = Reconstructor(tau=10, out=tmp_path / "gtfsel", select_every=2, select_protocol="gtf2023",
                        select_metric="floor-relative", **{**SMALL, "epochs": 4}).fit(x)
    xs = (x - rec.mean_) / rec.std_
    run = free_run(rec.model_, initial_states(rec.model_, xs[:1]), 1000)[0, 200:]
    direct = score_trajectory(xs, run, preset="gtf2023")
    assert selection_score(rec.model_, xs, 1, 1, protocol="gtf2023") == pytest.approx(direct.d_stsp, rel=1e-9)
    halves = score_trajectory(xs[400:], xs[:400], preset="gtf2023")
    floors = training_floors(xs, "gtf2023")
    assert floors == pytest.approx((halves.d_stsp, halves.d_h), rel=1e-12)
    rel = selection_score(rec.model_, xs, 1, 1, protocol="gtf2023", metric="floor-relative", floors=floors)
    assert rel == pytest.approx(direct.d_stsp / floors[0] + direct.d_h / floors[1], rel=1e-9)
    scores = [e["select_score"] for e in rec.history_ if "select_score" in e]
    assert len(scores) == 2 and rec.result_.selected_score == pytest.approx(min(s for s in scores if s is not None))
    assert "floor" in rec.result_.message


def test_gtf_median_selection_is_the_median_of_one_gtf_score_per_start(tmp_path, lorenz):
    """select_protocol='gtf2023-median': one GTF-protocol run (1.25 T, 0.25 T dropped) from each of the training
    points i*T//K, each scored alone; the score is their median, and with K = 1 it is the gtf2023 score."""
    from rnnchaos.metrics.scoring import score_trajectory
    from rnnchaos.models.free_run import free_run, initial_states
    from rnnchaos.training.trainer import selection_score, training_floors

    x = lorenz[:800]
    rec = Reconstructor(tau=10, out=tmp_path / "gtfmed", select_every=2, select_protocol="gtf2023-median",
                        select_starts=3, select_metric="floor-relative", **{**SMALL, "epochs": 4}).fit(x)
    xs = (x - rec.mean_) / rec.std_
    floors = training_floors(xs, "gtf2023-median")
    assert floors == training_floors(xs, "gtf2023")
    each = []
    for start in (0, 266, 533):
        run = free_run(rec.model_, initial_states(rec.model_, xs[start:start + 1]), 1000)[0, 200:]
        d = score_trajectory(xs, run, preset="gtf2023")
        each.append(d.d_stsp / floors[0] + d.d_h / floors[1])
    got = selection_score(rec.model_, xs, 1, 3, protocol="gtf2023-median", metric="floor-relative", floors=floors)
    assert got == pytest.approx(float(np.median(each)), rel=1e-9)
    one = selection_score(rec.model_, xs, 1, 1, protocol="gtf2023-median", metric="floor-relative", floors=floors)
    assert one == pytest.approx(selection_score(rec.model_, xs, 1, 1, protocol="gtf2023", metric="floor-relative",
                                                floors=floors), rel=1e-12)
    assert "median over 3 starts" in rec.result_.message
    worst = selection_score(rec.model_, xs, 1, 3, protocol="gtf2023-max", metric="floor-relative", floors=floors)
    assert worst == pytest.approx(max(each), rel=1e-9)


def test_gtf_max_selection_refuses_a_model_that_leaves_the_range_from_one_start(monkeypatch):
    """gtf2023-max is the worst start's score: one undefined (inf) run makes the score inf, where the median
    of the same runs stays finite."""
    import rnnchaos.training.trainer as tr

    values = iter([1.0, float("inf"), 3.0] * 2)
    monkeypatch.setattr(tr, "_selection_value", lambda *a, **k: next(values))
    xs = np.random.default_rng(0).standard_normal((120, 2))

    class Dummy:
        pass

    monkeypatch.setattr("rnnchaos.models.free_run.initial_states", lambda m, x: x)
    monkeypatch.setattr("rnnchaos.models.free_run.free_run", lambda m, z, n: np.zeros((z.shape[0], n, 2)))
    assert tr.selection_score(Dummy(), xs, 1, 3, protocol="gtf2023-median") == 3.0
    assert tr.selection_score(Dummy(), xs, 1, 3, protocol="gtf2023-max") == float("inf")


@pytest.mark.parametrize("kw,match", [({"select_protocol": "best"}, "select_protocol must be one of"),
                                      ({"select_metric": "mse"}, "select_metric must be one of")])
def test_selection_options_are_validated(kw, match, lorenz):
    with pytest.raises(ValueError, match=match):
        Reconstructor(tau=10, select_every=2, **kw, **{**SMALL, "epochs": 1}).fit(lorenz[:300])


def test_floor_relative_selection_refuses_halves_that_score_zero():
    """An exactly periodic series whose halves are the same cycle has a zero floor: nothing to divide by."""
    from rnnchaos.training.trainer import training_floors

    t = np.arange(400)
    x = np.stack([np.sin(2 * np.pi * t / 20), np.cos(2 * np.pi * t / 20)], axis=1)
    with pytest.raises(ValueError, match="floor-relative selection needs"):
        training_floors(x, "gtf2023")
