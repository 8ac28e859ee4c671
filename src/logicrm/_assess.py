"""The facade other systems embed: everything logicrm says about one customer."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import attrs

from logicrm._assess_inputs import AssessmentInputs as AssessmentInputs
from logicrm._assess_inputs import _Split
from logicrm._assessment import ROW_COLUMNS as ROW_COLUMNS
from logicrm._assessment import Assessment as Assessment
from logicrm._assessment import AssessmentRow as AssessmentRow
from logicrm._assessments import Assessments as Assessments
from logicrm.domain import (
    Customer,
    Reason,
    ServiceStandard,
)
from logicrm.domain._checks import check_aware, fail
from logicrm.domain._money import in_library_context
from logicrm.policies import ParetoCutoffs, Policies
from logicrm.quality import (
    FiveGapsReport,
    complaint_sla,
    five_gaps,
    service_kpis,
    servqual,
)
from logicrm.quality._gaps import measured_gaps
from logicrm.quality._servqual import survey_dimension_gaps
from logicrm.retention import (
    ContactActivity,
    NextBestAction,
    RetentionLever,
    contact_plan,
    customer_share,
    profitability,
)
from logicrm.retention._economics import plan_cost_warning
from logicrm.scoring import (
    AbcClass,
    Activity,
    CreditDecision,
    CustomerClass,
    LifecycleStage,
    Tier,
    ValueScore,
    abc_classes,
    churn_risk,
    customer_classes,
    lifecycle,
    tier,
)

_KEY_TIERS = frozenset({Tier.LARGE, Tier.FREQUENT, Tier.INSTITUTION_A})


def _calculator(calculator: Any, kind: str, parameter: str) -> Any:
    from logicrm import calculators

    if isinstance(calculator, str):
        return calculators.get(calculator, kind=kind)
    if not callable(calculator):
        fail(parameter, calculator, "must be a calculator name or a callable")
    return calculator


def _configured(calculator: Any, policies: Policies) -> Any:
    """A built-in calculator with the run's policies; any other as it is."""
    from logicrm.retention import next_best_action
    from logicrm.scoring import assess_credit, value_score

    function = getattr(calculator, "function", calculator)
    if function is value_score:
        return partial(value_score, model=policies.value)
    if function is assess_credit:
        return partial(assess_credit, policy=policies.credit)
    if function is next_best_action:
        return partial(next_best_action, policy=policies.action)
    if function is five_gaps:
        return five_gaps
    return calculator


@attrs.frozen
class _Options:
    """What every customer of one assessment run shares: policies and calculators."""

    value: Any
    credit: Any
    gap: Any
    action: Any
    policies: Policies
    standards: tuple[ServiceStandard, ...]


# The keywords assess and assess_all took before Policies and AssessmentInputs: where each
# now lives. They keep working, with a DeprecationWarning, for one release.
_POLICY_KEYWORDS = {
    "tiering": "tiering",
    "lifecycle_policy": "lifecycle",
    "churn_policy": "churn",
    "complaint_policy": "complaint",
}
_INPUT_KEYWORDS = {
    "credit_profiles": "credit_profiles",
    "service_standards": "service_standards",
    "survey_responses": "survey_responses",
    "complaints": "complaints",
}


def _legacy(
    function: str,
    policies: Policies | None,
    inputs: AssessmentInputs | None,
    legacy: dict[str, Any],
) -> tuple[Policies, AssessmentInputs]:
    """Fold the old keywords into ``Policies`` and ``AssessmentInputs``, warning once per
    call; an unknown keyword is a ``TypeError``, as Python's own."""
    policies = Policies() if policies is None else policies
    inputs = AssessmentInputs() if inputs is None else inputs
    if not isinstance(policies, Policies):
        fail("policies", policies, "must be a Policies")
    if not isinstance(inputs, AssessmentInputs):
        fail("inputs", inputs, "must be an AssessmentInputs")
    if not legacy:
        return policies, inputs
    known = {*_POLICY_KEYWORDS, *_INPUT_KEYWORDS, "abc_a", "abc_b", "credit_profile"}
    unknown = sorted(set(legacy) - known)
    if unknown:
        raise TypeError(f"{function}() got an unexpected keyword argument {unknown[0]!r}")
    warnings.warn(
        f"{function}(): the keywords {', '.join(sorted(legacy))} are deprecated and will be "
        "removed in the next minor release; pass policies=Policies(...) and "
        "inputs=AssessmentInputs(...)",
        DeprecationWarning,
        stacklevel=3,
    )
    changes = {_POLICY_KEYWORDS[k]: v for k, v in legacy.items() if k in _POLICY_KEYWORDS}
    if "abc_a" in legacy or "abc_b" in legacy:
        changes["pareto"] = ParetoCutoffs(
            a=legacy.get("abc_a", policies.pareto.a), b=legacy.get("abc_b", policies.pareto.b)
        )
    policies = attrs.evolve(policies, **changes)
    given = {_INPUT_KEYWORDS[k]: v for k, v in legacy.items() if k in _INPUT_KEYWORDS}
    if legacy.get("credit_profile") is not None:
        given["credit_profiles"] = [legacy["credit_profile"]]
    return policies, attrs.evolve(inputs, **given)


