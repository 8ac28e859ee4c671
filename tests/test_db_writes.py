"""Scores written back under load: concurrent first runs and writers in opposite key order all
succeed with every row, a temporary schema is refused, the columns have real types, a run can
replace its snapshot, and the engines read database rows alike. Real PostgreSQL and SQLite."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest

import logicrm as lc
from logicrm import io
from logicrm.cli import main
from logicrm.domain import Shipment
from logicrm.errors import ValidationError
from logicrm.sample import sample_dataset
from test_db import _flat, _load, _pg

pytestmark = pytest.mark.filterwarnings("ignore::logicrm.errors.ColumnWarning")
AS_OF = datetime(2026, 6, 30, 18, tzinfo=UTC)
PAIRS = 20


def _rows(count: int) -> list[dict]:
    """``count`` assessment rows: the sample's, under customer ids C0000, C0001, ..."""
    data = sample_dataset()
    assessed = lc.assess_all(data.customers, lc.summarize(data.shipments, as_of=data.as_of),
                             as_of=data.as_of)  # fmt: skip
    template = [a.row() for a in assessed.values()]
    return [{**template[i % len(template)], "customer_id": f"C{i:04d}"} for i in range(count)]


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request, tmp_path):
    """A database to write to: (URI, a connection of the test's own, dialect)."""
    if request.param == "sqlite":
        path = tmp_path / "scores.db"
        connection = sqlite3.connect(path)
        yield f"sqlite:///{path}", connection, "sqlite"
    else:
        uri = request.getfixturevalue("pg_uri")
        connection = _pg(uri)
        yield uri, connection, "postgresql"
    connection.close()


def _count(connection, table: str) -> int:
    return connection.execute(f'SELECT count(DISTINCT customer_id) FROM "{table}"').fetchone()[0]


def _together(*writers) -> list[BaseException]:
    """Run the writers at the same moment in threads; the errors they raised."""
    barrier = threading.Barrier(len(writers))
    errors: list[BaseException] = []

    def run(write) -> None:
        barrier.wait()
        try:
            write()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(w,)) for w in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_concurrent_first_runs_all_succeed_with_every_row(target, capfd):
    uri, connection, _ = target
    rows = _rows(150)
    first, second = rows[:100], rows[50:]  # they overlap on 50 customers
    for pair in range(PAIRS):
        table = f"first_{pair}"
        errors = _together(
            lambda t=table: io.write_scores(uri, t, first, as_of=AS_OF),
            lambda t=table: io.write_scores(uri, t, second, as_of=AS_OF),
        )
        assert errors == []
        assert _count(connection, table) == 150
    out, err = capfd.readouterr()
    assert err == "" and out == ""  # no stray driver line


def test_writers_in_opposite_key_order_all_succeed_with_every_row(target, capfd):
    uri, connection, _ = target
    rows = _rows(400)
    io.write_scores(uri, "opposite", rows, as_of=AS_OF)
    for _ in range(PAIRS):
        errors = _together(
            lambda: io.write_scores(uri, "opposite", rows, as_of=AS_OF),
            lambda: io.write_scores(uri, "opposite", rows[::-1], as_of=AS_OF),
        )
        assert errors == []
    assert _count(connection, "opposite") == 400
    out, err = capfd.readouterr()
    assert err == "" and out == ""


@pytest.mark.parametrize("table", ["temp.scores", "TEMP.scores", "pg_temp.scores", "pg_temp_3.s"])
def test_a_temporary_schema_is_refused_as_an_output(target, table, capsys):
    uri, _, _ = target
    with pytest.raises(ValidationError, match="temporary"):
        io.write_scores(uri, table, _rows(3), as_of=AS_OF)
    code = main(["score", "--db", uri, "--query", "shipments=SELECT 1", "--as-of",
                 AS_OF.isoformat(), "--output-table", table])  # fmt: skip
    assert code == 2 and "temporary" in capsys.readouterr().err


def test_a_temporary_table_shadowing_the_output_is_refused(target):
    _, connection, _ = target
    connection.execute("CREATE TEMP TABLE scores (x int)")
    with pytest.raises(ValidationError, match="temporary"):
        io.write_scores(connection, "scores", _rows(3), as_of=AS_OF)


