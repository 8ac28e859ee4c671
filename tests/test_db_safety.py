"""The database path under a security review: reads that cannot write, whatever the query
does; no password in any output, whatever form the connection string takes; a bad port or
host as the library's own error. Real PostgreSQL (``tests/postgres.py``) and real SQLite
files, no mocks."""

from __future__ import annotations

import hashlib
import sqlite3
import traceback
from pathlib import Path

import pytest

import postgres
from logicrm import io
from logicrm.cli import main
from logicrm.domain import Customer, Shipment
from logicrm.errors import LogicrmError, ReadError, ValidationError
from logicrm.sample import sample_dataset
from test_db import KINDS, _flat, _load, _pg

pytestmark = pytest.mark.filterwarnings("ignore::logicrm.errors.ColumnWarning")
AS_OF = "2026-06-30T18:00:00+00:00"


def _sqlite_database(folder: Path) -> tuple[str, Path]:
    folder.mkdir(exist_ok=True)
    path = folder / "tms.db"
    connection = sqlite3.connect(path)
    data = sample_dataset()
    for table, _, records in KINDS:
        _load(connection, table, _flat(records(data)), postgres_=False)
    connection.close()
    return f"sqlite:///{path}", path


def _folder_state(folder: Path) -> dict[str, str]:
    """Every file of the folder and its bytes' digest: a new file or a changed byte shows."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _pg_state(connection) -> list[tuple]:
    """Every table of the public schema with its rows' digest, and every function."""
    tables = connection.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
    ).fetchall()
    state = []
    for (name,) in tables:
        digest = connection.execute(
            f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
            f'FROM "{name}" AS t'
        ).fetchone()
        state.append((name, *digest))
    functions = connection.execute(
        "SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace ORDER BY 1"
    ).fetchall()
    return [*state, tuple(f for (f,) in functions)]


def _cli(args: list[str], capsys) -> tuple[int, str]:
    code = main(["score", "--as-of", AS_OF, "--no-progress", *args])
    out, err = capsys.readouterr()
    return code, out + err


SQLITE_WRITES = {
    "cte delete returning": "WITH x AS (SELECT 1) DELETE FROM customers RETURNING *",
    "delete returning": "DELETE FROM customers RETURNING *",
    "drop": "DROP TABLE customers",
    "create as": "CREATE TABLE copied AS SELECT * FROM customers",
    "vacuum into": "VACUUM INTO '{folder}/copy.db'",
    "vacuum": "VACUUM",
    "attach": "ATTACH DATABASE '{folder}/new.db' AS other",
    "pragma": "PRAGMA query_only = OFF",
    "multiple statements": "SELECT * FROM shipments; DELETE FROM customers",
    "insert": "INSERT INTO customers (id) VALUES ('X') RETURNING *",
}


@pytest.mark.parametrize("engine", ["columnar", "python"])
@pytest.mark.parametrize("form", list(SQLITE_WRITES))
def test_a_sqlite_query_cannot_write_and_the_file_stays_byte_identical(
    tmp_path, capsys, form, engine
):
    uri, _ = _sqlite_database(tmp_path / "db")
    before = _folder_state(tmp_path / "db")
    query = SQLITE_WRITES[form].format(folder=tmp_path / "db")
    code, text = _cli(
        ["--db", uri, "--query", f"shipments={query}", "--engine", engine,
         "--rejects", str(tmp_path / "r.jsonl")],
        capsys,
    )  # fmt: skip
    assert code == 2, text
    assert "query" in text and "Traceback" not in text and "internal error" not in text
    assert _folder_state(tmp_path / "db") == before


