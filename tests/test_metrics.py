"""Reconstruction metrics: exact truths (identity, closed forms) and each preset against a hand computation.

The hand computations below are written out with Python loops and scalar arithmetic, independently of the
vectorised implementation in ``rnnchaos.metrics``.
"""

from __future__ import annotations

import cmath
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from rnnchaos.metrics import state_space as ss_mod
from rnnchaos.metrics.power_spectrum import chunked_spectrum, power_spectrum_distance
from rnnchaos.metrics.prediction import prediction_error, prediction_error_curve
from rnnchaos.metrics.presets import PRESETS, get_preset
from rnnchaos.metrics.state_space import gmm_kl, state_space_divergence

ALPHA = 1e-5


def _sd(values: list[float]) -> float:
    m = sum(values) / len(values)
    return math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1))


def _kl(p: list[float], q: list[float]) -> float:
    return sum(pi * math.log(pi / qi) for pi, qi in zip(p, q, strict=True))


def _lorenz_like(seed: int, t: int = 6000) -> np.ndarray:
    """A short chaotic 3-D series (Lorenz-63, Euler dt = 0.005, z-scored) for identity tests."""
    rng = np.random.default_rng(seed)
    z = np.array([1.0, 1.0, 20.0]) + rng.normal(size=3)
    out = np.empty((t, 3))
    for i in range(t):
        for _ in range(2):
            dx = np.array([10 * (z[1] - z[0]), z[0] * (28 - z[2]) - z[1], z[0] * z[1] - 8 / 3 * z[2]])
            z = z + 0.005 * dx
        out[i] = z
    return (out - out.mean(0)) / out.std(0)


# ----------------------------------------------------------------------------- identity
@pytest.mark.parametrize("preset", list(PRESETS))
def test_identical_arrays_give_zero_dstsp(preset: str) -> None:
    x = _lorenz_like(0, 3000)
    assert state_space_divergence(x, x, preset=preset) == 0.0
    assert state_space_divergence(x, x, preset=preset, method="gmm", mc_samples=200) == 0.0


@pytest.mark.parametrize("preset", ["stf2022-corrected", "gtf2023"])
def test_identical_arrays_give_zero_dh(preset: str) -> None:
    x = _lorenz_like(1, 5000)
    assert power_spectrum_distance(x, x, preset=preset) == pytest.approx(0.0, abs=1e-7)


def test_stf2022_dh_of_identical_arrays_is_sqrt_one_minus_trapezoid_mass() -> None:
    """The published D_H integrates unnormalised spectra: a series against itself scores sqrt(1 - sum p)."""
    x = _lorenz_like(2, 5000)
    for d in range(3):
        spec = chunked_spectrum(x[:5000, d:d + 1].reshape(50, 100, 1), 2.0, 500)[:, 0]
        # trapezoid rule by hand, unit spacing
        mass = sum(0.5 * (spec[i] + spec[i + 1]) for i in range(len(spec) - 1))
        expected = math.sqrt(1.0 - mass)
        got = power_spectrum_distance(x[:, d:d + 1], x[:, d:d + 1], preset="stf2022")
        assert got == pytest.approx(expected, rel=1e-12)
        assert got > 0.0


# ----------------------------------------------------------------------------- binning, by hand
def _hand_binned_kl(data: list[list[float]], gen: list[list[float]], n_bins: int, lo: list[float],
                    hi: list[float], drop_lowest: bool) -> float:
    dims = len(lo)
    cells = n_bins ** dims

    def counts(points: list[list[float]]) -> dict[int, int]:
        h: dict[int, int] = {}
        for pt in points:
            idx = []
            for d in range(dims):
                u = (pt[d] - lo[d]) / (hi[d] - lo[d]) * n_bins
                idx.append(int(u) if drop_lowest else math.floor(u))  # int() truncates toward 0, like .long()
            low = 1 if drop_lowest else 0
            if all(low <= i < n_bins for i in idx):
                flat = 0
                for i in idx:
                    flat = flat * n_bins + i
                h[flat] = h.get(flat, 0) + 1
        return h

    ht, hg = counts(data), counts(gen)
    nt, ng = sum(ht.values()), sum(hg.values())
    p = [(ht.get(c, 0) + ALPHA) / (nt + ALPHA * cells) for c in range(cells)]
    q = [(hg.get(c, 0) + ALPHA) / (ng + ALPHA * cells) for c in range(cells)]
    return _kl(p, q)


