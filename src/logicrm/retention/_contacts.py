"""The contact log folded per customer, the follow-up plan it implies, and the worklist.

The domain notes ask for regular follow-up visits (定期回访), periodic satisfaction surveys
(客户满意度调查), customer records checked and updated (定期检查、更新) and a visit after every
resolved complaint (回访确认). [`ContactPolicy`][logicrm.retention.ContactPolicy] says how often,
per tier and for key customers; [`contact_plan()`][logicrm.retention.contact_plan] says what is
due for one customer and why; [`worklist()`][logicrm.retention.worklist] orders everything due
the way a service manager works through it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import attrs

from logicrm.domain import (
    Complaint,
    ComplaintStatus,
    Customer,
    Direction,
    Interaction,
    Purpose,
    Reason,
)
from logicrm.domain._checks import MAX_DAYS, check_aware, check_int, check_number, fail
from logicrm.domain._interaction import _purpose
from logicrm.domain._reason import plural
from logicrm.quality import ComplaintPolicy
from logicrm.scoring import WINDOW_DAYS, AbcClass, Activity, Tier
from logicrm.scoring._activity import window_index

if TYPE_CHECKING:
    from logicrm._assess import Assessment
    from logicrm.retention._action import SalesAction

DEMAND_PURPOSES = (Purpose.ENQUIRY.value, Purpose.QUOTE.value)
"""The purposes of an inbound contact that signal demand: enquiries and quote requests."""


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    """The later moment; of two equal instants, the one with the larger offset, so the
    result never depends on the order of the operands (it runs per contact: no key tuples)."""
    if a is None:
        return b
    if b is None or a > b:
        return a
    return b if b > a or b.utcoffset() > a.utcoffset() else a  # type: ignore[operator]


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    """The earlier moment; of two equal instants, the one with the smaller offset."""
    if a is None:
        return b
    if b is None or a < b:
        return a
    return b if b < a or b.utcoffset() < a.utcoffset() else a  # type: ignore[operator]


@attrs.define(kw_only=True)
class ContactActivity:
    """A customer's contact log folded into one aggregate that merges exactly.

    Like [`Activity`][logicrm.scoring.Activity], it is an accumulator:
    [`add()`][logicrm.retention.ContactActivity.add] folds one
    [`Interaction`][logicrm.domain.Interaction] in place, and
    [`merge()`][logicrm.retention.ContactActivity.merge] is associative and commutative with
    [`empty()`][logicrm.retention.ContactActivity.empty] as its identity, so partial logs from any
    split of the data combine to exactly the single-pass result. Contacts after ``as_of`` are
    only counted in ``ignored_after_as_of``; trailing windows hold contacts with
    ``as_of - days < at <= as_of`` for each of [`WINDOW_DAYS`][logicrm.scoring.WINDOW_DAYS].

    Attributes:
        customer_id: whose contacts.
        as_of: the moment the log is taken at (aware).
        contacts: contacts counted.
        first_at: the earliest contact.
        last_by_purpose: purpose -> the latest contact with that purpose.
        by_purpose: purpose -> contacts with that purpose.
        by_channel: channel value -> contacts per trailing window, in ``WINDOW_DAYS`` order.
        demand: inbound enquiries and quote requests
            ([`DEMAND_PURPOSES`][logicrm.retention.DEMAND_PURPOSES]) per trailing window: a
            demand signal.
        ignored_after_as_of: contacts seen but dated after ``as_of``.

    Examples:
        >>> from datetime import datetime, timezone
        >>> from logicrm import Interaction
        >>> at = datetime(2026, 6, 1, 9, tzinfo=timezone.utc)
        >>> log = summarize_interactions(
        ...     [Interaction(id="I1", customer_id="C1", at=at, channel="phone",
        ...                  direction="inbound", purpose="enquiry")],
        ...     as_of=datetime(2026, 6, 30, tzinfo=timezone.utc))
        >>> log["C1"].demand_within(30), log["C1"].last_at("enquiry") == at
        (1, True)
    """

    customer_id: str
    as_of: datetime
    contacts: int = 0
    first_at: datetime | None = None
    last_by_purpose: dict[str, datetime] = attrs.field(factory=dict)
    by_purpose: dict[str, int] = attrs.field(factory=dict)
    by_channel: dict[str, list[int]] = attrs.field(factory=dict)
    demand: list[int] = attrs.field(factory=lambda: [0] * len(WINDOW_DAYS))
    ignored_after_as_of: int = 0
    _cutoffs: tuple[datetime, ...] = attrs.field(default=(), eq=False, repr=False, init=False)

    def __attrs_post_init__(self) -> None:
        check_aware("as_of", self.as_of)
        self._cutoffs = tuple(self.as_of - timedelta(days=days) for days in WINDOW_DAYS)

    @classmethod
    def empty(cls, customer_id: str, *, as_of: datetime) -> ContactActivity:
        """A log with nothing in it: the identity of ``merge``."""
        return cls(customer_id=customer_id, as_of=as_of)

    def add(self, interaction: Interaction) -> ContactActivity:
        """Fold one contact in (in place) and return ``self``.

        Raises:
            ValidationError: the contact is another customer's.
        """
        if interaction.customer_id != self.customer_id:
            fail("customer_id", interaction.customer_id, f"is not {self.customer_id!r}'s")
        at = interaction.at
        if at > self.as_of:
            self.ignored_after_as_of += 1
            return self
        self.contacts += 1
        self.first_at = _earliest(self.first_at, at)
        purpose = interaction.purpose
        self.last_by_purpose[purpose] = _latest(self.last_by_purpose.get(purpose), at)  # type: ignore[assignment]
        self.by_purpose[purpose] = self.by_purpose.get(purpose, 0) + 1
        channel = interaction.channel.value
        windows = self.by_channel.get(channel)
        if windows is None:
            windows = self.by_channel[channel] = [0] * len(WINDOW_DAYS)
        demand = purpose in DEMAND_PURPOSES and interaction.direction is Direction.INBOUND
        cutoffs = self._cutoffs
        for index in range(len(WINDOW_DAYS) - 1, -1, -1):  # the windows nest: widest first
            if at <= cutoffs[index]:
                break
            windows[index] += 1
            if demand:
                self.demand[index] += 1
        return self

    def merge(self, other: ContactActivity) -> ContactActivity:
        """A new log holding both operands' contacts (neither changes).

        Raises:
            ValidationError: the logs are for different customers or ``as_of``.
        """
        if other.customer_id != self.customer_id:
            fail("customer_id", other.customer_id, f"cannot merge into {self.customer_id!r}")
        if other.as_of != self.as_of:
            fail("as_of", other.as_of, f"cannot merge logs taken at {self.as_of}")
        last = dict(self.last_by_purpose)
        for purpose, at in other.last_by_purpose.items():
            last[purpose] = _latest(last.get(purpose), at)  # type: ignore[assignment]
        channels = {k: list(v) for k, v in self.by_channel.items()}
        for channel, counts in other.by_channel.items():
            mine = channels.setdefault(channel, [0] * len(WINDOW_DAYS))
            channels[channel] = [a + b for a, b in zip(mine, counts, strict=True)]
        purposes = dict(self.by_purpose)
        for purpose, count in other.by_purpose.items():
            purposes[purpose] = purposes.get(purpose, 0) + count
        return ContactActivity(
            customer_id=self.customer_id,
            as_of=self.as_of,
            contacts=self.contacts + other.contacts,
            first_at=_earliest(self.first_at, other.first_at),
            last_by_purpose=dict(sorted(last.items())),
            by_purpose=dict(sorted(purposes.items())),
            by_channel=dict(sorted(channels.items())),
            demand=[a + b for a, b in zip(self.demand, other.demand, strict=True)],
            ignored_after_as_of=self.ignored_after_as_of + other.ignored_after_as_of,
        )

    def last_at(self, *purposes: str) -> datetime | None:
        """The latest contact with any of ``purposes`` (``None`` if there is none)."""
        latest: datetime | None = None
        for purpose in purposes:
            latest = _latest(latest, self.last_by_purpose.get(purpose))
        return latest

    def count(self, *purposes: str) -> int:
        """Contacts with any of ``purposes``."""
        return sum(self.by_purpose.get(p, 0) for p in purposes)

    def channel_within(self, channel: str, days: int) -> int:
        """Contacts through ``channel`` in the ``days`` before ``as_of``."""
        return self.by_channel.get(channel, [0] * len(WINDOW_DAYS))[window_index(days)]

    def demand_within(self, days: int) -> int:
        """Inbound enquiries and quote requests in the ``days`` before ``as_of``."""
        return self.demand[window_index(days)]


def summarize_interactions(
    interactions: Iterable[Interaction], *, as_of: datetime
) -> dict[str, ContactActivity]:
    """One streaming pass over a contact log: ``{customer_id: ContactActivity}``, customers in
    the order first seen; contacts after ``as_of`` are only counted as ignored."""
    check_aware("as_of", as_of)
    result: dict[str, ContactActivity] = {}
    for interaction in interactions:
        log = result.get(interaction.customer_id)
        if log is None:
            log = result[interaction.customer_id] = ContactActivity.empty(
                interaction.customer_id, as_of=as_of
            )
        log.add(interaction)
    return result


# -- the policy ---------------------------------------------------------------------------


def _days(field: str, value: int | None) -> None:
    if value is not None:
        check_int(field, value, min_value=1, max_value=MAX_DAYS)


@attrs.frozen(kw_only=True)
class ContactIntervals:
    """How often a customer is visited, surveyed and has its record re-verified, in days;
    ``None`` means never."""

    visit_days: int | None = None
    survey_days: int | None = None
    verify_days: int | None = None

    def __attrs_post_init__(self) -> None:
        for name in ("visit_days", "survey_days", "verify_days"):
            _days(name, getattr(self, name))


_DEFAULT_BY_TIER = MappingProxyType(
    {
        Tier.LARGE: ContactIntervals(visit_days=30, survey_days=180, verify_days=180),
        Tier.MEDIUM: ContactIntervals(visit_days=60, survey_days=365, verify_days=365),
        Tier.SMALL: ContactIntervals(visit_days=90, survey_days=365, verify_days=365),
        Tier.FREQUENT: ContactIntervals(visit_days=90, survey_days=365, verify_days=365),
        Tier.OCCASIONAL: ContactIntervals(verify_days=730),
        Tier.INSTITUTION_A: ContactIntervals(visit_days=30, survey_days=180, verify_days=180),
        Tier.INSTITUTION_B: ContactIntervals(visit_days=60, survey_days=365, verify_days=365),
        Tier.INSTITUTION_C: ContactIntervals(visit_days=90, survey_days=365, verify_days=365),
        Tier.UNCLASSIFIED: ContactIntervals(verify_days=365),
    }
)
_DEFAULT_BY_CLASS = MappingProxyType(
    {AbcClass.A: ContactIntervals(visit_days=30, survey_days=180, verify_days=180)}
)


def _with_default_tiers(value: Mapping[Tier, ContactIntervals]) -> Mapping[Tier, ContactIntervals]:
    if not isinstance(value, Mapping):
        fail("by_tier", value, "must map tiers to ContactIntervals")
    return MappingProxyType({**_DEFAULT_BY_TIER, **value})


def _purposes(value: object) -> tuple[str, ...]:
    """A list of purposes, each checked as an ``Interaction`` checks its own."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        fail("purposes", value, "must be a list of purposes")
    return tuple(_purpose(p) for p in value)


