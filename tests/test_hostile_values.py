"""Hostile values at the boundary: amounts, containers, integers, personal data and the
caller's decimal context. Each test is a case that once crashed, hung or leaked."""

import decimal
import time
from decimal import Decimal

import pytest

import logicrm as lc
from logicrm.errors import MAX_PROBLEMS_KEPT, LogicrmError, ValidationError
from logicrm.io import ColumnMapping
from logicrm.policies import loads_policies
from logicrm.sample import sample_dataset
from logicrm.serialization import MAX_ITEMS, from_dict, from_json, load_many, to_dict

CNY = "CNY"
PHONE = "+86 138 5555 0199"


def profile_dict(**changes):
    base = {
        "customer_id": "C1",
        "limit": {"amount": "50000", "currency": CNY},
        "term_days": 30,
        "receivable": {"amount": "0", "currency": CNY},
        "overdue": {"amount": "0", "currency": CNY},
    }
    return {**base, **changes}


def survey_dict(**changes):
    base = {"respondent_id": "R1", "taken_at": "2026-06-01T00:00:00+00:00", "answers": []}
    return {**base, **changes}


def shipment_dict(**changes):
    return {**to_dict(sample_dataset().shipments[0]), **changes}


def quickly(function, *args, limit=1.0, **kwargs):
    """Run ``function`` and return what it raised (or None), failing if it took too long."""
    start = time.perf_counter()
    try:
        function(*args, **kwargs)
        raised = None
    except Exception as error:
        raised = error
    assert time.perf_counter() - start < limit
    return raised


# -- amounts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount",
    ["1e-999999999", "1e999999999", "9" * 1_000_000, "9e999999", "1e18", "0.1e-40", 10**5000],
    ids=["tiny", "huge", "million digits", "9e999999", "1e18", "0.1e-40", "5000-digit int"],
)
def test_amounts_outside_the_documented_range_are_refused_quickly(amount):
    error = quickly(lc.Money, amount, CNY)
    assert isinstance(error, ValidationError)
    assert error.field == "amount" and len(str(error)) < 300


@pytest.mark.parametrize("amount", ["999999999999999999.99", "-0.000000000000000001", "1E+17"])
def test_amounts_inside_the_range_are_kept_exactly(amount):
    assert lc.Money(amount, CNY).amount == Decimal(amount)


def test_money_arithmetic_cannot_leave_the_range():
    big = lc.Money("900000000000000000", CNY)
    with pytest.raises(ValidationError, match="out of range"):
        big + big
    with pytest.raises(ValidationError, match="out of range"):
        big * 10
    with pytest.raises(ValidationError):
        lc.Money("9e999999", CNY) + lc.Money("9e999999", CNY)
    assert (lc.Money("1", CNY) / 3).amount == Decimal("0." + "3" * 34)  # 34 digits are fine


def test_a_huge_amount_in_a_record_is_one_rejection_naming_the_field():
    result = load_many(
        lc.Shipment,
        [
            shipment_dict(revenue={"amount": "1e-999999999", "currency": CNY}),
            shipment_dict(id="S2"),
            shipment_dict(id="S3", cost={"amount": "1e999999999", "currency": CNY}),
        ],
    )
    assert [s.id for s in result.ok] == ["S2"]
    assert [r.problems[0].path for r in result.rejected] == ["revenue.amount", "cost.amount"]


def test_a_credit_statement_figure_out_of_range_is_refused_quickly():
    statement = {"period_end": "2025-12-31", "current_assets": {"amount": "1e-999999999",
                                                                "currency": CNY}}  # fmt: skip
    error = quickly(from_dict, lc.CreditProfile, profile_dict(statements=[statement]))
    assert isinstance(error, ValidationError)
    assert error.field == "statements[0].current_assets.amount"


# -- containers ---------------------------------------------------------------------------


def test_a_string_where_a_list_belongs_is_one_problem_not_a_million():
    error = quickly(from_dict, lc.CreditProfile, profile_dict(statements="x" * 1_000_000))
    assert isinstance(error, ValidationError)
    assert [p.path for p in error.problems] == ["statements"]
    assert "must be a list, not a string" in str(error) and len(str(error)) < 300


