"""``rnnchaos periods`` and ``rnnchaos chaos-probability``: exact chaos analysis of 1-D recurrent maps.

Thin: parses, calls :mod:`rnnchaos.maps1d` and prints.
"""

from __future__ import annotations

from typing import Any

import click

from rnnchaos.cli._common import LibraryChoice, emit, json_option, seed_option
from rnnchaos.maps1d.init import SCHEMES

_TEXT_KEYS = ("period3", "li_yorke_chaotic", "witness", "periods", "periods_truncated_at", "sharkovsky_type", "laps", "laps_interval", "laps_domain",
              "entropy_lower_bound", "entropy_estimate", "lyapunov_exponent", "lyapunov_positive", "lyapunov_units",
              "lyapunov_note",
              "exact", "method")


@click.command("periods")
@click.option("--weights", "weights", type=click.Path(dir_okay=False), required=True,
              help="JSON file with keys w1, b1, w2, b2 (numbers or rationals like \"3/7\"), "
                   "hidden_activation (relu|tanh), output_activation (identity|relu|clip|tanh|clip_tanh).")
@click.option("--max-period", type=int, default=6, show_default=True, help="Search periods 1..P.")
@json_option
def periods(weights: str, max_period: int, as_json: bool) -> None:
    """Periodic points, Li–Yorke certificate, laps and entropy bound of the map x -> f(x) given by a network.

    ReLU networks are analysed exactly (in rational arithmetic when the weights are rationals); tanh networks
    by certified root bracketing. "period3"/"li_yorke_chaotic" (topological) and "lyapunov_exponent"
    (per step, along one orbit) are reported separately: a map can have period 3 and a negative exponent.
    """
    from rnnchaos.maps1d.analysis import analyze_network
    from rnnchaos.maps1d.network import Network1D

    if max_period < 1:
        raise ValueError(f"--max-period must be a positive integer, got {max_period}")
    net = Network1D.from_json(weights)
    result = analyze_network(net, max_period=max_period)
    if as_json:
        emit(result, True)
    else:
        emit({k: result[k] for k in _TEXT_KEYS if k in result}, False)


@click.command("chaos-probability")
@click.option("--width", type=int, required=True, help="Hidden width k (up to 4096).")
@click.option("--init", "init", default="he", show_default=True,
              help=f"Weight scheme: {', '.join(SCHEMES)}.")
@click.option("--bias-init", default=None, help="Bias scheme [same as --init].")
@click.option("--output-init", default=None, help="Output-layer weight scheme [same as --init].")
@click.option("--output-bias-init", default=None, help="Output-layer bias scheme [same as --bias-init].")
@click.option("--output-gain", type=float, default=1.0, show_default=True,
              help="Gain g multiplying the output layer's weights and bias.")
@click.option("--hidden-activation", type=LibraryChoice("rnnchaos.maps1d.network:HIDDEN_ACTIVATIONS"), default="relu", show_default=True)
@click.option("--output-activation", type=LibraryChoice("rnnchaos.maps1d.network:OUTPUT_ACTIVATIONS"),
              default="identity", show_default=True, help="clip = clip to [0, 1]; clip_tanh = tanh(clip(z, 0, 1)).")
@click.option("--depth", type=click.Choice(["2", "3"]), default="2", show_default=True,
              help="Number of weight layers (3 = two hidden layers).")
@click.option("--trials", type=int, default=10_000, show_default=True)
@click.option("--workers", type=int, default=1, show_default=True,
              help="Worker processes (results do not depend on it).")
@click.option("--grid", "grid", is_flag=True, help="Also run the paper's 163-point grid test (f^4 and f^3).")
@seed_option
@json_option
def chaos_probability(width: int, init: str, bias_init: str | None, output_init: str | None,
                      output_bias_init: str | None, output_gain: float, hidden_activation: str,
                      output_activation: str, depth: str, trials: int, workers: int, grid: bool, seed: int,
                      as_json: bool) -> None:
    """Probability that a random network's map x -> f(x) has a 3-cycle (Li–Yorke chaos), with a Wilson 95%
    interval, and the certified lower bound on P(positive topological entropy)."""
    from rnnchaos.maps1d.init import InitSpec
    from rnnchaos.maps1d.montecarlo import chaos_probability as run

    if width < 1 or width > 4096:
        raise ValueError(f"--width must be an integer in 1..4096, got {width}")
    if trials < 1:
        raise ValueError(f"--trials must be a positive integer, got {trials}")
    spec = InitSpec(width=width, init=init, bias_init=bias_init, output_init=output_init,
                    output_bias_init=output_bias_init, output_gain=output_gain, depth=int(depth))
    res = run(spec, trials=trials, seed=seed, hidden_activation=hidden_activation,
              output_activation=output_activation, workers=workers, grid=grid)
    out: dict[str, Any] = {"trials": res.trials, "p_period3": res.p_period3, "ci95": list(res.ci95),
                           "n_period3": res.n_period3, "p_positive_entropy": res.p_positive_entropy,
                           "ci95_positive_entropy": (None if res.ci95_positive_entropy is None
                                                     else list(res.ci95_positive_entropy)),
                           "positive_entropy_note": ("certified lower bound: f has a point of period 3 or 6"
                                                     if res.p_positive_entropy is not None
                                                     else "not computed on the smooth (tanh) path"),
                           "method": res.method, "seed": seed, "seconds": res.seconds, **res.spec}
    if grid:
        out["grid"] = res.grid
    emit(out, as_json)
