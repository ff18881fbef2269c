"""rnnchaos.training: train RNNs on chaotic data with sparse or generalized teacher forcing.

Modules (import them directly; nothing heavy is imported here):

* :mod:`~rnnchaos.training.reconstructor` — ``Reconstructor``, the scikit-learn style estimator;
* :mod:`~rnnchaos.training.trainer` — the loop, run directories, atomic checkpoints, exact resume;
* :mod:`~rnnchaos.training.forcing` — STF, GTF, BPTT, truncated BPTT and windowing as schedules;
* :mod:`~rnnchaos.training.tau` — τ = c · ln 2 / λ_max of the data;
* :mod:`~rnnchaos.training.gtf` — the adaptive GTF weight α (Hess et al. 2023);
* :mod:`~rnnchaos.training.plrnn_kernel` — the fused PLRNN forward pass with a hand-written backward;
* :mod:`~rnnchaos.training.torch_loss` — the same loss by autograd for every architecture;
* :mod:`~rnnchaos.training.run` — one run from a data source (what ``rnnchaos train`` calls).
"""
