"""The contact policy and the plan it implies for one customer: every contact due, with why.

The domain notes ask for regular follow-up visits (定期回访), periodic satisfaction surveys
(客户满意度调查), customer records checked and updated (定期检查、更新), complaints registered,
investigated, corrected and confirmed by a visit (回访确认), a response within a stipulated time,
and service recovery (服务补救) when the customer says the fix did not work.
[`ContactPolicy`][logicrm.retention.ContactPolicy] says how often and how soon;
[`contact_plan()`][logicrm.retention.contact_plan] says what is due for one customer and why.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from logicrm.domain import Complaint, ComplaintStatus, Customer, Purpose, Reason
from logicrm.domain._checks import check_aware, fail
from logicrm.domain._reason import plural
from logicrm.quality import ComplaintPolicy
from logicrm.retention._action_policy import SalesAction
from logicrm.retention._contact_items import (
    TASK_ORDER,
    WHAT,
    ContactItem,
    ContactPlan,
    DueStatus,
    _status,
    _utc,
    _when,
)
from logicrm.retention._contact_policy import ContactPolicy, ContactTask
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
