"""The columnar engine's cell readers against the object path's: the common export form of a
time, read by polars' fast parser less its offset, is the moment Python reads."""

from datetime import UTC, datetime, timedelta, timezone

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from logicrm._engine._cells import _common_time

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
