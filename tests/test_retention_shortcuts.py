"""The retention wing's shortcuts (tables made once, checks not repeated, figures worked out
once) give what their definitions give."""

import functools
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from logicrm import (
    AbcClass,
    ContactActivity,
    ContactPolicy,
    Direction,
    Interaction,
    ServiceCostPolicy,
    Tier,
    profitability,
    summarize_interactions,
)
from logicrm.domain import _reason
from logicrm.retention._contact_items import _days
from logicrm.retention._contacts import _earliest, _latest, _moved
from logicrm.scoring import WINDOW_DAYS, Activity
from logicrm.testing import aware_datetimes
from strategies import complaints


@given(st.sampled_from(Tier), st.none() | st.sampled_from(AbcClass), st.booleans())
def test_the_basis_of_a_tiers_intervals_is_worded_as_the_tier(tier, abc_class, key):
    policy = ContactPolicy(by_class={AbcClass.A: ContactPolicy().by_tier[Tier.LARGE]})
    intervals, basis = policy.intervals_and_basis(tier, abc_class, key_customer=key)
    if key:
        assert basis == "key customer"
    elif abc_class is AbcClass.A:
        assert basis == "class A"
    else:
        assert basis == f"tier {tier.value}"
        assert intervals is policy.by_tier[tier]


@given(aware_datetimes(), st.sampled_from([UTC, timezone(timedelta(hours=8)), None]))
def test_a_logs_window_edges_are_its_own_as_ofs_whatever_came_before(as_of, zone):
    # an equal instant in another zone is another as_of: its edges are in its own zone
    other = as_of if zone is None else _moved(as_of, zone)
    for moment in (as_of, other, as_of):
        log = ContactActivity.empty("C1", as_of=moment)
        assert log._cutoffs == tuple(moment - timedelta(days=d) for d in WINDOW_DAYS)
        assert all(c.tzinfo is moment.tzinfo for c in log._cutoffs)
        fixed = type(moment.tzinfo) is timezone
        assert log._zone is (moment.tzinfo if fixed else None)


@given(st.integers(0, 36_600))
def test_a_span_of_days_is_the_timedelta_of_those_days(count):
    assert _days(count) == timedelta(days=count)


purposes = st.sampled_from(["follow_up_visit", "enquiry", "quote", "own_purpose"])


@given(st.dictionaries(purposes, st.integers(0, 9)), st.lists(purposes, max_size=6))
def test_counts_of_purposes_are_their_sums(counts, asked):
    log = ContactActivity.empty("C1", as_of=datetime(2026, 6, 30, tzinfo=UTC))
    log.by_purpose.update(counts)
    log.recent_by_purpose.update({p: n + 1 for p, n in counts.items()})
    assert log.count(*asked) == sum(counts.get(p, 0) for p in asked)
    assert log.recent_count(*asked) == sum(counts[p] + 1 for p in asked if p in counts)


AS_OF = datetime(2026, 6, 30, 18, tzinfo=UTC)
ZONES = [UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5))]
# few instants, each in any of three zones: ties between equal instants come up often
moments = st.builds(
    lambda hours, zone: (AS_OF - timedelta(hours=hours)).astimezone(zone),
    st.sampled_from([-1, 0, 1, 30, 24 * 100]),
    st.sampled_from(ZONES),
)
contacts = st.builds(
    Interaction,
    id=st.just("I1"),
    customer_id=st.just("C1"),
    at=moments,
    channel=st.sampled_from(["visit", "phone"]),
    direction=st.sampled_from(["inbound", "outbound"]),
    purpose=st.sampled_from(["follow_up_visit", "enquiry"]),
)


@given(st.lists(contacts, max_size=8))
def test_a_logs_moments_are_those_earliest_and_latest_pick_in_turn(log):
    folded = summarize_interactions(log, as_of=AS_OF).get("C1")
    kept = [i for i in log if i.at <= AS_OF]
    if folded is None:
        assert not log
        return

    def fold(pick, moments):
        return functools.reduce(pick, moments, None)

    def same(a, b):  # the same instant in the same offset
        return a == b and (a is None or a.utcoffset() == b.utcoffset())

    assert same(folded.first_at, fold(_earliest, [i.at for i in kept]))
    for purpose in {i.purpose for i in kept}:
        expected = fold(_latest, [i.at for i in kept if i.purpose == purpose])
        assert same(folded.last_by_purpose[purpose], expected)
    outbound = [i.at for i in kept if i.direction is Direction.OUTBOUND]
    assert same(folded.last_outbound_at, fold(_latest, outbound))


@given(
    st.integers(0, 10_000) | st.floats(0, 10, allow_nan=False) | st.booleans(),
    st.sampled_from(["day", "hour", "complaint", "service recovery", "damaged shipment"]),
)
def test_a_remembered_plural_is_the_plural(count, noun):
    # 2 and 2.0 are worded differently ("2 days", "2.0 days"): remembered apart
    worded = _reason.plural.__wrapped__
    assert _reason.plural(count, noun) == worded(count, noun)
    assert _reason.plural(int(count), noun) == worded(int(count), noun)


@given(
    st.data(),
    aware_datetimes(min_value=datetime(2000, 1, 1, tzinfo=UTC)),
    st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-9))]),
)
def test_complaints_are_counted_by_instant_whatever_the_zones(data, as_of, zone):
    # opened around as_of and around a year before it, in zones other than as_of's
    near = complaints(
        customer_id="C1",
        min_opened_at=as_of - timedelta(days=367),
        max_opened_at=as_of + timedelta(days=2),
    )
    records = data.draw(st.lists(near, max_size=4))
    # profitability compares the complaints in as_of's zone: the same instants are counted
    as_of = _moved(as_of, zone)
    activity = Activity.empty("C1", as_of=as_of)
    year = profitability(activity, as_of=as_of, complaints=records).complaints
    ever = profitability(
        activity, as_of=as_of, complaints=records, policy=ServiceCostPolicy(trailing_year=False)
    ).complaints
    utc = as_of.astimezone(UTC)
    opened = [c.opened_at.astimezone(UTC) for c in records]
    assert ever == sum(1 for at in opened if at <= utc)
    assert year == sum(1 for at in opened if utc - timedelta(days=365) < at <= utc)


def test_in_the_repeated_hour_a_resolved_complaint_still_gets_its_follow_up():
    """Responded 01:30 EDT (05:30Z) and resolved 01:30 EST (06:30Z), one wall clock an hour
    apart: as of 06:00Z its latest event (the response, as ``max`` chooses among equal wall
    clocks) is not after as_of, so the plan holds the complaint's follow-up."""
    from zoneinfo import ZoneInfo

    from logicrm import Complaint, Customer, contact_plan

    new_york = ZoneInfo("America/New_York")
    complaint = Complaint(
        id="A", customer_id="C1", opened_at=datetime(2026, 11, 1, 1, 0, tzinfo=new_york),
        channel="phone", category="late", severity="low", status="resolved",
        responded_at=datetime(2026, 11, 1, 1, 30, tzinfo=new_york),
        resolved_at=datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=new_york),
    )  # fmt: skip
    plan = contact_plan(
        Customer(id="C1", name="Acme", kind="enterprise"),
        as_of=datetime(2026, 11, 1, 6, 0, tzinfo=UTC),
        tier=Tier.LARGE,
        complaints=[complaint],
    )
    assert ("complaint_follow_up", "A") in [(i.task.value, i.complaint_id) for i in plan.items]
