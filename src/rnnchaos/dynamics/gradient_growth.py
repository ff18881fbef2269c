"""Growth of gradients along an orbit of an RNN, and its exponential rate beside λ_max.

Mikhaeil, Monfared & Durstewitz (NeurIPS 2022, "On the difficulty of learning chaotic dynamics with
RNNs") show that the loss gradients of an RNN stay bounded when the orbit converges to a stable fixed
point or cycle and diverge exponentially, at the rate of the largest Lyapunov exponent, along chaotic
orbits. This module measures both quantities they bound:

* ``‖∂z_T/∂z_1‖_2 = ‖J(z_{T-1}) ... J(z_1)‖_2`` for ``T = 1..n_steps``, by propagating the Jacobian
  product with renormalisation (no overflow; ``O(B M^3)`` per step; above ``max_exact_dim`` units a
  lower bound from 16 random probe directions, ``O(B M^2)``);
* ``‖∂L_T/∂θ‖_2`` of the single-time loss ``L_T = ½ ‖x̂_T - x_T‖²`` w.r.t. all parameters ``θ``, where
  ``x̂_T = observe(z_T)``, ``z_T = F^T(z_0)`` with ``z_0`` the state one step before ``z_1`` (so ``L_T``
  depends on θ through ``T`` steps), by back-propagation through time (one backward pass per ``T`` in ``loss_steps``). The
  target ``x_T`` is the observation of an independent orbit of the same model (or a given series), so
  ``∂L/∂z_T`` stays of order one and the growth comes from the Jacobian products.

Averaging over windows (the estimate converges): one orbit of ``n_steps`` gives a rate whose error is
that of a finite-time Lyapunov exponent, of order ``sqrt(D / n_steps)`` (for a tanh RNN with 64 units at
gain 2, about ±10% at ``n_steps = 200``). Each initial condition is therefore followed through
``n_windows`` consecutive windows of ``n_steps`` steps along its orbit, and both norms are measured from
the start of every window. The rates are least-squares slopes, against ``T`` over ``T >= fit_start``, of
the ``log`` norms averaged over all windows and initial conditions (for the loss gradient: the mean of the
windows' slopes, the same number when no gradient is exactly zero, :func:`mean_row_rate`): an average in ``log`` of the growth of
``‖∂z_T/∂z_0‖`` over windows along the orbit, which converges to ``λ_max`` by Oseledets' theorem as the
orbit covered (``B · n_windows · n_steps`` steps) grows; the slope (not ``log‖·‖ / T``) removes the
``O(1)`` offset of a norm against the growth of an aligned vector. For a stable cycle the rate is negative
and the loss gradient stays bounded. Measured in docs/rnn.md ("Gradient growth and λ_max").
"""

from __future__ import annotations

import copy
import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from rnnchaos._util.rng import SeedLike, as_generator
from rnnchaos._util.validation import positive_int
from rnnchaos.core import ParametricMap

__all__ = ["GradientGrowth", "fit_rate", "gradient_growth", "mean_row_rate"]


def fit_rate(steps: NDArray[Any], log_values: NDArray[np.float64]) -> float:
    """Least-squares slope of ``log_values`` against ``steps`` (finite entries only), per step."""
    steps = np.asarray(steps, dtype=np.float64)
    y = np.asarray(log_values, dtype=np.float64)
    ok = np.isfinite(y)
    if ok.sum() < 2:
        return math.nan
    return float(np.polyfit(steps[ok], y[ok], 1)[0])


def mean_row_rate(steps: NDArray[Any], log_values: NDArray[np.float64]) -> float:
    """Mean over rows (windows) of the least-squares slopes of ``log_values`` ``(R, S)`` against ``steps``
    ``(S,)``, each on its finite entries; rows with fewer than two are left out (NaN if all are).

    When every entry is finite this equals the slope of the row-averaged logs; a window whose gradient is
    exactly zero from some ``T`` on (``log = -inf``, an orbit and its target on the same fixed point to
    machine precision) contributes the slope of its finite part instead of being mixed into a mean of the
    others at those ``T``."""
    rates = [fit_rate(steps, row) for row in np.asarray(log_values, dtype=np.float64)]
    finite = [r for r in rates if math.isfinite(r)]
    return float(np.mean(finite)) if finite else math.nan


