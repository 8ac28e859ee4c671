"""The advice agrees with itself on generated books: what the action says and what the
worklist asks never contradict each other, and nothing open is lost."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

import logicrm as lc
from logicrm import ComplaintStatus, ContactTask, SalesAction
from logicrm.policies import Policies

AS_OF = datetime(2026, 6, 29, 9, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
ROUTINE = {ContactTask.FOLLOW_UP_VISIT, ContactTask.SATISFACTION_SURVEY, ContactTask.SALES_CALL}
PURPOSES = ["follow_up_visit", "satisfaction_survey", "account_review", "enquiry", "quote",
            "sales_call", "tracking_lookup", "complaint"]  # fmt: skip


@st.composite
def complaint_histories(draw, customer_id, number):
    """A complaint opened within the last 400 days, moved through its lifecycle to some
    stage, every step at or before AS_OF."""
    opened = AS_OF - draw(st.integers(0, 400 * 24)) * HOUR
    complaint = lc.Complaint(
        id=f"{customer_id}-K{number}", customer_id=customer_id, opened_at=opened,
        channel="phone", category="late",
        severity=draw(st.sampled_from(["low", "medium", "high", "critical"])),
    )  # fmt: skip
    at = opened
    for step in range(draw(st.integers(0, 5))):
        gap = draw(st.integers(1, 24 * 30)) * HOUR
        if at + gap > AS_OF:
            break
        at += gap
        status = complaint.status
        if status in (ComplaintStatus.REGISTERED, ComplaintStatus.REOPENED):
            complaint = complaint.respond(at)
        elif status is ComplaintStatus.INVESTIGATING:
            complaint = complaint.resolve(at)
        elif status is ComplaintStatus.RESOLVED and step % 2:
            complaint = complaint.confirm(at, satisfied=draw(st.booleans()))
        else:
            complaint = complaint.reopen(at)
    return complaint


@st.composite
def books(draw):
    """Up to eight customers of every kind, with shipments over two years (or none: a
    prospect), complaints at every stage, contacts of every purpose, some logged against a
    complaint, and now and then a credit profile that is declined."""
    customers, shipments, complaints, contacts, profiles = [], [], [], [], []
    for index in range(draw(st.integers(1, 8))):
        cid = f"C{index}"
        kind = draw(st.sampled_from(["enterprise", "enterprise", "institution", "individual"]))
        level = {"administrative_level": draw(st.sampled_from(["national", "municipal"]))}
        customers.append(lc.Customer(id=cid, name=cid, kind=kind,
                                     **(level if kind == "institution" else {})))  # fmt: skip
        for number in range(draw(st.integers(0, 25))):
            ordered = AS_OF - draw(st.integers(0, 800 * 24)) * HOUR
            revenue, cost = draw(st.integers(10, 30_000)), draw(st.integers(10, 30_000))
            shipments.append(lc.Shipment(
                id=f"{cid}-S{number}", customer_id=cid, ordered_at=ordered,
                promised_at=ordered + 2 * DAY, revenue=lc.Money(revenue, "CNY"),
                cost=lc.Money(cost, "CNY"), units_ordered=1, returned=draw(st.booleans()),
            ))  # fmt: skip
        mine = [draw(complaint_histories(cid, n)) for n in range(draw(st.integers(0, 3)))]
        complaints += mine
        for number in range(draw(st.integers(0, 6))):
            about = draw(st.none() | st.sampled_from([c.id for c in mine] or [None]))
            contacts.append(lc.Interaction(
                id=f"{cid}-I{number}", customer_id=cid,
                at=AS_OF - draw(st.integers(0, 800 * 24)) * HOUR,
                channel="visit", direction=draw(st.sampled_from(["inbound", "outbound"])),
                purpose=draw(st.sampled_from(PURPOSES)), complaint_id=about,
            ))  # fmt: skip
        if draw(st.booleans()):
            profiles.append(lc.CreditProfile(
                customer_id=cid, limit=lc.Money("0", "CNY"), term_days=0,
                receivable=lc.Money("1000", "CNY"), overdue=lc.Money("1000", "CNY"),
                ratings={"character": 1, "capacity": 1, "capital": 1, "collateral": 1,
                         "conditions": 1, "organisational": 1, "workforce": 1},
            ))  # fmt: skip
    return customers, shipments, complaints, contacts, profiles


def advise(book, policies=None):
    customers, shipments, complaints, contacts, profiles = book
    policies = policies or Policies()
    results = lc.assess_all(
        customers, lc.summarize(shipments, as_of=AS_OF), as_of=AS_OF, policies=policies,
        inputs=lc.AssessmentInputs(interactions=contacts, complaints=complaints,
                                   credit_profiles=profiles),
    )  # fmt: skip
    return results, lc.worklist(results, policy=policies.contact)


@settings(max_examples=60, deadline=None)
@given(books())
def test_no_customer_to_drop_has_a_routine_visit_or_survey(book):
    results, _ = advise(book)
    for a in results.values():
        if a.action.action is SalesAction.DROP_MARGINAL:
            assert not [i for i in a.contact_plan.items if i.task in ROUTINE]


@settings(max_examples=60, deadline=None)
@given(books())
def test_no_prospect_gets_a_satisfaction_survey_and_one_not_pursued_gets_no_contact(book):
    results, _ = advise(book)
    for a in results.values():
        if a.lifecycle.stage.value != "prospect":
            continue
        tasks = {i.task for i in a.contact_plan.items}
        assert ContactTask.SATISFACTION_SURVEY not in tasks
        if a.action.action is SalesAction.DROP_MARGINAL:  # not pursued
            assert tasks <= {
                ContactTask.COMPLAINT_RESPONSE, ContactTask.COMPLAINT_RESOLUTION,
                ContactTask.COMPLAINT_FOLLOW_UP, ContactTask.SERVICE_RECOVERY,
            }  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(books())
def test_every_open_complaint_past_its_response_time_is_on_the_list_or_in_the_breach_report(
    book,
):
    _, work = advise(book)
    listed = {
        (i.complaint_id, i.task) for i in [*work, *work.breaches] if i.complaint_id is not None
    }
    times = Policies().complaint
    for complaint in book[2]:
        waiting = complaint.status in (ComplaintStatus.REGISTERED, ComplaintStatus.REOPENED)
        started = complaint.reopened_at or complaint.opened_at
        if waiting and started + times.times[complaint.severity].respond_within < AS_OF:
            assert (complaint.id, ContactTask.COMPLAINT_RESPONSE) in listed


@settings(max_examples=60, deadline=None)
@given(books(), st.integers(1, 400))
def test_no_item_on_todays_list_is_older_than_the_staleness_limit(book, stale):
    policies = Policies(contact=lc.ContactPolicy(stale_after_days=stale))
    _, work = advise(book, policies)
    assert all(i.days_overdue <= stale and not i.breach for i in work)
    assert all(i.days_overdue > stale and i.breach for i in work.breaches)
    for items in (work, work.breaches):
        assert [i.rank for i in items] == list(range(1, len(items) + 1))
        assert [i.priority for i in items] == sorted((i.priority for i in items), reverse=True)
        assert all(i.ranked_by.endswith(f"= {i.priority:.1f}") for i in items)


@settings(max_examples=60, deadline=None)
@given(books())
def test_a_declined_credit_never_drops_an_institution_and_always_names_the_cash_terms(book):
    results, _ = advise(book)
    kinds = {c.id: c.kind.value for c in book[0]}
    for cid, a in results.items():
        if a.credit is None or a.credit.outcome.value != "decline":
            continue
        headline = a.action.reasons[0].message
        if kinds[cid] == "institution":
            assert "credit is declined" not in headline
        prospect = a.lifecycle.stage.value == "prospect"
        if a.action.action is not SalesAction.DROP_MARGINAL and not prospect:
            assert "action.credit_terms" in {r.code for r in a.action.reasons}


def test_a_dissatisfied_confirmation_is_recovered_and_a_logged_contact_closes_it():
    opened = AS_OF - 10 * DAY
    complaint = (
        lc.Complaint(id="K1", customer_id="C1", opened_at=opened, channel="phone",
                     category="late", severity="medium")
        .respond(opened + HOUR).resolve(opened + DAY).confirm(AS_OF - DAY, satisfied=False)
    )  # fmt: skip
    customer = lc.Customer(id="C1", name="C1", kind="enterprise")
    shipment = lc.Shipment(id="S1", customer_id="C1", ordered_at=AS_OF - 20 * DAY,
                           promised_at=AS_OF - 18 * DAY, revenue=lc.Money("1000", "CNY"),
                           cost=lc.Money("500", "CNY"), units_ordered=1)  # fmt: skip
    book = ([customer], [shipment], [complaint], [], [])
    _, work = advise(book)
    (recovery,) = [i for i in work if i.task is ContactTask.SERVICE_RECOVERY]
    # 48 hours from the confirmation a day ago: due tomorrow, this week's work
    assert recovery.due_at == AS_OF - DAY + 48 * HOUR and recovery.status.value == "due"
    assert recovery.reasons[0].message.endswith("reopen the complaint: due 2026-06-30 09:00 UTC")
    called = lc.Interaction(
        id="I1",
        customer_id="C1",
        at=AS_OF - HOUR,
        channel="phone",
        direction="outbound",
        purpose="complaint",
        complaint_id="K1",
    )
    _, work = advise(([customer], [shipment], [complaint], [called], []))
    assert not [i for i in work if i.task is ContactTask.SERVICE_RECOVERY]
