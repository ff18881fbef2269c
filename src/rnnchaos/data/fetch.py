"""Download the catalog's data sets from their source repositories at a pinned commit, checking sha256.

Each file of a :mod:`rnnchaos.data.catalog` entry is described in ``sources.json`` (repository, commit,
path, size, sha256). Its URL is ``{base_url}/{repository}/{commit}/{path}``, with the base
``https://raw.githubusercontent.com`` unless ``base_url`` or ``$RNNCHAOS_DATA_URL`` says otherwise (a mirror,
or a local test server). The body is streamed into a temporary file in the target directory while its
SHA-256 (FIPS 180-4) is computed; only a file with exactly the expected size and digest is moved into place
with ``os.replace`` (:func:`rnnchaos._util.atomic.atomic_path`). A checksum mismatch, a short body (a
connection closed before ``Content-Length`` bytes) or a network error removes the temporary file and raises
:class:`DownloadError`. Cost: one pass over the bytes; memory: one 1 MiB block.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnnchaos._util.atomic import atomic_path
from rnnchaos._util.progress import progress_bar
from rnnchaos.data.catalog import CATALOG, DatasetEntry, fetch_dir, get_entry, sources

__all__ = ["DownloadError", "RemoteFile", "remote_files", "file_url", "sha256_file", "fetch", "base_url"]

BLOCK = 1 << 20
DEFAULT_TIMEOUT = 60.0


class DownloadError(OSError):
    """A download that failed (network error, short body, checksum mismatch); nothing was left behind."""


@dataclass(frozen=True)
class RemoteFile:
    """One file of a data set: its ``name`` in the data directory and where and what it is upstream."""

    name: str
    repository: str
    commit: str
    path: str
    sha256: str
    bytes: int
    shape: tuple[int, ...]
    dtype: str
    license: str


def remote_files(entry: DatasetEntry) -> list[RemoteFile]:
    """The entry's train file and (when it has one) test file, as recorded in ``sources.json``."""
    data = sources()
    out = []
    for name in (entry.train_file, entry.test_file):
        if name is None:
            continue
        f = data["files"][name]
        repo = data["repositories"][f["repository"]]
        out.append(RemoteFile(name=name, repository=f["repository"], commit=repo["commit"], path=f["path"],
                              sha256=f["sha256"], bytes=int(f["bytes"]), shape=tuple(f["shape"]),
                              dtype=f["dtype"], license=repo["license"]))
    return out


def base_url(override: str | None = None) -> str:
    """``override``, else ``$RNNCHAOS_DATA_URL``, else the one in ``sources.json``; ``ValueError`` unless http(s)."""
    url = override or os.environ.get("RNNCHAOS_DATA_URL") or str(sources()["base_url"])
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"data base URL must be an http:// or https:// URL, got {url!r}")
    return url.rstrip("/")


def file_url(f: RemoteFile, base: str | None = None) -> str:
    """``{base}/{repository}/{commit}/{path}``: the raw file at the pinned commit."""
    return f"{base_url(base)}/{f.repository}/{f.commit}/{urllib.parse.quote(f.path)}"


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(BLOCK), b""):
            h.update(block)
    return h.hexdigest()


def _blocks(response: Any) -> Iterator[bytes]:
    """The body as it arrives (``read1``: what the socket has, up to 1 MiB, rather than waiting for a full block)."""
    read = getattr(response, "read1", response.read)
    while block := read(BLOCK):
        yield block


def _download(f: RemoteFile, target: Path, url: str, timeout: float, show_progress: bool) -> None:
    """Stream ``url`` into a temporary file beside ``target``; move it there only when size and digest match."""
    h = hashlib.sha256()
    got = 0
    with atomic_path(target) as tmp:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response, open(tmp, "wb") as out:  # noqa: S310
                length = response.headers.get("Content-Length")
                expected = int(length) if length is not None and length.isdigit() else f.bytes
                with progress_bar(desc=f.name, total=expected, enabled=show_progress, unit="B",
                                  unit_scale=True, unit_divisor=1024) as bar:
                    for block in _blocks(response):
                        out.write(block)
                        h.update(block)
                        got += len(block)
                        bar.update(len(block))
        except urllib.error.HTTPError as exc:
            raise DownloadError(f"download of {f.name} from {url} failed: HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise DownloadError(f"download of {f.name} from {url} failed after {got:,} bytes: {reason}; "
                                "nothing was written") from None
        if got != expected:
            raise DownloadError(f"download of {f.name} from {url} was cut off: {got:,} of {expected:,} bytes "
                                "received (connection closed); nothing was written")
        if got != f.bytes or h.hexdigest() != f.sha256:
            raise DownloadError(f"checksum mismatch for {f.name} from {url}: sha256 {h.hexdigest()} "
                                f"({got:,} bytes), expected {f.sha256} ({f.bytes:,} bytes); nothing was written")


def fetch(name: str, directory: str | os.PathLike[str] | None = None, *, base: str | None = None,
          timeout: float = DEFAULT_TIMEOUT, show_progress: bool = False) -> list[dict[str, Any]]:
    """Download data set ``name`` (a catalog name, or ``"all"``) into ``directory`` (default
    :func:`rnnchaos.data.catalog.fetch_dir`). A file already there with the recorded sha256 is kept.

    Returns one record per file: ``dataset``, ``file``, ``path``, ``status`` (``downloaded`` or ``present``),
    ``bytes``, ``sha256``, ``url``. Raises ``ValueError`` (unknown name, bad base URL, a directory that is a
    file) or :class:`DownloadError`; a failed file leaves nothing behind, files fetched before it stay.
    """
    entries = list(CATALOG.values()) if name.strip().lower() == "all" else [get_entry(name)]
    root = Path(directory) if directory is not None else fetch_dir()
    if root.exists() and not root.is_dir():
        raise ValueError(f"data directory {str(root)!r} is not a directory")
    base_url(base)  # validate before any download
    records = []
    for entry in entries:
        for f in remote_files(entry):
            target = root / f.name
            url = file_url(f, base)
            status = "present"
            if not (target.is_file() and target.stat().st_size == f.bytes and sha256_file(target) == f.sha256):
                _download(f, target, url, timeout, show_progress)
                status = "downloaded"
            records.append({"dataset": entry.name, "file": f.name, "path": str(target), "status": status,
                            "bytes": f.bytes, "sha256": f.sha256, "url": url})
    return records
