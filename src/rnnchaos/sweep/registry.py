"""The registry of trial kinds: ``kind -> "module:function"``, resolved lazily.

Every trial function has the signature ``fn(params: dict) -> dict`` and returns JSON-representable
results (numbers, strings, booleans, lists, dicts; NumPy scalars and arrays are converted). The
built-in kinds wrap the library's own entry points (see :mod:`rnnchaos.sweep.builtin`); the kind
``"python"`` runs any importable ``"module:function"`` named in the config.

Importing this module imports nothing heavy: a target is imported only when a trial runs.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["KINDS", "KindSpec", "kind_spec", "resolve"]


@dataclass(frozen=True)
class KindSpec:
    """A trial kind: its target ``"module:function"``, the parameter names it accepts (``None``: any)
    and the ones it requires."""

    target: str
    params: frozenset[str] | None = None
    required: tuple[str, ...] = ()
    #: optional ``"module:function"`` called as ``fn(fixed, grid)`` when the config is validated; it
    #: raises ``ValueError`` naming the offending parameter (e.g. an unknown system or system parameter)
    validate: str | None = None


KINDS: dict[str, KindSpec] = {
    "train": KindSpec(
        "rnnchaos.sweep.builtin:train_trial",
        None,  # data options, scoring options and the Reconstructor's parameters, checked by the validator
        ("data",),
        "rnnchaos.sweep.builtin:validate_train",
    ),
    "chaos-probability": KindSpec(
        "rnnchaos.sweep.builtin:chaos_probability_trial",
        frozenset({"width", "depth", "init", "bias_init", "output_init", "output_bias_init", "output_gain",
                   "networks", "hidden_activation", "output_activation", "entropy", "grid_test"}),
        ("width",),
        "rnnchaos.sweep.builtin:validate_chaos_probability",
    ),
    "lyapunov": KindSpec(
        "rnnchaos.sweep.builtin:lyapunov_trial",
        None,  # engine settings plus the parameters of the named system(s), checked by the validator
        ("system",),
        "rnnchaos.sweep.builtin:validate_lyapunov",
    ),
    "python": KindSpec("", None, ()),
}


def kind_spec(kind: str) -> KindSpec:
    """Return the spec of ``kind`` or raise ``ValueError`` listing the known kinds."""
    try:
        return KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown trial kind {kind!r}; one of {', '.join(sorted(KINDS))}") from None


def resolve(target: str, python_path: Sequence[str] = ()) -> Callable[..., Any]:
    """Import ``"module:function"`` and return the function.

    ``python_path`` directories are put at the front of ``sys.path`` first (once each).
    Raises ``ValueError`` if the module or the attribute does not exist or is not callable.
    """
    for d in reversed(tuple(python_path)):
        if d not in sys.path:
            sys.path.insert(0, d)
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"trial function must be \"module:function\", got {target!r}")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise ValueError(f"cannot import module {module_name!r} of trial function {target!r}: {exc}") from None
    fn = getattr(module, attr, None)
    if fn is None:
        raise ValueError(f"module {module_name!r} has no attribute {attr!r} (trial function {target!r})")
    if not callable(fn):
        raise ValueError(f"trial function {target!r} is not callable")
    return fn
