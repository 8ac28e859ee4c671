"""`logicrm score`'s two engines give one answer: the same output rows, the same rejected rows
at the same lines with the same columns and words, on generated files of every kind, with bad
rows, odd but valid cells, mixed offsets, duplicates, awkward CSV and batches."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import logicrm._engine._assess_exprs as assess_exprs
import logicrm._engine._columnar as columnar
import logicrm._engine._write_rows as write_rows
from logicrm._assess import ROW_COLUMNS
from logicrm._engine._write_rows import write_frame
from logicrm.cli._run import Inputs, score
from logicrm.errors import LogicrmError
from logicrm.io import ColumnMapping, write
from test_frames import COLUMNS

pytestmark = pytest.mark.filterwarnings("ignore::logicrm.errors.ColumnWarning")

AS_OF = datetime(2026, 6, 30, 18, tzinfo=UTC)
BASE = datetime(2024, 1, 1, tzinfo=UTC)

OFFSETS = [UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5, minutes=-30))]


def _time_text(moment: datetime, style: int) -> str:
    """One moment written the ways exports write it: canonical forms and odd ones."""
    if style == 0:
        return moment.isoformat()
    if style == 1:
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == 2:
        return moment.isoformat(sep=" ", timespec="minutes")
    if style == 3:
        return moment.isoformat(timespec="milliseconds")
    if style == 4:
        return " " + moment.isoformat() + " "  # stripped by the reader: odd but valid
    return moment.strftime("%Y%m%dT%H%M%S%z")  # basic format: Python reads it, polars does not


# Cells that break a rule, or that only the object path reads, per column.
ODD = {
    "id": ["", " S0 ", "S1"],  # "S1" duplicates an earlier id
    "customer_id": [" C1", "", "C2"],
    "ordered_at": ["yesterday", "2025-02-30T00:00:00Z", "2025-03-01T00:00:00", ""],
    "promised_at": ["2000-01-01T00:00:00+00:00", "2026-01-01T00:00:00+24:00"],
    "delivered_at": ["2023-01-01T00:00:00Z", "not yet"],
    "revenue.amount": ["abc", "1e2", " 12.5", "-0.00", "5e20", "1,000", "+7.25", ".5", ""],
    "cost.amount": ["1E+1", "0.000000000001", "-3"],
    "revenue.currency": ["cny", "USD", "XXX", ""],
    "cost.currency": ["USD"],
    "units_ordered": ["-3", "1.5", "", " 4 ", "05", "1000000000001", "+2"],
    "units_delivered": ["x", "", "7"],
    "units_damaged": ["999", "-1"],
    "invoice_error": ["yes", "TRUE", " y ", "maybe", "1", ""],
    "returned": ["false", "N", "0"],
}


@st.composite
def shipment_rows(draw: st.DrawFn) -> list[dict[str, str]]:
    count = draw(st.integers(0, 24))
    rows = []
    for index in range(count):
        zone = draw(st.sampled_from(OFFSETS))
        ordered = (
            BASE + timedelta(days=draw(st.integers(0, 1000)), minutes=draw(st.integers(0, 1439)))
        ).astimezone(zone)
        style = draw(st.integers(0, 5))
        promised = ordered + timedelta(days=draw(st.integers(0, 5)))
        delivered = (
            None
            if draw(st.booleans())
            else ordered + timedelta(days=draw(st.integers(0, 8)), seconds=draw(st.integers(0, 59)))
        )
        ordered_units = draw(st.integers(0, 20))
        delivered_units = draw(st.integers(0, 20))
        row = {
            "id": f"S{index}",
            "customer_id": draw(st.sampled_from(["C1", "C2", "C3", "C4"])),
            "ordered_at": _time_text(ordered, style),
            "promised_at": _time_text(promised, draw(st.integers(0, 3))),
            "shipped_at": "",
            "delivered_at": ""
            if delivered is None
            else _time_text(delivered, draw(st.integers(0, 3))),
            "revenue.amount": str(draw(st.decimals(0, 100_000, places=draw(st.integers(0, 3))))),
            "revenue.currency": "CNY",
            "cost.amount": str(draw(st.decimals(0, 50_000, places=2))),
            "cost.currency": "CNY",
            "units_ordered": str(ordered_units),
            "units_delivered": str(delivered_units),
            "units_damaged": str(draw(st.integers(0, delivered_units))),
            "invoice_error": draw(st.sampled_from(["", "true", "false"])),
            "returned": draw(st.sampled_from(["", "false"])),
            "stockout": "",
            "substituted": "false",
            "rerouted": "",
        }
        if draw(st.integers(0, 150)) == 77:  # a customer's second currency: the run stops
            row["revenue.currency"] = row["cost.currency"] = "USD"
        if draw(st.integers(0, 3)) == 1:  # now and then a cell that is odd or bad
            column = draw(st.sampled_from(sorted(ODD)))
            row[column] = draw(st.sampled_from(ODD[column]))
        rows.append(row)
    return rows


def _write_csv(path: Path, rows: list[dict[str, str]], draw: st.DrawFn) -> dict[str, str | None]:
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
    note = draw(st.sampled_from(["", "a; b, c", 'said "hi"', "two\nlines", "客户备注"]))
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator=ending)
    writer.writerow([*COLUMNS, "note"])
    for index, row in enumerate(rows):
        writer.writerow([*(row[c] for c in COLUMNS), note if index % 3 == 0 else ""])
        if draw(st.integers(0, 30)) == 0:
            out.write(ending)  # a blank line
        if draw(st.integers(0, 30)) == 0:
            out.write(f"short{delimiter}row{ending}")  # a ragged row
    data = out.getvalue().encode(encoding)
    if encoding == "utf-8" and draw(st.integers(0, 20)) == 0:
        data = data.replace(b"CNY", b"CN\xff", 1)  # an undecodable byte
    path.write_bytes(data)
    given = None if encoding in ("utf-8", "utf-8-sig", "utf-16") else encoding
    return {"encoding": given, "delimiter": draw(st.sampled_from([None, delimiter]))}


def _json_value(column: str, text: str, draw: st.DrawFn) -> object:
    """A cell as a JSON export types it, now and then."""
    if text == "" and draw(st.booleans()):
        return None
    if column.startswith("units") and text.strip().lstrip("-").isdigit() and draw(st.booleans()):
        return int(text)
    if column.endswith(".amount") and draw(st.booleans()):
        try:
            return float(text) if "." in text else int(text)
        except ValueError:
            return text
    if (
        column in ("invoice_error", "returned")
        and text in ("true", "false")
        and draw(st.booleans())
    ):
        return text == "true"
    return text


def _write(path: Path, rows: list[dict[str, str]], draw: st.DrawFn) -> dict[str, str | None]:
    if path.suffix == ".csv":
        return _write_csv(path, rows, draw)
    if path.suffix == ".jsonl":
        with path.open("w", encoding="utf-8") as handle:
            for row in rows:
                record = {c: _json_value(c, row[c], draw) for c in COLUMNS}
                if draw(st.booleans()):  # nested money, as logicrm writes it
                    for money in ("revenue", "cost"):
                        record[money] = {
                            "amount": record.pop(f"{money}.amount"),
                            "currency": record.pop(f"{money}.currency"),
                        }
                handle.write(json.dumps(record) + "\n")
        return {"encoding": None, "delimiter": None}
    frame = pl.DataFrame(
        {c: [r[c] for r in rows] for c in COLUMNS}, schema=dict.fromkeys(COLUMNS, pl.String)
    )
    if draw(st.booleans()):  # typed columns where every cell allows it
        frame = _typed(frame)
    frame.write_parquet(path)
    return {"encoding": None, "delimiter": None}


def _typed(frame: pl.DataFrame) -> pl.DataFrame:
    casts = {}
    for column in ("units_ordered", "units_delivered", "units_damaged"):
        cast = frame[column].cast(pl.Int64, strict=False)
        if cast.null_count() == frame[column].is_null().sum():
            casts[column] = cast
    for column in ("ordered_at", "promised_at", "delivered_at"):
        cast = frame[column].str.to_datetime(
            time_zone="UTC", strict=False, format="%Y-%m-%dT%H:%M:%S%:z"
        )
        if cast.null_count() == (frame[column] == "").sum() + frame[column].is_null().sum():
            casts[column] = cast
    for column in ("revenue.amount",):
        cast = frame[column].cast(pl.Decimal(20, 3), strict=False)
        if cast.null_count() == 0:
            casts[column] = cast
    return frame.with_columns(**casts)


def _run(
    path: Path,
    engine: str,
    options: dict[str, str | None],
    mapping: ColumnMapping | None,
    *,
    rows_only: bool = False,
    customers: Path | None = None,
):
    inputs = Inputs(
        customers=customers,
        shipments=path,
        engine=engine,
        mappings={"shipments": mapping} if mapping else {},
        **options,
    )
    try:
        results, rejected = score(inputs, as_of=AS_OF, rows_only=rows_only)
    except LogicrmError as error:
        return type(error).__name__, str(error)
    rows = list(results.rows())
    rejects = [
        (
            r.rejection.line,
            r.rejection.problems,
            json.dumps(dict(r.rejection.row), default=str, sort_keys=True),
        )
        for r in rejected
    ]
    return rows, rejects


@settings(max_examples=120)
@given(data=st.data(), rows=shipment_rows(), suffix=st.sampled_from([".csv", ".jsonl", ".parquet"]))
def test_both_engines_give_the_same_rows_and_rejections(tmp_path_factory, data, rows, suffix):
    path = tmp_path_factory.mktemp("engines") / f"shipments{suffix}"
    options = _write(path, rows, data.draw)
    python = _run(path, "python", options, None)
    batch = data.draw(st.sampled_from([3, 7, columnar.BATCH_ROWS]))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(columnar, "BATCH_ROWS", batch)
        patch.setattr(columnar, "TEXT_BATCH_ROWS", batch)
        assert _run(path, "columnar", options, None) == python
        # The columnar assessment, straight from the per-customer table: the same rows.
        assert _run(path, "columnar", options, None, rows_only=True) == python


def test_a_value_beyond_the_columnar_engine_falls_back_to_python_under_auto(tmp_path):
    path = tmp_path / "s.csv"
    rows = [
        {
            **dict.fromkeys(COLUMNS, ""),
            "id": "S1",
            "customer_id": "C1",
            "ordered_at": "2026-01-01T00:00:00Z",
            "promised_at": "2026-01-02T00:00:00Z",
            "revenue.amount": "0.1234567890123",  # 13 places: valid Money, past the engine's 12
            "revenue.currency": "CNY",
            "cost.amount": "1",
            "cost.currency": "CNY",
            "units_ordered": "1",
        }
    ]
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    assert _run(path, "auto", {}, None) == _run(path, "python", {}, None)
    assert _run(path, "columnar", {}, None)[0] == "ValidationError"


def test_a_mapping_and_constants_read_alike(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(
        "order_no,client,placed,due,fee,expense,qty\n"
        "A1,K1,2026-01-01T08:00:00+08:00,2026-01-03T08:00:00+08:00,100.50,80,3\n"
        "A2,K1,2026-02-01T08:00:00+08:00,2026-01-03T08:00:00+08:00,100,80,3\n"
        "A3,K2, 2026-03-01T08:00:00+08:00 ,2026-03-03T08:00:00+08:00,7.125,5,1\n"
        "A1,K2,2026-03-01T08:00:00+08:00,2026-03-03T08:00:00+08:00,7,5,1\n",
        encoding="utf-8",
    )
    mapping = ColumnMapping(
        columns={
            "id": "order_no",
            "customer_id": "client",
            "ordered_at": "placed",
            "promised_at": "due",
            "revenue.amount": "fee",
            "cost.amount": "expense",
            "units_ordered": "qty",
        },
        constants={"revenue.currency": "CNY", "cost.currency": "CNY"},
    )
    python = _run(path, "python", {}, mapping)
    assert _run(path, "columnar", {}, mapping) == python
    lines = [(line, problems[0][0]) for line, problems, _ in python[1]]
    assert lines == [(3, "due"), (5, "order_no")]  # promised before ordered; a duplicate id


def test_activities_are_identical_to_the_decimal_exponent(tmp_path):
    """Sums keep the places of their terms, as Decimal arithmetic does (a reason prints them)."""
    from logicrm.domain import Shipment
    from logicrm.io import stream
    from logicrm.scoring import summarize

    path = tmp_path / "s.csv"
    cells = [
        ("S1", "C1", "2026-01-01T00:00:00Z", "1.5", "1"),
        ("S2", "C1", "2026-01-01T10:00:00Z", "2.25", "1"),
        ("S3", "C2", "2026-01-01T10:00:00Z", "-0.00", "1E+1"),
        ("S4", "C3", "2026-01-01T10:00:00Z", "100", "3"),
    ]
    rows = [
        {**dict.fromkeys(COLUMNS, ""), "id": i, "customer_id": c, "ordered_at": t,
         "promised_at": t, "revenue.amount": r, "cost.amount": k, "revenue.currency": "CNY",
         "cost.currency": "CNY", "units_ordered": "1"}
        for i, c, t, r, k in cells
    ]  # fmt: skip
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    expected = summarize(stream(path, Shipment), as_of=AS_OF)
    got = columnar.summarize_file(path, as_of=AS_OF)
    assert got == expected
    for key, activity in expected.items():
        for name in ("revenue", "cost", "first_day_revenue", "window_revenue", "window_cost"):
            assert str(getattr(got[key], name)) == str(getattr(activity, name)), (key, name)
    assert str(got["C2"].first_day_revenue) == "-0.00"
    assert isinstance(got["C1"].revenue, Decimal) and str(got["C1"].revenue) == "3.75"


CUSTOMER_KINDS = st.sampled_from(
    [
        {"kind": "enterprise"},
        {"kind": "individual"},
        {"kind": "institution", "administrative_level": "provincial"},
        {"kind": "institution", "size": "small"},
        {"kind": "institution"},
    ]
)


@given(
    data=st.data(),
    rows=shipment_rows(),
    kinds=st.lists(CUSTOMER_KINDS, min_size=5, max_size=5),
    policy=st.fixed_dictionaries(
        {
            "frequent_orders": st.integers(1, 5),
            "lapsed_after_days": st.integers(1, 400),
            "recent_days": st.sampled_from([30, 90, 365]),
            "drop_ratio": st.sampled_from([0.25, 0.5, 0.9]),
            "revenue_drop_ratio": st.sampled_from([None, 0.5, 0.9]),
            "min_history_days": st.integers(1, 300),
            "min_history_orders": st.integers(1, 8),
            "a": st.sampled_from([0.5, 0.8]),
            "basis": st.sampled_from(["revenue", "profit"]),
            "key_max_share": st.sampled_from([0.05, 0.5, 1.0]),
            "trailing_year": st.booleans(),
            "loyal_after_days": st.sampled_from([None, 30, 730]),
            "weights": st.sampled_from([None, {"profit": 1.0}, {"growth": 2, "perceived": 1}]),
            "per_reroute": st.sampled_from(["0", "150.00", "5E+3"]),
            "mature_after_days": st.integers(0, 800),
            "grow_min_growth": st.sampled_from([0.0, 0.1, 2.0]),
            "grow_below_share": st.sampled_from([0.0, 0.5]),
            "large_annual_spend": st.sampled_from(["500000.00", "1000", "2.5E+4"]),
            "medium_annual_spend": st.sampled_from(["100000.00", "0.01", "300.5"]),
            "watch_ratio": st.sampled_from([0.8, 0.95, 1.0]),
            "growth_reference": st.sampled_from([1.0, 0.3]),
            "strategic_orders_per_year": st.sampled_from([52, 3]),
            "profit_reference": st.sampled_from(["100000.00", "7.5", "2E+3"]),
            "per_damage": st.sampled_from(["400.00", "0.125", "9"]),
        }
    ),
    fmt=st.sampled_from(["csv", "jsonl", "parquet"]),
    zone=st.sampled_from(OFFSETS),
)
def test_the_columnar_assessment_gives_the_object_paths_rows(
    tmp_path_factory, data, rows, kinds, policy, fmt, zone
):
    """Tiers of every kind, Pareto classes, value, lifecycle, churn, the cost to serve, the
    next best action and the reasons under any policy: the columnar assessment's rows are
    Assessment.row(), customer by customer, whether the expressions or the tuple kernel
    make them; and the file polars writes is the file io.write writes from the rows."""
    from logicrm.domain import Money
    from logicrm.policies import ParetoCutoffs, Policies
    from logicrm.retention import ActionPolicy, ServiceCostPolicy
    from logicrm.scoring import ChurnPolicy, LifecyclePolicy, TieringPolicy, ValueModel

    folder = tmp_path_factory.mktemp("assess")
    path = folder / "shipments.csv"
    options = _write_csv(path, rows, data.draw)
    customers = folder / "customers.csv"
    with customers.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=["id", "name", "kind", "administrative_level", "size"]
        )
        writer.writeheader()
        for index, kind in enumerate(kinds):  # C0 is known only here; C1-C4 ship too
            writer.writerow({"id": f"C{index}", "name": f"N{index}", **kind})
    weights = policy["weights"]
    model = {
        "growth_reference": policy["growth_reference"],
        "strategic_orders_per_year": policy["strategic_orders_per_year"],
        "profit_reference": Money(policy["profit_reference"], "CNY"),
    }
    medium, large = Decimal(policy["medium_annual_spend"]), Decimal(policy["large_annual_spend"])
    large = large if large > medium else medium + large
    policies = Policies(
        tiering=TieringPolicy(
            frequent_orders=policy["frequent_orders"],
            large_annual_spend=Money(large, "CNY"),
            medium_annual_spend=Money(medium, "CNY"),
        ),
        lifecycle=LifecyclePolicy(lapsed_after_days=policy["lapsed_after_days"]),
        churn=ChurnPolicy(
            recent_days=policy["recent_days"],
            drop_ratio=policy["drop_ratio"],
            revenue_drop_ratio=policy["revenue_drop_ratio"],
            min_history_days=policy["min_history_days"],
            min_history_orders=policy["min_history_orders"],
            watch_ratio=policy["watch_ratio"],
        ),
        pareto=ParetoCutoffs(
            a=policy["a"], b=0.95, basis=policy["basis"], key_max_share=policy["key_max_share"]
        ),
        value=ValueModel(**model) if weights is None else ValueModel(weights=weights, **model),
        service_cost=ServiceCostPolicy(
            per_reroute=Money(policy["per_reroute"], "CNY"),
            per_damage=Money(policy["per_damage"], "CNY"),
            trailing_year=policy["trailing_year"],
        ),
        action=ActionPolicy(
            mature_after_days=policy["mature_after_days"],
            grow_min_growth=policy["grow_min_growth"],
            grow_below_share=policy["grow_below_share"],
            loyal_after_days=policy["loyal_after_days"],
        ),
    )

    def run(engine: str, rows_only: bool):
        inputs = Inputs(shipments=path, customers=customers, engine=engine, **options)
        try:
            results, _ = score(
                inputs, as_of=AS_OF.astimezone(zone), policies=policies, rows_only=rows_only
            )
        except LogicrmError as error:
            return (type(error).__name__, str(error)), None
        if not rows_only:  # the object path: the codes of the reasons each row shows too
            codes.extend([r.code for r in a.top_reasons(3)] for a in results.values())
        return list(results.rows()), getattr(results, "frame", None)

    codes: list[list[str]] = []
    shown: list[list[str]] = []
    whole = assess_exprs.assessment_frame

    def with_codes(*args, **options):
        frame = whole(*args, **options, codes=True)
        if frame is None:
            return None
        shown.extend(frame["reason_codes"].to_list())
        return frame.drop("reason_codes")

    python, _ = run("python", False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(assess_exprs, "assessment_frame", with_codes)
        columnar, frame = run("columnar", True)
    assert columnar == python
    if frame is not None:
        assert shown == codes
    error = isinstance(columnar, tuple)
    event(columnar[0] if error else "expressions" if frame is not None else "tuple kernel")
    with pytest.MonkeyPatch.context() as patch:  # the tuple kernel, the fallback
        patch.setattr(assess_exprs, "assessment_frame", lambda *a, **k: None)
        assert run("columnar", True) == (python, None)
    if frame is not None:
        written, expected = folder / f"new.{fmt}", folder / f"old.{fmt}"
        with pytest.MonkeyPatch.context() as patch:  # lines made two rows at a time
            patch.setattr(write_rows, "_SLICE_ROWS", 2)
            write_frame(written, frame, fmt)
        write(expected, python, format=fmt, columns=ROW_COLUMNS)
        assert written.read_bytes() == expected.read_bytes()


def test_a_shipment_after_as_of_in_another_currency_never_clashes(tmp_path):
    """The object path ignores a shipment ordered after as_of before it looks at its
    currency; so does the columnar engine, across batches."""
    path = tmp_path / "s.csv"
    cells = [("S1", "C1", "2026-01-01T00:00:00Z", "CNY"), ("S2", "C1", "2026-07-01T00:00:00Z",
             "USD"), ("S3", "C2", "2026-07-02T00:00:00Z", "USD"),
             ("S4", "C2", "2026-01-02T00:00:00Z", "CNY")]  # fmt: skip
    rows = [
        {**dict.fromkeys(COLUMNS, ""), "id": i, "customer_id": c, "ordered_at": t,
         "promised_at": t, "revenue.amount": "1", "cost.amount": "1", "revenue.currency": k,
         "cost.currency": k, "units_ordered": "1"}
        for i, c, t, k in cells
    ]  # fmt: skip
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    python = _run(path, "python", {}, None)
    assert python[0] != "ValidationError"
    for batch in (1, 2, columnar.BATCH_ROWS):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(columnar, "BATCH_ROWS", batch)
            patch.setattr(columnar, "TEXT_BATCH_ROWS", batch)
            assert _run(path, "columnar", {}, None) == python
            assert _run(path, "columnar", {}, None, rows_only=True) == python


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_score_writes_the_same_file_from_either_engine(tmp_path, suffix):
    """The file polars writes from the columnar assessment is, byte for byte, the one the
    object path's rows give: awkward ids (a formula, a comma, quotes, a line break, a
    control character), a number-like id, tiny rates and customers of every kind."""
    import subprocess
    import sys

    path = tmp_path / "shipments.csv"
    ids = ["=HYPERLINK(1)", 'a,"b"', "line\nbreak", "-12.5", "\x01ctl", "C1", "@x", "+3e5"]
    rows = []
    for index in range(400):
        moment = BASE + timedelta(days=index * 7 % 900, hours=index % 24)
        rows.append(
            {**dict.fromkeys(COLUMNS, ""), "id": f"S{index}", "customer_id": ids[index % 8],
             "ordered_at": moment.isoformat(), "promised_at": moment.isoformat(),
             "delivered_at": (moment + timedelta(hours=index % 5)).isoformat(),
             "revenue.amount": f"{index * 37 % 5000}.{index % 100:02d}",
             "cost.amount": f"{index * 11 % 900}.5", "revenue.currency": "CNY",
             "cost.currency": "CNY", "units_ordered": "100000",
             "units_delivered": "100000", "units_damaged": "1" if index == 3 else "0"}
        )  # fmt: skip
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    customers = tmp_path / "customers.csv"
    customers.write_text(
        "id,name,kind,administrative_level,size\n"
        "C1,One,individual,,\n=HYPERLINK(1),Two,institution,national,\n"
        "-12.5,Three,institution,,small\nC9,Nine,institution,,\n",
        encoding="utf-8",
    )
    written = []
    for engine in ("python", "columnar"):
        out = tmp_path / f"{engine}{suffix}"
        done = subprocess.run(
            [sys.executable, "-m", "logicrm", "score", str(path), "--customers", str(customers),
             "--as-of", AS_OF.isoformat(), "--engine", engine, "-o", str(out)],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        written.append(out.read_bytes())
    assert written[0] == written[1]
    if suffix == ".csv":
        text = written[1].decode()
        assert "'=HYPERLINK(1)" in text and '"a,""b"""' in text and "\n-12.5," in text
        assert ",2e-07," in text  # a tiny rate in Python's form


