"""Fuzzing the 1-D map layer: the weights-file parser of ``rnnchaos periods`` (``Network1D.from_json`` /
``from_dict``) and the exact piecewise-linear algebra. Any input either works or raises ``ValueError``;
exact compositions are associative and agree with pointwise evaluation. Bounded budget."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rnnchaos.maps1d.network import Network1D
from rnnchaos.maps1d.piecewise import PiecewiseLinear

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# --- the weights-file parser -------------------------------------------------------------------------

_number = st.one_of(
    st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.fractions(max_denominator=50).map(str), st.sampled_from(["3/7", "-1/2", "0.25", "1e3", "abc", "", "1/0",
                                                                 "nan", "inf", " 2 ", "1_0", "0x10"]),
    st.booleans(), st.none(),
)
_json = st.recursive(_number | st.text(max_size=5), lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=4), inner, max_size=3)), max_leaves=16)
_vec = st.lists(_number, min_size=0, max_size=5)
_doc = st.fixed_dictionaries(
    {"w1": st.one_of(_vec, _json), "b1": st.one_of(_vec, _json), "w2": st.one_of(_vec, _json),
     "b2": st.one_of(_number, _vec, _json)},
    optional={"w3": st.one_of(_vec, st.lists(_vec, max_size=3)), "b3": st.one_of(_number, _vec),
              "hidden_activation": st.sampled_from(["relu", "tanh", "sigmoid", 3]),
              "output_activation": st.sampled_from(["identity", "relu", "clip", "tanh", "softmax"]),
              "junk": _json},
) | _json


def _check_network(make: object) -> None:
    try:
        net = make()  # type: ignore[operator]
    except ValueError as exc:
        assert str(exc) and "\n" not in str(exc).strip()
        return
    assert isinstance(net, Network1D)
    assert net.weights[0].shape[1] == 1 and net.weights[-1].shape[0] == 1
    if net.hidden_activation == "relu" and net.width <= 8:
        f = net.to_piecewise()
        for x in (-1.5, 0.0, 0.75):
            assert float(f(x)) == pytest.approx(float(net(x)), rel=1e-9, abs=1e-9)


@SETTINGS
@given(doc=_doc)
def test_random_weight_documents(doc: object) -> None:
    _check_network(lambda: Network1D.from_dict(doc))  # type: ignore[arg-type]


@SETTINGS
@given(data=st.binary(max_size=600))
def test_random_weight_file_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "w.json"
    path.write_bytes(data)
    _check_network(lambda: Network1D.from_json(path))


VALID = json.dumps({"w1": [1, "3/7", -2], "b1": [0, 1, "1/3"], "w2": [1, -1, 2], "b2": "-1/5"})


@SETTINGS
@given(edits=st.lists(st.tuples(st.integers(0, len(VALID)), st.integers(0, 3), st.text(max_size=3)), max_size=5))
def test_mutated_weight_file(tmp_path: Path, edits: list[tuple[int, int, str]]) -> None:
    text = VALID
    for pos, n_delete, insert in edits:
        text = text[:pos] + insert + text[pos + n_delete:]
    path = tmp_path / "w.json"
    path.write_text(text, encoding="utf-8")
    _check_network(lambda: Network1D.from_json(path))


# --- exact piecewise-linear algebra ------------------------------------------------------------------------

_q = st.fractions(min_value=-8, max_value=8, max_denominator=12)


@st.composite
def exact_pl(draw: st.DrawFn, max_breaks: int = 4) -> PiecewiseLinear:
    """A continuous PL map with rational breakpoints and slopes (continuity fixes the intercepts)."""
    bps = sorted(set(draw(st.lists(_q, max_size=max_breaks))))
    slopes = draw(st.lists(_q, min_size=len(bps) + 1, max_size=len(bps) + 1))
    intercepts = [draw(_q)]
    for i, b in enumerate(bps):
        intercepts.append(slopes[i] * b + intercepts[i] - slopes[i + 1] * b)
    return PiecewiseLinear(bps, slopes, intercepts)


@SETTINGS
@given(f=exact_pl(), g=exact_pl(), h=exact_pl(), xs=st.lists(_q, min_size=1, max_size=6))
def test_exact_composition_is_associative(f: PiecewiseLinear, g: PiecewiseLinear, h: PiecewiseLinear,
                                          xs: list[Fraction]) -> None:
    left = f.compose(g).compose(h)
    right = f.compose(g.compose(h))
    assert (left.breakpoints, left.slopes, left.intercepts) == (right.breakpoints, right.slopes, right.intercepts)
    for x in xs:
        assert left(x) == f(g(h(x)))
        assert isinstance(left(x), Fraction)


@SETTINGS
@given(f=exact_pl(3), n=st.integers(0, 3), x=_q)
def test_iterate_matches_repeated_evaluation(f: PiecewiseLinear, n: int, x: Fraction) -> None:
    y = x
    for _ in range(n):
        y = f(y)
    assert f.iterate(n)(x) == y


@SETTINGS
@given(f=exact_pl(), g=exact_pl(), c=_q, x=_q)
def test_sum_scale_and_identity(f: PiecewiseLinear, g: PiecewiseLinear, c: Fraction, x: Fraction) -> None:
    assert (f + g)(x) == f(x) + g(x)
    assert (f - g)(x) == f(x) - g(x)
    assert f.scale(c)(x) == c * f(x)
    ident = PiecewiseLinear.identity()
    for h in (f.compose(ident), ident.compose(f)):
        assert (h.breakpoints, h.slopes, h.intercepts) == (f.merged().breakpoints, f.merged().slopes,
                                                          f.merged().intercepts)


@SETTINGS
@given(bps=st.lists(st.one_of(_q, st.floats(allow_nan=True, allow_infinity=True)), max_size=4),
       slopes=st.lists(st.one_of(_q, st.floats(allow_nan=True, allow_infinity=True)), max_size=5),
       intercepts=st.lists(st.one_of(_q, st.floats(allow_nan=True, allow_infinity=True)), max_size=5))
def test_constructor_accepts_or_raises_value_error(bps: list, slopes: list, intercepts: list) -> None:
    try:
        f = PiecewiseLinear(bps, slopes, intercepts)
    except ValueError:
        return
    assume(f.n_pieces >= 1)
    assert f.n_pieces == len(bps) + 1