@attrs.frozen(kw_only=True)
class ContactPolicy:
    """How often to contact each customer, and how the worklist weighs what is overdue.

    Attributes:
        by_tier: [`Tier`][logicrm.scoring.Tier] -> its
            [`ContactIntervals`][logicrm.retention.ContactIntervals]. Defaults: large enterprises
            and class A institutions visited every 30 days, surveyed every 180 and re-verified
            every 180; medium and class B every 60 / 365 / 365; small, class C and frequent
            individuals every 90 / 365 / 365; occasional individuals never visited or surveyed,
            re-verified every 730; unclassified customers re-verified every 365. A tier left out
            keeps its default; give it empty intervals (``[contact.by_tier.small]`` with no
            keys) to plan nothing for it.
        by_class: [`AbcClass`][logicrm.scoring.AbcClass] -> intervals that replace the tier's for
            customers of that Pareto class (default: class A, the key customers, every 30 /
            180 / 180 days whatever their tier). The mapping given is the whole override: an
            empty one leaves every customer to its tier.
        due_within_days: a contact falling due within this many days after ``as_of`` is
            already *due* (7: this week's work).
        visit_purposes: the purposes that count as a follow-up visit
            (``follow_up_visit``, ``account_review``).
        survey_purposes: the purposes that count as a satisfaction survey
            (``satisfaction_survey``).
        purposes: purposes the company records beyond [`Purpose`][logicrm.domain.Purpose]'s; a
            plan names contacts with a purpose neither lists.
        complaint_follow_up: plan the visit that confirms each resolved complaint, due when
            the [`ComplaintPolicy`][logicrm.quality.ComplaintPolicy] says (default on).
        unvalued_weight: the worklist's weight for a customer without a value score (0.5,
            the middle of the scale).
    """

    by_tier: Mapping[Tier, ContactIntervals] = attrs.field(
        default=_DEFAULT_BY_TIER, converter=_with_default_tiers, hash=False
    )
    by_class: Mapping[AbcClass, ContactIntervals] = attrs.field(
        default=_DEFAULT_BY_CLASS, hash=False
    )
    due_within_days: int = 7
    visit_purposes: tuple[str, ...] = attrs.field(
        default=(Purpose.FOLLOW_UP_VISIT.value, Purpose.ACCOUNT_REVIEW.value),
        converter=_purposes,
    )
    survey_purposes: tuple[str, ...] = attrs.field(
        default=(Purpose.SATISFACTION_SURVEY.value,), converter=_purposes
    )
    purposes: tuple[str, ...] = attrs.field(default=(), converter=_purposes)
    complaint_follow_up: bool = True
    unvalued_weight: float = 0.5

    def __attrs_post_init__(self) -> None:
        check_int("due_within_days", self.due_within_days, min_value=0, max_value=MAX_DAYS)
        check_number("unvalued_weight", self.unvalued_weight, min_value=0, max_value=1)
        known = self.known_purposes
        for name in ("visit_purposes", "survey_purposes"):
            unknown = [p for p in getattr(self, name) if p not in known]
            if unknown:
                fail(name, unknown, "names purposes neither Purpose nor `purposes` lists")

    @property
    def known_purposes(self) -> frozenset[str]:
        """The built-in purposes and the policy's own."""
        return frozenset({*(p.value for p in Purpose), *self.purposes})

    def intervals(self, tier: Tier, abc_class: AbcClass | None) -> ContactIntervals:
        """The intervals for a customer of ``tier`` and ``abc_class``: the class's when the
        policy names it, else the tier's, else none."""
        if abc_class is not None and abc_class in self.by_class:
            return self.by_class[abc_class]
        return self.by_tier.get(tier, ContactIntervals())


