"""``rnnchaos train --config``: a run's config.json trains the same run again (losses bit for bit), TOML
files set options by name and flags override them, and the schema is the command's own options."""

from __future__ import annotations

import json

import pytest
import torch

torch.set_num_threads(1)

BASE = ["--n-steps", "1500", "--epochs", "4", "--hidden", "5", "--seq-len", "20", "--batch-size", "4",
        "--batches-per-epoch", "2", "--log-every", "1", "--select-every", "2", "--lyap-every", "3",
        "--no-progress", "--json"]


def _metrics(run):
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]


def _numbers(run):
    """Every logged number but the timings."""
    return [{k: v for k, v in e.items() if k != "seconds"} for e in _metrics(run)]


@pytest.mark.parametrize("extra", [
    ["--data", "lorenz63", "--model", "shplrnn", "--clipped", "--tau", "7", "--lr-final", "1e-4",
     "--param", "rho=30"],
    ["--data", "rossler", "--forcing", "gtf", "--alpha", "0.3", "--alpha-decay", "0.9", "--test-fraction", "0.3",
     "--no-forcing-signal-grad", "--seed", "3"],
])
def test_config_json_of_a_run_reproduces_its_losses_bit_for_bit(extra, tmp_path, run_cli):
    first, second = tmp_path / "first", tmp_path / "second"
    code, out, err = run_cli("train", *extra, *BASE, "--out", str(first))
    assert code == 0, err
    code, out2, err = run_cli("train", "--config", str(first / "config.json"), "--out", str(second))
    assert code == 0, err
    a, b = _numbers(first), _numbers(second)
    assert len(a) == 4 and a == b  # loss, grad_norm, d_stsp_train, lambda_max_model: the same floats
    assert (second / "metrics.csv").is_file()
    c1, c2 = (json.loads((d / "config.json").read_text()) for d in (first, second))
    for key in ("data", "split", "model", "training", "tau", "standardization"):
        assert c1[key] == c2[key], key
    assert {k: v for k, v in c1["estimator"].items() if k not in ("out", "progress")} == \
        {k: v for k, v in c2["estimator"].items() if k not in ("out", "progress")}


def test_toml_sets_options_and_flags_override_it(tmp_path, run_cli):
    cfg = tmp_path / "run.toml"
    cfg.write_text('data = ["lorenz63"]\nn_steps = 1200\nepochs = 2\nhidden = 4\nseq_len = 20\nbatch_size = 2\n'
                   'batches_per_epoch = 1\nselect_every = 0\nlyap_every = 0\ntau = 5\nlr = 0.002\n'
                   'forcing_signal_grad = false\nprogress = false\nparam = ["sigma=9.5"]\n', encoding="utf-8")
    code, out, err = run_cli("train", "--config", str(cfg), "--hidden", "6", "--out", str(tmp_path / "r"), "--json")
    assert code == 0, err
    c = json.loads((tmp_path / "r" / "config.json").read_text())
    est = c["estimator"]
    assert est["hidden"] == 6  # the flag
    assert (est["tau"], est["lr"], est["epochs"], est["forcing_signal_grad"]) == (5, 0.002, 2, False)  # the file
    assert c["data"]["params"] == {"sigma": 9.5} and c["data"]["n_steps"] == 1200


def test_config_model_is_built_from_every_option():
    from rnnchaos.cli.train import train
    from rnnchaos.cli.train_config import option_key, options_model

    keys = {option_key(p) for p in train.params if p.name not in ("config",)}
    model = options_model(train)
    assert {f.alias for f in model.model_fields.values()} == keys
    assert {"tau", "lr_final", "forcing_signal_grad", "model", "json"} <= keys
    valid = model.model_validate({"tau": 10, "alpha": 0.5, "model": "plrnn", "data": "x.npy"})
    assert valid.model_dump(by_alias=True, exclude_none=True) == {"tau": 10, "alpha": 0.5, "model": "plrnn",
                                                                    "data": "x.npy"}


def test_a_run_with_settings_the_command_lacks_is_refused(tmp_path, run_cli):
    from rnnchaos.training.run import train_from_source

    train_from_source("lorenz63", n_steps=600, hidden=3, epochs=1, seq_len=20, batch_size=2, batches_per_epoch=1,
                      tau=5, select_every=1, select_steps=123, lyap_every=0, out=str(tmp_path / "api"))
    code, out, err = run_cli("train", "--config", str(tmp_path / "api" / "config.json"))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "select_steps=123" in err and "no option" in err