@dataclass(frozen=True)
class GradientGrowth:
    """Result of :func:`gradient_growth` (all logs natural, rates per step).

    ``steps`` ``(T,)`` and ``log_jacobian_norm`` ``(B · W, T)``: ``log ‖∂z_T/∂z_1‖_2``;
    ``loss_steps`` ``(S,)`` and ``log_loss_gradient_norm`` ``(B · W, S)``: ``log ‖∂L_T/∂θ‖_2``; one row per
    (initial condition, window) pair, IC-major (``W = n_windows``);
    ``jacobian_growth_rate`` and ``loss_gradient_growth_rate``: fitted slopes over ``T >= fit_start``;
    ``gradient_growth_rate``: the loss-gradient rate (the quantity training sees).
    """

    steps: NDArray[np.int64]
    log_jacobian_norm: NDArray[np.float64]
    loss_steps: NDArray[np.int64]
    log_loss_gradient_norm: NDArray[np.float64]
    jacobian_growth_rate: float
    loss_gradient_growth_rate: float
    fit_start: int
    units: str = "per_step"
    n_windows: int = 1

    @property
    def gradient_growth_rate(self) -> float:
        return self.loss_gradient_growth_rate

    @property
    def max_log_loss_gradient_norm(self) -> float:
        return float(np.nanmax(self.log_loss_gradient_norm))

    def to_dict(self) -> dict[str, Any]:
        mean_j = np.nanmean(self.log_jacobian_norm, axis=0)
        mean_l = np.nanmean(self.log_loss_gradient_norm, axis=0)
        return {"gradient_growth_rate": self.gradient_growth_rate,
                "jacobian_growth_rate": self.jacobian_growth_rate,
                "loss_gradient_growth_rate": self.loss_gradient_growth_rate,
                "fit_start": self.fit_start, "units": self.units, "n_windows": self.n_windows,
                "n_orbit_windows": int(self.log_jacobian_norm.shape[0]),
                "loss_steps": self.loss_steps.tolist(),
                "mean_log_loss_gradient_norm": mean_l.tolist(),
                "mean_log_jacobian_norm_at_loss_steps": mean_j[self.loss_steps - 1].tolist()}


def _log_jacobian_norms(model: Any, z: torch.Tensor, n_steps: int, probes: int | None = None,
                        seed: SeedLike = None) -> NDArray[np.float64]:
    """``log ‖J_{T-1}...J_1‖_2`` for T = 1..n_steps (T = 1: identity, 0), ``(B, n_steps)``.

    ``probes=None`` propagates the full ``M x M`` product (exact spectral norm). With ``probes = p < M``
    only ``J_{T-1}...J_1 V`` for ``p`` random orthonormal columns ``V`` is propagated and its spectral
    norm is returned: a lower bound that grows at the same exponential rate (cost ``O(B M^2 p)``).
    """
    b, m = z.shape
    if probes is None or probes >= m:
        prod = torch.eye(m, dtype=torch.float64, device=z.device).expand(b, m, m).clone()
    else:
        g = torch.as_tensor(as_generator(seed).standard_normal((b, m, probes))).to(z.device)
        prod = torch.linalg.qr(g)[0]
    logscale = torch.zeros(b, dtype=torch.float64, device=z.device)
    out = torch.zeros(b, n_steps, dtype=torch.float64, device=z.device)
    with torch.no_grad():
        for t in range(1, n_steps):
            prod = model.tangent(z, prod)[1]
            z = model.step(z)
            nrm = torch.linalg.matrix_norm(prod, ord=2)
            nrm = torch.where(nrm > 0, nrm, torch.ones_like(nrm))
            prod = prod / nrm[:, None, None]
            logscale = logscale + torch.log(nrm)
            out[:, t] = logscale
    return out.cpu().numpy()


