"""Hypothesis strategies for every logicrm domain type (needs the ``hypothesis`` package)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import strategies as st

from logicrm.domain import (
    AdministrativeLevel,
    Answer,
    Channel,
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
    Invoice,
    Money,
    Purpose,
    Reason,
    ServiceMeasure,
    ServiceStandard,
    Severity,
    Shipment,
    SpendEstimate,
    StandardKind,
    SurveyResponse,
)
from logicrm.domain._credit import FIGURES
from logicrm.retention import ContactTask, TaskState, TaskStatus

MIN_TIME = datetime(2015, 1, 1, tzinfo=UTC)
MAX_TIME = datetime(2035, 1, 1, tzinfo=UTC)
CURRENCIES = ("CNY", "USD", "EUR", "JPY", "HKD")

_ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5, minutes=-30))]
)
_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "Pd", "Zs")),
    min_size=1,
    max_size=12,
).filter(str.strip)
_IDS = st.text(alphabet="ABCDEFGHJKMNPQRSTVWXYZ0123456789-", min_size=1, max_size=10)


@attrs.frozen(kw_only=True)
class CustomerHistory:
    """A customer with consistent records: its shipments, complaints and credit profile.

    Every shipment and complaint carries the customer's id, amounts share one currency,
    complaints refer to the customer's shipments, and the credit profile's receivable is
    within what the shipments billed.
    """

    customer: Customer
    shipments: tuple[Shipment, ...]
    complaints: tuple[Complaint, ...]
    credit_profile: CreditProfile


def aware_datetimes(
    *, min_value: datetime = MIN_TIME, max_value: datetime = MAX_TIME
) -> st.SearchStrategy[datetime]:
    """Timezone-aware datetimes (UTC and fixed offsets) between the bounds."""
    naive_min = min_value.astimezone(UTC).replace(tzinfo=None) + timedelta(days=1)
    naive_max = max_value.astimezone(UTC).replace(tzinfo=None) - timedelta(days=1)
    return st.builds(
        lambda t, zone: t.replace(tzinfo=UTC).astimezone(zone),
        st.datetimes(min_value=naive_min, max_value=naive_max),
        _ZONES,
    )


def amounts(
    *, min_value: Decimal = Decimal(0), max_value: Decimal = Decimal(1_000_000), places: int = 2
) -> st.SearchStrategy[Decimal]:
    """Finite decimal amounts with ``places`` decimal places."""
    return st.decimals(
        min_value=min_value,
        max_value=max_value,
        places=places,
        allow_nan=False,
        allow_infinity=False,
    )


def money(
    *,
    currency: str | None = None,
    min_value: Decimal = Decimal(0),
    max_value: Decimal = Decimal(1_000_000),
) -> st.SearchStrategy[Money]:
    """[`Money`][logicrm.domain.Money] in ``currency`` (or one of a few common currencies)."""
    currencies = st.just(currency) if currency else st.sampled_from(CURRENCIES)
    return st.builds(Money, amounts(min_value=min_value, max_value=max_value), currencies)


def contact_details() -> st.SearchStrategy[ContactDetails]:
    """Contact details with some fields filled in."""
    return st.builds(
        ContactDetails,
        person=st.none() | _TEXT,
        phone=st.none() | st.from_regex(r"\+86 1[3-9]\d{9}", fullmatch=True),
        email=st.none() | st.emails(),
        address=st.none() | _TEXT,
    )


def customers(
    *, id: str | None = None, kind: CustomerKind | None = None
) -> st.SearchStrategy[Customer]:
    """Valid [`Customer`][logicrm.domain.Customer] records of any kind (or the given one)."""
    return st.builds(
        Customer,
        id=st.just(id) if id else _IDS,
        name=_TEXT,
        kind=st.just(kind) if kind else st.sampled_from(CustomerKind),
        industry=st.none() | st.sampled_from(["automotive", "retail", "chemicals", "food"]),
        region=st.none() | st.sampled_from(["north", "east", "south", "west"]),
        size=st.none() | st.sampled_from(CustomerSize),
        administrative_level=st.none() | st.sampled_from(AdministrativeLevel),
        cargo=st.none() | _TEXT,
        service_mode=st.none() | st.sampled_from(["FTL", "LTL", "express", "warehousing"]),
        registration_id=st.none() | _IDS,
        contact=st.none() | contact_details(),
        source=st.sampled_from(DataSource),
        last_verified_at=st.none() | aware_datetimes(),
        owner=st.none() | st.sampled_from(["AM-1", "AM-2", "AM-3"]),
    )


@st.composite
def shipments(
    draw: st.DrawFn,
    *,
    id: str | None = None,
    customer_id: str | None = None,
    currency: str | None = None,
    min_ordered_at: datetime = MIN_TIME,
    max_ordered_at: datetime = MAX_TIME,
) -> Shipment:
    """Valid [`Shipment`][logicrm.domain.Shipment] records, delivered or in transit, with
    consistent times and units."""
    ordered = draw(aware_datetimes(min_value=min_ordered_at, max_value=max_ordered_at))
    hour = timedelta(hours=1)
    promised = ordered + draw(st.integers(0, 24 * 20)) * hour
    shipped = draw(st.none() | st.integers(0, 24 * 10).map(lambda h: ordered + h * hour))
    delivered = None
    if draw(st.booleans()):
        start = shipped if shipped is not None else ordered
        delivered = start + draw(st.integers(0, 24 * 30)) * hour
    currency = currency or draw(st.sampled_from(CURRENCIES))
    units_ordered = draw(st.integers(0, 500))
    units_delivered = draw(st.integers(0, units_ordered + 5)) if delivered else 0
    flags = st.booleans()
    return Shipment(
        id=id or draw(_IDS),
        customer_id=customer_id or draw(_IDS),
        ordered_at=ordered,
        promised_at=promised,
        shipped_at=shipped,
        delivered_at=delivered,
        revenue=draw(money(currency=currency, max_value=Decimal(100_000))),
        cost=draw(money(currency=currency, max_value=Decimal(100_000))),
        units_ordered=units_ordered,
        units_delivered=units_delivered,
        units_damaged=draw(st.integers(0, units_delivered)),
        invoice_error=draw(flags),
        stockout=draw(flags),
        substituted=draw(flags),
        rerouted=draw(flags),
        returned=draw(flags),
    )


@st.composite
def complaints(
    draw: st.DrawFn,
    *,
    customer_id: str | None = None,
    shipment_ids: Sequence[str] | None = None,
    min_opened_at: datetime = MIN_TIME,
    max_opened_at: datetime = MAX_TIME,
) -> Complaint:
    """Valid [`Complaint`][logicrm.domain.Complaint] records, each walked through a legal part of
    its lifecycle.

    With ``shipment_ids`` given, a complaint refers to one of them or to no shipment.
    """
    opened = draw(aware_datetimes(min_value=min_opened_at, max_value=max_opened_at))
    # Given ids (even none): refer to one of them or to no shipment; else any id or none.
    choices = (
        _IDS
        if shipment_ids is None
        else st.sampled_from(shipment_ids)
        if shipment_ids
        else st.nothing()
    )
    shipment_id = draw(st.none() | choices)
    complaint = Complaint(
        id=draw(_IDS),
        customer_id=customer_id or draw(_IDS),
        shipment_id=shipment_id,
        opened_at=opened,
        channel=draw(st.sampled_from(Channel)),
        category=draw(st.sampled_from(["late", "damaged", "short", "invoice", "conduct"])),
        severity=draw(st.sampled_from(Severity)),
    )
    steps = draw(st.integers(0, 6))
    at = opened
    for _ in range(steps):
        at = at + timedelta(minutes=draw(st.integers(0, 60 * 72)))
        legal = _legal_moves(complaint)
        move = draw(st.sampled_from(legal))
        if move == "respond":
            complaint = complaint.respond(at)
        elif move == "resolve":
            complaint = complaint.resolve(at, cause=draw(st.none() | _TEXT))
        elif move == "confirm":
            complaint = complaint.confirm(at, satisfied=draw(st.booleans()))
        else:
            complaint = complaint.reopen(at, reason=draw(st.none() | _TEXT))
    return complaint


def _legal_moves(complaint: Complaint) -> list[str]:
    status = complaint.status.value
    return {
        "registered": ["respond"],
        "investigating": ["resolve"],
        "resolved": ["confirm", "reopen"],
        "confirmed": ["reopen"],
        "reopened": ["respond"],
    }[status]


@st.composite
def financial_statements(
    draw: st.DrawFn, *, currency: str | None = None, period_end: date | None = None
) -> FinancialStatement:
    """Valid [`FinancialStatement`][logicrm.domain.FinancialStatement] records; some figures may be
    missing."""
    currency = currency or draw(st.sampled_from(CURRENCIES))
    figures = {}
    for name in FIGURES:
        low = Decimal(-1_000_000) if name == "profit" else Decimal(0)
        figures[name] = draw(
            st.none() | money(currency=currency, min_value=low, max_value=Decimal(10_000_000))
        )
    end = period_end or draw(st.dates(min_value=date(2015, 1, 1), max_value=date(2034, 12, 31)))
    return FinancialStatement(period_end=end, **figures)


CREDIT_CRITERIA = (
    "character",
    "capacity",
    "capital",
    "collateral",
    "conditions",
    "personal",
    "purpose",
    "payment",
    "protection",
    "perspective",
    "economic",
    "technical",
    "managerial",
    "organisational",
    "commercial",
    "financial",
)


@st.composite
def credit_profiles(
    draw: st.DrawFn, *, customer_id: str | None = None, currency: str | None = None
) -> CreditProfile:
    """Valid [`CreditProfile`][logicrm.domain.CreditProfile] records with statements and analyst
    ratings."""
    currency = currency or draw(st.sampled_from(CURRENCIES))
    limit = draw(money(currency=currency))
    receivable = draw(money(currency=currency, max_value=Decimal(2_000_000)))
    overdue = draw(money(currency=currency, max_value=receivable.amount))
    ends = draw(
        st.lists(
            st.dates(min_value=date(2015, 1, 1), max_value=date(2034, 12, 31)),
            max_size=3,
            unique=True,
        )
    )
    statements = [draw(financial_statements(currency=currency, period_end=end)) for end in ends]
    ratings = draw(st.dictionaries(st.sampled_from(CREDIT_CRITERIA), st.integers(1, 5)))
    return CreditProfile(
        customer_id=customer_id or draw(_IDS),
        limit=limit,
        term_days=draw(st.integers(0, 180)),
        receivable=receivable,
        overdue=overdue,
        statements=statements,
        ratings=ratings,
    )


@st.composite
def invoices(
    draw: st.DrawFn, *, customer_id: str | None = None, currency: str | None = None
) -> Invoice:
    """Valid [`Invoice`][logicrm.domain.Invoice] records, open or paid."""
    issued = draw(st.dates(min_value=date(2015, 1, 1), max_value=date(2034, 12, 31)))
    due = issued + timedelta(days=draw(st.integers(0, 120)))
    paid = draw(st.none() | st.integers(0, 200).map(lambda d: issued + timedelta(days=d)))
    return Invoice(
        id=draw(_IDS),
        customer_id=customer_id or draw(_IDS),
        issued_on=issued,
        due_on=due,
        amount=draw(money(currency=currency, min_value=Decimal("0.01"))),
        paid_on=paid,
    )


@st.composite
def interactions(
    draw: st.DrawFn,
    *,
    customer_id: str | None = None,
    min_at: datetime = MIN_TIME,
    max_at: datetime = MAX_TIME,
) -> Interaction:
    """Valid [`Interaction`][logicrm.domain.Interaction] records: built-in purposes mostly, now
    and then a policy's own (``"claims_review"``), with or without a personal note."""
    return Interaction(
        id=draw(_IDS),
        customer_id=customer_id or draw(_IDS),
        at=draw(aware_datetimes(min_value=min_at, max_value=max_at)),
        channel=draw(st.sampled_from(Channel)),
        direction=draw(st.sampled_from(["inbound", "outbound"])),
        purpose=draw(st.sampled_from([*Purpose, "claims_review"])),
        staff_id=draw(st.none() | _IDS),
        outcome=draw(st.none() | _TEXT),
        complaint_id=draw(st.none() | _IDS),
        note=draw(st.none() | _TEXT),
    )


