"""``logicrm worklist`` as a task feed, driven as a user would: owners from a policy file, the
task-state log fed back, the digest against the last run, the feed in every format, a
database table upserted on the ids, and one calendar per owner."""

import csv
import json
import sqlite3
import subprocess
import sys

import icalendar
import pyarrow.parquet as pq
import pytest

from logicrm.sample import write_sample

MONDAY = "2026-06-30T18:00:00Z"
TUESDAY = "2026-07-01T18:00:00Z"
POLICY = """
[owners]
default_capacity = 4
[owners.by_tier]
large = "AM-1"
medium = "AM-2"
small = "AM-2"
institution_a = "AM-1"
"""


def logicrm(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "logicrm", *map(str, args)],
                          capture_output=True, text=True, timeout=300, cwd=cwd)  # fmt: skip


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sample")
    written = write_sample(folder)
    (folder / "policy.toml").write_text(POLICY)
    return {**written, "policy": folder / "policy.toml"}


def inputs(files, as_of=MONDAY):
    return [
        files["shipments"],
        "--customers", files["customers"],
        "--complaints", files["complaints"],
        "--credit-profiles", files["credit_profiles"],
        "--interactions", files["interactions"],
        "--policy", files["policy"],
        "--as-of", as_of,
    ]  # fmt: skip