@pytest.mark.parametrize("answers", ["x" * 100_000, 5, {"item": "T1"}, None])
def test_survey_answers_must_be_a_list(answers):
    error = quickly(from_dict, lc.SurveyResponse, survey_dict(answers=answers))
    assert isinstance(error, ValidationError)
    assert error.problems[0].path == "answers" and "must be a list" in str(error)
    assert "AttributeError" not in str(error) and "TypeError" not in str(error)


def test_a_mapping_field_refuses_a_list_of_pairs():
    error = quickly(from_dict, lc.CreditProfile, profile_dict(ratings=[["character", 3]]))
    assert isinstance(error, ValidationError)
    assert error.field == "ratings" and "must be an object" in str(error)


def test_a_list_field_takes_at_most_max_items():
    answer = {"item": "T1", "dimension": "tangibles", "expectation": 6, "perception": 5}
    error = quickly(from_dict, lc.SurveyResponse, survey_dict(answers=[answer] * (MAX_ITEMS + 1)))
    assert isinstance(error, ValidationError) and f"at most {MAX_ITEMS:,} items" in str(error)


def test_many_bad_items_give_a_bounded_message_and_a_bounded_list_of_problems():
    error = quickly(from_dict, lc.SurveyResponse, survey_dict(answers=[7] * 5000), limit=5.0)
    assert isinstance(error, ValidationError)
    assert len(error.problems) == MAX_PROBLEMS_KEPT
    assert "and 4,990 more problems" in str(error) and len(str(error)) < 3000


def test_column_mapping_spellings_refuse_a_bare_string():
    with pytest.raises(ValidationError, match="true_values"):
        ColumnMapping(true_values="yes")
    with pytest.raises(ValidationError, match="true_values"):
        from_dict(ColumnMapping, {"true_values": "yes"})
    assert ColumnMapping(true_values=["Yes", "Y"]).true_values == frozenset({"yes", "y"})


def test_policy_thresholds_refuse_a_string_of_digits():
    text = '[credit.bands.current_ratio]\nthresholds = "1234"\n'
    with pytest.raises(ValidationError) as caught:
        loads_policies(text, format="toml")
    assert caught.value.field == "credit.bands[current_ratio].thresholds"


# -- integers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "data", "path"),
    [
        (lc.Customer, {"id": "C1", "name": "Acme", "kind": "enterprise", "region": 10**5000},
         "region"),
        (lc.Shipment, shipment_dict(units_ordered=10**5000), "units_ordered"),
        (lc.CreditProfile, profile_dict(term_days=10**5000), "term_days"),
        (lc.Shipment, shipment_dict(units_ordered=10**13), "units_ordered"),
    ],
    ids=["region", "units", "term days", "units over 10**12"],
)  # fmt: skip
def test_huge_integers_are_refused_with_their_field_path(cls, data, path):
    error = quickly(from_dict, cls, data)
    assert isinstance(error, ValidationError)
    assert error.field == path and len(str(error)) < 300


def test_a_huge_integer_never_loses_the_rest_of_the_batch():
    good = {"id": "C2", "name": "Beta", "kind": "enterprise"}
    result = load_many(lc.Customer, [{**good, "id": "C1", "region": 10**5000}, good])
    assert [c.id for c in result.ok] == ["C2"] and result.total == 2
    assert result.rejected[0].problems[0].path == "region"


# -- personal data ------------------------------------------------------------------------


def test_a_record_given_as_a_list_is_not_repeated_in_the_message():
    with pytest.raises(ValidationError) as caught:
        from_dict(lc.Customer, ["Li Wei", PHONE, "li@example.com"])
    assert PHONE not in str(caught.value) and "Li Wei" not in str(caught.value)
    assert "not a list" in str(caught.value)


@pytest.mark.parametrize(
    "record",
    [
        {"id": "C1", "name": "Li", "kind": "individual", "contact": {"phone": 5}},
        {"id": "C1", "name": ["Li Wei", PHONE], "kind": "individual"},
        {"id": "C1", "name": "Li", "kind": "individual", "contact": PHONE},
    ],
)
def test_values_of_personal_fields_never_reach_a_message(record):
    with pytest.raises(ValidationError) as caught:
        from_dict(lc.Customer, record)
    assert PHONE not in str(caught.value) and "Li Wei" not in str(caught.value)
    assert "<redacted>" in str(caught.value)


