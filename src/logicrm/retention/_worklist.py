"""The worklist: every customer's open work items, in the order an account manager takes
them on a Monday morning, and the breach report for what is past saving this week."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import attrs

from logicrm.domain import Reason, Severity
from logicrm.domain._reason import plural
from logicrm.retention._contact_items import (
    STATUS_CODE,
    TASK_ORDER,
    WHAT,
    ContactItem,
    DueStatus,
    _status,
    _when,
)
from logicrm.retention._contact_policy import ContactPolicy, ContactTask
from logicrm.retention._owners import OwnerPolicy
from logicrm.retention._state import TaskState, TaskStatus, hides, latest_states

if TYPE_CHECKING:
    from logicrm.domain import Customer
    from logicrm.retention._action_policy import SalesAction
    from logicrm.retention._assessed import Assessed

_OVERDUE_CAP_DAYS = 30  # overdue days beyond a month add no more urgency

# The readable start of each kind's ids.
_ID_PREFIX = {
    ContactTask.COMPLAINT_RESPONSE: "respond",
    ContactTask.SERVICE_RECOVERY: "recover",
    ContactTask.COMPLAINT_RESOLUTION: "resolve",
    ContactTask.ACCOUNT_REVIEW: "review",
    ContactTask.ENQUIRY_REPLY: "reply",
    ContactTask.COMPLAINT_FOLLOW_UP: "confirm",
    ContactTask.RETENTION_CALL: "retain",
    ContactTask.FOLLOW_UP_VISIT: "visit",
    ContactTask.SALES_CALL: "call",
    ContactTask.SATISFACTION_SURVEY: "survey",
    ContactTask.RECORD_CHECK: "check",
}


def task_id(customer_id: str, task: ContactTask, complaint_id: str | None, cycle: str) -> str:
    """A work item's stable id: the kind's readable prefix and 16 hex digits of a BLAKE2b
    hash of the customer, the kind, the complaint and the cycle (``"visit-3f9a..."``).

    The same item gets the same id on every run until it is done, whatever ``as_of``, the
    policy's weights or the other customers; the next occurrence (after the visit is
    logged, the complaint reopened) gets a new one.

    Examples:
        >>> a = task_id("C1", ContactTask.FOLLOW_UP_VISIT, None, "first")
        >>> a == task_id("C1", ContactTask.FOLLOW_UP_VISIT, None, "first"), a[:6], len(a)
        (True, 'visit-', 22)
    """
    key = "\x1f".join((customer_id, task.value, complaint_id or "", cycle))
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).hexdigest()
    return f"{_ID_PREFIX[task]}-{digest}"


@attrs.frozen(kw_only=True)
class WorkItem:
    """One line of the worklist: a contact to make, for whom, and why now.

    Attributes:
        rank: its place in its list (today's list or the breach report), from 1.
        id: its stable id (see [`task_id()`][logicrm.retention.task_id]): the same on every run
            until it is done, the key a TMS upserts its task table on and a
            [`TaskState`][logicrm.retention.TaskState] names.
        customer_id: the customer.
        task: the [`ContactTask`][logicrm.retention.ContactTask]: the item's kind.
        due_at: when it fell or falls due.
        status: overdue or due.
        days_overdue: whole days past due.
        key_customer: the customer is a key customer.
        churn_flag: a key customer at churn risk.
        value_score: the customer's value score (0-100), ``None`` if it has none.
        priority: the kind's weight (times the complaint's severity factor) + value points
            (``value_score / 10``, 0-10) + overdue points (a third of a point a day, at most
            10 for a month or more).
        ranked_by: ``priority`` in one short line: what put the item where it is.
        breach: overdue more than the policy's ``stale_after_days``: an item of the breach
            report, not of today's list.
        action: the customer's next best action, when assessed.
        reasons: why this contact is due, then why the action.
        complaint_id: the complaint it concerns.
        severity: that complaint's severity.
        owner: the account manager (staff id) it is for: the customer's ``owner``, else the
            [`OwnerPolicy`][logicrm.retention.OwnerPolicy]'s; ``None`` when unowned.
        deferred: why it was put off to a later week (over its owner's capacity); ``None``
            for an item on a list.
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
    severity: Severity | None = None
    ranked_by: str = ""
    breach: bool = False
    id: str = ""
    owner: str | None = None
    deferred: str | None = None

    def row(self) -> dict[str, Any]:
        """The item as one flat row of plain values (what ``logicrm worklist`` writes)."""
        return {
            "rank": self.rank,
            "id": self.id,
            "customer_id": self.customer_id,
            "task": self.task.value,
            "status": self.status.value,
            "due_at": self.due_at.isoformat(),
            "days_overdue": self.days_overdue,
            "key_customer": self.key_customer,
            "churn_flag": self.churn_flag,
            "value_score": None if self.value_score is None else round(self.value_score, 2),
            "priority": round(self.priority, 2),
            "ranked_by": self.ranked_by,
            "breach": self.breach,
            "next_action": None if self.action is None else self.action.value,
            "complaint_id": self.complaint_id,
            "severity": None if self.severity is None else self.severity.value,
            "why": "; ".join(r.message for r in self.reasons),
            "owner": self.owner,
            "deferred": self.deferred,
        }

    def _repr_html_(self) -> str:
        from logicrm._html import render

        return render(self)


WORKLIST_COLUMNS = (
    "rank",
    "id",
    "customer_id",
    "task",
    "status",
    "due_at",
    "days_overdue",
    "key_customer",
    "churn_flag",
    "value_score",
    "priority",
    "ranked_by",
    "breach",
    "next_action",
    "complaint_id",
    "severity",
    "why",
    "owner",
    "deferred",
)
"""The columns of [`WorkItem.row()`][logicrm.retention.WorkItem.row], in order."""


class Worklist(tuple[WorkItem, ...]):
    """What [`worklist()`][logicrm.retention.worklist] returns: today's items as a tuple of
    [`WorkItem`][logicrm.retention.WorkItem], and the ``breaches``: items overdue past the
    policy's ``stale_after_days``, ranked the same way, for the service manager to review
    rather than for this week's calls.

    ``deferred`` holds the items past their owner's weekly capacity (each saying why), and
    ``closed`` the ids the task-state log keeps off the list, each with why (``"done
    2026-06-30"``, ``"snoozed until 2026-07-06"``, ``"dismissed 2026-06-30: closed
    account"``)."""

    breaches: tuple[WorkItem, ...]
    stale_after_days: int
    deferred: tuple[WorkItem, ...]
    closed: Mapping[str, str]

    def __new__(
        cls,
        items: Iterable[WorkItem] = (),
        breaches: Iterable[WorkItem] = (),
        *,
        stale_after_days: int = 90,
        deferred: Iterable[WorkItem] = (),
        closed: Mapping[str, str] | None = None,
    ) -> Worklist:
        self = super().__new__(cls, items)
        self.breaches = tuple(breaches)
        self.stale_after_days = stale_after_days
        self.deferred = tuple(deferred)
        self.closed = MappingProxyType(dict(closed or {}))
        return self

    def by_owner(self) -> dict[str | None, tuple[WorkItem, ...]]:
        """Today's items split per owner, in rank order; unowned items under ``None``
        (last)."""
        split: dict[str | None, list[WorkItem]] = {}
        for item in self:
            split.setdefault(item.owner, []).append(item)
        order = sorted(split, key=lambda owner: (owner is None, owner or ""))
        return {owner: tuple(split[owner]) for owner in order}

    def everything(self) -> tuple[WorkItem, ...]:
        """Every open item: today's, the breach report's and the deferred ones (the feed a
        TMS keeps in step with)."""
        return (*self, *self.breaches, *self.deferred)

    def rows(self) -> list[dict[str, Any]]:
        """One [`WorkItem.row()`][logicrm.retention.WorkItem.row] per item of today's list."""
        return [item.row() for item in self]

    def breach_rows(self) -> list[dict[str, Any]]:
        """One row per item of the breach report."""
        return [item.row() for item in self.breaches]

    def counts(self) -> dict[str, dict[str, int]]:
        """How many items of each kind are on today's list (``"today"``) and in the breach
        report (``"breaches"``), kinds in the order of their default weight."""
        return {
            "today": _count(self),
            "breaches": _count(self.breaches),
            "deferred": _count(self.deferred),
        }

    def summary(self) -> str:
        """Today's list and the breach report in one sentence, counted by kind."""
        counts = self.counts()

        def said(kinds: dict[str, int]) -> str:
            return ", ".join(
                plural(n, WHAT[ContactTask(k)]) for k, n in kinds.items()
            )  # fmt: skip

        today = f"{plural(len(self), 'item')} today" + (
            f" ({said(counts['today'])})" if self else ""
        )
        breached = (
            f"; {plural(len(self.breaches), 'deadline')} missed by more than "
            f"{self.stale_after_days} days in the breach report ({said(counts['breaches'])})"
            if self.breaches
            else "; nothing in the breach report"
        )
        deferred = (
            f"; {plural(len(self.deferred), 'item')} deferred past their owners' capacity "
            f"({said(counts['deferred'])})"
            if self.deferred
            else ""
        )
        unowned = sum(1 for item in self if item.owner is None)
        owned = f"; {plural(unowned, 'item')} unowned" if unowned and unowned < len(self) else ""
        return today + breached + deferred + owned

    def _repr_html_(self) -> str:
        """The notebook view: the summary, then rank, customer, what to do, when and one short
        reason per item, the rest folded; the breach report folded below."""
        from logicrm._html import cell, worklist_view

        breaches = (
            f"<details><summary>Breach report: {len(self.breaches):,} deadlines missed by more "
            f"than {self.stale_after_days} days</summary>"
            + worklist_view(self.breaches, title="Breach report")
            + "</details>"
            if self.breaches
            else ""
        )
        return f"<p>{cell(self.summary())}</p>" + worklist_view(self) + breaches


def _count(items: Iterable[WorkItem]) -> dict[str, int]:
    found: dict[ContactTask, int] = {}
    for item in items:
        found[item.task] = found.get(item.task, 0) + 1
    return {task.value: found[task] for task in sorted(found, key=TASK_ORDER.__getitem__)}


def _with_carried_over(
    item: ContactItem, ident: str, as_of: datetime, policy: ContactPolicy
) -> list[tuple[ContactItem, int, str, bool]]:
    """The lines an item makes: (item, the lateness it ranks by, its id, in the breach
    report). A stale item goes to the breach report as a missed deadline; if its kind is
    still work (``carry_over``), a copy due now stays on today's list under the task's own
    id, ranked as late as the deadline it missed, and the report's line takes the id
    ``missed-<id>``."""
    if item.days_overdue <= policy.stale_after_days:
        return [(item, item.days_overdue, ident, False)]
    if item.task not in policy.carry_over:
        return [(item, item.days_overdue, ident, True)]
    carried = attrs.evolve(
        item,
        due_at=as_of,
        status=DueStatus.DUE,
        days_overdue=0,
        reason=Reason(
            f"{item.reason.code}.carried_over",
            item.reason.message.replace("overdue by", "deadline missed by", 1)
            + "; still to do: due now",
        ),
    )
    return [
        (carried, item.days_overdue, ident, False),
        (item, item.days_overdue, f"missed-{ident}", True),
    ]


def priority(
    task: ContactTask,
    severity: Severity | None,
    value_score: float | None,
    days_overdue: int,
    policy: ContactPolicy,
) -> tuple[float, str]:
    """An item's priority and the one line that explains it."""
    weight = policy.weight(task, severity)
    value = (policy.unvalued_weight * 100 if value_score is None else value_score) / 10
    overdue = min(days_overdue, _OVERDUE_CAP_DAYS) / 3
    total = weight + value + overdue
    kind = WHAT[task] + ("" if severity is None else f" ({severity.value})")
    line = (
        f"{kind} {weight:g} + value {value:.1f}"
        + ("" if value_score is not None else " (no score)")
        + f" + overdue {overdue:.1f} = {total:.1f}"
    )
    return total, line


def worklist(
    assessments: Iterable[Assessed] | Mapping[str, Assessed],
    *,
    policy: ContactPolicy = ContactPolicy(),  # noqa: B008
    states: Iterable[TaskState] = (),
    owners: OwnerPolicy | None = None,
    customers: Iterable[Customer] = (),
) -> Worklist:
    """Every due and overdue work item of the assessed customers, in the order an account
    manager works through them on a Monday morning.

    Each item's *priority* is the weight of its kind (complaint responses and service
    recovery first, then complaint resolution, key-customer account reviews, enquiry
    replies, complaint follow-ups, routine visits and sales calls, surveys, record checks;
    a complaint's weight times its severity's factor), plus up to 10 points for the
    customer's value and up to 10 for how overdue it is (a third of a point a day, capped at a
    month): so the kind decides first, then the customer's value and lateness. Ties go to
    the longer overdue, then the earlier due date, the customer id and the kind. A customer
    more overdue never ranks lower, all else equal. ``ranked_by`` says it in one line.

    Items overdue more than ``policy.stale_after_days`` go to ``Worklist.breaches``, ranked the
    same way, as missed deadlines to review; those of the kinds in ``policy.carry_over`` (an
    unanswered complaint, a visit months late) stay on today's list too, due now, so nothing
    that is still work drops off it. A complaint follow-up or an enquiry reply whose moment has
    passed is in the breach report only.

    ``states``, the task-state log ([`TaskState`][logicrm.retention.TaskState]), is applied
    at each plan's ``as_of``: an item done or dismissed leaves the list for good (a recurring
    one done comes back as its next cycle, due its interval after the day it was done), one
    snoozed until its date (``Worklist.closed`` says why, by id); a next step becomes an item
    of its own. ``customers`` give each item its owner (``Customer.owner``) and region;
    ``owners`` assigns the rest and caps each owner's week: today's items past an owner's
    capacity move to ``Worklist.deferred``, lowest priority first, each saying why.

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
    records = {c.id: c for c in customers}
    logged: dict[str, list[TaskState]] = {}
    for state in states:
        logged.setdefault(state.customer_id, []).append(state)
    lines: list[tuple[tuple[Any, ...], bool, dict[str, Any]]] = []
    closed: dict[str, str] = {}
    for assessment in values:
        plan = assessment.contact_plan
        if plan is None:
            continue
        customer_id = assessment.customer_id
        known = latest_states(logged.get(customer_id, ()), plan.as_of)
        record = records.get(customer_id)
        owner = _owner(assessment, record, owners)
        score = assessment.value.score
        action = assessment.action
        entries = [
            (task_id(customer_id, i.task, i.complaint_id, i.cycle), i) for i in plan.open_items
        ]
        entries += _next_steps(known, plan.as_of, policy)
        while entries:
            ident, item = entries.pop(0)
            entry = known.get(ident)
            why = None if entry is None else hides(entry, plan.as_of)
            if why is not None:
                closed[ident] = why
                entries += _next_cycle(entry, item, customer_id, plan.as_of, policy)
                continue
            for shown, late, line_id, breach in _with_carried_over(item, ident, plan.as_of, policy):
                total, line = priority(shown.task, shown.severity, score, late, policy)
                key = (-total, -late, shown.due_at, customer_id, TASK_ORDER[shown.task],
                       shown.complaint_id or "", line_id)  # fmt: skip
                lines.append((key, breach, {
                    "id": line_id,
                    "customer_id": customer_id,
                    "owner": owner,
                    "task": shown.task,
                    "due_at": shown.due_at,
                    "status": shown.status,
                    "days_overdue": shown.days_overdue,
                    "key_customer": assessment.key_customer,
                    "churn_flag": assessment.churn_flag,
                    "value_score": score,
                    "priority": total,
                    "ranked_by": line,
                    "action": None if action is None else action.action,
                    "complaint_id": shown.complaint_id,
                    "severity": shown.severity,
                    "reasons": (shown.reason, *(() if action is None else action.reasons[:1])),
                    "breach": breach,
                }))  # fmt: skip
    lines.sort(key=lambda line: line[0])
    today, deferred = _within_capacity([f for _, breach, f in lines if not breach], owners)
    missed = [fields for _, breach, fields in lines if breach]

    def ranked(rows: list[dict[str, Any]]) -> Iterator[WorkItem]:
        return (WorkItem(rank=rank, **fields) for rank, fields in enumerate(rows, start=1))

    return Worklist(
        ranked(today),
        ranked(missed),
        stale_after_days=policy.stale_after_days,
        deferred=ranked(deferred),
        closed=closed,
    )


def _owner(assessment: Assessed, record: Customer | None, owners: OwnerPolicy | None) -> str | None:
    given = None if record is None else record.owner
    if owners is None:
        return given
    return owners.owner(
        given,
        region=None if record is None else record.region,
        tier=assessment.tier.tier,
        abc_class=assessment.abc_class,
    )


def _next_steps(
    known: Mapping[str, TaskState], as_of: datetime, policy: ContactPolicy
) -> list[tuple[str, ContactItem]]:
    """The chained items: each logged next step, as an item due at its ``next_due``."""
    chained = []
    for state in known.values():
        if state.next_step is None or state.next_due is None:
            continue
        due_at = state.next_due.astimezone(UTC)
        status, days = _status(due_at, as_of, policy.due_within_days)
        if status is DueStatus.SCHEDULED:
            continue
        after = f"after {state.task_id}" + ("" if state.outcome is None else f" ({state.outcome})")
        item = ContactItem(
            task=state.next_step,
            due_at=due_at,
            status=status,
            days_overdue=days,
            last_done_at=state.at,
            interval_days=None,
            cycle=f"next {state.task_id}",
            reason=Reason(
                f"contact.{state.next_step.value}.next_step",
                f"{WHAT[state.next_step]}, the next step {after}: {_when(status, days, due_at)}",
            ),
        )
        chained.append((task_id(state.customer_id, item.task, None, item.cycle), item))
    return chained


def _next_cycle(
    state: TaskState | None,
    item: ContactItem,
    customer_id: str,
    as_of: datetime,
    policy: ContactPolicy,
) -> list[tuple[str, ContactItem]]:
    """A recurring item marked done starts its next cycle from the day it was done, as a
    logged contact would: the item due ``interval_days`` later, once it falls due."""
    if state is None or state.state is not TaskStatus.DONE or item.interval_days is None:
        return []
    done = state.at.astimezone(UTC)
    due_at = done + timedelta(days=item.interval_days)
    status, days = _status(due_at, as_of, policy.due_within_days)
    if status is DueStatus.SCHEDULED:
        return []
    what = f"{WHAT[item.task]} every {plural(item.interval_days, 'day')}"
    again = ContactItem(
        task=item.task,
        due_at=due_at,
        status=status,
        days_overdue=days,
        last_done_at=done,
        interval_days=item.interval_days,
        cycle=f"done {done.isoformat()}",
        reason=Reason(
            STATUS_CODE[item.task, status],
            f"{what}, done {done.date().isoformat()} (task-state log): "
            + _when(status, days, due_at),
        ),
    )
    return [(task_id(customer_id, again.task, None, again.cycle), again)]


def _within_capacity(
    rows: list[dict[str, Any]], owners: OwnerPolicy | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Today's rows (in rank order) each owner has room for this week, and the rest,
    deferred with why."""
    if owners is None:
        return rows, []
    taken: dict[str, int] = {}
    kept, deferred = [], []
    for row in rows:
        owner = row["owner"]
        limit = None if owner is None else owners.limit(owner)
        if owner is None or limit is None or taken.get(owner, 0) < limit:
            if owner is not None:
                taken[owner] = taken.get(owner, 0) + 1
            kept.append(row)
            continue
        why = f"over {owner}'s capacity of {plural(limit, 'item')} a week"
        deferred.append({**row, "deferred": why})
    return kept, deferred
