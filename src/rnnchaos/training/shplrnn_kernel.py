"""Fused forward and hand-written backward pass of a forced shallow PLRNN (shPLRNN) on a batch of sequences.

The shPLRNN of Hess, Monfared, Brenner & Durstewitz (ICML 2023, "Generalized teacher forcing") is

    z_{t+1} = A ⊙ z_t + W1 φ(W2 z_t + h2) + h1,   W1: (M, L), W2: (L, M),
    φ(v) = relu(v)                      (plain)   or   relu(W2 z + h2) − relu(W2 z)   (clipped, bounded),

observed through x̂_t = B z_t (+ b) with pseudo-inverse P = B⁺.  Forcing is the state mixing of
:mod:`rnnchaos.training.plrnn_kernel` (m_obs / reset / cut after the loss at step t; z_0 = P x_0), so every
training method of :mod:`rnnchaos.training.forcing` is one call.  An affine observation x = B z + b is the
linear one on the data x − b; the gradient with respect to b is returned.  The gradient with respect to B
comes in two parts, direct and through P, which the caller chains through P = pinv(B) by autograd.

Backward: with g_t = dL/dz_t, c = (g_t W1) (1 × L), the hidden derivative d = [v > 0] − [u > 0] (clipped)
or [v > 0] (u = W2 z', v = u + h2), dL/dz'_{t−1} = A ⊙ g_t + (c ⊙ d) W2; dW1 = Σ g φᵀ, dW2 = Σ (c ⊙ d) z'ᵀ,
dh2 = Σ c ⊙ [v > 0], dA = Σ g ⊙ z', dh1 = Σ g.

Cost: O(T·B·M·L) multiply-adds, all inside one compiled (numba) function with no per-step Python, BLAS or
autograd overhead.  The (B × M)·(M × L)-sized products of each step are hand loops along the L hidden units,
four rows of W1 / W2ᵀ per pass (BLAS on an inner dimension of M = 5 pays call overhead and moves more
memory than it computes); L is padded with zeros to a multiple of 64 so that the vectorised loops have no
scalar tails; dW1 and dW2 are accumulated in one pass over the stored rows after the backward loop.  About
1.7–1.9 ms (CPU) for B = 16, T = 200, M = 5, L = 250 on one core, against 2.4–2.8 ms with per-step BLAS
calls and axpys (``/tmp`` micro-benchmark, machine under load; docs/training.md, "The GTF line").  Memory:
three (T, B, L) and four (T, B, M or N) float32 work arrays, reused across calls of one thread.  float32
throughout.
"""

from __future__ import annotations

import threading
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from rnnchaos.training.plrnn_kernel import _check_shapes, shifted_data, step_weights

F32 = NDArray[np.float32]

_WORK = threading.local()


def _work_arrays(T: int, nb: int, M: int, N: int, L: int) -> tuple[F32, ...]:
    """The kernel's float32 work arrays U, H, D (T, B, L), Zpre, Zp (T, B, M), E (T, B, N) and G (T, B, M),
    kept per thread and reused while the shapes stay the same.

    Fresh multi-megabyte arrays on every call cost page faults (they come from and go back to the OS):
    at T = 200, B = 16, L = 250 that was more than half of the kernel's time."""
    shapes = ((T, nb, L),) * 3 + ((T, nb, M),) * 2 + ((T, nb, N), (T, nb, M))
    work = getattr(_WORK, "arrays", None)
    if work is None or tuple(w.shape for w in work) != shapes:
        work = tuple(np.empty(s, dtype=np.float32) for s in shapes)
        _WORK.arrays = work
    return work


# Reassociation lets LLVM vectorise the length-L reductions (float32 summation order only); NaN and inf
# semantics are kept (no 'nnan' / 'ninf'), so a diverging model still reports a NaN loss.
_FASTMATH = {"reassoc", "contract", "nsz"}
# The hidden width is padded with zeros (zero weights and bias: φ = 0 and no gradient there) to a multiple of
# 64 floats, four 16-wide vectors, the stride of LLVM's vectorised and interleaved loops: L = 250 otherwise
# leaves a scalar tail of 58 iterations in each of the ~20 length-L loops per step and sequence.
_STRIDE = 64


