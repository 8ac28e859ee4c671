"""The contact policy and the plan it implies for one customer: every contact due, with why.

The domain notes ask for regular follow-up visits (定期回访), periodic satisfaction surveys
(客户满意度调查), customer records checked and updated (定期检查、更新), complaints registered,
investigated, corrected and confirmed by a visit (回访确认), a response within a stipulated time,
and service recovery (服务补救) when the customer says the fix did not work.
[`ContactPolicy`][logicrm.retention.ContactPolicy] says how often and how soon;
[`contact_plan()`][logicrm.retention.contact_plan] says what is due for one customer and why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import TypeVar

import attrs

from logicrm.domain import Complaint, ComplaintStatus, Customer, Purpose, Reason, Severity
from logicrm.domain._checks import MAX_DAYS, check_aware, check_int, check_number, fail, to_enum
from logicrm.domain._interaction import _purpose
from logicrm.domain._reason import plural
from logicrm.quality import ComplaintPolicy
from logicrm.retention._action import SalesAction
from logicrm.retention._contacts import ContactActivity, _earliest
from logicrm.scoring import AbcClass, Activity, ChurnRisk, Tier

E = TypeVar("E", bound=StrEnum)

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


_NO_INTERVALS = ContactIntervals()
"""No visits, surveys or checks: a tier the policy does not name (frozen, so shared)."""

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
_KEY_INTERVALS = ContactIntervals(visit_days=30, survey_days=180, verify_days=180)


class ContactTask(StrEnum):
    """What a work item is for: its kind. Listed in the default order of weight."""

    COMPLAINT_RESPONSE = "complaint_response"
    SERVICE_RECOVERY = "service_recovery"
    COMPLAINT_RESOLUTION = "complaint_resolution"
    ACCOUNT_REVIEW = "account_review"
    ENQUIRY_REPLY = "enquiry_reply"
    COMPLAINT_FOLLOW_UP = "complaint_follow_up"
    RETENTION_CALL = "retention_call"
    FOLLOW_UP_VISIT = "follow_up_visit"
    SALES_CALL = "sales_call"
    SATISFACTION_SURVEY = "satisfaction_survey"
    RECORD_CHECK = "record_check"


_DEFAULT_TASK_WEIGHTS = MappingProxyType(
    {
        ContactTask.COMPLAINT_RESPONSE: 100.0,
        ContactTask.SERVICE_RECOVERY: 100.0,
        ContactTask.COMPLAINT_RESOLUTION: 90.0,
        ContactTask.ACCOUNT_REVIEW: 80.0,
        ContactTask.ENQUIRY_REPLY: 70.0,
        ContactTask.COMPLAINT_FOLLOW_UP: 60.0,
        ContactTask.RETENTION_CALL: 50.0,
        ContactTask.FOLLOW_UP_VISIT: 40.0,
        ContactTask.SALES_CALL: 40.0,
        ContactTask.SATISFACTION_SURVEY: 20.0,
        ContactTask.RECORD_CHECK: 10.0,
    }
)
_DEFAULT_SEVERITY_WEIGHTS = MappingProxyType(
    {Severity.CRITICAL: 2.0, Severity.HIGH: 1.5, Severity.MEDIUM: 1.0, Severity.LOW: 0.75}
)


_ALL_TASKS = tuple(ContactTask)
_ONE_OFF = (ContactTask.COMPLAINT_FOLLOW_UP, ContactTask.ENQUIRY_REPLY)


def _tasks(value: object) -> tuple[ContactTask, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        fail("carry_over", value, "must be a list of work-item kinds")
    return tuple(to_enum(ContactTask, "carry_over", v) for v in value)


def _with_default_tiers(value: Mapping[Tier, ContactIntervals]) -> Mapping[Tier, ContactIntervals]:
    if not isinstance(value, Mapping):
        fail("by_tier", value, "must map tiers to ContactIntervals")
    return MappingProxyType({**_DEFAULT_BY_TIER, **value})


def _weights(field: str, enum: type[E], value: object) -> dict[E, float]:
    if not isinstance(value, Mapping):
        fail(field, value, "must map names to weights")
    given: dict[E, float] = {}
    for key, weight in value.items():
        member = to_enum(enum, field, key)
        check_number(f"{field}.{member.value}", weight, min_value=0, max_value=1_000)
        given[member] = float(weight)
    return given


def _task_weights(value: object) -> Mapping[ContactTask, float]:
    return MappingProxyType(
        {**_DEFAULT_TASK_WEIGHTS, **_weights("task_weights", ContactTask, value)}
    )


def _severity_weights(value: object) -> Mapping[Severity, float]:
    given = _weights("severity_weights", Severity, value)
    return MappingProxyType({**_DEFAULT_SEVERITY_WEIGHTS, **given})


def _purposes(value: object) -> tuple[str, ...]:
    """A list of purposes, each checked as an ``Interaction`` checks its own."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        fail("purposes", value, "must be a list of purposes")
    return tuple(_purpose(p) for p in value)


