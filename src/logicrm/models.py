"""Customer lifetime value: the BG/NBD and Gamma-Gamma models, fitted by maximum likelihood.

The two standard models of customer-base analysis, fitted on the
[`btyd_summary()`][logicrm.scoring.btyd_summary] rows that
[`summarize()`][logicrm.scoring.summarize] feeds:

- [`BetaGeoModel`][logicrm.models.BetaGeoModel] — the BG/NBD model of purchase frequency and dropout
  (Fader, Hardie and Lee, "Counting your customers the easy way", 2005). While alive a customer buys
  at a Poisson rate lambda ~ Gamma(r, alpha); after each purchase it drops out with probability p ~
  Beta(a, b).
- [`GammaGammaModel`][logicrm.models.GammaGammaModel] — the Gamma-Gamma model of spend per
  transaction (Fader, Hardie and Lee 2005; Fader and Hardie, "The Gamma-Gamma model of monetary
  value", 2013): spends are Gamma(p, nu) around a customer's mean, with nu ~ Gamma(q, gamma). It
  assumes spend per transaction is independent of how often a customer buys; the fit reports the
  correlation.
- [`clv()`][logicrm.models.clv] — discounted expected margin over a horizon, and
  [`ClvValue`][logicrm.models.ClvValue], a value calculator that scores the value model's profit and
  strategic dimensions from the models (pass it to [`logicrm.assess()`][logicrm.assess] as
  ``value_calculator``).

Times are in the unit of the summaries (weeks by default, as in the papers); the models
record that unit. Everything is computed in log space, so customers with thousands of
repeat orders neither overflow nor lose precision.

Requires the ``models`` extra: ``pip install 'logicrm[models]'`` (NumPy and SciPy).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

import attrs
import numpy as np
from scipy import optimize, special

from logicrm.domain import Customer, Reason
from logicrm.domain._checks import fail
from logicrm.domain._money import in_library_context
from logicrm.errors import LogicrmError
from logicrm.scoring import Activity, BtydSummary, ValueDimension, ValueModel, ValueScore
from logicrm.scoring._btyd import btyd_summary
from logicrm.scoring._tier import check_activity
from logicrm.scoring._value import combine_dimensions, measure_dimensions

__all__ = [
    "CALENDAR_MONTH",
    "CORRELATION_WARNING",
    "LIFETIMES_WEEKLY_MONTH",
    "BetaGeoModel",
    "Clv",
    "ClvValue",
    "FitError",
    "GammaGammaModel",
    "clv",
    "clv_columns",
]

CORRELATION_WARNING = 0.3
""" |Pearson r| between frequency and spend above which the Gamma-Gamma fit warns."""
CALENDAR_MONTH = timedelta(days=365.25 / 12)
""" A calendar month on average: 365.25 / 12 = 30.4375 days (``clv(period="month")``)."""
LIFETIMES_WEEKLY_MONTH = timedelta(weeks=4.345)
""" The month of lifetimes' weekly CLV (``freq="W"``): 4.345 weeks, 30.415 days. Pass it as
``clv(period=LIFETIMES_WEEKLY_MONTH, margin=1.0)`` to reproduce lifetimes' figures."""

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


# --- BG/NBD ---------------------------------------------------------------------------------


_LARGE = 1e4


def _log_rising(z: float, x: _Array) -> _Array:
    """log Gamma(z + x) - log Gamma(z), accurate however large z is.

    The plain difference of two ``gammaln`` values loses every digit once z is large (each
    is about z log z), and an optimiser will happily climb that noise. For large z the
    leading terms of Stirling's series are differenced analytically instead.
    """
    if z < _LARGE:
        return special.gammaln(z + x) - special.gammaln(z)
    return (z - 0.5) * np.log1p(x / z) + x * np.log(z + x) - x + (1 / (12 * (z + x)) - 1 / (12 * z))


@attrs.frozen
class _Histories:
    """BG/NBD input arranged for fast likelihoods.

    Customers without repeat purchases and the same T are one term with a count, and the
    special functions of ``x`` are evaluated once per distinct ``x`` (``levels``) and
    spread back with ``where``: on real data that is a few dozen values, not one per
    customer.
    """

    x: _Array
    t_x: _Array
    big_t: _Array
    counts: _Array
    levels: _Array
    where: _Array

    @classmethod
    def of(cls, x: _Array, t_x: _Array, big_t: _Array) -> _Histories:
        repeat = x > 0
        ages, counts = np.unique(big_t[~repeat], return_counts=True)
        x = np.concatenate([x[repeat], np.zeros(ages.size)])
        levels, where = np.unique(x, return_inverse=True)
        return cls(
            x=x,
            t_x=np.concatenate([t_x[repeat], np.zeros(ages.size)]),
            big_t=np.concatenate([big_t[repeat], ages]),
            counts=np.concatenate([np.ones(int(repeat.sum())), counts.astype(float)]),
            levels=levels,
            where=where,
        )