@numba.njit(cache=True, fastmath=_FASTMATH, inline="always")
def _combine_rows(out: Any, c: Any, W: Any) -> None:  # pragma: no cover - compiled
    """out = Σ_i c_i W[i] for W (M, L), in passes of up to four rows: one load and store of ``out`` per pass
    where the row-by-row axpys did one per row."""
    M, L = W.shape
    n0 = M % 4
    if n0 == 0:
        n0 = 4
    if n0 == 1:
        a0 = c[0]
        for k in range(L):
            out[k] = a0 * W[0, k]
    elif n0 == 2:
        a0, a1 = c[0], c[1]
        for k in range(L):
            out[k] = a0 * W[0, k] + a1 * W[1, k]
    elif n0 == 3:
        a0, a1, a2 = c[0], c[1], c[2]
        for k in range(L):
            out[k] = a0 * W[0, k] + a1 * W[1, k] + a2 * W[2, k]
    else:
        a0, a1, a2, a3 = c[0], c[1], c[2], c[3]
        for k in range(L):
            out[k] = a0 * W[0, k] + a1 * W[1, k] + a2 * W[2, k] + a3 * W[3, k]
    for i in range(n0, M, 4):
        a0, a1, a2, a3 = c[i], c[i + 1], c[i + 2], c[i + 3]
        for k in range(L):
            out[k] += a0 * W[i, k] + a1 * W[i + 1, k] + a2 * W[i + 2, k] + a3 * W[i + 3, k]


@numba.njit(cache=True, fastmath=_FASTMATH, inline="always")
def _row_dots(out: Any, W: Any, v: Any) -> None:  # pragma: no cover - compiled
    """out_i = W[i] · v for the M rows of W (M, L), four rows per pass over ``v``."""
    M, L = W.shape
    zero = np.float32(0.0)
    m4 = M - M % 4
    for i in range(0, m4, 4):
        s0 = s1 = s2 = s3 = zero
        for k in range(L):
            x = v[k]
            s0 += W[i, k] * x
            s1 += W[i + 1, k] * x
            s2 += W[i + 2, k] * x
            s3 += W[i + 3, k] * x
        out[i], out[i + 1], out[i + 2], out[i + 3] = s0, s1, s2, s3
    for i in range(m4, M):
        s = zero
        for k in range(L):
            s += W[i, k] * v[k]
        out[i] = s


