"""`logicrm score` at TMS scale: the whole command, in a process of its own, per engine.

Run: python benchmarks/bench_score.py [--rounds 3] [--python-rounds 1] [--big] [--folder DIR]

Targets (issue 13), each a ratio measured in one run on seeded synthetic files:
- 1M shipments, 20k customers, Parquet: columnar >= 10x faster than ``--engine python``;
- 5M shipments, 20k customers, CSV: columnar <= 5x a DuckDB SQL script computing the same
  per-customer aggregates, and peak RSS <= 1 GB;
- 10M shipments, 1M customers, Parquet (``--big``): completes with peak RSS <= 4 GB; the
  wall time is split by phase (from ``--progress``);
- ``activity_table`` on 1M rows in memory <= 1.5x one hand-written polars query giving the
  same figures.

Wall times are the min and median of ``--rounds`` runs of the whole process (imports,
reading, assessing, writing the output); peak RSS is the process's own (``wait4``). The two
engines' outputs are compared byte for byte before any figure is reported. DuckDB is used when
installed (``pip install duckdb``), else its row says so.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import polars as pl
from _harness import median_seconds, report
from _synthetic import AS_OF, shipments_frame, write_csv, write_parquet

AS_OF_TEXT = AS_OF.isoformat()


def run(path: Path, engine: str, output: Path, *, progress: bool = False) -> tuple[float, int, str]:
    """One ``logicrm score`` process: wall seconds, peak RSS in bytes, and its stderr."""
    command = [
        sys.executable, "-m", "logicrm", "score", str(path), "--as-of", AS_OF_TEXT,
        "--engine", engine, "-o", str(output), "--progress" if progress else "--no-progress",
    ]  # fmt: skip
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    stderr = process.stderr.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"logicrm score failed on {path.name}:\n{stderr[-2000:]}")
    return seconds, usage.ru_maxrss * 1024, stderr


def timed(path: Path, engine: str, output: Path, rounds: int) -> tuple[float, float, int]:
    """(min, median) wall seconds and the largest peak RSS over ``rounds`` runs."""
    runs = [run(path, engine, output) for _ in range(rounds)]
    times = [seconds for seconds, _, _ in runs]
    return min(times), statistics.median(times), max(rss for _, rss, _ in runs)


DUCKDB_SQL = """
SELECT customer_id,
       count(*) FILTER (WHERE counted) AS orders,
       sum(revenue) FILTER (WHERE counted) AS revenue,
       sum(cost) FILTER (WHERE counted) AS cost,
       min(ordered_at) FILTER (WHERE counted) AS first_order_at,
       max(ordered_at) FILTER (WHERE counted) AS last_order_at,
       count(DISTINCT CAST(timezone('UTC', ordered_at) AS DATE)) FILTER (WHERE counted) AS days,
       {windows},
       count(*) FILTER (WHERE delivered) AS delivered,
       count(*) FILTER (WHERE delivered AND delivered_at <= promised_at) AS on_time,
       count(*) FILTER (WHERE delivered AND units_delivered >= units_ordered) AS in_full,
       count(*) FILTER (WHERE delivered AND units_damaged > 0) AS damaged,
       sum(units_ordered) FILTER (WHERE delivered) AS units_ordered,
       sum(least(units_delivered, units_ordered)) FILTER (WHERE delivered) AS units_filled,
       sum(units_delivered) FILTER (WHERE delivered) AS units_delivered,
       sum(units_damaged) FILTER (WHERE delivered) AS units_damaged,
       count(*) FILTER (WHERE counted AND invoice_error) AS invoice_errors,
       count(*) FILTER (WHERE counted AND stockout) AS stockouts,
       count(*) FILTER (WHERE counted AND substituted) AS substitutions,
       count(*) FILTER (WHERE counted AND rerouted) AS reroutes,
       count(*) FILTER (WHERE counted AND returned) AS returns,
       sum(epoch_us(delivered_at) - epoch_us(ordered_at)) FILTER (WHERE delivered) AS cycle
