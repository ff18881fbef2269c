"""Ground-truth dynamical systems with analytic Jacobians and reference Lyapunov exponents.

Flows (exponents per unit time, RK4 discretisation via ``as_map(dt)``): Lorenz-63, Rössler,
Lorenz-96, forced Duffing; delay equation: Mackey–Glass; maps (exponents per step): logistic, tent,
Hénon. ``get_system(name, **params)`` builds one by name; ``dysts:NAME`` is a system of the dysts
catalogue (optional extra, :mod:`rnnchaos.systems.dysts_flows`).
"""

from rnnchaos.systems._base import Flow, FlowMap, LyapunovDefaults, Map, ReferenceExponents, System
from rnnchaos.systems.flows import Duffing, Lorenz63, Lorenz96, Rossler
from rnnchaos.systems.integrators import rk4_integrate, rk4_step, rk4_tangent_step
from rnnchaos.systems.mackey_glass import MackeyGlass, MackeyGlassMap
from rnnchaos.systems.maps import Henon, Logistic, Tent
from rnnchaos.systems.registry import SYSTEMS, get_system, system_names

__all__ = [
    "SYSTEMS", "Duffing", "Flow", "FlowMap", "Henon", "Logistic", "Lorenz63", "Lorenz96", "LyapunovDefaults",
    "MackeyGlass", "MackeyGlassMap", "Map", "ReferenceExponents", "Rossler", "System", "Tent", "get_system",
    "rk4_integrate", "rk4_step", "rk4_tangent_step", "system_names",
]
