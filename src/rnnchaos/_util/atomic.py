"""Atomic file writes: write to a temporary file in the same directory, fsync, then ``os.replace``.

A reader never sees a half-written file and a crash never destroys the previous version.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it replaces ``path`` atomically."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix + ".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp_path, _default_mode())
        os.replace(tmp_path, target)
        _fsync_dir(target.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


def _default_mode() -> int:
    """The mode a plain ``open(path, "w")`` would give (0o666 less the umask); mkstemp uses 0o600."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(path: str | os.PathLike[str], writer: Callable[[IO[bytes]], Any]) -> None:
    """Call ``writer(fh)`` on a binary file handle and move the result to ``path`` atomically."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        writer(fh)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    write_atomic(path, lambda fh: fh.write(text.encode("utf-8")))


def write_json_atomic(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as indented JSON (NumPy scalars and arrays allowed) to ``path`` atomically."""
    write_text_atomic(path, json.dumps(obj, indent=2, default=json_default) + "\n")


def save_npy_atomic(path: str | os.PathLike[str], array: Any) -> None:
    """``np.save`` to ``path`` atomically."""
    write_atomic(path, lambda fh: np.save(fh, np.asarray(array)))


def json_default(obj: Any) -> Any:
    """``json.dumps`` fallback for NumPy types and paths; non-finite floats become None."""
    if isinstance(obj, np.ndarray):
        return [json_default(v) if isinstance(v, np.generic) else v for v in obj.tolist()]
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")