FROM (
    SELECT *, ordered_at <= TIMESTAMPTZ '{as_of}' AS counted,
           ordered_at <= TIMESTAMPTZ '{as_of}' AND delivered_at IS NOT NULL AS delivered
    FROM (
        SELECT id, customer_id,
               CAST(ordered_at AS TIMESTAMPTZ) AS ordered_at,
               CAST(promised_at AS TIMESTAMPTZ) AS promised_at,
               CAST(delivered_at AS TIMESTAMPTZ) AS delivered_at,
               CAST("revenue.amount" AS DECIMAL(38, 2)) AS revenue,
               CAST("cost.amount" AS DECIMAL(38, 2)) AS cost,
               units_ordered, units_delivered, units_damaged,
               invoice_error, stockout, substituted, rerouted, returned
        FROM read_csv('{path}', all_varchar = false)
    )
)
GROUP BY customer_id
"""


def duckdb_seconds(path: Path) -> float | None:
    """The DuckDB script's wall time, in a process of its own like the command's."""
    try:
        import duckdb  # noqa: F401
    except ImportError:
        return None
    windows = ",\n       ".join(
        f"count(*) FILTER (WHERE counted AND ordered_at > TIMESTAMPTZ '{AS_OF_TEXT}' - "
        f"INTERVAL {days} DAY) AS orders_{days}d, sum(revenue) FILTER (WHERE counted AND "
        f"ordered_at > TIMESTAMPTZ '{AS_OF_TEXT}' - INTERVAL {days} DAY) AS revenue_{days}d"
        for days in (30, 90, 365, 730)
    )
    sql = DUCKDB_SQL.format(windows=windows, as_of=AS_OF_TEXT, path=path)
    script = f"import duckdb; duckdb.sql({sql!r}).fetchall()"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", script], check=True)
    return time.perf_counter() - start


def hand_written_polars(typed: pl.DataFrame) -> pl.DataFrame:
    """The figures ``activity_table`` gives, as one polars query on a typed frame."""
    c = pl.col
    as_of = pl.lit(AS_OF)
    counted = c("ordered_at") <= as_of
    delivered = counted & c("delivered_at").is_not_null()
    on_time = delivered & (c("delivered_at") <= c("promised_at"))
    in_full = delivered & (c("units_delivered") >= c("units_ordered"))
    day = c("ordered_at").dt.date()
    cycle = (c("delivered_at") - c("ordered_at")).dt.total_microseconds()
    windows = []
    for days in (30, 90, 365, 730):
        inside = counted & (c("ordered_at") > as_of - pl.duration(days=days))
        windows += [
            inside.sum().alias(f"orders_{days}d"),
            c("revenue.amount").filter(inside).sum().alias(f"revenue_{days}d"),
            c("cost.amount").filter(inside).sum().alias(f"cost_{days}d"),
        ]
    return typed.group_by("customer_id", maintain_order=True).agg(
        counted.sum().alias("orders"),
        c("revenue.amount").filter(counted).sum().alias("revenue"),
        c("cost.amount").filter(counted).sum().alias("cost"),
        c("ordered_at").filter(counted).min().alias("first_order_at"),
        c("ordered_at").filter(counted).max().alias("last_order_at"),
        day.filter(counted).n_unique().alias("distinct_order_days"),
        delivered.sum().alias("delivered"),
        on_time.sum().alias("on_time"),
        in_full.sum().alias("in_full"),
        (on_time & in_full).sum().alias("on_time_in_full"),
        (delivered & (c("units_damaged") > 0)).sum().alias("damaged"),
        c("units_ordered").filter(delivered).sum().alias("units_ordered_delivered"),
        pl.min_horizontal("units_delivered", "units_ordered")
        .filter(delivered)
        .sum()
        .alias("units_filled"),
        c("units_delivered").filter(delivered).sum(),
        c("units_damaged").filter(delivered).sum(),
        *(c(f).filter(counted).sum() for f in ("invoice_error", "stockout", "substituted")),
        *(c(f).filter(counted).sum() for f in ("rerouted", "returned")),
        cycle.filter(delivered).sum().alias("cycle_us_sum"),
        *windows,
    )


class Figures(list[tuple[str, str, str]]):
    """The report's rows, each printed as soon as it is known: a long run that fails late
    keeps what it measured."""

    def append(self, row: tuple[str, str, str]) -> None:
        print(f"  {row[0]}: {row[1]}  {row[2]}", flush=True)
        super().append(row)

    def __iadd__(self, rows: Any) -> Figures:
        for row in rows:
            self.append(row)
        return self


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--python-rounds", type=int, default=1)
    parser.add_argument("--big", action="store_true", help="also 10M shipments, 1M customers")
    parser.add_argument("--folder", type=Path, help="keep the generated files here")
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="logicrm-bench-"))
    folder.mkdir(parents=True, exist_ok=True)

    def make(rows: int, customers: int, suffix: str) -> Path:
        path = folder / f"shipments_{rows // 1_000_000}m_{customers // 1000}k{suffix}"
        if not path.exists():
            frame = shipments_frame(rows, customers)
            (write_parquet if suffix == ".parquet" else write_csv)(frame, path)
        return path

    rows = Figures()
    one_parquet, one_csv = make(1_000_000, 20_000, ".parquet"), make(1_000_000, 20_000, ".csv")
    for path in (one_parquet, one_csv):
        outputs = {e: folder / f"out_{e}_{path.stem}.csv" for e in ("columnar", "python")}
        fast = timed(path, "columnar", outputs["columnar"], args.rounds)
        slow = timed(path, "python", outputs["python"], args.python_rounds)
        if outputs["columnar"].read_bytes() != outputs["python"].read_bytes():
            raise SystemExit(f"the engines' outputs differ on {path.name}")
        kind = path.suffix[1:]
        rows += [
            (f"1M {kind}: columnar (min / median)", f"{fast[0]:.1f} / {fast[1]:.1f} s", ""),
            (f"1M {kind}: python", f"{slow[1]:.1f} s", ""),
            (
                f"1M {kind}: python / columnar",
                f"{slow[1] / fast[1]:.1f}x",
                ">= 10x" if kind == "parquet" else "",
            ),
            (
                f"1M {kind}: peak RSS columnar / python",
                f"{fast[2] / 2**20:,.0f} / {slow[2] / 2**20:,.0f} MB",
                "",
            ),
        ]
    five = make(5_000_000, 20_000, ".csv")
    fast = timed(five, "columnar", folder / "out_5m.csv", args.rounds)
    duck = duckdb_seconds(five)
    rows += [
        ("5M csv: columnar (min / median)", f"{fast[0]:.1f} / {fast[1]:.1f} s", ""),
        ("5M csv: peak RSS", f"{fast[2] / 2**20:,.0f} MB", "<= 1,024 MB"),
        (
            "5M csv: columnar / DuckDB aggregates",
            "DuckDB not installed" if duck is None else f"{fast[1] / duck:.1f}x ({duck:.1f} s)",
            "<= 5x",
        ),
    ]
    typed = pl.read_parquet(one_parquet)
    from logicrm.frames import activity_table

    medians = median_seconds(
        {
            "activity_table": lambda: activity_table(typed, as_of=AS_OF),
            "polars": lambda: hand_written_polars(typed),
        },
        rounds=5,
    )
    rows.append(
        (
            "activity_table / one polars query (1M rows)",
            f"{medians['activity_table'] / medians['polars']:.2f}x "
            f"({medians['activity_table']:.2f} / {medians['polars']:.2f} s)",
            "<= 1.5x",
        )
    )
    if args.big:
        big = make(10_000_000, 1_000_000, ".parquet")
        seconds, rss, stderr = run(big, "columnar", folder / "out_10m.csv", progress=True)
        rows += [
            ("10M parquet, 1M customers: wall", f"{seconds:.1f} s", ""),
            ("10M parquet, 1M customers: peak RSS", f"{rss / 2**20:,.0f} MB", "<= 4,096 MB"),
        ]
        phases = [line for line in stderr.splitlines() if line.endswith(" s]")]
        print("\nphases of the 10M run (elapsed since the start of the run):")
        for line in phases:
            print(f"  {line.split(chr(13))[-1]}")
    report("logicrm score at scale (issue 13)", rows)


if __name__ == "__main__":
    main()
