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
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import postgres
from logicrm import io
from logicrm._readers._db import Source
from logicrm.cli import main
from logicrm.domain import (
    Complaint,
    CreditProfile,
    Customer,
    Interaction,
    Invoice,
    Money,
    ServiceStandard,
    Shipment,
    SpendEstimate,
    SurveyResponse,
)
from logicrm.errors import ReadError, ValidationError
from logicrm.io import _flatten
from logicrm.retention import TaskState
from logicrm.sample import SAMPLE_STANDARDS, sample_dataset, write_sample
from logicrm.serialization import to_dict

pytestmark = pytest.mark.filterwarnings("ignore::logicrm.errors.ColumnWarning")
AS_OF = "2026-06-30T18:00:00+00:00"


def _pg(uri: str):
    import psycopg

    return psycopg.connect(uri, autocommit=True)


def _load(
    connection, table: str, rows: list[dict], *, postgres_: bool, types: dict | None = None
) -> None:
    """A table of text columns holding ``rows`` (a TMS keeps everything as text often enough),
    or of the column ``types`` given (the server reads each text value as its column's type).
    Bytes stay bytes: a BLOB in SQLite."""
    columns = list(dict.fromkeys(c for row in rows for c in row))
    quoted = ", ".join(f'"{c}" {(types or {}).get(c, "TEXT")}' for c in columns)
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


def _text(value) -> str | bytes:
    if isinstance(value, bytes):
        return value
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
    from logicrm._readers._db import Source
    from logicrm._readers._db_arrow import adbc_batches
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


# -- the columnar engine's reads: every input kind through ADBC and Arrow, to the same records --


def _long_form(responses) -> list[dict]:
    """Survey responses as a table holds them: one row per answer, the response's columns
    repeated, its importance weights as JSON."""
    rows = []
    for response in responses:
        data = to_dict(response)
        answers = data.pop("answers")
        base = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in data.items()}
        rows += [{**base, **answer} for answer in answers]
    return rows


_INVOICES = tuple(
    Invoice(id=f"F{i}", customer_id=f"C0000{i % 5}", issued_on=date(2026, 5, 1),
            due_on=date(2026, 5, 31), amount=Money(Decimal(f"{900 + i}.50"), "CNY"),
            paid_on=None if i % 2 else date(2026, 5, 20))
    for i in range(8)
)  # fmt: skip
_STATES = tuple(
    TaskState(task_id=f"visit-{i:016x}", customer_id=f"C0000{i % 5}",
              at=datetime(2026, 6, 1, tzinfo=UTC) + timedelta(hours=i), state="snoozed",
              until=datetime(2026, 6, 9, tzinfo=UTC))
    for i in range(6)
)  # fmt: skip
# Each input kind: its records, its rows as a table holds them, and a cell the server takes
# in a typed column but the library refuses.
EVERY_KIND = {
    "customers": (Customer, lambda d: d.customers, ("kind", "martian")),
    "shipments": (Shipment, lambda d: d.shipments[:300], ("revenue.amount", "NaN")),
    "credit_profiles": (CreditProfile, lambda d: d.credit_profiles, ("limit.amount", "NaN")),
    "invoices": (Invoice, lambda d: _INVOICES, ("amount.amount", "-Infinity")),
    "complaints": (Complaint, lambda d: d.complaints, ("channel", "martian")),
    "surveys": (SurveyResponse, lambda d: d.survey_responses, ("expectation", "99")),
    "standards": (ServiceStandard, lambda d: SAMPLE_STANDARDS, ("target", "-1")),
    "interactions": (Interaction, lambda d: d.interactions, ("channel", "martian")),
    "spend_estimates": (SpendEstimate, lambda d: d.spend_estimates, ("annual_spend.amount", "-1")),
    "task_states": (TaskState, lambda d: _STATES, ("state", "martian")),
}
_SQL_TYPES = {
    "int": "bigint", "decimal": "numeric", "datetime": "timestamptz", "date": "date",
    "bool": "boolean", "float": "double precision", "json": "jsonb",
}  # fmt: skip


