"""The domain's default tiering rules (物流客户分级管理制度范本)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

import attrs

from logicrm.domain import AdministrativeLevel, Customer, CustomerKind, CustomerSize, Money, Reason
from logicrm.domain._checks import MAX_COUNT, check_aware, check_int, fail
from logicrm.domain._money import in_library_context
from logicrm.domain._reason import plural
from logicrm.errors import CurrencyMismatchError
from logicrm.scoring._activity import Activity
from logicrm.scoring._per_policy import per_policy


class Tier(StrEnum):
    """A customer's tier under the tiering policy."""

    FREQUENT = "frequent"
    OCCASIONAL = "occasional"
    LARGE = "large"
    MEDIUM = "medium"
    SMALL = "small"
    INSTITUTION_A = "institution_a"
    INSTITUTION_B = "institution_b"
    INSTITUTION_C = "institution_c"
    UNCLASSIFIED = "unclassified"


def _check_policy(policy: TieringPolicy) -> None:
    check_int("frequent_orders", policy.frequent_orders, min_value=1, max_value=MAX_COUNT)
    for name in ("large_annual_spend", "medium_annual_spend"):
        if type(getattr(policy, name)) is not Money:
            fail(name, getattr(policy, name), "must be Money")
    if policy.medium_annual_spend.currency != policy.large_annual_spend.currency:
        fail("medium_annual_spend", policy.medium_annual_spend, "must share large's currency")
    if not Money.zero(policy.large_annual_spend.currency) < policy.medium_annual_spend:
        fail("medium_annual_spend", policy.medium_annual_spend, "must be > 0")
    if not policy.medium_annual_spend < policy.large_annual_spend:
        fail("medium_annual_spend", policy.medium_annual_spend, "must be below large_annual_spend")


@attrs.frozen(kw_only=True)
class TieringPolicy:
    """Thresholds of the tiering rules; the defaults are the literature's
    ([sources](../sources.md#tiers)).

    Attributes:
        frequent_orders: an individual placing at least this many orders in the trailing
            30 days is *frequent* (the notes: "≥ 3 times a month"); fewer is *occasional*.
        large_annual_spend: an enterprise spending at least this with us over the trailing
            365 days is *large* (500,000 CNY).
        medium_annual_spend: at least this is *medium* (100,000 CNY); below it, *small*.

    Institutions are tiered by what the record says: national bodies or large institutions
    are A, provincial or medium B, municipal or small C (the administrative level wins when
    both are given).
    """

    frequent_orders: int = 3
    large_annual_spend: Money = Money("500000.00", "CNY")
    medium_annual_spend: Money = Money("100000.00", "CNY")

    def __attrs_post_init__(self) -> None:
        _check_policy(self)


@attrs.frozen
class TierResult:
    """The tier and why."""

    tier: Tier
    reasons: tuple[Reason, ...]

    def _repr_html_(self) -> str:
        """The notebook view: fields, nested results and reasons as HTML."""
        from logicrm._html import render

        return render(self)


_INSTITUTION_BY_LEVEL = {
    AdministrativeLevel.NATIONAL: Tier.INSTITUTION_A,
    AdministrativeLevel.PROVINCIAL: Tier.INSTITUTION_B,
    AdministrativeLevel.MUNICIPAL: Tier.INSTITUTION_C,
}
_INSTITUTION_BY_SIZE = {
    CustomerSize.LARGE: Tier.INSTITUTION_A,
    CustomerSize.MEDIUM: Tier.INSTITUTION_B,
    CustomerSize.SMALL: Tier.INSTITUTION_C,
}
# Each tier rule's reason, by code: shared with the columnar engine's expressions, so a
# rule's words are written once.
_TIER_SAID = {
    "tier.individual.monthly_orders": (
        "{orders} in the 30 days before as_of ({comparison} {frequent}): {tier}"
    ),
    "tier.enterprise.annual_spend": (
        "spend over the 365 days before as_of {spend:,} {currency} {rule}: {tier}"
    ),
    "tier.institution.level": "{level} body: class {grade}",
    "tier.institution.size": "{size} institution: class {grade}",
    "tier.institution.unknown": "neither administrative_level nor size is recorded: cannot tier",
}


def check_activity(customer_id: str, activity: Activity, as_of: datetime) -> None:
    """The activity must be the customer's and taken at ``as_of`` (its windows end there)."""
    check_aware("as_of", as_of)
    if activity.customer_id != customer_id:
        fail("activity.customer_id", activity.customer_id, f"is not the customer {customer_id!r}")
    if activity.as_of != as_of:
        fail("activity.as_of", activity.as_of, f"must equal as_of ({as_of.isoformat()})")


