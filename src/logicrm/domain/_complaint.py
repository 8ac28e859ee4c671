"""Complaints and their lifecycle: registered, investigated, resolved, confirmed by a visit."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import attrs

from logicrm.domain._checks import (
    check_aware,
    check_count,
    check_optional_aware,
    check_optional_text,
    check_text,
    fail,
    not_before,
)
from logicrm.domain._checks import to_enum as _to_enum
from logicrm.errors import InvalidTransitionError


class Channel(StrEnum):
    """Where the complaint came in."""

    PHONE = "phone"
    EMAIL = "email"
    SMS = "sms"
    WEB = "web"
    VISIT = "visit"
    OTHER = "other"


class Severity(StrEnum):
    """How serious the complaint is; SLA times may depend on it."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class ComplaintStatus(StrEnum):
    """Where a complaint stands in its lifecycle."""

    REGISTERED = "registered"
    INVESTIGATING = "investigating"
    RESOLVED = "resolved"
    CONFIRMED = "confirmed"
    REOPENED = "reopened"


def _channel(value: object) -> Channel:
    return _to_enum(Channel, "channel", value)


def _severity(value: object) -> Severity:
    return _to_enum(Severity, "severity", value)


def _status(value: object) -> ComplaintStatus:
    return _to_enum(ComplaintStatus, "status", value)


# Which timestamps each status requires (True), forbids (False); None means either.
_SHAPE: dict[ComplaintStatus, tuple[bool, bool, bool]] = {
    # (responded_at, resolved_at, confirmed_at)
    ComplaintStatus.REGISTERED: (False, False, False),
    ComplaintStatus.INVESTIGATING: (True, False, False),
    ComplaintStatus.RESOLVED: (True, True, False),
    ComplaintStatus.CONFIRMED: (True, True, True),
    ComplaintStatus.REOPENED: (True, False, False),
}


