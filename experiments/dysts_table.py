"""Our λ₁ of every dysts system beside the value dysts stores (``maximum_lyapunov_estimated``).

Resumable: each finished system is appended as one JSON line to
``experiments/results/dysts_lyapunov/journal.jsonl``; a rerun skips systems already there. Each system
runs in its own subprocess under a time limit (``--limit`` seconds; a timeout is journaled too).
Settings are those of ``rnnchaos lyapunov dysts:NAME`` (RK4 step chosen by step doubling from the
multiple of dysts' ``dt`` nearest period/100, see ``rnnchaos.systems.step_choice``; 100 periods
accumulated), with ``--ics`` initial conditions. Exponents are per unit time of dysts' equations.
``--reuse OLD.jsonl`` carries a system's row over from an older journal when the chosen step equals the
step of that row (the computation is then the same; the row says so). ``--table`` writes ``table.md``
from whatever the journal holds.

Usage (one core):
    OMP_NUM_THREADS=1 nice -n 19 .venv/bin/python experiments/dysts_table.py [--limit 120] [--ics 16] \
        [--reuse experiments/results/dysts_lyapunov/journal_h0.jsonl]
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
#: the previous default run (RK4 step = the multiple of dysts' dt nearest period/100, no step control)
JOURNAL_H0 = OUT / "journal_h0.jsonl"
#: reruns at a finer step (``--refine F``: step / F over the same time span), one line per system
REFINED = OUT / "refined.jsonl"
#: independent λ₁ by the variational equations and adaptive DOP853 (experiments/dysts_independent.py)
INDEPENDENT = OUT / "independent.jsonl"
#: published values at dysts' (standard) parameters: Sprott, Chaos and Time-Series Analysis (2003), App. A;
#: Chen: Chen & Ueta (1999) / Lü & Chen (2002), a=35, b=3, c=28 (2.0272, 0, -12.0272; sum = c - a - b);
#: SprottJerk, A = 2.017: Sprott, Phys. Lett. A 228, 271 (1997), as recomputed (RK4, step 0.001) at
#: sites.google.com/view/lyapunov-spectrum/home/sprott_eqs: 0.0551, 0, -2.0721
#: step-sensitive at the old default step (Lorenz84) or sign flags that might be (journal_h0.jsonl)
SUSPECT = ("Lorenz84", "BelousovZhabotinsky", "CaTwoPlusQuasiperiodic", "ForcedFitzHughNagumo", "MacArthur")
PUBLISHED = {"Lorenz": 0.9056, "Rossler": 0.0714, "Chen": 2.0272, "SprottJerk": 0.0551}


def one(name: str, ics: int, refine: int = 1) -> dict[str, Any]:
    """λ spectrum of ``dysts:name`` with the CLI's defaults (our engine); ``refine``: step / refine, same time span."""
    import warnings

    import numpy as np

    from rnnchaos.dynamics.lyapunov_spectrum import LyapunovSpectrumWarning, lyapunov_spectrum
    from rnnchaos.systems import get_system

    s = get_system("dysts:" + name)
    t_step = time.perf_counter()
    d = s.lyapunov_defaults()  # chooses the step
    t_step = time.perf_counter() - t_step
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LyapunovSpectrumWarning)
        res = lyapunov_spectrum(s.as_map(d.dt / refine), s.default_initial_conditions(ics, rng), d.steps * refine,
                                transient=d.transient * refine, tangent_transient=d.tangent_transient * refine,
                                reortho_every=d.reortho_every, seed=rng)
    return {"system": name, "status": "ok", "lambda1": float(res.exponents[0]),
            "exponents": [float(v) for v in res.exponents], "stderr1": float(res.stderr[0]),
            "dysts_lambda_max": s.dysts_maximum_lyapunov, "dt": d.dt / refine, "refine": refine, "dysts_dt": s.dysts_dt, "period": s.period,
            "steps": d.steps, "ics": ics, "nonautonomous": s.nonautonomous, "dysts_jacobian": s.has_dysts_jacobian,
            "warnings": list(res.warnings), "seconds": round(time.perf_counter() - t0, 1),
            "step_choice": s.step_choice.to_dict(), "step_seconds": round(t_step, 1),  # type: ignore[attr-defined]
            "run": "computed"}


