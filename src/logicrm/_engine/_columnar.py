"""The columnar engine: a shipments file (CSV, JSON Lines, Parquet) to activities with polars,
giving what [`logicrm.io.stream`][logicrm.io.stream] and [`summarize`][logicrm.scoring.summarize]
give: the same activities, and the same rejected rows at the same lines in the same words.

How it stays identical:
- cells are read vectorised only in their canonical forms (see ``_engine._cells._standardise``); any
  other row is read by the object path, which accepts it or words its rejection;
- a CSV file is split into cells by Arrow's streaming reader only when the split is
  provably the csv module's (UTF-8, one header line, no repeated header names, no lone
  carriage return, every row as wide as the header, the lines and delimiters counted in the
  file's bytes); otherwise the csv module splits it and the cells are read vectorised all
  the same;
- duplicates, currency clashes and the order of customers follow the reader's and
  ``summarize``'s rules, across batches.

Memory grows with the customers and the ids seen (for duplicates; none are kept for a Parquet
file whose ids all differ), not with the rows: the file is read in batches, and the valid rows,
as many as twice the customers at a time, are aggregated together into a per-customer table
merged with the one so far (``frames.merge_tables``).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import polars as pl

from logicrm._engine._batches import (
    _arrow_batches,
    _arrow_csv_batches,
    _Batch,
    _NotPlain,
    _parquet,
    _plain_csv,
    _python_batches,
    _regrouped,
)
from logicrm._engine._cells import _FLAGS, _WHITESPACE, _currency_clash, _settle, _standardise
from logicrm._engine._tables import _aggregate, merge_tables, to_activities
from logicrm._readers._plan import ColumnMapping, _Reader
from logicrm._readers._text import (
    _csv_rows,
    _format_of,
    _jsonl_rows,
)
from logicrm.domain import Shipment
from logicrm.errors import ColumnWarning, CurrencyMismatchError
from logicrm.io import RowRejection, _row_key

BATCH_ROWS = 500_000
""" Rows read at a time from typed columns (Parquet, a database): the engine's memory for
rows, whatever the file's size."""
TEXT_BATCH_ROWS = 200_000
""" Rows read at a time from text (CSV, JSON Lines), whose cells take more room."""


def summarize_file(
    path: Path,
    *,
    as_of: datetime,
    mapping: ColumnMapping | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    on_reject: Callable[[RowRejection], None] | None = None,
    on_rows: Callable[[int], None] | None = None,
    batch_rows: int | None = None,
    as_table: bool = False,
    also_at: datetime | None = None,
) -> Any:
    """``summarize(io.stream(path, Shipment, ...), as_of=as_of)``, columnar.

    ``on_reject`` gets each rejected row in file order; ``on_rows`` the number of rows read
    after each batch. ``as_table`` gives the merged per-customer table instead (``None``
    for no shipments), for ``_assess_columns``: without what the assessment does not read
    (the order days, the first day's revenue, the cycle times, the shipments after
    ``as_of``, the costs of windows other than the last 365 days). ``also_at``
    summarises the same rows at a second moment in the same pass (a backtest's cut-off and
    horizon end): the result is then a pair, at ``as_of`` and at ``also_at``.

    Raises what the object path raises: ``ReadError`` for an unreadable file,
    ``CurrencyMismatchError`` for a customer in two currencies; and ``frames.EngineLimit``
    for a valid value the columnar path cannot carry exactly.
    """
    reader = _Reader(Shipment, mapping or ColumnMapping())
    kind = _format_of(path, None)
    batch_rows = batch_rows or (BATCH_ROWS if kind == "parquet" else TEXT_BATCH_ROWS)
    unit = "row" if kind == "parquet" else "line"

    def run(batches: Iterator[_Batch], rejected: Any = on_reject, rows: Any = on_rows) -> Any:
        return _summarize(
            batches,
            reader,
            as_of,
            unit,
            rejected,
            rows,
            as_table=as_table,
            also_at=also_at,
            batch_rows=batch_rows,
        )

    if kind == "parquet":
        unique = _unique_ids(path, reader.mapping.column("id"))
        return _summarize(
            _parquet(path, reader, batch_rows), reader, as_of, unit, on_reject, on_rows,
            as_table=as_table, also_at=also_at, batch_rows=batch_rows, unique_ids=unique,
        )  # fmt: skip
    if kind == "jsonl":
        return run(
            _python_batches(_jsonl_rows(path, reader, encoding), reader, batch_rows, typed=True)
        )
    with contextlib.ExitStack() as stack:
        plain = _plain_csv(path, reader, encoding, delimiter, stack)
        if plain is not None:
            held: list[RowRejection] = []
            try:  # rejections wait until the whole file is known to be split right
                result = run(_arrow_csv_batches(*plain, batch_rows), held.append, None)
            except _NotPlain:
                pass
            else:
                for rejection in held:
                    if on_reject is not None:
                        on_reject(rejection)
                if on_rows is not None:
                    on_rows(plain[3].rows)
                return result
    rows = _quietly_started(_csv_rows(path, reader, encoding, delimiter))
    return run(_python_batches(rows, reader, batch_rows, typed=False))


