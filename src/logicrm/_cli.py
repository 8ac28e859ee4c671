"""The ``logicrm`` command: ``score``, ``policy show`` and ``demo``."""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import attrs

from logicrm import __version__

EXIT_OK, EXIT_REJECTS, EXIT_USAGE = 0, 1, 2
_FORMATS = ("table", "csv", "jsonl", "parquet")
_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
# The optional inputs of `score`, by the field of logicrm._score.Inputs they fill.
_INPUTS = {
    "customers": "customers (CSV, JSON Lines or Parquet)",
    "credit_profiles": "credit profiles with financial statements (JSON Lines)",
    "invoices": "invoices, aged at --as-of into each profile's receivable and overdue",
    "complaints": "complaints, checked against the complaint SLAs",
    "surveys": "SERVQUAL survey responses (JSON Lines, or long-form CSV / Parquet)",
    "standards": "service standards (requirements, beliefs, standards, promises)",
}


class UsageError(Exception):
    """A bad argument or file: reported on stderr with exit code 2."""


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

    score = commands.add_parser(
        "score",
        help="assess every customer in your files: one row per customer, with reasons",
        description="Read shipments (and optionally more), assess every customer at --as-of, "
        "and write one row per customer: tier, ABC class, value, lifecycle, churn, credit, "
        "service measures, gaps and top reasons. Rows that cannot be read are reported with "
        "their line numbers and written to a rejects file.",
    )
    score.add_argument("shipments", type=Path, help="shipments file (.csv, .jsonl or .parquet)")
    for kind, text in _INPUTS.items():
        score.add_argument(f"--{kind.replace('_', '-')}", type=Path, metavar="FILE", help=text)
    score.add_argument(
        "--as-of",
        required=True,
        metavar="WHEN",
        help="the moment of the assessment, ISO 8601 with an offset (2026-06-30T18:00:00+08:00)"
        " or a date (taken as the end of that day, UTC)",
    )
    score.add_argument("--policy", type=Path, metavar="FILE", help="policy file (TOML or JSON)")
    score.add_argument(
        "--mapping",
        type=Path,
        metavar="FILE",
        help="your column names, per input (TOML or JSON): e.g. [shipments.columns] "
        'id = "order_no"',
    )
    score.add_argument(
        "--format", choices=_FORMATS, help="output format (default: from --output, else table)"
    )
    score.add_argument("--output", "-o", type=Path, metavar="FILE", help="default: stdout")
    score.add_argument(
        "--rejects",
        type=Path,
        metavar="FILE",
        help="where rejected rows go (.jsonl or .csv; default: rejects.jsonl beside --output, "
        "or in the current folder)",
    )
    score.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: when stderr is a terminal)",
    )
    score.add_argument(
        "--strict", action="store_true", help="exit with 1 when any row was rejected"
    )

    policy = commands.add_parser("policy", help="the policies behind every score")
    policy_commands = policy.add_subparsers(dest="policy_command", metavar="ACTION")
    show = policy_commands.add_parser(
        "show", help="print the default policies (or a file's, checked) to copy and edit"
    )
    show.add_argument("file", nargs="?", type=Path, help="a policy file to check and show")
    show.add_argument("--format", choices=("toml", "json"), default="toml")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``logicrm`` command line; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            return _demo(args)
        if args.command == "score":
            return _score(args)
        if args.command == "policy" and args.policy_command == "show":
            return _policy_show(args)
    except UsageError as error:
        sys.stderr.write(f"logicrm {args.command}: error: {error}\n")
        return EXIT_USAGE
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def _demo(args: argparse.Namespace) -> int:
    from logicrm._demo import demo_report

    sys.stdout.write(demo_report())
    if args.write_sample is not None:
        from logicrm.sample import write_sample

        files = write_sample(args.write_sample)
        options = " ".join(
            f"--{kind.replace('_', '-')} {path}"
            for kind, path in files.items()
            if kind != "shipments"
        )
        sys.stdout.write(
            f"\nSample files written to {args.write_sample}; score them with:\n"
            f"  logicrm score {files['shipments']} {options} --as-of 2026-06-30T18:00:00Z\n"
        )
    return EXIT_OK


def _policy_show(args: argparse.Namespace) -> int:
    from logicrm.policies import Policies, dumps_policies

    policies = _load_policies(args.file) if args.file is not None else Policies()
    sys.stdout.write(dumps_policies(policies, format=args.format))
    return EXIT_OK


