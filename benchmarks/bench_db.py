"""Shipments read from PostgreSQL: the columnar engine against ``COPY ... TO STDOUT`` into
polars, the floor, in one run on a throw-away server (Debian's postgresql package).

Run: python benchmarks/bench_db.py [--shipments 1000000] [--customers 20000] [--python]

Target (issue 16): the ratio of the columnar engine's read (ADBC into Arrow, then polars) to
the floor, and of its whole summary (read, check every row, aggregate per customer) to it.
``--python`` adds the pure-Python engine (``summarize(io.stream_db(...))``), which is slow.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import polars as pl
from _harness import median_seconds, report
from _synthetic import AS_OF, shipments_frame, write_csv

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
import postgres

COLUMNS = [
    ("id", "text"), ("customer_id", "text"), ("ordered_at", "timestamptz"),
    ("promised_at", "timestamptz"), ("shipped_at", "timestamptz"),
    ("delivered_at", "timestamptz"), ("revenue.amount", "numeric(14, 2)"),
    ("revenue.currency", "text"), ("cost.amount", "numeric(14, 2)"), ("cost.currency", "text"),
    ("units_ordered", "integer"), ("units_delivered", "integer"), ("units_damaged", "integer"),
    ("invoice_error", "boolean"), ("stockout", "boolean"), ("substituted", "boolean"),
    ("rerouted", "boolean"), ("returned", "boolean"),
]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shipments", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--python", action="store_true")
    args = parser.parse_args()
    import psycopg

    from logicrm._columnar import summarize_db
    from logicrm._db import Source, adbc_batches

    with postgres.server() as uri, tempfile.TemporaryDirectory() as folder:
        csv_path = Path(folder) / "shipments.csv"
        write_csv(shipments_frame(args.shipments, args.customers), csv_path)
        with psycopg.connect(uri, autocommit=True) as connection:
            definition = ", ".join(f'"{name}" {kind}' for name, kind in COLUMNS)
            connection.execute(f"CREATE TABLE shipments ({definition})")
            with (
                connection.cursor().copy(
                    "COPY shipments FROM STDIN WITH (FORMAT csv, HEADER true)"
                ) as copy,
                csv_path.open("rb") as source,
            ):
                while chunk := source.read(1 << 20):
                    copy.write(chunk)
            connection.execute("VACUUM ANALYZE shipments")

        def floor() -> pl.DataFrame:
            with psycopg.connect(uri) as connection:
                buffer = bytearray()
                with connection.cursor().copy(
                    "COPY shipments TO STDOUT WITH (FORMAT csv, HEADER true)"
                ) as copy:
                    for chunk in copy:
                        buffer += chunk
            return pl.read_csv(bytes(buffer), infer_schema=False)

        source = Source(table="shipments")

        def adbc_read() -> int:
            manager = adbc_batches(uri, source)
            assert manager is not None
            rows = 0
            with manager as (_, batches):
                for batch in batches:
                    rows += pl.from_arrow(batch).height  # type: ignore[union-attr]
            return rows

        candidates = {
            "COPY to polars (floor)": floor,
            "ADBC read": adbc_read,
            "columnar summary": lambda: summarize_db(uri, source, as_of=AS_OF),
        }
        if args.python:
            from logicrm.domain import Shipment
            from logicrm.io import stream_db
            from logicrm.scoring import summarize

            candidates["python summary"] = lambda: summarize(
                stream_db(uri, Shipment, table="shipments"), as_of=AS_OF
            )
        medians = median_seconds(candidates, rounds=args.rounds)
    base = medians["COPY to polars (floor)"]
    rows = [
        (name, f"{seconds:.2f} s", f"{seconds / base:.2f}x the floor")
        for name, seconds in medians.items()
    ]
    report(f"{args.shipments:,} shipments from PostgreSQL (medians of {args.rounds})", rows)


if __name__ == "__main__":
    main()
