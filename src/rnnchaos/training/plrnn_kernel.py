"""Fused forward and hand-written backward pass of a forced PLRNN on a batch of sequences.

The PLRNN (Durstewitz 2017; Koppe et al. 2019) is the latent map

    z_{t+1} = A ⊙ z_t + W · relu(z_t) + h,   A diagonal (stored as a vector), W with zero diagonal,

observed through a linear map x̂_t = B z_t with pseudo-inverse P = B⁺ (the identity observation on the
first N units is B = [I 0], P = Bᵀ, with B fixed; an affine one x̂_t = B z_t + b is the linear one on the
data x_t − b, and the kernel returns the gradient of the loss with respect to b).  The almost-linear RNN
(ALRNN, Brenner et al., NeurIPS 2024) is the same map with the ReLU skipped on its first M − P units
(:func:`almost_linear_loss_and_grad` with ``linear_units = M − P``).  Every training method of this package for that
model is one schedule of *state mixing* applied after the loss at step t is taken:

    z'_t = z_t + m_obs[t] · P (x_t − B z_t)     (data-inferred state closest to z_t; identity: the
                                                  observed units move towards x_t, the others are kept)
    z'_t = P x_t                      where reset[t] (windowing: the whole state is data-inferred)
    and if cut[t] (always where reset[t]), no gradient flows from z'_t back into z_t.

Sparse teacher forcing (Mikhaeil, Monfared & Durstewitz, NeurIPS 2022) is m_obs = 1 every τ steps;
generalized teacher forcing (Hess et al., ICML 2023) is m_obs = α at every step; windowing is a
reset every τ steps; truncated BPTT is cut every τ steps; plain BPTT is no mixing at all.

The loss is the mean squared error of x̂_t against x_t over the batch, the steps t = 1 … T−1 and the N
observed dimensions.  The state at t = 0 is inferred from the data: z_0 = P x_0.  The gradient with respect to B is returned
in two parts, the direct one and the one with respect to P, which the caller chains through
P = pinv(B) (a tiny autograd graph), so that the result equals autograd through the whole run.

Cost: forward and backward are each one (B × M)·(M × M) product (BLAS) and O(B·M·N) loops per time step
inside a single compiled (numba) function, plus one (M × T·B)·(T·B × M) product for the gradient of W,
i.e. O(T·B·M²) with no per-step Python or autograd overhead.  All arrays are float32 (training precision).
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

F32 = NDArray[np.float32]


@numba.njit(cache=True)
def _forward_backward(X: Any, A: Any, W: Any, h: Any, Bm: Any, P: Any, m_obs: Any, reset: Any, cut: Any,
                      Wt: Any, need_grad: bool, n_linear: int, signal_grad: bool = True) -> Any:  # pragma: no cover - compiled
    nb, T, N = X.shape
    M = A.shape[0]
    WT = np.ascontiguousarray(W.T)
    Zpre = np.empty((T, nb, M), dtype=np.float32)  # z_t before mixing
    Zp = np.empty((T, nb, M), dtype=np.float32)    # z'_t after mixing
    Rp = np.empty((T, nb, M), dtype=np.float32)    # Φ(z'_t): relu, identity on the first n_linear units
    E = np.zeros((T, nb, N), dtype=np.float32)     # errors B z_t - x_t
    scale = np.float32(1.0 / (nb * (T - 1) * N))
    loss = 0.0
    for b in range(nb):
        for i in range(M):
            v = np.float32(0.0)
            for j in range(N):
                v += P[i, j] * X[b, 0, j]
            Zpre[0, b, i] = v
            Zp[0, b, i] = v
            Rp[0, b, i] = v if (v > 0 or i < n_linear) else np.float32(0.0)
    for t in range(1, T):
        Z = np.dot(Rp[t - 1], WT)
        mo = m_obs[t]
        for b in range(nb):
            for i in range(M):
                Zpre[t, b, i] = A[i] * Zp[t - 1, b, i] + Z[b, i] + h[i]
            for j in range(N):
                e = -X[b, t, j]
                for i in range(M):
                    e += Bm[j, i] * Zpre[t, b, i]
                E[t, b, j] = e
                loss += Wt[b, t] * e * e
            for i in range(M):
                if reset[t]:
                    v = np.float32(0.0)
                    for j in range(N):
                        v += P[i, j] * X[b, t, j]
                else:
                    v = Zpre[t, b, i]
                    if mo != 0:
                        for j in range(N):
                            v -= mo * P[i, j] * E[t, b, j]
                Zp[t, b, i] = v
                Rp[t, b, i] = v if (v > 0 or i < n_linear) else np.float32(0.0)
    loss = loss * float(scale)
    gA = np.zeros(M, dtype=np.float32)
    gh = np.zeros(M, dtype=np.float32)
    gW = np.zeros((M, M), dtype=np.float32)
    gB = np.zeros((N, M), dtype=np.float32)
    gP = np.zeros((M, N), dtype=np.float32)
    gX = np.zeros(N, dtype=np.float32)  # Σ over batch and steps of dL/dx_t (gives the affine offset's gradient)
    if not need_grad:
        return loss, gA, gW, gh, gB, gP, gX
    two_scale = np.float32(2.0) * scale
    G = np.zeros((T, nb, M), dtype=np.float32)  # dL/dz_t (before mixing)
    gpost = np.zeros((nb, M), dtype=np.float32)  # dL/dz'_t
    Q = np.empty(N, dtype=np.float32)
    for t in range(T - 1, 0, -1):
        mo = m_obs[t]
        keep = not (cut[t] or reset[t])
        for b in range(nb):
            for j in range(N):
                q = two_scale * Wt[b, t] * E[t, b, j]
                q_par = q  # the part of q that reaches the observation parameters (B, b, P)
                if keep and mo != 0:
                    u = np.float32(0.0)
                    for i in range(M):
                        u += P[i, j] * gpost[b, i]
                    q -= mo * u
                    if signal_grad:
                        q_par = q
                        for i in range(M):
                            gP[i, j] -= mo * gpost[b, i] * E[t, b, j]
                Q[j] = q
                gX[j] -= q_par
                for i in range(M):
                    gB[j, i] += q_par * Zpre[t, b, i]
            for i in range(M):
                g = gpost[b, i] if keep else np.float32(0.0)
                for j in range(N):
                    g += Q[j] * Bm[j, i]
                G[t, b, i] = g
        # dL/dz'_{t-1} = A ⊙ g + (g · W) ⊙ Φ'(z'_{t-1})
        Pg = np.dot(G[t], W)
        for b in range(nb):
            for i in range(M):
                d = A[i] * G[t, b, i]
                if Zp[t - 1, b, i] > 0 or i < n_linear:
                    d += Pg[b, i]
                gpost[b, i] = d
    # z'_0 = P x_0: its gradient reaches P
    for b in range(nb):
        for i in range(M):
            for j in range(N):
                gP[i, j] += gpost[b, i] * X[b, 0, j]
                gX[j] += P[i, j] * gpost[b, i]
    Gf = G[1:].reshape(((T - 1) * nb, M))
    Zf = Zp[:T - 1].reshape(((T - 1) * nb, M))
    Rf = Rp[:T - 1].reshape(((T - 1) * nb, M))
    gW = np.dot(Gf.T, Rf)
    for i in range(M):
        gW[i, i] = 0.0
        sa = np.float32(0.0)
        sh = np.float32(0.0)
        for r in range(Gf.shape[0]):
            sa += Gf[r, i] * Zf[r, i]
            sh += Gf[r, i]
        gA[i] = sa
        gh[i] = sh
    return loss, gA, gW, gh, gB, gP, gX


def identity_observation(obs_dim: int, latent_dim: int) -> tuple[F32, F32]:
    """``(B, P)`` of the identity observation on the first N units: ``B = [I 0]`` (N, M), ``P = Bᵀ``."""
    Bm = np.zeros((obs_dim, latent_dim), dtype=np.float32)
    Bm[np.arange(obs_dim), np.arange(obs_dim)] = 1.0
    return Bm, np.ascontiguousarray(Bm.T)


def _check_shapes(X: F32, M: int, Bm: F32, P: F32, m_obs: F32, reset: NDArray[np.bool_],
                  cut: NDArray[np.bool_], b: F32 | None) -> tuple[int, int, int]:
    """Shared argument checks of the fused kernels: ``X`` (B, T, N), ``Bm`` (N, M), ``P`` (M, N), masks (T,)."""
    if X.ndim != 3:
        raise ValueError(f"X must have shape (B, T, N), got {X.shape}")
    nb, T, N = X.shape
    if T < 2:
        raise ValueError(f"sequences need at least 2 steps, got T={T}")
    if Bm.shape != (N, M) or P.shape != (M, N):
        raise ValueError(f"B must be ({N}, {M}) and P ({M}, {N}), got {Bm.shape} and {P.shape}")
    if b is not None and np.shape(b) != (N,):
        raise ValueError(f"the observation offset b must have shape ({N},), got {np.shape(b)}")
    for name, arr in (("m_obs", m_obs), ("reset", reset), ("cut", cut)):
        if arr.shape != (T,):
            raise ValueError(f"{name} must have shape (T,) = ({T},), got {arr.shape}")
    return nb, T, N


def step_weights(weights: F32 | None, nb: int, T: int) -> F32:
    """The per-step loss weights of a batch as a C-ordered float32 (B, T) array: ones for None (the plain mean
    squared error); entry [:, 0] is unused (no loss at the first step)."""
    if weights is None:
        return np.ones((nb, T), dtype=np.float32)
    w = np.ascontiguousarray(weights, dtype=np.float32)
    if w.shape != (nb, T):
        raise ValueError(f"loss weights must have shape (B, T) = ({nb}, {T}), got {w.shape}")
    if not (np.isfinite(w).all() and (w >= 0).all()):
        raise ValueError("loss weights must be finite and >= 0")
    return w


def shifted_data(X: F32, b: F32 | None) -> F32:
    """``X − b`` in float32 (C order): an affine observation ``x = B z + b`` is the linear one on ``x − b``."""
    X = np.ascontiguousarray(X, dtype=np.float32)
    if b is None:
        return X
    if X.ndim != 3 or np.shape(b) != (X.shape[2],):
        raise ValueError(f"the observation offset b must have shape (N,) for X (B, T, N), got b {np.shape(b)} "
                         f"and X {X.shape}")
    return np.ascontiguousarray(X - np.asarray(b, dtype=np.float32), dtype=np.float32)


def almost_linear_loss_and_grad(X: F32, A: F32, W: F32, h: F32, Bm: F32, P: F32, m_obs: F32,
                                reset: NDArray[np.bool_], cut: NDArray[np.bool_], need_grad: bool = True, *,
                                linear_units: int = 0, b: F32 | None = None, signal_grad: bool = True,
                                weights: F32 | None = None) -> tuple[float, F32, F32, F32, F32, F32, F32]:
    """Loss and exact gradients of a forced PLRNN whose first ``linear_units`` units skip the ReLU.

    ``linear_units = 0`` is the PLRNN; ``linear_units = M − P`` is the almost-linear RNN (ALRNN) of
    Brenner et al. (NeurIPS 2024), ``z ← A ⊙ z + W Φ*(z) + h`` with the ReLU on the last P units only.
    ``b`` (N,): the offset of an affine observation ``x = B z + b`` (forcing through ``P (x − b)``);
    None for a linear or identity observation.  ``signal_grad=False``: no gradient reaches B, b or P through
    the forcing signal of the mixing (it is treated as a constant, as in Hess et al.'s GTF code; the gradient
    through z_t and the one through z_0 = P x_0 are kept).  ``weights`` (B, T): per-step weights w of the
    squared error, loss = Σ w_bt ‖e_bt‖² / (B (T − 1) N) (None: all 1, the plain mean squared error;
    :mod:`rnnchaos.training.loss_weights`).  Arguments otherwise as :func:`plrnn_loss_and_grad`.

    Returns ``(loss, dA, dW, dh, dB_direct, dP, db)`` (``db`` is zero when ``b`` is None).
    Cost: as the PLRNN kernel, O(T·B·M²).
    """
    Xs = shifted_data(X, b)
    M = A.shape[0]
    _check_shapes(Xs, M, Bm, P, m_obs, reset, cut, b)
    if W.shape != (M, M) or h.shape != (M,):
        raise ValueError(f"W must be ({M}, {M}) and h ({M},), got {W.shape} and {h.shape}")
    if isinstance(linear_units, bool) or not 0 <= int(linear_units) <= M:
        raise ValueError(f"linear_units must be an integer in [0, M={M}], got {linear_units!r}")
    f32 = np.float32
    Wt = step_weights(weights, Xs.shape[0], Xs.shape[1])
    loss, gA, gW, gh, gB, gP, gX = _forward_backward(
        Xs, np.ascontiguousarray(A, dtype=f32), np.ascontiguousarray(W, dtype=f32),
        np.ascontiguousarray(h, dtype=f32), np.ascontiguousarray(Bm, dtype=f32),
        np.ascontiguousarray(P, dtype=f32), np.ascontiguousarray(m_obs, dtype=f32),
        np.ascontiguousarray(reset, dtype=np.bool_), np.ascontiguousarray(cut, dtype=np.bool_), Wt, need_grad,
        int(linear_units), bool(signal_grad))
    return float(loss), gA, gW, gh, gB, gP, -gX


def plrnn_loss_and_grad(X: F32, A: F32, W: F32, h: F32, Bm: F32, P: F32, m_obs: F32,
                        reset: NDArray[np.bool_], cut: NDArray[np.bool_], need_grad: bool = True
                        ) -> tuple[float, F32, F32, F32, F32, F32]:
    """Loss and exact gradients of the forced PLRNN on a batch (see the module docstring).

    Parameters
    ----------
    X : (B, T, N) float32 batch of standardised data sequences.
    A : (M,) diagonal; W : (M, M) (its diagonal is ignored and gets zero gradient); h : (M,) bias.
    Bm : (N, M) observation matrix; P : (M, N) its pseudo-inverse.
    m_obs : (T,) float32 forcing weights per step (entry 0 is unused: z_0 = P x_0).
    reset, cut : (T,) bool; reset: z'_t = P x_t (implies a cut); cut: gradient stopped after step t.

    Returns ``(loss, dA, dW, dh, dB_direct, dP)``; the mean-squared-error loss is a Python float.
    (:func:`almost_linear_loss_and_grad` adds linear units and an affine observation offset.)
    """
    loss, gA, gW, gh, gB, gP, _ = almost_linear_loss_and_grad(X, A, W, h, Bm, P, m_obs, reset, cut, need_grad)
    return loss, gA, gW, gh, gB, gP
