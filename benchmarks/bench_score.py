"""`logicrm score` at TMS scale against DuckDB computing the same figures, whole processes.

Run: python benchmarks/bench_score.py [--rounds 3] [--big [--big-rounds 1]] [--engines]
         [--folder DIR]
     python benchmarks/bench_score.py --activity-only [--rounds 7] [--baseline SRC]
         [--folder DIR]

``--activity-only`` measures only ``activity_table`` against the polars query (below), in
interleaved rounds in one process; with ``--baseline SRC`` (another checkout's ``src``) it
alternates whole processes of this checkout and of that one, each timing the pair in
interleaved rounds, and gives each side's median ratio: the polars query in the same
process is the yardstick, so a busy machine moves both sides alike.

Targets (issue 25), each paired with DuckDB in interleaved rounds of one run, on seeded
synthetic files (``_synthetic.py``):
- Parquet, 1M shipments of 20k customers, 1M of 165k, and (``--big``) 10M of about 945k:
  ``logicrm score`` <= 3x the DuckDB script (10M under 40 s), and at 10M peak RSS <= 1.5x
  DuckDB's;
- CSV, 5M shipments of 20k customers: <= 3x the DuckDB script reading the CSV;
- ``activity_table`` on 1M rows in memory <= 1.5x one hand-written polars query giving the
  same figures; it is also timed against the issue's own query, which gives fewer.
``--engines`` adds issue 13's check: the columnar engine >= 10x ``--engine python`` on 1M
shipments, with the two outputs compared byte for byte.

Wall times are medians of whole processes (imports, reading, assessing, writing the output);
peak RSS is each process's own (``wait4``). The DuckDB script computes every per-customer
figure the score reads, with exact decimal money; it neither checks rows nor writes the
43-column rows. DuckDB is used when installed (``pip install duckdb``).
"""

from __future__ import annotations

import argparse
import json
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


def run(
    path: Path, engine: str, output: Path, *, progress: bool = False, python: str = sys.executable
) -> tuple[float, int, str]:
    """One ``logicrm score`` process (of ``python``'s checkout): wall seconds, peak RSS in
    bytes, and its stderr."""
    command = [
        python, "-m", "logicrm", "score", str(path), "--as-of", AS_OF_TEXT,
        "--engine", engine, "-o", str(output), "--progress" if progress else "--no-progress",
    ]  # fmt: skip
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    stderr = process.stderr.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{python}: logicrm score failed on {path.name}:\n{stderr[-2000:]}")
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


def duckdb_run(path: Path) -> tuple[float, int] | None:
    """The DuckDB script (the same per-customer figures the score reads, exact decimal money)
    on a CSV or Parquet file, in a process of its own like the command's: wall seconds and
    peak RSS in bytes; ``None`` when DuckDB is not installed."""
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
    if path.suffix == ".parquet":
        sql = sql.replace(f"read_csv('{path}', all_varchar = false)", f"read_parquet('{path}')")
    script = (
        "import duckdb; duckdb.sql('SET enable_progress_bar = false'); "
        f"duckdb.sql({sql!r}).fetchall()"
    )
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", script])
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"the DuckDB script failed on {path.name}")
    return time.perf_counter() - start, usage.ru_maxrss * 1024


def hand_written_polars(typed: pl.DataFrame) -> pl.DataFrame:
    """The issue's yardstick: most figures ``activity_table`` gives, as one polars query on a
    typed frame (it leaves out the first day and its revenue, the cycle times' squares, the
    perfect orders, the 365-day reroutes, returns and damages, the shipments after ``as_of``,
    the currency and the rates; ``every_figure_polars`` adds them)."""
    return typed.group_by("customer_id", maintain_order=True).agg(_hand_figures())


def _conditions() -> tuple[pl.Expr, ...]:
    """Ordered by ``as_of``, delivered, on time, in full: the rows the figures count."""
    c = pl.col
    counted = c("ordered_at") <= pl.lit(AS_OF)
    delivered = counted & c("delivered_at").is_not_null()
    on_time = delivered & (c("delivered_at") <= c("promised_at"))
    return counted, delivered, on_time, delivered & (c("units_delivered") >= c("units_ordered"))


