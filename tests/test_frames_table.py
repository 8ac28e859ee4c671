"""``activity_table``'s figures against the object path and against direct filters: windows at
their edges, amounts of every size and number of places (summed in 64-bit minor units or in
38-digit decimals, whichever is exact)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal, localcontext

import attrs
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

import logicrm as lc
from logicrm._engine._tables import _minor_units, _prepare
from logicrm.domain import Money, Shipment
from logicrm.frames import activity_table
from logicrm.io import _flatten
from logicrm.scoring import WINDOW_DAYS
from logicrm.scoring._activity import _COUNTERS
from logicrm.serialization import to_dict
from strategies import amounts, aware_datetimes, shipments

AS_OF = datetime(2026, 6, 30, 18, tzinfo=UTC)
MICRO = timedelta(microseconds=1)
# Each window's edge, and as_of's: exactly on it and a microsecond either side.
EDGES = sorted(
    AS_OF - timedelta(days=days) + step * MICRO for days in (0, *WINDOW_DAYS) for step in (-1, 0, 1)
)


def frame_of(items: list[Shipment]) -> pl.DataFrame:
    """Shipments as a table of text cells (amounts as written, with their own places)."""
    rows = [_flatten(to_dict(s)) for s in items]
    columns = list(rows[0]) if rows else []
    schema = {
        c: pl.Boolean if c in _FLAGS else pl.Int64 if "units" in c else pl.String for c in columns
    }
    return pl.DataFrame(rows, schema=schema)


_FLAGS = ("invoice_error", "stockout", "substituted", "rerouted", "returned")


def amount() -> st.SearchStrategy[Decimal]:
    """Amounts with 0 to 12 places, small and near Money's bound (10^18)."""
    return st.tuples(st.integers(0, 12), st.sampled_from([10, 10**6, 10**15, 10**17])).flatmap(
        lambda pm: amounts(
            min_value=Decimal(-pm[1]) + 1, max_value=Decimal(pm[1]) - 1, places=pm[0]
        )
    )


@st.composite
def edge_shipments(draw: st.DrawFn) -> Shipment:
    """A shipment ordered on a window's edge or anywhere in the last 800 days (or just
    after as_of), with amounts of any places."""
    customer = draw(st.sampled_from(["C1", "C2", "C3"]))
    s = draw(shipments(customer_id=customer, currency="CNY"))
    ordered = draw(
        st.sampled_from(EDGES)
        | aware_datetimes(
            min_value=AS_OF - timedelta(days=800), max_value=AS_OF + timedelta(days=5)
        )
    )
    shift = ordered - s.ordered_at
    return attrs.evolve(
        s,
        ordered_at=ordered,
        promised_at=s.promised_at + shift,
        shipped_at=None if s.shipped_at is None else s.shipped_at + shift,
        delivered_at=None if s.delivered_at is None else s.delivered_at + shift,
        revenue=Money(draw(amount()), "CNY"),
        cost=Money(draw(amount()), "CNY"),
    )


def _within(items: list[Shipment], customer: str, days: int) -> list[Shipment]:
    """The customer's shipments ordered in the ``days`` before as_of: a direct filter."""
    start = AS_OF - timedelta(days=days)
    return [s for s in items if s.customer_id == customer and start < s.ordered_at <= AS_OF]


@settings(max_examples=150, deadline=None)
@given(st.lists(edge_shipments(), min_size=1, max_size=30))
def test_every_figure_equals_the_object_paths_and_windows_a_direct_filter(items):
    table = activity_table(frame_of(items), as_of=AS_OF).table
    activities = lc.summarize(items, as_of=AS_OF)
    assert table["customer_id"].to_list() == list(dict.fromkeys(s.customer_id for s in items))
    for row in table.iter_rows(named=True):
        a = activities[row["customer_id"]]
        assert (row["orders"], row["revenue"], row["cost"]) == (a.orders, a.revenue, a.cost)
        assert (row["first_order_at"], row["last_order_at"]) == (a.first_order_at, a.last_order_at)
        assert row["distinct_order_days"] == a.distinct_order_days
        assert row["first_day"] == (min(a.order_days) if a.order_days else None)
        assert row["first_day_revenue"] == a.first_day_revenue
        assert row["ignored_after_as_of"] == a.ignored_after_as_of
        assert (row["cycle_us_sum"], row["cycle_us_squares"]) == (
            a.cycle_us_sum,
            a.cycle_us_squares,
        )
        assert {n: row[n] for n in _COUNTERS} == {n: getattr(a, n) for n in _COUNTERS}
        for i, days in enumerate(WINDOW_DAYS):
            inside = _within(items, row["customer_id"], days)
            with localcontext(prec=60):  # exact: 30 terms of up to 30 digits
                revenue = sum((s.revenue.amount for s in inside), Decimal(0))
                cost = sum((s.cost.amount for s in inside), Decimal(0))
            assert row[f"orders_{days}d"] == len(inside) == a.window_orders[i]
            assert row[f"revenue_{days}d"] == revenue == a.window_revenue[i]
            assert row[f"cost_{days}d"] == cost == a.window_cost[i]


