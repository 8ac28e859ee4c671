"""The BG/NBD model of purchase frequency and dropout (Fader, Hardie and Lee 2005)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from types import MappingProxyType
from typing import Any

import attrs
import numpy as np
from scipy import special

from logicrm.domain import Reason
from logicrm.domain._checks import fail
from logicrm.models._fit import (
    _WEEK,
    _Array,
    _check_columns,
    _check_positive,
    _check_time,
    _checked_columns,
    _columns,
    _LogLikelihood,
    _one,
    fit_purchases,
)
from logicrm.models._special import _log_rising
from logicrm.models._support import (
    MIN_CUSTOMERS,
    MIN_REPEAT_CUSTOMERS,
    FitSupport,
    check_minimum,
    fit_support,
)
from logicrm.scoring import BtydSummary


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

    def support(
        self,
        *,
        min_customers: int = MIN_CUSTOMERS,
        min_repeat_customers: int = MIN_REPEAT_CUSTOMERS,
    ) -> FitSupport:
        """Whether this fit can support lifetime-value scores, and why: at least
        ``min_customers`` customers, ``min_repeat_customers`` of them with a repeat order, and
        every standard error below its estimate (see
        [`FitSupport`][logicrm.models.FitSupport] for why these are the defaults).

        Raises:
            ValidationError: a threshold that is not a whole number >= 1.

        Examples:
            >>> BetaGeoModel(r=0.243, alpha=4.414, a=0.793, b=2.426).support().supported
            True
        """
        counts = (
            ("customers", self.customers, check_minimum("min_customers", min_customers)),
            (
                "customers with a repeat order",
                self.repeat_customers,
                check_minimum("min_repeat_customers", min_repeat_customers),
            ),
        )
        return fit_support(
            "BG/NBD",
            self.params,
            self.standard_errors,
            fitted=self.log_likelihood is not None,
            counts=counts,
        )

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

        def likelihood(x: _Array, t_x: _Array, big_t: _Array) -> _LogLikelihood:
            histories = _Histories.of(x, t_x, big_t)
            return lambda params: _bg_total(params, histories)

        return cls(
            **fit_purchases(
                frequency,
                recency,
                T,
                likelihood=likelihood,
                start=lambda scale: [1.0, scale, 1.0, 1.0],
                names=("r", "alpha", "a", "b"),
                model="BG/NBD",
                code="bg_nbd.fit",
                unit=unit,
            )
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
