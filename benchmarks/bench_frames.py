"""The columnar path, Parquet end to end, and Dask, on a million shipments.

Run: python benchmarks/bench_frames.py [--shipments 1000000] [--customers 20000]

Targets (issue 6), measured in one run on seeded ``logicrm.sample`` data:
- the columnar path from an in-memory DataFrame <= 1.0x a hand-written pandas groupby
  computing the same figures (both produce a table: ``activity_table`` against pandas;
  ``summarize_frame``, which also builds 20,000 Activity objects, is reported beside them);
- from a Parquet file end to end (read + summarise) >= 10x faster than the pure-Python path
  (``summarize(io.stream(...))``) reading the same file;
- the Dask path on 2 workers against the single-process columnar path (ratio, overhead).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from _harness import median_seconds, report
from _pandas_reference import pandas_aggregate, pandas_frame

import logicrm as lc
from logicrm.frames import activity_table, summarize_frame
from logicrm.io import stream
from logicrm.sample import SAMPLE_AS_OF, generate_shipments

AS_OF = SAMPLE_AS_OF


def arrow_table(shipments: list[lc.Shipment]) -> pa.Table:
    """Typed columns, as a TMS export to Parquet would have them."""
    stamp = pa.timestamp("us", tz="UTC")
    money = pa.decimal128(18, 2)
    return pa.table(
        {
            "id": [s.id for s in shipments],
            "customer_id": [s.customer_id for s in shipments],
            "ordered_at": pa.array([s.ordered_at for s in shipments], stamp),
            "promised_at": pa.array([s.promised_at for s in shipments], stamp),
            "shipped_at": pa.array([s.shipped_at for s in shipments], stamp),
            "delivered_at": pa.array([s.delivered_at for s in shipments], stamp),
            "revenue.amount": pa.array([s.revenue.amount for s in shipments], money),
            "revenue.currency": [s.revenue.currency for s in shipments],
            "cost.amount": pa.array([s.cost.amount for s in shipments], money),
            "cost.currency": [s.cost.currency for s in shipments],
            "units_ordered": [s.units_ordered for s in shipments],
            "units_delivered": [s.units_delivered for s in shipments],
            "units_damaged": [s.units_damaged for s in shipments],
            "invoice_error": [s.invoice_error for s in shipments],
            "stockout": [s.stockout for s in shipments],
            "substituted": [s.substituted for s in shipments],
            "rerouted": [s.rerouted for s in shipments],
            "returned": [s.returned for s in shipments],
        }
    )


def dask_ratio(table: pa.Table, single: float) -> tuple[float, float]:
    import dask.dataframe as dd
    import pandas as pd
    from distributed import Client, LocalCluster

    from logicrm.dask import summarize_dask

    # Arrow-backed partitions, as dd.read_parquet gives them.
    frame = dd.from_pandas(table.to_pandas(types_mapper=pd.ArrowDtype), npartitions=8)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster),
    ):
        frame = frame.persist()
        seconds = median_seconds({"dask": lambda: summarize_dask(frame, as_of=AS_OF)}, rounds=3)[
            "dask"
        ]
    return seconds, seconds - single


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shipments", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    print(f"generating {args.shipments:,} shipments over {args.customers:,} customers ...")
    shipments = list(generate_shipments(args.shipments, customers=args.customers))
    expected = lc.summarize(shipments, as_of=AS_OF)
    table = arrow_table(shipments)
    import polars as pl

    polars_frame = pl.from_arrow(table)
    pandas = pandas_frame(shipments)
    assert summarize_frame(polars_frame, as_of=AS_OF).activities == expected

    medians = median_seconds(
        {
            "table": lambda: activity_table(polars_frame, as_of=AS_OF),
            "columnar": lambda: summarize_frame(polars_frame, as_of=AS_OF),
            "pandas": lambda: pandas_aggregate(pandas, AS_OF),
        },
        rounds=args.rounds,
    )

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "shipments.parquet"
        pq.write_table(table, path)
        del shipments
        parquet_columnar = median_seconds(
            {"parquet": lambda: summarize_frame(pl.read_parquet(path), as_of=AS_OF)},
            rounds=args.rounds,
        )["parquet"]
        began = time.perf_counter()
        pure = lc.summarize(stream(path, lc.Shipment), as_of=AS_OF)
        parquet_pure = time.perf_counter() - began
        assert pure == expected

    dask_seconds, overhead = dask_ratio(table, medians["columnar"])
    n = args.shipments
    report(
        f"Columnar path on {n:,} shipments (medians of {args.rounds} interleaved rounds)",
        [
            ("pandas groupby, same figures", f"{medians['pandas']:.2f} s", ""),
            (
                "activity_table (polars table)",
                f"{medians['table']:.2f} s ({medians['table'] / medians['pandas']:.2f}x pandas)",
                "target <= 1.0x",
            ),
            (
                "summarize_frame (+ Activity objects)",
                f"{medians['columnar']:.2f} s "
                f"({medians['columnar'] / medians['pandas']:.2f}x pandas)",
                "report",
            ),
            ("Parquet, pure Python", f"{parquet_pure:.1f} s (one run)", ""),
            (
                "Parquet, columnar",
                f"{parquet_columnar:.2f} s ({parquet_pure / parquet_columnar:.0f}x faster)",
                "target >= 10x",
            ),
            (
                "Dask, 2 workers",
                f"{dask_seconds:.2f} s "
                f"({dask_seconds / medians['columnar']:.2f}x single process, "
                f"+{overhead:.2f} s)",
                "report",
            ),
        ],
    )


if __name__ == "__main__":
    main()
