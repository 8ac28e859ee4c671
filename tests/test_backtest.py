"""Backtests: the advice at a cut-off against what the horizon showed, on worked examples."""

from datetime import UTC, date, datetime, timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.helpers import cny

import logicrm as lc
from logicrm.errors import ValidationError
from logicrm.policies import ParetoCutoffs, Policies
from logicrm.sample import sample_dataset

CUT = datetime(2026, 1, 1, 12, tzinfo=UTC)
DAY = timedelta(days=1)
HORIZON = timedelta(days=180)
EVIDENCE = lc.BacktestPolicy(min_customers=1, min_events=1)


def orders(customer_id, days, amount):
    """One shipment per day offset from the cut-off, each of ``amount`` CNY."""
    return [
        lc.Shipment(
            id=f"{customer_id}-{n}",
            customer_id=customer_id,
            ordered_at=CUT + day * DAY,
            promised_at=CUT + day * DAY,
            revenue=cny(amount),
            cost=cny(0),
            units_ordered=1,
        )
        for n, day in enumerate(days)
    ]


def enterprise(customer_id):
    return lc.Customer(id=customer_id, name=customer_id, kind="enterprise")


# K1: a key customer who stopped 120 days before the cut-off: flagged, and lapses.
# K2: a key customer ordering every 30 days before and after: not flagged, stays.
# S1: small, stopped like K1: at churn risk (not key, so no churn flag), lapses.
# S2: small, steady until 25 days before the cut-off, then nothing: lapses unflagged.
# S3: one order 10 days before the cut-off: too little history to judge, lapses.
BOOK = [
    *orders("K1", range(-390, -119, 30), "12000"),
    *orders("K2", [*range(-385, 0, 30), *range(5, 180, 30)], "10000"),
    *orders("S1", range(-385, -114, 30), "100"),
    *orders("S2", range(-385, 0, 30), "100"),
    *orders("S3", [-10], "100"),
]
CUSTOMERS = [enterprise(c) for c in ("K1", "K2", "S1", "S2", "S3")]


# Five customers are too few for the notes' 5% of key customers: here every class A customer
# is key.
CLASS_A_KEY = Policies(pareto=ParetoCutoffs(key_max_share=1.0))


@pytest.fixture(scope="module")
def worked():
    return lc.backtest(
        CUSTOMERS, BOOK, cutoff=CUT, horizon=HORIZON, policy=EVIDENCE, policies=CLASS_A_KEY
    )


def test_the_churn_flag_is_judged_among_current_key_customers(worked):
    # K1 and K2 are class A (120,000 and 108,000 CNY of 230,200 over 365 days); K1 is flagged
    # and lapses, K2 neither: one flag, one lapse, one hit among two customers.
    check = worked.churn_flag
    counts = (check.customers, check.flagged, check.lapsed, check.flagged_lapsed)
    assert counts == (2, 1, 1, 1)
    assert (check.precision, check.recall, check.base_rate, check.lift) == (1.0, 1.0, 0.5, 2.0)
    assert (check.false_alarms, check.missed) == (0, 0)


def test_the_churn_rule_is_judged_among_all_current_customers(worked):
    # Flagged: K1, S1. Lapsed: K1, S1, S2, S3. Precision 2/2, recall 2/4, base rate 4/5,
    # lift 1.0 / 0.8.
    check = worked.churn_risk
    counts = (check.customers, check.flagged, check.lapsed, check.flagged_lapsed)
    assert counts == (5, 2, 4, 2)
    assert (check.precision, check.recall, check.base_rate) == (1.0, 0.5, 0.8)
    assert check.lift == pytest.approx(1.25)
    assert (check.false_alarms, check.missed) == (0, 2)
    assert [r.code for r in check.reasons] == [
        "backtest.churn_risk.counts",
        "backtest.churn_risk.precision",
        "backtest.churn_risk.recall",
        "backtest.churn_risk.lift",
    ]


def test_each_outcome_records_the_advice_and_what_happened(worked):
    k1, k2 = worked.outcomes["K1"], worked.outcomes["K2"]
    assert (k1.churn_flag, k1.lapsed, k1.tier_before, k1.tier_after) == (
        True,
        True,
        "medium",
        "small",
    )
    assert (k2.churn_flag, k2.lapsed, k2.class_before, k2.class_after) == (False, False, "A", "A")
    assert k2.horizon_revenue == 60000  # six orders of 10,000 in the 180 days
    assert worked.outcomes["S3"].churn_risk is False  # too little history is not a flag


