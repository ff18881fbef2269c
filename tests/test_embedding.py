"""Delay embedding, mutual-information lag, false nearest neighbours and Theiler-window neighbours."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnchaos.dynamics.embedding import (
    delay_embed,
    false_nearest_neighbours,
    fnn_dimension,
    mutual_information,
    mutual_information_lag,
    nearest_neighbours,
)


def logistic(n: int, x0: float = 0.3) -> np.ndarray:
    x = np.empty(n)
    x[0] = x0
    for i in range(1, n):
        x[i] = 4.0 * x[i - 1] * (1.0 - x[i - 1])
    return x


def henon_x(n: int) -> np.ndarray:
    x, y, out = 0.1, 0.0, np.empty(n)
    for i in range(n + 100):
        x, y = 1.0 - 1.4 * x * x + y, 0.3 * x
        if i >= 100:
            out[i - 100] = x
    return out


def test_delay_embed_exact_scalar() -> None:
    x = np.arange(10.0)
    Y = delay_embed(x, 3, 2)
    assert Y.shape == (10 - 2 * 2, 3)
    np.testing.assert_array_equal(Y[0], [0, 2, 4])
    np.testing.assert_array_equal(Y[-1], [5, 7, 9])
    assert Y.dtype == np.float64


def test_delay_embed_exact_multivariate_column_order() -> None:
    x = np.c_[np.arange(6.0), 10 + np.arange(6.0)]  # (6, 2)
    Y = delay_embed(x, 2, 3)
    assert Y.shape == (3, 4)
    # [x1(t), x2(t), x1(t+lag), x2(t+lag)]
    np.testing.assert_array_equal(Y[1], [1, 11, 4, 14])


@settings(max_examples=40, deadline=None)
@given(T=st.integers(5, 60), N=st.integers(1, 3), dim=st.integers(1, 4), lag=st.integers(1, 5))
def test_delay_embed_property(T: int, N: int, dim: int, lag: int) -> None:
    x = np.random.default_rng(T * 7 + N).normal(size=(T, N))
    need = (dim - 1) * lag + 1
    if T < need:
        with pytest.raises(ValueError, match=f"at least {need} samples"):
            delay_embed(x, dim, lag)
        return
    Y = delay_embed(x, dim, lag)
    assert Y.shape == (T - (dim - 1) * lag, dim * N)
    for k in range(dim):
        np.testing.assert_array_equal(Y[:, k * N:(k + 1) * N], x[k * lag: k * lag + Y.shape[0]])


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_delay_embed_bad_parameters(bad: object) -> None:
    with pytest.raises(ValueError):
        delay_embed(np.arange(20.0), bad, 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        delay_embed(np.arange(20.0), 2, bad)  # type: ignore[arg-type]


def test_delay_embed_rejects_nan_and_3d() -> None:
    x = np.arange(20.0)
    x[4] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        delay_embed(x, 2, 1)
    with pytest.raises(ValueError, match="shape"):
        delay_embed(np.zeros((5, 2, 2)), 2, 1)


def test_mutual_information_at_lag_zero_is_log_bins() -> None:
    # equiprobable bins: I(0) = H = ln(n_bins) exactly when T is a multiple of n_bins
    x = np.random.default_rng(0).normal(size=4000)
    mi = mutual_information(x, 3, n_bins=16)
    assert mi[0] == pytest.approx(np.log(16), rel=1e-12)


def test_mutual_information_of_ar1_matches_gaussian_formula() -> None:
    # AR(1) x_t = phi x_{t-1} + e_t is Gaussian: I(lag) = -1/2 ln(1 - phi^(2 lag)) nats.
    rng = np.random.default_rng(1)
    phi, T = 0.9, 200_000
    e = rng.normal(size=T)
    x = np.empty(T)
    x[0] = e[0]
    for t in range(1, T):
        x[t] = phi * x[t - 1] + e[t]
    mi = mutual_information(x, 6, n_bins=32)
    exact = -0.5 * np.log(1 - phi ** (2 * np.arange(1, 7)))
    # a 32-bin histogram underestimates the continuous MI (coarse-graining) by a few percent and adds a
    # positive bias ~ (B-1)^2 / (2T) = 0.0024; both are far below 10% here.
    np.testing.assert_allclose(mi[1:], exact, rtol=0.10)
    assert np.all(np.diff(mi) < 0)


def test_mutual_information_of_white_noise_is_bias_only() -> None:
    x = np.random.default_rng(2).normal(size=20_000)
    mi = mutual_information(x, 5, n_bins=16)
    # Miller-Madow bias of the plug-in estimate: (B-1)^2 / (2T) = 0.0056
    assert np.all(mi[1:] < 3 * (16 - 1) ** 2 / (2 * 20_000))


def test_mutual_information_lag_errors() -> None:
    with pytest.raises(ValueError, match="max_lag"):
        mutual_information(np.arange(10.0), 20)
    with pytest.raises(ValueError, match="constant"):
        mutual_information_lag(np.ones(100), 5)


def test_fnn_dimension_of_maps() -> None:
    # the logistic map is one-dimensional; the Henon attractor needs two delays (Kennel et al. 1992)
    assert fnn_dimension(logistic(4000), 1, 5) == 1
    assert fnn_dimension(henon_x(4000), 1, 5) == 2
    f = false_nearest_neighbours(henon_x(4000), 1, 4)
    assert f[0] > 0.3 and np.all(f[1:] <= 0.01)


def test_fnn_of_noise_stays_high() -> None:
    # noise fills every dimension: the fraction falls with d but never approaches 0 (Kennel et al. 1992)
    f = false_nearest_neighbours(np.random.default_rng(3).normal(size=4000), 1, 4)
    assert np.all(f > 0.1)


def test_fnn_too_short_names_requirement() -> None:
    with pytest.raises(ValueError, match="at least"):
        false_nearest_neighbours(np.random.default_rng(0).normal(size=30), 5, 10)


@settings(max_examples=30, deadline=None)
@given(M=st.integers(20, 120), d=st.integers(1, 3), k=st.integers(1, 4), w=st.integers(0, 6),
       seed=st.integers(0, 10_000))
def test_nearest_neighbours_match_brute_force(M: int, d: int, k: int, w: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    pts = rng.normal(size=(M, d))
    refs = np.sort(rng.choice(M, size=min(M, 15), replace=False))
    idx, dist = nearest_neighbours(pts, refs, k, w)
    for r, j in enumerate(refs):
        dd = np.linalg.norm(pts - pts[j], axis=1)
        dd[np.abs(np.arange(M) - j) <= w] = np.inf
        expect = np.sort(dd)[:k]
        np.testing.assert_allclose(dist[r], expect, rtol=1e-12, atol=1e-12)
        assert np.all(np.abs(idx[r] - j) > w)
        np.testing.assert_allclose(np.linalg.norm(pts[idx[r]] - pts[j], axis=1), dist[r], rtol=1e-12)


def test_nearest_neighbours_too_few_points() -> None:
    with pytest.raises(ValueError, match="at least"):
        nearest_neighbours(np.zeros((10, 1)), np.array([0]), 1, 5)


@settings(max_examples=15, deadline=None)
@given(phi=st.floats(0.5, 0.999), seed=st.integers(0, 1000))
def test_mutual_information_lag_is_first_minimum_of_full_curve(phi: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    e = rng.normal(size=3000)
    x = np.empty_like(e)
    x[0] = e[0]
    for t in range(1, e.size):
        x[t] = phi * x[t - 1] + e[t]
    x += np.sin(0.07 * np.arange(e.size))
    mi = mutual_information(x, 150)
    mins = [lag for lag in range(1, 150) if mi[lag] < mi[lag - 1] and mi[lag] <= mi[lag + 1]]
    expect = mins[0] if mins else None
    got = mutual_information_lag(x, 150)
    if expect is not None:
        assert got == expect


def test_nearest_neighbours_do_not_depend_on_the_query_blocks(monkeypatch) -> None:
    """Queried in blocks of a few (reference, candidate) pairs (bounded memory on slow series with long
    Theiler windows), the neighbours are exactly those of one query."""
    import rnnchaos.dynamics.embedding as emb

    rng = np.random.default_rng(4)
    pts = np.cumsum(rng.normal(size=(3000, 3)), axis=0)  # a random walk: neighbours in time are closest
    refs = np.sort(rng.choice(2900, size=300, replace=False)).astype(np.intp)
    whole = emb.nearest_neighbours(pts, refs, 2, 40)
    monkeypatch.setattr(emb, "QUERY_BLOCK", 64)
    blocked = emb.nearest_neighbours(pts, refs, 2, 40)
    assert np.array_equal(whole[0], blocked[0]) and np.array_equal(whole[1], blocked[1])
    assert np.all(np.abs(blocked[0] - refs[:, None]) > 40)  # outside the Theiler window
