"""The ``logicrm`` command: argument parsing and dispatch to ``score``, ``worklist``,
``backtest``, ``policy show`` and ``demo``; it never shows a traceback."""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from logicrm import __version__
from logicrm.cli._backtest import add_backtest_parser, run_backtest
from logicrm.cli._common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    _add_row_options,
    _load_policies,
    _say,
)
from logicrm.cli._demo import run_demo
from logicrm.cli._score import _FORMATS, _INPUTS, run_score, run_worklist


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="logicrm", description="Customer relationship management for logistics."
    )
    parser.add_argument("--version", action="version", version=f"logicrm {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser("demo", help="show what logicrm says about the built-in sample")
    demo.add_argument(
        "--write-sample",
        metavar="DIR",
        type=Path,
        help="also write the sample's files to DIR, ready for `logicrm score`",
    )

    shared = _input_arguments()
    score = commands.add_parser(
        "score",
        parents=[shared],
        help="assess every customer in your files: one row per customer, with reasons",
        description="Read shipments (and optionally more), assess every customer at --as-of, "
        "and write one row per customer: tier, ABC class, value, lifecycle, churn, credit, "
        "service measures, gaps, follow-ups due, customer share, profitability, the next best "
        "action and top reasons. Rows that cannot be read are reported with their line "
        "numbers and written to a rejects file.",
    )
    score.add_argument(
        "--format", choices=_FORMATS, help="output format (default: from --output, else table)"
    )
    score.add_argument(
        "--output",
        "-o",
        type=Path,
        metavar="FILE",
        help="default: stdout; .csv, .jsonl, .parquet or .txt (the table)",
    )
    score.add_argument(
        "--output-table",
        metavar="NAME",
        help="also write the scores to this table of --db, one row per customer and --as-of, "
        "upserted in one transaction (created when missing)",
    )
    score.add_argument(
        "--replace-snapshot",
        action="store_true",
        help="with --output-table: this run is the whole snapshot at --as-of; the table's "
        "earlier rows at that --as-of are replaced, in the same transaction",
    )
    score.add_argument(
        "--wide",
        action="store_true",
        help="show the whole table (by default it fits 120 columns, long text cut with …)",
    )

    work = commands.add_parser(
        "worklist",
        parents=[shared],
        help="who to call, visit or survey first: every contact due, in order, with why",
        description="Assess every customer as `score` does, then list every follow-up visit, "
        "satisfaction survey, record check and complaint follow-up due or overdue at --as-of: "
        "key customers at churn risk first, then by days overdue weighted by value. Each line "
        "says what to do and why, with the customer's next best action. Needs --interactions.",
    )
    work.add_argument(
        "--format",
        choices=("table", "csv", "jsonl", "parquet"),
        help="output format (default: from --output, else table)",
    )
    work.add_argument(
        "--output",
        "-o",
        type=Path,
        metavar="FILE",
        help="default: stdout; .csv, .jsonl, .parquet or .txt. Files hold the whole feed: "
        "today's list, the breach report and the deferred items, each with its stable id",
    )
    work.add_argument(
        "--task-states",
        type=Path,
        metavar="FILE",
        help="the task-state log (.csv, .jsonl or .parquet: task_id, customer_id, at, state "
        "done/snoozed/dismissed, until, reason, outcome, next_step, next_due, staff_id): done "
        "and dismissed items leave the list, snoozed ones until their date, next steps join it",
    )
    work.add_argument(
        "--task-states-table",
        metavar="NAME",
        help="as --task-states, from a table of --db",
    )
    work.add_argument(
        "--previous",
        type=Path,
        metavar="FILE",
        help="the previous run's --output file: print what is new, escalated, done and "
        "dropped since (on stderr)",
    )
    work.add_argument(
        "--previous-table",
        metavar="NAME",
        help="as --previous, from a table of --db written by --output-table",
    )
    work.add_argument(
        "--output-table",
        metavar="NAME",
        help="also upsert the feed into this table of --db on the items' ids, in one "
        "transaction (created when missing)",
    )
    work.add_argument(
        "--calendar",
        type=Path,
        metavar="FOLDER",
        help="also write one iCalendar file of to-dos (VTODO) per owner into this folder "
        "(needs pip install 'logicrm[calendar]')",
    )
    work.add_argument(
        "--limit",
        type=int,
        metavar="N",
        help="only the first N lines of today's list and of the breach report (default: all)",
    )
    work.add_argument(
        "--wide",
        action="store_true",
        help="show the whole table (by default it fits 120 columns, long text cut with …)",
    )

    add_backtest_parser(commands)

    policy = commands.add_parser("policy", help="the policies behind every score")
    policy_commands = policy.add_subparsers(dest="policy_command", metavar="ACTION")
    show = policy_commands.add_parser(
        "show", help="print the default policies (or a file's, checked) to copy and edit"
    )
    show.add_argument("file", nargs="?", type=Path, help="a policy file to check and show")
    show.add_argument("--format", choices=("toml", "json"), default="toml")
    return parser


def _input_arguments() -> argparse.ArgumentParser:
    """The options ``score`` and ``worklist`` share: the inputs and how to read them."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument(
        "shipments",
        type=Path,
        nargs="?",
        help="shipments file (.csv, .jsonl or .parquet); or --table shipments=NAME with --db",
    )
    for kind, text in _INPUTS.items():
        parser.add_argument(f"--{kind.replace('_', '-')}", type=Path, metavar="FILE", help=text)
    parser.add_argument(
        "--as-of",
        required=True,
        metavar="WHEN",
        help="the moment of the assessment, ISO 8601 with an offset (2026-06-30T18:00:00+08:00)"
        " or a date (taken as the end of that day, UTC)",
    )
    parser.add_argument(
        "--encoding",
        metavar="NAME",
        help="text encoding of the CSV and JSON Lines inputs (default: UTF-8, or what a "
        "byte-order mark says; gb18030 for a GBK export from Excel)",
    )
    parser.add_argument(
        "--delimiter",
        metavar="CHAR",
        help="CSV delimiter (default: sniffed from the header: , ; tab or |)",
    )
    parser.add_argument("--policy", type=Path, metavar="FILE", help="policy file (TOML or JSON)")
    parser.add_argument(
        "--mapping",
        type=Path,
        metavar="FILE",
        help="your column names, per input (TOML or JSON): e.g. [shipments.columns] "
        'id = "order_no"',
    )
    parser.add_argument(
        "--rejects",
        type=Path,
        metavar="FILE",
        help="where rejected rows go (.jsonl or .csv, readable by you alone; default: "
        "rejects.jsonl beside --output, or in the current folder)",
    )
    _add_row_options(parser)
    parser.add_argument(
        "--value",
        choices=("default", "clv"),
        default="default",
        help="how customer value is scored: the value model's dimensions (default), or with "
        "profit and strategic value from lifetime value, BG/NBD and Gamma-Gamma fitted on the "
        "input (needs the models extra)",
    )
    parser.add_argument(
        "--allow-weak-fit",
        action="store_true",
        help="with --value clv, score even when the fit cannot support it (fewer than 50 "
        "customers or 20 repeat buyers, or a standard error above its estimate), with a "
        "warning on stderr; without it such a fit is refused (exit 2)",
    )
    database = parser.add_argument_group(
        "database",
        "read inputs from, and write scores to, a database: PostgreSQL (the db extra) or "
        "SQLite. Files and tables mix: each input is a file option or a --table / --query.",
    )
    database.add_argument(
        "--db",
        metavar="URI",
        default=None,
        help="postgresql://user@host:port/dbname or sqlite:///path.db (default: the "
        "LOGICRM_DB_URL variable); a password is best left to PGPASSWORD or ~/.pgpass",
    )
    database.add_argument(
        "--table",
        action="append",
        default=[],
        metavar="KIND=NAME",
        help="read an input from a table, e.g. shipments=tms.orders (kinds: shipments, "
        "customers, credit_profiles, invoices, complaints, surveys, standards, interactions, "
        "spend_estimates); repeatable",
    )
    database.add_argument(
        "--query",
        action="append",
        default=[],
        metavar="KIND=SQL",
        help="read an input from the rows of your query, e.g. "
        '"customers=SELECT * FROM clients WHERE active"; repeatable',
    )
    parser.add_argument(
        "--engine",
        choices=("auto", "columnar", "python"),
        default="auto",
        help="how the shipments are read: columnar (polars, the frames extra; fast), python "
        "(pure Python, the reference) or auto (columnar when polars is installed); the "
        "output and the rejected rows are the same either way",
    )

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``logicrm`` command line; returns the exit code.

    Never shows a traceback: a bad argument, an unreadable file or an invalid policy exits
    with 2 and one message saying what to do; an interrupt exits with 130.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    name = f"logicrm {args.command}" if args.command else "logicrm"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", _warning_class())
            warnings.showwarning = _show_warning
            if args.command == "demo":
                return run_demo(args)
            if args.command == "score":
                return run_score(args)
            if args.command == "worklist":
                return run_worklist(args)
            if args.command == "backtest":
                return run_backtest(args)
            if args.command == "policy" and args.policy_command == "show":
                return _policy_show(args)
    except UsageError as error:
        _say(f"{name}: error: {error}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        _say(f"{name}: interrupted")
        return EXIT_INTERRUPTED
    except OSError as error:
        where = f" {error.filename}" if error.filename else ""
        _say(f"{name}: error:{where}: {error.strerror or error}; check the path and permissions")
        return EXIT_USAGE
    except Exception as error:  # a bug of ours: still no traceback, and a way forward
        from logicrm.errors import LogicrmError

        if isinstance(error, LogicrmError):
            _say(f"{name}: error: {error}")
        else:
            _say(
                f"{name}: internal error ({type(error).__name__}); please report it with the "
                "command you ran"
            )
        return EXIT_USAGE
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def _warning_class() -> type[Warning]:
    from logicrm.errors import LogicrmWarning

    return LogicrmWarning


def _show_warning(
    message: Warning | str, category: type[Warning], *args: object, **kw: object
) -> None:
    if issubclass(category, _warning_class()):
        _say(f"warning: {message}")
    else:  # another library's warning: not ours to word
        _say(f"warning: {category.__name__}: {message}")


def _policy_show(args: argparse.Namespace) -> int:
    from logicrm.policies import Policies, dumps_policies

    policies = _load_policies(args.file) if args.file is not None else Policies()
    sys.stdout.write(dumps_policies(policies, format=args.format))
    return EXIT_OK
