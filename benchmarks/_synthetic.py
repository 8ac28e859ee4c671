"""Seeded synthetic shipments at any size, written straight from columns (no objects), so
tens of millions of rows take seconds to make: CSV as a TMS exports it (ISO 8601 times with an
offset, amounts with two places) and typed Parquet."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

AS_OF = datetime(2026, 6, 30, 18, tzinfo=UTC)
_START = datetime(2023, 7, 1, tzinfo=UTC)


def shipments_frame(rows: int, customers: int, *, seed: int = 7) -> pl.DataFrame:
    """``rows`` shipments of ``customers`` customers over three years before ``AS_OF``; a few
    in flight, some late, short, damaged or flagged, as real data is."""
    rng = np.random.default_rng(seed)
    span_us = int((AS_OF - _START).total_seconds() * 1e6)
    # Customers differ in size (a Pareto-like spread), as logistics customers do.
    weights = rng.pareto(1.2, customers) + 1
    customer = rng.choice(customers, size=rows, p=weights / weights.sum())
    ordered = rng.integers(0, span_us, rows)
    promised = ordered + rng.integers(1, 6, rows) * 86_400_000_000
    shipped = ordered + rng.integers(3_600_000_000, 86_400_000_000, rows)
    delivered = shipped + rng.integers(3_600_000_000, 6 * 86_400_000_000, rows)
    in_flight = rng.random(rows) < 0.02
    units = rng.integers(1, 40, rows)
    short = rng.random(rows) < 0.03
    delivered_units = np.where(short, np.maximum(units - 1, 0), units)
    damaged = np.where(rng.random(rows) < 0.01, np.minimum(1, delivered_units), 0)
    revenue_cents = rng.integers(5_000, 2_000_000, rows)
    cost_cents = (revenue_cents * rng.uniform(0.55, 0.95, rows)).astype(np.int64)
    start = pl.lit(_START)
    frame = pl.DataFrame(
        {
            "id": pl.int_range(rows, eager=True).cast(pl.String).str.zfill(9),
            "customer_id": pl.Series(customer).cast(pl.String).str.zfill(7),
            "ordered_at": ordered,
            "promised_at": promised,
            "shipped_at": np.where(in_flight, -1, shipped),
            "delivered_at": np.where(in_flight, -1, delivered),
            "revenue.amount": revenue_cents,
            "revenue.currency": "CNY",
            "cost.amount": cost_cents,
            "cost.currency": "CNY",
            "units_ordered": units,
            "units_delivered": np.where(in_flight, 0, delivered_units),
            "units_damaged": np.where(in_flight, 0, damaged),
            "invoice_error": rng.random(rows) < 0.02,
            "stockout": rng.random(rows) < 0.01,
            "substituted": rng.random(rows) < 0.005,
            "rerouted": rng.random(rows) < 0.01,
            "returned": rng.random(rows) < 0.005,
        }
    )
    times = ("ordered_at", "promised_at", "shipped_at", "delivered_at")
    return frame.with_columns(
        pl.col("id").str.replace("^", "S"),
        pl.col("customer_id").str.replace("^", "C"),
        *(
            pl.when(pl.col(t) >= 0).then(start + pl.duration(microseconds=pl.col(t))).alias(t)
            for t in times
        ),
        *(
            (
                (pl.col(m) // 100).cast(pl.String)
                + "."
                + (pl.col(m) % 100).cast(pl.String).str.zfill(2)
            )
            .cast(pl.Decimal(18, 2))
            .alias(m)
            for m in ("revenue.amount", "cost.amount")
        ),
    )


def write_csv(frame: pl.DataFrame, path: Path) -> None:
    """As a TMS exports it: times in ISO 8601 with a +08:00 offset, flags as true/false."""
    zone = "+08:00"
    times = ("ordered_at", "promised_at", "shipped_at", "delivered_at")
    frame.with_columns(
        pl.col(t).dt.offset_by("8h").dt.strftime(f"%Y-%m-%dT%H:%M:%S{zone}") for t in times
    ).write_csv(path)


def write_parquet(frame: pl.DataFrame, path: Path) -> None:
    frame.write_parquet(path, row_group_size=500_000)
