"""Running one trial in isolation: import its function, call it, turn anything it raises into a record.

This module is what every executor (in-process, process pool, Ray) calls in the worker. It imports
nothing heavy at module level, so that a pool initializer can pin BLAS/OpenMP threads before NumPy
or torch are first imported in the worker.
"""

from __future__ import annotations

import math
import os
import time
import traceback
from collections.abc import Sequence
from typing import Any

__all__ = ["execute_trial", "failure", "jsonable_result", "pin_threads"]

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")
_MAX_ERROR = 2000


def pin_threads() -> None:
    """Process-pool initializer: one BLAS/OpenMP thread per worker (the pool supplies the parallelism)."""
    for var in _THREAD_VARS:
        os.environ[var] = "1"


def _one_line(text: str) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= _MAX_ERROR else line[: _MAX_ERROR - 3] + "..."


def failure(message: str, duration_s: float = 0.0, tb: str | None = None) -> dict[str, Any]:
    """An outcome for a trial that did not produce a result."""
    return {"status": "error", "result": None, "error": _one_line(message), "traceback": tb,
            "duration_s": duration_s}


def jsonable_result(value: Any) -> Any:
    """Convert a trial's return value to plain JSON types (NumPy scalars/arrays allowed).

    Non-finite floats become ``None``. Raises ``TypeError`` for anything not representable.
    """
    import json

    from rnnchaos._util.atomic import json_default

    def clean(obj: Any) -> Any:
        if isinstance(obj, float) and not math.isfinite(obj):
            return None
        if isinstance(obj, dict):
            return {str(k): clean(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [clean(v) for v in obj]
        return obj

    return clean(json.loads(json.dumps(value, default=json_default)))


def execute_trial(function: str, params: dict[str, Any], python_path: Sequence[str] = ()) -> dict[str, Any]:
    """Run ``function(params)`` and return ``{"status", "result", "error", "traceback", "duration_s"}``.

    ``status`` is ``"ok"`` with the (JSON-converted) dict the function returned, or ``"error"`` with
    the exception's type and message on one line (and the traceback text) if the import failed, the
    function raised (``SystemExit`` included) or it returned something that is not a JSON dict.
    """
    from rnnchaos.sweep.registry import resolve

    t0 = time.perf_counter()
    try:
        fn = resolve(function, python_path)
        value = fn(dict(params))
        if not isinstance(value, dict):
            return failure(f"trial function {function} returned {type(value).__name__}; expected a dict",
                           time.perf_counter() - t0)
        try:
            result = jsonable_result(value)
        except (TypeError, ValueError) as exc:
            return failure(f"trial function {function} returned a dict that is not JSON-representable: {exc}",
                           time.perf_counter() - t0)
    except (Exception, SystemExit) as exc:
        msg = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return failure(msg, time.perf_counter() - t0, traceback.format_exc())
    return {"status": "ok", "result": result, "error": None, "traceback": None,
            "duration_s": time.perf_counter() - t0}