def _options(
    policies: Policies,
    inputs: AssessmentInputs,
    value_calculator: Any,
    credit_calculator: Any,
    gap_calculator: Any,
    action_calculator: Any,
) -> _Options:
    return _Options(
        value=_configured(_calculator(value_calculator, "value", "value_calculator"), policies),
        credit=_configured(_calculator(credit_calculator, "credit", "credit_calculator"), policies),
        gap=_configured(_calculator(gap_calculator, "gap", "gap_calculator"), policies),
        action=_configured(_calculator(action_calculator, "action", "action_calculator"), policies),
        policies=policies,
        standards=inputs.service_standards or (),
    )


@in_library_context
def assess(
    customer: Customer,
    activity: Activity | None,
    *,
    as_of: datetime,
    policies: Policies | None = None,
    inputs: AssessmentInputs | None = None,
    population: Mapping[str, Activity] | None = None,
    abc_class: AbcClass | None = None,
    value_calculator: Any = "logicrm.value",
    credit_calculator: Any = "logicrm.credit",
    gap_calculator: Any = "logicrm.gaps",
    action_calculator: Any = "logicrm.action",
    **legacy: Any,
) -> Assessment:
    """Assess one customer: tier, Pareto class, value, lifecycle, churn, credit, service,
    contacts due, customer share, profitability and the next best action.

    Args:
        customer: the customer.
        activity: its [`Activity`][logicrm.scoring.Activity] built with ``as_of`` (``None`` means no
            shipments yet).
        as_of: the moment of the assessment (aware).
        policies: every policy of the run ([`Policies`][logicrm.policies.Policies], the domain
            defaults when ``None``).
        inputs: the customer's other records ([`AssessmentInputs`][logicrm.AssessmentInputs]):
            a credit profile, complaints, survey responses, service standards, contacts and a
            spend estimate; each kind given adds its section.
        population: activities of the customers to rank against, for the ABC class (by revenue over
            the trailing 365 days). For many customers use [`assess_all()`][logicrm.assess_all],
            which ranks once.
        abc_class: a class computed elsewhere; takes precedence over ``population``.
        value_calculator: the name of a registered value calculator (see
            [`logicrm.calculators`][logicrm.calculators]), a
            [`Calculator`][logicrm.calculators.Calculator], or any callable following
            [`ValueCalculator`][logicrm.calculators.ValueCalculator]. The built-in uses
            ``policies.value``.
        credit_calculator: likewise, following
            [`CreditCalculator`][logicrm.calculators.CreditCalculator]; the built-in uses
            ``policies.credit``.
        gap_calculator: likewise, following [`GapCalculator`][logicrm.calculators.GapCalculator].
        action_calculator: likewise, following
            [`ActionCalculator`][logicrm.calculators.ActionCalculator]; the built-in uses
            ``policies.action``.
        **legacy: the keywords of earlier releases (``tiering``, ``lifecycle_policy``,
            ``churn_policy``, ``abc_a``, ``abc_b``, ``complaint_policy``, ``credit_profile``,
            ``service_standards``, ``survey_responses``, ``complaints``): still honoured, with a
            ``DeprecationWarning``, until the next minor release.

    Examples:
        >>> from logicrm.sample import sample_dataset
        >>> from logicrm.scoring import summarize
        >>> data = sample_dataset()
        >>> activities = summarize(data.shipments, as_of=data.as_of)
        >>> result = assess(data.customers[0], activities["C00000"], as_of=data.as_of,
        ...                 population=activities)
        >>> result.tier.tier.value, result.abc_class.name, result.action.action.value
        ('large', 'A', 'grow_key')
    """
    check_aware("as_of", as_of)
    policies, inputs = _legacy("assess", policies, inputs, legacy)
    if activity is None:
        activity = Activity.empty(customer.id, as_of=as_of)
    customer_class = None
    if abc_class is None and population is not None:
        classes, kinds = _classes(population, policies)
        abc_class = classes.get(customer.id, AbcClass.C)
        customer_class = kinds.get(customer.id, CustomerClass.GENERAL)
    elif abc_class is not None:
        customer_class = (
            CustomerClass.KEY
            if abc_class is AbcClass.A
            else (CustomerClass.POTENTIAL if abc_class is AbcClass.B else CustomerClass.GENERAL)
        )
    options = _options(
        policies, inputs, value_calculator, credit_calculator, gap_calculator, action_calculator
    )
    return _assess(
        customer, activity, as_of, abc_class, customer_class, options, inputs._split(as_of)
    )


