"""Batches that build many objects pause Python's cyclic garbage collector, and give it back.

The pause is a speed rule (the records a batch builds form no cycles, so collections during it
free nothing); these tests prove the collector is off while a batch runs and restored after,
on errors, when nested and across threads.
"""

from __future__ import annotations

import gc
import sqlite3
import threading
from collections.abc import Iterator

import pytest

import logicrm as lc
from logicrm import io
from logicrm.domain import Shipment
from logicrm.domain._collector import collector_paused
from logicrm.sample import sample_dataset


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


@pytest.fixture
def eager_collector(collector_on: None) -> Iterator[list[int]]:
    """The collector on with a tiny threshold, and the generation of every collection it
    starts while the test runs."""
    threshold = gc.get_threshold()
    started: list[int] = []

    def record(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(info["generation"])

    gc.set_threshold(10, 10, 10)
    gc.callbacks.append(record)
    yield started
    gc.callbacks.remove(record)
    gc.set_threshold(*threshold)


def test_off_inside_and_on_again_after(collector_on: None) -> None:
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_on_again_after_an_error(collector_on: None) -> None:
    with pytest.raises(KeyError), collector_paused():
        raise KeyError("x")
    assert gc.isenabled()


def test_a_collector_the_program_switched_off_stays_off(collector_on: None) -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_nested_batches_restore_only_when_the_outer_ends(collector_on: None) -> None:
    with collector_paused():
        with collector_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_batch_ending_in_one_thread_leaves_another_threads_batch_paused(
    collector_on: None,
) -> None:
    first_inside, second_inside, first_done = (threading.Event() for _ in range(3))
    seen: list[bool] = []

    def first() -> None:
        with collector_paused():
            first_inside.set()
            second_inside.wait(5)
        first_done.set()

    def second() -> None:
        first_inside.wait(5)
        with collector_paused():
            second_inside.set()
            first_done.wait(5)
            seen.append(gc.isenabled())  # the first batch has ended; this one has not

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == [False]
    assert gc.isenabled()


def test_assess_all_runs_with_the_collector_paused(collector_on: None) -> None:
    data = sample_dataset()
    while_pulled: list[bool] = []

    def customers() -> Iterator[lc.Customer]:
        for customer in data.customers:
            while_pulled.append(gc.isenabled())
            yield customer

    activities = lc.summarize(data.shipments, as_of=data.as_of)
    results = lc.assess_all(customers(), activities, as_of=data.as_of, inputs=data.inputs())
    assert len(results) == len(data.customers) == len(while_pulled)
    assert not any(while_pulled)
    assert gc.isenabled()


def test_reading_a_file_starts_no_collection(tmp_path, eager_collector: list[int]) -> None:
    path = tmp_path / "shipments.csv"
    shipments = sample_dataset().shipments[:300]
    io.write(path, shipments, spreadsheet_safe=False)
    eager_collector.clear()
    result = io.read(path, Shipment)
    # At most the one collection the first allocation after the read starts; reading 300
    # rows with the collector running and this threshold starts dozens.
    assert len(eager_collector) <= 1
    assert list(result.ok) == list(shipments)
    assert gc.isenabled()


def test_reading_a_table_starts_no_collection(tmp_path, eager_collector: list[int]) -> None:
    database = tmp_path / "tms.db"
    shipments = sample_dataset().shipments[:300]
    csv_path = tmp_path / "shipments.csv"
    io.write(csv_path, shipments, spreadsheet_safe=False)
    connection = sqlite3.connect(database)
    header, *rows = csv_path.read_text(encoding="utf-8").splitlines()
    columns = header.split(",")
    connection.execute(f"create table shipments ({', '.join(f'[{c}]' for c in columns)})")
    connection.executemany(
        f"insert into shipments values ({', '.join('?' * len(columns))})",
        [row.split(",") for row in rows],
    )
    connection.commit()
    eager_collector.clear()
    result = io.read_db(connection, Shipment, table="shipments")
    assert len(eager_collector) <= 1
    assert list(result.ok) == list(shipments)
    connection.close()


def test_the_same_reading_with_the_collector_running_would_collect(
    tmp_path, eager_collector: list[int]
) -> None:
    """The measure above can fail: reading row by row outside a batch collects many times."""
    path = tmp_path / "shipments.csv"
    io.write(path, sample_dataset().shipments[:300], spreadsheet_safe=False)
    eager_collector.clear()
    rows = list(io.stream(path, Shipment))
    assert len(rows) == 300
    assert len(eager_collector) > 5