def _kind_table(connection, dialect: str, kind: str) -> tuple[str, list]:
    """The kind's sample rows in a table ``every_<kind>``, typed in PostgreSQL as a TMS types
    them (numeric, timestamptz, boolean, jsonb...), all text in SQLite, with bad rows: row 2
    holds a cell the library refuses, row 3 (SQLite) a BLOB where text belongs, and the last
    row repeats one read before (a duplicate where the kind has a key)."""
    from logicrm._readers._plan import _Reader

    cls, records, (column, bad) = EVERY_KIND[kind]
    expected = list(records(sample_dataset()))
    rows = _long_form(expected) if cls is SurveyResponse else _flat(expected)
    rows[1][column] = bad
    if dialect == "sqlite":
        rows[2][column] = b"\x00blob"
    first = rows[0]
    if cls is SurveyResponse:  # a response the bad rows leave whole: the second one's first
        first = next(r for r in rows if r["respondent_id"] != first["respondent_id"])
    rows.append(dict(first))
    reader = _Reader(cls, io.ColumnMapping(), long_form=cls is SurveyResponse)
    types = {c: _SQL_TYPES.get(k, "text") for _, k, c in reader._plan}
    postgres_ = dialect == "postgresql"
    _load(
        connection, f"every_{kind}", rows, postgres_=postgres_, types=types if postgres_ else None
    )
    return f"every_{kind}", expected


def _read_both_ways(
    uri: str, cls, source: Source, folder: Path, ways=(True, False), mapping=None
) -> dict:
    """The records, rejections (line, key, problems) and rejects file of the columnar read
    and of the row-by-row read."""
    found = {}
    for columnar in ways:
        refused: list = []
        rejects = folder / f"rejects-{columnar}.jsonl"
        ok = list(io._stream_db(uri, cls, source, on_reject=refused.append, rejects=rejects,
                                columnar=columnar, mapping=mapping))  # fmt: skip
        found[columnar] = (ok, [(r.line, r.key, r.problems) for r in refused], rejects.read_text())
    return found


@pytest.mark.parametrize("kind", list(EVERY_KIND))
def test_every_input_kind_reads_alike_columnar_and_row_by_row(
    database, kind, tmp_path, monkeypatch
):
    """Typed PostgreSQL columns through ADBC and Arrow (the DB-API rows never touched), or
    SQLite's rows: the same records, the same rejections (a refused cell, a BLOB where text
    belongs, a duplicate key), each named by its key, and the same rejects file."""
    import logicrm._readers._db_arrow as db

    uri, connection, dialect = database
    cls = EVERY_KIND[kind][0]
    table, expected = _kind_table(connection, dialect, kind)
    source = Source(table=table)
    row_by_row = db.reading
    if dialect == "postgresql":  # the columnar read must not fall back to the DB-API rows

        def refused(*args, **kwargs):
            raise AssertionError("the columnar read used the DB-API rows")

        monkeypatch.setattr(db, "reading", refused)
        found = _read_both_ways(uri, cls, source, tmp_path, ways=(True,))
        monkeypatch.setattr(db, "reading", row_by_row)
        found |= _read_both_ways(uri, cls, source, tmp_path, ways=(False,))
    else:
        found = _read_both_ways(uri, cls, source, tmp_path)
    assert found[True] == found[False]
    ok, rejections, rejects_file = found[True]
    assert all(record in expected for record in ok)
    bad = 2 if dialect == "sqlite" else 1
    lost = 1 if cls is SurveyResponse else bad  # rows 2 and 3 are answers of one response
    keyed = io._key_of(cls) is not None  # a spend estimate has no key: its copy is read
    assert len(ok) == len(expected) - lost + (not keyed)
    assert len(rejections) == lost + keyed
    if keyed:
        assert all(key for _, key, _ in rejections)
        assert rejections[-1][2][0][1].startswith("duplicate of row")
    assert len(rejects_file.splitlines()) == len(rejections)


