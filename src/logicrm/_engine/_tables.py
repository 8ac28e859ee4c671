"""The columnar engine's per-customer tables: valid shipments aggregated per customer, tables
merged across batches, and tables turned into activities."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import polars as pl

from logicrm._engine._cells import (
    _FLAGS,
    _MONEY,
    _SCALE,
    _check_schema,
    _currency_clash,
    _raw_rows,
    _rejected_frame,
    _settle,
    _standardise,
    _to_polars,
)
from logicrm._readers._plan import ColumnMapping, _Reader
from logicrm.domain import Shipment
from logicrm.domain._checks import check_aware, fail
from logicrm.scoring import WINDOW_DAYS, Activity
from logicrm.scoring._activity import _COUNTERS
from logicrm.scoring._numbers import EXACT


def _prepare(
    data: Any, as_of: datetime, mapping: ColumnMapping | None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    check_aware("as_of", as_of)
    mapping = mapping or ColumnMapping()
    original = _to_polars(data)
    _check_schema(original, mapping)
    frame = _standardise(original, mapping)
    reader = _Reader(Shipment, mapping)
    valid, rejected = _settle(frame, lambda rows: _raw_rows(original, rows), reader)
    clash = _currency_clash(valid, as_of)
    if clash is not None:
        raise clash
    return valid, _rejected_frame(rejected)


def _aggregate(valid: pl.DataFrame, as_of: datetime, *, days: str) -> pl.DataFrame:
    """Per-customer figures. ``days``: ``"sets"`` adds the order days as lists, the first
    day's revenue and the cycle times (for Activity), ``"count"`` the same with the number
    of order days and without the amounts' places (for ``activity_table``, which takes its
    scale from the whole data), ``"none"`` none of these, nor the shipments after ``as_of``
    or the costs of windows other than the last 365 days (the assessment reads none of them;
    the day lists alone cost more than all the other figures together).

    Each figure is a plain sum, min or max over a column masked row by row
    (``when(...).then(...)``), which polars computes on its grouped kernels."""
    c = pl.col
    as_of_utc = as_of.astimezone(UTC)
    counted = c("ordered_at") <= pl.lit(as_of_utc)
    delivered = counted & c("delivered_at").is_not_null()
    on_time = delivered & (c("delivered_at") <= c("promised_at"))
    in_full = delivered & (c("units_delivered") >= c("units_ordered"))
    otif = on_time & in_full
    damaged = delivered & (c("units_damaged") > 0)
    masks = {"counted": counted, "delivered": delivered, "on_time": on_time}
    masks |= {"in_full": in_full, "otif": otif, "damaged": damaged}
    masks |= {
        f"w{index}": counted & (c("ordered_at") > pl.lit(as_of_utc - timedelta(days=days_back)))
        for index, days_back in enumerate(WINDOW_DAYS)
    }
    # Each mask as a column, made once: the figures below read them many times over.
    valid = valid.with_columns(expr.alias(f"__{name}") for name, expr in masks.items())
    counted, delivered, on_time, in_full, otif, damaged = (
        c(f"__{name}") for name in list(masks)[:6]
    )
    year = c(f"__w{WINDOW_DAYS.index(365)}")
    perfect = otif & (c("units_damaged") == 0) & ~c("invoice_error").cast(pl.Boolean)
    places = days != "count"
    valid, minor_places = _minor_units(valid)
    amount = "{}.amount" if minor_places is None else "__{}_minor"
    sums = []  # the money figures' names

    def when(condition: pl.Expr, value: str | pl.Expr) -> pl.Expr:
        return pl.when(condition).then(c(value) if isinstance(value, str) else value)

    def total(condition: pl.Expr, kind: str, name: str, *, filtered: bool = False) -> pl.Expr:
        """The sum of ``kind``'s amounts where ``condition`` holds (masked row by row, or
        ``filtered`` group by group)."""
        sums.append(name)
        value = c(amount.format(kind))
        return (value.filter(condition) if filtered else when(condition, value)).sum().alias(name)

    def money(condition: pl.Expr, kind: str, name: str) -> list[pl.Expr]:
        """The sum of ``kind``'s amounts where ``condition`` holds, and their places."""
        figures = [total(condition, kind, name)]
        if places:
            figures.append(when(condition, f"__{kind}_places").max().alias(f"{name}_places"))
        return figures

    windows = []
    for index, days_back in enumerate(WINDOW_DAYS):
        inside = c(f"__w{index}")
        windows += [
            inside.sum().alias(f"__w{index}_orders"),
            *money(inside, "revenue", f"__w{index}_revenue"),
        ]
        if days != "none" or days_back == 365:  # the assessment reads the year's cost only
            windows += money(inside, "cost", f"__w{index}_cost")
    figures = [
        # Only what is counted has a currency: a shipment after as_of never clashes.
        c("revenue.currency").filter(counted).first().alias("currency"),
        counted.sum().alias("orders"),
        when(counted, "ordered_at").min().alias("first_order_at"),
        when(counted, "ordered_at").max().alias("last_order_at"),
        total(counted, "revenue", "revenue"),
        total(counted, "cost", "cost"),
        *(
            when(counted, f"__{kind}_places").max().alias(f"__{kind}_places")
            for kind in ("revenue", "cost")
            if places
        ),
        delivered.sum().alias("delivered"),
        on_time.sum().alias("on_time"),
        in_full.sum().alias("in_full"),
        otif.sum().alias("on_time_in_full"),
        perfect.sum().alias("perfect"),
        damaged.sum().alias("damaged"),
        when(delivered, "units_ordered").sum().alias("units_ordered_delivered"),
        when(delivered, pl.min_horizontal("units_delivered", "units_ordered"))
        .sum()
        .alias("units_filled"),
        when(delivered, "units_delivered").sum().alias("units_delivered"),
        when(delivered, "units_damaged").sum().alias("units_damaged"),
        *(
            (counted & c(flag).cast(pl.Boolean)).sum().alias(name)
            for flag, name in zip(
                _FLAGS,
                ("invoice_errors", "stockouts", "substitutions", "reroutes", "returns"),
                strict=True,
            )
        ),
        (year & c("rerouted").cast(pl.Boolean)).sum().alias("reroutes_365"),
        (year & c("returned").cast(pl.Boolean)).sum().alias("returns_365"),
        (year & damaged).sum().alias("damaged_365"),
        *windows,
    ]
    if days != "none":
        figures.append((~counted).sum().alias("ignored_after_as_of"))
        valid = valid.with_columns(
            __cycle=(c("delivered_at") - c("ordered_at")).dt.total_microseconds().cast(pl.Int128),
            __day=c("ordered_at").dt.date().cast(pl.Int32),
        )
        cycle, day = c("__cycle"), c("__day")
        first_day = day.filter(counted).min()
        figures += [
            when(delivered, cycle).sum().alias("cycle_us_sum"),
            when(delivered, cycle * cycle).sum().alias("cycle_us_squares"),
            (
                day.filter(counted).unique().alias("order_days")
                if days == "sets"
                else day.filter(counted).n_unique().alias("distinct_order_days")
            ),
            first_day.alias("first_day"),
        ]
        if places:
            # Three figures of the first day: its rows marked once, row by row (a window),
            # rather than compared with the group's first day in each, group by group.
            valid = valid.with_columns(
                __first_day_row=counted & (day == when(counted, day).min().over("customer_id"))
            )
            first_day_rows = c("__first_day_row")
            figures += [
                total(first_day_rows, "revenue", "first_day_revenue"),
                when(first_day_rows, "__revenue_places").max().alias("__first_day_places"),
                when(first_day_rows, "__revenue_negative_zero")
                .all()
                .alias("__first_day_negative_zero"),
            ]
        else:  # one: filtered group by group, which costs less than the window
            first_day_rows = counted & (day == first_day)
            figures.append(total(first_day_rows, "revenue", "first_day_revenue", filtered=True))
    table = valid.group_by("customer_id", maintain_order=True).agg(figures)
    if minor_places is None:
        return table
    # Minor units back to 12-place decimals, exactly, on the small table.
    unit = pl.lit(_ONE.scaleb(-minor_places), dtype=pl.Decimal(38, minor_places))
    return table.with_columns((c(sums).cast(pl.Decimal(38, 0)) * unit).cast(_MONEY))


