"""Classical fourth-order Runge–Kutta (RK4) for batched ODEs, with its exact tangent (variational) step.

``rk4_step(f, z, h)`` advances ``z' = f(z)`` by one step ``h`` (global error O(h^4); the order is
tested in ``tests/test_systems_integrators.py``). ``rk4_tangent_step(f, jvp, z, V, h)`` returns the RK4
step of the state together with ``D Phi_h(z) V``, the *exact* derivative of the discrete RK4 map
applied to the tangent frame ``V`` (the variational equation discretised by the same stages). Hence
the Lyapunov exponents of the discretised flow satisfy Σλ = mean log|det DΦ_h| exactly, and the
Jacobian is never formed when ``jvp`` does not need it.

Shapes: states ``(B, N)``; tangent frames ``(B, N, k)``. Cost per step: 4 evaluations of ``f`` and 4
of ``jvp``.
"""

from __future__ import annotations

from collections.abc import Callable

from rnnchaos.core import Array

Rhs = Callable[[Array], Array]
Jvp = Callable[[Array, Array], Array]


def rk4_step(f: Rhs, z: Array, h: float) -> Array:
    """One classical RK4 step of ``z' = f(z)`` for a batch of states ``(B, N)``."""
    k1 = f(z)
    k2 = f(z + 0.5 * h * k1)
    k3 = f(z + 0.5 * h * k2)
    k4 = f(z + h * k3)
    return z + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)


def rk4_tangent_step(f: Rhs, jvp: Jvp, z: Array, v: Array, h: float) -> tuple[Array, Array]:
    """One RK4 step of the state and the exact derivative of that step applied to ``v``.

    ``jvp(z, v)`` must return ``Df(z) @ v`` for ``z`` ``(B, N)`` and ``v`` ``(B, N, k)``.
    Returns ``(Phi_h(z), DPhi_h(z) @ v)``.
    """
    hh = 0.5 * h
    k1 = f(z)
    v1 = jvp(z, v)
    z2 = z + hh * k1
    k2 = f(z2)
    v2 = jvp(z2, v + hh * v1)
    z3 = z + hh * k2
    k3 = f(z3)
    v3 = jvp(z3, v + hh * v2)
    z4 = z + h * k3
    k4 = f(z4)
    v4 = jvp(z4, v + h * v3)
    c = h / 6.0
    return z + c * (k1 + 2.0 * k2 + 2.0 * k3 + k4), v + c * (v1 + 2.0 * v2 + 2.0 * v3 + v4)


def rk4_integrate(f: Rhs, z0: Array, h: float, n_steps: int) -> Array:
    """Integrate ``n_steps`` RK4 steps from ``z0`` ``(B, N)``; returns the final state ``(B, N)``."""
    z = z0
    for _ in range(int(n_steps)):
        z = rk4_step(f, z, h)
    return z
