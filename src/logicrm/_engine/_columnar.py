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

Memory grows with the customers and the ids seen (for duplicates), not with the rows: the file
is read in batches whose per-customer tables are merged with ``frames.merge_tables``.
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
from logicrm._engine._cells import _currency_clash, _settle, _standardise
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
    for no shipments), for ``_assess_columns``: without the order days, the first day's
    revenue and the cycle times, which the assessment does not read. ``also_at``
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
            batches, reader, as_of, unit, rejected, rows, as_table=as_table, also_at=also_at
        )

    if kind == "parquet":
        return run(_parquet(path, reader, batch_rows))
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
    from logicrm._readers._db import adbc_batches, reading
    from logicrm.io import _database_rows

    batch_rows = batch_rows or BATCH_ROWS
    reader = _Reader(Shipment, mapping or ColumnMapping())
    key = reader.mapping.column("id")
    arrow = adbc_batches(database, source) if isinstance(database, str) else None
    if arrow is not None:
        with arrow as (names, batches):
            reader.check_header(source.name, names)
            return _summarize(
                _arrow_batches(_regrouped(batches, batch_rows)),
                reader,
                as_of,
                "row",
                on_reject,
                on_rows,
                key,
                as_table=as_table,
                also_at=also_at,
            )
    with reading(database, source) as (names, values):
        reader.check_header(source.name, names)
        rows = _database_rows(names, values, reader)
        batches = _python_batches(rows, reader, batch_rows, typed=True)
        return _summarize(
            batches,
            reader,
            as_of,
            "row",
            on_reject,
            on_rows,
            key,
            as_table=as_table,
            also_at=also_at,
        )


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
) -> Any:
    id_column = reader.mapping.column("id")
    seen = _Seen()
    currencies: set[str] = set()  # of the rows counted so far
    moments = (as_of,) if also_at is None else (as_of, also_at)
    latest = max(moments)  # a currency clash up to the later moment is a clash of the pair
    at_latest = moments.index(latest)
    tables: list[list[pl.DataFrame]] = [[] for _ in moments]
    days = "none" if as_table else "sets"  # the assessment reads no order days
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
        valid, duplicates = _without_duplicates(valid, seen)
        if duplicates.height:
            positions = duplicates["__row"].to_list()
            for (line, first), raw in zip(
                duplicates.select("__line", "__first").iter_rows(),
                batch.raw_rows(positions),
                strict=True,
            ):
                reason = f"duplicate of {unit} {first}"
                rejections.append(RowRejection(line, ((id_column, reason),), raw))
        clash, currencies = _clash(valid, latest, currencies, tables[at_latest])
        if on_reject is not None:
            for rejection in sorted(rejections, key=lambda r: r.line):
                if key_column is not None:  # a database row: named by its key
                    rejection = attrs.evolve(rejection, key=_row_key(rejection.row, key_column))
                on_reject(rejection)
        if clash is not None:
            raise clash
        for index, moment in enumerate(moments):
            parts = tables[index]
            parts.append(_aggregate(valid, moment, days=days))
            # The parts after the first (the merged table so far) wait until they hold as many
            # rows as it: a merge's work is at most twice the rows that waited for it, and
            # the waiting parts never outgrow the table of all the customers.
            if len(parts) > 1 and sum(p.height for p in parts[1:]) >= parts[0].height:
                tables[index] = [merge_tables(parts)]
        if on_rows is not None:
            on_rows(batch.frame.height + len(batch.bad))
    results: list[Any] = []
    for parts, moment in zip(tables, moments, strict=True):
        if not parts:
            results.append(None if as_table else {})
            continue
        merged = parts[0] if len(parts) == 1 else merge_tables(parts)
        results.append(merged if as_table else to_activities(merged, moment))
    return results[0] if also_at is None else tuple(results)


def _clash(
    valid: pl.DataFrame, latest: datetime, currencies: set[str], parts: list[pl.DataFrame]
) -> tuple[CurrencyMismatchError | None, set[str]]:
    """The currency clash of the batch's counted rows, if any, and the currencies seen with
    them. While the rows so far have one currency there is nothing to check; otherwise each
    earlier customer's currency comes from the per-customer tables at ``latest`` so far."""
    counted = valid.filter(pl.col("ordered_at") <= pl.lit(latest.astimezone(UTC)))
    seen = currencies | set(counted["revenue.currency"].unique().to_list())
    if len(seen) < 2:
        return None, seen
    known = None
    if parts:
        known = (
            pl.concat([p.select("customer_id", "currency") for p in parts])
            .drop_nulls("currency")
            .unique("customer_id", keep="first", maintain_order=True)
        )
    return _currency_clash(counted, latest, known)[1], seen


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


def _without_duplicates(valid: pl.DataFrame, seen: _Seen) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows whose id no earlier valid row has, and the others (with the first one's
    line); ``seen`` learns the new ids."""
    c = pl.col
    hashes = valid["id"].hash(seed=0)
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