@attrs.frozen(kw_only=True)
class Complaint:
    """A customer complaint and where it stands.

    The lifecycle follows the domain's complaint regulations: every complaint is
    **registered**, then **investigated** (our first response), **resolved** (cause found,
    correction taken), and finally **confirmed** by a follow-up visit. A resolved or confirmed
    complaint can be **reopened**; it is then responded to and resolved again.

    ============  ==========================================
    from          allowed transitions
    ============  ==========================================
    registered    ``respond``
    investigating ``resolve``
    resolved      ``confirm``, ``reopen``
    confirmed     ``reopen``
    reopened      ``respond``
    ============  ==========================================

    Transitions return a new ``Complaint``; an illegal one, or one dated before the complaint's
    latest event, raises [`InvalidTransitionError`][logicrm.errors.InvalidTransitionError].

    Timestamps: ``responded_at`` is the *first* response (SLA response time counts to it);
    ``resolved_at`` and ``confirmed_at`` are the current resolution and confirmation and are
    cleared by ``reopen``; ``reopened_at`` is the latest reopening and ``reopen_count`` counts
    them. Construction checks that the timestamps fit the status and run in time order.

    Examples:
        >>> from datetime import datetime, timedelta, timezone
        >>> t0 = datetime(2026, 5, 4, 8, tzinfo=timezone.utc)
        >>> c = Complaint(id="K1", customer_id="C1", opened_at=t0, channel="phone",
        ...               category="late delivery", severity="high")
        >>> c = c.respond(t0 + timedelta(hours=2)).resolve(t0 + timedelta(days=1), cause="driver")
        >>> c.confirm(t0 + timedelta(days=3), satisfied=True).status
        <ComplaintStatus.CONFIRMED: 'confirmed'>
    """

    id: str
    customer_id: str
    opened_at: datetime
    channel: Channel = attrs.field(converter=_channel)
    category: str
    severity: Severity = attrs.field(converter=_severity)
    shipment_id: str | None = None
    status: ComplaintStatus = attrs.field(default=ComplaintStatus.REGISTERED, converter=_status)
    responded_at: datetime | None = None
    resolved_at: datetime | None = None
    confirmed_at: datetime | None = None
    reopened_at: datetime | None = None
    reopen_count: int = 0
    cause: str | None = None
    satisfied: bool | None = None
    reopen_reason: str | None = None

    def __attrs_post_init__(self) -> None:
        check_text("id", self.id)
        check_text("customer_id", self.customer_id)
        check_text("category", self.category)
        check_optional_text("shipment_id", self.shipment_id)
        check_optional_text("cause", self.cause)
        check_optional_text("reopen_reason", self.reopen_reason)
        check_aware("opened_at", self.opened_at)
        for name in ("responded_at", "resolved_at", "confirmed_at", "reopened_at"):
            check_optional_aware(name, getattr(self, name))
        check_count("reopen_count", self.reopen_count)
        if self.satisfied is not None and type(self.satisfied) is not bool:
            fail("satisfied", self.satisfied, "must be True, False or None")
        self._check_shape()
        self._check_order()

    def _check_shape(self) -> None:
        expected = _SHAPE[self.status]
        actual = (self.responded_at, self.resolved_at, self.confirmed_at)
        names = ("responded_at", "resolved_at", "confirmed_at")
        for name, want, value in zip(names, expected, actual, strict=True):
            if want and value is None:
                fail(name, value, f"is required when status is {self.status.value!r}")
            if not want and value is not None:
                fail(name, value, f"must be empty when status is {self.status.value!r}")
        confirmed = self.status is ComplaintStatus.CONFIRMED
        if confirmed and self.satisfied is None:
            fail("satisfied", None, "is required when status is 'confirmed'")
        if not confirmed and self.satisfied is not None:
            fail("satisfied", self.satisfied, "is only set once the complaint is confirmed")
        if self.status is ComplaintStatus.REOPENED and self.reopened_at is None:
            fail("reopened_at", None, "is required when status is 'reopened'")
        if (self.reopened_at is None) != (self.reopen_count == 0):
            fail("reopen_count", self.reopen_count, "must be > 0 exactly when reopened_at is set")

    def _check_order(self) -> None:
        previous_name, previous = "opened_at", self.opened_at
        if self.responded_at is not None:
            not_before("responded_at", self.responded_at, previous_name, previous)
            previous_name, previous = "responded_at", self.responded_at
        if self.reopened_at is not None:
            not_before("reopened_at", self.reopened_at, previous_name, previous)
            previous_name, previous = "reopened_at", self.reopened_at
        if self.resolved_at is not None:
            not_before("resolved_at", self.resolved_at, previous_name, previous)
            previous_name, previous = "resolved_at", self.resolved_at
        if self.confirmed_at is not None:
            not_before("confirmed_at", self.confirmed_at, previous_name, previous)

    @property
    def last_event_at(self) -> datetime:
        """The time of the latest event in the complaint's life."""
        last = None
        for at in (self.responded_at, self.reopened_at, self.resolved_at, self.confirmed_at):
            if at is not None and (last is None or at > last):
                last = at
        return self.opened_at if last is None else last

    @property
    def is_open(self) -> bool:
        """True until the complaint is resolved (a reopened complaint is open again)."""
        return self.status in (
            ComplaintStatus.REGISTERED,
            ComplaintStatus.INVESTIGATING,
            ComplaintStatus.REOPENED,
        )

    def _move(self, action: str, at: datetime, allowed: tuple[ComplaintStatus, ...]) -> None:
        if self.status not in allowed:
            expected = " or ".join(s.value for s in allowed)
            raise InvalidTransitionError(
                self.id, action, self.status.value, f"only allowed from {expected}"
            )
        check_aware("at", at)
        if at < self.last_event_at:
            raise InvalidTransitionError(
                self.id,
                action,
                self.status.value,
                f"{at.isoformat()} is before the latest event {self.last_event_at.isoformat()}",
            )

    def respond(self, at: datetime) -> Complaint:
        """First response, or the response to a reopening: moves to ``investigating``."""
        self._move("respond", at, (ComplaintStatus.REGISTERED, ComplaintStatus.REOPENED))
        first = self.responded_at if self.responded_at is not None else at
        return attrs.evolve(self, status=ComplaintStatus.INVESTIGATING, responded_at=first)

    def resolve(self, at: datetime, *, cause: str | None = None) -> Complaint:
        """The cause is found and corrected: moves to ``resolved``."""
        self._move("resolve", at, (ComplaintStatus.INVESTIGATING,))
        return attrs.evolve(
            self,
            status=ComplaintStatus.RESOLVED,
            resolved_at=at,
            cause=cause if cause is not None else self.cause,
        )

    def confirm(self, at: datetime, *, satisfied: bool) -> Complaint:
        """The follow-up visit (回访确认) checked the fix; records whether the customer agreed."""
        self._move("confirm", at, (ComplaintStatus.RESOLVED,))
        if type(satisfied) is not bool:
            fail("satisfied", satisfied, "must be True or False")
        return attrs.evolve(
            self, status=ComplaintStatus.CONFIRMED, confirmed_at=at, satisfied=satisfied
        )

    def reopen(self, at: datetime, *, reason: str | None = None) -> Complaint:
        """The problem came back: clears resolution and confirmation, counts the reopening."""
        self._move("reopen", at, (ComplaintStatus.RESOLVED, ComplaintStatus.CONFIRMED))
        return attrs.evolve(
            self,
            status=ComplaintStatus.REOPENED,
            reopened_at=at,
            reopen_count=self.reopen_count + 1,
            resolved_at=None,
            confirmed_at=None,
            satisfied=None,
            reopen_reason=reason,
        )
