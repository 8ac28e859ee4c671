"""``logicrm demo``: what the library can say about the built-in sample."""

from __future__ import annotations

import argparse
import sys
import tempfile
import textwrap
from collections import Counter
from datetime import timedelta
from decimal import Decimal

from logicrm import _present
from logicrm._present import words
from logicrm._table import WIDTH, render_table
from logicrm.cli._common import EXIT_OK, UsageError, _existing_parent, _writable_folder
from logicrm.domain import Money, ServiceMeasure, Shipment
from logicrm.quality import (
    FiveGapsReport,
    Gap,
    complaint_sla,
    five_gaps,
    service_kpis,
    servqual,
)
from logicrm.sample import SAMPLE_STANDARDS, SampleData, sample_dataset, write_sample
from logicrm.scoring import Activity, ExposureCheck, assess_credit, check_exposure, summarize
from logicrm.serialization import load_many, to_dict


def demo_report(data: SampleData | None = None) -> str:
    """The demo's text: a readable summary of the sample, section by section."""
    data = data or sample_dataset()
    activities = summarize(data.shipments, as_of=data.as_of)
    sections = [
        f"logicrm demo - built-in sample taken at {data.as_of.isoformat()}",
        _overview(data),
        _customers(data),
        _assessments(data),
        _keeping(data, activities),
        _credit(data, activities),
        _service(data),
        _quarantine(data),
    ]
    return "\n".join(_wrapped(line) for line in "\n\n".join(sections).splitlines()) + "\n"


def _wrapped(line: str) -> str:
    """A line of prose folded to the table width, continuing under its own indent."""
    if len(line) <= WIDTH:
        return line
    indent = " " * (len(line) - len(line.lstrip()) + 4)
    return textwrap.fill(line, width=WIDTH, subsequent_indent=indent, break_on_hyphens=False)


def _overview(data: SampleData) -> str:
    kinds = Counter(c.kind.value for c in data.customers)
    delivered = sum(1 for s in data.shipments if s.delivered_at is not None)
    revenue = sum((s.revenue for s in data.shipments), Money.zero("CNY"))
    return "\n".join(
        [
            "Overview",
            f"  customers: {len(data.customers)} "
            f"({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))})",
            f"  shipments: {len(data.shipments)} ({delivered} delivered, "
            f"{len(data.shipments) - delivered} in transit), revenue {_present.text(revenue)}",
            f"  complaints: {len(data.complaints)}; credit profiles: {len(data.credit_profiles)};"
            f" survey responses: {len(data.survey_responses)}; interactions: "
            f"{len(data.interactions)}; spend estimates: {len(data.spend_estimates)}",
        ]
    )


def _customers(data: SampleData) -> str:
    orders = Counter(s.customer_id for s in data.shipments)
    revenue: dict[str, Decimal] = {}
    for s in data.shipments:
        revenue[s.customer_id] = revenue.get(s.customer_id, Decimal(0)) + s.revenue.amount
    rows = []
    for c in data.customers:
        age = c.verification_age(as_of=data.as_of)
        rows.append(
            [
                c.id,
                c.display_name,
                c.kind.value,
                orders.get(c.id, 0),
                f"{revenue.get(c.id, Decimal(0)):,.2f}",
                c.source.value,
                f"{age.days}" if age is not None else "never",
            ]
        )
    table = render_table(
        ["id", "name", "kind", "orders", "revenue CNY", "source", "verified days ago"], rows
    )
    return "Customers (individuals' names are personal data and stay hidden)\n" + table


def _assessments(data: SampleData) -> str:
    """The sample written to files and scored exactly as ``logicrm score`` scores files."""
    from logicrm.cli._run import Inputs, score
    from logicrm.cli._score import table_text

    with tempfile.TemporaryDirectory() as folder:
        files = write_sample(folder, data)
        results, _ = score(
            Inputs(
                shipments=files["shipments"],
                customers=files["customers"],
                credit_profiles=files["credit_profiles"],
                complaints=files["complaints"],
                surveys=files["surveys"],
                standards=files["standards"],
                interactions=files["interactions"],
                spend_estimates=files["spend_estimates"],
            ),
            as_of=data.as_of,
        )
    notes = []
    for customer in data.customers:
        notes.append(f"  {customer.id}:")
        notes.extend(
            f"    - {words(reason.message)}" for reason in results[customer.id].top_reasons(3)
        )
    return (
        "Who our customers are: `logicrm score` on the sample's files (tier, Pareto class,\n"
        "value 0-100, lifecycle, churn flag, credit, service, worst gap, complaint SLAs)\n"
        + table_text(results.values())
        + "\nTop reasons\n"
        + "\n".join(notes)
    )


