"""An independent check of λ₁ for a few dysts systems: Benettin et al. (1980) on the variational equations.

Independent of our engine in everything but dysts' equations: the state and one tangent vector are
integrated together by SciPy's adaptive DOP853 (``rtol = atol = 1e-10``, Hairer, Nørsett & Wanner 1993),
with the tangent equation ``v' = J(x) v`` (dysts' ``jac``, or a central difference of its ``rhs``),
renormalised every ``period / 10`` (the first 10 periods not counted); λ₁ = mean log-growth per unit time. One long orbit from dysts' stored
initial condition (``ic``), ``--transient`` periods discarded, ``--periods`` accumulated; ± is the standard
error of the mean over 8 consecutive blocks. Cost: one adaptive solve per renormalisation interval.

Results are appended to ``experiments/results/dysts_lyapunov/independent.jsonl`` (one line per system; a
rerun skips systems already there); ``dysts_table.py --table`` shows them beside ours.

Usage (one core):
    OMP_NUM_THREADS=1 nice -n 19 .venv/bin/python experiments/dysts_independent.py Rossler Chua
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

JOURNAL = Path(__file__).resolve().parent / "results" / "dysts_lyapunov" / "independent.jsonl"
BLOCKS = 8


def lambda1_variational(name: str, periods: float, transient: float, rtol: float) -> dict[str, Any]:
    """λ₁ (per unit time of dysts' equations) of ``dysts.flows.<name>`` by the variational equations."""
    import dysts.flows as dfl
    from scipy.integrate import solve_ivp

    eq = getattr(dfl, name)()
    if eq.nonautonomous:
        raise ValueError(f"{name} is non-autonomous; this check takes autonomous systems only")
    n = len(eq.ic)
    has_jac = bool(eq.has_jacobian())

    def jac(x: np.ndarray, t: float) -> np.ndarray:
        if has_jac:
            return np.asarray(eq.jac(x, t), dtype=float)
        h = 1e-6 * np.maximum(1.0, np.abs(x))
        cols = [(np.asarray(eq.rhs(x + h[i] * e, t)) - np.asarray(eq.rhs(x - h[i] * e, t))) / (2 * h[i])
                for i, e in enumerate(np.eye(n))]
        return np.stack(cols, axis=1)

    def f(t: float, y: np.ndarray) -> np.ndarray:
        x, v = y[:n], y[n:]
        return np.concatenate([np.asarray(eq.rhs(x, t), dtype=float), jac(x, t) @ v])

    t0 = time.perf_counter()
    interval = eq.period / 10
    x = np.asarray(eq.ic, dtype=float)
    sol = solve_ivp(lambda t, y: np.asarray(eq.rhs(y, t), dtype=float), (0.0, transient * eq.period), x,
                    method="DOP853", rtol=rtol, atol=rtol)
    x = sol.y[:, -1]
    v = np.random.default_rng(0).standard_normal(n)
    v /= np.linalg.norm(v)
    logs: list[float] = []
    t = 0.0
    skip = 100  # the first 10 periods align v with the leading direction (tangent transient); not counted
    for _ in range(skip + int(round(periods * 10))):
        sol = solve_ivp(f, (t, t + interval), np.concatenate([x, v]), method="DOP853", rtol=rtol, atol=rtol)
        if not sol.success or not np.all(np.isfinite(sol.y[:, -1])):
            raise RuntimeError(f"{name}: integration failed at t = {t:.4g}: {sol.message}")
        x, v = sol.y[:n, -1], sol.y[n:, -1]
        g = float(np.linalg.norm(v))
        logs.append(np.log(g))
        v /= g
        t += interval
    logs = logs[skip:]
    per_block = np.array(logs[: len(logs) // BLOCKS * BLOCKS]).reshape(BLOCKS, -1).sum(axis=1)
    per_block /= interval * (len(logs) // BLOCKS)
    return {"system": name, "lambda1": float(np.sum(logs) / (interval * len(logs))),
            "stderr1": float(per_block.std(ddof=1) / np.sqrt(BLOCKS)), "method": "variational DOP853",
            "rtol": rtol, "periods": periods, "transient_periods": transient, "time": interval * len(logs),
            "dysts_jacobian": has_jac, "seconds": round(time.perf_counter() - t0, 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("systems", nargs="+", help="dysts names (CamelCase)")
    ap.add_argument("--periods", type=float, default=1000.0)
    ap.add_argument("--transient", type=float, default=50.0)
    ap.add_argument("--rtol", type=float, default=1e-10)
    a = ap.parse_args()
    seen = {json.loads(s)["system"] for s in JOURNAL.read_text().splitlines() if s.strip()} if JOURNAL.exists() else set()
    for name in a.systems:
        if name in seen:
            continue
        row = lambda1_variational(name, a.periods, a.transient, a.rtol)
        JOURNAL.parent.mkdir(parents=True, exist_ok=True)
        with open(JOURNAL, "a") as fh:  # one line per system, appended whole and fsynced
            fh.write(json.dumps(row) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        print(f"{name}: {row['lambda1']:.4g} ± {row['stderr1']:.2g} ({row['seconds']} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
