"""The worklist as a task feed: stable ids, state fed back, owners and capacity, the digest."""

from datetime import timedelta

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

import logicrm as lc
from logicrm.policies import Policies
from test_advice import AS_OF, DAY, advise, books


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
        _, digest = item.id.split("-")
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


_ = (attrs, timedelta)
