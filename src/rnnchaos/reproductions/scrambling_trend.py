"""Does P(period 3) depend on the width? Binomial maximum-likelihood fits of three trend models.

Data: at each width ``k_i``, ``x_i`` of ``n_i`` random networks have a 3-cycle. Models for ``p(k)``
(``k_ref`` = geometric mean of the fitted widths, so that the amplitude and the exponent are nearly
uncorrelated):

* ``constant``        ``p = c``                                     (1 parameter; closed form)
* ``power``           ``p = a (k / k_ref)^beta``                    (2 parameters)
* ``constant+power``  ``p = c + a (k / k_ref)^beta``                (3 parameters)

Each is fitted by maximising the binomial log-likelihood ``sum x log p + (n - x) log(1 - p)`` (plus the
binomial coefficients, so ``loglik`` is the true log-likelihood) with scipy's Nelder–Mead from several
starts, polished by BFGS. Parameter uncertainty: standard errors from the inverse of the observed Fisher
information (a central-difference Hessian of the negative log-likelihood at the optimum; Wald 95%
intervals). Model choice: AIC = 2 (#params) - 2 loglik (Akaike 1974) and likelihood-ratio tests of the
nested pairs (Wilks 1938: chi-square with the difference in parameters as degrees of freedom; for
constant against constant+power the exponent is not identified under the null, so that p-value is only
approximate, Davies 1987). Goodness of fit: the deviance against the saturated model, chi-square with
``#widths - #params`` degrees of freedom.

Cost: milliseconds for a dozen widths.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy import optimize, stats
from scipy.special import gammaln

MODELS = ("constant", "power", "constant+power")
_Z = 1.959963984540054


def _loglik(p: np.ndarray, x: np.ndarray, n: np.ndarray) -> float:
    if np.any(p <= 0.0) or np.any(p >= 1.0) or not np.all(np.isfinite(p)):
        return -math.inf
    lc = gammaln(n + 1) - gammaln(x + 1) - gammaln(n - x + 1)
    return float(np.sum(lc + x * np.log(p) + (n - x) * np.log1p(-p)))


def _saturated(x: np.ndarray, n: np.ndarray) -> float:
    lc = gammaln(n + 1) - gammaln(x + 1) - gammaln(n - x + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = x / n
        t1 = np.where(x > 0, x * np.log(np.where(q > 0, q, 1.0)), 0.0)
        t2 = np.where(n - x > 0, (n - x) * np.log1p(-np.where(q < 1, q, 0.0)), 0.0)
    return float(np.sum(lc + t1 + t2))


def _hessian(f: Callable[[np.ndarray], float], theta: np.ndarray) -> np.ndarray:
    """Central-difference Hessian of ``f`` at ``theta`` (step scaled to each coordinate)."""
    m = theta.size
    h = 1e-4 * np.maximum(np.abs(theta), 1e-2)
    out = np.empty((m, m))
    for i in range(m):
        for j in range(i, m):
            ei = np.zeros(m)
            ej = np.zeros(m)
            ei[i] = h[i]
            ej[j] = h[j]
            vals = [f(theta + ei + ej), f(theta + ei - ej), f(theta - ei + ej), f(theta - ei - ej)]
            if max(vals) >= 1e300:  # a step left the feasible region: no curvature estimate
                out[i, j] = out[j, i] = math.nan
                continue
            out[i, j] = out[j, i] = (vals[0] - vals[1] - vals[2] + vals[3]) / (4 * h[i] * h[j])
    return out


def _model_p(name: str, theta: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``u = log(k / k_ref)``. Parameters: constant (c); power (log a, beta); constant+power (c, a, beta)."""
    if name == "constant":
        return np.full_like(u, theta[0])
    if name == "power":
        return np.exp(theta[0] + theta[1] * u)
    return theta[0] + theta[1] * np.exp(theta[2] * u)


