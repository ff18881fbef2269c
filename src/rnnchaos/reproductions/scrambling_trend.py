"""Does P(period 3) depend on the width? Binomial maximum-likelihood fits of three trend models.

Data: at each width ``k_i``, ``x_i`` of ``n_i`` random networks have a 3-cycle. Models for ``p(k)``
(``k_ref`` = geometric mean of the fitted widths, so that the amplitude and the exponent are nearly
uncorrelated):

* ``constant``        ``p = c``                                     (1 parameter; closed form)
* ``power``           ``p = a (k / k_ref)^beta``                    (2 parameters)
* ``constant+power``  ``p = c + a (k / k_ref)^beta``                (3 parameters)

Each is fitted by maximising the binomial log-likelihood ``sum x log p + (n - x) log(1 - p)`` (plus the
binomial coefficients, so ``loglik`` is the true log-likelihood) with scipy's Nelder–Mead from several
starts, polished by BFGS; the constant has the closed form ``c = sum x / sum n``. A probability cannot be
negative, so ``c >= 0`` is a constraint: constant+power is fitted with ``c = s^2`` and, when the best ``c``
is the bound 0 (the power law alone fits at least as well), ``c`` is reported as exactly 0 with
``at_bound`` set and the model's other parameters are those of the power law. Parameter uncertainty:
standard errors from the inverse of the observed Fisher information (a central-difference Hessian of the
negative log-likelihood at the optimum; Wald 95% intervals). A parameter at its bound 0 (``c`` with no
3-cycle at all, or the floor of constant+power) has no Wald interval; it gets the one-sided 95%
profile-likelihood upper limit instead, the ``c`` at which ``2 (loglik_max - loglik_profile(c)) =
chi2_1(0.90) = 2.706`` (Venzon & Moolgavkar 1988; for the constant with ``sum x = 0`` it is
``1 - exp(-1.353 / sum n)``), as ``ci95 = [0, upper]`` and ``se = None``. Model choice: AIC = 2 (#params) - 2 loglik (Akaike 1974) and likelihood-ratio tests of the
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
from scipy.special import gammaln, xlog1py, xlogy

MODELS = ("constant", "power", "constant+power")
_Z = 1.959963984540054
_ONE_SIDED = 2.705543454095404 / 2  # chi2_1(0.90) / 2: a one-sided 95% likelihood bound


def _loglik(p: np.ndarray, x: np.ndarray, n: np.ndarray) -> float:
    """Binomial log-likelihood; ``p = 0`` (``p = 1``) is allowed where ``x = 0`` (``x = n``)."""
    if not np.all(np.isfinite(p)) or np.any(p < 0.0) or np.any(p > 1.0):
        return -math.inf
    if np.any((p == 0.0) & (x > 0)) or np.any((p == 1.0) & (x < n)):
        return -math.inf
    lc = gammaln(n + 1) - gammaln(x + 1) - gammaln(n - x + 1)
    return float(np.sum(lc + xlogy(x, p) + xlog1py(n - x, -p)))


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


_NM = {"xatol": 1e-9, "fatol": 1e-6, "maxiter": 8_000, "maxfev": 16_000}


def _minimise(nll: Callable[[np.ndarray], float], starts: list[np.ndarray]) -> np.ndarray | None:
    """Nelder–Mead from each feasible start, the best polished by BFGS; None if no start is feasible."""
    best: Any = None
    for s in starts:
        if nll(s) >= 1e300:
            continue
        r = optimize.minimize(nll, s, method="Nelder-Mead", options=_NM)
        if best is None or r.fun < best.fun:
            best = r
    if best is None:
        return None
    r2 = optimize.minimize(nll, best.x, method="BFGS")
    return np.asarray(r2.x if r2.fun <= best.fun else best.x, dtype=float)


def _wald_se(nll: Callable[[np.ndarray], float], theta: np.ndarray) -> np.ndarray:
    """Standard errors from the inverse observed information; NaN where it cannot be estimated."""
    try:
        hess = _hessian(nll, theta)
        cov = np.linalg.inv(hess) if np.all(np.isfinite(hess)) else None
        if cov is not None and (not np.all(np.isfinite(cov)) or np.any(np.diag(cov) < 0)):
            cov = None
    except np.linalg.LinAlgError:
        cov = None
    return np.sqrt(np.diag(cov)) if cov is not None else np.full(theta.size, math.nan)


def _profile_upper(profile: Callable[[float], float], ll_max: float, c0: float, scale: float) -> float:
    """Smallest ``c > c0`` with ``profile(c) = ll_max - chi2_1(0.90)/2`` (bracketed by doubling, then Brent)."""
    target = ll_max - _ONE_SIDED
    lo, hi = c0, c0 + scale
    while profile(hi) > target:
        lo, hi = hi, c0 + 2.0 * (hi - c0)
        if hi >= 1.0:
            return 1.0
    return float(optimize.brentq(lambda c: profile(c) - target, lo, hi, xtol=1e-14, rtol=1e-6))


def _param(value: float, se: float) -> dict[str, Any]:
    return {"value": float(value), "se": float(se), "ci95": [float(value - _Z * se), float(value + _Z * se)],
            "at_bound": False}


def _bound_param(upper: float) -> dict[str, Any]:
    return {"value": 0.0, "se": None, "ci95": [0.0, float(upper)], "at_bound": True,
            "interval": "one-sided 95% profile-likelihood upper limit (the estimate is the bound 0)"}


def fit_model(name: str, widths: Sequence[int], successes: Sequence[int], trials: Sequence[int]) -> dict[str, Any]:
    """Maximum-likelihood fit of one trend model (module docstring). Returns the parameters (value, se, 95%
    interval, ``at_bound``), ``loglik``, ``aic``, ``deviance``, ``dof`` and the goodness-of-fit p-value."""
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
    if k.size <= n_par - 1:
        raise ValueError(f"model {name!r} needs at least {n_par} widths, got {k.size}")
    n_tot, x_tot = float(np.sum(n)), float(np.sum(x))

    def nll_of(model: str) -> Callable[[np.ndarray], float]:
        def nll(theta: np.ndarray) -> float:
            if model == "constant+power" and theta[0] < 0.0:
                return 1e300
            ll = _loglik(_model_p(model, theta, u), x, n)
            return 1e300 if not math.isfinite(ll) else -ll
        return nll

    nll = nll_of(name)
    params: dict[str, Any]
    if name == "constant":
        c = x_tot / n_tot
        theta = np.array([c])
        params = {"c": _bound_param(-math.expm1(-_ONE_SIDED / n_tot)) if x_tot == 0 else
                  _param(c, math.sqrt(c * (1.0 - c) / n_tot))}
    elif name == "power":
        theta_p = _minimise(nll, _starts(name, x, n, u))
        if theta_p is None:
            raise ValueError(f"model {name!r}: no feasible starting point")
        theta = theta_p
        se = _wald_se(nll, theta)
        amp = math.exp(theta[0])  # fitted as log a; delta-method standard error
        params = {"a": _param(amp, amp * se[0]), "beta": _param(theta[1], se[1])}
    else:
        # c = s^2 keeps the floor non-negative; the bound c = 0 is the power law
        def nll_s(phi: np.ndarray) -> float:
            return nll(np.array([phi[0] ** 2, phi[1], phi[2]]))

        starts = [np.array([math.sqrt(max(t[0], 0.0)), t[1], t[2]]) for t in _starts(name, x, n, u)]
        phi = _minimise(nll_s, starts)
        pw = fit_model("power", widths, successes, trials)
        theta_b = np.array([0.0, pw["params"]["a"]["value"], pw["params"]["beta"]["value"]])
        if phi is None or nll(theta_b) <= nll_s(phi) + 1e-9:
            theta = theta_b
        else:
            theta = np.array([phi[0] ** 2, phi[1], phi[2]])
        ll_max = -nll(theta)

        def profile(c: float) -> float:
            f = lambda t: nll(np.array([c, t[0], t[1]]))  # noqa: E731
            t = _minimise(f, [theta[1:], np.array([0.0, theta[2]])])
            return -math.inf if t is None else -f(t)

        if theta[0] == 0.0:
            # at c = 0 the model is the power law: a and beta keep the power law's standard errors
            upper = _profile_upper(profile, ll_max, 0.0, max(0.5 / n_tot, 1e-3 * abs(float(theta_b[1]))))
            params = {"c": _bound_param(upper), "a": pw["params"]["a"], "beta": pw["params"]["beta"]}
        else:
            se = _wald_se(nll, theta)
            params = {nm: _param(v, e) for nm, v, e in zip(("c", "a", "beta"), theta, se, strict=True)}
    ll = -nll(theta)
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
