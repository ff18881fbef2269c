"""The dysts catalogue (Gilpin, NeurIPS 2021) as rnnchaos flows: ``get_system("dysts:Lorenz")``.

Each dysts continuous system becomes a :class:`rnnchaos.systems.Flow` whose right-hand side and
Jacobian are dysts' own (``_rhs``/``_jac``, called vectorised over the batch where the equations allow
it, else point by point); a system without ``_jac`` gets a central finite-difference Jacobian (step
``1e-6 * max(1, |z|)``). A non-autonomous system is made autonomous by appending time as a state
(t' = 1, so one exponent is exactly 0); ∂f/∂t is a central finite difference. Exponents come from our
tangent-space QR engine, per unit time of dysts' equations. Delay systems are not supported.

The time scale is dysts'. The RK4 step is chosen once per system, on first use, by
:func:`rnnchaos.systems.step_choice.choose_rk4_step`: it starts from the integer multiple ``h0`` of
dysts' ``dt`` nearest to ``period / 100`` (dysts' ``dt`` itself when that is coarser) and divides it
by an integer until the step-doubling estimate of RK4's local error meets ``1e-4`` of the attractor's
size (99th percentile along a probe orbit of 4 initial conditions, 10 periods after 10), halving
first whenever the probe orbit blows up (non-finite, or ``|z|`` beyond ``1e6`` times dysts' scale in a
coordinate that dysts does not list as unbounded).
``step_choice`` records the step and why. The sampling interval of trajectories stays ``h0``
(a whole number of steps). The default Lyapunov run covers 100 periods.
dysts is an optional extra (``pip install rnnchaos[dysts]``).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from rnnchaos._util.rng import SeedLike, as_generator
from rnnchaos.core import Array
from rnnchaos.systems._base import Flow, LyapunovDefaults, ReferenceExponents
from rnnchaos.systems.step_choice import StepChoice, choose_rk4_step

PREFIX = "dysts:"
_MISSING = "the dysts systems need the optional extra dysts: pip install 'rnnchaos[dysts]' (or pip install dysts)"


def _dysts_flows() -> Any:
    try:
        import dysts.flows as dfl
    except ImportError:
        raise ValueError(_MISSING) from None
    return dfl


def dysts_system_names() -> list[str]:
    """Names of dysts' continuous systems without delay (``dysts:NAME`` each); ``ValueError`` without dysts."""
    _dysts_flows()
    from dysts.systems import get_attractor_list

    return [str(n) for n in get_attractor_list("continuous_no_delay")]


def _plain(f: Any) -> Any:
    """The pure-Python function behind a numba dispatcher (so NumPy arrays broadcast through it)."""
    return getattr(f, "py_func", f)