# -- the plan ------------------------------------------------------------------------------


class ContactTask(StrEnum):
    """What a planned contact is for."""

    FOLLOW_UP_VISIT = "follow_up_visit"
    SATISFACTION_SURVEY = "satisfaction_survey"
    RECORD_CHECK = "record_check"
    COMPLAINT_FOLLOW_UP = "complaint_follow_up"


class DueStatus(StrEnum):
    """Where a planned contact stands at ``as_of``: past its date, due within the policy's
    days, or later."""

    OVERDUE = "overdue"
    DUE = "due"
    SCHEDULED = "scheduled"


_TASK_ORDER = {task: index for index, task in enumerate(ContactTask)}


@attrs.frozen(kw_only=True)
class ContactItem:
    """One planned contact.

    Attributes:
        task: the [`ContactTask`][logicrm.retention.ContactTask].
        due_at: when it falls due.
        status: [`DueStatus`][logicrm.retention.DueStatus] at ``as_of``.
        days_overdue: whole days past ``due_at`` (0 unless overdue).
        last_done_at: the last such contact (the last verification for a record check),
            ``None`` if never.
        interval_days: the policy's interval, ``None`` for a complaint follow-up.
        complaint_id: the complaint a follow-up confirms.
        reason: why it is due then, in words and figures.
    """

    task: ContactTask
    due_at: datetime
    status: DueStatus
    days_overdue: int
    last_done_at: datetime | None
    interval_days: int | None
    reason: Reason
    complaint_id: str | None = None

    @property
    def is_open(self) -> bool:
        """Due or overdue: work for now."""
        return self.status is not DueStatus.SCHEDULED


