"""Benchmark: Lyapunov spectra of tanh RNNs, the CLI's default path against the J·Q floor and the naive way.

All timings in one process, one thread (OMP/OPENBLAS/MKL = 1, ``threadpool_limits(1)``,
``torch.set_num_threads(1)``), CPU time per tangent step (``time.process_time``, robust to other jobs):

* naive: the straightforward tangent-space QR: at every step the Jacobian by autograd
  (``torch.autograd.functional.jacobian``), ``Q <- J Q`` and a full ``np.linalg.qr`` (timed on a few
  steps and scaled per step: its cost per step is constant);
* floor: ``tangent_step`` alone (one map step and the matrix-free ``J·Q``), the part that must be paid;
* CLI default: :func:`rnnchaos.cli.rnn._lyapunov` with the CLI's defaults (adaptive QR interval,
  LAPACK Householder QR, 1,000 transient steps, 100 frame-alignment steps), as
  ``rnnchaos rnn-lyapunov --arch rnn --hidden 256 --gain 1.5 --steps 10000 --exponents 256 --ics 1``;
* where the CLI path's time goes (a separate 2,000-step run with the tangent steps, state steps and QRs timed);
* the QR kernels on the same frame (np.linalg.qr, SciPy's and torch's LAPACK geqrf + orgqr, torch.linalg.qr,
  Cholesky-QR2);
* first 32 exponents of N = 1000, first 64 of N = 4096 (float64 and float32; time and peak memory),
  and 4 batched initial conditions against 1.

Run: ``nice -n 19 env OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONPATH=src
.venv/bin/python benchmarks/bench_rnn_spectrum.py`` (writes benchmarks/results/bench_rnn_spectrum.json and .md).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import resource
import time
import warnings
from pathlib import Path
from typing import Any

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from scipy.linalg import cholesky, lapack, solve_triangular  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from rnnchaos._util.atomic import write_json_atomic, write_text_atomic  # noqa: E402
from rnnchaos.cli.rnn import _lyapunov  # noqa: E402
from rnnchaos.dynamics.householder_qr import householder_qr  # noqa: E402
from rnnchaos.models import build_model  # noqa: E402
from rnnchaos.models.spectrum import initial_conditions  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def naive_spectrum(w: torch.Tensor, h0: np.ndarray, n_steps: int, k: int, seed: int) -> np.ndarray:
    """Straightforward tangent-space QR: autograd Jacobian, Q <- J Q and a full QR at every step."""
    n = w.shape[0]

    def f(x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(w @ x)

    h = torch.from_numpy(h0.copy())
    q = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, k)))[0]
    sums = np.zeros(k)
    for _ in range(n_steps):
        jac = torch.autograd.functional.jacobian(f, h).numpy()
        with torch.no_grad():
            h = f(h)
        q, r = np.linalg.qr(jac @ q)
        sums += np.log(np.abs(np.diag(r)))
    return np.sort(sums / n_steps)[::-1]


def cholesky_qr2(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cholesky-QR2 (Fukaya et al. 2014) of one frame: Q and log|diag R| (R = R2 R1); needs cond(w) < ~1e8."""
    logs = np.zeros(w.shape[1])
    for _ in range(2):
        r = cholesky(w.T @ w, lower=False, check_finite=False)
        w = solve_triangular(r, w.T, trans="T", lower=False, check_finite=False).T
        logs += np.log(np.abs(np.diag(r)))
    return w, logs


