"""Credit: ratios by hand, scorecards, decisions, exposure and ageing; and their laws."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import logicrm as lc
from logicrm import (
    CreditOutcome,
    CreditPolicy,
    CreditProfile,
    FinancialStatement,
    Invoice,
    Money,
    ageing,
    apply_ageing,
    assess_credit,
    check_exposure,
    ratios,
)
from logicrm.errors import CurrencyMismatchError, ValidationError

AS_OF = datetime(2026, 6, 30, 18, tzinfo=UTC)


def cny(x):
    return Money(x, "CNY")


def statement(year=2025, **changes):
    figures = dict(
        current_assets=cny(400),
        current_liabilities=cny(200),
        cash=cny(50),
        cash_equivalents=cny(30),
        inventory=cny(120),
        total_assets=cny(1000),
        total_liabilities=cny(550),
        sales=cny(1500),
        cash_sales=cny(300),
        returns_and_allowances=cny(100),
        cost_of_goods_sold=cny(900),
        total_costs=cny(1300),
        profit=cny(120),
        accounts_receivable=cny(250),
    )
    figures.update(changes)
    return FinancialStatement(period_end=date(year, 12, 31), **figures)


def test_every_ratio_by_hand_without_previous():
    r = ratios(statement())
    assert r.debt_ratio == Decimal("0.55")  # 550 / 1000
    assert r.current_ratio == Decimal("2")  # 400 / 200
    assert r.quick_ratio == Decimal("1.4")  # (400 - 120) / 200
    assert r.cash_ratio == Decimal("0.2")  # (50 + 30) / 400
    assert r.cash_liquidity_ratio == Decimal("0.4")  # (50 + 30) / 200
    assert r.receivables_turnover == Decimal("4.4")  # (1500 - 300 - 100) / 250
    assert r.inventory_turnover == Decimal("7.5")  # 900 / 120
    assert r.return_on_assets == Decimal("0.12")  # 120 / 1000
    assert r.sales_margin == Decimal("0.08")  # 120 / 1500
    assert r.cost_profit_ratio == Decimal("120") / Decimal("1300")
    assert r.reasons == ()


def test_turnovers_and_return_on_assets_use_averages_with_a_previous_statement():
    before = statement(2024, accounts_receivable=cny(190), inventory=cny(80), total_assets=cny(600))
    r = ratios(statement(), before)
    assert r.receivables_turnover == Decimal("5")  # 1100 / ((190 + 250) / 2 = 220)
    assert r.inventory_turnover == Decimal("9")  # 900 / ((80 + 120) / 2 = 100)
    assert r.return_on_assets == Decimal("0.15")  # 120 / ((600 + 1000) / 2 = 800)
    assert r.current_ratio == Decimal("2")  # balance ratios use the closing


def test_missing_figure_and_zero_denominator_are_none_with_reasons():
    r = ratios(statement(inventory=None, current_liabilities=cny(0)))
    assert r.quick_ratio is None and r.current_ratio is None and r.inventory_turnover is None
    codes = {x.code for x in r.reasons}
    assert {
        "ratio.current_ratio.zero",
        "ratio.quick_ratio.missing",
        "ratio.inventory_turnover.missing",
    } <= codes


_FIGURE_NAMES = (
    "current_assets", "current_liabilities", "cash", "cash_equivalents", "inventory",
    "total_assets", "total_liabilities", "sales", "cash_sales", "returns_and_allowances",
    "cost_of_goods_sold", "total_costs", "profit", "accounts_receivable",
)  # fmt: skip
_figure = st.one_of(st.none(), st.just(cny(0)), st.integers(1, 5000).map(cny))
_figures = st.fixed_dictionaries(
    dict.fromkeys(_FIGURE_NAMES, _figure)
    | {"profit": st.one_of(st.none(), st.integers(-500, 500).map(cny))}
)


def _reference_ratios(s, p):
    """The docstring's formulas and words, written out one ratio at a time."""

    def amounts(statement):
        figures = {n: getattr(statement, n, None) for n in _FIGURE_NAMES}
        return {n: None if x is None else x.amount for n, x in figures.items()}

    a, o = amounts(s), amounts(p)

    def add(*xs):
        return None if any(x is None for x in xs) else sum(xs, Decimal(0))

    def minus(x, *ys):
        return None if x is None or any(y is None for y in ys) else x - sum(ys, Decimal(0))

    def average(name):
        if p is None:
            return a[name]
        both = add(a[name], o[name])
        return None if both is None else both / 2

    both = " (both periods)" if p is not None else ""
    cash = add(a["cash"], a["cash_equivalents"])
    table = [
        ("debt_ratio", a["total_liabilities"], a["total_assets"], "total_liabilities",
         "total_assets"),
        ("current_ratio", a["current_assets"], a["current_liabilities"], "current_assets",
         "current_liabilities"),
        ("quick_ratio", minus(a["current_assets"], a["inventory"]), a["current_liabilities"],
         "current_assets and inventory", "current_liabilities"),
        ("cash_ratio", cash, a["current_assets"], "cash and cash_equivalents", "current_assets"),
        ("cash_liquidity_ratio", cash, a["current_liabilities"], "cash and cash_equivalents",
         "current_liabilities"),
        ("receivables_turnover", minus(a["sales"], a["cash_sales"], a["returns_and_allowances"]),
         average("accounts_receivable"), "sales, cash_sales and returns_and_allowances",
         "accounts_receivable" + both),
        ("inventory_turnover", a["cost_of_goods_sold"], average("inventory"), "cost_of_goods_sold",
         "inventory" + both),
        ("return_on_assets", a["profit"], average("total_assets"), "profit", "total_assets" + both),
        ("sales_margin", a["profit"], a["sales"], "profit", "sales"),
        ("cost_profit_ratio", a["profit"], a["total_costs"], "profit", "total_costs"),
    ]  # fmt: skip
    values, words = {}, []
    for name, top, bottom, top_words, bottom_words in table:
        values[name] = None
        if top is None or bottom is None:
            missing = top_words if top is None else bottom_words
            words.append((f"ratio.{name}.missing", f"{name} undefined: {missing} not reported"))
        elif bottom == 0:
            words.append((f"ratio.{name}.zero", f"{name} undefined: {bottom_words} is zero"))
        else:
            values[name] = top / bottom
    return values, words


