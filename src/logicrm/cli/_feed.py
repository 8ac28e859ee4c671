"""``logicrm worklist`` as a task feed: the task-state log read in, the previous run's feed
compared, and the feed written to a database table and to calendars per owner."""

from __future__ import annotations

import argparse
from typing import Any

from logicrm.cli._common import UsageError, _check_readable, _check_writable, _say

_FEED_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".json", ".parquet")


def check_feed_options(args: argparse.Namespace, run: Any) -> None:
    """Check ``--task-states``, ``--previous``, their ``-table`` forms and ``--calendar``
    before any work."""
    for option, path in (("--task-states", args.task_states), ("--previous", args.previous)):
        if path is None:
            continue
        _check_readable(path, f"{option} file")
        if path.suffix.lower() not in _FEED_SUFFIXES:
            raise UsageError(f"{option} {path}: use .csv, .jsonl or .parquet")
    for option, file, table in (
        ("previous", args.previous, args.previous_table),
        ("task-states", args.task_states, args.task_states_table),
    ):
        if file is not None and table is not None:
            raise UsageError(f"give --{option} FILE or --{option}-table NAME, not both")
        if table is not None and run.database is None:
            raise UsageError(f"--{option}-table needs --db URI (or LOGICRM_DB_URL)")
    if args.calendar is not None:
        try:
            import icalendar  # noqa: F401
        except ImportError:
            raise UsageError(
                "--calendar needs the icalendar package: pip install 'logicrm[calendar]'"
            ) from None
        if args.calendar.exists() and not args.calendar.is_dir():
            raise UsageError(f"--calendar {args.calendar}: give a folder (one .ics per owner)")
        if args.calendar.is_dir():
            _check_writable(args.calendar / "unowned.ics", "--calendar", (".ics",))
        else:
            _check_writable(args.calendar, "--calendar")  # its folder: made at the end


def read_states(args: argparse.Namespace, run: Any) -> tuple[Any, ...]:
    """The task-state log of ``--task-states`` or ``--task-states-table``; rejected rows are
    reported and skipped."""
    if args.task_states is None and args.task_states_table is None:
        return ()
    from logicrm import io
    from logicrm.errors import LogicrmError
    from logicrm.retention import TaskState

    try:
        if args.task_states is not None:
            where = args.task_states.name
            result = io.read(
                args.task_states, TaskState, encoding=args.encoding, delimiter=args.delimiter
            )
        else:
            from logicrm._readers._db import Source
            from logicrm.cli._run import chosen_engine

            where = f"table {args.task_states_table}"
            refused: list[Any] = []
            read = io._stream_db(
                run.database,
                TaskState,
                Source(table=args.task_states_table),
                on_reject=refused.append,
                columnar=chosen_engine(run.inputs.engine) == "columnar",
            )
            result = io.ReadResult(tuple(read), tuple(refused))
    except LogicrmError as error:
        raise UsageError(f"--task-states: {error}") from None
    for rejection in result.rejected[:10]:
        _say(f"task states row {rejection.line}: {rejection.column}: {rejection.reason}")
    if len(result.rejected) > 10:
        _say(f"  ... and {len(result.rejected) - 10} more task-state rows rejected")
    _say(f"read {len(result.ok):,} task states from {where}")
    return result.ok


def read_previous(args: argparse.Namespace, run: Any) -> list[dict[str, Any]] | None:
    """The previous run's feed, from ``--previous`` or ``--previous-table``."""
    from logicrm._feed import read_feed
    from logicrm.errors import LogicrmError

    try:
        if args.previous is not None:
            return read_feed(args.previous)
        if args.previous_table is not None:
            return read_feed(args.previous_table, database=run.database)
    except LogicrmError as error:
        raise UsageError(f"--previous: {error}") from None
    except (OSError, ValueError) as error:
        raise UsageError(f"--previous {args.previous}: cannot be read ({error})") from None
    return None


def feed_out(work: Any, args: argparse.Namespace, run: Any, previous: Any) -> None:
    """The digest against the previous run, the database table and the calendars."""
    from logicrm.errors import LogicrmError

    if previous is not None:
        from logicrm.retention import worklist_changes

        _say(worklist_changes(previous, work).text().rstrip("\n"))
    feed = work.everything()
    if args.output_table is not None:
        from logicrm import io

        try:
            written = io.write_worklist(run.database, args.output_table, feed, as_of=run.as_of)
        except LogicrmError as error:
            raise UsageError(str(error)) from None
        _say(f"{written} work items upserted into table {args.output_table} on their ids")
    if args.calendar is not None:
        from logicrm._feed import write_calendars

        files = write_calendars(args.calendar, feed, stamp=run.as_of)
        _say(
            f"{len(feed)} to-dos in {len(files)} calendar files in {args.calendar}: "
            + ", ".join(sorted(p.name for p in files.values()))
        )