def test_the_feed_is_the_same_in_every_format_with_owners_and_capacity(files, tmp_path):
    feeds = {}
    for suffix in ("csv", "jsonl", "parquet"):
        out = tmp_path / f"feed.{suffix}"
        done = logicrm("worklist", *inputs(files), "-o", out, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        if suffix == "csv":
            rows = list(csv.DictReader(out.open(encoding="utf-8")))
        elif suffix == "jsonl":
            rows = [json.loads(line) for line in out.read_text().splitlines()]
        else:
            rows = pq.read_table(out).to_pylist()
        feeds[suffix] = [(r["id"], r["owner"] or None, r["deferred"] or None) for r in rows]
    assert feeds["csv"] == feeds["jsonl"] == feeds["parquet"]
    ids = [i for i, _, _ in feeds["csv"]]
    assert len(set(ids)) == len(ids)
    owners = {o for _, o, _ in feeds["csv"]}
    assert {"AM-1", "AM-2", None} <= owners
    # no owner's week past its four items
    rows = list(csv.DictReader((tmp_path / "feed.csv").open(encoding="utf-8")))
    for owner in ("AM-1", "AM-2"):
        week = [r for r in rows if r["owner"] == owner and r["breach"] == "False"
                and not r["deferred"]]  # fmt: skip
        assert len(week) <= 4
    assert any("over AM-" in (r["deferred"] or "") for r in rows)


def test_states_fed_back_and_the_digest_against_the_last_run(files, tmp_path):
    monday = tmp_path / "monday.csv"
    assert logicrm("worklist", *inputs(files), "-o", monday, cwd=tmp_path).returncode == 0
    rows = list(csv.DictReader(monday.open(encoding="utf-8")))
    first, second, third = rows[:3]
    states = tmp_path / "states.csv"
    states.write_text(
        "task_id,customer_id,at,state,until,reason,outcome,next_step,next_due\n"
        f"{first['id']},{first['customer_id']},2026-07-01T09:00:00Z,done,,,fixed,"
        "complaint_follow_up,2026-07-03T09:00:00Z\n"
        f"{second['id']},{second['customer_id']},2026-07-01T09:00:00Z,snoozed,"
        "2026-07-08T00:00:00Z,,,,\n"
        f"{third['id']},{third['customer_id']},2026-07-01T09:00:00Z,dismissed,,closed line,,,\n"
    )
    tuesday = tmp_path / "tuesday.jsonl"
    done = logicrm("worklist", *inputs(files, TUESDAY), "--task-states", states,
                   "--previous", monday, "-o", tuesday, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    after = [json.loads(line) for line in tuesday.read_text().splitlines()]
    ids = {r["id"] for r in after}
    assert not ids & {first["id"], second["id"], third["id"]}
    before = {r["id"] for r in rows}
    new, gone = ids - before, before - ids
    assert f"since the last run: {len(new)} new" in done.stderr
    digest = done.stderr.split("since the last run: ")[1].splitlines()[0]
    counts = dict(reversed(part.split(" ", 1)) for part in digest.split(", "))
    assert int(counts["done"]) + int(counts["dropped"]) == len(gone)
    assert f"done 2026-07-01: fixed  ({first['id']})" in done.stderr
    assert "snoozed until 2026-07-08" in done.stderr
    assert "dismissed 2026-07-01: closed line" in done.stderr
    chained = [r for r in after if "the next step after" in r["why"]]
    assert len(chained) == 1 and chained[0]["task"] == "complaint_follow_up"


def test_the_feed_is_upserted_on_its_ids_and_calendars_hold_one_todo_per_item(files, tmp_path):
    db = tmp_path / "tms.db"
    out = tmp_path / "feed.jsonl"
    for as_of in (MONDAY, MONDAY, TUESDAY):
        done = logicrm("worklist", *inputs(files, as_of), "-o", out, "--db", f"sqlite:///{db}",
                       "--output-table", "tasks", "--calendar", tmp_path / "cal",
                       cwd=tmp_path)  # fmt: skip
        assert done.returncode == 0, done.stderr
    feed = [json.loads(line) for line in out.read_text().splitlines()]
    with sqlite3.connect(db) as connection:
        table = connection.execute("SELECT id, as_of, due_at, owner FROM tasks").fetchall()
    latest = {i for i, a, _, _ in table if a.startswith("2026-07-01")}
    assert latest == {r["id"] for r in feed}  # the run rewrote its rows, nothing doubled
    assert len(table) == len({i for i, _, _, _ in table})
    todos = {}
    for path in (tmp_path / "cal").glob("*.ics"):
        calendar = icalendar.Calendar.from_ical(path.read_bytes())
        for todo in calendar.walk("VTODO"):
            todos[str(todo["uid"]).removesuffix("@logicrm")] = (path.stem, todo.decoded("due"))
    by_id = {r["id"]: r for r in feed}
    assert todos.keys() == by_id.keys()
    for ident, (owner, due) in todos.items():
        assert due.isoformat() == by_id[ident]["due_at"]
        assert owner == (by_id[ident]["owner"] or "unowned")


def test_bad_feed_options_are_refused_before_any_work(files, tmp_path):
    missing = logicrm("worklist", *inputs(files), "--task-states", tmp_path / "none.csv",
                      cwd=tmp_path)  # fmt: skip
    assert missing.returncode == 2 and "--task-states file" in missing.stderr
    table = logicrm("worklist", *inputs(files), "--previous-table", "tasks", cwd=tmp_path)
    assert table.returncode == 2 and "--previous-table needs --db" in table.stderr
    (tmp_path / "file.txt").write_text("x")
    cal = logicrm("worklist", *inputs(files), "--calendar", tmp_path / "file.txt", cwd=tmp_path)
    assert cal.returncode == 2 and "give a folder" in cal.stderr
    assert "Traceback" not in missing.stderr + table.stderr + cal.stderr


def test_states_and_the_previous_feed_come_from_tables_of_the_database(files, tmp_path):
    db = tmp_path / "tms.db"
    uri = f"sqlite:///{db}"
    first = logicrm("worklist", *inputs(files), "--db", uri, "--output-table", "tasks",
                    "-o", tmp_path / "monday.jsonl", cwd=tmp_path)  # fmt: skip
    assert first.returncode == 0, first.stderr
    monday = [json.loads(line) for line in (tmp_path / "monday.jsonl").read_text().splitlines()]
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE states (task_id TEXT, customer_id TEXT, at TEXT, "
                           "state TEXT, outcome TEXT)")  # fmt: skip
        connection.execute(
            "INSERT INTO states VALUES (?, ?, ?, 'done', 'visited')",
            (monday[0]["id"], monday[0]["customer_id"], "2026-07-01T08:00:00Z"),
        )
    second = logicrm("worklist", *inputs(files, TUESDAY), "--db", uri,
                     "--task-states-table", "states", "--previous-table", "tasks",
                     "--output-table", "tasks", "--format", "jsonl", cwd=tmp_path)  # fmt: skip
    assert second.returncode == 0, second.stderr
    assert "read 1 task states from table states" in second.stderr
    assert f"done 2026-07-01: visited  ({monday[0]['id']})" in second.stderr
    tuesday = [json.loads(line) for line in second.stdout.splitlines()]
    assert monday[0]["id"] not in {r["id"] for r in tuesday}
    both = logicrm("worklist", *inputs(files), "--task-states", tmp_path / "monday.jsonl",
                   "--task-states-table", "states", "--db", uri, cwd=tmp_path)  # fmt: skip
    assert both.returncode == 2 and "not both" in both.stderr