# -- the caller's decimal context ---------------------------------------------------------


def everything_the_sample_says():
    data = sample_dataset()
    activities = lc.summarize(data.shipments, as_of=data.as_of)
    profiles = {p.customer_id: p for p in data.credit_profiles}
    results = lc.assess_all(
        data.customers,
        activities,
        as_of=data.as_of,
        inputs=lc.AssessmentInputs(
            credit_profiles=profiles,
            complaints=data.complaints,
            survey_responses=data.survey_responses,
            interactions=data.interactions,
            spend_estimates=data.spend_estimates,
        ),
    )
    return (
        [repr(a) for a in results.values()],
        [repr(lc.assess_credit(p, as_of=data.as_of)) for p in data.credit_profiles],
        [repr(lc.check_exposure(p, lc.Money("1234.56", CNY))) for p in data.credit_profiles],
        repr(lc.rfm(activities, as_of=data.as_of)),
        repr(lc.abc_classes({k: a.revenue for k, a in activities.items()})),
    )


@pytest.mark.parametrize(
    "context",
    [
        decimal.Context(prec=3),
        decimal.Context(prec=5, rounding=decimal.ROUND_DOWN),
        decimal.Context(traps=[decimal.Inexact, decimal.Rounded]),
    ],
    ids=["prec=3", "prec=5 round down", "inexact trapped"],
)
def test_results_do_not_depend_on_the_callers_decimal_context(context):
    expected = everything_the_sample_says()
    with decimal.localcontext(context):
        assert everything_the_sample_says() == expected


def test_every_boundary_error_is_the_librarys_own():
    for bad in ("1e-999999999", float("nan"), object(), b"12", True, None):
        with pytest.raises(LogicrmError):
            lc.Money(bad, CNY)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a":' * 100_000 + "1" + "}" * 100_000, "nested too deeply"),
        ('{"amount": ' + "1" * 5000 + ', "currency": "CNY"}', "not valid JSON"),
        (b"\xff\xfe{}", "not valid JSON"),
    ],
    ids=["deep", "long number", "not utf-8"],
)
def test_from_json_refuses_hostile_documents_with_its_own_error(text, message):
    error = quickly(from_json, lc.Money, text)
    assert isinstance(error, ValidationError) and message in str(error)
    assert len(str(error)) < 400


def test_a_table_too_wide_cuts_its_widest_text_with_an_ellipsis_and_never_a_number():
    from logicrm._table import render_table

    rows = [["C1", "a" * 200, 1234567.5], ["C2", "short", 1.0]]
    text = render_table(["id", "note", "amount"], rows, max_width=40)
    assert max(len(line) for line in text.splitlines()) <= 40
    assert "1,234,567.50" in text and "…" in text
    assert "a" * 200 in render_table(["id", "note", "amount"], rows, max_width=None)


def test_totals_past_the_range_of_one_amount_are_scored_not_refused():
    """Each amount is below 10^18, but thirty of them make one customer's year 2.7 x 10^19.
    Once, that total failed the Pareto classes, and with them every customer's assessment."""
    data = sample_dataset()
    first = data.shipments[0]
    huge = [
        lc.Shipment(
            id=f"X{i}", customer_id="C00000", ordered_at=first.ordered_at,
            promised_at=first.promised_at, revenue=lc.Money("900000000000000000", CNY),
            cost=lc.Money("1", CNY), units_ordered=1,
        )
        for i in range(30)
    ]  # fmt: skip
    activities = lc.summarize([*data.shipments, *huge], as_of=data.as_of)
    profiles = {p.customer_id: p for p in data.credit_profiles}
    results = lc.assess_all(
        data.customers,
        activities,
        as_of=data.as_of,
        inputs=lc.AssessmentInputs(credit_profiles=profiles),
    )
    assert len(results) == len(data.customers)
    top = results["C00000"]
    assert top.abc_class is lc.AbcClass.A and top.tier.tier is lc.Tier.LARGE
    assert top.credit.limit == lc.CreditPolicy().max_limit  # capped, not refused
