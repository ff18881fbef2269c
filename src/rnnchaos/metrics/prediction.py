"""n-step-ahead prediction error PE(n) of any map, started from every test point.

PE(n) = mean over t = 0..T-n-1 and over the N dimensions of (x_hat_{t+n} - x_{t+n})^2, where
x_hat_{t+n} = decode(F^n(encode(x_t))) (Koppe et al., 2019; Mikhaeil et al., 2022 report PE(1..25);
Hess et al., 2023 report PE(n) at one n). The function is model-agnostic: ``step_fn`` advances a batch of
states, ``encode`` maps observations to states (e.g. a model's latent-state inference) and ``decode``
maps states back to observations; both default to the identity, so ``step_fn`` may also be a map on
observation space (a ground-truth system). Cost O(n T) calls' worth of work, in batches.
Units: squared units of ``x_test``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rnnchaos._util.validation import as_trajectory, positive_int

__all__ = ["prediction_error", "prediction_error_curve"]

StateFn = Callable[[Any], Any]


def prediction_error_curve(step_fn: StateFn, x_test: Any, n: int, *, encode: StateFn | None = None,
                           decode: StateFn | None = None, batch_size: int = 20000) -> NDArray[np.float64]:
    """PE(1), ..., PE(n) as an array of shape (n,); the same start points (t < T - n) for every horizon.

    ``step_fn(s) -> s'`` acts on a batch of states of shape (B, M); ``encode(x) (B, N) -> (B, M)`` and
    ``decode(s) (B, M) -> (B, N)`` default to the identity. They receive and must return NumPy arrays
    (or anything ``np.asarray`` accepts). A prediction that overflows or is NaN scores ``inf``.
    """
    x = as_trajectory(x_test, name="x_test", min_length=2)
    n = positive_int(n, "n")
    batch_size = positive_int(batch_size, "batch_size")
    t_count = x.shape[0] - n
    if t_count < 1:
        raise ValueError(f"x_test has {x.shape[0]} steps; PE({n}) needs more than {n}")
    enc = encode if encode is not None else (lambda v: v)
    dec = decode if decode is not None else (lambda v: v)
    sums = np.zeros(n)
    for start in range(0, t_count, batch_size):
        stop = min(start + batch_size, t_count)
        s = enc(x[start:stop])
        for k in range(1, n + 1):
            s = step_fn(s)
            pred = np.asarray(dec(s), dtype=np.float64)
            if pred.shape != (stop - start, x.shape[1]):
                raise ValueError(f"decode(step_fn(...)) returned shape {pred.shape}; expected "
                                 f"{(stop - start, x.shape[1])} (batch, observed dimensions)")
            with np.errstate(over="ignore", invalid="ignore"):
                err = float(np.sum((pred - x[start + k:stop + k]) ** 2))
            sums[k - 1] += err if np.isfinite(err) else np.inf  # a diverging model scores inf, never NaN
    return sums / (t_count * x.shape[1])


def prediction_error(step_fn: StateFn, x_test: Any, n: int, *, encode: StateFn | None = None,
                     decode: StateFn | None = None, batch_size: int = 20000) -> float:
    """PE(n): mean squared n-step-ahead prediction error from every test point t < T - n.

    See ``prediction_error_curve`` for the arguments; this returns its last entry.
    """
    return float(prediction_error_curve(step_fn, x_test, n, encode=encode, decode=decode,
                                        batch_size=batch_size)[-1])
