"""The contact policy and the plan it implies for one customer: every contact due, with why.

The domain notes ask for regular follow-up visits (定期回访), periodic satisfaction surveys
(客户满意度调查), customer records checked and updated (定期检查、更新), complaints registered,
investigated, corrected and confirmed by a visit (回访确认), a response within a stipulated time,
and service recovery (服务补救) when the customer says the fix did not work.
[`ContactPolicy`][logicrm.retention.ContactPolicy] says how often and how soon;
[`contact_plan()`][logicrm.retention.contact_plan] says what is due for one customer and why.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from logicrm.domain import Complaint, ComplaintStatus, Customer, Purpose, Reason, Severity
from logicrm.domain._checks import check_aware, fail
from logicrm.domain._reason import plural
from logicrm.quality import ComplaintPolicy
from logicrm.retention._action_policy import SalesAction
from logicrm.retention._contact_items import (
    STATUS_CODE,
    TASK_ORDER,
    WHAT,
    ContactItem,
    ContactPlan,
    DueStatus,
    _days,
    _status,
    _utc,
    _when,
)
from logicrm.retention._contact_policy import _PURPOSES, ContactPolicy, ContactTask
from logicrm.retention._contacts import ContactActivity, _earliest
from logicrm.scoring import AbcClass, Activity, ChurnRisk, Tier


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
            STATUS_CODE[task, status],
            # complaint deadlines run in hours: the time matters
            f"{what}: {_when(status, days, due_at, hours=complaint is not None)}",
        ),
    )


@functools.lru_cache(maxsize=1024)
def _every(task: ContactTask, interval: int, basis: str) -> str:
    """A recurring contact's kind and interval in words (a few per policy: worded once)."""
    return f"{WHAT[task]} every {plural(interval, 'day')} ({basis})"


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
    what = _every(task, interval, basis)
    step = _days(interval)
    if last is not None:
        stamp = last.isoformat()  # its first ten characters are the date's
        return _item(
            task,
            last + step,
            as_of,
            policy,
            f"{what}, last {stamp[:10]}",
            last=last,
            interval=interval,
            cycle=f"last {stamp}",
        )
    if start is not None and start + step > as_of:
        since = f"never done; relationship since {start.date().isoformat()}"
        return _item(task, start + step, as_of, policy, f"{what}, {since}",
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
        reason=Reason(_NEVER_DONE[task], f"{what}, {since}: due now"),
        cycle="first",
    )


_NEVER_DONE = {task: f"contact.{task.value}.never_done" for task in ContactTask}
# The notes that quote no figure of the customer: one frozen Reason each, shared by every plan
_NOT_PURSUED = Reason("contact.not_pursued", "a prospect not pursued: no contact planned")
_DROPPED = Reason("contact.dropped", "no routine visit or survey: the action is to drop it")
_WIN_BACK = Reason("contact.win_back", "a lapsed customer: a win-back call, no routine visit")
_PROSPECT = Reason("contact.prospect", "a prospect: sales calls, no satisfaction survey")


@functools.lru_cache(maxsize=256)
def _none_planned(task: ContactTask, basis: str) -> Reason:
    return Reason(f"contact.{task.value}.none", f"no {WHAT[task]}s planned for {basis}")


