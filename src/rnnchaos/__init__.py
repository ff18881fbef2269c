"""rnnchaos: chaos in recurrent neural networks.

Measure chaos in any RNN, dynamical system or time series (Lyapunov spectra, lambda_max from data,
exact periodic points and Li-Yorke certificates of 1-D recurrent maps, probability of chaos over
random initialisations), and train RNNs on chaotic data with sparse teacher forcing.

Everything is a map ``z_{t+1} = F(z_t)`` with a Jacobian; see DESIGN.md.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
