"""Service quality: measures, SERVQUAL, the five gaps and complaint SLAs, by hand and by law."""

from datetime import timedelta
from fractions import Fraction

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import logicrm as lc
from helpers import DAY, HOUR, T0, shipment
from logicrm import (
    Activity,
    Answer,
    Complaint,
    ComplaintPolicy,
    ComplaintTimes,
    Dimension,
    Gap,
    ServiceMeasure,
    ServiceStandard,
    SlaStatus,
    SurveyResponse,
    complaint_sla,
    five_gaps,
    service_kpis,
    servqual,
)
from logicrm.errors import ValidationError
from logicrm.quality._gaps import measured_gaps
from logicrm.quality._servqual import survey_dimension_gaps
from logicrm.testing import survey_responses
from strategies import complaints, shipments

AS_OF = T0 + 60 * DAY


def delivered(i, *, late=False, units=10, got=10, damaged=0, **flags):
    return shipment(
        id=f"S{i}",
        ordered_at=T0,
        promised_at=T0 + 2 * DAY,
        shipped_at=None,
        delivered_at=T0 + (3 if late else 1) * DAY,
        units_ordered=units,
        units_delivered=got,
        units_damaged=damaged,
        **flags,
    )


# Service measures --------------------------------------------------------------------


def test_service_measures_worked_example():
    # Four shipments, three delivered:
    #  S1 on time, 10/10 units;  S2 late, 10/10 units, 2 damaged, invoice error;
    #  S3 on time, 6 of 10 units (short);  S4 in transit, stock-out, rerouted.
    items = [
        delivered(1),
        delivered(2, late=True, damaged=2, invoice_error=True),
        delivered(3, got=6),
        shipment(
            id="S4",
            ordered_at=T0,
            promised_at=T0 + DAY,
            shipped_at=None,
            delivered_at=None,
            stockout=True,
            rerouted=True,
        ),
    ]
    k = service_kpis(items)
    assert (k.shipments, k.delivered) == (4, 3)
    assert k.fill_rate == 26 / 30  # (10 + 10 + 6) / 30 ordered on delivered
    assert k.damage_rate == 2 / 26  # damaged / delivered units
    assert k.late_delivery_rate == 1 / 3
    assert k.on_time_rate == 2 / 3
    assert k.short_shipment_rate == 1 / 3
    assert k.otif_rate == 1 / 3  # only S1 is on time and in full
    assert k.perfect_order_rate == 1 / 3
    assert k.invoice_error_rate == 1 / 4  # flags are over all shipments
    assert (k.stockout_rate, k.reroute_rate, k.return_rate) == (1 / 4, 1 / 4, 0.0)
    # Cycles of 1, 3 and 1 days: mean 5/3 days; sample stdev sqrt(4/3) days.
    assert k.avg_order_cycle_time == timedelta(days=5 / 3)
    assert k.order_cycle_stdev / timedelta(days=1) == pytest.approx((4 / 3) ** 0.5)


def test_over_delivery_fills_no_more_than_100_percent():
    assert service_kpis([delivered(1, units=10, got=12)]).fill_rate == 1.0


def test_undefined_measures_are_none_with_reasons():
    k = service_kpis([shipment(ordered_at=T0, promised_at=T0, shipped_at=None, delivered_at=None)])
    assert k.on_time_rate is None and k.avg_order_cycle_time is None
    assert k.invoice_error_rate == 0.0
    assert "kpi.on_time_rate.undefined" in {r.code for r in k.reasons}
    empty = service_kpis([])
    assert empty.shipments == 0 and empty.stockout_rate is None


many = st.lists(shipments(currency="CNY", max_ordered_at=AS_OF), max_size=30)


@given(many, st.data())
def test_measures_are_the_same_from_shipments_from_activities_and_any_split(items, data):
    expected = service_kpis(items)
    order = data.draw(st.permutations(range(len(items))))
    assert service_kpis([items[i] for i in order]) == expected
    cut = data.draw(st.integers(0, len(items)))
    parts = [lc.summarize(part, as_of=AS_OF) for part in (items[:cut], items[cut:])]
    activities = list(parts[0].values()) + list(parts[1].values())
    assert service_kpis(activities) == expected
    merged = {}
    for part in parts:
        for key, activity in part.items():
            merged[key] = merged[key].merge(activity) if key in merged else activity
    for key, activity in merged.items():
        assert service_kpis(activity) == service_kpis([s for s in items if s.customer_id == key])


