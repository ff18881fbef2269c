"""The project's one table writer: rows of dicts -> ``stem.csv`` + ``stem.json`` (+ ``stem.md``), atomically.

Every reproduction and benchmark that writes a table calls ``write_table``. Each file is written to a
temporary file next to its target, fsynced and renamed (``rnnchaos._util.atomic``), so a reader never
sees half a table. Cost: O(rows x columns) string formatting.

Formats
-------
* CSV: a header row and one line per row; floats as ``%.6g``, lists and tuples as space-separated
  items, None as an empty cell.
* JSON: the list of rows, or ``{"meta": meta, "rows": rows}`` when ``meta`` is given (indented, NumPy
  scalars converted).
* Markdown (``markdown=True``): a pipe table with the same cells as the CSV.

Non-finite floats (NaN, +-inf) are written one of two ways, chosen by ``nonfinite``:
``"null"`` (JSON null, empty CSV cell; the STF reproductions) or ``"string"`` (the strings ``"nan"``,
``"inf"``, ``"-inf"`` in JSON and CSV; the scrambling reproductions). Either way the JSON is strict.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from rnnchaos._util.atomic import write_json_atomic, write_text_atomic

__all__ = ["write_table", "finite_json"]

NonFinite = Literal["null", "string"]


def finite_json(obj: Any, nonfinite: NonFinite = "string") -> Any:
    """``obj`` with every non-finite float (at any depth of dicts, lists, tuples) replaced by None
    (``nonfinite="null"``) or by ``str(value)`` (``"nan"``, ``"inf"``, ``"-inf"``; ``"string"``)."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None if nonfinite == "null" else str(obj)
    if isinstance(obj, dict):
        return {k: finite_json(v, nonfinite) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [finite_json(v, nonfinite) for v in obj]
    return obj


def _cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, list | tuple):
        return " ".join(str(x) for x in v)
    if isinstance(v, float):
        return f"{v:.6g}"
    return v


def _columns(rows: Sequence[Mapping[str, Any]], fields: Sequence[str] | None) -> list[str]:
    if fields is not None:
        return list(fields)
    keys: list[str] = []
    for r in rows:
        for k in r:
            if k not in keys:
                keys.append(k)
    return keys


def _markdown(columns: Sequence[str], cells: Sequence[Mapping[str, Any]]) -> str:
    def esc(v: Any) -> str:
        return str(v).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(esc(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(esc(r[c]) for c in columns) + " |" for r in cells]
    return "\n".join(lines) + "\n"


def write_table(rows: Iterable[Mapping[str, Any]], out_dir: str | os.PathLike[str], stem: str, *,
                fields: Sequence[str] | None = None, meta: Mapping[str, Any] | None = None,
                markdown: bool = False, nonfinite: NonFinite = "null",
                newline: str = "\n") -> dict[str, Path]:
    """Write ``rows`` to ``out_dir/stem.csv`` and ``stem.json`` (and ``stem.md``), each atomically.

    ``fields``: the columns, in order (a row's other keys are left out, a missing key is None); default:
    every key of every row, in order of first appearance. ``meta``: when given, the JSON file is
    ``{"meta": meta, "rows": rows}``, else the bare list of rows. ``nonfinite``: how NaN and +-inf are
    written (module docstring). ``newline``: the CSV line terminator. Returns ``{"csv": path,
    "json": path}`` plus ``"md"`` when ``markdown``. Creates ``out_dir`` if needed.
    """
    if nonfinite not in ("null", "string"):
        raise ValueError(f"nonfinite must be 'null' or 'string', got {nonfinite!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    listed = [dict(r) for r in rows]
    columns = _columns(listed, fields)
    clean = [finite_json({k: r.get(k) for k in columns} if fields is not None else r, nonfinite)
             for r in listed]
    cells = [{k: _cell(r.get(k)) for k in columns} for r in clean]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator=newline, extrasaction="ignore")
    w.writeheader()
    w.writerows(cells)
    paths = {"csv": out / f"{stem}.csv", "json": out / f"{stem}.json"}
    write_text_atomic(paths["csv"], buf.getvalue())
    payload: Any = clean if meta is None else {"meta": finite_json(dict(meta), nonfinite), "rows": clean}
    write_json_atomic(paths["json"], payload)
    if markdown:
        paths["md"] = out / f"{stem}.md"
        write_text_atomic(paths["md"], _markdown(columns, cells))
    return paths