@st.composite
def spend_estimates(
    draw: st.DrawFn, *, customer_id: str | None = None, currency: str | None = None
) -> SpendEstimate:
    """Valid [`SpendEstimate`][logicrm.domain.SpendEstimate] records."""
    return SpendEstimate(
        customer_id=customer_id or draw(_IDS),
        annual_spend=draw(money(currency=currency, min_value=Decimal("0.01"))),
        estimated_on=draw(st.dates(min_value=date(2015, 1, 1), max_value=date(2034, 12, 31))),
        source=draw(st.sampled_from(DataSource)),
        provenance=draw(st.none() | _TEXT),
    )


@st.composite
def service_standards(
    draw: st.DrawFn, *, measure: ServiceMeasure | None = None, kind: StandardKind | None = None
) -> ServiceStandard:
    """Valid [`ServiceStandard`][logicrm.domain.ServiceStandard] levels (shares for rates, hours
    for order cycles)."""
    chosen = measure or draw(st.sampled_from(ServiceMeasure))
    target = draw(st.floats(0, 1)) if chosen.is_rate else draw(st.floats(0, 24 * 30))
    return ServiceStandard(
        measure=chosen,
        kind=kind or draw(st.sampled_from(StandardKind)),
        target=target,
        source=draw(st.none() | _TEXT),
    )


