"""The domain's default tiering rules (物流客户分级管理制度范本)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import attrs

from logicrm.domain import AdministrativeLevel, Customer, CustomerKind, CustomerSize, Money, Reason
from logicrm.domain._checks import MAX_COUNT, check_aware, check_int, fail
from logicrm.domain._money import in_library_context
from logicrm.domain._reason import plural
from logicrm.errors import CurrencyMismatchError
from logicrm.scoring._activity import Activity


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


def _said(code: str, **figures: object) -> Reason:
    return Reason(code, _TIER_SAID[code].format(**figures))


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
    if customer.kind is CustomerKind.INDIVIDUAL:
        orders = activity.orders_within(30)
        frequent = orders >= policy.frequent_orders
        return TierResult(
            Tier.FREQUENT if frequent else Tier.OCCASIONAL,
            (
                _said(
                    "tier.individual.monthly_orders",
                    orders=plural(orders, "order"),
                    comparison=">=" if frequent else "<",
                    frequent=policy.frequent_orders,
                    tier="frequent" if frequent else "occasional",
                ),
            ),
        )
    if customer.kind is CustomerKind.ENTERPRISE:
        return _enterprise(activity, policy)
    return _institution(customer)


def _enterprise(activity: Activity, policy: TieringPolicy) -> TierResult:
    currency = policy.large_annual_spend.currency
    if activity.currency is not None and activity.currency != currency:
        raise CurrencyMismatchError(activity.currency, currency, "tier")
    spend = Money._trusted(activity.revenue_within(365), currency)  # an exact total, any size
    if spend >= policy.large_annual_spend:
        chosen, rule = Tier.LARGE, f">= {policy.large_annual_spend.amount:,}"
    elif spend >= policy.medium_annual_spend:
        chosen, rule = Tier.MEDIUM, f">= {policy.medium_annual_spend.amount:,}"
    else:
        chosen, rule = Tier.SMALL, f"< {policy.medium_annual_spend.amount:,}"
    return TierResult(
        chosen,
        (
            _said(
                "tier.enterprise.annual_spend",
                spend=spend.amount,
                currency=currency,
                rule=rule,
                tier=chosen.value,
            ),
        ),
    )


def _institution(customer: Customer) -> TierResult:
    if customer.administrative_level is not None:
        chosen = _INSTITUTION_BY_LEVEL[customer.administrative_level]
        grade = chosen.value.rsplit("_", 1)[1].upper()
        level = customer.administrative_level.value
        return TierResult(chosen, (_said("tier.institution.level", level=level, grade=grade),))
    if customer.size is not None:
        chosen = _INSTITUTION_BY_SIZE[customer.size]
        grade = chosen.value.rsplit("_", 1)[1].upper()
        size = customer.size.value
        return TierResult(chosen, (_said("tier.institution.size", size=size, grade=grade),))
    return TierResult(Tier.UNCLASSIFIED, (_said("tier.institution.unknown"),))