@given(_figures, st.one_of(st.none(), _figures))
def test_ratios_follow_their_formulas_and_name_what_is_missing(closing, opening):
    s = FinancialStatement(period_end=date(2025, 12, 31), **closing)
    p = None if opening is None else FinancialStatement(period_end=date(2024, 12, 31), **opening)
    values, words = _reference_ratios(s, p)
    found = ratios(s, p)
    assert {name: getattr(found, name) for name in values} == values
    assert [(r.code, r.message) for r in found.reasons] == words


def test_previous_must_be_earlier_and_in_the_same_currency():
    with pytest.raises(ValidationError):
        ratios(statement(2024), statement(2025))
    with pytest.raises(ValidationError):
        ratios(statement(), FinancialStatement(period_end=date(2024, 12, 31), cash=Money(1, "USD")))


FIVE_C_RATINGS = {"character": 4, "capacity": 4, "capital": 4, "collateral": 4, "conditions": 4}


TWO_YEARS = (statement(2024), statement())


def profile(statements=TWO_YEARS, ratings=FIVE_C_RATINGS, **changes):
    fields = dict(
        customer_id="C1",
        limit=cny(100_000),
        term_days=30,
        receivable=cny(20_000),
        overdue=cny(0),
        statements=statements,
        ratings=ratings,
    )
    fields.update(changes)
    return CreditProfile(**fields)


def test_scorecard_worked_example():
    # Ratios of the 2025 statement (2024 before it): current 2 -> 4/5; quick 1.4 -> 4/5;
    # debt 0.55 -> 4/5 (<= 0.8, 0.7, 0.6); return on assets 0.12 -> 5/5.
    # character 4 -> 75; capacity mean(4, 4, 4) = 4 -> 75; capital mean(4, 4, 5) -> 83.3;
    # collateral 75; conditions 75. Score = (75 + 75 + 83.33 + 75 + 75) / 5 = 76.67.
    decision = assess_credit(profile(), as_of=AS_OF)
    assert decision.criteria["capital"] == pytest.approx(250 / 3)
    assert decision.score == pytest.approx((75 * 4 + 250 / 3) / 5)
    assert decision.outcome is CreditOutcome.APPROVE
    assert decision.term_days == 30 and decision.limit == cny(100_000)  # no activity: kept


