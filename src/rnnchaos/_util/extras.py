"""Optional extras: which ``pip install 'rnnchaos[EXTRA]'`` provides a missing module, as one line.

``pip install rnnchaos`` gives the NumPy parts (systems, spectra of maps and flows, lambda_max from data,
1-D maps, metrics, reports); RNN models and training need the ``torch`` extra (PyTorch and numba).
"""

from __future__ import annotations

__all__ = ["EXTRA_OF", "MissingExtraError", "extra_message", "missing_extra"]

#: top-level module -> (what it is, the extra that installs it)
EXTRA_OF: dict[str, tuple[str, str]] = {
    "torch": ("PyTorch", "torch"),
    "numba": ("numba", "torch"),
    "flint": ("python-flint", "certified"),
}


class MissingExtraError(ModuleNotFoundError):
    """A feature needs a package of an optional extra that is not installed; the message says which."""


def extra_message(module: str, feature: str | None = None) -> str | None:
    """The one-line message for a missing ``module`` (None when no extra provides it)."""
    root = module.split(".")[0]
    if root not in EXTRA_OF:
        return None
    what, extra = EXTRA_OF[root]
    needs = f"{feature} needs" if feature else "this needs"
    return f"{needs} {what}, which is not installed: pip install 'rnnchaos[{extra}]'"


def missing_extra(exc: ModuleNotFoundError, feature: str | None = None) -> MissingExtraError | None:
    """A :class:`MissingExtraError` naming the extra for ``exc`` (an import that failed), or None when the
    missing module belongs to no extra (a genuine bug, to be re-raised as it is). A MissingExtraError
    raised deeper is renamed after ``feature`` (what the user asked for) when one is given."""
    if isinstance(exc, MissingExtraError) and feature is None:
        return exc
    message = extra_message(exc.name or "", feature)
    return None if message is None else MissingExtraError(message, name=exc.name)
