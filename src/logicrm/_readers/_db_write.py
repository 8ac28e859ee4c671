"""Database writes: scores and worklists written back under a lock on the target, the target's
shape checked first, transient failures retried a bounded number of times."""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any

from logicrm._readers._db import (
    _driver_error,
    _short,
    connected,
    dialect_of,
    output_table,
)
from logicrm.domain._checks import fail
from logicrm.errors import LogicrmError, ReadError

WRITE_ATTEMPTS = 5
""" How many times a write is tried when the server reports a serialization failure or a
deadlock (or SQLite stays locked), before the error is reported."""
_TIME_COLUMNS = frozenset({"as_of", "follow_up_due"})


def _money_type() -> str:
    """``NUMERIC(p, s)`` holding every amount the library allows: below ``10 ** 18``, with
    up to 34 decimal places."""
    from logicrm.domain._money import MAX_MAGNITUDE_EXPONENT, MAX_PLACES

    return f"NUMERIC({MAX_MAGNITUDE_EXPONENT + MAX_PLACES}, {MAX_PLACES})"


def _score_columns(dialect: str) -> dict[str, str]:
    """The scores table's columns and their SQL types: ``customer_id``, ``as_of``, then the
    assessment row's columns. Times are ``timestamptz`` (SQLite: ISO 8601 text with its
    offset), money ``NUMERIC(52, 34)`` (SQLite: text, since it has no exact decimal)."""
    import typing

    from logicrm._assess import ROW_COLUMNS, AssessmentRow

    postgres = dialect == "postgresql"
    types = {
        str: "TEXT",
        float: "DOUBLE PRECISION" if postgres else "REAL",
        bool: "BOOLEAN" if postgres else "INTEGER",
        int: "BIGINT" if postgres else "INTEGER",
        Decimal: _money_type() if postgres else "TEXT",
    }
    hints = typing.get_type_hints(AssessmentRow)
    time = "TIMESTAMPTZ" if postgres else "TEXT"
    columns = {"customer_id": "TEXT NOT NULL", "as_of": f"{time} NOT NULL"}
    for name in ROW_COLUMNS:
        if name == "customer_id":
            continue
        kinds = [k for k in typing.get_args(hints[name]) if k is not type(None)] or [hints[name]]
        columns[name] = time if name in _TIME_COLUMNS else types[kinds[0]]
    return columns


def _existing_columns(connection: Any, dialect: str, table: str, target: str) -> list[str]:
    """The columns of ``table`` in order (none when it does not exist). A table of that name
    in the connection's temporary schema is refused: it would shadow the lasting one and its
    rows would vanish with the connection."""
    cursor = connection.cursor()
    schema, _, name = table.rpartition(".")
    if dialect == "sqlite":
        if not schema and cursor.execute(f'PRAGMA temp.table_info("{name}")').fetchall():
            output_table(f"temp.{name}")
        prefix = f'"{schema}".' if schema else ""
        cursor.execute(f'PRAGMA {prefix}table_info("{name}")')
        return [row[1] for row in cursor.fetchall()]
    cursor.execute(
        "SELECT c.relpersistence FROM pg_class c WHERE c.oid = to_regclass(%s)", (target,)
    )
    found = cursor.fetchone()
    if found is not None and found[0] == "t":
        output_table(f"pg_temp.{name}")
    cursor.execute(
        "SELECT a.attname FROM pg_attribute a WHERE a.attrelid = to_regclass(%s) "
        "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        (target,),
    )
    return [row[0] for row in cursor.fetchall()]


def _check_shape(table: str, existing: list[str], columns: Mapping[str, str]) -> None:
    if existing == list(columns):
        return
    missing = [c for c in columns if c not in existing]
    extra = [c for c in existing if c not in columns]
    parts = (
        f"missing {', '.join(missing)}" if missing else "",
        f"unexpected {', '.join(extra)}" if extra else "",
        "columns in another order" if not missing and not extra else "",
    )
    fail(
        "table",
        table,
        "exists with another shape: "
        + "; ".join(p for p in parts if p)
        + ". Name another table, or drop this one",
    )


