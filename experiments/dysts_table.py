"""Our λ₁ of every dysts system beside the value dysts stores (``maximum_lyapunov_estimated``).

Resumable: each finished system is appended as one JSON line to
``experiments/results/dysts_lyapunov/journal.jsonl``; a rerun skips systems already there. Each system
runs in its own subprocess under a time limit (``--limit`` seconds; a timeout is journaled too).
Settings are those of ``rnnchaos lyapunov dysts:NAME`` (RK4 step: the multiple of dysts' ``dt`` nearest
period/100; 100 periods accumulated), with ``--ics`` initial conditions. Exponents are per unit time
of dysts' equations. ``--table`` writes ``table.md`` from whatever the journal holds.

Usage (one core):
    OMP_NUM_THREADS=1 nice -n 19 .venv/bin/python experiments/dysts_table.py [--limit 120] [--ics 16]
    .venv/bin/python experiments/dysts_table.py --table
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "results" / "dysts_lyapunov"
JOURNAL = OUT / "journal.jsonl"
#: independent values at dysts' (standard) parameters: Sprott, Chaos and Time-Series Analysis (2003), App. A;
#: Chen: Chen & Ueta (1999) / Lü & Chen (2002), a=35, b=3, c=28 (2.0272, 0, -12.0272; sum = c - a - b)
SPROTT = {"Lorenz": 0.9056, "Rossler": 0.0714, "Chen": 2.0272}


def one(name: str, ics: int) -> dict[str, Any]:
    """λ spectrum of ``dysts:name`` with the CLI's defaults (our engine)."""
    import warnings

    import numpy as np

    from rnnchaos.dynamics.lyapunov_spectrum import LyapunovSpectrumWarning, lyapunov_spectrum
    from rnnchaos.systems import get_system

    s = get_system("dysts:" + name)
    d = s.lyapunov_defaults()
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LyapunovSpectrumWarning)
        res = lyapunov_spectrum(s.as_map(d.dt), s.default_initial_conditions(ics, rng), d.steps,
                                transient=d.transient, tangent_transient=d.tangent_transient,
                                reortho_every=d.reortho_every, seed=rng)
    return {"system": name, "status": "ok", "lambda1": float(res.exponents[0]),
            "exponents": [float(v) for v in res.exponents], "stderr1": float(res.stderr[0]),
            "dysts_lambda_max": s.dysts_maximum_lyapunov, "dt": d.dt, "dysts_dt": s.dysts_dt, "period": s.period,
            "steps": d.steps, "ics": ics, "nonautonomous": s.nonautonomous, "dysts_jacobian": s.has_dysts_jacobian,
            "warnings": list(res.warnings), "seconds": round(time.perf_counter() - t0, 1)}


def done() -> set[str]:
    if not JOURNAL.exists():
        return set()
    return {json.loads(line)["system"] for line in JOURNAL.read_text().splitlines() if line.strip()}


