"""The worklist as a task feed: stable ids, state fed back, owners and capacity, the digest."""

import sqlite3

import attrs
import jsonschema
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import logicrm as lc
import logicrm.io
from logicrm.errors import ValidationError
from logicrm.policies import Policies, loads_policies
from logicrm.serialization import from_json, json_schema, to_dict, to_json
from logicrm.testing import task_states
from test_advice import AS_OF, DAY, HOUR, advise, books


def ids(work):
    return [i.id for i in [*work, *work.breaches]]


@settings(max_examples=40, deadline=None)
@given(books())
def test_every_item_has_an_id_unique_in_its_run_and_the_same_on_a_rerun(book):
    _, first = advise(book)
    _, again = advise(book)
    assert ids(first) == ids(again)
    assert len(set(ids(first))) == len(ids(first))
    for item in [*first, *first.breaches]:
        _, digest = item.id.rsplit("-", 1)  # "visit-…", or "missed-visit-…" in the report
        assert len(digest) == 16 and item.row()["id"] == item.id


@settings(max_examples=40, deadline=None)
@given(books(), st.data())
def test_changes_to_other_customers_never_change_a_customers_ids(book, data):
    customers, shipments, complaints, contacts, profiles = book
    kept = data.draw(st.sampled_from([c.id for c in customers]))
    _, before = advise(book)
    # the other customers lose their contacts and complaints and gain a visit today
    others = [c for c in contacts if c.customer_id == kept] + [
        lc.Interaction(id=f"X-{c.id}", customer_id=c.id, at=AS_OF - DAY, channel="visit",
                       direction="outbound", purpose="follow_up_visit")
        for c in customers if c.id != kept
    ]  # fmt: skip
    changed = (customers, shipments, [k for k in complaints if k.customer_id == kept], others,
               profiles)  # fmt: skip
    _, after = advise(changed)

    def of_kept(work):
        return sorted(i.id for i in [*work, *work.breaches] if i.customer_id == kept)

    assert of_kept(before) == of_kept(after)


@settings(max_examples=30, deadline=None)
@given(books())
def test_ids_do_not_move_with_as_of_or_the_weights(book):
    """A day later, or with other weights, the items still open keep their ids."""
    customers, shipments, complaints, contacts, profiles = book
    _, today = advise(book)
    heavy = Policies(contact=lc.ContactPolicy(task_weights={"record_check": 500}))
    _, weighted = advise(book, heavy)
    assert sorted(ids(today)) == sorted(ids(weighted))
    by_id = {i.id: i for i in [*today, *today.breaches]}
    results = lc.assess_all(
        customers, lc.summarize(shipments, as_of=AS_OF + DAY), as_of=AS_OF + DAY,
        inputs=lc.AssessmentInputs(interactions=contacts, complaints=complaints,
                                   credit_profiles=profiles),
    )  # fmt: skip
    tomorrow = lc.worklist(results)
    for item in [*tomorrow, *tomorrow.breaches]:
        if item.id in by_id:
            same = by_id[item.id]
            assert (same.customer_id, same.task, same.complaint_id) == (
                item.customer_id, item.task, item.complaint_id,
            )  # fmt: skip


def test_a_logged_visit_gives_the_next_cycle_a_new_id():
    customer = lc.Customer(id="C1", name="Acme", kind="enterprise")
    shipments = [lc.Shipment(id=f"S{n}", customer_id="C1", ordered_at=AS_OF - n * 20 * DAY,
                             promised_at=AS_OF - n * 20 * DAY + DAY,
                             revenue=lc.Money(5000, "CNY"), cost=lc.Money(1000, "CNY"),
                             units_ordered=1) for n in range(1, 20)]  # fmt: skip

    def visits(contacts):
        results = lc.assess_all([customer], lc.summarize(shipments, as_of=AS_OF), as_of=AS_OF,
                                inputs=lc.AssessmentInputs(interactions=contacts))  # fmt: skip
        work = lc.worklist(results)
        return {i.id for i in [*work, *work.breaches] if i.task is lc.ContactTask.FOLLOW_UP_VISIT}

    never = visits([])
    logged = lc.Interaction(id="I1", customer_id="C1", at=AS_OF - 100 * DAY, channel="visit",
                            direction="outbound", purpose="follow_up_visit")  # fmt: skip
    after = visits([logged])
    assert never and after and never.isdisjoint(after)
    assert all(i.startswith("visit-") for i in never | after)


