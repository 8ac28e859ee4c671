"""The contact policy: how often each kind of customer is visited, surveyed and checked, how
soon complaints and enquiries are answered, and how much each kind of work item weighs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import TypeVar

import attrs

from logicrm.domain import Purpose, Severity
from logicrm.domain._checks import MAX_DAYS, check_int, check_number, fail, to_enum
from logicrm.domain._interaction import _purpose
from logicrm.scoring import AbcClass, Tier

E = TypeVar("E", bound=StrEnum)
_PURPOSES = frozenset(p.value for p in Purpose)


def _days(field: str, value: int | None) -> None:
    if value is not None:
        check_int(field, value, min_value=1, max_value=MAX_DAYS)


@attrs.frozen(kw_only=True)
class ContactIntervals:
    """How often a customer is visited, surveyed and has its record re-verified, in days;
    ``None`` means never."""

    visit_days: int | None = None
    survey_days: int | None = None
    verify_days: int | None = None

    def __attrs_post_init__(self) -> None:
        for name in ("visit_days", "survey_days", "verify_days"):
            _days(name, getattr(self, name))


_NO_INTERVALS = ContactIntervals()
"""No visits, surveys or checks: a tier the policy does not name (frozen, so shared)."""

_DEFAULT_BY_TIER = MappingProxyType(
    {
        Tier.LARGE: ContactIntervals(visit_days=30, survey_days=180, verify_days=180),
        Tier.MEDIUM: ContactIntervals(visit_days=60, survey_days=365, verify_days=365),
        Tier.SMALL: ContactIntervals(visit_days=90, survey_days=365, verify_days=365),
        Tier.FREQUENT: ContactIntervals(visit_days=90, survey_days=365, verify_days=365),
        Tier.OCCASIONAL: ContactIntervals(verify_days=730),
        Tier.INSTITUTION_A: ContactIntervals(visit_days=30, survey_days=180, verify_days=180),
        Tier.INSTITUTION_B: ContactIntervals(visit_days=60, survey_days=365, verify_days=365),
        Tier.INSTITUTION_C: ContactIntervals(visit_days=90, survey_days=365, verify_days=365),
        Tier.UNCLASSIFIED: ContactIntervals(verify_days=365),
    }
)
_KEY_INTERVALS = ContactIntervals(visit_days=30, survey_days=180, verify_days=180)
_TIER_BASIS = {tier: f"tier {tier.value}" for tier in Tier}  # worded once, not per customer


class ContactTask(StrEnum):
    """What a work item is for: its kind. Listed in the default order of weight."""

    COMPLAINT_RESPONSE = "complaint_response"
    SERVICE_RECOVERY = "service_recovery"
    COMPLAINT_RESOLUTION = "complaint_resolution"
    ACCOUNT_REVIEW = "account_review"
    ENQUIRY_REPLY = "enquiry_reply"
    COMPLAINT_FOLLOW_UP = "complaint_follow_up"
    RETENTION_CALL = "retention_call"
    FOLLOW_UP_VISIT = "follow_up_visit"
    SALES_CALL = "sales_call"
    SATISFACTION_SURVEY = "satisfaction_survey"
    RECORD_CHECK = "record_check"


_DEFAULT_TASK_WEIGHTS = MappingProxyType(
    {
        ContactTask.COMPLAINT_RESPONSE: 100.0,
        ContactTask.SERVICE_RECOVERY: 100.0,
        ContactTask.COMPLAINT_RESOLUTION: 90.0,
        ContactTask.ACCOUNT_REVIEW: 80.0,
        ContactTask.ENQUIRY_REPLY: 70.0,
        ContactTask.COMPLAINT_FOLLOW_UP: 60.0,
        ContactTask.RETENTION_CALL: 50.0,
        ContactTask.FOLLOW_UP_VISIT: 40.0,
        ContactTask.SALES_CALL: 40.0,
        ContactTask.SATISFACTION_SURVEY: 20.0,
        ContactTask.RECORD_CHECK: 10.0,
    }
)
_DEFAULT_SEVERITY_WEIGHTS = MappingProxyType(
    {Severity.CRITICAL: 2.0, Severity.HIGH: 1.5, Severity.MEDIUM: 1.0, Severity.LOW: 0.75}
)


_ALL_TASKS = tuple(ContactTask)
_ONE_OFF = (ContactTask.COMPLAINT_FOLLOW_UP, ContactTask.ENQUIRY_REPLY)


def _tasks(value: object) -> tuple[ContactTask, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        fail("carry_over", value, "must be a list of work-item kinds")
    return tuple(to_enum(ContactTask, "carry_over", v) for v in value)


def _with_default_tiers(value: Mapping[Tier, ContactIntervals]) -> Mapping[Tier, ContactIntervals]:
    if not isinstance(value, Mapping):
        fail("by_tier", value, "must map tiers to ContactIntervals")
    return MappingProxyType({**_DEFAULT_BY_TIER, **value})


def _weights(field: str, enum: type[E], value: object) -> dict[E, float]:
    if not isinstance(value, Mapping):
        fail(field, value, "must map names to weights")
    given: dict[E, float] = {}
    for key, weight in value.items():
        member = to_enum(enum, field, key)
        check_number(f"{field}.{member.value}", weight, min_value=0, max_value=1_000)
        given[member] = float(weight)
    return given


def _task_weights(value: object) -> Mapping[ContactTask, float]:
    return MappingProxyType(
        {**_DEFAULT_TASK_WEIGHTS, **_weights("task_weights", ContactTask, value)}
    )


def _severity_weights(value: object) -> Mapping[Severity, float]:
    given = _weights("severity_weights", Severity, value)
    return MappingProxyType({**_DEFAULT_SEVERITY_WEIGHTS, **given})


def _purposes(value: object) -> tuple[str, ...]:
    """A list of purposes, each checked as an ``Interaction`` checks its own."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        fail("purposes", value, "must be a list of purposes")
    return tuple(_purpose(p) for p in value)