@given(many)
def test_every_rate_lies_between_0_and_1(items):
    k = service_kpis(items)
    for measure in ServiceMeasure:
        value = k.value(measure)
        if value is not None and measure.is_rate:
            assert 0.0 <= value <= 1.0


# SERVQUAL -----------------------------------------------------------------------------


def response(rid, scores, importance=None):
    answers = [
        Answer(item=item, dimension=dim, expectation=e, perception=p) for item, dim, e, p in scores
    ]
    return SurveyResponse(respondent_id=rid, taken_at=T0, answers=answers, importance=importance)


def test_servqual_worked_example():
    # R1: R1 7/5 (-2), R2 6/6 (0), T1 5/6 (+1).  R2: R1 7/4 (-3), T1 5/5 (0).
    # Item gaps: R1 -2.5, R2 0, T1 +0.5. Reliability = mean(-2.5, 0) = -1.25; tangibles 0.5.
    # Unweighted = (-1.25 + 0.5) / 2 = -0.375.
    # Importance: R1 gives reliability 80 / tangibles 20, R2 60 / 40 -> mean shares 0.7 / 0.3
    # Weighted = 0.7 * -1.25 + 0.3 * 0.5 = -0.725.
    rs = [
        response(
            "A",
            [("R1", "reliability", 7, 5), ("R2", "reliability", 6, 6), ("T1", "tangibles", 5, 6)],
            {"reliability": 80, "tangibles": 20},
        ),
        response(
            "B",
            [("R1", "reliability", 7, 4), ("T1", "tangibles", 5, 5)],
            {"reliability": 60, "tangibles": 40},
        ),
    ]
    result = servqual(rs)
    assert dict(result.item_gaps) == {"R1": -2.5, "R2": 0.0, "T1": 0.5}
    assert result.dimension_gaps[Dimension.RELIABILITY] == -1.25
    assert result.unweighted == -0.375
    assert result.weighted == pytest.approx(-0.725)
    assert result.n_respondents == 2
    given_weights = servqual(rs, weights={"reliability": 1, "tangibles": 1})
    assert given_weights.weighted == pytest.approx(-0.375)


def test_servqual_without_importance_has_no_weighted_score():
    result = servqual([response("A", [("R1", "reliability", 7, 5)])])
    assert result.weighted is None and result.unweighted == -2.0


def test_servqual_leaves_out_weighted_dimensions_without_items():
    result = servqual(
        [response("A", [("R1", "reliability", 7, 5)])], weights={"reliability": 1, "empathy": 1}
    )
    assert result.weighted == -2.0
    assert "servqual.weights.left_out" in {r.code for r in result.reasons}


def exact_servqual(responses, weights=None):
    """SERVQUAL by its definition, in Fractions: the figures servqual() must give exactly."""
    items, dims = {}, {}
    for response in responses:
        for a in response.answers:
            items.setdefault(a.item, []).append((a.gap, a.expectation))
            dims[a.item] = a.dimension
    mean = lambda values: sum(values, Fraction(0)) / len(values)  # noqa: E731
    item_gap = {i: mean([Fraction(g) for g, _ in v]) for i, v in items.items()}
    item_exp = {i: mean([Fraction(e) for _, e in v]) for i, v in items.items()}
    gaps = {d: mean([item_gap[i] for i in items if dims[i] is d]) for d in Dimension
            if d in dims.values()}  # fmt: skip
    expected = {d: mean([item_exp[i] for i in items if dims[i] is d]) for d in gaps}
    rated = [r.importance for r in responses if r.importance is not None]
    source = None if weights is None else {Dimension(d): Fraction(w) for d, w in weights.items()}
    if source is None and rated:
        shares = {}
        for points in rated:
            total = Fraction(sum(points.values()))
            for d, p in points.items():
                shares[d] = shares.get(d, Fraction(0)) + Fraction(p) / total
        source = {d: v / len(rated) for d, v in shares.items()}
    present = {d: w for d, w in (source or {}).items() if d in gaps and w > 0}
    total = sum(present.values(), Fraction(0))
    used = {d: w / total for d, w in present.items()} if total else {}
    worst = sorted(gaps, key=gaps.__getitem__)[:2]
    return {
        "item_gaps": {i: float(item_gap[i]) for i in sorted(items)},
        "dimension_gaps": {d: float(v) for d, v in gaps.items()},
        "expectations": {d: float(v) for d, v in expected.items()},
        "unweighted": float(mean(list(gaps.values()))) if gaps else None,
        "weighted": float(sum(used[d] * gaps[d] for d in used)) if used else None,
        "weights": {d: float(used[d]) for d in Dimension if d in used},
        "shortfalls": [(f"servqual.{d.value}", float(gaps[d])) for d in worst if gaps[d] < 0],
    }