def test_the_columns_have_real_types_in_postgresql(pg_uri):
    io.write_scores(pg_uri, "typed_scores", _rows(3), as_of=AS_OF)
    connection = _pg(pg_uri)
    types = dict(
        connection.execute(
            "SELECT column_name, CASE WHEN data_type = 'numeric' THEN format('numeric(%s, %s)', "
            "numeric_precision, numeric_scale) ELSE data_type END FROM information_schema.columns "
            "WHERE table_name = 'typed_scores'"
        ).fetchall()
    )
    assert types["as_of"] == types["follow_up_due"] == "timestamp with time zone"
    for money in ("credit_limit", "cost_to_serve", "margin_after_service"):
        assert types[money] == "numeric(52, 34)"  # below 10^18, up to 34 places
    assert types["churn_flag"] == "boolean"


def test_a_due_time_is_stored_aware_in_both_databases(target):
    uri, connection, dialect = target
    rows = _rows(2)
    rows[0]["follow_up_due"] = "2026-07-01T09:30:00+08:00"
    io.write_scores(uri, "due", rows, as_of=AS_OF)
    stored = connection.execute(
        "SELECT follow_up_due, as_of FROM due ORDER BY customer_id"
    ).fetchall()
    due, as_of = stored[0]
    if dialect == "sqlite":
        due, as_of = datetime.fromisoformat(due), datetime.fromisoformat(as_of)
    assert due == datetime(2026, 7, 1, 1, 30, tzinfo=UTC) and as_of == AS_OF
    assert stored[1][0] is None


def test_a_replaced_snapshot_keeps_only_this_runs_customers(target):
    uri, connection, _ = target
    io.write_scores(uri, "snap", _rows(200), as_of=AS_OF)
    io.write_scores(uri, "snap", _rows(200), as_of=datetime(2026, 5, 31, tzinfo=UTC))
    io.write_scores(uri, "snap", _rows(100)[:10], as_of=AS_OF)  # an upsert keeps the 190
    assert _count(connection, "snap") == 200
    io.write_scores(uri, "snap", _rows(10), as_of=AS_OF, replace_snapshot=True)
    at = connection.execute(
        "SELECT count(*) FROM snap WHERE as_of = " + ("%s" if "postgres" in uri else "?"),
        (AS_OF if "postgres" in uri else AS_OF.isoformat(),),
    ).fetchone()
    assert at == (10,)
    total = connection.execute("SELECT count(*) FROM snap").fetchone()
    assert total == (210,)  # the other as_of untouched


def test_what_write_scores_stores_in_sqlite_reads_back_as_input(tmp_path):
    """INTEGER 0/1 flags, money as text and times as ISO 8601 with offset: the storage
    write_scores uses is read back by both engines, as a shipment table's columns."""
    uri = f"sqlite:///{tmp_path / 'back.db'}"
    rows = _rows(12)
    for i, row in enumerate(rows):
        row["churn_flag"] = i % 2 == 0
    io.write_scores(uri, "scores", rows, as_of=AS_OF)
    query = (
        "SELECT 'S' || customer_id AS id, customer_id, as_of AS ordered_at, as_of AS "
        'promised_at, cost_to_serve AS "revenue.amount", profit_currency AS '
        '"revenue.currency", cost_to_serve AS "cost.amount", profit_currency AS '
        '"cost.currency", 1 AS units_ordered, churn_flag AS stockout, unprofitable AS '
        "returned FROM scores"
    )
    read = io.read_db(uri, Shipment, query=query)
    assert read.rejected == ()
    assert [s.stockout for s in read.ok] == [r["churn_flag"] for r in rows]
    assert {s.ordered_at for s in read.ok} == {AS_OF}
    assert [s.revenue.amount for s in read.ok] == [r["cost_to_serve"] for r in rows]


