"""Large series: estimators that look at a prefix only say how many samples they used."""

from __future__ import annotations

import numpy as np

from rnnchaos.systems.registry import get_system
from rnnchaos.training.tau import auto_tau


def test_auto_tau_reports_the_samples_it_used() -> None:
    x = np.asarray(get_system("henon").trajectory(3000, seed=0), dtype=np.float64)
    cut = auto_tau(x, max_samples=2000, seed=0)
    assert (cut.n_samples, cut.n_samples_total) == (2000, 3000)
    assert cut.to_dict()["n_samples"] == 2000 and cut.to_dict()["n_samples_total"] == 3000
    same = auto_tau(x[:2000], max_samples=2000, seed=0)  # the estimate is that of the prefix, exactly
    assert (same.tau, same.lambda_max, same.rule) == (cut.tau, cut.lambda_max, cut.rule)
    assert (same.n_samples, same.n_samples_total) == (2000, 2000)
    whole = auto_tau(x, seed=0)
    assert (whole.n_samples, whole.n_samples_total) == (3000, 3000)
