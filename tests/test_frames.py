"""The columnar path gives exactly the pure-Python figures, money included."""

from datetime import UTC, datetime

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

import logicrm as lc
from logicrm.errors import LogicrmError, ValidationError
from logicrm.frames import summarize_frame, to_pandas, to_polars
from logicrm.io import ColumnMapping, _flatten
from logicrm.sample import sample_dataset
from logicrm.serialization import to_dict
from strategies import shipments

AS_OF = datetime(2026, 6, 30, 18, tzinfo=UTC)
COLUMNS = [
    "id",
    "customer_id",
    "ordered_at",
    "promised_at",
    "shipped_at",
    "delivered_at",
    "revenue.amount",
    "revenue.currency",
    "cost.amount",
    "cost.currency",
    "units_ordered",
    "units_delivered",
    "units_damaged",
    "invoice_error",
    "stockout",
    "substituted",
    "rerouted",
    "returned",
]


def frame_of(items):
    rows = [_flatten(to_dict(s)) for s in items]
    return pl.DataFrame(rows, schema={c: _dtype(c) for c in COLUMNS})


def _dtype(column):
    if column.startswith("units"):
        return pl.Int64
    if column in ("invoice_error", "stockout", "substituted", "rerouted", "returned"):
        return pl.Boolean
    return pl.String


by_customer = st.lists(
    st.sampled_from(["C1", "C2", "C3"]).flatmap(
        lambda c: shipments(
            customer_id=c,
            currency={"C1": "CNY", "C2": "USD", "C3": "JPY"}[c],
            max_ordered_at=datetime(2026, 7, 20, tzinfo=UTC),
        )
    ),
    max_size=25,
)


@given(by_customer)
def test_columnar_path_equals_the_pure_python_path(items):
    expected = lc.summarize(items, as_of=AS_OF)
    result = summarize_frame(frame_of(items), as_of=AS_OF)
    assert result.rejected.height == 0
    assert result.activities == expected


def test_pandas_and_arrow_inputs_give_the_same_answer():
    data = sample_dataset()
    frame = frame_of(data.shipments)
    expected = lc.summarize(data.shipments, as_of=data.as_of)
    assert summarize_frame(frame.to_pandas(), as_of=data.as_of).activities == expected
    assert summarize_frame(frame.to_arrow(), as_of=data.as_of).activities == expected


def test_typed_columns_work_too():
    data = sample_dataset()
    frame = frame_of(data.shipments).with_columns(
        pl.col("ordered_at", "promised_at", "shipped_at", "delivered_at").str.to_datetime(
            time_zone="Asia/Shanghai"
        ),
        pl.col("revenue.amount", "cost.amount").cast(pl.Decimal(20, 2)),
    )
    expected = lc.summarize(data.shipments, as_of=data.as_of)
    assert summarize_frame(frame, as_of=data.as_of).activities == expected


def test_bad_rows_are_returned_not_counted():
    data = sample_dataset()
    frame = frame_of(data.shipments[:10]).with_columns(
        units_damaged=pl.when(pl.int_range(pl.len()) == 3)
        .then(99)
        .otherwise(pl.col("units_damaged")),
        ordered_at=pl.when(pl.int_range(pl.len()) == 5)
        .then(pl.lit("yesterday"))
        .otherwise(pl.col("ordered_at")),
    )
    result = summarize_frame(frame, as_of=data.as_of)
    assert result.rejected["row"].to_list() == [3, 5]
    assert result.rejected["line"].to_list() == [5, 7]  # a CSV's lines: header, then rows
    assert result.rejected["column"].to_list() == ["units_damaged", "ordered_at"]
    assert result.rejected["reason"].to_list() == [  # the object path's own words
        f"must not exceed units_delivered ({data.shipments[3].units_delivered}); got 99",
        "must be an ISO 8601 date-time string with an offset; got 'yesterday'",
    ]
    kept = [s for i, s in enumerate(data.shipments[:10]) if i not in (3, 5)]
    assert result.activities == lc.summarize(kept, as_of=data.as_of)


def test_rejects_name_the_users_column_through_the_mapping():
    data = sample_dataset()
    frame = frame_of(data.shipments[:4]).rename({"units_damaged": "broken"})
    frame = frame.with_columns(broken=pl.when(pl.int_range(pl.len()) == 2).then(99)
                               .otherwise(pl.col("broken")))  # fmt: skip
    mapping = ColumnMapping(columns={"units_damaged": "broken"})
    rejected = summarize_frame(frame, as_of=data.as_of, mapping=mapping).rejected
    assert rejected.select("line", "column").rows() == [(4, "broken")]


def test_the_users_column_names_through_a_mapping():
    data = sample_dataset()
    frame = (
        frame_of(data.shipments)
        .rename({"id": "order_no", "revenue.amount": "fee"})
        .drop("revenue.currency", "cost.currency")
    )
    mapping = ColumnMapping(
        columns={"id": "order_no", "revenue.amount": "fee"},
        constants={"revenue.currency": "CNY", "cost.currency": "CNY"},
    )
    result = summarize_frame(frame, as_of=data.as_of, mapping=mapping)
    assert result.activities == lc.summarize(data.shipments, as_of=data.as_of)


