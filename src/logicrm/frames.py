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
from datetime import datetime
from typing import Any

import attrs
import polars as pl

from logicrm._engine._cells import _SCALE, EngineLimit
from logicrm._engine._tables import _activities, _aggregate, _prepare, merge_tables, to_activities
from logicrm._readers._plan import ColumnMapping
from logicrm.quality import service_kpis
from logicrm.scoring import WINDOW_DAYS, Activity

__all__ = [
    "EngineLimit",
    "FrameSummary",
    "TableSummary",
    "activity_table",
    "merge_tables",
    "partial_table",
    "summarize_frame",
    "to_activities",
    "to_pandas",
    "to_polars",
]


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
    table = _aggregate(valid, as_of, days="count")
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
    # Money in the data's own places (at least 0), as the object path's sums have them.
    places = valid.select(pl.max_horizontal("__revenue_places", "__cost_places").max()).item()
    scale = min(_SCALE, max(0, places or 0))
    money = [n for n, dtype in table.schema.items() if isinstance(dtype, pl.Decimal)]
    table = table.with_columns(pl.col(money).cast(pl.Decimal(38, scale)))
    hidden = [n for n in table.columns if n.startswith("__")]
    return TableSummary(table.drop(hidden), rejected)


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
    return _aggregate(valid, as_of, days="sets"), rejected


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
