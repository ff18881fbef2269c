"""Fuzzing the sweep-config parser: any document or text either validates (and expands into distinct
trials) or raises ``ValueError`` with a one-line message -- never another exception. Bounded budget."""

from __future__ import annotations

import datetime as dt
import math
import tomllib

from hypothesis import given, settings
from hypothesis import strategies as st

from rnnchaos.sweep.config import SweepConfig, parse_config
from rnnchaos.sweep.grid import expand

SETTINGS = settings(max_examples=50, deadline=None)

_scalar = st.one_of(
    st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.dates(), st.datetimes(), st.times(),
    st.sampled_from(["python", "lyapunov", "chaos-probability", "train", "henon", "lorenz63", "he", "m:f",
                     "os:system", "test_sweep_trials:quadratic", "seed", "relu"]),
)
_value = st.recursive(_scalar, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                      max_leaves=12)
_keys = st.one_of(st.sampled_from(["name", "kind", "function", "python_path", "seed", "system", "width", "a", "b",
                                   "init", "networks", "n_steps", "x", "sweep", "grid", "fixed"]),
                  st.text(max_size=8))
_section = st.dictionaries(_keys, _value, max_size=5)
_sweep = st.fixed_dictionaries({}, optional={
    "kind": st.one_of(st.sampled_from(["python", "lyapunov", "chaos-probability", "train"]), _scalar),
    "function": st.one_of(st.just("m:f"), _scalar), "seed": st.one_of(st.integers(-5, 2**64), _scalar),
    "name": st.one_of(st.just("ok-name"), _scalar), "python_path": _value})
_grid = st.dictionaries(_keys, st.one_of(st.lists(_scalar, max_size=4), _value), max_size=3)
_doc = st.fixed_dictionaries({}, optional={"sweep": st.one_of(_sweep, _value), "fixed": st.one_of(_section, _value),
                                            "grid": st.one_of(_grid, _value)}) | st.dictionaries(_keys, _value,
                                                                                                  max_size=4)


def check(doc: object) -> None:
    try:
        cfg = parse_config(doc)  # type: ignore[arg-type]
    except ValueError as exc:
        msg = str(exc)
        assert msg and "\n" not in msg, repr(msg)
        return
    assert isinstance(cfg, SweepConfig)
    if cfg.n_trials <= 1000:
        trials = expand(cfg)
        assert len(trials) == cfg.n_trials
        assert len({t.id for t in trials}) == len(trials)
        assert all(0 <= t.seed < 2**63 for t in trials)


@SETTINGS
@given(doc=_doc)
def test_random_documents(doc: dict) -> None:
    check(doc)


@SETTINGS
@given(text=st.text(max_size=300))
def test_random_text(text: str) -> None:
    check(text)


VALID = ('[sweep]\nname = "f"\nkind = "python"\nfunction = "m:f"\nseed = 3\n'
         '[fixed]\na = 1.5\nflag = true\nnested = {u = [1, 2]}\n[grid]\nx = [1, 2, 3]\ny = ["p", "q"]\n')


@SETTINGS
@given(edits=st.lists(st.tuples(st.integers(0, len(VALID)), st.integers(0, 4), st.text(max_size=4)), max_size=6))
def test_mutated_valid_text(edits: list[tuple[int, int, str]]) -> None:
    text = VALID
    for pos, n_delete, insert in edits:
        text = text[:pos] + insert + text[pos + n_delete:]
    check(text)


def test_valid_text_parses_to_the_expected_grid() -> None:
    cfg = parse_config(VALID)
    assert cfg.n_trials == 6 and cfg.fixed == {"a": 1.5, "flag": True, "nested": {"u": [1, 2]}}
    assert tomllib.loads(VALID)["grid"] == cfg.grid


@SETTINGS
@given(values=st.lists(st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=5),
                                 st.booleans()), min_size=1, max_size=8))
def test_grid_values_give_one_trial_each_or_a_duplicate_error(values: list) -> None:
    doc = {"sweep": {"kind": "python", "function": "m:f"}, "grid": {"x": values}}
    try:
        cfg = parse_config(doc)
    except ValueError as exc:
        assert "duplicate" in str(exc)
        return
    trials = expand(cfg)
    assert [t.point["x"] for t in trials] == values
    assert len({t.id for t in trials}) == len(values)


def test_non_json_values_are_refused() -> None:
    for bad in (dt.date(2020, 1, 1), math.inf, [1, math.nan]):
        try:
            parse_config({"sweep": {"kind": "python", "function": "m:f"}, "grid": {"x": [bad]}})
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was accepted")


_json_value = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=8)
                           | st.floats(allow_nan=False, allow_infinity=False),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                                       max_size=3), max_leaves=8)
_record = st.fixed_dictionaries({"id": st.text(alphabet="0123456789abcdef", min_size=16, max_size=16),
                                 "seed": st.integers(0, 2**63 - 1), "status": st.sampled_from(["ok", "error"])},
                                optional={"result": _json_value, "error": st.text(max_size=10)})


@settings(max_examples=50, deadline=None)
@given(records=st.lists(_record, max_size=6), junk=st.lists(st.binary(max_size=40), max_size=4),
       cut=st.integers(0, 80))
def test_journal_survives_torn_and_corrupt_lines(records: list, junk: list, cut: int) -> None:
    """Whatever a crash or a bad disk leaves in trials.jsonl, loading it keeps every intact record, drops
    the rest, and leaves a file of valid lines to which appending works."""
    import json
    import tempfile
    from pathlib import Path

    from rnnchaos.sweep.journal import Journal

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "trials.jsonl"
        lines = [json.dumps(r).encode() for r in records]
        torn = lines[-1][:cut] if lines and cut < len(lines[-1]) else b""
        body = b"".join(x + b"\n" for x in lines[:-1] if lines) + b"".join(j.replace(b"\n", b" ") + b"\n" for j in junk)
        path.write_bytes(body + torn)
        journal = Journal(path)
        loaded = journal.load()
        intact = {r["id"]: r for r in records[:-1]} if records else {}
        for tid, rec in intact.items():
            if tid in loaded and loaded[tid] != rec:
                # a later intact record with the same id wins; junk never overrides
                assert any(r["id"] == tid for r in records[:-1])
        assert set(intact) <= set(loaded)
        for line in path.read_text(encoding="utf-8").splitlines():
            json.loads(line)
        journal.append({"id": "f" * 16, "seed": 1, "status": "ok"})
        journal.close()
        assert "f" * 16 in Journal(path).load()
