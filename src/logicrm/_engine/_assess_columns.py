"""The assessment rows of every customer straight from the per-customer table, one tuple at
a time: the columnar engine's fallback (the tuple kernel) where its expressions
(``_assess_exprs``) do not promise the object path's answer, such as amounts too large for
exact float ratios.

``assess_all`` builds an ``Activity`` and an ``Assessment`` (with its results and reasons) per
customer: about 150 µs and a few kilobytes each, which at a million customers is minutes and
gigabytes. Here each customer is one tuple of figures read from the table, and one output row.
The arithmetic is the object path's own, step for step (the same Decimal operations in the
library's context, the same float operations in the same order), and only the reasons the
row shows are rendered. A property test checks that the rows are identical to
``Assessment.row()`` for every customer.

It covers tiers, Pareto classes, the default value model, lifecycle, churn, the service
rates, profitability and the default next best action (through the object path's own
functions on the same figures). Runs with credit profiles, invoices, complaints, surveys,
standards, interactions, spend estimates or another value calculator use the object path.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import polars as pl

from logicrm._assess import AssessmentRow
from logicrm._engine._tables import _exact_text
from logicrm.domain import Customer, CustomerKind
from logicrm.domain._money import CONTEXT
from logicrm.errors import CurrencyMismatchError
from logicrm.policies import Policies
from logicrm.retention._action import _choose
from logicrm.retention._economics import _service_figures
from logicrm.scoring import (
    AbcClass,
    ChurnTrend,
    CustomerClass,
    abc_classes,
    customer_classes,
)
from logicrm.scoring._activity import _COUNTERS
from logicrm.scoring._lifecycle import churn_figures, stage_figures
from logicrm.scoring._tier import Tier, tier_figures
from logicrm.scoring._value import dimension_score

_ZERO = Decimal(0)
_WINDOW = {30: 0, 90: 1, 365: 2, 730: 3}


# Activity's counters the row reads, in Activity's order (the order _row unpacks them in).
_READ_COUNTERS = tuple(
    n for n in _COUNTERS if n not in ("cycle_us_sum", "cycle_us_squares", "ignored_after_as_of")
)


def _figures(table: pl.DataFrame) -> pl.DataFrame:
    """Per customer, the figures the assessment reads: counts, times, and the exact text of
    each money sum (see ``frames.to_activities``)."""
    c = pl.col

    def money(value: str, places: str) -> pl.Expr:
        return _exact_text(c(value), c(places).fill_null(0).clip(0)).alias(value)

    return table.select(
        "customer_id",
        c("currency").alias("currency"),
        "orders",
        "first_order_at",
        "last_order_at",
        *(c(f"__w{i}_orders").alias(f"orders_{d}") for d, i in _WINDOW.items()),
        money("__w0_revenue", "__w0_revenue_places"),
        money("__w1_revenue", "__w1_revenue_places"),
        money("__w2_revenue", "__w2_revenue_places"),
        money("__w2_cost", "__w2_cost_places"),
        money("__w3_revenue", "__w3_revenue_places"),
        money("revenue", "__revenue_places"),
        money("cost", "__cost_places"),
        *(c(n).fill_null(0) for n in _READ_COUNTERS),
    )


_EMPTY = (
    None, 0, None, None, 0, 0, 0, 0, "0", "0", "0", "0", "0", "0", "0",
    *([0] * len(_READ_COUNTERS)),
)  # fmt: skip


class Enterprise:
    """A customer known only by its id in the shipments: assessed as an enterprise, as
    ``logicrm score`` assesses it, without building a ``Customer``."""

    __slots__ = ("id",)
    kind = CustomerKind.ENTERPRISE
    administrative_level = None
    size = None

    def __init__(self, id: str) -> None:
        self.id = id


def assessment_rows(
    table: pl.DataFrame | None,
    customers: Sequence[Customer | Enterprise],
    *,
    as_of: datetime,
    policies: Policies,
) -> Iterator[AssessmentRow]:
    """``assess_all(customers, activities, ...)``'s rows, in ``customers`` order, from the
    per-customer table the activities would come from. Customers without a row in the table
    have no shipments. The rows are made as they are read, so a million customers never sit
    in memory at once.

    Raises:
        CurrencyMismatchError: before any row, a customer's currency is not the policies',
            as the object path raises it (at the first such customer, for the tier, then
            for the value).
    """
    by_id: dict[str, tuple[Any, ...]] = {}
    if table is not None and table.height:
        figures = _figures(table)
        ids = figures["customer_id"].to_list()
        by_id = dict(zip(ids, figures.drop("customer_id").iter_rows(), strict=True))
    tier_currency = policies.tiering.large_annual_spend.currency
    value_currency = policies.value.profit_reference.currency
    cost_currency = policies.service_cost.currency
    for customer in customers:  # what the object path would raise, before any row
        row = by_id.get(customer.id)
        currency = row[0] if row is not None and row[1] else None
        if currency is None:
            continue
        if customer.kind is CustomerKind.ENTERPRISE and currency != tier_currency:
            raise CurrencyMismatchError(currency, tier_currency, "tier")
        if currency != value_currency:
            raise CurrencyMismatchError(currency, value_currency, "score")
        if currency != cost_currency:
            raise CurrencyMismatchError(currency, cost_currency, "cost")
    cut = policies.pareto
    with decimal.localcontext(CONTEXT):
        if cut.basis == "profit":
            values = {key: Decimal(row[10]) - Decimal(row[11]) for key, row in by_id.items()}
        else:
            values = {key: Decimal(row[10]) for key, row in by_id.items()}
        classes = abc_classes(values, a=cut.a, b=cut.b)
    del values
    kinds = customer_classes(classes, key_max_share=cut.key_max_share)
    return _rows(by_id, customers, classes, kinds, as_of, policies)


def _rows(
    by_id: dict[str, tuple[Any, ...]],
    customers: Sequence[Customer | Enterprise],
    classes: dict[str, AbcClass],
    kinds: dict[str, CustomerClass],
    as_of: datetime,
    policies: Policies,
) -> Iterator[AssessmentRow]:
    with decimal.localcontext(CONTEXT):
        for customer in customers:
            row = by_id.get(customer.id)
            yield _row(customer, _EMPTY if row is None else row, classes, kinds, as_of, policies)


def _row(
    customer: Customer | Enterprise,
    figures: tuple[Any, ...],
    classes: dict[str, AbcClass],
    kinds: dict[str, CustomerClass],
    as_of: datetime,
    policies: Policies,
) -> AssessmentRow:
    (
        currency, orders, first, last, orders_30, orders_90, orders_365, _,
        revenue_30, revenue_90, revenue_365, cost_365, revenue_730, revenue, cost,
        delivered, on_time, in_full, otif, perfect, damaged, units_ordered, units_filled,
        units_delivered, units_damaged, invoice_errors, stockouts, substitutions, reroutes,
        returns, reroutes_365, returns_365, damaged_365,
    ) = figures  # fmt: skip
    if not orders:
        currency = None
    recent_365 = Decimal(revenue_365)
    tier, tier_reason = _tier(customer, currency, orders_30, recent_365, policies)
    abc = classes.get(customer.id, AbcClass.C)
    kind = kinds.get(customer.id, CustomerClass.GENERAL)
    score = _value(currency, first, orders_365, recent_365, Decimal(cost_365),
                   Decimal(revenue_730), delivered, perfect, as_of, policies)  # fmt: skip
    stage_reason, stage = _lifecycle(last, as_of, policies)
    recent_days = policies.churn.recent_days
    churn = churn_figures(
        orders=orders,
        recent_orders={30: orders_30, 90: orders_90, 365: orders_365}[recent_days],
        first_order_at=first,
        revenue=Decimal(revenue),
        recent_revenue=Decimal({30: revenue_30, 90: revenue_90, 365: revenue_365}[recent_days]),
        as_of=as_of,
        policy=policies.churn,
    )
    at_risk, churn_reason = churn.at_risk, churn.reasons[0].message
    key = kind is CustomerClass.KEY
    flag = key and at_risk
    abc_reason = (
        f"Pareto class {abc.name} by {policies.pareto.basis} over the last 365 days: "
        f"a {kind.value} customer"
    )
    shown = (
        (churn_reason, tier_reason, abc_reason) if flag else (tier_reason, abc_reason, stage_reason)
    )

    prices = policies.service_cost
    lifetime = _service_figures(
        currency, Decimal(revenue), Decimal(cost), None, None, reroutes, returns, damaged, prices
    )[2]
    if prices.trailing_year:
        _, to_serve, margin = _service_figures(
            currency, recent_365, Decimal(cost_365), None, None,
            reroutes_365, returns_365, damaged_365, prices,
        )  # fmt: skip
    else:
        _, to_serve, margin = _service_figures(
            currency, Decimal(revenue), Decimal(cost), None, None,
            reroutes, returns, damaged, prices,
        )  # fmt: skip
    lapsed = stage == "lapsed"
    choice = _choose(
        tier=Tier(tier),
        key=key,
        institution=customer.kind is CustomerKind.INSTITUTION,
        lapsed=lapsed,
        at_risk=at_risk,
        churn_text=churn.change,
        steady=churn.trend is ChurnTrend.STEADY,
        orders=orders,
        first_order_at=first,
        last_order_at=last,
        as_of=as_of,
        revenue_365=recent_365,
        revenue_730=Decimal(revenue_730),
        share=None,
        unprofitable=margin < 0,
        lifetime_unprofitable=lifetime < 0,
        visits_cost_the_margin=False,  # no contact log in the columnar engine
        credit_outcome=None,
        qualified=None,  # a prospect without a credit profile
        policy=policies.action,
    )

    def rate(numerator: int, denominator: int) -> float | None:
        return None if denominator == 0 else numerator / denominator

    return {
        "customer_id": customer.id,
        "tier": tier,
        "abc_class": abc.name,
        "customer_class": kind.value,
        "value_score": None if score is None else round(score, 2),
        "lifecycle": stage,
        "churn_risk": at_risk,
        "key_customer": key,
        "churn_flag": flag,
        "credit_outcome": None,
        "credit_score": None,
        "credit_limit": None,
        "credit_currency": None,
        "credit_term_days": None,
        "on_time_rate": rate(on_time, delivered),
        "otif_rate": rate(otif, delivered),
        "perfect_order_rate": rate(perfect, delivered),
        "fill_rate": rate(units_filled, units_ordered),
        "late_delivery_rate": rate(delivered - on_time, delivered),
        "damage_rate": rate(units_damaged, units_delivered),
        "invoice_error_rate": rate(invoice_errors, orders),
        "stockout_rate": rate(stockouts, orders),
        "substitution_rate": rate(substitutions, orders),
        "short_shipment_rate": rate(delivered - in_full, delivered),
        "reroute_rate": rate(reroutes, orders),
        "return_rate": rate(returns, orders),
        "worst_gap": None,
        "worst_gap_size": None,
        "complaints": None,
        "complaints_met": None,
        "complaints_breached": None,
        "follow_up_due": None,
        "follow_ups_overdue": None,
        "customer_share": None,
        "cost_to_serve": to_serve,
        "margin_after_service": margin,
        "profit_currency": policies.service_cost.currency,
        "unprofitable": margin < 0,
        "next_action": choice.action.value,
        "retention_lever": None if choice.lever is None else choice.lever.value,
        "incentive": None if choice.incentive is None else choice.incentive.value,
        "action_reason": choice.headline,
        "top_reasons": "; ".join(shown),
    }


def _tier(
    customer: Customer | Enterprise,
    currency: str | None,
    orders_30: int,
    spend_365: Decimal,
    policies: Policies,
) -> tuple[str, str]:
    """``scoring.tier``: the tier and its reason's message (``tier_figures``)."""
    policy = policies.tiering
    wanted = policy.large_annual_spend.currency
    if customer.kind is CustomerKind.ENTERPRISE and currency is not None and currency != wanted:
        raise CurrencyMismatchError(currency, wanted, "tier")
    chosen, _, message = tier_figures(
        customer.kind, customer.administrative_level, customer.size, orders_30, spend_365, policy
    )
    return chosen.value, message


def _value(
    currency: str | None,
    first: datetime | None,
    orders_365: int,
    revenue_365: Decimal,
    cost_365: Decimal,
    revenue_730: Decimal,
    delivered: int,
    perfect: int,
    as_of: datetime,
    policies: Policies,
) -> float | None:
    """``scoring.value_score(...).score``: the value table's dimensions, without the notes
    no row shows (``dimension_score``)."""
    model = policies.value
    reference = model.profit_reference
    if currency is not None and currency != reference.currency:
        raise CurrencyMismatchError(currency, reference.currency, "score")
    return dimension_score(
        model,
        tenure_days=None if first is None else (as_of - first).days,
        orders_365=orders_365,
        revenue_365=revenue_365,
        cost_365=cost_365,
        revenue_730=revenue_730,
        delivered=delivered,
        perfect=perfect,
    )


def _lifecycle(last: datetime | None, as_of: datetime, policies: Policies) -> tuple[str, str]:
    """``scoring.lifecycle``: the first reason's message and the stage (``stage_figures``)."""
    stage, _, said = stage_figures(last, as_of, policies.lifecycle)
    return said, stage.value
