"""Straight from the TMS database: every input kind read from PostgreSQL and SQLite with the
files' rules, scores written back in one transaction, and no password ever shown. The
PostgreSQL server is real (Debian's package, started by ``tests/postgres.py``); no mock stands
in for either database."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

import postgres
from logicrm import io
from logicrm.cli import main
from logicrm.domain import Complaint, CreditProfile, Customer, Shipment
from logicrm.errors import ReadError, ValidationError
from logicrm.io import _flatten
from logicrm.sample import sample_dataset, write_sample
from logicrm.serialization import to_dict

pytestmark = pytest.mark.filterwarnings("ignore::logicrm.errors.ColumnWarning")
AS_OF = "2026-06-30T18:00:00+00:00"


def _pg(uri: str):
    import psycopg

    return psycopg.connect(uri, autocommit=True)


def _load(connection, table: str, rows: list[dict], *, postgres_: bool) -> None:
    """A table of text columns holding ``rows`` (a TMS keeps everything as text often enough)."""
    columns = list(dict.fromkeys(c for row in rows for c in row))
    quoted = ", ".join(f'"{c}" TEXT' for c in columns)
    mark = "%s" if postgres_ else "?"
    cursor = connection.cursor()
    cursor.execute(f'DROP TABLE IF EXISTS "{table}"')
    cursor.execute(f'CREATE TABLE "{table}" ({quoted})')
    cells = [
        tuple(None if row.get(c) is None else _text(row.get(c)) for c in columns) for row in rows
    ]
    names = ", ".join(f'"{c}"' for c in columns)
    cursor.executemany(
        f'INSERT INTO "{table}" ({names}) VALUES ({", ".join([mark] * len(columns))})', cells
    )
    if not postgres_:
        connection.commit()


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _flat(records) -> list[dict]:
    """Rows as a table holds them: nested objects flattened to columns, lists and mappings
    (statements, ratings) as JSON text."""
    rows = []
    for record in records:
        data = to_dict(record)
        ratings = data.pop("ratings", None)
        row = _flatten(data)
        if ratings is not None:
            row["ratings"] = json.dumps(ratings)
        rows.append(row)
    return rows


KINDS = [
    ("customers", Customer, lambda d: d.customers),
    ("shipments", Shipment, lambda d: d.shipments),
    ("complaints", Complaint, lambda d: d.complaints),
    ("credit_profiles", CreditProfile, lambda d: d.credit_profiles),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    """A loaded database of the sample, as (URI, open connection, dialect)."""
    data = sample_dataset()
    if request.param == "sqlite":
        uri = f"sqlite:///{tmp_path / 'tms.db'}"
        connection = sqlite3.connect(tmp_path / "tms.db")
    else:
        uri = request.getfixturevalue("pg_uri")
        connection = _pg(uri)
    for table, _, records in KINDS:
        _load(connection, table, _flat(records(data)), postgres_=request.param == "postgresql")
    yield uri, connection, request.param
    connection.close()


@pytest.mark.parametrize(("table", "cls", "records"), KINDS, ids=[k[0] for k in KINDS])
def test_every_input_kind_reads_from_a_table_as_from_a_file(database, table, cls, records):
    uri, connection, _ = database
    expected = list(records(sample_dataset()))
    assert list(io.read_db(uri, cls, table=table).ok) == expected
    assert list(io.read_db(connection, cls, table=table).ok) == expected  # an open connection


def test_a_query_with_parameters_and_a_mapping(database):
    uri, connection, dialect = database
    mark = "%s" if dialect == "postgresql" else "?"
    cursor = connection.cursor()
    cursor.execute('DROP TABLE IF EXISTS "clients"')
    cursor.execute('CREATE TABLE "clients" (code TEXT, company TEXT, category TEXT, active TEXT)')
    cursor.executemany(
        f"INSERT INTO clients VALUES ({mark}, {mark}, {mark}, {mark})",
        [("K1", "Acme", "enterprise", "y"), ("K2", "Beta", "enterprise", "n")],
    )
    if dialect == "sqlite":
        connection.commit()
    mapping = io.ColumnMapping(columns={"id": "code", "name": "company", "kind": "category"})
    result = io.read_db(
        uri,
        Customer,
        query=f"SELECT * FROM clients WHERE active = {mark}",
        params=("y",),
        mapping=mapping,
    )
    assert [c.id for c in result.ok] == ["K1"]


def test_rejected_rows_are_named_by_their_key(database):
    uri, connection, dialect = database
    rows = _flat(sample_dataset().shipments[:3])
    rows[1]["units_damaged"] = "999"
    rows[2]["id"] = rows[0]["id"]
    _load(connection, "bad_shipments", rows, postgres_=dialect == "postgresql")
    result = io.read_db(uri, Shipment, table="bad_shipments")
    assert len(result.ok) == 1
    assert [(r.line, r.key, r.column) for r in result.rejected] == [
        (2, rows[1]["id"], "units_damaged"),
        (3, rows[0]["id"], "id"),
    ]
    assert result.rejected[1].reason == "duplicate of row 1"


def test_a_table_name_cannot_inject_sql(database):
    uri, _connection, _ = database
    for name in ("shipments; DROP TABLE customers", 'shipments" --', "1abc", "a.b.c", ""):
        with pytest.raises(ValidationError, match="table"):
            io.read_db(uri, Shipment, table=name)
    assert len(io.read_db(uri, Customer, table="customers").ok) == len(sample_dataset().customers)


def test_a_missing_table_is_one_read_error(database):
    uri, _, _ = database
    with pytest.raises(ReadError, match="no_such_table"):
        io.read_db(uri, Shipment, table="no_such_table")


def _score(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(["score", "--as-of", AS_OF, "--no-progress", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _scores(connection, table: str = "scores") -> list[tuple]:
    cursor = connection.cursor()
    cursor.execute(f'SELECT * FROM "{table}" ORDER BY customer_id, as_of')
    return cursor.fetchall()


@pytest.mark.parametrize("engine", ["columnar", "python"])
def test_scores_go_back_to_the_database_as_the_file_path_writes_them(
    database, tmp_path, capsys, engine
):
    uri, connection, _dialect = database
    files = write_sample(tmp_path / "files")
    by_file = tmp_path / "by_file.jsonl"
    code, _, _ = _score(
        [str(files["shipments"]), "--customers", str(files["customers"]), "-o", str(by_file)],
        capsys,
    )
    assert code == 0
    code, _, err = _score(
        ["--db", uri, "--table", "shipments=shipments", "--table", "customers=customers",
         "--output-table", "scores", "--engine", engine],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    assert "12 scores written to table scores" in err
    expected = [json.loads(line) for line in by_file.read_text().splitlines()]
    stored = _scores(connection)
    assert len(stored) == len(expected)
    cursor = connection.cursor()
    cursor.execute('SELECT * FROM "scores" LIMIT 0')
    names = [d[0] for d in cursor.description]
    for row, want in zip(stored, sorted(expected, key=lambda r: r["customer_id"]), strict=True):
        got = dict(zip(names, row, strict=True))
        assert got.pop("as_of") in (datetime.fromisoformat(AS_OF), AS_OF)
        for key, value in want.items():
            if key in ("credit_limit", "cost_to_serve", "margin_after_service") and value:
                assert Decimal(str(got[key])) == Decimal(value)  # exact: NUMERIC or text
            elif isinstance(value, bool):
                assert bool(got[key]) is value
            else:
                assert got[key] == value, key
    # Scored again at the same as_of: upserted, not doubled.
    code, _, err = _score(
        ["--db", uri, "--table", "shipments=shipments", "--output-table", "scores"], capsys
    )
    assert code == 0, err
    assert len(_scores(connection)) == len(expected)


def test_an_existing_table_of_another_shape_is_refused_by_name(database, capsys):
    uri, connection, dialect = database
    cursor = connection.cursor()
    cursor.execute('DROP TABLE IF EXISTS "odd_scores"')
    cursor.execute('CREATE TABLE "odd_scores" (customer_id TEXT, tier TEXT, colour TEXT)')
    if dialect == "sqlite":
        connection.commit()
    code, _, err = _score(
        ["--db", uri, "--table", "shipments=shipments", "--output-table", "odd_scores"], capsys
    )
    assert code == 2
    assert "odd_scores" in err and "missing as_of" in err and "unexpected colour" in err
    assert "Traceback" not in err


def test_the_engines_agree_on_a_table_with_bad_rows(database, tmp_path, capsys):
    uri, connection, dialect = database
    rows = _flat(sample_dataset().shipments[:200])
    rows[3]["ordered_at"] = "yesterday"
    rows[7]["revenue.amount"] = " 12.50 "
    rows[9]["id"] = rows[8]["id"]
    _load(connection, "mixed", rows, postgres_=dialect == "postgresql")
    outputs = {}
    for engine in ("columnar", "python"):
        out = tmp_path / f"{engine}.csv"
        rejects = tmp_path / f"{engine}_rejects.jsonl"
        code, _, err = _score(
            ["--db", uri, "--table", "shipments=mixed", "--engine", engine, "-o", str(out),
             "--rejects", str(rejects)],
            capsys,
        )  # fmt: skip
        assert code == 0, err
        outputs[engine] = (out.read_text(), rejects.read_text(), err)
    assert outputs["columnar"][:2] == outputs["python"][:2]
    assert "table mixed key" in outputs["python"][2]


def test_no_password_is_ever_shown(pg_uri, tmp_path, capsys):
    secret = postgres.PASSWORD
    wrong = pg_uri.replace(secret, "not-the-password-9876")
    attempts = [
        ["--db", pg_uri, "--table", "shipments=no_such_table"],
        ["--db", pg_uri, "--query", "shipments=SELEC broken"],
        ["--db", wrong, "--table", "shipments=shipments"],
        ["--db", pg_uri.replace("postgresql", "mysql"), "--table", "shipments=shipments"],
        ["--db", pg_uri, "--table", "shipments=x; DROP TABLE y"],
    ]
    for args in attempts:
        code, out, err = _score([*args, "--rejects", str(tmp_path / "r.jsonl")], capsys)
        assert code == 2, err
        text = out + err
        assert secret not in text and "not-the-password-9876" not in text, text
        assert "Traceback" not in text


def test_the_uri_can_come_from_the_environment(database, capsys, monkeypatch):
    uri, _, _ = database
    monkeypatch.setenv("LOGICRM_DB_URL", uri)
    code, out, err = _score(["--table", "shipments=shipments", "--format", "csv"], capsys)
    assert code == 0, err
    assert out.startswith("customer_id,")


def test_an_interrupted_write_leaves_the_previous_scores_intact(pg_uri, tmp_path):
    """A writer killed in the middle of its transaction commits nothing."""
    import psycopg

    connection = _pg(pg_uri)
    rows = [
        {
            "id": f"S{i}",
            "customer_id": f"C{i % 60_000}",
            "ordered_at": "2026-01-01T00:00:00+00:00",
            "promised_at": "2026-01-02T00:00:00+00:00",
            "revenue.amount": "10.00",
            "revenue.currency": "CNY",
            "cost.amount": "5.00",
            "cost.currency": "CNY",
            "units_ordered": "1",
        }
        for i in range(60_000)
    ]
    _load(connection, "many", rows, postgres_=True)
    command = [
        sys.executable, "-m", "logicrm", "score", "--db", pg_uri, "--table", "shipments=many",
        "--as-of", AS_OF, "--output-table", "kept", "--no-progress",
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True)
    before = _scores(connection, "kept")
    assert len(before) == 60_000
    connection.execute("UPDATE many SET \"revenue.amount\" = '20.00'")
    process = subprocess.Popen(
        [*command[:-2], "--output-table", "kept", "--progress"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert process.stderr is not None
    for line in process.stderr:
        if "writing" in line:
            break
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # until its transaction has rows in flight
        busy = connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE "
            "'INSERT INTO \"kept\"%%'"
        ).fetchone()
        if busy and busy[0]:
            break
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    time.sleep(0.5)
    assert _scores(connection, "kept") == before
    with psycopg.connect(pg_uri) as fresh:
        count = fresh.execute('SELECT count(*) FROM "kept"').fetchone()
    assert count == (60_000,)


def test_the_database_tutorial_runs_as_written(pg_uri, tmp_path):
    import re

    page = Path(__file__).parents[1] / "docs" / "tutorial-tms-database.md"
    blocks = re.findall(r"```(\w+)\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    env = {
        **os.environ,
        "LOGICRM_DB_URL": pg_uri,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    said, shown = [], []
    connection = _pg(pg_uri)
    for language, code in blocks:
        if language == "sql":
            cursor = connection.execute(code)
            if cursor.description:
                shown = cursor.fetchall()
        elif language == "toml":
            target = tmp_path / code.splitlines()[0].removeprefix("# ").strip()
            target.write_text(code, encoding="utf-8")
        elif language == "bash" and not code.startswith("export"):
            done = subprocess.run(
                ["bash", "-e", "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
            )
            assert done.returncode == 0, done.stderr
            said.append(done.stderr)
    assert "12 scores written to table logicrm_demo.customer_scores" in said[-2]
    assert "12 customers assessed" in said[-2]
    assert "12 scores written to table customer_scores" in said[-1]  # the SQLite block
    assert postgres.PASSWORD not in "".join(said)
    assert shown and all(tier for _, _, tier, abc, _, _ in shown for _ in [abc])
    assert {row[3] for row in shown} == {"A"}
    stored = connection.execute("SELECT count(*) FROM logicrm_demo.customer_scores").fetchone()
    assert stored == (12,)
    assert all("DROP" not in code.upper() for _, code in blocks)  # no TMS table dropped

    # The crontab line, as cron runs it: sh, a short PATH, no LOGICRM_DB_URL of its own.
    (line,) = [code for language, code in blocks if language == "text"]
    command = line.split(None, 5)[5].strip()
    user_uri = pg_uri.replace(f":{postgres.PASSWORD}@", "@")
    for mine, theirs in (
        ("postgresql://tms@db.internal/tms", user_uri),
        ("/opt/logicrm/.venv/bin/logicrm", str(Path(sys.executable).parent / "logicrm")),
        ("/etc/logicrm/mapping.toml", str(tmp_path / "nightly" / "mapping.toml")),
        ("/var/lib/logicrm/rejects.jsonl", str(tmp_path / "cron-rejects.jsonl")),
        ("\\%", "%"),
    ):
        assert mine in command
        command = command.replace(mine, theirs)
    cron = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PGPASSWORD": postgres.PASSWORD}
    done = subprocess.run(["sh", "-c", command], env=cron, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "12 scores written to table logicrm_demo.customer_scores" in done.stderr
    dates = connection.execute(
        "SELECT DISTINCT as_of FROM logicrm_demo.customer_scores ORDER BY 1"
    ).fetchall()
    assert len(dates) == 2 and dates[-1][0].microsecond == 999_999  # the end of yesterday


def test_typed_postgresql_columns_are_read_vectorised_and_alike(pg_uri, tmp_path):
    """numeric and timestamptz columns, as a TMS types them: the columnar engine reads every
    valid row itself (none sent to the object path) and agrees with the object path."""

    from logicrm._engine._batches import _arrow_batches
    from logicrm._engine._cells import _standardise
    from logicrm._engine._columnar import summarize_db
    from logicrm._readers._db import Source, adbc_batches
    from logicrm.scoring import summarize

    files = write_sample(tmp_path / "files")
    columns = [
        ("id", "text"), ("customer_id", "text"), ("ordered_at", "timestamptz"),
        ("promised_at", "timestamptz"), ("revenue.amount", "numeric(14, 2)"),
        ("revenue.currency", "text"), ("cost.amount", "numeric(14, 2)"),
        ("cost.currency", "text"), ("units_ordered", "integer"), ("units_delivered", "integer"),
        ("units_damaged", "integer"), ("shipped_at", "timestamptz"),
        ("delivered_at", "timestamptz"), ("invoice_error", "boolean"), ("stockout", "boolean"),
        ("substituted", "boolean"), ("rerouted", "boolean"), ("returned", "boolean"),
    ]  # fmt: skip
    with _pg(pg_uri) as connection:
        connection.execute("DROP TABLE IF EXISTS typed")
        connection.execute(
            "CREATE TABLE typed (" + ", ".join(f'"{n}" {t}' for n, t in columns) + ")"
        )
        with connection.cursor().copy(
            "COPY typed FROM STDIN WITH (FORMAT csv, HEADER true)"
        ) as copy:
            copy.write(files["shipments"].read_bytes())
    source = Source(table="typed")
    manager = adbc_batches(pg_uri, source)
    assert manager is not None
    with manager as (_, batches):
        frames = [_standardise(b.frame, io.ColumnMapping()) for b in _arrow_batches(batches)]
    assert all(f["__ok"].all() for f in frames) and sum(f.height for f in frames) == 1500
    as_of = datetime(2026, 6, 30, 18, tzinfo=UTC)
    expected = summarize(io.stream_db(pg_uri, Shipment, table="typed"), as_of=as_of)
    assert summarize_db(pg_uri, source, as_of=as_of) == expected


def test_the_worklist_feed_is_upserted_on_its_ids_and_reads_back_unchanged(database):
    """The feed through the scores' writer, keyed on the item id: every id, owner and due
    time back as written; written again a day later, still-open items are updated in place,
    and the last run's rows are the newest; the task-state log reads from a table too."""
    import logicrm as lc
    from logicrm._feed import read_feed
    from logicrm.retention import TaskState

    uri, connection, dialect = database
    data = sample_dataset()
    owners = lc.OwnerPolicy(by_tier={"large": "AM-1"}, default_capacity=3)

    def feed(as_of):
        results = lc.assess_all(data.customers, lc.summarize(data.shipments, as_of=as_of),
                                as_of=as_of, inputs=data.inputs())  # fmt: skip
        return lc.worklist(results, owners=owners, customers=data.customers).everything()

    monday = feed(data.as_of)
    assert io.write_worklist(uri, "tasks", monday, as_of=data.as_of) == len(monday)
    back = read_feed("tasks", database=uri)
    assert sorted(r["id"] for r in back) == sorted(i.id for i in monday)
    by_id = {r["id"]: r for r in back}
    for item in monday:
        row = by_id[item.id]
        due = row["due_at"]
        assert (due if isinstance(due, datetime) else datetime.fromisoformat(due)) == item.due_at
        assert row["owner"] == item.owner and row["task"] == item.task.value
    tuesday = feed(data.as_of + timedelta(days=1))
    io.write_worklist(uri, "tasks", tuesday, as_of=data.as_of + timedelta(days=1))
    cursor = connection.cursor()
    cursor.execute('SELECT COUNT(*), COUNT(DISTINCT "id") FROM "tasks"')
    total, distinct = cursor.fetchone()
    assert total == distinct == len({i.id for i in (*monday, *tuesday)})
    assert sorted(r["id"] for r in read_feed("tasks", database=uri)) == sorted(
        i.id for i in tuesday
    )
    # the task-state log, from a table
    state = TaskState(
        task_id=monday[0].id,
        customer_id=monday[0].customer_id,
        at=data.as_of,
        state="snoozed",
        until=data.as_of + timedelta(days=3),
    )
    _load(connection, "task_states", _flat([state]), postgres_=dialect == "postgresql")
    read = io.read_db(uri, TaskState, table="task_states")
    assert read.ok == (state,) and not read.rejected
