"""``logicrm score``: its options, the checks made before any work, and its outputs."""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import attrs

from logicrm._safety import terminal_text
from logicrm.cli._common import (
    EXIT_OK,
    EXIT_REJECTS,
    UsageError,
    _check_readable,
    _check_writable,
    _load_policies,
    _load_settings,
    _say,
)

_FORMATS = ("table", "csv", "jsonl", "parquet")


_SUFFIXES = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".txt": "table",
}


_INPUT_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".json", ".parquet")


_REJECT_SUFFIXES = (".jsonl", ".ndjson", ".csv")


# The optional inputs of `score`, by the field of logicrm.cli._run.Inputs they fill.
_INPUTS = {
    "customers": "customers (CSV, JSON Lines or Parquet)",
    "credit_profiles": "credit profiles with financial statements (JSON Lines)",
    "invoices": "invoices, aged at --as-of into each profile's receivable and overdue",
    "complaints": "complaints, checked against the complaint SLAs",
    "surveys": "SERVQUAL survey responses (JSON Lines, or long-form CSV / Parquet)",
    "standards": "service standards (requirements, beliefs, standards, promises)",
    "interactions": "the contact log (visits, surveys, calls, enquiries): adds each customer's "
    "contact plan and the follow-ups due",
    "spend_estimates": "estimates of each customer's total annual logistics spend, for the "
    "customer share",
}


def _load_mappings(path: Path) -> Any:
    from logicrm.cli._run import load_mappings

    return _load_settings(path, "mapping file", load_mappings)


def parse_as_of(text: str) -> datetime:
    """``--as-of``: an aware ISO 8601 moment, or a bare date meaning the end of it in UTC:
    its last instant, ``23:59:59.999999+00:00``, so every shipment of that day counts."""
    from datetime import UTC, date, time

    try:
        moment = datetime.combine(date.fromisoformat(text), time.max, tzinfo=UTC)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise UsageError(
                f"--as-of {text[:40]!r} is not an ISO 8601 date or date-time "
                "(e.g. 2026-06-30 or 2026-06-30T18:00:00+08:00)"
            ) from None
    if moment.tzinfo is None:
        raise UsageError(f"--as-of {text!r} needs an offset such as +08:00 or Z")
    if not 1900 <= moment.year <= 2999 or not 1900 <= moment.astimezone(UTC).year <= 2999:
        raise UsageError(f"--as-of {text!r} must fall between the years 1900 and 2999")
    return moment


@attrs.frozen
class _Run:
    """A command's checked options: everything that could fail is known before any work."""

    inputs: Any
    as_of: datetime
    policies: Any
    fmt: str
    target: Path
    show: bool
    database: str | None = attrs.field(repr=False)


def _prepare(args: argparse.Namespace, formats: dict[str, str]) -> _Run:
    """Check every option of ``score`` or ``worklist`` before any work, so a bad path never
    costs a run; ``formats`` maps the output suffixes the command writes to formats."""
    from logicrm.cli._run import Inputs
    from logicrm.policies import Policies

    as_of = parse_as_of(args.as_of)
    files = {kind: getattr(args, kind) for kind in ("shipments", *_INPUTS)}
    database, sources = _database_options(args, files)
    for kind, path in files.items():
        if path is not None:
            _check_readable(path, f"{kind.replace('_', ' ')} file")
            if path.suffix.lower() not in _INPUT_SUFFIXES:
                raise UsageError(f"{kind} file {path}: use .csv, .jsonl or .parquet")
    _check_text_options(args)
    inputs = Inputs(
        **files,
        encoding=args.encoding,
        delimiter=args.delimiter,
        value=args.value,
        allow_weak_fit=args.allow_weak_fit,
        engine=args.engine,
        database=database,
        sources=sources,
    )
    if args.output is not None:
        _check_writable(args.output, "--output")
    fmt = args.format
    if fmt is None and args.output is not None:
        fmt = formats.get(args.output.suffix.lower())
        if fmt is None:
            names = ", ".join(sorted(formats))
            raise UsageError(
                f"--output {args.output}: unknown suffix {args.output.suffix or '(none)'!r}; "
                f"use {names}, or name the format with --format"
            )
    fmt = fmt or "table"
    if fmt == "parquet" and args.output is None:
        raise UsageError("--format parquet needs --output FILE")
    if args.output is not None and any(
        p is not None and _same_file(p, args.output) for p in files.values()
    ):
        raise UsageError(f"--output {args.output} is one of the inputs; name another file")
    target = args.rejects or (args.output.parent if args.output else Path.cwd()) / "rejects.jsonl"
    _check_writable(target, "--rejects", _REJECT_SUFFIXES)
    if any(p is not None and _same_file(p, target) for p in (*files.values(), args.output)):
        raise UsageError(f"--rejects {target} is an input or the output; name another file")
    policies = _load_policies(args.policy) if args.policy is not None else Policies()
    if args.mapping is not None:
        inputs = attrs.evolve(inputs, mappings=_load_mappings(args.mapping))
    show = args.progress if args.progress is not None else sys.stderr.isatty()
    return _Run(inputs, as_of, policies, fmt, target, show, database)


