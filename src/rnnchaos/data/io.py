"""Loading and saving measured time series of shape (T, N).

Supported formats (chosen by the file extension, case-insensitive):

* ``.npy`` -- one numeric array, read with ``allow_pickle=False`` (object/pickled arrays are refused).
* ``.npz`` -- an archive; it must hold exactly one array, or the array is named after a colon:
  ``"data.npz:x"`` loads the member ``x``. Read with ``allow_pickle=False``.
* ``.csv``, ``.txt``, ``.tsv``, ``.dat`` -- UTF-8 text, one sample per line, columns separated by commas
  (if the first data line has a comma) or by whitespace (spaces/tabs). One optional header line (any
  first line that is not numeric) is skipped, as are blank lines and lines starting with ``#``.

Whatever the format, the result is a C-contiguous float64 array of shape (T, N) (a 1-D array becomes
(T, 1)), with T >= 2 and every value finite. Anything else raises a one-line ``ValueError`` that says
what was wrong and what would be right, so that the CLI can print it and exit with code 2.

Files larger than ``max_bytes`` (default 2 GiB) are refused before they are read, so that a wrong
path never exhausts memory; pass ``max_bytes=None`` to lift the guard.

Large files: a ``.npy`` of at least :data:`rnnchaos.data.mapped.MMAP_BYTES` (64 MiB) holding a C-ordered
float32 or float64 array is returned as a read-only memory map of the file (``np.load(mmap_mode="r")``),
in its own dtype, instead of a float64 copy; it is checked for NaN/inf block by block
(:mod:`rnnchaos.data.mapped`). Code that needs float64 converts the rows it uses.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rnnchaos._util.atomic import write_atomic
from rnnchaos._util.validation import check_finite
from rnnchaos.data.mapped import MMAP_BYTES, find_nonfinite

__all__ = ["DEFAULT_MAX_BYTES", "NPY_EXTENSIONS", "TEXT_EXTENSIONS", "load_series", "save_series"]

DEFAULT_MAX_BYTES = 2 * 1024**3
NPY_EXTENSIONS = (".npy", ".npz")
TEXT_EXTENSIONS = (".csv", ".txt", ".tsv", ".dat")
_ALL = NPY_EXTENSIONS + TEXT_EXTENSIONS


def _split_npz_key(path: str | os.PathLike[str]) -> tuple[Path, str | None]:
    """Split ``"file.npz:key"`` into (Path("file.npz"), "key"); other paths are returned unchanged."""
    text = os.fspath(path)
    low = text.lower()
    idx = low.rfind(".npz:")
    if idx >= 0 and not Path(text).exists():
        key = text[idx + 5:]
        return Path(text[: idx + 4]), (key or None)
    return Path(text), None


def load_series(path: str | os.PathLike[str], *, max_bytes: int | None = DEFAULT_MAX_BYTES,
                name: str | None = None, allow_nonfinite: bool = False) -> NDArray[np.float64]:
    """Load a time series from ``.npy``, ``.npz[:key]``, ``.csv``/``.txt``/``.tsv``/``.dat``.

    Parameters
    ----------
    path:
        File to read. For an ``.npz`` archive with several arrays append ``:key``.
    max_bytes:
        Refuse files larger than this many bytes (``None``: no limit).
    name:
        How the series is called in error messages (default: the file name).
    allow_nonfinite:
        Keep NaN/inf (gaps of a recording, cut later by :func:`rnnchaos.data.gaps.split_at_gaps`).

    Returns
    -------
    ndarray of shape (T, N), float64, finite, T >= 2; for a large float ``.npy`` (module docstring) a
    read-only ``np.memmap`` of shape (T, N) in the file's dtype (float32 or float64).

    Raises
    ------
    ValueError
        Missing or empty file, a directory, unknown extension, non-UTF-8 or unparsable text,
        object/pickled arrays, truncated or corrupt ``.npy``/``.npz``, non-numeric dtype,
        ndim not 1 or 2, fewer than 2 samples, NaN or inf, or a file above ``max_bytes``.
    """
    file, key = _split_npz_key(path)
    label = name or str(file)
    if not file.exists():
        raise ValueError(f"data file {str(file)!r} does not exist; give the path of a .npy, .npz or .csv file")
    if file.is_dir():
        raise ValueError(f"data file {str(file)!r} is a directory; give the path of a .npy, .npz or .csv file")
    ext = file.suffix.lower()
    if ext not in _ALL:
        raise ValueError(f"data file {str(file)!r} has unknown extension {file.suffix!r}; "
                         f"supported: {', '.join(_ALL)}")
    if key is not None and ext != ".npz":
        raise ValueError(f"a ':key' suffix is only meaningful for .npz archives, got {os.fspath(path)!r}")
    size = file.stat().st_size
    if size == 0:
        raise ValueError(f"data file {label!r} is empty (0 bytes); expected a (time x dims) array")
    if max_bytes is not None and size > max_bytes:
        raise ValueError(f"data file {label!r} is {size} bytes, above the limit of {max_bytes} bytes; "
                         "pass max_bytes=None to load it anyway")
    if ext == ".npy" and size >= MMAP_BYTES:
        mapped = _map_npy(file, label)
        if mapped is not None:
            return _mapped_series(mapped, label, finite=not allow_nonfinite)
    if ext == ".npy":
        arr = _load_npy(file, label)
    elif ext == ".npz":
        arr = _load_npz(file, key, label)
    else:
        arr = _load_text(file, label)
    return _as_series(arr, label, finite=not allow_nonfinite)


def _load_npy(file: Path, label: str) -> Any:
    try:
        with open(file, "rb") as fh:
            # Reject pickles and anything that is not an .npy before np.load sees it.
            magic = fh.read(6)
            if magic != b"\x93NUMPY":
                raise ValueError(f"data file {label!r} is not a NumPy .npy file (bad magic bytes)")
            fh.seek(0)
            return np.load(fh, allow_pickle=False)
    except Exception as exc:  # numpy's header parser can raise SyntaxError, tokenize.TokenError, ...
        raise _load_error(exc, "data file", label, "a numeric array (float or int)", "a readable .npy array") from None


def _map_npy(file: Path, label: str) -> Any:
    """A read-only memory map of a C-ordered float32/float64 ``.npy`` of 1 or 2 dimensions, or None (the
    file is then read as usual, which reports anything wrong with it)."""
    try:
        with open(file, "rb") as fh:
            if fh.read(6) != b"\x93NUMPY":
                return None
        arr = np.load(file, mmap_mode="r", allow_pickle=False)
    except Exception:  # noqa: BLE001 - a bad file: _load_npy reports it
        return None
    if arr.dtype not in (np.float32, np.float64) or arr.ndim not in (1, 2) or not arr.flags.c_contiguous:
        return None
    return arr


def _mapped_series(arr: Any, label: str, finite: bool) -> Any:
    """Shape checks of :func:`_as_series` on a memory map (no copy) and a blockwise finiteness check."""
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.shape[0] < 2 or arr.shape[1] < 1:
        raise ValueError(f"{label!r} has shape {arr.shape}; at least 2 samples and 1 column are needed")
    if finite:
        bad, kind, _ = find_nonfinite(arr)
        if bad is not None:
            raise ValueError(f"{label!r} contains {kind} at index {bad}; all values must be finite")
    return arr


def _load_npz(file: Path, key: str | None, label: str) -> Any:
    try:  # our own handle: np.load(path) leaks its file (ResourceWarning) when the archive is corrupt
        with open(file, "rb") as fh, np.load(fh, allow_pickle=False) as archive:
            keys = list(archive.files)
            if key is None:
                if len(keys) != 1:
                    raise ValueError(f"data archive {label!r} holds {len(keys)} arrays {keys}; "
                                     f"name one as '{file}:KEY'")
                key = keys[0]
            if key not in keys:
                raise ValueError(f"data archive {label!r} has no array {key!r}; available: {keys}")
            return archive[key]
    except Exception as exc:  # BadZipFile, EOFError, a corrupt member's header (SyntaxError, TokenError), ...
        raise _load_error(exc, "data archive", label, "a numeric array", "a readable .npz") from None


def _load_error(exc: Exception, kind: str, label: str, instead: str, readable: str) -> ValueError:
    """Translate an exception of ``np.load`` into one ``ValueError`` naming the file.

    Our own messages (starting with ``kind``) pass unchanged; pickled object arrays get their own
    message; anything else reads "is not <readable> (truncated or corrupt?)" (non-ValueErrors name their type).
    """
    what = f"{kind} {label!r}"
    msg = str(exc)
    if isinstance(exc, ValueError):
        if "allow_pickle" in msg or "Object arrays" in msg:
            return ValueError(f"{what} holds an object (pickled) array; save {instead} instead")
        if msg.startswith(kind):
            return exc
        detail = " ".join(msg.split())
    else:
        detail = f"{type(exc).__name__}: {' '.join(msg.split())}"
    return ValueError(f"{what} is not {readable} (truncated or corrupt?): {detail}")


def _is_numeric_line(line: str, delimiter: str | None) -> bool:
    fields = line.split(delimiter) if delimiter else line.split()
    try:
        for f in fields:
            float(f)
    except ValueError:
        return False
    return True


def _load_text(file: Path, label: str) -> Any:
    raw = file.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"data file {label!r} is not UTF-8 text (byte {exc.start} is invalid); "
                         "expected comma- or whitespace-separated numbers") from None
    if "\x00" in text:
        raise ValueError(f"data file {label!r} contains NUL bytes; it is binary, not CSV text")
    lines = text.splitlines()
    first_idx = next((i for i, ln in enumerate(lines) if ln.strip() and not ln.lstrip().startswith("#")), None)
    if first_idx is None:
        raise ValueError(f"data file {label!r} has no data lines; expected comma- or whitespace-separated numbers")
    first = lines[first_idx]
    delimiter: str | None = "," if "," in first else None
    skip = 0
    if not _is_numeric_line(first, delimiter):
        skip = first_idx + 1  # header line
        # The header may use a different separator only if data lines agree; re-detect on the next line.
        nxt = next((ln for ln in lines[skip:] if ln.strip() and not ln.lstrip().startswith("#")), None)
        if nxt is None:
            raise ValueError(f"data file {label!r} has a header line but no data lines")
        delimiter = "," if "," in nxt else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "input contained no data": checked below
            arr = np.loadtxt(io.StringIO(text), delimiter=delimiter, comments="#", skiprows=skip,
                             dtype=np.float64, ndmin=2)
    except ValueError as exc:
        detail = " ".join(str(exc).split(";")[0].split())  # drop numpy's hint about `usecols`
        raise ValueError(f"data file {label!r} could not be parsed as numbers "
                         f"({'comma' if delimiter else 'whitespace'}-separated): {detail}") from None
    if arr.size == 0:
        raise ValueError(f"data file {label!r} has no data lines; expected comma- or whitespace-separated numbers")
    if arr.shape[1] == 1:
        arr = arr[:, 0]
    return arr


def _as_series(arr: Any, label: str, finite: bool = True) -> NDArray[np.float64]:
    arr = np.asarray(arr)
    if arr.dtype.kind not in "iuf":
        raise ValueError(f"{label!r} has dtype {arr.dtype}; a real numeric array (float or int) is needed")
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{label!r} has shape {arr.shape}; a series must be (T,) or (T, N) = (time, dims)")
    if arr.shape[0] < 2 or arr.shape[1] < 1:
        raise ValueError(f"{label!r} has shape {arr.shape}; at least 2 samples and 1 column are needed")
    out = np.ascontiguousarray(arr, dtype=np.float64)
    if finite:
        check_finite(out, repr(label))
    return out


def save_series(path: str | os.PathLike[str], x: Any) -> None:
    """Save a series of shape (T,) or (T, N) atomically as ``.npy``, ``.npz`` (key ``x``) or CSV text.

    Text formats (``.csv``: comma-separated; ``.txt``/``.tsv``/``.dat``: whitespace) use ``%.17g`` so
    that float64 values round-trip exactly. The file appears only once it is complete.
    """
    file = Path(path)
    ext = file.suffix.lower()
    if ext not in _ALL:
        raise ValueError(f"cannot save to {str(file)!r}: unknown extension {file.suffix!r}; "
                         f"supported: {', '.join(_ALL)}")
    arr = _as_series(x, "series")
    if ext == ".npy":
        write_atomic(file, lambda fh: np.save(fh, arr, allow_pickle=False))
    elif ext == ".npz":
        write_atomic(file, lambda fh: np.savez(fh, x=arr))
    else:
        delim = "," if ext == ".csv" else " "
        buf = io.StringIO()
        np.savetxt(buf, arr, fmt="%.17g", delimiter=delim)
        data = buf.getvalue().encode("utf-8")
        write_atomic(file, lambda fh: fh.write(data))