def test_numeric_and_json_cells_read_through_arrow_as_the_driver_gives_them(pg_uri, tmp_path):
    """numeric's text (every precision, NaN and infinities, an exponent's places) as the
    same Decimal: records and rejections alike (jsonb and timestamptz: the test above)."""
    with _pg(pg_uri) as connection:
        connection.execute("DROP TABLE IF EXISTS odd_numbers")
        connection.execute(
            'CREATE TABLE odd_numbers (customer_id text, "annual_spend.amount" numeric, '
            '"annual_spend.currency" text, estimated_on date, source text)'
        )
        values = ["1.50", "1234567890123456789012345678901234567.125", "0.000", "NaN",
                  "Infinity", "-Infinity", "-1e-20", "1e20", "100"]  # fmt: skip
        connection.cursor().executemany(
            "INSERT INTO odd_numbers VALUES (%s, %s, 'CNY', '2026-03-31', 'internal')",
            [(f"C{i}", v) for i, v in enumerate(values)],
        )
    found = _read_both_ways(pg_uri, SpendEstimate, Source(table="odd_numbers"), tmp_path)
    assert found[True] == found[False]
    ok, rejections, _ = found[True]
    assert [str(e.annual_spend.amount) for e in ok] == ["1.50", "100"]  # places kept
    assert len(rejections) == len(values) - 2  # beyond the money bounds, not a number, zero


def test_a_column_arrow_reads_otherwise_is_read_row_by_row(pg_uri, tmp_path):
    """money arrives in Arrow as integer cents (1250 for 12.50): the columnar read sees a
    type it cannot read as the driver does and reads the DB-API rows instead, so '$12.50'
    is refused alike rather than taken for 1,250, for any kind and for the shipments the
    engine summarises."""
    from logicrm._engine._columnar import summarize_db
    from logicrm.scoring import summarize

    with _pg(pg_uri) as connection:
        _load(connection, "money_invoices", _flat(_INVOICES[:3]), postgres_=True,
              types={"amount.amount": "money"})  # fmt: skip
        _load(connection, "money_shipments", _flat(sample_dataset().shipments[:3]),
              postgres_=True, types={"revenue.amount": "money"})  # fmt: skip
    found = _read_both_ways(pg_uri, Invoice, Source(table="money_invoices"), tmp_path)
    assert found[True] == found[False]
    assert not found[True][0] and [key for _, key, _ in found[True][1]] == ["F0", "F1", "F2"]
    refused: list = []
    source = Source(table="money_shipments")
    as_of = datetime.fromisoformat(AS_OF)
    assert summarize_db(pg_uri, source, as_of=as_of, on_reject=refused.append) == {}
    assert summarize(io.stream_db(pg_uri, Shipment, table="money_shipments"), as_of=as_of) == {}
    assert len(refused) == 3


def test_scores_from_every_input_kind_in_the_database_are_alike_on_both_engines(
    database, tmp_path, capsys
):
    uri, connection, dialect = database
    tables = []
    for kind in EVERY_KIND:
        if kind != "task_states":
            table, _ = _kind_table(connection, dialect, kind)
            tables += ["--table", f"{kind}={table}"]
    outputs = {}
    for engine in ("columnar", "python"):
        out, rejects = tmp_path / f"{engine}.jsonl", tmp_path / f"{engine}-rejects.jsonl"
        code, _, err = _score(
            ["--db", uri, *tables, "--engine", engine, "-o", str(out), "--rejects", str(rejects)],
            capsys,
        )
        assert code == 0, err
        outputs[engine] = (out.read_text(), rejects.read_text())
    assert outputs["columnar"] == outputs["python"]
    kinds = len(EVERY_KIND) - 1  # a refused cell in each, a duplicate in each keyed kind
    assert len(outputs["python"][1].splitlines()) >= 2 * kinds - 1


