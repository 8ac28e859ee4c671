"""Worked examples (figures computed by hand in the comments) and laws of the calculators."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import logicrm as lc
from helpers import DAY
from logicrm import (
    AbcClass,
    Activity,
    ChurnPolicy,
    Customer,
    LifecycleStage,
    Money,
    Tier,
    TieringPolicy,
    ValueDimension,
    ValueModel,
    abc_classes,
    btyd_summary,
    churn_risk,
    lifecycle,
    rfm,
    tier,
    value_score,
)
from logicrm.errors import CurrencyMismatchError, ValidationError

AS_OF = datetime(2026, 6, 30, 18, 0, tzinfo=UTC)


def order(customer_id, ordered_at, revenue, cost="0", *, delivered=None, promised=None, **kw):
    return lc.Shipment(
        id=f"{customer_id}-{ordered_at.isoformat()}-{revenue}",
        customer_id=customer_id,
        ordered_at=ordered_at,
        promised_at=promised or ordered_at + 2 * DAY,
        delivered_at=delivered,
        revenue=Money(revenue, "CNY"),
        cost=Money(cost, "CNY"),
        units_ordered=kw.pop("units_ordered", 1),
        units_delivered=kw.pop("units_delivered", 1 if delivered else 0),
        **kw,
    )


def activity_of(customer_id, orders, as_of=AS_OF):
    return lc.summarize(orders, as_of=as_of).get(customer_id) or Activity.empty(
        customer_id, as_of=as_of
    )


# BTYD ---------------------------------------------------------------------------------


def test_btyd_worked_example():
    # Orders on 1 Jan (100 + 50, one day), 8 Jan (200) and 22 Jan (300); as_of 5 Feb.
    # frequency = 3 distinct days - 1 = 2; recency = 21 days = 3 weeks; T = 35 days = 5 weeks;
    # monetary = (650 - 150 on the first day) / 2 = 250.
    as_of = datetime(2026, 2, 5, 12, tzinfo=UTC)
    t = datetime(2026, 1, 1, 9, tzinfo=UTC)
    orders = [
        order("C1", t, "100"),
        order("C1", t + timedelta(hours=5), "50"),
        order("C1", t + 7 * DAY, "200"),
        order("C1", t + 21 * DAY, "300"),
    ]
    row = btyd_summary(activity_of("C1", orders, as_of), as_of=as_of)
    assert (row.frequency, row.recency, row.T) == (2, 3.0, 5.0)
    assert row.monetary_value == Decimal("250")
    daily = btyd_summary(activity_of("C1", orders, as_of), as_of=as_of, unit=DAY)
    assert (daily.recency, daily.T) == (21.0, 35.0)


def test_btyd_one_time_buyer_has_zero_frequency_and_monetary():
    t = AS_OF - 10 * DAY
    row = btyd_summary(activity_of("C1", [order("C1", t, "80")]), as_of=AS_OF)
    assert (row.frequency, row.recency, row.monetary_value) == (0, 0.0, Decimal(0))


def test_btyd_rejects_empty_activity_and_bad_unit():
    with pytest.raises(ValidationError):
        btyd_summary(Activity.empty("C1", as_of=AS_OF), as_of=AS_OF)
    activity = activity_of("C1", [order("C1", AS_OF - DAY, "1")])
    with pytest.raises(ValidationError):
        btyd_summary(activity, as_of=AS_OF, unit=timedelta(hours=5))


# ABC ----------------------------------------------------------------------------------


def test_abc_worked_example():
    # Total 1000. C1: 0 above -> A. C2: 700 above < 800 -> A. C3: 900 above >= 800 but < 950
    # -> B. C4: 960 above >= 950 -> C. C5 has nothing -> C.
    classes = abc_classes({"C1": 700, "C2": 200, "C3": 60, "C4": 40, "C5": 0})
    assert classes == {
        "C1": AbcClass.A,
        "C2": AbcClass.A,
        "C3": AbcClass.B,
        "C4": AbcClass.C,
        "C5": AbcClass.C,
    }


def test_abc_ties_are_ranked_by_id():
    # Both hold 50 of 100: whoever ranks first has 0 above (A); the second has 50 above, < 80
    # so also A; with a=0.5 the second one (by id) is B.
    assert abc_classes({"Y": 50, "X": 50}, a=0.5, b=0.9) == {"X": AbcClass.A, "Y": AbcClass.B}


def test_abc_non_positive_values_are_c_and_excluded_from_the_total():
    assert abc_classes({"A": -5, "B": 10}) == {"A": AbcClass.C, "B": AbcClass.A}
    assert set(abc_classes({"A": 0, "B": -1}).values()) == {AbcClass.C}


def test_abc_takes_money_in_one_currency_only():
    assert abc_classes({"A": Money(5, "CNY")})["A"] is AbcClass.A
    with pytest.raises(CurrencyMismatchError):
        abc_classes({"A": Money(5, "CNY"), "B": Money(5, "USD")})


@pytest.mark.parametrize(("a", "b"), [(0, 0.9), (0.9, 0.8), (0.8, 1.2)])
def test_abc_cutoffs_are_validated(a, b):
    with pytest.raises(ValidationError):
        abc_classes({"A": 1}, a=a, b=b)


values = st.dictionaries(
    st.text("ABCDEFGH", min_size=1, max_size=3), st.integers(-100, 10_000), max_size=20
)


@given(values)
def test_abc_classes_are_monotone_in_rank(vals):
    classes = abc_classes(vals)
    ranked = sorted(vals, key=lambda k: (-vals[k], k))
    order_of = {AbcClass.A: 0, AbcClass.B: 1, AbcClass.C: 2}
    grades = [order_of[classes[k]] for k in ranked]
    assert grades == sorted(grades)


@given(values)
def test_abc_a_customers_hold_at_least_a_of_the_total_unless_all_are_a(vals):
    classes = abc_classes(vals)
    total = sum(v for v in vals.values() if v > 0)
    held = sum(vals[k] for k, c in classes.items() if c is AbcClass.A)
    if total:
        assert held >= Decimal("0.8") * total
        assert classes[max(vals, key=lambda k: (vals[k], [-ord(c) for c in k]))] is AbcClass.A


# RFM ----------------------------------------------------------------------------------


def test_rfm_worked_example():
    # Four customers, bins=4. Recency days: C1 1, C2 10, C3 100, C4 never.
    # R: C4 worst (0 worse) -> 1; C3 1 worse -> 1 + 4*1//4 = 2; C2 -> 3; C1 -> 4.
    # Orders: C1 3, C2 1, C3 1, C4 0 -> F: C4 1, C2/C3 tie with 1 worse -> 2, C1 3 worse -> 4.
    orders = [
        order("C1", AS_OF - DAY, "10"),
        order("C1", AS_OF - 2 * DAY, "10"),
        order("C1", AS_OF - 3 * DAY, "10"),
        order("C2", AS_OF - 10 * DAY, "500"),
        order("C3", AS_OF - 100 * DAY, "20"),
    ]
    activities = lc.summarize(orders, as_of=AS_OF)
    activities["C4"] = Activity.empty("C4", as_of=AS_OF)
    scores = rfm(activities, as_of=AS_OF, bins=4)
    assert [scores[c].r for c in ("C1", "C2", "C3", "C4")] == [4, 3, 2, 1]
    assert [scores[c].f for c in ("C1", "C2", "C3", "C4")] == [4, 2, 2, 1]
    # Revenue: C1 30, C2 500, C3 20, C4 0 -> M: C4 1, C3 2, C1 3, C2 4.
    assert [scores[c].m for c in ("C1", "C2", "C3", "C4")] == [3, 4, 2, 1]
    assert scores["C1"].recency_days == 1 and scores["C4"].recency_days is None
    assert scores["C2"].code == "324"


@given(st.lists(st.integers(0, 50), min_size=1, max_size=15), st.integers(1, 10))
def test_rfm_scores_stay_in_range_and_more_orders_never_score_lower(counts, bins):
    orders = [
        order(f"C{i}", AS_OF - (j + 1) * DAY, "1") for i, n in enumerate(counts) for j in range(n)
    ]
    activities = lc.summarize(orders, as_of=AS_OF)
    for i in range(len(counts)):
        activities.setdefault(f"C{i}", Activity.empty(f"C{i}", as_of=AS_OF))
    scores = rfm(activities, as_of=AS_OF, bins=bins)
    for i, n in enumerate(counts):
        assert 1 <= scores[f"C{i}"].f <= bins
        for j, m in enumerate(counts):
            if n > m:
                assert scores[f"C{i}"].f >= scores[f"C{j}"].f


# Tiers --------------------------------------------------------------------------------

ENTERPRISE = Customer(id="E1", name="Acme", kind="enterprise")
PERSON = Customer(id="P1", name="Wang", kind="individual")


@pytest.mark.parametrize(
    ("spend", "expected"),
    [
        ("500000.00", Tier.LARGE),
        ("499999.99", Tier.MEDIUM),
        ("100000.00", Tier.MEDIUM),
        ("99999.99", Tier.SMALL),
        ("0", Tier.SMALL),
    ],
)
def test_enterprise_tier_boundaries(spend, expected):
    activity = activity_of("E1", [order("E1", AS_OF - 100 * DAY, spend)])
    result = tier(ENTERPRISE, activity, as_of=AS_OF)
    assert result.tier is expected
    assert result.reasons[0].code == "tier.enterprise.annual_spend"


def test_enterprise_spend_counts_only_the_trailing_365_days():
    orders = [order("E1", AS_OF - 400 * DAY, "450000"), order("E1", AS_OF - 10 * DAY, "60000")]
    assert tier(ENTERPRISE, activity_of("E1", orders), as_of=AS_OF).tier is Tier.SMALL


def test_enterprise_without_orders_is_small():
    assert tier(ENTERPRISE, Activity.empty("E1", as_of=AS_OF), as_of=AS_OF).tier is Tier.SMALL


def test_three_orders_in_the_trailing_30_days_make_an_individual_frequent():
    three = [order("P1", AS_OF - d * DAY, "50") for d in (1, 10, 29)]
    assert tier(PERSON, activity_of("P1", three), as_of=AS_OF).tier is Tier.FREQUENT
    two = [*three[:2], order("P1", AS_OF - 30 * DAY, "50")]  # exactly 30 days back: outside
    assert tier(PERSON, activity_of("P1", two), as_of=AS_OF).tier is Tier.OCCASIONAL


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"administrative_level": "national"}, Tier.INSTITUTION_A),
        ({"administrative_level": "provincial", "size": "large"}, Tier.INSTITUTION_B),
        ({"administrative_level": "municipal"}, Tier.INSTITUTION_C),
        ({"size": "large"}, Tier.INSTITUTION_A),
        ({"size": "medium"}, Tier.INSTITUTION_B),
        ({}, Tier.UNCLASSIFIED),
    ],
)
def test_institution_tiers(fields, expected):
    customer = Customer(id="G1", name="Bureau", kind="institution", **fields)
    assert tier(customer, Activity.empty("G1", as_of=AS_OF), as_of=AS_OF).tier is expected


def test_tier_policy_is_data_and_validated():
    policy = TieringPolicy(frequent_orders=2)
    two = [order("P1", AS_OF - d * DAY, "50") for d in (1, 2)]
    assert tier(PERSON, activity_of("P1", two), as_of=AS_OF, policy=policy).tier is Tier.FREQUENT
    with pytest.raises(ValidationError):
        TieringPolicy(medium_annual_spend=Money(600_000, "CNY"))


def test_tier_refuses_an_activity_taken_at_another_time_or_for_another_customer():
    with pytest.raises(ValidationError):
        tier(ENTERPRISE, Activity.empty("E1", as_of=AS_OF - DAY), as_of=AS_OF)
    with pytest.raises(ValidationError):
        tier(ENTERPRISE, Activity.empty("E2", as_of=AS_OF), as_of=AS_OF)


# Value --------------------------------------------------------------------------------


def test_value_worked_example():
    # First order 730 days less an hour ago (inside the 730-day window): 729 whole days.
    # strategic: tenure 729/1095 = 0.6658, continuity 26/52 = 0.5 -> 100 * 1.1658 / 2 = 58.29
    # profit: revenue 26 * 2000 = 52000, cost 26 * 1000 = 26000 in the last year;
    #         margin 26000 / 100000 -> 26.0
    # growth: previous year 2 orders * 13000 = 26000 vs 52000 -> +100% -> 50 + 50 * 1 = 100
    # perceived: 13 of 26 recent deliveries perfect (the rest late) -> 50
    # score = 0.3 * 58.29 + 0.3 * 26 + 0.2 * 100 + 0.2 * 50 = 55.29
    first = AS_OF - 730 * DAY + timedelta(hours=1)
    orders = [order("E1", first, "13000", "0"), order("E1", first + DAY, "13000", "0")]
    for k in range(26):
        t = AS_OF - (14 * k + 1) * DAY
        late = k % 2 == 1
        orders.append(
            order("E1", t, "2000", "1000", promised=t + DAY, delivered=t + (2 if late else 1) * DAY)
        )
    activity = activity_of("E1", orders)
    result = value_score(ENTERPRISE, activity, as_of=AS_OF)
    dims = result.dimensions
    assert dims[ValueDimension.STRATEGIC] == pytest.approx(100 * (729 / 1095 + 0.5) / 2)
    assert dims[ValueDimension.PROFIT] == pytest.approx(26.0)
    assert dims[ValueDimension.GROWTH] == pytest.approx(100.0)
    assert dims[ValueDimension.PERCEIVED] == pytest.approx(50.0)
    assert result.score == pytest.approx(0.3 * 58.2877 + 0.3 * 26 + 0.2 * 100 + 0.2 * 50, abs=1e-3)
    assert sum(r.contribution for r in result.reasons if r.contribution) == pytest.approx(
        result.score
    )


def test_value_leaves_out_dimensions_without_input_and_renormalises():
    # One undelivered order 10 days ago: no previous year (growth out), nothing delivered
    # (perceived out). Strategic: tenure 10/1095, continuity 1/52. Profit: margin 500/100000.
    activity = activity_of("E1", [order("E1", AS_OF - 10 * DAY, "1000", "500")])
    result = value_score(ENTERPRISE, activity, as_of=AS_OF)
    assert set(result.dimensions) == {ValueDimension.STRATEGIC, ValueDimension.PROFIT}
    strategic = 100 * (10 / 1095 + 1 / 52) / 2
    assert result.score == pytest.approx((0.3 * strategic + 0.3 * 0.5) / 0.6)
    codes = {r.code for r in result.reasons}
    assert {"value.growth.missing", "value.perceived.missing", "value.renormalised"} <= codes


def test_value_of_a_customer_without_orders_is_none():
    result = value_score(ENTERPRISE, Activity.empty("E1", as_of=AS_OF), as_of=AS_OF)
    assert result.score is None and not result.dimensions


def test_value_weights_are_policy_and_validated():
    activity = activity_of("E1", [order("E1", AS_OF - 10 * DAY, "1000", "500")])
    only_profit = ValueModel(weights={"profit": 1})
    assert value_score(ENTERPRISE, activity, as_of=AS_OF, model=only_profit).score == (
        pytest.approx(0.5)
    )
    with pytest.raises(ValidationError):
        ValueModel(weights={"profit": -1})
    with pytest.raises(ValidationError):
        ValueModel(weights={"loyalty": 1})


# Lifecycle and churn ------------------------------------------------------------------


def test_lifecycle_stages_and_the_180_day_boundary():
    assert (
        lifecycle(Activity.empty("C1", as_of=AS_OF), as_of=AS_OF).stage is LifecycleStage.PROSPECT
    )
    on_edge = activity_of("C1", [order("C1", AS_OF - 180 * DAY, "1")])
    assert lifecycle(on_edge, as_of=AS_OF).stage is LifecycleStage.CURRENT
    past = activity_of("C1", [order("C1", AS_OF - 180 * DAY - timedelta(seconds=1), "1")])
    assert lifecycle(past, as_of=AS_OF).stage is LifecycleStage.LAPSED


def test_churn_worked_example():
    # 24 orders spread over the 360 days before the recent 90-day window: 2 per 30 days;
    # 1 order in the recent window: 1/90*30 = 0.33 per 30 days < 0.5 * 2 -> at risk.
    start = AS_OF - 450 * DAY
    orders = [order("C1", start + 15 * k * DAY, "10") for k in range(24)]
    orders.append(order("C1", AS_OF - 10 * DAY, "10"))
    result = churn_risk(activity_of("C1", orders), as_of=AS_OF)
    assert result.at_risk
    assert result.historical_rate == pytest.approx(24 / 360 * 30)
    assert result.recent_rate == pytest.approx(1 / 90 * 30)
    # Four recent orders (1.33 per 30 days >= 1.0) are steady.
    orders += [order("C1", AS_OF - d * DAY, "10") for d in (20, 40, 60)]
    assert not churn_risk(activity_of("C1", orders), as_of=AS_OF).at_risk


def test_churn_needs_enough_history():
    orders = [order("C1", AS_OF - 100 * DAY, "10")]
    result = churn_risk(activity_of("C1", orders), as_of=AS_OF)
    assert not result.at_risk and result.reasons[0].code == "churn.insufficient_history"
    with pytest.raises(ValidationError):
        ChurnPolicy(recent_days=60)


# The facade -----------------------------------------------------------------------------


def test_assess_gathers_everything_with_reasons():
    from logicrm.sample import sample_dataset

    data = sample_dataset()
    activities = lc.summarize(data.shipments, as_of=data.as_of)
    results = lc.assess_all(data.customers, activities, as_of=data.as_of)
    first = results["C00000"]
    assert first.tier.tier is Tier.LARGE and first.abc_class is AbcClass.A and first.key_customer
    assert first.reasons == (
        *first.tier.reasons,
        *(r for r in first.reasons if r.code.startswith("abc.")),
        *first.value.reasons,
        *first.lifecycle.reasons,
        *first.churn.reasons,
        *first.profitability.reasons,
        *first.action.reasons,
    )
    assert first.contact_plan is None and first.share is None  # not asked for: no section
    single = lc.assess(
        data.customers[0], activities["C00000"], as_of=data.as_of, population=activities
    )
    assert single == first


def test_assess_flags_churn_only_for_key_customers():
    start = AS_OF - 450 * DAY
    orders = [order("E1", start + 15 * k * DAY, "30000") for k in range(24)]
    activity = activity_of("E1", orders)
    small = Customer(id="E1", name="Acme", kind="enterprise")
    result = lc.assess(small, activity, as_of=AS_OF, abc_class=AbcClass.A)
    assert result.churn.at_risk and result.churn_flag
    result = lc.assess(small, activity, as_of=AS_OF, abc_class=AbcClass.C)
    assert result.churn.at_risk and not result.churn_flag


def test_assess_without_activity_treats_the_customer_as_a_prospect():
    result = lc.assess(ENTERPRISE, None, as_of=AS_OF)
    assert result.lifecycle.stage is LifecycleStage.PROSPECT and result.abc_class is None


def test_assess_is_deterministic():
    activity = activity_of("E1", [order("E1", AS_OF - 10 * DAY, "1000", "500")])
    assert lc.assess(ENTERPRISE, activity, as_of=AS_OF) == lc.assess(
        ENTERPRISE, activity, as_of=AS_OF
    )
