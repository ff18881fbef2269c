"""Helpers shared by the CLI modules: printing results as text or as exactly one JSON object, and option
choices taken from the library's constants (``LibraryChoice``)."""

from __future__ import annotations

import importlib
import json
from collections.abc import Sequence
from typing import Any

import click

from rnnchaos._util.atomic import json_default
from rnnchaos._util.tables import finite_json

json_option = click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object on stdout.")
seed_option = click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")


class LibraryChoice(click.Choice):
    """A ``click.Choice`` whose values are a library constant ``"module:NAME"`` (a sequence of names, or a
    function returning one), imported when the choices are first needed (parsing, the command's --help).

    The CLI never keeps its own copy of a list the library defines, and loading a CLI module (which
    ``rnnchaos --help`` does for every command) never imports the layer behind it (torch). ``extra``:
    values the command adds in front (e.g. ``auto``).
    """

    def __init__(self, target: str, *, extra: Sequence[str] = (), case_sensitive: bool = True) -> None:
        self._target = target
        self._extra = tuple(extra)
        self._loaded: tuple[str, ...] | None = None
        super().__init__((), case_sensitive=case_sensitive)

    @property
    def choices(self) -> tuple[str, ...]:
        if self._loaded is None:
            module, _, name = self._target.partition(":")
            value = getattr(importlib.import_module(module), name)
            names = value() if callable(value) else value
            self._loaded = self._extra + tuple(str(v) for v in names)
        return self._loaded

    @choices.setter
    def choices(self, value: Any) -> None:  # called by click.Choice.__init__; the values come from _target
        pass


class TextOrNumber(click.ParamType):
    """A text option that a config file may also give as a number (``tau = 10`` for ``--tau auto|INT``); the
    command parses the text.  ``accepts_numbers`` tells :mod:`rnnchaos.cli.train_config` to allow numbers."""

    name = "text"
    accepts_numbers = True

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        return value if isinstance(value, str) else str(value)


device_option = click.option(
    "--device", type=LibraryChoice("rnnchaos._util.device:DEVICES"), default="cpu", show_default=True,
    help="Where the tangent space lives: cpu, cuda (refused without CUDA) or auto (CUDA when present).")


reortho_option = click.option(
    "--reortho", type=TextOrNumber(), default="auto", show_default=True, metavar="auto|INT",
    help="Steps between two QR re-orthonormalisations of the tangent frame: auto (adapted to the frame's "
         "conditioning, reported as mean_reortho_interval) or a fixed interval.")
tangent_dtype_option = click.option(
    "--tangent-dtype", type=LibraryChoice("rnnchaos.models.spectrum:TANGENT_DTYPES"), default="float64",
    show_default=True, help="Floating type of the orbit and tangent space (float32: about 2x faster for large "
                            "models, accuracy in docs/rnn.md).")


def to_jsonable(obj: Any) -> Any:
    """Round-trip ``obj`` through JSON with NumPy support, returning plain Python types."""
    return finite_json(json.loads(json.dumps(obj, default=json_default)), "null")


def emit(result: dict[str, Any], as_json: bool) -> None:
    """Print ``result``: one JSON object with ``--json``, otherwise aligned ``key: value`` lines."""
    data = to_jsonable(result)
    if as_json:
        click.echo(json.dumps(data, allow_nan=False))
        return
    width = max((len(k) for k in data), default=0)
    for key, value in data.items():
        if isinstance(value, float):
            text = f"{value:.6g}"
        elif isinstance(value, list) and value and all(isinstance(v, float) for v in value):
            text = "[" + ", ".join(f"{v:.6g}" for v in value) + "]"
        else:
            text = str(value)
        click.echo(f"{key.ljust(width)}  {text}")


def apply_options(options: list[Any], f: Any) -> Any:
    """Decorate ``f`` with a list of click options shared by several commands (first option first in --help)."""
    for opt in reversed(options):
        f = opt(f)
    return f


def parse_params(items: tuple[str, ...]) -> dict[str, float]:
    """Parse ``NAME=VALUE`` pairs into a dict of floats; raise ``click.BadParameter`` otherwise."""
    params: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--param")
        try:
            params[name.strip()] = float(value)
        except ValueError:
            raise click.BadParameter(f"value of {name!r} must be a number, got {value!r}", param_hint="--param") from None
    return params
