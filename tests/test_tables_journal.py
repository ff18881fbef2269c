"""The one table writer (``_util.tables.write_table``), the one figure saver (``_util.figures.save_figure``)
and the one journal (``sweep.journal.Journal``) as the STF reproductions use it."""

from __future__ import annotations

import csv
import io
import json
import math
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnchaos._util.tables import finite_json, write_table
from rnnchaos.reproductions.stf_common import finished_keys, open_journal, record_run

_value = st.one_of(st.none(), st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
                   st.text(alphabet="abc ,\"|x", max_size=6), st.booleans())
_rows = st.lists(st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), _value, max_size=4), max_size=6)


def _expected_cell(v: object, nonfinite: str) -> str:
    if isinstance(v, float) and not math.isfinite(v):
        return "" if nonfinite == "null" else str(v)
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


@settings(max_examples=60, deadline=None)
@given(rows=_rows, nonfinite=st.sampled_from(["null", "string"]), newline=st.sampled_from(["\n", "\r\n"]),
       with_meta=st.booleans(), project=st.booleans())
def test_write_table_csv_and_json_hold_every_cell(rows: list, nonfinite: str, newline: str, with_meta: bool,
                                                  project: bool) -> None:
    fields = ["d", "a"] if project else None
    meta = {"note": "x", "bad": math.inf} if with_meta else None
    with tempfile.TemporaryDirectory() as d:
        paths = write_table(rows, d, "t", fields=fields, meta=meta, markdown=True, nonfinite=nonfinite,  # type: ignore[arg-type]
                            newline=newline)
        assert set(paths) == {"csv", "json", "md"}
        columns = fields if fields is not None else list(dict.fromkeys(k for r in rows for k in r))
        text = paths["csv"].read_bytes().decode()
        if columns:
            assert text.count(newline) == 1 + len(rows)
            assert newline == "\r\n" or "\r" not in text
        parsed = list(csv.reader(io.StringIO(text, newline="")))
        if columns:
            assert parsed[0] == columns
            for r, line in zip(rows, parsed[1:], strict=True):
                assert line == [_expected_cell(r.get(k), nonfinite) for k in columns]
        doc = json.loads(paths["json"].read_text(), parse_constant=lambda c: pytest.fail(f"non-strict JSON {c}"))
        got = doc["rows"] if with_meta else doc
        if with_meta:
            assert doc["meta"] == {"note": "x", "bad": None if nonfinite == "null" else "inf"}
        want = [finite_json({k: r.get(k) for k in columns} if fields else r, nonfinite) for r in rows]  # type: ignore[arg-type]
        assert got == want
        md = paths["md"].read_text().splitlines()
        assert len(md) == 2 + len(rows)


def test_write_table_rejects_unknown_nonfinite_mode(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="nonfinite must be 'null' or 'string'"):
        write_table([{"a": 1.0}], tmp_path, "t", nonfinite="zero")  # type: ignore[arg-type]


def test_finite_json_reaches_nested_values() -> None:
    obj = {"a": [1.0, math.nan, (math.inf, -math.inf)], "b": {"c": math.nan}}
    assert finite_json(obj, "string") == {"a": [1.0, "nan", ["inf", "-inf"]], "b": {"c": "nan"}}
    assert finite_json(obj, "null") == {"a": [1.0, None, [None, None]], "b": {"c": None}}


def test_save_figure_writes_png_and_closes(tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rnnchaos._util.figures import save_figure
    from rnnchaos.report.figures import save_figure as report_save_figure

    assert report_save_figure is save_figure  # one definition, re-exported
    for tight in (True, False):
        fig, ax = plt.subplots(figsize=(2, 1))
        ax.plot([0, 1], [1, 0])
        path = save_figure(fig, tmp_path / f"f{tight}.png", dpi=50, tight=tight)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert not plt.fignum_exists(fig.number)
    # a non-tight figure keeps its size in pixels: 2 x 1 inches at 50 dpi
    import struct

    raw = (tmp_path / "fFalse.png").read_bytes()
    assert struct.unpack(">II", raw[16:24]) == (100, 50)


def test_stf_journal_reads_old_lines_and_resumes(tmp_path: Path) -> None:
    """Lines written by the STF reproductions' former journal (``{"key": ..., **row}``, NaN allowed) load as
    they are; a failed run is not finished; a torn last line is dropped; appending keeps the format."""
    path = tmp_path / "results.jsonl"
    old = [{"key": "a|1", "status": "ok", "d_h": math.nan}, {"key": "b|1", "status": "training failed: x"},
           {"key": "b|1", "status": "ok", "d_h": 0.5}, {"key": "c|1", "status": "training failed: y"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in old) + '{"key": "d|1", "sta', encoding="utf-8")
    journal = open_journal(path)
    latest = journal.load()
    assert list(latest) == ["a|1", "b|1", "c|1"] and journal.dropped == 1
    assert math.isnan(latest["a|1"]["d_h"]) and latest["b|1"]["d_h"] == 0.5
    assert finished_keys(latest) == {"a|1", "b|1"}
    with journal:
        record_run(journal, latest, "c|1", {"status": "ok", "d_h": math.inf, "n": 3})
    assert finished_keys(latest) == {"a|1", "b|1", "c|1"}
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[:4] == [json.dumps(r) for r in old]  # the intact old lines are kept byte for byte
    assert lines[4] == '{"key": "c|1", "status": "ok", "d_h": Infinity, "n": 3}'
    assert open_journal(path).load()["c|1"]["d_h"] == math.inf