@in_library_context
def assess_all(
    customers: Iterable[Customer],
    activities: Mapping[str, Activity],
    *,
    as_of: datetime,
    policies: Policies | None = None,
    inputs: AssessmentInputs | None = None,
    value_calculator: Any = "logicrm.value",
    credit_calculator: Any = "logicrm.credit",
    gap_calculator: Any = "logicrm.gaps",
    action_calculator: Any = "logicrm.action",
    **legacy: Any,
) -> Assessments:
    """[`assess()`][logicrm.assess] every customer, ranking the ABC classes once over
    ``activities``.

    Customers without an activity are assessed as having no shipments. The records in
    ``inputs`` are split by their ``customer_id``; service standards apply to everyone. The
    old keywords (``credit_profiles`` and those of [`assess()`][logicrm.assess]) still work,
    with a ``DeprecationWarning``, until the next minor release.

    Examples:
        >>> from logicrm.sample import sample_dataset
        >>> from logicrm.scoring import summarize
        >>> data = sample_dataset()
        >>> results = assess_all(data.customers, summarize(data.shipments, as_of=data.as_of),
        ...                      as_of=data.as_of, inputs=data.inputs())
        >>> plan = results["C00000"].contact_plan
        >>> plan is not None and all(item.reason.message for item in plan.items)
        True
    """
    check_aware("as_of", as_of)
    policies, inputs = _legacy("assess_all", policies, inputs, legacy)
    classes, kinds = _classes(activities, policies)
    options = _options(
        policies, inputs, value_calculator, credit_calculator, gap_calculator, action_calculator
    )
    split = inputs._split(as_of)
    result = Assessments()
    for customer in customers:
        activity = activities.get(customer.id) or Activity.empty(customer.id, as_of=as_of)
        result[customer.id] = _assess(
            customer,
            activity,
            as_of,
            classes.get(customer.id, AbcClass.C),
            kinds.get(customer.id, CustomerClass.GENERAL),
            options,
            split,
        )
    return result


def _classes(
    population: Mapping[str, Activity], policies: Policies
) -> tuple[dict[str, AbcClass], dict[str, CustomerClass]]:
    """The Pareto classes by the policy's basis over the last 365 days, and the notes'
    key / potential / general classes."""
    cut = policies.pareto
    if cut.basis == "profit":
        values = {
            key: act.revenue_within(365) - act.cost_within(365) for key, act in population.items()
        }
    else:
        values = {key: act.revenue_within(365) for key, act in population.items()}
    classes = abc_classes(values, a=cut.a, b=cut.b)
    return classes, customer_classes(classes, key_max_share=cut.key_max_share)