def _log_loss_gradient_norms(m64: Any, z: torch.Tensor, x_target: torch.Tensor,
                              loss_steps: NDArray[np.int64], chunk: int = 64) -> NDArray[np.float64]:
    """``log ‖∂L_T/∂θ‖_2`` ``(B, S)`` for every IC and every ``T`` in ``loss_steps``.

    One forward pass over ``max(loss_steps)`` steps for the whole batch; the ``B * S`` per-loss gradients
    come from vmapped backward passes (``is_grads_batched``) in chunks of ``chunk`` losses, with a
    plain loop as the fallback for operations vmap cannot batch.
    """
    params = [p for p in m64.parameters()]
    for p in params:
        p.requires_grad_(True)
    b = z.shape[0]
    t_max = int(loss_steps.max())
    with torch.enable_grad():
        zz = z.detach()
        cols = []
        want = {int(t): j for j, t in enumerate(loss_steps)}
        for t in range(1, t_max + 1):
            zz = m64.step(zz)
            if t in want:
                cols.append(0.5 * ((m64.observe(zz) - x_target[:, t - 1]) ** 2).sum(dim=1))
        losses = torch.stack(cols, dim=1).reshape(-1)  # (B * S,), IC-major
        n = losses.shape[0]
        # log-norms accumulated with a max-abs scaling so that huge gradients do not overflow when squared
        log_parts: list[list[torch.Tensor]] = [[] for _ in range(n)]

        def add(i0: int, g: torch.Tensor) -> None:
            flat = g.reshape(g.shape[0], -1).detach()
            scale = flat.abs().max(dim=1).values
            safe = torch.where(scale > 0, scale, torch.ones_like(scale))
            logn = torch.log(safe) + 0.5 * torch.log(((flat / safe[:, None]) ** 2).sum(dim=1))
            logn = torch.where(scale > 0, logn, torch.full_like(logn, -math.inf)).cpu()
            for r in range(flat.shape[0]):
                log_parts[i0 + r].append(logn[r])

        start = 0
        while start < n:
            stop = min(n, start + chunk)
            eye = torch.zeros(stop - start, n, dtype=torch.float64, device=losses.device)
            eye[torch.arange(stop - start), torch.arange(start, stop)] = 1.0
            try:
                grads = torch.autograd.grad(losses, params, grad_outputs=eye, retain_graph=True,
                                            is_grads_batched=True, allow_unused=True)
                for g in grads:
                    if g is not None:
                        add(start, g)
            except RuntimeError:
                for i in range(start, stop):
                    gi = torch.autograd.grad(losses[i], params, retain_graph=True, allow_unused=True)
                    for g in gi:
                        if g is not None:
                            add(i, g[None])
            start = stop
    out = np.full(n, -math.inf)
    for i, parts in enumerate(log_parts):
        if parts:
            v = 0.5 * torch.logsumexp(2.0 * torch.stack(parts), dim=0)
            out[i] = float(v) if torch.isfinite(v) or v == -math.inf else math.nan
    return out.reshape(b, loss_steps.size)


def _windows(m64: Any, z: torch.Tensor, n_windows: int, length: int) -> torch.Tensor:
    """Start states of ``n_windows`` consecutive windows of ``length`` steps along the orbit of each row of
    ``z`` ``(B, M)``: ``(B * n_windows, M)``, IC-major (row ``i * n_windows + w``)."""
    starts = [z]
    with torch.no_grad():
        for _ in range(n_windows - 1):
            for _ in range(length):
                z = m64.step(z)
            starts.append(z)
    return torch.stack(starts, dim=1).reshape(-1, z.shape[1])