def _assessed(
    run: _Run, *, rows_only: bool, records: list[Any] | None = None
) -> tuple[Any, list[Any]]:
    """Score the run's inputs and report the rejected rows; raises a usage error when no
    customer is left to assess."""
    from logicrm.cli._run import no_results_reason, score
    from logicrm.errors import LogicrmError

    fits: list[str] = []
    try:
        results, rejected = score(
            run.inputs,
            as_of=run.as_of,
            policies=run.policies,
            progress=sys.stderr if run.show else None,
            fits=fits,
            rows_only=rows_only,
            records=records,
        )
    except LogicrmError as error:
        raise UsageError(str(error)) from None
    for line in fits:
        _say(f"lifetime value: {line}")
    target = run.target
    if rejected:
        report_rejects(target, rejected)
    elif target.exists():
        target.unlink()
        _say(f"no rows rejected; removed {target}, left by an earlier run")
    if not results:
        raise UsageError(no_results_reason(run.inputs, rejected))
    return results, rejected


def run_score(args: argparse.Namespace) -> int:
    from logicrm.errors import LogicrmError

    run = _prepare(args, _SUFFIXES)
    if args.replace_snapshot and args.output_table is None:
        raise UsageError("--replace-snapshot needs --output-table NAME")
    # The terminal table needs whole assessments; the database and files need rows only.
    table_shown = run.fmt == "table" and (args.output is not None or args.output_table is None)
    results, rejected = _assessed(run, rows_only=not table_shown)
    if args.output_table is not None:
        from logicrm.io import write_scores

        if run.show:
            sys.stderr.write(f"writing {len(results):,} scores to table {args.output_table}\n")
            sys.stderr.flush()
        try:
            written = write_scores(
                run.database,
                args.output_table,
                results.rows(),
                as_of=run.as_of,
                replace_snapshot=args.replace_snapshot,
            )
        except LogicrmError as error:
            raise UsageError(str(error)) from None
        _say(f"{written} scores written to table {args.output_table}")
    if args.output is not None or args.output_table is None:
        _write(results, run.fmt, args.output, wide=args.wide)
    _say(f"{len(results)} customers assessed at {run.as_of.isoformat()}")
    return EXIT_REJECTS if rejected and args.strict else EXIT_OK


def report_rejects(target: Path, rejected: list[Any]) -> None:
    """Write the rejected rows to ``target`` (readable by you alone) and name the first ten
    on stderr."""
    from logicrm.cli._run import write_rejects

    write_rejects(target, rejected)
    _say(f"{len(rejected)} rows rejected, written to {target} (readable by you alone):")
    for item in rejected[:10]:
        _say(f"  {item.place}: {item.rejection.column}: {item.rejection.reason}")
    if len(rejected) > 10:
        _say(f"  ... and {len(rejected) - 10} more")


_WORKLIST_SUFFIXES = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".txt": "table",
}


def run_worklist(args: argparse.Namespace) -> int:
    """``logicrm worklist``: assess as ``score`` does, then every contact due, in order."""
    from logicrm.retention import worklist

    if args.limit is not None and args.limit < 1:
        raise UsageError(f"--limit {args.limit}: give a number of lines of at least 1")
    from logicrm.cli._feed import check_feed_options, feed_out, read_previous, read_states

    run = _prepare(args, _WORKLIST_SUFFIXES)
    if not run.inputs.has("interactions"):
        raise UsageError(
            "worklist needs the contact log: give --interactions FILE (visits, surveys, calls; "
            "an empty file with a header says there were none)"
        )
    check_feed_options(args, run)
    states = read_states(args, run)
    previous = read_previous(args, run)
    customers: list[Any] = []
    results, rejected = _assessed(run, rows_only=False, records=customers)
    owners = run.policies.owners
    work = worklist(
        results, policy=run.policies.contact, states=states, owners=owners, customers=customers
    )
    shown = work if args.limit is None else work[: args.limit]
    breaches = work.breaches if args.limit is None else work.breaches[: args.limit]
    deferred = work.deferred if args.limit is None else work.deferred[: args.limit]
    everything = [*shown, *breaches, *deferred] if run.fmt != "table" else shown
    if run.fmt == "table" and any(item.owner is not None for item in work):
        write_owned(work, shown, args.output, wide=args.wide)
    else:
        write_worklist(everything, run.fmt, args.output, wide=args.wide)
    feed_out(work, args, run, previous)
    if run.fmt == "table" and breaches:
        text = breach_text(breaches, work.stale_after_days, wide=args.wide)
        if args.output is None:
            sys.stdout.write(text)
        else:
            with args.output.open("a", encoding="utf-8") as out:
                out.write(text)
    _say(
        f"{work.summary()}; {len(results)} customers at {run.as_of.isoformat()}"
        + (
            f"; the first {args.limit} of each shown"
            if len(shown) < len(work) or len(breaches) < len(work.breaches)
            else ""
        )
    )
    return EXIT_REJECTS if rejected and args.strict else EXIT_OK


