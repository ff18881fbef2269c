"""Lyapunov spectrum of any map with tangent propagation, by the tangent-space QR method.

Algorithm (Shimada & Nagashima 1979, "A numerical approach to ergodic problem of dissipative
dynamical systems"; Benettin, Galgani, Giorgilli & Strelcyn 1980, "Lyapunov characteristic
exponents for smooth dynamical systems ..., Part 2: Numerical application"): propagate ``k``
tangent vectors ``Q`` (``(N, k)``, orthonormal) with the Jacobian along the orbit, ``W = J(z_t) Q``,
and re-orthonormalise ``W = Q' R`` by a QR decomposition; the time averages of ``log |R_ii|`` are the
``k`` largest Lyapunov exponents, in descending order.

This implementation is batched over ``B`` initial conditions: one call of ``fmap.tangent_step`` on
``(B, N, k)`` per step, and the QR (LAPACK Householder, :mod:`.householder_qr`) only every few steps.
Only ``J @ Q`` is propagated, so ``N = 4096`` with ``k = 64`` is fine if the map implements
``tangent_step`` without forming ``J``. For a full spectrum (``k = N >= FACTORED_MIN_DIM``) of a map whose
``factored_tangent`` is true and that has ``tangent_step_householder(z, frame)`` (``F(z)`` and ``J(z) Q`` with ``Q`` given as Householder
reflectors, :class:`~rnnchaos.dynamics.householder_qr.HouseholderFrame`; the model maps form ``J`` and apply
``?ormqr``), ``Q`` is never formed: the step after each QR costs ``2 N^3`` flops instead of ``?orgqr``'s
``4 N^3 / 3`` plus the ``2 N^3`` of ``J Q`` (the same numbers to rounding).

Re-orthonormalisation interval (default ``reortho_every="auto"``): the QR of ``W = J_m ... J_1 Q`` is exact
whatever ``m``, as long as the frame stays finite and its columns stay numerically independent; the
computed ``log |r_ii|`` lose about ``log10 κ`` of their 16 digits, ``κ = max |r_ii| / min |r_ii|``. The
adaptive schedule probes one step, then doubles the interval after each QR up to ``AUTO_MAX_INTERVAL``
(64) and cuts it as soon as the last block's per-step growth says the next one would span more than
``CONDITION_LIMIT`` (1e13: ~3 digits left; chosen by measurement, docs/rnn.md) or grow past ``e^MAX_LOG_GROWTH``.
So for a full spectrum the
interval follows the gap ``λ_1 - λ_N`` (~7 steps for a tanh RNN with N = 256, g = 1.5) and for the first
few exponents it reaches the cap. The loop (:func:`run_tangent_qr`) is shared with the torch engine.

Cost: ``transient`` state steps, then ``(tangent_transient + n_steps)`` tangent steps (each one map
step plus ``J @ Q``, O(B N^2 k) with a dense Jacobian, less for structured ones) and one QR of
O(B N k^2) per interval.

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
from rnnchaos.dynamics.householder_qr import HouseholderFrame, householder_factor, householder_qr
from rnnchaos.dynamics.kaplan_yorke import kaplan_yorke_dimension

__all__ = ["AUTO_MAX_INTERVAL", "LyapunovSpectrum", "LyapunovSpectrumWarning", "NumpyOps", "ReorthoSchedule",
           "RunSettings", "checkpoint_steps", "lyapunov_spectrum", "parse_reortho", "run_settings", "run_tangent_qr",
           "safe_interval", "summarise_run"]

#: above this ratio max|R_ii| / min|R_ii| accumulated between two QRs, the smallest directions have
#: lost most of their digits: the reorthonormalisation interval is cut. 1e13 by measurement (benchmarks/
#: bench_rnn_spectrum.py --only limits: N = 256 full spectrum, 0.01 standard errors from QR-every-step, 10 %
#: faster than 1e12; 1e14 moved the smallest exponents by 0.17 standard errors)
CONDITION_LIMIT = 1e13
#: full frames (k = N) of at least this dimension stay as Householder reflectors between QRs when the map has
#: ``tangent_step_householder`` (J Q by ``?ormqr``: benchmarks/bench_rnn_spectrum.py)
FACTORED_MIN_DIM = 64
#: ``reortho_every="auto"``: the longest interval between two QRs the adaptive schedule reaches (steps)
AUTO_MAX_INTERVAL = 64
#: the adaptive schedule recomputes a block whose diag R spanned more than this times the condition limit
REJECT_FACTOR = 10.0
#: the same two limits for float32 frames (eps ~ 6e-8: a span of 1e3 keeps ~4 digits; overflow near e^88)
CONDITION_LIMIT_FLOAT32 = 1e3
MAX_LOG_GROWTH_FLOAT32 = 40.0
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
    running : (n_records, k) the running mean estimate (over ICs) at the first QR at or after each of
        ``n_checkpoints`` evenly spaced steps (a checkpoint never forces a QR; checkpoints passed by one block share
        a record); its last row (step ``n_steps``) equals ``exponents``. ``running_steps``: the step of each row.
    spread : (k,) standard deviation across initial conditions (0 for a single IC).
    stderr : (k,) standard error of ``exponents``: ``spread / sqrt(B)`` for B >= 4 initial conditions,
        otherwise by batch means over the checkpoint blocks (NaN if that is impossible).
    units : ``"per_step"`` (maps) or ``"per_time"`` (flows, divided by ``dt``).
    dt : time per step, or None for maps.
    n_steps : accumulation steps per initial condition.
    reortho : ``"auto"`` (adaptive QR interval) or ``"fixed"``; ``reortho_every`` the interval used at the
        end, ``mean_reortho_interval`` the accumulation steps per QR over the run, ``reortho_recomputed``
        the blocks recomputed with a shorter interval because their frame lost its conditioning.
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
    reortho: str = "fixed"
    mean_reortho_interval: float = 1.0
    reortho_recomputed: int = 0

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
            "reortho": self.reortho,
            "reortho_every": int(self.reortho_every),
            "mean_reortho_interval": float(self.mean_reortho_interval),
            "reortho_recomputed": int(self.reortho_recomputed),
            "warnings": list(self.warnings),
        }


def _finite_rows(*arrays: Array) -> NDArray[np.bool_]:
    """Rows (axis 0) of ``arrays`` whose entries are all finite. Fast path: a row whose sum is finite is finite
    (a NaN or inf makes the sum non-finite); only rows with a non-finite sum (NaN/inf, or an overflowing sum of
    huge entries) are checked entry by entry. Works on any memory layout without a copy."""
    ok = np.ones(arrays[0].shape[0], dtype=bool)
    for a in arrays:
        with np.errstate(over="ignore", invalid="ignore"):
            row_ok = np.isfinite(a.sum(axis=tuple(range(1, a.ndim))))
        for i in np.flatnonzero(~row_ok):
            row_ok[i] = bool(np.isfinite(a[i]).all())
        ok &= row_ok
    return ok


def parse_reortho(value: Any, name: str = "reortho_every") -> int | str:
    """``"auto"`` or a positive integer QR interval (strings of digits accepted); ``ValueError`` otherwise."""
    if isinstance(value, str):
        if value.strip().lower() == "auto":
            return "auto"
        text = value.strip()
        value = int(text) if text.isdigit() else value
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be 'auto' or a positive integer, got {value!r}")
    return int(value)


@dataclass
class ReorthoSchedule:
    """When the tangent frame is re-orthonormalised (shared by the NumPy and torch engines).

    ``requested``: a fixed interval (reduced, never raised, when a block's conditioning passes
    ``condition_limit``) or ``"auto"``: a one-step probe, then the interval doubles after each QR up to
    ``AUTO_MAX_INTERVAL`` and is cut at once to what the last block's growth allows
    (:func:`safe_interval`); a block that still lost its conditioning is recomputed (:func:`run_tangent_qr`).
    ``n_qr`` counts the QRs of the accumulation phase, ``n_rejected`` the recomputed blocks.
    """

    requested: int | str
    condition_limit: float = CONDITION_LIMIT
    max_log_growth: float = MAX_LOG_GROWTH
    every: int = 1
    reduced: bool = False
    n_qr: int = 0
    n_rejected: int = 0

    def __post_init__(self) -> None:
        self.auto = self.requested == "auto"
        self.every = 1 if self.auto else int(self.requested)

    def update(self, logs: Array, steps: int) -> None:
        """Next interval from the last block's ``log |R_ii|`` (B, k) accumulated over ``steps`` steps."""
        if self.auto:
            self.every = safe_interval(logs, steps, min(2 * self.every, AUTO_MAX_INTERVAL), self.condition_limit,
                                       self.max_log_growth)
        elif self.every > 1:
            new = safe_interval(logs, steps, self.every, self.condition_limit, self.max_log_growth)
            if new < self.every:
                self.every, self.reduced = new, True

    def ill_conditioned(self, logs: Array) -> bool:
        """Whether a block's ``log |R_ii|`` (B, k) span more than ``REJECT_FACTOR`` times the condition limit
        or grew past twice the growth limit (its smallest directions may have lost all their digits)."""
        spans = _span_and_growth(logs)
        if spans is None:
            return False
        span, grow = spans
        return span > math.log(REJECT_FACTOR * self.condition_limit) or grow > 2 * self.max_log_growth

    def shorten(self, logs: Array | None, steps: int) -> None:
        """After a rejected block of ``steps`` steps: at most half of it, less if its growth says so."""
        half = max(1, steps // 2)
        self.every = half if logs is None else safe_interval(logs, steps, half, self.condition_limit,
                                                            self.max_log_growth)
        self.n_rejected += 1


@dataclass(frozen=True)
class RunSettings:
    """Validated arguments of a tangent-space QR run (shared by both engines)."""

    dim: int
    n_steps: int
    k: int
    transient: int
    tangent_transient: int
    reortho: int | str
    n_checkpoints: int
    dt: float | None


def run_settings(dim: Any, dt: Any, n_steps: Any, k: Any, transient: Any, tangent_transient: Any,
                 reortho_every: Any, n_checkpoints: Any) -> RunSettings:
    """Check the arguments common to both engines; ``ValueError`` naming the first bad one."""
    n = positive_int(dim, "fmap.dim")
    n_steps = positive_int(n_steps, "n_steps")
    k = n if k is None else positive_int(k, "k")
    if k > n:
        raise ValueError(f"k must be between 1 and the dimension {n}, got {k}")
    transient = nonnegative_int(transient, "transient")
    tangent_transient = nonnegative_int(tangent_transient, "tangent_transient")
    reortho = parse_reortho(reortho_every)
    n_checkpoints = min(positive_int(n_checkpoints, "n_checkpoints"), n_steps)
    if dt is not None and (not math.isfinite(float(dt)) or float(dt) <= 0):
        raise ValueError(f"fmap.dt must be None (a map) or a positive time step, got {dt!r}")
    return RunSettings(n, n_steps, k, transient, tangent_transient, reortho, n_checkpoints,
                       None if dt is None else float(dt))


class _Survivors:
    """The initial conditions still alive, and the notes on those dropped for a non-finite orbit."""

    def __init__(self, b0: int) -> None:
        self.b0 = b0
        self.alive = np.arange(b0)
        self.notes: list[str] = []

    def drop(self, ok: NDArray[np.bool_], where: str) -> None:
        if not ok.any():
            raise ValueError(
                f"every orbit became non-finite (NaN/inf) {where}; the initial conditions are outside "
                "the basin of a bounded attractor or the parameters make the map diverge")
        lost = self.alive[~ok]
        self.notes.append(f"dropped {lost.size} of {self.b0} initial conditions whose orbit became non-finite "
                          f"{where} (indices {lost[:10].tolist()}{'...' if lost.size > 10 else ''})")
        self.alive = self.alive[ok]


class NumpyOps:
    """Array operations of the NumPy engine (float64 frames, LAPACK Householder QR)."""

    condition_limit = CONDITION_LIMIT
    max_log_growth = MAX_LOG_GROWTH

    def asarray(self, a: Array) -> Array:
        return a

    def finite(self, *xs: Array) -> NDArray[np.bool_]:
        return _finite_rows(*xs)

    def take(self, x: Array, ok: NDArray[np.bool_]) -> Array:
        return x[ok]

    def qr(self, w: Array) -> tuple[Any, Array]:
        return householder_qr(w)

    def qr_factored(self, w: Array) -> tuple[Any, Array]:
        return householder_factor(w)

    def check_shapes(self, fmap: Any, z: Array, q: Array) -> None:
        _check_shapes(fmap, z, q)


def run_tangent_qr(fmap: Any, z: Any, s: RunSettings, ops: Any, rng: np.random.Generator,
                   progress: bool = False) -> LyapunovSpectrum:
    """The tangent-space QR loop shared by both engines (see the module docstring).

    ``z`` (B, N): the initial states in the engine's array type; ``ops``: the engine's array operations
    (``asarray``, ``finite`` -> NumPy bool (B,), ``take``, ``qr`` -> (Q, log |diag R| as NumPy
    (B, k)), ``check_shapes``, ``condition_limit``, ``max_log_growth``), e.g. :class:`NumpyOps`. The
    accumulated sums live on the host in float64. With the adaptive schedule a block whose frame lost its
    conditioning (diag R spanning more than ``REJECT_FACTOR`` times the limit) or overflowed is recomputed
    from its start with half the interval, so no accepted block is ill-conditioned.
    """
    n, k, n_steps, tt = s.dim, s.k, s.n_steps, s.tangent_transient
    # a full frame of a map that forms its Jacobian: Q stays as reflectors and J Q is ?ormqr (householder_qr)
    factored = (k == n >= FACTORED_MIN_DIM and bool(getattr(fmap, "factored_tangent", False))
                and callable(getattr(ops, "qr_factored", None)))
    qr = ops.qr_factored if factored else ops.qr
    surv = _Survivors(z.shape[0])
    sched = ReorthoSchedule(s.reortho, ops.condition_limit, ops.max_log_growth)
    chunk = 256
    bar = progress_bar(desc="lyapunov spectrum", total=s.transient + tt + n_steps, enabled=progress)
    try:
        # 1) state transient
        done = 0
        while done < s.transient:
            m = min(chunk, s.transient - done)
            for _ in range(m):
                z = fmap.step(z)
            ok = ops.finite(z)
            if not ok.all():
                surv.drop(ok, f"during the state transient (steps {done + 1}..{done + m})")
                z = ops.take(z, ok)
            done += m
            bar.update(m)

        # 2) random orthonormal frame, aligned for ``tt`` steps without accumulation, then 3) accumulation
        q, _ = ops.qr(ops.asarray(rng.standard_normal((z.shape[0], n, k))))
        ops.check_shapes(fmap, z, q)
        checkpoints = checkpoint_steps(n_steps, s.n_checkpoints)
        sums = np.zeros((z.shape[0], k))
        snap = np.full((checkpoints.size, surv.b0, k), np.nan)  # per-IC sums at the recorded steps
        recorded = np.zeros(checkpoints.size, dtype=np.int64)  # the step of each record (a QR at/after a checkpoint)
        ci = nrec = 0
        t = since_qr = 0
        start = (z, q, 0)  # the last accepted block's end, for a recomputation (maps return new arrays)
        while t < tt + n_steps:
            z, q = fmap.tangent_step_householder(z, q) if isinstance(q, HouseholderFrame) else fmap.tangent_step(z, q)
            t += 1
            since_qr += 1
            a = t - tt  # accumulation step (<= 0 while aligning)
            if a <= 0:  # a fixed interval aligns with a QR at every step, as Benettin et al.
                due = a == 0 or since_qr >= (sched.every if sched.auto else 1)
            else:
                due = since_qr >= sched.every or a == n_steps  # checkpoints do not force a QR
            if not due:
                continue
            where = f"at tangent-transient step {t}" if a <= 0 else f"at accumulation step {a}"
            ok = ops.finite(z, q)
            logs = None
            if not ok.all():
                escaped = ~ops.finite(z)
                if (~ok & ~escaped).any() and not (sched.auto and since_qr > 1):
                    raise ValueError(
                        f"the tangent frame overflowed between two QR steps ({where}) while the orbit stayed "
                        f"finite; use a smaller reortho_every than {sched.every}")
                if escaped.any():
                    surv.drop(~escaped, where)
                    keep = ~escaped
                    z, q, sums = ops.take(z, keep), ops.take(q, keep), sums[keep]
                    start = (ops.take(start[0], keep), ops.take(start[1], keep), start[2])
                    ok = ok[keep]
            if ok.all():
                q_new, logs = qr(q)
                if not (sched.auto and since_qr > 1 and sched.ill_conditioned(logs)):
                    q = q_new
                    if a > 0:
                        sums += logs
                        sched.n_qr += 1
                    if a > 0 or sched.auto:
                        sched.update(logs, since_qr)
                    bar.update(since_qr)
                    since_qr = 0
                    start = (z, q, t)
                    if a > 0 and ci < checkpoints.size and a >= checkpoints[ci]:
                        snap[nrec, surv.alive] = sums
                        recorded[nrec] = a
                        nrec += 1
                        while ci < checkpoints.size and checkpoints[ci] <= a:
                            ci += 1
                    continue
            # rejected (overflow or lost conditioning): recompute the block from its start, shorter
            sched.shorten(logs, since_qr)
            z, q, t = start
            since_qr = 0
    finally:
        bar.close()
    with np.errstate(invalid="ignore", divide="ignore"):
        return summarise_run(sums, snap[:nrec], surv.alive, recorded[:nrec], s, surv.notes, sched)


def lyapunov_spectrum(fmap: TangentMap, z0: Any, n_steps: int, *, k: int | None = None, transient: int = 1000,
                      tangent_transient: int = 100, reortho_every: int | str = "auto", n_checkpoints: int = 50,
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
    reortho_every : ``"auto"`` (default): the QR interval adapts to the frame's conditioning (a one-step
        probe, then doubling up to ``AUTO_MAX_INTERVAL`` while the diagonal of ``R`` spans less than
        ``CONDITION_LIMIT`` per block); or a fixed interval, halved automatically (with a warning) when
        ``R`` spans more than ``CONDITION_LIMIT`` (too sparse for the conditioning).
    n_checkpoints : evenly spaced steps at which the running estimate (the convergence diagnostic) is recorded, at
        the first QR at or after each (at most this many rows).
    seed : seed or Generator for the random initial tangent frame.
    progress : show a progress bar on stderr (appears only if the run lasts > 1 s).

    Returns
    -------
    LyapunovSpectrum with exponents in ``per_step`` (``fmap.dt is None``) or ``per_time`` units; its
    ``reortho_every`` is the last interval used and ``mean_reortho_interval`` the accumulation steps per QR.

    Warnings (``LyapunovSpectrumWarning`` and in ``result.warnings``): the running estimate still
    drifts over the last quarter of the run by more than 4 standard errors (batch means over
    checkpoint blocks and ICs) or the spread across ICs, whichever is larger; initial conditions
    dropped because their orbit became non-finite; a fixed reorthonormalisation interval was reduced.

    Raises ``ValueError`` for bad arguments and when every orbit becomes non-finite (naming the step).

    Cost: O((tangent_transient + n_steps) * (cost of tangent_step + B N k^2 / interval)).
    """
    if not isinstance(fmap, TangentMap):
        raise ValueError("fmap must implement the TangentMap protocol (dim, dt, step, tangent_step)")
    s = run_settings(getattr(fmap, "dim", None), fmap.dt, n_steps, k, transient, tangent_transient, reortho_every,
                     n_checkpoints)
    rng = as_generator(seed)
    z = as_batch(z0, s.dim, "z0").copy()
    check_working_memory(z.shape[0], s.dim, s.k)
    with np.errstate(over="ignore", invalid="ignore"):
        return run_tangent_qr(fmap, z, s, NumpyOps(), rng, progress)


def checkpoint_steps(n_steps: int, n_checkpoints: int) -> NDArray[np.int64]:
    """The accumulation steps (ascending, the last one ``n_steps``) at which the running estimate is recorded."""
    checkpoints = np.unique(np.linspace(n_steps / n_checkpoints, n_steps, n_checkpoints).round().astype(np.int64))
    checkpoints[-1] = n_steps
    return checkpoints


def summarise_run(sums: Array, snap: Array, alive: NDArray[np.int64], checkpoints: NDArray[np.int64],
                  s: RunSettings, notes: list[str], sched: ReorthoSchedule) -> LyapunovSpectrum:
    """Means, spread, standard errors, sorting and the convergence diagnostic of an accumulated run.

    ``sums`` (B, k): the accumulated ``log |R_ii|`` of the surviving ICs; ``snap`` (C, B0, k): their values at
    the recorded steps ``checkpoints`` (C,) (ascending, the last ``n_steps``; rows of the original batch, ``alive`` the surviving indices); ``sched`` the QR schedule
    that was followed. Called by :func:`run_tangent_qr`; warnings in ``notes`` are emitted here."""
    n_steps, k, dt = s.n_steps, s.k, s.dt
    scale = 1.0 if dt is None else dt
    units = "per_step" if dt is None else "per_time"
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

    if sched.reduced:
        notes.append(f"reorthonormalisation every {sched.requested} steps was too sparse for the conditioning "
                     f"(diag R spanned > {sched.condition_limit:.0e}); reduced to every {sched.every} steps")
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
        _warnings.warn(msg, LyapunovSpectrumWarning, stacklevel=4)
    return LyapunovSpectrum(
        exponents=exps, per_initial_condition=per_ic, running=running, spread=spread, units=units,
        dt=None if dt is None else float(dt), n_steps=n_steps, warnings=tuple(notes),
        running_steps=checkpoints.copy(), stderr=stderr, reortho_every=sched.every,
        reortho="auto" if sched.auto else "fixed", mean_reortho_interval=n_steps / max(sched.n_qr, 1),
        reortho_recomputed=sched.n_rejected)


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


def safe_interval(logs: Array, steps: int, every: int, condition_limit: float = CONDITION_LIMIT,
                  max_log_growth: float = MAX_LOG_GROWTH) -> int:
    """Largest QR interval (<= ``every``) keeping the frame well conditioned and finite.

    From the last block's per-step log-growth of the frame columns: the spread between the fastest
    and slowest column must stay below ``log(condition_limit)`` and the largest |growth| below
    ``max_log_growth`` (float64 overflows near e^709).
    """
    spans = _span_and_growth(logs)
    if spans is None:
        return every
    span, grow = spans[0] / steps, spans[1] / steps
    limit = float(every)
    if span > 0:
        limit = min(limit, math.log(condition_limit) / span)
    if grow > 0:
        limit = min(limit, max_log_growth / grow)
    return max(1, min(every, int(limit)))


def _span_and_growth(logs: Array) -> tuple[float, float] | None:
    """Over the finite entries of a block's ``log |R_ii|`` (B, k): the largest per-row span max - min and the
    largest |entry|; None when no entry is finite."""
    logs = np.asarray(logs)
    if np.isfinite(logs).all():
        return float(np.max(logs.max(axis=1) - logs.min(axis=1))), float(np.abs(logs).max())
    finite = np.where(np.isfinite(logs), logs, np.nan)
    if np.isnan(finite).all():
        return None
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore", RuntimeWarning)
        return (float(np.nanmax(np.nanmax(finite, axis=1) - np.nanmin(finite, axis=1))),
                float(np.nanmax(np.abs(finite))))
