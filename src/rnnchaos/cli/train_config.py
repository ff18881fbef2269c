"""``rnnchaos train --config FILE``: a TOML file, or a run's own ``config.json``, as the defaults of the options.

A TOML (or flat JSON) file sets options by their long names with underscores (``hidden = 30``,
``lr_final = 1e-5``, ``forcing_signal_grad = false``, ``data = ["a.npy", "b.npy"]``); a run's
``config.json`` (format ``rnnchaos-run``) is translated into the options that rebuild that run
(:func:`run_options`), so ``rnnchaos train --config RUN/config.json --out NEW`` trains it again with the
same logged losses.  The values become click's ``default_map``: every flag on the command line overrides
the file.

Validation is pydantic's (v2, strict): the model is built from the click command's options
(:func:`options_model`; an ``int`` option takes an integer, a choice one of its values, a flag a boolean,
a repeatable option a list), with unknown keys forbidden, so no option has a hand-written schema.  Every
error is one line naming the file and the key.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any, Literal

import click

__all__ = ["config_option", "options_model", "read_options", "run_options"]

#: config.json estimator parameters stored under another option name
_RENAMED = {"lr_end": "lr_final"}
#: estimator parameters that do not change a run's numbers, or that the command sets itself
_IGNORED = ("out", "progress", "score_steps", "model_kwargs")
#: architecture options (``model_kwargs``) that have a flag: key -> (option, value from the stored one)
_MODEL_FLAGS = {"clipped": "clipped", "init": "init"}


def option_key(param: click.Parameter) -> str:
    """The config key of an option: its first long name without the dashes, ``-`` as ``_``."""
    longs = [o for o in param.opts if o.startswith("--")]
    return (longs[0] if longs else param.opts[0]).lstrip("-").replace("-", "_")


def _field_type(param: click.Option) -> Any:
    from pydantic import StrictFloat, StrictInt, StrictStr

    t = param.type
    if param.is_flag:
        base: Any = bool
    elif isinstance(t, click.Choice):
        base = Literal[tuple(t.choices)]
    elif isinstance(t, click.types.IntParamType):
        base = int
    elif isinstance(t, click.types.FloatParamType):
        base = float
    elif getattr(t, "accepts_numbers", False):  # text the command parses (--tau auto|INT, --alpha A|auto)
        base = StrictStr | StrictInt | StrictFloat
    else:  # text and paths
        base = StrictStr
    if param.multiple:
        return list[base] | base | None
    return base | None


def options_model(command: click.Command) -> Any:
    """A pydantic model (extra keys forbidden, strict types) with one optional field per option of
    ``command`` but ``--config`` and ``--help``."""
    from pydantic import ConfigDict, Field, create_model

    # each field is named o_<key> with the key as its alias (a key such as "json" would shadow BaseModel)
    fields = {f"o_{option_key(p)}": (_field_type(p), Field(None, alias=option_key(p))) for p in _options(command)}
    return create_model(f"{command.name}_config", __config__=ConfigDict(extra="forbid", strict=True),
                        **fields)  # type: ignore[call-overload]


def _options(command: click.Command) -> list[click.Option]:
    return [p for p in command.params if isinstance(p, click.Option) and p.name not in ("config", "help")]


def _error_line(label: str, exc: Any) -> str:
    err = exc.errors()[0]
    key = ".".join(str(p) for p in err["loc"][:1]) or "?"
    if err["type"] == "extra_forbidden":
        return f"{label}: unknown key {key!r}"
    return f"{label}: key {key!r}: {err['msg'][0].lower()}{err['msg'][1:]}, got {err.get('input')!r}"


def read_options(path: str, command: click.Command) -> dict[str, Any]:
    """The ``default_map`` (option name -> value) of the config file ``path`` for ``command``: TOML, a flat
    JSON object or a run's ``config.json``.  Raises ``click.BadParameter`` with one line."""
    from pydantic import ValidationError

    file = Path(path)
    label = f"config {path!r}"
    if not file.is_file():
        raise click.BadParameter(f"{label} does not exist or is not a file", param_hint="--config")
    try:
        text = file.read_text(encoding="utf-8")
        raw: Any = json.loads(text) if file.suffix.lower() == ".json" else tomllib.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        kind = "JSON" if file.suffix.lower() == ".json" else "TOML"
        raise click.BadParameter(f"{label} is not valid {kind}: {' '.join(str(exc).split())}",
                                 param_hint="--config") from None
    if not isinstance(raw, dict):
        raise click.BadParameter(f"{label} must hold an object of option names", param_hint="--config")
    if raw.get("format") == "rnnchaos-run":
        try:
            raw = run_options(raw)
        except ValueError as exc:
            raise click.BadParameter(f"{label}: {exc}", param_hint="--config") from None
    try:
        valid = options_model(command).model_validate(raw)
    except ValidationError as exc:
        raise click.BadParameter(_error_line(label, exc), param_hint="--config") from None
    by_key = {option_key(p): p for p in _options(command)}
    out: dict[str, Any] = {}
    for key, value in valid.model_dump(exclude_none=True, by_alias=True).items():
        param = by_key[key]
        out[str(param.name)] = [value] if param.multiple and not isinstance(value, list) else value
    return out


