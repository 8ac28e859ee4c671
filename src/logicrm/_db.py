"""Databases: any input kind read by table or query, and scores written back, in PostgreSQL
or SQLite.

Drivers, and why:
- SQLite: the standard library's ``sqlite3`` (nothing to install).
- PostgreSQL: psycopg 3 (``pip install 'logicrm[db]'``), the maintained driver with
  server-side cursors, so a query of ten million rows streams instead of filling memory.
- The columnar engine reads through Arrow with the ADBC drivers (``adbc-driver-postgresql``,
  ``adbc-driver-sqlite``, in the same extra): PostgreSQL's binary COPY straight into Arrow
  record batches, with no Python object per value. Without them, or given an open
  connection rather than a URI, the columnar engine reads the DB-API rows.

Identifiers (table names) are checked and quoted, never pasted; values travel as query
parameters. Credentials come from the URI, the environment (``PGPASSWORD``, ``.pgpass``: libpq
reads them) or ``LOGICRM_DB_URL``, and never appear in a message: every URI shown is
redacted.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import attrs

from logicrm.domain._checks import fail
from logicrm.errors import LogicrmError, ReadError, ValidationError

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
FETCH_ROWS = 10_000
""" Rows fetched from the server at a time."""


def redacted(uri: str) -> str:
    """``uri`` with any password replaced by ``***`` (and nothing else changed)."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "<a database URI>"
    if parts.password is None:
        return uri
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def quoted(name: str) -> str:
    """A table name (``shipments`` or ``schema.shipments``), checked and quoted.

    Raises:
        ValidationError: the name is not one or two plain identifiers (letters, digits and
            underscores, not starting with a digit).
    """
    parts = name.split(".") if isinstance(name, str) else []
    if not 1 <= len(parts) <= 2 or not all(_IDENTIFIER.fullmatch(p) for p in parts):
        fail(
            "table",
            name,
            "must be a table name such as 'shipments' or 'tms.shipments' (letters, digits, _)",
        )
    return ".".join(f'"{p}"' for p in parts)


@attrs.frozen
class Source:
    """Where one input kind comes from in the database: a table, or a query of yours.

    Attributes:
        table: a table name (checked and quoted), or ``None``.
        query: a SQL query of your own (its rows are read as a table's), or ``None``.
        params: the query's parameters, passed to the driver, never formatted in.
    """

    table: str | None = None
    query: str | None = attrs.field(default=None, repr=False)
    params: Sequence[Any] | Mapping[str, Any] = attrs.field(default=(), repr=False)

    def __attrs_post_init__(self) -> None:
        if (self.table is None) == (self.query is None):
            fail("source", self.table, "give a table or a query, not both or neither")
        if self.table is not None:
            quoted(self.table)

    def sql(self) -> str:
        return self.query if self.query is not None else f"SELECT * FROM {quoted(self.table or '')}"

    @property
    def name(self) -> str:
        """How messages name it: the table, or ``query``."""
        return self.table if self.table is not None else "query"


def dialect_of(target: str | Any) -> str:
    """``postgresql`` or ``sqlite``, from a URI or an open connection.

    Raises:
        ValidationError: neither.
    """
    if isinstance(target, str):
        scheme = target.split(":", 1)[0].lower()
        if scheme in ("postgresql", "postgres"):
            return "postgresql"
        if scheme == "sqlite":
            return "sqlite"
        fail("database", redacted(target), "must be a postgresql:// or sqlite:/// URI")
    if isinstance(target, sqlite3.Connection):
        return "sqlite"
    if type(target).__module__.startswith("psycopg"):
        return "postgresql"
    raise ValidationError(
        "database", type(target).__name__, "must be a sqlite3 or psycopg connection, or a URI"
    )


def _sqlite_path(uri: str) -> str:
    path = uri.split(":", 1)[1]
    if path.startswith("///"):
        return path[3:] or ":memory:"
    if path in ("", "//", "memory", ":memory:"):
        return ":memory:"
    raise ValidationError("database", redacted(uri), "a SQLite URI is sqlite:///path/to/file.db")


