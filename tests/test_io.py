"""Readers and writers: users' own column names, quarantine with line numbers, round trips."""

import json
from contextlib import nullcontext

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import logicrm as lc
from logicrm.errors import ColumnWarning, ValidationError
from logicrm.io import ColumnMapping, read, stream, write
from logicrm.sample import sample_dataset
from strategies import shipments

TMS_HEADER = "order_no,shipper,ordered,promised,delivered,fee,our_cost,qty,qty_in,broken\n"
TMS_MAPPING = ColumnMapping(
    columns={
        "id": "order_no",
        "customer_id": "shipper",
        "ordered_at": "ordered",
        "promised_at": "promised",
        "delivered_at": "delivered",
        "revenue.amount": "fee",
        "cost.amount": "our_cost",
        "units_ordered": "qty",
        "units_delivered": "qty_in",
        "units_damaged": "broken",
    },
    constants={"revenue.currency": "CNY", "cost.currency": "CNY"},
)


def tms_file(tmp_path, *rows):
    path = tmp_path / "export.csv"
    path.write_text(TMS_HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


GOOD = (
    "S1,C1,2026-03-02T09:00:00+08:00,2026-03-04T09:00:00+08:00,2026-03-03T10:00:00+08:00,"
    "800.00,620.00,10,10,0"
)
IN_TRANSIT = "S2,C1,2026-03-05T09:00:00+08:00,2026-03-07T09:00:00+08:00,,300.50,200,4,0,0"


def no_flag_columns():
    """The TMS export has no shipped_at and no flags: the reader says so, once."""
    return pytest.warns(ColumnWarning, match="no column for 'shipped_at', 'invoice_error'")


def test_csv_with_the_users_own_column_names(tmp_path):
    with no_flag_columns():
        result = read(tms_file(tmp_path, GOOD, IN_TRANSIT), lc.Shipment, mapping=TMS_MAPPING)
    assert [s.id for s in result.ok] == ["S1", "S2"] and not result.rejected
    first, second = result.ok
    assert first.revenue == lc.Money("800.00", "CNY") and first.units_delivered == 10
    assert second.delivered_at is None and second.cost == lc.Money("200", "CNY")


def test_bad_rows_come_back_with_line_column_and_reason_and_never_stop_the_file(tmp_path):
    bad_units = GOOD.replace(",10,10,0", ",10,3,5").replace("S1", "S3")
    naive_time = GOOD.replace("2026-03-02T09:00:00+08:00", "2026-03-02 09:00").replace("S1", "S4")
    bad_fee = GOOD.replace("800.00", "eight hundred").replace("S1", "S5")
    rejects = tmp_path / "rejects.jsonl"
    path = tms_file(tmp_path, GOOD, bad_units, naive_time, bad_fee, IN_TRANSIT)
    with no_flag_columns():
        result = read(path, lc.Shipment, mapping=TMS_MAPPING, rejects=rejects)
    assert [s.id for s in result.ok] == ["S1", "S2"]
    found = {(r.line, r.column) for r in result.rejected}
    assert found == {(3, "broken"), (4, "ordered"), (5, "fee")}
    assert "must not exceed units_delivered" in result.rejected[0].reason
    written = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert [w["line"] for w in written] == [3, 4, 5]
    assert written[0]["row"]["order_no"] == "S3"


def test_stream_feeds_summarize_without_loading_the_file(tmp_path):
    path = tms_file(tmp_path, GOOD, IN_TRANSIT)
    records = stream(path, lc.Shipment, mapping=TMS_MAPPING)
    assert not isinstance(records, list | tuple)
    with no_flag_columns():  # the header is read with the first record
        activity = lc.summarize(records, as_of=sample_dataset().as_of)["C1"]
    assert activity.orders == 2 and activity.delivered == 1


def test_unknown_format_is_refused(tmp_path):
    with pytest.raises(ValidationError):
        read(tmp_path / "data.xlsx", lc.Shipment)


@pytest.mark.parametrize("suffix", ["csv", "jsonl", "parquet"])
def test_every_record_type_round_trips_through_every_format(tmp_path, suffix):
    data = sample_dataset()
    for cls, records in [
        (lc.Shipment, data.shipments[:50]),
        (lc.Customer, data.customers),
        (lc.Complaint, data.complaints),
        (lc.SurveyResponse, data.survey_responses[:5]),
        (lc.Interaction, data.interactions),
        (lc.SpendEstimate, data.spend_estimates),
    ]:
        path = tmp_path / f"{cls.__name__}.{suffix}"
        if cls is lc.SurveyResponse and suffix != "jsonl":
            rows = [
                {
                    "respondent_id": r.respondent_id,
                    "taken_at": r.taken_at.isoformat(),
                    "customer_id": r.customer_id,
                    "scale": r.scale,
                    "item": a.item,
                    "dimension": a.dimension.value,
                    "expectation": a.expectation,
                    "perception": a.perception,
                }
                for r in records
                for a in r.answers
            ]
            write(path, rows, spreadsheet_safe=False)
            expected = tuple(
                lc.SurveyResponse(
                    respondent_id=r.respondent_id,
                    taken_at=r.taken_at,
                    answers=r.answers,
                    customer_id=r.customer_id,
                )
                for r in records
            )
        else:
            write(path, records, spreadsheet_safe=False)
            expected = tuple(records)
        long_form = cls is lc.SurveyResponse and suffix != "jsonl"
        with pytest.warns(ColumnWarning, match="'importance'") if long_form else nullcontext():
            result = read(path, cls)
        assert not result.rejected, result.rejected[:2]
        assert result.ok == expected


def test_invoices_from_csv_with_a_constant_currency(tmp_path):
    path = tmp_path / "bills.csv"
    path.write_text(
        "id,customer_id,issued_on,due_on,amount,paid_on\n"
        "F1,C1,2026-05-01,2026-05-31,900.00,\n"
        "F2,C1,2026-05-01,2026-05-31,100.00,2026-05-20\n"
    )
    mapping = ColumnMapping(
        columns={"amount.amount": "amount"}, constants={"amount.currency": "CNY"}
    )
    result = read(path, lc.Invoice, mapping=mapping)
    assert [i.paid_on is None for i in result.ok] == [True, False]


def test_invalid_json_lines_are_rejected_with_their_line(tmp_path):
    path = tmp_path / "s.jsonl"
    write(path, sample_dataset().shipments[:2])
    path.write_text(path.read_text() + "{not json\n[1, 2]\n")
    result = read(path, lc.Shipment)
    assert len(result.ok) == 2
    assert [(r.line, r.column) for r in result.rejected] == [(3, "(row)"), (4, "(row)")]


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=25)
@given(st.lists(shipments(), max_size=8, unique_by=lambda s: s.id))
def test_generated_shipments_round_trip_through_csv(tmp_path, items):
    path = tmp_path / "gen.csv"
    write(path, items, spreadsheet_safe=False)
    result = read(path, lc.Shipment) if items else None
    if result is not None:
        assert not result.rejected
        assert result.ok == tuple(items)