def test_tiers_count_movers_and_the_horizons_revenue_by_tier(worked):
    # K1 falls from medium (108,000 a year) to small (36,000); all horizon revenue is K2's.
    tiers = worked.tiers
    assert (tiers.customers, tiers.moved, tiers.moves) == (5, 1, (("medium", "small", 1),))
    medium, small = tiers.classes
    assert (medium.name, medium.customers, medium.moved) == ("medium", 2, 1)
    assert (medium.revenue, medium.share) == (cny(60000), 1.0)
    assert (small.name, small.customers, small.revenue, small.share) == ("small", 3, cny(0), 0.0)


def test_pareto_classes_hold_when_the_ranking_holds(worked):
    pareto = worked.pareto
    assert pareto.moved == 0
    assert [(c.name, c.customers, c.share) for c in pareto.classes] == [
        ("A", 2, 1.0),
        ("C", 3, 0.0),
    ]


def test_the_advice_uses_only_the_data_before_the_cut_off(worked):
    alone = lc.assess_all(CUSTOMERS, lc.summarize(BOOK, as_of=CUT), as_of=CUT, policies=CLASS_A_KEY)
    for key, assessment in alone.items():
        assert worked.assessments[key] == assessment


def test_a_short_horizon_says_only_idle_customers_can_lapse():
    result = lc.backtest(CUSTOMERS, BOOK, cutoff=CUT, horizon=90 * DAY, policy=EVIDENCE)
    assert "backtest.short_horizon" in [r.code for r in result.reasons]
    # S1 was idle 115 days at the cut-off: 205 days at the end, so lapsed; S2 and S3 not yet.
    assert {k for k, o in result.outcomes.items() if o.lapsed} == {"K1", "S1"}


def test_too_few_customers_refuses_every_rate_with_a_reason():
    result = lc.backtest(CUSTOMERS, BOOK, cutoff=CUT, horizon=HORIZON)  # default: 20 needed
    check = result.churn_risk
    assert (check.precision, check.recall, check.base_rate, check.lift) == (None,) * 4
    assert check.customers == 5  # the counts are still given
    assert check.reasons[-1].code == "backtest.too_few_customers"


def test_too_few_events_refuses_only_the_rate_they_carry():
    policy = lc.BacktestPolicy(min_customers=5, min_events=3)
    check = lc.backtest(CUSTOMERS, BOOK, cutoff=CUT, horizon=HORIZON, policy=policy).churn_risk
    # two flagged (< 3): no precision, so no lift; four lapsed: recall 2/4.
    assert (check.precision, check.recall, check.lift, check.base_rate) == (None, 0.5, None, 0.8)
    assert "backtest.too_few_events" in [r.code for r in check.reasons]


def test_no_lapse_leaves_the_lift_undefined():
    steady = orders("K2", [*range(-385, 0, 30), *range(5, 180, 30)], "10000")
    result = lc.backtest([enterprise("K2")], steady, cutoff=CUT, horizon=HORIZON, policy=EVIDENCE)
    check = result.churn_risk
    assert (check.lapsed, check.recall, check.lift) == (0, None, None)
    assert check.base_rate == 0.0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"cutoff": datetime(2026, 1, 1)}, "cutoff"),
        ({"horizon": timedelta(0)}, "horizon"),
        ({"horizon": 30}, "horizon"),
        ({"horizon": timedelta(days=3_000_000)}, "horizon"),
        ({"policy": "strict"}, "policy"),
    ],
)
def test_bad_arguments_name_the_field(changes, field):
    arguments = {"cutoff": CUT, "horizon": HORIZON, **changes}
    with pytest.raises(ValidationError) as caught:
        lc.backtest(CUSTOMERS, BOOK, **arguments)
    assert caught.value.field == field


def test_an_unknown_keyword_is_a_type_error():
    with pytest.raises(TypeError, match="valu_calculator"):
        lc.backtest(CUSTOMERS, BOOK, cutoff=CUT, horizon=HORIZON, valu_calculator="x")