@attrs.frozen(kw_only=True)
class ContactPlan:
    """One customer's planned contacts at ``as_of``, earliest first, with the reasons.

    Attributes:
        customer_id: the customer.
        as_of: when the plan was made.
        items: every planned [`ContactItem`][logicrm.retention.ContactItem], by ``due_at``.
        reasons: each item's reason, then what the policy plans nothing for, and contacts
            with purposes the policy does not know.
    """

    customer_id: str
    as_of: datetime
    items: tuple[ContactItem, ...]
    reasons: tuple[Reason, ...]

    @property
    def open_items(self) -> tuple[ContactItem, ...]:
        """The items due or overdue."""
        return tuple(item for item in self.items if item.is_open)

    @property
    def overdue(self) -> int:
        """How many items are overdue."""
        return sum(1 for item in self.items if item.status is DueStatus.OVERDUE)

    @property
    def next_due(self) -> datetime | None:
        """The earliest ``due_at`` of any item (``None`` with nothing planned)."""
        return self.items[0].due_at if self.items else None

    def _repr_html_(self) -> str:
        from logicrm._html import render

        return render(self)


_WHAT = {
    ContactTask.FOLLOW_UP_VISIT: "follow-up visit",
    ContactTask.SATISFACTION_SURVEY: "satisfaction survey",
    ContactTask.RECORD_CHECK: "record check",
    ContactTask.COMPLAINT_FOLLOW_UP: "complaint follow-up",
}