@in_library_context
def tier(
    customer: Customer,
    activity: Activity,
    *,
    as_of: datetime,
    policy: TieringPolicy = TieringPolicy(),
) -> TierResult:
    """The customer's tier under the domain's default rules.

    - **individual**: *frequent* with at least ``policy.frequent_orders`` orders in the 30
      days before ``as_of``, else *occasional*;
    - **enterprise**: by revenue ordered in the 365 days before ``as_of`` — *large* from
      500,000.00, *medium* from 100,000.00, else *small* (so 499,999.99 is medium and
      99,999.99 small);
    - **institution**: *A*, *B* or *C* by administrative level (national, provincial,
      municipal), else by size (large, medium, small), else *unclassified*.

    ``activity`` must be the customer's, built with ``as_of`` (see
    [`summarize()`][logicrm.scoring.summarize]).

    Raises:
        ValidationError: the activity is another customer's or taken at another time.
        CurrencyMismatchError: an enterprise's revenue is not in the policy's currency.

    Examples:
        >>> from logicrm.sample import sample_dataset
        >>> from logicrm.scoring import summarize
        >>> data = sample_dataset()
        >>> activity = summarize(data.shipments, as_of=data.as_of)["C00000"]
        >>> tier(data.customers[0], activity, as_of=data.as_of).tier
        <Tier.LARGE: 'large'>
    """
    check_activity(customer.id, activity, as_of)
    spend = Decimal(0)
    if customer.kind is CustomerKind.ENTERPRISE:
        currency = policy.large_annual_spend.currency
        if activity.currency is not None and activity.currency != currency:
            raise CurrencyMismatchError(activity.currency, currency, "tier")
        spend = activity.revenue_within(365)  # an exact total, any size
    chosen, code, message = tier_figures(
        customer.kind,
        customer.administrative_level,
        customer.size,
        activity.orders_within(30) if customer.kind is CustomerKind.INDIVIDUAL else 0,
        spend,
        policy,
    )
    return TierResult(chosen, (Reason(code, message),))


class Band(NamedTuple):
    """One row of a tier rule's table: a figure at least ``least`` (``None``: any figure
    the rows above did not take) is ``tier``; the reason quotes ``comparison`` and
    ``quoted``."""

    least: Decimal | int | None
    tier: Tier
    comparison: str
    quoted: Decimal | int


@per_policy
def spend_bands(policy: TieringPolicy) -> tuple[Band, ...]:
    """The enterprise tiers by the trailing year's spend, highest band first: the one table
    both engines read (``tier`` here, the columnar engine's expressions)."""
    large, medium = policy.large_annual_spend.amount, policy.medium_annual_spend.amount
    return (
        Band(large, Tier.LARGE, ">=", large),
        Band(medium, Tier.MEDIUM, ">=", medium),
        Band(None, Tier.SMALL, "<", medium),
    )


@per_policy
def order_bands(policy: TieringPolicy) -> tuple[Band, ...]:
    """The individual tiers by the orders of the last 30 days, highest band first (read by
    both engines, like ``spend_bands``)."""
    frequent = policy.frequent_orders
    return (
        Band(frequent, Tier.FREQUENT, ">=", frequent),
        Band(None, Tier.OCCASIONAL, "<", frequent),
    )


def band_of(bands: tuple[Band, ...], figure: Decimal | int) -> Band:
    """The first band ``figure`` reaches (the last band takes the rest)."""
    for band in bands:
        if band.least is None or figure >= band.least:
            return band
    return bands[-1]


def tier_figures(
    kind: CustomerKind,
    level: AdministrativeLevel | None,
    size: CustomerSize | None,
    orders_30: int,
    spend_365: Decimal,
    policy: TieringPolicy,
) -> tuple[Tier, str, str]:
    """The tier rules on plain figures: the tier, its reason's code and message (``tier``
    and the columnar engine's tuple kernel call it)."""
    if kind is CustomerKind.INDIVIDUAL:
        band = band_of(order_bands(policy), orders_30)
        code = "tier.individual.monthly_orders"
        return (
            band.tier,
            code,
            _TIER_SAID[code].format(
                orders=plural(orders_30, "order"),
                comparison=band.comparison,
                frequent=band.quoted,
                tier=band.tier.value,
            ),
        )
    if kind is CustomerKind.ENTERPRISE:
        band = band_of(spend_bands(policy), spend_365)
        code = "tier.enterprise.annual_spend"
        return (
            band.tier,
            code,
            _TIER_SAID[code].format(
                spend=spend_365,
                currency=policy.large_annual_spend.currency,
                rule=f"{band.comparison} {band.quoted:,}",
                tier=band.tier.value,
            ),
        )
    if level is not None:
        chosen = _INSTITUTION_BY_LEVEL[level]
        grade = chosen.value.rsplit("_", 1)[1].upper()
        code = "tier.institution.level"
        return chosen, code, _TIER_SAID[code].format(level=level.value, grade=grade)
    if size is not None:
        chosen = _INSTITUTION_BY_SIZE[size]
        grade = chosen.value.rsplit("_", 1)[1].upper()
        code = "tier.institution.size"
        return chosen, code, _TIER_SAID[code].format(size=size.value, grade=grade)
    code = "tier.institution.unknown"
    return Tier.UNCLASSIFIED, code, _TIER_SAID[code]
