"""The columnar engine: a shipments file (CSV, JSON Lines, Parquet) to activities with polars,
giving what [`logicrm.io.stream`][logicrm.io.stream] and [`summarize`][logicrm.scoring.summarize]
give: the same activities, and the same rejected rows at the same lines in the same words.

How it stays identical:
- cells are read vectorised only in their canonical forms (see ``frames._standardise``); any
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

import codecs
import contextlib
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import polars as pl

from logicrm.domain import Shipment
from logicrm.errors import ColumnWarning
from logicrm.frames import (
    _WHITESPACE,
    _aggregate,
    _currency_clash,
    _settle,
    _standardise,
    merge_tables,
    to_activities,
)
from logicrm.io import (
    _PARSE_LIMIT,
    MAX_RECORD_CHARS,
    ColumnMapping,
    RowRejection,
    _Bad,
    _csv_header,
    _csv_rows,
    _format_of,
    _jsonl_rows,
    _Lines,
    _lookup,
    _open_text,
    _parquet_batches,
    _Reader,
    _row_key,
)

BATCH_ROWS = 500_000
""" Rows read at a time from typed columns (Parquet, a database): the engine's memory for
rows, whatever the file's size."""
TEXT_BATCH_ROWS = 200_000
""" Rows read at a time from text (CSV, JSON Lines), whose cells take more room."""


@attrs.define
class _Batch:
    """Some consecutive rows of a file: their cells, each row's line, the rows as the
    object path would read them, and rows already refused before reaching cells."""

    frame: pl.DataFrame
    lines: pl.Series
    raw_rows: Callable[[list[int]], Iterable[Mapping[str, Any]]]
    bad: list[RowRejection] = attrs.field(factory=list)
    odd: pl.Series | None = None  # rows whose cells' types only the object path reads