@attrs.frozen(kw_only=True)
class ContactPolicy:
    """How often to contact each customer, how soon to answer, and how the worklist ranks.

    The notes ask for regular visits, surveys, record checks, a response "within the
    stipulated time" and a confirming visit after each complaint, and give no number for any
    of them: every default below is logicrm's own choice.

    Attributes:
        by_tier: [`Tier`][logicrm.scoring.Tier] -> its
            [`ContactIntervals`][logicrm.retention.ContactIntervals]. Defaults: large enterprises
            and class A institutions visited every 30 days, surveyed every 180 and re-verified
            every 180; medium and class B every 60 / 365 / 365; small, class C and frequent
            individuals every 90 / 365 / 365; occasional individuals never visited or surveyed,
            re-verified every 730; unclassified customers re-verified every 365. A tier left out
            keeps its default; give it empty intervals (``[contact.by_tier.small]`` with no
            keys) to plan nothing for it.
        key_customer: the intervals that replace the tier's for key customers (every 30 /
            180 / 180 days whatever their tier); ``None`` leaves them to their tier.
        by_class: [`AbcClass`][logicrm.scoring.AbcClass] -> intervals that replace the tier's for
            the other customers of that Pareto class (none by default: monthly visits go to the
            key customers, not to everyone in class A).
        due_within_days: a contact falling due within this many days after ``as_of`` is
            already *due* (7: this week's work).
        visit_purposes: the purposes that count as a follow-up visit
            (``follow_up_visit``, ``account_review``).
        survey_purposes: the purposes that count as a satisfaction survey
            (``satisfaction_survey``).
        purposes: purposes the company records beyond [`Purpose`][logicrm.domain.Purpose]'s; a
            plan names contacts with a purpose neither lists.
        complaint_follow_up: plan the complaint work items: the response and resolution of
            open complaints, the visit confirming each resolved one and service recovery after
            a dissatisfied confirmation (on).
        reply_within_hours: an inbound enquiry or quote request is answered within this many
            hours (24): any outbound contact after it is the reply.
        recovery_within_hours: service recovery starts within this many hours of a
            dissatisfied confirmation (48).
        reopen_on_dissatisfied: a service-recovery item also suggests reopening the complaint
            (on).
        stale_after_days: an item overdue more than this many days (90) goes to the breach
            report, as a missed deadline to review with the team.
        carry_over: the kinds of stale item that are still work: today's list keeps them too,
            due now, so an unanswered complaint or a customer unvisited for months is never
            off the list (every kind but the complaint follow-up and the enquiry reply, whose
            moment has passed).
        task_weights: [`ContactTask`][logicrm.retention.ContactTask] -> its weight on the
            worklist: complaint response and service recovery 100, complaint resolution 90,
            key-customer account review 80, enquiry reply 70, complaint follow-up 60, a win-back
            or retention call to a customer slipping away 50, visits and sales calls 40,
            surveys 20, record checks 10. Kinds left out keep theirs.
        severity_weights: [`Severity`][logicrm.domain.Severity] -> the factor on a complaint
            item's weight (critical 2, high 1.5, medium 1, low 0.75).
        unvalued_weight: the worklist's value weight for a customer without a value score
            (0.5, the middle of the scale).
    """

    by_tier: Mapping[Tier, ContactIntervals] = attrs.field(
        default=_DEFAULT_BY_TIER, converter=_with_default_tiers, hash=False
    )
    key_customer: ContactIntervals | None = _KEY_INTERVALS
    by_class: Mapping[AbcClass, ContactIntervals] = attrs.field(factory=dict, hash=False)
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
    reply_within_hours: int = 24
    recovery_within_hours: int = 48
    reopen_on_dissatisfied: bool = True
    stale_after_days: int = 90
    carry_over: tuple[ContactTask, ...] = attrs.field(
        default=tuple(t for t in _ALL_TASKS if t not in _ONE_OFF), converter=_tasks
    )
    task_weights: Mapping[ContactTask, float] = attrs.field(
        default=_DEFAULT_TASK_WEIGHTS, converter=_task_weights, hash=False
    )
    severity_weights: Mapping[Severity, float] = attrs.field(
        default=_DEFAULT_SEVERITY_WEIGHTS, converter=_severity_weights, hash=False
    )
    unvalued_weight: float = 0.5

    def __attrs_post_init__(self) -> None:
        check_int("due_within_days", self.due_within_days, min_value=0, max_value=MAX_DAYS)
        check_int("reply_within_hours", self.reply_within_hours, min_value=1, max_value=8_760)
        check_int("recovery_within_hours", self.recovery_within_hours, min_value=1, max_value=8_760)
        check_int("stale_after_days", self.stale_after_days, min_value=1, max_value=MAX_DAYS)
        check_number("unvalued_weight", self.unvalued_weight, min_value=0, max_value=1)
        known = self.known_purposes
        for name in ("visit_purposes", "survey_purposes"):
            given = getattr(self, name)
            if not given:
                fail(name, [], "must name at least one purpose")
            unknown = [p for p in given if p not in known]
            if unknown:
                fail(name, unknown, "names purposes neither Purpose nor `purposes` lists")
        both = sorted(set(self.visit_purposes) & set(self.survey_purposes))
        if both:
            fail("survey_purposes", both, "cannot also count as visits")

    @property
    def known_purposes(self) -> frozenset[str]:
        """The built-in purposes and the policy's own."""
        return frozenset({*(p.value for p in Purpose), *self.purposes})

    def intervals(
        self, tier: Tier, abc_class: AbcClass | None, *, key_customer: bool = False
    ) -> ContactIntervals:
        """The intervals for a customer of ``tier`` and ``abc_class``: a key customer's when
        it is one and the policy names them, else the class's when the policy names it, else
        the tier's, else none."""
        return self.intervals_and_basis(tier, abc_class, key_customer=key_customer)[0]

    def intervals_and_basis(
        self, tier: Tier, abc_class: AbcClass | None, *, key_customer: bool = False
    ) -> tuple[ContactIntervals, str]:
        """``intervals()`` and what chose them, in words."""
        if key_customer and self.key_customer is not None:
            return self.key_customer, "key customer"
        if abc_class is not None and abc_class in self.by_class:
            return self.by_class[abc_class], f"class {abc_class.name}"
        return self.by_tier.get(tier, _NO_INTERVALS), f"tier {tier.value}"

    def weight(self, task: ContactTask, severity: Severity | None) -> float:
        """An item's weight: its kind's, times its complaint's severity factor."""
        factor = 1.0 if severity is None else self.severity_weights[severity]
        return self.task_weights[task] * factor