_POINTS = st.floats(0, 100, allow_nan=False) | st.integers(0, 100)


@given(
    st.lists(
        st.tuples(
            survey_responses(),
            st.none() | st.dictionaries(st.sampled_from(Dimension), _POINTS, min_size=1),
        ),
        max_size=6,
    ),
    st.none() | st.dictionaries(st.sampled_from([d.value for d in Dimension]), _POINTS, min_size=1),
)
def test_servqual_equals_its_definition_in_exact_fractions(drawn, weights):
    # Figures are exact rationals rounded once to float, whatever the arithmetic inside.
    responses = [
        attrs.evolve(r, importance=None if p is None or sum(p.values()) <= 0 else p)
        for r, p in drawn
    ]
    dims = {}
    if any(dims.setdefault(a.item, a.dimension) is not a.dimension
           for r in responses for a in r.answers):  # fmt: skip
        return  # one item under two dimensions is rejected, as tested elsewhere
    if weights is not None and sum(weights.values()) <= 0:
        weights = None
    result = servqual(responses, weights=weights)
    want = exact_servqual(responses, weights)
    assert dict(result.item_gaps) == want["item_gaps"]
    assert dict(result.dimension_gaps) == want["dimension_gaps"]
    assert list(result.dimension_gaps) == list(want["dimension_gaps"])
    assert dict(result.expectations) == want["expectations"]
    assert result.unweighted == want["unweighted"]
    assert result.weighted == want["weighted"]
    assert list(result.weights.items()) == list(want["weights"].items())
    said = [(r.code, r.contribution) for r in result.reasons if r.contribution is not None]
    assert said == want["shortfalls"]
    alone = survey_dimension_gaps(responses)  # what assess_all reads for the five gaps
    assert list(alone.items()) == list(result.dimension_gaps.items())


def test_the_survey_gaps_alone_fail_as_servqual_does():
    twice = [response("A", [("R1", "reliability", 7, 5)]), response("B", [("R1", "empathy", 7, 5)])]
    huge = [response("A", [("R1", "reliability", 7, 5)], {"reliability": 1e308, "empathy": 1e308})]
    for responses, error in (
        (twice, ValidationError),
        (huge, OverflowError),
        ([object()], ValidationError),
    ):
        with pytest.raises(error) as full:
            servqual(responses)
        with pytest.raises(error) as alone:
            survey_dimension_gaps(responses)
        assert str(alone.value) == str(full.value)


def test_five_gaps_from_the_survey_gaps_alone_is_five_gaps():
    from logicrm.sample import sample_dataset

    data = sample_dataset()
    kpis = service_kpis(data.shipments)
    standards = data.inputs().service_standards
    full = five_gaps(kpis, standards, servqual=servqual(data.survey_responses))
    alone = measured_gaps(kpis, standards, survey_dimension_gaps(data.survey_responses), {})
    assert alone == full and alone.reasons == full.reasons and alone.dimensions