def reusable(name: str, old: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The older journal's row of ``name``, if it is a finished run at the step chosen now (else None)."""
    from rnnchaos.systems import get_system

    r = old.get(name)
    if r is None or r.get("status") != "ok" or r.get("refine", 1) != 1:
        return None
    choice = get_system("dysts:" + name).step_choice  # type: ignore[attr-defined]
    if choice.divisor != 1 or not math.isclose(choice.dt, r["dt"], rel_tol=1e-12):
        return None
    return {**r, "step_choice": choice.to_dict(), "run": "reused (step unchanged)"}


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def done(path: Path = JOURNAL) -> set[str]:
    return {r["system"] for r in _rows(path)}


def journal(row: dict[str, Any], path: Path = JOURNAL) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:  # one line per system, appended whole and fsynced
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
    rows = sorted(_rows(JOURNAL), key=lambda r: r["system"])
    old = {r["system"]: r for r in _rows(JOURNAL_H0)}
    refined = {r["system"]: r for r in _rows(REFINED)}
    indep = {r["system"]: r for r in _rows(INDEPENDENT)}
    ok = [r for r in rows if r["status"] == "ok"]
    spec1 = dysts_spectrum_first()
    flagged = [r for r in ok if flag(r["lambda1"], r.get("dysts_lambda_max"))]
    both = [r for r in ok if r["system"] in spec1 and r.get("dysts_lambda_max") is not None]
    self_flag = sum(1 for r in both if flag(spec1[r["system"]], r["dysts_lambda_max"]))
    above = sum(1 for r in flagged if r["dysts_lambda_max"] > r["lambda1"])
    lines = ["# λ₁ of the dysts systems: ours beside dysts' stored value", "",
             f"{len(ok)} of {total} dysts ODE systems computed ({len(rows) - len(ok)} failed or timed out at the "
             f"default step; {total - len(rows)} not run). λ₁ per unit time of dysts' equations; ours: tangent-space "
             "QR (Benettin 1980) on the RK4 map, 100 periods, after 20 periods of transient, at the step chosen by "
             "`rnnchaos.systems.step_choice` (step doubling, RK4 local error ≤ 1e-4 of the attractor size at the 99 % "
             "quantile, halved on blow-up) from h0 = the multiple of dysts' dt nearest period/100: dt = h0/÷. "
             "'run': computed in this run, or reused from `journal_h0.jsonl` (the previous run at h0) where the chosen "
             "step is h0 itself (÷ = 1: the same computation). 'ours at h0': that previous run (blank where the "
             "step is unchanged; '—' where it failed). "
             "dysts: `maximum_lyapunov_estimated` of its metadata (dysts 0.96). Flag: sign differs, or "
             "|ours − dysts| > 10 % of dysts'. ± is our standard error over initial conditions. "
             "'dysts spectrum λ₁' is the first of its `lyapunov_spectrum_estimated` (not compared). "
             "'ours at dt/F': our engine rerun at a F times finer step over the same time span "
             "(`--refine F --only ...`, refined.jsonl). 'independent': variational equations integrated by "
             "adaptive DOP853 from dysts' initial condition, 1000 periods (`experiments/dysts_independent.py`, "
             "independent.jsonl). Published values (note column): Sprott (2003), Sprott (1997), Chen & Ueta (1999). "
             "dt and period in dysts' time units. Made by `experiments/dysts_table.py --table`; findings in "
             "README.md beside this file.", "",
             f"Flagged against `maximum_lyapunov_estimated`: {len(flagged)} of {len(ok)} computed; in {above} of "
             f"them dysts' value is the larger. Against dysts' spectrum λ₁ instead, "
             f"{sum(1 for r in ok if r['system'] in spec1 and flag(r['lambda1'], spec1[r['system']]))}"
             f" of {sum(1 for r in ok if r['system'] in spec1)} would be flagged. dysts' two stored estimates "
             f"disagree with each other by the same test in {self_flag} of {len(both)}.", "",
             "| system | ours λ₁ | ± | dysts λ₁ (max_lyapunov_estimated) | flag | dysts spectrum λ₁ | ours at dt/F "
             "| independent | dt | ÷ | ours at h0 | run | period | note |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]

    def fine(name: str) -> str:
        r = refined.get(name)
        if r is None:
            return ""
        if r["status"] != "ok":
            return f"F={r['refine']}: {r['status'].split(':')[0].split(' >')[0]}"
        return f"{r['lambda1']:.4g} ± {r['stderr1']:.2g} (F={r['refine']})"

    def ind(name: str) -> str:
        r = indep.get(name)
        return "" if r is None else f"{r['lambda1']:.4g} ± {r['stderr1']:.2g}"

    def at_h0(name: str, divisor: Any) -> str:
        r = old.get(name)
        if r is None or divisor == 1:
            return ""
        return f"{r['lambda1']:.4g}" if r["status"] == "ok" else "— (" + r["status"].split(":")[0].split(" >")[0] + ")"

    for r in rows:
        name = r["system"]
        div = (r.get("step_choice") or {}).get("divisor", "")
        run = {"computed": "this", "reused (step unchanged)": "reused"}.get(r.get("run", ""), r.get("run", ""))
        if r["status"] != "ok":
            theirs = r.get("dysts_lambda_max")
            lines.append(f"| {name} | — | | {'' if theirs is None else format(theirs, '.4g')} | | "
                         f"{format(spec1[name], '.4g') if name in spec1 else ''} | {fine(name)} | {ind(name)} | | "
                         f"{div} | {at_h0(name, div)} | {run or 'this'} | | "
                         f"not computed at the default step: {r['status'].replace('|', '/')} |")
            continue
        note = []
        if r["nonautonomous"]:
            note.append("time appended")
        if not r["dysts_jacobian"]:
            note.append("FD Jacobian")
        if name in PUBLISHED:
            note.append(f"published: {PUBLISHED[name]}")
        theirs = r["dysts_lambda_max"]
        lines.append(f"| {name} | {r['lambda1']:.4g} | {r['stderr1']:.2g} | "
                     f"{'' if theirs is None else format(theirs, '.4g')} | {flag(r['lambda1'], theirs)} | "
                     f"{format(spec1[name], '.4g') if name in spec1 else ''} | {fine(name)} | {ind(name)} | "
                     f"{r['dt']:.3g} | {div} | {at_h0(name, div)} | {run} | {r['period']:.3g} | {'; '.join(note)} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=float, default=120.0, help="seconds per system")
    ap.add_argument("--ics", type=int, default=16)
    ap.add_argument("--one", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--table", action="store_true", help="only write table.md from the journal")
    ap.add_argument("--only", nargs="*", default=None, help="these systems only")
    ap.add_argument("--reuse", default=None, help="older journal whose rows are carried over where the step is unchanged")
    ap.add_argument("--refine", type=int, default=1,
                    help="step / REFINE over the same time span; journaled in refined.jsonl (with --only)")
    a = ap.parse_args()
    if a.one:
        print(json.dumps(one(a.one, a.ics, a.refine)))
        return 0
    from rnnchaos._util.atomic import write_text_atomic
    from rnnchaos.systems.dysts_flows import dysts_system_names

    names = dysts_system_names()
    if not a.table:
        path = REFINED if a.refine > 1 else JOURNAL
        finished = done(path)
        old = {r["system"]: r for r in _rows(Path(a.reuse))} if a.reuse else {}
        first = ([n for n in PUBLISHED if n in names] + [n for n in names if old.get(n, {}).get("status", "ok") != "ok"]
                 + [n for n in SUSPECT if n in names])
        order = list(dict.fromkeys(first + names))  # checked ones and the old failures first
        for name in a.only or order:
            if name in finished:
                continue
            t0 = time.perf_counter()
            try:
                kept = reusable(name, old) if old and a.refine == 1 else None
            except ValueError:  # the step chooser failed: the subprocess below journals the error
                kept = None
            if kept is not None:
                journal(kept, path)
                print(f"{name}: reused {kept['lambda1']} (step unchanged)", flush=True)
                continue
            try:
                p = subprocess.run([sys.executable, __file__, "--one", name, "--ics", str(a.ics), "--refine", str(a.refine)],
                                   capture_output=True, text=True, timeout=a.limit)
                last = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
                row = json.loads(last) if p.returncode == 0 and last else {
                    "system": name, "status": "error: " + (p.stderr.strip().splitlines() or ["?"])[-1][:200]}
            except subprocess.TimeoutExpired:
                row = {"system": name, "status": f"timeout > {a.limit:g} s"}
            row["refine"] = a.refine
            if row["status"] != "ok":
                try:
                    from rnnchaos.systems import get_system

                    row["dysts_lambda_max"] = get_system("dysts:" + name).dysts_maximum_lyapunov  # type: ignore[attr-defined]
                except Exception:  # noqa: BLE001
                    pass
            journal(row, path)
            print(f"{name}: {row.get('lambda1', row['status'])} ({time.perf_counter() - t0:.0f} s)", flush=True)
    write_text_atomic(OUT / "table.md", table(len(names)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