def scipy_householder_qr(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SciPy's (OpenBLAS) dgeqrf + dorgqr of one frame (B = 1): Q and log|diag R| (the engine's former kernel)."""
    geqrf, orgqr = lapack.get_lapack_funcs(("geqrf", "orgqr"), dtype=np.float64)
    qr, tau, _, _ = geqrf(np.asfortranarray(w[0]), overwrite_a=1)
    logs = np.log(np.abs(np.diagonal(qr)))
    return orgqr(qr, tau, overwrite_a=1)[0], logs


def time_breakdown(model: Any, steps: int, k: int) -> dict[str, Any]:
    """Where the CLI path's CPU time goes: a run like :func:`timed_spectrum` with ``ModelMap.step``,
    ``ModelMap.tangent_step``, ``ModelMap.tangent_step_householder`` (the step after a QR of a full frame kept as
    reflectors), ``NumpyOps.qr`` and ``NumpyOps.qr_factored`` wrapped in CPU timers (~1 µs per call)."""
    from rnnchaos.dynamics.lyapunov_spectrum import NumpyOps
    from rnnchaos.models.base import ModelMap

    names = {"tangent_step": ModelMap, "tangent_step_householder": ModelMap, "step": ModelMap, "qr": NumpyOps,
             "qr_factored": NumpyOps}
    acc = {name: [0, 0.0] for name in names}
    originals = {name: getattr(cls, name) for name, cls in names.items()}

    def wrap(name: str) -> Any:
        f = originals[name]

        def timed(*a: Any) -> Any:
            c = time.process_time()
            try:
                return f(*a)
            finally:
                acc[name][0] += 1
                acc[name][1] += time.process_time() - c
        return timed

    for name, cls in names.items():
        setattr(cls, name, wrap(name))
    try:
        c = time.process_time()
        res, _, _ = timed_spectrum(model, steps, k, 1, 1000, 0)
        total = time.process_time() - c
    finally:
        for name, cls in names.items():
            setattr(cls, name, originals[name])
    per = steps + 100
    out = {name: {"calls": n, "cpu_s": t, "ms_per_call": 1e3 * t / max(n, 1), "ms_per_step": 1e3 * t / per}
           for name, (n, t) in acc.items()}
    rest = total - sum(t for _, t in acc.values())
    out["rest"] = {"cpu_s": rest, "ms_per_step": 1e3 * rest / per}
    out["total_ms_per_step"] = 1e3 * total / per
    out["steps"] = steps
    out["reortho_recomputed"] = res.reortho_recomputed
    out["mean_reortho_interval"] = res.mean_reortho_interval
    return out


def cpu_per_call(f: Any, n: int) -> float:
    """CPU milliseconds per call of ``f`` (one warm-up call first)."""
    f()
    c = time.process_time()
    for _ in range(n):
        f()
    return 1e3 * (time.process_time() - c) / n


def floor_per_step(fmap: Any, z: np.ndarray, k: int, n_steps: int) -> float:
    """CPU ms per step of ``tangent_step`` alone (map step + matrix-free J·Q), no QR."""
    q = np.linalg.qr(np.random.default_rng(0).standard_normal((z.shape[0], fmap.dim, k)))[0]
    zz = z
    c = time.process_time()
    for i in range(n_steps):
        zz, w = fmap.tangent_step(zz, q)
        if i % 8 == 7:  # keep the frame bounded without timing a QR: rescale columns (cheap)
            q = w / np.linalg.norm(w, axis=1, keepdims=True)
    return 1e3 * (time.process_time() - c) / n_steps


def timed_spectrum(model: Any, steps: int, k: int, ics: int, transient: int, seed: int,
                   tangent_dtype: str = "float64") -> tuple[Any, float, float]:
    """The CLI's path (``_lyapunov``, CLI defaults); returns (result, CPU ms per tangent step, wall s)."""
    c, t = time.process_time(), time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = _lyapunov(model, steps, k, ics, transient, seed, "cpu", "auto", tangent_dtype)
    cpu = time.process_time() - c
    return res, 1e3 * cpu / (steps + 100), time.perf_counter() - t


LIMITS = (1e8, 1e10, 1e12, 1e13, 1e14)


def henon_map() -> Any:
    """The Hénon map (a = 1.4, b = 0.3) as a :class:`rnnchaos.FunctionMap`: its exponents sum to ln 0.3 exactly."""
    from rnnchaos import FunctionMap

    return FunctionMap(
        step=lambda z: np.stack([1 - 1.4 * z[:, 0] ** 2 + z[:, 1], 0.3 * z[:, 0]], axis=1),
        jacobian=lambda z: np.stack([np.stack([-2.8 * z[:, 0], np.ones(len(z))], axis=1),
                                     np.stack([0.3 * np.ones(len(z)), np.zeros(len(z))], axis=1)], axis=1),
        dim=2)


