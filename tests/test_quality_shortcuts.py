"""The quality wing's shortcuts equal the definitions they stand for.

``measured_gaps`` words only the three shortfalls it keeps and reads each tuple of standards
once; ``complaint_sla`` counts stages in one pass, takes a complaint's latest event from the
order its times run in, compares ``as_of`` in a complaint's own fixed offset, and reuses the
report on no complaints. Each test below states the plain definition and checks the fast path
against it, over generated inputs.
"""

from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logicrm import (
    Complaint,
    ComplaintPolicy,
    Dimension,
    Gap,
    ServiceMeasure,
    ServiceStandard,
    SlaStatus,
    StandardKind,
    Tier,
    complaint_sla,
    service_kpis,
)
from logicrm.domain import Reason
from logicrm.errors import ValidationError
from logicrm.quality import FiveGapsReport, MeasureGaps, WorstGap
from logicrm.quality._complaints import _as_of_in
from logicrm.quality._gaps import measured_gaps
from strategies import aware_datetimes, complaints, shipments

# The five gaps ------------------------------------------------------------------------------

_DEFINITIONS = (
    (Gap.KNOWLEDGE, "belief", "requirement"),
    (Gap.STANDARDS, "standard", "belief"),
    (Gap.DELIVERY, "delivered", "standard"),
    (Gap.COMMUNICATION, "delivered", "promise"),
    (Gap.SERVICE, "delivered", "requirement"),
)
_SHORTFALLS = {Gap.SERVICE: "requirement", Gap.DELIVERY: "standard", Gap.COMMUNICATION: "promise"}
_ORDER = list(_SHORTFALLS)


def defined_gaps(kpis, standards, service):
    """The five gaps as first written: every shortfall worded, then ranked, three kept."""
    levels = {}
    for s in standards:
        levels.setdefault(s.measure, {})[s.kind.value] = float(s.target)
    measures, shortfalls, explained_reasons = {}, [], []
    for measure in ServiceMeasure:
        if measure not in levels:
            continue
        row = dict(levels[measure])
        if kpis.value(measure) is not None:
            row["delivered"] = kpis.value(measure)
        higher = measure.higher_is_better
        gaps = {
            gap: row[a] - row[r] if higher else row[r] - row[a]
            for gap, a, r in _DEFINITIONS
            if a in row and r in row
        }
        for gap, against in _SHORTFALLS.items():
            if gaps.get(gap, 0.0) < 0:
                value, level, delivered = gaps[gap], row[against], row["delivered"]
                word = "short" if higher else "over"
                if measure.is_rate:
                    points = value * 100
                    shown = f"{-points:.2f}" if points <= -0.005 else "under 0.01"
                    text = f"{delivered:.2%} against {against} {level:.2%}, {shown} pt {word}"
                else:
                    points = value / (abs(level) or 1.0) * 100
                    text = (
                        f"{delivered:.1f} h against {against} {level:.4g} h, {-value:.1f} h "
                        f"{word} ({-points:.0f}% of it)"
                    )
                worst = WorstGap(
                    gap, measure.value, value, value / (abs(level) or 1.0), points, against
                )
                shortfalls.append((worst, f"{gap.value} gap on {measure.value}: {text}", False))
        if not gaps:
            continue
        explained = None
        if gaps.get(Gap.SERVICE, 0.0) < 0:
            earlier = [(gaps[g], g) for g in _DEFINITIONS_EARLIER if g in gaps and gaps[g] < 0]
            if earlier:
                explained = min(earlier, key=lambda pair: pair[0])[1]
                explained_reasons.append(
                    Reason(
                        f"gap.service.{measure.value}.explained_by",
                        f"the {explained.value} gap explains most of the {measure.value} shortfall",
                        gaps[explained],
                    )
                )
        measures[measure] = MeasureGaps(
            measure, MappingProxyType(row), MappingProxyType(gaps), explained
        )
    for dimension, value in service.items():
        if value < 0:
            worst = WorstGap(Gap.SERVICE, dimension.value, value, value / 7, value, "expectation")
            words = (
                f"service gap on {dimension.value}: perception {-value:.2f} points below "
                "expectation"
            )
            shortfalls.append((worst, words, True))

    def rank(s):
        return (s[2], s[0].points or 0.0, _ORDER.index(s[0].gap), s[0].where)

    chosen = {}
    for s in sorted(shortfalls, key=rank):
        chosen.setdefault(s[0].where, s)
    worst_reasons = [
        Reason(f"gap.{s[0].gap.value}.{s[0].where}", s[1], s[0].points)
        for s in list(chosen.values())[:3]
    ] or [Reason("gap.worst.none", "no measure short of its standard", None)]
    return FiveGapsReport(
        measures=MappingProxyType(measures),
        dimensions=MappingProxyType(
            {d: MappingProxyType({Gap.SERVICE: service[d]}) for d in Dimension if d in service}
        ),
        reasons=(*worst_reasons, *explained_reasons),
        worst=min(shortfalls, key=rank)[0] if shortfalls else None,
    )


