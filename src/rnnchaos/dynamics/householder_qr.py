"""Re-orthonormalisation of batched tangent frames by Householder QR (LAPACK ``geqrf`` + ``orgqr`` through torch).

Algorithm: Householder QR (Golub & Van Loan, *Matrix Computations*, 4th ed. 2013, §5.2), blocked in
LAPACK: ``?geqrf`` factors ``W = Q R`` keeping ``Q`` as reflectors (``torch.geqrf``), ``?orgqr`` forms the
``k`` columns of ``Q`` (``torch.linalg.householder_product``). Only ``Q`` and ``log |diag R|`` are returned,
which is all the tangent-space QR method needs; the signs of ``R``'s diagonal do not matter there, so no sign
normalisation is done. Backward stable: the computed ``log |r_ii|`` of a frame of condition number ``κ`` are
accurate to about ``eps κ`` relative.

Chosen by measurement (one thread, CPU time, benchmarks/bench_rnn_spectrum.py): on the 256 x 256 frame torch's
LAPACK (MKL in the x86 wheels) takes about 1.4 ms for ``geqrf`` and 1.4 ms for ``orgqr``, against 2.3 and 2.4 ms
for SciPy's (OpenBLAS) ``dgeqrf``/``dorgqr``, 3.4 ms for ``torch.linalg.qr`` (it also forms ``R``) and more
for Cholesky-QR2 (Fukaya et al. 2014, which also needs ``κ < 1e8``, so shorter intervals).

The returned ``Q`` is column-major in each batch entry (LAPACK's layout; no copy): a NumPy view with strides
``(N k, 1, N)`` times the item size. Cost: ``4 N k^2 - 4 k^3 / 3`` flops per frame, O(N k) memory.

For a full frame (``k = N``) the tangent step after a QR needs only ``J Q``, and a map that can form its
Jacobian ``J`` cheaply gets it without ``Q`` ever being formed: :func:`householder_factor` keeps ``Q`` as its
reflectors (:class:`HouseholderFrame`) and ``J Q`` is LAPACK's ``?ormqr`` applied to ``J`` from the right
(``2 N^3`` flops, against ``4 N^3 / 3`` for ``?orgqr`` plus ``2 N^3`` for the product).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

try:  # torch's LAPACK is the faster one; without the torch extra, SciPy's (the NumPy parts must not need torch)
    import torch
except ImportError:  # pragma: no cover - exercised by the packaging test without torch
    torch = None  # type: ignore[assignment]

__all__ = ["HouseholderFrame", "householder_factor", "householder_qr"]


def householder_qr(w: NDArray[np.floating]) -> tuple[NDArray[np.floating], NDArray[np.float64]]:
    """``Q`` (B, N, k) and ``log |diag R|`` (B, k), float64, of the QR decompositions of frames ``w`` (B, N, k).

    ``w`` must be finite with ``k <= N``; float32 frames are factored in float32, anything else in float64.
    ``Q`` has the dtype of the factorisation and column-major batch entries. A zero diagonal entry gives ``-inf``.
    """
    dtype = np.float32 if w.dtype == np.float32 else np.float64
    if w.ndim != 3 or w.shape[2] > w.shape[1]:
        raise ValueError(f"frames must have shape (B, N, k) with k <= N, got {w.shape}")
    if torch is None:
        return _householder_qr_scipy(np.asarray(w, dtype=dtype))
    a, tau = torch.geqrf(torch.from_numpy(np.asarray(w, dtype=dtype)))
    with np.errstate(divide="ignore"):
        logs = np.log(np.abs(torch.diagonal(a, dim1=-2, dim2=-1).numpy().astype(np.float64)))
    return torch.linalg.householder_product(a, tau).numpy(), logs


def _householder_qr_scipy(w: NDArray[np.floating]) -> tuple[NDArray[np.floating], NDArray[np.float64]]:
    """The same with SciPy's LAPACK ``?geqrf`` + ``?orgqr``, one frame at a time (used without torch)."""
    from scipy.linalg import lapack

    geqrf, orgqr = lapack.get_lapack_funcs(("geqrf", "orgqr"), (w,))
    q = np.empty_like(w)
    logs = np.empty((w.shape[0], w.shape[2]), dtype=np.float64)
    for b in range(w.shape[0]):
        a, tau, _, _ = geqrf(w[b])
        with np.errstate(divide="ignore"):
            logs[b] = np.log(np.abs(np.diagonal(a).astype(np.float64)))
        q[b] = orgqr(a, tau)[0]
    return q, logs


class HouseholderFrame:
    """Orthonormal frames ``Q`` (B, N, N) kept as LAPACK's Householder reflectors (``geqrf``'s ``a`` and ``tau``,
    float64 or float32 NumPy arrays), not formed. ``explicit()`` forms them (``?orgqr``); ``times(j)`` returns
    ``j Q`` for matrices ``j`` (B, M, N) (``?ormqr`` from the right), what a tangent step needs."""

    __slots__ = ("a", "tau")

    def __init__(self, a: NDArray[np.floating], tau: NDArray[np.floating]) -> None:
        self.a, self.tau = a, tau

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.a.shape)

    def __getitem__(self, rows: int | slice | NDArray[np.integer] | NDArray[np.bool_]) -> HouseholderFrame:
        return HouseholderFrame(self.a[rows], self.tau[rows])

    def explicit(self) -> NDArray[np.floating]:
        return torch.linalg.householder_product(torch.from_numpy(self.a), torch.from_numpy(self.tau)).numpy()

    def times(self, j: torch.Tensor) -> torch.Tensor:
        """``j @ Q`` for ``j`` a (B, M, N) tensor of the frames' dtype."""
        return torch.ormqr(torch.from_numpy(self.a), torch.from_numpy(self.tau), j, left=False)


def householder_factor(w: NDArray[np.floating]) -> tuple[HouseholderFrame, NDArray[np.float64]]:
    """The QR of full frames ``w`` (B, N, N) as :func:`householder_qr`, with ``Q`` kept as reflectors
    (:class:`HouseholderFrame`): ``geqrf`` only. Needs torch."""
    dtype = np.float32 if w.dtype == np.float32 else np.float64
    if w.ndim != 3 or w.shape[2] != w.shape[1]:
        raise ValueError(f"full frames must have shape (B, N, N), got {w.shape}")
    if torch is None:  # pragma: no cover - the engine uses this path only with torch
        raise RuntimeError("householder_factor needs torch (pip install 'rnnchaos[torch]')")
    a, tau = torch.geqrf(torch.from_numpy(np.asarray(w, dtype=dtype)))
    with np.errstate(divide="ignore"):
        logs = np.log(np.abs(torch.diagonal(a, dim1=-2, dim2=-1).numpy().astype(np.float64)))
    return HouseholderFrame(a.numpy(), tau.numpy()), logs