def _minor_units(valid: pl.DataFrame) -> tuple[pl.DataFrame, int | None]:
    """The frame with each amount in integer minor units of the data's places
    (``__revenue_minor``, ``__cost_minor``) and those places, when every amount is a whole
    number of them and no sum of them can leave 64 bits: polars adds these about twice as fast
    as 38-digit decimals. Else the frame as it is and ``None``."""
    kinds = ("revenue", "cost")
    places = valid.select(pl.max_horizontal(f"__{k}_places" for k in kinds).max()).item()
    places = min(_SCALE, max(0, places or 0))
    unit = 10 ** (_SCALE - places)  # one minor unit in the 12-place decimals' integers
    c = pl.col
    scaled = {k: c(f"{k}.amount").to_physical() for k in kinds}
    # Beyond 64 bits a count of minor units is null, and fails the exactness check.
    minor = valid.select(
        (v // unit).cast(pl.Int64, strict=False).alias(f"__{k}_minor") for k, v in scaled.items()
    )
    exact, *bounds = (
        valid.with_columns(minor)
        .select(
            pl.all_horizontal(
                (c(f"__{k}_minor").cast(pl.Int128) * unit == v).fill_null(False).all()
                for k, v in scaled.items()
            ).alias("exact"),
            *(c(m).min().alias(f"{m} min") for m in minor.columns),
            *(c(m).max().alias(f"{m} max") for m in minor.columns),
        )
        .row(0)
    )
    largest = max((abs(x) for x in bounds if x is not None), default=0)
    if not exact or largest * valid.height >= 2**63:  # each partial sum stays within 64 bits
        return valid, None
    return valid.with_columns(minor), places


_SUMMED = (
    "orders",
    "revenue",
    "cost",
    *_COUNTERS,
    *(f"__w{i}_{kind}" for i in range(len(WINDOW_DAYS)) for kind in ("orders", "revenue", "cost")),
)


_PLACES = (
    "__revenue_places",
    "__cost_places",
    *(f"__w{i}_{kind}_places" for i in range(len(WINDOW_DAYS)) for kind in ("revenue", "cost")),
)


def merge_tables(tables: list[pl.DataFrame]) -> pl.DataFrame:
    """Merge partial per-customer tables (from partitions) as Activity.merge would."""
    c = pl.col
    stacked = pl.concat(tables, how="vertical_relaxed")
    figures = [
        # Each part has at most one currency per customer: two parts disagree where the
        # least and the greatest differ (min and max stay on polars' fast grouped kernels).
        c("currency").min(),
        c("currency").max().alias("__other_currency"),
        *(c(name).sum() for name in _SUMMED if name in stacked.columns),
        *(c(name).max() for name in _PLACES if name in stacked.columns),
        c("first_order_at").min(),
        c("last_order_at").max(),
    ]
    if "first_day" in stacked.columns:  # tables with the order days (see _aggregate)
        first_day = c("first_day").min()
        on_first_day = c("first_day") == first_day
        figures += [
            c("order_days").explode().drop_nulls().unique().alias("order_days"),
            first_day.alias("first_day"),
            c("first_day_revenue").filter(on_first_day).sum(),
            c("__first_day_places").filter(on_first_day).max(),
            c("__first_day_negative_zero").filter(on_first_day).all(),
        ]
    merged = stacked.group_by("customer_id", maintain_order=True).agg(figures)
    mixed = merged.filter(c("currency") != c("__other_currency"))
    if mixed.height:
        fail("revenue.currency", mixed["customer_id"][0], "customer has two currencies")
    # In the partial tables' own order: a merged table merges again (batch by batch).
    return merged.select(tables[0].columns)


def _activities(valid: pl.DataFrame, as_of: datetime) -> dict[str, Activity]:
    return to_activities(_aggregate(valid, as_of, days="sets"), as_of)


def to_activities(table: pl.DataFrame, as_of: datetime) -> dict[str, Activity]:
    """Activity objects from a per-customer table with day lists (see ``partial_table``)."""
    c = pl.col
    windows = range(len(WINDOW_DAYS))
    sums = [
        ("revenue", "__revenue_places"),
        ("cost", "__cost_places"),
        *((f"__w{i}_revenue", f"__w{i}_revenue_places") for i in windows),
        *((f"__w{i}_cost", f"__w{i}_cost_places") for i in windows),
    ]
    # Each sum as the text of the Decimal the object path's arithmetic gives (its terms'
    # places, at least the zero's), so Python only parses it.
    texts = [
        _exact_text(c(value), c(places).fill_null(0).clip(0)).alias(f"__text {value}")
        for value, places in sums
    ]
    first_places = c("__first_day_places").fill_null(0)
    rows = table.select(
        "customer_id",
        "currency",
        "orders",
        "first_order_at",
        "last_order_at",
        "order_days",
        *texts,
        _exact_text(c("first_day_revenue"), first_places.clip(0)).alias("__first_text"),
        first_places.alias("__first_places"),
        c("first_day_revenue"),
        c("__first_day_negative_zero").fill_null(False),
        *(c(f"__w{i}_orders") for i in windows),
        *(c(name).fill_null(0) for name in _COUNTERS),
    ).iter_rows()
    result: dict[str, Activity] = {}
    n = len(WINDOW_DAYS)
    for row in rows:
        customer_id, currency, orders, first_at, last_at, days = row[:6]
        amounts = [Decimal(text) for text in row[6 : 8 + 2 * n]]
        first_text, first_places_, first_value, negative_zero = row[8 + 2 * n : 12 + 2 * n]
        first_day_revenue = _ZERO
        if orders:
            first_day_revenue = Decimal(first_text)
            if first_places_ < 0:  # a term like 1E+3: its exponent, as Decimal keeps it
                first_day_revenue = first_value.quantize(_ONE.scaleb(-first_places_), context=EXACT)
            if negative_zero and not first_day_revenue:
                first_day_revenue = first_day_revenue.copy_negate()
        activity = Activity(
            customer_id=customer_id,
            as_of=as_of,
            currency=currency if orders else None,
            orders=orders,
            first_order_at=first_at,
            last_order_at=last_at,
            revenue=amounts[0],
            cost=amounts[1],
            order_days=set(days),
            first_day_revenue=first_day_revenue,
            window_orders=list(row[12 + 2 * n : 12 + 3 * n]),
            window_revenue=amounts[2 : 2 + n],
            window_cost=amounts[2 + n : 2 + 2 * n],
        )
        for name, value in zip(_COUNTERS, row[12 + 3 * n :], strict=True):
            setattr(activity, name, int(value))
        result[customer_id] = activity
    return result


_ZERO = Decimal(0)
_ONE = Decimal(1)


def _exact_text(value: pl.Expr, places: pl.Expr) -> pl.Expr:
    """A 12-place decimal written with ``places`` (0 to 12) places."""
    text = value.fill_null(0).cast(_MONEY).cast(pl.String)
    cut = pl.when(places == 0).then(_SCALE + 1).otherwise(_SCALE - places)
    return text.str.head(text.str.len_chars() - cut)
