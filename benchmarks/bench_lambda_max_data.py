"""Benchmark: λ_max from a measured series -- ours vs a naive implementation vs nolds ``lyap_r``.

Series: x of Lorenz-63 (σ=10, ρ=28, β=8/3), 20,000 samples at dt = 0.01 after a transient of 50 time
units, integrated with scipy DOP853 at rtol = atol = 1e-10. True value: 0.9056 per time unit, i.e.
0.009056 per step (Sprott 2003).

Contestants, all in this process, BLAS pinned to one thread:

* **ours** -- :func:`rnnchaos.dynamics.lambda_max_data.lambda_max_from_series` at its defaults
  (lag from mutual information, dimension from false nearest neighbours, Theiler window from the mean
  period, KD-tree neighbours, automatic scaling region); the time includes choosing all of those.
* **naive** -- the same Rosenstein algorithm, same embedding, Theiler window, reference points and
  horizon, but written the textbook way: a Python loop over reference points, each with a brute-force
  distance row to every delay vector and its own divergence loop. Same numbers, to check correctness.
* **nolds** -- ``nolds.lyap_r`` 0.6.2 (Rosenstein) with our embedding dimension and lag, ``min_tsep`` =
  our Theiler window and ``trajectory_len`` = the end of our scaling region + 1; it builds the full
  m x m distance matrix (3.2 GB for 20,000 samples; the run needs ~7 GB free, otherwise it is skipped)
  and fits a line over steps 0..trajectory_len-1. Its error is also shown for its own curve refitted
  over our scaling region, to separate the estimator from the choice of fit window.

nolds 0.6.2 imports ``pkg_resources`` (removed from recent setuptools); when it is missing a minimal
stand-in that only provides ``resource_stream`` (used to load nolds' bundled example data) is installed.

Run: ``.venv/bin/python benchmarks/bench_lambda_max_data.py [--samples 20000] [--nolds-defaults]``
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import types

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from scipy.integrate import solve_ivp  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from rnnchaos.dynamics.embedding import delay_embed  # noqa: E402
from rnnchaos.dynamics.lambda_max_data import lambda_max_from_series, scaling_region  # noqa: E402

TRUE_PER_TIME = 0.9056
DT = 0.01


def lorenz_x(n: int, dt: float = DT) -> np.ndarray:
    def f(t: float, u: np.ndarray) -> list[float]:
        return [10.0 * (u[1] - u[0]), u[0] * (28.0 - u[2]) - u[1], u[0] * u[1] - 8.0 / 3.0 * u[2]]

    s0 = solve_ivp(f, (0.0, 50.0), [1.0, 1.0, 1.0], method="DOP853", rtol=1e-10, atol=1e-10).y[:, -1]
    t = np.arange(n) * dt
    return solve_ivp(f, (0.0, t[-1]), s0, t_eval=t, method="DOP853", rtol=1e-10, atol=1e-10).y[0].copy()


def naive_rosenstein(x: np.ndarray, dim: int, lag: int, theiler: int, horizon: int, refs: np.ndarray) -> np.ndarray:
    """Textbook Rosenstein: per reference point a brute-force distance row and a per-step divergence loop."""
    z = (x - x.mean()) / x.std()
    Y = delay_embed(z, dim, lag)
    M = Y.shape[0] - horizon
    base = Y[:M]
    sums = np.zeros(horizon + 1)
    for j in refs:
        d = np.sqrt(((base - base[j]) ** 2).sum(axis=1))
        d[max(0, j - theiler): j + theiler + 1] = np.inf
        n = int(np.argmin(d))
        for i in range(horizon + 1):
            sums[i] += np.log(max(float(np.sqrt(((Y[j + i] - Y[n + i]) ** 2).sum())), 1e-12))
    return sums / len(refs)


def _install_pkg_resources_shim() -> None:
    try:
        import pkg_resources  # noqa: F401
    except ImportError:
        shim = types.ModuleType("pkg_resources")

        def resource_stream(module: str, name: str):  # type: ignore[no-untyped-def]
            return open(os.path.join(os.path.dirname(sys.modules[module].__file__ or ""), name), "rb")

        shim.resource_stream = resource_stream  # type: ignore[attr-defined]
        sys.modules["pkg_resources"] = shim


def _available_gb() -> float:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return float("inf")


def _fit(curve: np.ndarray, a: int, b: int) -> float:
    ks = np.arange(a, b + 1)
    return float(np.polyfit(ks, curve[a:b + 1], 1)[0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=20_000)
    ap.add_argument("--skip-nolds", action="store_true")
    ap.add_argument("--nolds-defaults", action="store_true",
                    help="also run nolds.lyap_r at its own defaults (another ~80 s and ~7 GB)")
    args = ap.parse_args()
    truth = TRUE_PER_TIME * DT
    print(f"Lorenz-63 x, {args.samples} samples, dt={DT}; true λ_max = {truth:.6f} per step")
    x = lorenz_x(args.samples)

    def err(lam: float) -> str:
        return f"{lam:.6f}/step = {lam / DT:.4f}/time, error {100 * (lam / truth - 1):+.1f}%"

    rows: dict[str, tuple[float, float]] = {}
    with threadpool_limits(limits=1):
        lambda_max_from_series(x[:2000])  # warm-up (imports, caches)
        t0 = time.perf_counter()
        ours = lambda_max_from_series(x, dt=DT)
        t_ours = time.perf_counter() - t0
        rows["ours (rosenstein, auto)"] = (t_ours, ours.lambda_max)
        print(f"ours:  lag={ours.lag} dim={ours.embedding_dim} theiler={ours.theiler} "
              f"horizon={ours.divergence.size - 1} fit={ours.fit_range} warning={ours.warning}")
        print(f"  ours (rosenstein)   {t_ours:8.2f} s  {err(ours.lambda_max)}")

        t0 = time.perf_counter()
        kantz = lambda_max_from_series(x, dt=DT, method="kantz")
        t_kantz = time.perf_counter() - t0
        rows["ours (kantz, auto)"] = (t_kantz, kantz.lambda_max)
        print(f"  ours (kantz)        {t_kantz:8.2f} s  {err(kantz.lambda_max)}")

        # naive: same algorithm, parameters and reference points. The reference run fixes the embedding and
        # horizon found above, so that its first random draw is the reference set.
        K = ours.divergence.size - 1
        M = args.samples - (ours.embedding_dim - 1) * ours.lag - K
        fixed = lambda_max_from_series(x, dt=DT, lag=ours.lag, embedding_dim=ours.embedding_dim,
                                       theiler=ours.theiler, max_horizon=K, seed=0)
        refs = np.sort(np.random.default_rng(0).choice(M, size=min(4000, M), replace=False))
        t0 = time.perf_counter()
        curve = naive_rosenstein(x, ours.embedding_dim, ours.lag, ours.theiler, K, refs)
        t_naive = time.perf_counter() - t0
        lam_naive = scaling_region(curve)[2]  # the same automatic scaling region as ours
        rows["naive loop"] = (t_naive, lam_naive)
        same = np.allclose(curve, fixed.divergence, rtol=1e-9, atol=1e-9)
        print(f"  naive loop          {t_naive:8.2f} s  {err(lam_naive)}  (curve identical to ours with these parameters fixed: {same}, "
              f"ours-fixed {fixed.lambda_max:.6f}/step)")

        if not args.skip_nolds:
            need = 2.2 * 8 * (args.samples ** 2) / 1024**3 + 0.5
            if _available_gb() < need:
                print(f"  nolds lyap_r        skipped: needs ~{need:.1f} GB free, {_available_gb():.1f} GB available")
            else:
                _install_pkg_resources_shim()
                import warnings

                import nolds

                traj = ours.fit_range[1] + 1
                t0 = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    lam_n, (ks, div, _) = nolds.lyap_r(x, emb_dim=ours.embedding_dim, lag=ours.lag,
                                                       min_tsep=ours.theiler, trajectory_len=traj,
                                                       fit="poly", debug_data=True)
                t_nolds = time.perf_counter() - t0
                rows["nolds lyap_r"] = (t_nolds, float(lam_n))
                a, b = ours.fit_range
                refit = _fit(np.asarray(div), a, min(b, len(div) - 1))
                print(f"  nolds lyap_r        {t_nolds:8.2f} s  {err(float(lam_n))}  "
                      f"(emb_dim={ours.embedding_dim}, lag={ours.lag}, min_tsep={ours.theiler}, trajectory_len={traj})")
                print(f"    nolds curve refitted over our scaling region {ours.fit_range}: {err(refit)}")
                if args.nolds_defaults:
                    del ks, div
                    t0 = time.perf_counter()
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        lam_d = float(nolds.lyap_r(x, fit="poly"))
                    t_d = time.perf_counter() - t0
                    rows["nolds lyap_r defaults"] = (t_d, lam_d)
                    print(f"  nolds (defaults)    {t_d:8.2f} s  {err(lam_d)}  (emb_dim=10, trajectory_len=20, "
                          "lag and min_tsep automatic)")

    print("\nratios (time of other / time of ours-rosenstein; |error| of other / |error| of ours):")
    e_ours = abs(ours.lambda_max / truth - 1)
    for name, (t, lam) in rows.items():
        if name.startswith("ours (rosenstein"):
            continue
        e = abs(lam / truth - 1)
        print(f"  {name:24s} time x{t / t_ours:7.1f}   error x{e / e_ours if e_ours > 0 else float('inf'):6.2f}")


if __name__ == "__main__":
    main()
