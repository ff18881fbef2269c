"""Reconstructor as a scikit-learn estimator: clone, get_params/set_params, the estimator checks that apply
to a time-series estimator, GridSearchCV over tau with TimeSeriesSplit, score/evaluate/predict, trials."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnchaos.training.reconstructor import Reconstructor

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit  # noqa: E402
from sklearn.utils import estimator_checks  # noqa: E402

torch.set_num_threads(1)

TINY = {"hidden": 5, "epochs": 2, "seq_len": 20, "batch_size": 4, "batches_per_epoch": 2, "select_every": 0,
        "lyap_every": 0, "score_steps": 500}


@pytest.fixture(scope="module")
def lorenz() -> np.ndarray:
    from rnnchaos.systems.registry import get_system

    return get_system("lorenz63").trajectory(1200, seed=1)


def test_clone_copies_every_parameter_and_no_fitted_state(lorenz):
    rec = Reconstructor(tau=7, model_kwargs={"clipped": True}, **TINY).fit(lorenz)
    twin = clone(rec)
    assert twin.get_params() == rec.get_params()
    assert twin.model_kwargs == {"clipped": True} and twin.model_kwargs is not rec.model_kwargs
    assert not hasattr(twin, "model_")


def test_get_params_lists_exactly_the_init_parameters_and_set_params_round_trips():
    import inspect

    names = [n for n in inspect.signature(Reconstructor.__init__).parameters if n != "self"]
    rec = Reconstructor()
    assert list(rec.get_params(deep=True)) == names == list(rec.get_params(deep=False))
    assert "model_kwargs" in names and rec.model_kwargs is None
    assert rec.set_params(tau=9, hidden=4) is rec and (rec.tau, rec.hidden) == (9, 4)
    with pytest.raises(ValueError, match="invalid parameter 'nope'"):
        rec.set_params(nope=1)


@pytest.mark.parametrize("check", ["check_get_params_invariance", "check_set_params",
                                   "check_no_attributes_set_in_init", "check_parameters_default_constructible",
                                   "check_estimator_cloneable", "check_do_not_raise_errors_in_init_or_set_params",
                                   "check_dont_overwrite_parameters", "check_estimators_overwrite_params",
                                   "check_estimators_fit_returns_self", "check_fit_score_takes_y",
                                   "check_estimators_pickle", "check_fit_idempotent", "check_fit_check_is_fitted",
                                   "check_dict_unchanged", "check_n_features_in", "check_n_features_in_after_fitting",
                                   "check_estimator_repr", "check_methods_subset_invariance"])
def test_sklearn_estimator_checks(check):
    # the fitting checks train on scikit-learn's small blob data: sequences of 5 rows, tau 2
    est = Reconstructor(hidden=3, epochs=1, seq_len=5, tau=2, batch_size=2, batches_per_epoch=1, select_every=0,
                        lyap_every=0)
    getattr(estimator_checks, check)("Reconstructor", est)


def test_grid_search_over_tau_with_time_series_split(lorenz):
    search = GridSearchCV(Reconstructor(**TINY), {"tau": [5, 10]}, cv=TimeSeriesSplit(n_splits=2))
    search.fit(lorenz)
    scores = search.cv_results_["mean_test_score"]
    assert search.best_params_["tau"] in (5, 10)
    assert scores.shape == (2,) and np.all(np.isfinite(scores)) and np.all(scores <= 0)
    assert search.best_estimator_.tau_ == search.best_params_["tau"]
    assert isinstance(search.score(lorenz[-300:]), float)


def test_score_is_minus_d_stsp_of_evaluate(lorenz):
    rec = Reconstructor(tau=10, **TINY).fit(lorenz[:900])
    s = rec.score(lorenz[900:])
    assert isinstance(s, float) and s <= 0
    full = rec.evaluate(lorenz[900:], n_steps=500)
    assert s == -full["d_stsp"]
    assert set(full) >= {"d_stsp", "d_h", "pe"}
    # a list of trials scores the mean over the trials
    a, b = lorenz[900:1050], lorenz[1050:]
    assert rec.score([a, b]) == pytest.approx((rec.score(a) + rec.score(b)) / 2, rel=0, abs=0)


def test_predict_forecasts_from_every_observed_point(lorenz):
    rec = Reconstructor(tau=10, **TINY).fit(lorenz)
    x = lorenz[:40]
    pred = rec.predict(x, n_steps=3)
    assert pred.shape == (40, 3, 3) and pred.dtype == np.float64
    # the forecast from x[t] is the free run from the state inferred from x[t], without its first point
    for t in (0, 17):
        np.testing.assert_allclose(pred[t], rec.generate(4, x0=x[t])[1:], rtol=1e-4, atol=1e-4)
    # PE(3) of evaluate is the mean squared error of these 3-step forecasts
    pe3 = np.mean((pred[: 40 - 3, 2] - x[3:]) ** 2)
    assert rec.evaluate(x, n_steps=50, pe_steps=3)["pe"] == pytest.approx(pe3, rel=1e-12)


def test_fit_accepts_a_list_of_trials(lorenz):
    trials = [lorenz[:500], lorenz[600:1100]]
    rec = Reconstructor(tau=10, **TINY).fit(trials)
    np.testing.assert_allclose(rec.mean_, np.concatenate(trials).mean(axis=0))
    assert rec.result_.status == "completed"


def test_model_kwargs_reach_the_architecture_and_survive_save_load(tmp_path, lorenz):
    rec = Reconstructor(tau=10, model="shplrnn", model_kwargs={"clipped": True}, out=tmp_path / "r", **TINY)
    rec.fit(lorenz)
    assert rec.model_.clipped is True
    loaded = Reconstructor.load(tmp_path / "r")
    assert loaded.model_kwargs == {"clipped": True} and loaded.model_.clipped is True
    with pytest.raises(ValueError, match="model_kwargs must be a dict"):
        Reconstructor(tau=10, model_kwargs=["clipped"], **TINY).fit(lorenz)


def test_a_free_run_that_overflows_scores_minus_infinity(lorenz):
    rec = Reconstructor(tau=10, **TINY).fit(lorenz)
    with torch.no_grad():
        for p in rec.model_.parameters():
            p.mul_(1e3)  # an exploding map
    assert rec.evaluate(lorenz[:300], n_steps=500)["finite"] is False
    assert rec.score(lorenz[:300]) == -np.inf
