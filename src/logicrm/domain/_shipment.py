"""Shipments: one order fulfilled for a customer."""

from __future__ import annotations

from datetime import datetime, timezone

import attrs

from logicrm.domain._checks import (
    MAX_COUNT,
    check_aware,
    check_bool,
    check_count,
    check_text,
    fail,
)
from logicrm.domain._money import Money

_FLAGS = ("invoice_error", "stockout", "substituted", "rerouted", "returned")


@attrs.frozen(kw_only=True, init=False)
class Shipment:
    """One order fulfilled (or being fulfilled) for a customer.

    Attributes:
        id: the shipment's or order's identifier.
        customer_id: the [`Customer`][logicrm.domain.Customer] it was made for.
        ordered_at: when the customer placed the order (aware datetime).
        promised_at: when delivery was promised (aware); late means delivered after this.
        shipped_at: when it left, ``None`` before it did.
        delivered_at: when the customer received it, ``None`` while in transit.
        revenue: what the customer pays us for it ([`Money`][logicrm.domain.Money]).
        cost: what it costs us, in the same currency as ``revenue``.
        units_ordered: whole units ordered, ``>= 0``.
        units_delivered: whole units delivered, ``>= 0``.
        units_damaged: whole units damaged, ``0 <= units_damaged <= units_delivered``.
        invoice_error: the invoice was wrong (default ``False``, like the flags below).
        stockout: an item was out of stock.
        substituted: a substitute was used.
        rerouted: the route was changed.
        returned: returned or re-dispatched.

    Rules checked on construction: aware datetimes; ``ordered_at <= shipped_at <=
    delivered_at`` (for those given); ``delivered_at`` needs ``ordered_at <= delivered_at``
    even without ``shipped_at``; non-negative units; damaged not above delivered;
    revenue and cost in one currency. ``promised_at`` may fall anywhere after ordering.

    Examples:
        >>> from datetime import datetime, timezone
        >>> t = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
        >>> s = Shipment(id="S1", customer_id="C1", ordered_at=t, promised_at=t,
        ...              revenue=Money("800.00", "CNY"), cost=Money("620.00", "CNY"),
        ...              units_ordered=10, units_delivered=0)
        >>> s.delivered_at is None
        True
    """

    id: str
    customer_id: str
    ordered_at: datetime
    promised_at: datetime
    revenue: Money
    cost: Money
    units_ordered: int
    units_delivered: int = 0
    units_damaged: int = 0
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    invoice_error: bool = False
    stockout: bool = False
    substituted: bool = False
    rerouted: bool = False
    returned: bool = False

    def __init__(
        self,
        *,
        id: str,
        customer_id: str,
        ordered_at: datetime,
        promised_at: datetime,
        revenue: Money,
        cost: Money,
        units_ordered: int,
        units_delivered: int = 0,
        units_damaged: int = 0,
        shipped_at: datetime | None = None,
        delivered_at: datetime | None = None,
        invoice_error: bool = False,
        stockout: bool = False,
        substituted: bool = False,
        rerouted: bool = False,
        returned: bool = False,
    ) -> None:
        # Hot path, run for every shipment loaded: one boolean chain over exact types, with
        # fixed-offset time zones accepted on sight. Anything else (a zoneinfo zone, a
        # datetime subclass, a broken rule) goes to _explain, which accepts what is valid
        # and raises the first broken rule with its field.
        try:
            ok = (
                type(id) is str
                and type(customer_id) is str
                and id != ""
                and customer_id != ""
                and type(ordered_at) is datetime
                and type(promised_at) is datetime
                and type(ordered_at.tzinfo) is timezone
                and type(promised_at.tzinfo) is timezone
                and ordered_at <= promised_at
                and (
                    shipped_at is None
                    or (
                        type(shipped_at) is datetime
                        and type(shipped_at.tzinfo) is timezone
                        and ordered_at <= shipped_at
                    )
                )
                and (
                    delivered_at is None
                    or (
                        type(delivered_at) is datetime
                        and type(delivered_at.tzinfo) is timezone
                        and (ordered_at if shipped_at is None else shipped_at) <= delivered_at
                    )
                )
                and type(revenue) is Money
                and type(cost) is Money
                and revenue.currency == cost.currency
                and type(units_ordered) is int
                and type(units_delivered) is int
                and type(units_damaged) is int
                and 0 <= units_ordered <= MAX_COUNT
                and 0 <= units_damaged <= units_delivered <= MAX_COUNT
                and type(invoice_error) is bool
                and type(stockout) is bool
                and type(substituted) is bool
                and type(rerouted) is bool
                and type(returned) is bool
            )
        except Exception:
            ok = False
        _SET_ID(self, id)
        _SET_CUSTOMER_ID(self, customer_id)
        _SET_ORDERED_AT(self, ordered_at)
        _SET_PROMISED_AT(self, promised_at)
        _SET_REVENUE(self, revenue)
        _SET_COST(self, cost)
        _SET_UNITS_ORDERED(self, units_ordered)
        _SET_UNITS_DELIVERED(self, units_delivered)
        _SET_UNITS_DAMAGED(self, units_damaged)
        _SET_SHIPPED_AT(self, shipped_at)
        _SET_DELIVERED_AT(self, delivered_at)
        _SET_INVOICE_ERROR(self, invoice_error)
        _SET_STOCKOUT(self, stockout)
        _SET_SUBSTITUTED(self, substituted)
        _SET_REROUTED(self, rerouted)
        _SET_RETURNED(self, returned)
        if not ok:
            _explain(self)

    @property
    def is_delivered(self) -> bool:
        """Whether the customer has received the goods."""
        return self.delivered_at is not None