def _starts(name: str, x: np.ndarray, n: np.ndarray, u: np.ndarray) -> list[np.ndarray]:
    p = np.clip((x + 0.5) / (n + 1.0), 1e-9, 1 - 1e-9)
    pbar = float(np.sum(x) / np.sum(n)) if np.sum(x) > 0 else 0.5 / float(np.sum(n))
    slope = float(np.polyfit(u, np.log(p), 1)[0]) if u.size > 1 else 0.0
    if name == "power":
        return [np.array([math.log(pbar), slope]), np.array([math.log(pbar), 0.0])]
    starts = []
    for beta in (-1.0, -0.3, 0.5):
        for frac in (0.3, 0.8):
            starts.append(np.array([frac * pbar, (1 - frac) * pbar, beta]))
            starts.append(np.array([(1 + frac) * pbar, -frac * pbar, beta]))
    starts.append(np.array([0.0, math.exp(math.log(pbar)), slope]))
    return starts


def fit_model(name: str, widths: Sequence[int], successes: Sequence[int], trials: Sequence[int]) -> dict[str, Any]:
    """Maximum-likelihood fit of one trend model (module docstring). Returns the parameters with standard
    errors and 95% Wald intervals, ``loglik``, ``aic``, ``deviance``, ``dof`` and the goodness-of-fit
    p-value."""
    if name not in MODELS:
        raise ValueError(f"unknown trend model {name!r}; one of {', '.join(MODELS)}")
    k = np.asarray(widths, dtype=float)
    x = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    if k.size < 1 or k.shape != x.shape or k.shape != n.shape:
        raise ValueError("widths, successes and trials must be equal-length non-empty sequences")
    if np.any(k <= 0) or np.any(n < 1) or np.any(x < 0) or np.any(x > n):
        raise ValueError("need widths > 0, trials >= 1 and 0 <= successes <= trials")
    k_ref = float(np.exp(np.mean(np.log(k))))
    u = np.log(k / k_ref)
    n_par = {"constant": 1, "power": 2, "constant+power": 3}[name]
    names = {"constant": ["c"], "power": ["a", "beta"], "constant+power": ["c", "a", "beta"]}[name]
    if k.size <= n_par - 1:
        raise ValueError(f"model {name!r} needs at least {n_par} widths, got {k.size}")

    def nll(theta: np.ndarray) -> float:
        ll = _loglik(_model_p(name, theta, u), x, n)
        return 1e300 if not math.isfinite(ll) else -ll

    if name == "constant":
        theta = np.array([float(np.sum(x) / np.sum(n))])
        if not 0.0 < theta[0] < 1.0:
            theta = np.clip(theta, 0.5 / float(np.sum(n)), 1 - 0.5 / float(np.sum(n)))
    else:
        best: Any = None
        for s in _starts(name, x, n, u):
            if nll(s) >= 1e300:
                continue
            r = optimize.minimize(nll, s, method="Nelder-Mead",
                                  options={"xatol": 1e-9, "fatol": 1e-6, "maxiter": 8_000, "maxfev": 16_000})
            if best is None or r.fun < best.fun:
                best = r
        if best is None:
            raise ValueError(f"model {name!r}: no feasible starting point")
        r2 = optimize.minimize(nll, best.x, method="BFGS")
        theta = r2.x if r2.fun <= best.fun else best.x
    ll = -nll(theta)
    cov: np.ndarray | None
    try:
        hess = _hessian(nll, theta)
        cov = np.linalg.inv(hess) if np.all(np.isfinite(hess)) else None
        if cov is not None and (not np.all(np.isfinite(cov)) or np.any(np.diag(cov) < 0)):
            cov = None
    except np.linalg.LinAlgError:
        cov = None
    se = np.sqrt(np.diag(cov)) if cov is not None else np.full(n_par, math.nan)
    # report the power law's amplitude a (fitted as log a) with a delta-method standard error
    values = theta.copy()
    if name == "power":
        values[0] = math.exp(theta[0])
        se = se.copy()
        se[0] = values[0] * se[0]
    params = {nm: {"value": float(v), "se": float(s), "ci95": [float(v - _Z * s), float(v + _Z * s)]}
              for nm, v, s in zip(names, values, se, strict=True)}
    dev = 2.0 * (_saturated(x, n) - ll)
    dof = int(k.size - n_par)
    return {"model": name, "k_ref": k_ref, "params": params, "n_params": n_par, "loglik": ll,
            "aic": 2 * n_par - 2 * ll, "deviance": dev, "dof": dof,
            "gof_p": float(stats.chi2.sf(dev, dof)) if dof > 0 else math.nan,
            "fitted": [float(v) for v in _model_p(name, theta, u)]}