def test_task_id_names_the_kind_and_hashes_the_rest():
    visit = lc.task_id("C1", lc.ContactTask.FOLLOW_UP_VISIT, None, "first")
    assert visit.startswith("visit-")
    assert visit != lc.task_id("C2", lc.ContactTask.FOLLOW_UP_VISIT, None, "first")
    assert visit != lc.task_id("C1", lc.ContactTask.FOLLOW_UP_VISIT, None, "last 2026-01-01")
    respond = lc.task_id("C1", lc.ContactTask.COMPLAINT_RESPONSE, "K1", "opened x")
    assert respond.startswith("respond-")
    assert respond != lc.task_id("C1", lc.ContactTask.COMPLAINT_RESPONSE, "K2", "opened x")


# -- the task-state log ------------------------------------------------------------------


def test_task_state_checks_what_each_state_needs():
    at = AS_OF
    with pytest.raises(ValidationError, match="until"):
        lc.TaskState(task_id="visit-1", customer_id="C1", at=at, state="snoozed")
    with pytest.raises(ValidationError, match="until"):
        lc.TaskState(task_id="visit-1", customer_id="C1", at=at, state="done", until=at)
    with pytest.raises(ValidationError, match="reason"):
        lc.TaskState(task_id="visit-1", customer_id="C1", at=at, state="dismissed")
    with pytest.raises(ValidationError, match="next_due"):
        lc.TaskState(task_id="visit-1", customer_id="C1", at=at, state="done",
                     next_step="sales_call")  # fmt: skip
    with pytest.raises(ValidationError, match="next_step"):
        lc.TaskState(task_id="visit-1", customer_id="C1", at=at, state="done",
                     next_step="lunch", next_due=at)  # fmt: skip
    with pytest.raises(ValidationError, match="state"):
        lc.TaskState(task_id="visit-1", customer_id="C1", at=at, state="finished")


@given(task_states())
def test_task_states_round_trip_through_json_and_match_their_schema(state):
    assert from_json(lc.TaskState, to_json(state)) == state
    jsonschema.validate(to_dict(state), json_schema(lc.TaskState))


@settings(max_examples=15, deadline=None)
@given(st.lists(task_states(), max_size=6, unique_by=lambda s: (s.task_id, s.at)))
def test_the_task_state_log_round_trips_through_every_reader(tmp_path_factory, log):
    folder = tmp_path_factory.mktemp("states")
    for suffix in ("csv", "jsonl", "parquet"):
        path = folder / f"states.{suffix}"
        lc.io.write(path, log, spreadsheet_safe=False)
        back = lc.io.read(path, lc.TaskState) if log else None
        if log:
            assert not back.rejected, back.rejected
            assert list(back.ok) == _deduplicated(log)
    db = sqlite3.connect(":memory:")
    columns = [f.name for f in attrs.fields(lc.TaskState)]
    db.execute(f"CREATE TABLE states ({', '.join(columns)})")
    for state in log:
        row = to_dict(state)
        db.execute(f"INSERT INTO states VALUES ({', '.join('?' * len(columns))})",
                   [row.get(c) for c in columns])  # fmt: skip
    back = lc.io.read_db(db, lc.TaskState, table="states")
    assert not back.rejected and list(back.ok) == _deduplicated(log)


def _deduplicated(log):
    """The io readers keep the first entry of an id (the key of a record with ``id``...)."""
    return log


def _book():
    customer = lc.Customer(id="C1", name="Acme", kind="enterprise", region="East")
    shipments = [lc.Shipment(id=f"S{n}", customer_id="C1", ordered_at=AS_OF - n * 20 * DAY,
                             promised_at=AS_OF - n * 20 * DAY + DAY,
                             revenue=lc.Money(5000, "CNY"), cost=lc.Money(1000, "CNY"),
                             units_ordered=1) for n in range(1, 20)]  # fmt: skip
    complaint = lc.Complaint(id="K1", customer_id="C1", opened_at=AS_OF - 3 * DAY,
                             channel="phone", category="late", severity="high")  # fmt: skip
    return customer, shipments, complaint


def _run(states=(), as_of=AS_OF, contacts=(), owners=None, customer=None):
    base, shipments, complaint = _book()
    customer = customer or base
    results = lc.assess_all(
        [customer], lc.summarize(shipments, as_of=as_of), as_of=as_of,
        inputs=lc.AssessmentInputs(interactions=list(contacts), complaints=[complaint]),
    )  # fmt: skip
    return lc.worklist(results, states=states, owners=owners, customers=[customer])


