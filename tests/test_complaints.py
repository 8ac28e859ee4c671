from datetime import timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import DAY, HOUR, T0
from logicrm import Complaint, ComplaintStatus
from logicrm.errors import InvalidTransitionError, ValidationError
from strategies import complaints


def new_complaint(**changes):
    fields = dict(
        id="K1", customer_id="C1", opened_at=T0, channel="phone", category="late", severity="high"
    )
    fields.update(changes)
    return Complaint(**fields)


def test_full_lifecycle_registered_to_confirmed():
    c = new_complaint()
    assert c.status is ComplaintStatus.REGISTERED and c.is_open
    c = c.respond(T0 + 2 * HOUR)
    assert c.status is ComplaintStatus.INVESTIGATING and c.responded_at == T0 + 2 * HOUR
    c = c.resolve(T0 + DAY, cause="carrier")
    assert c.status is ComplaintStatus.RESOLVED and not c.is_open and c.cause == "carrier"
    c = c.confirm(T0 + 3 * DAY, satisfied=True)
    assert c.status is ComplaintStatus.CONFIRMED and c.satisfied is True


def test_reopen_clears_resolution_and_keeps_first_response():
    c = new_complaint().respond(T0 + HOUR).resolve(T0 + DAY).reopen(T0 + 2 * DAY, reason="again")
    assert c.status is ComplaintStatus.REOPENED and c.is_open
    assert c.resolved_at is None and c.reopen_count == 1 and c.responded_at == T0 + HOUR
    c = c.respond(T0 + 2 * DAY + HOUR).resolve(T0 + 3 * DAY)
    assert c.resolved_at == T0 + 3 * DAY and c.responded_at == T0 + HOUR


@pytest.mark.parametrize(
    ("prepare", "action"),
    [
        (lambda c: c, lambda c: c.resolve(T0 + DAY)),
        (lambda c: c, lambda c: c.confirm(T0 + DAY, satisfied=True)),
        (lambda c: c, lambda c: c.reopen(T0 + DAY)),
        (lambda c: c.respond(T0 + HOUR), lambda c: c.respond(T0 + DAY)),
        (lambda c: c.respond(T0 + HOUR), lambda c: c.confirm(T0 + DAY, satisfied=True)),
        (lambda c: c.respond(T0 + HOUR).resolve(T0 + DAY), lambda c: c.resolve(T0 + DAY)),
    ],
)
def test_illegal_transitions_raise(prepare, action):
    with pytest.raises(InvalidTransitionError):
        action(prepare(new_complaint()))


def test_transitions_must_not_go_back_in_time():
    c = new_complaint().respond(T0 + DAY)
    with pytest.raises(InvalidTransitionError):
        c.resolve(T0 + HOUR)


def test_constructor_checks_status_matches_timestamps():
    with pytest.raises(ValidationError) as info:
        new_complaint(status="resolved", responded_at=T0 + HOUR)
    assert info.value.field == "resolved_at"


def test_constructor_checks_time_order():
    with pytest.raises(ValidationError) as info:
        new_complaint(status="investigating", responded_at=T0 - HOUR)
    assert info.value.field == "responded_at"


def test_confirmed_needs_the_visit_outcome():
    with pytest.raises(ValidationError) as info:
        new_complaint(status="confirmed", responded_at=T0, resolved_at=T0, confirmed_at=T0)
    assert info.value.field == "satisfied"


ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["respond", "resolve", "confirm", "reopen"]),
        st.integers(-120, 60 * 48),
        st.booleans(),
    ),
    max_size=12,
)

ALLOWED = {
    ComplaintStatus.REGISTERED: {ComplaintStatus.INVESTIGATING},
    ComplaintStatus.INVESTIGATING: {ComplaintStatus.RESOLVED},
    ComplaintStatus.RESOLVED: {ComplaintStatus.CONFIRMED, ComplaintStatus.REOPENED},
    ComplaintStatus.CONFIRMED: {ComplaintStatus.REOPENED},
    ComplaintStatus.REOPENED: {ComplaintStatus.INVESTIGATING},
}


@given(ACTIONS)
def test_no_sequence_of_transitions_reaches_an_illegal_state(actions):
    c = new_complaint()
    at = T0
    for name, minutes, flag in actions:
        at = at + timedelta(minutes=minutes)
        before = c
        try:
            if name == "respond":
                c = c.respond(at)
            elif name == "resolve":
                c = c.resolve(at)
            elif name == "confirm":
                c = c.confirm(at, satisfied=flag)
            else:
                c = c.reopen(at)
        except InvalidTransitionError:
            assert c is before
            continue
        assert c.status in ALLOWED[before.status]
        assert c.last_event_at >= before.last_event_at
        # Rebuilding from the fields re-runs every constructor check.
        assert Complaint(**_fields(c)) == c


def _fields(c):
    import attrs

    return {f.name: getattr(c, f.name) for f in attrs.fields(type(c))}


@given(complaints())
def test_generated_complaints_are_internally_consistent(c):
    assert c.opened_at <= c.last_event_at
    assert (c.status is ComplaintStatus.REOPENED) <= (c.reopen_count > 0)


@given(complaints())
def test_last_event_is_the_latest_event(c):
    times = [c.responded_at, c.reopened_at, c.resolved_at, c.confirmed_at]
    assert c.last_event_at == max((t for t in times if t is not None), default=c.opened_at)


def test_of_events_at_one_instant_the_last_event_is_the_earliest_written():
    """Two events at one instant in different zones: ``last_event_at`` is the earlier in
    the complaint's life, as ``max`` chooses, so a reason quoting it keeps that zone."""
    beijing = timezone(timedelta(hours=8))
    c = new_complaint().respond(T0 + HOUR).resolve((T0 + HOUR).astimezone(beijing))
    assert c.last_event_at.utcoffset() == timedelta(0)
    c = new_complaint().respond((T0 + HOUR).astimezone(beijing)).resolve(T0 + HOUR)
    assert c.last_event_at.utcoffset() == timedelta(hours=8)
