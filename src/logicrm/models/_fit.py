"""What every model fit shares: checked columns, maximum likelihood with its
convergence checks, standard errors and FitError."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from types import MappingProxyType
from typing import Any

import numpy as np
from scipy import optimize

from logicrm.domain import Reason
from logicrm.domain._checks import fail
from logicrm.errors import LogicrmError
from logicrm.scoring import BtydSummary

_WEEK = timedelta(days=7)


_Array = Any  # numpy arrays; numpy's stubs are not worth the noise here


class FitError(LogicrmError, RuntimeError):
    """The likelihood could not be maximised (the optimiser did not converge)."""


def _columns(
    summaries: Iterable[BtydSummary],
) -> tuple[_Array, _Array, _Array, _Array]:
    rows = list(summaries)
    if not rows:
        fail("summaries", rows, "must hold at least one customer")
    for index, row in enumerate(rows):
        if not isinstance(row, BtydSummary):
            fail(f"summaries[{index}]", row, "must be a BtydSummary")
    return (
        np.array([r.frequency for r in rows], dtype=float),
        np.array([r.recency for r in rows], dtype=float),
        np.array([r.T for r in rows], dtype=float),
        np.array([float(r.monetary_value) for r in rows], dtype=float),
    )


def _check_columns(x: _Array, t_x: _Array, big_t: _Array) -> None:
    for name, values in (("frequency", x), ("recency", t_x), ("T", big_t)):
        bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
        if bad.size:
            fail(f"{name}[{bad[0]}]", float(values[bad[0]]), "must be a finite number >= 0")
    bad = np.flatnonzero(x != np.round(x))
    if bad.size:
        fail(f"frequency[{bad[0]}]", float(x[bad[0]]), "must be a whole number")
    bad = np.flatnonzero(t_x > big_t)
    if bad.size:
        fail(f"recency[{bad[0]}]", float(t_x[bad[0]]), f"must not exceed T ({big_t[bad[0]]})")
    bad = np.flatnonzero((x > 0) & (t_x <= 0))
    if bad.size:
        fail(f"recency[{bad[0]}]", float(t_x[bad[0]]), "must be > 0 for a repeat customer")


_LogLikelihood = Callable[[_Array], tuple[float, _Array]]


def _maximise(
    log_likelihood: _LogLikelihood, start: _Array, model: str, *, size: int
) -> tuple[_Array, float]:
    """Maximise over log-parameters (so every parameter stays > 0); returns (params, LL).

    ``log_likelihood`` returns the total and its gradient in the natural parameters. The
    optimiser sees the mean over the ``size`` observations, so its steps and its tolerance
    do not grow with the data: summed over half a million customers, the gradient is so
    large that BFGS stopped far from the optimum. The answer is checked before it is
    returned: an optimiser that reports failure, or a gradient not near zero at the end,
    raises [`FitError`][logicrm.models.FitError] and no parameters come back.
    """

    def objective(log_params: _Array) -> tuple[float, _Array]:
        # A line search may try absurd steps: they come back as a wall, never as warnings.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            params = np.exp(log_params)
            value, gradient = log_likelihood(params)
        if not np.isfinite(value) or not np.all(np.isfinite(gradient)):
            return 1e300, np.zeros_like(log_params)
        return -value / size, -gradient * params / size

    result = optimize.minimize(
        objective, start, jac=True, method="BFGS", options={"gtol": 1e-9, "maxiter": 5_000}
    )
    value = -float(result.fun) * size
    if not np.all(np.isfinite(result.x)) or not np.isfinite(value) or result.fun >= 1e299:
        raise FitError(f"{model}: the likelihood did not converge ({result.message})")
    steepest = float(np.max(np.abs(objective(result.x)[1])))
    if steepest > _GRADIENT_TOLERANCE:
        raise FitError(
            f"{model}: the fit stopped before the optimum (mean gradient {steepest:.2g}, "
            f"{result.message})"
        )
    return np.exp(result.x), value


# The largest mean gradient, in log-parameters, accepted at an optimum.
_GRADIENT_TOLERANCE = 1e-4


def _standard_errors(
    log_likelihood: _LogLikelihood, params: _Array, names: tuple[str, ...]
) -> tuple[Mapping[str, float], tuple[Reason, ...]]:
    """Standard errors from the inverse observed information (Hessian by central
    differences of the analytic gradient)."""
    k = len(params)
    hessian = np.empty((k, k))
    for i in range(k):
        step = 1e-5 * params[i]
        up, down = params.copy(), params.copy()
        up[i] += step
        down[i] -= step
        hessian[i] = (log_likelihood(up)[1] - log_likelihood(down)[1]) / (2 * step)
    hessian = (hessian + hessian.T) / 2
    try:
        variances = np.diag(np.linalg.inv(-hessian))
    except np.linalg.LinAlgError:
        variances = np.full(k, np.nan)
    if not np.all(np.isfinite(variances) & (variances > 0)):
        return (
            MappingProxyType(dict.fromkeys(names, math.nan)),
            (
                Reason(
                    "fit.standard_errors",
                    "standard errors unavailable: the information "
                    "matrix is not positive definite at the estimate",
                ),
            ),
        )
    return MappingProxyType(dict(zip(names, np.sqrt(variances).tolist(), strict=True))), ()


def _check_positive(model: object, names: tuple[str, ...]) -> None:
    for name in names:
        value = getattr(model, name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            fail(name, value, "must be a number")
        if not math.isfinite(value) or value <= 0:
            fail(name, value, "must be a finite number > 0")


def _show(params: Mapping[str, float], errors: Mapping[str, float]) -> str:
    return ", ".join(f"{n} = {v:.4g} (SE {errors[n]:.2g})" for n, v in params.items())


def _check_time(name: str, t: float) -> None:
    if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t) or t < 0:
        fail(name, t, "must be a finite number >= 0 (in the model's unit)")


def _one(summary: BtydSummary) -> tuple[_Array, _Array, _Array]:
    x, t_x, big_t, _ = _columns([summary])
    _check_columns(x, t_x, big_t)
    return x, t_x, big_t


def _checked_columns(frequency: Any, recency: Any, T: Any) -> tuple[_Array, _Array, _Array]:
    x, t_x, big_t = (np.asarray(c, dtype=float) for c in (frequency, recency, T))
    if not x.shape == t_x.shape == big_t.shape or x.ndim != 1:
        fail("frequency", x.shape, "recency and T must be 1-d and equally long")
    _check_columns(x, t_x, big_t)
    return x, t_x, big_t


def fit_purchases(
    frequency: Any,
    recency: Any,
    T: Any,
    *,
    likelihood: Callable[[_Array, _Array, _Array], _LogLikelihood],
    start: Callable[[float], list[float]],
    names: tuple[str, str, str, str],
    model: str,
    code: str,
    unit: timedelta,
) -> dict[str, Any]:
    """What fitting a purchase model (BG/NBD, Pareto/NBD) shares: the columns checked, at
    least one repeat customer, the likelihood maximised from ``start(mean T)``, the standard
    errors and the fit's reason. Returns the fitted model's keyword arguments."""
    x, t_x, big_t = (np.asarray(c, dtype=float) for c in (frequency, recency, T))
    if not x.shape == t_x.shape == big_t.shape or x.ndim != 1 or not x.size:
        fail("frequency", x.shape, "recency and T must be 1-d, non-empty and equally long")
    _check_columns(x, t_x, big_t)
    repeat = int(np.count_nonzero(x))
    if repeat == 0:
        fail("frequency", "all 0", f"no customer has a repeat order, so {model} cannot be fitted")
    log_likelihood = likelihood(x, t_x, big_t)
    scale = float(np.mean(big_t)) or 1.0
    params, ll = _maximise(log_likelihood, np.log(start(scale)), model, size=x.size)
    errors, notes = _standard_errors(log_likelihood, params, names)
    fitted = dict(zip(names, params.tolist(), strict=True))
    reason = Reason(
        code,
        f"fitted on {x.size:,} customers, {repeat:,} with repeat orders: "
        f"{_show(fitted, errors)}; log-likelihood {ll:,.1f}",
    )
    return {
        **fitted,
        "standard_errors": errors,
        "log_likelihood": ll,
        "customers": int(x.size),
        "repeat_customers": repeat,
        "unit": unit,
        "reasons": (reason, *notes),
    }
