"""Customer value: the four value dimensions of a third-party logistics customer.

Source: docs/sources.md#value.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple

import attrs

from logicrm.domain import Customer, Money, Reason
from logicrm.domain._checks import MAX_COUNT, MAX_DAYS, check_int, check_number, fail
from logicrm.domain._money import in_library_context
from logicrm.errors import CurrencyMismatchError
from logicrm.scoring._activity import Activity
from logicrm.scoring._per_policy import per_policy
from logicrm.scoring._tier import check_activity


class ValueDimension(StrEnum):
    """The four value dimensions of the domain notes (战略 / 赢利 / 成长 / 感知价值)."""

    STRATEGIC = "strategic"
    PROFIT = "profit"
    GROWTH = "growth"
    PERCEIVED = "perceived"


_DIMENSIONS = tuple(ValueDimension)


_DEFAULT_WEIGHTS = MappingProxyType(
    {
        ValueDimension.STRATEGIC: 0.3,
        ValueDimension.PROFIT: 0.3,
        ValueDimension.GROWTH: 0.2,
        ValueDimension.PERCEIVED: 0.2,
    }
)


def _weights(value: Mapping[ValueDimension, float]) -> Mapping[ValueDimension, float]:
    if not isinstance(value, Mapping):
        fail("weights", value, "must map value dimension -> weight")
    result = {}
    for key, weight in value.items():
        try:
            dimension = ValueDimension(key)
        except ValueError:
            fail("weights", key, f"is not one of {[d.value for d in ValueDimension]}")
        check_number(f"weights.{dimension.value}", weight, min_value=0, max_value=1e6)
        result[dimension] = float(weight)
    if sum(result.values()) <= 0:
        fail("weights", dict(value), "must give some dimension a weight above 0")
    return MappingProxyType({d: result[d] for d in ValueDimension if d in result})


@attrs.frozen(kw_only=True)
class ValueModel:
    """How the four value dimensions are scored and combined (all 0-100).

    The domain notes name the dimensions; how to measure them from operational data is
    this library's documented choice:

    - **strategic** (long-term cooperation): half *tenure* — days since the first order over
      ``strategic_tenure_days`` (three years), capped at 1 — and half *continuity* — orders
      in the trailing 365 days over ``strategic_orders_per_year`` (52, weekly), capped at 1.
    - **profit** (direct profit brought): gross margin (revenue - cost) on orders in the
      trailing 365 days over ``profit_reference`` (100,000 CNY), clipped to 0..1.
    - **growth** (expanding our business): revenue in the trailing 365 days against the 365
      days before: ``50 + 50 * clip(growth / growth_reference, -1, 1)`` where growth is the
      relative change and ``growth_reference`` is 1.0 (doubling scores 100, halving 25).
    - **perceived** (value the customer perceives from our service): the perfect-order rate
      of delivered shipments (on time, in full, undamaged, correctly invoiced) x 100.

    A dimension with no input (no orders at all; no revenue in the previous year, for
    growth; nothing delivered, for perceived) is left out and the remaining weights are
    renormalised, with a reason saying so.

    Attributes:
        weights: weight per [`ValueDimension`][logicrm.scoring.ValueDimension] (>= 0, not all 0).
    """

    weights: Mapping[ValueDimension, float] = attrs.field(
        default=_DEFAULT_WEIGHTS, converter=_weights, hash=False
    )
    strategic_tenure_days: int = 1095
    strategic_orders_per_year: int = 52
    profit_reference: Money = Money("100000.00", "CNY")
    growth_reference: float = 1.0

    def __attrs_post_init__(self) -> None:
        check_int(
            "strategic_tenure_days", self.strategic_tenure_days, min_value=1, max_value=MAX_DAYS
        )
        check_int(
            "strategic_orders_per_year",
            self.strategic_orders_per_year,
            min_value=1,
            max_value=MAX_COUNT,
        )
        if type(self.profit_reference) is not Money:
            fail("profit_reference", self.profit_reference, "must be Money")
        if self.profit_reference.amount <= 0:
            fail("profit_reference", self.profit_reference, "must be > 0")
        check_number(
            "growth_reference", self.growth_reference, min_value=0, above_min=True, max_value=1e6
        )


@attrs.frozen
class ValueScore:
    """A customer's value: the combined score and each dimension's.

    Attributes:
        score: weighted mean of the dimensions present (0-100), ``None`` if none is.
        dimensions: score per [`ValueDimension`][logicrm.scoring.ValueDimension] that had input.
        reasons: one per dimension (``contribution`` = its weighted share of ``score``),
            plus one per dimension left out.
    """

    score: float | None
    dimensions: Mapping[ValueDimension, float] = attrs.field(hash=False)
    reasons: tuple[Reason, ...]

    def _repr_html_(self) -> str:
        """The notebook view: fields, nested results and reasons as HTML."""
        from logicrm._html import render

        return render(self)


def _clip(x: float, low: float = 0.0, high: float = 1.0) -> float:
    return max(low, min(high, x))


@in_library_context
def value_score(
    customer: Customer,
    activity: Activity,
    *,
    as_of: datetime,
    model: ValueModel = ValueModel(),
) -> ValueScore:
    """Score the customer's value on the four dimensions and combine them (0-100).

    See [`ValueModel`][logicrm.scoring.ValueModel] for each dimension's inputs and scaling.
    ``activity`` must be the customer's, built with ``as_of``.

    Raises:
        ValidationError: the activity is another customer's or taken at another time.
        CurrencyMismatchError: revenue not in the currency of ``model.profit_reference``.

    Examples:
        >>> from logicrm.sample import sample_dataset
        >>> from logicrm.scoring import summarize
        >>> data = sample_dataset()
        >>> activity = summarize(data.shipments, as_of=data.as_of)["C00000"]
        >>> round(value_score(data.customers[0], activity, as_of=data.as_of).score, 1)
        82.3
    """
    check_activity(customer.id, activity, as_of)
    weights = {row.dimension: row.weight for row in value_dimensions(model)}
    return combine_dimensions(*measure_dimensions(activity, as_of, model), weights)


def measure_dimensions(
    activity: Activity, as_of: datetime, model: ValueModel
) -> tuple[dict[ValueDimension, float], dict[ValueDimension, str], list[Reason]]:
    """Each dimension's score and note, and a reason per dimension left out.

    Shared by [`value_score()`][logicrm.scoring.value_score] and value calculators that re-measure a
    dimension (such as [`logicrm.models.ClvValue`][logicrm.models.ClvValue]) before combining.
    """
    if activity.currency is not None and activity.currency != model.profit_reference.currency:
        raise CurrencyMismatchError(activity.currency, model.profit_reference.currency, "score")
    scores: dict[ValueDimension, float] = {}
    notes: dict[ValueDimension, str] = {}
    missing: list[Reason] = []
    figures = _Figures(
        None if activity.first_order_at is None else (as_of - activity.first_order_at).days,
        activity.orders_within(365),
        activity.revenue_within(365),
        activity.cost_within(365),
        activity.revenue_within(730),
        activity.delivered,
        activity.perfect,
    )
    for row in value_dimensions(model):
        measured = _measure(row, figures, noted=True)
        if isinstance(measured, str):
            missing.append(_left_out(row.dimension, measured))
        else:
            scores[row.dimension], notes[row.dimension] = measured
    return scores, notes, missing


class Dimension(NamedTuple):
    """One row of the value model's table: a dimension, how it is measured (``formula``),
    against what (``references``), and its weight in the combined score."""

    dimension: ValueDimension
    formula: str
    references: tuple[Any, ...]
    weight: float


@per_policy
def value_dimensions(model: ValueModel) -> tuple[Dimension, ...]:
    """The value dimensions in the order they are measured and summed: the one table the
    object path, the columnar engine's expressions and its tuple kernel read."""
    weight = model.weights.get
    return (
        Dimension(ValueDimension.STRATEGIC, "tenure_and_continuity",
                  (model.strategic_tenure_days, model.strategic_orders_per_year),
                  weight(ValueDimension.STRATEGIC, 0.0)),
        Dimension(ValueDimension.PROFIT, "margin_share", (model.profit_reference.amount,),
                  weight(ValueDimension.PROFIT, 0.0)),
        Dimension(ValueDimension.GROWTH, "growth", (model.growth_reference,),
                  weight(ValueDimension.GROWTH, 0.0)),
        Dimension(ValueDimension.PERCEIVED, "perfect_rate", (),
                  weight(ValueDimension.PERCEIVED, 0.0)),
    )  # fmt: skip


