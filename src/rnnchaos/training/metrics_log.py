"""The training log of a run directory: ``metrics.jsonl``, ``metrics.csv`` and the optional TensorBoard writer.

``metrics.jsonl`` holds one JSON object per logged epoch (and event lines such as ``{"event": "diverged"}``);
``metrics.csv`` holds the same metric rows (not the event lines) under the fixed header :data:`CSV_COLUMNS`,
a field left empty where a row lacks it (``tau`` under GTF, ``alpha`` under STF, ``d_stsp_train`` and
``lambda_max_*`` outside their epochs).  Floats are written with ``repr``, so they read back exactly.  Rows
are appended with one ``write`` per line to a file opened in append mode; whenever the trainer rewrites
the history (a new run, a resume) both files are replaced atomically (:mod:`rnnchaos._util.atomic`),
which also drops a line cut by a kill.

TensorBoard is an optional extra (``pip install 'rnnchaos[tensorboard]'``): :func:`open_tensorboard`
refuses with a one-line message naming it when the package is missing.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rnnchaos._util.atomic import atomic_path, json_default

__all__ = ["CSV_COLUMNS", "TENSORBOARD_MISSING", "append_entry", "check_tensorboard", "csv_text",
           "open_tensorboard", "write_log"]

#: the columns of ``metrics.csv``: every key the trainer logs (:meth:`rnnchaos.training.trainer.Trainer.run`)
CSV_COLUMNS = ("epoch", "loss", "grad_norm", "lr", "seconds", "tau", "alpha", "d_stsp_train",
               "lambda_max_model", "lambda_max_data")
TENSORBOARD_MISSING = ("tensorboard=True (--tensorboard) needs the TensorBoard package; "
                       "install it with pip install 'rnnchaos[tensorboard]'")


def _csv_row(entry: dict[str, Any]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(
        ["" if entry.get(c) is None else repr(entry[c]) if isinstance(entry[c], float) else entry[c]
         for c in CSV_COLUMNS])
    return buf.getvalue()


def csv_text(history: Iterable[dict[str, Any]]) -> str:
    """The whole ``metrics.csv`` of ``history`` (header and one line per metric row; event lines skipped)."""
    return ",".join(CSV_COLUMNS) + "\n" + "".join(_csv_row(e) for e in history if "event" not in e)


def _append(path: Path, line: str) -> None:
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()


def append_entry(run_dir: Path, entry: dict[str, Any]) -> None:
    """Append one logged epoch to ``metrics.jsonl`` and ``metrics.csv`` (the header first when the CSV is new)."""
    _append(run_dir / "metrics.jsonl", json.dumps(entry, default=json_default, allow_nan=False) + "\n")
    csv_path = run_dir / "metrics.csv"
    header = not csv_path.is_file() or os.path.getsize(csv_path) == 0
    _append(csv_path, (",".join(CSV_COLUMNS) + "\n" if header else "") + _csv_row(entry))


def write_log(run_dir: Path, history: list[dict[str, Any]]) -> None:
    """Replace ``metrics.jsonl`` and ``metrics.csv`` by ``history`` atomically."""
    with atomic_path(run_dir / "metrics.jsonl") as tmp, open(tmp, "w", encoding="utf-8") as fh:
        for entry in history:
            fh.write(json.dumps(entry, default=json_default, allow_nan=False) + "\n")
    with atomic_path(run_dir / "metrics.csv") as tmp, open(tmp, "w", encoding="utf-8") as fh:
        fh.write(csv_text(history))


def check_tensorboard() -> None:
    """Raise ``ValueError`` (:data:`TENSORBOARD_MISSING`) unless the TensorBoard package is importable."""
    if importlib.util.find_spec("tensorboard") is None:
        raise ValueError(TENSORBOARD_MISSING)


def open_tensorboard(run_dir: Path) -> Any:
    """A ``torch.utils.tensorboard.SummaryWriter`` on ``run_dir/tensorboard`` (the caller flushes and closes it)."""
    check_tensorboard()
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError as exc:
        raise ValueError(f"{TENSORBOARD_MISSING} ({exc})") from None
    return SummaryWriter(log_dir=str(run_dir / "tensorboard"))
