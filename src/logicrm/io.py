"""Reading records from CSV, JSON Lines and Parquet files, and writing results.

Readers stream: [`stream()`][logicrm.io.stream] yields one validated record at a time, so a file
    larger than
memory can feed [`logicrm.summarize()`][logicrm.scoring.summarize] directly. Every bad row is set
aside with its line number, the column at fault and the reason — never dropped silently, never
aborting the file — and can be written to a rejects file (JSON Lines).

Column names: by default a column is named after the field (``ordered_at``); amounts have
two columns, ``revenue.amount`` and ``revenue.currency``, and so do nested fields
(``contact.phone``). A [`ColumnMapping`][logicrm.io.ColumnMapping] maps your own names onto them and
can supply constants, such as a currency that the file does not carry:

```python
mapping = ColumnMapping(columns={"id": "order_no", "revenue.amount": "freight_fee"},
                        constants={"revenue.currency": "CNY", "cost.currency": "CNY"})
activities = summarize(stream("tms_export.csv", Shipment, mapping=mapping), as_of=as_of)
```

Survey responses, which hold several answers, are read in long form: one row per answer with
the response's columns repeated (``respondent_id``, ``taken_at``, ``customer_id``) and the
answer's (``item``, ``dimension``, ``expectation``, ``perception``).

What the readers do with messy files (the "bad input" page of the docs has the whole list):

- **Encoding**: ``encoding=None`` honours a byte-order mark (UTF-8, UTF-16, UTF-32) and
  otherwise reads UTF-8; name another (``encoding="gb18030"`` for an Excel export from a
  Chinese Windows machine). A row holding bytes the encoding cannot decode is rejected with
  its line; the rest of the file is read.
- **Delimiter**: sniffed from the header (``,``, ``;``, tab or ``|``) unless given.
- **Header**: a required column that is missing is one [`ReadError`][logicrm.errors.ReadError]
  before any row, naming the closest columns present; missing optional columns and columns that look
  misspelt give a [`ColumnWarning`][logicrm.errors.ColumnWarning]. A mapping naming a field the
  record type does not have is a ``ValidationError``.
- **Rows are rejected, never altered**: a row with more or fewer cells than the header, a row whose
  repeated header columns disagree, a row over [`MAX_RECORD_CHARS`][logicrm.io.MAX_RECORD_CHARS]
  characters, and a row whose key (the ``id``, or a profile's ``customer_id``) was already read
  ("duplicate of line N"). A record's line is the line it starts on.

Parquet needs the ``pyarrow`` package (``pip install 'logicrm[frames]'``); a file that is not
Parquet, or is truncated, is a [`ReadError`][logicrm.errors.ReadError].
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

import attrs

from logicrm._readers._plan import ColumnMapping, _Reader
from logicrm._readers._rows import _database_rows, _survey_rows
from logicrm._readers._text import (
    MAX_RECORD_CHARS,
    _Bad,
    _csv_rows,
    _format_of,
    _jsonl_rows,
    _parquet_rows,
    _Row,
)
from logicrm._safety import spreadsheet_cell
from logicrm.domain import CreditProfile, ServiceStandard, SurveyResponse
from logicrm.domain._checks import fail
from logicrm.errors import ValidationError
from logicrm.serialization import from_dict, to_dict

__all__ = [
    "MAX_RECORD_CHARS",
    "ColumnMapping",
    "ReadResult",
    "RowRejection",
    "read",
    "read_db",
    "stream",
    "stream_db",
    "write",
    "write_calendar",
    "write_scores",
    "write_worklist",
]

T = TypeVar("T")


@attrs.frozen
class RowRejection:
    """A row that could not be read.

    Attributes:
        line: the line in a text file (the header is line 1), or the row number (from 1) in
            a Parquet file.
        problems: (column, reason) pairs; the column is your column's name where the
            problem belongs to one.
        row: the row as read (hidden from ``repr``: it may hold contact details).
        key: for a database row, the value of its key column (``id``, a profile's
            ``customer_id``...); ``None`` for a file's.
    """

    line: int
    problems: tuple[tuple[str, str], ...]
    row: Mapping[str, Any] = attrs.field(repr=False, eq=False, hash=False)
    key: str | None = None

    @property
    def column(self) -> str:
        """The first column at fault."""
        return self.problems[0][0]

    @property
    def reason(self) -> str:
        """The first reason."""
        return self.problems[0][1]


@attrs.frozen
class ReadResult(Generic[T]):
    """What [`read()`][logicrm.io.read] returns: every record read and every row set aside."""

    ok: tuple[T, ...]
    rejected: tuple[RowRejection, ...]

    def __repr__(self) -> str:
        # A file may hold millions of rows: say how many, never print them all.
        return f"ReadResult({len(self.ok):,} ok, {len(self.rejected):,} rejected)"


# The fields that identify a record of each kind: a second record with the same key is a
# duplicate. Kinds with an ``id`` field use it.
_KEYS: dict[type, tuple[str, ...]] = {
    CreditProfile: ("customer_id",),
    SurveyResponse: ("respondent_id", "taken_at"),
    ServiceStandard: ("measure", "kind"),
}


def _key_of(cls: type) -> Callable[[Any], object] | None:
    names = _KEYS.get(cls) or (("id",) if any(f.name == "id" for f in attrs.fields(cls)) else ())
    if not names:
        return None
    if len(names) == 1:
        (name,) = names
        return lambda record: getattr(record, name)
    return lambda record: tuple(getattr(record, n) for n in names)


def stream(
    source: str | Path,
    cls: type[T],
    *,
    mapping: ColumnMapping | None = None,
    format: str | None = None,
    on_reject: Callable[[RowRejection], None] | None = None,
    rejects: str | Path | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> Iterator[T]:
    """Yield each valid record of ``cls`` in the file, one at a time.

    Bad rows never stop the stream: each becomes a [`RowRejection`][logicrm.io.RowRejection], passed
        to
    ``on_reject`` and appended to the ``rejects`` file (JSON Lines, created readable by its
    owner only, since rows may hold contact details) when given. The format comes from
    ``format`` or the file's suffix (``.csv``, ``.jsonl``, ``.parquet``).

    Args:
        encoding: the text encoding of a CSV or JSON Lines file; ``None`` honours a
            byte-order mark and otherwise reads UTF-8.
        delimiter: the CSV delimiter; ``None`` sniffs it from the header.

    Raises:
        ReadError: before any row, when the file cannot be read at all (empty, not
            Parquet, or a header without a required column).
        ValidationError: the mapping names a field ``cls`` does not have.
    """
    path = Path(source)
    chosen = _format_of(path, format)
    if delimiter is not None and (len(delimiter) != 1 or delimiter in "\r\n\"'"):
        fail("delimiter", delimiter, "must be one character such as ',' or ';'")
    long_form = cls is SurveyResponse and chosen != "jsonl"
    reader = _Reader(cls, mapping or ColumnMapping(), long_form=long_form)
    if chosen == "csv":
        rows: Iterator[_Row] = _csv_rows(path, reader, encoding, delimiter)
    elif chosen == "jsonl":
        rows = _jsonl_rows(path, reader, encoding)
    else:
        rows = _parquet_rows(path, reader)
    if long_form:
        rows = _survey_rows(rows, reader.mapping)
    yield from _checked(rows, cls, reader, unit="row" if chosen == "parquet" else "line",
                        on_reject=on_reject, rejects=rejects)  # fmt: skip


def _checked(
    rows: Iterator[_Row],
    cls: type[T],
    reader: _Reader,
    *,
    unit: str,
    on_reject: Callable[[RowRejection], None] | None,
    rejects: str | Path | None,
    keyed: bool = False,
) -> Iterator[T]:
    """The records of ``rows``: each row read, refused or found a duplicate, the refused
    ones passed on and written to ``rejects``. ``keyed`` rejections carry the row's key (a
    database row has no line)."""
    long_form = reader.long_form
    key_of = _key_of(cls)
    seen: dict[object, int] = {}
    key_column = reader.mapping.column(_KEYS.get(cls, ("id",))[0])
    with contextlib.ExitStack() as stack:
        sink: IO[str] | None = None
        if rejects is not None:
            sink = stack.enter_context(_private_file(Path(rejects)))
        for line, row in rows:
            if isinstance(row, _Bad):
                rejection = RowRejection(line, ((row.column, row.reason),), row.row)
            else:
                try:
                    record = from_dict(cls, row if long_form else reader.record(row))
                except ValidationError as error:
                    rejection = RowRejection(line, reader.problems(error), row)
                else:
                    if key_of is None:
                        yield record
                        continue
                    key = key_of(record)
                    first = seen.setdefault(key, line)
                    if first == line:
                        yield record
                        continue
                    rejection = RowRejection(
                        line, ((key_column, f"duplicate of {unit} {first}"),), row
                    )
            if keyed:
                rejection = attrs.evolve(rejection, key=_row_key(rejection.row, key_column))
            if on_reject is not None:
                on_reject(rejection)
            if sink is not None:
                sink.write(
                    json.dumps(
                        {
                            "line": rejection.line,
                            **({"key": rejection.key} if keyed else {}),
                            "problems": [list(p) for p in rejection.problems],
                            "row": rejection.row,
                        },
                        default=str,
                        ensure_ascii=False,
                    )
                    + "\n"
                )


def _row_key(row: Mapping[str, Any], column: str) -> str | None:
    value = row.get(column) if isinstance(row, Mapping) else None
    return None if value is None else str(value)[:100]


def stream_db(
    database: Any,
    cls: type[T],
    *,
    table: str | None = None,
    query: str | None = None,
    params: Any = (),
    mapping: ColumnMapping | None = None,
    on_reject: Callable[[RowRejection], None] | None = None,
    rejects: str | Path | None = None,
) -> Iterator[T]:
    """Yield each valid record of ``cls`` in a database table, or in the rows of a query.

    The rules are the files': the same [`ColumnMapping`][logicrm.io.ColumnMapping], the same
    checks, the same duplicates. A rejected row's ``line`` is its number in the result
    (from 1), and its ``key`` the value of its key column (``id``, a profile's
    ``customer_id``...), since a table has no lines.

    Args:
        database: a URI (``postgresql://user@host/db``, ``sqlite:///path.db``) or an open
            ``sqlite3`` or psycopg connection. PostgreSQL needs ``pip install 'logicrm[db]'``.
        table: a table name, ``name`` or ``schema.name`` (checked, then quoted).
        query: instead of ``table``, a query of yours; ``params`` are its parameters, passed
            to the driver (``?`` placeholders in SQLite, ``%s`` in PostgreSQL). It may only
            read: PostgreSQL runs it in a read-only transaction that is rolled back (a
            savepoint in a transaction of yours), SQLite on a read-only connection that
            refuses ``ATTACH``, ``VACUUM`` and ``PRAGMA`` too; an open connection of yours is
            given back as it was.

    Raises:
        ReadError: the database, table or query cannot be read, lacks a required column, or
            the query tried to change something (nothing is changed). Messages never show a
            password, whatever the form of the connection string.
        ValidationError: a bad table name, or a mapping naming an unknown field.

    Examples:
        >>> import sqlite3
        >>> db = sqlite3.connect(":memory:")
        >>> _ = db.execute("CREATE TABLE c (id TEXT, name TEXT, kind TEXT)")
        >>> _ = db.execute("INSERT INTO c VALUES ('C1', 'Acme', 'enterprise')")
        >>> from logicrm.domain import Customer
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:  # optional columns absent
        ...     warnings.simplefilter("always")
        ...     ids = [c.id for c in stream_db(db, Customer, table="c")]
        >>> ids, caught[0].category.__name__
        (['C1'], 'ColumnWarning')
    """
    from logicrm._readers._db import Source

    source = Source(table=table, query=query, params=params)
    yield from _stream_db(
        database, cls, source, mapping=mapping, on_reject=on_reject, rejects=rejects
    )


def _stream_db(
    database: Any,
    cls: type[T],
    source: Any,
    *,
    mapping: ColumnMapping | None = None,
    on_reject: Callable[[RowRejection], None] | None = None,
    rejects: str | Path | None = None,
    columnar: bool = False,
) -> Iterator[T]:
    """``stream_db()`` of a ``_db.Source``; ``columnar`` as ``_db_arrow.rows_reading``."""
    from logicrm._readers._db_arrow import rows_reading

    reader = _Reader(cls, mapping or ColumnMapping(), long_form=cls is SurveyResponse)
    with rows_reading(database, source, columnar=columnar) as (names, values):
        reader.check_header(source.name, names)
        rows: Iterator[_Row] = _database_rows(names, values, reader)
        if reader.long_form:
            rows = _survey_rows(rows, reader.mapping)
        yield from _checked(
            rows, cls, reader, unit="row", on_reject=on_reject, rejects=rejects, keyed=True
        )


def write_scores(
    database: Any,
    table: str,
    rows: Iterable[Mapping[str, Any]],
    *,
    as_of: datetime,
    replace_snapshot: bool = False,
) -> int:
    """Write assessment rows ([`Assessment.row()`][logicrm.Assessment.row]) to a database
    table, one row per customer and ``as_of``, in one transaction; returns the rows written.

    The table is created when missing, with ``(customer_id, as_of)`` as its primary key; a
    customer scored again at the same ``as_of`` is updated (upserted). Money stays exact
    (``NUMERIC(52, 34)`` in PostgreSQL, room for every amount the library allows; text in
    SQLite, which has no exact decimal) and times aware (``timestamptz``; ISO 8601 with its
    offset in SQLite). A failed or interrupted write changes nothing.

    Runs at the same time are safe: each takes a lock on the table (an advisory lock in
    PostgreSQL, SQLite's write lock) before it checks or creates it, writes in key order,
    and a serialization failure or deadlock is tried again, a bounded number of times
    (five), before it is reported. PostgreSQL rows go in
    through ``COPY`` into a staging table and one ``INSERT ... ON CONFLICT``.

    Args:
        replace_snapshot: the rows are the whole snapshot at ``as_of``: every row of the
            table at that ``as_of`` is deleted first, in the same transaction, so customers
            left out of this run do not keep an earlier run's scores.

    Raises:
        ValidationError: a bad table name, one in a temporary schema (``temp.scores``,
            ``pg_temp.scores``: its rows would vanish with the connection), or an existing
            table of another shape (the message names the columns missing and unexpected).
        ReadError: the database cannot be opened or written.
    """
    from logicrm._readers._db_write import write_rows

    return write_rows(database, table, rows, as_of=as_of, replace_snapshot=replace_snapshot)


def write_worklist(database: Any, table: str, items: Iterable[Any], *, as_of: datetime) -> int:
    """Write the worklist's items ([`WorkItem`][logicrm.retention.WorkItem]s, e.g.
    ``Worklist.everything()``) to a database table, upserted on the item's stable ``id``, in
    one transaction; returns the rows written.

    The table is created when missing: ``id`` (the primary key), ``as_of`` (the run that
    last wrote the row), then [`WORKLIST_COLUMNS`][logicrm.retention.WORKLIST_COLUMNS],
    ``due_at`` a time. An item written again (the next run, still open) is updated in place;
    one no longer on the worklist keeps its last row, its ``as_of`` older than the run's, so
    a TMS closes it with ``UPDATE tasks SET ... WHERE as_of < :run``. The writer is the
    scores' ([`write_scores()`][logicrm.io.write_scores]): the same checks, the same single
    transaction.

    Raises:
        ValidationError: a bad table name, or an existing table of another shape.
        ReadError: the database cannot be opened or written.
    """
    from logicrm._feed import feed_columns, feed_rows
    from logicrm._readers._db_write import write_rows

    return write_rows(
        database, table, feed_rows(items), as_of=as_of, shape=feed_columns, key=("id",)
    )


def write_calendar(target: str | Path, items: Iterable[Any], *, stamp: datetime) -> int:
    """Write work items as an iCalendar file (RFC 5545) of to-dos that a calendar
    application imports: one VTODO per item, its stable id as the UID (so a second import
    updates rather than duplicates), its due date as DUE, what to do and for which customer
    (the id, never a name) as the summary, the reasons as the description. ``stamp`` is the
    DTSTAMP, the moment of the run. Returns the number of to-dos.

    Needs the ``icalendar`` package (``pip install 'logicrm[calendar]'``).
    """
    from logicrm._feed import calendar_bytes

    chosen = list(items)
    Path(target).write_bytes(calendar_bytes(chosen, stamp=stamp, name="logicrm worklist"))
    return len(chosen)


def read_db(database: Any, cls: type[T], **options: Any) -> ReadResult[T]:
    """Every valid record of a table or query and every row set aside, as
    [`stream_db()`][logicrm.io.stream_db] reads them."""
    rejected: list[RowRejection] = []
    ok = tuple(stream_db(database, cls, on_reject=rejected.append, **options))
    return ReadResult(ok, tuple(rejected))


def _private_file(path: Path) -> IO[str]:
    """A new (or emptied) text file only its owner may read: it holds rejected rows."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.chmod(descriptor, 0o600)  # an older file keeps its mode through O_TRUNC otherwise
    return os.fdopen(descriptor, "w", encoding="utf-8", newline="")


def read(
    source: str | Path,
    cls: type[T],
    *,
    mapping: ColumnMapping | None = None,
    format: str | None = None,
    rejects: str | Path | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> ReadResult[T]:
    """Read a whole file into memory: ``ReadResult(ok, rejected)``. The options are
    [`stream()`][logicrm.io.stream]'s.

    Examples:
        >>> import tempfile, pathlib
        >>> from logicrm import Invoice
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "bills.csv").write_text(
        ...     "bill,customer,issued_on,due_on,paid_on,amount\\n"
        ...     "F1,C1,2026-05-01,2026-05-31,,900.00\\n"
        ...     "F2,C1,2026-05-01,2026-04-30,,100.00\\n")
        >>> mapping = ColumnMapping(columns={"id": "bill", "customer_id": "customer",
        ...                                  "amount.amount": "amount"},
        ...                         constants={"amount.currency": "CNY"})
        >>> result = read(folder / "bills.csv", Invoice, mapping=mapping)
        >>> len(result.ok), result.rejected[0].line, result.rejected[0].column
        (1, 3, 'due_on')
    """
    rejected: list[RowRejection] = []
    ok = tuple(
        stream(
            source,
            cls,
            mapping=mapping,
            format=format,
            on_reject=rejected.append,
            rejects=rejects,
            encoding=encoding,
            delimiter=delimiter,
        )
    )
    return ReadResult(ok, tuple(rejected))


def _write_streaming(
    path: Path, rows: Iterable[Mapping[str, Any]], chosen: str, columns: list[str], safe: bool
) -> int:
    """Flat rows written one at a time, exactly as ``write`` writes them all at once."""
    count = 0
    with path.open("w", newline="" if chosen == "csv" else None, encoding="utf-8") as handle:
        if chosen == "jsonl":
            for row in rows:
                handle.write(json.dumps(dict(row), ensure_ascii=False, default=str) + "\n")
                count += 1
            return count
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            values = [row[c] for c in columns]
            if safe:  # only text can be a formula
                values = [spreadsheet_cell(v) if type(v) is str else v for v in values]
            writer.writerow(values)
            count += 1
    return count


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, item in value.items():
        path = f"{prefix}{key}"
        if isinstance(item, dict):
            flat.update(_flatten(item, f"{path}."))
        elif isinstance(item, list):
            flat[path] = json.dumps(item, ensure_ascii=False)
        else:
            flat[path] = item
    return flat


def write(
    target: str | Path,
    rows: Iterable[Any],
    *,
    format: str | None = None,
    spreadsheet_safe: bool = True,
    columns: Sequence[str] | None = None,
) -> int:
    """Write results (logicrm objects or plain mappings) as CSV, JSON Lines or Parquet.

    Objects are written as [`to_dict()`][logicrm.serialization.to_dict] makes them; nested objects
    become dotted columns in CSV and Parquet. Returns the number of rows written.

    CSV is written for people, who open it in a spreadsheet: with ``spreadsheet_safe``
    (the default) a text cell that a spreadsheet would run as a formula (one starting with
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, and not a number) is written
    behind a single quote, the OWASP advice against CSV injection. Pass ``False`` for a CSV
    meant for another program. JSON Lines and Parquet always keep values exactly.

    ``columns``, for flat mappings that all have those keys (such as
    [`Assessment.row()`][logicrm.Assessment.row]s), names the CSV columns up front, so rows are
    written as they come and a million of them never sit in memory together.
    """
    path = Path(target)
    chosen = _format_of(path, format)
    if columns is not None and chosen in ("csv", "jsonl"):
        return _write_streaming(path, rows, chosen, list(columns), spreadsheet_safe)
    records = [to_dict(r) if attrs.has(type(r)) else dict(r) for r in rows]
    if chosen == "jsonl":
        with path.open("w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        return len(records)
    flat = [_flatten(r) for r in records]
    columns = list(dict.fromkeys(c for record in flat for c in record))
    if chosen == "csv":
        if spreadsheet_safe:
            flat = [{k: spreadsheet_cell(v) for k, v in r.items()} for r in flat]
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(flat)
        return len(flat)
    import pyarrow as pa  # optional dependency, only for Parquet
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist([{c: r.get(c) for c in columns} for r in flat])
    pq.write_table(table, path)
    return len(flat)
