"""Lyapunov spectrum of any map with tangent propagation, by the tangent-space QR method.

Algorithm (Shimada & Nagashima 1979, "A numerical approach to ergodic problem of dissipative
dynamical systems"; Benettin, Galgani, Giorgilli & Strelcyn 1980, "Lyapunov characteristic
exponents for smooth dynamical systems ..., Part 2: Numerical application"): propagate ``k``
tangent vectors ``Q`` (``(N, k)``, orthonormal) with the Jacobian along the orbit, ``W = J(z_t) Q``,
and re-orthonormalise ``W = Q' R`` by a QR decomposition; the time averages of ``log |R_ii|`` are the
``k`` largest Lyapunov exponents, in descending order.

This implementation is batched over ``B`` initial conditions: one call of ``fmap.tangent_step`` and one
batched ``np.linalg.qr`` on ``(B, N, k)`` per step, no Python loop over ``B``. Only ``J @ Q`` is
propagated, so ``N = 1000`` with ``k = 32`` is fine if the map implements ``tangent_step`` without
forming ``J``.

Cost: ``transient`` state steps, then ``(tangent_transient + n_steps)`` tangent steps (each one map
step plus ``J @ Q``, O(B N^2 k) with a dense Jacobian, less for structured ones) and
``(tangent_transient + n_steps) / reortho_every`` batched QRs of O(B N k^2).

Units: exponents are ``per_step`` when ``fmap.dt is None`` (maps) and ``per_time`` (per-step value
divided by ``fmap.dt``) for discretised flows.

Non-finite orbits (decision): initial conditions whose *state* becomes NaN/inf are dropped with a
warning naming the step and the indices (so an ensemble of random RNNs with a few escaping orbits still
gives an answer from the rest); if every initial condition escapes, ``ValueError`` is raised naming the
step. A *tangent frame* that overflows while the state stays finite (QR too sparse for the growth) is
a ``ValueError`` asking for a smaller ``reortho_every``; before that can happen the interval is reduced
automatically from the growth observed in the previous block.

Choosing the transients: the random initial frame's influence decays like
``exp(-(λ_i - λ_{i+1}) t)``, so ``tangent_transient`` should cover several ``1 / (λ_i - λ_{i+1})``
(for flows this is in time units: the default 100 steps is short for small ``dt``). The running
estimate and ``stderr`` (``spread / sqrt(B)`` for B >= 4, batch means otherwise) are the convergence
diagnostic.
"""

from __future__ import annotations

import math
import warnings as _warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rnnchaos._util.progress import progress_bar
from rnnchaos._util.rng import SeedLike, as_generator
from rnnchaos._util.validation import nonnegative_int, positive_int
from rnnchaos.core import Array, TangentMap, as_batch
from rnnchaos.dynamics.kaplan_yorke import kaplan_yorke_dimension

__all__ = ["LyapunovSpectrum", "LyapunovSpectrumWarning", "checkpoint_steps", "lyapunov_spectrum", "safe_interval",
           "summarise_run"]

#: above this ratio max|R_ii| / min|R_ii| accumulated between two QRs, the smallest directions have
#: lost most of their digits: the reorthonormalisation interval is halved automatically.
CONDITION_LIMIT = 1e12
#: refuse runs whose frames and RK4-style temporaries would need more memory than this (bytes)
MAX_WORKING_MEMORY = 2 * 1024**3


def working_memory_bytes(n_ics: int, dim: int, k: int) -> int:
    """Rough peak memory (bytes) of a run: ~12 float64 arrays of shape (B, N, k + 1) (frames, stages, QR)."""
    return 8 * 12 * int(n_ics) * int(dim) * (int(k) + 1)


def check_working_memory(n_ics: int, dim: int, k: int, label: str = "initial conditions") -> None:
    """Raise ``ValueError`` when ``working_memory_bytes`` exceeds ``MAX_WORKING_MEMORY``."""
    need = working_memory_bytes(n_ics, dim, k)
    if need > MAX_WORKING_MEMORY:
        raise ValueError(f"{n_ics} {label} with dimension {dim} "
                         f"and {k} exponents need about {need / 1024**3:.3g} GiB of working memory (limit "
                         f"{MAX_WORKING_MEMORY / 1024**3:.0f} GiB); use fewer initial conditions or exponents")


