"""``rnnchaos reproduce dsr-benchmark``: the reconstruction benchmark on every held data set (issue #11).

Thin wrapper of :func:`rnnchaos.reproductions.dsr_benchmark.run_benchmark`. Resumable: rerun the same
command with the same ``--out`` and finished runs are skipped.
"""

from __future__ import annotations

import math
from pathlib import Path

import click

from rnnchaos.cli._common import emit, json_option


def _dataset(name: str, option: str = "--datasets") -> str:
    from rnnchaos.reproductions.dsr_benchmark import dataset_name

    try:
        return dataset_name(name)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


def _names(text: str, option: str, known: list[str] | None) -> list[str]:
    vals = [t.strip() for t in text.split(",") if t.strip()]
    if not vals:
        raise click.BadParameter("expected comma-separated names" + (f" from {', '.join(known)}" if known else ""),
                                 param_hint=option)
    if known is None:
        return vals
    bad = [v for v in vals if v not in known]
    if bad:
        raise click.BadParameter(f"unknown name {bad[0]!r}; choose from {', '.join(known)}", param_hint=option)
    return vals


def _minutes(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        v = math.nan
    if not (math.isfinite(v) and 0 < v <= 24 * 60):
        raise click.BadParameter(f"expected minutes in (0, 1440], got {text!r}", param_hint="--best-minutes")
    return v


def _best_minutes(text: str, datasets: list[str]) -> dict[str, float]:
    if "=" not in text:
        return {d: _minutes(text) for d in datasets}
    out: dict[str, float] = {}
    for item in (t.strip() for t in text.split(",") if t.strip()):
        name, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"expected MINUTES or NAME=MINUTES,..., got {item!r}", param_hint="--best-minutes")
        out[_dataset(name, "--best-minutes")] = _minutes(value)
    return out


@click.command("dsr-benchmark")
@click.option("--datasets", default=None, help="Comma-separated data sets, in priority order (default: all).")
@click.option("--models", default=None, help="Comma-separated configurations (default: all).")
@click.option("--seeds", type=click.IntRange(1, 100), default=3, show_default=True,
              help="Seeds of each data set's best configuration.")
@click.option("--other-seeds", type=click.IntRange(1, 100), default=1, show_default=True,
              help="Seeds of the other configurations.")
@click.option("--only-best", is_flag=True, help="Run only each data set's best configuration.")
@click.option("--minutes", type=click.FloatRange(min=0, min_open=True, max=24 * 60), default=10.0,
              show_default=True, help="Training budget per run (one core).")
@click.option("--best-minutes", default=None,
              help="Training budget of the best configurations: minutes for all, or NAME=MIN,... per data set "
                   "(default: --minutes).")
@click.option("--budget-clock", type=click.Choice(["wall", "cpu"]), default="wall", show_default=True,
              help="What the budgets count: wall-clock time, or each run's CPU time (one core: the epochs a run "
                   "would do alone, on a machine shared with other work).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("dsr_benchmark"),
              show_default=True)
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Directory with the benchmark .npy files (default $RNNCHAOS_DATA_DIR or ../shared/data).")
@click.option("--workers", type=click.IntRange(1, 1024), default=1, show_default=True,
              help="Local processes (1: in this process).")
@click.option("--ray", "ray_address", default=None, help="Run on Ray: 'auto' or a cluster address.")
@click.option("--include", "include", multiple=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Another benchmark directory whose finished runs join the table (read only; repeatable).")
@json_option
def dsr_benchmark(datasets: str | None, models: str | None, seeds: int, other_seeds: int, only_best: bool,
                  minutes: float, best_minutes: str | None, budget_clock: str, out: Path, data_dir: Path | None, workers: int,
                  ray_address: str | None, include: tuple[Path, ...], as_json: bool) -> None:
    """Train each configuration on each data set and score it on held-out data against the data's floors."""
    from rnnchaos.reproductions.dsr_benchmark import CONFIGS, DATASETS, run_benchmark

    ds = [_dataset(v) for v in _names(datasets, "--datasets", None)] if datasets is not None else list(DATASETS)
    cf = _names(models, "--models", list(CONFIGS)) if models is not None else list(CONFIGS)
    bm = _best_minutes(best_minutes, ds) if best_minutes is not None else None
    summary = run_benchmark(ds, cf, best_seeds=seeds, other_seeds=other_seeds, only_best=only_best,
                            minutes=minutes, best_minutes=bm, out=out, data_dir=data_dir, workers=workers,
                            ray_address=ray_address, budget_clock=budget_clock, include=include,
                            show_progress=not as_json)
    emit({"out": str(out), **summary}, as_json)
