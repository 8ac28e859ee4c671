"""The columnar engine across batches: duplicates found in earlier batches with the line of
the first occurrence, currency clashes across batches, and per-customer tables merged from
rows aggregated at different times, all as the object path gives them."""

import csv
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import logicrm._engine._columnar as columnar
from logicrm import io
from logicrm._engine._batches import _ahead
from logicrm.domain import Shipment
from logicrm.errors import CurrencyMismatchError
from logicrm.scoring import summarize
from test_frames import COLUMNS

AS_OF = datetime(2026, 6, 30, 18, tzinfo=UTC)
BASE = datetime(2026, 1, 1, tzinfo=UTC)


def _rows(cells: list[tuple[str, str, str]]) -> list[dict[str, str]]:
    """Valid shipments from (id, customer, currency), a day apart."""
    rows = []
    for number, (shipment, customer, currency) in enumerate(cells):
        moment = (BASE + timedelta(days=number)).isoformat()
        rows.append(
            {
                **dict.fromkeys(COLUMNS, ""),
                "id": shipment,
                "customer_id": customer,
                "ordered_at": moment,
                "promised_at": moment,
                "revenue.amount": f"{number + 1}.50",
                "cost.amount": "1",
                "revenue.currency": currency,
                "cost.currency": currency,
                "units_ordered": "1",
            }
        )
    return rows


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    if path.suffix == ".parquet":
        pl.DataFrame(rows, schema=dict.fromkeys(COLUMNS, pl.String)).write_parquet(path)
        return
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def _columnar(path: Path, batch: int) -> tuple[object, list[tuple[int, object]]]:
    found: list[tuple[int, object]] = []
    result = columnar.summarize_file(
        path,
        as_of=AS_OF,
        on_reject=lambda r: found.append((r.line, r.problems)),
        batch_rows=batch,
    )
    return result, found


@settings(max_examples=60, deadline=None)
@given(
    ids=st.lists(st.integers(0, 6), min_size=1, max_size=40),
    batch=st.integers(1, 5),
    suffix=st.sampled_from([".parquet", ".csv"]),
    collide=st.booleans(),
)
def test_duplicates_in_earlier_batches_name_the_first_line(
    tmp_path_factory, ids, batch, suffix, collide
):
    """Each repeated id is refused with the line of its first occurrence, however many
    batches lie between them; ids whose hashes collide are still told apart."""
    path = tmp_path_factory.mktemp("dups") / f"s{suffix}"
    _write(path, _rows([(f"S{i}", f"C{i % 3}", "CNY") for i in ids]))
    first_line = 1 if suffix == ".parquet" else 2
    unit = "row" if suffix == ".parquet" else "line"
    firsts: dict[int, int] = {}
    expected = []
    for number, i in enumerate(ids):
        line = first_line + number
        if i in firsts:
            expected.append((line, (("id", f"duplicate of {unit} {firsts[i]}"),)))
        else:
            firsts[i] = line
    with pytest.MonkeyPatch.context() as patch:
        if collide:  # every id the same hash: only the ids themselves tell them apart
            patch.setattr(
                columnar, "_hashes", lambda ids: pl.Series([7] * len(ids), dtype=pl.UInt64)
            )
        activities, found = _columnar(path, batch)
    assert found == expected
    assert activities == summarize(io.stream(path, Shipment), as_of=AS_OF)


@given(sizes=st.lists(st.integers(1, 9), min_size=1, max_size=30))
def test_the_runs_of_ids_seen_find_every_hash(sizes):
    """The sorted runs stay sorted as they merge and find exactly the hashes added."""
    seen = columnar._Seen()
    added: list[int] = []
    for size in sizes:
        hashes = [(len(added) + k) * 7919 % 1009 for k in range(size)]
        part = pl.DataFrame(
            {
                "__hash": pl.Series(hashes, dtype=pl.UInt64),
                "id": [f"S{len(added) + k}" for k in range(size)],
                "__first": pl.Series(range(len(added), len(added) + size), dtype=pl.Int64),
            }
        )
        added += hashes
        seen.add(part)
    for run in seen.runs:
        assert run["__hash"].is_sorted()
    assert len(seen.runs) <= len(bin(len(sizes))) + 1  # a binary counter's runs
    probe = pl.Series([0, 3, 5, 1008, 2000, *added[:3]], dtype=pl.UInt64)
    found = seen.earlier(probe)
    wanted = [i for i, h in enumerate(added) if h in set(probe.to_list())]
    assert sorted(found["__first"].to_list()) == wanted