def test_integer_flags_read_as_booleans_by_both_engines(tmp_path, capsys):
    path = tmp_path / "flags.db"
    connection = sqlite3.connect(path)
    rows = _flat(sample_dataset().shipments[:300])
    _load(connection, "text_flags", rows, postgres_=False)
    flags = ("invoice_error", "stockout", "substituted", "rerouted", "returned")
    names = [row[1] for row in connection.execute("PRAGMA table_info(text_flags)")]
    columns = ", ".join(f'"{n}" {"INTEGER" if n in flags else "TEXT"}' for n in names)
    connection.execute(f"CREATE TABLE int_flags ({columns})")
    cells = ", ".join(
        f"CASE \"{n}\" WHEN 'true' THEN 1 WHEN 'false' THEN 0 END" if n in flags else f'"{n}"'
        for n in names
    )
    connection.execute(f"INSERT INTO int_flags SELECT {cells} FROM text_flags")
    connection.commit()
    assert connection.execute("SELECT typeof(stockout) FROM int_flags LIMIT 1").fetchone() == (
        "integer",
    )
    outputs = set()
    for table in ("text_flags", "int_flags"):
        for engine in ("columnar", "python"):
            code = main(["score", "--db", f"sqlite:///{path}", "--table", f"shipments={table}",
                         "--as-of", AS_OF.isoformat(), "--engine", engine, "--format", "csv",
                         "--no-progress", "--rejects", str(tmp_path / "r.jsonl")])  # fmt: skip
            out, err = capsys.readouterr()
            assert code == 0, err
            assert "rejected" not in err
            outputs.add(out)
    assert len(outputs) == 1


def test_the_engines_agree_on_sqlite_values_of_the_wrong_storage_class(tmp_path, capsys):
    path = tmp_path / "classes.db"
    connection = sqlite3.connect(path)
    rows = _flat(sample_dataset().shipments[:11])
    _load(connection, "plain", rows, postgres_=False)
    names = [row[1] for row in connection.execute("PRAGMA table_info(plain)")]
    typed = {"units_ordered": "INTEGER", "revenue.amount": "NUMERIC"}
    columns = ", ".join(f'"{n}" {typed.get(n, "TEXT")}' for n in names)
    connection.execute(f"CREATE TABLE odd ({columns})")
    connection.execute("INSERT INTO odd SELECT * FROM plain")
    connection.execute("UPDATE odd SET id = CAST(id AS BLOB) WHERE rowid = 3")
    connection.execute("UPDATE odd SET units_ordered = 2.5 WHERE rowid = 6")  # stays REAL
    connection.execute("UPDATE odd SET units_ordered = x'00ff' WHERE rowid = 9")
    assert connection.execute("SELECT typeof(units_ordered) FROM odd").fetchall()[5] == ("real",)
    connection.commit()
    results = {}
    for engine in ("columnar", "python"):
        rejects = tmp_path / f"{engine}.jsonl"
        code = main(["score", "--db", f"sqlite:///{path}", "--table", "shipments=odd",
                     "--as-of", AS_OF.isoformat(), "--engine", engine, "--format", "csv",
                     "--no-progress", "--rejects", str(rejects)])  # fmt: skip
        out, err = capsys.readouterr()
        assert code == 0, err
        assert "3 rows rejected" in err
        results[engine] = (out, rejects.read_text())
    assert results["columnar"] == results["python"]
    lines = [line for line in results["python"][1].splitlines() if line]
    assert [json.loads(line)["line"] for line in lines] == [3, 6, 9]


def test_scores_are_exact_in_postgresql(pg_uri):
    rows = _rows(3)
    rows[0]["cost_to_serve"] = Decimal("999999999999999999.9999999999999999")  # at the bound
    io.write_scores(pg_uri, "exact", rows, as_of=AS_OF)
    stored = (
        _pg(pg_uri)
        .execute("SELECT cost_to_serve FROM exact ORDER BY customer_id LIMIT 1")
        .fetchone()[0]
    )
    assert stored == Decimal("999999999999999999.9999999999999999")


def test_a_drivers_small_arrow_batches_are_regrouped_whole_and_in_order():
    pa = pytest.importorskip("pyarrow")
    from logicrm._engine._batches import _regrouped

    sizes = [3, 3, 0, 3, 1]
    start = [sum(sizes[:i]) for i in range(len(sizes))]
    batches = [
        pa.RecordBatch.from_arrays(
            [
                pa.array(range(s, s + n), pa.int64()),
                pa.array([f"v{i}" for i in range(s, s + n)], pa.string()),
            ],
            names=["n", "text"],
        )
        for s, n in zip(start, sizes, strict=True)
    ]
    groups = list(_regrouped(batches, 5))
    assert [g.num_rows for g in groups] == [6, 4]  # whole batches, about 5 rows at a time
    assert [v for g in groups for v in g.column("n").to_pylist()] == list(range(10))
    assert groups[1].column("text").to_pylist() == ["v6", "v7", "v8", "v9"]
    assert list(_regrouped([], 5)) == []


