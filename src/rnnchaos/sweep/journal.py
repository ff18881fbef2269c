"""The project's one results journal: a JSON-lines file, one record per finished unit of work, appended durably.

Used for the sweep's ``trials.jsonl`` (records keyed by ``"id"``) and the STF reproductions'
``results.jsonl`` (keyed by ``"key"``, NaN allowed: ``Journal(path, key="key", required=("key",),
allow_nan=True)``); reading the journal back gives the last record of each key, which is how a rerun
skips finished work.

Each record is written as one line with ``os.write`` on an ``O_APPEND`` descriptor, followed by
``os.fsync``, so a trial is either in the journal completely or not at all after a crash or
``SIGKILL``. A write or fsync that fails (a full disk: ``ENOSPC``; an I/O error) truncates the file
back to its length before the record, so the journal never keeps half a line, and the error is
raised as an ``OSError`` naming the journal. When the journal is read back, a torn last line (the
process was killed while writing it) or any other unreadable line is dropped and the file is
rewritten atomically without it before anything is appended. Cost per append: one ``fsync``.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
from pathlib import Path
from typing import Any

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
        self._fd: int | None = None
        self.dropped = 0

    def load(self) -> dict[str, dict[str, Any]]:
        """Read the journal: ``{key: last record}`` in order of each key's first appearance. Repairs a torn
        or corrupt journal in place (unreadable lines and records lacking a required field are dropped)."""
        if not self.path.exists():
            return {}
        if not self.path.is_file():  # a FIFO or device would block or never end; a directory cannot be read
            raise ValueError(f"journal {self.path} is not a regular file; remove it or use another output directory")
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
        """Append ``record`` as one line and make it durable (``os.write`` + ``os.fsync``); on a failed or
        partial write the file is truncated back to where it was and an ``OSError`` is raised."""
        data = (json.dumps(record, allow_nan=self.allow_nan) + "\n").encode("utf-8")
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        start = os.fstat(self._fd).st_size
        try:
            view = memoryview(data)
            while view:  # os.write may write less than asked (a nearly full disk): go on until done or refused
                n = os.write(self._fd, view)
                if n <= 0:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                view = view[n:]
            os.fsync(self._fd)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, start)
            reason = exc.strerror or str(exc)
            raise OSError(exc.errno, f"cannot append to the journal {self.path}: {reason}; it keeps "
                                     "every record written before (free space and run again to resume)") from None

    def close(self) -> None:
        """Close the file descriptor (appending again reopens it)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
