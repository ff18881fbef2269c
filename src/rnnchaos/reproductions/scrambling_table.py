"""The scrambling paper's P(period 3) table, recomputed exactly, beside the published numbers and the
paper's grid test re-run as published (f^4) and corrected (f^3).

Published numbers: the comment tables of the released notebook
``NEW_DEPTH_2_RNNs_and_Chaos_Period_3_Probability_RNNs.ipynb`` (github.com/steliostavroulakis/Chaos_RNNs,
commit bf9efb6), blocks "ORIGINAL TABLE" (ReLU, width 2), "EXTRA TABLE 1" (clipped output, ReLU, width 2),
"WIDTH = 4 / 64 (without clipping, tanh activation)" and "DEPTH = 3 (ReLU, width 2)", and the executed
output "Chaos percentage = 8.77 %" of that notebook (width 4, He weights and biases, ReLU, 10,000 networks).
We could not retrieve the table of the published PDF itself; the notebook's first cell lists the same five
ReLU rows with rows 2 and 3 swapped (4.51 % and 7.49 %), so rows 2-3 are ambiguous in the source.

Row conventions (from the notebook's code): He = N(0, 2/fan_in) for weights and biases (first-layer fan-in 1,
so first-layer He biases have variance 2); U = U(0, 1); Glorot = N(0, 2/(fan_in + fan_out)); TR(-1,1) = N(0, 1)
truncated to [-1, 1]; "1" = all-ones weights; N(0, 1/k): variance 1/k (the code draws randn/k, see
:mod:`rnnchaos.maps1d.init`). In the tanh rows the notebook applies tanh to the output as well.

The block "EXTRA TABLE 2" (clipped output, tanh, width 2) uses the notebook's order: clip to [0, 1], then tanh
(output activation ``clip_tanh``). The row "N(0,1/k), TR(-1,1)" is run twice, with variance 1/k as labelled and
with the code's ``randn / n_neurons`` scaling.

Method: exact period-3 criterion (:mod:`rnnchaos.maps1d.fast`) for ReLU rows; for tanh rows certified decisions
by ball arithmetic with outward rounding (:mod:`rnnchaos.maps1d.certified`): ``exact_period3_percent`` counts
the networks with a proved 3-cycle, ``certified_none`` those proved to have none and ``undecided`` the rest,
beside the float sign-change grid (2048 cells of the invariant interval) refined by bisection
(:mod:`rnnchaos.maps1d.batch`, column ``tanh_float_bracketing_percent``); grid test (:mod:`rnnchaos.maps1d.grid`). Each row uses its own
seed derived from ``seed`` and the row index, so rows are reproducible one by one.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rnnchaos._util.figures import SMALL_STYLE, new_figure, save_figure, styled
from rnnchaos._util.tables import write_table
from rnnchaos.maps1d.init import InitSpec
from rnnchaos.maps1d.montecarlo import chaos_probability
from rnnchaos.reproductions.scrambling_common import FIGURE_DPI, PAPER, REPO

NOTEBOOK = f"{REPO}/NEW_DEPTH_2_RNNs_and_Chaos_Period_3_Probability_RNNs.ipynb (commit bf9efb6)"


@dataclass(frozen=True)
class TableRow:
    block: str
    label: str
    spec: InitSpec
    hidden: str
    output: str
    published_percent: float | None
    source: str


def _row(block: str, label: str, width: int, w1: str, b1: str, w2: str, b2: str, output: str, pub: float | None,
         src: str, hidden: str = "relu", depth: int = 2, wh: str | None = None, bh: str | None = None) -> TableRow:
    spec = InitSpec(width=width, init=w1, bias_init=b1, output_init=w2, output_bias_init=b2, depth=depth,
                    hidden_init=wh, hidden_bias_init=bh)
    return TableRow(block, label, spec, hidden, output, pub, src)


def table_rows() -> list[TableRow]:
    """The notebook's rows (see the module docstring for the sources)."""
    o = f"{NOTEBOOK}, comment block 'ORIGINAL TABLE'"
    e1 = f"{NOTEBOOK}, comment block 'EXTRA TABLE 1' (clipping, ReLU, width 2)"
    e2 = f"{NOTEBOOK}, comment block 'EXTRA TABLE 2' (clipping, tanh, width 2)"
    t4 = f"{NOTEBOOK}, comment block 'WIDTH = 4 (without clipping, tanh activation)'"
    t64 = f"{NOTEBOOK}, comment block 'WIDTH = 64 (without clipping, tanh activation)'"
    d3 = f"{NOTEBOOK}, comment block 'DEPTH = 3 (without clipping, ReLU activation, width = 2)'"
    run = f"{NOTEBOOK}, executed cell output 'Chaos percentage = 8.77 %' (width 4, He/He, ReLU, 10,000 networks)"
    rows: list[TableRow] = []
    base = [("w=1, b=He | He, He | identity out", "ones", "he", "he", "he", "identity"),
            ("He, He | He, He | ReLU out", "he", "he", "he", "he", "relu"),
            ("He, U | He, U | ReLU out", "he", "uniform", "he", "uniform", "relu"),
            ("N(0,1/k), TR(-1,1) | same | ReLU out", "normal_1_over_k", "truncated_normal", "normal_1_over_k",
             "truncated_normal", "relu"),
            ("Glorot, Glorot | Glorot, Glorot | ReLU out", "glorot", "glorot", "glorot", "glorot", "relu")]
    pub_o = [13.77, 7.49, 4.51, 4.45, 2.28]
    pub_e1 = [4.7, 5.4, 1.6, 3.9, 2.3]
    pub_e2 = [6.6, 6.2, 9.8, 4.8, 2.8]
    pub_t4 = [7.8, 8.3, 7.2, 10.6, 4.0]
    pub_t64 = [15.8, 14.8, 12.4, 21.9, 10.9]
    pub_d3 = [0.8, 0.7, 0.2, 2.3, 2.6]
    for (lab, w1, b1, w2, b2, out), p in zip(base, pub_o, strict=True):
        rows.append(_row("ReLU, width 2", lab, 2, w1, b1, w2, b2, out, p, o))
    rows.append(_row("ReLU, width 2", "randn/k (as coded), TR(-1,1) | randn, TR(-1,1) | ReLU out", 2,
                     "normal_k_as_coded", "truncated_normal", "normal_k_as_coded", "truncated_normal", "relu",
                     4.45, o + " (row N(0,1/k), with the code's scaling randn/n_neurons)"))
    for (lab, w1, b1, w2, b2, _), p in zip(base, pub_e1, strict=True):
        rows.append(_row("ReLU, width 2, output clipped to [0,1]", lab.replace("identity out", "clip out")
                         .replace("ReLU out", "clip out"), 2, w1, b1, w2, b2, "clip", p, e1))
    rows.append(_row("ReLU, width 4", "He, He | He, He | ReLU out", 4, "he", "he", "he", "he", "relu", 8.77, run))
    for (lab, w1, b1, w2, b2, out), p in zip(base, pub_d3, strict=True):
        hid_label = " | He, He | " if w1 == "ones" else " | (hidden: same) | "
        rows.append(_row("ReLU, width 2, depth 3", lab.replace(" | ", hid_label, 1), 2, w1, b1, w2, b2,
                         out, p, d3, depth=3, wh="he" if w1 == "ones" else w1, bh=b1))
    for (lab, w1, b1, w2, b2, _), p in zip(base, pub_e2, strict=True):
        rows.append(_row("tanh, width 2, output clipped then tanh", lab.split(" | ")[0] + " | " + lab.split(" | ")[1]
                         + " | tanh(clip) out", 2, w1, b1, w2, b2, "clip_tanh", p, e2, hidden="tanh"))
    for width, pubs, src in ((4, pub_t4, t4), (64, pub_t64, t64)):
        for (lab, w1, b1, w2, b2, _), p in zip(base, pubs, strict=True):
            rows.append(_row(f"tanh, width {width}", lab.split(" | ")[0] + " | " + lab.split(" | ")[1] + " | tanh out",
                             width, w1, b1, w2, b2, "tanh", p, src, hidden="tanh"))
    return rows


