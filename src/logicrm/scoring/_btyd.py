"""The buy-till-you-die summary that lifetimes and pymc-marketing models take."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs

from logicrm.domain._checks import check_aware, fail
from logicrm.domain._money import in_library_context
from logicrm.scoring._activity import _EPOCH, Activity
from logicrm.scoring._numbers import EXACT, ratio

_DAY = timedelta(days=1)
_EPOCH_DAY = datetime(1970, 1, 1, tzinfo=UTC)


@attrs.frozen
class BtydSummary:
    """One customer's row of the RFM summary used by BG/NBD and Gamma-Gamma models.

    Attributes:
        customer_id: the customer.
        frequency: repeat order days: distinct UTC order days after the first.
        recency: (last order day - first order day), in ``unit``s.
        T: (``as_of``'s UTC day - first order day), in ``unit``s: the customer's age.
        monetary_value: mean revenue per repeat order day (``Decimal``; 0 when
            ``frequency`` is 0): total revenue less the first day's, over ``frequency``.
    """

    customer_id: str
    frequency: int
    recency: float
    T: float
    monetary_value: Decimal

    def _repr_html_(self) -> str:
        """The notebook view: fields, nested results and reasons as HTML."""
        from logicrm._html import render

        return render(self)


@in_library_context
def btyd_summary(
    activity: Activity, *, as_of: datetime, unit: timedelta = timedelta(days=7)
) -> BtydSummary:
    """The buy-till-you-die summary of one customer, as lifetimes and pymc-marketing define it.

    Orders are counted by UTC calendar day, so several orders on one day are one
    transaction (lifetimes' ``summary_data_from_transaction_data`` does the same at daily
    frequency). ``recency`` and ``T`` are measured in ``unit`` (a week by default; pass
    ``timedelta(days=1)`` for days).

    Raises:
        ValidationError: the activity has no orders, has orders after ``as_of``, or ``unit``
            is not a positive whole number of days.

    Examples:
        >>> from logicrm.sample import sample_dataset
        >>> from logicrm.scoring import summarize
        >>> data = sample_dataset()
        >>> row = btyd_summary(summarize(data.shipments, as_of=data.as_of)["C00010"],
        ...                    as_of=data.as_of, unit=timedelta(days=1))
        >>> row.frequency, row.recency, row.T
        (3, 440.0, 451.0)
    """
    check_aware("as_of", as_of)
    if not isinstance(unit, timedelta) or unit <= timedelta(0) or unit % _DAY:
        fail("unit", unit, "must be a positive whole number of days")
    if not activity.order_days or activity.first_order_at is None:
        fail("activity", activity.customer_id, "has no orders, so no BTYD summary")
    assert activity.last_order_at is not None
    if activity.last_order_at > as_of:
        fail("as_of", as_of, "is before the activity's last order; summarise at as_of")
    first, last = min(activity.order_days), max(activity.order_days)
    today = (as_of - _EPOCH).days
    days_per_unit = unit / _DAY
    frequency = len(activity.order_days) - 1
    monetary = (
        ratio(EXACT.subtract(activity.revenue, activity.first_day_revenue), frequency)
        if frequency
        else Decimal(0)
    )
    return BtydSummary(
        customer_id=activity.customer_id,
        frequency=frequency,
        recency=(last - first) / days_per_unit,
        T=(today - first) / days_per_unit,
        monetary_value=monetary,
    )