def _bg_log_likelihood(params: _Array, data: _Histories) -> tuple[_Array, _Array, _Array]:
    """Per-customer BG/NBD log-likelihood (Fader, Hardie and Lee 2005, eq. 6), computed as
    log-sum-exp of its two branches; also the branches' weights, for the gradient."""
    r, alpha, a, b = params
    x, t_x, levels, where = data.x, data.t_x, data.levels, data.where
    # B(a, b + x) / B(a, b) = rising(b, x) / rising(a + b, x)
    common = (_log_rising(r, levels) + _log_rising(b, levels) - _log_rising(a + b, levels))[
        where
    ] + r * np.log(alpha)
    stays = -(r + x) * np.log(alpha + data.big_t)
    repeat = x > 0
    drops = np.full_like(x, -np.inf)
    xr = x[repeat]
    drops[repeat] = np.log(a) - np.log(b + xr - 1) - (r + xr) * np.log(alpha + t_x[repeat])
    both = np.logaddexp(stays, drops)
    return common + both, np.exp(stays - both), np.exp(drops - both)


def _bg_total(params: _Array, data: _Histories) -> tuple[float, _Array]:
    """The weighted total log-likelihood and its gradient in (r, alpha, a, b)."""
    r, alpha, a, b = params
    each, w_stays, w_drops = _bg_log_likelihood(params, data)
    x, t_x, big_t, levels, where = data.x, data.t_x, data.big_t, data.levels, data.where
    psi = special.digamma
    d_ab = (psi(a + b) - psi(a + b + levels))[where]
    b_minus = np.where(x > 0, b + x - 1, 1.0)
    gradient = np.array(
        [
            (psi(r + levels) - psi(r))[where]
            + np.log(alpha)
            - w_stays * np.log(alpha + big_t)
            - w_drops * np.log(alpha + t_x),
            r / alpha - (r + x) * (w_stays / (alpha + big_t) + w_drops / (alpha + t_x)),
            d_ab + w_drops / a,
            (psi(b + levels) - psi(b))[where] + d_ab - w_drops / b_minus,
        ]
    )
    return float(data.counts @ each), gradient @ data.counts


def _log_odds_dead(params: _Array, x: _Array, t_x: _Array, big_t: _Array) -> _Array:
    r, alpha, a, b = params
    result = np.full_like(x, -np.inf)
    repeat = x > 0
    xr = x[repeat]
    result[repeat] = (
        np.log(a)
        - np.log(b + xr - 1)
        + (r + xr) * (np.log(alpha + big_t[repeat]) - np.log(alpha + t_x[repeat]))
    )
    return result