def run_table(trials: int = 10_000, seed: int = 0, workers: int = 1, rows: list[TableRow] | None = None,
              tanh_trials: int | None = None, certify: bool = True) -> list[dict[str, Any]]:
    """Compute every row; returns one dict per row (percentages). ``certify``: decide the tanh rows by ball
    arithmetic (about 0.1 s per width-64 network); without it they keep the float bracketing."""
    rows = rows if rows is not None else table_rows()
    out = []
    for i, row in enumerate(rows):
        n = tanh_trials if (row.hidden == "tanh" and tanh_trials is not None) else trials
        t0 = time.perf_counter()
        res = chaos_probability(row.spec, trials=n, seed=seed * 1000 + i, hidden_activation=row.hidden,
                                output_activation=row.output, workers=workers, entropy=False, grid=True,
                                certify=certify and row.hidden == "tanh")
        g = res.grid
        cert = res.certified
        out.append({
            "block": row.block, "row": row.label, "width": row.spec.width, "depth": row.spec.depth,
            "hidden": row.hidden, "output": row.output, "trials": n,
            "published_percent": row.published_percent,
            "grid_f4_as_published_percent": 100 * g["p_grid_f4_as_published"],
            "grid_f4_ci95": [100 * v for v in g["ci95_grid_f4"]],
            "grid_f3_corrected_percent": 100 * g["p_grid_f3_corrected"],
            "exact_period3_percent": 100 * (cert["p_certified_period3"] if cert else res.p_period3),
            "exact_ci95": [100 * v for v in (cert["ci95_certified_period3"] if cert else res.ci95)],
            "certified_none": cert.get("n_certified_none"), "undecided": cert.get("n_undecided"),
            "tanh_float_bracketing_percent": 100 * res.p_period3 if cert else None,
            "float_3cycles_disproved": cert.get("float_p3_disproved"),
            "certified_3cycles_missed_by_float": cert.get("float_missed_certified"),
            "grid_f4_count_without_3cycle": g["g4_not_p3"],
            "grid_f3_count_without_3cycle": g["g3_not_p3"],
            "3cycles_missed_by_grid_f3": g["p3_missed_by_g3"],
            "method": ("exact" if row.hidden == "relu" else "certified (ball arithmetic, python-flint arb)" if cert
                       else "numeric bracketing (tanh), not certified"),
            "source": row.source, "seconds": time.perf_counter() - t0,
        })
    return out