def _keeping(data: SampleData, activities: dict[str, Activity]) -> str:
    """Keeping customers: the next best actions, cost to serve, and Monday's worklist."""
    from logicrm._assess import assess_all
    from logicrm.cli._score import breach_text, worklist_text
    from logicrm.retention import profitability_by, worklist

    results = assess_all(data.customers, activities, as_of=data.as_of, inputs=data.inputs())
    rows = []
    for a in results.values():
        assert a.action is not None and a.profitability is not None
        profit = a.profitability
        stage = a.lifecycle.stage.value
        rows.append(
            [
                a.customer_id,
                "-" if a.customer_class is None else a.customer_class.value,
                a.action.action,
                stage if stage != "current" else f"{a.action.maturity.value} relationship",
                a.action.incentive,
                "-" if a.share is None or a.share.share is None else f"{a.share.share:.0%}",
                f"{profit.shipment_cost:,.0f}",
                f"{profit.service_cost:,.0f}",
                f"{profit.margin:,.0f}",
            ]
        )
    table = render_table(
        ["id", "class", "next best action", "stage", "incentive", "share", "freight",
         "service", "margin"],
        rows,
    )  # fmt: skip
    losers = [
        f"  - {words(r.message)}"
        for a in results.values()
        if a.profitability is not None and a.profitability.unprofitable
        for r in a.profitability.reasons[1:2]
    ]
    warnings = [
        f"  - {a.customer_id}: {words(r.message)}"
        for a in results.values()
        if a.contact_plan is not None
        for r in a.contact_plan.reasons
        if r.code == "contact.plan_cost"
    ]
    groups = profitability_by(results, by="abc_class")
    by_class = ", ".join(
        f"{name} {g.margin:,.0f} CNY ({'-' if g.margin_rate is None else f'{g.margin_rate:.1%}'})"
        for name, g in sorted(groups.items())
    )
    work = worklist(results)
    return "\n".join(
        [
            "Keeping customers: the notes' classes (key: about 5% of customers; potential;",
            "general), the next best action (the 2/8 rule's six), customer share, and over the",
            "last 365 days the margin after the cost to serve (cost to serve = freight + service:",
            "complaints, follow-ups, exceptions; CNY)",
            table,
            f"  margin after cost to serve by Pareto class: {by_class}",
            *(losers or ["  no customer costs more to serve than it earns"]),
            *warnings,
            "",
            f"Monday morning: {work.summary()}.",
            "Complaints and service recovery first, then key-customer reviews, replies to",
            "enquiries, retention calls, routine visits, surveys and record checks; within a",
            "kind, value and lateness (`logicrm worklist`; the first 8)",
            worklist_text(work[:8]).rstrip("\n"),
            breach_text(work.breaches[:5], work.stale_after_days).rstrip("\n")
            + (f"\n  ... and {len(work.breaches) - 5} more" if len(work.breaches) > 5 else "")
            if work.breaches
            else "  nothing overdue past the staleness limit",
        ]
    )


def _credit(data: SampleData, activities: dict[str, Activity]) -> str:
    rows = []
    notes = []
    for profile in data.credit_profiles:
        decision = assess_credit(
            profile, as_of=data.as_of, activity=activities.get(profile.customer_id)
        )
        # against the limit just decided and shown in the same row, never the stored one
        exposure = check_exposure(profile, Money("50000.00", profile.currency), decision=decision)
        rows.append(
            [
                profile.customer_id,
                decision.outcome.value,
                "-" if decision.score is None else f"{decision.score:.1f}",
                f"{decision.limit.amount:,.2f}",
                decision.term_days,
                _fits(exposure),
            ]
        )
        shown = [
            r
            for r in decision.reasons
            if r.code.startswith(("credit.rule", "credit.outcome", "credit.limit"))
        ]
        notes.append(f"  {profile.customer_id}: " + "; ".join(words(r.message) for r in shown[:2]))
    table = render_table(
        ["id", "credit", "score", "limit CNY", "term days", "50,000 order fits"], rows
    )
    return "Credit (5C scorecard, ratio checks, limit and term)\n" + table + "\n" + "\n".join(notes)


def _fits(exposure: ExposureCheck) -> str:
    """The credit table's cell: yes, or no and the first reason that says why."""
    if exposure.allowed:
        return "yes"
    why = {
        "exposure.declined": "cash or prepaid",
        "exposure.under_review": "cash or prepaid until reviewed",
        "exposure.over_limit": "over the limit",
        "exposure.on_hold": "on hold",
    }
    return "no, " + ", ".join(why[r.code] for r in exposure.reasons if r.code in why)


