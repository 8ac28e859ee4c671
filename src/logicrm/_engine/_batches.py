"""The columnar engine's batches: a file's or a database's rows cut into batches of cells,
split by Arrow where the split is provably the csv module's and by the csv module otherwise."""

from __future__ import annotations

import codecs
import contextlib
import queue
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import attrs
import polars as pl

from logicrm._engine._cells import _WHITESPACE
from logicrm._readers._plan import ColumnMapping, _lookup, _Reader
from logicrm._readers._text import (
    _PARSE_LIMIT,
    MAX_RECORD_CHARS,
    _Bad,
    _csv_header,
    _Lines,
    _open_text,
    _parquet_batches,
)
from logicrm.io import RowRejection


@attrs.define
class _Batch:
    """Some consecutive rows of a file: their cells, each row's line, the rows as the
    object path would read them, and rows already refused before reaching cells."""

    frame: pl.DataFrame
    lines: pl.Series
    raw_rows: Callable[[list[int]], Iterable[Mapping[str, Any]]]
    bad: list[RowRejection] = attrs.field(factory=list)
    odd: pl.Series | None = None  # rows whose cells' types only the object path reads


_T = TypeVar("_T")


def _ahead(items: Iterator[_T]) -> Iterator[_T]:
    """``items`` in order, the next one made in a thread while this one is used: Arrow's
    reader and polars let go of the GIL, so the file's next block is read on the other core.
    The next is begun only once this one is taken (two in memory at most); an error in the
    thread is raised here, in its place in the sequence."""
    ready: queue.SimpleQueue[tuple[bool, Any]] = queue.SimpleQueue()
    taken = threading.Semaphore(1)  # the thread's leave to make the next item
    stop = threading.Event()

    def make() -> None:
        try:
            while True:
                while not taken.acquire(timeout=0.05):
                    if stop.is_set():
                        return
                if stop.is_set():
                    return
                item = next(items, _END)
                if item is _END:
                    break
                ready.put((True, item))
        except BaseException as error:  # handed over, raised by the reader
            ready.put((False, error))
        else:
            ready.put((False, None))

    thread = threading.Thread(target=make, name="logicrm-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            more, item = ready.get()
            if not more:
                if item is not None:
                    raise item
                return
            taken.release()
            yield item
    finally:
        stop.set()
        thread.join()


_END = object()


class _NotPlain(Exception):
    """The file's CSV is not provably split alike by Arrow and the csv module."""


def _parquet(path: Path, reader: _Reader, batch_rows: int) -> Iterator[_Batch]:
    return _arrow_batches(_parquet_batches(path, reader, batch_rows))


def _arrow_batches(
    batches: Iterable[Any], python: Callable[[Any], list[dict[str, Any]]] | None = None
) -> Iterator[_Batch]:
    """Batches from Arrow record batches (Parquet, ADBC): typed columns, rows numbered
    from 1, the object path reading a row as Arrow gives it to Python, or as ``python``
    gives it (a database's, as its DB-API driver would)."""
    number = 0
    for arrow in batches:
        if not arrow.num_rows:
            continue
        frame = pl.from_arrow(_plain_arrow(arrow))
        assert isinstance(frame, pl.DataFrame)
        lines = pl.int_range(number + 1, number + 1 + frame.height, eager=True, dtype=pl.Int64)
        number += frame.height

        def raw_rows(positions: list[int], arrow: Any = arrow) -> list[dict[str, Any]]:
            rows = arrow.take(positions)
            return rows.to_pylist() if python is None else python(rows)

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


_Totals = tuple[int, int, bool] | None


def _plain_csv(
    path: Path,
    reader: _Reader,
    encoding: str | None,
    delimiter: str | None,
    stack: contextlib.ExitStack,
) -> tuple[Path, list[str], str, _Counts, tuple[bool, Future[_Totals]]] | None:
    """What Arrow needs to split the file as the csv module would: a UTF-8 file, the header,
    the delimiter, whether it has a quote and the file's byte counts (to come); ``None`` when
    Arrow cannot be trusted with it.
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
    quoted = carriage = False
    with source.open("rb") as raw:  # a quick look: found with memchr, not counted
        while chunk := raw.read(1 << 22):
            quoted = quoted or b'"' in chunk
            if b"\r" in chunk:
                carriage = True
                break
    counted: Future[_Totals]
    if carriage:  # counted first: a lone \r (not before a \n) the csv module splits otherwise
        totals = _byte_counts(source, sep, header)
        if totals is None:
            return None
        quoted, counted = totals[2], Future()
        counted.set_result(totals)
    else:  # counted in a thread while Arrow reads the file, looked at once it has
        counting = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="logicrm-count"))
        counted = counting.submit(_byte_counts, source, sep, header)
    return source, header, sep, _Counts(), (quoted, counted)


def _byte_counts(source: Path, sep: str, header: list[str]) -> _Totals:
    """The file's physical lines, its delimiters after the header's and whether it has a
    quote; ``None`` when some \r is not before a \n."""
    with source.open("rb") as raw:
        newlines = delimiters = quotes = 0
        last = b"\n"
        carriage = False
        while chunk := raw.read(1 << 22):
            newlines += chunk.count(b"\n")
            delimiters += chunk.count(sep.encode())
            quotes += chunk.count(b'"')
            if not carriage and b"\r" in chunk:  # a lone one: some \r not before a \n
                carriage = chunk.count(b"\r") != chunk.count(b"\r\n")
            last = chunk[-1:]
    if carriage:
        return None
    header_delimiters = sum(name.count(sep) for name in header) + len(header) - 1
    physical = newlines + (0 if last == b"\n" else 1)
    return physical, delimiters - header_delimiters, quotes > 0


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
    expected: tuple[bool, Future[_Totals]],
    batch_rows: int,
) -> Iterator[_Batch]:
    """The rows as Arrow's streaming CSV reader splits them (block by block, so memory
    stays bounded), as text; rows of blank cells are dropped, as the csv module's reader
    drops them. A ragged row stops it (the csv module's reader then reads the file)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    # Without a quote in the file no cell holds a newline or a delimiter: not counted then.
    quoted, counted = expected
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

    def pending_frames() -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
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

    def _frame(batches: list[Any]) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The rows and, row by row, whether all cells are blank, the newlines and delimiters
        inside cells and the bytes."""
        frame = pl.from_arrow(pa.Table.from_batches(batches))
        assert isinstance(frame, pl.DataFrame)
        frame = frame.rename(dict(zip(names, header, strict=True)))
        cells = [pl.col(n) for n in header]
        # A row of blank cells starts with a blank one: the others are looked at only then.
        maybe_blank = (frame[header[0]].str.strip_chars(_WHITESPACE) == "").any()
        stats = frame.select(
            blank=pl.all_horizontal([cell.str.strip_chars(_WHITESPACE) == "" for cell in cells])
            if maybe_blank
            else pl.repeat(False, pl.len()),
            newlines=pl.sum_horizontal(
                [cell.str.count_matches("\n", literal=True) for cell in cells]
            )
            if quoted
            else pl.repeat(0, pl.len(), dtype=pl.UInt32),
            delimiters=pl.sum_horizontal(
                [cell.str.count_matches(sep, literal=True) for cell in cells]
            )
            if quoted
            else pl.repeat(0, pl.len(), dtype=pl.UInt32),
            size=pl.sum_horizontal([cell.str.len_bytes() for cell in cells])
            if check_size
            else pl.lit(0),
        )
        return frame, stats

    # Read, and counted, in a thread while the previous rows are checked and aggregated.
    for frame, stats in _ahead(pending_frames()):
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
    totals = counted.result()
    assert totals is not None  # a file with a lone \r is not read here (see _plain_csv)
    physical, data_delimiters, _ = totals
    if physical != 1 + counts.rows + counts.newlines:
        raise _NotPlain
    # Every row is as wide as the header (Arrow refuses a ragged one); the delimiters
    # outside the cells confirm the split (a blank line has none, a row of empty cells
    # width - 1, so they are left out of the count on both sides).
    if counts.blank == 0 and data_delimiters != counts.rows * (width - 1) + counts.delimiters:
        raise _NotPlain