def rnn_log_det(model: Any, z0: np.ndarray, transient: int, tangent_transient: int, steps: int) -> float:
    """Exact mean log|det J| per step along the engine's accumulation orbit of a zero-bias tanh RNN:
    ``log|det W| + mean_t sum_i log(1 - h_{t+1,i}^2)`` (the sum of all N exponents), the orbit from ``fmap.step``
    (the same float64 arithmetic as the engine's ``tangent_step``)."""
    fmap = model.as_map()
    z = np.array(z0, dtype=np.float64)
    for _ in range(transient + tangent_transient):
        z = fmap.step(z)
    acc = 0.0
    for _ in range(steps):
        z = fmap.step(z)
        acc += float(np.log1p(-z[0] ** 2).sum())
    return float(np.linalg.slogdet(model.weight_hh.detach().double().numpy())[1]) + acc / steps


def limit_rows(steps: int) -> dict[str, Any]:
    """Speed and accuracy of the adaptive QR interval under each condition limit in ``LIMITS`` (the ``auto``
    schedule of the NumPy engine, ``NumpyOps.condition_limit``), against a QR at every step on the same orbit and
    frame: N = 256 tanh RNN (g = 1.5, full spectrum, ``steps`` steps, 1 IC) and the Hénon map (8 ICs, 20,000
    steps). Accuracy: the sum rule (exact mean log|det J|) and max_i |λ_i - λ_i(every step)| / stderr_i."""
    from rnnchaos.dynamics.lyapunov_spectrum import NumpyOps, lyapunov_spectrum

    model = build_model("rnn", 1, 256, gain=1.5, init="normal", seed=0, dtype=torch.float64)
    z0 = initial_conditions(model, 1, seed=1)
    exact_sum = rnn_log_det(model, z0, 1000, 100, steps)
    hen = henon_map()
    hz0 = 0.1 + 0.01 * np.random.default_rng(1).standard_normal((8, 2))

    def run(every: int | str) -> tuple[Any, float, Any]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            c = time.process_time()
            res = lyapunov_spectrum(model.as_map(), z0, steps, transient=1000, tangent_transient=100,
                                    reortho_every=every, seed=0)
            ms = 1e3 * (time.process_time() - c) / (steps + 100)
            hres = lyapunov_spectrum(hen, hz0, 20_000, reortho_every=every, seed=1)
        return res, ms, hres

    ref, ref_ms, href = run(1)
    rows: dict[str, Any] = {"steps": steps, "exact_sum": exact_sum,
                            "every_step": {"ms_per_step": ref_ms, "sum_error": ref.sum - exact_sum,
                                           "henon_sum_error": href.sum - math.log(0.3),
                                           "lambda_max": ref.lambda_max, "lambda_max_stderr": float(ref.stderr[0]),
                                           "median_stderr": float(np.median(ref.stderr))}}
    old = NumpyOps.condition_limit
    try:
        for lim in LIMITS:
            NumpyOps.condition_limit = lim
            res, ms, hres = run("auto")
            d = np.abs(res.exponents - ref.exponents)
            rows[f"{lim:.0e}"] = {"ms_per_step": ms, "mean_reortho_interval": res.mean_reortho_interval,
                                  "reortho_recomputed": res.reortho_recomputed, "sum_error": res.sum - exact_sum,
                                  "max_abs_diff_vs_every_step": float(d.max()),
                                  "max_diff_over_stderr": float(np.max(d / ref.stderr)),
                                  "lambda_max_diff_over_stderr": float(d[0] / ref.stderr[0]),
                                  "henon_sum_error": hres.sum - math.log(0.3),
                                  "henon_mean_reortho_interval": hres.mean_reortho_interval}
    finally:
        NumpyOps.condition_limit = old
    return rows


