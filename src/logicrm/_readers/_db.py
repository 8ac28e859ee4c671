"""Databases: any input kind read by table or query, and scores written back, in PostgreSQL
or SQLite.

Drivers, and why:
- SQLite: the standard library's ``sqlite3`` (nothing to install), for both engines: its rows
  keep each value's own storage class, so both engines judge a row of the wrong class alike.
- PostgreSQL: psycopg 3 (``pip install 'logicrm[db]'``), the maintained driver with
  server-side cursors, so a query of ten million rows streams instead of filling memory;
  scores go in through ``COPY``.
- The columnar engine reads PostgreSQL through Arrow with the ADBC driver
  (``adbc-driver-postgresql``, in the same extra; ``_db_arrow``): binary COPY straight into
  Arrow record batches, with no Python object per value, for every input kind. Without it,
  or given an open connection rather than a URI, the columnar engine reads the DB-API rows.

Reads only read: PostgreSQL reads run in a read-only transaction that is rolled back, SQLite
files are opened read-only (``mode=ro``) with ``query_only`` on and an authorizer that allows
nothing but reading (so ``ATTACH`` and ``VACUUM INTO`` are refused too). Writes take a lock
on the target (an advisory lock in PostgreSQL, ``BEGIN IMMEDIATE`` in SQLite) before they
look at its shape, so concurrent runs queue instead of colliding, and a transient
serialization failure or deadlock is retried a bounded number of times.

Identifiers (table names) are checked and quoted, never pasted; values travel as query
parameters. Credentials come from the URI, the environment (``PGPASSWORD``, ``.pgpass``: libpq
reads them) or ``LOGICRM_DB_URL``, and never appear in a message: every connection string
shown is redacted and every driver message is scrubbed of the password, whatever the form
(URI user info, ``?password=``, ``key=value``, a URI the driver cannot parse).
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager, suppress
from typing import Any
from urllib.parse import quote, unquote, unquote_plus

import attrs

from logicrm.domain._checks import fail
from logicrm.errors import ReadError, ValidationError

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
FETCH_ROWS = 10_000
""" Rows fetched from the server at a time."""
LOCK_WAIT_SECONDS = 60.0
""" How long a SQLite writer waits for another writer's lock before giving up."""

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_QUERY_SECRET = re.compile(r"([?&](?:ssl)?password=)([^&#]*)", re.IGNORECASE)
_EMBEDDED_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^\s:@/'\"]*:)[^\s'\"]*@")
_KEYVALUE_SECRET = re.compile(
    r"(\b(?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'?|[^\s'&]+)", re.IGNORECASE
)


def _userinfo_span(text: str) -> tuple[int, int] | None:
    """Where a URI's password is: from the first ``:`` after ``scheme://`` to the last ``@``,
    when that ``:`` comes before the first ``@`` (a password may hold ``@`` or ``/``
    unescaped, and then libpq and urllib disagree on where it ends: both ends are covered)."""
    match = _SCHEME.match(text)
    if match is None:
        return None
    start = match.end()
    first_at, last_at = text.find("@", start), text.rfind("@")
    colon = text.find(":", start)
    if first_at < 0 or colon < 0 or colon > first_at:
        return None
    return colon + 1, last_at


def _secrets(target: str) -> list[str]:
    """Every password ``target`` holds, as written and as decoded, longest first."""
    found: list[str] = []
    span = _userinfo_span(target)
    if span is not None:
        found.append(target[span[0] : span[1]])
    found += [m.group(2) for m in _QUERY_SECRET.finditer(target)]
    for match in _KEYVALUE_SECRET.finditer(target):
        value = match.group(2)
        found.append(value)
        if value.startswith("'"):
            found.append(value.strip("'").replace("\\'", "'").replace("\\\\", "\\"))
    decoded = [form(s) for s in found for form in (unquote, unquote_plus)]
    return sorted({s for s in (*found, *decoded) if s}, key=len, reverse=True)


