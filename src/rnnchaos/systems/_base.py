"""Common machinery of the ground-truth systems: parameters, reference exponents, trajectories.

Every system has named parameters with standard defaults (``System.PARAMS``), an analytic Jacobian,
a :class:`rnnchaos.core.TangentMap` view (``as_map``), a trajectory generator returning ``(T, N)`` and
a table of reference exponents with their sources (``reference()``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from rnnchaos._util.rng import SeedLike, as_generator
from rnnchaos._util.validation import nonnegative_int, positive_float, positive_int
from rnnchaos.core import Array, JacobianMap, TangentMap, as_batch
from rnnchaos.systems.integrators import rk4_step, rk4_tangent_step


@dataclass(frozen=True)
class ReferenceExponents:
    """Published or exact Lyapunov exponents of a system at given parameters.

    ``exponents`` are the published values (None where none is verified), ``exact_sum`` the sum that
    holds exactly (mean divergence or log|det J|; None if it varies along the orbit), both in ``units``.
    """

    exponents: tuple[float, ...] | None
    exact_sum: float | None
    units: str
    parameters: dict[str, float]
    source: str
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"exponents": None if self.exponents is None else list(self.exponents), "exact_sum": self.exact_sum,
                "units": self.units, "parameters": dict(self.parameters), "source": self.source, "note": self.note}


@dataclass(frozen=True)
class LyapunovDefaults:
    """Settings of ``rnnchaos lyapunov SYSTEM`` at its defaults (chosen to meet the reference values).

    ``steps`` accumulation steps per initial condition, ``dt`` the integration step of a flow (None for
    maps), ``transient`` state-only steps, ``ics`` initial conditions averaged, ``exponents`` the number
    of exponents (None: all), ``tangent_transient`` frame-alignment steps, ``reortho_every`` the QR interval
    tuned for the system (a fixed interval) or ``"auto"`` (the adaptive schedule) where none was tuned.
    """

    steps: int
    dt: float | None
    transient: int
    ics: int
    exponents: int | None = None
    tangent_transient: int = 100
    reortho_every: int | str = "auto"
    extra: dict[str, Any] = field(default_factory=dict)


class System:
    """Base class of a ground-truth system with named parameters.

    Subclasses set ``name``, ``kind`` (``"flow"``, ``"map"`` or ``"delay"``), ``PARAMS`` (name -> default),
    optionally ``INT_PARAMS`` (parameters that must be integers) and implement ``_compute_dim``, ``as_map``,
    ``default_initial_conditions`` and ``lyapunov_defaults``.
    """

    name: ClassVar[str] = "system"
    kind: ClassVar[str] = "map"
    PARAMS: ClassVar[dict[str, float]] = {}
    INT_PARAMS: ClassVar[frozenset[str]] = frozenset()
    POSITIVE_PARAMS: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, **params: Any) -> None:
        unknown = sorted(set(params) - set(self.PARAMS))
        if unknown:
            raise ValueError(f"unknown parameter(s) {', '.join(repr(u) for u in unknown)} for system "
                             f"{self.name!r}; valid parameters: {', '.join(self.PARAMS) or '(none)'}")
        p: dict[str, float] = {}
        for key, default in self.PARAMS.items():
            value = params.get(key, default)
            try:
                v = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"parameter {key!r} of {self.name} must be a number, got {value!r}") from None
            if not math.isfinite(v):
                raise ValueError(f"parameter {key!r} of {self.name} must be finite, got {value!r}")
            if key in self.INT_PARAMS:
                if not v.is_integer():
                    raise ValueError(f"parameter {key!r} of {self.name} must be an integer, got {value!r}")
                v = float(int(v))
            if key in self.POSITIVE_PARAMS and v <= 0:
                raise ValueError(f"parameter {key!r} of {self.name} must be positive, got {value!r}")
            p[key] = v
        self._p = p
        self._validate()
        self.dim: int = self._compute_dim()

    def _validate(self) -> None:
        """Check parameter combinations; raise ``ValueError`` (override)."""

    @property
    def params(self) -> dict[str, float]:
        """Parameter values (a copy), integers as ``int``."""
        return {k: (int(v) if k in self.INT_PARAMS else v) for k, v in self._p.items()}

    def _compute_dim(self) -> int:  # pragma: no cover - abstract
        """State dimension from the parameters (override)."""
        raise NotImplementedError

    @property
    def observed_dim(self) -> int:
        """Number of columns of ``trajectory`` (the state dimension except for delay equations)."""
        return self.dim

    def is_default(self, *names: str) -> bool:
        """True when the named parameters (all if none named) have their default values."""
        keys = names or tuple(self.PARAMS)
        return all(math.isclose(self._p[k], self.PARAMS[k], rel_tol=1e-12, abs_tol=1e-15) for k in keys)

    def reference(self) -> ReferenceExponents | None:
        """Reference exponents at the current parameters (None if nothing is known)."""
        return None

    def lyapunov_defaults(self) -> LyapunovDefaults:  # pragma: no cover - abstract
        raise NotImplementedError

    def default_initial_conditions(self, n: int = 1, seed: SeedLike = None) -> Array:  # pragma: no cover
        """``(n, dim)`` initial states in the basin of the attractor (random from ``seed``)."""
        raise NotImplementedError

    def as_map(self, dt: float | None = None) -> TangentMap:  # pragma: no cover - abstract
        raise NotImplementedError

    def _observe(self, z: Array) -> Array:
        """Observed coordinates of states ``(B, dim) -> (B, observed_dim)``."""
        return z

    def _sampler(self, dt: float | None) -> TangentMap:
        """The map advancing one *sample* (``dt`` time units for flows)."""
        return self.as_map(dt)

    def trajectory(self, n_steps: int, dt: float | None = None, transient: int = 1000, noise: float = 0.0,
                   seed: SeedLike = None, standardize: bool = False, x0: Any = None) -> Array:
        """Sampled trajectory ``(T, N)`` with ``T = n_steps`` (float64).

        ``dt``: sampling interval of a flow (default ``default_sample_dt``); must be None for maps.
        ``transient``: samples discarded before recording. ``noise``: additive Gaussian observation
        noise with standard deviation ``noise`` times each column's standard deviation (relative noise
        level). ``seed`` draws the initial condition (unless ``x0``) and the noise. ``standardize``:
        z-score each column after adding noise. ``x0``: initial state ``(dim,)``.
        """
        n_steps = positive_int(n_steps, "n_steps")
        transient = nonnegative_int(transient, "transient")
        noise_level = float(noise)
        if not math.isfinite(noise_level) or noise_level < 0:
            raise ValueError(f"noise must be a non-negative relative level (e.g. 0.05), got {noise!r}")
        rng = as_generator(seed)
        z = self.default_initial_conditions(1, rng) if x0 is None else self._initial_state(x0)
        fmap = self._sampler(dt)
        with np.errstate(over="ignore", invalid="ignore"):
            for _ in range(transient):
                z = fmap.step(z)
            out = np.empty((n_steps, self.observed_dim))
            for t in range(n_steps):
                out[t] = self._observe(z)[0]
                z = fmap.step(z)
        if not np.isfinite(out).all():
            bad = int(np.argwhere(~np.isfinite(out))[0, 0])
            raise ValueError(f"the {self.name} trajectory became non-finite at sample {bad}; choose an initial "
                             "state in the basin of the attractor or a smaller dt")
        if noise_level > 0:
            out = out + noise_level * out.std(axis=0) * rng.standard_normal(out.shape)
        if standardize:
            sd = out.std(axis=0)
            out = (out - out.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
        return out

    def _initial_state(self, x0: Any) -> Array:
        return as_batch(x0, self.dim, "x0")

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"


class Flow(System):
    """An autonomous ODE ``z' = f(z)`` with analytic Jacobian; discretised by RK4 in :meth:`as_map`.

    Subclasses implement ``rhs(z) (B, N) -> (B, N)`` and ``jacobian(z) (B, N) -> (B, N, N)``; they may
    override ``jvp(z, V)`` (``Df(z) @ V`` for ``V`` ``(B, N, k)``) to avoid forming the Jacobian.
    """

    kind: ClassVar[str] = "flow"
    #: RK4 step used by ``trajectory`` (sampling intervals are subdivided to at most this step)
    integration_step: ClassVar[float] = 0.01
    #: default sampling interval of ``trajectory``
    default_sample_dt: ClassVar[float] = 0.01

    def rhs(self, z: Array) -> Array:  # pragma: no cover - abstract
        raise NotImplementedError

    def jacobian(self, z: Array) -> Array:  # pragma: no cover - abstract
        raise NotImplementedError

    def jvp(self, z: Array, v: Array) -> Array:
        """``Df(z) @ v`` for states ``(B, N)`` and frames ``(B, N, k)``."""
        return self.jacobian(z) @ v

    def divergence(self, z: Array) -> Array:
        """Trace of the Jacobian ``(B,)`` (the phase-space contraction rate)."""
        return np.trace(self.jacobian(z), axis1=-2, axis2=-1)

    def wrap(self, z: Array) -> Array:
        """Map a state to its canonical representative (identity; Duffing wraps the drive phase)."""
        return z

    def as_map(self, dt: float | None = None, substeps: int = 1) -> FlowMap:
        """The time-``dt`` map made of ``substeps`` RK4 steps of size ``dt / substeps``.

        Its ``tangent_step`` is the exact derivative of that discrete map (see
        :func:`rnnchaos.systems.integrators.rk4_tangent_step`); exponents of it are per unit time.
        """
        step = self.integration_step if dt is None else positive_float(dt, "dt")
        return FlowMap(self, step, positive_int(substeps, "substeps"))

    def _sampler(self, dt: float | None) -> TangentMap:
        sample = self.default_sample_dt if dt is None else positive_float(dt, "dt")
        sub = max(1, math.ceil(sample / self.integration_step - 1e-9))
        return self.as_map(sample, sub)


class FlowMap:
    """RK4 discretisation of a :class:`Flow` as a :class:`rnnchaos.core.TangentMap` (``dt`` = time per step)."""

    def __init__(self, flow: Flow, dt: float, substeps: int = 1) -> None:
        self.flow = flow
        self.dim = flow.dim
        self.dt: float | None = float(dt)
        self.substeps = int(substeps)
        self.h = float(dt) / self.substeps

    def step(self, z: Array) -> Array:
        for _ in range(self.substeps):
            z = rk4_step(self.flow.rhs, z, self.h)
        return self.flow.wrap(z)

    def tangent_step(self, z: Array, q: Array) -> tuple[Array, Array]:
        for _ in range(self.substeps):
            z, q = rk4_tangent_step(self.flow.rhs, self.flow.jvp, z, q, self.h)
        return self.flow.wrap(z), q

    def jacobian(self, z: Array) -> Array:
        """Dense Jacobian ``(B, N, N)`` of the discrete map (forms the identity frame)."""
        eye = np.broadcast_to(np.eye(self.dim), (z.shape[0], self.dim, self.dim)).copy()
        return self.tangent_step(z, eye)[1]

    def __repr__(self) -> str:
        return f"FlowMap({self.flow!r}, dt={self.dt}, substeps={self.substeps})"


class Map(System, JacobianMap):
    """A discrete-time system ``z_{t+1} = F(z_t)``; it *is* its own :class:`TangentMap` (``dt = None``)."""

    kind: ClassVar[str] = "map"
    dt: float | None = None

    def as_map(self, dt: float | None = None) -> Map:
        if dt is not None:
            raise ValueError(f"{self.name} is a map: it has no time step, so dt must not be given")
        return self

    def _sampler(self, dt: float | None) -> TangentMap:
        return self.as_map(dt)