class _Figures(NamedTuple):
    tenure_days: int | None  # None: no order yet
    orders_365: int
    revenue_365: Decimal
    cost_365: Decimal
    revenue_730: Decimal
    delivered: int
    perfect: int


def _measure(row: Dimension, f: _Figures, *, noted: bool) -> tuple[float, str] | str:
    """A dimension's score and note (``noted``; else no note), or why it is left out."""
    if row.formula == "perfect_rate":
        if not f.delivered:
            return "nothing delivered yet"
        rate = f.perfect / f.delivered
        return (
            100 * rate,
            f"{f.perfect} of {f.delivered} deliveries perfect ({rate:.1%})" if noted else "",
        )
    if f.tenure_days is None:
        return "no orders yet"
    if row.formula == "tenure_and_continuity":
        tenure_days, per_year = row.references
        tenure = _clip(f.tenure_days / tenure_days)
        continuity = _clip(f.orders_365 / per_year)
        note = (
            f"customer for {f.tenure_days} days (tenure {tenure:.2f}), {f.orders_365} orders "
            f"in the last 365 days (continuity {continuity:.2f})"
        ) if noted else ""  # fmt: skip
        return 100 * (tenure + continuity) / 2, note
    if row.formula == "margin_share":
        (reference,) = row.references
        margin = f.revenue_365 - f.cost_365
        note = (
            f"gross margin {margin:,} over the last 365 days against {reference:,} for a "
            "full score"
        ) if noted else ""  # fmt: skip
        return 100 * _clip(float(margin / reference)), note
    if row.formula == "growth":
        (reference,) = row.references
        recent, previous = f.revenue_365, f.revenue_730 - f.revenue_365
        if not previous > 0:
            return "no revenue in the previous year"
        growth = float(recent / previous) - 1
        note = (
            f"revenue {recent:,} in the last 365 days against {previous:,} the year before "
            f"({growth:+.1%})"
        ) if noted else ""  # fmt: skip
        return 50 + 50 * _clip(growth / reference, -1.0, 1.0), note
    raise ValueError(f"no value formula {row.formula!r}")


