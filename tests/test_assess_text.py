"""Python's text forms of numbers, rebuilt as polars expressions (``_engine._assess_text``):
each equals Python's own on any value."""

import math
from decimal import Decimal

import polars as pl
from hypothesis import example, given
from hypothesis import strategies as st

from logicrm._engine import _assess_text as text
from logicrm._engine._cells import _MONEY

FLOATS = st.floats(allow_nan=False, allow_infinity=False)


def _one(expr: pl.Expr, **columns: object) -> list[object]:
    frame = pl.DataFrame(columns)
    frame = frame.with_columns(pl.repeat(0.0, frame.height, eager=True).alias(text.ZERO))
    return frame.select(expr.alias("out"))["out"].to_list()


@given(st.lists(FLOATS, min_size=1, max_size=50))
@example([1e-05, 5e-05, 7.5e-05, 1e16, 1e22, -0.0, 0.1 + 0.2, 5e-324, 1.7976931348623157e308])
def test_float_repr_is_pythons(values):
    assert _one(text.float_repr(pl.col("x")), x=values) == [repr(v) for v in values]


TIES = st.integers(0, 100_000).map(lambda k: k / 1000)  # 0.125, 0.135, ...: the halves
NEAR_TIES = st.tuples(TIES, st.sampled_from([-1, 1])).map(
    lambda t: math.nextafter(t[0], t[1] * 1e9)
)


@given(st.lists(st.one_of(st.floats(0, 1e9), TIES, NEAR_TIES, st.floats(-100, 100)), min_size=1))
@example([0.005, 0.015, 0.025, 0.125, 0.375, 2.675, 1e-05, 99.995, 100.0, -0.125, 0.0, -0.0])
def test_rounding_to_two_places_is_pythons_round(values):
    got = _one(text.rounded_2(pl.col("x")), x=values)
    assert [repr(v) for v in got] == [repr(round(v, 2)) for v in values]


@given(st.lists(st.tuples(st.floats(-1e9, 1e9), st.integers(1, 10**6)), min_size=1))
@example([(1.0, 100), (3.0, 10), (29.0, 100), (1.0, 3)])
def test_a_quotient_by_a_constant_is_the_ieee_quotient(pairs):
    for numerator, divisor in pairs:
        got = _one(text.over(pl.col("x"), divisor), x=[numerator])
        assert got == [numerator / divisor]


AMOUNTS = st.integers(0, 12).flatmap(
    lambda places: st.tuples(
        st.decimals(-(10**13), 10**13, places=places, allow_nan=False, allow_infinity=False),
        st.just(places),
    )
)


@given(st.lists(AMOUNTS, min_size=1, max_size=30))
@example([(Decimal("0.0000001"), 7), (Decimal("0E-9"), 9), (Decimal("1234567.5"), 1)])
def test_decimal_texts_are_str_and_format_of_the_decimal(amounts):
    exact = [
        (v if v else abs(v)).quantize(Decimal(1).scaleb(-places)) for v, places in amounts
    ]  # the engine's sums are never -0
    frame = pl.DataFrame(
        {"v": [Decimal(x) for x in exact], "v_places": [p for _, p in amounts]},
        schema={"v": _MONEY, "v_places": pl.Int32},
    )
    frame = frame.with_columns(
        plain=text.decimal_text(pl.col("v"), pl.col("v_places")),
    ).with_columns(grouped=text.decimal_grouped(pl.col("plain")))
    written = text.fill_decimal_forms(frame, "plain", "v", str)["plain"].to_list()
    assert written == [str(x) for x in exact]
    shown = text.fill_decimal_forms(frame, "grouped", "v", lambda d: f"{d:,}")["grouped"]
    assert shown.to_list() == [f"{x:,}" for x in exact]