# Slot setters bound once: a frozen class cannot assign normally, and these are the cheapest
# way in (about half the cost of object.__setattr__).
_SET_ID = Shipment.__dict__["id"].__set__
_SET_CUSTOMER_ID = Shipment.__dict__["customer_id"].__set__
_SET_ORDERED_AT = Shipment.__dict__["ordered_at"].__set__
_SET_PROMISED_AT = Shipment.__dict__["promised_at"].__set__
_SET_REVENUE = Shipment.__dict__["revenue"].__set__
_SET_COST = Shipment.__dict__["cost"].__set__
_SET_UNITS_ORDERED = Shipment.__dict__["units_ordered"].__set__
_SET_UNITS_DELIVERED = Shipment.__dict__["units_delivered"].__set__
_SET_UNITS_DAMAGED = Shipment.__dict__["units_damaged"].__set__
_SET_SHIPPED_AT = Shipment.__dict__["shipped_at"].__set__
_SET_DELIVERED_AT = Shipment.__dict__["delivered_at"].__set__
_SET_INVOICE_ERROR = Shipment.__dict__["invoice_error"].__set__
_SET_STOCKOUT = Shipment.__dict__["stockout"].__set__
_SET_SUBSTITUTED = Shipment.__dict__["substituted"].__set__
_SET_REROUTED = Shipment.__dict__["rerouted"].__set__
_SET_RETURNED = Shipment.__dict__["returned"].__set__


def _explain(s: Shipment) -> None:
    """Raise the first rule ``s`` breaks, naming the field (the slow, precise path)."""
    check_text("id", s.id)
    check_text("customer_id", s.customer_id)
    check_aware("ordered_at", s.ordered_at)
    check_aware("promised_at", s.promised_at)
    if s.promised_at < s.ordered_at:
        fail("promised_at", s.promised_at, "must not be before ordered_at")
    if s.shipped_at is not None:
        check_aware("shipped_at", s.shipped_at)
        if s.shipped_at < s.ordered_at:
            fail("shipped_at", s.shipped_at, "must not be before ordered_at")
    if s.delivered_at is not None:
        check_aware("delivered_at", s.delivered_at)
        earlier_name = "ordered_at" if s.shipped_at is None else "shipped_at"
        earlier = s.ordered_at if s.shipped_at is None else s.shipped_at
        if s.delivered_at < earlier:
            fail("delivered_at", s.delivered_at, f"must not be before {earlier_name}")
    if not isinstance(s.revenue, Money):
        fail("revenue", s.revenue, "must be Money")
    if not isinstance(s.cost, Money):
        fail("cost", s.cost, "must be Money")
    if s.cost.currency != s.revenue.currency:
        fail("cost", s.cost, f"must be in the revenue's currency {s.revenue.currency}")
    check_count("units_ordered", s.units_ordered)
    check_count("units_delivered", s.units_delivered)
    check_count("units_damaged", s.units_damaged)
    if s.units_damaged > s.units_delivered:
        fail(
            "units_damaged",
            s.units_damaged,
            f"must not exceed units_delivered ({s.units_delivered})",
        )
    for name in _FLAGS:
        check_bool(name, getattr(s, name))