@numba.njit(cache=True, fastmath=_FASTMATH)
def _forward_backward(X: Any, A: Any, W1: Any, W2T: Any, h1: Any, h2: Any, Bm: Any, P: Any, m_obs: Any,
                      reset: Any, cut: Any, Wt: Any, clipped: bool, need_grad: bool, U: Any, H: Any,
                      D: Any, Zpre: Any, Zp: Any, E: Any, G: Any,
                      signal_grad: bool = True) -> Any:  # pragma: no cover - compiled
    nb, T, N = X.shape
    M = A.shape[0]
    L = h2.shape[0]
    # W1, W2ᵀ: (M, L), h2: (L,), L padded with zeros to a multiple of the vector loops' stride (no scalar tails)
    # work arrays of the caller, every entry read is written first: U = W2 z'_t, H = φ(W2 z'_t + h2),
    # D = dL/d(W2 z'_t): (T, nb, L); Zpre = z_t before mixing, Zp = z'_t after: (T, nb, M); E = B z_t − x_t:
    # (T, nb, N); G = dL/dz_t: (T, nb, M)
    scale = np.float32(1.0 / (nb * (T - 1) * N))
    zero = np.float32(0.0)
    loss = 0.0
    tmp = np.empty(M, dtype=np.float32)
    for b in range(nb):
        for i in range(M):
            v = zero
            for j in range(N):
                v += P[i, j] * X[b, 0, j]
            Zpre[0, b, i] = v
            Zp[0, b, i] = v
    for t in range(1, T):
        mo = m_obs[t]
        for b in range(nb):
            zr = Zp[t - 1, b]
            ur = U[t - 1, b]
            hr = H[t - 1, b]
            # u = W2 z', then φ, branch-free (max, no jumps on random signs), then W1 φ
            _combine_rows(ur, zr, W2T)
            if clipped:
                for k in range(L):
                    hr[k] = max(ur[k] + h2[k], zero) - max(ur[k], zero)
            else:
                for k in range(L):
                    hr[k] = max(ur[k] + h2[k], zero)
            _row_dots(tmp, W1, hr)
            for i in range(M):
                Zpre[t, b, i] = A[i] * zr[i] + tmp[i] + h1[i]
            for j in range(N):
                e = -X[b, t, j]
                for i in range(M):
                    e += Bm[j, i] * Zpre[t, b, i]
                E[t, b, j] = e
                loss += Wt[b, t] * e * e
            for i in range(M):
                if reset[t]:
                    v = zero
                    for j in range(N):
                        v += P[i, j] * X[b, t, j]
                else:
                    v = Zpre[t, b, i]
                    if mo != 0:
                        for j in range(N):
                            v -= mo * P[i, j] * E[t, b, j]
                Zp[t, b, i] = v
    loss = loss * float(scale)
    gA = np.zeros(M, dtype=np.float32)
    gh1 = np.zeros(M, dtype=np.float32)
    gh2 = np.zeros(L, dtype=np.float32)
    gB = np.zeros((N, M), dtype=np.float32)
    gP = np.zeros((M, N), dtype=np.float32)
    gX = np.zeros(N, dtype=np.float32)  # Σ over batch and steps of dL/dx_t (the affine offset's gradient)
    if not need_grad:
        return loss, gA, np.zeros((M, L), dtype=np.float32), np.zeros((M, L), dtype=np.float32), gh1, gh2, gB, gP, gX
    two_scale = np.float32(2.0) * scale
    gpost = np.zeros((nb, M), dtype=np.float32)  # dL/dz'_t
    Q = np.empty(N, dtype=np.float32)
    cr = np.empty(L, dtype=np.float32)
    for t in range(T - 1, 0, -1):
        mo = m_obs[t]
        keep = not (cut[t] or reset[t])
        for b in range(nb):
            for j in range(N):
                q = two_scale * Wt[b, t] * E[t, b, j]
                q_par = q  # the part of q that reaches the observation parameters (B, b, P)
                if keep and mo != 0:
                    s = zero
                    for i in range(M):
                        s += P[i, j] * gpost[b, i]
                    q -= mo * s
                    if signal_grad:
                        q_par = q
                        for i in range(M):
                            gP[i, j] -= mo * gpost[b, i] * E[t, b, j]
                Q[j] = q
                gX[j] -= q_par
                for i in range(M):
                    gB[j, i] += q_par * Zpre[t, b, i]
            gr = G[t, b]
            for i in range(M):
                g = gpost[b, i] if keep else zero
                for j in range(N):
                    g += Q[j] * Bm[j, i]
                gr[i] = g
            # c = gᵀ W1 (length L, M axpys), d = c ⊙ φ'(u), dL/dz'_{t−1} = A ⊙ g + W2ᵀ d
            _combine_rows(cr, gr, W1)
            ur = U[t - 1, b]
            dr = D[t - 1, b]
            if clipped:  # one pass: d = c ⊙ ([v > 0] − [u > 0])
                for k in range(L):
                    cv = cr[k]
                    uv = ur[k]
                    dv = cv if uv + h2[k] > 0 else zero
                    gh2[k] += dv
                    dr[k] = dv - (cv if uv > 0 else zero)
            else:
                for k in range(L):
                    dv = cr[k] if ur[k] + h2[k] > 0 else zero
                    gh2[k] += dv
                    dr[k] = dv
            _row_dots(tmp, W2T, dr)
            for i in range(M):
                gpost[b, i] = A[i] * gr[i] + tmp[i]
    # z'_0 = P x_0: its gradient reaches P (and x_0)
    for b in range(nb):
        for i in range(M):
            for j in range(N):
                gP[i, j] += gpost[b, i] * X[b, 0, j]
                gX[j] += P[i, j] * gpost[b, i]
    # dW1 = Σ_t g_t φ_{t−1}ᵀ and dW2ᵀ = Σ_t z'_{t−1} d_{t−1}ᵀ over all (T − 1)·B rows in one pass, as axpys
    # of length L into the (M, L) accumulators held in L1 (twice as fast as numba's BLAS call for M = 5)
    R = (T - 1) * nb
    Gf = G[1:T].reshape((R, M))
    Zf = Zp[:T - 1].reshape((R, M))
    Hf = H[:T - 1].reshape((R, L))
    Df = D[:T - 1].reshape((R, L))
    gW1 = np.zeros((M, L), dtype=np.float32)
    gW2T = np.zeros((M, L), dtype=np.float32)
    for r in range(R):
        hr = Hf[r]
        dr = Df[r]
        for i in range(M):
            gi = Gf[r, i]
            zi = Zf[r, i]
            w1 = gW1[i]
            w2 = gW2T[i]
            for k in range(L):
                w1[k] += gi * hr[k]
                w2[k] += zi * dr[k]
    for i in range(M):
        sa = zero
        sh = zero
        for r in range(R):
            sa += Gf[r, i] * Zf[r, i]
            sh += Gf[r, i]
        gA[i] = sa
        gh1[i] = sh
    return loss, gA, gW1, gW2T, gh1, gh2, gB, gP, gX