def write_owned(work: Any, shown: Any, output: Path | None, *, wide: bool = False) -> None:
    """Today's list for a terminal, one section per owner (unowned last), each saying how
    much of the owner's week it takes."""
    from logicrm.domain._reason import plural

    listed = {item.id for item in shown}
    parts = []
    for owner, items in work.by_owner().items():
        mine = [item for item in items if item.id in listed]
        if not mine:
            continue
        put_off = sum(1 for item in work.deferred if item.owner == owner)
        head = f"{owner or 'unowned'}: {plural(len(mine), 'item')}" + (
            f", {plural(put_off, 'item')} deferred past the week's capacity" if put_off else ""
        )
        parts.append(f"== {terminal_text(head)} ==\n" + worklist_text(mine, wide=wide))
    text = "\n".join(parts) or worklist_text([], wide=wide)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def write_worklist(items: Any, fmt: str, output: Path | None, *, wide: bool = False) -> None:
    """The worklist as a table (each line's reasons under it), CSV or JSON Lines."""
    from logicrm.retention import WORKLIST_COLUMNS

    _emit(
        fmt,
        output,
        table=lambda whole: worklist_text(items, wide=wide or whole),
        rows=lambda: [item.row() for item in items],
        columns=WORKLIST_COLUMNS,
    )


def _emit(
    fmt: str,
    output: Path | None,
    *,
    table: Callable[[bool], str],
    rows: Callable[[], Any],
    columns: Sequence[str],
    frame: Any = None,
) -> None:
    """Write a command's result: the text table (every character when it goes to a file,
    which has no width) or the rows as ``fmt``, to ``output`` or standard output."""
    from logicrm import io

    if fmt == "table":
        text = table(output is not None)
        if output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text, encoding="utf-8")
        return

    def write(path: Path) -> None:
        if frame is None:
            io.write(path, rows(), format=fmt, columns=columns)
        else:  # the same bytes, written by polars
            from logicrm._engine._write_rows import write_frame
            from logicrm._readers._text import _format_of

            write_frame(path, frame, _format_of(path, fmt))

    if output is not None:
        write(output)
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"out.{fmt}"
        write(path)
        _copy(path, sys.stdout)


def worklist_text(items: Any, *, wide: bool = False) -> str:
    """The worklist for a terminal: one line per item, why it is due and why it ranks
    there under it."""
    from logicrm._table import WIDTH, render_table
    from logicrm.retention._contact_items import WHAT

    rows, notes = [], []
    for item in items:
        rows.append(
            [
                item.rank,
                item.customer_id,
                WHAT[item.task] + ("" if item.severity is None else f" ({item.severity.value})"),
                item.status.value,
                item.due_at.date().isoformat(),
                item.days_overdue,
                f"{item.priority:.1f}",
                "-" if item.action is None else item.action,  # the table reads it as its label
            ]
        )
        notes.append(f"{item.reasons[0].message}\nrank: {item.ranked_by}")
    headers = ["#", "customer", "to do", "status", "due", "days over", "priority", "next action"]
    if not rows:
        return "nothing due: every planned contact is ahead of its date\n"
    return render_table(headers, rows, max_width=None if wide else WIDTH, notes=notes) + "\n"


def breach_text(items: Any, stale_after_days: int, *, wide: bool = False) -> str:
    """The breach report for a terminal: what is overdue past saving this week."""
    return (
        f"\nBreach report: deadlines missed by more than {stale_after_days} days; review why "
        "with the team (work still open is on today's list too)\n" + worklist_text(items, wide=wide)
    )