@pytest.mark.parametrize("weights", [{"reliability": -1}, {"speed": 1}, {"reliability": 0}])
def test_servqual_validates_weights(weights):
    with pytest.raises(ValidationError):
        servqual([response("A", [("R1", "reliability", 7, 5)])], weights=weights)


def test_an_item_belongs_to_one_dimension():
    with pytest.raises(ValidationError):
        servqual(
            [response("A", [("R1", "reliability", 7, 5)]), response("B", [("R1", "empathy", 7, 5)])]
        )


# The five gaps ----------------------------------------------------------------------------


def level(measure, kind, target):
    return ServiceStandard(measure=measure, kind=kind, target=target)


def test_five_gaps_worked_example_for_a_lower_is_better_measure():
    # Damage rate: customers require 0.5%; management believes 1%; the standard is 1.5%;
    # we promised 0.8%; we delivered 2/100 = 2%. Oriented (reference - actual):
    # knowledge 0.005 - 0.010 = -0.005; standards 0.010 - 0.015 = -0.005;
    # delivery 0.015 - 0.02 = -0.005; communication 0.008 - 0.02 = -0.012;
    # service 0.005 - 0.02 = -0.015 = the sum of the first three.
    kpis = service_kpis([delivered(1, units=100, got=100, damaged=2)])
    report = five_gaps(
        kpis,
        [
            level("damage_rate", "requirement", 0.005),
            level("damage_rate", "belief", 0.010),
            level("damage_rate", "standard", 0.015),
            level("damage_rate", "promise", 0.008),
        ],
    )
    gaps = report.measures[ServiceMeasure.DAMAGE_RATE].gaps
    assert gaps[Gap.KNOWLEDGE] == pytest.approx(-0.005)
    assert gaps[Gap.STANDARDS] == pytest.approx(-0.005)
    assert gaps[Gap.DELIVERY] == pytest.approx(-0.005)
    assert gaps[Gap.COMMUNICATION] == pytest.approx(-0.012)
    assert gaps[Gap.SERVICE] == pytest.approx(-0.015)
    assert report.reasons[0].code == "gap.service.damage_rate"  # the largest shortfall: 1.5 pt


def test_the_earlier_gap_that_explains_the_service_gap_is_named():
    # On-time: requirement 97%, belief 95%, standard 95%, delivered 2 of 3 = 66.7%.
    kpis = service_kpis([delivered(1), delivered(2), delivered(3, late=True)])
    report = five_gaps(
        kpis,
        [
            level("on_time_rate", "requirement", 0.97),
            level("on_time_rate", "belief", 0.95),
            level("on_time_rate", "standard", 0.95),
        ],
    )
    row = report.measures[ServiceMeasure.ON_TIME_RATE]
    assert row.explained_by is Gap.DELIVERY
    assert "gap.service.on_time_rate.explained_by" in {r.code for r in report.reasons}


def test_two_levels_of_one_kind_for_one_measure_are_refused():
    with pytest.raises(ValidationError):
        five_gaps(
            service_kpis([]),
            [level("fill_rate", "standard", 0.9), level("fill_rate", "standard", 0.95)],
        )


def test_dimension_gaps_from_customer_and_management_surveys():
    customers = servqual([response("A", [("R1", "reliability", 7, 5)])])
    managers = servqual([response("M", [("R1", "reliability", 5, 5)])])  # they expect 5
    report = five_gaps(service_kpis([]), [], servqual=customers, management=managers)
    assert report.dimensions[Dimension.RELIABILITY] == {Gap.SERVICE: -2.0, Gap.KNOWLEDGE: -2.0}


levels_st = st.fixed_dictionaries(
    {k: st.floats(0, 1) for k in ("requirement", "belief", "standard", "promise")}
)


