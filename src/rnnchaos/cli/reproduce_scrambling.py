"""``rnnchaos reproduce scrambling-*``: the experiments of the scrambling paper (Chatziafratis et al. 2022).

Thin: parses, calls :mod:`rnnchaos.reproductions.scrambling_*` and prints the written paths (CSV, JSON, PNG).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import click

from rnnchaos.cli._common import seed_option


def _out_option(default: str) -> Callable[[Any], Any]:
    return click.option("--out", "out", type=click.Path(file_okay=False), default=default, show_default=True,
                        help="Output directory (created if missing).")


def _trials_option(default: int, help_text: str) -> Callable[[Any], Any]:
    return click.option("--trials", type=int, default=default, show_default=True, help=help_text)


def _check(trials: int) -> None:
    if trials < 1:
        raise ValueError(f"--trials must be a positive integer, got {trials}")


def _matplotlib_agg() -> None:
    os.environ.setdefault("MPLBACKEND", "Agg")


def _print(paths: list[Any]) -> None:
    for p in paths:
        click.echo(str(p))


@click.command("scrambling-table")
@_trials_option(10_000, "Networks per ReLU row (tanh rows use min(trials, 2000)).")
@_out_option("results/scrambling-table")
@click.option("--workers", type=int, default=1, show_default=True, help="Worker processes.")
@seed_option
def scrambling_table(trials: int, out: str, workers: int, seed: int) -> None:
    """The paper's P(period 3) table: published vs grid test (f^4 as published, f^3) vs exact."""
    _check(trials)
    _matplotlib_agg()
    from rnnchaos.reproductions.scrambling_table import reproduce

    _print(reproduce(out, trials=trials, seed=seed, workers=workers, tanh_trials=min(trials, 2_000)))


@click.command("scrambling-width")
@_trials_option(10_000, "Networks per width (at most 2000 above width 1024).")
@_out_option("results/scrambling-width")
@click.option("--workers", type=int, default=1, show_default=True, help="Worker processes.")
@seed_option
def scrambling_width(trials: int, out: str, workers: int, seed: int) -> None:
    """Exact P(period 3) against the width (2 ... 4096) for He and Glorot."""
    _check(trials)
    _matplotlib_agg()
    from rnnchaos.reproductions.scrambling_width import reproduce_width

    _print(reproduce_width(out, trials=trials, seed=seed, workers=workers))


@click.command("scrambling-gain")
@_trials_option(10_000, "Networks per gain.")
@_out_option("results/scrambling-gain")
@click.option("--workers", type=int, default=1, show_default=True, help="Worker processes.")
@seed_option
def scrambling_gain(trials: int, out: str, workers: int, seed: int) -> None:
    """Exact P(period 3) against the output gain g (He, width 64): the order-to-chaos transition."""
    _check(trials)
    _matplotlib_agg()
    from rnnchaos.reproductions.scrambling_width import reproduce_gain

    _print(reproduce_gain(out, trials=trials, seed=seed, workers=workers))


@click.command("persistence")
@_trials_option(500, "Perturbation seeds.")
@_out_option("results/persistence")
@seed_option
def persistence(trials: int, out: str, seed: int) -> None:
    """Laps of f^t under 0.1 N(0,1) perturbations: recurrent vs feed-forward."""
    _check(trials)
    _matplotlib_agg()
    from rnnchaos.reproductions.scrambling_maps import reproduce_persistence

    _print(reproduce_persistence(out, trials=trials, seed=seed))


@click.command("lipschitz")
@_trials_option(12, "Iterates t whose laps are counted (deterministic map).")
@_out_option("results/lipschitz")
@seed_option
def lipschitz(trials: int, out: str, seed: int) -> None:
    """A map with a large Lipschitz constant whose lap numbers saturate (not chaotic)."""
    _check(trials)
    _matplotlib_agg()
    from rnnchaos.reproductions.scrambling_maps import reproduce_lipschitz

    _print(reproduce_lipschitz(out, trials=trials, seed=seed))


@click.command("distance")
@_trials_option(150, "Steps of the two orbits (deterministic map).")
@_out_option("results/distance")
@seed_option
def distance(trials: int, out: str, seed: int) -> None:
    """Distance of two nearby orbits of the near-tent map, with running liminf/limsup (exact and float64)."""
    _check(trials)
    _matplotlib_agg()
    from rnnchaos.reproductions.scrambling_maps import reproduce_distance

    _print(reproduce_distance(out, trials=trials, seed=seed))


@click.command("higher-dim")
@_trials_option(1000, "Networks per weight scale.")
@_out_option("results/higher-dim")
@seed_option
def higher_dim(trials: int, out: str, seed: int) -> None:
    """64-d two-layer ReLU maps: fraction with Jacobian spectral radius > 1, and lambda_max, vs weight scale."""
    _check(trials)
    _matplotlib_agg()
    from rnnchaos.reproductions.scrambling_higher_dim import reproduce_higher_dim

    _print(reproduce_higher_dim(out, trials=trials, seed=seed))
