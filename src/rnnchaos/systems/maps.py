"""Chaotic maps with analytic Jacobians: logistic, tent and Hénon. Exponents are per step (``dt = None``).

Batched: ``step`` maps ``(B, N) -> (B, N)`` and ``jacobian`` ``(B, N) -> (B, N, N)``.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from rnnchaos._util.rng import SeedLike, as_generator
from rnnchaos.core import Array
from rnnchaos.systems._base import LyapunovDefaults, Map, ReferenceExponents
from rnnchaos.systems.flows import SPROTT_2003


class Logistic(Map):
    """Logistic map x ← r x (1 − x) on [0, 1], 0 < r ≤ 4. Default r = 4, where λ = ln 2 exactly
    (conjugate to the tent map with slope 2; Ulam & von Neumann 1947). At r = 3.83 a period-3 orbit
    exists but λ < 0 (docs/architecture.md): period 3 does not imply a positive exponent."""

    name = "logistic"
    PARAMS: ClassVar[dict[str, float]] = {"r": 4.0}
    POSITIVE_PARAMS: ClassVar[frozenset[str]] = frozenset({"r"})

    def _validate(self) -> None:
        if self._p["r"] > 4.0:
            raise ValueError(f"parameter 'r' of logistic must be in (0, 4] so that [0, 1] is invariant, got {self._p['r']}")

    def _compute_dim(self) -> int:
        return 1

    def step(self, z: Array) -> Array:
        return self._p["r"] * z * (1.0 - z)

    def jacobian(self, z: Array) -> Array:
        return (self._p["r"] * (1.0 - 2.0 * z))[:, :, None]

    def tangent_step(self, z: Array, q: Array) -> tuple[Array, Array]:
        return self.step(z), (self._p["r"] * (1.0 - 2.0 * z))[:, :, None] * q

    def reference(self) -> ReferenceExponents | None:
        if not self.is_default():
            return None
        return ReferenceExponents(exponents=(math.log(2.0),), exact_sum=math.log(2.0), units="per_step",
                                  parameters=self.params, source="exact (Ulam & von Neumann 1947): ln 2 at r = 4")

    def default_initial_conditions(self, n: int = 1, seed: SeedLike = None) -> Array:
        return as_generator(seed).uniform(0.05, 0.95, size=(int(n), 1))

    def lyapunov_defaults(self) -> LyapunovDefaults:
        return LyapunovDefaults(steps=20_000, dt=None, transient=1000, ics=256)


class Tent(Map):
    """Tent map x ← μ min(x, 1 − x) on [0, 1], 0 < μ ≤ 2. Default μ = 2. |f'| = μ everywhere, so
    λ = ln μ exactly for every orbit; a period-3 orbit exists iff μ ≥ golden ratio.

    Floating point: at μ = 2 every float64 orbit reaches 0 within ~55 steps (each step shifts out one
    bit), so trajectories at μ = 2 are degenerate; the exponent is still ln 2.
    """

    name = "tent"
    PARAMS: ClassVar[dict[str, float]] = {"mu": 2.0}
    POSITIVE_PARAMS: ClassVar[frozenset[str]] = frozenset({"mu"})

    def _validate(self) -> None:
        if self._p["mu"] > 2.0:
            raise ValueError(f"parameter 'mu' of tent must be in (0, 2] so that [0, 1] is invariant, got {self._p['mu']}")

    def _compute_dim(self) -> int:
        return 1

    def step(self, z: Array) -> Array:
        return self._p["mu"] * np.minimum(z, 1.0 - z)

    def _slope(self, z: Array) -> Array:
        return np.where(z < 0.5, self._p["mu"], -self._p["mu"])

    def jacobian(self, z: Array) -> Array:
        return self._slope(z)[:, :, None]

    def tangent_step(self, z: Array, q: Array) -> tuple[Array, Array]:
        return self.step(z), self._slope(z)[:, :, None] * q

    def reference(self) -> ReferenceExponents:
        lam = math.log(self._p["mu"])
        return ReferenceExponents(exponents=(lam,), exact_sum=lam, units="per_step", parameters=self.params,
                                  source="exact: |f'| = mu everywhere, so lambda = ln mu")

    def default_initial_conditions(self, n: int = 1, seed: SeedLike = None) -> Array:
        return as_generator(seed).uniform(0.05, 0.95, size=(int(n), 1))

    def lyapunov_defaults(self) -> LyapunovDefaults:
        return LyapunovDefaults(steps=10_000, dt=None, transient=100, ics=8)


class Henon(Map):
    """Hénon (1976): (x, y) ← (1 − a x² + y, b x). Defaults a = 1.4, b = 0.3.

    det J = −b everywhere, so the exponents sum exactly to ln|b| (ln 0.3 at the defaults).
    """

    name = "henon"
    PARAMS: ClassVar[dict[str, float]] = {"a": 1.4, "b": 0.3}

    def _compute_dim(self) -> int:
        return 2

    def step(self, z: Array) -> Array:
        a, b = self._p["a"], self._p["b"]
        x, y = z[:, 0], z[:, 1]
        return np.stack([1.0 - a * x * x + y, b * x], axis=1)

    def jacobian(self, z: Array) -> Array:
        a, b = self._p["a"], self._p["b"]
        j = np.zeros((z.shape[0], 2, 2))
        j[:, 0, 0], j[:, 0, 1], j[:, 1, 0] = -2.0 * a * z[:, 0], 1.0, b
        return j

    def tangent_step(self, z: Array, q: Array) -> tuple[Array, Array]:
        a, b = self._p["a"], self._p["b"]
        x = z[:, 0, None]
        return self.step(z), np.stack([-2.0 * a * x * q[:, 0] + q[:, 1], b * q[:, 0]], axis=1)

    def reference(self) -> ReferenceExponents:
        b = self._p["b"]
        return ReferenceExponents(
            exponents=(0.41922, -1.62319) if self.is_default() else None,
            exact_sum=math.log(abs(b)) if b != 0 else -math.inf, units="per_step", parameters=self.params,
            source=SPROTT_2003, note="sum exact: det J = -b everywhere")

    def default_initial_conditions(self, n: int = 1, seed: SeedLike = None) -> Array:
        return as_generator(seed).uniform(-0.1, 0.1, size=(int(n), 2))

    def lyapunov_defaults(self) -> LyapunovDefaults:
        return LyapunovDefaults(steps=20_000, dt=None, transient=1000, ics=256, reortho_every=5)