def redacted(uri: str) -> str:
    """``uri`` with any password replaced by ``***``: a URI's user info and its
    ``password=`` parameter, or a ``key=value`` string's ``password``. Never raises, whatever
    the text (a URI too broken to parse keeps nothing that could be its password)."""
    if not isinstance(uri, str):
        return "<a database connection>"
    secrets = _secrets(uri)
    text = uri
    span = _userinfo_span(text)
    if span is not None:
        text = text[: span[0]] + "***" + text[span[1] :]
    text = _EMBEDDED_USERINFO.sub(r"\1***@", text)  # a URI quoted inside a message
    text = _QUERY_SECRET.sub(r"\1***", text)
    text = _KEYVALUE_SECRET.sub(r"\1***", text)
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def _scrubbed(text: str, target: Any = None) -> str:
    """``text`` (a driver's message) with every password of ``target`` and of the
    environment's ``PGPASSWORD`` replaced by ``***``, and any connection string in it
    redacted."""
    secrets = _secrets(target) if isinstance(target, str) else []
    environment = os.environ.get("PGPASSWORD")
    if environment:
        secrets.append(environment)
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return redacted(text)


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


def output_table(name: str) -> str:
    """An output table's name, checked and quoted: a temporary schema is refused, since its
    rows would vanish with the connection (``temp`` in SQLite, ``pg_temp`` in PostgreSQL).

    Raises:
        ValidationError: a bad table name, or one in a temporary schema.
    """
    target = quoted(name)
    schema = name.split(".")[0].lower() if "." in name else ""
    if schema == "temp" or schema.startswith("pg_temp"):
        fail(
            "table",
            name,
            "is in a temporary schema, whose rows vanish with the connection: name a table in "
            "a lasting schema",
        )
    return target


@attrs.frozen
class Source:
    """Where one input kind comes from in the database: a table, or a query of yours.

    Attributes:
        table: a table name (checked and quoted), or ``None``.
        query: a SQL query of your own (its rows are read as a table's), or ``None``. It may
            only read: it runs in a read-only transaction (PostgreSQL) or on a read-only
            connection (SQLite), and what it tries to change is refused and left unchanged.
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


def _driver_error(error: BaseException) -> bool:
    return isinstance(error, sqlite3.Error) or type(error).__module__.startswith("psycopg")


@contextmanager
def connected(target: str | Any, *, write: bool = False) -> Iterator[Any]:
    """A DB-API connection for ``target``: opened (and closed) for a URI, or yours as given.

    A SQLite file opened to read is opened read-only (``mode=ro``); one opened to ``write``
    waits up to ``LOCK_WAIT_SECONDS`` for another writer.

    Raises:
        ReadError: the database cannot be opened (the message shows no password).
    """
    if not isinstance(target, str):
        yield target
        return
    dialect = dialect_of(target)
    problem = None
    try:
        if dialect == "sqlite":
            path = _sqlite_path(target)
            if write or path == ":memory:":
                connection: Any = sqlite3.connect(path, timeout=LOCK_WAIT_SECONDS)
            else:
                connection = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True)
        else:
            try:
                import psycopg
            except ImportError:
                fail("database", redacted(target), "PostgreSQL needs pip install 'logicrm[db]'")
            connection = psycopg.connect(target, autocommit=True)
    except (sqlite3.Error, OSError) as error:
        problem = _short(error, target)
    except Exception as error:
        if not _driver_error(error):
            raise
        problem = _short(error, target)
    if problem is not None:  # raised here, so no driver exception is kept as its context
        raise ReadError(redacted(target), f"cannot be opened ({problem})")
    try:
        yield connection
    finally:
        connection.close()


def _short(error: BaseException, target: Any = None) -> str:
    """The first line of a driver's error, with no password in it, should it echo one."""
    text = str(error).strip()
    text = text.splitlines()[0] if text else type(error).__name__
    return _scrubbed(text, target)[:200]