_DEFINITIONS_EARLIER = (Gap.KNOWLEDGE, Gap.STANDARDS, Gap.DELIVERY)
_MEASURES = [
    ServiceMeasure.ON_TIME_RATE,
    ServiceMeasure.DAMAGE_RATE,
    ServiceMeasure.FILL_RATE,
    ServiceMeasure.AVG_ORDER_CYCLE_HOURS,
]


@st.composite
def gap_inputs(draw):
    """Standards for some measures (rates and an order-cycle measure), what was delivered
    (sometimes nothing), and some dimensions' survey gaps."""
    standards = []
    for measure in draw(st.lists(st.sampled_from(_MEASURES), unique=True, max_size=4)):
        top = 1.0 if measure.is_rate else 200.0
        for kind in draw(st.lists(st.sampled_from(StandardKind), unique=True, min_size=1)):
            target = draw(st.floats(0, top) | st.sampled_from([0.0, top, 0.97]))
            standards.append(ServiceStandard(measure=measure, kind=kind, target=target))
    delivered = {
        m.value: draw(st.none() | st.floats(0, 1) | st.sampled_from([0.0, 1.0]))
        for m in _MEASURES[:3]
    }
    hours = draw(st.none() | st.integers(0, 400 * 3600))
    kpis = attrs.evolve(
        service_kpis([]),
        **delivered,
        avg_order_cycle_time=None if hours is None else timedelta(seconds=hours),
    )
    service = draw(
        st.dictionaries(st.sampled_from(Dimension), st.floats(-6, 6) | st.sampled_from([0.0]))
    )
    return kpis, standards, service


@settings(max_examples=150)
@given(gap_inputs(), gap_inputs())
def test_measured_gaps_equal_their_definition(one, other):
    kpis, standards, service = one
    for given_standards in (tuple(standards), standards):  # read once per tuple, or each time
        got = measured_gaps(kpis, given_standards, service, {})
        want = defined_gaps(kpis, standards, service)
        assert repr(got) == repr(want)
        assert got.reasons == want.reasons
    # The same tuple of standards with another customer's figures: nothing of the first kept.
    again = tuple(standards)
    measured_gaps(kpis, again, service, {})
    other_kpis, _, other_service = other
    got = measured_gaps(other_kpis, again, other_service, {})
    assert repr(got) == repr(defined_gaps(other_kpis, standards, other_service))


# Complaints -----------------------------------------------------------------------------------

_STAGES = ("response", "resolution", "confirmation")
_LATE = (SlaStatus.BREACHED, SlaStatus.OVERDUE)
_FIXED = [UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5, minutes=-30))]
_ZONES = st.sampled_from(
    [*_FIXED, timezone(timedelta(hours=23, minutes=59)), ZoneInfo("Europe/Berlin")]
)


_START = datetime(2026, 1, 1, tzinfo=UTC)


@st.composite
def complaints_and_as_of(draw):
    """Complaints opened over ten days, and an as_of near them: often right at one of their
    events or deadlines, a microsecond either side, in any zone."""
    items = draw(
        st.lists(complaints(min_opened_at=_START, max_opened_at=_START + timedelta(days=10)))
    )
    moments = [
        moment + limit
        for c in items
        for moment in (c.opened_at, c.responded_at, c.reopened_at, c.resolved_at, c.confirmed_at)
        if moment is not None
        for limit in (timedelta(0), timedelta(hours=4), timedelta(hours=48), timedelta(days=7))
    ]
    near = st.sampled_from(moments) if moments else st.nothing()
    nudge = st.sampled_from([timedelta(0), timedelta(microseconds=1), -timedelta(microseconds=1)])
    as_of = draw(
        st.builds(lambda m, n: m + n, near, nudge)
        | aware_datetimes(min_value=_START, max_value=_START + timedelta(days=40))
    )
    return items, as_of.astimezone(draw(_ZONES))