@pytest.mark.parametrize("form", list(SQLITE_WRITES))
def test_the_api_reads_sqlite_read_only_by_uri_and_by_open_connection(tmp_path, form):
    uri, path = _sqlite_database(tmp_path / "db")
    before = _folder_state(tmp_path / "db")
    query = SQLITE_WRITES[form].format(folder=tmp_path / "db")
    with pytest.raises(ReadError, match="query"):
        io.read_db(uri, Shipment, query=query)
    assert _folder_state(tmp_path / "db") == before
    connection = sqlite3.connect(path)  # yours, writable: the read still cannot write
    with pytest.raises(ReadError, match="query"):
        io.read_db(connection, Shipment, query=query)
    # ...and the connection is yours again afterwards, as writable as it was.
    assert connection.execute("PRAGMA query_only").fetchone() == (0,)
    connection.execute("INSERT INTO customers (id) VALUES ('mine')")
    connection.rollback()
    connection.close()
    assert _folder_state(tmp_path / "db") == before


def test_a_refused_sqlite_action_is_named(tmp_path):
    uri, _ = _sqlite_database(tmp_path)
    with pytest.raises(ReadError, match="may only read: ATTACH"):
        io.read_db(uri, Shipment, query=f"ATTACH DATABASE '{tmp_path}/x.db' AS x")
    assert not (tmp_path / "x.db").exists()


def test_sqlite_reads_still_read(tmp_path):
    uri, _ = _sqlite_database(tmp_path)
    query = "WITH s AS (SELECT * FROM shipments) SELECT * FROM s WHERE customer_id IS NOT NULL"
    assert len(io.read_db(uri, Shipment, query=query).ok) == len(sample_dataset().shipments)


PG_WRITES = {
    "cte delete": "WITH gone AS (DELETE FROM customers RETURNING *) SELECT * FROM shipments",
    "delete returning": "DELETE FROM customers RETURNING *",
    "function that deletes": "SELECT s.* FROM shipments AS s, wipe() AS w",
    "drop": "DROP TABLE customers",
    "create as": "CREATE TABLE copied AS SELECT * FROM customers",
    "multiple statements": "SELECT * FROM shipments; DELETE FROM customers",
    "read-write again": "SELECT s.*, set_config('transaction_read_only', 'off', true) "
    "FROM shipments AS s",
}


@pytest.fixture
def pg_loaded(pg_uri):
    connection = _pg(pg_uri)
    data = sample_dataset()
    for table, _, records in KINDS:
        _load(connection, table, _flat(records(data)), postgres_=True)
    connection.execute("DROP TABLE IF EXISTS copied")
    connection.execute(
        "CREATE OR REPLACE FUNCTION wipe() RETURNS bigint LANGUAGE sql AS "
        "'WITH d AS (DELETE FROM customers RETURNING 1) SELECT count(*) FROM d'"
    )
    yield pg_uri, connection
    connection.close()


@pytest.mark.parametrize("engine", ["columnar", "python"])
@pytest.mark.parametrize("form", list(PG_WRITES))
def test_a_postgresql_query_cannot_write(pg_loaded, tmp_path, capsys, form, engine):
    uri, connection = pg_loaded
    before = _pg_state(connection)
    code, text = _cli(
        ["--db", uri, "--query", f"shipments={PG_WRITES[form]}", "--engine", engine,
         "--rejects", str(tmp_path / "r.jsonl")],
        capsys,
    )  # fmt: skip
    assert code == 2, text
    assert "query" in text and "Traceback" not in text and "internal error" not in text
    assert _pg_state(connection) == before


@pytest.mark.parametrize("form", list(PG_WRITES))
def test_the_api_reads_postgresql_read_only_by_uri_and_by_open_connection(pg_loaded, form):
    import psycopg

    uri, connection = pg_loaded
    before = _pg_state(connection)
    with pytest.raises(ReadError, match="query"):
        io.read_db(uri, Shipment, query=PG_WRITES[form])
    with psycopg.connect(uri) as yours:  # in a transaction of its own, with a write pending
        yours.execute("CREATE TABLE pending (x int)")
        with pytest.raises(ReadError, match="query"):
            io.read_db(yours, Shipment, query=PG_WRITES[form])
        assert yours.execute("SHOW transaction_read_only").fetchone() == ("off",)
        yours.rollback()
    with (
        psycopg.connect(uri, autocommit=True) as yours,
        pytest.raises(ReadError, match="query"),
    ):
        io.read_db(yours, Shipment, query=PG_WRITES[form])
    assert _pg_state(connection) == before