#: largest log-growth of a frame column allowed between two QRs (float64 overflows near e^709).
MAX_LOG_GROWTH = 300.0


class LyapunovSpectrumWarning(UserWarning):
    """Emitted for diagnostics of a spectrum estimate (no convergence, escaped orbits, sparse QR)."""


@dataclass(frozen=True)
class LyapunovSpectrum:
    """Result of :func:`lyapunov_spectrum`.

    Attributes
    ----------
    exponents : (k,) mean over initial conditions, sorted descending, in ``units``.
    per_initial_condition : (B, k) the estimate of each surviving initial condition.
    running : (n_checkpoints, k) the running mean estimate (over ICs) at evenly spaced checkpoints;
        its last row equals ``exponents``. ``running_steps`` gives the step count of each row.
    spread : (k,) standard deviation across initial conditions (0 for a single IC).
    stderr : (k,) standard error of ``exponents``: ``spread / sqrt(B)`` for B >= 4 initial conditions,
        otherwise by batch means over the checkpoint blocks (NaN if that is impossible).
    units : ``"per_step"`` (maps) or ``"per_time"`` (flows, divided by ``dt``).
    dt : time per step, or None for maps.
    n_steps : accumulation steps per initial condition.
    warnings : diagnostics (also emitted through :mod:`warnings`).
    """

    exponents: NDArray[np.float64]
    per_initial_condition: NDArray[np.float64]
    running: NDArray[np.float64]
    spread: NDArray[np.float64]
    units: str
    dt: float | None
    n_steps: int
    warnings: tuple[str, ...] = ()
    running_steps: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    stderr: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    reortho_every: int = 1

    @property
    def lambda_max(self) -> float:
        """Largest exponent, in ``units``."""
        return float(self.exponents[0])

    @property
    def kaplan_yorke_dimension(self) -> float:
        """Kaplan–Yorke dimension of the (possibly partial) spectrum; see :mod:`.kaplan_yorke`."""
        return kaplan_yorke_dimension(self.exponents)

    @property
    def sum(self) -> float:
        """Sum of the computed exponents (equals mean log|det J| per step/time when k = N)."""
        return float(np.sum(self.exponents))

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python summary (lists and floats) for JSON output."""
        return {
            "exponents": [float(v) for v in self.exponents],
            "lambda_max": self.lambda_max,
            "sum": self.sum,
            "kaplan_yorke_dimension": self.kaplan_yorke_dimension,
            "spread": [float(v) for v in self.spread],
            "stderr": [float(v) for v in self.stderr],
            "units": self.units,
            "dt": self.dt,
            "n_steps": int(self.n_steps),
            "n_initial_conditions": int(self.per_initial_condition.shape[0]),
            "reortho_every": int(self.reortho_every),
            "warnings": list(self.warnings),
        }


def _finite_rows(*arrays: Array) -> NDArray[np.bool_]:
    ok = np.ones(arrays[0].shape[0], dtype=bool)
    for a in arrays:
        ok &= np.isfinite(a.reshape(a.shape[0], -1)).all(axis=1)
    return ok


def _log_abs_diag(r: Array) -> Array:
    d = np.abs(np.diagonal(r, axis1=-2, axis2=-1))
    with np.errstate(divide="ignore"):
        return np.log(d)


def lyapunov_spectrum(fmap: TangentMap, z0: Any, n_steps: int, *, k: int | None = None, transient: int = 1000,
                      tangent_transient: int = 100, reortho_every: int = 1, n_checkpoints: int = 50,
                      seed: SeedLike = None, progress: bool = False) -> LyapunovSpectrum:
    """Lyapunov spectrum (the ``k`` largest exponents) of ``fmap`` by the tangent-space QR method.

    Algorithm: Shimada & Nagashima (1979); Benettin et al. (1980) — see the module docstring.

    Parameters
    ----------
    fmap : a :class:`rnnchaos.core.TangentMap` (``dim``, ``dt``, ``step``, ``tangent_step``).
    z0 : initial state ``(N,)`` or a batch ``(B, N)`` of initial conditions, all propagated at once.
    n_steps : steps over which ``log |diag R|`` is accumulated (per initial condition).
    k : number of exponents (default: all ``N``).
    transient : steps of the state alone before tangent propagation starts (reach the attractor).
    tangent_transient : steps that align the random initial frame ``Q`` without accumulating.
    reortho_every : QR every this many steps; halved automatically (with a warning) when the
        diagonal of ``R`` spans more than ``CONDITION_LIMIT`` (too sparse for the conditioning).
    n_checkpoints : rows of the running estimate (the convergence diagnostic).
    seed : seed or Generator for the random initial tangent frame.
    progress : show a progress bar on stderr (appears only if the run lasts > 1 s).

    Returns
    -------
    LyapunovSpectrum with exponents in ``per_step`` (``fmap.dt is None``) or ``per_time`` units.

    Warnings (``LyapunovSpectrumWarning`` and in ``result.warnings``): the running estimate still
    drifts over the last quarter of the run by more than 4 standard errors (batch means over
    checkpoint blocks and ICs) or the spread across ICs, whichever is larger; initial conditions
    dropped because their orbit became non-finite; the reorthonormalisation interval was reduced.

    Raises ``ValueError`` for bad arguments and when every orbit becomes non-finite (naming the step).

    Cost: O((tangent_transient + n_steps) * (cost of tangent_step + B N k^2 / reortho_every)).
    """
    if not isinstance(fmap, TangentMap):
        raise ValueError("fmap must implement the TangentMap protocol (dim, dt, step, tangent_step)")
    n = positive_int(getattr(fmap, "dim", None), "fmap.dim")
    n_steps = positive_int(n_steps, "n_steps")
    k = n if k is None else positive_int(k, "k")
    if k > n:
        raise ValueError(f"k must be between 1 and the dimension {n}, got {k}")
    transient = nonnegative_int(transient, "transient")
    tangent_transient = nonnegative_int(tangent_transient, "tangent_transient")
    every = positive_int(reortho_every, "reortho_every")
    n_checkpoints = positive_int(n_checkpoints, "n_checkpoints")
    n_checkpoints = min(n_checkpoints, n_steps)
    dt = fmap.dt
    if dt is not None and (not math.isfinite(float(dt)) or float(dt) <= 0):
        raise ValueError(f"fmap.dt must be None (a map) or a positive time step, got {dt!r}")
    rng = as_generator(seed)
    z = as_batch(z0, n, "z0").copy()
    check_working_memory(z.shape[0], n, k)
    b0 = z.shape[0]
    notes: list[str] = []
    alive = np.arange(b0)  # indices (into the original batch) of surviving ICs

    def drop(ok: NDArray[np.bool_], where: str) -> NDArray[np.bool_]:
        nonlocal alive
        if ok.all():
            return ok
        if not ok.any():
            raise ValueError(
                f"every orbit became non-finite (NaN/inf) {where}; the initial conditions are outside "
                "the basin of a bounded attractor or the parameters make the map diverge")
        lost = alive[~ok]
        notes.append(f"dropped {lost.size} of {b0} initial conditions whose orbit became non-finite "
                     f"{where} (indices {lost[:10].tolist()}{'...' if lost.size > 10 else ''})")
        alive = alive[ok]
        return ok

    total = transient + tangent_transient + n_steps
    bar = progress_bar(desc="lyapunov spectrum", total=total, enabled=progress)
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            # 1) state transient
            chunk = 256
            done = 0
            while done < transient:
                m = min(chunk, transient - done)
                for _ in range(m):
                    z = fmap.step(z)
                ok = _finite_rows(z)
                if not ok.all():
                    ok = drop(ok, f"during the state transient (steps {done + 1}..{done + m})")
                    z = z[ok]
                done += m
                bar.update(m)

            # 2) random orthonormal frame, aligned without accumulation
            g = rng.standard_normal((z.shape[0], n, k))
            q, _ = np.linalg.qr(g)
            _check_shapes(fmap, z, q)
            for t in range(tangent_transient):
                z, w = fmap.tangent_step(z, q)
                ok = _finite_rows(z, w)
                if not ok.all():
                    ok = drop(ok, f"at tangent-transient step {t + 1}")
                    z, w = z[ok], w[ok]
                q, _ = np.linalg.qr(w)
                if (t + 1) % chunk == 0:
                    bar.update(chunk)
            bar.update(tangent_transient % chunk)

            # 3) accumulation
            checkpoints = checkpoint_steps(n_steps, n_checkpoints)
            sums = np.zeros((z.shape[0], k))
            snap = np.empty((checkpoints.size, b0, k))  # per-IC sums at checkpoints (rows of dropped ICs unused)
            snap.fill(np.nan)
            ci = 0
            since_qr = 0
            reduced = False
            for t in range(1, n_steps + 1):
                z, q = fmap.tangent_step(z, q)
                since_qr += 1
                if since_qr >= every or t == n_steps or t == checkpoints[ci]:
                    ok = _finite_rows(z, q)
                    if not ok.all() and _finite_rows(z)[~ok].all():
                        raise ValueError(
                            f"the tangent frame overflowed between two QR steps (at accumulation step {t}) while "
                            f"the orbit stayed finite; use a smaller reortho_every than {every}")
                    if not ok.all():
                        ok = drop(ok, f"at accumulation step {t}")
                        z, q, sums = z[ok], q[ok], sums[ok]
                    q, r = np.linalg.qr(q)
                    logs = _log_abs_diag(r)
                    sums += logs
                    if every > 1:
                        new_every = safe_interval(logs, since_qr, every)
                        if new_every < every:
                            every = new_every
                            reduced = True
                    since_qr = 0
                if t == checkpoints[ci]:
                    snap[ci, alive] = sums
                    ci += 1
                if t % chunk == 0:
                    bar.update(chunk)
            bar.update(n_steps % chunk)
    finally:
        bar.close()

    scale = float(dt) if dt is not None else 1.0
    units = "per_step" if dt is None else "per_time"
    with np.errstate(invalid="ignore"):
        return summarise_run(sums, snap, alive, checkpoints, n_steps, k, dt, units, scale, notes, reduced,
                          reortho_every, every)


def checkpoint_steps(n_steps: int, n_checkpoints: int) -> NDArray[np.int64]:
    """The accumulation steps (ascending, the last one ``n_steps``) at which the running estimate is recorded."""
    checkpoints = np.unique(np.linspace(n_steps / n_checkpoints, n_steps, n_checkpoints).round().astype(np.int64))
    checkpoints[-1] = n_steps
    return checkpoints


def summarise_run(sums: Array, snap: Array, alive: NDArray[np.int64], checkpoints: NDArray[np.int64], n_steps: int,
               k: int, dt: float | None, units: str, scale: float, notes: list[str], reduced: bool,
               reortho_every: int, every: int) -> LyapunovSpectrum:
    """Means, spread, standard errors, sorting and the convergence diagnostic of an accumulated run.

    ``sums`` (B, k): the accumulated ``log |R_ii|`` of the surviving ICs; ``snap`` (C, B0, k): their values at
    the ``checkpoints`` (rows of the original batch, ``alive`` the surviving indices); ``every`` the QR interval
    used at the end (``reduced``: it was lowered from ``reortho_every``). Shared by the NumPy engine and
    :mod:`rnnchaos.dynamics.lyapunov_spectrum_torch`; warnings in ``notes`` are emitted here."""
    per_ic = sums / (n_steps * scale)
    snap_alive = snap[:, alive, :]  # (C, B, k)
    running_ic = snap_alive / (checkpoints[:, None, None] * scale)
    running = running_ic.mean(axis=1)
    exps = per_ic.mean(axis=0)
    bsz = per_ic.shape[0]
    spread = per_ic.std(axis=0, ddof=1) if bsz > 1 else np.zeros(k)

    # batch-means standard error: block averages between checkpoints, over ICs and blocks
    bounds = np.concatenate([[0], checkpoints])
    lengths = np.diff(bounds).astype(np.float64)
    prev = np.concatenate([np.zeros((1, bsz, k)), snap_alive[:-1]], axis=0)
    with np.errstate(invalid="ignore"):
        blocks = (snap_alive - prev) / (lengths[:, None, None] * scale)  # (C, B, k)
    nb = blocks.shape[0] * bsz
    with np.errstate(invalid="ignore"):
        if bsz >= 4:
            # independent initial conditions: the spread of whole-run estimates is the honest error
            stderr = spread / math.sqrt(bsz)
        elif nb > 1:
            # batch means: asymptotic variance per step from length-weighted block means
            w = np.broadcast_to(lengths[:, None, None], blocks.shape)
            sigma2 = (w * (blocks - per_ic.mean(axis=0)) ** 2).sum(axis=(0, 1)) / (nb - 1)
            stderr = np.sqrt(sigma2 / (lengths.sum() * bsz))
        else:
            stderr = np.full(k, np.nan)

    order = np.argsort(-np.where(np.isnan(exps), -np.inf, exps), kind="stable")
    exps, per_ic, running, spread, stderr = exps[order], per_ic[:, order], running[:, order], spread[order], stderr[order]

    if reduced:
        notes.append(f"reorthonormalisation every {reortho_every} steps was too sparse for the conditioning "
                     f"(diag R spanned > {CONDITION_LIMIT:.0e}); reduced to every {every} steps")
    if np.isneginf(exps).any():
        notes.append("a tangent direction collapsed exactly (zero singular value of the Jacobian along the orbit); "
                     "its exponent is -inf")
    # convergence diagnostic over the last quarter of the running curve
    if running.shape[0] >= 4:
        tail = running[-max(2, running.shape[0] // 4):]
        finite = np.isfinite(tail).all(axis=0)
        with np.errstate(invalid="ignore"):
            drift = np.where(finite, np.max(np.abs(tail - running[-1]), axis=0), 0.0)
        tol = np.maximum(4 * np.nan_to_num(stderr, nan=0.0), spread)
        tol = np.maximum(tol, 1e-12 * (1 + np.abs(np.nan_to_num(exps, neginf=0.0))))
        bad = np.nonzero(drift > tol)[0]
        if bad.size:
            i = int(bad[0])
            notes.append(f"running estimate not converged: exponent {i + 1} drifts by {drift[i]:.3g} over the last "
                         f"quarter of the run (tolerance {tol[i]:.3g}, {units}); use more steps or initial conditions")

    for msg in notes:
        _warnings.warn(msg, LyapunovSpectrumWarning, stacklevel=3)
    return LyapunovSpectrum(
        exponents=exps, per_initial_condition=per_ic, running=running, spread=spread, units=units,
        dt=None if dt is None else float(dt), n_steps=n_steps, warnings=tuple(notes),
        running_steps=checkpoints.copy(), stderr=stderr, reortho_every=every)


def _check_shapes(fmap: TangentMap, z: Array, q: Array) -> None:
    """One trial tangent step: the map must return ``(B, N)`` and ``(B, N, k)`` arrays."""
    z1, w1 = fmap.tangent_step(z, q)
    z1, w1 = np.asarray(z1), np.asarray(w1)
    if z1.shape != z.shape or w1.shape != q.shape:
        raise ValueError(f"fmap.tangent_step must return arrays of shapes {z.shape} and {q.shape} for a state batch "
                         f"{z.shape} and frames {q.shape}; got {z1.shape} and {w1.shape}")
    z2 = np.asarray(fmap.step(z))
    if z2.shape != z.shape:
        raise ValueError(f"fmap.step must map states {z.shape} to the same shape; got {z2.shape}")


def safe_interval(logs: Array, steps: int, every: int) -> int:
    """Largest QR interval (<= ``every``) keeping the frame well conditioned and finite.

    From the last block's per-step log-growth of the frame columns: the spread between the fastest
    and slowest column must stay below ``log(CONDITION_LIMIT)`` and the largest |growth| below
    ``MAX_LOG_GROWTH`` (float64 overflows near e^709).
    """
    finite = np.where(np.isfinite(logs), logs, np.nan)
    if np.isnan(finite).all():
        return every
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore", RuntimeWarning)
        span = float(np.nanmax(np.nanmax(finite, axis=1) - np.nanmin(finite, axis=1))) / steps
        grow = float(np.nanmax(np.abs(finite))) / steps
    limit = float(every)
    if span > 0:
        limit = min(limit, math.log(CONDITION_LIMIT) / span)
    if grow > 0:
        limit = min(limit, MAX_LOG_GROWTH / grow)
    return max(1, min(every, int(limit)))

