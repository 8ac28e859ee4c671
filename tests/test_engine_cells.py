"""The columnar engine's cell readers against the object path's: the common export form of a
time, read by polars' fast parser less its offset, is the moment Python reads."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import polars as pl
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from logicrm._engine._cells import _common_time, _standardise
from logicrm.io import ColumnMapping

moments = st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2999, 12, 30))
offsets = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))


@given(st.lists(st.tuples(moments, offsets), min_size=1, max_size=20))
def test_the_common_form_is_the_moment_python_reads(cells):
    texts = [moment.replace(microsecond=0, tzinfo=zone).isoformat() for moment, zone in cells]
    read = pl.select(_common_time(pl.lit(pl.Series(texts)))).to_series().to_list()
    assert read == [datetime.fromisoformat(t).astimezone(UTC) for t in texts]


def test_other_forms_are_left_to_the_other_readers():
    texts = [
        "2024-01-31T09:30:00Z",
        "2024-01-31 09:30:00+08:00",
        "2024-01-31T09:30+08:00",
        "2024-01-31T09:30:00.123+08:00",
        "2024-01-31T09:30:00+0800",
        "2024-02-30T09:30:00+08:00",
        "2024-01-31T09:30:00*08:00",
        "2024-01-31T09:30:00+08:00",
    ]
    read = pl.select(_common_time(pl.lit(pl.Series(texts)))).to_series().to_list()
    assert read == [None] * 7 + [datetime(2024, 1, 31, 1, 30, tzinfo=UTC)]


_ROW = {
    "id": "S1",
    "customer_id": "C1",
    "ordered_at": "2026-03-03T05:10:13+08:00",
    "promised_at": "2026-03-07T05:10:13+08:00",
    "shipped_at": "2026-03-03T18:18:48+08:00",
    "delivered_at": "",
    "revenue.amount": "5041.73",
    "revenue.currency": "CNY",
    "cost.amount": "-0.0",
    "cost.currency": "CNY",
    "units_ordered": "36",
    "units_delivered": "36",
    "units_damaged": "0",
    "invoice_error": "false",
    "stockout": "True",
    "substituted": "false",
    "rerouted": "false",
    "returned": "false",
}


@given(
    st.sets(st.sampled_from(sorted(_ROW))),
    st.sampled_from([" ", "\t", "\xa0", "\u3000", " \u2028"]),
)
def test_cells_with_space_around_them_are_read_as_without(padded, space):
    """A column is read unstripped, and stripped again only where a cell was not canonical as
    it stood: either way each cell is read as its stripped text is."""
    plain = pl.DataFrame({k: [v, v] for k, v in _ROW.items()})
    spaced = plain.with_columns(
        pl.concat_str(pl.lit(space), pl.col(k), pl.lit(space)).alias(k) for k in padded
    )
    mapping = ColumnMapping()
    assert_frame_equal(_standardise(spaced, mapping), _standardise(plain, mapping))


def test_a_bad_cell_beside_spaced_ones_is_still_left_to_the_object_path():
    frame = pl.DataFrame({k: [v, v, v] for k, v in _ROW.items()}).with_columns(
        pl.Series("revenue.amount", [" 5041.73 ", "50x", "  "]),
        pl.Series("units_damaged", ["0", " 1 ", "0"]),
    )
    read = _standardise(frame, ColumnMapping())
    assert read["__ok"].to_list() == [True, False, False]
    assert read["revenue.amount"][0] == Decimal("5041.73")
    assert read["__revenue_places"][0] == 2
    assert read["units_damaged"][1] == 1