def test_amounts_too_large_for_exact_ratios_are_assessed_by_the_tuple_kernel(tmp_path):
    """A revenue of 10**14 at two places is 10**16 hundredths, past 2**53: a ratio of such
    floats is no longer the object path's, so the row-by-row kernel assesses the run."""
    path = tmp_path / "s.csv"
    cells = [("S1", "C1", "2026-01-01T00:00:00Z", "100000000000000.25"),
             ("S2", "C2", "2025-03-01T00:00:00Z", "12.50")]  # fmt: skip
    rows = [
        {**dict.fromkeys(COLUMNS, ""), "id": i, "customer_id": c, "ordered_at": t,
         "promised_at": t, "revenue.amount": r, "cost.amount": "1", "revenue.currency": "CNY",
         "cost.currency": "CNY", "units_ordered": "1"}
        for i, c, t, r in cells
    ]  # fmt: skip
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    results, _ = score(Inputs(shipments=path, engine="columnar"), as_of=AS_OF, rows_only=True)
    assert results.frame is None
    assert list(results.rows()) == _run(path, "python", {}, None)[0]
    small = tmp_path / "small.csv"
    small.write_text(path.read_text().replace("100000000000000.25", "1000.25"))
    results, _ = score(Inputs(shipments=small, engine="columnar"), as_of=AS_OF, rows_only=True)
    assert results.frame is not None
    assert list(results.rows()) == _run(small, "python", {}, None)[0]