@pytest.mark.parametrize(
    ("kind", "amounts"),
    [
        ("numeric(14, 2)", ["12.50", "1.00", "-3.25", "1000000.00"]),  # one scale: decimals
        ("numeric", ["12.5", "1.250", "3", "0.001"]),  # places differ: read as text
        ("numeric", ["12.50", "NaN", "1.00", "2.00"]),  # a NaN: refused by both
        ("numeric", ["12.50", "1000000000000000000.00", "1.00", "2.00"]),  # beyond the bounds
    ],
    ids=["one scale", "mixed places", "nan", "too large"],
)
def test_postgresql_numeric_reads_alike_in_both_engines(pg_uri, kind, amounts):
    from logicrm._engine._columnar import summarize_db
    from logicrm._readers._db import Source

    rows = _flat(sample_dataset().shipments[:4])
    for row, amount in zip(rows, amounts, strict=True):
        row["revenue.amount"] = amount
    connection = _pg(pg_uri)
    _load(connection, "numeric_text", rows, postgres_=True)
    cells = ", ".join(
        f'"{c}"::{kind} AS "{c}"' if c == "revenue.amount" else f'"{c}"' for c in rows[0]
    )
    connection.execute("DROP TABLE IF EXISTS numeric_money")
    connection.execute(f"CREATE TABLE numeric_money AS SELECT {cells} FROM numeric_text")
    columnar, python = [], []
    got = summarize_db(
        pg_uri, Source(table="numeric_money"), as_of=AS_OF, on_reject=columnar.append
    )
    expected = lc.summarize(
        io.stream_db(pg_uri, Shipment, table="numeric_money", on_reject=python.append),
        as_of=AS_OF,
    )
    assert got == expected
    # The same rows refused for the same field (the drivers quote a NaN as 'nan' / 'NaN').
    assert [(r.line, r.column) for r in columnar] == [(r.line, r.column) for r in python]
    assert len(python) == sum(a in ("NaN", "1000000000000000000.00") for a in amounts)


def test_a_writer_that_stays_locked_out_is_reported_after_bounded_tries(tmp_path, monkeypatch):
    import logicrm._readers._db as db
    import logicrm._readers._db_write as db_write
    from logicrm.errors import ReadError

    monkeypatch.setattr(db, "LOCK_WAIT_SECONDS", 0.05)
    monkeypatch.setattr(db_write, "WRITE_ATTEMPTS", 3)
    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer, holding the lock throughout
    with pytest.raises(ReadError, match="locked; tried 3 times"):
        io.write_scores(f"sqlite:///{path}", "scores", _rows(3), as_of=AS_OF)
    holder.execute("ROLLBACK")
    assert io.write_scores(f"sqlite:///{path}", "scores", _rows(3), as_of=AS_OF) == 3
    holder.close()


def test_output_table_alone_takes_the_rows_only_fast_path(tmp_path, monkeypatch, capsys):
    import logicrm.cli._run as run
    from logicrm.sample import write_sample

    seen = []
    original = run.score

    def spy(*args, **kwargs):
        seen.append(kwargs["rows_only"])
        return original(*args, **kwargs)

    monkeypatch.setattr(run, "score", spy)
    files = write_sample(tmp_path / "sample")
    uri = f"sqlite:///{tmp_path / 'out.db'}"
    base = ["score", str(files["shipments"]), "--as-of", AS_OF.isoformat(), "--no-progress",
            "--rejects", str(tmp_path / "r.jsonl")]  # fmt: skip
    assert main([*base, "--db", uri, "--output-table", "scores"]) == 0
    assert (
        main([*base, "--db", uri, "--output-table", "scores", "-o", str(tmp_path / "t.txt")]) == 0
    )
    assert main(base) == 0
    capsys.readouterr()
    assert seen == [True, False, False]  # the terminal table alone needs whole assessments
