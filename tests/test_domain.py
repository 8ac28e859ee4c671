"""Worked examples: every validation rule of the domain types, one test each."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from helpers import DAY, HOUR, T0, cny, shipment
from logicrm import (
    Answer,
    ContactDetails,
    CreditProfile,
    Customer,
    CustomerKind,
    Dimension,
    FinancialStatement,
    Money,
    SurveyResponse,
)
from logicrm.errors import LogicrmError, ValidationError

NAIVE = datetime(2026, 3, 2, 9, 0)


def field_of(call):
    with pytest.raises(ValidationError) as info:
        call()
    return info.value.field


# Shipment -----------------------------------------------------------------------------


def test_a_valid_shipment_builds():
    s = shipment()
    assert s.is_delivered and s.units_damaged == 0


def test_shipment_accepts_zoneinfo_and_mixed_offsets():
    shanghai = ZoneInfo("Asia/Shanghai")
    s = shipment(ordered_at=T0.astimezone(shanghai), promised_at=T0 + DAY)
    assert s.ordered_at.tzinfo is shanghai


@pytest.mark.parametrize("name", ["ordered_at", "promised_at", "shipped_at", "delivered_at"])
def test_naive_datetimes_are_rejected(name):
    assert field_of(lambda: shipment(**{name: NAIVE})) == name


def test_promised_before_ordered_is_rejected():
    assert field_of(lambda: shipment(promised_at=T0 - HOUR)) == "promised_at"


def test_shipped_before_ordered_is_rejected():
    assert field_of(lambda: shipment(shipped_at=T0 - HOUR)) == "shipped_at"


def test_delivered_before_shipped_is_rejected():
    assert (
        field_of(lambda: shipment(shipped_at=T0 + 5 * HOUR, delivered_at=T0 + HOUR))
        == "delivered_at"
    )


def test_delivered_before_ordered_is_rejected_without_shipped():
    assert field_of(lambda: shipment(shipped_at=None, delivered_at=T0 - HOUR)) == "delivered_at"


@pytest.mark.parametrize("name", ["units_ordered", "units_delivered", "units_damaged"])
def test_negative_units_are_rejected(name):
    assert field_of(lambda: shipment(**{name: -1})) == name


def test_units_must_be_integers_not_floats_or_bools():
    assert field_of(lambda: shipment(units_ordered=2.5)) == "units_ordered"
    assert field_of(lambda: shipment(units_delivered=True)) == "units_delivered"


def test_damaged_may_equal_delivered_but_not_exceed_it():
    assert shipment(units_delivered=3, units_damaged=3).units_damaged == 3
    assert field_of(lambda: shipment(units_delivered=3, units_damaged=4)) == "units_damaged"


def test_revenue_and_cost_share_a_currency():
    assert field_of(lambda: shipment(cost=Money(1, "USD"))) == "cost"


def test_revenue_must_be_money():
    assert field_of(lambda: shipment(revenue=800)) == "revenue"


def test_flags_must_be_booleans():
    assert field_of(lambda: shipment(stockout=1)) == "stockout"


def test_empty_ids_are_rejected():
    assert field_of(lambda: shipment(id="")) == "id"
    assert field_of(lambda: shipment(customer_id="")) == "customer_id"


def test_error_message_names_field_and_value():
    with pytest.raises(ValidationError) as info:
        shipment(units_delivered=3, units_damaged=4)
    assert "units_damaged" in str(info.value) and "4" in str(info.value)
    assert isinstance(info.value, ValueError) and isinstance(info.value, LogicrmError)


# Customer -----------------------------------------------------------------------------

SECRET_PHONE = "+86 138 1234 5678"
SECRET_EMAIL = "li.wei@example.com"


def customer(**changes):
    fields = dict(id="C1", name="Acme Auto Parts", kind="enterprise")
    fields.update(changes)
    return Customer(**fields)


def test_kind_takes_the_enum_or_its_value():
    assert customer(kind="institution").kind is CustomerKind.INSTITUTION
    assert customer(kind=CustomerKind.INDIVIDUAL).kind is CustomerKind.INDIVIDUAL


def test_unknown_kind_is_rejected_naming_the_allowed_values():
    with pytest.raises(ValidationError) as info:
        customer(kind="company")
    assert info.value.field == "kind" and "'enterprise'" in str(info.value)


def test_repr_never_shows_contact_details():
    c = customer(contact=ContactDetails(person="Li Wei", phone=SECRET_PHONE, email=SECRET_EMAIL))
    text = repr(c) + str(c) + repr(c.contact)
    assert SECRET_PHONE not in text and SECRET_EMAIL not in text and "Li Wei" not in text
    assert "<redacted>" in text


def test_individual_names_are_personal_data_too():
    c = customer(kind="individual", name="Wang Fang")
    assert "Wang Fang" not in repr(c)
    assert c.display_name == "<redacted>"
    assert customer().display_name == "Acme Auto Parts"


def test_contact_errors_never_show_the_value():
    with pytest.raises(ValidationError) as info:
        ContactDetails(email="not-an-address-555")
    assert "not-an-address-555" not in str(info.value) and info.value.field == "email"


def test_last_verified_must_be_aware_and_gives_an_age():
    assert field_of(lambda: customer(last_verified_at=NAIVE)) == "last_verified_at"
    c = customer(last_verified_at=T0)
    assert c.verification_age(as_of=T0 + 10 * DAY) == 10 * DAY
    assert customer().verification_age(as_of=T0) is None


def test_source_defaults_to_internal_and_accepts_external():
    assert customer().source.value == "internal"
    assert customer(source="external").source.value == "external"


# Financial statements and credit profiles ---------------------------------------------


def test_statement_figures_share_one_currency():
    with pytest.raises(ValidationError) as info:
        FinancialStatement(period_end=date(2025, 12, 31), cash=cny(1), inventory=Money(1, "USD"))
    assert info.value.field == "inventory"


def test_statement_figures_are_non_negative_except_profit():
    assert (
        field_of(lambda: FinancialStatement(period_end=date(2025, 12, 31), cash=cny(-1))) == "cash"
    )
    loss = FinancialStatement(period_end=date(2025, 12, 31), profit=cny(-5))
    assert loss.profit == cny(-5)


def test_period_end_is_a_date_not_a_datetime():
    assert field_of(lambda: FinancialStatement(period_end=T0)) == "period_end"


def profile(**changes):
    fields = dict(
        customer_id="C1", limit=cny(50_000), term_days=30, receivable=cny(12_000), overdue=cny(0)
    )
    fields.update(changes)
    return CreditProfile(**fields)


def test_overdue_cannot_exceed_receivable():
    assert field_of(lambda: profile(overdue=cny(12_001))) == "overdue"


def test_profile_amounts_share_the_limit_currency():
    assert field_of(lambda: profile(receivable=Money(1, "USD"))) == "receivable"


def test_ratings_run_from_one_to_five():
    assert profile(ratings={"character": 1, "capacity": 5}).ratings["capacity"] == 5
    assert field_of(lambda: profile(ratings={"character": 6})) == "ratings.character"
    assert field_of(lambda: profile(ratings={"character": 0})) == "ratings.character"


def test_ratings_are_read_only():
    p = profile(ratings={"character": 3})
    with pytest.raises(TypeError):
        p.ratings["character"] = 5  # type: ignore[index]


def test_statements_are_kept_in_period_order_and_unique():
    later = FinancialStatement(period_end=date(2025, 12, 31))
    earlier = FinancialStatement(period_end=date(2024, 12, 31))
    assert profile(statements=[later, earlier]).statements == (earlier, later)
    assert profile(statements=[later]).latest_statement is later
    assert field_of(lambda: profile(statements=[later, later])).endswith("period_end")


def test_headroom_is_limit_minus_receivable():
    assert profile().headroom == cny(38_000)


# Survey -------------------------------------------------------------------------------


def test_answer_gap_is_perception_minus_expectation():
    assert Answer(item="R1", dimension="reliability", expectation=7, perception=5).gap == -2


@pytest.mark.parametrize("score", [0, 11, 3.5, True])
def test_likert_scores_are_integers_in_range(score):
    with pytest.raises(ValidationError):
        Answer(item="R1", dimension=Dimension.RELIABILITY, expectation=score, perception=4)


def response(**changes):
    fields = dict(
        respondent_id="R1",
        taken_at=T0,
        answers=[Answer(item="R1", dimension="reliability", expectation=7, perception=6)],
    )
    fields.update(changes)
    return SurveyResponse(**fields)


def test_answers_must_fit_the_response_scale():
    five_point = [Answer(item="R1", dimension="reliability", expectation=6, perception=4)]
    assert field_of(lambda: response(answers=five_point, scale=5)) == "answers[0].expectation"


def test_items_are_answered_once():
    twice = [Answer(item="R1", dimension="reliability", expectation=7, perception=6)] * 2
    assert field_of(lambda: response(answers=twice)) == "answers[1].item"


def test_importance_points_are_non_negative_and_not_all_zero():
    assert response(importance={"reliability": 60, "empathy": 40}).importance == {
        Dimension.RELIABILITY: 60.0,
        Dimension.EMPATHY: 40.0,
    }
    assert field_of(lambda: response(importance={"reliability": -1})) == "importance.reliability"
    assert field_of(lambda: response(importance={"reliability": 0})) == "importance"
    assert field_of(lambda: response(importance={"speed": 10})) == "importance"


def test_taken_at_must_be_aware():
    assert field_of(lambda: response(taken_at=NAIVE)) == "taken_at"


def test_frozen_types_reject_assignment():
    with pytest.raises(AttributeError):
        shipment().units_ordered = 3  # type: ignore[misc]


def test_offsets_compare_by_instant():
    plus8 = timezone(timedelta(hours=8))
    s = shipment(ordered_at=T0.astimezone(plus8), promised_at=T0 + DAY)
    assert s.ordered_at == T0