def test_done_closes_snoozed_hides_until_its_date_dismissed_hides_for_the_cycle():
    work = _run()
    kinds = {i.task: i.id for i in work.everything()}
    respond, check = kinds[lc.ContactTask.COMPLAINT_RESPONSE], kinds[lc.ContactTask.RECORD_CHECK]
    visit = kinds[lc.ContactTask.FOLLOW_UP_VISIT]
    states = [
        lc.TaskState(task_id=respond, customer_id="C1", at=AS_OF - DAY, state="done",
                     outcome="called back"),
        lc.TaskState(task_id=check, customer_id="C1", at=AS_OF - DAY, state="snoozed",
                     until=AS_OF + 3 * DAY),
        lc.TaskState(task_id=visit, customer_id="C1", at=AS_OF - DAY, state="dismissed",
                     reason="visited at the trade fair"),
    ]  # fmt: skip
    after = _run(states)
    left = {i.id for i in after.everything()}
    assert not left & {respond, check, visit}
    assert after.closed[respond] == f"done {(AS_OF - DAY).date()}: called back"
    assert after.closed[check].startswith("snoozed until")
    assert after.closed[visit].startswith("dismissed")
    later = _run(states, as_of=AS_OF + 4 * DAY)
    assert check in {i.id for i in later.everything()}  # the snooze ran out
    assert not {respond, visit} & {i.id for i in later.everything()}
    # a state recorded after as_of is not known yet
    future = [attrs.evolve(s, at=AS_OF + DAY) for s in states]
    assert {respond, check, visit} <= {i.id for i in _run(future).everything()}


def test_a_next_step_becomes_a_dated_item_of_its_own_and_can_be_done_in_turn():
    respond = next(i.id for i in _run() if i.task is lc.ContactTask.COMPLAINT_RESPONSE)
    done = lc.TaskState(task_id=respond, customer_id="C1", at=AS_OF - DAY, state="done",
                        outcome="credit note promised", next_step="complaint_follow_up",
                        next_due=AS_OF + 2 * DAY)  # fmt: skip
    work = _run([done])
    chained = [i for i in work if i.reasons[0].code == "contact.complaint_follow_up.next_step"]
    assert len(chained) == 1 and chained[0].due_at == AS_OF + 2 * DAY
    assert "credit note promised" in chained[0].reasons[0].message
    assert chained[0].id == _run([done]).everything()[work.index(chained[0])].id
    closed = lc.TaskState(task_id=chained[0].id, customer_id="C1", at=AS_OF, state="done")
    assert chained[0].id not in {i.id for i in _run([done, closed]).everything()}
    # a next step far ahead waits until it falls due
    ahead = attrs.evolve(done, next_due=AS_OF + 60 * DAY)
    assert not [i for i in _run([ahead]) if "next step" in i.reasons[0].message]


def test_a_logged_contact_closes_its_item_without_a_state():
    visit = next(i.id for i in _run() if i.task is lc.ContactTask.FOLLOW_UP_VISIT)
    logged = lc.Interaction(id="I1", customer_id="C1", at=AS_OF - DAY, channel="visit",
                            direction="outbound", purpose="follow_up_visit")  # fmt: skip
    assert visit not in {i.id for i in _run(contacts=[logged]).everything()}


# -- owners and capacity -----------------------------------------------------------------


def test_owners_come_from_the_record_then_the_policy_and_capacity_defers_the_rest():
    customer, _, _ = _book()
    by_region = lc.OwnerPolicy(by_region={"East": "AM-E"}, capacity={"AM-E": 2})
    work = _run(owners=by_region)
    assert {i.owner for i in work.everything()} == {"AM-E"}
    assert len(work) == 2 and work.deferred
    assert [i.priority for i in work] >= [i.priority for i in work.deferred][: len(work)]
    assert min(i.priority for i in work) >= max(i.priority for i in work.deferred)
    assert all(i.deferred == "over AM-E's capacity of 2 items a week" for i in work.deferred)
    assert "deferred past their owners' capacity" in work.summary()
    assert work[0].task is lc.ContactTask.COMPLAINT_RESPONSE  # the complaint stays on the list
    own = _run(owners=by_region, customer=attrs.evolve(customer, owner="AM-9"))
    assert {i.owner for i in own} == {"AM-9"} and not own.deferred  # no limit for AM-9
    nobody = _run(owners=lc.OwnerPolicy(by_region={"West": "AM-W"}))
    assert nobody.by_owner().keys() == {None}
    assert [i.row()["owner"] for i in nobody] == [None] * len(nobody)