def test_schema_problems_are_clear_errors():
    data = sample_dataset()
    with pytest.raises(ValidationError):
        summarize_frame(frame_of(data.shipments).drop("customer_id"), as_of=data.as_of)
    naive = frame_of(data.shipments).with_columns(
        pl.col("ordered_at").str.to_datetime(time_zone="UTC").dt.replace_time_zone(None)
    )
    with pytest.raises(ValidationError):
        summarize_frame(naive, as_of=data.as_of)
    with pytest.raises(ValidationError):
        summarize_frame([1, 2], as_of=data.as_of)


def test_results_as_polars_and_pandas_tables():
    data = sample_dataset()
    activities = lc.summarize(data.shipments, as_of=data.as_of)
    table = to_polars(activities)
    assert table.height == len(activities)
    row = table.filter(pl.col("customer_id") == "C00000").row(0, named=True)
    assert row["orders"] == activities["C00000"].orders
    assert row["revenue"] == activities["C00000"].revenue
    assert isinstance(to_pandas(activities), pd.DataFrame)
    assert isinstance(pa.table(table.to_arrow()), pa.Table)


def test_the_results_table_carries_the_same_figures_as_the_activities():
    from logicrm.frames import activity_table

    data = sample_dataset()
    summary = activity_table(frame_of(data.shipments), as_of=data.as_of)
    activities = lc.summarize(data.shipments, as_of=data.as_of)
    assert summary.table.height == len(activities)
    for row in summary.table.iter_rows(named=True):
        a = activities[row["customer_id"]]
        kpis = lc.service_kpis(a)
        assert (row["orders"], row["revenue"], row["distinct_order_days"]) == (
            a.orders,
            a.revenue,
            a.distinct_order_days,
        )
        assert [row[f"orders_{d}d"] for d in lc.WINDOW_DAYS] == a.window_orders
        assert row["revenue_365d"] == a.revenue_within(365)
        assert row["on_time_rate"] == pytest.approx(kpis.on_time_rate)
        assert row["fill_rate"] == pytest.approx(kpis.fill_rate)


@given(by_customer, st.data())
def test_partial_tables_from_any_split_merge_to_the_single_pass(items, data):
    from logicrm.frames import merge_tables, partial_table, to_activities

    cuts = sorted(data.draw(st.lists(st.integers(0, len(items)), max_size=3)))
    parts = [items[i:j] for i, j in zip([0, *cuts], [*cuts, len(items)], strict=True)]
    tables = [partial_table(frame_of(part), as_of=AS_OF)[0] for part in parts]
    merged = to_activities(merge_tables(tables), AS_OF)
    assert merged == lc.summarize(items, as_of=AS_OF)


# Broken cells both paths must reject alike.
BROKEN = {
    "units_damaged": ["999", "-1", "x"],
    "units_ordered": ["-3", "1.5", ""],
    "revenue.amount": ["abc", "1e999999999", "", "5e20"],
    "ordered_at": ["yesterday", "2025-13-40T25:00:00+08:00", "", "2025-01-01T00:00:00"],
    "promised_at": ["2000-01-01T00:00:00+00:00"],
    "cost.currency": ["USD"],
    "id": [""],
}


@given(
    st.lists(shipments(), min_size=1, max_size=8, unique_by=lambda s: s.id),
    st.lists(
        st.tuples(st.integers(0, 7), st.sampled_from(sorted(BROKEN)), st.integers(0, 3)),
        max_size=4,
    ),
)
def test_both_paths_reject_the_same_rows_at_the_same_lines_in_the_same_words(
    tmp_path_factory, items, breaks
):
    rows = [_flatten(to_dict(s)) for s in items]
    columns = sorted({c for row in rows for c in row})
    for index, column, choice in breaks:
        if index < len(rows):
            rows[index][column] = BROKEN[column][choice % len(BROKEN[column])]
    path = tmp_path_factory.mktemp("parity") / "s.csv"
    lc.io.write(path, [{c: row.get(c) for c in columns} for row in rows], spreadsheet_safe=False)
    by_objects = lc.io.read(path, lc.Shipment)
    frame = pl.read_csv(path, infer_schema_length=0)
    as_of = datetime(2030, 1, 1, tzinfo=UTC)
    try:
        columnar = summarize_frame(frame, as_of=as_of).rejected
    except LogicrmError:  # a customer in two currencies: the object path refuses it too
        with pytest.raises(LogicrmError):
            lc.summarize(by_objects.ok, as_of=as_of)
        return
    assert sorted(columnar.select("line", "column", "reason").rows()) == sorted(
        (r.line, r.column, r.reason) for r in by_objects.rejected
    )
