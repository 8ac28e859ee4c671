"""The eleven logistics service measures, plus on-time, OTIF and perfect-order rates."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, timedelta

import attrs

from logicrm.domain import Reason, ServiceMeasure, Shipment
from logicrm.domain._checks import fail
from logicrm.domain._money import in_library_context
from logicrm.scoring._activity import _COUNTERS, Activity


@attrs.frozen
class ServiceKpis:
    """Service measures over a set of shipments. Each is ``None`` when undefined.

    Delivery measures are over delivered shipments; flag rates over all counted shipments.

    Attributes:
        shipments: shipments counted; ``delivered``: of them, delivered.
        avg_order_cycle_time: mean time from order to delivery (平均订货周期).
        order_cycle_stdev: its sample standard deviation (订货周期的变化).
        fill_rate: units delivered / units ordered (现货供应比率); an over-delivery counts
            as 100%, never more.
        invoice_error_rate: shipments with an invoice error (发票的错误率).
        damage_rate: units damaged / units delivered (产品破损比率).
        stockout_rate: shipments with a stock-out (缺货频率).
        substitution_rate: shipments where a substitute was used (使用替代品频率).
        late_delivery_rate: delivered after ``promised_at`` (运输延迟的比率).
        short_shipment_rate: delivered with fewer units than ordered (短装、短卸的比率).
        reroute_rate: shipments whose route changed (运输路线变动的比率).
        return_rate: shipments returned or re-dispatched (回运或运输调整的比率).
        on_time_rate: delivered by ``promised_at``.
        otif_rate: on time and in full.
        perfect_order_rate: on time, in full, undamaged and correctly invoiced.
        reasons: one per undefined measure, saying why.
    """

    shipments: int
    delivered: int
    avg_order_cycle_time: timedelta | None
    order_cycle_stdev: timedelta | None
    fill_rate: float | None
    invoice_error_rate: float | None
    damage_rate: float | None
    stockout_rate: float | None
    substitution_rate: float | None
    late_delivery_rate: float | None
    short_shipment_rate: float | None
    reroute_rate: float | None
    return_rate: float | None
    on_time_rate: float | None
    otif_rate: float | None
    perfect_order_rate: float | None
    reasons: tuple[Reason, ...] = ()

    def value(self, measure: ServiceMeasure) -> float | None:
        """One measure as a number (order-cycle measures in hours)."""
        # (a measure's name as a str still fails as before: a str has no .value)
        field, hours = (
            _FIELDS[measure] if type(measure) is ServiceMeasure else (measure.value, False)
        )
        if hours:
            return _hours(getattr(self, field))
        result: float | None = getattr(self, field)
        return result

    def _repr_html_(self) -> str:
        """The notebook view: fields, nested results and reasons as HTML."""
        from logicrm._html import render

        return render(self)


# Each measure's field, and whether it is a duration read in hours (an order-cycle measure).
_FIELDS: dict[ServiceMeasure, tuple[str, bool]] = {
    **{measure: (measure.value, False) for measure in ServiceMeasure},
    ServiceMeasure.AVG_ORDER_CYCLE_HOURS: ("avg_order_cycle_time", True),
    ServiceMeasure.ORDER_CYCLE_STDEV_HOURS: ("order_cycle_stdev", True),
}


def _hours(value: timedelta | None) -> float | None:
    return None if value is None else value / timedelta(hours=1)


def _total(activities: Iterable[Activity]) -> Activity:
    """The counters of several activities added up (customers may differ)."""
    total = Activity.empty("*")
    for activity in activities:
        if not isinstance(activity, Activity):
            fail("source", activity, "must hold Activity or Shipment objects")
        total.orders += activity.orders
        for name in _COUNTERS:
            setattr(total, name, getattr(total, name) + getattr(activity, name))
    return total


@in_library_context
def service_kpis(
    source: Activity | Mapping[str, Activity] | Iterable[Activity] | Iterable[Shipment],
) -> ServiceKpis:
    """The service measures of one customer's activity, a group of activities, or shipments.

    The same shipments give the same figures whichever way they come: as a list, as one
    customer's [`Activity`][logicrm.scoring.Activity], or as the activities of any split of them
    (the figures are sums of exact counters). A list of shipments counts them all; an activity
    counts what it holds (orders up to its ``as_of``).

    Examples:
        >>> from logicrm.sample import sample_dataset
        >>> kpis = service_kpis(sample_dataset().shipments)
        >>> round(kpis.on_time_rate, 3), kpis.delivered
        (0.917, 1495)
    """
    if isinstance(source, Activity):
        total = source
    else:
        items = list(source.values() if isinstance(source, Mapping) else source)
        if items and all(isinstance(i, Shipment) for i in items):
            activities: dict[str, Activity] = {}
            for shipment in items:
                key = shipment.customer_id
                activity = activities.get(key)
                if activity is None:
                    activity = activities[key] = Activity.empty(key)
                activity.add(shipment)
            items = list(activities.values())
        total = _total(items)
    return _kpis(total)


@in_library_context
def service_kpis_by_month(shipments: Iterable[Shipment]) -> dict[date, ServiceKpis]:
    """The service measures month by month, for trends against the standards.

    Shipments are grouped by the UTC calendar month of ``ordered_at``; keys are the first
    day of each month, in order. Months without shipments are absent.

    Examples:
        >>> from logicrm.sample import sample_dataset
        >>> months = service_kpis_by_month(sample_dataset().shipments)
        >>> first = next(iter(months))
        >>> first.day, len(months)
        (1, 24)
    """
    groups: dict[date, list[Shipment]] = {}
    for shipment in shipments:
        if not isinstance(shipment, Shipment):
            fail("shipments", shipment, "must hold Shipment objects")
        moment = shipment.ordered_at.astimezone(UTC)
        groups.setdefault(date(moment.year, moment.month, 1), []).append(shipment)
    return {month: service_kpis(groups[month]) for month in sorted(groups)}


def _kpis(a: Activity) -> ServiceKpis:
    reasons: list[Reason] = []

    def rate(name: str, numerator: int, denominator: int, what: str) -> float | None:
        if denominator == 0:
            reasons.append(Reason(f"kpi.{name}.undefined", f"{name} undefined: no {what}"))
            return None
        return numerator / denominator

    n, d = a.orders, a.delivered
    cycle = a.mean_order_cycle
    stdev = a.order_cycle_stdev
    if cycle is None:
        reasons.append(
            Reason(
                "kpi.avg_order_cycle_time.undefined",
                "avg_order_cycle_time undefined: nothing delivered",
            )
        )
    if stdev is None:
        reasons.append(
            Reason(
                "kpi.order_cycle_stdev.undefined",
                "order_cycle_stdev undefined: fewer than two deliveries",
            )
        )
    return ServiceKpis(
        shipments=n,
        delivered=d,
        avg_order_cycle_time=cycle,
        order_cycle_stdev=stdev,
        fill_rate=rate(
            "fill_rate",
            a.units_filled,
            a.units_ordered_delivered,
            "units ordered on delivered shipments",
        ),
        invoice_error_rate=rate("invoice_error_rate", a.invoice_errors, n, "shipments"),
        damage_rate=rate("damage_rate", a.units_damaged, a.units_delivered, "units delivered"),
        stockout_rate=rate("stockout_rate", a.stockouts, n, "shipments"),
        substitution_rate=rate("substitution_rate", a.substitutions, n, "shipments"),
        late_delivery_rate=rate("late_delivery_rate", a.late, d, "deliveries"),
        short_shipment_rate=rate("short_shipment_rate", a.short, d, "deliveries"),
        reroute_rate=rate("reroute_rate", a.reroutes, n, "shipments"),
        return_rate=rate("return_rate", a.returns, n, "shipments"),
        on_time_rate=rate("on_time_rate", a.on_time, d, "deliveries"),
        otif_rate=rate("otif_rate", a.on_time_in_full, d, "deliveries"),
        perfect_order_rate=rate("perfect_order_rate", a.perfect, d, "deliveries"),
        reasons=tuple(reasons),
    )
