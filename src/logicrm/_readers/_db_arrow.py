"""PostgreSQL read through ADBC into Arrow, for the columnar engine: every input kind, in the
read-only session ``_db`` opens, its values then given as psycopg gives them so that both
engines read the same rows.

The record batches are read ahead by a thread of their own while the engine works on the
batch before (Arrow releases the GIL as it reads; the server sends from its own process), and
a table's ``numeric`` columns come as the server's text, which costs a sixth of the driver's
conversion of the binary form. A column of a type Arrow reads otherwise than psycopg (see
``_ARROW_ALIKE``) sends the read back to the DB-API rows.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from decimal import Decimal
from typing import Any

from logicrm._readers._db import Source, _short, dialect_of, quoted, reading, redacted
from logicrm.errors import ReadError


def _read_only_conninfo(uri: str) -> str:
    """``uri`` as a libpq connection string whose every transaction is read-only (its own
    ``options`` kept)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    options = str(conninfo_to_dict(uri).get("options") or "")
    return make_conninfo(uri, options=f"{options} -c default_transaction_read_only=on".strip())


# PostgreSQL types whose values come out of Arrow as psycopg gives them, once numeric text
# is read as Decimal and JSON text parsed. Any other (money as integer cents, inet as bytes,
# interval, arrays...) would read differently: such a result is read as DB-API rows instead.
_ARROW_ALIKE = frozenset(
    {
        "text", "varchar", "bpchar", "name", "int2", "int4", "int8", "float4", "float8",
        "numeric", "bool", "date", "timestamp", "timestamptz", "json", "jsonb", "uuid", "bytea",
    }
)  # fmt: skip


def _alike(schema: Any) -> bool:
    """Whether every column of ``schema`` (an ADBC result's) is of a type in
    ``_ARROW_ALIKE``."""
    return all(_pg_type(field) in _ARROW_ALIKE for field in schema)


@contextmanager
def _adbc_reader(uri: str, source: Source) -> Iterator[tuple[list[str], Iterator[Any]] | None]:
    import adbc_driver_postgresql.dbapi as driver

    problem = None
    try:
        connection = driver.connect(_read_only_conninfo(uri))
    except Exception as error:
        problem = _short(error, uri)
    if problem is not None:
        raise ReadError(redacted(uri), f"cannot be opened ({problem})")
    fetched: Iterator[Any] | None = None
    try:
        cursor = connection.cursor()
        try:
            cursor.adbc_statement.set_options(**{_BATCH_OPTION: str(ADBC_BATCH_BYTES)})
            sql, schema = source.sql(), None
            if source.table is not None:  # numeric sent as text: see _numeric_as_text
                schema = cursor.adbc_execute_schema(sql)
                sql = _numeric_as_text(source, schema)
            if source.params:
                cursor.execute(sql, source.params)
            else:
                cursor.execute(sql)
            batches = cursor.fetch_record_batch()
        except Exception as error:
            problem = _short(error, uri)
        if problem is not None:
            raise ReadError(source.name, f"cannot be read ({problem})")
        schema = schema or batches.schema
        if _alike(schema):
            fetched = _adbc_fetched(batches, source, uri, schema)
            yield list(schema.names), fetched
        else:
            yield None
    finally:
        if fetched is not None:  # its reading thread stopped before the connection closes
            fetched.close()  # type: ignore[attr-defined]
        with suppress(Exception):
            connection.rollback()
        connection.close()


_BATCH_OPTION = "adbc.postgresql.batch_size_hint_bytes"
ADBC_BATCH_BYTES = 1 << 20
""" The size of the record batches the ADBC driver makes: small enough that the server
sends the next while the driver reads one, the work overlapping on two cores."""
PREFETCH_BATCHES = 4
""" Record batches read ahead while the engine works on the one before."""


def _numeric_as_text(source: Source, schema: Any) -> str:
    """The table's ``SELECT``, its ``numeric`` columns cast to text by the server: the
    exact digits either way, but the server's text costs a sixth of the driver's own
    conversion of the binary form (measured on 1M rows: 0.15 s of server time against
    0.8 s of ours), and runs on the server's core."""
    numeric = {f.name for f in schema if _pg_type(f) == "numeric"}
    if not numeric:
        return source.sql()
    columns = []
    for name in schema.names:
        column = '"' + name.replace('"', '""') + '"'
        columns.append(f"{column}::text AS {column}" if name in numeric else column)
    return f"SELECT {', '.join(columns)} FROM {quoted(source.table or '')}"