def summarize_db(
    database: Any,
    source: Any,
    *,
    as_of: datetime,
    mapping: ColumnMapping | None = None,
    on_reject: Callable[[RowRejection], None] | None = None,
    on_rows: Callable[[int], None] | None = None,
    batch_rows: int | None = None,
    as_table: bool = False,
    also_at: datetime | None = None,
) -> Any:
    """``summarize(io.stream_db(database, Shipment, ...), as_of=as_of)``, columnar: Arrow
    record batches through ADBC for a URI when the drivers are installed, else the DB-API
    rows; rejections carry the row's key, as the object path's do. ``also_at`` as for
    ``summarize_file``."""
    from logicrm._readers._db import reading
    from logicrm._readers._db_arrow import adbc_batches, python_rows
    from logicrm._readers._rows import _database_rows

    batch_rows = batch_rows or BATCH_ROWS
    reader = _Reader(Shipment, mapping or ColumnMapping())
    key = reader.mapping.column("id")

    def summary(batches: Iterator[Any]) -> Any:
        return _summarize(batches, reader, as_of, "row", on_reject, on_rows, key,
                          as_table=as_table, also_at=also_at, batch_rows=batch_rows)  # fmt: skip

    arrow = adbc_batches(database, source)
    if arrow is not None:
        with arrow as found:
            if found is not None:  # else a column Arrow reads otherwise: the DB-API rows
                names, batches = found
                reader.check_header(source.name, names)
                return summary(_arrow_batches(_regrouped(batches, batch_rows), python_rows))
    with reading(database, source) as (names, values):
        reader.check_header(source.name, names)
        rows = _database_rows(names, values, reader)
        return summary(_python_batches(rows, reader, batch_rows, typed=True))


