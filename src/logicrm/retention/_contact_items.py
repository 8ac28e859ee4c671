"""A contact plan's records: each planned contact with its due status, the plan, and the
words and dates they are told in."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import attrs

from logicrm.domain import Reason, Severity
from logicrm.domain._reason import plural
from logicrm.retention._contact_policy import ContactTask


class DueStatus(StrEnum):
    """Where a planned contact stands at ``as_of``: past its date, due within the policy's
    days, or later."""

    OVERDUE = "overdue"
    DUE = "due"
    SCHEDULED = "scheduled"


TASK_ORDER = {task: index for index, task in enumerate(ContactTask)}
_STATUS_VALUE = {status: status.value for status in DueStatus}  # no enum property per item
STATUS_CODE = {
    (task, status): f"contact.{task.value}.{status.value}"
    for task in ContactTask
    for status in DueStatus
}
"""Each kind's reason code at each due status (``"contact.follow_up_visit.overdue"``)."""


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


@functools.lru_cache(maxsize=1024)
def _days(count: int) -> timedelta:
    """``timedelta(days=count)``, made once per count: a plan adds the policy's few intervals
    to many dates, and making a timedelta costs more than adding it."""
    return timedelta(days=count)


def _status(due_at: datetime, as_of: datetime, due_within_days: int) -> tuple[DueStatus, int]:
    if due_at < as_of:
        return DueStatus.OVERDUE, (as_of - due_at).days
    if due_at <= as_of + _days(due_within_days):
        return DueStatus.DUE, 0
    return DueStatus.SCHEDULED, 0


def _when(status: DueStatus, days: int, due_at: datetime, *, hours: bool = False) -> str:
    when = due_at.date().isoformat()
    if hours:  # as strftime("%Y-%m-%d %H:%M UTC"), which writes a year before 1000 unpadded
        day = when if due_at.year >= 1000 else due_at.strftime("%Y-%m-%d")
        when = f"{day} {due_at.hour:02d}:{due_at.minute:02d} UTC"
    if status is DueStatus.OVERDUE:
        late = plural(days, "day") if days else "less than a day"
        return f"overdue by {late} (due {when})"
    return f"{_STATUS_VALUE[status]} {when}"