def gradient_growth(model: Any, z0: Any = None, n_steps: int = 200, *, n_initial_conditions: int = 4,
                    transient: int = 1000, loss_steps: Any = None, target: Any = None,
                    fit_start: int | None = None, divergence_threshold: float = 1e8,
                    max_exact_dim: int = 256, n_windows: int = 16, device: Any = None,
                    seed: SeedLike = None) -> GradientGrowth:
    """Measure ``‖∂z_T/∂z_1‖`` and ``‖∂L_T/∂θ‖`` against ``T`` along orbits of ``model``.

    Parameters
    ----------
    model : a :class:`rnnchaos.core.ParametricMap`, e.g. an :class:`rnnchaos.models.base.LatentModel`
        (a float64 copy is used; the original is untouched).
    z0 : initial states ``(B, M)``; default ``n_initial_conditions`` draws of ``N(0, 1)``.
    n_steps : largest ``T`` (the length of one window).
    transient : steps before the first window so that the orbit is on its attractor.
    loss_steps : the ``T`` at which ``‖∂L_T/∂θ‖`` is computed (default: 8 evenly spaced values from
        ``fit_start`` to ``n_steps``, the ones the fit uses).
    target : observations ``(T, N)`` (or ``(B, T, N)``) to use as ``x_1..x_T`` in every window; default:
        the observed orbit of the same model from independent initial states, in windows of its own.
    fit_start : first ``T`` used in the rate fits (default ``n_steps // 5``).
    divergence_threshold : initial conditions whose orbit exceeds this norm after the transient or at the
        start of a window are dropped (with a warning); ``ValueError`` if all are.
    max_exact_dim : above this latent size ``‖∂z_T/∂z_1‖`` is bounded from below with 16 random probe
        directions instead of the full product (same exponential rate, ``O(M^2)`` instead of ``O(M^3)``).
    n_windows : consecutive windows of ``n_steps`` steps measured along each orbit (module docstring);
        the rates average ``log`` norms over all ``B · n_windows`` windows.
    device : ``cpu``/``cuda``/``auto`` (None: the CPU): where the float64 copy, the orbits and the Jacobian
        products live.
    seed : seed for default initial conditions, targets and probes.

    Cost: ``B · n_windows`` rows of ``n_steps`` Jacobian-product steps ``O(M^3)`` each, plus
    ``B · n_windows · sum(loss_steps)`` backward steps.
    """
    from rnnchaos._util.device import resolve_device

    if not isinstance(model, ParametricMap):
        raise ValueError("model must be a parametric latent map (rnnchaos.core.ParametricMap, e.g. an rnnchaos "
                         f"LatentModel), got {type(model).__name__}")
    n_steps = positive_int(n_steps, "n_steps")
    if n_steps < 3:
        raise ValueError(f"n_steps must be at least 3 to fit a rate, got {n_steps}")
    transient = int(transient)
    if transient < 0:
        raise ValueError(f"transient must be non-negative, got {transient}")
    fit_start = max(1, n_steps // 5) if fit_start is None else positive_int(fit_start, "fit_start")
    if fit_start >= n_steps - 1:
        raise ValueError(f"fit_start must be below n_steps - 1 = {n_steps - 1}, got {fit_start}")
    n_windows = positive_int(n_windows, "n_windows")
    dev = resolve_device(device)
    m64 = copy.deepcopy(model).to(device=dev, dtype=torch.float64)
    rng = as_generator(seed)
    mdim = m64.latent_dim
    if z0 is None:
        b = positive_int(n_initial_conditions, "n_initial_conditions")
        z0 = rng.normal(size=(b, mdim))
    z = torch.as_tensor(np.asarray(z0, dtype=np.float64)).to(dev)
    if z.dim() == 1:
        z = z[None, :]
    if z.dim() != 2 or z.shape[1] != mdim:
        raise ValueError(f"z0 must have shape (B, {mdim}), got {tuple(z.shape)}")
    b = z.shape[0]
    if loss_steps is None:
        loss_steps = np.unique(np.linspace(fit_start, n_steps, min(8, n_steps - fit_start + 1)).round()
                               .astype(np.int64))
    loss_steps = np.unique(np.asarray(loss_steps, dtype=np.int64).ravel())
    if loss_steps.size == 0 or loss_steps.min() < 1 or loss_steps.max() > n_steps:
        raise ValueError(f"loss_steps must lie in 1..n_steps={n_steps}")

    def bounded(v: torch.Tensor) -> torch.Tensor:
        return torch.isfinite(v).all(dim=1) & (v.abs().amax(dim=1) < divergence_threshold)

    with torch.no_grad():
        for _ in range(transient):
            z = m64.step(z)
        ok = bounded(z)
        if not ok.any():
            raise ValueError(f"every orbit diverged (|z| > {divergence_threshold:g} or non-finite) during the "
                             "transient; the model diverges from these initial conditions")
        if not ok.all():
            warnings.warn(f"dropped {int((~ok).sum())} of {b} initial conditions whose orbit diverged during "
                          "the transient", RuntimeWarning, stacklevel=2)
            z = z[ok]
            b = z.shape[0]
        z = _windows(m64, z, n_windows, n_steps)
        if target is None:
            zt = torch.as_tensor(rng.normal(size=(b, mdim))).to(dev)
            for _ in range(transient + 17):
                zt = m64.step(zt)
            zt = _windows(m64, zt, n_windows, n_steps)
            xs = []
            for _ in range(n_steps):
                xs.append(m64.observe(zt))
                zt = m64.step(zt)
            x_target = torch.stack(xs, dim=1)  # (B * W, T, N)
        else:
            x_target = torch.as_tensor(np.asarray(target, dtype=np.float64)).to(dev)
            if x_target.dim() == 2:
                x_target = x_target[None].expand(b, -1, -1)
            if x_target.dim() != 3 or x_target.shape[1] < n_steps or x_target.shape[2] != m64.obs_dim:
                raise ValueError(f"target must have shape (T, {m64.obs_dim}) or (B, T, {m64.obs_dim}) with "
                                 f"T >= n_steps = {n_steps}, got {tuple(x_target.shape)}")
            x_target = x_target.repeat_interleave(n_windows, dim=0) if x_target.shape[0] == b else x_target
            if x_target.shape[0] != z.shape[0]:
                raise ValueError(f"target has {x_target.shape[0]} series but there are {b} initial conditions")
        ok = bounded(z)
        if not ok.any():
            raise ValueError(f"every orbit diverged (|z| > {divergence_threshold:g} or non-finite) along the "
                             "windows; the model diverges from these initial conditions")
        if not ok.all():
            warnings.warn(f"dropped {int((~ok).sum())} of {z.shape[0]} windows whose start diverged",
                          RuntimeWarning, stacklevel=2)
            z, x_target = z[ok], x_target[ok]
        z1 = m64.step(z)  # z_1 = F(z_0): the loss at T depends on θ through the T steps z_0 -> z_T
    probes = None if mdim <= max_exact_dim else 16
    log_j = _log_jacobian_norms(m64, z1, n_steps, probes=probes, seed=rng)

    # rows are independent: a forward pass per group of rows keeps each backward pass to its own group, so
    # the cost grows linearly (not quadratically) with the number of windows; the numbers are the same
    group = 8
    log_g = np.concatenate([_log_loss_gradient_norms(m64, z[i:i + group], x_target[i:i + group], loss_steps)
                            for i in range(0, z.shape[0], group)], axis=0)

    steps = np.arange(1, n_steps + 1)
    sel = steps >= fit_start
    rate_j = fit_rate(steps[sel], np.nanmean(log_j[:, sel], axis=0))
    lsel = loss_steps >= fit_start
    rate_g = mean_row_rate(loss_steps[lsel], log_g[:, lsel]) if lsel.sum() >= 2 else math.nan
    return GradientGrowth(steps=steps, log_jacobian_norm=log_j, loss_steps=loss_steps,
                          log_loss_gradient_norm=log_g, jacobian_growth_rate=rate_j,
                          loss_gradient_growth_rate=rate_g, fit_start=fit_start, n_windows=n_windows)