def contact_plan(
    customer: Customer,
    *,
    as_of: datetime,
    tier: Tier,
    abc_class: AbcClass | None = None,
    contacts: ContactActivity | None = None,
    activity: Activity | None = None,
    complaints: Iterable[Complaint] = (),
    policy: ContactPolicy = ContactPolicy(),  # noqa: B008
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
        notes.append(_NOT_PURSUED)
    else:
        kept = action not in (SalesAction.DROP_MARGINAL, SalesAction.PREVENT_KEY_LOSS)
        if win_back_since is not None and kept:
            last_order = None if activity is None else _utc(activity.last_order_at)
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
    own = policy.purposes  # policy.known_purposes, without making the set per plan
    unknown = sorted(p for p in log.by_purpose if p not in _PURPOSES and p not in own)
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
        reasons=(*[i.reason for i in items], *notes),
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
        notes.append(_DROPPED)
    elif win_back:
        notes.append(_WIN_BACK)
    else:
        planned.append((visit, intervals.visit_days, _utc(log.last_at(*visit_purposes))))
        if prospect:
            notes.append(_PROSPECT)
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
            notes.append(_none_planned(task, basis))
            continue
        items.append(_recurring(task, interval, last, start, as_of, policy, basis))


def _account_review(
    log: ContactActivity, as_of: datetime, since: datetime | None, policy: ContactPolicy
) -> ContactItem:
    since = _utc(since) or as_of - timedelta(days=90)
    last = _utc(log.last_at(Purpose.ACCOUNT_REVIEW.value))
    what = "account review: a key customer slipping away"
    if last is not None and last >= since:
        stamp = last.isoformat()
        again = f"{what}; reviewed {stamp[:10]}, again 30 days on"
        return _again(ContactTask.ACCOUNT_REVIEW, last, as_of, policy, again, f"last {stamp}")
    return _due_now(
        ContactTask.ACCOUNT_REVIEW, last, as_of,
        "first" if last is None else f"after {last.isoformat()}",
        Reason(
            "contact.account_review.due",
            f"{what}; no account review since the signal began {since.date().isoformat()}: "
            "due now",
        ),
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
    if last is not None and last >= since:
        stamp = last.isoformat()
        again = f"{what}; called {stamp[:10]}, again 30 days on"
        return _again(
            ContactTask.RETENTION_CALL, last, as_of, policy, again, f"{kind} last {stamp}"
        )
    return _due_now(
        ContactTask.RETENTION_CALL, last, as_of, f"{kind} since {since.isoformat()}",
        Reason(f"contact.retention_call.{kind}", f"{what}: due now"),
    )  # fmt: skip


# Work a signal asks for (a retention call, an account review): due now, unless it was done
# since the signal began; then again 30 days after it was done.
def _again(
    task: ContactTask,
    last: datetime,
    as_of: datetime,
    policy: ContactPolicy,
    what: str,
    cycle: str,
) -> ContactItem:
    return _item(task, last + _days(30), as_of, policy, what, last=last, cycle=cycle)


def _due_now(
    task: ContactTask, last: datetime | None, as_of: datetime, cycle: str, reason: Reason
) -> ContactItem:
    return ContactItem(
        task=task,
        due_at=as_of,
        status=DueStatus.DUE,
        days_overdue=0,
        last_done_at=last,
        interval_days=None,
        cycle=cycle,
        reason=reason,
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
    stamp = asked.isoformat()
    return _item(
        ContactTask.ENQUIRY_REPLY,
        asked + timedelta(hours=within),
        as_of,
        policy,
        f"enquiry or quote request of {stamp[:10]} not answered: reply within "
        f"{plural(within, 'hour')}",
        cycle=f"asked {stamp}",
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
    if complaint.opened_at > as_of or complaint.last_event_at > as_of:  # not yet, as of as_of
        return None
    status = complaint.status
    # the step an open complaint waits for: its kind, its stage and since when
    if status is ComplaintStatus.REGISTERED:
        task, stage, since = ContactTask.COMPLAINT_RESPONSE, "opened", complaint.opened_at
    elif status is ComplaintStatus.REOPENED:
        task, stage = ContactTask.COMPLAINT_RESPONSE, "reopened"
        since = complaint.reopened_at or complaint.opened_at
    elif status is ComplaintStatus.INVESTIGATING:
        task, stage = ContactTask.COMPLAINT_RESOLUTION, "investigating"
        since = complaint.reopened_at or complaint.opened_at
    else:
        return _after_resolution(complaint, log, as_of, tier, policy, complaint_policy)
    times = complaint_policy.for_complaint(complaint.severity, tier)
    start = since.astimezone(UTC)
    stamp = start.isoformat()
    day = stamp[:10]
    if task is ContactTask.COMPLAINT_RESOLUTION:
        within = times.resolve_within
        said = f"under investigation since {day}; SLA {_hours(within)} to resolve"
    else:
        within = times.respond_within
        said = (
            f"opened {day}, not answered; SLA {_hours(within)} to respond"
            if stage == "opened"
            else f"reopened {day}; SLA {_hours(within)} to respond"
        )
    return _item(
        task,
        start + within,
        as_of,
        policy,
        f"{_named(complaint)} {said}",
        complaint=complaint,
        cycle=f"{stage} {stamp}",
    )


def _after_resolution(
    complaint: Complaint,
    log: ContactActivity,
    as_of: datetime,
    tier: Tier,
    policy: ContactPolicy,
    complaint_policy: ComplaintPolicy,
) -> ContactItem | None:
    """A resolved complaint's confirming visit, or a dissatisfied one's service recovery."""
    logged = _utc(log.last_by_complaint.get(complaint.id))
    if complaint.status is ComplaintStatus.RESOLVED and complaint.resolved_at is not None:
        resolved = complaint.resolved_at.astimezone(UTC)
        if logged is not None and logged >= resolved:
            return None  # the follow-up was logged against the complaint
        confirm_within = complaint_policy.for_complaint(complaint.severity, tier).confirm_within
        stamp = resolved.isoformat()
        return _item(
            ContactTask.COMPLAINT_FOLLOW_UP,
            resolved + confirm_within,
            as_of,
            policy,
            f"{_named(complaint)} resolved {stamp[:10]}; SLA "
            f"{plural(confirm_within.days, 'day')} to confirm the fix by a visit",
            complaint=complaint,
            cycle=f"resolved {stamp}",
        )
    if complaint.satisfied is False and complaint.confirmed_at is not None:
        confirmed = complaint.confirmed_at.astimezone(UTC)
        if logged is not None and logged >= confirmed:
            return None  # recovery was logged against the complaint
        hours = policy.recovery_within_hours
        reopen = "; reopen the complaint" if policy.reopen_on_dissatisfied else ""
        stamp = confirmed.isoformat()
        return _item(
            ContactTask.SERVICE_RECOVERY,
            confirmed + timedelta(hours=hours),
            as_of,
            policy,
            f"{_named(complaint)}: at the confirming visit of {stamp[:10]} the customer "
            f"said the fix did not work: recover the service within {plural(hours, 'hour')}"
            + reopen,
            complaint=complaint,
            cycle=f"confirmed {stamp}",
        )
    return None


_SEVERITY_VALUE = {severity: severity.value for severity in Severity}


def _named(complaint: Complaint) -> str:
    return f"complaint {complaint.id} ({_SEVERITY_VALUE[complaint.severity]})"


@functools.lru_cache(maxsize=256)
def _hours(within: timedelta) -> str:
    hours = within.total_seconds() / 3600
    return plural(int(hours), "hour") if hours < 72 else plural(within.days, "day")