def _shipment(revenue: str, ordered_at: datetime = AS_OF, customer: str = "C1") -> Shipment:
    return Shipment(
        id=f"S{ordered_at.timestamp()}",
        customer_id=customer,
        ordered_at=ordered_at,
        promised_at=ordered_at,
        revenue=Money(Decimal(revenue), "CNY"),
        cost=Money(Decimal("1"), "CNY"),
        units_ordered=1,
    )


def _places_used(items: list[Shipment]) -> int | None:
    valid, _ = _prepare(frame_of(items), AS_OF, None)
    return _minor_units(valid)[1]


def test_sums_in_minor_units_only_when_exact_and_within_64_bits():
    # 2e15 is 2e17 cents: five of them (1e18) fit in 64 bits, fifty (1e19) do not.
    five = [_shipment("2000000000000000.00", AS_OF - k * MICRO) for k in range(5)]
    fifty = [_shipment("2000000000000000.00", AS_OF - k * MICRO) for k in range(50)]
    assert _places_used(five) == 2
    assert _places_used(fifty) is None
    # A single amount beyond 64 bits of its minor units (about 1e19 cents).
    assert _places_used([_shipment("99999999999999999.99")]) is None
    # Places are the data's largest: 1.5 and 0.125 are 1500 and 125 thousandths.
    assert _places_used([_shipment("1.5"), _shipment("0.125")]) == 3


def test_hand_figures_on_both_ways_of_summing():
    cases = {
        # The 64-bit way: 1.5 + 0.125 + 7 = 8.625, all in the 30 days.
        ("1.5", "0.125", "7"): Decimal("8.625"),
        # The decimal way (one amount's cents beyond 64 bits): exact to the cent.
        ("99999999999999999.99", "0.01", "-5"): Decimal("99999999999999995.00"),
    }
    for texts, total in cases.items():
        items = [_shipment(t, AS_OF - k * MICRO) for k, t in enumerate(texts)]
        row = activity_table(frame_of(items), as_of=AS_OF).table.row(0, named=True)
        assert row["revenue"] == row["revenue_30d"] == row["first_day_revenue"] == total
        assert str(row["revenue"]) == str(total)  # in the data's own places


def test_window_edges_by_hand():
    # On the 30-day edge is outside the 30 days and inside the 90; a microsecond later is
    # inside; as_of itself counts; a microsecond after as_of does not.
    edge = AS_OF - timedelta(days=30)
    items = [
        _shipment("1", edge),
        _shipment("10", edge + MICRO),
        _shipment("100", AS_OF),
        _shipment("1000", AS_OF + MICRO),
    ]
    row = activity_table(frame_of(items), as_of=AS_OF).table.row(0, named=True)
    assert (row["orders_30d"], row["revenue_30d"]) == (2, Decimal(110))
    assert (row["orders_90d"], row["revenue_90d"]) == (3, Decimal(111))
    assert (row["orders"], row["revenue"], row["ignored_after_as_of"]) == (3, Decimal(111), 1)
    # The first day is the edge's (two shipments); distinct days: the edge's and as_of's.
    assert (row["first_day_revenue"], row["distinct_order_days"]) == (Decimal(11), 2)


def test_currencies_with_spaces_around_are_read_as_the_object_path_reads_them():
    items = [_shipment("1", AS_OF - k * MICRO) for k in range(3)]
    frame = frame_of(items).with_columns(
        pl.Series("revenue.currency", [" CNY", "CNY ", "CNY"]),
        pl.Series("cost.currency", ["CNY", "\tCNY", "CNY\u3000"]),
    )
    summary = activity_table(frame, as_of=AS_OF)
    assert summary.rejected.height == 0
    assert summary.table.select("currency", "orders", "revenue").row(0) == ("CNY", 3, Decimal(3))
