"""Monte Carlo probability of chaos for randomly initialised 1-D recurrent networks.

For ``trials`` networks drawn from an :class:`~rnnchaos.maps1d.init.InitSpec` we count

* ``period3``: the map has a 3-cycle -- equivalently a Li–Yorke witness (Li & Yorke 1975); exact criterion
  for ReLU networks (:mod:`rnnchaos.maps1d.fast`), numeric bracketing for tanh (:mod:`rnnchaos.maps1d.batch`);
* ``positive_entropy`` (ReLU only): ``f`` or ``f o f`` has a 3-cycle, i.e. ``f`` has a point of period 3 or 6,
  which certifies ``h_top(f) >= log(golden ratio) / 2 > 0`` (Block et al. 1980). Positive entropy is
  equivalent to some ``f^(2^j)`` having period 3 (Misiurewicz), so this is a certified *lower bound* on
  P(h > 0) that checks j = 0, 1;
* optionally the scrambling paper's grid test (as published, ``f^4``, and corrected, ``f^3``);
* optionally (``certify``, smooth depth-2 maps) certified decisions by ball arithmetic
  (:mod:`rnnchaos.maps1d.certified`): networks with a proved 3-cycle, with a proof of none, and undecided.

Intervals: Wilson score 95% intervals (Wilson 1927). Seeding: trials are split into fixed chunks of
``CHUNK`` networks with seeds ``SeedSequence(seed).spawn(n_chunks)``, so the numbers depend only on
``seed`` and ``trials``, never on the number of worker processes. Chunks run in a
``ProcessPoolExecutor`` when ``workers > 1``.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from rnnchaos._util.validation import positive_int
from rnnchaos.maps1d.batch import period3_batch
from rnnchaos.maps1d.grid import grid_period3
from rnnchaos.maps1d.init import InitSpec, sample_networks
from rnnchaos.maps1d.network import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS, SMOOTH_OUTPUTS

CHUNK = 1000
MAX_TRIALS = 10**9
Z95 = 1.959963984540054


def wilson_interval(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for ``k`` successes in ``n`` trials (Wilson 1927)."""
    if n <= 0:
        raise ValueError("wilson_interval needs n >= 1 trials")
    p = k / n
    den = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    lo = 0.0 if k == 0 else max(0.0, centre - half)
    hi = 1.0 if k == n else min(1.0, centre + half)
    return lo, hi


@dataclass
class ChaosProbability:
    """Counts and probabilities over ``trials`` networks (see the module docstring)."""

    trials: int
    n_period3: int
    p_period3: float
    ci95: tuple[float, float]
    n_positive_entropy: int | None
    p_positive_entropy: float | None
    ci95_positive_entropy: tuple[float, float] | None
    grid: dict[str, Any] = field(default_factory=dict)
    spec: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    seconds: float = 0.0
    method: str = ""
    certified: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _chunk_job(args: tuple[Any, ...]) -> dict[str, int]:
    spec, n, seed_seq, hidden, output, entropy, grid, certify = args
    params = sample_networks(spec, n, np.random.default_rng(seed_seq))
    p3, p3f2 = period3_batch(params, hidden, output, with_f2=entropy)
    res = {"p3": int(p3.sum()), "pe": int(p3f2.sum()) if p3f2 is not None else -1}
    if certify:
        from rnnchaos.maps1d.certified import NONE, PERIOD3, UNDECIDED, certify_batch

        dec = certify_batch(params, hidden, output)
        res.update({"c3": int((dec == PERIOD3).sum()), "c0": int((dec == NONE).sum()),
                    "cu": int((dec == UNDECIDED).sum()),
                    # the float path against the certificates: a float 3-cycle disproved, a proved one missed
                    "float_p3_disproved": int((p3 & (dec == NONE)).sum()),
                    "float_missed_certified": int((~p3 & (dec == PERIOD3)).sum())})
    if grid:
        g4 = grid_period3(params, 4, hidden, output)
        g3 = grid_period3(params, 3, hidden, output)
        res.update({"g4": int(g4.sum()), "g3": int(g3.sum()),
                    "g4_not_p3": int((g4 & ~p3).sum()), "g3_not_p3": int((g3 & ~p3).sum()),
                    "p3_missed_by_g3": int((p3 & ~g3).sum()), "p3_missed_by_g4": int((p3 & ~g4).sum())})
    return res