DATA_1D = [-1.0, -1.0, 1.0, 1.0]
GEN_1D = [1.0, 1.0, 1.0, -2.0]


def test_stf2022_binning_by_hand_1d() -> None:
    # sd = sqrt(4/3); range [-2 sd, 2 sd]; with 4 bins -1 -> bin 1, 1 -> bin 2, -2 -> bin 0 (dropped).
    sd = _sd(DATA_1D)
    assert sd == pytest.approx(2 / math.sqrt(3))
    z_t, z_g = 4 + 4 * ALPHA, 3 + 4 * ALPHA  # the model keeps 3 points: -2 falls in the dropped bin 0
    p = [ALPHA / z_t, (2 + ALPHA) / z_t, (2 + ALPHA) / z_t, ALPHA / z_t]
    q = [ALPHA / z_g, ALPHA / z_g, (3 + ALPHA) / z_g, ALPHA / z_g]
    expected = _kl(p, q)
    got = state_space_divergence(np.array(DATA_1D), np.array(GEN_1D), preset="stf2022", n_bins=4)
    assert got == pytest.approx(expected, rel=1e-12)
    # the corrected preset keeps bin 0 (mean is 0 here, so the range is the same)
    z_g = 4 + 4 * ALPHA
    q = [(1 + ALPHA) / z_g, ALPHA / z_g, (3 + ALPHA) / z_g, ALPHA / z_g]
    got_c = state_space_divergence(np.array(DATA_1D), np.array(GEN_1D), preset="stf2022-corrected", n_bins=4)
    assert got_c == pytest.approx(_kl(p, q), rel=1e-12)


def test_stf2022_binning_by_hand_2d_range_around_zero() -> None:
    rng = np.random.default_rng(3)
    data = (rng.normal(size=(40, 2)) + np.array([0.7, -0.4])).tolist()
    gen = (rng.normal(size=(50, 2)) * 1.3).tolist()
    cols = list(zip(*data, strict=True))
    sds = [_sd(list(c)) for c in cols]
    lo, hi = [-2 * s for s in sds], [2 * s for s in sds]  # around zero, not the mean
    expected = _hand_binned_kl(data, gen, 10, lo, hi, drop_lowest=True)
    assert state_space_divergence(np.array(data), np.array(gen), preset="stf2022") == pytest.approx(
        expected, rel=1e-12)
    means = [sum(c) / len(c) for c in cols]
    lo_c, hi_c = [m - 2 * s for m, s in zip(means, sds, strict=True)], [m + 2 * s for m, s in zip(means, sds, strict=True)]
    expected_c = _hand_binned_kl(data, gen, 10, lo_c, hi_c, drop_lowest=False)
    assert state_space_divergence(np.array(data), np.array(gen)) == pytest.approx(expected_c, rel=1e-12)


def test_gtf2023_binning_by_hand() -> None:
    rng = np.random.default_rng(4)
    data = rng.normal(size=(60, 2)).tolist()
    gen = (rng.normal(size=(70, 2)) * 2.0).tolist()  # some model points fall outside and are dropped
    cols = list(zip(*data, strict=True))
    sds = [_sd(list(c)) for c in cols]
    lo = [min(c) - 0.1 * s for c, s in zip(cols, sds, strict=True)]
    hi = [max(c) + 0.1 * s for c, s in zip(cols, sds, strict=True)]
    expected = _hand_binned_kl(data, gen, 30, lo, hi, drop_lowest=False)
    assert state_space_divergence(np.array(data), np.array(gen), preset="gtf2023") == pytest.approx(
        expected, rel=1e-12)


def test_empty_model_histogram_gives_nan() -> None:
    data = np.array(DATA_1D)
    far = np.full(5, 100.0)
    assert math.isnan(state_space_divergence(data, far, preset="stf2022"))


def test_sparse_and_dense_histograms_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    data, gen = rng.normal(size=(3000, 4)), rng.normal(size=(2000, 4)) * 1.2
    dense = state_space_divergence(data, gen, preset="gtf2023", method="bins")  # 30^4 cells: dense
    monkeypatch.setattr(ss_mod, "_DENSE_CELL_LIMIT", 10)
    sparse = state_space_divergence(data, gen, preset="gtf2023", method="bins")
    assert sparse == pytest.approx(dense, rel=1e-10)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(list(PRESETS)))
