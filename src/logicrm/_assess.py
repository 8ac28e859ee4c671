"""The facade other systems embed: everything logicrm says about one customer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from logicrm.domain import (
    Complaint,
    CreditProfile,
    Customer,
    Reason,
    ServiceStandard,
    SurveyResponse,
)
from logicrm.domain._checks import check_aware, fail
from logicrm.quality import (
    ComplaintPolicy,
    ComplaintSlaReport,
    FiveGapsReport,
    ServiceKpis,
    complaint_sla,
    service_kpis,
    servqual,
)
from logicrm.scoring import (
    AbcClass,
    Activity,
    ChurnPolicy,
    ChurnRisk,
    CreditDecision,
    LifecyclePolicy,
    LifecycleResult,
    Tier,
    TieringPolicy,
    TierResult,
    ValueScore,
    abc_classes,
    churn_risk,
    lifecycle,
    tier,
)

_KEY_TIERS = frozenset({Tier.LARGE, Tier.FREQUENT, Tier.INSTITUTION_A})


@attrs.frozen(kw_only=True)
class Assessment:
    """Everything logicrm says about one customer at ``as_of``, with the reasons.

    Attributes:
        customer_id: the customer.
        as_of: when the assessment was made.
        tier: the :class:`~logicrm.scoring.TierResult`.
        abc_class: the Pareto class within the population, ``None`` without one.
        value: the :class:`~logicrm.scoring.ValueScore` from the chosen value calculator.
        lifecycle: the :class:`~logicrm.scoring.LifecycleResult`.
        churn: the :class:`~logicrm.scoring.ChurnRisk` (computed for everyone).
        key_customer: class A in the population, or without a population a top tier (large
            enterprise, frequent individual, class A institution).
        churn_flag: a key customer at churn risk — the domain's "do not lose key customers".
        reasons: every reason above, in that order (credit last).
        credit: the :class:`~logicrm.scoring.CreditDecision` when a credit profile was
            given, else ``None``.
        service: the customer's :class:`~logicrm.quality.ServiceKpis`.
        gaps: the :class:`~logicrm.quality.FiveGapsReport` when service standards were given.
        complaints: the :class:`~logicrm.quality.ComplaintSlaReport` when complaints were
            given.

    New sections arrive as new fields with defaults, so code written against this class
    keeps working.
    """

    customer_id: str
    as_of: datetime
    tier: TierResult
    abc_class: AbcClass | None
    value: ValueScore
    lifecycle: LifecycleResult
    churn: ChurnRisk
    key_customer: bool
    churn_flag: bool
    reasons: tuple[Reason, ...]
    credit: CreditDecision | None = None
    service: ServiceKpis | None = None
    gaps: FiveGapsReport | None = None
    complaints: ComplaintSlaReport | None = None

    def top_reasons(self, count: int = 3) -> tuple[Reason, ...]:
        """The few reasons worth showing first: churn flag, tier, class, lifecycle, value."""
        chosen: list[Reason] = []
        if self.churn_flag:
            chosen.extend(self.churn.reasons)
        chosen.extend(self.tier.reasons[:1])
        chosen.extend(r for r in self.reasons if r.code.startswith("abc."))
        chosen.extend(self.lifecycle.reasons[:1])
        valued = [r for r in self.value.reasons if r.contribution is not None]
        chosen.extend(sorted(valued, key=lambda r: -(r.contribution or 0.0))[:1])
        return tuple(chosen[:count])


def _calculator(calculator: Any, kind: str, parameter: str) -> Any:
    from logicrm import calculators

    if isinstance(calculator, str):
        return calculators.get(calculator, kind=kind)
    if not callable(calculator):
        fail(parameter, calculator, "must be a calculator name or a callable")
    return calculator


@attrs.frozen
class _Options:
    """What every customer of one assessment run shares: policies and calculators."""

    value: Any
    credit: Any
    gap: Any
    tiering: TieringPolicy
    lifecycle: LifecyclePolicy
    churn: ChurnPolicy
    complaint: ComplaintPolicy
    standards: tuple[ServiceStandard, ...]


def _options(
    value_calculator: Any,
    credit_calculator: Any,
    gap_calculator: Any,
    tiering: TieringPolicy,
    lifecycle_policy: LifecyclePolicy,
    churn_policy: ChurnPolicy,
    complaint_policy: ComplaintPolicy,
    service_standards: Iterable[ServiceStandard] | None,
) -> _Options:
    return _Options(
        value=_calculator(value_calculator, "value", "value_calculator"),
        credit=_calculator(credit_calculator, "credit", "credit_calculator"),
        gap=_calculator(gap_calculator, "gap", "gap_calculator"),
        tiering=tiering,
        lifecycle=lifecycle_policy,
        churn=churn_policy,
        complaint=complaint_policy,
        standards=tuple(service_standards or ()),
    )


def assess(
    customer: Customer,
    activity: Activity | None,
    *,
    as_of: datetime,
    population: Mapping[str, Activity] | None = None,
    abc_class: AbcClass | None = None,
    value_calculator: Any = "logicrm.value",
    tiering: TieringPolicy = TieringPolicy(),  # noqa: B008 - policies are frozen
    lifecycle_policy: LifecyclePolicy = LifecyclePolicy(),  # noqa: B008
    churn_policy: ChurnPolicy = ChurnPolicy(),  # noqa: B008
    abc_a: float = 0.8,
    abc_b: float = 0.95,
    credit_profile: CreditProfile | None = None,
    credit_calculator: Any = "logicrm.credit",
    service_standards: Iterable[ServiceStandard] | None = None,
    survey_responses: Iterable[SurveyResponse] | None = None,
    gap_calculator: Any = "logicrm.gaps",
    complaints: Iterable[Complaint] | None = None,
    complaint_policy: ComplaintPolicy = ComplaintPolicy(),  # noqa: B008
) -> Assessment:
    """Assess one customer: tier, Pareto class, value, lifecycle, churn, credit and service.

    Args:
        customer: the customer.
        activity: its :class:`~logicrm.scoring.Activity` built with ``as_of`` (``None``
            means no shipments yet).
        as_of: the moment of the assessment (aware).
        population: activities of the customers to rank against, for the ABC class (by
            revenue over the trailing 365 days). For many customers use
            :func:`assess_all`, which ranks once.
        abc_class: a class computed elsewhere; takes precedence over ``population``.
        value_calculator: the name of a registered value calculator (see
            :mod:`logicrm.calculators`), a :class:`~logicrm.calculators.Calculator`, or any
            callable following :class:`~logicrm.calculators.ValueCalculator`.
        tiering, lifecycle_policy, churn_policy: the policies (domain defaults).
        abc_a, abc_b: the Pareto cut-offs (80% and 95% of revenue).
        credit_profile: the customer's :class:`~logicrm.CreditProfile`; when given, the
            assessment includes a credit decision (limits from this activity's billing).
        credit_calculator: a registered credit calculator's name, a
            :class:`~logicrm.calculators.Calculator` or a callable following
            :class:`~logicrm.calculators.CreditCalculator` (configure the built-in's policy
            with ``functools.partial(assess_credit, policy=...)``).
        service_standards: requirements, beliefs, standards and promises
            (:class:`~logicrm.ServiceStandard`); when given, the assessment includes the
            five gaps of this customer's service.
        survey_responses: the customer's SERVQUAL responses, for the gaps per dimension.
        gap_calculator: a registered gap calculator's name or a callable following
            :class:`~logicrm.calculators.GapCalculator`.
        complaints: the customer's complaints; when given, the assessment includes the
            complaint SLA report (times by severity and by the customer's tier).
        complaint_policy: the :class:`~logicrm.quality.ComplaintPolicy`.

    Example:
        >>> from logicrm.sample import sample_dataset
        >>> from logicrm.scoring import summarize
        >>> data = sample_dataset()
        >>> activities = summarize(data.shipments, as_of=data.as_of)
        >>> result = assess(data.customers[0], activities["C00000"], as_of=data.as_of,
        ...                 population=activities)
        >>> result.tier.tier.value, result.abc_class.name, result.key_customer
        ('large', 'A', True)
    """
    check_aware("as_of", as_of)
    if activity is None:
        activity = Activity.empty(customer.id, as_of=as_of)
    if abc_class is None and population is not None:
        abc_class = _classes(population, abc_a, abc_b).get(customer.id, AbcClass.C)
    options = _options(
        value_calculator,
        credit_calculator,
        gap_calculator,
        tiering,
        lifecycle_policy,
        churn_policy,
        complaint_policy,
        service_standards,
    )
    return _assess(
        customer,
        activity,
        as_of,
        abc_class,
        options,
        credit_profile,
        None if complaints is None else tuple(complaints),
        None if survey_responses is None else tuple(survey_responses),
    )


def assess_all(
    customers: Iterable[Customer],
    activities: Mapping[str, Activity],
    *,
    as_of: datetime,
    value_calculator: Any = "logicrm.value",
    tiering: TieringPolicy = TieringPolicy(),  # noqa: B008
    lifecycle_policy: LifecyclePolicy = LifecyclePolicy(),  # noqa: B008
    churn_policy: ChurnPolicy = ChurnPolicy(),  # noqa: B008
    abc_a: float = 0.8,
    abc_b: float = 0.95,
    credit_profiles: Mapping[str, CreditProfile] | None = None,
    credit_calculator: Any = "logicrm.credit",
    service_standards: Iterable[ServiceStandard] | None = None,
    survey_responses: Iterable[SurveyResponse] | None = None,
    gap_calculator: Any = "logicrm.gaps",
    complaints: Iterable[Complaint] | None = None,
    complaint_policy: ComplaintPolicy = ComplaintPolicy(),  # noqa: B008
) -> dict[str, Assessment]:
    """:func:`assess` every customer, ranking the ABC classes once over ``activities``.

    Customers without an activity are assessed as having no shipments.
    ``credit_profiles`` maps customer ids to profiles; ``complaints`` and
    ``survey_responses`` are split by their ``customer_id`` (responses without one are not
    attributed to anyone); ``service_standards`` apply to every customer.
    """
    check_aware("as_of", as_of)
    classes = _classes(activities, abc_a, abc_b)
    options = _options(
        value_calculator,
        credit_calculator,
        gap_calculator,
        tiering,
        lifecycle_policy,
        churn_policy,
        complaint_policy,
        service_standards,
    )
    profiles = credit_profiles or {}
    by_customer: dict[str, list[Complaint]] | None = None
    if complaints is not None:
        by_customer = {}
        for complaint in complaints:
            by_customer.setdefault(complaint.customer_id, []).append(complaint)
    responses: dict[str, list[SurveyResponse]] | None = None
    if survey_responses is not None:
        responses = {}
        for response in survey_responses:
            if response.customer_id is not None:
                responses.setdefault(response.customer_id, []).append(response)
    result = {}
    for customer in customers:
        activity = activities.get(customer.id) or Activity.empty(customer.id, as_of=as_of)
        result[customer.id] = _assess(
            customer,
            activity,
            as_of,
            classes.get(customer.id, AbcClass.C),
            options,
            profiles.get(customer.id),
            None if by_customer is None else tuple(by_customer.get(customer.id, ())),
            None if responses is None else tuple(responses.get(customer.id, ())),
        )
    return result


def _classes(population: Mapping[str, Activity], a: float, b: float) -> dict[str, AbcClass]:
    return abc_classes({key: act.revenue_within(365) for key, act in population.items()}, a=a, b=b)


def _assess(
    customer: Customer,
    activity: Activity,
    as_of: datetime,
    abc_class: AbcClass | None,
    options: _Options,
    credit_profile: CreditProfile | None,
    complaints: tuple[Complaint, ...] | None,
    responses: tuple[SurveyResponse, ...] | None,
) -> Assessment:
    tier_result = tier(customer, activity, as_of=as_of, policy=options.tiering)
    value = options.value(customer, activity, as_of=as_of)
    if not isinstance(value, ValueScore):
        fail("value_calculator", options.value, "must return a ValueScore")
    stage = lifecycle(activity, as_of=as_of, policy=options.lifecycle)
    churn = churn_risk(activity, as_of=as_of, policy=options.churn)
    if abc_class is not None:
        key = abc_class is AbcClass.A
        abc_reasons: tuple[Reason, ...] = (
            Reason(
                f"abc.{abc_class.value}",
                f"Pareto class {abc_class.name} by revenue over the last 365 days",
            ),
        )
    else:
        key = tier_result.tier in _KEY_TIERS
        abc_reasons = ()
    credit = None
    if credit_profile is not None:
        if credit_profile.customer_id != customer.id:
            fail(
                "credit_profile.customer_id",
                credit_profile.customer_id,
                f"is not the customer {customer.id!r}",
            )
        credit = options.credit(credit_profile, as_of=as_of, activity=activity)
        if not isinstance(credit, CreditDecision):
            fail("credit_calculator", options.credit, "must return a CreditDecision")
    service = service_kpis(activity)
    gaps = None
    if options.standards:
        survey = servqual(responses) if responses else None
        gaps = options.gap(service, options.standards, servqual=survey, management=None)
        if not isinstance(gaps, FiveGapsReport):
            fail("gap_calculator", options.gap, "must return a FiveGapsReport")
    sla = None
    if complaints is not None:
        for complaint in complaints:
            if complaint.customer_id != customer.id:
                fail("complaints", complaint.id, f"is not a complaint of {customer.id!r}")
        sla = complaint_sla(
            complaints, as_of=as_of, policy=options.complaint, tiers={customer.id: tier_result.tier}
        )
    flag = key and churn.at_risk
    flag_reasons = (
        (Reason("churn.key_customer", "a key customer ordering well below its usual pace"),)
        if flag
        else ()
    )
    return Assessment(
        customer_id=customer.id,
        as_of=as_of,
        tier=tier_result,
        abc_class=abc_class,
        value=value,
        lifecycle=stage,
        churn=churn,
        key_customer=key,
        churn_flag=flag,
        reasons=(
            *tier_result.reasons,
            *abc_reasons,
            *value.reasons,
            *stage.reasons,
            *churn.reasons,
            *flag_reasons,
            *(credit.reasons if credit is not None else ()),
            *(gaps.reasons if gaps is not None else ()),
            *(sla.reasons if sla is not None else ()),
        ),
        credit=credit,
        service=service,
        gaps=gaps,
        complaints=sla,
    )