def test_limit_is_a_multiple_of_monthly_billing_and_capped():
    # 12 monthly orders of 10,000 in the last year: billing 10,000 a month. Score 76.7 sits
    # in the 60+ band: 2 months -> 20,000.
    orders = [
        lc.Shipment(
            id=f"S{m}",
            customer_id="C1",
            ordered_at=AS_OF - timedelta(days=30 * m + 1),
            promised_at=AS_OF,
            revenue=cny(10_000),
            cost=cny(1),
            units_ordered=1,
        )
        for m in range(12)
    ]
    activity = lc.summarize(orders, as_of=AS_OF)["C1"]
    decision = assess_credit(profile(), as_of=AS_OF, activity=activity)
    assert decision.limit == cny("20000.00")
    capped = assess_credit(
        profile(), as_of=AS_OF, activity=activity, policy=CreditPolicy(max_limit=cny(15_000))
    )
    assert capped.limit == cny("15000.00")


def test_score_bands_decide_review_and_decline():
    weak = dict.fromkeys(FIVE_C_RATINGS, 2)
    poor = dict.fromkeys(FIVE_C_RATINGS, 1)
    no_figures = ()
    review = assess_credit(
        profile(statements=no_figures, ratings={**weak, "capacity": 3, "capital": 4}), as_of=AS_OF
    )
    # (25 + 50 + 75 + 25 + 25) / 5 = 40 -> decline; with a 4 for conditions -> 50 -> review
    assert review.outcome is CreditOutcome.DECLINE and review.score == pytest.approx(40)
    review = assess_credit(
        profile(
            statements=no_figures, ratings={**weak, "capacity": 3, "capital": 4, "conditions": 4}
        ),
        as_of=AS_OF,
    )
    assert review.outcome is CreditOutcome.REVIEW and review.limit == cny(0)
    assert assess_credit(profile(statements=no_figures, ratings=poor), as_of=AS_OF).outcome is (
        CreditOutcome.DECLINE
    )


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"current_liabilities": cny(450)}, "credit.rule.current_ratio"),  # 400 / 450 < 1
        ({"inventory": cny(350), "current_liabilities": cny(150)}, "credit.rule.quick_ratio"),
    ],
)
def test_hard_rules_turn_an_approval_into_a_review(changes, rule):
    strong = dict.fromkeys(FIVE_C_RATINGS, 5)
    decision = assess_credit(
        profile(statements=(statement(**changes),), ratings=strong), as_of=AS_OF
    )
    assert decision.outcome is CreditOutcome.REVIEW
    assert rule in {r.code for r in decision.reasons}


def test_missing_criteria_are_reported_never_scored():
    decision = assess_credit(profile(ratings={"character": 5}), as_of=AS_OF)
    codes = {r.code for r in decision.reasons}
    missing = {c for c in codes if c.endswith(".missing") and not c.startswith("credit.rule")}
    assert missing == {"credit.collateral.missing", "credit.conditions.missing"}
    assert "credit.rule.missing" in codes
    assert "collateral" not in decision.criteria
    assert decision.outcome is CreditOutcome.REVIEW  # two missing > max_missing_criteria 1


def test_stale_statement_needs_review():
    old = (statement(2023),)
    decision = assess_credit(
        profile(statements=old, ratings=dict.fromkeys(FIVE_C_RATINGS, 5)), as_of=AS_OF
    )
    assert "credit.rule.stale_statement" in {r.code for r in decision.reasons}


def test_other_frameworks_use_their_own_criteria():
    six_a = {
        "economic": 3,
        "technical": 3,
        "managerial": 3,
        "organisational": 3,
        "commercial": 3,
        "financial": 3,
    }
    decision = assess_credit(
        profile(ratings=six_a), as_of=AS_OF, policy=CreditPolicy(framework="6a")
    )
    assert set(decision.criteria) == set(six_a)


ratings_st = st.fixed_dictionaries({k: st.integers(1, 5) for k in FIVE_C_RATINGS})


