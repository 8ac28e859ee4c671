"""The columnar path: activity figures straight from a DataFrame or Arrow table.

``summarize_frame`` computes, with polars as the engine, exactly what
[`logicrm.summarize()`][logicrm.scoring.summarize] computes from shipment objects, and hands back
the same [`Activity`][logicrm.scoring.Activity] objects, so every calculator works on the result.
Money
stays exact: amounts are summed as 38-digit decimals, never as floats.

Input: a pandas or polars DataFrame or a pyarrow Table with one row per shipment, in the
column layout of [`logicrm.io`][logicrm.io] (``ordered_at``, ``revenue.amount``,
``revenue.currency``, ...), renamed through a [`ColumnMapping`][logicrm.io.ColumnMapping] if yours
differ. Times are timezone-aware datetime columns or ISO 8601 strings with offsets; amounts are
decimal, string or float columns (a float is read by its shortest repr, as
[`Money`][logicrm.domain.Money] does).

Rows that break a shipment rule are not counted: they come back in ``rejected`` with their
row number and reason, exactly as the pure-Python loaders would refuse them.

Requires the ``frames`` extra: ``pip install 'logicrm[frames]'`` (polars and pyarrow).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import polars as pl

from logicrm.domain._checks import check_aware, fail
from logicrm.domain._money import MAX_MAGNITUDE_EXPONENT
from logicrm.io import ColumnMapping
from logicrm.quality import service_kpis
from logicrm.scoring import WINDOW_DAYS, Activity
from logicrm.scoring._activity import _COUNTERS

__all__ = [
    "FrameSummary",
    "TableSummary",
    "activity_table",
    "summarize_frame",
    "to_pandas",
    "to_polars",
]

_REQUIRED = (
    "id",
    "customer_id",
    "ordered_at",
    "promised_at",
    "revenue.amount",
    "revenue.currency",
    "cost.amount",
    "cost.currency",
    "units_ordered",
)
_OPTIONAL_TIMES = ("shipped_at", "delivered_at")
_COUNTS = ("units_delivered", "units_damaged")
_FLAGS = ("invoice_error", "stockout", "substituted", "rerouted", "returned")
_WANTED = (*_REQUIRED, *_OPTIONAL_TIMES, *_COUNTS, *_FLAGS)


@attrs.frozen
class FrameSummary:
    """What [`summarize_frame()`][logicrm.frames.summarize_frame] returns.

    Attributes:
        activities: ``{customer_id: Activity}``, equal to
            [`logicrm.summarize()`][logicrm.scoring.summarize] over the same valid rows.
        rejected: the rows that broke a rule, as the file readers report them: a polars
            DataFrame with ``row`` (the 0-based position in the input), ``line`` (``row + 2``:
            the line in a CSV file with one header line and no record spanning lines),
            ``column`` (your column's name, through the mapping) and ``reason``.
    """

    activities: dict[str, Activity]
    rejected: pl.DataFrame


@attrs.frozen
class TableSummary:
    """What [`activity_table()`][logicrm.frames.activity_table] returns.

    Attributes:
        table: one row per customer: the activity figures (``orders``, ``revenue``,
            ``orders_30d`` ... ``cost_730d``, ``delivered``, ``on_time``, ...) and service
            rates (``on_time_rate``, ``otif_rate``, ``fill_rate``, ...; null when undefined).
        rejected: the rows that broke a rule (``row``, ``reason``), as in
            [`FrameSummary`][logicrm.frames.FrameSummary].
    """

    table: pl.DataFrame
    rejected: pl.DataFrame


def _to_polars(data: Any) -> pl.DataFrame:
    if isinstance(data, pl.DataFrame):
        return data
    module = type(data).__module__
    if module.startswith("pandas"):
        return pl.from_pandas(data)
    frame = pl.from_arrow(data) if module.startswith("pyarrow") else None
    if not isinstance(frame, pl.DataFrame):
        fail("data", type(data).__name__, "must be a pandas or polars DataFrame or a pyarrow Table")
    return frame


def _standardise(frame: pl.DataFrame, mapping: ColumnMapping) -> pl.DataFrame:
    """Rename to field paths, add constants and defaults, parse times and amounts."""
    wanted = _WANTED
    columns: dict[str, pl.Expr] = {}
    for path in wanted:
        if path in mapping.constants:
            columns[path] = pl.lit(mapping.constants[path])
            continue
        source = mapping.column(path)
        if source in frame.columns:
            columns[path] = pl.col(source)
        elif path in _REQUIRED:
            fail("data", source, "is a required column and is missing")
        elif path in _OPTIONAL_TIMES:
            columns[path] = pl.lit(None, dtype=pl.Datetime("us", "UTC"))
        elif path in _COUNTS:
            columns[path] = pl.lit(0, dtype=pl.Int64)
        else:
            columns[path] = pl.lit(False)
    out = frame.select(**columns).with_row_index("__row")
    parsed: list[pl.Expr] = []
    for path in ("ordered_at", "promised_at", *_OPTIONAL_TIMES):
        dtype = out.schema[path]
        if dtype == pl.String:
            parsed.append(pl.col(path).str.to_datetime(time_zone="UTC", strict=False))
        elif isinstance(dtype, pl.Datetime):
            if dtype.time_zone is None and out[path].null_count() < out.height:
                fail(path, "naive datetime column", "must be timezone-aware")
            parsed.append(pl.col(path).cast(pl.Datetime("us", "UTC")))
        elif dtype == pl.Null:
            parsed.append(pl.col(path).cast(pl.Datetime("us", "UTC")))
        else:
            fail(path, str(dtype), "must be a datetime or ISO 8601 string column")
    for path in ("units_ordered", *_COUNTS):
        column = pl.col(path)
        if out.schema[path] == pl.String:
            column = column.str.strip_chars()
        parsed.append(column.cast(pl.Int64, strict=False))
    for path in _FLAGS:
        if out.schema[path] == pl.String:
            text = pl.col(path).str.strip_chars().str.to_lowercase()
            parsed.append(
                pl.when(text.is_in(list(mapping.true_values)))
                .then(True)
                .when(text.is_in(list(mapping.false_values)) | (text == ""))
                .then(False)
                .otherwise(None)
                .alias(path)
            )
        else:
            parsed.append(pl.col(path).cast(pl.Boolean, strict=False))
    for path in ("id", "customer_id", "revenue.currency", "cost.currency"):
        parsed.append(pl.col(path).cast(pl.String))
    scale = max(_scale(out, "revenue.amount"), _scale(out, "cost.amount"))
    for path in ("revenue.amount", "cost.amount"):
        parsed.append(_decimal(out, path, scale))
    return out.with_columns(parsed)


def _scale(frame: pl.DataFrame, path: str) -> int:
    dtype = frame.schema[path]
    if isinstance(dtype, pl.Decimal):
        return dtype.scale or 0
    text = frame[path] if dtype == pl.String else frame[path].cast(pl.String)
    digits = text.str.extract(r"\.(\d+)$").str.len_chars().max()
    return int(digits) if isinstance(digits, int) else 0


def _decimal(frame: pl.DataFrame, path: str, scale: int) -> pl.Expr:
    dtype = frame.schema[path]
    if isinstance(dtype, pl.Decimal):
        return pl.col(path).cast(pl.Decimal(38, scale))
    text = pl.col(path) if dtype == pl.String else pl.col(path).cast(pl.String)
    return text.cast(pl.Decimal(38, scale), strict=False)


# The range of amounts, as Money enforces it (see logicrm.domain._money).
_AMOUNT_LIMIT = 10**MAX_MAGNITUDE_EXPONENT
_OUT_OF_RANGE = f"must be less than 10^{MAX_MAGNITUDE_EXPONENT} in size"


def _explained(
    original: pl.DataFrame, broken: pl.DataFrame, mapping: ColumnMapping
) -> pl.DataFrame:
    """The rejected rows as the file readers report them: the file's line, your column's
    name and the object path's own words. The vectorised rules find the rows; the few found
    are read once more as records, so both paths word a rejection with one piece of code."""
    from logicrm.domain import Shipment
    from logicrm.errors import ValidationError
    from logicrm.io import _Reader
    from logicrm.serialization import from_dict

    reader = _Reader(Shipment, mapping)
    rows = broken["__row"].to_list()
    raw = original.with_row_index("__row").filter(pl.col("__row").is_in(rows)).drop("__row")
    columns, reasons = [], []
    for row, fallback in zip(raw.iter_rows(named=True), broken["__reason"], strict=True):
        column, _, reason = fallback.partition(": ")
        column = mapping.column(column)
        try:
            from_dict(Shipment, reader.record(row))
        except ValidationError as error:
            column, reason = reader.problems(error)[0]
        columns.append(column)
        reasons.append(reason)
    return pl.DataFrame(
        {
            "row": pl.Series(rows, dtype=pl.UInt32),
            "line": pl.Series([r + 2 for r in rows], dtype=pl.Int64),
            "column": pl.Series(columns, dtype=pl.String),
            "reason": pl.Series(reasons, dtype=pl.String),
        }
    )


def _rule_violations(frame: pl.DataFrame) -> pl.Expr:
    """One reason per row that breaks a Shipment rule (null when the row is valid)."""
    c = pl.col
    start = pl.coalesce(c("shipped_at"), c("ordered_at"))
    rules: list[tuple[pl.Expr, str]] = [
        (c("id").is_null() | (c("id").cast(pl.String) == ""), "id: must be a non-empty string"),
        (
            c("customer_id").is_null() | (c("customer_id").cast(pl.String) == ""),
            "customer_id: must be a non-empty string",
        ),
        (c("ordered_at").is_null(), "ordered_at: must be an aware ISO 8601 date-time"),
        (c("promised_at").is_null(), "promised_at: must be an aware ISO 8601 date-time"),
        (c("promised_at") < c("ordered_at"), "promised_at: must not be before ordered_at"),
        (c("shipped_at") < c("ordered_at"), "shipped_at: must not be before ordered_at"),
        (c("delivered_at") < start, "delivered_at: must not be before shipped_at/ordered_at"),
        (c("revenue.amount").is_null(), "revenue.amount: must be a plain decimal number"),
        (c("cost.amount").is_null(), "cost.amount: must be a plain decimal number"),
        (c("revenue.amount").abs() >= _AMOUNT_LIMIT, f"revenue.amount: {_OUT_OF_RANGE}"),
        (c("cost.amount").abs() >= _AMOUNT_LIMIT, f"cost.amount: {_OUT_OF_RANGE}"),
        (
            c("revenue.currency") != c("cost.currency"),
            "cost.currency: must be the revenue's currency",
        ),
        (
            c("units_ordered").is_null() | (c("units_ordered") < 0),
            "units_ordered: must be an integer >= 0",
        ),
        (
            c("units_delivered").is_null() | (c("units_delivered") < 0),
            "units_delivered: must be an integer >= 0",
        ),
        (
            c("units_damaged").is_null() | (c("units_damaged") < 0),
            "units_damaged: must be an integer >= 0",
        ),
        (
            c("units_damaged") > c("units_delivered"),
            "units_damaged: must not exceed units_delivered",
        ),
    ]
    expr = pl.lit(None, dtype=pl.String)
    for condition, reason in reversed(rules):  # the first broken rule wins
        expr = pl.when(condition.fill_null(False)).then(pl.lit(reason)).otherwise(expr)
    return expr


def summarize_frame(
    data: Any, *, as_of: datetime, mapping: ColumnMapping | None = None
) -> FrameSummary:
    """Per-customer [`Activity`][logicrm.scoring.Activity] objects from a table of shipments.

    The result equals [`logicrm.summarize()`][logicrm.scoring.summarize] over the same shipments (a
    property test checks this on generated data, money included); rows that break a shipment rule
    are returned in ``rejected`` instead of being counted.

    Raises:
        ValidationError: a required column is missing, a datetime column is naive, or a
            customer's shipments use two currencies.
    """
    valid, rejected = _prepare(data, as_of, mapping)
    return FrameSummary(_activities(valid, as_of), rejected)


def activity_table(
    data: Any, *, as_of: datetime, mapping: ColumnMapping | None = None
) -> TableSummary:
    """The per-customer figures and service measures as a polars table, never leaving it.

    The same figures as [`summarize_frame()`][logicrm.frames.summarize_frame] (distinct order days
    as a count rather than a set), for when a results table is what you want: nothing is turned into
    Python objects, so it is the fast way to a customer table from millions of rows.

    Examples:
        >>> from logicrm.io import _flatten
        >>> from logicrm.sample import sample_dataset
        >>> from logicrm.serialization import to_dict
        >>> data = sample_dataset()
        >>> rows = pl.DataFrame([_flatten(to_dict(s)) for s in data.shipments])
        >>> table = activity_table(rows, as_of=data.as_of).table
        >>> table.filter(pl.col("customer_id") == "C00000")["orders"].item()
        549
    """
    valid, rejected = _prepare(data, as_of, mapping)
    table = _aggregate(valid, as_of, day_sets=False)
    c = pl.col

    def rate(numerator: str, denominator: str) -> pl.Expr:
        return pl.when(c(denominator) > 0).then(c(numerator) / c(denominator))

    table = table.with_columns(
        fill_rate=rate("units_filled", "units_ordered_delivered"),
        damage_rate=rate("units_damaged", "units_delivered"),
        on_time_rate=rate("on_time", "delivered"),
        otif_rate=rate("on_time_in_full", "delivered"),
        perfect_order_rate=rate("perfect", "delivered"),
        invoice_error_rate=rate("invoice_errors", "orders"),
    ).rename(
        {
            f"__w{i}_{kind}": f"{kind}_{days}d"
            for i, days in enumerate(WINDOW_DAYS)
            for kind in ("orders", "revenue", "cost")
        }
    )
    return TableSummary(table, rejected)


def _prepare(
    data: Any, as_of: datetime, mapping: ColumnMapping | None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    check_aware("as_of", as_of)
    mapping = mapping or ColumnMapping()
    original = _to_polars(data)
    frame = _standardise(original, mapping)
    frame = frame.with_columns(_rule_violations(frame).alias("__reason"))
    rejected = _explained(original, frame.filter(pl.col("__reason").is_not_null()), mapping)
    valid = frame.filter(pl.col("__reason").is_null())
    currencies = valid.group_by("customer_id").agg(pl.col("revenue.currency").n_unique())
    mixed = currencies.filter(pl.col("revenue.currency") > 1)
    if mixed.height:
        fail("revenue.currency", mixed["customer_id"][0], "customer has two currencies")
    return valid, rejected


def _aggregate(valid: pl.DataFrame, as_of: datetime, *, day_sets: bool) -> pl.DataFrame:
    """Per-customer figures; order days as lists (for Activity) or as a count (for tables)."""
    c = pl.col
    as_of_utc = as_of.astimezone(UTC)
    counted = c("ordered_at") <= pl.lit(as_of_utc)
    delivered = counted & c("delivered_at").is_not_null()
    on_time = delivered & (c("delivered_at") <= c("promised_at"))
    in_full = delivered & (c("units_delivered") >= c("units_ordered"))
    otif = on_time & in_full
    damaged = delivered & (c("units_damaged") > 0)
    perfect = otif & (c("units_damaged") == 0) & ~c("invoice_error").cast(pl.Boolean)
    day = c("ordered_at").dt.date().cast(pl.Int32)
    cycle = (c("delivered_at") - c("ordered_at")).dt.total_microseconds().cast(pl.Int128)
    first_day = day.filter(counted).min()
    windows = []
    for index, days in enumerate(WINDOW_DAYS):
        inside = counted & (c("ordered_at") > pl.lit(as_of_utc - timedelta(days=days)))
        windows += [
            inside.sum().alias(f"__w{index}_orders"),
            c("revenue.amount").filter(inside).sum().alias(f"__w{index}_revenue"),
            c("cost.amount").filter(inside).sum().alias(f"__w{index}_cost"),
        ]
    table = valid.group_by("customer_id", maintain_order=True).agg(
        c("revenue.currency").first().alias("currency"),
        counted.sum().alias("orders"),
        (~counted).sum().alias("ignored_after_as_of"),
        c("ordered_at").filter(counted).min().alias("first_order_at"),
        c("ordered_at").filter(counted).max().alias("last_order_at"),
        c("revenue.amount").filter(counted).sum().alias("revenue"),
        c("cost.amount").filter(counted).sum().alias("cost"),
        (
            day.filter(counted).unique().alias("order_days")
            if day_sets
            else day.filter(counted).n_unique().alias("distinct_order_days")
        ),
        first_day.alias("first_day"),
        c("revenue.amount").filter(counted & (day == first_day)).sum().alias("first_day_revenue"),
        delivered.sum().alias("delivered"),
        on_time.sum().alias("on_time"),
        in_full.sum().alias("in_full"),
        otif.sum().alias("on_time_in_full"),
        perfect.sum().alias("perfect"),
        damaged.sum().alias("damaged"),
        c("units_ordered").filter(delivered).sum().alias("units_ordered_delivered"),
        pl.min_horizontal("units_delivered", "units_ordered")
        .filter(delivered)
        .sum()
        .alias("units_filled"),
        c("units_delivered").filter(delivered).sum().alias("units_delivered"),
        c("units_damaged").filter(delivered).sum().alias("units_damaged"),
        *(
            c(flag).cast(pl.Boolean).filter(counted).sum().alias(name)
            for flag, name in zip(
                _FLAGS,
                ("invoice_errors", "stockouts", "substitutions", "reroutes", "returns"),
                strict=True,
            )
        ),
        cycle.filter(delivered).sum().alias("cycle_us_sum"),
        (cycle * cycle).filter(delivered).sum().alias("cycle_us_squares"),
        *windows,
    )
    return table


_SUMMED = (
    "orders",
    "revenue",
    "cost",
    *_COUNTERS,
    *(f"__w{i}_{kind}" for i in range(len(WINDOW_DAYS)) for kind in ("orders", "revenue", "cost")),
)


def merge_tables(tables: list[pl.DataFrame]) -> pl.DataFrame:
    """Merge partial per-customer tables (from partitions) as Activity.merge would."""
    c = pl.col
    stacked = pl.concat(tables, how="vertical_relaxed")
    first_day = c("first_day").min()
    merged = stacked.group_by("customer_id", maintain_order=True).agg(
        c("currency").drop_nulls().first(),
        c("currency").drop_nulls().n_unique().alias("__currencies"),
        *(c(name).sum() for name in _SUMMED),
        c("first_order_at").min(),
        c("last_order_at").max(),
        c("order_days").explode().drop_nulls().unique().alias("order_days"),
        first_day.alias("first_day"),
        c("first_day_revenue").filter(c("first_day") == first_day).sum(),
    )
    mixed = merged.filter(c("__currencies") > 1)
    if mixed.height:
        fail("revenue.currency", mixed["customer_id"][0], "customer has two currencies")
    return merged.drop("__currencies")


def _activities(valid: pl.DataFrame, as_of: datetime) -> dict[str, Activity]:
    return to_activities(_aggregate(valid, as_of, day_sets=True), as_of)


def to_activities(table: pl.DataFrame, as_of: datetime) -> dict[str, Activity]:
    """Activity objects from a per-customer table with day lists (see ``partial_table``)."""
    result: dict[str, Activity] = {}
    for row in table.iter_rows(named=True):
        orders = row["orders"]
        activity = Activity(
            customer_id=row["customer_id"],
            as_of=as_of,
            currency=row["currency"] if orders else None,
            orders=orders,
            first_order_at=row["first_order_at"],
            last_order_at=row["last_order_at"],
            revenue=_exact(row["revenue"]),
            cost=_exact(row["cost"]),
            order_days=set(row["order_days"]),
            first_day_revenue=_exact(row["first_day_revenue"]),
            window_orders=[row[f"__w{i}_orders"] for i in range(len(WINDOW_DAYS))],
            window_revenue=[_exact(row[f"__w{i}_revenue"]) for i in range(len(WINDOW_DAYS))],
            window_cost=[_exact(row[f"__w{i}_cost"]) for i in range(len(WINDOW_DAYS))],
        )
        for name in _COUNTERS:
            setattr(activity, name, int(row[name] or 0))
        result[row["customer_id"]] = activity
    return result


def partial_table(
    data: Any, *, as_of: datetime, mapping: ColumnMapping | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One partition's per-customer table (with day lists) and its rejected rows.

    Partial tables from any split of the rows combine with
    [`merge_tables()`][logicrm.frames.merge_tables]; turning the merged table into activities
    ([`to_activities()`][logicrm.frames.to_activities]) gives what
    [`summarize_frame()`][logicrm.frames.summarize_frame] gives for all the rows at once.
    """
    valid, rejected = _prepare(data, as_of, mapping)
    return _aggregate(valid, as_of, day_sets=True), rejected


def _exact(value: Decimal | None) -> Decimal:
    return Decimal(0) if value is None else value


def _rows(activities: Mapping[str, Activity] | Iterable[Activity]) -> list[dict[str, Any]]:
    items = activities.values() if isinstance(activities, Mapping) else activities
    rows = []
    for a in items:
        kpis = service_kpis(a)
        rows.append(
            {
                "customer_id": a.customer_id,
                "currency": a.currency,
                "orders": a.orders,
                "first_order_at": a.first_order_at,
                "last_order_at": a.last_order_at,
                "revenue": a.revenue,
                "cost": a.cost,
                "distinct_order_days": a.distinct_order_days,
                **{f"orders_{d}d": a.window_orders[i] for i, d in enumerate(WINDOW_DAYS)},
                **{f"revenue_{d}d": a.window_revenue[i] for i, d in enumerate(WINDOW_DAYS)},
                "delivered": a.delivered,
                "fill_rate": kpis.fill_rate,
                "damage_rate": kpis.damage_rate,
                "on_time_rate": kpis.on_time_rate,
                "otif_rate": kpis.otif_rate,
                "perfect_order_rate": kpis.perfect_order_rate,
                "late_delivery_rate": kpis.late_delivery_rate,
                "short_shipment_rate": kpis.short_shipment_rate,
                "invoice_error_rate": kpis.invoice_error_rate,
            }
        )
    return rows


def to_polars(activities: Mapping[str, Activity] | Iterable[Activity]) -> Any:
    """One row per customer: the activity figures and service measures, as polars."""
    return pl.DataFrame(_rows(activities), infer_schema_length=None)


def to_pandas(activities: Mapping[str, Activity] | Iterable[Activity]) -> Any:
    """The same table as [`to_polars()`][logicrm.frames.to_polars], as pandas (needs pandas
    installed)."""
    import pandas as pd

    return pd.DataFrame(_rows(activities))