@styled(SMALL_STYLE)
def plot_table(rows: list[dict[str, Any]], path: str | os.PathLike[str]) -> Path:
    n = len(rows)
    fig = new_figure((9.5, 0.42 * n + 1.6))
    ax = fig.subplots()
    y = np.arange(n)[::-1]
    h = 0.2
    pub = [r["published_percent"] if r["published_percent"] is not None else np.nan for r in rows]
    ax.barh(y + 1.5 * h, pub, h, color="#999999", label="published (notebook)")
    ax.barh(y + 0.5 * h, [r["grid_f4_as_published_percent"] for r in rows], h, color="#e08214",
            label="grid test as published (f^4)")
    ax.barh(y - 0.5 * h, [r["grid_f3_corrected_percent"] for r in rows], h, color="#8073ac",
            label="grid test corrected (f^3)")
    ex = np.array([r["exact_period3_percent"] for r in rows])
    lo = ex - np.array([r["exact_ci95"][0] for r in rows])
    hi = np.array([r["exact_ci95"][1] for r in rows]) - ex
    ax.barh(y - 1.5 * h, ex, h, xerr=[lo, hi], color="#1b7837",
            label="exact period 3 (ReLU) / certified (tanh), 95% CI")
    top = np.nanmax([np.nanmax(pub), max(r["grid_f4_as_published_percent"] for r in rows)])
    for yi, r in zip(y, rows, strict=True):
        kind = ("exact" if r["hidden"] == "relu" else f"certified ({r['undecided']} undecided)"
                if r["undecided"] is not None else "bracketed")
        ax.text(top * 1.02, yi, f"{kind} {r['exact_period3_percent']:.2f}%  (f^3 grid {r['grid_f3_corrected_percent']:.2f}%)",
                va="center", fontsize=7.5, color="#1b7837")
    ax.set_xlim(0, top * 1.45)
    ax.set_yticks(y)
    ax.set_yticklabels([f"{r['block']}: {r['row']}" for r in rows], fontsize=7.5)
    ax.set_xlabel("networks with a 3-cycle (%)")
    ax.set_title("P(period 3) of random 1-D recurrent networks: published vs grid (f^4, f^3) vs exact\n"
                 f"trials per row: {sorted({r['trials'] for r in rows})}", fontsize=10)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.6 / max(n, 1) - 0.04), ncol=2)
    ax.grid(axis="x", alpha=0.3)
    return save_figure(fig, path, dpi=FIGURE_DPI)


def reproduce(out: str | os.PathLike[str], trials: int = 10_000, seed: int = 0, workers: int = 1,
              tanh_trials: int | None = 2_000, certify: bool = True) -> list[Path]:
    rows = run_table(trials=trials, seed=seed, workers=workers, tanh_trials=tanh_trials, certify=certify)
    meta = {"paper": PAPER, "published_numbers_from": NOTEBOOK, "trials_relu_rows": trials,
            "trials_tanh_rows": tanh_trials or trials, "seed": seed, "tanh_rows_certified": certify,
            "note": ("published numbers come from the released notebook's comment tables; the notebook's "
                     "grid test applies f four times (f^4) and counts sign changes of x - f^4(x) on "
                     "linspace(-1, 1, 163); exact is the exact 3-cycle criterion (ReLU) or, for tanh rows, the "
                     "networks with a 3-cycle proved by ball arithmetic (undecided ones counted apart; the float "
                     "sign-change grid + bisection is column tanh_float_bracketing_percent)"),
            "grid": "linspace(-1, 1, 163), sign changes of x - F(x) for pairs (i-1, i), i = 1..161",
            "ambiguity": "the notebook's first cell swaps the published values of rows 2 and 3 (4.51 / 7.49)"}
    table = write_table(rows, out, "scrambling_table", meta=meta, nonfinite="string", newline="\r\n")
    fig_p = plot_table(rows, Path(out) / "scrambling_table.png")
    return [table["csv"], table["json"], fig_p]
