"""Activity and summarize: checked against a naive reference, plus the merge laws."""

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import DAY, HOUR, shipment
from logicrm import Activity, Money, summarize
from logicrm.errors import CurrencyMismatchError, ValidationError
from logicrm.scoring import WINDOW_DAYS
from strategies import shipments

AS_OF = datetime(2026, 6, 30, 18, 0, tzinfo=UTC)
US = timedelta(microseconds=1)


def customer_shipments(customer_id="C1", max_size=25):
    return st.lists(
        shipments(
            customer_id=customer_id,
            currency="CNY",
            min_ordered_at=AS_OF - timedelta(days=800),
            max_ordered_at=AS_OF + timedelta(days=20),
        ),
        max_size=max_size,
    )


def reference(items, as_of):
    """The figures by their definitions, computed the slow, obvious way."""
    counted = [s for s in items if s.ordered_at <= as_of]
    delivered = [s for s in counted if s.delivered_at is not None]
    days = {s.ordered_at.astimezone(UTC).date() for s in counted}
    first_day = min(days) if days else None

    def within(s, w):
        return as_of - timedelta(days=w) < s.ordered_at <= as_of

    cycles = [(s.delivered_at - s.ordered_at) // US for s in delivered]
    return {
        "orders": len(counted),
        "revenue": sum((s.revenue.amount for s in counted), Decimal(0)),
        "cost": sum((s.cost.amount for s in counted), Decimal(0)),
        "distinct_days": len(days),
        "first_order_day": first_day,
        "first_day_revenue": sum(
            (s.revenue.amount for s in counted if s.ordered_at.astimezone(UTC).date() == first_day),
            Decimal(0),
        ),
        "window_orders": [sum(1 for s in counted if within(s, w)) for w in WINDOW_DAYS],
        "window_revenue": [
            sum((s.revenue.amount for s in counted if within(s, w)), Decimal(0))
            for w in WINDOW_DAYS
        ],
        "delivered": len(delivered),
        "on_time": sum(1 for s in delivered if s.delivered_at <= s.promised_at),
        "in_full": sum(1 for s in delivered if s.units_delivered >= s.units_ordered),
        "perfect": sum(
            1
            for s in delivered
            if s.delivered_at <= s.promised_at
            and s.units_delivered >= s.units_ordered
            and s.units_damaged == 0
            and not s.invoice_error
        ),
        "damaged": sum(1 for s in delivered if s.units_damaged),
        "units_filled": sum(min(s.units_delivered, s.units_ordered) for s in delivered),
        "invoice_errors": sum(s.invoice_error for s in counted),
        "returns": sum(s.returned for s in counted),
        "cycle_us_sum": sum(cycles),
        "cycle_us_squares": sum(c * c for c in cycles),
        "ignored_after_as_of": len(items) - len(counted),
        "first_order_at": min((s.ordered_at for s in counted), default=None),
        "last_order_at": max((s.ordered_at for s in counted), default=None),
    }


def observed(activity):
    return {
        "orders": activity.orders,
        "revenue": activity.revenue,
        "cost": activity.cost,
        "distinct_days": activity.distinct_order_days,
        "first_order_day": activity.first_order_day,
        "first_day_revenue": activity.first_day_revenue,
        "window_orders": activity.window_orders,
        "window_revenue": activity.window_revenue,
        "delivered": activity.delivered,
        "on_time": activity.on_time,
        "in_full": activity.in_full,
        "perfect": activity.perfect,
        "damaged": activity.damaged,
        "units_filled": activity.units_filled,
        "invoice_errors": activity.invoice_errors,
        "returns": activity.returns,
        "cycle_us_sum": activity.cycle_us_sum,
        "cycle_us_squares": activity.cycle_us_squares,
        "ignored_after_as_of": activity.ignored_after_as_of,
        "first_order_at": activity.first_order_at,
        "last_order_at": activity.last_order_at,
    }


def fold(items, as_of=AS_OF, customer_id="C1"):
    activity = Activity.empty(customer_id, as_of=as_of)
    for s in items:
        activity.add(s)
    return activity


@given(customer_shipments())
def test_add_matches_the_definitions(items):
    assert observed(fold(items)) == reference(items, AS_OF)


@given(customer_shipments(), customer_shipments(), customer_shipments())
def test_merge_is_associative(a, b, c):
    x, y, z = fold(a), fold(b), fold(c)
    assert x.merge(y).merge(z) == x.merge(y.merge(z))


@given(customer_shipments(), customer_shipments())
def test_merge_is_commutative(a, b):
    assert fold(a).merge(fold(b)) == fold(b).merge(fold(a))


@given(customer_shipments())
def test_empty_is_the_identity_of_merge(items):
    x = fold(items)
    empty = Activity.empty("C1", as_of=AS_OF)
    assert x.merge(empty) == x
    assert empty.merge(x) == x


@given(customer_shipments(max_size=30), st.data())
def test_any_split_and_reordering_merges_to_the_single_pass(items, data):
    order = data.draw(st.permutations(range(len(items))))
    shuffled = [items[i] for i in order]
    cuts = sorted(data.draw(st.lists(st.integers(0, len(items)), max_size=4)))
    parts = [shuffled[i:j] for i, j in zip([0, *cuts], [*cuts, len(items)], strict=True)]
    merged = Activity.empty("C1", as_of=AS_OF)
    for part in parts:
        merged = merged.merge(fold(part))
    assert merged == fold(items)


@given(customer_shipments(), customer_shipments())
def test_merge_leaves_its_operands_alone(a, b):
    x, y = fold(a), fold(b)
    before = (x.copy(), y.copy())
    x.merge(y)
    assert (x, y) == before


@given(st.lists(shipments(currency="CNY", max_ordered_at=AS_OF), max_size=30))
def test_summarize_groups_by_customer_and_equals_folding(items):
    activities = summarize(items, as_of=AS_OF)
    assert set(activities) == {s.customer_id for s in items}
    for customer_id, activity in activities.items():
        assert activity == fold(
            [s for s in items if s.customer_id == customer_id], customer_id=customer_id
        )


def test_summarize_takes_a_generator_and_ignores_orders_after_as_of():
    items = (
        shipment(
            id=f"S{i}",
            ordered_at=AS_OF + (i - 2) * DAY - HOUR,
            promised_at=AS_OF + 10 * DAY,
            shipped_at=None,
            delivered_at=None,
        )
        for i in range(5)
    )
    activity = summarize(items, as_of=AS_OF)["C1"]
    assert activity.orders == 3
    assert activity.ignored_after_as_of == 2


def test_windows_include_the_as_of_instant_and_exclude_the_cutoff():
    exactly_30 = shipment(
        id="A", ordered_at=AS_OF - 30 * DAY, promised_at=AS_OF, shipped_at=None, delivered_at=None
    )
    just_inside = shipment(
        id="B",
        ordered_at=AS_OF - 30 * DAY + US,
        promised_at=AS_OF,
        shipped_at=None,
        delivered_at=None,
    )
    at_as_of = shipment(
        id="C", ordered_at=AS_OF, promised_at=AS_OF, shipped_at=None, delivered_at=None
    )
    activity = fold([exactly_30, just_inside, at_as_of])
    assert activity.orders_within(30) == 2
    assert activity.orders_within(90) == 3


def test_order_days_are_utc_calendar_days():
    plus8 = timezone(timedelta(hours=8))
    # 07:00 on 2 March in Beijing is 23:00 on 1 March UTC.
    early = datetime(2026, 3, 2, 7, 0, tzinfo=plus8)
    late = datetime(2026, 3, 2, 9, 0, tzinfo=plus8)
    activity = fold(
        [
            shipment(
                id="A", ordered_at=early, promised_at=late, shipped_at=None, delivered_at=None
            ),
            shipment(id="B", ordered_at=late, promised_at=late, shipped_at=None, delivered_at=None),
        ]
    )
    assert activity.distinct_order_days == 2
    assert activity.first_order_day == date(2026, 3, 1)


def test_order_cycle_is_exact_across_daylight_saving():
    berlin = ZoneInfo("Europe/Berlin")
    ordered = datetime(2026, 3, 28, 12, 0, tzinfo=berlin)  # CET, +01:00
    delivered = datetime(2026, 3, 29, 12, 0, tzinfo=berlin)  # CEST, +02:00: 23 hours later
    activity = fold(
        [
            shipment(
                ordered_at=ordered, promised_at=delivered, shipped_at=None, delivered_at=delivered
            )
        ]
    )
    assert activity.mean_order_cycle == timedelta(hours=23)


def test_worked_order_cycle_mean_and_sample_stdev():
    # Cycles of 1, 2 and 3 days: mean 2 days, sample standard deviation 1 day.
    items = [
        shipment(
            id=f"S{d}",
            ordered_at=AS_OF - 10 * DAY,
            promised_at=AS_OF,
            delivered_at=AS_OF - (10 - d) * DAY,
            shipped_at=None,
        )
        for d in (1, 2, 3)
    ]
    activity = fold(items)
    assert activity.mean_order_cycle == 2 * DAY
    assert activity.order_cycle_stdev == DAY


def test_one_delivery_has_no_stdev_and_none_has_no_mean():
    assert (
        fold(
            [
                shipment(
                    ordered_at=AS_OF - DAY, promised_at=AS_OF, shipped_at=None, delivered_at=AS_OF
                )
            ]
        ).order_cycle_stdev
        is None
    )
    assert Activity.empty("C1").mean_order_cycle is None


def test_add_rejects_another_customer_and_another_currency():
    activity = fold(
        [shipment(ordered_at=AS_OF - DAY, promised_at=AS_OF, shipped_at=None, delivered_at=None)]
    )
    with pytest.raises(ValidationError):
        activity.add(shipment(customer_id="C2"))
    with pytest.raises(CurrencyMismatchError):
        activity.add(
            shipment(
                ordered_at=AS_OF - DAY,
                promised_at=AS_OF,
                shipped_at=None,
                delivered_at=None,
                revenue=Money(1, "USD"),
                cost=Money(1, "USD"),
            )
        )


def test_merge_rejects_different_customers_or_as_of():
    with pytest.raises(ValidationError):
        Activity.empty("C1", as_of=AS_OF).merge(Activity.empty("C2", as_of=AS_OF))
    with pytest.raises(ValidationError):
        Activity.empty("C1", as_of=AS_OF).merge(Activity.empty("C1", as_of=AS_OF - DAY))


def test_window_figures_need_as_of_and_a_tracked_window():
    with pytest.raises(ValidationError):
        Activity.empty("C1").orders_within(30)
    with pytest.raises(ValidationError):
        Activity.empty("C1", as_of=AS_OF).orders_within(60)


def test_summarize_sums_exactly_whatever_the_decimal_context():
    import decimal

    items = [
        shipment(
            id=f"S{i}",
            ordered_at=AS_OF - DAY,
            promised_at=AS_OF,
            shipped_at=None,
            delivered_at=None,
            revenue=Money("1234567.891", "CNY"),
            cost=Money("0.001", "CNY"),
        )
        for i in range(3)
    ]
    with decimal.localcontext() as ctx:
        ctx.prec = 4
        activity = summarize(items, as_of=AS_OF)["C1"]
    assert activity.revenue == Decimal("3703703.673")


@given(
    st.lists(st.integers(-(10**12), 10**15), min_size=1, max_size=30),
    st.integers(0, 5),
)
def test_order_cycle_figures_are_the_exact_mean_and_deviation_rounded_once(cycles, extra):
    # Integer arithmetic inside, the same figures as Fractions: the mean rounded half to even
    # to a microsecond, the deviation the square root of the correctly rounded variance.
    import math
    from fractions import Fraction

    cycles = cycles + [cycles[0]] * extra  # ties and repeats
    n = len(cycles)
    activity = Activity.empty("C1")
    activity.delivered = n
    activity.cycle_us_sum = sum(cycles)
    activity.cycle_us_squares = sum(c * c for c in cycles)
    mean = Fraction(sum(cycles), n)
    assert activity.mean_order_cycle == timedelta(microseconds=round(mean))
    if n >= 2:
        variance = Fraction(n * activity.cycle_us_squares - sum(cycles) ** 2, n * (n - 1))
        assert activity.order_cycle_stdev == timedelta(microseconds=math.sqrt(variance))


@pytest.mark.parametrize(("total", "count"), [(5, 2), (7, 2), (-5, 2), (-7, 2), (3, 6), (9, 6)])
def test_a_mean_order_cycle_halfway_rounds_to_even(total, count):
    activity = Activity.empty("C1")
    activity.delivered, activity.cycle_us_sum = count, total
    assert activity.mean_order_cycle == timedelta(microseconds=round(total / count))