@given(ratings_st, st.sampled_from(sorted(FIVE_C_RATINGS)))
def test_a_better_rating_never_lowers_the_score(ratings, criterion):
    base = assess_credit(profile(ratings=ratings), as_of=AS_OF)
    if ratings[criterion] < 5:
        better = assess_credit(
            profile(ratings={**ratings, criterion: ratings[criterion] + 1}), as_of=AS_OF
        )
        assert better.score >= base.score


ORDER = {CreditOutcome.DECLINE: 0, CreditOutcome.REVIEW: 1, CreditOutcome.APPROVE: 2}


@given(ratings_st, st.sampled_from(["current_assets", "cash", "profit"]), st.integers(1, 2000))
def test_raising_a_higher_is_better_figure_never_turns_approval_into_decline(ratings, name, extra):
    base_statement = statement()
    better_statement = attrs.evolve(
        base_statement, **{name: getattr(base_statement, name) + cny(extra)}
    )
    base = assess_credit(profile(statements=(base_statement,), ratings=ratings), as_of=AS_OF)
    better = assess_credit(profile(statements=(better_statement,), ratings=ratings), as_of=AS_OF)
    assert ORDER[better.outcome] >= ORDER[base.outcome]


@given(ratings_st)
def test_decisions_are_identical_for_identical_inputs(ratings):
    assert assess_credit(profile(ratings=ratings), as_of=AS_OF) == assess_credit(
        profile(ratings=ratings), as_of=AS_OF
    )


# Exposure --------------------------------------------------------------------------------


def test_exposure_worked_examples():
    p = profile(limit=cny(100_000), receivable=cny(70_000), overdue=cny(0))
    ok = check_exposure(p, cny(30_000))  # exactly up to the limit
    assert ok.allowed and ok.headroom == cny(0)
    over = check_exposure(p, cny("30000.01"))
    assert not over.allowed and over.headroom == cny("-0.01")
    held = check_exposure(profile(receivable=cny(10_000), overdue=cny(1_001)), cny(1))
    assert not held.allowed and "exposure.on_hold" in {r.code for r in held.reasons}
    with pytest.raises(CurrencyMismatchError):
        check_exposure(p, Money(1, "USD"))
    with pytest.raises(ValidationError):
        check_exposure(p, cny(-1))


@given(st.integers(0, 200_000), st.integers(0, 200_000), st.integers(0, 300_000))
def test_exposure_never_allows_an_order_past_the_limit(limit, receivable, amount):
    p = profile(limit=cny(limit), receivable=cny(receivable), overdue=cny(0))
    check = check_exposure(p, cny(amount))
    if check.allowed:
        assert p.receivable + cny(amount) <= p.limit


def decided(outcome, limit):
    return lc.CreditDecision(
        outcome=outcome, score=None, limit=cny(limit), term_days=30, reasons=()
    )


def test_exposure_checks_the_decided_limit_not_the_stored_one():
    # Stored limit 200,000; the decision grants 15,000. Receivable 10,000 + order 5,000 =
    # 15,000 fits the decided limit exactly (headroom 0); + 5,000.01 does not, though both
    # fit the stored limit with 185,000 to spare.
    p = profile(limit=cny(200_000), receivable=cny(10_000), overdue=cny(0))
    approved = decided("approve", 15_000)
    fits = check_exposure(p, cny(5_000), decision=approved)
    assert fits.allowed and fits.headroom == cny(0)
    assert fits.reasons[0].message == "15,000 within the limit 15,000; 0 to spare"
    over = check_exposure(p, cny("5000.01"), decision=approved)
    assert not over.allowed and over.headroom == cny("-0.01")
    assert [r.code for r in over.reasons] == ["exposure.over_limit"]
    assert check_exposure(p, cny("5000.01")).allowed  # the stored limit alone would allow it


@pytest.mark.parametrize(
    ("outcome", "code"), [("decline", "exposure.declined"), ("review", "exposure.under_review")]
)
def test_a_decision_that_is_not_an_approval_puts_nothing_on_credit(outcome, code):
    # Even a zero order with no receivable: cash or prepaid terms, whatever the stored limit.
    p = profile(limit=cny(200_000), receivable=cny(0), overdue=cny(0))
    check = check_exposure(p, cny(0), decision=decided(outcome, 0))
    assert not check.allowed
    assert [r.code for r in check.reasons] == [code]
    assert "cash or prepaid" in check.reasons[0].message