def _database_options(
    args: argparse.Namespace, files: dict[str, Path | None]
) -> tuple[str | None, dict[str, Any]]:
    """``--db``, ``--table`` and ``--query``: the database URI and each input read from it,
    checked against the file options (one source per input)."""
    import os

    from logicrm._readers._db import Source, dialect_of, redacted
    from logicrm._readers._db import output_table as output_table_name
    from logicrm.cli._run import INPUT_KINDS
    from logicrm.errors import ValidationError

    database = args.db or os.environ.get("LOGICRM_DB_URL") or None
    sources: dict[str, Any] = {}
    for option, pairs in (("--table", args.table), ("--query", args.query)):
        for pair in pairs:
            kind, equals, text = pair.partition("=")
            kind = kind.strip().replace("-", "_")
            if not equals or not text.strip():
                raise UsageError(f"{option} {pair[:40]!r}: give KIND=..., e.g. shipments=orders")
            if kind not in INPUT_KINDS:
                raise UsageError(f"{option} {kind[:40]!r}: not an input; use one of {INPUT_KINDS}")
            if kind in sources or files.get(kind) is not None:
                raise UsageError(f"{kind} is given twice: use a file, a --table or a --query")
            try:
                sources[kind] = (
                    Source(table=text.strip()) if option == "--table" else Source(query=text)
                )
            except ValidationError as error:
                raise UsageError(f"{option} {kind}: {error}") from None
    output_table = getattr(args, "output_table", None)
    if (sources or output_table) and database is None:
        raise UsageError("--table, --query and --output-table need --db URI (or LOGICRM_DB_URL)")
    if database is not None:
        try:
            dialect_of(database)
        except ValidationError:
            raise UsageError(
                f"--db {redacted(database)[:80]!r}: use postgresql://... or sqlite:///path.db"
            ) from None
    if output_table is not None:
        try:
            output_table_name(output_table)
        except ValidationError as error:
            raise UsageError(f"--output-table: {error}") from None
    if files["shipments"] is None and "shipments" not in sources:
        raise UsageError("no shipments: give a shipments file, or --table shipments=NAME with --db")
    return database, sources


def _check_text_options(args: argparse.Namespace) -> None:
    import codecs

    if args.encoding is not None:
        try:
            codecs.lookup(args.encoding)
        except LookupError:
            raise UsageError(
                f"--encoding {args.encoding[:40]!r} is not a known encoding "
                "(try utf-8, gb18030 or utf-16)"
            ) from None
    if args.delimiter is not None:
        if args.delimiter in ("\\t", "tab"):
            args.delimiter = "\t"
        if len(args.delimiter) != 1 or args.delimiter in "\r\n\"'":
            raise UsageError(f"--delimiter {args.delimiter[:10]!r}: give one character, e.g. ';'")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return False


def _write(results: Any, fmt: str, output: Path | None, *, wide: bool = False) -> None:
    from logicrm._assess import ROW_COLUMNS

    _emit(
        fmt,
        output,
        table=lambda whole: table_text(results.values(), wide=wide or whole),
        rows=results.rows,
        columns=ROW_COLUMNS,
        frame=getattr(results, "frame", None),
    )


def _copy(path: Path, target: IO[str]) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        text = handle.read()
    # Piped, the text stays exact; on a terminal, no escape sequence from a file is obeyed.
    target.write(terminal_text(text) if target.isatty() else text)


def table_text(assessments: Any, *, wide: bool = False) -> str:
    """The terminal table: the columns worth reading, rates as percentages, each customer's
    top reason on a line of its own; it fits 120 columns (long text cut with "…") unless
    ``wide``."""
    from logicrm._table import WIDTH, render_table

    def percent(value: float | None) -> str:
        return "-" if value is None else f"{value:.1%}"

    rows, notes = [], []
    for a in assessments:
        row = a.row()
        first = a.top_reasons(1)  # one reason, whole: its message may hold "; " itself
        notes.append(first[0].message if first else "")
        rows.append(
            [
                row["customer_id"],
                row["tier"],
                row["abc_class"] or "-",
                "-" if row["value_score"] is None else f"{row['value_score']:.1f}",
                row["lifecycle"],
                "AT RISK" if row["churn_flag"] else "",
                row["credit_outcome"] or "-",
                "-" if row["credit_limit"] is None else f"{row['credit_limit']:,.0f}",
                row["credit_term_days"] if row["credit_term_days"] is not None else "-",
                percent(row["on_time_rate"]),
                percent(row["perfect_order_rate"]),
                # where falls short is what a manager acts on; the gap's name is in the row
                row["worst_gap"].split(" (")[1].rstrip(")") if row["worst_gap"] else "-",
                "-"
                if row["complaints"] is None
                else f"{row['complaints_met']}/{row['complaints']}",
            ]
        )
    headers = [
        "customer",
        "tier",
        "ABC",
        "value",
        "lifecycle",
        "churn",
        "credit",
        "limit",
        "term",
        "on time",
        "perfect",
        "worst gap",
        "in SLA",  # complaints handled within their SLA, of all
    ]
    width = None if wide else WIDTH
    return render_table(headers, rows, max_width=width, notes=notes) + "\n"