@given(
    levels_st,
    st.sampled_from([m for m in ServiceMeasure if m.is_rate]),
    st.floats(0, 1),
    st.floats(0, 1),
)
def test_gap_laws(levels, measure, delivered_a, delivered_b):
    kpis = service_kpis([])

    def report(value):
        changed = attrs.evolve(kpis, **{measure.value: value})
        return five_gaps(changed, [level(measure, k, v) for k, v in levels.items()])

    a, b = report(delivered_a).measures[measure], report(delivered_b).measures[measure]
    # The three earlier gaps add up to the service gap.
    assert a.gaps[Gap.SERVICE] == pytest.approx(
        a.gaps[Gap.KNOWLEDGE] + a.gaps[Gap.STANDARDS] + a.gaps[Gap.DELIVERY], abs=1e-12
    )
    # Improving the delivered measure never widens its delivery gap.
    better_b = (
        delivered_b >= delivered_a if measure.higher_is_better else (delivered_b <= delivered_a)
    )
    if better_b:
        assert b.gaps[Gap.DELIVERY] >= a.gaps[Gap.DELIVERY]


# Complaints ------------------------------------------------------------------------------------


def complaint(cid="K1", severity="high", **changes):
    fields = dict(
        id=cid, customer_id="C1", opened_at=T0, channel="phone", category="late", severity=severity
    )
    fields.update(changes)
    return Complaint(**fields)


def test_complaint_sla_worked_example():
    # High severity: respond within 4 h, resolve within 48 h, confirm within 7 days.
    on_time = (
        complaint("K1")
        .respond(T0 + 2 * HOUR)
        .resolve(T0 + DAY)
        .confirm(T0 + 3 * DAY, satisfied=True)
    )
    late_response = complaint("K2").respond(T0 + 5 * HOUR)
    still_open = complaint("K3", opened_at=AS_OF - HOUR)
    report = complaint_sla([on_time, late_response, still_open], as_of=AS_OF)
    rows = {r.complaint_id: r for r in report.complaints}
    assert rows["K1"].met and not rows["K1"].breached
    assert rows["K2"].response is SlaStatus.BREACHED
    assert rows["K2"].resolution is SlaStatus.OVERDUE  # 60 days open against 48 hours
    assert rows["K2"].confirmation is SlaStatus.NOT_DUE
    assert rows["K3"].response is SlaStatus.PENDING
    assert (report.total, report.met, report.breached, report.open) == (3, 1, 1, 2)
    assert report.mean_time_to_respond == timedelta(hours=3.5)  # (2 + 5) / 2
    assert report.p90_time_to_respond == 5 * HOUR
    assert report.confirmed_share == 1.0 and report.reopen_rate == 0.0
    assert dict(report.backlog) == {
        "under_1_day": 1,
        "1_to_3_days": 0,
        "3_to_7_days": 0,
        "over_7_days": 1,
    }


def test_tier_specific_times_apply():
    quick = ComplaintTimes(HOUR, DAY, DAY)
    policy = ComplaintPolicy(by_tier={lc.Tier.LARGE: {lc.Severity.HIGH: quick}})
    c = complaint().respond(T0 + 2 * HOUR)
    plain = complaint_sla([c], as_of=AS_OF, policy=policy)
    assert plain.complaints[0].response is SlaStatus.MET
    strict = complaint_sla([c], as_of=AS_OF, policy=policy, tiers={"C1": lc.Tier.LARGE})
    assert strict.complaints[0].response is SlaStatus.BREACHED


def test_reopen_rate_counts_complaints_reopened_at_least_once():
    reopened = complaint("K1").respond(T0 + HOUR).resolve(T0 + DAY).reopen(T0 + 2 * DAY)
    report = complaint_sla([reopened, complaint("K2")], as_of=AS_OF)
    assert report.reopen_rate == 0.5


def test_complaints_after_as_of_are_refused():
    with pytest.raises(ValidationError):
        complaint_sla([complaint(opened_at=AS_OF + HOUR)], as_of=AS_OF)


@given(st.lists(complaints(max_opened_at=AS_OF - 30 * DAY), max_size=10))
def test_a_complaint_is_never_both_met_and_breached(items):
    report = complaint_sla(items, as_of=AS_OF)
    for row in report.complaints:
        assert not (row.met and row.breached)
    assert report.met + report.breached <= report.total


# Assess --------------------------------------------------------------------------------------