def _service(data: SampleData) -> str:
    kpis = service_kpis(data.shipments)
    measures = [
        [
            measure.value,
            "-" if (v := kpis.value(measure)) is None else _present.measure_value(measure.value, v),
        ]
        for measure in ServiceMeasure
    ]
    survey = servqual(data.survey_responses)
    report = five_gaps(kpis, SAMPLE_STANDARDS, servqual=survey)
    gap_rows = []
    for measure, row in report.measures.items():
        gap_rows.append(
            [
                measure.value,
                *(_gap(row.gaps.get(g), measure.is_rate) for g in Gap),
                row.explained_by.value if row.explained_by else "",
            ]
        )
    dims = ", ".join(f"{d.value} {g:+.2f}" for d, g in survey.dimension_gaps.items())
    sla = complaint_sla(data.complaints, as_of=data.as_of)
    mean = sla.mean_time_to_respond
    lines = [
        "Service quality: the service measures over all shipments",
        render_table(["measure", "value"], measures),
        "",
        "The five gaps (negative is a shortfall)",
        render_table(["measure", *(g.value for g in Gap), "explained by"], gap_rows),
        _worst_line(report),
        "  explained by: of knowledge, standards and delivery, which add up to the service gap,",
        "    the one that makes up most of the measure's service shortfall",
        f"SERVQUAL gaps by dimension (perception - expectation): {dims}",
        f"  weighted {survey.weighted:+.2f}, unweighted {survey.unweighted:+.2f}"
        if survey.weighted is not None and survey.unweighted is not None
        else "",
        *(f"  - {words(r.message)}" for r in report.reasons[:4]),
        "",
        "Complaints against their SLAs",
        f"  {sla.total} complaints: {sla.met} met every deadline, {sla.breached} breached one, "
        f"{sla.open} open; mean time to respond "
        f"{'-' if mean is None else f'{mean / timedelta(hours=1):.1f} h'}; reopen rate "
        f"{(sla.reopen_rate or 0):.0%}; confirmed by a follow-up visit "
        f"{(sla.confirmed_share or 0):.0%}",
        "  backlog by age: " + ", ".join(f"{k.replace('_', ' ')} {n}" for k, n in sla.backlog),
    ]
    return "\n".join(lines)


def _worst_line(report: FiveGapsReport) -> str:
    if report.worst is None:
        return f"  worst gap: none, {report.reasons[0].message}"
    return (
        f"  worst gap: {words(report.reasons[0].message)}\n"
        "    (the largest shortfall in points on a measure short of a level it is held to)"
    )


def _gap(value: float | None, is_rate: bool) -> str:
    if value is None:
        return "-"
    return _present.points(value) if is_rate else _present.hours(value, signed=True)


def _quarantine(data: SampleData) -> str:
    records = [to_dict(s) for s in data.shipments[:3]]
    records[1]["units_damaged"] = 999
    records[2]["ordered_at"] = "2026-06-01T08:00:00"
    result = load_many(Shipment, records)
    lines = [
        "Loading records with quarantine (two records broken on purpose)",
        f"  loaded {len(result.ok)} of {result.total}; rejected:",
    ]
    for rejection in result.rejected:
        for reason in rejection.reasons:
            lines.append(f"    record {rejection.index}: {reason}")
    return "\n".join(lines)


def run_demo(args: argparse.Namespace) -> int:
    """``logicrm demo``: the report; with ``--write-sample``, the sample's files instead, and
    the command that scores them."""
    folder = args.write_sample
    if folder is not None and folder.exists() and not folder.is_dir():
        raise UsageError(f"--write-sample {folder} is a file; name a folder (new or existing)")
    if folder is not None and not _writable_folder(_existing_parent(folder)):
        raise UsageError(f"--write-sample {folder}: cannot create files there")
    if args.write_sample is None:
        sys.stdout.write(demo_report())
    else:
        from logicrm.sample import write_sample

        files = write_sample(args.write_sample)
        options = " ".join(
            f"--{kind.replace('_', '-')} {path}"
            for kind, path in files.items()
            if kind != "shipments"
        )
        sys.stdout.write(
            f"Sample files written to {args.write_sample}; score them with:\n"
            f"  logicrm score {files['shipments']} {options} --as-of 2026-06-30T18:00:00Z\n"
        )
    return EXIT_OK