def _assess(
    customer: Customer,
    activity: Activity,
    as_of: datetime,
    abc_class: AbcClass | None,
    customer_class: CustomerClass | None,
    options: _Options,
    split: _Split,
) -> Assessment:
    policies = options.policies
    tier_result = tier(customer, activity, as_of=as_of, policy=policies.tiering)
    value = options.value(customer, activity, as_of=as_of)
    if not isinstance(value, ValueScore):
        fail("value_calculator", options.value, "must return a ValueScore")
    stage = lifecycle(activity, as_of=as_of, policy=policies.lifecycle)
    churn = churn_risk(activity, as_of=as_of, policy=policies.churn)
    if abc_class is not None:
        key = customer_class is CustomerClass.KEY
        basis = policies.pareto.basis
        abc_reasons: tuple[Reason, ...] = (
            Reason(
                f"abc.{abc_class.value}",
                f"Pareto class {abc_class.name} by {basis} over the last 365 days"
                + ("" if customer_class is None else f": a {customer_class.value} customer"),
            ),
        )
    else:
        key = tier_result.tier in _KEY_TIERS
        abc_reasons = ()
    credit_profile = split.profiles.get(customer.id)
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
        responses = split.responses.get(customer.id) if split.responses is not None else None
        if options.gap is five_gaps:  # the built-in reads only the survey's dimension gaps
            survey_gaps = survey_dimension_gaps(responses) if responses else None
            gaps = measured_gaps(service, options.standards, survey_gaps, {})
        else:
            survey = servqual(responses) if responses else None
            gaps = options.gap(service, options.standards, servqual=survey, management=None)
            if not isinstance(gaps, FiveGapsReport):
                fail("gap_calculator", options.gap, "must return a FiveGapsReport")
    complaints = None if split.complaints is None else tuple(split.complaints.get(customer.id, ()))
    sla = None
    if complaints is not None:
        for complaint in complaints:
            if complaint.customer_id != customer.id:
                fail("complaints", complaint.id, f"is not a complaint of {customer.id!r}")
        sla = complaint_sla(
            complaints,
            as_of=as_of,
            policy=policies.complaint,
            tiers={customer.id: tier_result.tier},
        )
    contacts = None
    if split.contacts is not None:
        contacts = split.contacts.get(customer.id) or ContactActivity.empty(
            customer.id, as_of=as_of
        )
    share = None
    if split.estimates is not None:
        share = customer_share(activity, split.estimates.get(customer.id), as_of=as_of)
    profit = profitability(
        activity,
        as_of=as_of,
        complaints=complaints,
        contacts=contacts,
        policy=policies.service_cost,
    )
    flag = key and churn.at_risk
    flag_reasons = (
        (Reason("churn.key_customer", "a key customer at churn risk: " + churn.reasons[0].message),)
        if flag
        else ()
    )
    sections: dict[str, Any] = {
        "customer_id": customer.id,
        "as_of": as_of,
        "tier": tier_result,
        "abc_class": abc_class,
        "value": value,
        "lifecycle": stage,
        "churn": churn,
        "key_customer": key,
        "churn_flag": flag,
        "credit": credit,
        "service": service,
        "gaps": gaps,
        "complaints": sla,
        "share": share,
        "profitability": profit,
        "customer_class": customer_class,
    }
    sofar = Assessment(**sections, reasons=())
    action = options.action(customer, activity, sofar, as_of=as_of, profile=credit_profile)
    if not isinstance(action, NextBestAction):
        fail("action_calculator", options.action, "must return a NextBestAction")
    plan = None
    if contacts is not None:
        risk_since = _risk_since(activity, stage.stage, as_of, policies)
        plan = contact_plan(
            customer,
            as_of=as_of,
            tier=tier_result.tier,
            abc_class=abc_class,
            contacts=contacts,
            activity=activity,
            complaints=complaints or (),
            policy=policies.contact,
            complaint_policy=policies.complaint,
            action=action.action,
            risk_since=risk_since,
            key_customer=key,
            win_back_since=risk_since if action.lever is RetentionLever.WIN_BACK else None,
            churn=churn,
        )
        warning = plan_cost_warning(plan, profit, policies.contact, policies.service_cost)
        if warning is not None:
            plan = attrs.evolve(plan, reasons=(*plan.reasons, warning))
    return Assessment(
        **sections,
        contact_plan=plan,
        action=action,
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
            *(plan.reasons if plan is not None else ()),
            *(share.reasons if share is not None else ()),
            *profit.reasons,
            *action.reasons,
        ),
    )


def _risk_since(
    activity: Activity, stage: LifecycleStage, as_of: datetime, policies: Policies
) -> datetime:
    """When a key customer's loss signal began: the day it lapsed, or the start of the
    churn rule's recent window."""
    if stage is LifecycleStage.LAPSED and activity.last_order_at is not None:
        return activity.last_order_at + timedelta(days=policies.lifecycle.lapsed_after_days)
    return as_of - timedelta(days=policies.churn.recent_days)