_PG_WRITES = {
    "cte delete": "WITH gone AS (DELETE FROM shipments RETURNING *) SELECT * FROM customers",
    "delete returning": "DELETE FROM customers RETURNING *",
    "update returning": "UPDATE customers SET name = 'x' RETURNING *",
    "function that deletes": "SELECT c.* FROM customers AS c, wipe_shipments() AS w",
    "drop": "DROP TABLE shipments",
    "create as": "CREATE TABLE copied AS SELECT * FROM customers",
    "multiple statements": "SELECT * FROM customers; DELETE FROM shipments",
    "read-write again": "SELECT c.*, set_config('transaction_read_only', 'off', true) "
    "FROM customers AS c",
    "lock": "SELECT * FROM customers FOR UPDATE",
}


def _pg_digest(connection) -> list[tuple]:
    """Each table of the public schema with its rows' digest."""
    names = connection.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
    ).fetchall()
    return [
        (name, *connection.execute(
            f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
            f'FROM "{name}" AS t'
        ).fetchone())
        for (name,) in names
    ]  # fmt: skip


@pytest.mark.parametrize("form", list(_PG_WRITES))
def test_the_columnar_read_of_customers_cannot_write(pg_uri, tmp_path, capsys, monkeypatch, form):
    """The ADBC path for an input other than shipments: a write in --query, by the command
    and by the API, fails with the library's error and leaves every table as it was."""
    import logicrm._readers._db_arrow as db

    connection = _pg(pg_uri)
    data = sample_dataset()
    for table, _, records in KINDS:
        _load(connection, table, _flat(records(data)), postgres_=True)
    connection.execute("DROP TABLE IF EXISTS copied")
    connection.execute(
        "CREATE OR REPLACE FUNCTION wipe_shipments() RETURNS bigint LANGUAGE sql AS "
        "'WITH d AS (DELETE FROM shipments RETURNING 1) SELECT count(*) FROM d'"
    )
    before = _pg_digest(connection)

    def refused(*args, **kwargs):
        raise AssertionError("the columnar read used the DB-API rows")

    monkeypatch.setattr(db, "reading", refused)  # the ADBC path, and only it
    query = _PG_WRITES[form]
    with pytest.raises(ReadError, match="query"):
        list(io._stream_db(pg_uri, Customer, Source(query=query), columnar=True))
    assert _pg_digest(connection) == before
    code, _, err = _score(
        ["--db", pg_uri, "--query", f"customers={query}", "--table", "shipments=shipments",
         "--engine", "columnar", "-o", str(tmp_path / "s.csv")],
        capsys,
    )  # fmt: skip
    assert code == 2, err
    assert "query" in err and "Traceback" not in err and "internal error" not in err
    assert _pg_digest(connection) == before
    connection.close()


def test_a_run_stopped_mid_read_leaves_no_reading_thread_and_no_open_transaction(
    pg_uri, monkeypatch
):
    """The batches are read ahead by a thread: when the engine stops early (a customer in
    two currencies), the thread stops, the read-only transaction ends and the session
    closes, however much is left to read."""
    import threading

    import logicrm._readers._db_arrow as db
    from logicrm._engine._columnar import summarize_db
    from logicrm.errors import CurrencyMismatchError

    base = _flat(sample_dataset().shipments[:1])[0]
    rows = [{**base, "id": f"S{i}", "customer_id": "C1"} for i in range(20_000)]
    rows[1] |= {"revenue.currency": "USD", "cost.currency": "USD"}
    with _pg(pg_uri) as connection:
        _load(connection, "clashing", rows, postgres_=True)
    monkeypatch.setattr(db, "ADBC_BATCH_BYTES", 16_384)  # many batches still to come
    with pytest.raises(CurrencyMismatchError):
        summarize_db(
            pg_uri, Source(table="clashing"), as_of=datetime.fromisoformat(AS_OF), batch_rows=100
        )
    assert not [t for t in threading.enumerate() if t.name == "logicrm-adbc-read"]
    with _pg(pg_uri) as connection:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # the server notices the closed session at once
            (others,) = connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            ).fetchone()
            if not others:
                break
            time.sleep(0.05)
        assert others == 0


