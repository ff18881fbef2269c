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


def test_trend_floor_is_never_negative_and_sits_at_its_bound_for_power_law_data():
    # counts that are exactly a power law, p = 0.02 / k (x = 2048 / k of 102,400): the power law reaches the
    # saturated likelihood, so the maximum of constant+power is the bound c = 0 (the unconstrained fit used
    # to return c < 0 on such data)
    k = np.array(WIDTHS, dtype=float)
    n = [102_400] * len(WIDTHS)
    x = (2048 // k.astype(int)).astype(float)
    res = fit_trend(WIDTHS, x, n)
    cp, pw = res["models"]["constant+power"], res["models"]["power"]
    c = cp["params"]["c"]
    assert c["value"] == 0.0 and c["at_bound"] and c["se"] is None
    assert c["ci95"][0] == 0.0 < c["ci95"][1]
    # at the bound the model is the power law: same likelihood and parameters
    assert cp["loglik"] == pytest.approx(pw["loglik"], abs=1e-9)
    assert cp["params"]["beta"]["value"] == pw["params"]["beta"]["value"]
    assert pw["params"]["beta"]["ci95"][0] < -1.0 < pw["params"]["beta"]["ci95"][1]
    # the upper limit is where the profile likelihood has dropped by chi2_1(0.90) / 2
    upper = c["ci95"][1]
    prof = fit_model("power", WIDTHS, x, n)  # start point for the constrained refit below
    u = np.log(k / cp["k_ref"])
    from scipy import optimize
    from scipy.stats import binom

    def nll(t):
        p = upper + t[0] * np.exp(t[1] * u)
        return 1e300 if np.any(p <= 0) or np.any(p >= 1) else -float(np.sum(binom.logpmf(x, n, p)))
    r = optimize.minimize(nll, [0.0, prof["params"]["beta"]["value"]], method="Nelder-Mead",
                          options={"xatol": 1e-12, "fatol": 1e-9, "maxiter": 20_000})
    assert cp["loglik"] - (-r.fun) == pytest.approx(2.705543454095404 / 2, abs=2e-3)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_trend_floor_is_non_negative_on_binomial_draws_from_a_power_law(seed):
    k = np.array(WIDTHS, dtype=float)
    n = [200_000] * len(WIDTHS)
    x = np.random.default_rng(seed).binomial(n, 0.02 * k ** -1.0)
    res = fit_trend(WIDTHS, x, n)
    cp = res["models"]["constant+power"]
    c = cp["params"]["c"]
    assert c["value"] >= 0.0
    assert cp["loglik"] >= res["models"]["power"]["loglik"] - 1e-9  # it nests the power law
    if c["at_bound"]:
        assert c["value"] == 0.0 and c["se"] is None and c["ci95"][1] > 0.0


def test_trend_interior_floor_has_a_wald_interval():
    k = np.array(WIDTHS, dtype=float)
    n = [2_000_000] * len(WIDTHS)
    truth = 0.003 + 0.01 * k ** -0.7
    x = np.random.default_rng(11).binomial(n, truth)
    c = fit_model("constant+power", WIDTHS, x, n)["params"]["c"]
    assert not c["at_bound"] and c["se"] > 0
    assert c["ci95"][0] < 0.003 < c["ci95"][1]


def test_trend_zero_counts_give_the_one_sided_likelihood_bound_not_nan():
    n = [100_000] * 8
    res = fit_trend(WIDTHS[:8], [0] * 8, n)
    c = res["models"]["constant"]["params"]["c"]
    assert c["value"] == 0.0 and c["at_bound"] and c["se"] is None
    n_tot = sum(n)
    # log L(0) - log L(c) = -N log(1 - c) = chi2_1(0.90) / 2 at the upper limit, exactly
    assert -n_tot * np.log1p(-c["ci95"][1]) == pytest.approx(2.705543454095404 / 2, rel=1e-12)
    assert res["models"]["constant"]["loglik"] == 0.0
    # a constant with successes keeps its closed-form Wald interval
    assert fit_model("constant", [8, 16], [3, 1], [1000, 1000])["params"]["c"]["se"] == pytest.approx(
        np.sqrt(0.002 * 0.998 / 2000), rel=1e-12)
