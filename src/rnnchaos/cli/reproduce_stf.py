"""``rnnchaos reproduce stf-tau-sweep`` and ``stf-ablations`` (Mikhaeil, Monfared & Durstewitz, NeurIPS 2022).

Thin wrappers of ``rnnchaos.reproductions.stf_tau_sweep`` and ``stf_ablations``. Both are resumable: rerun
the same command with the same ``--out`` and finished runs are skipped.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import click

from rnnchaos.cli._common import apply_options, emit, json_option
from rnnchaos.reproductions.stf_common import DATASETS, series_name


class _STFDataset(click.Choice):
    """The STF series by catalog name (``stf:lorenz63``); the older bare name (``lorenz63``) is accepted."""

    def __init__(self) -> None:
        super().__init__([f"stf:{k}" for k in DATASETS])

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and value.strip().lower() in DATASETS:
            value = f"stf:{series_name(value)}"
        return super().convert(value, param, ctx)


_DATASET_HELP = ("Data set of the paper, by its catalog name (rnnchaos.data.catalog; the file stf_NAME.npy in "
                 "--data-dir). The bare series name (lorenz63) is accepted too.")


def _floats(text: str, name: str) -> list[float]:
    try:
        vals = [float(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise click.BadParameter(f"expected comma-separated numbers, got {text!r}", param_hint=name) from None
    if not vals or any(not math.isfinite(v) or v < 1 for v in vals):
        raise click.BadParameter(f"expected forcing intervals >= 1, got {text!r}", param_hint=name)
    return vals


def _names(text: str) -> list[str]:
    vals = [t.strip() for t in text.split(",") if t.strip()]
    if not vals:
        raise click.BadParameter("expected comma-separated model names, e.g. plrnn,rnn,lstm", param_hint="--models")
    return vals


common = [
    click.option("--seeds", type=click.IntRange(1), default=1, show_default=True, help="Seeds per configuration."),
    click.option("--minutes", type=click.FloatRange(min=0, min_open=True), default=2.0, show_default=True,
                 help="Wall-clock training budget per run (the paper: 3,000 epochs)."),
    click.option("--epochs", type=click.IntRange(1), default=3000, show_default=True,
                 help="Epoch cap per run (the paper: 3,000); training stops at --minutes or --epochs."),
    click.option("--hidden", type=click.IntRange(1), default=None, help="Latent size (Reconstructor default)."),
    click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                 help="Directory with stf_*.npy (default $RNNCHAOS_DATA_DIR or ../shared/data)."),
    click.option("--n-steps", type=click.IntRange(1000), default=100_000, show_default=True,
                 help="Length of the scored free run (the paper: 100,000)."),
]



@click.command("stf-tau-sweep")
@click.option("--dataset", type=_STFDataset(), required=True, help=_DATASET_HELP)
@click.option("--models", default="plrnn,rnn,lstm", show_default=True, help="Comma-separated architectures.")
@click.option("--taus", default="5,10,20,30,50,70,100,200", show_default=True, help="Forcing intervals (steps).")
@click.option("--no-clip", is_flag=True, help="Skip the gradient-clipped BPTT baseline.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("stf_tau_sweep"),
              show_default=True)
@json_option
def _tau_sweep(dataset: str, models: str, taus: str, no_clip: bool, out: Path, as_json: bool, seeds: int,
               minutes: float, epochs: int, hidden: int | None, data_dir: Path | None, n_steps: int) -> None:
    """D_stsp and D_H against tau with tau_pred and the clipped-BPTT baseline, beside the published curves."""
    from rnnchaos.reproductions.stf_tau_sweep import run_tau_sweep

    kw: dict[str, Any] = {"epochs": epochs, **({"hidden": hidden} if hidden else {})}
    summary = run_tau_sweep(dataset, models=_names(models), taus=_floats(taus, "--taus"), seeds=seeds,
                            minutes=minutes, out=out, data_dir=str(data_dir) if data_dir else None,
                            include_clip=not no_clip, reconstructor_kwargs=kw, n_steps=n_steps)
    emit({"out": str(out), "table": str(out / "tau_sweep.csv"), "figure": str(out / "tau_sweep.png"), **summary},
         as_json)


stf_tau_sweep = apply_options(common, _tau_sweep)


@click.command("stf-ablations")
@click.option("--dataset", type=_STFDataset(), default="stf:lorenz63", show_default=True, help=_DATASET_HELP)
@click.option("--model", default="plrnn", show_default=True)
@click.option("--tau", type=click.FloatRange(min=1), default=30.0, show_default=True)
@click.option("--delta", type=click.FloatRange(min=0), default=10.0, show_default=True,
              help="Random tau: uniform in [tau - delta, tau + delta].")
@click.option("--variants", default="stf,window,tbptt,random,clip", show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("stf_ablations"),
              show_default=True)
@json_option
def _ablations(dataset: str, model: str, tau: float, delta: float, variants: str, out: Path, as_json: bool,
               seeds: int, minutes: float, epochs: int, hidden: int | None, data_dir: Path | None,
               n_steps: int) -> None:
    """Windowing, truncated BPTT and random tau against sparse teacher forcing (and clipped BPTT)."""
    from rnnchaos.reproductions.stf_ablations import run_ablations

    kw: dict[str, Any] = {"epochs": epochs, **({"hidden": hidden} if hidden else {})}
    summary = run_ablations(dataset=dataset, model=model, tau=tau, delta=delta, variants=_names(variants),
                            seeds=seeds, minutes=minutes, out=out, data_dir=str(data_dir) if data_dir else None,
                            reconstructor_kwargs=kw, n_steps=n_steps)
    emit({"out": str(out), "table": str(out / "ablations.csv"), "figure": str(out / "ablations.png"), **summary},
         as_json)


stf_ablations = apply_options(common, _ablations)