def answers(*, scale: int = 7) -> st.SearchStrategy[Answer]:
    """Valid [`Answer`][logicrm.domain.Answer] items on a ``1..scale`` Likert scale."""
    score = st.integers(1, scale)
    return st.builds(
        Answer,
        item=_IDS,
        dimension=st.sampled_from(Dimension),
        expectation=score,
        perception=score,
    )


@st.composite
def survey_responses(
    draw: st.DrawFn, *, customer_id: str | None = None, scale: int = 7
) -> SurveyResponse:
    """Valid [`SurveyResponse`][logicrm.domain.SurveyResponse] records (unique items, optional
    importance points)."""
    items = draw(st.lists(answers(scale=scale), max_size=12, unique_by=lambda a: a.item))
    importance = draw(
        st.none()
        | st.dictionaries(st.sampled_from(Dimension), st.integers(0, 100), min_size=1).filter(
            lambda d: sum(d.values()) > 0
        )
    )
    return SurveyResponse(
        respondent_id=draw(_IDS),
        taken_at=draw(aware_datetimes()),
        answers=items,
        customer_id=customer_id,
        importance=importance,
        scale=scale,
    )


@st.composite
def customer_histories(draw: st.DrawFn, *, max_shipments: int = 20) -> CustomerHistory:
    """A [`CustomerHistory`][logicrm.testing.CustomerHistory]: a customer and its consistent
    shipments, complaints, credit."""
    customer = draw(customers())
    currency = draw(st.sampled_from(CURRENCIES))
    ids = draw(st.lists(_IDS, max_size=max_shipments, unique=True))
    history = [draw(shipments(id=i, customer_id=customer.id, currency=currency)) for i in ids]
    complaint_list = draw(
        st.lists(complaints(customer_id=customer.id, shipment_ids=ids), max_size=3)
    )
    billed = sum((s.revenue for s in history), Money.zero(currency))
    profile = draw(credit_profiles(customer_id=customer.id, currency=currency))
    receivable = min(profile.receivable, billed)
    profile = attrs.evolve(profile, receivable=receivable, overdue=min(profile.overdue, receivable))
    return CustomerHistory(
        customer=customer,
        shipments=tuple(history),
        complaints=tuple(complaint_list),
        credit_profile=profile,
    )