@attrs.frozen(kw_only=True)
class BetaGeoModel:
    """A fitted BG/NBD model: how often customers buy, and when they stop for good.

    Build it with [`fit()`][logicrm.models.BetaGeoModel.fit]; the attributes are the
    maximum-likelihood estimates.

    Attributes:
        r: the shape of the Gamma distribution of purchase rates.
        alpha: its scale, in ``unit``s.
        a: the first shape of the Beta distribution of the dropout probability after each
            purchase.
        b: its second shape.
        standard_errors: per parameter name, from the inverse observed information
            (``nan`` when it is not positive definite, with a reason).
        log_likelihood: the maximised log-likelihood.
        customers: how many customers it was fitted on; ``repeat_customers`` of them made a
            repeat purchase.
        unit: the time unit of the summaries, hence of ``t`` in every method.
        reasons: what the fit did and anything to be wary of.

    Examples:
        >>> model = BetaGeoModel(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> round(model.expected_purchases(39), 3)
        1.197
    """

    r: float
    alpha: float
    a: float
    b: float
    standard_errors: Mapping[str, float] = attrs.field(
        factory=lambda: MappingProxyType({}), hash=False
    )
    log_likelihood: float | None = None
    customers: int = 0
    repeat_customers: int = 0
    unit: timedelta = _WEEK
    reasons: tuple[Reason, ...] = ()

    def __attrs_post_init__(self) -> None:
        _check_positive(self, ("r", "alpha", "a", "b"))

    @property
    def params(self) -> Mapping[str, float]:
        """``{"r": ..., "alpha": ..., "a": ..., "b": ...}``."""
        return MappingProxyType({"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b})

    @classmethod
    def fit(cls, summaries: Iterable[BtydSummary], *, unit: timedelta = _WEEK) -> BetaGeoModel:
        """Fit by maximum likelihood on [`BtydSummary`][logicrm.scoring.BtydSummary] rows.

        ``unit`` must be the unit the summaries were made with (a week by default).

        Raises:
            ValidationError: no rows, a malformed row, or no customer with a repeat order
                (then the dropout process cannot be told from the purchase rate).
            FitError: the optimiser did not converge.
        """
        x, t_x, big_t, _ = _columns(summaries)
        return cls.fit_columns(x, t_x, big_t, unit=unit)

    @classmethod
    def fit_columns(
        cls,
        frequency: Any,
        recency: Any,
        T: Any,
        *,
        unit: timedelta = _WEEK,
    ) -> BetaGeoModel:
        """Fit on three equal-length number sequences (``frequency``, ``recency``, ``T``).

        For data already in columns, such as the CDNOW summaries or a
        [`activity_table()`][logicrm.frames.activity_table]; same rules as
        [`fit()`][logicrm.models.BetaGeoModel.fit].
        """
        x, t_x, big_t = (np.asarray(c, dtype=float) for c in (frequency, recency, T))
        if not x.shape == t_x.shape == big_t.shape or x.ndim != 1 or not x.size:
            fail("frequency", x.shape, "recency and T must be 1-d, non-empty and equally long")
        _check_columns(x, t_x, big_t)
        repeat = int(np.count_nonzero(x))
        if repeat == 0:
            fail("frequency", "all 0", "no customer has a repeat order, so BG/NBD cannot be fitted")

        histories = _Histories.of(x, t_x, big_t)

        def log_likelihood(params: _Array) -> tuple[float, _Array]:
            return _bg_total(params, histories)

        scale = float(np.mean(big_t)) or 1.0
        params, ll = _maximise(
            log_likelihood, np.log([1.0, scale, 1.0, 1.0]), "BG/NBD", size=x.size
        )
        names = ("r", "alpha", "a", "b")
        errors, notes = _standard_errors(log_likelihood, params, names)
        fitted = dict(zip(names, params.tolist(), strict=True))
        reasons = (
            Reason(
                "bg_nbd.fit",
                f"fitted on {x.size:,} customers, {repeat:,} with repeat orders: "
                f"{_show(fitted, errors)}; log-likelihood {ll:,.1f}",
            ),
            *notes,
        )
        return cls(
            **fitted,
            standard_errors=errors,
            log_likelihood=ll,
            customers=int(x.size),
            repeat_customers=repeat,
            unit=unit,
            reasons=reasons,
        )

    def simulate(
        self,
        customers: int,
        *,
        T: float,
        seed: int = 0,
    ) -> tuple[Any, Any, Any]:
        """Draw ``(frequency, recency, T)`` arrays for new customers from this model.

        Each customer gets a purchase rate from Gamma(r, alpha) and a dropout probability
        from Beta(a, b), buys at that Poisson rate from time 0 for ``T`` units, and after
        each repeat purchase drops out with its probability. For checking a fit (does it
        recover the parameters?) and for benchmarks; ``seed`` makes the draw repeatable.
        """
        if type(customers) is not int or customers < 1:
            fail("customers", customers, "must be a whole number >= 1")
        _check_time("T", T)
        rng = np.random.default_rng(seed)
        rates = rng.gamma(self.r, 1 / self.alpha, customers)
        drops = rng.beta(self.a, self.b, customers)
        x, t_x, now = np.zeros(customers), np.zeros(customers), np.zeros(customers)
        active = np.arange(customers)
        while active.size:
            now[active] += rng.exponential(1 / rates[active])
            active = active[now[active] <= T]
            x[active] += 1
            t_x[active] = now[active]
            active = active[rng.random(active.size) >= drops[active]]
        return x, t_x, np.full(customers, float(T))

    def expected_purchases(self, t: float) -> float:
        """E[X(t)]: repeat purchases a new customer is expected to make in ``t`` units."""
        _check_time("t", t)
        return float(self._expected(np.zeros(1), np.zeros(1), float(t))[0])

    def probability_alive(self, summary: BtydSummary) -> float:
        """P(alive | frequency, recency, T): the chance the customer has not dropped out."""
        return float(self.probability_alive_columns(*_one(summary))[0])

    def conditional_expected_purchases(self, summary: BtydSummary, t: float) -> float:
        """E[Y(t) | frequency, recency, T]: this customer's repeat purchases in the next ``t``."""
        return float(self.conditional_expected_purchases_columns(*_one(summary), t)[0])

    def probability_alive_columns(self, frequency: Any, recency: Any, T: Any) -> _Array:
        """[`probability_alive()`][logicrm.models.BetaGeoModel.probability_alive] for every
        customer of three equal-length columns at once, as a numpy array.

        Examples:
            >>> model = BetaGeoModel(r=0.243, alpha=4.414, a=0.793, b=2.426)
            >>> model.probability_alive_columns([2, 0], [30.43, 0], [38.86, 38.86]).round(3)
            array([0.727, 1.   ])
        """
        x, t_x, big_t = _checked_columns(frequency, recency, T)
        return special.expit(-_log_odds_dead(self._array(), x, t_x, big_t))

    def conditional_expected_purchases_columns(
        self, frequency: Any, recency: Any, T: Any, t: float
    ) -> _Array:
        """[`conditional_expected_purchases()`][logicrm.models.BetaGeoModel.conditional_expected_purchases]
        for every customer of three equal-length columns at once, over the next ``t`` units.

        Examples:
            >>> model = BetaGeoModel(r=0.243, alpha=4.414, a=0.793, b=2.426)
            >>> model.conditional_expected_purchases_columns([2], [30.43], [38.86], 39).round(3)
            array([1.226])
        """
        _check_time("t", t)
        x, t_x, big_t = _checked_columns(frequency, recency, T)
        alive = special.expit(-_log_odds_dead(self._array(), x, t_x, big_t))
        return alive * self._expected(x, big_t, float(t))

    def log_likelihood_of(self, summaries: Iterable[BtydSummary]) -> float:
        """The model's log-likelihood of other data (e.g. a holdout)."""
        x, t_x, big_t, _ = _columns(summaries)
        _check_columns(x, t_x, big_t)
        return float(_bg_total(self._array(), _Histories.of(x, t_x, big_t))[0])

    def _array(self) -> _Array:
        return np.array([self.r, self.alpha, self.a, self.b])

    def _expected(self, x: _Array, big_t: _Array, t: float) -> _Array:
        """Purchases in (T, T + t] of customers known alive at T after x repeats.

        Written with Euler's transformation of 2F1, so the hypergeometric factor stays
        bounded however large x is: (1-z)^(r+x) 2F1(r+x, b+x; a+b+x-1; z) equals
        (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z), with z = t / (alpha + T + t).
        """
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        if t == 0:
            return np.zeros_like(x, dtype=float)
        z = t / (alpha + big_t + t)
        tail = np.exp((a - 1) * np.log1p(-z)) * special.hyp2f1(
            a + b - 1 - r, a - 1, a + b + x - 1, z
        )
        return (a + b + x - 1) / (a - 1) * (1 - tail)

    def _repr_html_(self) -> str:
        """The notebook view: fields, nested results and reasons as HTML."""
        from logicrm._html import render

        return render(self)


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


# --- Gamma-Gamma ----------------------------------------------------------------------------


def _gg_total(params: _Array, x: _Array, m: _Array) -> tuple[float, _Array]:
    """Gamma-Gamma log-likelihood of mean spends m over x transactions (Fader and Hardie
    2013, eq. 3, summed) and its gradient in (p, q, gamma)."""
    p, q, gamma = params
    px = p * x
    log_mx = np.log(gamma + m * x)
    each = (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * log_mx
    )
    psi_pxq = special.digamma(px + q)
    gradient = np.array(
        [
            np.sum(x * (psi_pxq - special.digamma(px) + np.log(m) + np.log(x) - log_mx)),
            np.sum(psi_pxq - special.digamma(q) + np.log(gamma) - log_mx),
            np.sum(q / gamma - (px + q) / (gamma + m * x)),
        ]
    )
    return float(np.sum(each)), gradient


@attrs.frozen(kw_only=True)
class GammaGammaModel:
    """A fitted Gamma-Gamma model of spend per transaction.

    Fitted on customers with at least one repeat transaction (``frequency > 0``) and a
    positive ``monetary_value``; the others carry no spend information and are skipped.

    Attributes:
        p: the shape of the Gamma distribution of one customer's spend per transaction.
        q: the shape of the Gamma distribution of its scale across customers (> 1).
        gamma: the scale of that distribution, in money units.
        standard_errors: as for [`BetaGeoModel`][logicrm.models.BetaGeoModel].
        log_likelihood: as for [`BetaGeoModel`][logicrm.models.BetaGeoModel].
        customers: the repeat customers it was fitted on.
        correlation: Pearson correlation of frequency and mean spend among them; the model assumes
            none. Above [`CORRELATION_WARNING`][logicrm.models.CORRELATION_WARNING] in size,
            ``reasons`` warns.
        reasons: the fit, and the correlation check.

    Examples:
        >>> model = GammaGammaModel(p=6.25, q=3.74, gamma=15.44)
        >>> round(model.mean_spend, 2)
        35.22
    """

    p: float
    q: float
    gamma: float
    standard_errors: Mapping[str, float] = attrs.field(
        factory=lambda: MappingProxyType({}), hash=False
    )
    log_likelihood: float | None = None
    customers: int = 0
    correlation: float | None = None
    reasons: tuple[Reason, ...] = ()

    def __attrs_post_init__(self) -> None:
        _check_positive(self, ("p", "q", "gamma"))
        if self.q <= 1:
            fail(
                "q",
                self.q,
                "must be > 1: at q <= 1 the population's mean spend p * gamma / (q - 1) is "
                "infinite, so no spend can be forecast",
            )

    @property
    def params(self) -> Mapping[str, float]:
        """``{"p": ..., "q": ..., "gamma": ...}``."""
        return MappingProxyType({"p": self.p, "q": self.q, "gamma": self.gamma})

    @property
    def mean_spend(self) -> float:
        """The population's mean spend per transaction, p * gamma / (q - 1) (q > 1 always)."""
        return self.p * self.gamma / (self.q - 1)

    @classmethod
    def fit(cls, summaries: Iterable[BtydSummary]) -> GammaGammaModel:
        """Fit by maximum likelihood on [`BtydSummary`][logicrm.scoring.BtydSummary] rows.

        Raises:
            ValidationError: fewer than two customers with repeat orders and spend.
            FitError: the optimiser did not converge.
        """
        x, _, _, m = _columns(summaries)
        return cls.fit_columns(x, m)

    @classmethod
    def fit_columns(cls, frequency: Any, monetary_value: Any) -> GammaGammaModel:
        """Fit on two equal-length number sequences; same rules as
        [`fit()`][logicrm.models.GammaGammaModel.fit]."""
        x, m = (np.asarray(c, dtype=float) for c in (frequency, monetary_value))
        if x.shape != m.shape or x.ndim != 1:
            fail("monetary_value", m.shape, "must be 1-d and as long as frequency")
        bad = np.flatnonzero(~np.isfinite(m) | (m < 0))
        if bad.size:
            fail(f"monetary_value[{bad[0]}]", float(m[bad[0]]), "must be a finite number >= 0")
        used = (x > 0) & (m > 0)
        x, m = x[used], m[used]
        if x.size < 2:
            fail(
                "frequency",
                int(x.size),
                "Gamma-Gamma needs two or more repeat customers with spend",
            )

        def log_likelihood(params: _Array) -> tuple[float, _Array]:
            return _gg_total(params, x, m)

        start = np.log([1.0, 1.0, float(np.mean(m))])
        params, ll = _maximise(log_likelihood, start, "Gamma-Gamma", size=x.size)
        if params[1] <= 1:
            raise FitError(
                f"Gamma-Gamma fitted q = {params[1]:.3g} <= 1: the spend is so dispersed that "
                "its population mean is infinite and no spend can be forecast; look for "
                "outliers in monetary_value"
            )
        names = ("p", "q", "gamma")
        errors, notes = _standard_errors(log_likelihood, params, names)
        fitted = dict(zip(names, params.tolist(), strict=True))
        correlation = float(np.corrcoef(x, m)[0, 1]) if np.ptp(x) > 0 and np.ptp(m) > 0 else None
        return cls(
            **fitted,
            standard_errors=errors,
            log_likelihood=ll,
            customers=int(x.size),
            correlation=correlation,
            reasons=(
                Reason(
                    "gamma_gamma.fit",
                    f"fitted on {x.size:,} repeat customers: {_show(fitted, errors)}; "
                    f"log-likelihood {ll:,.1f}",
                ),
                *notes,
                _correlation_reason(correlation),
            ),
        )

    def expected_spend(self, summary: BtydSummary) -> float:
        """E[spend per transaction | frequency, monetary_value]: the posterior mean
        ``(gamma + m x) p / (p x + q - 1)``, the customer's own mean shrunk towards the
        population's, the more the fewer transactions it has.

        A customer with no repeat transaction (``x = 0``) gets the population's mean; a
        repeat buyer whose mean spend is 0 follows the posterior like any other
        (``gamma p / (p x + q - 1)``, smaller the more zero-spend transactions it had)."""
        x, m = float(summary.frequency), float(summary.monetary_value)
        if x < 0 or m < 0:
            fail("summary", summary.customer_id, "has negative frequency or monetary value")
        return float(self.expected_spend_columns([x], [m])[0])

    def expected_spend_columns(self, frequency: Any, monetary_value: Any) -> _Array:
        """[`expected_spend()`][logicrm.models.GammaGammaModel.expected_spend] for every
        customer of two equal-length columns at once, as a numpy array.

        Examples:
            >>> model = GammaGammaModel(p=6.25, q=3.74, gamma=15.44)
            >>> model.expected_spend_columns([2, 0, 3], [22.35, 0, 0]).round(2)
            array([24.66, 35.22,  4.49])
        """
        x, m = (np.asarray(c, dtype=float) for c in (frequency, monetary_value))
        if x.shape != m.shape or x.ndim != 1:
            fail("monetary_value", m.shape, "must be 1-d and as long as frequency")
        bad = np.flatnonzero(~np.isfinite(x) | ~np.isfinite(m) | (x < 0) | (m < 0))
        if bad.size:
            fail(f"monetary_value[{bad[0]}]", float(m[bad[0]]), "must be finite and >= 0")
        p, q, gamma = self.p, self.q, self.gamma
        posterior = (gamma + m * x) * p / (p * x + q - 1)
        return np.where(x == 0, self.mean_spend, posterior)

    def _repr_html_(self) -> str:
        """The notebook view: fields, nested results and reasons as HTML."""
        from logicrm._html import render

        return render(self)


def _correlation_reason(correlation: float | None) -> Reason:
    if correlation is None:
        return Reason(
            "gamma_gamma.correlation.unknown",
            "warning: frequency or spend does not vary, so their independence is untested",
        )
    if abs(correlation) > CORRELATION_WARNING:
        return Reason(
            "gamma_gamma.correlation.warning",
            f"warning: frequency and spend per transaction correlate (r = {correlation:.2f});"
            " the model assumes they are independent, so spend forecasts may be biased",
        )
    return Reason(
        "gamma_gamma.correlation.ok",
        f"frequency and spend per transaction nearly independent (r = {correlation:.2f})",
    )


# --- Lifetime value -------------------------------------------------------------------------


@attrs.frozen
class Clv:
    """One customer's lifetime value over a horizon, with how it was reached.

    Attributes:
        customer_id: the customer.
        value: discounted expected margin over the horizon, in the currency of the spend.
        expected_purchases: undiscounted expected repeat purchases over the horizon.
        expected_spend: expected spend per purchase (Gamma-Gamma).
        probability_alive: the BG/NBD chance the customer is still active.
        reasons: the figures above in words.
    """

    customer_id: str
    value: float
    expected_purchases: float
    expected_spend: float
    probability_alive: float
    reasons: tuple[Reason, ...]

    def _repr_html_(self) -> str:
        """The notebook view: fields, nested results and reasons as HTML."""
        from logicrm._html import render

        return render(self)


@in_library_context
def clv(
    summary: BtydSummary,
    *,
    purchases: BetaGeoModel,
    spend: GammaGammaModel,
    margin: float,
    horizon: int = 12,
    period: timedelta | str = timedelta(days=30),
    discount_rate: float = 0.01,
) -> Clv:
    """Discounted expected margin of one customer over ``horizon`` periods.

    value = sum over i = 1..horizon of (E[Y(i P)] - E[Y((i-1) P)]) * spend * margin / (1 + d)^i

    where E[Y(t)] is the BG/NBD conditional expectation, spend the Gamma-Gamma expected
    spend per purchase, P the ``period`` and d the ``discount_rate`` per period (1% a month
    by default, about 12.7% a year). Purchases in a period are discounted from its end.

    Args:
        summary: the customer's [`BtydSummary`][logicrm.scoring.BtydSummary] in ``purchases.unit``.
        purchases: the fitted [`BetaGeoModel`][logicrm.models.BetaGeoModel].
        spend: the fitted [`GammaGammaModel`][logicrm.models.GammaGammaModel].
        margin: the share of revenue kept as margin, in [-1, 1] (e.g. 0.18).
        horizon: whole periods to look ahead (>= 1).
        period: the length of one period: a positive ``timedelta`` (30 days by default, the
            convention of lifetimes' daily CLV), or ``"month"`` for a calendar month on average
            ([`CALENDAR_MONTH`][logicrm.models.CALENDAR_MONTH], 365.25 / 12 days).
            [`LIFETIMES_WEEKLY_MONTH`][logicrm.models.LIFETIMES_WEEKLY_MONTH] (4.345 weeks)
            reproduces lifetimes' weekly CLV.
        discount_rate: per period, >= 0.

    Examples:
        >>> from decimal import Decimal
        >>> from logicrm.scoring import BtydSummary
        >>> row = BtydSummary("C1", frequency=2, recency=30.43, T=38.86,
        ...                   monetary_value=Decimal("22.35"))
        >>> result = clv(row, purchases=BetaGeoModel(r=0.243, alpha=4.414, a=0.793, b=2.426),
        ...              spend=GammaGammaModel(p=6.25, q=3.74, gamma=15.44), margin=0.2)
        >>> round(result.expected_purchases, 3), round(result.value, 2)
        (1.545, 7.18)
    """
    x, t_x, big_t = _one(summary)
    m = np.array([float(summary.monetary_value)])
    period = _clv_period(margin, horizon, period, discount_rate)
    values, expected_last, spend_each = _clv_parts(
        x, t_x, big_t, m, purchases, spend, margin, horizon, period, discount_rate
    )
    value, expected, per_purchase = float(values[0]), float(expected_last[0]), float(spend_each[0])
    alive = purchases.probability_alive(summary)
    return Clv(
        customer_id=summary.customer_id,
        value=value,
        expected_purchases=expected,
        expected_spend=per_purchase,
        probability_alive=alive,
        reasons=(
            Reason(
                "clv.value",
                f"expected margin {value:,.2f} over {horizon} periods of "
                f"{period / timedelta(days=1):g} days: "
                f"{expected:.2f} purchases x {per_purchase:,.2f} spend x {margin:.0%} "
                f"margin, discounted {discount_rate:.1%} a period",
                value,
            ),
            Reason("clv.alive", f"{alive:.0%} likely still active (BG/NBD)"),
        ),
    )


@in_library_context
def clv_columns(
    frequency: Any,
    recency: Any,
    T: Any,
    monetary_value: Any,
    *,
    purchases: BetaGeoModel,
    spend: GammaGammaModel,
    margin: float,
    horizon: int = 12,
    period: timedelta | str = timedelta(days=30),
    discount_rate: float = 0.01,
) -> _Array:
    """[`clv()`][logicrm.models.clv] for every customer of four equal-length columns at
    once (in ``purchases.unit``, as from an
    [`activity_table()`][logicrm.frames.activity_table]): the values, as a numpy array.
    Same arguments and rules as [`clv()`][logicrm.models.clv], and the same figures.

    Examples:
        >>> values = clv_columns([2, 0], [30.43, 0], [38.86, 38.86], [22.35, 0],
        ...     purchases=BetaGeoModel(r=0.243, alpha=4.414, a=0.793, b=2.426),
        ...     spend=GammaGammaModel(p=6.25, q=3.74, gamma=15.44), margin=0.2)
        >>> values.round(2)
        array([7.18, 1.65])
    """
    x, t_x, big_t = _checked_columns(frequency, recency, T)
    m = np.asarray(monetary_value, dtype=float)
    chosen = _clv_period(margin, horizon, period, discount_rate)
    values, _, _ = _clv_parts(
        x, t_x, big_t, m, purchases, spend, margin, horizon, chosen, discount_rate
    )
    return values


def _clv_period(
    margin: float, horizon: int, period: timedelta | str, discount_rate: float
) -> timedelta:
    """Check the CLV arguments; returns the period as a timedelta."""
    if isinstance(margin, bool) or not isinstance(margin, int | float) or not -1 <= margin <= 1:
        fail("margin", margin, "must be a share of revenue between -1 and 1")
    if type(horizon) is not int or horizon < 1:
        fail("horizon", horizon, "must be a whole number of periods >= 1")
    if period == "month":
        period = CALENDAR_MONTH
    if not isinstance(period, timedelta) or not timedelta(0) < period <= timedelta(days=3660):
        fail("period", period, "must be a positive timedelta of at most 3,660 days, or 'month'")
    if (
        isinstance(discount_rate, bool)
        or not isinstance(discount_rate, int | float)
        or not (0 <= discount_rate < math.inf)
    ):
        fail("discount_rate", discount_rate, "must be a number >= 0 per period")
    return period


def _clv_parts(
    x: _Array,
    t_x: _Array,
    big_t: _Array,
    m: _Array,
    purchases: BetaGeoModel,
    spend: GammaGammaModel,
    margin: float,
    horizon: int,
    period: timedelta,
    discount_rate: float,
) -> tuple[_Array, _Array, _Array]:
    """CLV values, expected purchases over the horizon and spend per purchase, per customer."""
    step = period / purchases.unit
    expected = [
        purchases.conditional_expected_purchases_columns(x, t_x, big_t, i * step)
        for i in range(horizon + 1)
    ]
    per_purchase = spend.expected_spend_columns(x, m)
    value = np.zeros_like(x, dtype=float)
    for i in range(1, horizon + 1):
        value += (expected[i] - expected[i - 1]) * per_purchase * margin / (1 + discount_rate) ** i
    return value, expected[-1], per_purchase


@attrs.frozen(kw_only=True)
class ClvValue:
    """A value calculator that looks forward: profit and strategic value from CLV.

    Measures the four dimensions as [`value_score()`][logicrm.scoring.value_score] does, except:

    - **profit**: [`clv()`][logicrm.models.clv] over ``horizon`` periods, at the customer's own
      gross margin over the trailing 365 days (over all time if it had no orders in that year),
      against ``model.profit_reference`` for a full score;
    - **strategic**: half tenure (as before) and half the BG/NBD probability that the
      customer is still active, in place of the trailing order count.

    Customers without orders are scored as [`value_score()`][logicrm.scoring.value_score] scores
    them. Pass an instance to [`logicrm.assess()`][logicrm.assess] /
    [`logicrm.assess_all()`][logicrm.assess_all] as ``value_calculator``.

    Attributes:
        purchases: the fitted BG/NBD model (in the unit of ``purchases.unit``).
        spend: the fitted Gamma-Gamma model.
        model: the value model (weights, tenure scale, profit reference).
        horizon: as for [`clv()`][logicrm.models.clv].
        period: as for [`clv()`][logicrm.models.clv].
        discount_rate: as for [`clv()`][logicrm.models.clv].
    """

    purchases: BetaGeoModel
    spend: GammaGammaModel
    model: ValueModel = ValueModel()
    horizon: int = 12
    period: timedelta = timedelta(days=30)
    discount_rate: float = 0.01

    def __call__(self, customer: Customer, activity: Activity, *, as_of: datetime) -> ValueScore:
        """Score one customer (the [`ValueCalculator`][logicrm.calculators.ValueCalculator]
        shape)."""
        check_activity(customer.id, activity, as_of)
        scores, notes, missing = measure_dimensions(activity, as_of, self.model)
        if activity.first_order_at is None:
            return combine_dimensions(scores, notes, missing, self.model.weights)
        summary = btyd_summary(activity, as_of=as_of, unit=self.purchases.unit)
        result = clv(
            summary,
            purchases=self.purchases,
            spend=self.spend,
            margin=_margin(activity),
            horizon=self.horizon,
            period=self.period,
            discount_rate=self.discount_rate,
        )
        reference = self.model.profit_reference.amount
        scores[ValueDimension.PROFIT] = 100 * min(1.0, max(0.0, result.value / float(reference)))
        notes[ValueDimension.PROFIT] = (
            f"{result.reasons[0].message}, against {reference:,} for a full score"
        )
        assert activity.first_order_at is not None
        tenure_days = (as_of - activity.first_order_at).days
        tenure = min(1.0, tenure_days / self.model.strategic_tenure_days)
        scores[ValueDimension.STRATEGIC] = 100 * (tenure + result.probability_alive) / 2
        notes[ValueDimension.STRATEGIC] = (
            f"customer for {tenure_days} days (tenure {tenure:.2f}), "
            f"{result.probability_alive:.0%} likely still active (BG/NBD)"
        )
        return combine_dimensions(scores, notes, missing, self.model.weights)


def _margin(activity: Activity) -> float:
    revenue, cost = activity.revenue_within(365), activity.cost_within(365)
    if revenue <= 0:
        revenue, cost = activity.revenue, activity.cost
    if revenue <= 0:
        return 0.0
    return max(-1.0, min(1.0, float((revenue - cost) / revenue)))
