"""``logicrm backtest``: the advice at a cut-off against the horizon after it, from files."""

from __future__ import annotations

import argparse
import csv
import re
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from logicrm.cli._common import (
    EXIT_OK,
    EXIT_REJECTS,
    UsageError,
    _add_row_options,
    _check_readable,
    _check_writable,
    _load_policies,
    _say,
)
from logicrm.cli._score import (
    _INPUT_SUFFIXES,
    _INPUTS,
    _load_mappings,
    parse_as_of,
    report_rejects,
)

_HORIZON = re.compile(r"(\d{1,5})\s*([dw]?)")


def add_backtest_parser(commands: Any) -> None:
    """The ``backtest`` sub-command and its options."""
    parser = commands.add_parser(
        "backtest",
        help="how good was the advice: assess at a cut-off, then check what happened after it",
        description="Read shipments (and optionally more), assess every customer with the data "
        "up to --cutoff, then watch --horizon after it: how precise the churn flags were "
        "(customers who lapsed by the lifecycle policy), how many customers changed tier or "
        "Pareto class and where the horizon's revenue came from, and, with credit profiles "
        "and invoices, how many approved customers went on hold. A figure the data cannot "
        "support is shown as n/a with the reason.",
    )
    parser.add_argument("shipments", type=Path, help="shipments file (.csv, .jsonl or .parquet)")
    for kind, text in _INPUTS.items():
        parser.add_argument(f"--{kind.replace('_', '-')}", type=Path, metavar="FILE", help=text)
    parser.add_argument(
        "--cutoff",
        required=True,
        metavar="WHEN",
        help="when the advice was given: ISO 8601 with an offset, or a date (its end, UTC)",
    )
    parser.add_argument(
        "--horizon",
        required=True,
        metavar="SPAN",
        help="how long to watch after the cut-off: days (180 or 180d) or weeks (26w)",
    )
    parser.add_argument("--policy", type=Path, metavar="FILE", help="policy file (TOML or JSON)")
    parser.add_argument(
        "--compare",
        type=Path,
        metavar="FILE",
        help="a second policy file: both backtests side by side, and each customer whose "
        "advice differs",
    )
    parser.add_argument(
        "--min-customers",
        type=int,
        default=20,
        metavar="N",
        help="the fewest customers a rate is measured on (default 20)",
    )
    parser.add_argument(
        "--min-events",
        type=int,
        default=5,
        metavar="N",
        help="the fewest flagged, lapsed or approved customers a rate needs (default 5)",
    )
    parser.add_argument(
        "--outcomes",
        type=Path,
        metavar="FILE",
        help="also write one CSV row per customer: the advice and what happened",
    )
    parser.add_argument(
        "--chart",
        type=Path,
        metavar="FILE",
        help="also draw the churn flags' precision and recall (per policy) to FILE, .png or "
        ".svg (needs the plot extra)",
    )
    parser.add_argument("--encoding", metavar="NAME", help="text encoding of the inputs")
    parser.add_argument("--delimiter", metavar="CHAR", help="CSV delimiter (default: sniffed)")
    parser.add_argument("--mapping", type=Path, metavar="FILE", help="your column names")
    parser.add_argument(
        "--rejects",
        type=Path,
        metavar="FILE",
        help="where rejected rows go (default: rejects.jsonl in the current folder)",
    )
    _add_row_options(parser)
    parser.add_argument(
        "--engine",
        choices=("auto", "columnar", "python"),
        default="auto",
        help="how the shipments are read, as for `score`",
    )


def parse_horizon(text: str) -> timedelta:
    """``--horizon``: a whole number of days (``180``, ``180d``) or weeks (``26w``), > 0."""
    match = _HORIZON.fullmatch(text.strip())
    if match is None or int(match.group(1)) == 0:
        raise UsageError(
            f"--horizon {text[:20]!r} is not a positive number of days or weeks (180, 180d, 26w)"
        )
    count = int(match.group(1))
    return timedelta(weeks=count) if match.group(2) == "w" else timedelta(days=count)