def test_the_hold_rule_applies_with_a_decision_too():
    # 1,001 of 10,000 overdue is 10.01%, above the 10% hold share, though the order fits.
    p = profile(limit=cny(200_000), receivable=cny(10_000), overdue=cny(1_001))
    held = check_exposure(p, cny(1), decision=decided("approve", 50_000))
    assert not held.allowed
    assert [r.code for r in held.reasons] == ["exposure.within_limit", "exposure.on_hold"]


def test_exposure_refuses_a_decision_in_another_currency_or_of_another_type():
    p = profile(limit=cny(200_000), receivable=cny(0), overdue=cny(0))
    usd = lc.CreditDecision(
        outcome="approve", score=None, limit=Money(100, "USD"), term_days=30, reasons=()
    )
    with pytest.raises(CurrencyMismatchError):
        check_exposure(p, cny(1), decision=usd)
    with pytest.raises(ValidationError, match="decision"):
        check_exposure(p, cny(1), decision=cny(100_000))


# Ageing ------------------------------------------------------------------------------------


def invoice(number, due, amount, paid=None, issued=None):
    return Invoice(
        id=f"F{number}",
        customer_id="C1",
        issued_on=issued or due - timedelta(days=30),
        due_on=due,
        amount=cny(amount),
        paid_on=paid,
    )


def test_ageing_worked_example():
    today = AS_OF.date()  # 2026-06-30
    invoices = [
        invoice(1, today, 100),  # due today: current
        invoice(2, today - timedelta(days=1), 200),  # 1 day past due
        invoice(3, today - timedelta(days=31), 300),  # 31 days
        invoice(4, today - timedelta(days=90), 400),  # 90 days
        invoice(5, today - timedelta(days=91), 500),  # over 90
        invoice(6, today - timedelta(days=40), 600, paid=today - timedelta(days=2)),  # paid
        invoice(7, today + timedelta(days=40), 700, issued=today + timedelta(days=1)),  # future
    ]
    report = ageing(invoices, as_of=AS_OF)["C1"]
    assert [m.amount for _, m in report.buckets] == [100, 200, 300, 400, 500]
    assert report.receivable == cny(1500) and report.overdue == cny(1400)
    assert report.open_invoices == 5
    derived = apply_ageing(profile(receivable=cny(1), overdue=cny(0)), report)
    assert (derived.receivable, derived.overdue) == (cny(1500), cny(1400))


def test_invoice_rules():
    with pytest.raises(ValidationError):
        Invoice(
            id="F",
            customer_id="C",
            issued_on=date(2026, 5, 2),
            due_on=date(2026, 5, 1),
            amount=cny(1),
        )
    with pytest.raises(ValidationError):
        Invoice(
            id="F",
            customer_id="C",
            issued_on=date(2026, 5, 2),
            due_on=date(2026, 5, 3),
            amount=cny(0),
        )


def test_assess_includes_the_credit_decision_when_a_profile_is_given():
    from logicrm.sample import sample_dataset

    data = sample_dataset()
    activities = lc.summarize(data.shipments, as_of=data.as_of)
    result = lc.assess(
        data.customers[0],
        activities["C00000"],
        as_of=data.as_of,
        inputs=lc.AssessmentInputs(credit_profiles=[data.credit_profiles[0]]),
    )
    assert result.credit is not None and result.credit.outcome is CreditOutcome.APPROVE
    assert result.profitability is not None and result.action is not None
    tail = (*result.credit.reasons, *result.profitability.reasons, *result.action.reasons)
    assert result.reasons[-len(tail) :] == tail  # credit, then what it costs, then what to do
    assert lc.assess(data.customers[0], activities["C00000"], as_of=data.as_of).credit is None


def test_the_activity_must_be_the_customers_and_taken_at_as_of():
    other = lc.Activity.empty("C2", as_of=AS_OF)
    with pytest.raises(ValidationError):
        assess_credit(profile(), as_of=AS_OF, activity=other)
    with pytest.raises(ValidationError):
        assess_credit(profile(), as_of=AS_OF, activity=lc.Activity.empty("C1"))
