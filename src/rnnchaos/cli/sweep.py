"""``rnnchaos sweep CONFIG.toml``: run a grid of trials on local cores or a Ray cluster.

Exit codes: 0 every trial succeeded; 1 some trials failed (they are listed, the others' results are
in the tables); 2 bad config or options, or an output directory that cannot be written.
"""

from __future__ import annotations

from pathlib import Path

import click

from rnnchaos.cli._common import emit, json_option


@click.command("sweep")
@click.argument("config", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Output directory (default: sweeps/<sweep name>). Reusing it resumes the sweep.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Parallel trials (default: all CPUs); 1 runs them in this process.")
@click.option("--ray", "ray_address", default=None, metavar="ADDRESS|auto",
              help="Run on Ray: 'auto' starts a local instance, otherwise a cluster address.")
@click.option("--retry-failed", is_flag=True, help="Run again the trials that failed in a previous run.")
@click.option("--dry-run", is_flag=True, help="Validate the config and list the trials without running them.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@json_option
def sweep(config: Path, out_dir: Path | None, workers: int | None, ray_address: str | None,
          retry_failed: bool, dry_run: bool, quiet: bool, as_json: bool) -> int:
    """Run the sweep described by CONFIG (TOML; see docs/sweeps.md).

    Results go to OUT/results.csv and OUT/results.json; every finished trial is journaled in
    OUT/trials.jsonl, so running the same command again skips the trials already done.
    Exit code 0 if every trial succeeded, 1 if some failed, 2 for a bad config.
    """
    from rnnchaos.sweep.config import load_config
    from rnnchaos.sweep.engine import run_sweep
    from rnnchaos.sweep.grid import expand

    if ray_address is not None and not ray_address.strip():
        raise click.BadParameter("give 'auto' (a new local Ray instance) or the address of a Ray cluster",
                                 param_hint="--ray")
    cfg = load_config(config)
    out = out_dir if out_dir is not None else Path("sweeps") / cfg.name
    if dry_run:
        trials = expand(cfg)
        emit({"name": cfg.name, "kind": cfg.kind, "function": cfg.function, "n_trials": len(trials),
              "out_dir": str(out), "trials": [{"id": t.id, "seed": t.seed, **t.point} for t in trials]}, as_json)
        return 0
    result = run_sweep(cfg, out, workers=workers, ray_address=ray_address, retry_failed=retry_failed,
                       show_progress=not quiet)
    summary = result.summary()
    summary["failed"] = [{"id": r["id"], "error": r["error"]} for r in result.failed]
    if not as_json:
        shown = summary.pop("failed")
        emit(summary, False)
        for item in shown[:20]:
            click.echo(f"failed trial {item['id']}: {item['error']}", err=True)
        if len(shown) > 20:
            click.echo(f"... and {len(shown) - 20} more failed trials (see {result.files['results_csv']})", err=True)
    else:
        emit(summary, True)
    return 0 if result.n_failed == 0 else 1