def _pg_type(field: Any) -> str:
    return str((field.metadata or {}).get(b"POSTGRESQL:type", b"").decode())


def _as_declared(batch: Any, schema: Any) -> Any:
    """``batch`` with the types of ``schema``: a numeric column cast to text on the server
    wrapped again in the driver's numeric type, as if it had come as numeric."""
    import pyarrow as pa

    if batch.schema.equals(schema):
        return batch
    columns = [
        pa.ExtensionArray.from_storage(field.type, column)
        if isinstance(field.type, pa.BaseExtensionType)
        and not isinstance(column.type, pa.BaseExtensionType)
        else column
        for field, column in zip(schema, batch.columns, strict=True)
    ]
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def _adbc_fetched(batches: Any, source: Source, uri: str, schema: Any) -> Iterator[Any]:
    """The record batches (with the types of ``schema``), read ahead by a thread of their
    own (the driver's reading and the server's sending go on while the engine checks and
    aggregates, Arrow releasing the GIL as it reads); a server's error on the way (a
    function the query calls trying to write, say) as the library's error."""
    ahead: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=PREFETCH_BATCHES)
    stop = threading.Event()

    def put(item: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                ahead.put(item, timeout=0.05)
            except queue.Full:
                continue
            return True
        return False

    def pull() -> None:
        try:
            for batch in batches:
                if not put(("batch", _as_declared(batch, schema))):
                    return
        except Exception as error:
            put(("error", error))
        else:
            put(("end", None))

    thread = threading.Thread(target=pull, name="logicrm-adbc-read", daemon=True)
    thread.start()
    try:
        while True:
            kind, item = ahead.get()
            if kind == "end":
                return
            if kind == "error":
                raise ReadError(source.name, f"cannot be read ({_short(item, uri)})")
            yield item
    finally:
        stop.set()
        thread.join()


def adbc_batches(uri: str, source: Source) -> Any:
    """A context manager giving the column names and Arrow record batches of ``source``
    through ADBC in a read-only session (``None`` when a column is of a type Arrow reads
    otherwise than psycopg, see ``_ARROW_ALIKE``), or ``None`` itself when ADBC cannot be
    had (not a PostgreSQL URI, or the ADBC driver or psycopg not installed): the caller then
    reads the DB-API rows. SQLite is always read through ``sqlite3``: its rows keep each
    value's storage class, where ADBC's SQLite driver gives a whole column one type (a
    single BLOB makes every value of the column bytes), so one bad row could not be told
    from the others."""
    if not isinstance(uri, str) or dialect_of(uri) != "postgresql":
        return None
    try:
        import adbc_driver_postgresql.dbapi  # noqa: F401
        import psycopg  # noqa: F401
    except ImportError:
        return None
    return _adbc_reader(uri, source)


def _python_values(column: Any) -> list[Any]:
    """An Arrow column's values as psycopg gives them: numeric (text in an extension
    column) as ``Decimal``, JSON parsed."""
    kind = column.type
    name = getattr(kind, "extension_name", "")
    if name == "arrow.json":
        return [None if v is None else json.loads(v) for v in column.storage.to_pylist()]
    if name == "arrow.opaque":  # numeric: the only opaque type _ARROW_ALIKE lets through
        return [None if v is None else Decimal(v) for v in column.storage.to_pylist()]
    return column.to_pylist()  # type: ignore[no-any-return]


def _arrow_rows(batches: Iterator[Any]) -> Iterator[tuple[Any, ...]]:
    for batch in batches:
        yield from zip(*(_python_values(c) for c in batch.columns), strict=True)


def python_rows(batch: Any) -> list[dict[str, Any]]:
    """An Arrow record batch's rows as psycopg gives them (``_python_values``)."""
    names = batch.schema.names
    columns = [_python_values(c) for c in batch.columns]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


@contextmanager
def rows_reading(
    target: str | Any, source: Source, *, columnar: bool
) -> Iterator[tuple[list[str], Iterator[tuple[Any, ...]]]]:
    """``reading()``'s column names and rows. ``columnar`` (the columnar engine's run) reads
    a PostgreSQL URI's through ADBC in a read-only session, as Arrow record batches whose
    values are then given as psycopg gives them (``_python_values``), so both engines read
    the same rows; SQLite, an open connection, or a column of a type Arrow reads otherwise,
    are read by ``reading()``."""
    arrow = adbc_batches(target, source) if columnar else None
    if arrow is not None:
        with arrow as found:
            if found is not None:
                names, batches = found
                yield names, _arrow_rows(batches)
                return
    with reading(target, source) as found:
        yield found