def test_a_policy_file_names_owners_and_capacities():
    text = '[owners]\ndefault_capacity = 10\n[owners.by_tier]\nlarge = "AM-1"\n'
    policies = loads_policies(text, format="toml")
    assert policies.owners.limit("AM-1") == 10
    assert policies.owners.owner(None, region=None, tier=lc.Tier.LARGE, abc_class=None) == "AM-1"
    with pytest.raises(ValidationError):
        loads_policies("[owners.capacity]\nAM-1 = -1\n", format="toml")


# -- four weeks of Mondays -----------------------------------------------------------------

TIERS = list(lc.Tier)


@st.composite
def owner_policies(draw):
    """Two or three account managers over the tiers (some tiers left unowned), each with a
    small weekly capacity, so the capacity bites."""
    names = ["AM-1", "AM-2", "AM-3"][: draw(st.integers(2, 3))]
    by_tier = {t: draw(st.sampled_from([*names, None])) for t in TIERS}
    return lc.OwnerPolicy(
        by_tier={t: o for t, o in by_tier.items() if o is not None},
        capacity={n: draw(st.integers(0, 6)) for n in names},
    )


def _advance(complaint, task, at):
    """What working a complaint item does to the complaint itself."""
    if task is lc.ContactTask.COMPLAINT_RESPONSE:
        return complaint.respond(at)
    if task is lc.ContactTask.COMPLAINT_RESOLUTION:
        return complaint.resolve(at)
    if task is lc.ContactTask.COMPLAINT_FOLLOW_UP:
        return complaint.confirm(at, satisfied=True)
    return complaint


@settings(max_examples=15, deadline=None)
@given(books(), owner_policies(), st.data())
def test_four_weeks_of_mondays_with_work_fed_back(book, owners, data):
    customers, shipments, complaints, contacts, profiles = book
    complaints, contacts = {c.id: c for c in complaints}, list(contacts)
    log, done_ids, previous = [], set(), None
    times = Policies().complaint
    for week in range(4):
        as_of = AS_OF + week * 7 * DAY
        results = lc.assess_all(
            customers, lc.summarize(shipments, as_of=as_of), as_of=as_of,
            inputs=lc.AssessmentInputs(interactions=contacts, complaints=complaints.values(),
                                       credit_profiles=profiles),
        )  # fmt: skip
        work = lc.worklist(results, states=log, owners=owners, customers=customers)
        feed = {i.id for i in work.everything()}
        # no task id comes back once it is done
        assert not feed & done_ids
        # no owner's week is over its capacity
        for owner, items in work.by_owner().items():
            if owner is not None:
                assert len(items) <= owners.limit(owner)
        assert all(i.deferred and i.owner for i in work.deferred)
        # every open complaint past its response time is on a list or deferred with a reason
        placed = {(i.complaint_id, i.task) for i in work.everything()}
        for complaint in complaints.values():
            started = complaint.reopened_at or complaint.opened_at
            waiting = complaint.status in (
                lc.ComplaintStatus.REGISTERED, lc.ComplaintStatus.REOPENED,
            )  # fmt: skip
            late = started + times.times[complaint.severity].respond_within < as_of
            if waiting and late and started <= as_of:
                assert (complaint.id, lc.ContactTask.COMPLAINT_RESPONSE) in placed
        # the digest's counts are the set differences of the two feeds
        if previous is not None:
            digest = lc.worklist_changes(previous, work)
            before = {i.id for i in previous.everything()}
            counts = digest.counts()
            assert counts["new"] == len(feed - before)
            assert counts["done"] + counts["dropped"] == len(before - feed)
            assert {c.id for c in digest.of("escalated")} <= feed & before
            assert {c.id for c in digest.of("done")} >= {
                i for i in before - feed if work.closed.get(i, "").startswith("done")
            }
        # the week's work, fed back: complaint items by moving the complaint on, the rest
        # done, snoozed or left
        at = as_of + HOUR
        for item in work:
            choice = data.draw(st.sampled_from(["done", "snoozed", "left"]))
            if choice == "left":
                continue
            if item.complaint_id is not None:
                if item.task is lc.ContactTask.SERVICE_RECOVERY:
                    contacts.append(lc.Interaction(
                        id=f"R-{item.id}-{week}", customer_id=item.customer_id, at=at,
                        channel="visit", direction="outbound", purpose="follow_up_visit",
                        complaint_id=item.complaint_id,
                    ))  # fmt: skip
                else:
                    complaint = complaints[item.complaint_id]
                    complaints[item.complaint_id] = _advance(complaint, item.task, at)
                continue
            until = at + data.draw(st.integers(1, 20)) * DAY if choice == "snoozed" else None
            log.append(lc.TaskState(task_id=item.id, customer_id=item.customer_id, at=at,
                                    state=choice, until=until))  # fmt: skip
            if choice == "done":
                done_ids.add(item.id)
        previous = work
        event(f"week {week}: deferred {'some' if work.deferred else 'none'}")
    event(f"done fed back: {'some' if done_ids else 'none'}")


