"""``rnnchaos demo``: estimate, train, evaluate and report on built-in data in a few minutes."""

from __future__ import annotations

import time
from pathlib import Path

import click

from rnnchaos.cli._common import emit, json_option


@click.command()
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Run directory (default: runs/demo-YYYYmmdd-HHMMSS).")
@click.option("--minutes", type=click.FloatRange(min=0.05), default=2.0, show_default=True,
              help="Training time budget in minutes.")
@click.option("--trials", type=click.IntRange(min=10), default=4000, show_default=True,
              help="Random networks per width for P(period 3).")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@json_option
def demo(out: str | None, minutes: float, trials: int, seed: int, as_json: bool) -> None:
    """Lorenz-63 exponents and τ_pred, a PLRNN trained with sparse forcing at τ = auto and its report,
    and P(period 3) of random 1-D ReLU networks at three widths; prints the run directory."""
    from rnnchaos._util.threads import single_thread
    from rnnchaos.reproductions.demo import run_demo

    out_dir = Path(out) if out else Path("runs") / time.strftime("demo-%Y%m%d-%H%M%S")
    with single_thread():
        summary = run_demo(out_dir, minutes=minutes, trials=trials, seed=seed, verbose=not as_json)
    if as_json:
        emit(summary, True)
        return
    click.echo(f"demo finished in {summary['seconds']:.0f} s")
    click.echo(f"run directory: {summary['out']}")
    click.echo(f"summary page:  {summary['page']}")
