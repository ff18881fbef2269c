"""Delay-coordinate embedding of a measured series and the standard criteria for its parameters.

* :func:`delay_embed` -- Takens (1981) delay vectors ``[x(t), x(t+lag), ..., x(t+(dim-1) lag)]``.
* :func:`mutual_information` / :func:`mutual_information_lag` -- the lag at the first minimum of the
  time-delayed mutual information (Fraser & Swinney 1986, Phys. Rev. A 33, 1134), estimated with an
  equiprobable (rank) histogram instead of their adaptive partition.
* :func:`false_nearest_neighbours` / :func:`fnn_dimension` -- the fraction of false nearest neighbours
  (Kennel, Brown & Abarbanel 1992, Phys. Rev. A 45, 3403) and the smallest dimension where it vanishes.
* :func:`nearest_neighbours` -- k nearest neighbours outside a Theiler (1986) window through a
  ``scipy.spatial.cKDTree`` (never an n x n distance matrix).

Shapes: a series is ``(T,)`` or ``(T, N)``; an embedding has shape ``(T - (dim-1) lag, dim N)`` with the
columns ordered by delay, then by variable: ``[x_1(t)..x_N(t), x_1(t+lag)..x_N(t+lag), ...]``.
All lags and windows are in samples (steps).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from rnnchaos._util.rng import SeedLike, as_generator
from rnnchaos._util.validation import as_trajectory, positive_int

__all__ = [
    "delay_embed",
    "false_nearest_neighbours",
    "fnn_dimension",
    "mutual_information",
    "mutual_information_lag",
    "nearest_neighbours",
    "required_length",
]


def required_length(dim: int, lag: int, min_vectors: int = 1) -> int:
    """Samples needed for ``min_vectors`` delay vectors of dimension ``dim`` at ``lag``: (dim-1) lag + min_vectors."""
    return (dim - 1) * lag + min_vectors


def _series(x: Any, name: str = "series") -> NDArray[np.float64]:
    return as_trajectory(x, name=name, min_length=2)


def delay_embed(x: Any, dim: int, lag: int, *, min_vectors: int = 1) -> NDArray[np.float64]:
    """Delay-coordinate embedding (Takens 1981).

    Parameters
    ----------
    x: series of shape (T,) or (T, N).
    dim: number of delays (embedding dimension per variable), >= 1.
    lag: delay in samples, >= 1.
    min_vectors: raise unless at least this many delay vectors result.

    Returns
    -------
    ndarray (T - (dim-1) lag, dim N), float64; row t is ``[x(t), x(t+lag), ..., x(t+(dim-1) lag)]``.
    Cost: O(T dim N) memory and time (one copy).
    """
    arr = _series(x)
    dim = positive_int(dim, "embedding dimension")
    lag = positive_int(lag, "lag")
    T, _ = arr.shape
    need = required_length(dim, lag, min_vectors)
    if T < need:
        raise ValueError(f"series has {T} samples, too short for embedding dimension {dim} at lag {lag}: "
                         f"at least {need} samples are needed ((dim-1)*lag + {min_vectors})")
    M = T - (dim - 1) * lag
    return np.ascontiguousarray(np.concatenate([arr[k * lag: k * lag + M] for k in range(dim)], axis=1))


def _rank_bins(col: NDArray[np.float64], n_bins: int) -> NDArray[np.intp]:
    """Equiprobable bin index (0..n_bins-1) of every sample, from its rank."""
    ranks = np.empty(col.size, dtype=np.intp)
    ranks[np.argsort(col, kind="stable")] = np.arange(col.size)
    return (ranks * n_bins) // col.size


def _mi_setup(x: Any, n_bins: int | None) -> tuple[list[NDArray[np.intp]], int, int]:
    arr = _series(x)
    T = arr.shape[0]
    if n_bins is None:
        n_bins = int(np.clip(np.sqrt(T / 10.0), 8, 64))
    n_bins = positive_int(n_bins, "n_bins")
    const = np.ptp(arr, axis=0) == 0
    if const.any():
        raise ValueError(f"column(s) {np.nonzero(const)[0].tolist()} of the series are constant; "
                         "mutual information needs a varying signal")
    return [_rank_bins(arr[:, j], n_bins) for j in range(arr.shape[1])], T, n_bins


def _mi_at(bins: list[NDArray[np.intp]], T: int, n_bins: int, lags: range) -> NDArray[np.float64]:
    """Plug-in MI (nats) of the binned columns at each lag in ``lags``, averaged over columns."""
    out = np.zeros(len(lags))
    for b in bins:
        for n, lag in enumerate(lags):
            joint = np.bincount(b[: T - lag] * n_bins + b[lag:], minlength=n_bins * n_bins).astype(np.float64)
            joint /= joint.sum()
            square = joint.reshape(n_bins, n_bins)
            outer = np.outer(square.sum(1), square.sum(0)).ravel()
            nz = joint > 0
            out[n] += float(np.sum(joint[nz] * np.log(joint[nz] / outer[nz])))
    return out / len(bins)


def mutual_information(x: Any, max_lag: int, *, n_bins: int | None = None) -> NDArray[np.float64]:
    """Time-delayed mutual information I(lag), lag = 0..max_lag, in nats (Fraser & Swinney 1986).

    Each variable is binned into ``n_bins`` equiprobable bins (default ``clip(sqrt(T/10), 8, 64)``);
    for a multivariate series (T, N) the curves of the N variables are averaged.
    Cost: O(N (T log T + max_lag (T + n_bins^2))).
    """
    bins, T, n_bins = _mi_setup(x, n_bins)
    max_lag = positive_int(max_lag, "max_lag")
    if max_lag > T - 2:
        raise ValueError(f"max_lag={max_lag} is too large for a series of {T} samples; use at most {T - 2}")
    return _mi_at(bins, T, n_bins, range(max_lag + 1))


def mutual_information_lag(x: Any, max_lag: int | None = None, *, n_bins: int | None = None) -> int:
    """Lag at the first local minimum of the mutual information (Fraser & Swinney 1986), in samples.

    ``max_lag`` defaults to ``min(T // 10, 500)``. If I(lag) has no local minimum up to ``max_lag`` the
    first lag where it falls below I(0)/e is used, and failing that ``max_lag``. The curve is computed
    in blocks of 32 lags and stops at the first minimum. Cost: see :func:`mutual_information`.
    """
    bins, T, n_bins = _mi_setup(x, n_bins)
    if max_lag is None:
        max_lag = max(2, min(T // 10, 500))
    max_lag = positive_int(max_lag, "max_lag")
    if max_lag > T - 2:
        raise ValueError(f"max_lag={max_lag} is too large for a series of {T} samples; use at most {T - 2}")
    mi = np.zeros(0)
    checked = 1
    while mi.size < max_lag + 1:
        stop = min(max_lag + 1, mi.size + 32)
        mi = np.r_[mi, _mi_at(bins, T, n_bins, range(mi.size, stop))]
        for lag in range(checked, mi.size - 1):
            if mi[lag] < mi[lag - 1] and mi[lag] <= mi[lag + 1]:
                return lag
        checked = max(1, mi.size - 1)
    below = np.nonzero(mi < mi[0] / np.e)[0]
    return int(below[0]) if below.size else int(max_lag)


#: most (reference, candidate) pairs one neighbour query holds (distances and indices: 16 bytes each)
QUERY_BLOCK = 1 << 20


def nearest_neighbours(points: NDArray[np.float64], refs: NDArray[np.intp], k: int, theiler: int,
                       *, tree: Any = None) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """The ``k`` nearest neighbours of ``points[refs]`` among ``points`` with |i - ref| > ``theiler``.

    Theiler (1986) window: temporally close points are excluded because they are neighbours only
    by continuity of the trajectory. A ``cKDTree`` is queried for ``k + 8`` candidates, doubling for
    the references that have too few outside the window (at most ``k + 2 theiler + 1`` are ever needed).
    Cost: O(M log M) to build the tree plus about O(R k log M) for R references.

    The references are queried in blocks of at most ``QUERY_BLOCK`` candidates (references x candidates),
    so that memory stays bounded when the Theiler window is long (a slowly varying series needs up to
    ``2 theiler + 1`` candidates per reference); the result does not depend on the blocks.

    Returns ``(idx, dist)`` of shape (R, k), nearest first.
    """
    pts = np.asarray(points, dtype=np.float64)
    refs = np.asarray(refs, dtype=np.intp)
    M = pts.shape[0]
    if M - (2 * theiler + 1) < k:
        raise ValueError(f"only {M} points: too few for {k} neighbour(s) outside a Theiler window of "
                         f"{theiler}; at least {k + 2 * theiler + 1} are needed")
    if tree is None:
        tree = cKDTree(pts)
    R = refs.size
    out_idx = np.zeros((R, k), dtype=np.intp)
    out_d = np.zeros((R, k), dtype=np.float64)
    pending = np.arange(R)
    q = k + 8
    cap = min(M, k + 2 * theiler + 1)
    while pending.size:
        q = min(q, cap)
        step = max(1, QUERY_BLOCK // q)
        left: list[NDArray[np.intp]] = []
        for a in range(0, pending.size, step):
            sub = pending[a:a + step]
            d, i = tree.query(pts[refs[sub]], k=q)
            d = d.reshape(sub.size, q)
            i = i.reshape(sub.size, q)
            ok = (np.abs(i - refs[sub, None]) > theiler) & (i < M)
            done = ok.sum(axis=1) >= k
            if q >= cap:
                done[:] = True  # cannot happen short of k when q == cap, by the counting argument above
            if done.any():
                rows = np.nonzero(done)[0]
                order = np.argsort(~ok[rows], axis=1, kind="stable")[:, :k]
                out_idx[sub[rows]] = np.take_along_axis(i[rows], order, axis=1)
                out_d[sub[rows]] = np.take_along_axis(d[rows], order, axis=1)
            left.append(sub[~done])
        pending = np.concatenate(left)
        q *= 2
    return out_idx, out_d


def false_nearest_neighbours(x: Any, lag: int, max_dim: int = 10, *, rtol: float = 15.0, atol: float = 2.0,
                             theiler: int | None = None, n_references: int = 2000,
                             seed: SeedLike = 0, stop_below: float | None = None) -> NDArray[np.float64]:
    """Fraction of false nearest neighbours for embedding dimensions 1..max_dim (Kennel et al. 1992).

    A nearest neighbour (outside the Theiler window, default ``lag``) of a delay vector in dimension d
    is false when adding the (d+1)-th delay moves it far away: ``|Δ new coordinates| / R_d > rtol``
    (criterion 1) or ``R_{d+1} / σ > atol`` with σ the standard deviation of the series (criterion 2).
    For a multivariate (T, N) series the new coordinates are the N variables at the next delay.
    ``n_references`` delay vectors (chosen at random with ``seed``) are tested.
    Cost: O(max_dim (M log M + R log M)) with M ~ T delay vectors and R references.

    Returns an array ``f`` of length ``max_dim``; ``f[d-1]`` is the fraction for dimension d. With
    ``stop_below``, dimensions after the first one whose fraction is <= ``stop_below`` are not computed (NaN).
    """
    arr = _series(x)
    lag = positive_int(lag, "lag")
    max_dim = positive_int(max_dim, "max_dim")
    w = lag if theiler is None else int(theiler)
    T, N = arr.shape
    need = required_length(max_dim + 1, lag, 2 * w + 3)
    if T < need:
        raise ValueError(f"series has {T} samples, too short for false nearest neighbours up to dimension "
                         f"{max_dim} at lag {lag}: at least {need} are needed")
    sigma = float(np.sqrt(np.mean(np.var(arr, axis=0))))
    if sigma == 0:
        raise ValueError("series is constant; false nearest neighbours are undefined")
    rng = as_generator(seed)
    M = T - max_dim * lag  # vectors that have a (max_dim+1)-th coordinate for every d
    R = min(n_references, M)
    refs = np.sort(rng.choice(M, size=R, replace=False)).astype(np.intp)
    fractions = np.zeros(max_dim)
    for d in range(1, max_dim + 1):
        Y = delay_embed(arr[: M + (d - 1) * lag], d, lag)  # (M, d N)
        nb, dist = nearest_neighbours(Y, refs, 1, w)
        nb, dist = nb[:, 0], dist[:, 0]
        new_ref = arr[refs + d * lag]
        new_nb = arr[nb + d * lag]
        extra = np.sqrt(np.sum((new_ref - new_nb) ** 2, axis=1))
        with np.errstate(divide="ignore", invalid="ignore"):
            crit1 = np.where(dist > 0, extra / dist, np.where(extra > 0, np.inf, 0.0)) > rtol
        crit2 = np.sqrt(dist**2 + extra**2) / sigma > atol
        fractions[d - 1] = float(np.mean(crit1 | crit2))
        if stop_below is not None and fractions[d - 1] <= stop_below:
            fractions[d:] = np.nan
            break
    return fractions


def fnn_dimension(x: Any, lag: int, max_dim: int = 10, *, threshold: float = 0.01, **kwargs: Any) -> int:
    """Smallest dimension whose false-nearest-neighbour fraction is <= ``threshold`` (Kennel et al. 1992).

    When no dimension up to ``max_dim`` reaches it (noise never does), the dimension at which the
    fraction first stops falling by more than ``threshold`` is returned. ``kwargs`` go to
    :func:`false_nearest_neighbours`.
    """
    f = false_nearest_neighbours(x, lag, max_dim, stop_below=threshold, **kwargs)
    hit = np.nonzero(f <= threshold)[0]
    if hit.size:
        return int(hit[0]) + 1
    drops = f[:-1] - f[1:]
    flat = np.nonzero(drops <= threshold)[0]
    return int(flat[0]) + 1 if flat.size else int(max_dim)