@contextmanager
def connected(target: str | Any) -> Iterator[Any]:
    """A DB-API connection for ``target``: opened (and closed) for a URI, or yours as given."""
    if not isinstance(target, str):
        yield target
        return
    dialect = dialect_of(target)
    try:
        if dialect == "sqlite":
            connection: Any = sqlite3.connect(_sqlite_path(target))
        else:
            try:
                import psycopg
            except ImportError:
                fail("database", redacted(target), "PostgreSQL needs pip install 'logicrm[db]'")
            connection = psycopg.connect(target, autocommit=True)
    except (sqlite3.Error, OSError) as error:
        raise ReadError(redacted(target), f"cannot be opened ({_short(error, target)})") from None
    except Exception as error:
        if type(error).__module__.startswith("psycopg"):
            raise ReadError(
                redacted(target), f"cannot be opened ({_short(error, target)})"
            ) from None
        raise
    try:
        yield connection
    finally:
        connection.close()


def _short(error: BaseException, uri: str | None = None) -> str:
    """The first line of a driver's error, without the URI's password should it echo it."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    password = _password(uri)
    if password:
        text = text.replace(password, "***")
    return text[:200]


def _password(uri: str | None) -> str | None:
    if uri is None:
        return None
    try:
        return urlsplit(uri).password
    except ValueError:
        return None


def query_rows(connection: Any, source: Source) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    """The column names and rows of ``source``, streamed (a server-side cursor on PostgreSQL).

    Raises:
        ReadError: the table or query cannot be read (the driver's first line).
    """
    postgres = dialect_of(connection) == "postgresql"
    try:
        if postgres:
            cursor = connection.cursor(name="logicrm_read", withhold=bool(connection.autocommit))
            cursor.itersize = FETCH_ROWS
        else:
            cursor = connection.cursor()
        if source.params:
            cursor.execute(source.sql(), source.params)
        else:
            cursor.execute(source.sql())
        if postgres:  # a named cursor describes its rows once the first are fetched
            first = cursor.fetchmany(FETCH_ROWS)
        names = [d[0] for d in cursor.description or ()]
        if not postgres:
            first = cursor.fetchmany(FETCH_ROWS)
    except Exception as error:
        _rollback(connection)
        raise ReadError(source.name, f"cannot be read ({_short(error)})") from None

    def fetched() -> Iterator[tuple[Any, ...]]:
        batch = first
        try:
            while batch:
                yield from batch
                batch = cursor.fetchmany(FETCH_ROWS)
        finally:
            cursor.close()

    return names, fetched()


def _rollback(connection: Any) -> None:
    with suppress(Exception):  # a broken connection: the caller's error says why
        connection.rollback()


def _score_columns(dialect: str) -> dict[str, str]:
    """The scores table's columns and their SQL types: ``customer_id``, ``as_of``, then the
    assessment row's columns."""
    import typing

    from logicrm._assess import ROW_COLUMNS, AssessmentRow

    postgres = dialect == "postgresql"
    types = {
        str: "TEXT",
        float: "DOUBLE PRECISION" if postgres else "REAL",
        bool: "BOOLEAN" if postgres else "INTEGER",
        int: "BIGINT" if postgres else "INTEGER",
        Decimal: "NUMERIC" if postgres else "TEXT",  # SQLite has no exact decimal: text is
    }
    hints = typing.get_type_hints(AssessmentRow)
    columns = {
        "customer_id": "TEXT NOT NULL",
        "as_of": "TIMESTAMPTZ NOT NULL" if postgres else "TEXT NOT NULL",
    }
    for name in ROW_COLUMNS:
        if name == "customer_id":
            continue
        kinds = [k for k in typing.get_args(hints[name]) if k is not type(None)] or [hints[name]]
        columns[name] = types[kinds[0]]
    return columns


def _existing_columns(connection: Any, dialect: str, table: str) -> list[str]:
    cursor = connection.cursor()
    if dialect == "sqlite":
        schema, _, name = table.rpartition(".")
        prefix = f'"{schema}".' if schema else ""
        cursor.execute(f'PRAGMA {prefix}table_info("{name}")')
        return [row[1] for row in cursor.fetchall()]
    schema, _, name = table.rpartition(".")
    cursor.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND "
        "table_schema = COALESCE(%s, current_schema()) ORDER BY ordinal_position",
        (name, schema or None),
    )
    return [row[0] for row in cursor.fetchall()]


