"""``rnnchaos reproduce rnn-gain``: λ_max of random tanh RNNs against gain, width and initialisation.

Thin wrapper of :func:`rnnchaos.reproductions.random_rnn.run_rnn_gain`; writes ``rnn_gain.csv`` (one row per
network), ``rnn_gain.json`` (per-configuration summary, probability of chaos, mean-field curve) and
``rnn_gain.png``, each atomically.
"""

from __future__ import annotations

from pathlib import Path

import click

from rnnchaos.cli._common import emit, json_option


@click.command("rnn-gain")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("rnn_gain"),
              show_default=True, help="Output directory.")
@click.option("--trials", type=click.IntRange(1), default=8, show_default=True,
              help="Random networks per (scheme, width, gain).")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True, help="Random seed.")
@click.option("--steps", type=click.IntRange(10), default=1500, show_default=True,
              help="Accumulation steps of the λ_max estimate.")
@json_option
def rnn_gain(out: Path, trials: int, seed: int, steps: int, as_json: bool) -> None:
    """λ_max of h <- tanh(g W h) against g for widths 50-400 and normal/He/Glorot/orthogonal initialisations."""
    from threadpoolctl import threadpool_limits

    from rnnchaos.reproductions.random_rnn import run_rnn_gain, write_rnn_gain

    with threadpool_limits(1):  # small batched mat-vecs: one BLAS thread is fastest (docs/architecture.md, "Conventions")
        result = run_rnn_gain(trials=trials, seed=seed, n_steps=steps, show_progress=not as_json)
    paths = write_rnn_gain(result, out)
    crossing = {}
    for scheme in result["schemes"]:
        rows = [r for r in result["summary"] if r["scheme"] == scheme and r["width"] == result["scheme_width"]]
        chaotic = [r["gain"] for r in rows if r["p_chaos"] >= 0.5]
        crossing[scheme] = min(chaotic) if chaotic else None
    emit({"out": str(out), "table": paths["csv"], "summary": paths["json"], "figure": paths["png"],
          "first_gain_with_p_chaos_at_least_half": crossing, "scheme_width": result["scheme_width"],
          "trials": trials, "units": "per_step", "seconds": round(result["seconds"], 1)}, as_json)
