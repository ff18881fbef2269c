"""The chunked width study (seeds independent of workers and of the order widths are run in, resume) and the
binomial trend fit (recovers known parameters; the verdict on "independent of width")."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rnnchaos.maps1d.init import InitSpec
from rnnchaos.maps1d.montecarlo import chaos_probability
from rnnchaos.reproductions.scrambling_trend import fit_model, fit_trend
from rnnchaos.reproductions.scrambling_width import reproduce_width, width_rows
from rnnchaos.sweep.grid import derive_seed, trial_id

KW = {"networks": 400, "chunk_size": 100, "seed": 7, "inits": ("he",), "show_progress": False}


def _journal(path):
    return [json.loads(line) for line in (path / "trials.jsonl").read_text().splitlines()]


def test_width_study_same_numbers_for_any_workers_order_and_resume(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    paths = reproduce_width(a, widths=(4, 16), workers=1, **KW)
    names = {p.name for p in paths}
    assert {"scrambling_width.csv", "scrambling_width.md", "scrambling_width_fit.json", "scrambling_width.png"} <= names
    doc = json.loads((a / "scrambling_width.json").read_text())
    for r in doc["rows"]:
        assert r["ci95_low"] <= r["p_period3"] <= r["ci95_high"]
        # period 3 implies the certified positive-entropy event
        assert r["n_positive_entropy_lower_bound"] >= r["n_period3"]
    # b: two workers, and the widths in two separate runs, the larger first
    reproduce_width(b, widths=(16,), workers=2, **KW)
    reproduce_width(b, widths=(4,), workers=1, **KW)
    rows_a, rows_b = width_rows(a, 7, 100), width_rows(b, 7, 100)
    strip = ("wall_seconds", "wall_ms_per_network")
    assert [{k: v for k, v in r.items() if k not in strip} for r in rows_a] == \
        [{k: v for k, v in r.items() if k not in strip} for r in rows_b]
    assert [(r["width"], r["networks"], r["chunks"]) for r in rows_a] == [(4, 400, 4), (16, 400, 4)]
    # a rerun runs nothing: the journal keeps one line per chunk
    n_lines = len(_journal(a))
    reproduce_width(a, widths=(4, 16), workers=1, **KW)
    assert len(_journal(a)) == n_lines == 8
    # a chunk's seed is derived from (seed, init, width, chunk index, chunk size) and its counts are those of
    # chaos_probability on that seed
    rec = _journal(a)[0]
    base = {k: v for k, v in rec["params"].items() if k != "seed"}
    assert rec["seed"] == derive_seed(7, trial_id("rnnchaos.reproductions.scrambling_width:width_chunk", base))
    direct = chaos_probability(InitSpec(width=base["width"], init="he"), trials=100, seed=rec["seed"])
    assert rec["result"]["n_period3"] == direct.n_period3
    assert rec["result"]["n_positive_entropy"] == direct.n_positive_entropy
    # another seed's records are not counted
    assert width_rows(a, 8, 100) == []


def _counts(p, n):
    return [int(round(v * m)) for v, m in zip(p, n, strict=True)]


WIDTHS = [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]


def test_trend_constant_data_is_independent_of_width():
    n = [100_000] * len(WIDTHS)
    res = fit_trend(WIDTHS, _counts([0.004] * len(WIDTHS), n), n)
    assert res["verdict"].startswith("consistent with independent of width")
    assert res["best_aic"] == "constant"
    assert res["models"]["constant"]["params"]["c"]["value"] == pytest.approx(0.004)
    # Wald interval of a binomial proportion: se = sqrt(p (1 - p) / N)
    se = np.sqrt(0.004 * 0.996 / sum(n))
    assert res["models"]["constant"]["params"]["c"]["se"] == pytest.approx(se, rel=1e-3)


def test_trend_power_law_recovered():
    k = np.array(WIDTHS, dtype=float)
    n = [1_000_000] * len(WIDTHS)
    res = fit_trend(WIDTHS, _counts(0.01 * k ** -0.3, n), n)
    beta = res["models"]["power"]["params"]["beta"]
    assert beta["ci95"][0] < -0.3 < beta["ci95"][1]
    assert res["verdict"].startswith("depends on width")
    assert "falls as k^beta" in res["verdict"]
    assert res["tests"]["constant_vs_power"]["p"] < 1e-6


def test_trend_constant_plus_power_recovered():
    k = np.array(WIDTHS, dtype=float)
    n = [10_000_000] * len(WIDTHS)
    fit = fit_model("constant+power", WIDTHS, _counts(0.003 + 0.01 * k ** -0.7, n), n)
    c = fit["params"]["c"]
    assert c["ci95"][0] < 0.003 < c["ci95"][1]
    assert fit["params"]["beta"]["ci95"][0] < -0.7 < fit["params"]["beta"]["ci95"][1]
    assert fit["deviance"] < 1.0  # rounding of the counts only


def test_trend_no_successes_and_bad_input():
    res = fit_trend([4, 8, 16], [0, 0, 0], [100, 100, 100])
    assert list(res["models"]) == ["constant"]
    assert res["verdict"].startswith("no 3-cycle at any width")
    with pytest.raises(ValueError, match="successes"):
        fit_model("power", [4, 8], [5, 200], [100, 100])
    with pytest.raises(ValueError, match="unknown trend model"):
        fit_model("linear", [4, 8], [5, 5], [100, 100])
