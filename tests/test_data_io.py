"""Loading and saving measured series: formats, round trips and one-line errors for every bad file."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from rnnchaos.data.io import load_series, save_series

X = np.random.default_rng(0).normal(size=(40, 3))


@pytest.mark.parametrize("ext", [".npy", ".npz", ".csv", ".txt", ".tsv", ".dat"])
def test_round_trip_is_exact(tmp_path: Path, ext: str) -> None:
    save_series(tmp_path / f"x{ext}", X)
    y = load_series(tmp_path / f"x{ext}")
    assert y.dtype == np.float64 and y.flags.c_contiguous
    np.testing.assert_array_equal(y, X)


@settings(max_examples=30, deadline=None)
@given(x=arrays(np.float64, st.tuples(st.integers(2, 30), st.integers(1, 4)),
                elements=st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False)),
       ext=st.sampled_from([".npy", ".csv", ".txt"]))
def test_round_trip_property(tmp_path_factory: pytest.TempPathFactory, x: np.ndarray, ext: str) -> None:
    path = tmp_path_factory.mktemp("rt") / f"x{ext}"
    save_series(path, x)
    np.testing.assert_array_equal(load_series(path), x)


def test_1d_becomes_column_and_ints_become_float(tmp_path: Path) -> None:
    np.save(tmp_path / "a.npy", np.arange(10, dtype=np.int32))
    y = load_series(tmp_path / "a.npy")
    assert y.shape == (10, 1) and y.dtype == np.float64
    np.testing.assert_array_equal(y[:, 0], np.arange(10))


def test_csv_header_comments_and_whitespace(tmp_path: Path) -> None:
    (tmp_path / "h.csv").write_text("time,x\n# comment\n0, 1.5\n\n1,2.5\n2,-3e-2\n", encoding="utf-8")
    np.testing.assert_array_equal(load_series(tmp_path / "h.csv"), [[0, 1.5], [1, 2.5], [2, -0.03]])
    (tmp_path / "w.txt").write_text("1 2\t3\n4  5 6\n", encoding="utf-8")
    np.testing.assert_array_equal(load_series(tmp_path / "w.txt"), [[1, 2, 3], [4, 5, 6]])
    (tmp_path / "bom.csv").write_bytes("\ufeff1,2\n3,4\n".encode())
    np.testing.assert_array_equal(load_series(tmp_path / "bom.csv"), [[1, 2], [3, 4]])


def test_npz_single_and_keyed(tmp_path: Path) -> None:
    np.savez(tmp_path / "one.npz", data=X)
    np.testing.assert_array_equal(load_series(tmp_path / "one.npz"), X)
    np.savez(tmp_path / "two.npz", a=X, b=2 * X)
    np.testing.assert_array_equal(load_series(f"{tmp_path / 'two.npz'}:b"), 2 * X)
    with pytest.raises(ValueError, match="holds 2 arrays"):
        load_series(tmp_path / "two.npz")
    with pytest.raises(ValueError, match="no array 'c'"):
        load_series(f"{tmp_path / 'two.npz'}:c")


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def _npy_bytes(arr: np.ndarray, allow_pickle: bool = False) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=allow_pickle)
    return buf.getvalue()


BAD_FILES = [
    ("missing.npy", None, "does not exist"),
    ("empty.npy", b"", "empty"),
    ("empty.csv", b"", "empty"),
    ("data.xlsx", b"1,2\n", "unknown extension"),
    ("latin1.csv", "1,2\n3,\xe9\n".encode("latin-1"), "not UTF-8"),
    ("text.csv", b"1,2\n3,x\n", "could not be parsed"),
    ("ragged.csv", b"1,2\n3\n", "could not be parsed"),
    ("comments.csv", b"# only\n# comments\n", "no data"),
    ("header_only.csv", b"a,b\n", "no data"),
    ("nan.csv", b"1,2\n3,nan\n", "NaN"),
    ("inf.csv", b"1,2\ninf,3\n", "inf"),
    ("obj.npy", _npy_bytes(np.array([1, "a", None], dtype=object), allow_pickle=True), "object"),
    ("truncated.npy", _npy_bytes(X)[:300], "truncated"),
    ("not_npy.npy", b"hello world, not an array", "not a NumPy"),
    ("nan.npy", _npy_bytes(np.array([[1.0, np.nan], [2.0, 3.0]])), "NaN"),
    ("str.npy", _npy_bytes(np.array(["a", "b"])), "dtype"),
    ("complex.npy", _npy_bytes(np.ones(5, dtype=complex)), "dtype"),
    ("bool.npy", _npy_bytes(np.ones(5, dtype=bool)), "dtype"),
    ("three_d.npy", _npy_bytes(np.zeros((4, 3, 2))), "shape"),
    ("scalar.npy", _npy_bytes(np.float64(3.0)), "shape"),
    ("one_row.npy", _npy_bytes(np.zeros((1, 3))), "at least 2"),
    ("zero_cols.npy", _npy_bytes(np.zeros((5, 0))), "at least 2 samples and 1 column"),
    ("bad.npz", b"PK\x03\x04garbage", "npz"),
    ("nul_header.npy", bytearray(_npy_bytes(X)[:128]).replace(b"'descr'", b"'de\x00cr'"), "npy"),
]


@pytest.mark.parametrize(("name", "content", "match"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_files_raise_no_warning(tmp_path: Path, name: str, content: bytes | None, match: str) -> None:
    """The one-line error only: no numpy warning ("input contained no data", ...) escapes the loader."""
    path = tmp_path / name if content is None else _write(tmp_path / name, bytes(content))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match=match):
            load_series(path)
    assert [str(w.message) for w in caught] == []


@pytest.mark.parametrize(("name", "content", "match"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_files_are_one_line_value_errors(tmp_path: Path, name: str, content: bytes | None, match: str) -> None:
    path = tmp_path / name if content is None else _write(tmp_path / name, bytes(content))
    with pytest.raises(ValueError, match=match) as info:
        load_series(path)
    assert "\n" not in str(info.value)


def test_directory_and_size_guard(tmp_path: Path) -> None:
    (tmp_path / "d.npy").mkdir()
    with pytest.raises(ValueError, match="directory"):
        load_series(tmp_path / "d.npy")
    save_series(tmp_path / "x.npy", X)
    with pytest.raises(ValueError, match="above the limit"):
        load_series(tmp_path / "x.npy", max_bytes=100)
    np.testing.assert_array_equal(load_series(tmp_path / "x.npy", max_bytes=None), X)


def test_save_is_atomic_and_validates(tmp_path: Path) -> None:
    save_series(tmp_path / "x.npy", X)
    with pytest.raises(ValueError, match="NaN"):
        save_series(tmp_path / "x.npy", np.array([[1.0], [np.nan]]))
    np.testing.assert_array_equal(load_series(tmp_path / "x.npy"), X)  # previous version intact
    with pytest.raises(ValueError, match="unknown extension"):
        save_series(tmp_path / "x.xlsx", X)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.npy"]  # no temporary files left
