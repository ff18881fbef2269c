"""Reading untrusted torch files: ``torch.load(weights_only=True)`` with errors fit for a user.

When ``weights_only=True`` refuses a file, torch's message advises re-running with
``weights_only=False`` or allow-listing the offending global.  For a file of unknown origin that is
the wrong advice (it runs whatever code the pickle carries), so :func:`load_weights_only` drops it and
says instead that the file is not a plain weights file and was refused, keeping only torch's reason.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

__all__ = ["load_weights_only", "weights_only_error"]

#: where torch's advice (allow-list the global, load with weights_only=False, ...) begins: cut from there
_ADVICE = ("Please use", "Please file an issue", "Check the documentation", "This file can still be loaded",
           "Re-running `torch.load`", "This is an internal miniz error")


def _cut_advice(text: str) -> str:
    for marker in _ADVICE:
        text = text.split(marker, 1)[0]
    return " ".join(text.split()).rstrip(" .")


def weights_only_error(exc: BaseException, what: str) -> ValueError:
    """The ``ValueError`` for ``torch.load(weights_only=True)`` failing with ``exc`` on ``what`` (e.g.
    ``"checkpoint '/x/model.pt'"``): a refused pickle reads "is not a plain weights file ... was refused"
    with torch's reason and none of its advice; a damaged file reads "cannot be read (truncated or corrupt?)"."""
    text = " ".join(str(exc).split())
    if "WeightsUnpickler error" in text or "Weights only load failed" in text:
        reason = _cut_advice(text.split("WeightsUnpickler error:", 1)[1]) if "WeightsUnpickler error:" in text else ""
        return ValueError(f"{what} is not a plain weights file and was refused (rnnchaos loads only tensors and "
                          f"plain containers, never code)" + (f": {reason}" if reason else ""))
    detail = _cut_advice(text) or type(exc).__name__
    return ValueError(f"{what} cannot be read as a torch file (truncated or corrupt?): {detail}")


def load_weights_only(path: str | os.PathLike[str], what: str) -> Any:
    """``torch.load(path, map_location="cpu", weights_only=True)``; any failure becomes the one-line
    ``ValueError`` of :func:`weights_only_error` (``FileNotFoundError`` passes through)."""
    import torch

    try:
        with warnings.catch_warnings():  # "Detected pickle protocol 4 ...": advice about a file we refuse or read
            warnings.filterwarnings("ignore", message="Detected pickle protocol", category=UserWarning)
            return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as exc:  # any unpickling error
        raise weights_only_error(exc, what) from None
