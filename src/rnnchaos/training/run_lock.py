"""One training at a time per run directory: an advisory lock file, ``DIR/train.lock``.

:func:`run_lock` takes an exclusive ``fcntl.flock`` on ``DIR/train.lock`` (non-blocking) and writes the
holder's PID into it.  The kernel releases a ``flock`` when its file is closed, so a process that is
killed (even by ``SIGKILL``) frees the directory at once; a stale PID left in the file means nothing
without the lock.  A second process gets a ``ValueError`` naming the holder's PID.  Locks are advisory
and local: two machines writing one directory over NFS are not guarded.  Cost: one open and one
``flock`` call.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

__all__ = ["LOCK_NAME", "run_lock"]

LOCK_NAME = "train.lock"


@contextlib.contextmanager
def run_lock(run_dir: str | os.PathLike[str] | None) -> Iterator[None]:
    """Hold ``run_dir/train.lock`` for the duration of the block (nothing when ``run_dir`` is None).

    Creates ``run_dir`` if needed; if the block fails and the directory was created here and holds only
    the lock file, both are removed again, so a refused command leaves nothing behind.
    """
    if run_dir is None:
        yield
        return
    import fcntl

    d = Path(run_dir)
    created = not d.exists()
    if d.exists() and not d.is_dir():
        raise ValueError(f"--out {str(d)!r} is a file, not a directory; choose another --out")
    d.mkdir(parents=True, exist_ok=True)
    path = d / LOCK_NAME
    fh = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held open for the lock's lifetime
    ok = False
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            raise ValueError(f"run directory {str(d)!r} is in use by another training (PID {holder}); wait for it "
                             "to end or choose another --out") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        yield
        ok = True
    finally:
        fh.close()  # releases the flock
        if not ok and created:
            with contextlib.suppress(OSError):
                if [p.name for p in d.iterdir()] == [LOCK_NAME]:
                    path.unlink()
                    d.rmdir()
