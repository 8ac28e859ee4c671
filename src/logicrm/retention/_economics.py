"""What a customer is worth to us beyond revenue: our share of its logistics spend, and its
margin once the cost of serving it is paid (效益背反, the cost-service trade-off)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from logicrm.domain import Complaint, Money, Reason, SpendEstimate
from logicrm.domain._checks import check_aware, fail
from logicrm.domain._money import in_library_context
from logicrm.domain._reason import plural
from logicrm.errors import CurrencyMismatchError
from logicrm.retention._contact_items import WHAT, ContactPlan
from logicrm.retention._contact_policy import ContactPolicy, ContactTask, _purposes
from logicrm.retention._contacts import ContactActivity, _moved
from logicrm.scoring import Activity
from logicrm.scoring._per_policy import per_policy

if TYPE_CHECKING:
    from logicrm.retention._assessed import Assessed

_STALE_DAYS = 730
_ZERO = Decimal(0)
_ONE = Decimal(1)
_YEAR = Decimal(365)
_CENT = Decimal("0.01")
_YEAR_SPAN = timedelta(days=365)
_NO_ESTIMATE = Reason("share.no_estimate", "no estimate of the customer's total spend")


@attrs.frozen(kw_only=True)
class CustomerShare:
    """Our share of one customer's annual logistics spend (客户份额, share of wallet).

    Attributes:
        customer_id: the customer.
        share: our revenue over the 365 days before ``as_of`` / the estimated annual spend,
            in [0, 1]; ``None`` without an estimate (or in another currency).
        our_spend: our revenue over those 365 days (``Decimal``, in the estimate's currency).
        estimate: the [`SpendEstimate`][logicrm.domain.SpendEstimate] used, if any.
        reasons: the figures, the estimate's provenance, or why there is no share.
    """

    customer_id: str
    share: float | None
    our_spend: Decimal | None
    estimate: SpendEstimate | None
    reasons: tuple[Reason, ...]

    def _repr_html_(self) -> str:
        from logicrm._html import render

        return render(self)


@in_library_context
def customer_share(
    activity: Activity, estimate: SpendEstimate | None, *, as_of: datetime
) -> CustomerShare:
    """Our share of the customer's logistics spend over the 365 days before ``as_of``.

    The share is our revenue over those days divided by the estimate's annual spend. Our
    revenue above the estimate means the estimate is too low: the share is then 100%, with a
    reason. An estimate over two years older than ``as_of`` is used, with a reason saying so.

    Examples:
        >>> from datetime import date, datetime, timedelta, timezone
        >>> from logicrm import Shipment, summarize
        >>> as_of = datetime(2026, 6, 30, tzinfo=timezone.utc)
        >>> s = Shipment(id="S1", customer_id="C1", ordered_at=as_of - timedelta(days=10),
        ...              promised_at=as_of, revenue=Money("250000", "CNY"),
        ...              cost=Money("200000", "CNY"), units_ordered=1)
        >>> estimate = SpendEstimate(customer_id="C1", annual_spend=Money("1000000", "CNY"),
        ...                          estimated_on=date(2026, 3, 31), provenance="annual report")
        >>> customer_share(summarize([s], as_of=as_of)["C1"], estimate, as_of=as_of).share
        0.25
    """
    check_aware("as_of", as_of)
    cid = activity.customer_id
    if estimate is None:
        return CustomerShare(
            customer_id=cid,
            share=None,
            our_spend=None,
            estimate=None,
            reasons=(_NO_ESTIMATE,),
        )
    if estimate.customer_id != cid:
        fail("estimate.customer_id", estimate.customer_id, f"is not {cid!r}")
    total = estimate.annual_spend
    currency = activity.currency or total.currency
    if currency != total.currency:
        return CustomerShare(
            customer_id=cid,
            share=None,
            our_spend=None,
            estimate=estimate,
            reasons=(
                Reason(
                    "share.currency",
                    f"the estimate is in {total.currency}, our revenue in {currency}: no share",
                ),
            ),
        )
    ours = activity.revenue_within(365)
    ratio = ours / total.amount
    share = float(min(ratio, _ONE))
    source = f"{estimate.source.value} estimate of {estimate.estimated_on.isoformat()}" + (
        f", {estimate.provenance}" if estimate.provenance else ""
    )
    reasons = [
        Reason(
            "share.of_wallet",
            f"our revenue over 365 days {ours:,.2f} {currency} of an estimated annual spend of "
            f"{total.amount:,.2f} {currency} "
            f"({source}): {share:.1%}",
        )
    ]
    if ratio > 1:
        reasons.append(
            Reason("share.above_estimate", "our revenue exceeds the estimate: it is too low")
        )
    if (as_of.date() - estimate.estimated_on).days > _STALE_DAYS:
        reasons.append(
            Reason("share.stale", f"the estimate is over {_STALE_DAYS} days old: refresh it")
        )
    return CustomerShare(
        customer_id=cid,
        share=share,
        our_spend=ours,
        estimate=estimate,
        reasons=tuple(reasons),
    )


def _cost(field: str) -> Any:
    def check(_: Any, attribute: Any, value: object) -> None:
        if type(value) is not Money:
            fail(field, value, "must be Money")
        if value.amount < 0:
            fail(field, value, "must be >= 0")

    return check


@attrs.frozen(kw_only=True)
class ServiceCostPolicy:
    """What serving a customer costs beyond the shipments' own cost, per event.

    The domain notes weigh service against its cost (效益背反); the figures are each
    company's own. Defaults, in CNY, are illustrative: 300 per complaint handled, 200 per
    follow-up contact (a visit, an account review or a survey), and per exception 150 for a
    reroute, 250 for a return and 400 for a shipment delivered damaged.

    Attributes:
        per_complaint: handling one complaint.
        per_follow_up: one contact with a purpose in ``follow_up_purposes``.
        per_reroute: one rerouted shipment.
        per_return: one returned (or re-dispatched) shipment.
        per_damage: one shipment delivered with damaged units.
        follow_up_purposes: the contact purposes that cost ``per_follow_up``.
        trailing_year: measure over the 365 days before ``as_of`` (on, the same period as
            value, share and tiers); off, over the customer's whole history. Either way the
            result keeps the other figure as ``lifetime_margin``.
    """

    per_complaint: Money = attrs.field(
        default=Money("300.00", "CNY"), validator=_cost("per_complaint")
    )
    per_follow_up: Money = attrs.field(
        default=Money("200.00", "CNY"), validator=_cost("per_follow_up")
    )
    per_reroute: Money = attrs.field(default=Money("150.00", "CNY"), validator=_cost("per_reroute"))
    per_return: Money = attrs.field(default=Money("250.00", "CNY"), validator=_cost("per_return"))
    per_damage: Money = attrs.field(default=Money("400.00", "CNY"), validator=_cost("per_damage"))
    follow_up_purposes: tuple[str, ...] = attrs.field(
        default=("follow_up_visit", "account_review", "satisfaction_survey"),
        converter=_purposes,
    )
    trailing_year: bool = True

    def __attrs_post_init__(self) -> None:
        if not self.follow_up_purposes:
            fail("follow_up_purposes", [], "must name at least one purpose")
        currency = self.per_complaint.currency
        for name in ("per_follow_up", "per_reroute", "per_return", "per_damage"):
            if getattr(self, name).currency != currency:
                fail(name, getattr(self, name), f"must be in {currency}, like per_complaint")

    @property
    def currency(self) -> str:
        """The currency of every cost."""
        return self.per_complaint.currency


@attrs.frozen(kw_only=True)
class Profitability:
    """A customer's margin after the cost of serving it, over the 365 days before ``as_of``
    (or its whole history, as the policy says).

    *Cost to serve* has one meaning everywhere in logicrm: the freight (the shipments' own
    cost) plus the service cost (complaints, follow-ups, exceptions at the policy's prices).

    Amounts are exact ``Decimal`` figures in ``currency`` (totals over many shipments may
    pass the range of one [`Money`][logicrm.domain.Money] amount).

    Attributes:
        customer_id: the customer.
        currency: the currency of every amount (the policy's).
        revenue: the shipments' revenue over the period.
        shipment_cost: the freight: the shipments' own cost over the period.
        gross_margin: revenue - shipment cost.
        complaints: complaints opened in the period (``None``: no complaint records given).
        follow_ups: follow-up contacts in the period (``None``: no contact log given).
        exceptions: rerouted, returned and damaged shipments of the period, in that order.
        service_cost: complaints, follow-ups and exceptions at the policy's prices.
        cost_to_serve: shipment cost + service cost.
        margin: revenue - cost to serve (the margin after cost to serve).
        margin_rate: margin / revenue; ``None`` without revenue.
        unprofitable: serving the customer costs more than its gross margin earns
            (``margin < 0``).
        reasons: the figures, and a named warning when unprofitable.
        period_days: the days measured (365), ``None`` for the whole history.
        lifetime_margin: the margin after cost to serve over the whole history (equal to
            ``margin`` when ``period_days`` is ``None``).
        follow_up_cost: the part of ``service_cost`` that is follow-up contacts: what our own
            visits and surveys cost.
    """

    customer_id: str
    currency: str
    revenue: Decimal
    shipment_cost: Decimal
    gross_margin: Decimal
    complaints: int | None
    follow_ups: int | None
    exceptions: tuple[int, int, int]
    service_cost: Decimal
    cost_to_serve: Decimal
    margin: Decimal
    margin_rate: float | None
    unprofitable: bool
    reasons: tuple[Reason, ...]
    period_days: int | None = None
    lifetime_margin: Decimal = attrs.field(
        default=attrs.Factory(lambda self: self.margin, takes_self=True)
    )
    follow_up_cost: Decimal = _ZERO

    def _repr_html_(self) -> str:
        from logicrm._html import render

        return render(self)


@per_policy
def service_prices(policy: ServiceCostPolicy) -> tuple[tuple[str, Decimal], ...]:
    """The service cost's table: each event counted (its count's name) and its price, in
    the order they are added. Both engines read it (``_service_figures`` here, the columnar
    engine's expressions), so an event priced is one row."""
    return (
        ("complaints", policy.per_complaint.amount),
        ("follow_ups", policy.per_follow_up.amount),
        ("reroutes", policy.per_reroute.amount),
        ("returns", policy.per_return.amount),
        ("damaged", policy.per_damage.amount),
    )


def _service_figures(
    currency: str | None,
    revenue: Decimal,
    cost: Decimal,
    complaints: int | None,
    follow_ups: int | None,
    reroutes: int,
    returns: int,
    damaged: int,
    policy: ServiceCostPolicy,
) -> tuple[Decimal, Decimal, Decimal]:
    """The service cost, the cost to serve and the margin after it: the arithmetic alone,
    shared with the columnar engine (which needs no reasons)."""
    if currency is not None and currency != policy.currency:
        raise CurrencyMismatchError(currency, policy.currency, "cost")
    counts = {
        "complaints": complaints or 0,
        "follow_ups": follow_ups or 0,
        "reroutes": reroutes,
        "returns": returns,
        "damaged": damaged,
    }
    events: Decimal | None = None
    for name, price in service_prices(policy):  # left to right, as the sum was written
        term = counts[name] * price
        events = term if events is None else events + term
    assert events is not None
    to_serve = cost + events
    return events, to_serve, revenue - to_serve


@in_library_context
def profitability(
    activity: Activity,
    *,
    as_of: datetime,
    complaints: Iterable[Complaint] | None = None,
    contacts: ContactActivity | None = None,
    policy: ServiceCostPolicy = ServiceCostPolicy(),
) -> Profitability:
    """The customer's margin after cost to serve: revenue - (freight + service cost), where
    the service cost is complaints, follow-ups and exceptions at the policy's prices.

    By default everything is counted over the 365 days before ``as_of``, the period of value,
    share and tiers: shipments ordered, their rerouted, returned and damaged ones, complaints
    opened and follow-up contacts made in those days. ``lifetime_margin`` keeps the same
    figure over the whole history. ``None`` for complaints or contacts means no records were
    given: they are counted as none, and the reason says so.

    Raises:
        CurrencyMismatchError: the activity's currency is not the policy's.

    Examples:
        >>> from datetime import datetime, timedelta, timezone
        >>> from logicrm import Shipment, summarize
        >>> as_of = datetime(2026, 6, 30, tzinfo=timezone.utc)
        >>> s = Shipment(id="S1", customer_id="C1", ordered_at=as_of - timedelta(days=3),
        ...              promised_at=as_of, revenue=Money("1000", "CNY"),
        ...              cost=Money("800", "CNY"), units_ordered=1, rerouted=True)
        >>> result = profitability(summarize([s], as_of=as_of)["C1"], as_of=as_of)
        >>> result.margin, result.unprofitable
        (Decimal('50.00'), False)
    """
    check_aware("as_of", as_of)
    year_start = as_of - _YEAR_SPAN
    opened = opened_year = None
    if complaints is not None:
        opened = opened_year = 0
        # compared in as_of's zone when it is a fixed offset: one move, not two comparisons
        # across zones (each asks both offsets)
        zone = as_of.tzinfo if type(as_of.tzinfo) is timezone else None
        for complaint in complaints:
            if complaint.customer_id != activity.customer_id:
                fail("complaints", complaint.id, f"is not a complaint of {activity.customer_id!r}")
            at = complaint.opened_at
            if zone is not None and at.tzinfo is not zone:
                at = _moved(at, zone)
            if at <= as_of:
                opened += 1
                opened_year += at > year_start
    if contacts is not None and contacts.customer_id != activity.customer_id:
        fail("contacts.customer_id", contacts.customer_id, f"is not {activity.customer_id!r}")
    customer_id = activity.customer_id
    currency = activity.currency if activity.orders else None
    purposes = policy.follow_up_purposes
    lifetime_figures = (
        activity.revenue,
        activity.cost,
        opened,
        None if contacts is None else contacts.count(*purposes),
        activity.reroutes,
        activity.returns,
        activity.damaged,
    )
    lifetime = _service_figures(currency, *lifetime_figures, policy)[2]
    if policy.trailing_year:
        figures = (
            activity.revenue_within(365),
            activity.cost_within(365),
            opened_year,
            None if contacts is None else contacts.recent_count(*purposes),
            activity.reroutes_365,
            activity.returns_365,
            activity.damaged_365,
        )
        period: int | None = 365
    else:
        figures, period = lifetime_figures, None
    revenue, cost, counted_complaints, follow_ups, reroutes, returns, damaged = figures
    events, to_serve, margin = _service_figures(currency, *figures, policy)
    wanted = policy.currency
    gross = revenue - cost
    rate = None if revenue == 0 else float(margin / revenue)

    def m(amount: Decimal) -> str:
        return f"{amount:,.2f} {wanted}"

    counted = [
        plural(counted_complaints, "complaint")
        if counted_complaints is not None
        else "complaints not given",
        plural(follow_ups, "follow-up") if follow_ups is not None else "contacts not given",
        f"{plural(reroutes, 'reroute')}, {plural(returns, 'return')}, "
        f"{plural(damaged, 'damaged shipment')}",
    ]
    when = "over the last 365 days" if period else "over the whole history"
    reasons = [
        Reason(
            "profit.margin",
            f"{when}: revenue {m(revenue)} - cost to serve {m(to_serve)} (freight {m(cost)} "
            f"+ service {m(events)}: {'; '.join(counted)}) = {m(margin)}"
            + ("" if rate is None else f" ({rate:.1%} of revenue)"),
        )
    ]
    unprofitable = margin < 0
    if unprofitable:
        reasons.append(
            Reason(
                "profit.unprofitable",
                f"{when}, {customer_id}'s service cost of {m(events)} is more than its gross "
                f"margin of {m(gross)}",
            )
        )
    if period:
        reasons.append(
            Reason(
                "profit.lifetime",
                f"over the whole history: margin after cost to serve {m(lifetime)}",
            )
        )
    return Profitability(
        customer_id=customer_id,
        currency=wanted,
        revenue=revenue,
        shipment_cost=cost,
        gross_margin=gross,
        complaints=counted_complaints,
        follow_ups=follow_ups,
        exceptions=(reroutes, returns, damaged),
        service_cost=events,
        cost_to_serve=to_serve,
        margin=margin,
        margin_rate=rate,
        unprofitable=unprofitable,
        reasons=tuple(reasons),
        period_days=period,
        lifetime_margin=lifetime,
        follow_up_cost=(follow_ups or 0) * policy.per_follow_up.amount,
    )


_PLANNED = (ContactTask.FOLLOW_UP_VISIT, ContactTask.SALES_CALL, ContactTask.SATISFACTION_SURVEY)
_PURPOSE_OF = {
    ContactTask.FOLLOW_UP_VISIT: "follow_up_visit",
    ContactTask.SALES_CALL: "sales_call",
    ContactTask.SATISFACTION_SURVEY: "satisfaction_survey",
}


def plan_cost_warning(
    plan: ContactPlan,
    profit: Profitability,
    contact_policy: ContactPolicy,
    policy: ServiceCostPolicy,
) -> Reason | None:
    """A named warning when the plan's own routine contacts would cost more in a year than
    the customer earns before them (its margin after cost to serve, follow-ups left out);
    ``None`` when they fit. The plan is not changed: the manager chooses cheaper channels or
    longer intervals."""
    costly = [
        item
        for item in plan.items
        if item.task in _PLANNED
        and item.interval_days is not None
        and _PURPOSE_OF[item.task] in policy.follow_up_purposes
    ]
    if not costly or profit.currency != policy.currency:
        return None
    per_year = sum(_YEAR / (item.interval_days or 1) for item in costly)
    price = policy.per_follow_up.amount
    planned = (per_year * price).quantize(_CENT)
    before = profit.margin + (profit.follow_ups or 0) * price
    if before < 0 or before - planned >= 0:
        return None
    said = ", ".join(f"{WHAT[item.task]} every {item.interval_days} days" for item in costly)
    return Reason(
        "contact.plan_cost",
        f"the plan ({said}) costs {planned:,.2f} {policy.currency} a year at "
        f"{price:,.2f} {policy.currency} a contact, more than the {before:,.2f} "
        f"{policy.currency} this customer earns before them: use phone or e-mail, or visit "
        "less often",
    )


@attrs.frozen(kw_only=True)
class ProfitabilityGroup:
    """Profitability summed over a group of customers (a tier or a Pareto class).

    Attributes:
        customers: how many customers.
        currency: the currency of the amounts.
        revenue: their revenue.
        cost_to_serve: their cost to serve.
        margin: revenue - cost to serve.
        margin_rate: margin / revenue, ``None`` without revenue.
        unprofitable: the ids of the group's unprofitable customers, sorted.
    """

    customers: int
    currency: str
    revenue: Decimal
    cost_to_serve: Decimal
    margin: Decimal
    margin_rate: float | None
    unprofitable: tuple[str, ...]

    def _repr_html_(self) -> str:
        """The notebook view: fields, nested results and reasons as HTML."""
        from logicrm._html import render

        return render(self)


@in_library_context
def profitability_by(
    assessments: Iterable[Assessed] | Mapping[str, Assessed], *, by: str = "tier"
) -> dict[str, ProfitabilityGroup]:
    """Profitability per tier (``by="tier"``) or Pareto class (``by="abc_class"``), from
    assessments; groups in the order first seen, customers without profitability left out.

    Raises:
        ValidationError: ``by`` is neither.
        CurrencyMismatchError: the assessments' figures are in different currencies.
    """
    if by not in ("tier", "abc_class"):
        fail("by", by, "must be 'tier' or 'abc_class'")
    values = assessments.values() if isinstance(assessments, Mapping) else assessments
    sums: dict[str, list[Any]] = {}
    for assessment in values:
        result = assessment.profitability
        if result is None:
            continue
        if by == "tier":
            group = assessment.tier.tier.value
        else:
            group = "-" if assessment.abc_class is None else assessment.abc_class.name
        entry = sums.setdefault(group, [0, result.currency, _ZERO, _ZERO, []])
        if entry[1] != result.currency:
            raise CurrencyMismatchError(entry[1], result.currency, "sum")
        entry[0] += 1
        entry[2] += result.revenue
        entry[3] += result.cost_to_serve
        if result.unprofitable:
            entry[4].append(result.customer_id)
    groups = {}
    for group, (count, currency, revenue, to_serve, losers) in sums.items():
        margin = revenue - to_serve
        groups[group] = ProfitabilityGroup(
            customers=count,
            currency=currency,
            revenue=revenue,
            cost_to_serve=to_serve,
            margin=margin,
            margin_rate=None if revenue == 0 else float(margin / revenue),
            unprofitable=tuple(sorted(losers)),
        )
    return groups
