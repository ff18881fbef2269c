"""Markdown tables of the STF reproduction results (for docs/results_stf.md), from experiments/results/.

Usage: .venv/bin/python experiments/results_table.py [--write-doc]
(--write-doc fills experiments/results_stf.template.md and writes docs/results_stf.md)
Prints (1) best D_stsp and D_H per data set (stf2022 preset) beside the published best and the data's
noise floor, (2) every Lorenz-63 run of the tau sweep, (3) the ablations.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from rnnchaos.reproductions.stf_common import DATASETS, load_paper_curves

R = Path(__file__).resolve().parent / "results"


def _f(v: Any, d: int = 3) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    if abs(v) >= 1:
        return f"{v:.2f}"
    return f"{v:.{max(d, 4)}f}" if abs(v) >= 1e-4 else f"{v:.1e}"


def best_table() -> str:
    paper = load_paper_curves()
    lines = ["| data set | metric | ours: best (model, tau, budget, epochs) | paper: best (model, tau) | "
             "noise floor (data halves) |", "|---|---|---|---|---|"]
    for ds in DATASETS:
        path = R / f"stf_tau_sweep_{ds}" / "tau_sweep.json"
        rows = json.loads(path.read_text()) if path.is_file() else []
        floor_path = R / f"stf_tau_sweep_{ds}" / "summary.json"
        floor = json.loads(floor_path.read_text())["noise_floor_halves"] if floor_path.is_file() else {}
        for metric, pm in (("d_stsp_stf2022", "dstsp"), ("d_h_stf2022", "d_h")):
            ok = [r for r in rows if r.get(metric) is not None and r["method"] == "stf"]
            if ok:
                b = min(ok, key=lambda r: r[metric])
                ours = (f"{_f(b[metric])} ({b['model']}, tau {b['tau']:g}, {b['minutes']:g} min, "
                        f"{b['epochs_done']} ep.)")
            else:
                ours = "not run"
            pub = [p for p in paper if p["dataset"] == ds and p["metric"].startswith(pm) and p["method"] == "stf"]
            pb = min(pub, key=lambda p: p["value"]) if pub else None
            pub_s = (f"{_f(pb['value'])} ({pb['model']}, tau {pb['tau']:g}"
                     + (", GMM" if pb["metric"] == "dstsp_gmm" else "") + ")") if pb else "–"
            name = "D_stsp" if pm == "dstsp" else "D_H"
            lines.append(f"| {ds} | {name} | {ours} | {pub_s} | {_f(floor.get(metric))} |")
    return "\n".join(lines)


def _training(r: dict[str, Any]) -> str:
    """'status, model of epoch N (selected by D_stsp on the training data)' from the row or its config.json."""
    status, sel, every = r.get("training_status"), r.get("selected_epoch"), None
    cfg = Path(r.get("run_dir") or "") / "config.json"
    if cfg.is_file():
        c = json.loads(cfg.read_text())
        res = c.get("result") or {}
        status = status or res.get("status")
        sel = sel if sel is not None else res.get("selected_epoch")
        every = (c.get("training") or {}).get("select_every")
    out = str(status or "?")
    if every:
        out += f", selected ep. {sel}" if sel is not None else ", selection on"
    return out


def runs_table(ds: str = "lorenz63") -> str:
    path = R / f"stf_tau_sweep_{ds}" / "tau_sweep.json"
    if not path.is_file():
        return "(no runs yet)"
    rows = sorted(json.loads(path.read_text()), key=lambda r: (r["model"], r["method"], r["tau"] or 0, r["seed"]))
    lines = ["| model | method | tau | seed | budget (min) | epochs | D_stsp stf2022 | D_H stf2022 | "
             "D_stsp corrected | D_H corrected | lambda_max model | training |", "|" + "---|" * 12]
    for r in rows:
        tau = "–" if r["method"] == "clip" else f"{r['tau']:g}"
        lines.append(f"| {r['model']} | {r['method']} | {tau} | {r['seed']} | {r['minutes']:g} | {r.get('epochs_done')} | "
                     f"{_f(r.get('d_stsp_stf2022'))} | {_f(r.get('d_h_stf2022'))} | {_f(r.get('d_stsp_corrected'))} | "
                     f"{_f(r.get('d_h_corrected'))} | {_f(r.get('lambda_max_model'), 4)} | {_training(r)} |")
    return "\n".join(lines)


def median_table(ds: str = "lorenz63") -> str:
    """Median (and range) over seeds per model and tau."""
    import numpy as np

    path = R / f"stf_tau_sweep_{ds}" / "tau_sweep.json"
    if not path.is_file():
        return "(no runs yet)"
    rows = json.loads(path.read_text())
    groups: dict[tuple[str, str, float], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["model"], r["method"], -1.0 if r["method"] == "clip" else float(r["tau"])), []).append(r)
    lines = ["| model | method | tau | seeds | D_stsp stf2022: median (min–max) | D_H stf2022: median | "
             "D_stsp corrected: median (min–max) | D_H corrected: median |", "|" + "---|" * 8]
    for (model, method, tau), rs in sorted(groups.items()):
        def col(key: str, rs: list[dict[str, Any]] = rs) -> list[float]:
            return [r[key] for r in rs if r.get(key) is not None]
        a, b, c, d = (col(k) for k in ("d_stsp_stf2022", "d_h_stf2022", "d_stsp_corrected", "d_h_corrected"))
        tau_s = "–" if method == "clip" else f"{tau:g}"
        lines.append(f"| {model} | {method} | {tau_s} | {len(rs)} | {_f(float(np.median(a)))} ({_f(min(a))}–{_f(max(a))}) | "
                     f"{_f(float(np.median(b)))} | {_f(float(np.median(c)))} ({_f(min(c))}–{_f(max(c))}) | "
                     f"{_f(float(np.median(d)))} |")
    return "\n".join(lines)


def ablation_table(ds: str = "lorenz63") -> str:
    path = R / f"stf_ablations_{ds}" / "ablations.json"
    if not path.is_file():
        return "(no runs yet)"
    rows = json.loads(path.read_text())
    lines = ["| variant | tau | budget (min) | epochs | D_stsp stf2022 | D_H stf2022 | D_stsp corrected | "
             "D_H corrected | lambda_max model | training |", "|" + "---|" * 10]
    for r in rows:
        tau = "–" if r["method"] == "clip" else f"{r['tau']:g}"
        lines.append(f"| {r['method']} | {tau} | {r['minutes']:g} | {r.get('epochs_done')} | {_f(r.get('d_stsp_stf2022'))} | "
                     f"{_f(r.get('d_h_stf2022'))} | {_f(r.get('d_stsp_corrected'))} | {_f(r.get('d_h_corrected'))} | "
                     f"{_f(r.get('lambda_max_model'), 4)} | {_training(r)} |")
    return "\n".join(lines)


def write_doc() -> Path:
    """Fill experiments/results_stf.template.md with the tables and write docs/results_stf.md."""
    from rnnchaos._util.atomic import write_text_atomic

    root = Path(__file__).resolve().parents[1]
    text = (Path(__file__).resolve().parent / "results_stf.template.md").read_text(encoding="utf-8")
    text = (text.replace("RESULTS_BEST", best_table()).replace("RESULTS_RUNS", runs_table())
            .replace("RESULTS_MEDIANS", median_table())
            .replace("RESULTS_ABLATIONS", ablation_table()))
    out = root / "docs" / "results_stf.md"
    write_text_atomic(out, text)
    return out


if __name__ == "__main__":
    import sys

    if "--write-doc" in sys.argv:
        print(write_doc())
        raise SystemExit(0)
    print("## Best per data set\n")
    print(best_table())
    print("\n## Lorenz-63 tau sweep, every run\n")
    print(runs_table())
    print("\n## Lorenz-63 ablations\n")
    print(ablation_table())
