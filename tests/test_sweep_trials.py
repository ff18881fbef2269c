"""Cheap trial functions for the sweep tests (imported by name in worker processes and Ray workers).

No tests here: only ``params -> dict`` functions with stdlib/NumPy imports, so that a worker imports
them in milliseconds.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import numpy as np


def _log(params: dict[str, Any]) -> None:
    """Append one line naming the call to ``params["log"]`` (O_APPEND: atomic for short lines)."""
    if "log" in params:
        fd = os.open(params["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, f"{params['x']},{params.get('rep', 0)}\n".encode())
        finally:
            os.close(fd)


def quadratic(params: dict[str, Any]) -> dict[str, Any]:
    """``y = x**2 + a`` (exact) and ``u``: a uniform draw from the trial seed (tests seeding)."""
    _log(params)
    if params.get("sleep"):
        time.sleep(float(params["sleep"]))
    if params["x"] == params.get("bad"):
        raise ValueError(f"x = {params['x']} is the bad value")
    rng = np.random.default_rng(params["seed"])
    return {"y": params["x"] ** 2 + params.get("a", 0), "u": float(rng.uniform()), "vec": np.arange(2) * params["x"]}


def die(params: dict[str, Any]) -> dict[str, Any]:
    """Kill the worker process (SIGKILL to itself) when ``x == bad``; otherwise ``y = 2 x``."""
    if params["x"] == params["bad"]:
        os.kill(os.getpid(), signal.SIGKILL)
    return {"y": 2 * params["x"]}


def not_a_dict(params: dict[str, Any]) -> list[int]:
    """A broken trial function: returns a list instead of a dict."""
    return [1, 2]


def hang_once(params: dict[str, Any]) -> dict[str, Any]:
    """``y = 3 x``; the first call with ``x == victim`` writes its PID to ``params["marker"]`` (atomically)
    and sleeps, so that a test can SIGKILL the worker in the middle of the trial; a retry finds the marker
    and returns normally."""
    if params["x"] == params["victim"] and not os.path.exists(params["marker"]):
        tmp = params["marker"] + ".tmp"
        with open(tmp, "w") as fh:
            fh.write(str(os.getpid()))
        os.replace(tmp, params["marker"])
        time.sleep(60)
    rng = np.random.default_rng(params["seed"])
    return {"y": 3 * params["x"], "u": float(rng.uniform())}


def padded(params: dict[str, Any]) -> dict[str, Any]:
    """``y = x``, with ``pad`` characters of padding in the result (a journal record of that size)."""
    _log(params)
    return {"y": params["x"], "pad": "p" * int(params.get("pad", 0))}
