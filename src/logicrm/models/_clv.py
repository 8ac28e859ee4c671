"""Customer lifetime value from the two models, for one customer or many, and the
CLV value calculator."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

import attrs
import numpy as np

from logicrm.domain import Customer, Reason
from logicrm.domain._checks import fail
from logicrm.domain._money import in_library_context
from logicrm.models._bgnbd import BetaGeoModel
from logicrm.models._fit import _Array, _checked_columns, _one
from logicrm.models._gamma_gamma import GammaGammaModel
from logicrm.models._support import MIN_CUSTOMERS, MIN_REPEAT_CUSTOMERS, FitSupport
from logicrm.scoring import Activity, BtydSummary, ValueDimension, ValueModel, ValueScore
from logicrm.scoring._btyd import btyd_summary
from logicrm.scoring._tier import check_activity
from logicrm.scoring._value import combine_dimensions, measure_dimensions

CALENDAR_MONTH = timedelta(days=365.25 / 12)
"""A calendar month on average: 365.25 / 12 = 30.4375 days (``clv(period="month")``)."""


LIFETIMES_WEEKLY_MONTH = timedelta(weeks=4.345)
"""The month of lifetimes' weekly CLV (``freq="W"``): 4.345 weeks, 30.415 days. Pass it as
``clv(period=LIFETIMES_WEEKLY_MONTH, margin=1.0)`` to reproduce lifetimes' figures."""


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

    def support(
        self,
        *,
        min_customers: int = MIN_CUSTOMERS,
        min_repeat_customers: int = MIN_REPEAT_CUSTOMERS,
    ) -> FitSupport:
        """Whether both fits can support the scores, with every reason of both
        ([`BetaGeoModel.support()`][logicrm.models.BetaGeoModel.support] and
        [`GammaGammaModel.support()`][logicrm.models.GammaGammaModel.support]). The
        calculator scores either way: refusing is the caller's decision, as ``logicrm score
        --value clv`` does unless given ``--allow-weak-fit``.

        Raises:
            ValidationError: a threshold that is not a whole number >= 1.
        """
        return self.purchases.support(
            min_customers=min_customers, min_repeat_customers=min_repeat_customers
        ) & self.spend.support(min_repeat_customers=min_repeat_customers)

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
