"""Chaotic flows with analytic Jacobians: Lorenz-63, Rössler, Lorenz-96 and the forced Duffing oscillator.

All are batched: ``rhs`` maps ``(B, N) -> (B, N)``, ``jacobian`` ``(B, N) -> (B, N, N)`` and ``jvp``
``(B, N), (B, N, k) -> (B, N, k)``. Exponents of their RK4 maps (``as_map(dt)``) are per unit time.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from rnnchaos._util.rng import SeedLike, as_generator
from rnnchaos.core import Array
from rnnchaos.systems._base import Flow, LyapunovDefaults, ReferenceExponents

SPROTT_2003 = "Sprott, Chaos and Time-Series Analysis, Oxford University Press (2003), Appendix A"


class Lorenz63(Flow):
    """Lorenz (1963): x' = σ(y − x), y' = x(ρ − z) − y, z' = xy − βz.

    Defaults σ = 10, ρ = 28, β = 8/3. Divergence is the constant −(σ + 1 + β), so the exponents sum
    exactly to −(σ + 1 + β) (−13.6667 at the defaults).
    """

    name = "lorenz63"
    PARAMS: ClassVar[dict[str, float]] = {"sigma": 10.0, "rho": 28.0, "beta": 8.0 / 3.0}
    integration_step = 0.01
    default_sample_dt = 0.01

    def _compute_dim(self) -> int:
        return 3

    def rhs(self, z: Array) -> Array:
        s, r, b = self._p["sigma"], self._p["rho"], self._p["beta"]
        x, y, w = z[:, 0], z[:, 1], z[:, 2]
        out = np.empty_like(z)
        out[:, 0] = s * (y - x)
        out[:, 1] = x * (r - w) - y
        out[:, 2] = x * y - b * w
        return out

    def jacobian(self, z: Array) -> Array:
        s, r, b = self._p["sigma"], self._p["rho"], self._p["beta"]
        x, y, w = z[:, 0], z[:, 1], z[:, 2]
        j = np.zeros((z.shape[0], 3, 3))
        j[:, 0, 0], j[:, 0, 1] = -s, s
        j[:, 1, 0], j[:, 1, 1], j[:, 1, 2] = r - w, -1.0, -x
        j[:, 2, 0], j[:, 2, 1], j[:, 2, 2] = y, x, -b
        return j

    def jvp(self, z: Array, v: Array) -> Array:
        s, r, b = self._p["sigma"], self._p["rho"], self._p["beta"]
        x, y, w = z[:, 0, None], z[:, 1, None], z[:, 2, None]
        v0, v1, v2 = v[:, 0], v[:, 1], v[:, 2]
        out = np.empty_like(v)
        out[:, 0] = s * (v1 - v0)
        out[:, 1] = (r - w) * v0 - v1 - x * v2
        out[:, 2] = y * v0 + x * v1 - b * v2
        return out

    def reference(self) -> ReferenceExponents:
        s, b = self._p["sigma"], self._p["beta"]
        return ReferenceExponents(
            exponents=(0.9056, 0.0, -14.5723) if self.is_default() else None,
            exact_sum=-(s + 1.0 + b), units="per_time", parameters=self.params, source=SPROTT_2003,
            note="sum exact: the divergence is the constant -(sigma + 1 + beta)")

    def default_initial_conditions(self, n: int = 1, seed: SeedLike = None) -> Array:
        rng = as_generator(seed)
        return np.array([1.0, 1.0, 20.0]) + rng.uniform(-5.0, 5.0, size=(int(n), 3))

    def lyapunov_defaults(self) -> LyapunovDefaults:
        return LyapunovDefaults(steps=10_000, dt=0.01, transient=1000, ics=128, tangent_transient=1000, reortho_every=5)


class Rossler(Flow):
    """Rössler (1976): x' = −y − z, y' = x + a y, z' = b + z (x − c). Defaults a = b = 0.2, c = 5.7.

    The divergence a + x − c varies along the orbit, so the sum has no closed form.
    """

    name = "rossler"
    PARAMS: ClassVar[dict[str, float]] = {"a": 0.2, "b": 0.2, "c": 5.7}
    integration_step = 0.02
    default_sample_dt = 0.1

    def _compute_dim(self) -> int:
        return 3

    def rhs(self, z: Array) -> Array:
        a, b, c = self._p["a"], self._p["b"], self._p["c"]
        x, y, w = z[:, 0], z[:, 1], z[:, 2]
        out = np.empty_like(z)
        out[:, 0] = -y - w
        out[:, 1] = x + a * y
        out[:, 2] = b + w * (x - c)
        return out

    def jacobian(self, z: Array) -> Array:
        a, c = self._p["a"], self._p["c"]
        x, w = z[:, 0], z[:, 2]
        j = np.zeros((z.shape[0], 3, 3))
        j[:, 0, 1], j[:, 0, 2] = -1.0, -1.0
        j[:, 1, 0], j[:, 1, 1] = 1.0, a
        j[:, 2, 0], j[:, 2, 2] = w, x - c
        return j

    def jvp(self, z: Array, v: Array) -> Array:
        a, c = self._p["a"], self._p["c"]
        x, w = z[:, 0, None], z[:, 2, None]
        v0, v1, v2 = v[:, 0], v[:, 1], v[:, 2]
        out = np.empty_like(v)
        out[:, 0] = -v1 - v2
        out[:, 1] = v0 + a * v1
        out[:, 2] = w * v0 + (x - c) * v2
        return out

    def reference(self) -> ReferenceExponents:
        return ReferenceExponents(
            exponents=(0.0714, 0.0, -5.3943) if self.is_default() else None, exact_sum=None,
            units="per_time", parameters=self.params, source=SPROTT_2003)

    def default_initial_conditions(self, n: int = 1, seed: SeedLike = None) -> Array:
        rng = as_generator(seed)
        ic = rng.uniform(-1.0, 1.0, size=(int(n), 3))
        ic[:, 2] = rng.uniform(0.0, 0.5, size=int(n))
        return ic

    def lyapunov_defaults(self) -> LyapunovDefaults:
        return LyapunovDefaults(steps=10_000, dt=0.05, transient=1000, ics=128, tangent_transient=2000, reortho_every=5)


class Lorenz96(Flow):
    """Lorenz (1996): x_i' = (x_{i+1} − x_{i−2}) x_{i−1} − x_i + F, i = 1..N cyclic. Defaults N = 40, F = 8.

    The divergence is the constant −N, so the exponents sum exactly to −N. ``jvp`` costs O(B N k)
    (the Jacobian is never formed), so N = 1000 with k = 32 exponents is practical.
    """

    name = "lorenz96"
    PARAMS: ClassVar[dict[str, float]] = {"N": 40.0, "F": 8.0}
    INT_PARAMS: ClassVar[frozenset[str]] = frozenset({"N"})
    integration_step = 0.01
    default_sample_dt = 0.05

    def _validate(self) -> None:
        if self._p["N"] < 4:
            raise ValueError(f"parameter 'N' of lorenz96 must be an integer >= 4, got {self.params['N']}")

    def _compute_dim(self) -> int:
        return int(self._p["N"])

    @staticmethod
    def _padded(a: Array) -> Array:
        """Cyclic padding along axis 1: columns (i-2, i-1, i, i+1) are slices 0, 1, 2, 3 of length N."""
        return np.concatenate([a[:, -2:], a, a[:, :1]], axis=1)

    def rhs(self, z: Array) -> Array:
        n = z.shape[1]
        p = self._padded(z)
        return (p[:, 3:n + 3] - p[:, 0:n]) * p[:, 1:n + 1] - z + self._p["F"]

    def jacobian(self, z: Array) -> Array:
        b, n = z.shape
        idx = np.arange(n)
        j = np.zeros((b, n, n))
        j[:, idx, idx] = -1.0
        j[:, idx, (idx + 1) % n] += z[:, (idx - 1) % n]
        j[:, idx, (idx - 2) % n] += -z[:, (idx - 1) % n]
        j[:, idx, (idx - 1) % n] += z[:, (idx + 1) % n] - z[:, (idx - 2) % n]
        return j

    def jvp(self, z: Array, v: Array) -> Array:
        n = z.shape[1]
        p = self._padded(z)
        zm1 = p[:, 1:n + 1, None]
        diff = (p[:, 3:n + 3] - p[:, 0:n])[:, :, None]
        pv = self._padded(v)
        return zm1 * (pv[:, 3:n + 3] - pv[:, 0:n]) + diff * pv[:, 1:n + 1] - v

    def reference(self) -> ReferenceExponents:
        known = self.is_default()
        return ReferenceExponents(
            exponents=(1.68,) if known else None, exact_sum=-float(self._p["N"]), units="per_time",
            parameters=self.params,
            source="docs/architecture.md reference table (standard value for N=40, F=8); sum exact: divergence = -N",
            note="only lambda_1 is given (approximately); sum exact for any N and F")

    def default_initial_conditions(self, n: int = 1, seed: SeedLike = None) -> Array:
        rng = as_generator(seed)
        return self._p["F"] + rng.normal(0.0, 1.0, size=(int(n), self.dim))

    def lyapunov_defaults(self) -> LyapunovDefaults:
        return LyapunovDefaults(steps=4000, dt=0.05, transient=400, ics=8, tangent_transient=400, reortho_every=5)


class Duffing(Flow):
    """Forced Duffing oscillator x'' + δ x' + α x + β x³ = γ cos(ω t), made autonomous with the phase φ = ω t.

    State (x, v, φ): x' = v, v' = −δ v − α x − β x³ + γ cos φ, φ' = ω; φ is wrapped to [0, 2π).
    Defaults δ = 0.3, α = −1, β = 1, γ = 0.5, ω = 1.2 (a chaotic two-well regime, Guckenheimer & Holmes
    1983, §2.2). Exact: one exponent is 0 (the phase direction) and the sum is −δ.
    """

    name = "duffing"
    PARAMS: ClassVar[dict[str, float]] = {"delta": 0.3, "alpha": -1.0, "beta": 1.0, "gamma": 0.5, "omega": 1.2}
    integration_step = 0.01
    default_sample_dt = 0.05

    def _compute_dim(self) -> int:
        return 3

    def rhs(self, z: Array) -> Array:
        d, a, b, g, w = (self._p[k] for k in ("delta", "alpha", "beta", "gamma", "omega"))
        x, v, ph = z[:, 0], z[:, 1], z[:, 2]
        return np.stack([v, -d * v - a * x - b * x**3 + g * np.cos(ph), np.full_like(x, w)], axis=1)

    def jacobian(self, z: Array) -> Array:
        d, a, b, g = (self._p[k] for k in ("delta", "alpha", "beta", "gamma"))
        x, ph = z[:, 0], z[:, 2]
        j = np.zeros((z.shape[0], 3, 3))
        j[:, 0, 1] = 1.0
        j[:, 1, 0], j[:, 1, 1], j[:, 1, 2] = -a - 3.0 * b * x**2, -d, -g * np.sin(ph)
        return j

    def jvp(self, z: Array, v: Array) -> Array:
        d, a, b, g = (self._p[k] for k in ("delta", "alpha", "beta", "gamma"))
        x, ph = z[:, 0, None], z[:, 2, None]
        v0, v1, v2 = v[:, 0], v[:, 1], v[:, 2]
        return np.stack([v1, (-a - 3.0 * b * x**2) * v0 - d * v1 - g * np.sin(ph) * v2, np.zeros_like(v0)], axis=1)

    def wrap(self, z: Array) -> Array:
        z = z.copy()
        z[:, 2] = np.mod(z[:, 2], 2.0 * math.pi)
        return z

    def reference(self) -> ReferenceExponents:
        return ReferenceExponents(
            exponents=None, exact_sum=-self._p["delta"], units="per_time", parameters=self.params,
            source="exact: divergence is -delta; the drive phase contributes one zero exponent",
            note="no verified published lambda_1 is stored for these parameters")

    def default_initial_conditions(self, n: int = 1, seed: SeedLike = None) -> Array:
        rng = as_generator(seed)
        ic = rng.uniform(-1.0, 1.0, size=(int(n), 3))
        ic[:, 2] = 0.0
        return ic

    def lyapunov_defaults(self) -> LyapunovDefaults:
        return LyapunovDefaults(steps=10_000, dt=0.02, transient=1000, ics=64, tangent_transient=1000, reortho_every=5)
