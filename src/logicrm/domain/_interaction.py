"""Contacts with a customer: calls, visits, surveys and enquiries (互动), one record each."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

import attrs

from logicrm.domain._checks import check_aware, check_optional_text, check_text, fail
from logicrm.domain._checks import to_enum as _to_enum
from logicrm.domain._complaint import Channel

_PURPOSE = re.compile(r"[a-z][a-z0-9_]{0,39}")
_MAX_OUTCOME = 200


class Direction(StrEnum):
    """Who started the contact: the customer (inbound) or we (outbound)."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Purpose(StrEnum):
    """The built-in purposes of a contact. A policy may name more (any lowercase
    identifier such as ``"claims_review"``); an [`Interaction`][logicrm.domain.Interaction]
    takes a member or any such string."""

    ENQUIRY = "enquiry"
    TRACKING_LOOKUP = "tracking_lookup"
    QUOTE = "quote"
    FOLLOW_UP_VISIT = "follow_up_visit"
    SATISFACTION_SURVEY = "satisfaction_survey"
    COMPLAINT = "complaint"
    SALES_CALL = "sales_call"
    ACCOUNT_REVIEW = "account_review"


def _channel(value: object) -> Channel:
    return _to_enum(Channel, "channel", value)


def _direction(value: object) -> Direction:
    return _to_enum(Direction, "direction", value)


def _purpose(value: object) -> str:
    if isinstance(value, Purpose):
        return value.value
    if type(value) is not str or not _PURPOSE.fullmatch(value):
        fail(
            "purpose",
            value,
            "must be a lowercase identifier (letters, digits, _; at most 40), such as "
            + ", ".join(repr(p.value) for p in Purpose),
        )
    return value


@attrs.frozen(kw_only=True)
class Interaction:
    """One contact with a customer: a call, a visit, a survey, an enquiry.

    Attributes:
        id: the contact's identifier in the user's systems.
        customer_id: the customer contacted (or who contacted us).
        at: when it happened (aware).
        channel: the [`Channel`][logicrm.domain.Channel] (phone, e-mail, SMS, web, visit, other).
        direction: [`Direction`][logicrm.domain.Direction], inbound or outbound.
        purpose: a [`Purpose`][logicrm.domain.Purpose] value or another lowercase identifier
            a policy names (``"claims_review"``); stored as the string.
        staff_id: who handled it, optional.
        outcome: a short result code or phrase (at most 200 characters), optional.
        complaint_id: the complaint this contact is about, optional: a follow-up visit
            logged against a complaint confirms it on the worklist, a service-recovery
            contact closes its recovery item.
        note: free text. Personal data: never shown by ``repr``, in errors or in HTML.

    Examples:
        >>> from datetime import datetime, timezone
        >>> visit = Interaction(id="I1", customer_id="C1", channel="visit",
        ...                     at=datetime(2026, 6, 2, 10, tzinfo=timezone.utc),
        ...                     direction="outbound", purpose="follow_up_visit",
        ...                     note="Met Ms Li; she asked about weekend pick-ups")
        >>> visit.purpose, "Ms Li" in repr(visit)
        ('follow_up_visit', False)
    """

    id: str
    customer_id: str
    at: datetime
    channel: Channel = attrs.field(converter=_channel)
    direction: Direction = attrs.field(converter=_direction)
    purpose: str = attrs.field(converter=_purpose)
    staff_id: str | None = None
    outcome: str | None = None
    complaint_id: str | None = None
    note: str | None = attrs.field(default=None, repr=False)

    def __attrs_post_init__(self) -> None:
        check_text("id", self.id)
        check_text("customer_id", self.customer_id)
        check_aware("at", self.at)
        check_optional_text("staff_id", self.staff_id)
        check_optional_text("outcome", self.outcome)
        check_optional_text("complaint_id", self.complaint_id)
        if self.outcome is not None and len(self.outcome) > _MAX_OUTCOME:
            fail("outcome", self.outcome[:40], f"must be at most {_MAX_OUTCOME} characters")
        check_optional_text("note", self.note, redact=True)

    def _repr_html_(self) -> str:
        """The notebook view: the fields ``repr`` shows, as a table; never the note."""
        from logicrm._html import render

        return render(self)
