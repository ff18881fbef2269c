"""Speed of the reconstruction metrics against straightforward baselines run in the same process.

Run: .venv/bin/python benchmarks/bench_metrics.py   (threads pinned to one)

* D_stsp by bins (ravel_multi_index + bincount) vs a per-point Python loop over a dense histogram
  (the structure of the published torch code, which builds a dense B^N tensor).
* D_stsp by GMM (chunked log-sum-exp) vs the unchunked M x T distance matrix (same numbers).
* D_H (all chunks and dimensions in one rfft/convolution) vs a loop over dimensions and chunks with
  np.convolve (the structure of the published code).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
from threadpoolctl import threadpool_limits

from rnnchaos.metrics.power_spectrum import power_spectrum_distance, stf_kernel
from rnnchaos.metrics.state_space import gmm_kl, state_space_divergence


def best_of(fn: Callable[[], object], repeat: int = 3) -> tuple[float, object]:
    best, out = math.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def loop_binned_kl(x: np.ndarray, y: np.ndarray, n_bins: int = 10, alpha: float = 1e-5) -> float:
    sd = x.std(0, ddof=1)
    lo, hi = -2 * sd, 2 * sd
    hists = []
    for arr in (x, y):
        h = np.zeros((n_bins,) * x.shape[1])
        for pt in arr:
            idx = tuple(int(v) for v in (pt - lo) / (hi - lo) * n_bins)
            if all(0 < i < n_bins for i in idx):
                h[idx] += 1
        hists.append((h + alpha) / (h.sum() + alpha * h.size))
    p, q = hists
    return float(np.sum(p * np.log(p / q)))


def dense_gmm_kl(x_from: np.ndarray, x_to: np.ndarray, sigma2: float, m: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    t = rng.integers(0, x_from.shape[0], size=m)
    s = x_from[t] + math.sqrt(sigma2) * rng.standard_normal((m, x_from.shape[1]))

    def logpdf(mu: np.ndarray) -> np.ndarray:
        d2 = ((s[:, None, :] - mu[None, :, :]) ** 2).sum(-1)  # M x T x N in memory
        e = -0.5 * d2 / sigma2
        mx = e.max(1)
        return mx + np.log(np.exp(e - mx[:, None]).sum(1)) - math.log(mu.shape[0]) - 0.5 * s.shape[1] * math.log(
            2 * math.pi * sigma2)

    return float(np.mean(logpdf(x_from) - logpdf(x_to)))


def loop_dh(x: np.ndarray, y: np.ndarray, n_chunks: int = 50, sigma: float = 2.0, cutoff: int = 500) -> float:
    kernel = stf_kernel(sigma)
    pad = len(kernel) // 2
    out = []
    for d in range(x.shape[1]):
        specs = []
        for arr in (x, y):
            length = arr.shape[0] // n_chunks
            acc = []
            for c in range(n_chunks):
                ch = arr[c * length:(c + 1) * length, d][: min(x.shape[0], y.shape[0]) // n_chunks]
                ch = ch[: len(ch) // 2 * 2]
                z = (ch - ch.mean()) / ch.std(ddof=1)
                ps = np.abs(np.fft.rfft(z, norm="ortho")) ** 2 * 2 / len(z)
                acc.append(np.convolve(ps, kernel)[pad:-pad])
            specs.append(np.mean(acc, axis=0)[:cutoff])
        out.append(math.sqrt(1 - np.trapezoid(np.sqrt(specs[0] * specs[1]))))
    return float(np.mean(out))


def main() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100_000, 3)).cumsum(0) * 0.01
    y = rng.normal(size=(100_000, 3)).cumsum(0) * 0.01
    with threadpool_limits(1):
        t_fast, v_fast = best_of(lambda: state_space_divergence(x, y, preset="stf2022"))
        t_slow, v_slow = best_of(lambda: loop_binned_kl(x, y), repeat=1)
        print(f"D_stsp bins, T=100000, N=3:  vectorised {t_fast * 1e3:8.1f} ms | per-point loop "
              f"{t_slow * 1e3:8.1f} ms | speed-up {t_slow / t_fast:6.1f}x | same value: "
              f"{abs(float(v_fast) - float(v_slow)) < 1e-9}")  # type: ignore[arg-type]
        xs, ys = x[:5000], y[:5000]
        t_fast, v_fast = best_of(lambda: gmm_kl(ys, xs, sigma2=0.1, mc_samples=1000, seed=1))
        t_slow, v_slow = best_of(lambda: dense_gmm_kl(ys, xs, 0.1, 1000, 1), repeat=1)
        print(f"D_stsp GMM, T=5000, M=1000:   chunked    {t_fast * 1e3:8.1f} ms | M x T x N dense "
              f"{t_slow * 1e3:8.1f} ms | ratio {t_slow / t_fast:6.2f}x | same value: "
              f"{abs(float(v_fast) - float(v_slow)) < 1e-8} | peak memory of a chunk "  # type: ignore[arg-type]
              f"{1000 * 2048 * 8 / 2**20:.0f} MiB vs {1000 * 5000 * 3 * 8 / 2**20:.0f} MiB")
        t_fast, v_fast = best_of(lambda: power_spectrum_distance(x, y, preset="stf2022"))
        t_slow, v_slow = best_of(lambda: loop_dh(x, y), repeat=1)
        print(f"D_H stf2022, T=100000, N=3:   vectorised {t_fast * 1e3:8.1f} ms | loop over chunks "
              f"{t_slow * 1e3:8.1f} ms | speed-up {t_slow / t_fast:6.1f}x | same value: "
              f"{abs(float(v_fast) - float(v_slow)) < 1e-12}")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
