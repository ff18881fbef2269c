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
@click.option("--certify/--no-certify", default=True, show_default=True,
              help="Decide the tanh rows by ball arithmetic (proved / proved none / undecided); "
                   "--no-certify keeps the float bracketing only.")
@seed_option
def scrambling_table(trials: int, out: str, workers: int, certify: bool, seed: int) -> None:
    """The paper's P(period 3) table: published vs grid test (f^4 as published, f^3) vs exact (certified for
    the tanh rows)."""
    _check(trials)
    _matplotlib_agg()
    from rnnchaos.reproductions.scrambling_table import reproduce

    _print(reproduce(out, trials=trials, seed=seed, workers=workers, tanh_trials=min(trials, 2_000),
                     certify=certify))


def _int_list(text: str, what: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise ValueError(f"{what} must be a comma-separated list of integers, got {text!r}") from None
    if not values:
        raise ValueError(f"{what} must list at least one integer, got {text!r}")
    return values


@click.command("scrambling-width")
@_trials_option(100_000, "Networks per (init, width); a multiple of --chunk-size.")
@_out_option("results/scrambling-width")
@click.option("--widths", default="2,4,8,16,32,64,128,256,512,1024,2048,4096,8192,16384", show_default=True,
              help="Comma-separated hidden widths.")
@click.option("--inits", default="he,lecun,glorot", show_default=True, help="Comma-separated init schemes.")
@click.option("--chunk-size", type=int, default=5_000, show_default=True,
              help="Networks per chunk (one journaled trial; its seed depends on init, width, chunk index).")
@click.option("--min-width", type=int, default=8, show_default=True,
              help="Smallest width in the trend fit (P rises from k = 2 to k = 4-8 before it falls).")
@click.option("--workers", type=int, default=1, show_default=True, help="Worker processes.")
@click.option("--ray", "ray_address", default=None, metavar="ADDRESS|auto",
              help="Run the chunks on Ray: 'auto' starts a local instance, otherwise a cluster address.")
@click.option("--table-only", is_flag=True, help="Rebuild table, fit and figure from the journal; run nothing.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@seed_option
def scrambling_width(trials: int, out: str, widths: str, inits: str, chunk_size: int, min_width: int, workers: int,
                     ray_address: str | None, table_only: bool, quiet: bool, seed: int) -> None:
    """Exact P(period 3) against the width (2 ... 16,384) for He, LeCun and Glorot, chunked and resumable
    (journal OUT/trials.jsonl), with the trend fit (constant vs power law vs constant + power law)."""
    _check(trials)
    if chunk_size < 1:
        raise ValueError(f"--chunk-size must be a positive integer, got {chunk_size}")
    if workers < 1:
        raise ValueError(f"--workers must be a positive integer, got {workers}")
    if ray_address is not None and not ray_address.strip():
        raise ValueError("--ray needs 'auto' or a cluster address")
    width_list = _int_list(widths, "--widths")
    if any(w < 1 for w in width_list):
        raise ValueError(f"--widths must be positive integers, got {widths!r}")
    init_list = tuple(v.strip() for v in inits.split(",") if v.strip())
    _matplotlib_agg()
    from rnnchaos.reproductions.scrambling_width import reproduce_width

    _print(reproduce_width(out, networks=trials, seed=seed, workers=workers, widths=width_list, inits=init_list,
                           chunk_size=chunk_size, ray_address=ray_address, min_width=min_width, run=not table_only,
                           show_progress=not quiet))


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


@click.command("scrambling-claims")
@click.option("--bases", type=int, default=40, show_default=True,
              help="Chaotic base maps (He, width 8) for the persistence study.")
@click.option("--networks", type=int, default=20, show_default=True,
              help="Random networks per (width, depth) for the expressivity study.")
@_out_option("results/scrambling-claims")
@seed_option
def scrambling_claims(bases: int, networks: int, out: str, seed: int) -> None:
    """Claims 2 and 3 over random networks: persistence of 3-cycles and lap growth under perturbations
    (recurrent vs feed-forward), and laps of f^t against t for widths and depths 2 ... 6."""
    for name, v in (("--bases", bases), ("--networks", networks)):
        if not 1 <= v <= 10_000:
            raise ValueError(f"{name} must be between 1 and 10000, got {v}")
    _matplotlib_agg()
    from rnnchaos.reproductions.scrambling_claims import reproduce_claims

    _print(reproduce_claims(out, seed=seed, n_base=bases, networks=networks))


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