def shplrnn_loss_and_grad(X: F32, A: F32, W1: F32, W2: F32, h1: F32, h2: F32, Bm: F32, P: F32, m_obs: F32,
                          reset: NDArray[np.bool_], cut: NDArray[np.bool_], need_grad: bool = True, *,
                          clipped: bool = False, b: F32 | None = None, signal_grad: bool = True,
                          weights: F32 | None = None) -> tuple[float, F32, F32, F32, F32, F32, F32, F32, F32]:
    """Loss and exact gradients of the forced shPLRNN on a batch (see the module docstring).

    Parameters
    ----------
    X : (B, T, N) float32 batch of standardised data sequences.
    A : (M,) diagonal; W1 : (M, L); W2 : (L, M); h1 : (M,); h2 : (L,).
    Bm : (N, M) observation matrix; P : (M, N) its pseudo-inverse (identity observation: ``B = [I 0]``,
        ``P = Bᵀ``, from :func:`rnnchaos.training.plrnn_kernel.identity_observation`).
    m_obs, reset, cut : (T,) forcing masks of :meth:`rnnchaos.training.forcing.ForcingSchedule.masks`.
    clipped : the clipped shPLRNN, φ = relu(W2 z + h2) − relu(W2 z).
    b : (N,) offset of an affine observation ``x = B z + b``; None for linear or identity.
    signal_grad : False treats the forcing signal P (x_t − b − B z_t) of the mixing as a constant of the
        observation parameters (no gradient reaches B, b, P through it; the gradient through z_t is kept),
        as Hess et al.'s code does (its forcing signals ẑ = B⁺x are computed outside the gradient).
    weights : (B, T) per-step weights of the squared error
        (:func:`rnnchaos.training.plrnn_kernel.almost_linear_loss_and_grad`); None: the plain mean squared error.

    Returns ``(loss, dA, dW1, dW2, dh1, dh2, dB_direct, dP, db)`` (``db`` zero when ``b`` is None);
    the mean-squared-error loss is a Python float.
    """
    Xs = shifted_data(X, b)
    M = A.shape[0]
    _check_shapes(Xs, M, Bm, P, m_obs, reset, cut, b)
    L = h2.shape[0] if h2.ndim == 1 else -1
    if W1.shape != (M, L) or W2.shape != (L, M) or h1.shape != (M,):
        raise ValueError(f"W1 must be ({M}, L), W2 (L, {M}), h1 ({M},) and h2 (L,), got {W1.shape}, "
                         f"{W2.shape}, {h1.shape} and {h2.shape}")
    f32 = np.float32
    c = np.ascontiguousarray
    Lp = -(-L // _STRIDE) * _STRIDE
    W1p = np.zeros((M, Lp), dtype=f32)
    W2Tp = np.zeros((M, Lp), dtype=f32)
    h2p = np.zeros(Lp, dtype=f32)
    W1p[:, :L] = W1
    W2Tp[:, :L] = W2.T
    h2p[:L] = h2
    Wt = step_weights(weights, Xs.shape[0], Xs.shape[1])
    U, H, D, Zpre, Zp, E, G = _work_arrays(Xs.shape[1], Xs.shape[0], M, Xs.shape[2], Lp)
    out = _forward_backward(
        Xs, c(A, dtype=f32), W1p, W2Tp, c(h1, dtype=f32), h2p,
        c(Bm, dtype=f32), c(P, dtype=f32), c(m_obs, dtype=f32), c(reset, dtype=np.bool_), c(cut, dtype=np.bool_), Wt,
        bool(clipped), need_grad, U, H, D, Zpre, Zp, E, G, bool(signal_grad))
    loss, gA, gW1, gW2T, gh1, gh2, gB, gP, gX = out
    gW1, gW2, gh2 = c(gW1[:, :L]), c(gW2T[:, :L].T), c(gh2[:L])
    return float(loss), gA, gW1, gW2, gh1, gh2, gB, gP, -gX
