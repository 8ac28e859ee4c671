"""The facade other systems embed: everything logicrm says about one customer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from logicrm.domain import CreditProfile, Customer, Reason
from logicrm.domain._checks import check_aware, fail
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

    New sections (service quality) arrive as new fields with defaults, so code written
    against this class keeps working.
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
) -> Assessment:
    """Assess one customer: tier, Pareto class, value, lifecycle and churn, with reasons.

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
    value_function = _calculator(value_calculator, "value", "value_calculator")
    credit_function = _calculator(credit_calculator, "credit", "credit_calculator")
    return _assess(
        customer,
        activity,
        as_of,
        abc_class,
        value_function,
        tiering,
        lifecycle_policy,
        churn_policy,
        credit_profile,
        credit_function,
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
) -> dict[str, Assessment]:
    """:func:`assess` every customer, ranking the ABC classes once over ``activities``.

    Customers without an activity are assessed as having no shipments;
    ``credit_profiles`` maps customer ids to profiles for the credit decisions.
    """
    check_aware("as_of", as_of)
    classes = _classes(activities, abc_a, abc_b)
    value_function = _calculator(value_calculator, "value", "value_calculator")
    credit_function = _calculator(credit_calculator, "credit", "credit_calculator")
    profiles = credit_profiles or {}
    result = {}
    for customer in customers:
        activity = activities.get(customer.id) or Activity.empty(customer.id, as_of=as_of)
        result[customer.id] = _assess(
            customer,
            activity,
            as_of,
            classes.get(customer.id, AbcClass.C),
            value_function,
            tiering,
            lifecycle_policy,
            churn_policy,
            profiles.get(customer.id),
            credit_function,
        )
    return result


def _classes(population: Mapping[str, Activity], a: float, b: float) -> dict[str, AbcClass]:
    return abc_classes({key: act.revenue_within(365) for key, act in population.items()}, a=a, b=b)


def _assess(
    customer: Customer,
    activity: Activity,
    as_of: datetime,
    abc_class: AbcClass | None,
    value_function: Any,
    tiering: TieringPolicy,
    lifecycle_policy: LifecyclePolicy,
    churn_policy: ChurnPolicy,
    credit_profile: CreditProfile | None,
    credit_function: Any,
) -> Assessment:
    tier_result = tier(customer, activity, as_of=as_of, policy=tiering)
    value = value_function(customer, activity, as_of=as_of)
    if not isinstance(value, ValueScore):
        fail("value_calculator", value_function, "must return a ValueScore")
    stage = lifecycle(activity, as_of=as_of, policy=lifecycle_policy)
    churn = churn_risk(activity, as_of=as_of, policy=churn_policy)
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
        credit = credit_function(credit_profile, as_of=as_of, activity=activity)
        if not isinstance(credit, CreditDecision):
            fail("credit_calculator", credit_function, "must return a CreditDecision")
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
        ),
        credit=credit,
    )
