"""The worklist as a task feed out to where people work: the database table upserted on the
item id, the previous run's feed read back, and iCalendar to-dos per owner."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from logicrm.retention import WorkItem

_TYPES = {
    "rank": "int",
    "days_overdue": "int",
    "key_customer": "bool",
    "churn_flag": "bool",
    "breach": "bool",
    "value_score": "float",
    "priority": "float",
    "due_at": "time",
}


def feed_columns(dialect: str) -> dict[str, str]:
    """The feed table's columns and SQL types: ``id`` (the primary key), ``as_of`` (the run
    that last wrote the row), then the worklist's columns."""
    from logicrm.retention import WORKLIST_COLUMNS

    postgres = dialect == "postgresql"
    sql = {
        "int": "BIGINT" if postgres else "INTEGER",
        "bool": "BOOLEAN" if postgres else "INTEGER",
        "float": "DOUBLE PRECISION" if postgres else "REAL",
        "time": "TIMESTAMPTZ" if postgres else "TEXT",
        "text": "TEXT",
    }
    columns = {"id": "TEXT NOT NULL", "as_of": f"{sql['time']} NOT NULL"}
    for name in WORKLIST_COLUMNS:
        if name != "id":
            columns[name] = sql[_TYPES.get(name, "text")]
    return columns


def feed_rows(items: Iterable[WorkItem]) -> Iterator[dict[str, Any]]:
    """The items' rows with ``due_at`` as an aware datetime (the column is a time)."""
    for item in items:
        yield {**item.row(), "due_at": item.due_at}


def read_feed(source: str | Path, *, database: Any = None) -> list[dict[str, Any]]:
    """The rows of a feed ``logicrm worklist`` wrote: a CSV, JSON Lines or Parquet file, or,
    with ``database``, a table of it (its rows of the latest ``as_of``: the last run's)."""
    if database is not None:
        from logicrm._readers._db import Source, reading

        with reading(database, Source(table=str(source))) as (names, values):
            rows = [dict(zip(names, row, strict=True)) for row in values]
        # the table keeps the rows of items no longer listed: the last run's are the newest
        last = max((str(r.get("as_of")) for r in rows), default=None)
        return [r for r in rows if str(r.get("as_of")) == last]
    path = Path(source)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq  # optional dependency, only for Parquet

        table: list[dict[str, Any]] = pq.read_table(path).to_pylist()
        return table
    with path.open(encoding="utf-8", newline="") as handle:
        if suffix in (".jsonl", ".ndjson", ".json"):
            return [json.loads(line) for line in handle if line.strip()]
        return [dict(row) for row in csv.DictReader(handle)]


# -- iCalendar ------------------------------------------------------------------------------

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,60}")


def calendar_name(owner: str | None) -> str:
    """The file name of an owner's calendar: ``AM-1.ics``; ``unowned.ics`` for the unowned
    items; an owner id unfit for a file name becomes ``owner-<hash>.ics``."""
    if owner is None:
        return "unowned.ics"
    if _SAFE_NAME.fullmatch(owner) and owner != "unowned":
        return f"{owner}.ics"
    return f"owner-{hashlib.blake2b(owner.encode(), digest_size=6).hexdigest()}.ics"


def calendar_bytes(items: Iterable[WorkItem], *, stamp: datetime, name: str) -> bytes:
    """One VCALENDAR holding a VTODO per item: its id as the UID, what to do and for whom as
    the summary, the due date, the priority (1 for the first items, 9 for the last), the
    reasons as the description and the kind as the category."""
    from icalendar import Calendar, Todo  # optional dependency, only for calendars

    from logicrm.retention._contact_items import WHAT

    calendar = Calendar()
    calendar.add("prodid", "-//logicrm//worklist//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    for item in items:
        todo = Todo()
        todo.add("uid", f"{item.id}@logicrm")
        todo.add("dtstamp", stamp)
        todo.add("summary", f"{WHAT[item.task]}: {item.customer_id}")
        todo.add("due", item.due_at)
        todo.add("status", "NEEDS-ACTION")
        todo.add("priority", _ical_priority(item.priority))
        todo.add("categories", [item.task.value])
        lines = [r.message for r in item.reasons]
        if item.deferred:
            lines.append(f"deferred: {item.deferred}")
        if item.breach:
            lines.append("in the breach report")
        todo.add("description", "\n".join(lines))
        calendar.add_component(todo)
    data: bytes = calendar.to_ical()
    return data


def _ical_priority(priority: float) -> int:
    """RFC 5545's 1 (highest) to 9 (lowest) from the worklist's priority (about 0-220)."""
    return max(1, min(9, 9 - int(priority // 20)))


def write_calendars(
    folder: Path, items: Iterable[WorkItem], *, stamp: datetime
) -> dict[str | None, Path]:
    """One ``.ics`` file per owner in ``folder`` (created if missing); returns each owner's
    file."""
    split: dict[str | None, list[WorkItem]] = {}
    for item in items:
        split.setdefault(item.owner, []).append(item)
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str | None, Path] = {}
    for owner, mine in split.items():
        path = folder / calendar_name(owner)
        name = f"logicrm: {owner or 'unowned'}"
        path.write_bytes(calendar_bytes(mine, stamp=stamp, name=name))
        written[owner] = path
    return written