@settings(max_examples=300)
@given(complaints_and_as_of(), st.sampled_from([None, Tier.LARGE]))
def test_complaint_sla_counts_equal_their_definitions(drawn, tier):
    items, as_of = drawn
    policy = ComplaintPolicy(
        by_tier={Tier.LARGE: {s: ComplaintPolicy().times[s] for s in list(ComplaintPolicy().times)}}
    )
    tiers = None if tier is None else {c.customer_id: tier for c in items}
    late_events = [c for c in items if c.last_event_at > as_of or c.opened_at > as_of]
    try:
        report = complaint_sla(items, as_of=as_of, policy=policy, tiers=tiers)
    except Exception:
        assert late_events  # refused exactly when some event comes after as_of
        return
    assert not late_events
    rows = report.complaints
    assert report.met == sum(1 for r in rows if r.met)
    assert report.breached == sum(1 for r in rows if r.breached)
    for complaint, row in zip(items, rows, strict=True):
        times = policy.for_complaint(complaint.severity, tier)
        for done, start, limit, status in (
            (complaint.responded_at, complaint.opened_at, times.respond_within, row.response),
            (complaint.resolved_at, complaint.opened_at, times.resolve_within, row.resolution),
            (complaint.confirmed_at, complaint.resolved_at, times.confirm_within, row.confirmation),
        ):
            if start is None:
                assert status is SlaStatus.NOT_DUE
            elif done is not None:
                assert status is (SlaStatus.MET if done <= start + limit else SlaStatus.BREACHED)
            else:
                assert status is (SlaStatus.OVERDUE if as_of > start + limit else SlaStatus.PENDING)
    ages = [as_of - c.opened_at for c in items if c.is_open]
    assert dict(report.backlog) == {
        "under_1_day": sum(1 for a in ages if a < timedelta(days=1)),
        "1_to_3_days": sum(1 for a in ages if timedelta(days=1) <= a < timedelta(days=3)),
        "3_to_7_days": sum(1 for a in ages if timedelta(days=3) <= a < timedelta(days=7)),
        "over_7_days": sum(1 for a in ages if a >= timedelta(days=7)),
    }
    worst = max(_STAGES, key=lambda s: sum(1 for r in rows if getattr(r, s) in _LATE))
    count = sum(1 for r in rows if getattr(r, worst) in _LATE)
    said = [r for r in report.reasons if r.code.startswith("sla.worst.")]
    assert said == (
        [Reason(f"sla.worst.{worst}", f"{worst} is the stage most often late ({count})")]
        if count
        else []
    )


@given(
    st.datetimes(timezones=_ZONES),
    st.datetimes(timezones=_ZONES),
)
def test_as_of_in_a_fixed_offset_compares_as_the_instant_does(moment, as_of):
    # With moment's own tzinfo, Python compares wall clocks; the answers must be the instants'.
    local = _as_of_in(moment.tzinfo, as_of)
    assert local == as_of
    assert (moment > local) == (moment > as_of)
    assert (moment <= local) == (moment <= as_of)
    assert local - moment == as_of - moment
    if type(moment.tzinfo) is not timezone or type(as_of.tzinfo) is not timezone:
        assert local is as_of  # a zone with summer time, on either side, is left alone


def test_the_report_on_no_complaints_is_the_same_whatever_came_before():
    as_of = datetime(2026, 1, 1, tzinfo=UTC)
    first = complaint_sla([], as_of=as_of)
    busy = complaint_sla([_one_complaint(as_of)], as_of=as_of + timedelta(days=30))
    assert busy.total == 1
    later = complaint_sla(iter(()), as_of=as_of.astimezone(_FIXED[1]), policy=ComplaintPolicy())
    assert later == first and repr(later) == repr(first)
    assert (later.total, later.met, later.breached, later.open, later.backlog[0]) == (
        0,
        0,
        0,
        0,
        ("under_1_day", 0),
    )
    assert [r.message for r in later.reasons] == [
        "0 complaints: 0 met every deadline, 0 breached one, 0 open"
    ]


def _one_complaint(at, cid="K1"):
    from logicrm import Complaint

    return Complaint(
        id=cid, customer_id="C1", opened_at=at, channel="phone", category="late", severity="high"
    )