def limit_lines(rows: dict[str, Any]) -> list[str]:
    """Report lines of :func:`limit_rows`."""
    e = rows["every_step"]
    lines = [f"condition limit of the adaptive QR interval: tanh RNN N=256, g=1.5, full spectrum, {rows['steps']} steps, "
             "1 IC, against a QR every step on the same orbit and frame (stderr: the every-step run's own), and the "
             "Hénon map (8 ICs, 20,000 steps); CPU ms per step; sum error against the exact mean log|det J|",
             f"  every step: {e['ms_per_step']:.3f} ms/step; RNN sum error {e['sum_error']:.1e}; Hénon sum error "
             f"{e['henon_sum_error']:.1e}; lambda_max {e['lambda_max']:.4f} ± {e['lambda_max_stderr']:.4f} "
             f"(median stderr {e['median_stderr']:.1e})"]
    for lim in LIMITS:
        r = rows[f"{lim:.0e}"]
        lines.append(f"  limit {lim:.0e}: {r['ms_per_step']:.3f} ms/step, mean interval {r['mean_reortho_interval']:.2f}, "
                     f"{r['reortho_recomputed']} recomputed; RNN sum error {r['sum_error']:.1e}; max |Δλ| vs every step "
                     f"{r['max_abs_diff_vs_every_step']:.1e} = {r['max_diff_over_stderr']:.3f} stderr (λ_max "
                     f"{r['lambda_max_diff_over_stderr']:.4f} stderr); Hénon sum error {r['henon_sum_error']:.1e} "
                     f"(interval {r['henon_mean_reortho_interval']:.1f})")
    return lines


def big_row(steps: int, dtype: str) -> dict[str, Any]:
    """First 64 exponents of the N = 4096 tanh RNN (g = 1.5) over ``steps`` steps in ``dtype``: CPU and wall time,
    peak RSS (``ru_maxrss`` of this process, so run one dtype per process for a clean figure)."""
    huge = build_model("rnn", 1, 4096, gain=1.5, init="normal", seed=0, dtype=torch.float64)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    c = time.process_time()
    r, ms, wall = timed_spectrum(huge, steps, 64, 1, 100, 0, dtype)
    return {"ms_per_step": ms, "cpu_s": time.process_time() - c, "wall_s": wall, "steps": steps,
            "projected_10000_steps_s": ms * 10_100 / 1e3,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "peak_rss_before_mib": rss0 / 1024, "mean_reortho_interval": r.mean_reortho_interval,
            "reortho_every_last": r.reortho_every, "lambda_max": r.lambda_max,
            "exponents": [float(v) for v in r.exponents], "stderr": [float(v) for v in r.stderr]}


def float32_vs_float64(rows: dict[str, Any]) -> dict[str, float]:
    """The float32 exponents against the float64 ones (same model, start and frame)."""
    e64, e32 = np.array(rows["float64"]["exponents"]), np.array(rows["float32"]["exponents"])
    se = np.array(rows["float64"]["stderr"])
    return {"max_abs_diff": float(np.max(np.abs(e32 - e64))), "lambda_max_diff": float(e32[0] - e64[0]),
            "max_diff_over_stderr": float(np.max(np.abs(e32 - e64) / se))}


def big_lines(rows: dict[str, Any]) -> list[str]:
    """Report lines of the N = 4096 rows present in ``rows``."""
    lines = []
    for dt in ("float64", "float32"):
        if dt not in rows:
            continue
        row = rows[dt]
        cpu = f", {row['cpu_s']:.0f} s CPU" if "cpu_s" in row else ""
        what = "measured" if row["steps"] >= 10_000 else "projected"
        lines.append(f"tanh RNN N=4096, first 64 exponents, {dt}: {row['steps']} steps in {row['wall_s']:.0f} s wall{cpu}, "
                     f"{row['ms_per_step']:.1f} ms/step CPU -> {row['projected_10000_steps_s']:.0f} s CPU for 10,000 steps "
                     f"({what}); peak RSS {row['peak_rss_mib']:.0f} MiB; mean QR interval "
                     f"{row['mean_reortho_interval']:.1f}; lambda_max {row['lambda_max']:.4f}")
    if "float32_vs_float64" in rows:
        d = rows["float32_vs_float64"]
        lines.append(f"  float32 vs float64 (same start, {rows['float64']['steps']} steps): max |Δλ| {d['max_abs_diff']:.2e}, "
                     f"Δλ_max {d['lambda_max_diff']:+.2e}, max |Δλ|/stderr {d['max_diff_over_stderr']:.2f}")
    return lines