def chaos_probability(spec: InitSpec, trials: int = 10_000, seed: int = 0, hidden_activation: str = "relu",
                      output_activation: str = "identity", workers: int = 1, entropy: bool = True,
                      grid: bool = False, certify: bool = False) -> ChaosProbability:
    """P(period 3) (and P(certified positive entropy), and optionally the grid tests and, for smooth maps, the
    certified decisions) over ``trials`` random networks. Cost: about 25 us per width-64 ReLU network on one
    core (exact criterion); certification of a tanh network about 1 ms at width 4, 50 ms at width 64."""
    trials = positive_int(trials, "trials")
    if trials > MAX_TRIALS:
        raise ValueError(f"trials must be at most {MAX_TRIALS:,} (about 7 hours at 25 us per network), got {trials:,}; "
                         "split larger studies into seeded runs")
    workers = positive_int(workers, "workers")
    if hidden_activation not in HIDDEN_ACTIVATIONS:
        raise ValueError(f"hidden activation must be one of {HIDDEN_ACTIVATIONS}, got {hidden_activation!r}")
    if output_activation not in OUTPUT_ACTIVATIONS:
        raise ValueError(f"output activation must be one of {OUTPUT_ACTIVATIONS}, got {output_activation!r}")
    smooth = hidden_activation == "tanh" or output_activation in SMOOTH_OUTPUTS
    entropy = entropy and not smooth
    certify = certify and smooth
    if certify and spec.depth != 2:
        raise ValueError("certified decisions (certify=True) support depth-2 networks only")
    n_chunks = math.ceil(trials / CHUNK)
    seeds = np.random.SeedSequence(seed).spawn(n_chunks)
    jobs = [(spec, min(CHUNK, trials - i * CHUNK), seeds[i], hidden_activation, output_activation, entropy, grid,
             certify) for i in range(n_chunks)]
    t0 = time.perf_counter()
    if workers > 1 and n_chunks > 1:
        with ProcessPoolExecutor(max_workers=min(workers, n_chunks)) as ex:
            results = list(ex.map(_chunk_job, jobs))
    else:
        results = [_chunk_job(j) for j in jobs]
    seconds = time.perf_counter() - t0
    k3 = sum(r["p3"] for r in results)
    out = ChaosProbability(
        trials=trials, n_period3=k3, p_period3=k3 / trials, ci95=wilson_interval(k3, trials),
        n_positive_entropy=None, p_positive_entropy=None, ci95_positive_entropy=None,
        spec={**spec.describe(), "hidden_activation": hidden_activation, "output_activation": output_activation},
        seed=seed, seconds=seconds,
        method=("numeric root bracketing of f^3 - x on the invariant interval (tanh path)" if smooth
                else "exact period-3 criterion on the piecewise-linear map"))
    if entropy:
        ke = sum(r["pe"] for r in results)
        out.n_positive_entropy = ke
        out.p_positive_entropy = ke / trials
        out.ci95_positive_entropy = wilson_interval(ke, trials)
    if certify:
        cert = {key: sum(r[key] for r in results) for key in ("c3", "c0", "cu", "float_p3_disproved",
                                                              "float_missed_certified")}
        out.certified = {"n_certified_period3": cert["c3"], "n_certified_none": cert["c0"], "n_undecided": cert["cu"],
                         "p_certified_period3": cert["c3"] / trials, "ci95_certified_period3":
                         wilson_interval(cert["c3"], trials), "p_undecided": cert["cu"] / trials,
                         "float_p3_disproved": cert["float_p3_disproved"],
                         "float_missed_certified": cert["float_missed_certified"],
                         "method": "ball arithmetic with outward rounding (python-flint arb), "
                                   "rnnchaos.maps1d.certified"}
    if grid:
        agg: dict[str, Any] = {key: sum(r[key] for r in results) for key in results[0]
                               if key.startswith(("g", "p3_missed"))}
        agg["p_grid_f4_as_published"] = agg["g4"] / trials
        agg["p_grid_f3_corrected"] = agg["g3"] / trials
        agg["ci95_grid_f4"] = wilson_interval(agg["g4"], trials)
        agg["ci95_grid_f3"] = wilson_interval(agg["g3"], trials)
        out.grid = agg
    return out
