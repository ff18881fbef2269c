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