class DystsFlow(Flow):
    """A dysts continuous system as a batched :class:`Flow` (see the module docstring)."""

    kind: ClassVar[str] = "flow"
    PARAMS: ClassVar[dict[str, float]] = {}

    def __init__(self, dysts_name: str, **params: Any) -> None:
        dfl = _dysts_flows()
        from dysts.base import DynSys, DynSysDelay

        cls = getattr(dfl, dysts_name, None)
        names = dysts_system_names()
        if cls is None or not isinstance(cls, type) or dysts_name not in names:
            if isinstance(cls, type) and issubclass(cls, DynSysDelay):
                raise ValueError(f"dysts:{dysts_name} is a delay equation; only dysts' ODE systems are supported")
            import difflib

            close = difflib.get_close_matches(dysts_name, names, n=3, cutoff=0.6)
            hint = f"did you mean {', '.join('dysts:' + c for c in close)}? " if close else ""
            raise ValueError(f"unknown dysts system {dysts_name!r}; {hint}dysts has {len(names)} ODE systems "
                             "(CamelCase, e.g. dysts:Lorenz; rnnchaos.systems.dysts_flows.dysts_system_names())")
        base = cls()
        assert isinstance(base, DynSys)
        unknown = sorted(set(params) - set(base.params))
        if unknown:
            raise ValueError(f"unknown parameter(s) {', '.join(repr(u) for u in unknown)} for system "
                             f"dysts:{dysts_name}; valid parameters: {', '.join(base.params) or '(none)'}")
        self.dysts = cls(parameters={**base.params, **params}) if params else base
        self._custom = bool(params)
        self.name = PREFIX + dysts_name  # type: ignore[misc]
        defaults = {k: float(np.asarray(v, dtype=float).ravel()[0]) if np.size(v) == 1 else float("nan")
                    for k, v in base.params.items()}
        self.PARAMS = defaults  # type: ignore[misc]
        self._p = {k: v for k, v in self.dysts.params.items()}  # dysts' own values (arrays allowed)
        meta = self.dysts
        self.nonautonomous = bool(getattr(meta, "nonautonomous", False))
        self.has_dysts_jacobian = bool(self.dysts.has_jacobian())
        self.dysts_dt = float(meta.dt)
        self.period = float(meta.period)
        self._ic = np.asarray(meta.ic, dtype=float).ravel()
        std = getattr(meta, "std", None)
        self._std = np.ones_like(self._ic) if std is None else np.asarray(std, dtype=float).ravel()
        self.n_x = self._ic.size
        self.dim = self.n_x + (1 if self.nonautonomous else 0)
        m = max(1, round(self.period / 100 / self.dysts_dt))
        self.proposed_step = m * self.dysts_dt
        self.default_sample_dt = self.proposed_step  # type: ignore[misc]
        self._step_choice: StepChoice | None = None
        self._rhs_py = _plain(type(self.dysts)._rhs)
        self._own_rhs = type(self.dysts).rhs is not DynSys.rhs  # dysts' class writes rhs(X, t), not _rhs
        self._jac_py = _plain(type(self.dysts)._jac) if self.has_dysts_jacobian else None
        self._vectorised: bool | None = None  # None: not yet checked against dysts' point-by-point rhs
        self._jac_vectorised: bool | None = None

    @property
    def step_choice(self) -> StepChoice:
        """The RK4 step chosen for this system and why (computed once, on first use; see the module docstring)."""
        if self._step_choice is None:
            z0 = self.default_initial_conditions(4, seed=20211206)  # fixed: the step is a property of the system
            scale = max(1.0, float(np.abs(self._ic).max()), float(np.abs(self._std).max()))
            free = set(getattr(self.dysts, "unbounded_indices", None) or ())  # dysts' phases, periodic positions
            self._step_choice = choose_rk4_step(self.rhs, z0, self.proposed_step, transient=10 * self.period,
                                                measure=10 * self.period, coords=self.n_x, bound=1e6 * scale,
                                                bounded=[i for i in range(self.n_x) if i not in free])
        return self._step_choice

    @property
    def integration_step(self) -> float:  # type: ignore[override]
        """The RK4 step of trajectories and Lyapunov runs: ``step_choice.dt``."""
        return self.step_choice.dt

    @property
    def params(self) -> dict[str, float]:
        return {k: np.asarray(v).tolist() for k, v in self._p.items()}

    def is_default(self, *names: str) -> bool:
        return not any(np.any(np.asarray(self._p[k]) != np.asarray(v)) for k, v in self.dysts.params.items()
                       if k in (names or self._p))

    def _compute_dim(self) -> int:
        return self.dim

    @property
    def observed_dim(self) -> int:
        """dysts' state dimension (an appended time coordinate is not observed)."""
        return self.n_x

    def _observe(self, z: Array) -> Array:
        return z[:, : self.n_x]

    # --- dysts' equations, batched -------------------------------------------------------------------
    def _f(self, x: Array, t: Array) -> Array:
        """dysts' right-hand side at states ``x (B, n)`` and times ``t (B,)`` -> ``(B, n)``."""
        if self._vectorised is None:  # check once against dysts' point-by-point rhs
            xx, tt = self._check_batch(x, t)
            arr = self._f_vec(xx, tt)
            self._vectorised = arr is not None and self._agrees(arr, self._f_loop(xx, tt))
        if self._vectorised:
            out = self._f_vec(x, t)
            if out is not None:
                return out
        return self._f_loop(x, t)

    def _f_vec(self, x: Array, t: Array) -> Array | None:
        """dysts' ``_rhs`` (or its own ``rhs`` on the ``(n, B)`` transposed batch) called once on the whole
        batch; None where the equations are not array-safe."""
        b = x.shape[0]
        try:
            with np.errstate(all="ignore"):
                if self._own_rhs:
                    out = self.dysts.rhs(x.T, t)
                else:
                    out = self._rhs_py(*x.T, t, *self.dysts.param_list)
            arr = np.stack([np.broadcast_to(np.asarray(c, dtype=float), (b,)) for c in out], axis=1)
        except Exception:  # noqa: BLE001 - equations that are not array-safe fall back to a loop
            return None
        return arr if arr.shape == x.shape else None

    def _check_batch(self, x: Array, t: Array) -> tuple[Array, Array]:
        """``n + 1`` distinct states near ``x[0]``: a batch size other than ``n`` makes any broadcast of a
        length-``n`` parameter against the ``(n, B)`` batch fail, and distinct states expose reductions."""
        n = x.shape[1]
        k = np.arange(n + 1)[:, None]
        return x[:1] + 0.01 * k * (1 + np.abs(x[:1])) * (1 + 0.1 * np.arange(n)), t[:1] + 0.1 * k[:, 0]

    def _f_loop(self, x: Array, t: Array) -> Array:
        return np.array([np.asarray(self.dysts.rhs(x[i], float(t[i])), dtype=float).ravel() for i in range(len(x))])

    def _j_loop(self, x: Array, t: Array) -> Array:
        return np.array([np.asarray(self.dysts.jac(x[i], float(t[i])), dtype=float) for i in range(len(x))])

    @staticmethod
    def _agrees(a: Array, b: Array) -> bool:
        """The vectorised call gave dysts' point-by-point values (checked once; reductions over the batch fail)."""
        return bool(np.allclose(a, b, rtol=1e-10, atol=1e-12, equal_nan=True))

    def _jx(self, x: Array, t: Array) -> Array:
        """Jacobian ``(B, n, n)`` of dysts' right-hand side in the state."""
        b, n = x.shape
        if self._jac_py is not None:
            if self._jac_vectorised is None:
                xx, tt = self._check_batch(x, t)
                jj = self._j_vec(xx, tt)
                self._jac_vectorised = jj is not None and self._agrees(jj, self._j_loop(xx, tt))
            if self._jac_vectorised:
                j = self._j_vec(x, t)
                if j is not None:
                    return j
            return self._j_loop(x, t)
        # central differences, all 2n perturbed copies of the batch in one call: rows (sign, k, b)
        h = 1e-6 * np.maximum(1.0, np.abs(x))  # (b, n)
        e = np.eye(n)[:, None, :] * h[None, :, :]  # (k, b, n): step h[b, k] along coordinate k
        xp = np.concatenate([x[None] + e, x[None] - e]).reshape(2 * n * b, n)
        fp = self._f(xp, np.tile(t, 2 * n)).reshape(2, n, b, n)
        return np.transpose((fp[0] - fp[1]) / (2 * h.T[:, :, None]), (1, 2, 0))  # (b, i, k)

    def _j_vec(self, x: Array, t: Array) -> Array | None:
        """dysts' ``_jac`` called once on the whole batch; None where it is not array-safe."""
        b, n = x.shape
        try:
            with np.errstate(all="ignore"):
                rows = self._jac_py(*x.T, t, *self.dysts.param_list)  # type: ignore[misc]
            j = np.empty((b, n, n))
            for i, row in enumerate(rows):
                for k, c in enumerate(row):
                    j[:, i, k] = np.broadcast_to(np.asarray(c, dtype=float), (b,))
        except Exception:  # noqa: BLE001
            return None
        return j

    def _split(self, z: Array) -> tuple[Array, Array]:
        x = z[:, : self.n_x]
        t = z[:, self.n_x] if self.nonautonomous else np.zeros(z.shape[0])
        return x, t

    def rhs(self, z: Array) -> Array:
        x, t = self._split(z)
        fx = self._f(x, t)
        return np.concatenate([fx, np.ones((z.shape[0], 1))], axis=1) if self.nonautonomous else fx

    def jacobian(self, z: Array) -> Array:
        x, t = self._split(z)
        jx = self._jx(x, t)
        if not self.nonautonomous:
            return jx
        b, n = x.shape
        j = np.zeros((b, n + 1, n + 1))
        j[:, :n, :n] = jx
        ht = 1e-6 * np.maximum(1.0, np.abs(t))
        ft = self._f(np.concatenate([x, x]), np.concatenate([t + ht, t - ht]))
        j[:, :n, n] = (ft[:b] - ft[b:]) / (2 * ht[:, None])
        return j

    # --- rnnchaos interface ----------------------------------------------------------------------------
    def default_initial_conditions(self, n: int = 1, seed: SeedLike = None) -> Array:
        """dysts' initial condition plus Gaussian jitter of 1 % of its stored standard deviations."""
        rng = as_generator(seed)
        x = self._ic + 0.01 * self._std * rng.standard_normal((int(n), self.n_x))
        if self.nonautonomous:
            x = np.concatenate([x, np.zeros((int(n), 1))], axis=1)
        return x

    def lyapunov_defaults(self) -> LyapunovDefaults:
        choice = self.step_choice
        per = self.period / choice.dt
        return LyapunovDefaults(steps=max(1000, math.ceil(100 * per)), dt=choice.dt,
                                transient=math.ceil(20 * per), ics=32, tangent_transient=math.ceil(10 * per),
                                reortho_every=5, extra={"step_choice": choice.to_dict()})

    @property
    def dysts_maximum_lyapunov(self) -> float | None:
        """dysts' stored ``maximum_lyapunov_estimated`` (per unit time), None if absent."""
        v = getattr(self.dysts, "maximum_lyapunov_estimated", None)
        return None if v is None else float(v)

    def reference(self) -> ReferenceExponents | None:
        """dysts' stored λ_max at dysts' parameters (unverified), None once a parameter is changed."""
        lam = self.dysts_maximum_lyapunov
        if lam is None or self._custom:  # dysts' value is for its own parameters only
            return None
        return ReferenceExponents(exponents=None, exact_sum=None, units="per_time", parameters={},
                                  source="dysts metadata maximum_lyapunov_estimated (Gilpin 2021); not verified",
                                  note=f"dysts stores lambda_max = {lam:.6g} per unit time")

    def __repr__(self) -> str:
        return f"DystsFlow({self.name!r})"
