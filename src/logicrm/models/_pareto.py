"""The Pareto/NBD model of purchases and dropout (Schmittlein, Morrison and Colombo 1987)."""

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
    _one,
    fit_purchases,
)
from logicrm.models._special import _log_rising
from logicrm.scoring import BtydSummary


def _log_a0(params: _Array, x: _Array, t_x: _Array, big_t: _Array) -> _Array:
    """log A0 of Fader and Hardie's note on the Pareto/NBD (2005, eq. 19-20): the part of
    the likelihood from customers who died between t_x and T; ``-inf`` where t_x = T."""
    r, alpha, s, beta = params
    rsx = r + s + x
    if alpha >= beta:
        big, second = alpha, s + 1

        def z(t: _Array) -> _Array:
            return (alpha - beta) / (alpha + t)
    else:
        big, second = beta, r + x

        def z(t: _Array) -> _Array:
            return (beta - alpha) / (beta + t)

    def term(t: _Array) -> _Array:
        return np.log(special.hyp2f1(rsx, second, rsx + 1, z(t))) - rsx * np.log(big + t)

    first, last = term(t_x), term(big_t)
    with np.errstate(divide="ignore"):
        return first + np.log(-np.expm1(np.minimum(last - first, 0.0)))


def _pareto_log_likelihood(params: _Array, x: _Array, t_x: _Array, big_t: _Array) -> _Array:
    """Per-customer Pareto/NBD log-likelihood (Fader and Hardie 2005, eq. 22), as the
    log-sum-exp of the alive-at-T and died-in-between branches."""
    r, alpha, s, beta = params
    common = _log_rising(r, x) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + big_t) - s * np.log(beta + big_t)
    died = np.log(s) - np.log(r + s + x) + _log_a0(params, x, t_x, big_t)
    return common + np.logaddexp(alive, died)


def _log_odds_dead(params: _Array, x: _Array, t_x: _Array, big_t: _Array) -> _Array:
    r, alpha, s, beta = params
    return (
        np.log(s)
        - np.log(r + s + x)
        + (r + x) * np.log(alpha + big_t)
        + s * np.log(beta + big_t)
        + _log_a0(params, x, t_x, big_t)
    )


# Relative step of the central differences that give the likelihood's gradient.
_STEP = 1e-6


@attrs.frozen
class _Data:
    """Pareto/NBD input: identical (x, t_x, T) histories are one term with a count."""

    x: _Array
    t_x: _Array
    big_t: _Array
    counts: _Array

    @classmethod
    def of(cls, x: _Array, t_x: _Array, big_t: _Array) -> _Data:
        rows, counts = np.unique(np.stack([x, t_x, big_t]), axis=1, return_counts=True)
        return cls(rows[0], rows[1], rows[2], counts.astype(float))

    def total(self, params: _Array) -> float:
        return float(self.counts @ _pareto_log_likelihood(params, self.x, self.t_x, self.big_t))

    def total_and_gradient(self, params: _Array) -> tuple[float, _Array]:
        """The total and its gradient in the natural parameters, by central differences
        (the hypergeometric terms have no convenient analytic derivative in its
        parameters)."""
        gradient = np.empty(4)
        for i in range(4):
            step = _STEP * params[i]
            up, down = params.copy(), params.copy()
            up[i] += step
            down[i] -= step
            gradient[i] = (self.total(up) - self.total(down)) / (2 * step)
        return self.total(params), gradient