def test_assess_includes_service_gaps_and_complaints_when_given():
    from logicrm.sample import sample_dataset

    data = sample_dataset()
    activities = lc.summarize(data.shipments, as_of=data.as_of)
    standards = [level("on_time_rate", "standard", 0.95)]
    results = lc.assess_all(
        data.customers,
        activities,
        as_of=data.as_of,
        inputs=lc.AssessmentInputs(
            service_standards=standards,
            complaints=data.complaints,
            survey_responses=data.survey_responses,
        ),
    )
    first = results["C00000"]
    assert first.service == service_kpis(activities["C00000"])
    assert ServiceMeasure.ON_TIME_RATE in first.gaps.measures
    assert first.complaints.total == sum(1 for c in data.complaints if c.customer_id == "C00000")
    bare = lc.assess(
        data.customers[0], Activity.empty("C00000", as_of=data.as_of), as_of=data.as_of
    )
    assert bare.gaps is None and bare.complaints is None and bare.service.shipments == 0


def worst_gap_shipments():
    """Ten shipments: one of ten late (on time 90%), 2 of 100 units damaged (damage 2%),
    order cycle 9 x 24 h + 72 h over 10 = 28.8 h on average."""
    return [delivered(i, late=i == 0, damaged=2 if i == 1 else 0) for i in range(10)]


def test_the_worst_gap_is_the_largest_shortfall_in_points():
    """Worked example: on time 90% against a 97% requirement falls 7 points short; damage 2%
    against a 1% requirement (lower is better) is 1 point over. On time is the worst gap, in
    points, though damage is 100% of its requirement and on time only 7.2% of its own (the
    old relative rule named damage)."""
    kpis = lc.service_kpis(worst_gap_shipments())
    assert (kpis.on_time_rate, kpis.damage_rate) == (0.9, 0.02)
    standards = [
        lc.ServiceStandard(measure="on_time_rate", kind="requirement", target=0.97),
        lc.ServiceStandard(measure="damage_rate", kind="requirement", target=0.01),
    ]
    report = lc.five_gaps(kpis, standards)
    assert report.worst == lc.WorstGap(
        gap=lc.Gap.SERVICE,
        where="on_time_rate",
        size=pytest.approx(-0.07),
        relative=pytest.approx(-0.07 / 0.97),
        points=pytest.approx(-7.0),
        against="requirement",
    )
    assert [r.code for r in report.reasons[:2]] == [
        "gap.service.on_time_rate",
        "gap.service.damage_rate",
    ]
    assert report.reasons[0].contribution == pytest.approx(-7.0)
    assert report.reasons[0].message == (
        "service gap on on_time_rate: 90.00% against requirement 97.00%, 7.00 pt short"
    )
    assert report.reasons[1].message == (
        "service gap on damage_rate: 2.00% against requirement 1.00%, 1.00 pt over"
    )


def test_a_measure_that_meets_its_levels_is_never_the_worst_gap():
    """The sample's damage rate: customers require at most 0.2%, management believes 0.3% is
    enough (a knowledge gap of -0.1 pt, 50% of the requirement), the standard is 0.3%; 2 of
    1,000 units damaged = 0.2% delivered meets both. On time 90% against 91% required is
    1 pt short: it is the worst gap, the damage rate's knowledge gap is not."""
    kpis = lc.service_kpis(
        [delivered(i, late=i == 0, units=100, got=100, damaged=2 * (i == 1)) for i in range(10)]
    )
    assert (kpis.on_time_rate, kpis.damage_rate) == (0.9, 0.002)
    report = lc.five_gaps(
        kpis,
        [
            level("damage_rate", "requirement", 0.002),
            level("damage_rate", "belief", 0.003),
            level("damage_rate", "standard", 0.003),
            level("on_time_rate", "requirement", 0.91),
        ],
    )
    assert report.measures[ServiceMeasure.DAMAGE_RATE].gaps[Gap.KNOWLEDGE] == pytest.approx(-0.001)
    assert (report.worst.gap, report.worst.where) == (Gap.SERVICE, "on_time_rate")
    assert report.worst.points == pytest.approx(-1.0)
    assert [r.code for r in report.reasons] == ["gap.service.on_time_rate"]