def _utc(moment: datetime | None) -> datetime | None:
    """``moment`` in UTC; one at the calendar's edge whose UTC falls outside it (year 1 at
    +14:00) is the calendar's first or last UTC instant, as shipment times are kept."""
    if moment is None:
        return None
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        edge = datetime.min if moment.year == 1 else datetime.max
        return edge.replace(tzinfo=UTC)


def _status(due_at: datetime, as_of: datetime, due_within_days: int) -> tuple[DueStatus, int]:
    if due_at < as_of:
        return DueStatus.OVERDUE, (as_of - due_at).days
    if due_at <= as_of + timedelta(days=due_within_days):
        return DueStatus.DUE, 0
    return DueStatus.SCHEDULED, 0


def _when(status: DueStatus, days: int, due_at: datetime) -> str:
    if status is DueStatus.OVERDUE:
        return f"overdue by {plural(days, 'day')} (due {due_at.date().isoformat()})"
    return f"{status.value} {due_at.date().isoformat()}"


def _recurring(
    task: ContactTask,
    interval: int,
    last: datetime | None,
    start: datetime | None,
    as_of: datetime,
    policy: ContactPolicy,
    basis: str,
) -> ContactItem:
    """A contact due ``interval`` days after the last one; never done, ``interval`` days after
    the relationship began; with no relationship yet, now."""
    if last is not None:
        due_at, since = last + timedelta(days=interval), f"last {last.date().isoformat()}"
    elif start is not None:
        due_at, since = (
            start + timedelta(days=interval),
            (f"never done; relationship since {start.date().isoformat()}"),
        )
    else:
        due_at, since = as_of, "never done, no history: due now"
    status, days = _status(due_at, as_of, policy.due_within_days)
    what = _WHAT[task]
    message = (
        f"{what} every {plural(interval, 'day')} ({basis}), {since}: {_when(status, days, due_at)}"
    )
    return ContactItem(
        task=task,
        due_at=due_at,
        status=status,
        days_overdue=days,
        last_done_at=last,
        interval_days=interval,
        reason=Reason(f"contact.{task.value}.{status.value}", message),
    )