def journal(row: dict[str, Any]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with open(JOURNAL, "a") as fh:  # one line per system, appended whole and fsynced
        fh.write(json.dumps(row) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def flag(ours: float | None, theirs: float | None) -> str:
    if ours is None or theirs is None or not (math.isfinite(ours) and math.isfinite(theirs)):
        return ""
    if (ours > 0) != (theirs > 0):
        return "sign"
    return ">10%" if abs(ours - theirs) > 0.1 * abs(theirs) else ""


def dysts_spectrum_first() -> dict[str, float]:
    """λ₁ of dysts' stored ``lyapunov_spectrum_estimated`` (the 1.09 of Lorenz), by system."""
    from importlib import resources

    meta = json.loads(resources.files("dysts").joinpath("data/chaotic_attractors.json").read_text())
    return {k: float(v["lyapunov_spectrum_estimated"][0]) for k, v in meta.items()
            if v.get("lyapunov_spectrum_estimated")}


def table(total: int) -> str:
    rows = [json.loads(line) for line in JOURNAL.read_text().splitlines() if line.strip()] if JOURNAL.exists() else []
    rows.sort(key=lambda r: r["system"])
    ok = [r for r in rows if r["status"] == "ok"]
    spec1 = dysts_spectrum_first()
    flagged = [r for r in ok if flag(r["lambda1"], r.get("dysts_lambda_max"))]
    lines = ["# λ₁ of the dysts systems: ours beside dysts' stored value", "",
             f"{len(ok)} of {total} dysts ODE systems computed ({len(rows) - len(ok)} failed or timed out). "
             "λ₁ per unit time of dysts' equations; ours: tangent-space QR (Benettin 1980) on the RK4 map, step "
             "dt = the multiple of dysts' dt nearest period/100, 100 periods, after 20 periods of transient; "
             "dysts: `maximum_lyapunov_estimated` of its metadata (dysts 0.96). Flag: sign differs, or "
             "|ours − dysts| > 10 % of dysts'. ± is our standard error over initial conditions. "
             "'dysts spectrum λ₁' is the first of its `lyapunov_spectrum_estimated` (not compared). "
             "dt and period in dysts' time units. Independent values (note column): Sprott (2003), "
             "Chen & Ueta (1999). Made by `experiments/dysts_table.py --table`.", "",
             f"Flagged against `maximum_lyapunov_estimated`: {len(flagged)} of {len(ok)} computed. Against dysts' "
             f"spectrum λ₁ instead, {sum(1 for r in ok if r['system'] in spec1 and flag(r['lambda1'], spec1[r['system']]))}"
             f" of {sum(1 for r in ok if r['system'] in spec1)} would be flagged.", "",
             "| system | ours λ₁ | ± | dysts λ₁ (max_lyapunov_estimated) | flag | dysts spectrum λ₁ | dt | period | note |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["status"] != "ok":
            theirs = r.get("dysts_lambda_max")
            lines.append(f"| {r['system']} | — | | {'' if theirs is None else format(theirs, '.4g')} | | | | | "
                         f"not computed: {r['status'].replace('|', '/')} |")
            continue
        note = []
        if r["nonautonomous"]:
            note.append("time appended")
        if not r["dysts_jacobian"]:
            note.append("FD Jacobian")
        if r["system"] in SPROTT:
            note.append(f"independent: {SPROTT[r['system']]}")
        theirs = r["dysts_lambda_max"]
        lines.append(f"| {r['system']} | {r['lambda1']:.4g} | {r['stderr1']:.2g} | "
                     f"{'' if theirs is None else format(theirs, '.4g')} | {flag(r['lambda1'], theirs)} | "
                     f"{format(spec1[r['system']], '.4g') if r['system'] in spec1 else ''} | {r['dt']:.3g} | {r['period']:.3g} | {'; '.join(note)} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=float, default=120.0, help="seconds per system")
    ap.add_argument("--ics", type=int, default=16)
    ap.add_argument("--one", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--table", action="store_true", help="only write table.md from the journal")
    ap.add_argument("--only", nargs="*", default=None, help="these systems only")
    a = ap.parse_args()
    if a.one:
        print(json.dumps(one(a.one, a.ics)))
        return 0
    from rnnchaos._util.atomic import write_text_atomic
    from rnnchaos.systems.dysts_flows import dysts_system_names

    names = dysts_system_names()
    if not a.table:
        finished = done()
        order = [n for n in SPROTT if n in names] + [n for n in names if n not in SPROTT]  # checked ones first
        for name in a.only or order:
            if name in finished:
                continue
            t0 = time.perf_counter()
            try:
                p = subprocess.run([sys.executable, __file__, "--one", name, "--ics", str(a.ics)],
                                   capture_output=True, text=True, timeout=a.limit)
                last = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
                row = json.loads(last) if p.returncode == 0 and last else {
                    "system": name, "status": "error: " + (p.stderr.strip().splitlines() or ["?"])[-1][:200]}
            except subprocess.TimeoutExpired:
                row = {"system": name, "status": f"timeout > {a.limit:g} s"}
            if row["status"] != "ok":
                try:
                    from rnnchaos.systems import get_system

                    row["dysts_lambda_max"] = get_system("dysts:" + name).dysts_maximum_lyapunov  # type: ignore[attr-defined]
                except Exception:  # noqa: BLE001
                    pass
            journal(row)
            print(f"{name}: {row.get('lambda1', row['status'])} ({time.perf_counter() - t0:.0f} s)", flush=True)
    write_text_atomic(OUT / "table.md", table(len(names)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