class _NotPlain(Exception):
    """The file's CSV is not provably split alike by Arrow and the csv module."""


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
    for no shipments), for ``_assess_columns``. ``also_at`` summarises the same rows at a
    second moment in the same pass (a backtest's cut-off and horizon end): the result is
    then a pair, at ``as_of`` and at ``also_at``.

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
    currencies: pl.DataFrame | None = None
    moments = (as_of,) if also_at is None else (as_of, also_at)
    latest = max(moments)  # a currency clash up to the later moment is a clash of the pair
    tables: list[list[pl.DataFrame]] = [[] for _ in moments]
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
        currencies, clash = _currency_clash(valid, latest, currencies)
        if on_reject is not None:
            for rejection in sorted(rejections, key=lambda r: r.line):
                if key_column is not None:  # a database row: named by its key
                    rejection = attrs.evolve(rejection, key=_row_key(rejection.row, key_column))
                on_reject(rejection)
        if clash is not None:
            raise clash
        for index, moment in enumerate(moments):
            parts = tables[index]
            parts.append(_aggregate(valid, moment, day_sets=True))
            if len(parts) == 4:  # merged as they come: a few partial tables in memory at a time
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


@attrs.define
class _Seen:
    """The ids of the valid rows so far, with each one's first line: hashes for a quick
    probe, the ids themselves to settle what a hash suggests."""

    hashes: pl.Series = attrs.field(factory=lambda: pl.Series(dtype=pl.UInt64))
    parts: list[pl.DataFrame] = attrs.field(factory=list)

    def first_lines(self, hashes: pl.Series) -> pl.DataFrame:
        if not self.parts:
            return pl.DataFrame(schema={"id": pl.String, "__first": pl.Int64})
        wanted = hashes.implode()
        return pl.concat(
            [p.filter(pl.col("__hash").is_in(wanted)).drop("__hash") for p in self.parts]
        )


def _without_duplicates(valid: pl.DataFrame, seen: _Seen) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows whose id no earlier valid row has, and the others (with the first one's
    line); ``seen`` learns the new ids."""
    c = pl.col
    hashes = valid["id"].hash(seed=0)
    maybe = hashes.is_duplicated()
    if seen.hashes.len():
        maybe = maybe | hashes.is_in(seen.hashes.implode())
    valid = valid.with_columns(__hash=hashes)
    duplicates = valid.head(0).select("__row", "__line", c("__line").alias("__first"))
    if maybe.any():
        suspects = valid.filter(maybe)
        earlier = seen.first_lines(suspects["__hash"].unique())
        firsts = suspects.group_by("id").agg(c("__line").min().alias("__here"))
        firsts = firsts.join(earlier, on="id", how="left").select(
            "id", pl.coalesce("__first", "__here").alias("__first")
        )
        marked = suspects.join(firsts, on="id", how="left", maintain_order="left")
        duplicates = marked.filter(c("__first") != c("__line")).select("__row", "__line", "__first")
        if duplicates.height:
            valid = valid.filter(~c("__row").is_in(duplicates["__row"].implode()))
    # What is left is each id's first valid row: all of them new.
    part = valid.select("__hash", "id", c("__line").alias("__first"))
    if part.height:
        seen.parts.append(part)
        seen.hashes = pl.concat([seen.hashes, part["__hash"]], rechunk=False)
    return valid.drop("__hash"), duplicates


# -- where the cells come from ----------------------------------------------------------------


def _parquet(path: Path, reader: _Reader, batch_rows: int) -> Iterator[_Batch]:
    return _arrow_batches(_parquet_batches(path, reader, batch_rows))


def _arrow_batches(batches: Iterable[Any]) -> Iterator[_Batch]:
    """Batches from Arrow record batches (Parquet, ADBC): typed columns, rows numbered
    from 1, the object path reading a row as Arrow gives it to Python."""
    number = 0
    for arrow in batches:
        if not arrow.num_rows:
            continue
        frame = pl.from_arrow(_plain_arrow(arrow))
        assert isinstance(frame, pl.DataFrame)
        lines = pl.int_range(number + 1, number + 1 + frame.height, eager=True, dtype=pl.Int64)
        number += frame.height

        def raw_rows(positions: list[int], arrow: Any = arrow) -> list[dict[str, Any]]:
            return arrow.take(positions).to_pylist()  # type: ignore[no-any-return]

        yield _Batch(frame, lines, raw_rows)


def _regrouped(batches: Iterable[Any], rows: int) -> Iterator[Any]:
    """Arrow record batches of about ``rows`` rows each, from a driver's smaller ones: the
    work per batch is paid once per ``rows``, as for a Parquet row group."""
    import pyarrow as pa

    group: list[Any] = []
    count = 0
    for batch in batches:
        group.append(batch)
        count += batch.num_rows
        if count >= rows:
            yield _combined(group, pa)
            group, count = [], 0
    if group:
        yield _combined(group, pa)


def _combined(group: list[Any], pa: Any) -> Any:
    if len(group) == 1 or not sum(b.num_rows for b in group):
        return group[0]
    table = pa.Table.from_batches(group).combine_chunks()
    return pa.RecordBatch.from_arrays(
        [column.chunk(0) for column in table.columns], names=table.schema.names
    )


def _plain_arrow(batch: Any) -> Any:
    """Extension columns (PostgreSQL's numeric arrives as text in one) as their storage; a
    numeric column whose every value is plain digits with the same number of places as a
    decimal of that scale, which keeps each value and its places exactly (as Parquet's
    decimals are read)."""
    import pyarrow as pa

    columns = [
        _numeric(c.storage, pa) if isinstance(c.type, pa.BaseExtensionType) else c
        for c in batch.columns
    ]
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def _numeric(text: Any, pa: Any) -> Any:
    """``text`` (PostgreSQL numeric values as text) as ``decimal128(38, places)`` when every
    value has the same places and at most 38 digits; else the text, for the checks that
    read text."""
    import pyarrow.compute as pc

    if not pa.types.is_string(text.type) or text.null_count == len(text):
        return text
    first = text.filter(pc.is_valid(text))[0].as_py()
    places = len(first.partition(".")[2]) if "." in first else 0
    if places > 18:
        return text
    pattern = rf"^-?[0-9]{{1,{38 - places}}}" + (rf"\.[0-9]{{{places}}}$" if places else "$")
    plain = pc.match_substring_regex(text, pattern)
    if not pc.all(pc.or_kleene(plain, pc.is_null(text))).as_py():
        return text
    return pc.cast(text, pa.decimal128(38, places))


def _python_batches(
    rows: Iterator[tuple[int, Any]], reader: _Reader, batch_rows: int, *, typed: bool
) -> Iterator[_Batch]:
    """Batches from the object path's own row reader: a CSV the csv module splits (all text),
    or JSON Lines (typed values, put in the form the vectorised reading takes)."""
    plan = [(path, kind, column) for path, kind, column in reader._plan]
    mapping = reader.mapping
    done = False
    while not done:
        good: list[tuple[int, Mapping[str, Any]]] = []
        bad: list[RowRejection] = []
        for line, row in rows:
            if isinstance(row, _Bad):
                bad.append(RowRejection(line, ((row.column, row.reason),), row.row))
            else:
                good.append((line, row))
                if len(good) >= batch_rows:
                    break
        else:
            done = True
        if not good and not bad:
            return
        lines = pl.Series([line for line, _ in good], dtype=pl.Int64)
        odd = None
        if typed:
            columns, odd_rows = _typed_cells(good, plan, mapping)
            frame = pl.DataFrame(columns)
            odd = pl.Series(odd_rows, dtype=pl.Boolean)
        else:
            names = list(dict.fromkeys(k for _, row in good[:1] for k in row))
            frame = pl.DataFrame(
                {n: pl.Series([row.get(n) for _, row in good], dtype=pl.String) for n in names}
            )

        def raw_rows(positions: list[int], good: list[Any] = good) -> list[Mapping[str, Any]]:
            return [good[p][1] for p in positions]

        yield _Batch(frame, lines, raw_rows, bad, odd)


def _typed_cells(
    good: list[tuple[int, Mapping[str, Any]]],
    plan: list[tuple[str, str, str]],
    mapping: ColumnMapping,
) -> tuple[dict[str, pl.Series], list[bool]]:
    """JSON values as text (numbers by their repr) or booleans; a value of a type the
    vectorised reading does not take marks its row odd, for the object path to decide."""
    odd = [False] * len(good)
    columns: dict[str, pl.Series] = {}
    for _path, kind, column in plan:
        cells: list[Any] = []
        for index, (_, row) in enumerate(good):
            value = row[column] if column in row else _lookup(row, column)[1]
            if value is None or (type(value) is str and kind != "bool"):
                cells.append(value)
            elif kind == "bool":
                if type(value) is bool:
                    cells.append(value)
                elif type(value) is str and value.strip().lower() in mapping.true_values:
                    cells.append(True)
                elif type(value) is str and value.strip().lower() in mapping.false_values:
                    cells.append(False)
                elif type(value) is str and not value.strip():
                    cells.append(None)
                else:
                    cells.append(None)
                    odd[index] = True
            elif type(value) is int and kind in ("int", "decimal"):
                cells.append(str(value))
            elif type(value) is Decimal and kind == "decimal":
                cells.append(str(value))  # a database's numeric, as the object path reads it
            elif isinstance(value, datetime) and kind == "datetime":
                cells.append(value.isoformat())
            elif type(value) is float and kind == "decimal":
                cells.append(repr(value))
            else:
                cells.append(None)
                odd[index] = True
        dtype = pl.Boolean if kind == "bool" else pl.String
        columns[column] = pl.Series(cells, dtype=dtype)
    return columns, odd


@attrs.define
class _Counts:
    rows: int = 0
    newlines: int = 0  # inside cells
    delimiters: int = 0  # inside cells
    blank: int = 0


def _plain_csv(
    path: Path,
    reader: _Reader,
    encoding: str | None,
    delimiter: str | None,
    stack: contextlib.ExitStack,
) -> tuple[Path, list[str], str, _Counts, tuple[int, int, bool]] | None:
    """What Arrow needs to split the file as the csv module would: a UTF-8 file, the header,
    the delimiter and the file's byte counts; ``None`` when Arrow cannot be trusted with it.
    The header is read (and checked) by the object path's own code either way."""
    handle, chosen = _open_text(path, encoding)
    with handle:
        lines = _Lines(handle, _PARSE_LIMIT)
        rows, header = _csv_header(path, reader, lines, chosen, delimiter)
        header_lines = rows.line_num
        sep = rows.dialect.delimiter
    if header_lines != 1 or len(set(header)) != len(header) or len(sep.encode()) != 1:
        return None
    source = path if chosen in ("utf-8-sig", "utf-8") else _as_utf8(path, chosen, stack)
    if source is None:
        return None
    with source.open("rb") as raw:
        newlines = delimiters = 0
        last = b"\n"
        carriage = False
        while chunk := raw.read(1 << 22):
            newlines += chunk.count(b"\n")
            delimiters += chunk.count(sep.encode())
            carriage = carriage or b"\r" in chunk.replace(b"\r\n", b"")
            last = chunk[-1:]
    if carriage:
        return None
    header_delimiters = sum(name.count(sep) for name in header) + len(header) - 1
    physical = newlines + (0 if last == b"\n" else 1)
    return source, header, sep, _Counts(), (physical, delimiters - header_delimiters, True)


def _as_utf8(path: Path, encoding: str, stack: contextlib.ExitStack) -> Path | None:
    """The file re-encoded as UTF-8 in a temporary file, or ``None`` if a byte does not
    decode (the object path then reads it, rejecting just the rows with such bytes)."""
    folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="logicrm-"))
    target = Path(folder) / "utf8.csv"
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with path.open("rb") as source, target.open("w", encoding="utf-8", newline="") as out:
            while chunk := source.read(1 << 22):
                out.write(decoder.decode(chunk))
            out.write(decoder.decode(b"", final=True))
    except UnicodeDecodeError:
        return None
    return target


