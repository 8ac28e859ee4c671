"""Small builders for worked examples: a valid record with one field changed."""

from datetime import UTC, datetime, timedelta
from typing import Any

from logicrm import Money, Shipment

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def cny(amount: str | int) -> Money:
    return Money(amount, "CNY")


def shipment(**changes: Any) -> Shipment:
    fields: dict[str, Any] = dict(
        id="S1",
        customer_id="C1",
        ordered_at=T0,
        promised_at=T0 + 2 * DAY,
        shipped_at=T0 + 4 * HOUR,
        delivered_at=T0 + DAY,
        revenue=cny("800.00"),
        cost=cny("620.00"),
        units_ordered=10,
        units_delivered=10,
        units_damaged=0,
    )
    fields.update(changes)
    return Shipment(**fields)
