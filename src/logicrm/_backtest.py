"""Backtests: assess with the data before a cut-off, then see what happened in the horizon."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

from logicrm._assess import AssessmentInputs, Assessments, _classes, assess_all
from logicrm._backtest_results import (
    Backtest,
    BacktestOutcome,
    BacktestPolicy,
    _class_check,
    _credit_check,
    _flag_check,
)
from logicrm.domain import Customer, Invoice, Money, Reason, Shipment
from logicrm.domain._checks import check_aware, fail
from logicrm.domain._money import in_library_context
from logicrm.domain._reason import plural
from logicrm.policies import Policies
from logicrm.scoring import (
    AbcClass,
    Activity,
    LifecycleStage,
    ageing,
    apply_ageing,
    check_exposure,
    lifecycle,
    summarize,
    tier,
)
from logicrm.scoring._numbers import EXACT

_WEEK = timedelta(days=7)


@in_library_context
def backtest(
    customers: Iterable[Customer],
    shipments: Iterable[Shipment],
    *,
    cutoff: datetime,
    horizon: timedelta,
    policies: Policies | None = None,
    inputs: AssessmentInputs | None = None,
    invoices: Iterable[Invoice] | None = None,
    policy: BacktestPolicy | None = None,
    **calculators: Any,
) -> Backtest:
    """Assess every customer at ``cutoff`` with the data before it, then check the advice
    against the ``horizon`` after it.

    The assessment is [`assess_all()`][logicrm.assess_all] on the shipments ordered by
    ``cutoff`` (and the records of ``inputs`` dated by then); the outcome is read with the
    same functions at ``cutoff + horizon``: [`summarize()`][logicrm.summarize],
    [`lifecycle()`][logicrm.lifecycle], [`tier()`][logicrm.tier], the Pareto classes,
    [`ageing()`][logicrm.ageing] and [`check_exposure()`][logicrm.check_exposure]. No figure
    is computed a second way.

    A customer *lapsed* in the horizon when it was current at the cut-off and is lapsed at
    the end of the horizon by ``policies.lifecycle`` (no order for more than
    ``lapsed_after_days``). Choose a horizon at least that long, or only customers
    already idle at the cut-off can lapse (a reason says so).

    Args:
        customers: the customers to assess.
        shipments: every shipment, before and after the cut-off (iterated twice: pass a
            list or tuple).
        cutoff: the moment of the assessment (aware).
        horizon: how long to watch after it (> 0).
        policies: the policies of the advice (the domain defaults when ``None``).
        inputs: the other records, as for ``assess_all``. Complaints, interactions, survey
            responses and spend estimates dated after the cut-off are left out; a complaint
            opened before it but changed after it is left out too (its state at the cut-off
            is not recorded), and a reason counts them.
        invoices: the customers' invoices; given with credit profiles, each profile's
            receivable and overdue are aged at the cut-off, and weekly snapshots in the
            horizon say who went on hold.
        policy: the minimum evidence per figure ([`BacktestPolicy`][logicrm.BacktestPolicy];
            its defaults when ``None``).
        **calculators: ``value_calculator``, ``credit_calculator``, ``gap_calculator`` and
            ``action_calculator``, passed to ``assess_all``.

    Raises:
        ValidationError: a naive ``cutoff``, a non-positive ``horizon``, or a bad input.

    Examples:
        >>> from datetime import timedelta
        >>> from logicrm.sample import sample_dataset
        >>> data = sample_dataset()
        >>> result = backtest(data.customers, data.shipments,
        ...                   cutoff=data.as_of - timedelta(days=180), horizon=timedelta(days=180))
        >>> result.churn_flag.customers, result.churn_flag.precision
        (1, None)
        >>> result.churn_flag.reasons[-1].code
        'backtest.too_few_customers'
    """
    check_aware("cutoff", cutoff)
    if not isinstance(horizon, timedelta) or horizon <= timedelta(0):
        fail("horizon", horizon, "must be a positive timedelta")
    unknown = sorted(set(calculators) - _CALCULATORS)
    if unknown:
        raise TypeError(f"backtest() got an unexpected keyword argument {unknown[0]!r}")
    policies = Policies() if policies is None else policies
    inputs = AssessmentInputs() if inputs is None else inputs
    if not isinstance(inputs, AssessmentInputs):
        fail("inputs", inputs, "must be an AssessmentInputs")
    rows = shipments if isinstance(shipments, Sequence) else tuple(shipments)
    end = _end(cutoff, horizon)
    before = summarize(rows, as_of=cutoff)
    after = summarize(rows, as_of=end)
    return backtest_activities(
        customers,
        before,
        after,
        cutoff=cutoff,
        horizon=horizon,
        policies=policies,
        inputs=inputs,
        invoices=invoices,
        policy=policy,
        **calculators,
    )


_CALCULATORS = frozenset(
    {"value_calculator", "credit_calculator", "gap_calculator", "action_calculator"}
)


@in_library_context
def backtest_activities(
    customers: Iterable[Customer],
    before: Mapping[str, Activity],
    after: Mapping[str, Activity],
    *,
    cutoff: datetime,
    horizon: timedelta,
    policies: Policies | None = None,
    inputs: AssessmentInputs | None = None,
    invoices: Iterable[Invoice] | None = None,
    policy: BacktestPolicy | None = None,
    **calculators: Any,
) -> Backtest:
    """[`backtest()`][logicrm.backtest] from activities already summarised at the cut-off
    (``before``) and at the end of the horizon (``after``), e.g. by the columnar engine
    ([`logicrm.frames.to_activities()`][logicrm.frames.to_activities]) or merged from
    partitions. Same rules and result as ``backtest``.

    Raises:
        ValidationError: an activity of ``before`` not summarised at ``cutoff``, or of
            ``after`` not at ``cutoff + horizon``.

    Examples:
        >>> from datetime import timedelta
        >>> from logicrm.sample import sample_dataset
        >>> from logicrm.scoring import summarize
        >>> data = sample_dataset()
        >>> cut, watch = data.as_of - timedelta(days=180), timedelta(days=180)
        >>> result = backtest_activities(
        ...     data.customers, summarize(data.shipments, as_of=cut),
        ...     summarize(data.shipments, as_of=cut + watch), cutoff=cut, horizon=watch)
        >>> result.tiers.customers
        12
    """
    check_aware("cutoff", cutoff)
    if not isinstance(horizon, timedelta) or horizon <= timedelta(0):
        fail("horizon", horizon, "must be a positive timedelta")
    unknown = sorted(set(calculators) - _CALCULATORS)
    if unknown:
        raise TypeError(f"backtest() got an unexpected keyword argument {unknown[0]!r}")
    policies = Policies() if policies is None else policies
    inputs = AssessmentInputs() if inputs is None else inputs
    policy = BacktestPolicy() if policy is None else policy
    if not isinstance(policy, BacktestPolicy):
        fail("policy", policy, "must be a BacktestPolicy")
    if not isinstance(policies, Policies):
        fail("policies", policies, "must be a Policies")
    if not isinstance(inputs, AssessmentInputs):
        fail("inputs", inputs, "must be an AssessmentInputs")
    end = _end(cutoff, horizon)
    for name, activities, moment in (("before", before, cutoff), ("after", after, end)):
        for key, activity in activities.items():
            if activity.as_of is not None and activity.as_of != moment:
                fail(f"{name}[{key!r}].as_of", activity.as_of, f"must be {moment.isoformat()}")
    people = tuple(customers)
    invoice_rows = None if invoices is None else tuple(invoices)
    rewound, notes = _rewind(inputs, cutoff, invoice_rows)
    assessments = assess_all(
        people, before, as_of=cutoff, policies=policies, inputs=rewound, **calculators
    )
    classes_after = _classes(after, policies)[0]
    holds = _holds(people, assessments, rewound, invoice_rows, cutoff, end, policies)
    outcomes: dict[str, BacktestOutcome] = {}
    for customer in people:
        assessment = assessments[customer.id]
        was = before.get(customer.id) or Activity.empty(customer.id, as_of=cutoff)
        now = after.get(customer.id) or Activity.empty(customer.id, as_of=end)
        current = assessment.lifecycle.stage is LifecycleStage.CURRENT
        stage = lifecycle(now, as_of=end, policy=policies.lifecycle).stage
        credit = assessment.credit
        outcomes[customer.id] = BacktestOutcome(
            customer_id=customer.id,
            current=current,
            key_customer=assessment.key_customer,
            churn_flag=assessment.churn_flag,
            churn_risk=assessment.churn.at_risk,
            lapsed=current and stage is LifecycleStage.LAPSED,
            tier_before=assessment.tier.tier.value,
            tier_after=tier(customer, now, as_of=end, policy=policies.tiering).tier.value,
            class_before=(assessment.abc_class or AbcClass.C).name,
            class_after=classes_after.get(customer.id, AbcClass.C).name,
            horizon_revenue=EXACT.subtract(now.revenue, was.revenue),
            currency=now.currency,
            credit_outcome=None if credit is None else credit.outcome.value,
            on_hold=holds.get(customer.id),
        )
    reasons = [
        Reason(
            "backtest.split",
            f"advice at {cutoff.isoformat()} on {plural(len(people), 'customer')}, "
            f"outcome watched for {plural(horizon.days, 'day')} to {end.isoformat()}",
        ),
        *notes,
    ]
    if horizon < timedelta(days=policies.lifecycle.lapsed_after_days):
        reasons.append(
            Reason(
                "backtest.short_horizon",
                f"the horizon ({plural(horizon.days, 'day')}) is shorter than the lapse period "
                f"({policies.lifecycle.lapsed_after_days} days): only customers already idle "
                "at the cut-off can lapse in it",
            )
        )
    values = list(outcomes.values())
    return Backtest(
        cutoff=cutoff,
        horizon=horizon,
        assessments=assessments,
        outcomes=outcomes,
        churn_flag=_flag_check(
            "churn_flag", [o for o in values if o.key_customer], lambda o: o.churn_flag, policy
        ),
        churn_risk=_flag_check("churn_risk", values, lambda o: o.churn_risk, policy),
        tiers=_class_check("tier", values, lambda o: (o.tier_before, o.tier_after)),
        pareto=_class_check("pareto", values, lambda o: (o.class_before, o.class_after)),
        credit=None if invoice_rows is None else _credit_check(values, policy),
        policies=policies,
        reasons=tuple(reasons),
    )


def _end(cutoff: datetime, horizon: timedelta) -> datetime:
    try:
        return cutoff + horizon
    except OverflowError:
        fail("horizon", horizon, "reaches past the year 9999")


def _rewind(
    inputs: AssessmentInputs, cutoff: datetime, invoices: tuple[Invoice, ...] | None
) -> tuple[AssessmentInputs, list[Reason]]:
    """The inputs as they stood at the cut-off, and reasons counting what was left out."""
    notes: list[Reason] = []
    changes: dict[str, Any] = {}

    def keep(name: str, records: tuple[Any, ...] | None, known: Any) -> None:
        if records is None:
            return
        kept = tuple(r for r in records if known(r))
        if len(kept) < len(records):
            notes.append(
                Reason(
                    f"backtest.left_out.{name}",
                    f"{plural(len(records) - len(kept), 'record')} of {name} dated after the "
                    "cut-off left out of the advice",
                )
            )
        changes[name] = kept

    keep("complaints", inputs.complaints, lambda c: c.last_event_at <= cutoff)
    keep("interactions", inputs.interactions, lambda i: i.at <= cutoff)
    keep("survey_responses", inputs.survey_responses, lambda r: r.taken_at <= cutoff)
    keep("spend_estimates", inputs.spend_estimates, lambda e: e.estimated_on <= cutoff.date())
    if inputs.contacts is not None:
        notes.append(
            Reason(
                "backtest.contacts_as_given",
                "contacts were given already folded: make sure they were folded at the cut-off",
            )
        )
    profiles = dict(inputs.credit_profiles)
    for key, profile in profiles.items():
        statements = tuple(s for s in profile.statements if s.period_end <= cutoff.date())
        if len(statements) < len(profile.statements):
            profiles[key] = attrs.evolve(profile, statements=statements)
    if invoices is not None and profiles:
        currencies = {p.currency for p in profiles.values()}
        for currency in currencies:
            reports = ageing(
                (i for i in invoices if i.amount.currency == currency),
                as_of=cutoff,
                currency=currency,
            )
            for key, profile in profiles.items():
                report = reports.get(key)
                if report is not None and profile.currency == currency:
                    profiles[key] = apply_ageing(profile, report)
        notes.append(
            Reason(
                "backtest.credit_aged",
                "credit profiles' receivable and overdue aged from the invoices at the cut-off",
            )
        )
    elif profiles:
        notes.append(
            Reason(
                "backtest.credit_as_given",
                "credit profiles' receivable and overdue are as given, not as they stood at "
                "the cut-off: pass the invoices to age them there",
            )
        )
    changes["credit_profiles"] = profiles
    return attrs.evolve(inputs, **changes), notes


def _holds(
    people: tuple[Customer, ...],
    assessments: Assessments,
    inputs: AssessmentInputs,
    invoices: tuple[Invoice, ...] | None,
    cutoff: datetime,
    end: datetime,
    policies: Policies,
) -> dict[str, bool]:
    """Who went on hold on a weekly snapshot in (cutoff, end], among customers with a profile."""
    if invoices is None:
        return {}
    profiles = inputs.credit_profiles
    result = {c.id: False for c in people if c.id in profiles}
    moments = []
    moment = cutoff + _WEEK
    while moment < end:
        moments.append(moment)
        moment += _WEEK
    moments.append(end)
    for currency in {p.currency for p in profiles.values()}:
        mine = tuple(i for i in invoices if i.amount.currency == currency)
        for moment in moments:
            for key, report in ageing(mine, as_of=moment, currency=currency).items():
                profile = profiles.get(key)
                if profile is None or profile.currency != currency or result.get(key) is not False:
                    continue
                check = check_exposure(
                    apply_ageing(profile, report), Money.zero(currency), policy=policies.credit
                )
                if any(r.code == "exposure.on_hold" for r in check.reasons):
                    result[key] = True
    return result
