"""The ``logicrm`` command: ``score``, ``policy show`` and ``demo``."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import warnings
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import attrs

from logicrm import __version__
from logicrm._safety import terminal_line, terminal_text

EXIT_OK, EXIT_REJECTS, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130
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
    score.add_argument(
        "--encoding",
        metavar="NAME",
        help="text encoding of the CSV and JSON Lines inputs (default: UTF-8, or what a "
        "byte-order mark says; gb18030 for a GBK export from Excel)",
    )
    score.add_argument(
        "--delimiter",
        metavar="CHAR",
        help="CSV delimiter (default: sniffed from the header: , ; tab or |)",
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
    score.add_argument(
        "--output",
        "-o",
        type=Path,
        metavar="FILE",
        help="default: stdout; .csv, .jsonl, .parquet or .txt (the table)",
    )
    score.add_argument(
        "--rejects",
        type=Path,
        metavar="FILE",
        help="where rejected rows go (.jsonl or .csv, readable by you alone; default: "
        "rejects.jsonl beside --output, or in the current folder)",
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
    score.add_argument(
        "--wide",
        action="store_true",
        help="show the whole table (by default it fits 120 columns, long text cut with …)",
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
                return _demo(args)
            if args.command == "score":
                return _score(args)
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


def _say(text: str) -> None:
    """One message on stderr, each line safe for a terminal."""
    lines = text.splitlines() or [""]
    sys.stderr.write("".join(terminal_line(line) + "\n" for line in lines))


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


def _demo(args: argparse.Namespace) -> int:
    from logicrm._demo import demo_report

    folder = args.write_sample
    if folder is not None and folder.exists() and not folder.is_dir():
        raise UsageError(f"--write-sample {folder} is a file; name a folder (new or existing)")
    if folder is not None and not _writable_folder(_existing_parent(folder)):
        raise UsageError(f"--write-sample {folder}: cannot create files there")
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
    if not os.access(path, os.R_OK):
        raise UsageError(f"{what} {path} cannot be read (permission denied)")


def _existing_parent(path: Path) -> Path:
    parent = path.absolute().parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    return parent


def _writable_folder(folder: Path) -> bool:
    return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)


def _check_writable(path: Path, what: str, suffixes: Sequence[str] | None = None) -> None:
    """Refuse, before any work, an output that could not be written at the end."""
    if path.is_dir():
        raise UsageError(f"{what} {path} is a folder; name a file in it, e.g. {path / 'out.csv'}")
    if not path.absolute().parent.is_dir():
        raise UsageError(f"{what} {path}: the folder {path.absolute().parent} does not exist")
    if not _writable_folder(path.absolute().parent) or (
        path.exists() and not os.access(path, os.W_OK)
    ):
        raise UsageError(f"{what} {path} cannot be written (permission denied)")
    if suffixes is not None and path.suffix.lower() not in suffixes:
        raise UsageError(f"{what} {path}: use one of {', '.join(suffixes)}")


def parse_as_of(text: str) -> datetime:
    """``--as-of``: an aware ISO 8601 moment, or a bare date meaning the end of it in UTC."""
    from datetime import UTC, date, time

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"--as-of {text[:40]!r} is not an ISO 8601 date or date-time "
            "(e.g. 2026-06-30 or 2026-06-30T18:00:00+08:00)"
        ) from None
    if len(text) == 10:
        moment = datetime.combine(date.fromisoformat(text), time(23, 59, 59), tzinfo=UTC)
    if moment.tzinfo is None:
        raise UsageError(f"--as-of {text!r} needs an offset such as +08:00 or Z")
    if not 1900 <= moment.year <= 2999 or not 1900 <= moment.astimezone(UTC).year <= 2999:
        raise UsageError(f"--as-of {text!r} must fall between the years 1900 and 2999")
    return moment


def _score(args: argparse.Namespace) -> int:
    from logicrm._score import Inputs, no_results_reason, score, write_rejects
    from logicrm.errors import LogicrmError
    from logicrm.policies import Policies

    # Everything that could fail is checked before any work, so a bad path never costs a run.
    as_of = parse_as_of(args.as_of)
    files = {kind: getattr(args, kind) for kind in ("shipments", *_INPUTS)}
    for kind, path in files.items():
        if path is not None:
            _check_readable(path, f"{kind.replace('_', ' ')} file")
            if path.suffix.lower() not in _INPUT_SUFFIXES:
                raise UsageError(f"{kind} file {path}: use .csv, .jsonl or .parquet")
    _check_text_options(args)
    inputs = Inputs(**files, encoding=args.encoding, delimiter=args.delimiter)
    if args.output is not None:
        _check_writable(args.output, "--output")
    fmt = args.format
    if fmt is None and args.output is not None:
        fmt = _SUFFIXES.get(args.output.suffix.lower())
        if fmt is None:
            raise UsageError(
                f"--output {args.output}: unknown suffix {args.output.suffix or '(none)'!r}; "
                "use .csv, .jsonl, .parquet or .txt, or name the format with --format"
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
    try:
        results, rejected = score(
            inputs, as_of=as_of, policies=policies, progress=sys.stderr if show else None
        )
    except LogicrmError as error:
        raise UsageError(str(error)) from None
    if rejected:
        write_rejects(target, rejected)
        _say(f"{len(rejected)} rows rejected, written to {target} (readable by you alone):")
        for item in rejected[:10]:
            _say(
                f"  {item.file.name} line {item.rejection.line}: "
                f"{item.rejection.column}: {item.rejection.reason}"
            )
        if len(rejected) > 10:
            _say(f"  ... and {len(rejected) - 10} more")
    elif target.exists():
        target.unlink()
        _say(f"no rows rejected; removed {target}, left by an earlier run")
    if not results:
        raise UsageError(no_results_reason(inputs, rejected))
    _write(results, fmt, args.output, wide=args.wide)
    _say(f"{len(results)} customers assessed at {as_of.isoformat()}")
    return EXIT_REJECTS if rejected and args.strict else EXIT_OK


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
    from logicrm import io

    if fmt == "table":  # a file has no width: it gets every character
        text = table_text(results.values(), wide=wide or output is not None)
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
                row["worst_gap"].split(" (")[0] if row["worst_gap"] else "-",
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
        "SLAs",
    ]
    width = None if wide else WIDTH
    return render_table(headers, rows, max_width=width, notes=notes) + "\n"
