"""The sweep engine: expand a config into trials, skip those already journaled, run the rest, and
gather every outcome into one table.

Output directory layout (every file but the journal is written atomically):

* ``sweep.json``   -- the validated config and the trial count (rewritten at each start);
* ``trials.jsonl`` -- the journal, one line per finished trial, appended with flush + fsync as each
  trial finishes (see :mod:`rnnchaos.sweep.journal`); a sweep started again on the same directory
  skips every trial already in it with the same id and seed (failed ones too, unless
  ``retry_failed``);
* ``results.json`` -- ``{"sweep": summary, "trials": [record, ...]}`` in grid order;
* ``results.csv``  -- one row per trial: ``index, id, status, seed``, the grid parameters, the
  result keys (nested values as JSON text) and ``error``.

A record is ``{"index", "id", "seed", "params", "status", "result", "error", "traceback",
"duration_s"}``; ``status`` is ``"ok"``, ``"error"`` or ``"pending"`` (not run: the sweep was
interrupted). A lock file keeps two sweeps from writing to the same directory at once.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rnnchaos._util.atomic import write_json_atomic, write_text_atomic
from rnnchaos._util.progress import progress_bar
from rnnchaos._util.validation import positive_int
from rnnchaos.sweep.config import SweepConfig
from rnnchaos.sweep.executors import default_workers, run_local, run_ray, run_serial
from rnnchaos.sweep.grid import Trial, expand
from rnnchaos.sweep.journal import Journal

__all__ = ["SweepResult", "results_table", "run_sweep"]


@dataclass
class SweepResult:
    """What a sweep produced: the records in grid order and where the tables were written."""

    out_dir: Path
    records: list[dict[str, Any]]
    n_ran: int = 0
    n_skipped: int = 0
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def n_trials(self) -> int:
        return len(self.records)

    @property
    def n_ok(self) -> int:
        return sum(r["status"] == "ok" for r in self.records)

    @property
    def n_failed(self) -> int:
        return sum(r["status"] == "error" for r in self.records)

    @property
    def n_pending(self) -> int:
        return sum(r["status"] == "pending" for r in self.records)

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r["status"] == "error"]

    def summary(self) -> dict[str, Any]:
        """Counts and file paths, as printed by ``rnnchaos sweep``."""
        return {"out_dir": str(self.out_dir), "n_trials": self.n_trials, "n_ok": self.n_ok,
                "n_failed": self.n_failed, "n_pending": self.n_pending, "n_ran": self.n_ran,
                "n_skipped": self.n_skipped, **{k: str(v) for k, v in self.files.items()}}


@contextlib.contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    """Hold an exclusive, non-blocking lock on ``out_dir/.lock`` (POSIX ``flock``)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock
        yield
        return
    fd = os.open(out_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ValueError(f"another sweep is running in {out_dir}; wait for it or use another --out") from None
        except OSError:
            pass  # a file system without locks (some network mounts): run unguarded rather than refuse
        yield
    finally:
        os.close(fd)


def _record(trial: Trial, outcome: dict[str, Any]) -> dict[str, Any]:
    return {"id": trial.id, "seed": trial.seed, "params": trial.params, "status": outcome["status"],
            "result": outcome.get("result"), "error": outcome.get("error"),
            "traceback": outcome.get("traceback"), "duration_s": outcome.get("duration_s")}


def run_sweep(config: SweepConfig, out_dir: str | os.PathLike[str], *, workers: int | None = None,
              ray_address: str | None = None, retry_failed: bool = False,
              show_progress: bool = True) -> SweepResult:
    """Run every trial of ``config`` not already journaled in ``out_dir`` and write the result tables.

    Parameters
    ----------
    config:
        A validated :class:`~rnnchaos.sweep.config.SweepConfig`.
    out_dir:
        Output directory (created if missing). Reusing it resumes the sweep.
    workers:
        Processes (local) or CPUs of a new local Ray instance; default: all CPUs this process may
        use. ``1`` runs the trials in this process, one after another.
    ray_address:
        ``None``: local processes. ``"auto"``: start a local Ray instance. Otherwise the address of a
        running Ray cluster (``"ray://host:10001"`` or ``"host:6379"``).
    retry_failed:
        Run again the trials journaled as failed (by default they are skipped like the others).
    show_progress:
        A tqdm bar on stderr for the whole sweep.

    Returns
    -------
    SweepResult with one record per trial in grid order. Trials that raised have ``status ==
    "error"``; nothing is raised for them. ``KeyboardInterrupt`` propagates after the tables of the
    trials finished so far have been written.
    """
    if not isinstance(config, SweepConfig):
        raise ValueError(f"config must be a SweepConfig (see rnnchaos.sweep.load_config), got {type(config).__name__}")
    n_workers = default_workers() if workers is None else positive_int(workers, "workers")
    if ray_address is not None and (not isinstance(ray_address, str) or not ray_address.strip()):
        raise ValueError(f"ray_address must be 'auto' or a Ray cluster address, got {ray_address!r}")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"output path {out} exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"cannot create output directory {out}: {exc.strerror or exc}") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise ValueError(f"output directory {out} is not writable")

    trials = expand(config)
    with _locked(out), Journal(out / "trials.jsonl") as journal:
        write_json_atomic(out / "sweep.json", {**config.to_dict(), "n_trials": len(trials)})
        journaled = journal.load()
        done: dict[str, dict[str, Any]] = {}
        for t in trials:
            rec = journaled.get(t.id)
            if rec is not None and rec.get("seed") == t.seed and (rec["status"] == "ok" or not retry_failed):
                done[t.id] = rec
        pending = [t for t in trials if t.id not in done]
        result = SweepResult(out_dir=out, records=[], n_skipped=len(done))
        try:
            if pending:
                if ray_address is not None:
                    stream = run_ray(pending, config.function, config.python_path, ray_address,
                                     None if workers is None else n_workers)
                elif n_workers == 1:
                    stream = run_serial(pending, config.function, config.python_path)
                else:
                    stream = run_local(pending, config.function, config.python_path, n_workers)
                bar = progress_bar(desc=f"sweep {config.name}", total=len(trials), initial=len(done),
                                   enabled=show_progress, unit="trial")
                n_failed = sum(r["status"] == "error" for r in done.values())
                try:
                    for trial, outcome in stream:
                        rec = json.loads(json.dumps(_record(trial, outcome), allow_nan=False))
                        journal.append(rec)
                        done[trial.id] = rec
                        result.n_ran += 1
                        n_failed += rec["status"] == "error"
                        bar.update(1)
                        if n_failed:
                            bar.set_postfix(failed=n_failed)
                finally:
                    bar.close()
                    close = getattr(stream, "close", None)
                    if close is not None:
                        close()
        except BaseException:
            # the trials stopped (interrupt, full disk): write the tables of those done so far, but let the
            # first error be the one reported (a full disk usually refuses the tables too)
            result.records = _records_in_order(trials, done)
            with contextlib.suppress(OSError):
                result.files = write_results(config, result.records, out)
            raise
        result.records = _records_in_order(trials, done)
        result.files = write_results(config, result.records, out)
    return result


def _records_in_order(trials: list[Trial], done: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    records = []
    for t in trials:
        rec = done.get(t.id)
        if rec is None:
            rec = {"id": t.id, "seed": t.seed, "params": t.params, "status": "pending", "result": None,
                   "error": None, "traceback": None, "duration_s": None}
        records.append({"index": t.index, **rec, "params": t.params})
    return records


def results_table(config: SweepConfig, records: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """Flatten records into ``(header, rows)``: index, id, status, seed, grid parameters, result keys,
    error. A result key that collides with another column is prefixed with ``result.``."""
    fixed_cols = ["index", "id", "status", "seed", *config.grid]
    result_keys: list[str] = []
    for rec in records:
        for key in rec.get("result") or {}:
            if key not in result_keys:
                result_keys.append(key)
    taken = set(fixed_cols) | {"error"}
    result_cols = [f"result.{k}" if k in taken else k for k in result_keys]
    header = [*fixed_cols, *result_cols, "error"]
    rows = []
    for rec in records:
        res = rec.get("result") or {}
        row = [rec["index"], rec["id"], rec["status"], rec["seed"], *(rec["params"][k] for k in config.grid),
               *(res.get(k) for k in result_keys), rec.get("error")]
        rows.append(row)
    return header, rows


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, allow_nan=False)


def write_results(config: SweepConfig, records: list[dict[str, Any]], out: Path) -> dict[str, Path]:
    """Write ``results.json`` and ``results.csv`` atomically; return their paths."""
    counts = {s: sum(r["status"] == s for r in records) for s in ("ok", "error", "pending")}
    summary = {**config.to_dict()["sweep"], "n_trials": len(records), "n_ok": counts["ok"],
               "n_failed": counts["error"], "n_pending": counts["pending"]}
    doc = {"sweep": summary, "fixed": config.fixed, "grid": config.grid, "trials": records}
    json_path, csv_path = out / "results.json", out / "results.csv"
    write_json_atomic(json_path, doc)
    header, rows = results_table(config, records)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    write_text_atomic(csv_path, buf.getvalue())
    return {"results_csv": csv_path, "results_json": json_path}