def _arrow_csv_batches(
    source: Path,
    header: list[str],
    sep: str,
    counts: _Counts,
    expected: tuple[int, int, bool],
    batch_rows: int,
) -> Iterator[_Batch]:
    """The rows as Arrow's streaming CSV reader splits them (block by block, so memory
    stays bounded), as text; rows of blank cells are dropped, as the csv module's reader
    drops them. A ragged row stops it (the csv module's reader then reads the file)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    physical, data_delimiters, _ = expected
    width = len(header)
    check_size = source.stat().st_size > MAX_RECORD_CHARS // 2
    names = [f"c{i}" for i in range(width)]
    try:
        reader = pacsv.open_csv(
            source,
            read_options=pacsv.ReadOptions(
                skip_rows=1, column_names=names, block_size=1 << 22, use_threads=True
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=sep,
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=True,
                ignore_empty_lines=False,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException, StopIteration):
        raise _NotPlain from None
    line = 2

    def pending_frames() -> Iterator[pl.DataFrame]:
        pending: list[Any] = []
        rows = 0
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            except (pa.ArrowInvalid, pa.ArrowException):
                raise _NotPlain from None
            pending.append(batch)
            rows += batch.num_rows
            if rows >= batch_rows:
                yield _frame(pending)
                pending, rows = [], 0
        if pending:
            yield _frame(pending)

    def _frame(batches: list[Any]) -> pl.DataFrame:
        frame = pl.from_arrow(pa.Table.from_batches(batches))
        assert isinstance(frame, pl.DataFrame)
        return frame.rename(dict(zip(names, header, strict=True)))

    for frame in pending_frames():
        cells = [pl.col(n) for n in header]
        stats = frame.select(
            blank=pl.all_horizontal([cell.str.strip_chars(_WHITESPACE) == "" for cell in cells]),
            newlines=pl.sum_horizontal(
                [cell.str.count_matches("\n", literal=True) for cell in cells]
            ),
            delimiters=pl.sum_horizontal(
                [cell.str.count_matches(sep, literal=True) for cell in cells]
            ),
            size=pl.sum_horizontal([cell.str.len_bytes() for cell in cells])
            if check_size
            else pl.lit(0),
        )
        if stats["size"].max() > MAX_RECORD_CHARS // 2:  # type: ignore[operator]
            raise _NotPlain
        newlines = stats["newlines"]
        lines = (
            line + pl.int_range(frame.height, eager=True) + newlines.cum_sum() - newlines
        ).cast(pl.Int64)
        line += frame.height + int(newlines.sum())
        counts.rows += frame.height
        counts.newlines += int(newlines.sum())
        blank = stats["blank"]
        counts.delimiters += int(stats["delimiters"].filter(~blank).sum())
        counts.blank += int(blank.sum())
        if counts.blank:  # rows of blank cells are no rows at all, as the csv module reads
            keep = ~blank
            frame, lines = frame.filter(keep), lines.filter(keep)

        def raw_rows(positions: list[int], frame: pl.DataFrame = frame) -> Iterator[dict[str, Any]]:
            return frame[positions].iter_rows(named=True)

        yield _Batch(frame, lines, raw_rows)
    if physical != 1 + counts.rows + counts.newlines:
        raise _NotPlain
    # Every row is as wide as the header (Arrow refuses a ragged one); the delimiters
    # outside the cells confirm the split (a blank line has none, a row of empty cells
    # width - 1, so they are left out of the count on both sides).
    if counts.blank == 0 and data_delimiters != counts.rows * (width - 1) + counts.delimiters:
        raise _NotPlain