_SQLITE_READS = frozenset(
    {
        sqlite3.SQLITE_SELECT,
        sqlite3.SQLITE_READ,
        sqlite3.SQLITE_FUNCTION,
        sqlite3.SQLITE_RECURSIVE,
    }
)
_SQLITE_ACTIONS = {
    sqlite3.SQLITE_ATTACH: "ATTACH (and VACUUM)",
    sqlite3.SQLITE_DETACH: "DETACH",
    sqlite3.SQLITE_PRAGMA: "PRAGMA",
    sqlite3.SQLITE_TRANSACTION: "a transaction statement",
}


@contextmanager
def _sqlite_reading(connection: sqlite3.Connection) -> Iterator[list[str]]:
    """``connection`` allowed only to read while the block runs: ``query_only`` on, and an
    authorizer refusing every action but reading (a write, ``ATTACH``, ``VACUUM``, a
    ``PRAGMA``). Yields the list the refused actions are named in."""
    refused: list[str] = []

    def authorize(action: int, *_: Any) -> int:
        if action in _SQLITE_READS:
            return sqlite3.SQLITE_OK
        refused.append(_SQLITE_ACTIONS.get(action, "a write"))
        return sqlite3.SQLITE_DENY

    was = connection.execute("PRAGMA query_only").fetchone()[0]
    connection.execute("PRAGMA query_only = ON")
    connection.set_authorizer(authorize)
    try:
        yield refused
    finally:
        connection.set_authorizer(None)
        if not was:
            connection.execute("PRAGMA query_only = OFF")


@contextmanager
def _postgres_reading(connection: Any) -> Iterator[list[str]]:
    """A read-only transaction (a savepoint in yours, when one is open), always rolled back:
    whatever a query or a function it calls tries to change fails and is undone."""
    with connection.transaction(force_rollback=True):
        connection.execute("SET TRANSACTION READ ONLY")
        yield []


@contextmanager
def reading(
    target: str | Any, source: Source
) -> Iterator[tuple[list[str], Iterator[tuple[Any, ...]]]]:
    """The column names and rows of ``source``, streamed (a server-side cursor on
    PostgreSQL), read with a connection that cannot write.

    Raises:
        ReadError: the database, table or query cannot be read (the driver's first line,
            with no password), or the query tried to change something.
    """
    with connected(target) as connection, ExitStack() as stack:
        postgres = dialect_of(connection) == "postgresql"
        guard = _postgres_reading if postgres else _sqlite_reading
        problem = None
        try:  # a connection of yours may be closed, or in a failed transaction
            refused = stack.enter_context(guard(connection))
        except Exception as error:
            if not _driver_error(error):
                raise
            problem = ReadError(source.name, f"cannot be read ({_short(error, target)})")
        if problem is not None:
            raise problem
        cursor, names, first = _started(connection, source, target, refused, postgres)
        try:
            yield names, _fetched(cursor, first, source, target, refused)
        finally:
            with suppress(Exception):
                cursor.close()


def _refusal(source: Source, error: BaseException, target: Any, refused: list[str]) -> ReadError:
    if refused:
        return ReadError(source.name, f"may only read: {refused[0]} is refused")
    return ReadError(source.name, f"cannot be read ({_short(error, target)})")


def _started(
    connection: Any, source: Source, target: Any, refused: list[str], postgres: bool
) -> tuple[Any, list[str], list[tuple[Any, ...]]]:
    problem = None
    try:
        if postgres:
            cursor = connection.cursor(name="logicrm_read")
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
        if not _driver_error(error) and not isinstance(error, (TypeError, ValueError)):
            raise
        problem = _refusal(source, error, target, refused)
    if problem is not None:
        raise problem
    return cursor, names, first


def _fetched(
    cursor: Any, first: list[tuple[Any, ...]], source: Source, target: Any, refused: list[str]
) -> Iterator[tuple[Any, ...]]:
    batch = first
    while batch:
        yield from batch
        problem = None
        try:
            batch = cursor.fetchmany(FETCH_ROWS)
        except Exception as error:
            if not _driver_error(error):
                raise
            problem = _refusal(source, error, target, refused)
        if problem is not None:
            raise problem