def fit_trend(widths: Sequence[int], successes: Sequence[int], trials: Sequence[int]) -> dict[str, Any]:
    """All three models, the likelihood-ratio tests, the AIC choice and a one-line verdict on "P(period 3)
    is independent of the width" (at the 5% level)."""
    need = {"constant": 1, "power": 2, "constant+power": 3}
    # with no 3-cycle anywhere only the constant is identified (the others run off to p = 0)
    usable = MODELS if sum(int(v) for v in successes) > 0 else ("constant",)
    with np.errstate(all="ignore"):
        fits = {m: fit_model(m, widths, successes, trials) for m in usable if len(widths) >= need[m]}

    def lrt(small: str, big: str) -> dict[str, float] | None:
        if small not in fits or big not in fits:
            return None
        d = max(0.0, 2.0 * (fits[big]["loglik"] - fits[small]["loglik"]))
        df = fits[big]["n_params"] - fits[small]["n_params"]
        return {"statistic": d, "df": df, "p": float(stats.chi2.sf(d, df))}

    tests = {"constant_vs_power": lrt("constant", "power"),
             "constant_vs_constant+power": lrt("constant", "constant+power"),
             "power_vs_constant+power": lrt("power", "constant+power")}
    best = min(fits, key=lambda m: fits[m]["aic"])
    verdict = (_verdict(fits, tests, best) if len(usable) > 1 else
               "no 3-cycle at any width: no trend can be fitted (each width's P is below its Wilson upper bound)")
    return {"models": fits, "tests": tests, "best_aic": best, "verdict": verdict}


def _verdict(fits: dict[str, Any], tests: dict[str, Any], best: str) -> str:
    const = fits["constant"]
    p_lr = [t["p"] for t in tests.values() if t is not None and t is not tests["power_vs_constant+power"]]
    lr_min = min(p_lr) if p_lr else math.nan
    const_ok = (not p_lr or lr_min >= 0.05) and (math.isnan(const["gof_p"]) or const["gof_p"] >= 0.05)
    if const_ok:
        return (f"consistent with independent of width: no trend model beats the constant (smallest LR p = "
                f"{lr_min:.3g}; the constant fits with p = {const['gof_p']:.3g})")
    why = f"the constant is rejected (goodness of fit p = {const['gof_p']:.3g}, smallest LR p = {lr_min:.3g})"
    if "power" not in fits:
        return f"{why}; too few widths for a trend"
    b = fits["power"]["params"]["beta"]
    if best == "constant+power":
        c = fits["constant+power"]["params"]["c"]
        floor = ("a positive floor (c > 0 at 95%)" if c["ci95"][0] > 0 else
                 "a floor not distinguishable from 0")
        return (f"depends on width: {why}; best by AIC is constant + power law with "
                f"c = {100 * c['value']:.3f}% [{100 * c['ci95'][0]:.3f}, {100 * c['ci95'][1]:.3f}], {floor}")
    direction = "falls" if b["ci95"][1] < 0 else ("rises" if b["ci95"][0] > 0 else "changes")
    return (f"depends on width: {why}; P {direction} as k^beta with beta = {b['value']:.3f} "
            f"[{b['ci95'][0]:.3f}, {b['ci95'][1]:.3f}] (best by AIC: {best})")
