"""Deterministic sample data: customers, shipments, complaints, credit profiles and surveys.

The same seed always gives the same data (no clock, no global random state), so the demo,
the tests, the docs and the benchmarks all see the same figures. Shipment volume is skewed
the way logistics revenue usually is: a Zipf-like weight per customer puts roughly 80% of
revenue with about 20% of customers on large populations.

Examples:
    >>> from logicrm.sample import sample_dataset
    >>> data = sample_dataset()
    >>> len(data.customers), data.shipments[0].revenue.currency
    (12, 'CNY')
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from itertools import accumulate
from pathlib import Path
from typing import Any

import attrs

from logicrm.domain import (
    AdministrativeLevel,
    Answer,
    Complaint,
    ContactDetails,
    CreditProfile,
    Customer,
    CustomerKind,
    CustomerSize,
    DataSource,
    Dimension,
    FinancialStatement,
    Interaction,
    Money,
    ServiceMeasure,
    ServiceStandard,
    Shipment,
    SpendEstimate,
    StandardKind,
    SurveyResponse,
)
from logicrm.domain._money import CONTEXT, in_library_context

__all__ = [
    "SAMPLE_AS_OF",
    "SAMPLE_STANDARDS",
    "SampleData",
    "generate_customers",
    "generate_shipments",
    "sample_dataset",
    "write_sample",
]

SAMPLE_AS_OF = datetime(2026, 6, 30, 18, 0, tzinfo=UTC)
"""The moment the built-in sample is taken at (an aware datetime)."""

SAMPLE_STANDARDS = tuple(
    ServiceStandard(measure=measure, kind=kind, target=target)
    for measure, levels in {
        ServiceMeasure.ON_TIME_RATE: (0.97, 0.95, 0.93, 0.98),
        ServiceMeasure.DAMAGE_RATE: (0.002, 0.003, 0.003, 0.001),
        ServiceMeasure.FILL_RATE: (0.99, 0.98, 0.98, 0.99),
    }.items()
    for kind, target in zip(StandardKind, levels, strict=True)
)
"""The sample company's levels for on-time delivery, damage and fill rate: what customers
require, what management believes they require, the standard it set, and what it promised
(in [`StandardKind`][logicrm.domain.StandardKind] order)."""

_CST = timezone(timedelta(hours=8))
_HISTORY_DAYS = 730
_CURRENCY = "CNY"
_INDUSTRIES = ("automotive", "retail", "electronics", "chemicals", "food", "machinery")
_REGIONS = ("north", "east", "south", "west", "central")

# The demo's twelve customers: (name, kind, size, administrative level, volume weight,
# mean revenue per shipment in CNY, days since they stopped ordering or None).
_DEMO_CUSTOMERS: tuple[tuple[str, str, str | None, str | None, float, int, int | None], ...] = (
    ("Huabei Auto Parts", "enterprise", "large", None, 30.0, 1900, None),
    ("Jiangnan Electronics", "enterprise", "large", None, 18.0, 2100, None),
    ("Lingnan Retail Group", "enterprise", "medium", None, 12.0, 900, 150),
    ("Xibu Chemicals", "enterprise", "medium", None, 5.0, 1200, None),
    ("Zhongyuan Foods", "enterprise", "small", None, 3.0, 520, None),
    ("Dongfang Machinery", "enterprise", "small", None, 1.5, 700, 300),
    ("Provincial Health Commission", "institution", None, "provincial", 4.0, 800, None),
    ("National Archives Office", "institution", None, "national", 2.0, 1500, None),
    ("City Water Bureau", "institution", None, "municipal", 1.0, 400, None),
    ("Wang Fang", "individual", None, None, 4.0, 180, None),
    ("Liu Yang", "individual", None, None, 0.3, 150, None),
    ("Chen Jie", "individual", None, None, 0.4, 120, 400),
)


@attrs.frozen
class SampleData:
    """The built-in sample: everything the demo shows, taken at ``as_of``."""

    as_of: datetime
    customers: tuple[Customer, ...]
    shipments: tuple[Shipment, ...]
    complaints: tuple[Complaint, ...]
    credit_profiles: tuple[CreditProfile, ...]
    survey_responses: tuple[SurveyResponse, ...]
    interactions: tuple[Interaction, ...] = ()
    spend_estimates: tuple[SpendEstimate, ...] = ()

    def inputs(self) -> Any:
        """Everything but customers and shipments, as one
        [`AssessmentInputs`][logicrm.AssessmentInputs] (the sample's service standards
        included), ready for [`assess_all()`][logicrm.assess_all]."""
        from logicrm._assess import AssessmentInputs

        return AssessmentInputs(
            credit_profiles=self.credit_profiles,
            complaints=self.complaints,
            survey_responses=self.survey_responses,
            service_standards=SAMPLE_STANDARDS,
            interactions=self.interactions,
            spend_estimates=self.spend_estimates,
        )


@attrs.frozen
class _Profile:
    weight: float
    mean_revenue: int
    stopped_days_ago: int


@in_library_context
def generate_customers(count: int, *, seed: int = 7) -> tuple[Customer, ...]:
    """``count`` synthetic customers (75% enterprises, 15% individuals, 10% institutions).

    Ids are ``C00000``, ``C00001``, … so that shipments from
    [`generate_shipments()`][logicrm.sample.generate_shipments] with the same ``count`` refer to
    them.
    """
    rng = random.Random(seed)
    result = []
    for index in range(count):
        draw = rng.random()
        kind = (
            CustomerKind.ENTERPRISE
            if draw < 0.75
            else CustomerKind.INDIVIDUAL
            if draw < 0.9
            else CustomerKind.INSTITUTION
        )
        result.append(
            Customer(
                id=_customer_id(index),
                name=f"Customer {index}",
                kind=kind,
                industry=rng.choice(_INDUSTRIES) if kind is CustomerKind.ENTERPRISE else None,
                region=rng.choice(_REGIONS),
                size=rng.choice(list(CustomerSize))
                if kind is not CustomerKind.INDIVIDUAL
                else None,
                administrative_level=(
                    rng.choice(list(AdministrativeLevel))
                    if kind is CustomerKind.INSTITUTION
                    else None
                ),
            )
        )
    return tuple(result)


def generate_shipments(
    count: int,
    *,
    customers: int,
    as_of: datetime = SAMPLE_AS_OF,
    seed: int = 7,
    skew: float = 1.0,
) -> Iterator[Shipment]:
    """Stream ``count`` synthetic shipments over ``customers`` customers (ids ``C00000``…).

    Customer ``i`` gets volume proportional to ``(i + 1) ** -skew`` (``skew=1.0`` puts about
    80% of revenue with the top 20% of 20,000 customers). About 15% of customers stopped
    ordering some time ago; orders span the two years before ``as_of``. Nothing is kept in
    memory, so a million shipments cost no more memory than one.
    """
    rng = random.Random(seed)
    profiles = [
        _Profile(
            weight=(index + 1) ** -skew,
            mean_revenue=rng.randrange(300, 3000),
            stopped_days_ago=rng.randrange(120, 600) if rng.random() < 0.15 else 0,
        )
        for index in range(customers)
    ]
    yield from _shipments(rng, profiles, count, as_of)


def _shipments(
    rng: random.Random, profiles: Sequence[_Profile], count: int, as_of: datetime
) -> Iterator[Shipment]:
    cumulative = list(accumulate(p.weight for p in profiles))
    total = cumulative[-1]
    hour = timedelta(hours=1)
    zero_flags = (False, False, False, False, False)
    random_ = rng.random
    for number in range(count):
        index = min(bisect(cumulative, random_() * total), len(profiles) - 1)
        profile = profiles[index]
        age_days = profile.stopped_days_ago + random_() * (_HISTORY_DAYS - profile.stopped_days_ago)
        ordered = (as_of - timedelta(days=age_days)).astimezone(_CST).replace(microsecond=0)
        promised = ordered + rng.randrange(24, 120) * hour
        shipped = ordered + rng.randrange(1, 24) * hour
        in_transit = ordered > as_of - timedelta(days=2)
        delivered = None
        if not in_transit:
            late = random_() < 0.08
            delay = rng.randrange(1, 48) if late else -rng.randrange(0, 20)
            delivered = max(promised + delay * hour, shipped + hour)
        units = rng.randrange(1, 100)
        short = not in_transit and random_() < 0.03
        delivered_units = (
            0 if in_transit else (units - rng.randrange(1, units + 1) if short else units)
        )
        damaged = (
            rng.randrange(1, min(3, delivered_units) + 1)
            if delivered_units and random_() < 0.02
            else 0
        )
        cents = max(100, int(profile.mean_revenue * 100 * rng.lognormvariate(0.0, 0.35)))
        cost_cents = int(cents * rng.uniform(0.6, 0.95))
        flags = (
            zero_flags
            if random_() < 0.85
            else (
                random_() < 0.15,
                random_() < 0.2,
                random_() < 0.07,
                random_() < 0.25,
                random_() < 0.1,
            )
        )
        yield Shipment(
            id=f"S{number:07d}",
            customer_id=_customer_id(index),
            ordered_at=ordered,
            promised_at=promised,
            shipped_at=shipped,
            delivered_at=delivered,
            revenue=Money(Decimal(cents).scaleb(-2, CONTEXT), _CURRENCY),
            cost=Money(Decimal(cost_cents).scaleb(-2, CONTEXT), _CURRENCY),
            units_ordered=units,
            units_delivered=delivered_units,
            units_damaged=damaged,
            invoice_error=flags[0],
            stockout=flags[1],
            substituted=flags[2],
            rerouted=flags[3],
            returned=flags[4],
        )


def _customer_id(index: int) -> str:
    return f"C{index:05d}"


@in_library_context
def sample_dataset(*, seed: int = 7) -> SampleData:
    """The built-in sample: 12 customers of every kind and their two years of history.

    It holds about 1,500 shipments, complaints at every stage of their lifecycle, credit
    profiles with financial statements for the enterprises and institutions, SERVQUAL
    responses, a contact log (visits, surveys, enquiries, calls) and estimates of the
    enterprises' total logistics spend. Contact details and notes are fictitious.
    """
    rng = random.Random(seed)
    customers = []
    profiles = []
    for index, (name, kind, size, level, weight, mean, stopped) in enumerate(_DEMO_CUSTOMERS):
        customers.append(
            Customer(
                id=_customer_id(index),
                name=name,
                kind=kind,
                size=size,
                administrative_level=level,
                industry=_INDUSTRIES[index % len(_INDUSTRIES)] if kind == "enterprise" else None,
                region=_REGIONS[index % len(_REGIONS)],
                contact=ContactDetails(
                    person=f"Contact {index}",
                    phone=f"+86 138 0000 {index:04d}",
                    email=f"contact{index}@example.com",
                ),
                source=DataSource.EXTERNAL if index % 5 == 4 else DataSource.INTERNAL,
                last_verified_at=SAMPLE_AS_OF - timedelta(days=30 + 61 * index),
            )
        )
        profiles.append(_Profile(weight=weight, mean_revenue=mean, stopped_days_ago=stopped or 0))
    shipments = tuple(_shipments(rng, profiles, 1500, SAMPLE_AS_OF))
    return SampleData(
        as_of=SAMPLE_AS_OF,
        customers=tuple(customers),
        shipments=shipments,
        complaints=_complaints(rng, shipments),
        credit_profiles=_credit_profiles(customers),
        survey_responses=_surveys(rng, customers),
        interactions=_interactions(random.Random(seed + 1), customers),
        spend_estimates=_spend_estimates(customers, shipments),
    )


# Days since each demo customer's last follow-up visit and last survey (None: never), so
# the worklist has overdue, due and scheduled work of every kind.
_LAST_CONTACTS: tuple[tuple[int | None, int | None], ...] = (
    (41, 120),
    (12, 200),
    (75, 400),
    (58, None),
    (20, 90),
    (None, None),
    (33, 150),
    (95, 300),
    (70, 380),
    (None, None),
    (None, None),
    (None, None),
)


def _interactions(rng: random.Random, customers: Sequence[Customer]) -> tuple[Interaction, ...]:
    result = []
    number = 0

    def contact(customer: Customer, days: float, **fields: Any) -> None:
        nonlocal number
        at = (SAMPLE_AS_OF - timedelta(days=days)).astimezone(_CST).replace(microsecond=0)
        result.append(Interaction(id=f"I{number:04d}", customer_id=customer.id, at=at, **fields))
        number += 1

    for customer, (visit, survey) in zip(customers, _LAST_CONTACTS, strict=True):
        staff = f"E{1 + int(customer.id[1:]) % 4:02d}"
        if visit is not None:
            for earlier in (visit + 60, visit):
                contact(customer, earlier, channel="visit", direction="outbound",
                        purpose="follow_up_visit", staff_id=staff, outcome="visited",
                        note=f"Met the logistics manager of {customer.display_name}")  # fmt: skip
        if customer.kind is CustomerKind.INSTITUTION and customer.size is None and visit == 70:
            for days in (100, 160, 220):  # a small body that asks for a lot of attention
                contact(customer, days, channel="visit", direction="outbound",
                        purpose="account_review", staff_id=staff, outcome="reviewed")  # fmt: skip
        if survey is not None:
            contact(customer, survey, channel="email", direction="outbound",
                    purpose="satisfaction_survey", staff_id=staff, outcome="answered")  # fmt: skip
        for _ in range(rng.randrange(1, 6)):
            contact(customer, rng.uniform(1, 360), channel=rng.choice(["phone", "web", "email"]),
                    direction="inbound",
                    purpose=rng.choice(["enquiry", "tracking_lookup", "quote"]))  # fmt: skip
        if customer.kind is not CustomerKind.INDIVIDUAL:
            contact(customer, rng.uniform(1, 200), channel="phone", direction="outbound",
                    purpose="sales_call", staff_id=staff,
                    outcome=rng.choice(["quote sent", "no answer", "call back"]))  # fmt: skip
    return tuple(sorted(result, key=lambda i: (i.at, i.id)))


def _spend_estimates(
    customers: Sequence[Customer], shipments: Sequence[Shipment]
) -> tuple[SpendEstimate, ...]:
    """The enterprises' total annual logistics spend, as bought market data: a multiple of
    what they spend with us, so the shares run from a few percent to most of the wallet."""
    year = SAMPLE_AS_OF - timedelta(days=365)
    ours: dict[str, Decimal] = {}
    for s in shipments:
        if s.ordered_at > year:
            ours[s.customer_id] = ours.get(s.customer_id, Decimal(0)) + s.revenue.amount
    estimates = []
    for index, customer in enumerate(customers):
        if customer.kind is not CustomerKind.ENTERPRISE:
            continue
        multiple = Decimal((1.3, 4, 2, 6, 1.6, 3)[index % 6]).quantize(Decimal("0.1"))
        spend = max(ours.get(customer.id, Decimal(0)) * multiple, Decimal(50_000))
        estimates.append(
            SpendEstimate(
                customer_id=customer.id,
                annual_spend=Money(spend.quantize(Decimal("1000")), _CURRENCY),
                estimated_on=date(2026, 3, 31),
                provenance="industry survey 2026",
            )
        )
    return tuple(estimates)


def _complaints(rng: random.Random, shipments: Sequence[Shipment]) -> tuple[Complaint, ...]:
    troubled = [
        s
        for s in shipments
        if s.delivered_at is not None
        and (s.units_damaged or s.delivered_at > s.promised_at or s.invoice_error)
    ]
    chosen = sorted(rng.sample(troubled, min(24, len(troubled))), key=lambda s: s.ordered_at)
    result: list[Complaint] = []
    for shipment in chosen:
        assert shipment.delivered_at is not None
        opened = shipment.delivered_at + timedelta(hours=rng.randrange(1, 72))
        if opened > SAMPLE_AS_OF:
            continue  # a complaint the sample's as_of cannot have seen yet
        number = len(result)
        category = (
            "damaged"
            if shipment.units_damaged
            else "late"
            if shipment.delivered_at > shipment.promised_at
            else "invoice"
        )
        complaint = Complaint(
            id=f"K{number:04d}",
            customer_id=shipment.customer_id,
            shipment_id=shipment.id,
            opened_at=opened,
            channel=rng.choice(["phone", "email", "web", "visit"]),
            category=category,
            severity=rng.choice(["low", "medium", "medium", "high", "critical"]),
        )
        at = opened
        for step in range(rng.randrange(0, 5)):
            if at + timedelta(days=3) > SAMPLE_AS_OF:
                break
            at += timedelta(hours=rng.randrange(1, 60))
            if step == 0:
                complaint = complaint.respond(at)
            elif step == 1:
                complaint = complaint.resolve(
                    at, cause=rng.choice(["carrier", "warehouse", "billing"])
                )
            elif step == 2:
                complaint = complaint.confirm(at, satisfied=rng.random() < 0.8)
            else:
                complaint = complaint.reopen(at, reason="problem returned")
        result.append(complaint)
    return tuple(result)


def _credit_profiles(customers: Sequence[Customer]) -> tuple[CreditProfile, ...]:
    profiles = []
    for index, customer in enumerate(customers):
        if customer.kind is CustomerKind.INDIVIDUAL:
            continue
        scale = Decimal(10) ** (6 - index // 3)
        strength = Decimal(len(customers) - index) / len(customers)  # earlier rows are stronger

        def cny(factor: str, scale: Decimal = scale) -> Money:
            return Money((Decimal(factor) * scale).quantize(Decimal("0.01")), _CURRENCY)

        statements = tuple(
            FinancialStatement(
                period_end=date(year, 12, 31),
                current_assets=cny(str(Decimal("3.2") * strength + Decimal("0.6"))),
                current_liabilities=cny("1.6"),
                cash=cny(str(Decimal("0.5") * strength)),
                cash_equivalents=cny("0.2"),
                inventory=cny("0.9"),
                total_assets=cny("9"),
                total_liabilities=cny(str(Decimal("7.5") - Decimal(4) * strength)),
                sales=cny(str(Decimal(12) + year - 2024)),
                cash_sales=cny("2"),
                returns_and_allowances=cny("0.4"),
                cost_of_goods_sold=cny("8.5"),
                total_costs=cny("10.8"),
                profit=cny(str(Decimal("1.5") * strength - Decimal("0.3"))),
                accounts_receivable=cny(str(Decimal("1.8") + (year - 2024) * Decimal("0.2"))),
            )
            for year in (2024, 2025)
        )
        rating = max(1, min(5, 5 - index // 2))
        ratings = {
            name: max(1, min(5, rating - (offset % 2)))
            for offset, name in enumerate(
                ("character", "capacity", "capital", "collateral", "conditions")
            )
        }
        limit = Money(Decimal(200_000) - index * Decimal(15_000), _CURRENCY)
        receivable = Money(Decimal(60_000) + index * Decimal(11_000), _CURRENCY)
        profiles.append(
            CreditProfile(
                customer_id=customer.id,
                limit=limit,
                term_days=60 - 5 * index,
                receivable=receivable,
                overdue=Money(Decimal(index * 4_000), _CURRENCY),
                statements=statements,
                ratings=ratings,
            )
        )
    return tuple(profiles)


_ITEMS = (
    ("T1", Dimension.TANGIBLES),
    ("T2", Dimension.TANGIBLES),
    ("R1", Dimension.RELIABILITY),
    ("R2", Dimension.RELIABILITY),
    ("R3", Dimension.RELIABILITY),
    ("S1", Dimension.RESPONSIVENESS),
    ("S2", Dimension.RESPONSIVENESS),
    ("A1", Dimension.ASSURANCE),
    ("A2", Dimension.ASSURANCE),
    ("E1", Dimension.EMPATHY),
    ("E2", Dimension.EMPATHY),
)


def _surveys(rng: random.Random, customers: Sequence[Customer]) -> tuple[SurveyResponse, ...]:
    # Reliability and responsiveness fall furthest short: the sample's story for the gaps.
    shortfall = {
        Dimension.TANGIBLES: 0,
        Dimension.RELIABILITY: 2,
        Dimension.RESPONSIVENESS: 1,
        Dimension.ASSURANCE: 0,
        Dimension.EMPATHY: 1,
    }
    responses = []
    for number in range(20):
        customer = customers[number % len(customers)]
        answers = []
        for item, dimension in _ITEMS:
            expectation = rng.randint(5, 7)
            perception = max(1, min(7, expectation - shortfall[dimension] + rng.randint(-1, 1)))
            answers.append(
                Answer(
                    item=item, dimension=dimension, expectation=expectation, perception=perception
                )
            )
        importance = {
            Dimension.TANGIBLES: 10,
            Dimension.RELIABILITY: 35,
            Dimension.RESPONSIVENESS: 25,
            Dimension.ASSURANCE: 15,
            Dimension.EMPATHY: 15,
        }
        responses.append(
            SurveyResponse(
                respondent_id=f"R{number:03d}",
                taken_at=SAMPLE_AS_OF - timedelta(days=rng.randrange(1, 90)),
                answers=answers,
                customer_id=customer.id,
                importance=importance,
            )
        )
    return tuple(responses)


def write_sample(folder: str | Path, data: SampleData | None = None) -> dict[str, Path]:
    """Write the sample as the files ``logicrm score`` reads; returns them by kind.

    Customers, shipments, complaints, service standards, interactions and spend estimates as
    CSV; credit profiles and
    survey responses (nested records) as JSON Lines. The folder is created if missing.

    Examples:
        >>> import tempfile
        >>> files = write_sample(tempfile.mkdtemp())
        >>> sorted(files)  # doctest: +NORMALIZE_WHITESPACE
        ['complaints', 'credit_profiles', 'customers', 'interactions', 'shipments',
         'spend_estimates', 'standards', 'surveys']
    """
    from logicrm import io

    data = data or sample_dataset()
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    files = {
        "customers": (root / "customers.csv", data.customers),
        "shipments": (root / "shipments.csv", data.shipments),
        "complaints": (root / "complaints.csv", data.complaints),
        "credit_profiles": (root / "credit_profiles.jsonl", data.credit_profiles),
        "surveys": (root / "surveys.jsonl", data.survey_responses),
        "standards": (root / "standards.csv", SAMPLE_STANDARDS),
        "interactions": (root / "interactions.csv", data.interactions),
        "spend_estimates": (root / "spend_estimates.csv", data.spend_estimates),
    }
    for path, records in files.values():
        rows: Sequence[Any] = records
        if records is data.customers and all(c.owner is None for c in data.customers):
            # no owners in the sample: its customers file keeps the columns a TMS table of
            # the tutorials has (an owner column is optional on reading)
            rows = [_without_owner(c) for c in data.customers]
        io.write(path, rows, spreadsheet_safe=False)  # input files, read back exactly
    return {kind: path for kind, (path, _) in files.items()}


def _without_owner(customer: Customer) -> dict[str, Any]:
    from logicrm.serialization import to_dict

    row: dict[str, Any] = to_dict(customer)
    row.pop("owner", None)
    return row
