"""The contact log folded per customer: what was done, when, through which channel, and
the demand it shows. [`ContactPolicy`][logicrm.retention.ContactPolicy] and
[`contact_plan()`][logicrm.retention.contact_plan] turn it into work."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone, tzinfo
from itertools import repeat

import attrs

from logicrm.domain import Channel, Direction, Interaction, Purpose
from logicrm.domain._checks import check_aware, fail
from logicrm.scoring import WINDOW_DAYS
from logicrm.scoring._activity import window_index
from logicrm.scoring._per_policy import per_policy

DEMAND_PURPOSES = (Purpose.ENQUIRY.value, Purpose.QUOTE.value)
"""The purposes of an inbound contact that signal demand: enquiries and quote requests."""
_YEAR = window_index(365)
_WIDEST_FIRST = tuple(range(len(WINDOW_DAYS) - 1, -1, -1))


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    """The later moment; of two equal instants, the one with the larger offset, so the
    result never depends on the order of the operands (it runs per contact: no key tuples)."""
    if a is None:
        return b
    if b is None or a > b:
        return a
    return b if b > a or b.utcoffset() > a.utcoffset() else a  # type: ignore[operator]


def _moved(at: datetime, zone: tzinfo) -> datetime:
    """The same instant in ``zone`` (itself at the calendar's edge, where it cannot move)."""
    try:
        return at.astimezone(zone)
    except OverflowError:
        return at


@per_policy  # every log of a run is taken at one as_of: its edges are worked out once
def _edges(as_of: datetime) -> tuple[tuple[datetime, ...], tzinfo | None]:
    """The trailing windows' cutoffs before ``as_of``, and ``as_of``'s zone when it is a
    fixed offset."""
    zone = as_of.tzinfo
    cutoffs = tuple(as_of - timedelta(days=days) for days in WINDOW_DAYS)
    return cutoffs, zone if type(zone) is timezone else None


_CHANNEL_VALUE = {channel: channel.value for channel in Channel}


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
        recent_by_purpose: purpose -> contacts with that purpose in the 365 days before
            ``as_of`` (what a year's cost to serve counts).
        last_demand_at: the latest inbound enquiry or quote request.
        last_outbound_at: the latest outbound contact of any purpose (a reply to demand).
        last_by_complaint: complaint id -> the latest contact logged against it.

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
    recent_by_purpose: dict[str, int] = attrs.field(factory=dict)
    last_demand_at: datetime | None = None
    last_outbound_at: datetime | None = None
    last_by_complaint: dict[str, datetime] = attrs.field(factory=dict)
    _cutoffs: tuple[datetime, ...] = attrs.field(default=(), eq=False, repr=False, init=False)
    # as_of's zone when it is a fixed offset: contacts are compared with as_of and the
    # cutoffs in it, where two datetimes of one tzinfo compare without asking their offsets
    _zone: tzinfo | None = attrs.field(default=None, eq=False, repr=False, init=False)

    def __attrs_post_init__(self) -> None:
        check_aware("as_of", self.as_of)
        self._cutoffs, self._zone = _edges(self.as_of)

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
        zone = self._zone
        moment = at if zone is None or at.tzinfo is zone else _moved(at, zone)
        if moment > self.as_of:
            self.ignored_after_as_of += 1
            return self
        self.contacts += 1
        # each moment is set without a call when the contact is strictly earlier (later) than
        # the one kept; equal instants go to _earliest and _latest, which break the tie
        first = self.first_at
        if first is None or at < first:
            self.first_at = at
        elif not first < at:
            self.first_at = _earliest(first, at)
        purpose = interaction.purpose
        last = self.last_by_purpose
        known = last.get(purpose)
        if known is None or at > known:
            last[purpose] = at
        elif not known > at:
            last[purpose] = _latest(known, at)  # type: ignore[assignment]
        self.by_purpose[purpose] = self.by_purpose.get(purpose, 0) + 1
        channel = _CHANNEL_VALUE[interaction.channel]
        windows = self.by_channel.get(channel)
        if windows is None:
            windows = self.by_channel[channel] = [0] * len(WINDOW_DAYS)
        inbound = interaction.direction is Direction.INBOUND
        demand = purpose in DEMAND_PURPOSES and inbound
        if demand:
            self.last_demand_at = _latest(self.last_demand_at, at)
        elif not inbound:
            known = self.last_outbound_at
            if known is None or at > known:
                self.last_outbound_at = at
            elif not known > at:
                self.last_outbound_at = _latest(known, at)
        complaint = interaction.complaint_id
        if complaint is not None:
            self.last_by_complaint[complaint] = _latest(  # type: ignore[assignment]
                self.last_by_complaint.get(complaint), at
            )
        cutoffs = self._cutoffs
        if moment > cutoffs[_YEAR]:
            self.recent_by_purpose[purpose] = self.recent_by_purpose.get(purpose, 0) + 1
        for index in _WIDEST_FIRST:  # the windows nest
            if moment <= cutoffs[index]:
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
        recent = dict(self.recent_by_purpose)
        for purpose, count in other.recent_by_purpose.items():
            recent[purpose] = recent.get(purpose, 0) + count
        complaints = dict(self.last_by_complaint)
        for complaint, at in other.last_by_complaint.items():
            complaints[complaint] = _latest(complaints.get(complaint), at)  # type: ignore[assignment]
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
            recent_by_purpose=dict(sorted(recent.items())),
            last_demand_at=_latest(self.last_demand_at, other.last_demand_at),
            last_outbound_at=_latest(self.last_outbound_at, other.last_outbound_at),
            last_by_complaint=dict(sorted(complaints.items())),
        )

    def last_at(self, *purposes: str) -> datetime | None:
        """The latest contact with any of ``purposes`` (``None`` if there is none)."""
        latest: datetime | None = None
        for purpose in purposes:
            latest = _latest(latest, self.last_by_purpose.get(purpose))
        return latest

    def count(self, *purposes: str) -> int:
        """Contacts with any of ``purposes``."""
        return sum(map(self.by_purpose.get, purposes, repeat(0)))

    def channel_within(self, channel: str, days: int) -> int:
        """Contacts through ``channel`` in the ``days`` before ``as_of``."""
        return self.by_channel.get(channel, [0] * len(WINDOW_DAYS))[window_index(days)]

    def recent_count(self, *purposes: str) -> int:
        """Contacts with any of ``purposes`` in the 365 days before ``as_of``."""
        return sum(map(self.recent_by_purpose.get, purposes, repeat(0)))

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
