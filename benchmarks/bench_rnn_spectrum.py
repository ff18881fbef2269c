"""Benchmark: full Lyapunov spectrum of a 256-unit tanh RNN, matrix-free tangents vs the straightforward way.

* fast: ``build_model("rnn", ...).as_map()`` (``tangent_step`` = ``(1 - h'^2) ⊙ (g W Q)``, no Jacobian
  formed) in the shared engine ``rnnchaos.dynamics.lyapunov_spectrum`` with QR every ``--every`` steps
  (the engine halves the interval itself if the conditioning requires it), 10,000 steps;
* baseline: the straightforward implementation: at every step the Jacobian by autograd
  (``torch.autograd.functional.jacobian``), ``Q <- J Q`` and a full QR; run for ``--baseline-steps`` steps
  and scaled per step (its cost per step is constant), in the same process.

Also times the first 32 exponents of a 1,000-unit RNN. Threads pinned to 1 (torch and BLAS).
Run: ``.venv/bin/python benchmarks/bench_rnn_spectrum.py``.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from rnnchaos.dynamics.lyapunov_spectrum import lyapunov_spectrum  # noqa: E402
from rnnchaos.models import build_model  # noqa: E402


def baseline_spectrum(w: torch.Tensor, h0: np.ndarray, n_steps: int, transient: int, seed: int,
                      k: int | None = None) -> np.ndarray:
    """Straightforward tangent-space QR: autograd Jacobian, Q <- J Q and a full QR at every step."""
    n = w.shape[0]
    k = n if k is None else k

    def f(x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(w @ x)

    h = torch.from_numpy(h0.copy())
    with torch.no_grad():
        for _ in range(transient):
            h = f(h)
    q = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, k)))[0]
    sums = np.zeros(k)
    for _ in range(n_steps):
        jac = torch.autograd.functional.jacobian(f, h).numpy()
        with torch.no_grad():
            h = f(h)
        q, r = np.linalg.qr(jac @ q)
        sums += np.log(np.abs(np.diag(r)))
    return np.sort(sums / n_steps)[::-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--gain", type=float, default=1.5)
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--baseline-steps", type=int, default=300)
    ap.add_argument("--every", type=int, default=16, help="QR interval of the fast path")
    ap.add_argument("--skip-large", action="store_true", help="skip the 1,000-unit k = 32 timing")
    args = ap.parse_args()
    torch.set_num_threads(1)
    with threadpool_limits(1):
        model = build_model("rnn", 1, args.n, gain=args.gain, init="normal", seed=0, dtype=torch.float64)
        w = (model.weight_hh.detach()).clone()
        h0 = np.random.default_rng(1).normal(size=args.n)
        transient = 500

        # the transient (state steps only) is identical for both and excluded from the per-step costs
        c0, t0 = time.process_time(), time.perf_counter()
        base = baseline_spectrum(w, h0, args.baseline_steps, transient, seed=2)
        t_base, c_base = time.perf_counter() - t0, time.process_time() - c0

        c0, t0 = time.process_time(), time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fast = lyapunov_spectrum(model.as_map(), h0[None], args.steps, transient=transient,
                                     tangent_transient=100, reortho_every=args.every, seed=2)
        t_fast, c_fast = time.perf_counter() - t0, time.process_time() - c0
        nb, nf = args.baseline_steps, args.steps + 100

        print(f"tanh RNN N={args.n}, g={args.gain}, full spectrum ({args.n} exponents), 1 thread")
        print(f"  baseline (autograd Jacobian + full QR every step): {nb} steps in {t_base:.2f} s wall "
              f"({c_base:.2f} s CPU) = {1e3 * t_base / nb:.2f} ms/step wall, {1e3 * c_base / nb:.2f} ms/step CPU "
              f"-> {c_base / nb * args.steps:.0f} s CPU for {args.steps} steps (scaled per step)")
        print(f"  fast (matrix-free J·Q in the shared engine, QR every {args.every} requested, "
              f"{fast.reortho_every} used): {args.steps} steps in {t_fast:.2f} s wall ({c_fast:.2f} s CPU) "
              f"= {1e3 * t_fast / nf:.3f} ms/step wall, {1e3 * c_fast / nf:.3f} ms/step CPU")
        print(f"  speed-up per step: {(t_base / nb) / (t_fast / nf):.1f}x wall, {(c_base / nb) / (c_fast / nf):.1f}x CPU")
        print(f"  lambda_max fast {fast.lambda_max:.4f}, baseline ({args.baseline_steps} steps) {base[0]:.4f}; "
              f"sum fast {fast.sum:.4f}, baseline {base.sum():.4f} (per step)")
        for c in caught:
            print(f"  engine note: {c.message}")

        # where the time goes (CPU time per call)
        def cpu(f: object, n: int = 30) -> float:
            f()  # type: ignore[operator]
            c = time.process_time()
            for _ in range(n):
                f()  # type: ignore[operator]
            return 1e3 * (time.process_time() - c) / n

        fmap = model.as_map()
        z1 = h0[None]
        q1 = np.linalg.qr(np.random.default_rng(0).standard_normal((1, args.n, args.n)))[0]
        ht = torch.from_numpy(h0.copy())
        print(f"  components (ms CPU): autograd Jacobian {cpu(lambda: torch.autograd.functional.jacobian(lambda x: torch.tanh(w @ x), ht), 10):.2f}, "
              f"matrix-free J·Q {cpu(lambda: fmap.tangent_step(z1, q1)):.2f}, "
              f"QR of the {args.n}x{args.n} frame {cpu(lambda: np.linalg.qr(q1), 10):.2f}")

        # first 32 exponents of the same network: here not forming J is what pays
        c0 = time.process_time()
        baseline_spectrum(w, h0, 100, transient, seed=2, k=32)
        c_b32 = (time.process_time() - c0) / 100
        c0 = time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lyapunov_spectrum(model.as_map(), h0[None], 2000, k=32, transient=transient, tangent_transient=100,
                              seed=2)
        c_f32 = (time.process_time() - c0) / 2100
        print(f"  first 32 exponents, same RNN: baseline {1e3 * c_b32:.2f} ms/step CPU (100 steps), fast "
              f"{1e3 * c_f32:.3f} ms/step CPU (2,000 steps, QR every step) -> {c_b32 / c_f32:.0f}x")

        if not args.skip_large:
            big = build_model("rnn", 1, 1000, gain=1.5, seed=0, dtype=torch.float64)
            steps = 1000
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = lyapunov_spectrum(big.as_map(), np.random.default_rng(0).normal(size=(1, 1000)), steps, k=32,
                                        transient=200, tangent_transient=50, reortho_every=4, seed=0)
            t_big = time.perf_counter() - t0
            print(f"tanh RNN N=1000, g=1.5, first 32 exponents: {steps} steps (+250 transient) in {t_big:.2f} s "
                  f"= {1e3 * t_big / (steps + 250):.2f} ms/step; lambda_max {res.lambda_max:.4f}")


if __name__ == "__main__":
    main()