def write_rows(
    database: Any,
    table: str,
    rows: Iterable[Mapping[str, Any]],
    *,
    as_of: datetime,
    replace_snapshot: bool = False,
    shape: Callable[[str], dict[str, str]] | None = None,
    key: tuple[str, ...] = ("customer_id", "as_of"),
) -> int:
    """See [`logicrm.io.write_scores`][logicrm.io.write_scores]. ``shape`` gives another
    table's columns and SQL types by dialect (the scores' by default), ``key`` its primary
    key; an ``as_of`` column takes ``as_of``, every other column its row's value."""
    target = output_table(table)
    with connected(database, write=True) as connection:
        dialect = dialect_of(connection)
        postgres = dialect == "postgresql"
        columns = (shape or _score_columns)(dialect)
        stamp: Any = as_of if postgres else as_of.isoformat()
        identity = [c for c in key if c != "as_of"]
        by_key: dict[tuple[str, ...], tuple[Any, ...]] = {}
        for row in rows:  # one row per key, the last given; then in key order
            cells = []
            for name in columns:
                value = stamp if name == "as_of" else row[name]
                if not postgres and isinstance(value, Decimal):
                    value = str(value)
                elif not postgres and isinstance(value, datetime):
                    value = value.isoformat()
                cells.append(value)
            by_key[tuple(str(row[c]) for c in identity)] = tuple(cells)
        ordered = [by_key[k] for k in sorted(by_key)]
        problem = None
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                with _transaction(connection, dialect):
                    _lock(connection, dialect, table)
                    existing = _existing_columns(connection, dialect, table, target)
                    if existing:
                        _check_shape(table, existing, columns)
                    else:
                        definitions = ", ".join(f'"{c}" {t}' for c, t in columns.items())
                        primary = "PRIMARY KEY (" + ", ".join(f'"{c}"' for c in key) + ")"
                        connection.execute(
                            f"CREATE TABLE IF NOT EXISTS {target} ({definitions}, {primary})"
                        )
                    if replace_snapshot:
                        mark = "%s" if postgres else "?"
                        connection.execute(f'DELETE FROM {target} WHERE "as_of" = {mark}', (stamp,))
                    if postgres:
                        _copy_upsert(connection, target, columns, ordered, key)
                    else:
                        _sqlite_upsert(connection, target, columns, ordered, key)
                return len(ordered)
            except LogicrmError:
                raise
            except Exception as error:
                if not _driver_error(error):
                    raise
                if _transient(error) and attempt < WRITE_ATTEMPTS:
                    time.sleep(random.uniform(0.05, 0.2) * attempt)
                    continue
                problem = _short(error, database)
                if _transient(error):
                    problem += f"; tried {WRITE_ATTEMPTS} times"
            break
        raise ReadError(table, f"cannot be written ({problem})")


def _transient(error: BaseException) -> bool:
    """A serialization failure, a deadlock, a lock not granted, or SQLite still locked:
    worth another try."""
    if isinstance(error, sqlite3.OperationalError):
        return "locked" in str(error) or "busy" in str(error)
    return getattr(error, "sqlstate", None) in ("40001", "40P01", "55P03")


def _lock(connection: Any, dialect: str, table: str) -> None:
    """Hold the target for this transaction, so another writer waits before even looking at
    its shape (SQLite: ``BEGIN IMMEDIATE`` already holds the database)."""
    if dialect != "postgresql":
        return
    schema, _, name = table.rpartition(".")
    connection.execute(
        "SELECT pg_advisory_xact_lock(hashtext('logicrm.scores:' || "
        "COALESCE(%s, current_schema()) || '.' || %s))",
        (schema or None, name),
    )


def _copy_upsert(
    connection: Any,
    target: str,
    columns: Mapping[str, str],
    rows: list[tuple[Any, ...]],
    key: tuple[str, ...],
) -> None:
    """The rows ``COPY``-ed into a staging table, then one ``INSERT ... ON CONFLICT`` in key
    order."""
    names = ", ".join(f'"{c}"' for c in columns)
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c not in key)
    keys = ", ".join(f'"{c}"' for c in key)
    cursor = connection.cursor()
    cursor.execute("DROP TABLE IF EXISTS pg_temp.logicrm_staging")
    definitions = ", ".join(f'"{c}" {t}' for c, t in columns.items())
    cursor.execute(f"CREATE TEMP TABLE logicrm_staging ({definitions}) ON COMMIT DROP")
    with cursor.copy(f"COPY pg_temp.logicrm_staging ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    cursor.execute(
        f"INSERT INTO {target} ({names}) SELECT {names} FROM pg_temp.logicrm_staging "
        f"ORDER BY {keys} ON CONFLICT ({keys}) DO UPDATE SET {updates}"
    )


def _sqlite_upsert(
    connection: Any,
    target: str,
    columns: Mapping[str, str],
    rows: list[tuple[Any, ...]],
    key: tuple[str, ...],
) -> None:
    names = ", ".join(f'"{c}"' for c in columns)
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c not in key)
    keys = ", ".join(f'"{c}"' for c in key)
    connection.executemany(
        f"INSERT INTO {target} ({names}) VALUES ({', '.join(['?'] * len(columns))}) "
        f"ON CONFLICT ({keys}) DO UPDATE SET {updates}",
        rows,
    )


@contextmanager
def _transaction(connection: Any, dialect: str) -> Iterator[None]:
    """One writing transaction: committed whole, or rolled back whole. SQLite's begins
    ``IMMEDIATE``, holding the database's write lock from the start."""
    if dialect == "postgresql":
        with connection.transaction():
            yield
        return
    if connection.in_transaction:
        connection.commit()  # sqlite3's implicit transaction of earlier statements
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        connection.rollback()
        raise
    connection.commit()
