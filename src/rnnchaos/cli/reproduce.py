"""``rnnchaos reproduce NAME``: one command per published figure or table (see ``rnnchaos.reproductions``)."""

from __future__ import annotations

import click

from rnnchaos.cli import LazyGroup

EXPERIMENTS: dict[str, str] = {
    "scrambling-table": "reproduce_scrambling:scrambling_table",
    "scrambling-width": "reproduce_scrambling:scrambling_width",
    "scrambling-gain": "reproduce_scrambling:scrambling_gain",
    "scrambling-claims": "reproduce_scrambling:scrambling_claims",
    "persistence": "reproduce_scrambling:persistence",
    "lipschitz": "reproduce_scrambling:lipschitz",
    "distance": "reproduce_scrambling:distance",
    "higher-dim": "reproduce_scrambling:higher_dim",
    "rnn-gain": "reproduce_rnn:rnn_gain",
    "stf-tau-sweep": "reproduce_stf:stf_tau_sweep",
    "stf-ablations": "reproduce_stf:stf_ablations",
    "dsr-benchmark": "reproduce_dsr:dsr_benchmark",
}


@click.group(cls=LazyGroup, lazy=EXPERIMENTS, package="rnnchaos.cli")
def reproduce() -> None:
    """Reproduce a published experiment: writes a table (CSV and JSON) and a figure (PNG)."""