def dimension_score(
    model: ValueModel,
    *,
    tenure_days: int | None,
    orders_365: int,
    revenue_365: Decimal,
    cost_365: Decimal,
    revenue_730: Decimal,
    delivered: int,
    perfect: int,
) -> float | None:
    """``value_score(...).score`` on plain figures, without notes (the columnar engine's
    tuple kernel calls it): the table's dimensions measured and weighted."""
    figures = _Figures(tenure_days, orders_365, revenue_365, cost_365, revenue_730,
                       delivered, perfect)  # fmt: skip
    table = value_dimensions(model)
    scores = {}
    for row in table:
        measured = _measure(row, figures, noted=False)
        if not isinstance(measured, str):
            scores[row.dimension] = measured[0]
    return _weighted(scores, {row.dimension: row.weight for row in table})


def _weighted(
    scores: Mapping[ValueDimension, float], weights: Mapping[ValueDimension, float]
) -> float | None:
    used = {d: w for d in scores if (w := weights.get(d, 0.0)) > 0}
    total = sum(used.values())
    return sum(used[d] / total * scores[d] for d in used) if total else None


def _left_out(dimension: ValueDimension, why: str) -> Reason:
    return Reason(f"value.{dimension.value}.missing", f"{dimension.value} value left out: {why}")


def combine_dimensions(
    scores: Mapping[ValueDimension, float],
    notes: Mapping[ValueDimension, str],
    missing: list[Reason],
    weights: Mapping[ValueDimension, float],
) -> ValueScore:
    used = {d: w for d in scores if (w := weights.get(d, 0.0)) > 0}
    total = sum(used.values())
    shares = {d: w / total * scores[d] for d, w in used.items()} if total else {}
    reasons = [
        Reason(f"value.{d}", f"{d} value {scores[d]:.1f}/100: {notes[d]}", shares[d])
        for d in scores
        if d in used
    ]
    if missing and total:
        missing.append(
            Reason("value.renormalised", "weights of the dimensions present rescaled to sum 1")
        )
    score = sum(shares.values()) if total else None
    ordered = {d: scores[d] for d in _DIMENSIONS if d in scores}
    return ValueScore(score, MappingProxyType(ordered), (*reasons, *missing))
