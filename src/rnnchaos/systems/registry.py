"""Registry of ground-truth systems by name: ``get_system("lorenz63", rho=28)``."""

from __future__ import annotations

from typing import Any

from rnnchaos.systems._base import System
from rnnchaos.systems.flows import Duffing, Lorenz63, Lorenz96, Rossler
from rnnchaos.systems.mackey_glass import MackeyGlass
from rnnchaos.systems.maps import Henon, Logistic, Tent

SYSTEMS: dict[str, type[System]] = {
    "lorenz63": Lorenz63,
    "rossler": Rossler,
    "lorenz96": Lorenz96,
    "duffing": Duffing,
    "mackey_glass": MackeyGlass,
    "logistic": Logistic,
    "tent": Tent,
    "henon": Henon,
}


def system_names() -> list[str]:
    """Valid system names, in catalogue order."""
    return list(SYSTEMS)


def get_system(name: str, **params: Any) -> System:
    """Instantiate the system ``name`` with parameters ``params`` (others keep their defaults).

    ``dysts:NAME`` is a system of the dysts catalogue (optional extra; :mod:`rnnchaos.systems.dysts_flows`).

    Raises ``ValueError`` listing the valid names for an unknown system, and the valid parameter
    names for an unknown parameter; non-finite or out-of-range values are rejected too.
    """
    text = str(name).strip()
    if text.lower().startswith("dysts:"):
        from rnnchaos.systems.dysts_flows import DystsFlow

        return DystsFlow(text[len("dysts:"):], **params)
    key = text.lower().replace("-", "_")
    if key not in SYSTEMS:
        raise ValueError(f"unknown system {name!r}; valid systems: {', '.join(SYSTEMS)}")
    return SYSTEMS[key](**params)
