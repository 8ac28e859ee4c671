"""What was done with a work item: the task-state log an account manager's tools feed back,
and what it does to the next worklist."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

import attrs

from logicrm.domain._checks import (
    check_aware,
    check_optional_aware,
    check_optional_text,
    check_text,
    fail,
    to_enum,
)
from logicrm.retention._contact_policy import ContactTask

_MAX_TEXT = 200


class TaskStatus(StrEnum):
    """What was done with a work item: done, snoozed until a date, or dismissed."""

    DONE = "done"
    SNOOZED = "snoozed"
    DISMISSED = "dismissed"


def _status(value: object) -> TaskStatus:
    return to_enum(TaskStatus, "state", value)


def _next_step(value: object) -> ContactTask | None:
    return None if value is None else to_enum(ContactTask, "next_step", value)


@attrs.frozen(kw_only=True)
class TaskState:
    """One entry of the task-state log: what happened to a work item, by its stable id.

    Done closes the item, and a recurring one (a visit, survey or record check) starts its next
    cycle from the day it was done, as a logged contact would; snoozed hides it until
    ``until``; dismissed hides it for its cycle (the next visit, the next complaint stage has
    another id and comes back). A contact
    logged in the interactions, or a complaint's confirmation, closes its item without an
    entry here. An entry naming a ``next_step`` makes a new work item of that kind due at
    ``next_due`` (a chained activity), whatever its state.

    Attributes:
        task_id: the [`WorkItem.id`][logicrm.retention.WorkItem] it is about.
        customer_id: the item's customer.
        at: when it was recorded (aware). Entries after the worklist's ``as_of`` are not
            yet known to it; for one ``task_id`` the latest entry counts.
        state: [`TaskStatus`][logicrm.retention.TaskStatus] (or its value): done, snoozed,
            dismissed.
        until: for ``snoozed``, when the item comes back (aware); required then, refused
            otherwise.
        reason: why it was dismissed (at most 200 characters); required for ``dismissed``.
        outcome: a short result code or phrase (at most 200 characters), optional.
        next_step: a [`ContactTask`][logicrm.retention.ContactTask] kind (or its value) to do
            next, optional; needs ``next_due``.
        next_due: when the next step falls due (aware); only with ``next_step``.
        staff_id: who recorded it, optional. A staff id, not personal data.

    Raises:
        ValidationError: a missing or malformed field, a snooze without ``until``, a
            dismissal without ``reason``, ``next_step`` and ``next_due`` not given together.

    Examples:
        >>> from datetime import datetime, timezone
        >>> at = datetime(2026, 7, 1, 10, tzinfo=timezone.utc)
        >>> TaskState(task_id="visit-0930c1b9f6926a48", customer_id="C1", at=at,
        ...           state="done", outcome="quote promised",
        ...           next_step="sales_call", next_due=datetime(2026, 7, 8, tzinfo=timezone.utc)
        ...           ).next_step.value
        'sales_call'
    """

    task_id: str
    customer_id: str
    at: datetime
    state: TaskStatus = attrs.field(converter=_status)
    until: datetime | None = None
    reason: str | None = None
    outcome: str | None = None
    next_step: ContactTask | None = attrs.field(default=None, converter=_next_step)
    next_due: datetime | None = None
    staff_id: str | None = None

    def __attrs_post_init__(self) -> None:
        check_text("task_id", self.task_id)
        check_text("customer_id", self.customer_id)
        check_aware("at", self.at)
        check_optional_aware("until", self.until)
        check_optional_aware("next_due", self.next_due)
        for name in ("reason", "outcome", "staff_id"):
            value = getattr(self, name)
            check_optional_text(name, value)
            if value is not None and len(value) > _MAX_TEXT:
                fail(name, value[:40], f"must be at most {_MAX_TEXT} characters")
        if self.state is TaskStatus.SNOOZED and self.until is None:
            fail("until", None, "is required to snooze: when does the item come back?")
        if self.state is not TaskStatus.SNOOZED and self.until is not None:
            fail("until", self.until, f"is only for snoozed items, not {self.state.value}")
        if self.state is TaskStatus.DISMISSED and self.reason is None:
            fail("reason", None, "is required to dismiss an item: say why")
        if (self.next_step is None) != (self.next_due is None):
            fail("next_due", self.next_due, "and next_step go together: give both or neither")

    def _repr_html_(self) -> str:
        """The notebook view: fields as HTML."""
        from logicrm._html import render

        return render(self)


def latest_states(states: Iterable[TaskState], as_of: datetime) -> dict[str, TaskState]:
    """Each task id's latest entry recorded at or before ``as_of``."""
    latest: dict[str, TaskState] = {}
    for state in states:
        if state.at > as_of:
            continue
        known = latest.get(state.task_id)
        if known is None or state.at >= known.at:
            latest[state.task_id] = state
    return latest


def hides(state: TaskState, as_of: datetime) -> str | None:
    """Why ``state`` keeps its item off the list at ``as_of``, in words; ``None`` when it
    does not (a snooze that has run out)."""
    day = state.at.date().isoformat()
    if state.state is TaskStatus.DONE:
        return f"done {day}" + ("" if state.outcome is None else f": {state.outcome}")
    if state.state is TaskStatus.DISMISSED:
        return f"dismissed {day}: {state.reason}"
    assert state.until is not None  # a snooze always has one
    if as_of < state.until:
        return f"snoozed until {state.until.date().isoformat()}"
    return None
