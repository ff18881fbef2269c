"""rnnchaos.maps1d: exact chaos analysis of 1-D recurrent maps ``x_{t+1} = f(x_t)`` built from networks.

Modules (one algorithm each; import them directly, nothing heavy is imported here):

* :mod:`~rnnchaos.maps1d.piecewise` -- exact continuous piecewise-linear maps of R (Fractions or floats):
  evaluation, sums, ReLU/clip, composition, iterates, merging, laps.
* :mod:`~rnnchaos.maps1d.network` -- ``Network1D``: 1-input 1-output ReLU/tanh networks, JSON weights,
  exact PL form, rigorous float evaluation bounds.
* :mod:`~rnnchaos.maps1d.periodic` -- points of exact period p, orbits, stability, Sharkovsky order,
  entropy bounds from periods.
* :mod:`~rnnchaos.maps1d.li_yorke` -- Li–Yorke witnesses checked exactly or with rigorous float bounds.
* :mod:`~rnnchaos.maps1d.entropy` -- invariant intervals, lap growth, Misiurewicz–Szlenk entropy, crossings.
* :mod:`~rnnchaos.maps1d.smooth` -- certified root bracketing for smooth maps (tanh, logistic), 1-D Lyapunov.
* :mod:`~rnnchaos.maps1d.analysis` -- one call: periods, certificate, laps, entropy, Lyapunov (kept apart).
* :mod:`~rnnchaos.maps1d.fast` -- numba kernel: exact 3-cycle criterion for batches of PL maps.
* :mod:`~rnnchaos.maps1d.init`, :mod:`~rnnchaos.maps1d.batch`, :mod:`~rnnchaos.maps1d.montecarlo` --
  initialisation schemes, batched networks, Monte Carlo P(period 3) with Wilson intervals.
* :mod:`~rnnchaos.maps1d.grid` -- the scrambling paper's grid test (as published, f^4, and corrected, f^3).
* :mod:`~rnnchaos.maps1d.scrambling` -- distances of two orbits with running liminf/limsup.
"""