def run_backtest(args: argparse.Namespace) -> int:
    """Check every option, read the inputs once, backtest and print the table."""
    from logicrm._backtest_results import BacktestPolicy
    from logicrm.errors import LogicrmError

    try:
        cutoff = parse_as_of(args.cutoff)
    except UsageError as error:
        raise UsageError(str(error).replace("--as-of", "--cutoff")) from None
    horizon = parse_horizon(args.horizon)
    if not 1 <= args.min_customers <= 10**9 or not 1 <= args.min_events <= 10**9:
        raise UsageError("--min-customers and --min-events must be whole numbers >= 1")
    files = {kind: getattr(args, kind) for kind in ("shipments", *_INPUTS)}
    for kind, path in files.items():
        if path is not None:
            _check_readable(path, f"{kind.replace('_', ' ')} file")
            if path.suffix.lower() not in _INPUT_SUFFIXES:
                raise UsageError(f"{kind} file {path}: use .csv, .jsonl or .parquet")
    if args.outcomes is not None:
        _check_writable(args.outcomes, "--outcomes", (".csv",))
    if args.chart is not None:
        _check_writable(args.chart, "--chart", (".png", ".svg"))
        try:
            import matplotlib
        except ImportError:
            raise UsageError("--chart needs the plot extra: pip install 'logicrm[plot]'") from None
        matplotlib.use("Agg")
    target = args.rejects or Path.cwd() / "rejects.jsonl"
    _check_writable(target, "--rejects", (".jsonl", ".ndjson", ".csv"))
    policies = [_load_policies(args.policy) if args.policy is not None else _default()]
    if args.compare is not None:
        policies.append(_load_policies(args.compare))
    mappings = _load_mappings(args.mapping) if args.mapping is not None else {}
    show = args.progress if args.progress is not None else sys.stderr.isatty()
    policy = BacktestPolicy(min_customers=args.min_customers, min_events=args.min_events)
    try:
        results, rejected = _run(args, files, mappings, cutoff, horizon, policies, policy, show)
    except LogicrmError as error:
        raise UsageError(str(error)) from None
    _report_rejects(target, rejected)
    sys.stdout.write(backtest_text(results))
    if args.outcomes is not None:
        _write_outcomes(args.outcomes, results[0])
    if args.chart is not None:
        _draw(args.chart, results)
    _say(f"{len(results[0].outcomes)} customers backtested at {cutoff.isoformat()}")
    return EXIT_REJECTS if rejected and args.strict else EXIT_OK


def _default() -> Any:
    from logicrm.policies import Policies

    return Policies()


def _run(
    args: argparse.Namespace,
    files: dict[str, Any],
    mappings: Any,
    cutoff: Any,
    horizon: timedelta,
    policies: list[Any],
    policy: Any,
    show: bool,
) -> tuple[list[Any], list[Any]]:
    from logicrm import AssessmentInputs, backtest_activities, summarize
    from logicrm.cli._run import (
        FileRejection,
        Inputs,
        Progress,
        _columnar_activities,
        _records,
        chosen_engine,
        count_rows,
    )
    from logicrm.domain import (
        Complaint,
        CreditProfile,
        Customer,
        CustomerKind,
        Interaction,
        Invoice,
        ServiceStandard,
        Shipment,
        SpendEstimate,
        SurveyResponse,
    )

    inputs = Inputs(
        **files,
        encoding=args.encoding,
        delimiter=args.delimiter,
        engine=args.engine,
        mappings=mappings,
    )
    rejected: list[FileRejection] = []
    end = cutoff + horizon
    stream = sys.stderr if show else None
    bar = Progress(stream, "shipments", count_rows(args.shipments) if show else None)
    before = after = None
    if chosen_engine(inputs.engine) == "columnar":
        from logicrm.frames import EngineLimit

        try:
            before, after = _columnar_activities(inputs, cutoff, rejected, bar, also_at=end)
        except EngineLimit:
            rejected.clear()
            before = after = None
    if before is None or after is None:
        shipments = list(_records(inputs, "shipments", Shipment, rejected, bar))
        before = summarize(shipments, as_of=cutoff)
        after = summarize(shipments, as_of=end)
    bar.finish()

    def read(kind: str, cls: type) -> list[Any] | None:
        if getattr(inputs, kind) is None:
            return None
        return list(_records(inputs, kind, cls, rejected))

    customers = read("customers", Customer) or []
    known = {c.id for c in customers}
    customers.extend(
        Customer(id=key, name=key, kind=CustomerKind.ENTERPRISE)
        for key in sorted(after)
        if key not in known
    )
    if not customers:
        raise UsageError("no customer to backtest: the shipments file holds no valid row")
    inputs_at = AssessmentInputs(
        credit_profiles=read("credit_profiles", CreditProfile) or (),
        complaints=read("complaints", Complaint),
        survey_responses=read("surveys", SurveyResponse),
        service_standards=read("standards", ServiceStandard),
        interactions=read("interactions", Interaction),
        spend_estimates=read("spend_estimates", SpendEstimate),
    )
    invoices = read("invoices", Invoice)
    results = [
        backtest_activities(
            customers,
            before,
            after,
            cutoff=cutoff,
            horizon=horizon,
            policies=chosen,
            inputs=inputs_at,
            invoices=invoices,
            policy=policy,
        )
        for chosen in policies
    ]
    return results, rejected