def test_binned_kl_is_nonnegative_and_ignores_time_order(seed: int, preset: str) -> None:
    rng = np.random.default_rng(seed)
    data, gen = rng.normal(size=(300, 2)), rng.normal(size=(200, 2)) * rng.uniform(0.5, 2.0)
    d = state_space_divergence(data, gen, preset=preset)
    assert d >= -1e-12
    assert state_space_divergence(data, gen[rng.permutation(200)], preset=preset) == pytest.approx(d, rel=1e-12)


# ----------------------------------------------------------------------------- Gaussian mixture
def test_gmm_kl_between_two_gaussians_matches_closed_form() -> None:
    """Each 'mixture' is one Gaussian (rows repeated): KL = |m1 - m2|^2 / (2 sigma^2) exactly; the MC
    estimate's log-ratio is linear in the sample, with standard error |m1 - m2| / sqrt(sigma^2 M)."""
    m1, m2, s2, m = np.array([0.3, -0.2, 0.5]), np.array([0.8, 0.1, 0.1]), 0.1, 40_000
    p_rows, q_rows = np.tile(m1, (3, 1)), np.tile(m2, (2, 1))
    exact = float(np.sum((m1 - m2) ** 2) / (2 * s2))
    se = float(np.linalg.norm(m1 - m2) / math.sqrt(s2 * m))
    est = gmm_kl(p_rows, q_rows, sigma2=s2, mc_samples=m, seed=11)
    assert abs(est - exact) < 4 * se


@pytest.mark.parametrize("preset", ["stf2022", "gtf2023"])
def test_gmm_direction_of_each_preset_matches_quadrature(preset: str) -> None:
    """Data: two components at -1 and +1; model: one at 0 (1-D). KL(data||model) != KL(model||data)."""
    s2 = get_preset(preset).gmm_sigma2
    data, model = np.array([[-1.0], [1.0]]), np.array([[0.0], [0.0]])

    def pdf(x: float, centres: list[float]) -> float:
        return sum(math.exp(-(x - c) ** 2 / (2 * s2)) for c in centres) / (len(centres) * math.sqrt(2 * math.pi * s2))

    def kl(a: list[float], b: list[float]) -> float:
        return integrate.quad(lambda x: pdf(x, a) * math.log(pdf(x, a) / pdf(x, b)), -12, 12, limit=200)[0]

    kl_dm, kl_md = kl([-1.0, 1.0], [0.0]), kl([0.0], [-1.0, 1.0])
    expected = kl_md if get_preset(preset).gmm_direction == "model||data" else kl_dm
    m = 40_000
    est = state_space_divergence(data, model, preset=preset, method="gmm", mc_samples=m, seed=3)
    # standard error from the spread of the log-ratio, estimated on an independent draw
    rng = np.random.default_rng(9)
    centres = [0.0] if expected is kl_md else [-1.0, 1.0]
    other = [-1.0, 1.0] if expected is kl_md else [0.0]
    xs = rng.choice(centres, size=m) + math.sqrt(s2) * rng.standard_normal(m)
    lr = np.array([math.log(pdf(x, centres) / pdf(x, other)) for x in xs[:5000]])
    se = lr.std() / math.sqrt(m)
    assert abs(est - expected) < 4 * se
    assert abs(kl_dm - kl_md) > 10 * se  # the test can tell the two directions apart


def test_gmm_is_seeded_and_uses_first_max_T_steps() -> None:
    x, y = _lorenz_like(6, 2000), _lorenz_like(7, 2000)
    a = state_space_divergence(x, y, method="gmm", mc_samples=300, seed=5)
    assert a == state_space_divergence(x, y, method="gmm", mc_samples=300, seed=5)
    tail = np.concatenate([y, np.full((500, 3), 50.0)])  # beyond max_T: ignored
    assert state_space_divergence(x, tail, method="gmm", mc_samples=300, seed=5, max_T=2000) == a