def _quietly_started(rows: Iterator[Any]) -> Iterator[Any]:
    """``rows``, the header's warnings held back: reading the header once more must not
    warn twice."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ColumnWarning)
        first = next(rows, None)
    if first is not None:
        yield first
    yield from rows


def _summarize(
    batches: Iterator[_Batch],
    reader: _Reader,
    as_of: datetime,
    unit: str,
    on_reject: Callable[[RowRejection], None] | None,
    on_rows: Callable[[int], None] | None,
    key_column: str | None = None,
    as_table: bool = False,
    also_at: datetime | None = None,
    batch_rows: int = BATCH_ROWS,
    unique_ids: bool = False,
) -> Any:
    """``unique_ids``: no two rows of the source have the same id (``_unique_ids``), so no
    row can be a duplicate and no id is kept."""
    id_column = reader.mapping.column("id")
    seen = _Seen()
    currencies: set[str] = set()  # of the rows counted so far
    moments = (as_of,) if also_at is None else (as_of, also_at)
    latest = max(moments)  # a currency clash up to the later moment is a clash of the pair
    tables = _Tables(moments, "none" if as_table else "sets", batch_rows)  # no days to assess
    for batch in batches:
        frame = _standardise(batch.frame, reader.mapping)
        if batch.odd is not None:
            frame = frame.with_columns(pl.col("__ok") & ~batch.odd)
        valid, refused = _settle(frame, batch.raw_rows, reader)
        lines = batch.lines
        rejections = list(batch.bad)
        rejections += [
            RowRejection(lines[position], problems, raw) for position, problems, raw in refused
        ]
        valid = valid.with_columns(__line=lines.gather(valid["__row"]))
        if not unique_ids:
            valid, duplicates = _without_duplicates(valid, seen)
            positions = duplicates["__row"].to_list()
            for (line, first), raw in zip(
                duplicates.select("__line", "__first").iter_rows(),
                batch.raw_rows(positions) if positions else (),
                strict=True,
            ):
                reason = f"duplicate of {unit} {first}"
                rejections.append(RowRejection(line, ((id_column, reason),), raw))
        clash, currencies = _clash(valid, latest, currencies, tables)
        if on_reject is not None:
            for rejection in sorted(rejections, key=lambda r: r.line):
                if key_column is not None:  # a database row: named by its key
                    rejection = attrs.evolve(rejection, key=_row_key(rejection.row, key_column))
                on_reject(rejection)
        if clash is not None:
            raise clash
        tables.add(valid)
        if on_rows is not None:
            on_rows(batch.frame.height + len(batch.bad))
        del batch, frame, valid  # not held while the next is read, nor in the last merge
    seen.runs.clear()  # the ids' room goes to the last, largest merge
    tables.flush()
    results: list[Any] = []
    for table, moment in zip(tables.merged, moments, strict=True):
        if table is None:
            results.append(None if as_table else {})
        else:
            results.append(table if as_table else to_activities(table, moment))
    return results[0] if also_at is None else tuple(results)


# What the per-customer tables are made of: a valid row's other columns are dropped at once.
_AGGREGATED = (
    "customer_id",
    "ordered_at",
    "promised_at",
    "delivered_at",
    "revenue.amount",
    "revenue.currency",
    "cost.amount",
    "units_ordered",
    "units_delivered",
    "units_damaged",
    *_FLAGS,
    "__revenue_places",
    "__cost_places",
    "__revenue_negative_zero",
)


@attrs.define
class _Tables:
    """The per-customer tables at each moment, merged so far, and the valid rows waiting to
    be added to them. The rows wait until they are twice as many as the customers (or a
    batch): aggregating a batch of a million customers' rows gives nearly a row per
    shipment, each wider than the shipment, so aggregating more rows at once shrinks the
    partial tables and the merges, while the rows waiting stay in proportion to the
    customers."""

    moments: tuple[datetime, ...]
    days: str
    batch_rows: int
    merged: list[pl.DataFrame | None] = attrs.field(init=False)
    waiting: list[pl.DataFrame] = attrs.field(factory=list)

    def __attrs_post_init__(self) -> None:
        self.merged = [None for _ in self.moments]

    def add(self, valid: pl.DataFrame) -> None:
        self.waiting.append(valid.select(_AGGREGATED))
        customers = self.merged[0].height if self.merged[0] is not None else 0
        if sum(w.height for w in self.waiting) >= max(self.batch_rows, 2 * customers):
            self.flush()

    def flush(self) -> None:
        if not self.waiting:
            return
        rows = pl.concat(self.waiting, rechunk=False)
        self.waiting = []
        parts = [_aggregate(rows, moment, days=self.days) for moment in self.moments]
        del rows  # before the merges, which need the room
        for index, part in enumerate(parts):
            table = self.merged[index]
            self.merged[index] = part if table is None else merge_tables([table, part])

    def currencies(self, latest: datetime) -> pl.DataFrame:
        """Each customer's currency so far (``customer_id``, ``currency``): of the rows
        counted at ``latest``, one of the moments."""
        at = self.moments.index(latest)
        counted = pl.col("ordered_at") <= pl.lit(latest.astimezone(UTC))
        known = [
            w.filter(counted).select("customer_id", pl.col("revenue.currency").alias("currency"))
            for w in self.waiting
        ]
        table = self.merged[at]
        if table is not None:
            known.insert(0, table.select("customer_id", "currency"))
        schema = {"customer_id": pl.String, "currency": pl.String}
        return (
            pl.concat([pl.DataFrame(schema=schema), *known])
            .drop_nulls("currency")
            .unique("customer_id", keep="first", maintain_order=True)
        )


def _clash(
    valid: pl.DataFrame, latest: datetime, currencies: set[str], tables: _Tables
) -> tuple[CurrencyMismatchError | None, set[str]]:
    """The currency clash of the batch's counted rows, if any, and the currencies seen with
    them. While the rows so far have one currency there is nothing to check; otherwise each
    earlier customer's currency comes from the tables so far."""
    counted = pl.col("ordered_at") <= pl.lit(latest.astimezone(UTC))
    found = valid.select(pl.col("revenue.currency").filter(counted).unique()).to_series()
    seen = currencies | set(found.to_list())
    if len(seen) < 2:
        return None, seen
    return _currency_clash(valid, latest, tables.currencies(latest)), seen