def test_nothing_short_means_no_worst_gap_and_says_so():
    # Delivered 90% on time against a 90% requirement and standard; management's belief
    # (85%) is 5 points below the requirement, a knowledge gap, but nothing delivered is short.
    kpis = lc.service_kpis(worst_gap_shipments())
    report = lc.five_gaps(
        kpis,
        [
            level("on_time_rate", "requirement", 0.90),
            level("on_time_rate", "belief", 0.85),
            level("on_time_rate", "standard", 0.90),
        ],
    )
    assert report.measures[ServiceMeasure.ON_TIME_RATE].gaps[Gap.KNOWLEDGE] == pytest.approx(-0.05)
    assert report.worst is None
    assert report.reasons[0] == lc.Reason("gap.worst.none", "no measure short of its standard")
    assert lc.five_gaps(kpis, []).worst is None


def test_the_worst_gap_falls_short_of_the_promise_when_that_is_the_largest_shortfall():
    # On time 90%: 7 pt short of the 97% requirement, 8 pt short of the 98% promise, 5 pt short
    # of the 95% standard. With a promise equal to the requirement, the tie goes to the
    # customer's own gap, service.
    kpis = lc.service_kpis(worst_gap_shipments())
    levels = [level("on_time_rate", "requirement", 0.97), level("on_time_rate", "standard", 0.95)]
    report = lc.five_gaps(kpis, [*levels, level("on_time_rate", "promise", 0.98)])
    assert (report.worst.gap, report.worst.against) == (Gap.COMMUNICATION, "promise")
    assert report.worst.points == pytest.approx(-8.0)
    tie = lc.five_gaps(kpis, [*levels, level("on_time_rate", "promise", 0.97)])
    assert (tie.worst.gap, tie.worst.against) == (Gap.SERVICE, "requirement")


def test_an_order_cycle_shortfall_counts_in_percent_of_its_level():
    # Average order cycle 28.8 h against a 24 h standard: 4.8 h over, 20% of the standard,
    # 20 points: worse than on time's 7 points against its 97% requirement.
    kpis = lc.service_kpis(worst_gap_shipments())
    assert kpis.value(ServiceMeasure.AVG_ORDER_CYCLE_HOURS) == pytest.approx(28.8)
    report = lc.five_gaps(
        kpis,
        [
            level("avg_order_cycle_hours", "standard", 24),
            level("on_time_rate", "requirement", 0.97),
        ],
    )
    assert (report.worst.gap, report.worst.where) == (Gap.DELIVERY, "avg_order_cycle_hours")
    assert report.worst.size == pytest.approx(-4.8)
    assert report.worst.points == pytest.approx(-20.0)
    assert report.reasons[0].message == (
        "delivery gap on avg_order_cycle_hours: 28.8 h against standard 24 h, 4.8 h over "
        "(20% of it)"
    )


def test_a_dimension_is_the_worst_gap_only_when_no_measure_is_short():
    # Reliability, one respondent: R1 expected 7, perceived 5 (-2); R2 6 and 6 (0); the
    # dimension gap is mean(-2, 0) = -1 Likert point. On time 90% is 7 pt short of a 97%
    # requirement: the measure is the worst gap. With on time required at 90% nothing measured
    # is short, and reliability, 1 Likert point short, is the worst gap.
    survey = servqual([response("A", [("R1", "reliability", 7, 5), ("R2", "reliability", 6, 6)])])
    assert survey.dimension_gaps[Dimension.RELIABILITY] == -1.0
    kpis = lc.service_kpis(worst_gap_shipments())
    short = lc.five_gaps(kpis, [level("on_time_rate", "requirement", 0.97)], servqual=survey)
    assert short.worst.where == "on_time_rate"
    assert [r.code for r in short.reasons] == [
        "gap.service.on_time_rate",
        "gap.service.reliability",
    ]
    met = lc.five_gaps(kpis, [level("on_time_rate", "requirement", 0.90)], servqual=survey)
    assert met.worst == lc.WorstGap(
        gap=Gap.SERVICE,
        where="reliability",
        size=-1.0,
        relative=pytest.approx(-1 / 7),
        points=-1.0,
        against="expectation",
    )
