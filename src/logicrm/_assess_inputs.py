"""The records an assessment reads besides customers and shipments, split by customer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from logicrm.domain import (
    Complaint,
    CreditProfile,
    Interaction,
    ServiceStandard,
    SpendEstimate,
    SurveyResponse,
)
from logicrm.domain._checks import fail
from logicrm.retention import (
    ContactActivity,
    summarize_interactions,
)


def _records(value: Any) -> Any:
    """Records given once as any iterable, kept as a tuple (``None`` stays ``None``)."""
    if value is None:
        return None
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        fail("inputs", value, "each kind of record must be an iterable of records")
    return tuple(value)


def _profiles(value: Any) -> Mapping[str, CreditProfile]:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        fail("credit_profiles", value, "must map customer ids to CreditProfile")
    return {p.customer_id: p for p in value}


@attrs.frozen(kw_only=True)
class AssessmentInputs:
    """Everything an assessment reads besides customers and shipments: one bundle, split by
    customer id when assessing.

    Attributes:
        credit_profiles: [`CreditProfile`][logicrm.domain.CreditProfile] per customer id (a
            mapping, or profiles to key by their ``customer_id``).
        complaints: every customer's [`Complaint`][logicrm.domain.Complaint] records; given
            (even empty), assessments include the complaint SLAs.
        survey_responses: SERVQUAL responses; those without a ``customer_id`` are not
            attributed to anyone.
        service_standards: requirements, beliefs, standards and promises; given, assessments
            include the five gaps. They apply to every customer.
        interactions: the contact log ([`Interaction`][logicrm.domain.Interaction]); given
            (even empty), assessments include a contact plan.
        contacts: the contact log already folded per customer
            ([`ContactActivity`][logicrm.retention.ContactActivity], e.g. merged from
            partitions), instead of ``interactions``.
        spend_estimates: [`SpendEstimate`][logicrm.domain.SpendEstimate] records; given,
            assessments include the customer share.

    Examples:
        >>> from logicrm.sample import sample_dataset
        >>> inputs = AssessmentInputs(complaints=sample_dataset().complaints)
        >>> len(inputs.complaints) > 0, inputs.interactions is None
        (True, True)
    """

    credit_profiles: Mapping[str, CreditProfile] = attrs.field(
        factory=dict, converter=_profiles, hash=False
    )
    complaints: tuple[Complaint, ...] | None = attrs.field(default=None, converter=_records)
    survey_responses: tuple[SurveyResponse, ...] | None = attrs.field(
        default=None, converter=_records
    )
    service_standards: tuple[ServiceStandard, ...] | None = attrs.field(
        default=None, converter=_records
    )
    interactions: tuple[Interaction, ...] | None = attrs.field(default=None, converter=_records)
    contacts: Mapping[str, ContactActivity] | None = attrs.field(default=None, hash=False)
    spend_estimates: tuple[SpendEstimate, ...] | None = attrs.field(
        default=None, converter=_records
    )

    def __attrs_post_init__(self) -> None:
        if self.interactions is not None and self.contacts is not None:
            fail("contacts", "<contacts>", "give interactions or contacts, not both")

    def _split(self, as_of: datetime) -> _Split:
        complaints = _by_customer(self.complaints)
        responses = _by_customer(self.survey_responses)
        contacts: Mapping[str, ContactActivity] | None = self.contacts
        if self.interactions is not None:
            contacts = summarize_interactions(self.interactions, as_of=as_of)
        estimates: dict[str, SpendEstimate] | None = None
        if self.spend_estimates is not None:
            estimates = {}
            for estimate in self.spend_estimates:  # the latest estimate of each customer
                known = estimates.get(estimate.customer_id)
                if known is None or estimate.estimated_on >= known.estimated_on:
                    estimates[estimate.customer_id] = estimate
        return _Split(
            profiles=self.credit_profiles,
            complaints=complaints,
            responses=responses,
            contacts=contacts,
            estimates=estimates,
        )


def _by_customer(records: Iterable[Any] | None) -> dict[str, list[Any]] | None:
    if records is None:
        return None
    result: dict[str, list[Any]] = {}
    for record in records:
        owner = record.customer_id
        if owner is not None:
            mine = result.get(owner)
            if mine is None:
                result[owner] = [record]
            else:
                mine.append(record)
    return result


@attrs.frozen
class _Split:
    """The inputs of a run, by customer id (``None``: that kind was not given)."""

    profiles: Mapping[str, CreditProfile]
    complaints: dict[str, list[Complaint]] | None
    responses: dict[str, list[SurveyResponse]] | None
    contacts: Mapping[str, ContactActivity] | None
    estimates: dict[str, SpendEstimate] | None