def run_options(cfg: dict[str, Any]) -> dict[str, Any]:
    """The ``train`` options (config keys) that rebuild the run of ``cfg`` (a ``config.json``): its data
    source and split, and every estimator parameter; ``ValueError`` when the run used something the
    command cannot set (in-memory data, a non-default parameter without an option)."""
    import inspect

    from rnnchaos.training.reconstructor import Reconstructor
    from rnnchaos.training.run_directory import stored_estimator_params

    data = cfg.get("data") or {}
    kind, source = data.get("kind"), str(data.get("source", ""))
    if kind == "array" or not source:
        raise ValueError("the run was trained on in-memory data, which rnnchaos train cannot reload; give --data")
    opts: dict[str, Any] = {"data": source.split(" + ") if kind == "trials" else [source]}
    if kind == "system":
        opts["param"] = [f"{k}={float(v)!r}" for k, v in (data.get("params") or {}).items()]
        if data.get("n_steps") is not None:
            opts["n_steps"] = int(data["n_steps"])
        if data.get("dt") is not None:
            opts["dt"] = float(data["dt"])
    if data.get("embedding"):
        opts["embed_dim"], opts["embed_lag"] = int(data["embedding"]["dim"]), int(data["embedding"]["lag"])
    if (cfg.get("split") or {}).get("test_fraction") is not None:
        opts["test_fraction"] = float(cfg["split"]["test_fraction"])
    est = stored_estimator_params(Reconstructor, cfg)
    defaults = {n: p.default for n, p in inspect.signature(Reconstructor.__init__).parameters.items() if n != "self"}
    from rnnchaos.cli.train import train

    keys = {option_key(p) for p in _options(train)}
    for name, value in est.items():
        key = _RENAMED.get(name, name)
        if name in _IGNORED or (name == "lr_final" and value == defaults.get(name)):
            continue
        if key not in keys or name == "lr_final":
            if value != defaults.get(name):
                raise ValueError(f"the run sets {name}={value!r}, which rnnchaos train has no option for")
            continue
        if value is not None:
            opts[key] = value
    for name, value in (est.get("model_kwargs") or {}).items():
        if name not in _MODEL_FLAGS:
            raise ValueError(f"the run sets the architecture option {name}={value!r}, which rnnchaos train "
                             "has no option for")
        opts[_MODEL_FLAGS[name]] = value
    return opts


def _callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        assert ctx.command is not None
        ctx.default_map = {**(ctx.default_map or {}), **read_options(value, ctx.command)}
    return value


config_option = click.option(
    "--config", "config", default=None, metavar="FILE", is_eager=True, expose_value=False, callback=_callback,
    help="Options from a TOML file (keys: the long option names, - as _) or a run's config.json (rebuilds "
         "that run); flags on the command line override it.")
