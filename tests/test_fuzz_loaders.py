"""Fuzzing the data loader ``rnnchaos.data.io.load_series``: any file either loads as a finite float64
(T, N) array with T >= 2, or raises ``ValueError`` -- never another exception. Bounded budget."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from rnnchaos.data.io import load_series

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
EXTENSIONS = [".npy", ".npz", ".csv", ".txt", ".tsv", ".dat"]


def check(path: Path) -> None:
    """The property: a valid (T, N) float64 finite series, or ValueError."""
    try:
        x = load_series(path)
    except ValueError as exc:
        msg = str(exc)
        assert msg and "\n" not in msg.strip(), repr(msg)
        return
    assert isinstance(x, np.ndarray) and x.dtype == np.float64 and x.ndim == 2
    assert x.shape[0] >= 2 and x.shape[1] >= 1 and np.isfinite(x).all()


@SETTINGS
@given(data=st.binary(max_size=2048), ext=st.sampled_from(EXTENSIONS))
def test_random_bytes(tmp_path: Path, data: bytes, ext: str) -> None:
    path = tmp_path / f"f{ext}"
    path.write_bytes(data)
    check(path)


_cell = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**30, 10**30).map(str),
    st.sampled_from(["", " ", "nan", "inf", "-inf", "NaN", "1e400", "0x1p3", "1,5", "abc", "#", "\"1\"", "1e",
                     "--1", "+.5", "\t", "\u00e9", "1_000"]),
)
_line = st.lists(_cell, min_size=0, max_size=5).flatmap(
    lambda cells: st.sampled_from([",", " ", "\t", ";", ", "]).map(lambda sep: sep.join(cells)))


@SETTINGS
@given(lines=st.lists(_line, min_size=0, max_size=30), ext=st.sampled_from([".csv", ".txt", ".tsv", ".dat"]),
       newline=st.sampled_from(["\n", "\r\n", "\r"]))
def test_random_csv_text(tmp_path: Path, lines: list[str], ext: str, newline: str) -> None:
    path = tmp_path / f"f{ext}"
    path.write_bytes(newline.join(lines).encode("utf-8"))
    check(path)


_dtypes = st.one_of(hnp.floating_dtypes(), hnp.integer_dtypes(), hnp.unsigned_integer_dtypes(), hnp.boolean_dtypes(),
                    hnp.complex_number_dtypes(), hnp.datetime64_dtypes(), hnp.unicode_string_dtypes(),
                    hnp.byte_string_dtypes())


@SETTINGS
@given(arr=hnp.arrays(_dtypes, hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=6)),
       as_npz=st.booleans())
def test_random_arrays(tmp_path: Path, arr: np.ndarray, as_npz: bool) -> None:
    path = tmp_path / ("f.npz" if as_npz else "f.npy")
    if as_npz:
        np.savez(path, x=arr)
    else:
        np.save(path, arr)
    check(path)


def _valid_npy() -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.random.default_rng(1).normal(size=(20, 3)))
    return buf.getvalue()


VALID_NPY = _valid_npy()


@SETTINGS
@given(cut=st.integers(0, len(VALID_NPY)), flips=st.lists(st.tuples(st.integers(0, len(VALID_NPY) - 1),
                                                                     st.integers(0, 255)), max_size=8))
def test_corrupted_npy(tmp_path: Path, cut: int, flips: list[tuple[int, int]]) -> None:
    data = bytearray(VALID_NPY)
    for pos, value in flips:
        data[pos] = value
    path = tmp_path / "f.npy"
    path.write_bytes(bytes(data[:cut]))
    check(path)


@SETTINGS
@given(cut=st.integers(0, 2000), members=st.integers(0, 3))
def test_truncated_npz(tmp_path: Path, cut: int, members: int) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(members):
            zf.writestr(f"a{i}.npy", VALID_NPY)
    path = tmp_path / "f.npz"
    path.write_bytes(buf.getvalue()[:cut])
    check(path)


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_valid_series_round_trip(tmp_path: Path, ext: str) -> None:
    from rnnchaos.data.io import save_series

    x = np.random.default_rng(2).normal(size=(30, 2))
    save_series(tmp_path / f"x{ext}", x)
    np.testing.assert_allclose(load_series(tmp_path / f"x{ext}"), x, rtol=1e-15, atol=0)


def nul_in_npy_header(tmp: Path) -> Path:
    """Found by ``test_corrupted_npy``: a NUL byte inside a .npy header (byte 66, cut at 128 bytes)."""
    data = bytearray(VALID_NPY[:128])
    data[66] = 0
    path = tmp / "nul.npy"
    path.write_bytes(bytes(data))
    return path


def test_nul_byte_in_npy_header_is_a_value_error(tmp_path: Path) -> None:
    """Regression: this file once made numpy raise tokenize.TokenError through load_series."""
    with pytest.raises(ValueError, match="not a readable .npy array"):
        load_series(nul_in_npy_header(tmp_path))