def contact_plan(
    customer: Customer,
    *,
    as_of: datetime,
    tier: Tier,
    abc_class: AbcClass | None = None,
    contacts: ContactActivity | None = None,
    activity: Activity | None = None,
    complaints: Iterable[Complaint] = (),
    policy: ContactPolicy = ContactPolicy(),
    complaint_policy: ComplaintPolicy = ComplaintPolicy(),  # noqa: B008
) -> ContactPlan:
    """The follow-up visits, satisfaction surveys, record checks and complaint follow-ups a
    customer is due, each with its date and reason.

    A visit or survey falls due the policy's interval after the last contact with one of its
    purposes; a record check, after ``Customer.last_verified_at``. One never done falls due the
    interval after the relationship began (the first order or first contact, whichever is
    earlier), or now when there is neither. Dates and times are in UTC, whatever the inputs'
    offsets, so a plan never depends on how a reader stored a time. Every resolved complaint
    not yet confirmed gets a follow-up due ``confirm_within`` after its resolution, as the
    complaint SLA says. An item is *overdue* once its date is past (``due_at < as_of``),
    *due* when it falls within ``due_within_days``, otherwise *scheduled*.

    Args:
        customer: the customer.
        as_of: the moment of the plan (aware).
        tier: the customer's [`Tier`][logicrm.scoring.Tier] (its intervals).
        abc_class: its Pareto class; a class the policy names overrides the tier.
        contacts: its [`ContactActivity`][logicrm.retention.ContactActivity] (``None``: no
            contact on record).
        activity: its shipments' [`Activity`][logicrm.scoring.Activity], for when the
            relationship began.
        complaints: its complaints.
        policy: the [`ContactPolicy`][logicrm.retention.ContactPolicy].
        complaint_policy: the complaint SLA times the follow-ups reuse.

    Examples:
        >>> from datetime import datetime, timezone
        >>> from logicrm import Customer, Interaction, Tier
        >>> as_of = datetime(2026, 6, 30, tzinfo=timezone.utc)
        >>> visit = Interaction(id="I1", customer_id="C1", channel="visit",
        ...                     direction="outbound", purpose="follow_up_visit",
        ...                     at=datetime(2026, 5, 21, tzinfo=timezone.utc))
        >>> log = summarize_interactions([visit], as_of=as_of)["C1"]
        >>> plan = contact_plan(Customer(id="C1", name="Acme", kind="enterprise"),
        ...                     as_of=as_of, tier=Tier.LARGE, contacts=log)
        >>> first = plan.items[0]
        >>> first.task.value, first.status.value, first.days_overdue
        ('follow_up_visit', 'overdue', 10)
    """
    check_aware("as_of", as_of)
    as_of = as_of.astimezone(UTC)  # every date of the plan is a UTC one, whatever the inputs'
    if contacts is not None and contacts.customer_id != customer.id:
        fail("contacts.customer_id", contacts.customer_id, f"is not {customer.id!r}")
    log = contacts or ContactActivity.empty(customer.id, as_of=as_of)
    intervals = policy.intervals(tier, abc_class)
    basis = (
        f"class {abc_class.name}"
        if abc_class is not None and abc_class in policy.by_class
        else f"tier {tier.value}"
    )
    first_order = activity.first_order_at if activity is not None else None
    start = _utc(_earliest(first_order, log.first_at))
    items: list[ContactItem] = []
    notes: list[Reason] = []
    for task, interval, last in (
        (
            ContactTask.FOLLOW_UP_VISIT,
            intervals.visit_days,
            _utc(log.last_at(*policy.visit_purposes)),
        ),
        (
            ContactTask.SATISFACTION_SURVEY,
            intervals.survey_days,
            _utc(log.last_at(*policy.survey_purposes)),
        ),
        (ContactTask.RECORD_CHECK, intervals.verify_days, _utc(customer.last_verified_at)),
    ):
        if interval is None:
            notes.append(
                Reason(f"contact.{task.value}.none", f"no {_WHAT[task]}s planned for {basis}")
            )
            continue
        items.append(_recurring(task, interval, last, start, as_of, policy, basis))
    if policy.complaint_follow_up:
        items.extend(_complaint_items(customer, complaints, as_of, tier, policy, complaint_policy))
    unknown = sorted(p for p in log.by_purpose if p not in policy.known_purposes)
    if unknown:
        count = log.count(*unknown)
        notes.append(
            Reason(
                "contact.unknown_purpose",
                f"{plural(count, 'contact')} with purposes the policy does not list: "
                + ", ".join(unknown[:5])
                + (" ..." if len(unknown) > 5 else ""),
            )
        )
    items.sort(key=lambda i: (i.due_at, _TASK_ORDER[i.task], i.complaint_id or ""))
    return ContactPlan(
        customer_id=customer.id,
        as_of=as_of,
        items=tuple(items),
        reasons=(*(i.reason for i in items), *notes),
    )