# -- the plan ------------------------------------------------------------------------------


class DueStatus(StrEnum):
    """Where a planned contact stands at ``as_of``: past its date, due within the policy's
    days, or later."""

    OVERDUE = "overdue"
    DUE = "due"
    SCHEDULED = "scheduled"


TASK_ORDER = {task: index for index, task in enumerate(ContactTask)}


@attrs.frozen(kw_only=True)
class ContactItem:
    """One planned contact.

    Attributes:
        task: the [`ContactTask`][logicrm.retention.ContactTask], its kind.
        due_at: when it falls due.
        status: [`DueStatus`][logicrm.retention.DueStatus] at ``as_of``.
        days_overdue: whole days past ``due_at`` (0 unless overdue).
        last_done_at: the last such contact (the last verification for a record check),
            ``None`` if never.
        interval_days: the policy's interval, ``None`` for one-off items.
        reason: why it is due then, in words and figures.
        complaint_id: the complaint it concerns.
        severity: that complaint's severity.
        cycle: which occurrence of the kind this is, from the data alone (never from
            ``as_of`` or the policy's times): ``"last 2026-05-21"`` for a recurring contact
            last done then, ``"first"`` for one never done, ``"opened 2026-06-01"`` for the
            response to a complaint opened then. Part of the work item's stable id.
    """

    task: ContactTask
    due_at: datetime
    status: DueStatus
    days_overdue: int
    last_done_at: datetime | None
    interval_days: int | None
    reason: Reason
    complaint_id: str | None = None
    severity: Severity | None = None
    cycle: str = ""

    @property
    def is_open(self) -> bool:
        """Due or overdue: work for now."""
        return self.status is not DueStatus.SCHEDULED

    def _repr_html_(self) -> str:
        """The notebook view: fields, nested results and reasons as HTML."""
        from logicrm._html import render

        return render(self)


