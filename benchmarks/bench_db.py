"""The database path at scale, on a throw-away PostgreSQL server (Debian's postgresql
package), every comparison paired in one run.

Run: python benchmarks/bench_db.py [--shipments 1000000] [--customers 20000] [--python]
                                   [--scores 1000000] [--rounds 3]

Reads: the columnar engine against ``COPY ... TO STDOUT`` into polars (the floor), and
``logicrm score`` from the PostgreSQL table against the same rows from a Parquet file
(target, issue 22: at most 1.3x). Writes: ``io.write_scores`` of ``--scores`` customers' rows
(``COPY`` into a staging table, then one ``INSERT ... ON CONFLICT``) against a bare ``COPY``
of the same rows into a table of the same shape (target: at most 2x).
``--python`` adds the pure-Python engine (``summarize(io.stream_db(...))``), which is slow.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import polars as pl
from _harness import median_seconds, report
from _synthetic import AS_OF, shipments_frame, write_csv, write_parquet

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
    parser.add_argument("--scores", type=int, default=1_000_000)
    args = parser.parse_args()
    import psycopg

    from logicrm._engine._columnar import summarize_db
    from logicrm._readers._db import Source
    from logicrm._readers._db_arrow import adbc_batches

    with postgres.server() as uri, tempfile.TemporaryDirectory() as folder:
        csv_path = Path(folder) / "shipments.csv"
        parquet_path = Path(folder) / "shipments.parquet"
        frame = shipments_frame(args.shipments, args.customers)
        write_csv(frame, csv_path)
        write_parquet(frame, parquet_path)
        del frame
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
        scored = _score_pair(uri, parquet_path, Path(folder), args.rounds)
        written = _write_pair(uri, args.scores, args.rounds)
    base = medians["COPY to polars (floor)"]
    rows = [
        (name, f"{seconds:.2f} s", f"{seconds / base:.2f}x the floor")
        for name, seconds in medians.items()
    ]
    report(f"{args.shipments:,} shipments from PostgreSQL (medians of {args.rounds})", rows)
    parquet = scored["score from Parquet"]
    report(
        f"logicrm score, {args.shipments:,} shipments of {args.customers:,} customers",
        [
            (name, f"{seconds:.2f} s", f"{seconds / parquet:.2f}x Parquet (target <= 1.3x)")
            for name, seconds in scored.items()
        ],
    )
    bare = written["bare COPY"]
    report(
        f"{args.scores:,} customers' scores written to PostgreSQL",
        [
            (name, f"{seconds:.2f} s", f"{seconds / bare:.2f}x bare COPY (target <= 2x)")
            for name, seconds in written.items()
        ],
    )


def _score_pair(uri: str, parquet: Path, folder: Path, rounds: int) -> dict[str, float]:
    """``logicrm score`` of the same shipments from the table and from the Parquet file,
    both written to a Parquet file of scores."""
    from logicrm.cli import main

    def score(*source: str) -> None:
        output = ["-o", str(folder / "scores.parquet"), "--rejects", str(folder / "r.jsonl")]
        code = main(["score", *source, "--as-of", AS_OF.isoformat(), "--no-progress", *output])
        assert code == 0

    return median_seconds(
        {
            "score from Parquet": lambda: score(str(parquet)),
            "score from PostgreSQL": lambda: score("--db", uri, "--table", "shipments=shipments"),
        },
        rounds=rounds,
    )


def _write_pair(uri: str, count: int, rounds: int) -> dict[str, float]:
    """``write_scores`` of ``count`` rows into a new table, against a bare ``COPY`` of the
    same rows into a new table of the same shape (primary key included)."""
    import psycopg

    import logicrm as lc
    from logicrm._readers._db_write import _score_columns
    from logicrm.io import write_scores
    from logicrm.sample import sample_dataset

    data = sample_dataset()
    activities = lc.summarize(data.shipments, as_of=data.as_of)
    template = [a.row() for a in lc.assess_all(data.customers, activities, as_of=AS_OF).values()]
    rows = [{**template[i % len(template)], "customer_id": f"C{i:08d}"} for i in range(count)]
    columns = _score_columns("postgresql")
    names = ", ".join(f'"{c}"' for c in columns)
    definition = ", ".join(f'"{c}" {t}' for c, t in columns.items())
    key = 'PRIMARY KEY ("customer_id", "as_of")'

    def fresh(connection: psycopg.Connection, table: str) -> None:
        connection.execute(f"DROP TABLE IF EXISTS {table}")

    def ours() -> None:
        with psycopg.connect(uri, autocommit=True) as connection:
            fresh(connection, "scores")
        write_scores(uri, "scores", rows, as_of=AS_OF)

    def bare() -> None:
        with psycopg.connect(uri, autocommit=True) as connection:
            fresh(connection, "bare")
            connection.execute(f"CREATE TABLE bare ({definition}, {key})")
            with connection.cursor().copy(f"COPY bare ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(
                        (row["customer_id"], AS_OF, *(row[c] for c in list(columns)[2:]))
                    )

    return median_seconds({"bare COPY": bare, "write_scores": ours}, rounds=rounds)


if __name__ == "__main__":
    main()