def test_backtest_activities_refuses_activities_of_another_moment():
    with pytest.raises(ValidationError) as caught:
        lc.backtest_activities(
            CUSTOMERS,
            lc.summarize(BOOK, as_of=CUT),
            lc.summarize(BOOK, as_of=CUT),
            cutoff=CUT,
            horizon=HORIZON,
        )
    assert caught.value.field == "after['K1'].as_of"


def test_records_after_the_cut_off_are_left_out_and_counted():
    data = sample_dataset()
    cut = data.as_of - HORIZON
    result = lc.backtest(
        data.customers, data.shipments, cutoff=cut, horizon=HORIZON, inputs=data.inputs()
    )
    left_out = {r.code for r in result.reasons if r.code.startswith("backtest.left_out.")}
    assert "backtest.left_out.interactions" in left_out
    complaints = [c for c in data.complaints if c.last_event_at <= cut]
    direct = lc.assess_all(
        data.customers,
        lc.summarize(data.shipments, as_of=cut),
        as_of=cut,
        inputs=lc.AssessmentInputs(complaints=complaints),
    )
    for key, assessment in direct.items():
        assert result.assessments[key].complaints is not None
        assert result.assessments[key].complaints.total == assessment.complaints.total


# Credit: K2 is approved and its invoice of 100 falls 40 days overdue in the horizon, so its
# account goes on hold (overdue 100% of the receivable > 10%); K1's invoice is paid on time.
def _invoice(number, customer_id, issued, paid):
    return lc.Invoice(
        id=number,
        customer_id=customer_id,
        issued_on=issued,
        due_on=issued + 30 * DAY,
        amount=cny(100),
        paid_on=paid,
    )


def test_approved_customers_going_on_hold_are_counted():
    policies = Policies()
    first = date(2026, 1, 10)
    invoices = [
        _invoice("F1", "K1", first, first + 20 * DAY),
        _invoice("F2", "K2", first, first + 70 * DAY),
    ]
    decisions = {
        "K1": lc.CreditOutcome.APPROVE,
        "K2": lc.CreditOutcome.APPROVE,
        "S1": lc.CreditOutcome.DECLINE,
    }

    def credit(profile, *, as_of, activity=None):
        return lc.CreditDecision(decisions[profile.customer_id], None, profile.limit, 30, ())

    profiles = [
        lc.CreditProfile(
            customer_id=k, limit=cny(100000), term_days=30, receivable=cny(0), overdue=cny(0)
        )
        for k in decisions
    ]
    result = lc.backtest(
        CUSTOMERS,
        BOOK,
        cutoff=CUT,
        horizon=HORIZON,
        policies=policies,
        inputs=lc.AssessmentInputs(credit_profiles=profiles),
        invoices=invoices,
        credit_calculator=credit,
        policy=EVIDENCE,
    )
    assert (result.credit.approved, result.credit.on_hold, result.credit.hold_rate) == (2, 1, 0.5)
    assert (result.outcomes["K1"].on_hold, result.outcomes["K2"].on_hold) == (False, True)
    assert result.outcomes["S3"].on_hold is None  # no profile, no credit to check


def test_without_invoices_there_is_no_credit_check(worked):
    assert worked.credit is None


def test_profiles_without_invoices_are_used_as_given_and_said_so():
    profile = lc.CreditProfile(
        customer_id="K1", limit=cny(1000), term_days=30, receivable=cny(0), overdue=cny(0)
    )
    result = lc.backtest(
        CUSTOMERS, BOOK, cutoff=CUT, horizon=HORIZON,
        inputs=lc.AssessmentInputs(credit_profiles=[profile]),
    )  # fmt: skip
    assert "backtest.credit_as_given" in [r.code for r in result.reasons]
    assert (result.credit, result.outcomes["K1"].on_hold) == (None, None)


