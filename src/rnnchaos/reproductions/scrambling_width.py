"""P(period 3) against the width (2 ... 16,384) for He, LeCun and Glorot, and against the output gain g.

The scrambling paper (Chatziafratis et al., NeurIPS 2022, Thm. 1) claims that the probability of Li–Yorke
chaos of a randomly initialised recurrent ReLU map is a constant independent of the width. We measure
P(3-cycle) exactly (:mod:`rnnchaos.maps1d.fast`) for ``f(x) = a . relu(w x + b) + c`` with He, LeCun or
Glorot weights and biases in both layers and an identity output, together with the certified lower bound
on P(positive entropy) (a point of period 3 or 6), and fit the trend in the width
(:mod:`rnnchaos.reproductions.scrambling_trend`).

Chunked and resumable: each (init, width) is split into ``networks // chunk_size`` chunks, each one trial
of the project's sweep engine (:func:`rnnchaos.sweep.run_sweep`, local processes or Ray). A chunk's seed
is derived from the sweep seed and the chunk's id, the hash of ``(init, width, chunk index, chunk size)``
(:func:`rnnchaos.sweep.grid.derive_seed`), so the numbers are the same for any number of workers and any
subset of widths run in any order; every finished chunk is one fsynced line of ``OUT/trials.jsonl``, and
a rerun skips the chunks already there. The table is built from every chunk of the journal that belongs
to this seed and chunk size, so widths run in separate sessions add up.

The gain sweep multiplies the output layer by ``g`` (width 64, He): the order-to-chaos transition.

Cost (one thread, benchmarks/bench_scrambling_width.py): about 0.04 ms per width-64 network, 0.7 ms at
1024, 3 ms at 4096, 10 ms at 16,384.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from rnnchaos._util.figures import SMALL_STYLE, new_figure, save_figure, styled
from rnnchaos._util.tables import write_table
from rnnchaos.maps1d.init import SCHEMES, InitSpec
from rnnchaos.maps1d.montecarlo import MAX_TRIALS, chaos_probability, wilson_interval
from rnnchaos.reproductions.scrambling_common import FIGURE_DPI, PAPER
from rnnchaos.reproductions.scrambling_trend import fit_trend

WIDTHS = (2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384)
INITS = ("he", "lecun", "glorot")
GAINS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0)
CHUNK_FUNCTION = "rnnchaos.reproductions.scrambling_width:width_chunk"
#: widths above this need more than a few GB per batch of 1000 networks
MAX_WIDTH = 65_536
#: chunks per (init, width); more would make the sweep's trial list itself the bottleneck
MAX_CHUNKS = 100_000
COLORS = {"he": "#b2182b", "lecun": "#1b7837", "glorot": "#2166ac"}


def width_chunk(params: dict[str, Any]) -> dict[str, Any]:
    """One chunk: ``networks`` random networks of ``width`` and ``init``, seeded by the trial seed. Returns the
    counts of 3-cycles and of certified positive entropy, and the wall seconds."""
    spec = InitSpec(width=int(params["width"]), init=str(params["init"]))
    res = chaos_probability(spec, trials=int(params["networks"]), seed=int(params["seed"]), workers=1, entropy=True)
    return {"networks": res.trials, "n_period3": res.n_period3, "n_positive_entropy": res.n_positive_entropy,
            "seconds": res.seconds}


def width_config(widths: tuple[int, ...] = WIDTHS, inits: tuple[str, ...] = INITS, networks: int = 100_000,
                 chunk_size: int = 5_000, seed: int = 0) -> Any:
    """The sweep config of the width study: grid ``init x width x chunk``, ``networks // chunk_size`` chunks."""
    from rnnchaos.sweep.config import parse_config

    _check_width_args(widths, inits, networks, chunk_size)
    return parse_config({"sweep": {"name": "scrambling-width", "kind": "python", "function": CHUNK_FUNCTION,
                                   "seed": int(seed)},
                         "fixed": {"networks": int(chunk_size)},
                         "grid": {"init": list(inits), "width": [int(w) for w in widths],
                                  "chunk": list(range(networks // chunk_size))}})


def _check_width_args(widths: tuple[int, ...], inits: tuple[str, ...], networks: int, chunk_size: int) -> None:
    if not widths or any(isinstance(w, bool) or int(w) != w or w < 1 for w in widths):
        raise ValueError(f"widths must be positive integers, got {list(widths)}")
    if max(widths) > MAX_WIDTH:
        raise ValueError(f"widths must be at most {MAX_WIDTH:,} (memory per batch of networks), got {max(widths):,}")
    for name in inits:
        if name not in SCHEMES:
            raise ValueError(f"unknown init scheme {name!r}; choose one of {', '.join(SCHEMES)}")
    if not inits:
        raise ValueError("give at least one init scheme")
    if chunk_size < 1 or networks < 1:
        raise ValueError(f"networks and chunk size must be positive, got {networks} and {chunk_size}")
    if networks % chunk_size:
        raise ValueError(f"networks per width ({networks}) must be a multiple of the chunk size ({chunk_size})")
    if networks // chunk_size > MAX_CHUNKS:
        raise ValueError(f"at most {MAX_CHUNKS:,} chunks per width, got {networks // chunk_size:,}; "
                         "raise --chunk-size")
    if chunk_size > MAX_TRIALS:
        raise ValueError(f"chunk size must be at most {MAX_TRIALS:,}, got {chunk_size:,}")


def width_rows(out: str | os.PathLike[str], seed: int, chunk_size: int, max_chunks: int | None = None
               ) -> list[dict[str, Any]]:
    """Aggregate the journal ``out/trials.jsonl``: one row per (init, width) over its finished chunks that
    belong to ``seed`` and ``chunk_size`` (the id and seed are recomputed, so foreign records are ignored)."""
    from rnnchaos.sweep.grid import derive_seed, trial_id
    from rnnchaos.sweep.journal import Journal

    agg: dict[tuple[str, int], dict[str, Any]] = {}
    for rec in Journal(Path(out) / "trials.jsonl").load().values():
        par = rec.get("params") or {}
        if rec.get("status") != "ok" or par.get("networks") != chunk_size:
            continue
        base = {k: v for k, v in par.items() if k != "seed"}
        tid = trial_id(CHUNK_FUNCTION, base)
        if rec["id"] != tid or rec["seed"] != derive_seed(seed, tid):
            continue
        if max_chunks is not None and int(par["chunk"]) >= max_chunks:
            continue
        row = agg.setdefault((par["init"], int(par["width"])), {"chunks": 0, "networks": 0, "n3": 0, "ne": 0, "s": 0.0})
        res = rec["result"]
        row["chunks"] += 1
        row["networks"] += int(res["networks"])
        row["n3"] += int(res["n_period3"])
        row["ne"] += int(res["n_positive_entropy"])
        row["s"] += float(res["seconds"])
    rows = []
    order = {name: i for i, name in enumerate(SCHEMES)}
    for (init, width), a in sorted(agg.items(), key=lambda kv: (order.get(kv[0][0], 99), kv[0][1])):
        n = a["networks"]
        lo, hi = wilson_interval(a["n3"], n)
        elo, ehi = wilson_interval(a["ne"], n)
        rows.append({"init": init, "width": width, "networks": n, "chunks": a["chunks"], "n_period3": a["n3"],
                     "p_period3": a["n3"] / n, "ci95_low": lo, "ci95_high": hi,
                     "n_positive_entropy_lower_bound": a["ne"], "p_positive_entropy_lower_bound": a["ne"] / n,
                     "pe_ci95_low": elo, "pe_ci95_high": ehi, "wall_seconds": a["s"],
                     "wall_ms_per_network": 1e3 * a["s"] / n})
    return rows


def width_fits(rows: list[dict[str, Any]], min_width: int = 2, min_networks: int = 1) -> list[dict[str, Any]]:
    """The trend fit per init over the widths ``>= min_width`` with at least ``min_networks`` networks."""
    fits = []
    for init in dict.fromkeys(r["init"] for r in rows):
        rs = [r for r in rows if r["init"] == init and r["width"] >= min_width and r["networks"] >= min_networks]
        if len(rs) < 1:
            continue
        res = fit_trend([r["width"] for r in rs], [r["n_period3"] for r in rs], [r["networks"] for r in rs])
        fits.append({"init": init, "widths": [r["width"] for r in rs], "min_width": min_width, **res})
    return fits


def _fit_rows(fits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for f in fits:
        for name, m in f["models"].items():
            par = "; ".join(f"{k} = 0 (at its bound; 95% upper limit {v['ci95'][1]:.2g})" if v["at_bound"] else
                            f"{k} = {v['value']:.4g} +- {v['se']:.2g}" for k, v in m["params"].items())
            rows.append({"init": f["init"], "widths": f"{min(f['widths'])}-{max(f['widths'])} ({len(f['widths'])})",
                         "model": name, "parameters (value +- se)": par, "loglik": m["loglik"], "aic": m["aic"],
                         "deviance": m["deviance"], "dof": m["dof"], "gof_p": m["gof_p"],
                         "best_aic": name == f["best_aic"], "verdict": f["verdict"] if name == f["best_aic"] else ""})
    return rows


def run_gain(trials: int = 10_000, seed: int = 0, workers: int = 1, width: int = 64,
             gains: tuple[float, ...] = GAINS) -> list[dict[str, Any]]:
    rows = []
    for gi, g in enumerate(gains):
        res = chaos_probability(InitSpec(width=width, init="he", output_gain=g), trials=trials,
                                seed=seed * 10_000 + 5_000 + gi, workers=workers)
        rows.append({"scheme": "he", "width": width, "gain": g, "trials": trials, "p_period3": res.p_period3,
                     "ci95_low": res.ci95[0], "ci95_high": res.ci95[1],
                     "p_positive_entropy_lower_bound": res.p_positive_entropy, "seconds": res.seconds})
    return rows


@styled(SMALL_STYLE)
def plot_width(rows: list[dict[str, Any]], path: str | os.PathLike[str],
               fits: list[dict[str, Any]] | None = None) -> Path:
    fig = new_figure((8.0, 4.8))
    ax = fig.subplots()
    for init in dict.fromkeys(r["init"] for r in rows):
        color = COLORS.get(init, "#444444")
        rs = [r for r in rows if r["init"] == init]
        w = np.array([r["width"] for r in rs])
        p = 100 * np.array([r["p_period3"] for r in rs])
        lo = p - 100 * np.array([r["ci95_low"] for r in rs])
        hi = 100 * np.array([r["ci95_high"] for r in rs]) - p
        ax.errorbar(w, p, yerr=[lo, hi], marker="o", ms=4, color=color, capsize=3, ls="none",
                    label=f"{init}: P(3-cycle)")
        pe = 100 * np.array([r["p_positive_entropy_lower_bound"] for r in rs])
        ax.plot(w, pe, ls=":", marker=".", color=color, alpha=0.6, label=f"{init}: P(period 3 or 6) (h > 0)")
        for f in fits or []:
            if f["init"] != init:
                continue
            m = f["models"][f["best_aic"]]
            ax.plot(f["widths"], 100 * np.array(m["fitted"]), color=color, lw=1, alpha=0.8,
                    label=f"{init}: fit, {f['best_aic']}")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("hidden width k")
    ax.set_ylabel("random networks (%)")
    ax.set_title("Exact P(period 3) vs width, f(x) = a.relu(wx+b)+c, identity output\n"
                 f"networks per width: {sorted({r['networks'] for r in rows})} (95% Wilson intervals)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    return save_figure(fig, path, dpi=FIGURE_DPI)


@styled(SMALL_STYLE)
def plot_gain(rows: list[dict[str, Any]], path: str | os.PathLike[str]) -> Path:
    fig = new_figure((7.5, 4.5))
    ax = fig.subplots()
    g = np.array([r["gain"] for r in rows])
    p = 100 * np.array([r["p_period3"] for r in rows])
    lo = p - 100 * np.array([r["ci95_low"] for r in rows])
    hi = 100 * np.array([r["ci95_high"] for r in rows]) - p
    ax.errorbar(g, p, yerr=[lo, hi], marker="o", color="#b2182b", capsize=3, label="P(3-cycle)")
    ax.plot(g, 100 * np.array([r["p_positive_entropy_lower_bound"] for r in rows]), ls="--", marker=".",
            color="#762a83", label="P(period 3 or 6) (h > 0 certified)")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("output gain g")
    ax.set_ylabel("random networks (%)")
    ax.set_title(f"Order-to-chaos transition: He init, width {rows[0]['width']}, "
                 f"{rows[0]['trials']} networks per gain")
    ax.grid(alpha=0.3)
    ax.legend()
    return save_figure(fig, path, dpi=FIGURE_DPI)


def reproduce_width(out: str | os.PathLike[str], networks: int = 100_000, seed: int = 0, workers: int = 1,
                    widths: tuple[int, ...] = WIDTHS, inits: tuple[str, ...] = INITS, chunk_size: int = 5_000,
                    ray_address: str | None = None, min_width: int = 8, run: bool = True,
                    show_progress: bool = True) -> list[Path]:
    """Run (or resume) the chunked width study in ``out`` and write the table (CSV, JSON, MD), the trend fit
    (CSV, JSON, MD) and the figure. ``run=False`` only rebuilds the tables from the journal."""
    from rnnchaos.sweep.engine import run_sweep

    config = width_config(widths, inits, networks, chunk_size, seed)
    if run:
        res = run_sweep(config, out, workers=workers, ray_address=ray_address, show_progress=show_progress)
        if res.n_failed:
            raise ValueError(f"{res.n_failed} chunks failed; see {Path(out) / 'results.csv'} and run again with the "
                             "same options to retry them")
    rows = width_rows(out, seed, chunk_size, max_chunks=networks // chunk_size)
    if not rows:
        raise ValueError(f"no finished chunks for seed {seed} and chunk size {chunk_size} in {Path(out) / 'trials.jsonl'}")
    fits = width_fits(rows, min_width=min_width)
    meta = {"paper": PAPER, "claim": "P(Li-Yorke chaos) is a constant independent of the width",
            "method": "exact period-3 criterion; certified positive entropy = point of period 3 or 6; "
                      "Wilson 95% intervals", "network": "f(x) = a.relu(w x + b) + c, identity output, "
                      "weights and biases of both layers from the init scheme",
            "networks_per_width": networks, "chunk_size": chunk_size, "seed": seed,
            "chunk_seed": "rnnchaos.sweep.grid.derive_seed(seed, trial_id(function, {init, width, chunk, networks}))",
            "journal": "trials.jsonl", "wall_seconds": sum(r["wall_seconds"] for r in rows),
            "wall_seconds_note": "wall time of the chunks as run (on a shared machine it exceeds the CPU time; "
                                 "benchmarks/bench_scrambling_width.py measures the one-thread CPU cost)",
            "trend_fit_min_width": min_width}
    table = write_table(rows, out, "scrambling_width", meta=meta, markdown=True, nonfinite="string", newline="\r\n")
    fit_table = write_table(_fit_rows(fits), out, "scrambling_width_fit", markdown=True, nonfinite="string",
                            meta={"paper": PAPER, "method": "binomial maximum likelihood, AIC, likelihood-ratio tests "
                                  "(rnnchaos.reproductions.scrambling_trend)", "fits": fits}, newline="\r\n")
    png = plot_width(rows, Path(out) / "scrambling_width.png", fits)
    return [table["csv"], table["json"], table["md"], fit_table["csv"], fit_table["json"], fit_table["md"], png]


def reproduce_gain(out: str | os.PathLike[str], trials: int = 10_000, seed: int = 0, workers: int = 1) -> list[Path]:
    rows = run_gain(trials=trials, seed=seed, workers=workers)
    meta = {"paper": PAPER, "method": "exact period-3 criterion, output layer multiplied by g",
            "trials": trials, "seed": seed}
    table = write_table(rows, out, "scrambling_gain", meta=meta, nonfinite="string", newline="\r\n")
    return [table["csv"], table["json"], plot_gain(rows, Path(out) / "scrambling_gain.png")]