def big_only(steps: int, dtype: str | None) -> None:
    """``--only n4096``: one dtype of the N = 4096 section in this process (its own peak RSS), its row written to
    results/bench_rnn_spectrum_n4096_<dtype>.json, then merged with the other dtype's row (from that file or the
    combined one) into results/bench_rnn_spectrum_n4096.json and .md. ``dtype`` None (``--merge``): merge only."""
    import json

    RESULTS.mkdir(exist_ok=True)
    if dtype is not None:
        torch.set_num_threads(1)
        with threadpool_limits(1):
            load0 = os.getloadavg()[0]
            row = {**big_row(steps, dtype), "load_average_start": load0, "load_average_end": os.getloadavg()[0],
                   "threads": 1}
        write_json_atomic(RESULTS / f"bench_rnn_spectrum_n4096_{dtype}.json", row)
    path = RESULTS / "bench_rnn_spectrum_n4096.json"
    rows: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}  # read now: runs may overlap
    for dt in ("float64", "float32"):
        one = RESULTS / f"bench_rnn_spectrum_n4096_{dt}.json"
        if one.exists():
            rows[dt] = json.loads(one.read_text())
    rows.pop("float32_vs_float64", None)
    if "float64" in rows and "float32" in rows and rows["float64"]["steps"] == rows["float32"]["steps"]:
        rows["float32_vs_float64"] = float32_vs_float64(rows)
    write_json_atomic(path, rows)
    lines = big_lines(rows)
    print("\n".join(lines), flush=True)
    write_text_atomic(RESULTS / "bench_rnn_spectrum_n4096.md", "# bench_rnn_spectrum --only n4096\n\n```\n"
                      + "\n".join(lines) + "\n```\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=10_000, help="accumulation steps of the N = 256 CLI run")
    ap.add_argument("--naive-steps", type=int, default=200)
    ap.add_argument("--big-steps", type=int, default=1000, help="steps of the N = 4096 runs")
    ap.add_argument("--batch-steps", type=int, default=2000, help="steps of the batched and N = 1000 runs")
    ap.add_argument("--naive1000-steps", type=int, default=20, help="naive steps of the N = 1000 baseline")
    ap.add_argument("--floor-steps", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=3, help="repeats of (floor, N = 256 CLI run, floor)")
    ap.add_argument("--breakdown-steps", type=int, default=2000, help="steps of the timed-calls run")
    ap.add_argument("--quick", action="store_true", help="short runs (a smoke test, not the figures)")
    ap.add_argument("--only", choices=("all", "n4096", "limits"), default="all",
                    help="n4096: only the N = 4096 section, one --dtype, --big-steps steps; limits: only the "
                         "condition-limit sweep (--limit-steps)")
    ap.add_argument("--limit-steps", type=int, default=3000, help="steps of the condition-limit sweep")
    ap.add_argument("--dtype", choices=("float64", "float32"), default="float64", help="tangent dtype of --only n4096")
    ap.add_argument("--merge", action="store_true", help="with --only n4096: no run, merge the per-dtype rows")
    args = ap.parse_args()
    if args.only == "n4096":
        big_only(args.big_steps, None if args.merge else args.dtype)
        return
    if args.only == "limits":
        torch.set_num_threads(1)
        with threadpool_limits(1):
            rows = limit_rows(args.limit_steps if not args.quick else 200)
        rows["load_average"] = os.getloadavg()[0]
        lines = limit_lines(rows)
        print("\n".join(lines), flush=True)
        if not args.quick:
            RESULTS.mkdir(exist_ok=True)
            write_json_atomic(RESULTS / "bench_rnn_spectrum_limits.json", rows)
            write_text_atomic(RESULTS / "bench_rnn_spectrum_limits.md", "# bench_rnn_spectrum --only limits\n\n```\n"
                              + "\n".join(lines) + "\n```\n")
        return
    out_args = vars(args).copy()
    if args.quick:
        args.steps, args.naive_steps, args.big_steps = 500, 10, 20
    torch.set_num_threads(1)
    out: dict[str, Any] = {"threads": 1, "machine": platform.processor() or platform.machine(),
                           "load_average_start": os.getloadavg()[0], "arguments": out_args}
    lines: list[str] = []

    def say(s: str) -> None:
        print(s, flush=True)
        lines.append(s)

    def flush() -> None:  # after each section, so that a run stopped early keeps what it measured
        if args.quick:
            return
        RESULTS.mkdir(exist_ok=True)
        write_json_atomic(RESULTS / "bench_rnn_spectrum.json", out)
        write_text_atomic(RESULTS / "bench_rnn_spectrum.md", "# bench_rnn_spectrum\n\n```\n" + "\n".join(lines) + "\n```\n")

    with threadpool_limits(1):
        # ---------------------------------------------------------------- N = 256, full spectrum
        n = 256
        model = build_model("rnn", 1, n, gain=1.5, init="normal", seed=0, dtype=torch.float64)
        w = model.weight_hh.detach().clone()
        h0 = initial_conditions(model, 1, seed=1)
        fmap = model.as_map()
        c = time.process_time()
        naive = naive_spectrum(w, h0[0], args.naive_steps, n, seed=2)
        naive_ms = 1e3 * (time.process_time() - c) / args.naive_steps
        fsteps = args.floor_steps if not args.quick else 100
        # the machine's speed drifts (a VM: the floor moved 16 % within one earlier run), so the CLI run is
        # repeated, each time between two floor measurements; the figure is the median of the repeats' ratios
        reps_cli = args.repeats if not args.quick else 1
        repeats = []
        for _ in range(reps_cli):
            fb = floor_per_step(fmap, h0, n, fsteps)
            res, ms, wall = timed_spectrum(model, args.steps, n, 1, 1000, 0)
            fa = floor_per_step(fmap, h0, n, fsteps)
            repeats.append({"floor_before_ms": fb, "floor_after_ms": fa, "cli_ms_per_step": ms, "cli_wall_s": wall,
                            "ratio_to_floor": ms / (0.5 * (fb + fa))})
        mid = sorted(range(reps_cli), key=lambda i: repeats[i]["ratio_to_floor"])[reps_cli // 2]
        floor_before, floor_after = repeats[mid]["floor_before_ms"], repeats[mid]["floor_after_ms"]
        cli_ms, cli_wall = repeats[mid]["cli_ms_per_step"], repeats[mid]["cli_wall_s"]
        floor_ms = 0.5 * (floor_before + floor_after)
        ratios = [r["ratio_to_floor"] for r in repeats]
        out["n256_full"] = {"naive_ms_per_step": naive_ms, "naive_steps": args.naive_steps, "floor_ms_per_step": floor_ms,
                            "floor_before_ms": floor_before, "floor_after_ms": floor_after,
                            "cli_ms_per_step": cli_ms, "cli_wall_s": cli_wall, "steps": args.steps,
                            "repeats": repeats, "ratio_to_floor": cli_ms / floor_ms, "speedup_over_naive": naive_ms / cli_ms,
                            "mean_reortho_interval": res.mean_reortho_interval, "reortho_every_last": res.reortho_every,
                            "reortho_recomputed": res.reortho_recomputed, "lambda_max": res.lambda_max,
                            "lambda_max_stderr": float(res.stderr[0]), "naive_lambda_max": float(naive[0]),
                            "sum": res.sum}
        say(f"tanh RNN N=256, g=1.5, full spectrum (256 exponents), {args.steps} steps, 1 thread, CPU ms per step:")
        say(f"  naive (autograd Jacobian + np.linalg.qr every step, {args.naive_steps} steps): {naive_ms:.2f}")
        say(f"  J·Q floor (tangent_step alone: one map step and the matrix-free J·Q): {floor_ms:.3f} (mean of "
            f"{floor_before:.3f} before and {floor_after:.3f} after the CLI run, {fsteps} steps each; the median "
            f"of {reps_cli} repeats of floor, CLI run, floor; their ratios " + ", ".join(f"{r:.2f}" for r in ratios) + ")")
        say(f"  CLI default (reortho auto: mean interval {res.mean_reortho_interval:.2f}, last "
            f"{res.reortho_every}, {res.reortho_recomputed} blocks recomputed): {cli_ms:.3f} "
            f"= {cli_ms / floor_ms:.2f}x the floor, {naive_ms / cli_ms:.1f}x faster than naive "
            f"({cli_wall:.1f} s wall)")
        say(f"  lambda_max {res.lambda_max:.4f} ± {res.stderr[0]:.4f}; naive ({args.naive_steps} steps) "
            f"{naive[0]:.4f}; sum {res.sum:.4f}")
        flush()

        # ---------------------------------------------------------------- where the time goes
        bd = time_breakdown(model, args.breakdown_steps if not args.quick else 100, n)
        out["n256_breakdown"] = bd
        say(f"  where the time goes (separate {bd['steps']}-step run, timers around each call; CPU ms per tangent step): "
            f"total {bd['total_ms_per_step']:.3f} = tangent steps {bd['tangent_step']['ms_per_step']:.3f} "
            f"({bd['tangent_step']['calls']} calls of {bd['tangent_step']['ms_per_call']:.3f}; {bd['steps'] + 100} "
            f"accumulation + alignment steps, the rest recomputed blocks and the shape check) + steps after a QR "
            f"(J formed, J Q by ?ormqr) {bd['tangent_step_householder']['ms_per_step']:.3f} "
            f"({bd['tangent_step_householder']['calls']} calls of {bd['tangent_step_householder']['ms_per_call']:.3f}) "
            f"+ QR (geqrf, Q kept as reflectors) {bd['qr_factored']['ms_per_step']:.3f} "
            f"({bd['qr_factored']['calls']} calls of {bd['qr_factored']['ms_per_call']:.2f}) + QR (Q formed) "
            f"{bd['qr']['ms_per_step']:.3f} ({bd['qr']['calls']} calls of {bd['qr']['ms_per_call']:.2f}) + state steps "
            f"{bd['step']['ms_per_step']:.3f} ({bd['step']['calls']} calls) + rest (loop, checks, schedule, "
            f"summary) {bd['rest']['ms_per_step']:.3f}; {bd['reortho_recomputed']} blocks recomputed")
        flush()

        # ---------------------------------------------------------------- QR kernels on the 256 x 256 frame
        frame = np.linalg.qr(np.random.default_rng(0).standard_normal((1, n, n)))[0] @ np.diag(
            np.exp(-np.linspace(0, 20, n)))[None]  # columns spanning e^20 ~ 5e8: a realistic block
        reps = 30 if not args.quick else 3
        kern = {"np.linalg.qr": cpu_per_call(lambda: np.linalg.qr(frame), reps),
                "scipy geqrf+orgqr (OpenBLAS)": cpu_per_call(lambda: scipy_householder_qr(frame), reps),
                "torch geqrf+householder_product (engine)": cpu_per_call(lambda: householder_qr(frame), reps),
                "torch.linalg.qr": cpu_per_call(lambda: torch.linalg.qr(torch.from_numpy(frame)), reps),
                "cholesky-qr2": cpu_per_call(lambda: cholesky_qr2(frame[0]), reps)}
        interval = res.mean_reortho_interval
        # Cholesky-QR2 needs cond < 1e8: intervals log(1e8)/log(1e12) as long as the Householder ones
        eff = {name: floor_ms + ms / (interval * (8 / 12 if name == "cholesky-qr2" else 1.0))
               for name, ms in kern.items()}
        out["qr_kernels_ms"] = kern
        out["qr_effective_ms_per_step"] = eff
        say("  QR of the 256x256 frame, CPU ms per call: " + ", ".join(f"{k} {v:.2f}" for k, v in kern.items()))
        say("  -> ms per step at the adaptive interval (Cholesky-QR2 at 2/3 of it, cond < 1e8): "
            + ", ".join(f"{k} {v:.2f}" for k, v in eff.items()))
        flush()

        # ---------------------------------------------------------------- batched initial conditions
        bsteps = args.batch_steps if not args.quick else 100
        _, one_ms, _ = timed_spectrum(model, bsteps, 32, 1, 200, 0)
        _, four_ms, _ = timed_spectrum(model, bsteps, 32, 4, 200, 0)
        out["batched"] = {"n": n, "k": 32, "steps": bsteps, "ms_per_step_1ic": one_ms, "ms_per_step_4ics": four_ms,
                          "per_ic_ratio": four_ms / 4 / one_ms}
        say(f"  batched ICs (N=256, k=32, {bsteps} steps): 1 IC {one_ms:.3f} ms/step, 4 ICs {four_ms:.3f} ms/step "
            f"-> {four_ms / 4 / one_ms:.2f}x per IC of one")
        flush()

        # ---------------------------------------------------------------- N = 1000, first 32
        big = build_model("rnn", 1, 1000, gain=1.5, init="normal", seed=0, dtype=torch.float64)
        hb = initial_conditions(big, 1, seed=1)
        nsteps = args.naive1000_steps if not args.quick else 2
        c = time.process_time()
        naive_spectrum(big.weight_hh.detach().clone(), hb[0], nsteps, 32, seed=2)
        naive1000 = 1e3 * (time.process_time() - c) / nsteps
        r1000, ms1000, _ = timed_spectrum(big, args.batch_steps if not args.quick else 50, 32, 1, 1000, 0)
        out["n1000_k32"] = {"naive_ms_per_step": naive1000, "naive_steps": nsteps, "cli_ms_per_step": ms1000,
                            "speedup_over_naive": naive1000 / ms1000, "mean_reortho_interval": r1000.mean_reortho_interval,
                            "lambda_max": r1000.lambda_max}
        say(f"tanh RNN N=1000, first 32 exponents: naive {naive1000:.1f} ms/step ({nsteps} steps), CLI default "
            f"{ms1000:.3f} ms/step (interval {r1000.mean_reortho_interval:.1f}) -> {naive1000 / ms1000:.0f}x")
        flush()

        # ---------------------------------------------------------------- N = 4096, first 64
        rows = {dt: big_row(args.big_steps, dt) for dt in ("float64", "float32")}
        out["n4096_k64"] = {**rows, "float32_vs_float64": float32_vs_float64(rows)}
        for line in big_lines(out["n4096_k64"]):
            say(line)
        sep = RESULTS / "bench_rnn_spectrum_n4096.json"
        if sep.exists() and not args.quick:
            import json

            out["n4096_k64_separate"] = json.loads(sep.read_text())
            say("  the same at 10,000 steps, one process per dtype (`--only n4096 --big-steps 10000 --dtype D`, "
                "results/bench_rnn_spectrum_n4096.json):")
            for line in big_lines(out["n4096_k64_separate"]):
                say("  " + line)

    out["load_average_end"] = os.getloadavg()[0]
    busy = max(out["load_average_start"], out["load_average_end"]) > 1.5  # this process alone counts as ~1
    say(f"(load average {out['load_average_start']:.2f} at start, {out['load_average_end']:.2f} at end: "
        + ("other jobs shared the cores; the ratios are measured in the same process and remain valid)" if busy
           else "no other jobs ran)"))
    flush()


if __name__ == "__main__":
    main()
