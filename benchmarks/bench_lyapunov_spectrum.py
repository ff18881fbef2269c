"""Benchmark: the batched tangent-space QR engine against a naive per-step implementation.

The naive baseline is the textbook loop (Benettin et al. 1980): one initial condition at a time, the
full N x N Jacobian of the map formed at every step, ``Q <- J Q`` and a QR every step. Both run on
the same system, initial conditions, transients and number of steps, in the same process, with BLAS
pinned to one thread. Printed: wall time of each, their ratio, and both spectra (which agree up to the
influence of the random initial frames, ~exp(-gap * tangent_transient)).

Run: ``.venv/bin/python benchmarks/bench_lyapunov_spectrum.py``
"""

from __future__ import annotations

import os
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from rnnchaos.dynamics.lyapunov_spectrum import LyapunovSpectrumWarning, lyapunov_spectrum  # noqa: E402
from rnnchaos.systems import get_system  # noqa: E402


def naive_spectrum(fmap, z0: np.ndarray, n_steps: int, k: int, transient: int, tangent_transient: int,
                   seed: int) -> np.ndarray:
    """One IC at a time, dense Jacobian every step, QR every step; returns the mean spectrum (k,), descending."""
    rng = np.random.default_rng(seed)
    scale = fmap.dt if fmap.dt is not None else 1.0
    out = []
    for z_init in z0:
        z = z_init[None, :].copy()
        for _ in range(transient):
            z = fmap.step(z)
        q = np.linalg.qr(rng.standard_normal((fmap.dim, k)))[0]
        sums = np.zeros(k)
        for t in range(tangent_transient + n_steps):
            jac = fmap.jacobian(z)[0]
            z = fmap.step(z)
            q, r = np.linalg.qr(jac @ q)
            if t >= tangent_transient:
                sums += np.log(np.abs(np.diag(r)))
        out.append(sums / (n_steps * scale))
    return np.sort(np.mean(out, axis=0))[::-1]


def bench(name: str, params: dict, dt: float | None, n_ics: int, n_steps: int, k: int | None,
          transient: int, tangent_transient: int) -> None:
    system = get_system(name, **params)
    fmap = system.as_map(dt)
    z0 = system.default_initial_conditions(n_ics, seed=0)
    kk = system.dim if k is None else k
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LyapunovSpectrumWarning)
        res = lyapunov_spectrum(fmap, z0, n_steps, k=kk, transient=transient, tangent_transient=tangent_transient,
                                seed=1)
    t_engine = time.perf_counter() - t0
    t0 = time.perf_counter()
    naive = naive_spectrum(fmap, z0, n_steps, kk, transient, tangent_transient, seed=1)
    t_naive = time.perf_counter() - t0
    show = min(kk, 4)
    label = f"{name} {params or ''} N={system.dim} k={kk} B={n_ics} steps={n_steps}"
    print(f"{label}\n  engine {t_engine:8.3f} s  exponents[:{show}] {np.array2string(res.exponents[:show], precision=5)}"
          f"  sum {res.sum:.5f} ({res.units})")
    print(f"  naive  {t_naive:8.3f} s  exponents[:{show}] {np.array2string(naive[:show], precision=5)}"
          f"  sum {naive.sum():.5f}")
    print(f"  speed-up (naive / engine) {t_naive / t_engine:6.1f}x   max |difference| "
          f"{np.max(np.abs(res.exponents - naive)):.2e}")


def main() -> None:
    with threadpool_limits(limits=1):
        print("Lyapunov spectrum: batched engine vs naive per-IC loop (dense Jacobian, QR every step)\n")
        bench("henon", {}, None, 64, 5000, None, 1000, 100)
        bench("lorenz63", {}, 0.01, 32, 2000, None, 1000, 1000)
        bench("lorenz96", {"N": 40}, 0.05, 8, 500, None, 400, 400)
        bench("lorenz96", {"N": 1000}, 0.05, 1, 20, 32, 50, 10)


if __name__ == "__main__":
    main()
