"""``rnnchaos data list`` and ``rnnchaos data fetch``: the published data sets and their download.

Thin: the catalog is :mod:`rnnchaos.data.catalog`, the download :mod:`rnnchaos.data.fetch`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from rnnchaos.cli._common import json_option, to_jsonable


@click.group("data")
def data() -> None:
    """The published data sets: list them, or download them from their source repositories."""


@data.command("list")
@json_option
def list_cmd(as_json: bool) -> None:
    """Every data set of the catalog with its files: shape, source repository @ commit, licence, sha256, and
    where it is found locally (or 'not fetched')."""
    from rnnchaos.data.catalog import CATALOG, data_dirs
    from rnnchaos.data.fetch import remote_files

    dirs = data_dirs()
    rows: list[dict[str, Any]] = []
    for entry in CATALOG.values():
        for role, f in zip(("train", "test"), remote_files(entry), strict=False):
            local = next((d / f.name for d in dirs if (d / f.name).is_file()), None)
            rows.append({"dataset": entry.name, "role": role, "file": f.name, "shape": list(f.shape),
                         "dtype": f.dtype, "bytes": f.bytes, "repository": f.repository, "commit": f.commit,
                         "path": f.path, "license": f.license, "sha256": f.sha256,
                         "local": str(local) if local is not None else None, "description": entry.description})
    if as_json:
        click.echo(json.dumps(to_jsonable({"data_dirs": [str(d) for d in dirs], "files": rows})))
        return
    header = ("dataset", "role", "shape", "dtype", "source", "licence", "sha256", "local")
    table = [header] + [(r["dataset"], r["role"], "x".join(map(str, r["shape"])), r["dtype"],
                         f"{r['repository']}@{r['commit'][:7]}", r["license"], r["sha256"],
                         r["local"] or "not fetched") for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    click.echo(f"data directories searched: {', '.join(str(d) for d in dirs)}")


@data.command("fetch")
@click.argument("name", metavar="NAME|all")
@click.option("--dir", "directory", type=click.Path(path_type=Path), default=None,
              help="Directory to write to [default: $RNNCHAOS_DATA_DIR, else the user cache "
                   "~/.cache/rnnchaos, where --data NAME looks].")
@click.option("--base-url", default=None, metavar="URL",
              help="Base URL of the raw files, {URL}/{repository}/{commit}/{path} "
                   "[default: $RNNCHAOS_DATA_URL, else https://raw.githubusercontent.com].")
@click.option("--timeout", type=click.FloatRange(min=0.1, max=3600), default=60.0, show_default=True,
              help="Seconds to wait for the server before giving up.")
@click.option("--no-progress", is_flag=True, help="No progress bar on stderr.")
@json_option
def fetch_cmd(name: str, directory: Path | None, base_url: str | None, timeout: float, no_progress: bool,
              as_json: bool) -> None:
    """Download data set NAME (or all of them) at its pinned commit and check its sha256. A file already
    present with the right checksum is kept; a failed download leaves no partial file."""
    from rnnchaos.data.fetch import fetch

    records = fetch(name, directory, base=base_url, timeout=timeout, show_progress=not no_progress)
    if as_json:
        click.echo(json.dumps(to_jsonable({"files": records})))
        return
    for r in records:
        click.echo(f"{r['file']}: {r['status']} ({r['bytes']:,} bytes, sha256 ok) {r['path']}")