def _load_policies(path: Path) -> Any:
    from logicrm.errors import ValidationError
    from logicrm.policies import load_policies

    _check_readable(path, "policy file")
    try:
        return load_policies(path)
    except ValidationError as error:
        problems = "\n  ".join(str(p) for p in error.problems)
        raise UsageError(f"policy file {path} is not valid:\n  {problems}") from None


def _load_mappings(path: Path) -> Any:
    from logicrm._score import load_mappings
    from logicrm.errors import ValidationError

    _check_readable(path, "mapping file")
    try:
        return load_mappings(path)
    except ValidationError as error:
        problems = "\n  ".join(str(p) for p in error.problems)
        raise UsageError(f"mapping file {path} is not valid:\n  {problems}") from None


def _check_readable(path: Path, what: str) -> None:
    if not path.is_file():
        raise UsageError(f"{what} {path} does not exist or is not a file")


def parse_as_of(text: str) -> datetime:
    """``--as-of``: an aware ISO 8601 moment, or a bare date meaning the end of it in UTC."""
    from datetime import UTC, date, time

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"--as-of {text!r} is not an ISO 8601 date or date-time "
            "(e.g. 2026-06-30 or 2026-06-30T18:00:00+08:00)"
        ) from None
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), time(23, 59, 59), tzinfo=UTC)
    if moment.tzinfo is None:
        raise UsageError(f"--as-of {text!r} needs an offset such as +08:00 or Z")
    return moment


def _score(args: argparse.Namespace) -> int:
    from logicrm._score import Inputs, score, write_rejects
    from logicrm.errors import LogicrmError
    from logicrm.policies import Policies

    as_of = parse_as_of(args.as_of)
    files = {kind: getattr(args, kind) for kind in ("shipments", *_INPUTS)}
    for kind, path in files.items():
        if path is not None:
            _check_readable(path, f"{kind.replace('_', ' ')} file")
            if path.suffix.lower() not in (*_SUFFIXES, ".json"):
                raise UsageError(f"{kind} file {path}: use .csv, .jsonl or .parquet")
    inputs = Inputs(**files)
    fmt = args.format or (
        _SUFFIXES.get(args.output.suffix.lower(), "table") if args.output else "table"
    )
    if fmt == "parquet" and args.output is None:
        raise UsageError("--format parquet needs --output FILE")
    policies = _load_policies(args.policy) if args.policy is not None else Policies()
    if args.mapping is not None:
        inputs = attrs.evolve(inputs, mappings=_load_mappings(args.mapping))
    show = args.progress if args.progress is not None else sys.stderr.isatty()
    try:
        results, rejected = score(
            inputs, as_of=as_of, policies=policies, progress=sys.stderr if show else None
        )
    except LogicrmError as error:
        raise UsageError(str(error)) from None
    _write(results, fmt, args.output)
    if rejected:
        target = (
            args.rejects or (args.output.parent if args.output else Path.cwd()) / "rejects.jsonl"
        )
        write_rejects(target, rejected)
        sys.stderr.write(f"{len(rejected)} rows rejected, written to {target}:\n")
        for item in rejected[:10]:
            sys.stderr.write(
                f"  {item.file.name} line {item.rejection.line}: "
                f"{item.rejection.column}: {item.rejection.reason}\n"
            )
        if len(rejected) > 10:
            sys.stderr.write(f"  ... and {len(rejected) - 10} more\n")
    sys.stderr.write(f"{len(results)} customers assessed at {as_of.isoformat()}\n")
    return EXIT_REJECTS if rejected and args.strict else EXIT_OK


def _write(results: Any, fmt: str, output: Path | None) -> None:
    from logicrm import io

    if fmt == "table":
        text = table_text(results.values())
        if output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text, encoding="utf-8")
        return
    rows = results.rows()
    if output is not None:
        io.write(output, rows, format=fmt)
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"out.{fmt}"
        io.write(path, rows, format=fmt)
        _copy(path, sys.stdout)


def _copy(path: Path, target: IO[str]) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        target.write(handle.read())


def table_text(assessments: Any) -> str:
    """The terminal table: the columns worth reading, rates as percentages."""
    from logicrm._table import render_table

    def percent(value: float | None) -> str:
        return "-" if value is None else f"{value:.1%}"

    rows = []
    for a in assessments:
        row = a.row()
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
                row["worst_gap"] or "-",
                "-"
                if row["complaints"] is None
                else f"{row['complaints_met']}/{row['complaints']}",
                row["top_reasons"].split("; ")[0] if row["top_reasons"] else "",
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
        "SLA met",
        "top reason",
    ]
    return render_table(headers, rows) + "\n"