@st.composite
def task_states(
    draw: st.DrawFn,
    *,
    task_id: str | None = None,
    customer_id: str | None = None,
    state: TaskStatus | None = None,
) -> TaskState:
    """Valid [`TaskState`][logicrm.retention.TaskState] entries: done, snoozed (with a date to
    come back), dismissed (with a reason), now and then with an outcome and a next step."""
    chosen = state or draw(st.sampled_from(TaskStatus))
    text = _TEXT.map(str.strip)  # as a CSV cell reads back
    at = draw(aware_datetimes())
    next_step = draw(st.none() | st.sampled_from(ContactTask))
    return TaskState(
        task_id=task_id or draw(_IDS.map(lambda s: f"visit-{s}")),
        customer_id=customer_id or draw(_IDS),
        at=at,
        state=chosen,
        until=draw(aware_datetimes()) if chosen is TaskStatus.SNOOZED else None,
        reason=draw(text) if chosen is TaskStatus.DISMISSED else draw(st.none() | text),
        outcome=draw(st.none() | text),
        next_step=next_step,
        next_due=None if next_step is None else draw(aware_datetimes()),
        staff_id=draw(st.none() | _IDS),
    )


def reasons() -> st.SearchStrategy[Reason]:
    """[`Reason`][logicrm.domain.Reason] values with dotted codes."""
    code = st.lists(
        st.sampled_from(["tier", "value", "credit", "gap", "sla"]), min_size=1, max_size=3
    ).map(".".join)
    return st.builds(Reason, code, _TEXT, st.none() | st.floats(-100, 100))


_FACTORIES: dict[type, Callable[[], st.SearchStrategy[Any]]] = {
    Money: money,
    ContactDetails: contact_details,
    Customer: customers,
    Shipment: shipments,
    Complaint: complaints,
    FinancialStatement: financial_statements,
    CreditProfile: credit_profiles,
    Invoice: invoices,
    Interaction: interactions,
    SpendEstimate: spend_estimates,
    ServiceStandard: service_standards,
    Answer: answers,
    SurveyResponse: survey_responses,
    Reason: reasons,
    TaskState: task_states,
    CustomerHistory: customer_histories,
}


def strategy_for(cls: type) -> st.SearchStrategy[Any]:
    """The default strategy for one of logicrm's types (what ``st.from_type`` uses)."""
    return _FACTORIES[cls]()


def register_type_strategies() -> None:
    """Make ``st.from_type(logicrm.Shipment)`` (and every other domain type) use these.

    Installing logicrm already does this through Hypothesis's ``hypothesis`` entry point;
    call it yourself only where entry points are disabled.
    """
    for cls in _FACTORIES:
        st.register_type_strategy(cls, strategy_for(cls))