def _complaint_items(
    customer: Customer,
    complaints: Iterable[Complaint],
    as_of: datetime,
    tier: Tier,
    policy: ContactPolicy,
    complaint_policy: ComplaintPolicy,
) -> list[ContactItem]:
    items = []
    for complaint in complaints:
        if complaint.customer_id != customer.id:
            fail("complaints", complaint.id, f"is not a complaint of {customer.id!r}")
        if complaint.status is not ComplaintStatus.RESOLVED or complaint.resolved_at is None:
            continue
        if complaint.resolved_at > as_of:
            continue
        within = complaint_policy.for_complaint(complaint.severity, tier).confirm_within
        resolved = complaint.resolved_at.astimezone(UTC)
        due_at = resolved + within
        status, days = _status(due_at, as_of, policy.due_within_days)
        message = (
            f"complaint {complaint.id} ({complaint.severity.value}) resolved "
            f"{resolved.date().isoformat()}: confirm by a visit within "
            f"{plural(within.days, 'day')} (complaint SLA); {_when(status, days, due_at)}"
        )
        items.append(
            ContactItem(
                task=ContactTask.COMPLAINT_FOLLOW_UP,
                due_at=due_at,
                status=status,
                days_overdue=days,
                last_done_at=None,
                interval_days=None,
                complaint_id=complaint.id,
                reason=Reason(f"contact.complaint_follow_up.{status.value}", message),
            )
        )
    return items


# -- the worklist --------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class WorkItem:
    """One line of the worklist: a contact to make, for whom, and why now.

    Attributes:
        rank: its place in the list, from 1.
        customer_id: the customer.
        task: the [`ContactTask`][logicrm.retention.ContactTask].
        due_at: when it fell or falls due.
        status: overdue or due.
        days_overdue: whole days past due.
        key_customer: the customer is a key customer.
        churn_flag: a key customer at churn risk (these come first).
        value_score: the customer's value score (0-100), ``None`` if it has none.
        priority: ``days_overdue`` x the value weight (``value_score / 100``, or the policy's
            ``unvalued_weight``).
        action: the customer's next best action, when assessed.
        complaint_id: the complaint a follow-up confirms.
        reasons: why this contact is due, then why the action.
    """

    rank: int
    customer_id: str
    task: ContactTask
    due_at: datetime
    status: DueStatus
    days_overdue: int
    key_customer: bool
    churn_flag: bool
    value_score: float | None
    priority: float
    action: SalesAction | None
    reasons: tuple[Reason, ...]
    complaint_id: str | None = None

    def row(self) -> dict[str, Any]:
        """The item as one flat row of plain values (what ``logicrm worklist`` writes)."""
        return {
            "rank": self.rank,
            "customer_id": self.customer_id,
            "task": self.task.value,
            "status": self.status.value,
            "due_at": self.due_at.isoformat(),
            "days_overdue": self.days_overdue,
            "key_customer": self.key_customer,
            "churn_flag": self.churn_flag,
            "value_score": None if self.value_score is None else round(self.value_score, 2),
            "priority": round(self.priority, 2),
            "next_action": None if self.action is None else self.action.value,
            "complaint_id": self.complaint_id,
            "why": "; ".join(r.message for r in self.reasons),
        }

    def _repr_html_(self) -> str:
        from logicrm._html import render

        return render(self)


