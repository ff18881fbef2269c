"""Sweep configuration files: a TOML document validated against a fixed schema.

A sweep config names a *trial kind*, the grid of parameters to try (the cartesian product of the
lists in ``[grid]``) and the parameters shared by every trial (``[fixed]``)::

    [sweep]
    name = "tau-sweep"          # optional, default: the file's stem
    kind = "python"             # train | chaos-probability | lyapunov | python
    function = "mytrials:run"   # only for kind = "python": an importable "module:function"
    python_path = ["."]         # optional, for kind = "python": directories searched first for the
                                # module, relative to the config file
    seed = 0                    # optional, default 0: the sweep seed every trial seed derives from

    [fixed]                     # optional
    n_steps = 1000

    [grid]                      # required, every value a non-empty list without duplicates
    tau = [5, 10, 20]
    replicate = [0, 1, 2]

Validation is strict, because a typo in a long sweep should cost a second, not a night: unknown
sections or keys, wrong types, empty or duplicated grid lists, a key both fixed and swept, a
parameter a built-in kind does not take, or more than ``MAX_TRIALS`` trials each raise a one-line
``ValueError`` that names the offending key (the CLI turns it into exit code 2).

Parsing uses the standard library's ``tomllib`` (TOML 1.0). Cost: linear in the file size plus the
number of grid entries.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rnnchaos.sweep.registry import KINDS, kind_spec, resolve

__all__ = ["MAX_CONFIG_BYTES", "MAX_TRIALS", "SweepConfig", "load_config", "parse_config"]

MAX_TRIALS = 1_000_000
MAX_CONFIG_BYTES = 1024 * 1024

_SECTIONS = ("sweep", "fixed", "grid")
_SWEEP_KEYS = ("name", "kind", "function", "python_path", "seed")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_TARGET_RE = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*$")
_PARAM_RE = re.compile(r"^[A-Za-z_][\w]*$")


@dataclass(frozen=True)
class SweepConfig:
    """A validated sweep: trial kind, grid axes (in file order), fixed parameters and sweep seed.

    ``grid`` maps each swept parameter to its list of values; the trials are the cartesian product
    of these lists, iterated with the *last* axis varying fastest. ``function`` is the
    ``"module:function"`` run for each trial (for built-in kinds, taken from the registry).
    """

    name: str
    kind: str
    function: str
    grid: dict[str, list[Any]]
    fixed: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    python_path: tuple[str, ...] = ()
    source: str | None = None

    @property
    def n_trials(self) -> int:
        """Number of trials: the product of the grid list lengths."""
        return math.prod(len(v) for v in self.grid.values())

    def to_dict(self) -> dict[str, Any]:
        """The config as a plain dict (the shape of the TOML file, with ``function`` resolved)."""
        sweep: dict[str, Any] = {"name": self.name, "kind": self.kind, "function": self.function,
                                 "seed": self.seed}
        if self.python_path:
            sweep["python_path"] = list(self.python_path)
        return {"sweep": sweep, "fixed": dict(self.fixed), "grid": {k: list(v) for k, v in self.grid.items()}}


def load_config(path: str | os.PathLike[str]) -> SweepConfig:
    """Read and validate a sweep config from a TOML file (see the module docstring for the schema).

    Raises ``ValueError`` (one line, naming the key or the TOML position) for a missing, empty,
    oversized, non-UTF-8 or malformed file, and for every schema violation.
    """
    file = Path(path)
    label = str(file)
    if not file.exists():
        raise ValueError(f"sweep config {label} does not exist")
    if file.is_dir():
        raise ValueError(f"sweep config {label} is a directory; expected a .toml file")
    size = file.stat().st_size
    if size == 0:
        raise ValueError(f"sweep config {label} is empty; expected a TOML file with [sweep] and [grid]")
    if size > MAX_CONFIG_BYTES:
        raise ValueError(f"sweep config {label} is {size} bytes; at most {MAX_CONFIG_BYTES} are accepted")
    raw = file.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"sweep config {label} is not UTF-8 text (bad byte at offset {exc.start})") from None
    return parse_config(text, source=label, base_dir=file.resolve().parent)


def parse_config(data: str | dict[str, Any], *, source: str | None = None,
                 base_dir: str | os.PathLike[str] | None = None) -> SweepConfig:
    """Validate a sweep config given as TOML text or as an already parsed dict.

    ``base_dir`` is the directory relative ``python_path`` entries are resolved against (default:
    the current directory). Raises ``ValueError`` naming the offending key.
    """
    where = f"sweep config {source}" if source else "sweep config"
    if isinstance(data, str):
        if "\x00" in data:
            raise ValueError(f"{where} contains a NUL character; expected TOML text")
        try:
            doc = tomllib.loads(data)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{where} is not valid TOML: {exc}") from None
    elif isinstance(data, dict):
        doc = data
    else:
        raise ValueError(f"{where} must be TOML text or a dict, got {type(data).__name__}")

    for key in doc:
        if key not in _SECTIONS:
            raise ValueError(f"{where}: unknown section or key {key!r}; allowed: [sweep], [fixed], [grid]")
    for sec in _SECTIONS:
        if sec in doc and not isinstance(doc[sec], dict):
            raise ValueError(f"{where}: {sec!r} must be a table [{sec}], got {_type(doc[sec])}")
    if "sweep" not in doc:
        raise ValueError(f"{where}: missing [sweep] table (with at least kind = ...)")
    if "grid" not in doc:
        raise ValueError(f"{where}: missing [grid] table; give at least one parameter with a list of values")
    sweep: dict[str, Any] = doc["sweep"]
    for key in sweep:
        if key not in _SWEEP_KEYS:
            raise ValueError(f"{where}: unknown key sweep.{_k(key)}; allowed: {', '.join(_SWEEP_KEYS)}")

    # [sweep].kind / function
    if "kind" not in sweep:
        raise ValueError(f"{where}: missing sweep.kind; one of {', '.join(sorted(KINDS))}")
    kind = sweep["kind"]
    if not isinstance(kind, str):
        raise ValueError(f"{where}: sweep.kind must be a string, got {_type(kind)}")
    if kind not in KINDS:
        raise ValueError(f"{where}: unknown sweep.kind {kind!r}; one of {', '.join(sorted(KINDS))}")
    spec = kind_spec(kind)
    if kind == "python":
        if "function" not in sweep:
            raise ValueError(f"{where}: sweep.function is required for kind = \"python\" "
                             "(an importable \"module:function\")")
        function = sweep["function"]
        if not isinstance(function, str):
            raise ValueError(f"{where}: sweep.function must be a string, got {_type(function)}")
        if not _TARGET_RE.match(function):
            raise ValueError(f"{where}: sweep.function must look like \"package.module:function\", "
                             f"got {function!r}")
    else:
        if "function" in sweep:
            raise ValueError(f"{where}: sweep.function is only allowed for kind = \"python\" "
                             f"(kind {kind!r} runs {spec.target})")
        if "python_path" in sweep:
            raise ValueError(f"{where}: sweep.python_path is only allowed for kind = \"python\"")
        function = spec.target

    # [sweep].name
    name = sweep.get("name")
    if name is None:
        name = Path(source).stem if source else "sweep"
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:100] or "sweep"
    elif not isinstance(name, str):
        raise ValueError(f"{where}: sweep.name must be a string, got {_type(name)}")
    elif not _NAME_RE.match(name):
        raise ValueError(f"{where}: sweep.name {name!r} must be 1-100 characters from letters, digits, "
                         "'_', '-', '.', starting with a letter or digit")

    # [sweep].seed
    seed = sweep.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"{where}: sweep.seed must be an integer, got {_type(seed)}")
    if not 0 <= seed < 2**63:
        raise ValueError(f"{where}: sweep.seed must be in [0, 2**63), got {seed}")

    # [sweep].python_path
    python_path: tuple[str, ...] = ()
    if "python_path" in sweep:
        pp = sweep["python_path"]
        if isinstance(pp, str):
            pp = [pp]
        if not isinstance(pp, list) or not all(isinstance(p, str) and p for p in pp):
            raise ValueError(f"{where}: sweep.python_path must be a list of directory strings, got {_type(pp)}")
        base = Path(base_dir) if base_dir is not None else Path.cwd()
        resolved = []
        for p in pp:
            d = (base / p).resolve()
            if not d.is_dir():
                raise ValueError(f"{where}: sweep.python_path entry {p!r} is not a directory ({d})")
            resolved.append(str(d))
        python_path = tuple(resolved)

    # [fixed]
    fixed: dict[str, Any] = dict(doc.get("fixed", {}))
    for key, value in fixed.items():
        _check_param_name(where, f"fixed.{key}", key)
        _check_value(where, f"fixed.{key}", value)

    # [grid]
    grid_doc: dict[str, Any] = doc["grid"]
    if not grid_doc:
        raise ValueError(f"{where}: [grid] is empty; give at least one parameter with a list of values")
    grid: dict[str, list[Any]] = {}
    for key, values in grid_doc.items():
        _check_param_name(where, f"grid.{key}", key)
        if not isinstance(values, list):
            raise ValueError(f"{where}: grid.{key} must be a list of values, got {_type(values)}; "
                             f"put single values in [fixed]")
        if not values:
            raise ValueError(f"{where}: grid.{key} is an empty list; give at least one value")
        seen: set[str] = set()
        for i, v in enumerate(values):
            _check_value(where, f"grid.{key}[{i}]", v)
            canon = repr(_canonical(v))
            if canon in seen:
                raise ValueError(f"{where}: grid.{key} has the duplicate value {v!r}; each value must be distinct")
            seen.add(canon)
        if key in fixed:
            raise ValueError(f"{where}: parameter {key!r} is both in [fixed] and [grid]; keep one")
        grid[key] = list(values)

    # an explicit per-trial seed, if given, must be a non-negative integer
    seeds = grid.get("seed", [fixed["seed"]] if "seed" in fixed else [])
    label = "grid.seed" if "seed" in grid else "fixed.seed"
    for v in seeds:
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < 2**63:
            raise ValueError(f"{where}: {label} must hold integers in [0, 2**63), got {_type(v)}")

    # kind-specific parameter names ("seed" and the label "replicate" are accepted by every kind)
    names = set(fixed) | set(grid)
    if spec.params is not None:
        for key in sorted(names):
            if key not in spec.params and key not in ("seed", "replicate"):
                section = "grid" if key in grid else "fixed"
                raise ValueError(f"{where}: unknown parameter {section}.{key} for kind {kind!r}; "
                                 f"accepted: {', '.join(sorted(spec.params))}")
    for key in spec.required:
        if key not in names:
            raise ValueError(f"{where}: kind {kind!r} needs parameter {key!r} in [fixed] or [grid]")

    if spec.validate is not None:
        try:
            resolve(spec.validate)({k: v for k, v in fixed.items() if k != "replicate"},
                                   {k: v for k, v in grid.items() if k != "replicate"})
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None

    n = math.prod(len(v) for v in grid.values())
    if n > MAX_TRIALS:
        raise ValueError(f"{where}: the grid has {n} trials; at most {MAX_TRIALS} are accepted "
                         "(split the sweep into several configs)")
    return SweepConfig(name=name, kind=kind, function=function, grid=grid, fixed=fixed, seed=seed,
                       python_path=python_path, source=source)


def _k(key: str) -> str:
    """A key as written in messages: bare if it is an identifier, quoted (escaped, one line) otherwise."""
    return key if _PARAM_RE.match(key) else repr(key)


def _type(value: Any) -> str:
    """TOML-flavoured name of a value's type for error messages."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a float ({value})"
    if isinstance(value, str):
        return f"a string ({value!r})"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _check_param_name(where: str, label: str, key: str) -> None:
    if not _PARAM_RE.match(key):
        raise ValueError(f"{where}: parameter name {label!r} must be an identifier (letters, digits, '_')")


def _check_value(where: str, label: str, value: Any) -> None:
    """Parameters must be JSON-representable: no dates/times, no NaN or inf."""
    if isinstance(value, _dt.date | _dt.time | _dt.datetime):
        raise ValueError(f"{where}: {label} is a date/time; parameters must be numbers, strings, "
                         "booleans, arrays or tables")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{where}: {label} is {value}; parameters must be finite")
    if isinstance(value, list):
        for i, v in enumerate(value):
            _check_value(where, f"{label}[{i}]", v)
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_value(where, f"{label}.{_k(str(k))}", v)


def _canonical(value: Any) -> Any:
    """A hashable canonical form that tells 1 from 1.0 from True (used to detect duplicates)."""
    if isinstance(value, list):
        return ("list", tuple(_canonical(v) for v in value))
    if isinstance(value, dict):
        return ("table", tuple(sorted((k, _canonical(v)) for k, v in value.items())))
    return (type(value).__name__, value)