def test_postgresql_reads_still_read_through_both_engines(pg_loaded, tmp_path, capsys):
    uri, _ = pg_loaded
    outputs = []
    for engine in ("columnar", "python"):
        code, text = _cli(
            ["--db", uri, "--query", "shipments=SELECT * FROM shipments WHERE id <> ''",
             "--engine", engine, "--format", "csv"],
            capsys,
        )  # fmt: skip
        assert code == 0, text
        outputs.append(text)
    assert outputs[0] == outputs[1] and "12 customers assessed" in outputs[0]


# --- secrets -------------------------------------------------------------------------------

SECRET = "Pw-9sEcReT-4417"


def _secret_forms(pg_uri: str) -> dict[str, str]:
    port = pg_uri.rsplit(":", 1)[1].split("/")[0]
    return {
        "userinfo, wrong password": f"postgresql://{postgres.USER}:{SECRET}@127.0.0.1:{port}/logicrm",
        "userinfo, escaped": f"postgresql://{postgres.USER}:{SECRET}%40x@127.0.0.1:{port}/logicrm",
        "userinfo, refused port": f"postgresql://{postgres.USER}:{SECRET}@127.0.0.1:1/logicrm",
        "query parameter": f"postgresql://{postgres.USER}@127.0.0.1:{port}/logicrm?password={SECRET}",
        "query parameter, bad port": f"postgresql://u@127.0.0.1:99999/db?sslmode=disable&password={SECRET}",
        "key=value": f"host=127.0.0.1 port={port} user={postgres.USER} password={SECRET}",
        "key=value, quoted": f"host=127.0.0.1 port={port} password='{SECRET} x'",
        "postgresql key=value": f"postgresql: host=127.0.0.1 password={SECRET}",
        "malformed uri": f"postgresql://{postgres.USER}:{SECRET}@[::1/logicrm",
        "port 99999": f"postgresql://{postgres.USER}:{SECRET}@127.0.0.1:99999/logicrm",
        "port notaport": f"postgresql://{postgres.USER}:{SECRET}@127.0.0.1:notaport/logicrm",
        "unknown host": f"postgresql://{postgres.USER}:{SECRET}@no-such-host.invalid/logicrm",
        "password with @ and /": f"postgresql://{postgres.USER}:{SECRET}@a/b@127.0.0.1:1/x",
    }


SECRET_FORMS = list(_secret_forms("postgresql://u:p@h:5432/d"))


def _leaks(text: str) -> bool:
    return SECRET in text or SECRET.lower() in text.lower() or "sEcReT" in text


@pytest.mark.parametrize("engine", ["columnar", "python"])
@pytest.mark.parametrize("form", SECRET_FORMS)
def test_no_secret_on_the_command_line_whatever_the_connection_string(
    pg_uri, tmp_path, capsys, monkeypatch, form, engine
):
    target = _secret_forms(pg_uri)[form]
    rejects = tmp_path / "r.jsonl"
    for by_env in (False, True):
        args = ["--table", "shipments=shipments", "--engine", engine, "--rejects", str(rejects)]
        if by_env:
            monkeypatch.setenv("LOGICRM_DB_URL", target)
        else:
            args = ["--db", target, *args]
        code, text = _cli([*args, "--output-table", "scores"], capsys)
        monkeypatch.delenv("LOGICRM_DB_URL", raising=False)
        assert code == 2, text
        assert not _leaks(text), text
        assert "Traceback" not in text and "internal error" not in text, text
        assert not rejects.exists() or not _leaks(rejects.read_text())


