"""Benchmark: exact P(period 3) for random 1-D ReLU networks vs the scrambling paper's grid test.

Ours: parameters sampled and the piecewise-linear maps built vectorised across networks (numpy), then the
exact 3-cycle criterion per network in a numba kernel (``rnnchaos.maps1d.fast``). Baselines, at equal
trials and on the same networks, in this process, BLAS pinned to one thread:

* the paper's grid test (163-point grid on [-1, 1], sign changes of x - F(x) vs x - f(x)), vectorised in
  numpy, as published (F = f^4) and corrected (F = f^3);
* the paper's grid test as written in its notebook (a Python loop over grid points; timed on a subset and
  scaled);
* a plain per-network Python loop with the exact method (``Network1D.to_piecewise`` + ``periodic_points``,
  timed on a subset and scaled).

Printed: times, ratios, and how many 3-cycles each grid test misses and how many networks without a 3-cycle
it counts. Numba compile time is measured separately (cold cache in a subprocess) and excluded.

Run: ``.venv/bin/python benchmarks/bench_maps1d.py``
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from rnnchaos.maps1d.batch import network_of  # noqa: E402
from rnnchaos.maps1d.fast import batch_period3, two_layer_arrays, warmup  # noqa: E402
from rnnchaos.maps1d.grid import grid_period3  # noqa: E402
from rnnchaos.maps1d.init import InitSpec, sample_networks  # noqa: E402
from rnnchaos.maps1d.periodic import periodic_points  # noqa: E402

TRIALS = 10_000
WIDTH = 64


def cold_compile_seconds() -> float:
    """Time to compile the numba kernels with an empty cache (fresh subprocess)."""
    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ, NUMBA_CACHE_DIR=d)
        code = ("import time; t=time.perf_counter(); from rnnchaos.maps1d.fast import warmup; warmup(); "
                "print(time.perf_counter()-t)")
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        return float(out.stdout.strip().splitlines()[-1])


def notebook_grid(net_params: dict[str, np.ndarray], r: int, power: int) -> bool:
    """The notebook's loop, point by point (as published when power=4)."""
    w, b, a, c = (net_params[k][r] for k in ("w", "b", "a", "c"))

    def f(x: float) -> float:
        return float(a @ np.maximum(w * x + b, 0.0) + c)

    xs = np.linspace(-1, 1, 163)
    f1 = np.array([f(x) for x in xs])
    fp = f1.copy()
    for i in range(xs.size):
        y = f1[i]
        for _ in range(power - 1):
            y = f(y)
        fp[i] = y
    n1 = n3 = 0
    for i in range(1, xs.size - 1):
        n1 += (xs[i - 1] - f1[i - 1]) * (xs[i] - f1[i]) < 0
        n3 += (xs[i - 1] - fp[i - 1]) * (xs[i] - fp[i]) < 0
    return n3 - n1 > 0


def main() -> None:
    print(f"numba cold compile (excluded from timings): {cold_compile_seconds():.2f} s")
    t0 = time.perf_counter()
    warmup()
    print(f"numba cache load + warm-up: {time.perf_counter() - t0:.3f} s")
    spec = InitSpec(width=WIDTH, init="he")
    with threadpool_limits(1):
        for rep in range(2):
            t0 = time.perf_counter()
            params = sample_networks(spec, TRIALS, seed=rep)
            t1 = time.perf_counter()
            bp, sl, ic, n = two_layer_arrays(params["w"], params["b"], params["a"], params["c"])
            t2 = time.perf_counter()
            p3, _ = batch_period3(bp, sl, ic, n, 0, False)
            t3 = time.perf_counter()
            total = t3 - t0
            print(f"[ours, run {rep}] {TRIALS} width-{WIDTH} He networks: sample {t1 - t0:.3f} s, build {t2 - t1:.3f} s, "
                  f"exact period-3 {t3 - t2:.3f} s, total {total:.3f} s  (target < 1.5 s: "
                  f"{'met' if total < 1.5 else 'NOT met'}); P(3-cycle) = {p3.mean():.4f}")
        t0 = time.perf_counter()
        g4 = grid_period3(params, power=4)
        t_g4 = time.perf_counter() - t0
        t0 = time.perf_counter()
        g3 = grid_period3(params, power=3)
        t_g3 = time.perf_counter() - t0
        print(f"[grid, numpy-vectorised] f^4 as published: {t_g4:.3f} s ({t_g4 / total:.1f}x ours); "
              f"f^3 corrected: {t_g3:.3f} s ({t_g3 / total:.1f}x ours)")
        sub = 100
        t0 = time.perf_counter()
        for r in range(sub):
            notebook_grid(params, r, 4)
        t_nb = (time.perf_counter() - t0) * TRIALS / sub
        print(f"[grid, notebook loop] f^4, {sub} networks timed, scaled to {TRIALS}: {t_nb:.1f} s "
              f"({t_nb / total:.0f}x ours)")
        sub = 200
        t0 = time.perf_counter()
        slow = np.array([periodic_points(network_of(params, r).to_piecewise(), 3).exists for r in range(sub)])
        t_slow = (time.perf_counter() - t0) * TRIALS / sub
        print(f"[exact, plain per-network Python loop] {sub} networks timed, scaled to {TRIALS}: {t_slow:.1f} s "
              f"({t_slow / total:.0f}x ours); agrees with ours on all {sub}: {bool(np.all(slow == p3[:sub]))}")
        print(f"\nAgreement on the same {TRIALS} networks (He, width {WIDTH}, identity output):")
        print(f"  exact 3-cycles:                         {int(p3.sum())}")
        print(f"  grid f^4 positives (as published):      {int(g4.sum())}, of which without a 3-cycle: "
              f"{int((g4 & ~p3).sum())}; 3-cycles it misses: {int((p3 & ~g4).sum())}")
        print(f"  grid f^3 positives (corrected):         {int(g3.sum())}, of which without a 3-cycle: "
              f"{int((g3 & ~p3).sum())}; 3-cycles it misses: {int((p3 & ~g3).sum())}")
        # the paper's own setting: width 2, He weights and biases, ReLU output
        spec2 = InitSpec(width=2, init="he")
        params2 = sample_networks(spec2, TRIALS, seed=7)
        bp, sl, ic, n = two_layer_arrays(params2["w"], params2["b"], params2["a"], params2["c"])
        q3, _ = batch_period3(bp, sl, ic, n, 1, False)
        h4 = grid_period3(params2, power=4, output="relu")
        h3 = grid_period3(params2, power=3, output="relu")
        print(f"\nPaper's row 'He, He | He, He | ReLU', width 2, {TRIALS} networks:")
        print(f"  exact 3-cycles {int(q3.sum())}; grid f^4 {int(h4.sum())} ({int((h4 & ~q3).sum())} without a 3-cycle, "
              f"missing {int((q3 & ~h4).sum())}); grid f^3 {int(h3.sum())} (missing {int((q3 & ~h3).sum())}, "
              f"{int((h3 & ~q3).sum())} spurious)")


if __name__ == "__main__":
    main()
