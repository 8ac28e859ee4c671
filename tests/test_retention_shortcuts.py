"""The retention wing's shortcuts (tables made once, checks not repeated, figures worked out
once) give what their definitions give."""

from hypothesis import given
from hypothesis import strategies as st

from logicrm import AbcClass, ContactPolicy, Tier
from logicrm.retention._plan import _latest_event
from logicrm.testing import aware_datetimes
from strategies import complaints


@given(complaints(), aware_datetimes())
def test_a_complaints_latest_event_is_its_last_time_set(complaint, as_of):
    # what contact_plan read before: the complaint after as_of if opened or moved on after it
    moved_on = complaint.opened_at > as_of or complaint.last_event_at > as_of
    assert (_latest_event(complaint) > as_of) is moved_on
    assert _latest_event(complaint) == complaint.last_event_at


@given(st.sampled_from(Tier), st.none() | st.sampled_from(AbcClass), st.booleans())
def test_the_basis_of_a_tiers_intervals_is_worded_as_the_tier(tier, abc_class, key):
    policy = ContactPolicy(by_class={AbcClass.A: ContactPolicy().by_tier[Tier.LARGE]})
    intervals, basis = policy.intervals_and_basis(tier, abc_class, key_customer=key)
    if key:
        assert basis == "key customer"
    elif abc_class is AbcClass.A:
        assert basis == "class A"
    else:
        assert basis == f"tier {tier.value}"
        assert intervals is policy.by_tier[tier]