@pytest.mark.parametrize("batch", [1, 2, 3, 100])
def test_a_currency_clash_in_a_later_batch_is_the_object_paths(tmp_path, batch):
    path = tmp_path / "s.csv"
    _write(
        path,
        _rows([("S1", "C1", "CNY"), ("S2", "C2", "USD"), ("S3", "C2", "USD"), ("S4", "C1", "USD")]),
    )
    with pytest.raises(CurrencyMismatchError) as python:
        summarize(io.stream(path, Shipment), as_of=AS_OF)
    with pytest.raises(CurrencyMismatchError) as engine:
        _columnar(path, batch)
    assert str(engine.value) == str(python.value)


@pytest.mark.parametrize("batch", [1, 2, 100])
def test_customers_in_different_currencies_do_not_clash(tmp_path, batch):
    path = tmp_path / "s.parquet"
    _write(
        path,
        _rows(
            [
                ("S1", "C1", "CNY"),
                ("S2", "C2", "USD"),
                ("S3", "C2", "USD"),
                ("S4", "C1", "CNY"),
                ("S5", "C3", "EUR"),
            ]
        ),
    )
    activities, found = _columnar(path, batch)
    assert found == []
    assert activities == summarize(io.stream(path, Shipment), as_of=AS_OF)
    table = columnar.summarize_file(path, as_of=AS_OF, as_table=True, batch_rows=batch)
    assert table.select("customer_id", "currency", "orders").rows() == [
        ("C1", "CNY", 2),
        ("C2", "USD", 2),
        ("C3", "EUR", 1),
    ]


@given(st.lists(st.integers(), max_size=30), st.integers(0, 30))
def test_reading_ahead_keeps_the_order_and_raises_in_its_place(items, fail_at):
    """The next batch is made in a thread: the batches come in their order, and an error
    made there is raised after the batches before it, as the plain generator would."""

    def made():
        for index, item in enumerate(items):
            if index == fail_at:
                raise ValueError(index)
            yield item

    seen = []
    if fail_at < len(items):
        with pytest.raises(ValueError, match=str(fail_at)):
            seen.extend(_ahead(made()))
        assert seen == items[:fail_at]
    else:
        assert list(_ahead(made())) == items


def test_reading_ahead_stops_when_the_reader_stops():
    made = []

    def endless():
        while True:
            made.append(len(made))
            yield made[-1]

    batches = _ahead(endless())
    assert [next(batches) for _ in range(3)] == [0, 1, 2]
    batches.close()  # joins the thread: nothing is made after it returns
    count = len(made)
    assert count <= 5 and len(made) == count
    assert not [t for t in threading.enumerate() if t.name == "logicrm-read-ahead"]


@settings(max_examples=40, deadline=None)
@given(
    ids=st.lists(
        st.tuples(st.integers(0, 5), st.sampled_from(["", " ", "\u3000", "\t"]), st.booleans()),
        min_size=1,
        max_size=25,
    ),
    batch=st.integers(1, 4),
)
def test_a_parquet_file_whose_ids_all_differ_keeps_no_ids_and_reads_the_same(
    tmp_path_factory, ids, batch
):
    """The shortcut for Parquet files whose ids all differ (stripped, as the reader strips
    them) gives what the object path gives: ids that differ only by spaces around them, and
    a bad row sharing a good row's id, still go the long way; and a file whose present ids
    all differ never keeps the ids seen."""
    path = tmp_path_factory.mktemp("unique") / "s.parquet"
    rows = _rows([(f"{pad}S{i}{pad}", "C1", "CNY") for i, pad, _ in ids])
    for row, (_, _, bad) in zip(rows, ids, strict=True):
        if bad:
            row["units_ordered"] = "-1"  # a row the reader refuses
    _write(path, rows)
    stripped = [f"S{i}" for i, _, _ in ids]
    unique = len(set(stripped)) == len(stripped)
    assert columnar._unique_ids(path, "id") is unique
    expected = [(r.line, r.problems) for r in io.read(path, Shipment).rejected]
    with pytest.MonkeyPatch.context() as patch:
        if unique:
            patch.setattr(columnar._Seen, "add", lambda *_: pytest.fail("kept the ids seen"))
        activities, found = _columnar(path, batch)
    assert found == expected
    assert activities == summarize(io.stream(path, Shipment), as_of=AS_OF)


def test_a_parquet_id_column_that_is_not_text_goes_the_long_way(tmp_path):
    path = tmp_path / "s.parquet"
    pl.DataFrame({"id": [1, 2]}).write_parquet(path)
    assert columnar._unique_ids(path, "id") is False
    assert columnar._unique_ids(tmp_path / "missing.parquet", "id") is False
    assert columnar._unique_ids(path, "no_such_column") is False