def _hand_figures() -> list[pl.Expr]:
    c = pl.col
    as_of = pl.lit(AS_OF)
    counted, delivered, on_time, in_full = _conditions()
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
    return [
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
    ]


def every_figure_polars(typed: pl.DataFrame) -> pl.DataFrame:
    """Every figure ``activity_table`` gives, as one polars query written the plain way:
    ``hand_written_polars``'s figures and those it leaves out, in one aggregation."""
    c = pl.col
    as_of = pl.lit(AS_OF)
    counted, delivered, on_time, in_full = _conditions()
    perfect = on_time & in_full & (c("units_damaged") == 0) & ~c("invoice_error")
    year = counted & (c("ordered_at") > as_of - pl.duration(days=365))
    day = c("ordered_at").dt.date()
    first_day = day.filter(counted).min()
    cycle = (c("delivered_at") - c("ordered_at")).dt.total_microseconds().cast(pl.Int128)
    table = typed.group_by("customer_id", maintain_order=True).agg(
        *_hand_figures(),
        c("revenue.currency").filter(counted).first().alias("currency"),
        perfect.sum().alias("perfect"),
        (year & c("rerouted")).sum().alias("reroutes_365"),
        (year & c("returned")).sum().alias("returns_365"),
        (year & delivered & (c("units_damaged") > 0)).sum().alias("damaged_365"),
        (~counted).sum().alias("ignored_after_as_of"),
        (cycle * cycle).filter(delivered).sum().alias("cycle_us_squares"),
        first_day.alias("first_day"),
        c("revenue.amount").filter(counted & (day == first_day)).sum().alias("first_day_revenue"),
    )

    def rate(numerator: str, denominator: str) -> pl.Expr:
        return pl.when(c(denominator) > 0).then(c(numerator) / c(denominator))

    return table.with_columns(
        fill_rate=rate("units_filled", "units_ordered_delivered"),
        damage_rate=rate("units_damaged", "units_delivered"),
        on_time_rate=rate("on_time", "delivered"),
        otif_rate=rate("on_time_in_full", "delivered"),
        perfect_order_rate=rate("perfect", "delivered"),
        invoice_error_rate=rate("invoice_error", "orders"),
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


def _against_duckdb(path: Path, label: str, rounds: int, folder: Path, target: str) -> list:
    """``logicrm score`` and the DuckDB script on one file, in interleaved rounds: the
    medians, the peak RSS of each, and their ratios."""
    ours, duck = [], []
    output = folder / f"out_columnar_{path.stem}.csv"
    for _ in range(rounds):
        ours.append(run(path, "columnar", output))
        found = duckdb_run(path)
        if found is not None:
            duck.append(found)
    seconds = statistics.median(s for s, _, _ in ours)
    rss = max(r for _, r, _ in ours)
    if not duck:
        return [(f"{label}: logicrm score", f"{seconds:.1f} s, {rss / 2**20:,.0f} MB", "")]
    duck_seconds = statistics.median(s for s, _ in duck)
    duck_rss = max(r for _, r in duck)
    return [
        (
            f"{label}: logicrm / DuckDB",
            f"{seconds:.2f} s / {duck_seconds:.2f} s = {seconds / duck_seconds:.2f}x",
            target,
        ),
        (
            f"{label}: peak RSS logicrm / DuckDB",
            f"{rss / 2**20:,.0f} / {duck_rss / 2**20:,.0f} MB = {rss / duck_rss:.2f}x",
            "<= 1.5x" if "10M" in label else "",
        ),
    ]


_SAME_FIGURES = "the same-figure polars query"
_ISSUES_QUERY = "the issue's polars query (9 figures and the rates fewer)"


def activity_pair(path: Path, rounds: int) -> dict[str, float]:
    """Median seconds of ``activity_table`` and of the polars query on the same in-memory
    frame (1M rows), in interleaved rounds after a warm-up call of each."""
    from logicrm.frames import activity_table

    typed = pl.read_parquet(path)
    candidates = {
        "activity_table": lambda: activity_table(typed, as_of=AS_OF),
        _ISSUES_QUERY: lambda: hand_written_polars(typed),
        _SAME_FIGURES: lambda: every_figure_polars(typed),
    }
    for call in candidates.values():
        call()
    return median_seconds(candidates, rounds=rounds)


def _ratio_rows(label: str, medians: dict[str, float]) -> list[tuple[str, str, str]]:
    at = medians["activity_table"]
    return [
        (f"{label} {query}", f"{at / medians[query]:.2f}x ({at:.3f} / {medians[query]:.3f} s)",
         "<= 1.5x")
        for query in (_SAME_FIGURES, _ISSUES_QUERY)
    ]  # fmt: skip


def _activity_rows(path: Path, rounds: int, baseline: Path | None) -> list:
    """The activity_table row; with ``baseline``, one row per checkout from alternating
    processes (each process times the pair in three interleaved rounds)."""
    if baseline is None:
        return _ratio_rows("activity_table (1M rows) /", activity_pair(path, 7))
    here = Path(__file__).resolve().parent.parent / "src"
    sides: dict[str, list[dict[str, float]]] = {"this checkout": [], "baseline": []}
    for _ in range(rounds):
        for side, src in (("this checkout", here), ("baseline", baseline)):
            env = {**os.environ, "PYTHONPATH": str(src)}
            command = [sys.executable, __file__, "--activity-child", str(path)]
            output = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
            sides[side].append(json.loads(output.stdout))
    rows = []
    for side, runs in sides.items():
        medians = {k: statistics.median(run[k] for run in runs) for k in runs[0]}
        for query in (_SAME_FIGURES, _ISSUES_QUERY):
            ratio = statistics.median(run["activity_table"] / run[query] for run in runs)
            rows.append(
                (
                    f"activity_table / {query}, {side} ({rounds} processes)",
                    f"{ratio:.2f}x ({medians['activity_table']:.3f} / {medians[query]:.3f} s)",
                    "<= 1.5x",
                )
            )
    return rows


def main() -> None:
    if sys.argv[1:2] == ["--activity-child"]:  # one process of --baseline's alternation
        print(json.dumps(activity_pair(Path(sys.argv[2]), 3)))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--big-rounds", type=int, default=1)
    parser.add_argument("--big", action="store_true", help="also 10M shipments, 1M customers")
    parser.add_argument(
        "--engines", action="store_true", help="also columnar against --engine python (1M)"
    )
    parser.add_argument("--python-rounds", type=int, default=1)
    parser.add_argument("--folder", type=Path, help="keep the generated files here")
    parser.add_argument(
        "--activity-only", action="store_true", help="only activity_table against polars"
    )
    parser.add_argument(
        "--baseline", type=Path, help="with --activity-only: another checkout's src, paired"
    )
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
    one_parquet = make(1_000_000, 20_000, ".parquet")
    if args.activity_only:
        rows += _activity_rows(one_parquet, args.rounds, args.baseline)
        report("activity_table against one polars query (issue 25)", rows)
        return
    workloads = [
        ("1M / 20k parquet", one_parquet, args.rounds, "<= 3x"),
        ("1M / 165k parquet", make(1_000_000, 165_000, ".parquet"), args.rounds, "<= 3x"),
        ("5M / 20k csv", make(5_000_000, 20_000, ".csv"), max(1, args.rounds - 1), "<= 3x"),
    ]
    if args.big:
        big = make(10_000_000, 1_000_000, ".parquet")
        workloads.append(("10M / 945k parquet", big, args.big_rounds, "<= 3x, < 40 s"))
    for label, path, rounds, target in workloads:
        rows += _against_duckdb(path, label, rounds, folder, target)

    rows += _activity_rows(one_parquet, args.rounds, None)
    if args.engines:
        for path in (one_parquet, make(1_000_000, 20_000, ".csv")):
            outputs = {e: folder / f"out_{e}_{path.stem}.csv" for e in ("columnar", "python")}
            fast = timed(path, "columnar", outputs["columnar"], args.rounds)
            slow = timed(path, "python", outputs["python"], args.python_rounds)
            if outputs["columnar"].read_bytes() != outputs["python"].read_bytes():
                raise SystemExit(f"the engines' outputs differ on {path.name}")
            kind = path.suffix[1:]
            rows.append((f"1M {kind}: python / columnar", f"{slow[1] / fast[1]:.1f}x", ">= 10x"))
    report("logicrm score against DuckDB computing the same figures (issue 25)", rows)


if __name__ == "__main__":
    main()