def test_the_columnar_read_of_customers_maps_columns_and_shows_no_password(
    pg_uri, tmp_path, capsys
):
    """The ADBC path for an input other than shipments takes the mapping as the row path
    does, and its errors (a missing table, a wrong password, a password in the query
    string) show no password."""
    secret = postgres.PASSWORD
    data = sample_dataset()
    renamed = [
        {("code" if k == "id" else k): v for k, v in row.items()} for row in _flat(data.customers)
    ]
    with _pg(pg_uri) as connection:
        _load(connection, "clients", renamed, postgres_=True)
        _load(connection, "shipments", _flat(data.shipments), postgres_=True)
    mapping = io.ColumnMapping(columns={"id": "code"})
    found = _read_both_ways(pg_uri, Customer, Source(table="clients"), tmp_path, mapping=mapping)
    assert found[True] == found[False] and found[True][0] == list(data.customers)
    user, rest = pg_uri.removeprefix("postgresql://").split("@", 1)
    in_query = f"postgresql://{user.split(':')[0]}@{rest}?password={secret}"
    for uri, table in ((pg_uri, "no_such_table"), (pg_uri.replace(secret, "wr0ng-pw-5678"),
                       "clients"), (in_query, "no_such_table")):  # fmt: skip
        code, out, err = _score(
            ["--db", uri, "--table", f"customers={table}", "--table", "shipments=shipments",
             "--engine", "columnar", "-o", str(tmp_path / "s.csv")],
            capsys,
        )  # fmt: skip
        assert code == 2, err
        assert secret not in out + err and "wr0ng-pw-5678" not in out + err
        assert "Traceback" not in err


_CELL_TEXT = st.text(st.characters(exclude_characters="\x00", codec="utf-8"), max_size=6)
_DAYS = st.dates(date(1990, 1, 1), date(2040, 12, 31))
_AMOUNTS = st.one_of(
    st.integers(0, 40).flatmap(
        lambda places: st.decimals(allow_nan=False, allow_infinity=False, places=places)
    ),
    st.decimals(allow_nan=False, allow_infinity=True),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "0", "-0.00", "1e-30", "12.50"]),
).map(str)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.tuples(
            _CELL_TEXT | st.sampled_from(["F1", "F2"]),
            _CELL_TEXT,
            _DAYS,
            _DAYS,
            _AMOUNTS,
            st.sampled_from(["CNY", "USD", "", "cny"]),
            st.none() | _DAYS,
        ),
        max_size=12,
    )
)
def test_typed_rows_of_any_value_read_alike_columnar_and_row_by_row(pg_uri, rows):
    """Whatever a typed table holds (numeric of any size and places, NaN and infinities,
    any text, dates in any order, duplicates), both reads give the same records and the
    same rejections, each in the same words, by table and by query."""
    import tempfile

    with _pg(pg_uri) as connection:
        connection.execute("DROP TABLE IF EXISTS any_invoices")
        connection.execute(
            "CREATE TABLE any_invoices (id text, customer_id text, issued_on date, due_on date, "
            '"amount.amount" numeric, "amount.currency" text, paid_on date)'
        )
        connection.cursor().executemany(
            "INSERT INTO any_invoices VALUES (%s, %s, %s, %s, %s, %s, %s)", rows
        )
    # A table's numeric comes as the server's text, a query's as the driver's conversion.
    for source in (Source(table="any_invoices"), Source(query="SELECT * FROM any_invoices")):
        with tempfile.TemporaryDirectory() as folder:
            found = _read_both_ways(pg_uri, Invoice, source, Path(folder))
        assert found[True] == found[False]
        assert len(found[True][0]) + len(found[True][1]) == len(rows)