@attrs.frozen(kw_only=True)
class ParetoNbdModel:
    """A fitted Pareto/NBD model: purchases at a Poisson rate while alive, and an
    unobserved lifetime that may end at any moment.

    While alive a customer buys at a rate lambda ~ Gamma(r, alpha); its lifetime is
    exponential with rate mu ~ Gamma(s, beta) (Schmittlein, Morrison and Colombo,
    "Counting your customers: who are they and what will they do next?", 1987). Unlike
    BG/NBD, a customer can drop out without buying first. Build it with
    [`fit()`][logicrm.models.ParetoNbdModel.fit]; the likelihood and the predictions are
    those of Fader and Hardie's note "A note on deriving the Pareto/NBD model and related
    expressions" (2005).

    Attributes:
        r: the shape of the Gamma distribution of purchase rates.
        alpha: its scale, in ``unit``s.
        s: the shape of the Gamma distribution of dropout rates.
        beta: its scale, in ``unit``s.
        standard_errors: per parameter name, from the inverse observed information
            (``nan`` when it is not positive definite, with a reason).
        log_likelihood: the maximised log-likelihood.
        customers: how many customers it was fitted on; ``repeat_customers`` of them made a
            repeat purchase.
        unit: the time unit of the summaries, hence of ``t`` in every method.
        reasons: what the fit did and anything to be wary of.

    Examples:
        >>> model = ParetoNbdModel(r=0.553, alpha=10.578, s=0.606, beta=11.669)
        >>> round(model.expected_purchases(39), 3)
        1.213
    """

    r: float
    alpha: float
    s: float
    beta: float
    standard_errors: Mapping[str, float] = attrs.field(
        factory=lambda: MappingProxyType({}), hash=False
    )
    log_likelihood: float | None = None
    customers: int = 0
    repeat_customers: int = 0
    unit: timedelta = _WEEK
    reasons: tuple[Reason, ...] = ()

    def __attrs_post_init__(self) -> None:
        _check_positive(self, ("r", "alpha", "s", "beta"))

    @property
    def params(self) -> Mapping[str, float]:
        """``{"r": ..., "alpha": ..., "s": ..., "beta": ...}``."""
        return MappingProxyType({"r": self.r, "alpha": self.alpha, "s": self.s, "beta": self.beta})

    @classmethod
    def fit(cls, summaries: Iterable[BtydSummary], *, unit: timedelta = _WEEK) -> ParetoNbdModel:
        """Fit by maximum likelihood on [`BtydSummary`][logicrm.scoring.BtydSummary] rows.

        Raises:
            ValidationError: no rows, a malformed row, or no customer with a repeat order.
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
    ) -> ParetoNbdModel:
        """Fit on three equal-length number sequences (``frequency``, ``recency``, ``T``),
        with the same checks, safeguards and standard errors as
        [`BetaGeoModel.fit_columns()`][logicrm.models.BetaGeoModel.fit_columns].

        Raises:
            ValidationError: malformed columns, or no customer with a repeat order.
            FitError: the optimiser did not converge, or stopped before the optimum.
        """
        return cls(
            **fit_purchases(
                frequency,
                recency,
                T,
                likelihood=lambda x, t_x, big_t: _Data.of(x, t_x, big_t).total_and_gradient,
                start=lambda scale: [1.0, scale, 1.0, scale],
                names=("r", "alpha", "s", "beta"),
                model="Pareto/NBD",
                code="pareto_nbd.fit",
                unit=unit,
            )
        )

    def simulate(self, customers: int, *, T: float, seed: int = 0) -> tuple[Any, Any, Any]:
        """Draw ``(frequency, recency, T)`` arrays for new customers from this model: each
        buys at its Gamma(r, alpha) rate from time 0 until its exponential lifetime (rate
        from Gamma(s, beta)) or ``T`` ends. ``seed`` makes the draw repeatable."""
        if type(customers) is not int or customers < 1:
            fail("customers", customers, "must be a whole number >= 1")
        _check_time("T", T)
        rng = np.random.default_rng(seed)
        rates = rng.gamma(self.r, 1 / self.alpha, customers)
        ends = np.minimum(rng.exponential(1 / rng.gamma(self.s, 1 / self.beta, customers)), T)
        x, t_x, now = np.zeros(customers), np.zeros(customers), np.zeros(customers)
        active = np.arange(customers)
        while active.size:
            now[active] += rng.exponential(1 / rates[active])
            active = active[now[active] <= ends[active]]
            x[active] += 1
            t_x[active] = now[active]
        return x, t_x, np.full(customers, float(T))

    def expected_purchases(self, t: float) -> float:
        """E[X(t)]: repeat purchases a new customer is expected to make in ``t`` units."""
        _check_time("t", t)
        return float(self._expected(np.zeros(1), np.zeros(1), float(t))[0])

    def probability_alive(self, summary: BtydSummary) -> float:
        """P(alive | frequency, recency, T): the chance the customer's lifetime has not ended."""
        return float(self.probability_alive_columns(*_one(summary))[0])

    def conditional_expected_purchases(self, summary: BtydSummary, t: float) -> float:
        """E[Y(t) | frequency, recency, T]: this customer's repeat purchases in the next ``t``."""
        return float(self.conditional_expected_purchases_columns(*_one(summary), t)[0])

    def probability_alive_columns(self, frequency: Any, recency: Any, T: Any) -> _Array:
        """[`probability_alive()`][logicrm.models.ParetoNbdModel.probability_alive] for
        every customer of three equal-length columns at once, as a numpy array."""
        x, t_x, big_t = _checked_columns(frequency, recency, T)
        return special.expit(-_log_odds_dead(self._array(), x, t_x, big_t))

    def conditional_expected_purchases_columns(
        self, frequency: Any, recency: Any, T: Any, t: float
    ) -> _Array:
        """[`conditional_expected_purchases()`][logicrm.models.ParetoNbdModel.conditional_expected_purchases]
        for every customer of three equal-length columns at once, over the next ``t`` units.
        """
        _check_time("t", t)
        x, t_x, big_t = _checked_columns(frequency, recency, T)
        alive = special.expit(-_log_odds_dead(self._array(), x, t_x, big_t))
        return alive * self._expected(x, big_t, float(t))

    def log_likelihood_of(self, summaries: Iterable[BtydSummary]) -> float:
        """The model's log-likelihood of other data (e.g. a holdout)."""
        x, t_x, big_t, _ = _columns(summaries)
        _check_columns(x, t_x, big_t)
        return float(np.sum(_pareto_log_likelihood(self._array(), x, t_x, big_t)))

    def _array(self) -> _Array:
        return np.array([self.r, self.alpha, self.s, self.beta])

    def _expected(self, x: _Array, big_t: _Array, t: float) -> _Array:
        """Purchases in (T, T + t] of customers known alive at T after x repeats:
        (r + x)(beta + T) / ((alpha + T)(s - 1)) [1 - ((beta + T)/(beta + T + t))^(s - 1)],
        written with expm1 so that s near 1 takes its limit, a logarithm."""
        r, alpha, s, beta = self.r, self.alpha, self.s, self.beta
        shrink = np.log(beta + big_t) - np.log(beta + big_t + t)  # <= 0
        factor = -shrink if abs(s - 1) < 1e-12 else -np.expm1((s - 1) * shrink) / (s - 1)
        return (r + x) * (beta + big_t) / (alpha + big_t) * factor

    def _repr_html_(self) -> str:
        """The notebook view: fields, nested results and reasons as HTML."""
        from logicrm._html import render

        return render(self)