def _whole(error: BaseException) -> str:
    """Everything an exception shows: its text, repr and traceback, and those of every
    exception in its chain, shown or not."""
    parts = []
    seen: BaseException | None = error
    while seen is not None:
        parts += [str(seen), repr(seen), *traceback.format_exception(seen)]
        parts += [str(a) for a in getattr(seen, "args", ())]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


@pytest.mark.parametrize("form", SECRET_FORMS)
def test_no_secret_in_any_exception_from_the_api(pg_uri, form):
    target = _secret_forms(pg_uri)[form]
    calls = [
        lambda: io.read_db(target, Shipment, table="shipments"),
        lambda: list(io.stream_db(target, Customer, query="SELECT 1")),
        lambda: io.write_scores(target, "scores", [], as_of=sample_dataset().as_of),
    ]
    for call in calls:
        with pytest.raises(LogicrmError) as caught:
            call()
        assert isinstance(caught.value, (ReadError, ValidationError))
        assert not _leaks(_whole(caught.value)), _whole(caught.value)


def test_the_password_of_a_working_uri_never_shows_in_a_read_error(pg_loaded):
    uri, _ = pg_loaded
    in_query = uri.replace(f":{postgres.PASSWORD}@", "@") + f"?password={postgres.PASSWORD}"
    assert len(io.read_db(in_query, Customer, table="customers").ok) == 12  # it connects
    with pytest.raises(ReadError) as caught:
        io.read_db(in_query, Shipment, query="SELECT nonsense FROM nowhere")
    assert postgres.PASSWORD not in _whole(caught.value)


@pytest.mark.parametrize("port", ["99999", "notaport", "-1"])
def test_a_bad_port_is_the_librarys_error_naming_the_database(port, capsys):
    target = f"postgresql://u:{SECRET}@127.0.0.1:{port}/db"
    with pytest.raises(ReadError) as caught:
        io.read_db(target, Shipment, table="shipments")
    assert "***" in str(caught.value) and not _leaks(_whole(caught.value))
    code, text = _cli(["--db", target, "--table", "shipments=shipments"], capsys)
    assert code == 2 and "cannot be opened" in text and not _leaks(text)


@pytest.mark.parametrize(
    "text",
    [
        f"postgresql://u:{SECRET}@db.internal:5432/tms",
        f"postgresql://u:{SECRET}@x/y@db.internal/tms",
        f"postgresql://u@db.internal/tms?sslmode=require&password={SECRET}&x=1",
        f"postgresql://u@db.internal/tms?PASSWORD={SECRET}",
        f"host=db.internal password={SECRET} port=5432",
        f"host=db.internal password = '{SECRET} with \\' quote' port=5432",
        f'the driver said: invalid URI "postgresql://u:{SECRET}@[::1/db" (at 14)',
        f"postgresql://u:{SECRET}@db.internal:99999/tms",
    ],
)
def test_redacted_hides_the_password_and_keeps_the_rest(text):
    from logicrm._readers._db import redacted

    shown = redacted(text)
    assert not _leaks(shown), shown
    assert "***" in shown and "db" in shown


def test_redacted_leaves_a_uri_without_a_password_as_it_is():
    from logicrm._readers._db import redacted

    for text in ("postgresql://tms@db.internal:5432/tms", "sqlite:///var/lib/tms.db"):
        assert redacted(text) == text


def test_a_closed_or_failed_connection_of_yours_is_the_librarys_error(pg_uri, tmp_path):
    import psycopg

    closed = sqlite3.connect(tmp_path / "x.db")
    closed.close()
    with pytest.raises(ReadError, match="cannot be read"):
        io.read_db(closed, Shipment, table="shipments")
    with psycopg.connect(pg_uri) as failed:
        with pytest.raises(psycopg.errors.UndefinedTable):
            failed.execute("SELECT * FROM no_such_table")
        with pytest.raises(ReadError, match="cannot be read"):
            io.read_db(failed, Shipment, table="shipments")
