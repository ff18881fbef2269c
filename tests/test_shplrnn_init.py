"""The shPLRNN initialisation of Hess et al.'s released GTF code (``init="gtf2023"``) against ours, draw by draw."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnchaos.models.base import build_model, model_from_config


@pytest.mark.parametrize("clipped", [True, False])
@pytest.mark.parametrize("observation", ["linear", "affine", "identity"])
def test_gtf2023_init_rescales_the_same_draws(clipped, observation):
    """Same seed, same random draws: A is the radius-1 matrix (ours × 1/0.95), W1 ~ U(±1/√L) (ours / 0.95),
    W2 unchanged, h2 ~ U(±1/√L) for the clipped form (ours × √M/√L) and 0 for the plain one, B ~ N(0, 2/M)
    (ours × √2); every bound holds."""
    M, L = 5, 250
    kw = {"hidden_dim": L, "clipped": clipped, "observation": observation, "dtype": torch.float64, "seed": 3}
    ours = build_model("shplrnn", M, M, **kw)
    gtf = build_model("shplrnn", M, M, init="gtf2023", **kw)
    torch.testing.assert_close(gtf.A, ours.A / 0.95, rtol=1e-14, atol=0)
    torch.testing.assert_close(gtf.W1, ours.W1 / 0.95, rtol=1e-14, atol=0)
    torch.testing.assert_close(gtf.W2, ours.W2, rtol=0, atol=0)
    assert float(gtf.W1.detach().abs().max()) <= 1 / np.sqrt(L) and float(gtf.W2.detach().abs().max()) <= 1 / np.sqrt(M)
    if clipped:
        torch.testing.assert_close(gtf.h2, ours.h2 * np.sqrt(M / L), rtol=1e-14, atol=0)
        assert float(gtf.h2.detach().abs().max()) <= 1 / np.sqrt(L)
    else:
        assert float(gtf.h2.detach().abs().max()) == 0.0
    assert float(gtf.h1.detach().abs().max()) == 0.0
    if observation != "identity":
        torch.testing.assert_close(gtf.B, ours.B * np.sqrt(2.0), rtol=1e-14, atol=0)
    # the largest eigenvalue of [diag(a) | W] is 1 before W is dropped: max(a) <= 1
    assert 0 < float(gtf.A.detach().min()) and float(gtf.A.detach().max()) <= 1.0 + 1e-12
    # the config round-trips; the default config carries no "init" key (old configs load unchanged)
    again = model_from_config(gtf.config())
    assert again.config() == gtf.config() and gtf.config()["init"] == "gtf2023"
    assert "init" not in ours.config()


def test_unknown_init_is_refused():
    with pytest.raises(ValueError, match="init must be one of rnnchaos, gtf2023"):
        build_model("shplrnn", 3, 3, init="he")