@attrs.frozen(kw_only=True)
class ContactPlan:
    """One customer's planned contacts at ``as_of``, earliest first, with the reasons.

    Attributes:
        customer_id: the customer.
        as_of: when the plan was made.
        items: every planned [`ContactItem`][logicrm.retention.ContactItem], by ``due_at``.
        reasons: each item's reason, then what the plan leaves out and why, and contacts
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


WHAT = {
    ContactTask.COMPLAINT_RESPONSE: "complaint response",
    ContactTask.SERVICE_RECOVERY: "service recovery",
    ContactTask.COMPLAINT_RESOLUTION: "complaint resolution",
    ContactTask.ACCOUNT_REVIEW: "account review",
    ContactTask.ENQUIRY_REPLY: "enquiry reply",
    ContactTask.COMPLAINT_FOLLOW_UP: "complaint follow-up",
    ContactTask.RETENTION_CALL: "retention call",
    ContactTask.FOLLOW_UP_VISIT: "follow-up visit",
    ContactTask.SALES_CALL: "sales call",
    ContactTask.SATISFACTION_SURVEY: "satisfaction survey",
    ContactTask.RECORD_CHECK: "record check",
}
"""Each kind of work item in words."""


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


def _when(status: DueStatus, days: int, due_at: datetime, *, hours: bool = False) -> str:
    when = due_at.strftime("%Y-%m-%d %H:%M UTC") if hours else due_at.date().isoformat()
    if status is DueStatus.OVERDUE:
        late = plural(days, "day") if days else "less than a day"
        return f"overdue by {late} (due {when})"
    return f"{status.value} {when}"


def _item(
    task: ContactTask,
    due_at: datetime,
    as_of: datetime,
    policy: ContactPolicy,
    what: str,
    *,
    complaint: Complaint | None = None,
    last: datetime | None = None,
    interval: int | None = None,
    cycle: str = "",
) -> ContactItem:
    status, days = _status(due_at, as_of, policy.due_within_days)
    return ContactItem(
        cycle=cycle,
        task=task,
        due_at=due_at,
        status=status,
        days_overdue=days,
        last_done_at=last,
        interval_days=interval,
        complaint_id=None if complaint is None else complaint.id,
        severity=None if complaint is None else complaint.severity,
        reason=Reason(
            f"contact.{task.value}.{status.value}",
            # complaint deadlines run in hours: the time matters
            f"{what}: {_when(status, days, due_at, hours=complaint is not None)}",
        ),
    )


def _recurring(
    task: ContactTask,
    interval: int,
    last: datetime | None,
    start: datetime | None,
    as_of: datetime,
    policy: ContactPolicy,
    basis: str,
) -> ContactItem:
    """A contact due ``interval`` days after the last one. One never done is due now once
    the relationship is older than the interval (never "overdue by" the relationship's age),
    else ``interval`` days after it began; with no relationship yet, now."""
    what = f"{WHAT[task]} every {plural(interval, 'day')} ({basis})"
    if last is not None:
        return _item(
            task,
            last + timedelta(days=interval),
            as_of,
            policy,
            f"{what}, last {last.date().isoformat()}",
            last=last,
            interval=interval,
            cycle=f"last {last.isoformat()}",
        )
    if start is not None and start + timedelta(days=interval) > as_of:
        since = f"never done; relationship since {start.date().isoformat()}"
        return _item(task, start + timedelta(days=interval), as_of, policy, f"{what}, {since}",
                     interval=interval, cycle="first")  # fmt: skip
    since = (
        f"never done since the relationship began {start.date().isoformat()}"
        if start is not None
        else "never done, no history"
    )
    status = DueStatus.DUE
    return ContactItem(
        task=task,
        due_at=as_of,
        status=status,
        days_overdue=0,
        last_done_at=None,
        interval_days=interval,
        reason=Reason(f"contact.{task.value}.never_done", f"{what}, {since}: due now"),
        cycle="first",
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
    action: SalesAction | None = None,
    risk_since: datetime | None = None,
    key_customer: bool = False,
    win_back_since: datetime | None = None,
    churn: ChurnRisk | None = None,
) -> ContactPlan:
    """Every contact a customer is due, each with its date and reason.

    - **Routine contacts**: a visit or survey falls due the policy's interval after the last
      contact with one of its purposes; a record check, after ``Customer.last_verified_at``.
      One never done is due now once the relationship (the first order or first contact) is
      older than the interval, else the interval after it began.
    - **Key customers** (``key_customer``) take the policy's key-customer intervals, whatever
      their tier or class.
    - **The action decides the routine**: a customer to drop (``drop_marginal``) gets no
      routine visit or survey; a prospect (an ``activity`` with no order) gets sales calls
      instead of visits and never a satisfaction survey; a prospect not pursued (dropped
      before any order) gets nothing.
    - **A lapsed customer to win back** (``win_back_since``, when it lapsed): a win-back call
      due now instead of its routine visit and survey, unless a sales call or visit was
      logged since.
    - **Any other customer at churn risk** (``churn``) that is kept or grown: a retention
      call due now, asking why it orders less, unless a sales call or visit was logged after
      ``risk_since``.
    - **A key customer slipping away** (``prevent_key_loss``): an account review due now,
      unless one was logged after ``risk_since`` (when the signal began; default 90 days
      before ``as_of``).
    - **Demand**: an inbound enquiry or quote request with no outbound contact since is
      answered within ``reply_within_hours``.
    - **Complaints**: a registered or reopened complaint is responded to, an investigated one
      resolved, within the [`ComplaintPolicy`][logicrm.quality.ComplaintPolicy]'s times for its
      severity and tier; a resolved one confirmed by a visit within ``confirm_within`` (a
      contact logged against the complaint since it was resolved closes it); a confirmation
      where the customer was dissatisfied starts service recovery within
      ``recovery_within_hours`` (a contact logged against it since closes it).

    An item is *overdue* once its date is past, *due* when it falls within
    ``due_within_days``, otherwise *scheduled*. Dates are in UTC whatever the inputs' offsets.

    Examples:
        >>> from datetime import datetime, timezone
        >>> from logicrm import Customer, Interaction, Tier
        >>> from logicrm.retention import summarize_interactions
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
    complaints = tuple(complaints)
    for complaint in complaints:
        if complaint.customer_id != customer.id:
            fail("complaints", complaint.id, f"is not a complaint of {customer.id!r}")
    prospect = activity is not None and not activity.orders
    items: list[ContactItem] = []
    notes: list[Reason] = []
    if prospect and action is SalesAction.DROP_MARGINAL:
        notes.append(Reason("contact.not_pursued", "a prospect not pursued: no contact planned"))
    else:
        kept = action not in (SalesAction.DROP_MARGINAL, SalesAction.PREVENT_KEY_LOSS)
        last_order = None if activity is None else _utc(activity.last_order_at)
        if win_back_since is not None and kept:
            items.append(
                _call(log, as_of, win_back_since, policy, _won_back(last_order), "win_back")
            )
        elif churn is not None and churn.at_risk and kept and not prospect:
            since = _utc(risk_since) or as_of - timedelta(days=90)
            what = (
                f"retention call: ordering less ({churn.change}) since "
                f"{since.date().isoformat()}; ask why and what would keep them"
            )
            items.append(_call(log, as_of, since, policy, what, "retention"))
        _routine(
            customer, tier, abc_class, log, activity, as_of, policy, action, key_customer,
            items, notes, win_back=win_back_since is not None,
        )  # fmt: skip
        if action is SalesAction.PREVENT_KEY_LOSS:
            items.append(_account_review(log, as_of, risk_since, policy))
        reply = _enquiry_reply(log, as_of, policy)
        if reply is not None:
            items.append(reply)
    if policy.complaint_follow_up:
        for complaint in complaints:
            item = _complaint_item(complaint, log, as_of, tier, policy, complaint_policy)
            if item is not None:
                items.append(item)
    known = policy.known_purposes
    unknown = sorted(p for p in log.by_purpose if p not in known)
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
    items.sort(key=lambda i: (i.due_at, TASK_ORDER[i.task], i.complaint_id or ""))
    return ContactPlan(
        customer_id=customer.id,
        as_of=as_of,
        items=tuple(items),
        reasons=(*(i.reason for i in items), *notes),
    )


def _routine(
    customer: Customer,
    tier: Tier,
    abc_class: AbcClass | None,
    log: ContactActivity,
    activity: Activity | None,
    as_of: datetime,
    policy: ContactPolicy,
    action: SalesAction | None,
    key_customer: bool,
    items: list[ContactItem],
    notes: list[Reason],
    *,
    win_back: bool = False,
) -> None:
    """The recurring visits (or sales calls), surveys and record checks."""
    intervals, basis = policy.intervals_and_basis(tier, abc_class, key_customer=key_customer)
    first_order = activity.first_order_at if activity is not None else None
    start = _utc(_earliest(first_order, log.first_at))
    prospect = activity is not None and not activity.orders
    dropped = action is SalesAction.DROP_MARGINAL
    visit = ContactTask.SALES_CALL if prospect else ContactTask.FOLLOW_UP_VISIT
    visit_purposes = (
        (*policy.visit_purposes, Purpose.SALES_CALL.value) if prospect else policy.visit_purposes
    )
    planned: list[tuple[ContactTask, int | None, datetime | None]] = []
    if dropped:
        notes.append(
            Reason("contact.dropped", "no routine visit or survey: the action is to drop it")
        )
    elif win_back:
        notes.append(
            Reason("contact.win_back", "a lapsed customer: a win-back call, no routine visit")
        )
    else:
        planned.append((visit, intervals.visit_days, _utc(log.last_at(*visit_purposes))))
        if prospect:
            notes.append(
                Reason("contact.prospect", "a prospect: sales calls, no satisfaction survey")
            )
        else:
            planned.append(
                (
                    ContactTask.SATISFACTION_SURVEY,
                    intervals.survey_days,
                    _utc(log.last_at(*policy.survey_purposes)),
                )
            )
    planned.append(
        (ContactTask.RECORD_CHECK, intervals.verify_days, _utc(customer.last_verified_at))
    )
    for task, interval, last in planned:
        if interval is None:
            notes.append(
                Reason(f"contact.{task.value}.none", f"no {WHAT[task]}s planned for {basis}")
            )
            continue
        items.append(_recurring(task, interval, last, start, as_of, policy, basis))


def _account_review(
    log: ContactActivity, as_of: datetime, since: datetime | None, policy: ContactPolicy
) -> ContactItem:
    since = _utc(since) or as_of - timedelta(days=90)
    last = _utc(log.last_at(Purpose.ACCOUNT_REVIEW.value))
    what = "account review: a key customer slipping away"
    return _due_since_signal(
        ContactTask.ACCOUNT_REVIEW, last, since, as_of, policy,
        again=f"{what}; reviewed {{last}}, again 30 days on",
        now=Reason(
            "contact.account_review.due",
            f"{what}; no account review since the signal began {since.date().isoformat()}: "
            "due now",
        ),
        cycles=("last {last}", "first" if last is None else f"after {last.isoformat()}"),
    )  # fmt: skip


def _won_back(last_order: datetime | None) -> str:
    last = "-" if last_order is None else last_order.date().isoformat()
    return f"win-back call: last order {last}; ask why it stopped and offer terms to return"


def _call(
    log: ContactActivity,
    as_of: datetime,
    since: datetime,
    policy: ContactPolicy,
    what: str,
    kind: str,
) -> ContactItem:
    """A retention call due now, unless a sales call or visit was logged since ``since``;
    then 30 days after it."""
    since = since.astimezone(UTC)
    last = _utc(log.last_at(Purpose.SALES_CALL.value, *policy.visit_purposes))
    return _due_since_signal(
        ContactTask.RETENTION_CALL, last, since, as_of, policy,
        again=f"{what}; called {{last}}, again 30 days on",
        now=Reason(f"contact.retention_call.{kind}", f"{what}: due now"),
        cycles=(f"{kind} last {{last}}", f"{kind} since {since.isoformat()}"),
    )  # fmt: skip


def _due_since_signal(
    task: ContactTask,
    last: datetime | None,
    since: datetime,
    as_of: datetime,
    policy: ContactPolicy,
    *,
    again: str,
    now: Reason,
    cycles: tuple[str, str],
) -> ContactItem:
    """Work a signal asks for: due now, unless it was done since the signal began; then again
    30 days after it was done. ``again`` and the first of ``cycles`` take ``{last}``."""
    if last is not None and last >= since:
        return _item(
            task,
            last + timedelta(days=30),
            as_of,
            policy,
            again.format(last=last.date().isoformat()),
            last=last,
            cycle=cycles[0].format(last=last.isoformat()),
        )
    return ContactItem(
        task=task,
        due_at=as_of,
        status=DueStatus.DUE,
        days_overdue=0,
        last_done_at=last,
        interval_days=None,
        cycle=cycles[1],
        reason=now,
    )


def _enquiry_reply(
    log: ContactActivity, as_of: datetime, policy: ContactPolicy
) -> ContactItem | None:
    asked = _utc(log.last_demand_at)
    if asked is None:
        return None
    answered = _utc(log.last_outbound_at)
    if answered is not None and answered >= asked:
        return None
    within = policy.reply_within_hours
    return _item(
        ContactTask.ENQUIRY_REPLY,
        asked + timedelta(hours=within),
        as_of,
        policy,
        f"enquiry or quote request of {asked.date().isoformat()} not answered: reply within "
        f"{plural(within, 'hour')}",
        cycle=f"asked {asked.isoformat()}",
    )


def _complaint_item(
    complaint: Complaint,
    log: ContactActivity,
    as_of: datetime,
    tier: Tier,
    policy: ContactPolicy,
    complaint_policy: ComplaintPolicy,
) -> ContactItem | None:
    """The one step a complaint waits for, if any, with its deadline."""
    if complaint.opened_at > as_of or complaint.last_event_at > as_of:
        return None
    times = complaint_policy.for_complaint(complaint.severity, tier)
    status = complaint.status
    name = f"complaint {complaint.id} ({complaint.severity.value})"
    waiting = {  # the step an open complaint waits for: kind, since when, how long, said
        ComplaintStatus.REGISTERED: (
            ContactTask.COMPLAINT_RESPONSE, "opened", complaint.opened_at, times.respond_within,
            "opened {day}, not answered; SLA {within} to respond",
        ),
        ComplaintStatus.REOPENED: (
            ContactTask.COMPLAINT_RESPONSE, "reopened", complaint.reopened_at,
            times.respond_within, "reopened {day}; SLA {within} to respond",
        ),
        ComplaintStatus.INVESTIGATING: (
            ContactTask.COMPLAINT_RESOLUTION, "investigating",
            complaint.reopened_at or complaint.opened_at, times.resolve_within,
            "under investigation since {day}; SLA {within} to resolve",
        ),
    }.get(status)  # fmt: skip
    if waiting is not None:
        task, stage, since, within, said = waiting
        start = (since or complaint.opened_at).astimezone(UTC)
        return _item(
            task,
            start + within,
            as_of,
            policy,
            f"{name} " + said.format(day=start.date().isoformat(), within=_hours(within)),
            complaint=complaint,
            cycle=f"{stage} {start.isoformat()}",
        )
    logged = _utc(log.last_by_complaint.get(complaint.id))
    if status is ComplaintStatus.RESOLVED and complaint.resolved_at is not None:
        resolved = complaint.resolved_at.astimezone(UTC)
        if logged is not None and logged >= resolved:
            return None  # the follow-up was logged against the complaint
        return _item(
            ContactTask.COMPLAINT_FOLLOW_UP,
            resolved + times.confirm_within,
            as_of,
            policy,
            f"{name} resolved {resolved.date().isoformat()}; SLA "
            f"{plural(times.confirm_within.days, 'day')} to confirm the fix by a visit",
            complaint=complaint,
            cycle=f"resolved {resolved.isoformat()}",
        )
    if complaint.satisfied is False and complaint.confirmed_at is not None:
        confirmed = complaint.confirmed_at.astimezone(UTC)
        if logged is not None and logged >= confirmed:
            return None  # recovery was logged against the complaint
        hours = policy.recovery_within_hours
        reopen = "; reopen the complaint" if policy.reopen_on_dissatisfied else ""
        return _item(
            ContactTask.SERVICE_RECOVERY,
            confirmed + timedelta(hours=hours),
            as_of,
            policy,
            f"{name}: at the confirming visit of {confirmed.date().isoformat()} the customer "
            f"said the fix did not work: recover the service within {plural(hours, 'hour')}"
            + reopen,
            complaint=complaint,
            cycle=f"confirmed {confirmed.isoformat()}",
        )
    return None


def _hours(within: timedelta) -> str:
    hours = within.total_seconds() / 3600
    return plural(int(hours), "hour") if hours < 72 else plural(within.days, "day")