def test_two_policies_side_by_side_list_every_changed_customer():
    strict = Policies()
    loose = attrs.evolve(strict, churn=attrs.evolve(strict.churn, drop_ratio=0.99))
    first = lc.backtest(
        CUSTOMERS, BOOK, cutoff=CUT, horizon=HORIZON, policies=strict, policy=EVIDENCE
    )
    second = lc.backtest(
        CUSTOMERS, BOOK, cutoff=CUT, horizon=HORIZON, policies=loose, policy=EVIDENCE
    )
    comparison = lc.compare_backtests(first, second)
    # K2's recent rate (1.00 per 30 days) is below 0.99 x its earlier 1.02: flagged when loose.
    # S2 (0.67 recently; 1.02 before) is flagged only by the looser rule too, and it lapsed.
    changed = [
        (d.customer_id, d.field, d.first, d.second, d.lapsed) for d in comparison.differences
    ]
    assert changed == [
        ("K2", "churn_flag", False, True, False),
        ("K2", "churn_risk", False, True, False),
        ("S2", "churn_risk", False, True, True),
    ]
    rows = {row["figure"]: (row["first"], row["second"]) for row in comparison.table()}
    assert rows["churn_risk.flagged"] == (2, 4)
    assert rows["churn_risk.recall"] == (0.5, 0.75)


def test_backtests_of_different_splits_are_not_compared():
    a = lc.backtest(CUSTOMERS, BOOK, cutoff=CUT, horizon=HORIZON)
    b = lc.backtest(CUSTOMERS, BOOK, cutoff=CUT, horizon=90 * DAY)
    with pytest.raises(ValidationError) as caught:
        lc.compare_backtests(a, b)
    assert caught.value.field == "second.horizon"


def test_the_columnar_engines_activities_give_the_same_backtest(worked):
    pl = pytest.importorskip("polars")
    from logicrm import frames
    from logicrm.io import _flatten
    from logicrm.serialization import to_dict

    table = pl.DataFrame([_flatten(to_dict(s)) for s in BOOK])
    before = frames.summarize_frame(table, as_of=CUT).activities
    after = frames.summarize_frame(table, as_of=CUT + HORIZON).activities
    result = lc.backtest_activities(
        CUSTOMERS, before, after, cutoff=CUT, horizon=HORIZON, policy=EVIDENCE,
        policies=CLASS_A_KEY,
    )  # fmt: skip
    assert result.outcomes == worked.outcomes
    assert (result.churn_flag, result.churn_risk) == (worked.churn_flag, worked.churn_risk)
    assert (result.tiers, result.pareto) == (worked.tiers, worked.pareto)


# --- laws, on generated books -------------------------------------------------------------

order_days = st.lists(st.integers(min_value=-500, max_value=170), max_size=25)


@settings(max_examples=30, deadline=None)
@given(st.dictionaries(st.sampled_from(["A", "B", "C", "D", "E", "F"]), order_days, min_size=1),
       st.integers(min_value=30, max_value=365))  # fmt: skip
def test_the_figures_add_up_on_any_book(book, horizon_days):
    shipments = [s for key, days in book.items() for s in orders(key, sorted(days), "250")]
    customers = [enterprise(key) for key in book]
    horizon = horizon_days * DAY
    result = lc.backtest(customers, shipments, cutoff=CUT, horizon=horizon, policy=EVIDENCE)
    outcomes = result.outcomes.values()
    for check, scope in ((result.churn_flag, "key"), (result.churn_risk, "all")):
        judged = [o for o in outcomes if o.current and (scope == "all" or o.key_customer)]
        assert check.customers == len(judged)
        assert check.flagged_lapsed <= min(check.flagged, check.lapsed)
        assert check.false_alarms + check.flagged_lapsed == check.flagged
        if check.precision is not None:
            assert check.precision * check.flagged == pytest.approx(check.flagged_lapsed)
        if check.recall is not None:
            assert check.recall * check.lapsed == pytest.approx(check.flagged_lapsed)
    assert not any(o.lapsed and not o.current for o in outcomes)
    for classes in (result.tiers, result.pareto):
        assert sum(c.customers for c in classes.classes) == len(customers)
        assert (
            sum(c.moved for c in classes.classes)
            == classes.moved
            == sum(n for _, _, n in classes.moves)
        )
        shares = [c.share for c in classes.classes]
        if all(s is not None for s in shares):
            assert sum(shares) == pytest.approx(1.0)
    horizon_orders = sum(1 for s in shipments if CUT < s.ordered_at <= CUT + horizon)
    assert sum(o.horizon_revenue for o in outcomes) == 250 * horizon_orders


def test_a_backtest_round_trips_through_json(worked):
    from logicrm.serialization import from_json, to_json

    assert from_json(lc.Backtest, to_json(worked)) == worked
    assert from_json(lc.FlagCheck, to_json(worked.churn_risk)) == worked.churn_risk