@attrs.frozen(kw_only=True)
class ContactPolicy:
    """How often to contact each customer, how soon to answer, and how the worklist ranks.

    The notes ask for regular visits, surveys, record checks, a response "within the
    stipulated time" and a confirming visit after each complaint, and give no number for any
    of them: every default below is logicrm's own choice.

    Attributes:
        by_tier: [`Tier`][logicrm.scoring.Tier] -> its
            [`ContactIntervals`][logicrm.retention.ContactIntervals]. Defaults: large enterprises
            and class A institutions visited every 30 days, surveyed every 180 and re-verified
            every 180; medium and class B every 60 / 365 / 365; small, class C and frequent
            individuals every 90 / 365 / 365; occasional individuals never visited or surveyed,
            re-verified every 730; unclassified customers re-verified every 365. A tier left out
            keeps its default; give it empty intervals (``[contact.by_tier.small]`` with no
            keys) to plan nothing for it.
        key_customer: the intervals that replace the tier's for key customers (every 30 /
            180 / 180 days whatever their tier); ``None`` leaves them to their tier.
        by_class: [`AbcClass`][logicrm.scoring.AbcClass] -> intervals that replace the tier's for
            the other customers of that Pareto class (none by default: monthly visits go to the
            key customers, not to everyone in class A).
        due_within_days: a contact falling due within this many days after ``as_of`` is
            already *due* (7: this week's work).
        visit_purposes: the purposes that count as a follow-up visit
            (``follow_up_visit``, ``account_review``).
        survey_purposes: the purposes that count as a satisfaction survey
            (``satisfaction_survey``).
        purposes: purposes the company records beyond [`Purpose`][logicrm.domain.Purpose]'s; a
            plan names contacts with a purpose neither lists.
        complaint_follow_up: plan the complaint work items: the response and resolution of
            open complaints, the visit confirming each resolved one and service recovery after
            a dissatisfied confirmation (on).
        reply_within_hours: an inbound enquiry or quote request is answered within this many
            hours (24): any outbound contact after it is the reply.
        recovery_within_hours: service recovery starts within this many hours of a
            dissatisfied confirmation (48).
        reopen_on_dissatisfied: a service-recovery item also suggests reopening the complaint
            (on).
        stale_after_days: an item overdue more than this many days (90) goes to the breach
            report, as a missed deadline to review with the team.
        carry_over: the kinds of stale item that are still work: today's list keeps them too,
            due now, so an unanswered complaint or a customer unvisited for months is never
            off the list (every kind but the complaint follow-up and the enquiry reply, whose
            moment has passed).
        task_weights: [`ContactTask`][logicrm.retention.ContactTask] -> its weight on the
            worklist: complaint response and service recovery 100, complaint resolution 90,
            key-customer account review 80, enquiry reply 70, complaint follow-up 60, a win-back
            or retention call to a customer slipping away 50, visits and sales calls 40,
            surveys 20, record checks 10. Kinds left out keep theirs.
        severity_weights: [`Severity`][logicrm.domain.Severity] -> the factor on a complaint
            item's weight (critical 2, high 1.5, medium 1, low 0.75).
        unvalued_weight: the worklist's value weight for a customer without a value score
            (0.5, the middle of the scale).
    """

    by_tier: Mapping[Tier, ContactIntervals] = attrs.field(
        default=_DEFAULT_BY_TIER, converter=_with_default_tiers, hash=False
    )
    key_customer: ContactIntervals | None = _KEY_INTERVALS
    by_class: Mapping[AbcClass, ContactIntervals] = attrs.field(factory=dict, hash=False)
    due_within_days: int = 7
    visit_purposes: tuple[str, ...] = attrs.field(
        default=(Purpose.FOLLOW_UP_VISIT.value, Purpose.ACCOUNT_REVIEW.value),
        converter=_purposes,
    )
    survey_purposes: tuple[str, ...] = attrs.field(
        default=(Purpose.SATISFACTION_SURVEY.value,), converter=_purposes
    )
    purposes: tuple[str, ...] = attrs.field(default=(), converter=_purposes)
    complaint_follow_up: bool = True
    reply_within_hours: int = 24
    recovery_within_hours: int = 48
    reopen_on_dissatisfied: bool = True
    stale_after_days: int = 90
    carry_over: tuple[ContactTask, ...] = attrs.field(
        default=tuple(t for t in _ALL_TASKS if t not in _ONE_OFF), converter=_tasks
    )
    task_weights: Mapping[ContactTask, float] = attrs.field(
        default=_DEFAULT_TASK_WEIGHTS, converter=_task_weights, hash=False
    )
    severity_weights: Mapping[Severity, float] = attrs.field(
        default=_DEFAULT_SEVERITY_WEIGHTS, converter=_severity_weights, hash=False
    )
    unvalued_weight: float = 0.5

    def __attrs_post_init__(self) -> None:
        check_int("due_within_days", self.due_within_days, min_value=0, max_value=MAX_DAYS)
        check_int("reply_within_hours", self.reply_within_hours, min_value=1, max_value=8_760)
        check_int("recovery_within_hours", self.recovery_within_hours, min_value=1, max_value=8_760)
        check_int("stale_after_days", self.stale_after_days, min_value=1, max_value=MAX_DAYS)
        check_number("unvalued_weight", self.unvalued_weight, min_value=0, max_value=1)
        known = self.known_purposes
        for name in ("visit_purposes", "survey_purposes"):
            given = getattr(self, name)
            if not given:
                fail(name, [], "must name at least one purpose")
            unknown = [p for p in given if p not in known]
            if unknown:
                fail(name, unknown, "names purposes neither Purpose nor `purposes` lists")
        both = sorted(set(self.visit_purposes) & set(self.survey_purposes))
        if both:
            fail("survey_purposes", both, "cannot also count as visits")

    @property
    def known_purposes(self) -> frozenset[str]:
        """The built-in purposes and the policy's own."""
        return _PURPOSES.union(self.purposes)

    def intervals(
        self, tier: Tier, abc_class: AbcClass | None, *, key_customer: bool = False
    ) -> ContactIntervals:
        """The intervals for a customer of ``tier`` and ``abc_class``: a key customer's when
        it is one and the policy names them, else the class's when the policy names it, else
        the tier's, else none."""
        return self.intervals_and_basis(tier, abc_class, key_customer=key_customer)[0]

    def intervals_and_basis(
        self, tier: Tier, abc_class: AbcClass | None, *, key_customer: bool = False
    ) -> tuple[ContactIntervals, str]:
        """``intervals()`` and what chose them, in words."""
        if key_customer and self.key_customer is not None:
            return self.key_customer, "key customer"
        if abc_class is not None and abc_class in self.by_class:
            return self.by_class[abc_class], f"class {abc_class.name}"
        basis = _TIER_BASIS[tier] if type(tier) is Tier else f"tier {tier.value}"
        return self.by_tier.get(tier, _NO_INTERVALS), basis

    def weight(self, task: ContactTask, severity: Severity | None) -> float:
        """An item's weight: its kind's, times its complaint's severity factor."""
        factor = 1.0 if severity is None else self.severity_weights[severity]
        return self.task_weights[task] * factor