def write_rows(
    database: Any,
    table: str,
    rows: Iterable[Mapping[str, Any]],
    *,
    as_of: datetime,
    shape: Callable[[str], dict[str, str]] | None = None,
    key: tuple[str, ...] = ("customer_id", "as_of"),
) -> int:
    """See [`logicrm.io.write_scores`][logicrm.io.write_scores]. ``shape`` gives another
    table's columns and SQL types by dialect (the scores' by default), ``key`` its primary
    key; an ``as_of`` column takes ``as_of``, every other column its row's value."""
    target = quoted(table)
    with connected(database) as connection:
        dialect = dialect_of(connection)
        columns = (shape or _score_columns)(dialect)
        postgres = dialect == "postgresql"
        mark = "%s" if postgres else "?"
        names = ", ".join(f'"{c}"' for c in columns)
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c not in key)
        keys = ", ".join(f'"{c}"' for c in key)
        upsert = (
            f"INSERT INTO {target} ({names}) VALUES ({', '.join([mark] * len(columns))}) "
            f"ON CONFLICT ({keys}) DO UPDATE SET {updates}"
        )
        stamp: Any = as_of if postgres else as_of.isoformat()

        def values(row: Mapping[str, Any]) -> tuple[Any, ...]:
            cells = []
            for name in columns:
                value = stamp if name == "as_of" else row[name]
                if not postgres and isinstance(value, (Decimal, datetime)):
                    value = value.isoformat() if isinstance(value, datetime) else str(value)
                cells.append(value)
            return tuple(cells)

        try:
            existing = _existing_columns(connection, dialect, table)
            if existing and existing != list(columns):
                missing = [c for c in columns if c not in existing]
                extra = [c for c in existing if c not in columns]
                fail(
                    "table",
                    table,
                    "exists with another shape: "
                    + "; ".join(
                        part
                        for part in (
                            f"missing {', '.join(missing)}" if missing else "",
                            f"unexpected {', '.join(extra)}" if extra else "",
                            "columns in another order" if not missing and not extra else "",
                        )
                        if part
                    )
                    + ". Name another table, or drop this one",
                )
            count = 0
            batch: list[tuple[Any, ...]] = []
            with _transaction(connection, dialect):
                cursor = connection.cursor()
                if not existing:
                    definitions = ", ".join(f'"{c}" {t}' for c, t in columns.items())
                    primary = f"PRIMARY KEY ({keys})"
                    cursor.execute(f"CREATE TABLE {target} ({definitions}, {primary})")
                for row in rows:
                    batch.append(values(row))
                    if len(batch) >= FETCH_ROWS:
                        cursor.executemany(upsert, batch)
                        count += len(batch)
                        batch.clear()
                if batch:
                    cursor.executemany(upsert, batch)
                    count += len(batch)
        except LogicrmError:
            raise
        except Exception as error:
            if isinstance(error, sqlite3.Error) or type(error).__module__.startswith("psycopg"):
                raise ReadError(table, f"cannot be written ({_short(error)})") from None
            raise
        return count


@contextmanager
def _transaction(connection: Any, dialect: str) -> Iterator[None]:
    """One transaction: committed whole, or rolled back whole."""
    if dialect == "postgresql":
        with connection.transaction():
            yield
        return
    if connection.in_transaction:
        connection.commit()  # sqlite3's implicit transaction of earlier statements
    connection.execute("BEGIN")
    try:
        yield
    except BaseException:
        connection.rollback()
        raise
    connection.commit()


@contextmanager
def _adbc_reader(uri: str, source: Source) -> Iterator[tuple[list[str], Iterator[Any]]]:
    dialect = dialect_of(uri)
    try:
        if dialect == "postgresql":
            import adbc_driver_postgresql.dbapi as driver

            connection = driver.connect(uri)
        else:
            import adbc_driver_sqlite.dbapi as driver

            connection = driver.connect(_sqlite_path(uri))
    except Exception as error:
        raise ReadError(redacted(uri), f"cannot be opened ({_short(error, uri)})") from None
    try:
        cursor = connection.cursor()
        try:
            if source.params:
                cursor.execute(source.sql(), source.params)
            else:
                cursor.execute(source.sql())
            batches = cursor.fetch_record_batch()
        except Exception as error:
            raise ReadError(source.name, f"cannot be read ({_short(error, uri)})") from None
        yield list(batches.schema.names), iter(batches)
        cursor.close()
    finally:
        connection.close()


def adbc_batches(uri: str, source: Source) -> Any:
    """A context manager giving the column names and Arrow record batches of ``source``
    through ADBC, or ``None`` when the ADBC driver for the URI is not installed (the
    columnar engine then reads the DB-API rows)."""
    try:
        if dialect_of(uri) == "postgresql":
            import adbc_driver_postgresql.dbapi  # noqa: F401
        else:
            import adbc_driver_sqlite.dbapi  # noqa: F401
    except ImportError:
        return None
    return _adbc_reader(uri, source)