WORKLIST_COLUMNS = (
    "rank",
    "customer_id",
    "task",
    "status",
    "due_at",
    "days_overdue",
    "key_customer",
    "churn_flag",
    "value_score",
    "priority",
    "next_action",
    "complaint_id",
    "why",
)
"""The columns of [`WorkItem.row()`][logicrm.retention.WorkItem.row], in order."""


class Worklist(tuple[WorkItem, ...]):
    """What [`worklist()`][logicrm.retention.worklist] returns: a tuple of
    [`WorkItem`][logicrm.retention.WorkItem], with rows and a notebook view."""

    def rows(self) -> list[dict[str, Any]]:
        """One [`WorkItem.row()`][logicrm.retention.WorkItem.row] per item, in order."""
        return [item.row() for item in self]

    def _repr_html_(self) -> str:
        from logicrm._html import cell, table

        shown = [[cell(v, k) for k, v in item.row().items()] for item in self[:50]]
        more = len(self) - len(shown)
        note = f"<p><em>{more:,} more not shown</em></p>" if more > 0 else ""
        return (
            f"<div class='logicrm'><strong>Worklist</strong> ({len(self):,} contacts)"
            + table(WORKLIST_COLUMNS, shown, escape=False)
            + f"{note}</div>"
        )


def worklist(
    assessments: Iterable[Assessment] | Mapping[str, Assessment],
    *,
    policy: ContactPolicy = ContactPolicy(),
) -> Worklist:
    """Every due and overdue contact of the assessed customers, in the order a service
    manager works through them on a Monday morning.

    The order: first the key customers at churn risk (``churn_flag``); then by *priority*,
    the days overdue weighted by the customer's value (``days_overdue x value_score / 100``;
    a customer without a value score weighs ``policy.unvalued_weight``); then by days overdue,
    the due date, the customer id and the task. So a contact overdue longer never ranks lower
    than the same customer's contact overdue less, and a more valuable customer comes before a
    less valuable one overdue as long.

    Assessments without a contact plan (made without interactions) add nothing.

    Examples:
        >>> from logicrm import assess_all, summarize
        >>> from logicrm.sample import sample_dataset
        >>> data = sample_dataset()
        >>> results = assess_all(data.customers, summarize(data.shipments, as_of=data.as_of),
        ...                      as_of=data.as_of, inputs=data.inputs())
        >>> work = worklist(results)
        >>> work[0].rank, work[0].status.value in ("overdue", "due")
        (1, True)
    """
    values = assessments.values() if isinstance(assessments, Mapping) else assessments
    lines: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    for assessment in values:
        plan = assessment.contact_plan
        if plan is None:
            continue
        score = assessment.value.score
        weight = policy.unvalued_weight if score is None else score / 100
        action = assessment.action
        for item in plan.open_items:
            priority = item.days_overdue * weight
            key = (
                not assessment.churn_flag,
                -priority,
                -item.days_overdue,
                item.due_at,
                assessment.customer_id,
                _TASK_ORDER[item.task],
                item.complaint_id or "",
            )
            lines.append(
                (
                    key,
                    {
                        "customer_id": assessment.customer_id,
                        "task": item.task,
                        "due_at": item.due_at,
                        "status": item.status,
                        "days_overdue": item.days_overdue,
                        "key_customer": assessment.key_customer,
                        "churn_flag": assessment.churn_flag,
                        "value_score": score,
                        "priority": priority,
                        "action": None if action is None else action.action,
                        "complaint_id": item.complaint_id,
                        "reasons": (
                            item.reason,
                            *(() if action is None else action.reasons[:1]),
                        ),
                    },
                )
            )
    lines.sort(key=lambda line: line[0])
    return Worklist(
        WorkItem(rank=rank, **fields) for rank, (_, fields) in enumerate(lines, start=1)
    )
