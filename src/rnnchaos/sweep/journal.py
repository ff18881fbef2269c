"""The project's one results journal: a JSON-lines file, one record per finished unit of work, appended durably.

Used for the sweep's ``trials.jsonl`` (records keyed by ``"id"``) and the STF reproductions'
``results.jsonl`` (keyed by ``"key"``, NaN allowed: ``Journal(path, key="key", required=("key",),
allow_nan=True)``); reading the journal back gives the last record of each key, which is how a rerun
skips finished work.

Each record is written as one line followed by ``flush`` and ``os.fsync``, so a trial is either in
the journal completely or not at all after a crash or ``SIGKILL``. When the journal is read back,
a torn last line (the process was killed while writing it) or any other unreadable line is dropped
and the file is rewritten atomically without it before anything is appended. Cost per append: one
``fsync``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Any

from rnnchaos._util.atomic import write_text_atomic

__all__ = ["Journal"]

_REQUIRED = ("id", "seed", "status")


class Journal:
    """Append-only JSON-lines journal at ``path``.

    ``key``: the field naming a record (a string; a later record with the same key replaces an earlier
    one in ``load``). ``required``: fields a record must have to be kept. ``allow_nan``: whether NaN and
    +-inf may be written (as the non-standard JSON tokens ``NaN``, ``Infinity``; Python reads them back).
    """

    def __init__(self, path: str | os.PathLike[str], *, key: str = "id", required: tuple[str, ...] = _REQUIRED,
                 allow_nan: bool = False) -> None:
        self.path = Path(path)
        self.key = key
        self.required = tuple(required) if key in required else (key, *required)
        self.allow_nan = allow_nan
        self._fh: IO[str] | None = None
        self.dropped = 0

    def load(self) -> dict[str, dict[str, Any]]:
        """Read the journal: ``{key: last record}`` in order of each key's first appearance. Repairs a torn
        or corrupt journal in place (unreadable lines and records lacking a required field are dropped)."""
        if not self.path.exists():
            return {}
        raw = self.path.read_bytes()
        records: dict[str, dict[str, Any]] = {}
        good: list[str] = []
        dropped = 0
        blank = 0
        for line in raw.split(b"\n"):
            if not line.strip():
                blank += 1
                continue
            try:
                rec = json.loads(line.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                dropped += 1
                continue
            if (not isinstance(rec, dict) or any(k not in rec for k in self.required)
                    or not isinstance(rec[self.key], str)):
                dropped += 1
                continue
            records[rec[self.key]] = rec
            good.append(json.dumps(rec, allow_nan=self.allow_nan))
        self.dropped = dropped
        # the split yields one empty piece after the final newline; any other blank line is rewritten away
        if dropped or blank > (1 if raw.endswith(b"\n") or not raw else 0) or (raw and not raw.endswith(b"\n")):
            write_text_atomic(self.path, "".join(g + "\n" for g in good))
        return records

    def append(self, record: dict[str, Any]) -> None:
        """Append ``record`` as one line and make it durable (flush + fsync)."""
        line = json.dumps(record, allow_nan=self.allow_nan)
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._fh.write(line + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        """Close the file handle (appending again reopens it)."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
