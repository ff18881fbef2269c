"""Claims 2 and 3 of the scrambling paper (Chatziafratis et al., NeurIPS 2022) over random networks.

* **Persistence** (claim 2: chaos survives small perturbations of a recurrent map). Base maps: random He
  networks ``f(x) = a . relu(w x + b) + c`` of width ``k`` that have a 3-cycle (exact criterion). Each
  parameter is perturbed by ``eps * sigma * N(0, 1)`` (``sigma`` the init scheme's standard deviation of that
  parameter), for a grid of ``eps``. Measured per ``eps``: the fraction of perturbed recurrent maps that keep a
  3-cycle (exact), and the growth rate of the laps of ``f^t`` on the base map's invariant interval ``J``
  (least-squares slope of ``log laps`` against ``t``, nats per step); and the same for the feed-forward
  stack ``f_t o ... o f_1`` of independently perturbed layers: its "3-cycle" is a point ``x`` of ``J`` with
  ``f_3 f_2 f_1 (x) = x`` and ``f_1(x) != x`` (an orbit through three different layers).
* **Expressivity** (claim 3: the oscillations of ``f^t`` grow exponentially in ``t``). Laps of ``f^t`` on the
  whole line for ``t = 1 ... t_max`` over random He ReLU networks of several widths and depths (2 ... 6), the
  growth rate, and for the networks with a 3-cycle the topological-entropy estimate on the invariant
  interval of the 3-cycle (Misiurewicz & Szlenk 1980, :func:`rnnchaos.maps1d.entropy.lap_growth`) beside
  ``log(golden ratio)``, the lower bound any map with a 3-cycle has (Block, Guckenheimer, Misiurewicz &
  Young 1980). The feed-forward counterpart composes ``t`` independent networks of the same architecture.

Exact piecewise-linear composition in float64 (:mod:`rnnchaos.maps1d.piecewise`), capped at ``max_pieces``
pieces (a capped series stops early and says so). Cost: seconds for the defaults.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from rnnchaos._util.figures import SMALL_STYLE, new_figure, save_figure, styled
from rnnchaos._util.rng import as_generator
from rnnchaos._util.tables import write_table
from rnnchaos.maps1d.entropy import growth_rate, invariant_interval, lap_growth
from rnnchaos.maps1d.fast import batch_period3, two_layer_arrays
from rnnchaos.maps1d.init import InitSpec, sample_networks, scheme_variance
from rnnchaos.maps1d.montecarlo import wilson_interval
from rnnchaos.maps1d.network import Network1D
from rnnchaos.maps1d.periodic import periodic_points
from rnnchaos.maps1d.piecewise import PiecewiseLinear
from rnnchaos.reproductions.scrambling_common import FIGURE_DPI, PAPER

EPS = (0.0, 0.01, 0.03, 0.1, 0.3, 1.0)
LOG_PHI = math.log((1 + math.sqrt(5)) / 2)


def _pl(p: dict[str, np.ndarray], r: int) -> PiecewiseLinear:
    return Network1D.two_layer(p["w"][r], p["b"][r], p["a"][r], float(p["c"][r])).to_piecewise()


def _laps_on(maps: list[PiecewiseLinear], lo: float, hi: float, max_pieces: int) -> list[int]:
    """Laps on ``[lo, hi]`` of ``maps[t-1] o ... o maps[0]`` for t = 1..len(maps) (stops at the piece cap)."""
    g = maps[0].restrict(lo, hi)
    laps = [g.laps(lo, hi)]
    for f in maps[1:]:
        g = f.compose(g).restrict(lo, hi)
        if g.n_pieces > max_pieces:
            break
        laps.append(g.laps(lo, hi))
    return laps


def _has_3cycle(p: dict[str, np.ndarray]) -> np.ndarray:
    bp, sl, ic, n = two_layer_arrays(p["w"], p["b"], p["a"], p["c"])
    return batch_period3(bp, sl, ic, n, 0, False)[0]


def _chaotic_bases(width: int, n_base: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    spec = InitSpec(width=width, init="he")
    keep: list[dict[str, np.ndarray]] = []
    got = 0
    while got < n_base:
        p = sample_networks(spec, 20_000, rng)
        ok = np.nonzero(_has_3cycle(p))[0][: n_base - got]
        keep.append({k: v[ok] for k, v in p.items()})
        got += ok.size
    return {k: np.concatenate([d[k] for d in keep]) for k in keep[0]}


def _sigmas(width: int) -> dict[str, float]:
    return {"w": math.sqrt(scheme_variance("he", 1, width, width)), "b": math.sqrt(scheme_variance("he", 1, width, width)),
            "a": math.sqrt(scheme_variance("he", width, 1, width)), "c": math.sqrt(scheme_variance("he", width, 1, width))}


def _perturb(base: dict[str, np.ndarray], eps: float, sig: dict[str, float], rng: np.random.Generator
             ) -> dict[str, np.ndarray]:
    return {k: v + eps * sig[k] * rng.standard_normal(v.shape) for k, v in base.items()}


def run_persistence_random(width: int = 8, n_base: int = 40, eps_grid: tuple[float, ...] = EPS, t_max: int = 8,
                           seed: int = 0, max_pieces: int = 20_000) -> list[dict[str, Any]]:
    """One row per ``eps``: recurrent vs feed-forward 3-cycle fractions and lap growth rates (module docstring)."""
    rng = as_generator(seed)
    base = _chaotic_bases(width, n_base, rng)
    sig = _sigmas(width)
    intervals = []
    for r in range(n_base):
        f = _pl(base, r)
        pts = [x for o in periodic_points(f, 3).orbits for x in o.points]
        intervals.append(invariant_interval(f, pts) or (min(pts), max(pts)))
    rows = []
    for eps in eps_grid:
        rec = _perturb(base, eps, sig, rng)
        rec3 = _has_3cycle(rec)
        layers = [_perturb(base, eps, sig, rng) for _ in range(t_max)]
        ff3 = np.zeros(n_base, dtype=bool)
        g_rec, g_ff = [], []
        for r in range(n_base):
            lo, hi = (float(v) for v in intervals[r])
            f = _pl(rec, r)
            g_rec.append(growth_rate(_laps_on([f] * t_max, lo, hi, max_pieces)))
            ff_maps = [_pl(layer, r) for layer in layers]
            g_ff.append(growth_rate(_laps_on(ff_maps, lo, hi, max_pieces)))
            stack3 = ff_maps[2].compose(ff_maps[1].compose(ff_maps[0]))
            fixed = [x for o in periodic_points(stack3, 1).orbits for x in o.points]
            tol = 1e-9 * (1 + hi - lo)
            ff3[r] = any(lo - tol <= x <= hi + tol and abs(ff_maps[0](x) - x) > tol for x in fixed)
        n3, nf = int(rec3.sum()), int(ff3.sum())
        rows.append({"eps": eps, "base_networks": n_base, "width": width,
                     "recurrent_keeps_3cycle": n3 / n_base, "recurrent_ci95": list(wilson_interval(n3, n_base)),
                     "feedforward_has_3_layer_cycle": nf / n_base, "feedforward_ci95": list(wilson_interval(nf, n_base)),
                     "recurrent_growth_median": float(np.median(g_rec)), "recurrent_growth_mean": float(np.mean(g_rec)),
                     "feedforward_growth_median": float(np.median(g_ff)),
                     "feedforward_growth_mean": float(np.mean(g_ff)),
                     "recurrent_growth_positive": float(np.mean(np.array(g_rec) > 0.05)),
                     "feedforward_growth_positive": float(np.mean(np.array(g_ff) > 0.05))})
    return rows


def _random_network(width: int, depth: int, rng: np.random.Generator) -> PiecewiseLinear:
    """A He-initialised ReLU network of ``depth`` layers (``depth - 1`` hidden layers of ``width``)."""
    sizes = [1] + [width] * (depth - 1) + [1]
    ws, bs = [], []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        std = math.sqrt(2.0 / fan_in)
        ws.append(rng.normal(0.0, std, (fan_out, fan_in)))
        bs.append(rng.normal(0.0, std, fan_out))
    return Network1D(ws, bs, "relu", "identity").to_piecewise()


def run_expressivity(widths: tuple[int, ...] = (4, 16), depths: tuple[int, ...] = (2, 3, 4, 6), networks: int = 20,
                     t_max: int = 12, seed: int = 0, max_pieces: int = 20_000) -> list[dict[str, Any]]:
    """One row per (width, depth): median laps of f^t (recurrent) and of t stacked networks (feed-forward),
    growth rates, and for networks with a 3-cycle the entropy estimate against log(golden ratio)."""
    rng = as_generator(seed)
    rows = []
    for width in widths:
        for depth in depths:
            rec_laps, ff_laps, g_rec, g_ff, h3 = [], [], [], [], []
            for _ in range(networks):
                f = _random_network(width, depth, rng)
                inf = math.inf
                lr = _laps_on([f] * t_max, -inf, inf, max_pieces)
                lf = _laps_on([f] + [_random_network(width, depth, rng) for _ in range(t_max - 1)], -inf, inf,
                              max_pieces)
                rec_laps.append(lr)
                ff_laps.append(lf)
                g_rec.append(growth_rate(lr))
                g_ff.append(growth_rate(lf))
                orbits = periodic_points(f, 3).orbits
                if orbits:
                    pts = [x for o in orbits for x in o.points]
                    J = invariant_interval(f, pts)
                    if J is not None:
                        h3.append(lap_growth(f, t_max, J, max_pieces=max_pieces).entropy_ratio)
            rows.append({"width": width, "depth": depth, "networks": networks, "t_max": t_max,
                         "recurrent_laps_median_by_t": [float(np.median([v[t] for v in rec_laps if len(v) > t]))
                                                        for t in range(t_max)],
                         "feedforward_laps_median_by_t": [float(np.median([v[t] for v in ff_laps if len(v) > t]))
                                                          for t in range(t_max)],
                         "recurrent_growth_median": float(np.median(g_rec)),
                         "feedforward_growth_median": float(np.median(g_ff)),
                         "recurrent_growth_positive": float(np.mean(np.array(g_rec) > 0.05)),
                         "feedforward_growth_positive": float(np.mean(np.array(g_ff) > 0.05)),
                         "with_3cycle": len(h3), "entropy_3cycle_median": float(np.median(h3)) if h3 else math.nan,
                         "entropy_3cycle_min": float(np.min(h3)) if h3 else math.nan, "log_phi": LOG_PHI})
    return rows


@styled(SMALL_STYLE)
def plot_claims(pers: list[dict[str, Any]], expr: list[dict[str, Any]], path: str | os.PathLike[str]) -> Path:
    fig = new_figure((11, 4.2))
    ax1, ax2 = fig.subplots(1, 2)
    eps = np.array([max(r["eps"], 1e-3) for r in pers])
    ax1.plot(eps, [r["recurrent_keeps_3cycle"] for r in pers], "o-", color="#b2182b", label="recurrent: keeps a 3-cycle")
    ax1.plot(eps, [r["feedforward_has_3_layer_cycle"] for r in pers], "s-", color="#2166ac",
             label="feed-forward: 3-layer cycle")
    ax1.plot(eps, [r["recurrent_growth_positive"] for r in pers], "o:", color="#b2182b", alpha=0.6,
             label="recurrent: lap growth > 0.05")
    ax1.plot(eps, [r["feedforward_growth_positive"] for r in pers], "s:", color="#2166ac", alpha=0.6,
             label="feed-forward: lap growth > 0.05")
    ax1.set_xscale("log")
    ax1.set_xlabel("perturbation eps (in units of the init std; eps = 0 drawn at 1e-3)")
    ax1.set_ylabel("fraction of base maps")
    ax1.set_title(f"Persistence: {pers[0]['base_networks']} chaotic He maps, width {pers[0]['width']}")
    ax1.legend(fontsize=7)
    ax1.grid(alpha=0.3)
    for r in expr:
        t = np.arange(1, r["t_max"] + 1)
        ax2.plot(t, r["recurrent_laps_median_by_t"], "-", label=f"f^t k={r['width']} depth {r['depth']}")
    ax2.plot(t, (1 + math.sqrt(5)) / 2 * ((1 + math.sqrt(5)) / 2) ** (t - 1), "k:", label="golden ratio^t")
    ax2.set_yscale("log")
    ax2.set_xlabel("t")
    ax2.set_ylabel("median laps of f^t")
    ax2.set_title("Expressivity: laps of f^t, random He ReLU networks")
    ax2.legend(fontsize=6, ncol=2)
    ax2.grid(alpha=0.3)
    return save_figure(fig, path, dpi=FIGURE_DPI)


def reproduce_claims(out: str | os.PathLike[str], seed: int = 0, n_base: int = 40, networks: int = 20
                     ) -> list[Path]:
    pers = run_persistence_random(n_base=n_base, seed=seed)
    expr = run_expressivity(networks=networks, seed=seed)
    meta = {"paper": PAPER, "seed": seed, "method": "exact PL composition (float64); exact 3-cycle criterion"}
    t1 = write_table(pers, out, "scrambling_persistence", meta=meta, markdown=True, nonfinite="string")
    t2 = write_table(expr, out, "scrambling_expressivity", meta=meta, markdown=True, nonfinite="string")
    return [t1["csv"], t1["json"], t1["md"], t2["csv"], t2["json"], t2["md"],
            plot_claims(pers, expr, Path(out) / "scrambling_claims.png")]
