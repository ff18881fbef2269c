"""Largest Lyapunov exponent of a measured time series (Rosenstein et al. 1993; Kantz 1994).

Algorithm
---------
1. **State space.** A scalar series (T,) -- or a multivariate one (T, N) with N <= 2 -- is delay-embedded
   (Takens 1981) with ``lag`` at the first minimum of the mutual information (Fraser & Swinney 1986),
   capped at a quarter of the mean period (step 2) -- which makes it 1 for maps and noise, whose
   histogram MI has no meaningful minimum -- and ``embedding_dim`` the smallest dimension without false
   nearest neighbours (Kennel et al. 1992; <= 1% false, up to ``max_dim``);
   see :mod:`rnnchaos.dynamics.embedding`. **A series with N >= 3 columns is taken as the state itself**
   (dimension 1, no delays) unless ``embedding_dim``/``lag`` are given, since such data are either a
   full state or already a delay embedding (as in the teacher-forcing benchmark files).
   The series is z-scored per column first, so that no variable dominates the distances.
2. **Theiler window** (Theiler 1986): neighbours closer in time than ``theiler`` samples are excluded.
   Default: the mean period of the series, ``ceil(1 / mean frequency)`` of the power spectrum (the rule
   of Rosenstein et al. 1993), averaged over the columns, and at least ``lag * (dim - 1)``.
3. **Neighbours** through a ``scipy.spatial.cKDTree`` (never an n x n matrix), for up to
   ``n_references`` reference points chosen at random (``seed``) among the delay vectors that have
   ``max_horizon`` successors. Rosenstein: the single nearest neighbour. Kantz: the
   ``min_neighbours`` nearest (default 4; a fixed-mass version of Kantz's epsilon-ball).
4. **Divergence curve** ``S(i)``, i = 0..max_horizon steps. Rosenstein: ``<ln ||Y_{j+i} - Y_{n(j)+i}||>_j``.
   Kantz: ``<ln <||Y_{j+i} - Y_{n+i}||>_{n in U_j}>_j``. Vectorised over references (a loop only over i).
   Default horizon: 4 mean periods (at least 20 steps), doubled -- up to a fifth of the delay vectors --
   until the curve has levelled off (it reaches the saturation level of step 5 within its first half).
5. **Scaling region**, chosen automatically: the curve is cut at its saturation (first i where it
   has climbed 75% of the way from its minimum to its maximum); among all windows [a, b] inside that
   with ``b - a >= max(4, 10% of the cut)`` steps, the least-squares line with R^2 >= 0.99 over the
   *longest* window is taken (ties within 10% of the longest: the best R^2). Without such a window the
   best-R^2 window is used and a warning is set. λ_max is its slope, **per step**; per time unit only
   through an explicit ``dt``.

``warning`` is set (and the number should not be read as evidence of chaos) when the slope is <= 0,
the best linear fit is poor (R^2 < 0.99), the curve saturates within a few steps (noise, or sampling too
coarse), or the curve rises by less than one e-fold over the scaling region (no clear exponential
divergence, e.g. white noise or a sinusoid).

Cost: O(M log M) to build the tree plus O(R (k log M + max_horizon m)) for R references,
k neighbours and m embedding coordinates; the default R <= 4000 reference points (a random subsample;
more references change Lorenz-63 estimates by about 1%) keeps a 100,000 x 3 series at about a second
(Rosenstein) on one core.

References: M. T. Rosenstein, J. J. Collins, C. J. De Luca, Physica D 65, 117 (1993);
H. Kantz, Phys. Lett. A 185, 77 (1994).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from rnnchaos._util.rng import SeedLike, as_generator
from rnnchaos._util.validation import as_trajectory, positive_float, positive_int
from rnnchaos.dynamics.embedding import (
    delay_embed,
    fnn_dimension,
    mutual_information_lag,
    nearest_neighbours,
    required_length,
)

__all__ = ["MaxLyapunovFromData", "lambda_max_from_series", "mean_period", "scaling_region"]

Method = Literal["rosenstein", "kantz"]
#: the divergence estimators ``lambda_max_from_series`` offers (Rosenstein 1993, Kantz 1994)
METHODS: tuple[str, ...] = get_args(Method)
R2_MIN = 0.99
SATURATION = 0.75
KANTZ_NEIGHBOURS = 4  # Lorenz-x: 2 -> -3%, 4 -> +5%, 8 -> +12% (initial transient weighs more with more neighbours)
_LN2 = math.log(2.0)


@dataclass(frozen=True)
class MaxLyapunovFromData:
    """Result of :func:`lambda_max_from_series`. Exponents are per step unless named ``per_time``.

    ``lag``, ``embedding_dim`` (delays per variable; 1 when the series was used as the state) and
    ``theiler`` are in samples; ``fit_range`` = (a, b) are the first and last step of the fitted scaling
    region of ``divergence`` (shape (max_horizon + 1,), natural log of distances in z-scored units);
    ``r2`` is the fit's coefficient of determination.
    """

    lambda_max: float
    lambda_max_per_time: float | None
    predictability_steps: float | None
    method: str
    lag: int
    embedding_dim: int
    theiler: int
    fit_range: tuple[int, int]
    divergence: NDArray[np.float64] = field(repr=False)
    warning: str | None
    dt: float | None = field(default=None, repr=False)
    r2: float = field(default=float("nan"), repr=False)
    #: samples of the series used (all of them), and reference points of the divergence average (a random
    #: subsample of at most ``n_references`` of the delay vectors)
    n_samples: int | None = None
    n_references: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict of the documented fields (without the divergence curve)."""
        return {
            "lambda_max": float(self.lambda_max),
            "lambda_max_per_time": None if self.lambda_max_per_time is None else float(self.lambda_max_per_time),
            "predictability_steps": None if self.predictability_steps is None else float(self.predictability_steps),
            "method": self.method,
            "lag": int(self.lag),
            "embedding_dim": int(self.embedding_dim),
            "theiler": int(self.theiler),
            "fit_range": [int(self.fit_range[0]), int(self.fit_range[1])],
            "warning": self.warning,
            "n_samples": None if self.n_samples is None else int(self.n_samples),
            "n_references": None if self.n_references is None else int(self.n_references),
        }

    def figure(self) -> Any:
        """The divergence curve, the scaling region and the fitted line, as a ``matplotlib.figure.Figure``
        (no pyplot, no global matplotlib state changed)."""
        from rnnchaos._util.figures import new_figure

        steps = np.arange(self.divergence.size)
        a, b = self.fit_range
        fig = new_figure((6.4, 4.2))
        ax = fig.subplots()
        ax.plot(steps, self.divergence, color="k", lw=1.2, label="mean log divergence")
        ax.axvspan(a, b, color="tab:blue", alpha=0.12, label="scaling region")
        sel = slice(a, b + 1)
        intercept = float(np.mean(self.divergence[sel]) - self.lambda_max * np.mean(steps[sel]))
        xs = np.array([max(0, a - (b - a) // 4), min(steps[-1], b + (b - a) // 4)], dtype=float)
        label = f"slope {self.lambda_max:.4g}/step"
        if self.lambda_max_per_time is not None:
            label += f" = {self.lambda_max_per_time:.4g}/time"
        ax.plot(xs, intercept + self.lambda_max * xs, color="tab:red", lw=1.5, ls="--", label=label)
        ax.set_xlabel("steps i")
        ax.set_ylabel("S(i)")
        title = f"{self.method.capitalize()}: lag {self.lag}, dim {self.embedding_dim}, Theiler {self.theiler}"
        ax.set_title(title, fontsize=10)
        if self.warning:
            ax.text(0.01, 0.01, "warning: " + self.warning, transform=ax.transAxes, fontsize=6,
                    color="tab:red", va="bottom", wrap=True)
        ax.legend(loc="upper left", fontsize=8)
        fig.tight_layout()
        return fig

    def plot(self, path: str | os.PathLike[str]) -> None:
        """Write ``figure()`` as a PNG to ``path`` (atomically)."""
        from rnnchaos._util.figures import save_figure

        save_figure(self.figure(), path, dpi=110, tight=False)


def mean_period(x: Any) -> float:
    """Mean period in samples, 1 / (power-weighted mean frequency) of the periodogram (Rosenstein 1993).

    ``x`` is (T,) or (T, N); the mean frequency is averaged over the columns. Cost: O(N T log T).
    """
    arr = as_trajectory(x, min_length=4)
    arr = arr - arr.mean(axis=0)
    power = np.abs(np.fft.rfft(arr, axis=0)) ** 2
    freqs = np.fft.rfftfreq(arr.shape[0])
    power[0] = 0.0
    tot = power.sum(axis=0)
    valid = tot > 0
    if not valid.any():
        raise ValueError("series is constant; its mean period is undefined")
    fmean = float(np.mean((freqs @ power)[valid] / tot[valid]))
    return 1.0 / fmean


def scaling_region(curve: NDArray[np.float64], *, r2_min: float = R2_MIN, saturation: float = SATURATION,
                   min_length: int | None = None) -> tuple[int, int, float, float, str | None]:
    """Choose the linear scaling region of a divergence curve (see module docstring, step 5).

    Returns ``(a, b, slope, r2, problem)``; the fit uses steps a..b inclusive; ``problem`` is None or a
    sentence. Cost: O(G^2) for a grid of G <= 200 candidate end points (prefix sums, no refits).
    """
    y = np.asarray(curve, dtype=np.float64)
    K = y.size - 1
    lo, hi = float(y.min()), float(y.max())
    problem: str | None = None
    if hi - lo <= 0:
        return 0, K, 0.0, 0.0, "the divergence curve is flat"
    cut = int(np.argmax(y >= lo + saturation * (hi - lo)))
    Lmin = max(4, int(math.ceil(0.1 * cut))) if min_length is None else int(min_length)
    if cut < Lmin:
        problem = (f"the divergence saturates within {cut} step(s), before any scaling region "
                   "(noise, or sampling too coarse)")
        cut = min(K, max(Lmin, cut))
        Lmin = min(Lmin, cut)
    stride = max(1, cut // 200)
    grid = np.unique(np.r_[np.arange(0, cut + 1, stride), cut])
    t = np.arange(y.size, dtype=np.float64)
    c1 = np.r_[0.0, np.cumsum(t)]
    c2 = np.r_[0.0, np.cumsum(t * t)]
    cy = np.r_[0.0, np.cumsum(y)]
    cyy = np.r_[0.0, np.cumsum(y * y)]
    cty = np.r_[0.0, np.cumsum(t * y)]
    A, B = np.meshgrid(grid, grid, indexing="ij")
    keep = (B - A) >= Lmin
    A, B = A[keep], B[keep]
    if A.size == 0:
        A, B = np.array([0]), np.array([cut])
    n = (B - A + 1).astype(np.float64)
    st = c1[B + 1] - c1[A]
    stt = c2[B + 1] - c2[A]
    sy = cy[B + 1] - cy[A]
    syy = cyy[B + 1] - cyy[A]
    sty = cty[B + 1] - cty[A]
    vt = stt - st * st / n
    vy = syy - sy * sy / n
    cov = sty - st * sy / n
    slope = cov / vt
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(vy > 0, cov * cov / (vt * vy), 0.0)
    r2 = np.where(slope > 0, r2, -r2)  # a falling window is never a scaling region of divergence
    good = r2 >= r2_min
    if good.any():
        length = (B - A)[good]
        near = length >= 0.9 * length.max()
        cand = np.nonzero(good)[0][near]
        best = cand[np.argmax(r2[cand])]
    else:
        best = int(np.argmax(r2))
        problem = problem or (f"no window of the divergence curve is linear (best R^2 = {abs(r2[best]):.3f} "
                              f"< {r2_min}): no clear exponential divergence")
    return int(A[best]), int(B[best]), float(slope[best]), float(abs(r2[best])), problem


def _saturated(curve: NDArray[np.float64]) -> bool:
    """True when the curve reaches the saturation-cut level within its first half (then it has levelled off)."""
    lo, hi = float(curve.min()), float(curve.max())
    if hi <= lo:
        return True
    cut = int(np.argmax(curve >= lo + SATURATION * (hi - lo)))
    return cut <= curve.size // 2


def _divergence(Y: NDArray[np.float64], M: int, K: int, k: int, w: int, method: str, n_references: int,
                rng: np.random.Generator) -> NDArray[np.float64]:
    """Mean log-divergence curve S(0..K) of up to ``n_references`` reference points among Y[:M]."""
    base = Y[:M]
    R = min(n_references, M)
    refs = np.sort(rng.choice(M, size=R, replace=False)).astype(np.intp) if R < M else np.arange(M)
    nb, _ = nearest_neighbours(base, refs, k, w, tree=cKDTree(base))
    tiny = 1e-12  # the series is z-scored, so this is far below any resolvable distance
    curve = np.empty(K + 1)
    for i in range(K + 1):  # vectorised over references and neighbours; the loop is over horizon steps
        diff = Y[refs[:, None] + i] - Y[nb + i]  # (R, k, m)
        dist = np.sqrt(np.einsum("rkm,rkm->rk", diff, diff))
        if method == "rosenstein":
            curve[i] = np.mean(np.log(np.maximum(dist[:, 0], tiny)))
        else:
            curve[i] = np.mean(np.log(np.maximum(dist.mean(axis=1), tiny)))
    return curve


def lambda_max_from_series(
    x: Any,
    *,
    dt: float | None = None,
    method: Method = "rosenstein",
    lag: int | None = None,
    embedding_dim: int | None = None,
    theiler: int | None = None,
    max_horizon: int | None = None,
    min_neighbours: int | None = None,
    n_references: int = 4000,
    max_dim: int = 10,
    seed: SeedLike = 0,
) -> MaxLyapunovFromData:
    """Largest Lyapunov exponent of a measured series by Rosenstein (1993) or Kantz (1994).

    Parameters
    ----------
    x: series (T,) or (T, N), time along axis 0 (see the module docstring for N >= 3).
    dt: time between samples; when given, ``lambda_max_per_time = lambda_max / dt``.
    method: ``"rosenstein"`` (nearest neighbour) or ``"kantz"`` (``min_neighbours`` nearest, default 4).
    lag, embedding_dim: delay embedding; default from mutual information and false nearest neighbours.
    theiler: Theiler window in samples; default the mean period (module docstring, step 2).
    max_horizon: length of the divergence curve in steps; default ``clip(4 * mean period, 20, M / 5)``,
        doubled (up to M / 5, M the number of delay vectors) until the curve has levelled off.
    min_neighbours: neighbours per reference for Kantz (ignored by Rosenstein, which uses one).
    n_references: at most this many reference points, drawn at random with ``seed``.
    max_dim: largest dimension tried by the false-nearest-neighbour criterion.

    Returns
    -------
    :class:`MaxLyapunovFromData` with ``lambda_max`` per step, ``predictability_steps = ln 2 / lambda_max``
    (None when lambda_max <= 0), the divergence curve, the fit range and a ``warning``.

    Raises ``ValueError`` for NaN/inf, a wrong shape, a constant series, a series too short for the
    embedding, or bad parameters.
    """
    if method not in METHODS:
        raise ValueError(f"method must be 'rosenstein' or 'kantz', got {method!r}")
    arr = as_trajectory(x, name="series", min_length=10)
    T, N = arr.shape
    if dt is not None:
        dt = positive_float(dt, "dt")
    if theiler is not None and (isinstance(theiler, bool) or not isinstance(theiler, int | np.integer)
                                or theiler < 0):
        raise ValueError(f"theiler must be a non-negative integer (samples), got {theiler!r}")
    peak = np.abs(arr).max(axis=0)
    arr = arr / np.where(peak > 0, peak, 1.0)  # first to [-1, 1]: no overflow for huge or tiny values
    std = arr.std(axis=0)
    keep_cols = std > 1e-12  # variation below 1e-12 of the magnitude: a constant column (dropped)
    if not keep_cols.any():
        raise ValueError("series is constant; λ_max needs a varying signal")
    arr = (arr[:, keep_cols] - arr[:, keep_cols].mean(axis=0)) / std[keep_cols]
    N = arr.shape[1]
    rng = as_generator(seed)

    as_state = N >= 3 and embedding_dim is None and lag is None
    if as_state:
        lag_, dim_ = 1, 1
    else:
        if lag is not None:
            lag_ = positive_int(lag, "lag")
        else:  # first MI minimum, capped at a quarter of the mean period (1 for maps and noise)
            lag_ = min(mutual_information_lag(arr), max(1, int(round(mean_period(arr) / 4))))
        if embedding_dim is not None:
            dim_ = positive_int(embedding_dim, "embedding_dim")
        else:
            w_fnn = lag_ if theiler is None else int(theiler)
            need = required_length(max_dim + 1, lag_, 2 * w_fnn + 3)
            if T < need:
                raise ValueError(f"series has {T} samples, too short to choose the embedding dimension at lag "
                                 f"{lag_} (false nearest neighbours up to {max_dim}): at least {need} are needed; "
                                 "give embedding_dim or a longer series")
            dim_ = fnn_dimension(arr, lag_, max_dim, theiler=w_fnn, seed=rng)
    if theiler is None:
        w = max(int(math.ceil(mean_period(arr))), lag_ * (dim_ - 1))
    else:
        w = int(theiler)
    k = 1 if method == "rosenstein" else (KANTZ_NEIGHBOURS if min_neighbours is None else positive_int(min_neighbours, "min_neighbours"))

    Mfull = T - (dim_ - 1) * lag_
    if Mfull < 1:
        raise ValueError(f"series has {T} samples, too short for embedding dimension {dim_} at lag {lag_}: "
                         f"at least {required_length(dim_, lag_, 1)} are needed")
    if isinstance(n_references, bool) or not isinstance(n_references, int | np.integer) or n_references < 1:
        raise ValueError(f"n_references must be a positive integer, got {n_references!r}")
    Y = delay_embed(arr, dim_, lag_)  # (Mfull, dim_*N)
    cap = max(20, Mfull // 5)
    if max_horizon is None:
        P = w if theiler is None else max(1, int(math.ceil(mean_period(arr))))
        K = int(np.clip(4 * P, 20, cap))
    else:
        K = positive_int(max_horizon, "max_horizon")
    while True:
        M = Mfull - K  # candidate points: every one has K successors
        if M < k + 2 * w + 2:
            need = required_length(dim_, lag_, K + k + 2 * w + 2)
            raise ValueError(f"series has {T} samples, too short for embedding dimension {dim_}, lag {lag_}, "
                             f"Theiler window {w} and a divergence horizon of {K} steps: at least {need} are needed")
        curve = _divergence(Y, M, K, k, w, method, int(n_references), rng)
        if max_horizon is not None or K >= cap or _saturated(curve):
            break
        K = min(cap, 2 * K)
    a, b, slope, r2, problem = scaling_region(curve)
    rise = slope * (b - a)
    warning = problem
    if warning is None and slope <= 0:
        warning = f"the divergence curve does not grow (slope {slope:.3g} per step <= 0): no evidence of chaos"
    if warning is None and rise < 1.0:
        warning = (f"the divergence grows by only {rise:.2f} e-folds over the scaling region (< 1): "
                   "no clear exponential divergence")
    lam = float(slope)
    return MaxLyapunovFromData(
        lambda_max=lam,
        lambda_max_per_time=None if dt is None else lam / dt,
        predictability_steps=_LN2 / lam if lam > 0 else None,
        method=method,
        lag=int(lag_),
        embedding_dim=int(dim_),
        theiler=int(w),
        fit_range=(a, b),
        divergence=curve,
        warning=warning,
        dt=dt,
        r2=r2,
        n_samples=int(T),
        n_references=min(int(n_references), int(M)),
    )