@attrs.define
class _Seen:
    """The ids of the valid rows so far, with each one's first line, in runs sorted by the
    id's hash. A batch is probed by binary search in each run, and a run is merged with the
    one before it while that one is no bigger (as a binary counter carries): each id is
    sorted into a bigger run a logarithmic number of times, where a hash set of every id
    seen, rebuilt once per batch, made the work grow with the square of the rows."""

    runs: list[pl.DataFrame] = attrs.field(factory=list)

    def add(self, part: pl.DataFrame) -> None:
        """Learn ``part``'s ids (``__hash``, ``id``, ``__first``), all new."""
        run = part.sort("__hash")
        while self.runs and self.runs[-1].height <= run.height:
            run = self.runs.pop().merge_sorted(run, "__hash")
        self.runs.append(run)

    def earlier(self, hashes: pl.Series) -> pl.DataFrame:
        """The ids seen whose hash is one of ``hashes`` (with their first lines)."""
        found = [pl.DataFrame(schema={"__hash": pl.UInt64, "id": pl.String, "__first": pl.Int64})]
        hashes = hashes.sort()  # sorted needles: the searches walk each run in order
        for run in self.runs:
            keys = run["__hash"]
            bounds = pl.DataFrame(
                {
                    "left": keys.search_sorted(hashes, side="left"),
                    "right": keys.search_sorted(hashes, side="right"),
                }
            ).filter(pl.col("right") > pl.col("left"))
            if bounds.height:
                rows = bounds.select(pl.int_ranges("left", "right").explode().unique())
                found.append(run[rows.to_series()])
        return pl.concat(found)


def _unique_ids(path: Path, column: str) -> bool:
    """Whether the present ids of a Parquet file, stripped as the reader strips them, all
    differ: then no row can be a duplicate of another, whichever rows are valid, and the
    run keeps no ids (a tenth of the time and a fifth of the memory at 10M rows). Reads
    the one column; ``False`` where it cannot tell so cheaply (the column is not text, the
    file cannot be read), and the run looks for duplicates as it goes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        ids = pq.read_table(path, columns=[column]).column(0)
    except Exception:  # the batches' reader says what is wrong with the file
        return False
    if not (pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type)):
        return False
    stripped = pl.Series(ids).str.strip_chars(_WHITESPACE)
    return not stripped.filter(stripped != "").is_duplicated().any()


def _hashes(ids: pl.Series) -> pl.Series:
    return ids.hash(seed=0)


def _without_duplicates(valid: pl.DataFrame, seen: _Seen) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows whose id no earlier valid row has, and the others (with the first one's
    line); ``seen`` learns the new ids."""
    c = pl.col
    hashes = _hashes(valid["id"])
    earlier = seen.earlier(hashes)
    maybe = hashes.is_duplicated()
    if earlier.height:
        maybe = maybe | hashes.is_in(earlier["__hash"].implode())
    valid = valid.with_columns(__hash=hashes)
    duplicates = valid.head(0).select("__row", "__line", c("__line").alias("__first"))
    if maybe.any():
        suspects = valid.filter(maybe)
        firsts = suspects.group_by("id").agg(c("__line").min().alias("__here"))
        firsts = firsts.join(earlier.drop("__hash"), on="id", how="left").select(
            "id", pl.coalesce("__first", "__here").alias("__first")
        )
        marked = suspects.join(firsts, on="id", how="left", maintain_order="left")
        duplicates = marked.filter(c("__first") != c("__line")).select("__row", "__line", "__first")
        if duplicates.height:
            valid = valid.filter(~c("__row").is_in(duplicates["__row"].implode()))
    # What is left is each id's first valid row: all of them new.
    part = valid.select("__hash", "id", c("__line").alias("__first"))
    if part.height:
        seen.add(part)
    return valid.drop("__hash"), duplicates


# -- where the cells come from ----------------------------------------------------------------
