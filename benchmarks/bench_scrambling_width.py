"""Benchmark: CPU cost per network of the exact P(period 3) width study, and the full run's CPU time.

For He networks ``f(x) = a . relu(w x + b) + c`` at widths 64, 1024, 4096, 16384 (and 65536 on a small
batch) we time :func:`rnnchaos.maps1d.montecarlo.chaos_probability` (sampling, the vectorised PL build, the
numba 3-cycle kernel and the f o f check for certified positive entropy) on one thread, numba warmed up.
The width-16,384 row is one full batch of ``CHUNK`` = 1000 networks. The estimate of the full run
(``rnnchaos reproduce scrambling-width``: widths 2 ... 16,384, He, LeCun, Glorot, 10^5 networks each)
interpolates the measured cost log-log between widths (widths below 64 are charged the width-64 cost).

Writes ``benchmarks/results/scrambling_width_cost.json``.
Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_scrambling_width.py``
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from rnnchaos._util.atomic import write_json_atomic  # noqa: E402
from rnnchaos.maps1d.fast import warmup  # noqa: E402
from rnnchaos.maps1d.init import InitSpec  # noqa: E402
from rnnchaos.maps1d.montecarlo import chaos_probability  # noqa: E402
from rnnchaos.reproductions.scrambling_width import WIDTHS  # noqa: E402

CASES = ((64, 20_000), (1024, 2_000), (4096, 1_000), (16384, 1_000), (65536, 50))
NETWORKS_PER_WIDTH = 100_000
N_INITS = 3


def measure() -> list[dict[str, float]]:
    rows = []
    for width, n in CASES:
        t0 = time.process_time()
        w0 = time.perf_counter()
        res = chaos_probability(InitSpec(width=width, init="he"), trials=n, seed=12345, workers=1)
        cpu = time.process_time() - t0
        rows.append({"width": width, "networks": n, "cpu_s": cpu, "wall_s": time.perf_counter() - w0,
                     "ms_per_network": 1e3 * cpu / n, "p_period3": res.p_period3})
        print(f"width {width:6d}: {n:6d} networks, {cpu:7.2f} CPU s, {1e3 * cpu / n:8.4f} ms/network")
    return rows


def estimate(rows: list[dict[str, float]], widths: tuple[int, ...]) -> dict[str, float]:
    lw = np.log([r["width"] for r in rows])
    lc = np.log([r["ms_per_network"] for r in rows])
    per = {w: float(np.exp(np.interp(np.log(max(w, 64)), lw, lc))) for w in widths}
    total = {str(w): N_INITS * NETWORKS_PER_WIDTH * ms / 1e3 for w, ms in per.items()}
    return {"per_width_cpu_s_all_inits": total, "total_cpu_h": sum(total.values()) / 3600}


def main() -> None:
    with threadpool_limits(limits=1):
        warmup()
        rows = measure()
    full = estimate(rows, WIDTHS)
    with_65536 = estimate(rows, (*WIDTHS, 65536))
    print(f"full run (widths {WIDTHS[0]}..{WIDTHS[-1]}, {N_INITS} inits, {NETWORKS_PER_WIDTH} networks): "
          f"{full['total_cpu_h']:.2f} CPU hours; with 65,536: {with_65536['total_cpu_h']:.2f}")
    out = Path(__file__).parent / "results" / "scrambling_width_cost.json"
    write_json_atomic(out, {"machine": platform.processor() or platform.machine(), "threads": 1, "rows": rows,
                            "estimate": full, "estimate_with_65536": with_65536,
                            "command": "OMP_NUM_THREADS=1 nice -n 19 python benchmarks/bench_scrambling_width.py"})
    print(json.dumps({"written": str(out)}))


if __name__ == "__main__":
    main()