# ----------------------------------------------------------------------------- power spectra
def test_spectrum_of_a_sinusoid_is_a_single_peak_of_height_n_minus_1_over_n() -> None:
    n, f = 200, 7  # f whole cycles per chunk
    t = np.arange(n)
    x = (3.0 * np.sin(2 * np.pi * f * t / n + 0.4) + 1.5)[None, :, None]
    spec = chunked_spectrum(x, 0.01, None)[:, 0]  # 0.01 -> a 1-tap kernel: no smoothing
    expected = np.zeros(n // 2 + 1)
    expected[f] = (n - 1) / n  # Parseval with ddof=1 z-scoring: sum z^2 = n - 1, split between f and n - f
    np.testing.assert_allclose(spec, expected, atol=1e-12)


def _stf_weights(sigma: float) -> dict[int, float]:
    half = int(5 * sigma)
    raw = {j: math.exp(-j * j / (2 * sigma * sigma)) for j in range(-half, half + 1)}
    tot = sum(raw.values())
    return {j: v / tot for j, v in raw.items()}


def test_dh_between_sinusoids_matches_closed_form() -> None:
    """Smoothed delta spectra at f1 and f2: BC = sum_k sqrt(w(k - f1) w(k - f2)) exactly (corrected preset),
    which for an untruncated Gaussian is exp(-(f1 - f2)^2 / (8 sigma^2))."""
    n, f1, f2, sigma = 2000, 100, 104, 2.0
    t = np.arange(50 * n)
    a = np.sin(2 * np.pi * f1 * t / n)[:, None]
    b = np.sin(2 * np.pi * f2 * t / n + 1.0)[:, None]
    w = _stf_weights(sigma)
    bc = sum(math.sqrt(w.get(k - f1, 0.0) * w.get(k - f2, 0.0)) for k in range(0, 500))
    got = power_spectrum_distance(a, b, preset="stf2022-corrected")
    assert got == pytest.approx(math.sqrt(1 - bc), rel=1e-9)
    # the continuous closed form, up to the kernel truncation at 5 sigma (relative tail < 1e-4)
    assert got == pytest.approx(math.sqrt(1 - math.exp(-((f1 - f2) ** 2) / (8 * sigma**2))), rel=1e-4)
    # same frequency, another phase and amplitude: distance 0
    assert power_spectrum_distance(a, 5 * np.sin(2 * np.pi * f1 * t / n + 2.0)[:, None]) == pytest.approx(
        0.0, abs=1e-7)


def test_stf2022_dh_by_hand() -> None:
    """Two chunks, explicit DFT, full convolution trimmed by 5 sigma, average, cut-off, trapezoid rule."""
    rng = np.random.default_rng(8)
    data = rng.normal(size=(2 * 9 + 1, 1)).cumsum(axis=0)  # 19 steps: 2 chunks of 9, tail dropped
    gen = rng.normal(size=(2 * 12, 1))                      # 2 chunks of 12, each truncated to 9
    sigma, cutoff = 1.0, 4
    weights = _stf_weights(sigma)

    def spectrum(series: list[float]) -> list[float]:
        s = series[:8]  # odd length 9 -> even 8
        n = len(s)
        m = sum(s) / n
        sd = math.sqrt(sum((v - m) ** 2 for v in s) / (n - 1))
        z = [(v - m) / sd for v in s]
        power = []
        for k in range(n // 2 + 1):
            coef = sum(z[j] * cmath.exp(-2j * math.pi * j * k / n) for j in range(n)) / math.sqrt(n)
            power.append(abs(coef) ** 2 * 2 / n)
        return [sum(power[i] * weights.get(k - i, 0.0) for i in range(len(power))) for k in range(len(power))]

    def averaged(x: np.ndarray, chunk_full: int) -> list[float]:
        specs = [spectrum(x[c * chunk_full:c * chunk_full + 9, 0].tolist()) for c in range(2)]
        return [(u + v) / 2 for u, v in zip(*specs, strict=True)][:cutoff]

    p, q = averaged(data, 9), averaged(gen, 12)
    bc = sum(0.5 * (math.sqrt(p[i] * q[i]) + math.sqrt(p[i + 1] * q[i + 1])) for i in range(cutoff - 1))
    got = power_spectrum_distance(data, gen, preset="stf2022", sigma=sigma, n_chunks=2, cutoff=cutoff)
    assert got == pytest.approx(math.sqrt(1 - bc), rel=1e-10)
    tp, tq = (sum(0.5 * (v[i] + v[i + 1]) for i in range(cutoff - 1)) for v in (p, q))
    bc_c = sum(0.5 * (math.sqrt(p[i] * q[i] / (tp * tq)) + math.sqrt(p[i + 1] * q[i + 1] / (tp * tq)))
               for i in range(cutoff - 1))
    got_c = power_spectrum_distance(data, gen, preset="stf2022-corrected", sigma=sigma, n_chunks=2, cutoff=cutoff)
    assert got_c == pytest.approx(math.sqrt(1 - bc_c), rel=1e-10)


def test_gtf2023_dh_by_hand() -> None:
    """Whole series, explicit DFT, Gaussian filter of 8 sigma + 1 taps with mirror padding, Hellinger."""
    rng = np.random.default_rng(10)
    data, gen = rng.normal(size=(20, 1)).cumsum(axis=0), rng.normal(size=(20, 1))
    sigma = 1.0
    radius = 4
    raw = [math.exp(-j * j / (2 * sigma * sigma)) for j in range(-radius, radius + 1)]
    kernel = [v / sum(raw) for v in raw]

    def spectrum(series: list[float]) -> list[float]:
        n = len(series)
        m = sum(series) / n
        sd = math.sqrt(sum((v - m) ** 2 for v in series) / (n - 1))
        z = [(v - m) / sd for v in series]
        ps = [abs(sum(z[j] * cmath.exp(-2j * math.pi * j * k / n) for j in range(n))) ** 2 for k in range(n // 2 + 1)]
        length = len(ps)

        def mirror(i: int) -> int:  # ... c b | a b c ... : reflect about the edge sample, excluding it
            while i < 0 or i >= length:
                i = -i if i < 0 else 2 * (length - 1) - i
            return i

        sm = [max(0.0, sum(kernel[j + radius] * ps[mirror(k - j)] for j in range(-radius, radius + 1)))
              for k in range(length)]
        tot = sum(sm)
        return [v / tot for v in sm]

    p, q = spectrum(data[:, 0].tolist()), spectrum(gen[:, 0].tolist())
    expected = math.sqrt(0.5 * sum((math.sqrt(a) - math.sqrt(b)) ** 2 for a, b in zip(p, q, strict=True)))
    got = power_spectrum_distance(data, gen, preset="gtf2023", sigma=sigma)
    assert got == pytest.approx(expected, rel=1e-10)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000))
def test_corrected_dh_is_symmetric_and_in_unit_interval(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(1000, 2)).cumsum(axis=0)
    b = rng.normal(size=(1000, 2))
    d = power_spectrum_distance(a, b, n_chunks=5)
    assert 0.0 <= d <= 1.0
    assert power_spectrum_distance(b, a, n_chunks=5) == pytest.approx(d, rel=1e-12)


def test_constant_model_gives_maximal_corrected_dh_and_nan_in_stf2022() -> None:
    x = _lorenz_like(12, 5000)
    const = np.ones_like(x)
    assert power_spectrum_distance(x, const) == 1.0
    assert math.isnan(power_spectrum_distance(x, const, preset="stf2022"))


# ----------------------------------------------------------------------------- prediction error
def test_prediction_error_of_linear_maps_is_exact() -> None:
    a, b, n = 0.9, 0.8, 3
    x = (2.0 * a ** np.arange(30))[:, None]
    expected = [float(np.mean((b**k - a**k) ** 2 * x[: 30 - n, 0] ** 2)) for k in range(1, n + 1)]
    curve = prediction_error_curve(lambda s: b * s, x, n, batch_size=7)
    np.testing.assert_allclose(curve, expected, rtol=1e-12)
    assert prediction_error(lambda s: b * s, x, n) == pytest.approx(expected[-1], rel=1e-12)
    # a perfect latent model (encode, step, decode) has zero error
    assert prediction_error(lambda s: a * s, x, n, encode=lambda v: np.hstack([v, v]),
                            decode=lambda s: s[:, :1]) == pytest.approx(0.0, abs=1e-30)


def test_prediction_error_of_a_diverging_model_is_inf() -> None:
    x = np.linspace(1, 2, 50)[:, None]
    with np.errstate(over="ignore"):
        assert prediction_error(lambda s: s * 1e300, x, 3) == math.inf


# ----------------------------------------------------------------------------- bad input
def test_bad_input_raises_value_error() -> None:
    x = _lorenz_like(13, 2000)
    with pytest.raises(ValueError, match="same N"):
        state_space_divergence(x, x[:, :2])
    with pytest.raises(ValueError, match="NaN"):
        power_spectrum_distance(x, np.full_like(x, np.nan))
    with pytest.raises(ValueError, match="unknown metric preset"):
        state_space_divergence(x, x, preset="paper")
    with pytest.raises(ValueError, match="chunks"):
        power_spectrum_distance(x[:100], x[:100])
    with pytest.raises(ValueError, match="constant"):
        state_space_divergence(np.ones((10, 2)), x[:10, :2])