def test_the_stage_most_often_late_worked_example():
    # High severity: respond within 4 h, resolve within 48 h, confirm within 7 days.
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    hour, day = timedelta(hours=1), timedelta(days=1)
    unconfirmed = _one_complaint(t0).respond(t0 + 2 * hour).resolve(t0 + day)  # overdue visit
    slow = (
        _one_complaint(t0, "K2")
        .respond(t0 + 5 * hour)  # breached
        .resolve(t0 + day)
        .confirm(t0 + 2 * day, satisfied=True)
    )
    as_of = t0 + 9 * day
    alone = complaint_sla([unconfirmed], as_of=as_of)
    assert alone.reasons[-1] == Reason(
        "sla.worst.confirmation", "confirmation is the stage most often late (1)"
    )
    both = complaint_sla([unconfirmed, slow], as_of=as_of)  # one each: the earlier stage
    assert both.reasons[-1] == Reason(
        "sla.worst.response", "response is the stage most often late (1)"
    )
    assert (both.met, both.breached) == (0, 2)


@given(st.lists(shipments(customer_id="C1", currency="CNY"), max_size=6))
def test_a_measure_read_by_its_field_equals_its_definition(items):
    kpis = service_kpis(items)
    for measure in ServiceMeasure:
        if measure is ServiceMeasure.AVG_ORDER_CYCLE_HOURS:
            duration = kpis.avg_order_cycle_time
        elif measure is ServiceMeasure.ORDER_CYCLE_STDEV_HOURS:
            duration = kpis.order_cycle_stdev
        else:
            assert kpis.value(measure) == getattr(kpis, measure.value)
            continue
        want = None if duration is None else duration / timedelta(hours=1)
        assert kpis.value(measure) == want


# Summer time's repeated hour: two times of one ZoneInfo compare by their wall clocks, so the
# answers below are those of comparing each time with as_of as given (the definition).
_NEW_YORK = ZoneInfo("America/New_York")


def _fold_complaint(**times):
    return Complaint(id="K", customer_id="C1", channel="phone", category="late", **times)


def test_in_the_repeated_hour_a_complaint_is_judged_by_its_own_times_against_as_of():
    # responded 01:30 EDT (05:30Z), resolved 01:30 EST (06:30Z): one wall clock, an hour apart
    resolved = _fold_complaint(
        opened_at=datetime(2026, 11, 1, 1, 0, tzinfo=_NEW_YORK), severity="low",
        status="resolved", responded_at=datetime(2026, 11, 1, 1, 30, tzinfo=_NEW_YORK),
        resolved_at=datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=_NEW_YORK),
    )  # fmt: skip
    report = complaint_sla([resolved], as_of=datetime(2026, 11, 1, 6, 0, tzinfo=UTC))
    assert (report.total, report.open) == (1, 0)
    # opened 01:30 EST (06:30Z), after as_of, though responded 01:40 EDT (05:40Z) before it
    early = _fold_complaint(
        opened_at=datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=_NEW_YORK), severity="low",
        status="investigating", responded_at=datetime(2026, 11, 1, 1, 40, tzinfo=_NEW_YORK),
    )  # fmt: skip
    with pytest.raises(ValidationError, match="after as_of"):
        complaint_sla([early], as_of=datetime(2026, 11, 1, 6, 0, tzinfo=UTC))


def test_an_as_of_with_summer_time_meets_its_own_zones_deadline_by_the_wall_clock():
    # confirmation due 72 h (wall clock) after resolving: 2026-11-01 01:30 EDT; as_of 01:20 EST
    # is an hour past that instant but before it on the zone's wall clock, as Python compares
    opened = datetime(2026, 10, 28, 5, 30, tzinfo=UTC)
    complaint = _fold_complaint(
        opened_at=opened, severity="critical", status="resolved",
        responded_at=opened + timedelta(hours=1),
        resolved_at=datetime(2026, 10, 29, 1, 30, tzinfo=_NEW_YORK),
    )  # fmt: skip
    as_of = datetime(2026, 11, 1, 1, 20, fold=1, tzinfo=_NEW_YORK)
    deadline = (
        complaint.resolved_at
        + ComplaintPolicy().for_complaint(complaint.severity, None).confirm_within
    )
    expected = SlaStatus.OVERDUE if as_of > deadline else SlaStatus.PENDING
    (row,) = complaint_sla([complaint], as_of=as_of).complaints
    assert row.confirmation is expected is SlaStatus.PENDING
