"""Three single-map experiments of the scrambling paper (Chatziafratis et al., NeurIPS 2022):

* **persistence**: perturb every parameter of the tent-map network (w = [1, 1], b = [0, -0.5], a = [2, -4],
  c = 0, identity output) by ``0.1 N(0, 1)`` (the notebook ``Persistence_of_Chaos_Recurrent_NNs.ipynb``:
  ``1 + 0.1 randn`` etc.); count laps of ``f^t`` on [0, 1] for t = 1..6 when one perturbed layer is applied
  t times (recurrent) and when t independently perturbed layers are stacked (feed-forward). Exact PL
  composition (float64), no grid.
* **lipschitz**: the notebook ``L_Lipschitz_Function.ipynb`` map ``f(x) = relu(sum a_i relu(x + b_i))`` with
  b = [0, -0.2, -0.4, -0.5, -0.6, -0.7], a = [0.8, -1.5, 5, -9, 11, -8.4]: a large Lipschitz constant, yet
  its lap numbers saturate (zero entropy) -- computed exactly in rational arithmetic.
* **distance**: the near-tent map ``1.9999 relu(x + 1e-5) - 4 relu(x - 0.502)``, ``x0 = 0.175421``,
  ``y0 = x0 + 1e-7``, 150 steps: ``|f^t(x0) - f^t(y0)|`` with running (tail) liminf/limsup, computed exactly
  (Fractions) and in float64.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from rnnchaos._util.figures import SMALL_STYLE, new_figure, save_figure, styled
from rnnchaos._util.rng import as_generator
from rnnchaos._util.tables import write_table
from rnnchaos.maps1d.analysis import analyze_piecewise
from rnnchaos.maps1d.entropy import lap_growth
from rnnchaos.maps1d.network import Network1D
from rnnchaos.maps1d.periodic import periodic_points
from rnnchaos.maps1d.piecewise import PiecewiseLinear
from rnnchaos.maps1d.scrambling import PAPER_EXAMPLE, orbit_distance
from rnnchaos.reproductions.scrambling_common import FIGURE_DPI, PAPER, REPO

TENT: dict[str, Any] = {"w": [1.0, 1.0], "b": [0.0, -0.5], "a": [2.0, -4.0], "c": 0.0}


# ---------------------------------------------------------------------- persistence
def _perturbed(rng: np.random.Generator, scale: float) -> PiecewiseLinear:
    w = np.array(TENT["w"]) + scale * rng.standard_normal(2)
    b = np.array(TENT["b"]) + scale * rng.standard_normal(2)
    a = np.array(TENT["a"]) + scale * rng.standard_normal(2)
    c = float(TENT["c"]) + scale * float(rng.standard_normal())
    return Network1D.two_layer(w, b, a, c).to_piecewise()


def run_persistence(trials: int = 500, seed: int = 0, t_max: int = 6, scale: float = 0.1) -> dict[str, Any]:
    """Laps of f^t on [0, 1] (recurrent vs feed-forward) for ``trials`` perturbation seeds."""
    rng = as_generator(seed)
    rec = np.zeros((trials, t_max), dtype=np.int64)
    ff = np.zeros((trials, t_max), dtype=np.int64)
    p3 = np.zeros(trials, dtype=bool)
    for i in range(trials):
        f = _perturbed(rng, scale)
        g = f
        h = _perturbed(rng, scale)
        for t in range(t_max):
            if t > 0:
                g = f.compose(g)
                h = _perturbed(rng, scale).compose(h)
            rec[i, t] = g.laps(0.0, 1.0)
            ff[i, t] = h.laps(0.0, 1.0)
        p3[i] = periodic_points(f, 3).exists
    tent = [2 ** (t + 1) for t in range(t_max)]
    rows = []
    for t in range(t_max):
        rows.append({"t": t + 1, "tent_laps": tent[t],
                     "recurrent_median": float(np.median(rec[:, t])), "recurrent_mean": float(rec[:, t].mean()),
                     "recurrent_q25": float(np.quantile(rec[:, t], 0.25)),
                     "recurrent_q75": float(np.quantile(rec[:, t], 0.75)),
                     "feedforward_median": float(np.median(ff[:, t])), "feedforward_mean": float(ff[:, t].mean()),
                     "feedforward_q25": float(np.quantile(ff[:, t], 0.25)),
                     "feedforward_q75": float(np.quantile(ff[:, t], 0.75))})
    return {"rows": rows, "p_period3_recurrent": float(p3.mean()), "trials": trials, "scale": scale,
            "recurrent": rec, "feedforward": ff}


@styled(SMALL_STYLE)
def plot_persistence(res: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    fig = new_figure((7, 4.5))
    ax = fig.subplots()
    t = np.array([r["t"] for r in res["rows"]])
    ax.plot(t, [r["tent_laps"] for r in res["rows"]], "k:", marker="x", label="unperturbed tent map: 2^t")
    for key, color, lab in (("recurrent", "#b2182b", "recurrent: same perturbed layer t times"),
                            ("feedforward", "#2166ac", "feed-forward: t independently perturbed layers")):
        med = np.array([r[f"{key}_median"] for r in res["rows"]])
        q25 = np.array([r[f"{key}_q25"] for r in res["rows"]])
        q75 = np.array([r[f"{key}_q75"] for r in res["rows"]])
        ax.plot(t, med, marker="o", color=color, label=f"{lab} (median, IQR)")
        ax.fill_between(t, q25, q75, color=color, alpha=0.2)
    ax.set_yscale("log", base=2)
    ax.set_xlabel("t (iterations / layers)")
    ax.set_ylabel("laps of the composed map on [0, 1]")
    ax.set_title(f"Persistence of chaos under 0.1 N(0,1) perturbations ({res['trials']} seeds)\n"
                 f"perturbed recurrent maps with a 3-cycle: {100 * res['p_period3_recurrent']:.1f} %")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return save_figure(fig, path, dpi=FIGURE_DPI)


def reproduce_persistence(out: str | os.PathLike[str], trials: int = 500, seed: int = 0) -> list[Path]:
    res = run_persistence(trials=trials, seed=seed)
    meta = {"paper": PAPER, "source": f"{REPO}/Persistence_of_Chaos_Recurrent_NNs.ipynb and "
            "Persistence_of_Chaos_Feedforward_NNs.ipynb (figures only; no published numbers)",
            "base_network": TENT, "perturbation": "each parameter + 0.1 N(0,1)", "trials": trials, "seed": seed,
            "p_period3_recurrent": res["p_period3_recurrent"],
            "method": "exact piecewise-linear composition (float64), laps counted on [0, 1]"}
    table = write_table(res["rows"], out, "persistence", meta=meta, nonfinite="string", newline="\r\n")
    return [table["csv"], table["json"], plot_persistence(res, Path(out) / "persistence.png")]


# ---------------------------------------------------------------------- Lipschitz
LIPSCHITZ_MAP = {"w1": [1, 1, 1, 1, 1, 1], "b1": [0, "-0.2", "-0.4", "-0.5", "-0.6", "-0.7"],
                 "w2": ["0.8", "-1.5", 5, -9, 11, "-8.4"], "b2": 0, "output_activation": "relu"}


def run_lipschitz(t_max: int = 12) -> dict[str, Any]:
    net = Network1D.from_dict(dict(LIPSCHITZ_MAP))
    f = net.to_piecewise()
    res = analyze_piecewise(f, max_period=6)
    growth = lap_growth(f, t_max, interval=(Fraction(0), Fraction(1)))
    tent = lap_growth(PiecewiseLinear.tent(Fraction(2)), t_max, interval=(Fraction(0), Fraction(1)))
    rows = [{"t": t + 1, "laps_lipschitz_map": growth.laps[t], "laps_tent_map": tent.laps[t]}
            for t in range(len(growth.laps))]
    return {"rows": rows, "lipschitz_constant": float(f.lipschitz()), "period3": res["period3"],
            "periods": res["periods"], "entropy_estimate": growth.entropy_ratio, "map": f,
            "lyapunov_exponent": res["lyapunov_exponent"]}


@styled(SMALL_STYLE)
def plot_lipschitz(res: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    fig = new_figure((11, 4.3))
    a1, a2 = fig.subplots(1, 2)
    f: PiecewiseLinear = res["map"]
    xs = np.linspace(0, 1, 2001)
    a1.plot(xs, f.evaluate(xs), color="#b2182b", label="f")
    a1.plot(xs, xs, "k:", label="y = x")
    a1.set_xlabel("x")
    a1.set_ylabel("f(x)")
    a1.set_title(f"Lipschitz constant {res['lipschitz_constant']:.4g}; 3-cycle: {res['period3']}")
    a1.legend()
    a1.grid(alpha=0.3)
    t = [r["t"] for r in res["rows"]]
    a2.plot(t, [r["laps_tent_map"] for r in res["rows"]], "k:", marker="x", label="tent map (2^t)")
    a2.plot(t, [r["laps_lipschitz_map"] for r in res["rows"]], marker="o", color="#b2182b", label="this map")
    a2.set_yscale("log", base=2)
    a2.set_xlabel("t")
    a2.set_ylabel("laps of f^t on [0, 1]")
    a2.set_title(f"laps saturate: entropy estimate {res['entropy_estimate']:.3g} nats/step")
    a2.legend()
    a2.grid(alpha=0.3)
    return save_figure(fig, path, dpi=FIGURE_DPI)


def reproduce_lipschitz(out: str | os.PathLike[str], trials: int = 12, seed: int = 0) -> list[Path]:
    """``trials`` is the number of iterates t whose laps are counted (the map is fixed; no randomness)."""
    res = run_lipschitz(t_max=max(2, trials))
    meta = {"paper": PAPER, "source": f"{REPO}/L_Lipschitz_Function.ipynb", "map": LIPSCHITZ_MAP,
            "lipschitz_constant": res["lipschitz_constant"], "period3": res["period3"],
            "periods_up_to_6": res["periods"], "entropy_estimate": res["entropy_estimate"],
            "lyapunov_exponent_per_step": res["lyapunov_exponent"], "seed_unused": seed,
            "method": "exact rational arithmetic"}
    table = write_table(res["rows"], out, "lipschitz", meta=meta, nonfinite="string", newline="\r\n")
    return [table["csv"], table["json"], plot_lipschitz(res, Path(out) / "lipschitz.png")]


# ---------------------------------------------------------------------- distance
def run_distance(steps: int = 150) -> dict[str, Any]:
    ex = dict(PAPER_EXAMPLE)
    net = Network1D.from_dict({k: ex[k] for k in ("w1", "b1", "w2", "b2")})
    f_exact = net.to_piecewise()
    f_float = f_exact.to_float()
    x0 = Fraction(str(ex["x0"]))
    delta = Fraction(str(ex["delta"]))
    exact = orbit_distance(f_exact, x0, x0 + delta, steps)
    flt = orbit_distance(f_float, float(x0), float(x0) + float(delta), steps)
    dev = np.abs(flt.x - exact.x)
    faithful = int(np.argmax(dev > 1e-3)) if np.any(dev > 1e-3) else steps
    rows = [{"t": t, "x_exact": exact.x[t], "y_exact": exact.y[t], "distance_exact": exact.d[t],
             "tail_liminf_exact": exact.tail_inf[t], "tail_limsup_exact": exact.tail_sup[t],
             "distance_float64": flt.d[t]} for t in range(steps + 1)]
    return {"rows": rows, "exact": exact, "float": flt, "float_faithful_steps": faithful,
            "has_period3": periodic_points(f_exact, 3).exists}


@styled(SMALL_STYLE)
def plot_distance(res: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    ex = res["exact"]
    t = np.arange(ex.d.size)
    fig = new_figure((9, 4.5))
    ax = fig.subplots()
    ax.semilogy(t, np.maximum(ex.d, 1e-18), color="#444444", lw=1, label="|f^t(x0) - f^t(y0)| (exact)")
    ax.semilogy(t, np.maximum(ex.tail_inf, 1e-18), color="#2166ac", lw=2, label="tail inf (running liminf)")
    ax.semilogy(t, np.maximum(ex.tail_sup, 1e-18), color="#b2182b", lw=2, label="tail sup (running limsup)")
    ax.semilogy(t, np.maximum(res["float"].d, 1e-18), color="#e08214", lw=1, ls="--", alpha=0.8,
                label="same in float64")
    ax.set_xlabel("t")
    ax.set_ylabel("distance")
    ax.set_title("Scrambling: f(x) = 1.9999 relu(x+1e-5) - 4 relu(x-0.502), x0 = 0.175421, y0 = x0 + 1e-7\n"
                 f"float64 orbit within 1e-3 of the exact orbit for {res['float_faithful_steps']} steps; "
                 f"3-cycle: {res['has_period3']}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return save_figure(fig, path, dpi=FIGURE_DPI)


def reproduce_distance(out: str | os.PathLike[str], trials: int = 150, seed: int = 0) -> list[Path]:
    """``trials`` is the number of steps (the paper uses 150); no randomness."""
    res = run_distance(steps=max(1, trials))
    meta = {"paper": PAPER, "source": f"{REPO}/RNNs_and_Chaos_Distance_Figure.ipynb (figure only)",
            "map": PAPER_EXAMPLE, "steps": trials, "float_faithful_steps": res["float_faithful_steps"],
            "has_period3": res["has_period3"], "seed_unused": seed,
            "method": "exact rational orbits (and float64 for comparison)",
            "min_distance_after_t10": float(np.min(res["exact"].d[10:])) if res["exact"].d.size > 10 else None,
            "max_distance_after_t10": float(np.max(res["exact"].d[10:])) if res["exact"].d.size > 10 else None}
    table = write_table(res["rows"], out, "distance", meta=meta, nonfinite="string", newline="\r\n")
    return [table["csv"], table["json"], plot_distance(res, Path(out) / "distance.png")]
