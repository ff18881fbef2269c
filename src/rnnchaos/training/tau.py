"""The automatic forcing interval: τ = c · τ_pred with τ_pred = ln 2 / λ_max, and what to do when λ_max
cannot be confirmed from the data.

Mikhaeil, Monfared & Durstewitz (NeurIPS 2022) force every τ steps with τ near the predictability time
τ_pred = ln 2 / λ_max (λ_max per step); their Lorenz-63 sweep found the best reconstructions at τ = 30,
about 0.45 τ_pred of that series (τ_pred ≈ 69 steps with its correct λ_max ≈ 0.0101 per step).  The
factor ``TAU_FACTOR`` below was chosen from our own τ sweeps (docs/training.md, "Choosing τ").

λ_max comes from :func:`rnnchaos.dynamics.lambda_max_data.lambda_max_from_series` (Rosenstein 1993 by
default).  That estimator sets a ``warning`` when the divergence curve gives no evidence of exponential
divergence (slope ≤ 0, no linear window, saturation within a few steps, or less than one e-fold of
growth).  Then its number must not be used silently (EEG-64: λ_max 0.113 per step from 0.68 e-folds
would give τ = 3), and τ comes from the first rule of this chain that holds (``AutoTau.rule``):

1. ``"lambda_max_data"``: λ_max of the (training) series, confirmed (no warning, λ_max > 0).
2. ``"lambda_max_pcs"``: λ_max of the leading principal components — the fewest that explain
   ``PC_VARIANCE`` (90 %) of the variance of the z-scored series, at most ``PC_MAX`` (5) — confirmed;
   tried only when that is fewer columns than the series has.  Low-variance channels add mostly noise
   to the nearest-neighbour distances, which can flatten the divergence curve.
3. ``"autocorrelation"``: τ = the autocorrelation decay time, the first lag at which the mean over the
   z-scored columns of the autocorrelation function falls below 1/e (a data-driven time scale that
   needs no chaos; on the STF Lorenz-63 series it is 17 steps where rule 1 gives 35, and τ from 10 to
   50 trained about equally well there, docs/training.md), with a warning saying why.

Every τ is clipped to [TAU_MIN, TAU_MAX].  Cost: one λ_max estimate (about 1 s for 10⁵ samples of a
3-D series, 3 s for 10⁴ samples of 64 channels), a thin SVD and one more estimate when rule 1 fails,
and an FFT autocorrelation O(T log T · N).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rnnchaos._util.rng import SeedLike
from rnnchaos._util.validation import as_trajectory

#: τ = TAU_FACTOR · τ_pred (see the module docstring and docs/training.md for the evidence)
TAU_FACTOR = 0.5
#: bounds on the automatic τ (in steps)
TAU_MIN, TAU_MAX = 2, 1000
#: rule 2: the leading principal components that explain this fraction of the variance, at most PC_MAX
PC_VARIANCE, PC_MAX = 0.90, 5
#: the rules of the chain, in order
TAU_RULES = ("lambda_max_data", "lambda_max_pcs", "autocorrelation")
#: samples (the first ones) that the estimate reads for τ = auto, and when λ_max of the data is only logged
#: beside the model's (τ given, ``lyap_every`` > 0; the Reconstructor skips it when neither asks for it)
AUTO_TAU_SAMPLES, LOGGED_LAMBDA_SAMPLES = 100_000, 20_000


@dataclass(frozen=True)
class AutoTau:
    """The automatic τ and what it rests on.

    ``rule`` is one of :data:`TAU_RULES`; ``lambda_max`` (per step) and ``warning`` are those of the
    estimate on the series itself (always computed); ``predictability_steps`` is ln 2 / λ_max of the
    estimate that gave τ (None for the autocorrelation rule); ``n_components``/``lambda_max_pcs`` are set
    when rule 2 was tried; ``autocorrelation_steps`` when rule 3 was used.
    """

    tau: int
    lambda_max: float
    predictability_steps: float | None
    factor: float
    warning: str | None
    rule: str = "lambda_max_data"
    n_components: int | None = None
    lambda_max_pcs: float | None = None
    autocorrelation_steps: int | None = None
    #: samples the estimate used (the first ``max_samples``) and samples the series has
    n_samples: int | None = None
    n_samples_total: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "factor": self.factor, "predictability_steps": self.predictability_steps,
                "lambda_max_data": self.lambda_max, "n_components": self.n_components,
                "lambda_max_pcs": self.lambda_max_pcs, "autocorrelation_steps": self.autocorrelation_steps,
                "warning": self.warning, "n_samples": self.n_samples, "n_samples_total": self.n_samples_total}


#: most spectrum values (rows of the padded FFT x columns) that autocorrelation_time holds at once
ACF_BLOCK = 1 << 21


def autocorrelation_time(x: Any, max_lag: int | None = None) -> int:
    """First lag (steps) at which the mean autocorrelation of the z-scored columns of ``x`` (T, N) falls
    below 1/e; ``max_lag`` (default T − 1) when it never does.  Wiener–Khinchin via a zero-padded FFT,
    O(T log T · N), a few columns at a time (at most ``ACF_BLOCK`` spectrum values in memory; each column's
    FFT is independent of the others, so the result does not depend on the blocks).  Constant columns are
    ignored."""
    arr = as_trajectory(x, name="series", min_length=3)
    sd = arr.std(axis=0)
    arr = arr[:, sd > 0]
    if arr.shape[1] == 0:
        raise ValueError("series is constant; its autocorrelation time is undefined")
    arr = (arr - arr.mean(axis=0)) / arr.std(axis=0)
    T = arr.shape[0]
    n_fft = 1 << (2 * T - 1).bit_length()
    limit = T - 1 if max_lag is None else min(T - 1, int(max_lag))
    width = max(1, ACF_BLOCK // n_fft)
    parts = []
    for a in range(0, arr.shape[1], width):
        spec = np.fft.rfft(arr[:, a:a + width], n=n_fft, axis=0)
        acf = np.fft.irfft(np.abs(spec) ** 2, n=n_fft, axis=0)[:limit + 1]
        parts.append(acf / acf[0])
    mean_acf = np.concatenate(parts, axis=1).mean(axis=1)
    below = np.nonzero(mean_acf[1:limit + 1] < 1.0 / math.e)[0]
    return int(below[0] + 1) if below.size else limit


def leading_components(x: NDArray[np.float64], variance: float = PC_VARIANCE, max_components: int = PC_MAX
                       ) -> NDArray[np.float64]:
    """Scores of the fewest principal components of the z-scored ``x`` that explain ``variance`` of its
    variance, at most ``max_components`` (thin SVD, O(T·N²))."""
    sd = x.std(axis=0)
    z = (x[:, sd > 0] - x[:, sd > 0].mean(axis=0)) / sd[sd > 0]
    _, s, vt = np.linalg.svd(z, full_matrices=False)
    explained = np.cumsum(s ** 2) / np.sum(s ** 2)
    k = min(int(np.searchsorted(explained, variance) + 1), int(max_components), z.shape[1])
    return np.asarray(z @ vt[:k].T, dtype=np.float64)


def _confirmed_steps(res: Any) -> float | None:
    """ln 2 / λ_max of an estimate without a warning and with λ_max > 0, else None."""
    if res.warning is None and res.lambda_max > 0 and res.predictability_steps is not None:
        return float(res.predictability_steps)
    return None


def _clip_tau(value: float) -> int:
    return int(min(TAU_MAX, max(TAU_MIN, round(value))))


def auto_tau(x: Any, *, factor: float = TAU_FACTOR, seed: SeedLike = 0,
             max_samples: int = AUTO_TAU_SAMPLES) -> AutoTau:
    """τ for the series ``x`` (T, N) by the rule chain of the module docstring (first ``max_samples``
    samples only; ``n_samples``/``n_samples_total`` of the result say how many were used of how many).
    ``warning`` is None only when λ_max of the series itself was confirmed."""
    if not (math.isfinite(float(factor)) and float(factor) > 0):
        raise ValueError(f"tau factor must be a positive number, got {factor!r}")
    full = np.asarray(x)
    arr = as_trajectory(full[:max_samples] if full.ndim else full, name="series", min_length=10)
    res = _auto_tau_rules(arr, float(factor), seed)
    return dataclasses.replace(res, n_samples=int(arr.shape[0]), n_samples_total=int(full.shape[0]))


def _auto_tau_rules(arr: NDArray[np.float64], factor: float, seed: SeedLike) -> AutoTau:
    """The rule chain of the module docstring on the (already cut) series ``arr``."""
    from rnnchaos.dynamics.lambda_max_data import lambda_max_from_series

    res = lambda_max_from_series(arr, seed=seed)
    lam = float(res.lambda_max)
    steps = _confirmed_steps(res)
    if steps is not None:
        return AutoTau(tau=_clip_tau(float(factor) * steps), lambda_max=lam, predictability_steps=steps,
                       factor=float(factor), warning=None)
    why = res.warning or f"λ_max {lam:.3g} ≤ 0 per step"
    reasons = [f"λ_max of the data ({lam:.3g} per step) is not confirmed: {why}"]
    n_comp: int | None = None
    lam_pcs: float | None = None
    if arr.shape[1] > 1:
        pcs = leading_components(arr)
        if pcs.shape[1] < arr.shape[1]:
            n_comp = int(pcs.shape[1])
            try:
                res_pcs = lambda_max_from_series(pcs, seed=seed)
            except ValueError as exc:
                reasons.append(f"λ_max of the leading {n_comp} principal components failed: {exc}")
            else:
                lam_pcs = float(res_pcs.lambda_max)
                steps = _confirmed_steps(res_pcs)
                if steps is not None:
                    tau = _clip_tau(float(factor) * steps)
                    msg = (f"{reasons[0]}; tau = {tau} from λ_max {lam_pcs:.3g} per step of the leading {n_comp} "
                           "principal components (confirmed)")
                    return AutoTau(tau=tau, lambda_max=lam, predictability_steps=steps, factor=float(factor),
                                   warning=msg, rule="lambda_max_pcs", n_components=n_comp, lambda_max_pcs=lam_pcs)
                reasons.append(f"nor is λ_max of the leading {n_comp} principal components ({lam_pcs:.3g}: "
                               f"{res_pcs.warning or 'not positive'})")
    t_ac = autocorrelation_time(arr, max_lag=TAU_MAX)
    tau = _clip_tau(t_ac)
    msg = (f"{'; '.join(reasons)}; tau = {tau} from the autocorrelation decay time ({t_ac} steps to 1/e) "
           "instead — a fallback, not a predictability time")
    return AutoTau(tau=tau, lambda_max=lam, predictability_steps=None, factor=float(factor), warning=msg,
                   rule="autocorrelation", n_components=n_comp, lambda_max_pcs=lam_pcs, autocorrelation_steps=t_ac)