# -- out to where people work ----------------------------------------------------------------


def test_the_feed_round_trips_every_file_writer_with_its_ids(tmp_path):
    import csv
    import json

    import pyarrow.parquet as pq

    work = _run(owners=lc.OwnerPolicy(by_region={"East": "AM-E"}, capacity={"AM-E": 2}))
    feed = work.everything()
    want = [(i.id, i.owner, i.deferred) for i in feed]
    for suffix in ("csv", "jsonl", "parquet"):
        path = tmp_path / f"feed.{suffix}"
        lc.io.write(path, (i.row() for i in feed), columns=lc.WORKLIST_COLUMNS)
        if suffix == "csv":
            rows = list(csv.DictReader(path.open(encoding="utf-8")))
        elif suffix == "jsonl":
            rows = [json.loads(line) for line in path.read_text().splitlines()]
        else:
            rows = pq.read_table(path).to_pylist()
        assert [(r["id"], r["owner"] or None, r["deferred"] or None) for r in rows] == want
        assert lc.worklist_changes(rows, work).counts() == dict.fromkeys(
            ("new", "escalated", "done", "dropped"), 0
        )


def test_the_calendar_holds_one_todo_per_open_task_with_its_due_date(tmp_path):
    import icalendar

    work = _run()
    feed = work.everything()
    path = tmp_path / "work.ics"
    assert lc.io.write_calendar(path, feed, stamp=AS_OF) == len(feed)
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    todos = calendar.walk("VTODO")
    assert [str(t["uid"]) for t in todos] == [f"{i.id}@logicrm" for i in feed]
    assert [t.decoded("due") for t in todos] == [i.due_at for i in feed]
    assert all(t["status"] == "NEEDS-ACTION" and 1 <= t["priority"] <= 9 for t in todos)
    assert "Acme" not in path.read_text()  # customer ids, never names


def test_a_recurring_item_marked_done_comes_back_its_interval_after_the_day_it_was_done():
    visit = next(i for i in _run() if i.task is lc.ContactTask.FOLLOW_UP_VISIT)
    done = lc.TaskState(task_id=visit.id, customer_id="C1", at=AS_OF - DAY, state="done")
    assert not [i for i in _run([done]) if i.task is lc.ContactTask.FOLLOW_UP_VISIT]
    later = _run([done], as_of=AS_OF + 120 * DAY)
    # 120 days on, the next cycle's visit is months late: on today's list, due now, and its
    # missed deadline in the breach report
    again = [i for i in later if i.task is lc.ContactTask.FOLLOW_UP_VISIT]
    assert len(again) == 1 and again[0].id != visit.id
    assert [i.id for i in later.breaches if i.task is lc.ContactTask.FOLLOW_UP_VISIT] == [
        f"missed-{again[0].id}"
    ]
    assert f"done {(AS_OF - DAY).date()} (task-state log)" in again[0].reasons[0].message
    assert visit.id in later.closed


@pytest.mark.filterwarnings("ignore::logicrm.errors.ColumnWarning")  # optional columns left out
def test_a_bad_task_state_row_is_set_aside_by_name_and_the_rest_read(tmp_path):
    path = tmp_path / "states.csv"
    path.write_text(
        "task_id,customer_id,at,state,until,reason\n"
        "visit-1,C1,2026-06-29T09:00:00Z,done,,\n"
        "visit-2,C1,2026-06-29T09:00:00Z,snoozed,,\n"
        "visit-3,C1,2026-06-29T09:00:00,done,,\n"
        "visit-4,C1,2026-06-29T09:00:00Z,dismissed,,moved away\n"
    )
    result = lc.io.read(path, lc.TaskState)
    assert [s.task_id for s in result.ok] == ["visit-1", "visit-4"]
    assert [(r.line, r.column) for r in result.rejected] == [(3, "until"), (4, "at")]
