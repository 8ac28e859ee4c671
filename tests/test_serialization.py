import contextlib
import json

import attrs
import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

import logicrm
from helpers import T0, shipment
from logicrm import Answer, Customer, Money, Reason, Shipment, SurveyResponse
from logicrm.errors import LogicrmError, ValidationError
from logicrm.serialization import (
    from_dict,
    from_json,
    json_schema,
    load_many,
    to_dict,
    to_json,
)
from logicrm.testing import CustomerHistory
from strategies import (
    answers,
    complaints,
    contact_details,
    credit_profiles,
    customer_histories,
    customers,
    financial_statements,
    interactions,
    invoices,
    json_like,
    money,
    service_standards,
    shipments,
    spend_estimates,
    survey_responses,
)

TYPES = [
    (Money, money()),
    (logicrm.ContactDetails, contact_details()),
    (Customer, customers()),
    (Shipment, shipments()),
    (logicrm.Complaint, complaints()),
    (logicrm.FinancialStatement, financial_statements()),
    (logicrm.CreditProfile, credit_profiles()),
    (logicrm.Invoice, invoices()),
    (logicrm.Interaction, interactions()),
    (logicrm.SpendEstimate, spend_estimates()),
    (logicrm.ServiceStandard, service_standards()),
    (Answer, answers()),
    (SurveyResponse, survey_responses()),
    (CustomerHistory, customer_histories(max_shipments=4)),
]


@pytest.mark.parametrize(("cls", "strategy"), TYPES, ids=[t[0].__name__ for t in TYPES])
def test_every_type_round_trips_through_json_exactly(cls, strategy):
    @given(strategy)
    def check(value):
        text = to_json(value)
        back = from_json(cls, text)
        assert back == value
        assert to_json(back) == text  # same exponents, same offsets, same order

    check()


SCHEMA_TYPES = [t for t in TYPES if t[0] is not CustomerHistory]


@pytest.mark.parametrize(
    ("cls", "strategy"), SCHEMA_TYPES, ids=[t[0].__name__ for t in SCHEMA_TYPES]
)
def test_serialised_instances_validate_against_the_json_schema(cls, strategy):
    schema = json_schema(cls)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )

    @given(strategy)
    def check(value):
        validator.validate(json.loads(to_json(value)))

    check()


def test_schema_rejects_what_from_dict_rejects_in_shape():
    validator = jsonschema.Draft202012Validator(json_schema(Shipment))
    record = to_dict(shipment())
    record["unknown"] = 1
    assert not validator.is_valid(record)
    del record["unknown"], record["revenue"]
    assert not validator.is_valid(record)


def test_worked_serialisation_conventions():
    data = to_dict(shipment(revenue=Money("800.50", "CNY")))
    assert data["revenue"] == {"amount": "800.50", "currency": "CNY"}
    assert data["ordered_at"] == "2026-03-02T09:00:00+00:00"
    assert to_dict(Customer(id="C", name="N", kind="institution"))["kind"] == "institution"
    assert to_dict(Reason("a.b", "text")) == {
        "code": "a.b",
        "message": "text",
        "contribution": None,
    }


def test_errors_carry_the_path_of_every_bad_field():
    record = to_dict(
        SurveyResponse(
            respondent_id="R",
            taken_at=T0,
            answers=[
                Answer(item=f"I{i}", dimension="empathy", expectation=5, perception=4)
                for i in range(3)
            ],
        )
    )
    record["answers"][2]["perception"] = 11
    record["answers"][0]["dimension"] = "speed"
    record["surprise"] = True
    with pytest.raises(ValidationError) as info:
        from_dict(SurveyResponse, record)
    paths = [p.path for p in info.value.problems]
    assert paths == ["answers[0].dimension", "answers[2].perception", "surprise"]


def test_strict_scalars_do_not_coerce():
    record = to_dict(shipment())
    record["units_ordered"] = "10"
    with pytest.raises(ValidationError) as info:
        from_dict(Shipment, record)
    assert info.value.field == "units_ordered"


def test_nested_money_errors_name_the_inner_field():
    record = to_dict(shipment())
    record["cost"]["amount"] = "twelve"
    with pytest.raises(ValidationError) as info:
        from_dict(Shipment, record)
    assert info.value.field == "cost.amount"


def test_naive_datetime_in_json_is_rejected():
    record = to_dict(shipment())
    record["ordered_at"] = "2026-03-02T09:00:00"
    with pytest.raises(ValidationError) as info:
        from_dict(Shipment, record)
    assert info.value.field == "ordered_at"


def test_contact_details_never_appear_in_errors():
    record = to_dict(Customer(id="C", name="N", kind="enterprise"))
    record["contact"] = {"phone": 13812345678, "email": "secret-person@example.com-but-bad@"}
    with pytest.raises(ValidationError) as info:
        from_dict(Customer, record)
    assert "13812345678" not in str(info.value)
    assert info.value.field == "contact.phone"


@given(json_like)
@pytest.mark.parametrize("cls", [Shipment, Customer, SurveyResponse, logicrm.CreditProfile, Money])
def test_garbage_raises_only_logicrm_errors(cls, garbage):
    with contextlib.suppress(LogicrmError):
        from_dict(cls, garbage)


@given(shipments())
def test_garbage_inside_a_valid_record_raises_only_logicrm_errors(value):
    record = to_dict(value)
    for key in list(record)[:4]:
        broken = dict(record)
        broken[key] = {"unexpected": [1, None]}
        with pytest.raises(LogicrmError):
            from_dict(Shipment, broken)


def test_invalid_json_text_is_a_validation_error():
    with pytest.raises(ValidationError):
        from_json(Money, "{not json")


def test_load_many_keeps_good_records_and_reports_every_bad_one():
    good = [to_dict(shipment(id=f"S{i}")) for i in range(4)]
    bad_units = dict(good[1], units_damaged=99)
    bad_time = dict(good[2], ordered_at="yesterday")
    result = load_many(Shipment, [good[0], bad_units, bad_time, good[3], "not a record"])
    assert [s.id for s in result.ok] == ["S0", "S3"]
    assert [r.index for r in result.rejected] == [1, 2, 4]
    assert result.rejected[0].problems[0].path == "units_damaged"
    assert result.rejected[1].problems[0].path == "ordered_at"
    assert result.total == 5


def test_rejection_repr_hides_the_raw_record():
    record = to_dict(Customer(id="C", name="N", kind="enterprise"))
    record["contact"] = {"phone": "+86 138 0000 9999"}
    record["kind"] = "bogus"
    result = load_many(Customer, [record])
    assert "+86 138 0000 9999" not in repr(result)
    assert result.rejected[0].record is record


@given(st.lists(shipments(), max_size=5), st.sets(st.integers(0, 4)))
def test_load_many_never_loses_a_record(values, broken):
    records = [to_dict(v) for v in values]
    for index in broken:
        if index < len(records):
            records[index] = dict(records[index], units_ordered=-1)
    result = load_many(Shipment, records)
    assert result.total == len(records)
    assert {r.index for r in result.rejected} == {i for i in broken if i < len(records)}


def test_every_public_type_has_a_schema():
    for name in logicrm.domain.__all__:
        obj = getattr(logicrm.domain, name)
        if attrs.has(obj):
            assert json_schema(obj)["title"] == name
