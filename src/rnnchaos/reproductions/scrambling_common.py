"""Shared output helpers for the scrambling experiments: CSV + JSON tables and PNG figures, all atomic."""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rnnchaos._util.atomic import atomic_path, write_json_atomic, write_text_atomic

PAPER = ("Chatziafratis, Panageas, Sanford & Stavroulakis, 'On Scrambling Phenomena for Randomly Initialized "
         "Recurrent Networks', NeurIPS 2022")
REPO = "github.com/steliostavroulakis/Chaos_RNNs"


def write_table(out_dir: str | os.PathLike[str], name: str, rows: Sequence[dict[str, Any]],
                meta: dict[str, Any]) -> tuple[Path, Path]:
    """Write ``rows`` to ``out_dir/name.csv`` and ``{"meta": meta, "rows": rows}`` to ``name.json``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    keys: list[str] = []
    for r in rows:
        for k in r:
            if k not in keys:
                keys.append(k)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=keys, extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow({k: _csv_value(r.get(k)) for k in keys})
    csv_path = out / f"{name}.csv"
    json_path = out / f"{name}.json"
    write_text_atomic(csv_path, buf.getvalue())
    write_json_atomic(json_path, finite_json({"meta": meta, "rows": list(rows)}))
    return csv_path, json_path


def finite_json(obj: Any) -> Any:
    """Replace non-finite floats by the strings "inf", "-inf", "nan" so the JSON is strict."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    if isinstance(obj, dict):
        return {k: finite_json(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [finite_json(v) for v in obj]
    return obj


def _csv_value(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, list | tuple):
        return " ".join(str(x) for x in v)
    if isinstance(v, float):
        return f"{v:.6g}"
    return v


def save_figure(fig: Any, path: str | os.PathLike[str]) -> Path:
    """Save a matplotlib figure atomically as PNG and close it."""
    import matplotlib.pyplot as plt

    target = Path(path)
    with atomic_path(target, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=130, bbox_inches="tight")
    plt.close(fig)
    return target


def pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10, "legend.fontsize": 9})
    return plt
