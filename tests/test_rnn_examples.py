"""Small PLRNNs with known behaviour, shared by the RNN tests.

The parameter sets were found by a random search over 3-unit PLRNNs and are checked in the tests
themselves (exact cycle enumeration, spectra, sum rule), not trusted: ``chaotic_plrnn`` has a positive
λ_max, ``cycle_plrnn`` a stable 3-cycle, ``quasiperiodic_plrnn`` an invariant circle (λ_max = 0).
``lozi_shplrnn`` is the Lozi map ``x' = 1 - a|x| + b y, y' = x`` written exactly as a shallow PLRNN
(``|x| = 2 relu(x) - x``, ``u = relu(u) - relu(-u)``), whose exponents sum to ``ln b`` exactly.
"""

from __future__ import annotations

import torch

from rnnchaos.models import build_model
from rnnchaos.models.base import LatentModel

F64 = torch.float64


def plrnn(a: list[float], w: list[list[float]], h: list[float], clipped: bool = False) -> LatentModel:
    m = len(a)
    model = build_model("plrnn", m, m, clipped=clipped, dtype=F64, seed=0)
    with torch.no_grad():
        model.A.copy_(torch.tensor(a, dtype=F64))
        model.W.copy_(torch.tensor(w, dtype=F64))
        model.h.copy_(torch.tensor(h, dtype=F64))
    return model


def chaotic_plrnn() -> LatentModel:
    return plrnn([0.87, 0.07, -0.7], [[0.0, -1.63, -0.6], [1.64, 0.0, -3.49], [-0.74, -5.78, 0.0]],
                 [1.29, 0.45, 1.2])


def cycle_plrnn() -> LatentModel:
    return plrnn([0.47, -0.45, -0.43], [[0.0, 0.29, 0.43], [0.94, 0.0, -0.82], [-1.17, 0.65, 0.0]],
                 [0.55, 0.54, 1.69])


def quasiperiodic_plrnn() -> LatentModel:
    return plrnn([0.36, 0.38], [[0.0, 3.67], [-0.27, 0.0]], [-1.68, 0.72])


def lozi_shplrnn(a: float = 1.7, b: float = 0.5) -> LatentModel:
    model = build_model("shplrnn", 2, 2, hidden_dim=4, dtype=F64, seed=0)
    with torch.no_grad():
        model.A.copy_(torch.tensor([a, 0.0], dtype=F64))
        model.h1.copy_(torch.tensor([1.0, 0.0], dtype=F64))
        model.h2.zero_()
        model.W2.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, -1.0], [-1.0, 0.0]], dtype=F64))
        model.W1.copy_(torch.tensor([[-2 * a, b, -b, 0.0], [1.0, 0.0, 0.0, -1.0]], dtype=F64))
    return model


# ---------------------------------------------------------------------- the examples are what they claim
def test_examples_behave_as_documented():
    import warnings

    import numpy as np

    from rnnchaos.dynamics.orbit_classification import classify_orbits

    z0 = np.random.default_rng(0).normal(size=(3, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert {c.label for c in classify_orbits(chaotic_plrnn().as_map(), z0, seed=0)} == {"chaotic"}
        assert {c.label for c in classify_orbits(cycle_plrnn().as_map(), z0, seed=0)} == {"3-cycle"}
        qp = classify_orbits(quasiperiodic_plrnn().as_map(), z0[:, :2], seed=0, n_steps=20000)
        assert {c.label for c in qp} == {"quasi_periodic"}
        assert {c.label for c in classify_orbits(lozi_shplrnn().as_map(), z0[:, :2] * 0.1, seed=0)} == {"chaotic"}