def _report_rejects(target: Path, rejected: list[Any]) -> None:
    if rejected:
        report_rejects(target, rejected)


def _show(value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.1%}" if value <= 1 else f"{value:.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def backtest_text(results: list[Any]) -> str:
    """The terminal report: the figures (side by side for two policies), the classes, the
    reasons behind every n/a and, for two policies, each customer whose advice differs."""
    from logicrm._backtest_compare import compare_backtests
    from logicrm._table import render_table

    first = results[0]
    names = ["policy"] if len(results) == 1 else ["first policy", "second policy"]
    lines = [
        f"backtest: advice at {first.cutoff.isoformat()}, outcome watched to "
        f"{first.end.isoformat()} ({first.horizon.days} days)",
        "",
    ]
    rows: list[list[object]] = []
    for name, label in (("churn_flag", "churn flag"), ("churn_risk", "churn risk")):
        for figure in ("customers", "flagged", "lapsed", "flagged_lapsed"):
            counts = [f"{getattr(getattr(r, name), figure):,}" for r in results]
            rows.append([f"{label}: {figure.replace('_', ' ')}", *counts])
        for figure in ("precision", "recall", "lift"):
            values = [getattr(getattr(r, name), figure) for r in results]
            shown = [
                "n/a" if v is None else (f"{v:.2f}" if figure == "lift" else f"{v:.1%}")
                for v in values
            ]
            rows.append([f"{label}: {figure}", *shown])
    for kind in ("tiers", "pareto"):
        rows.append([f"{kind}: moved", *[f"{getattr(r, kind).moved:,}" for r in results]])
    if all(r.credit is not None for r in results):
        rows.append(["credit: approved", *[f"{r.credit.approved:,}" for r in results]])
        rows.append(["credit: went on hold", *[f"{r.credit.on_hold:,}" for r in results]])
        rows.append(["credit: hold rate", *[_show(r.credit.hold_rate) for r in results]])
    lines.append(render_table(["figure", *names], rows, max_width=None))
    for kind, title in (("tiers", "tier"), ("pareto", "Pareto class")):
        check = getattr(first, kind)
        table = [
            [
                c.name,
                c.customers,
                c.moved,
                "-" if c.revenue is None else f"{c.revenue.amount:,.2f} {c.revenue.currency}",
                "-" if c.share is None else f"{c.share:.1%}",
            ]
            for c in check.classes
        ]
        lines += [
            "",
            render_table([title, "customers", "moved", "horizon revenue", "share"], table),
        ]
    said = []
    for result in results:
        for check in (result.churn_flag, result.churn_risk, result.credit):
            if check is None:
                continue
            said += [
                r.message
                for r in check.reasons
                if r.code in ("backtest.too_few_customers", "backtest.too_few_events")
            ]
        said += [r.message for r in result.reasons if r.code != "backtest.split"]
    if said:
        lines += ["", "notes:", *[f"  {m}" for m in dict.fromkeys(said)]]
    if len(results) == 2:
        comparison = compare_backtests(results[0], results[1])
        table = [
            [d.customer_id, d.field, _show(d.first), _show(d.second), "yes" if d.lapsed else "no"]
            for d in comparison.differences
        ]
        lines += ["", f"{len(table)} differences in the advice, by customer:"]
        if table:
            lines.append(render_table(["customer", "field", "first", "second", "lapsed"], table))
    return "\n".join(lines) + "\n"


def _draw(path: Path, results: list[Any]) -> None:
    from logicrm._backtest_compare import compare_backtests
    from logicrm.plot import policy_backtests

    drawn = results[0] if len(results) == 1 else compare_backtests(results[0], results[1])
    ax = policy_backtests(drawn, labels=("policy", "compared"))
    ax.figure.savefig(path)
    _say(f"chart written to {path}")


def _write_outcomes(path: Path, result: Any) -> None:
    import attrs

    from logicrm._backtest_results import BacktestOutcome

    fields = [f.name for f in attrs.fields(BacktestOutcome)]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(fields)
        for outcome in result.outcomes.values():
            writer.writerow(["" if v is None else v for v in attrs.astuple(outcome)])
