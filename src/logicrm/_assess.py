"""The facade other systems embed: everything logicrm says about one customer."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any, TypedDict

import attrs

from logicrm.domain import (
    Complaint,
    CreditProfile,
    Customer,
    Interaction,
    Reason,
    ServiceStandard,
    SpendEstimate,
    SurveyResponse,
)
from logicrm.domain._checks import check_aware, fail
from logicrm.domain._money import in_library_context
from logicrm.policies import ParetoCutoffs, Policies
from logicrm.quality import (
    ComplaintSlaReport,
    FiveGapsReport,
    ServiceKpis,
    complaint_sla,
    service_kpis,
    servqual,
)
from logicrm.retention import (
    ContactActivity,
    ContactPlan,
    CustomerShare,
    NextBestAction,
    Profitability,
    RetentionLever,
    contact_plan,
    customer_share,
    profitability,
    summarize_interactions,
)
from logicrm.retention._economics import plan_cost_warning
from logicrm.scoring import (
    AbcClass,
    Activity,
    ChurnRisk,
    CreditDecision,
    CustomerClass,
    LifecycleResult,
    LifecycleStage,
    Tier,
    TierResult,
    ValueScore,
    abc_classes,
    churn_risk,
    customer_classes,
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
        tier: the [`TierResult`][logicrm.scoring.TierResult].
        abc_class: the Pareto class within the population, ``None`` without one.
        value: the [`ValueScore`][logicrm.scoring.ValueScore] from the chosen value calculator.
        lifecycle: the [`LifecycleResult`][logicrm.scoring.LifecycleResult].
        churn: the [`ChurnRisk`][logicrm.scoring.ChurnRisk] (computed for everyone).
        key_customer: a key customer: class A within the first ``pareto.key_max_share`` of
            the ranked population (the notes' ~5% of customers bringing ~80% of sales), or
            without a population a top tier (large enterprise, frequent individual, class A
            institution).
        churn_flag: a key customer at churn risk — the domain's "do not lose key customers".
        reasons: every reason above, in that order (credit last).
        credit: the [`CreditDecision`][logicrm.scoring.CreditDecision] when a credit profile was
            given, else ``None``.
        service: the customer's [`ServiceKpis`][logicrm.quality.ServiceKpis].
        gaps: the [`FiveGapsReport`][logicrm.quality.FiveGapsReport] when service standards were
            given.
        complaints: the [`ComplaintSlaReport`][logicrm.quality.ComplaintSlaReport] when complaints
            were given.
        contact_plan: the [`ContactPlan`][logicrm.retention.ContactPlan] (follow-ups, surveys,
            record checks, complaint follow-ups) when interactions were given.
        share: the [`CustomerShare`][logicrm.retention.CustomerShare] when spend estimates were
            given.
        profitability: the [`Profitability`][logicrm.retention.Profitability] after cost to serve.
        action: the [`NextBestAction`][logicrm.retention.NextBestAction].
        customer_class: the notes' [`CustomerClass`][logicrm.scoring.CustomerClass]: key,
            potential (the rest of class A, and class B) or general (class C); ``None``
            without a population.

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
    contact_plan: ContactPlan | None = None
    share: CustomerShare | None = None
    profitability: Profitability | None = None
    action: NextBestAction | None = None
    customer_class: CustomerClass | None = None

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

    def row(self) -> AssessmentRow:
        """The assessment as one flat row of plain values (an
        [`AssessmentRow`][logicrm.AssessmentRow]).

        Money is split into an amount (``Decimal``) and a currency; rates are floats in [0, 1];
        missing sections give ``None``. This is the row ``logicrm score`` writes and
        [`Assessments.to_pandas()`][logicrm.Assessments.to_pandas] tabulates.
        """
        credit, service, gaps, sla = self.credit, self.service, self.gaps, self.complaints
        worst = gaps.worst if gaps is not None else None
        rates = {
            name: getattr(service, name) if service is not None else None for name in SERVICE_RATES
        }
        return {
            "customer_id": self.customer_id,
            "tier": self.tier.tier.value,
            "abc_class": self.abc_class.name if self.abc_class is not None else None,
            "customer_class": None if self.customer_class is None else self.customer_class.value,
            "value_score": None if self.value.score is None else round(self.value.score, 2),
            "lifecycle": self.lifecycle.stage.value,
            "churn_risk": self.churn.at_risk,
            "key_customer": self.key_customer,
            "churn_flag": self.churn_flag,
            "credit_outcome": credit.outcome.value if credit is not None else None,
            "credit_score": (
                None if credit is None or credit.score is None else round(credit.score, 2)
            ),
            "credit_limit": credit.limit.amount if credit is not None else None,
            "credit_currency": credit.limit.currency if credit is not None else None,
            "credit_term_days": credit.term_days if credit is not None else None,
            "on_time_rate": rates["on_time_rate"],
            "otif_rate": rates["otif_rate"],
            "perfect_order_rate": rates["perfect_order_rate"],
            "fill_rate": rates["fill_rate"],
            "late_delivery_rate": rates["late_delivery_rate"],
            "damage_rate": rates["damage_rate"],
            "invoice_error_rate": rates["invoice_error_rate"],
            "stockout_rate": rates["stockout_rate"],
            "substitution_rate": rates["substitution_rate"],
            "short_shipment_rate": rates["short_shipment_rate"],
            "reroute_rate": rates["reroute_rate"],
            "return_rate": rates["return_rate"],
            "worst_gap": f"{worst.gap.value} ({worst.where})" if worst else None,
            "worst_gap_size": worst.size if worst else None,
            "complaints": sla.total if sla is not None else None,
            "complaints_met": sla.met if sla is not None else None,
            "complaints_breached": sla.breached if sla is not None else None,
            **_retention_cells(self),  # type: ignore[typeddict-item]
            "top_reasons": "; ".join(r.message for r in self.top_reasons()),
        }

    def _repr_html_(self) -> str:
        """The notebook view: fields, nested results and reasons as HTML."""
        from logicrm._html import render

        return render(self)


class AssessmentRow(TypedDict):
    """One customer's assessment as a flat row of plain values: what
    [`Assessment.row()`][logicrm.Assessment.row] returns and ``logicrm score`` writes. Rates are
    shares in [0, 1]; a section the inputs did not allow (no credit profile, no standards, no
    complaints) gives ``None``."""

    customer_id: str
    tier: str
    abc_class: str | None
    customer_class: str | None
    value_score: float | None
    lifecycle: str
    churn_risk: bool
    key_customer: bool
    churn_flag: bool
    credit_outcome: str | None
    credit_score: float | None
    credit_limit: Decimal | None
    credit_currency: str | None
    credit_term_days: int | None
    on_time_rate: float | None
    otif_rate: float | None
    perfect_order_rate: float | None
    fill_rate: float | None
    late_delivery_rate: float | None
    damage_rate: float | None
    invoice_error_rate: float | None
    stockout_rate: float | None
    substitution_rate: float | None
    short_shipment_rate: float | None
    reroute_rate: float | None
    return_rate: float | None
    worst_gap: str | None
    worst_gap_size: float | None
    complaints: int | None
    complaints_met: int | None
    complaints_breached: int | None
    follow_up_due: str | None
    follow_ups_overdue: int | None
    customer_share: float | None
    cost_to_serve: Decimal | None
    margin_after_service: Decimal | None
    profit_currency: str | None
    unprofitable: bool | None
    next_action: str | None
    retention_lever: str | None
    incentive: str | None
    action_reason: str | None
    top_reasons: str


SERVICE_RATES = (
    "on_time_rate",
    "otif_rate",
    "perfect_order_rate",
    "fill_rate",
    "late_delivery_rate",
    "damage_rate",
    "invoice_error_rate",
    "stockout_rate",
    "substitution_rate",
    "short_shipment_rate",
    "reroute_rate",
    "return_rate",
)
""" The service rates an assessment row carries, in the order of the domain notes."""

RETENTION_COLUMNS = (
    "follow_up_due",
    "follow_ups_overdue",
    "customer_share",
    "cost_to_serve",
    "margin_after_service",
    "profit_currency",
    "unprofitable",
    "next_action",
    "retention_lever",
    "incentive",
    "action_reason",
)
"""The row's columns on keeping the customer: the earliest planned contact (ISO 8601) and
how many are overdue, customer share, cost to serve and margin after it, and the next best
action with its lever, incentive and first reason."""


def _retention_cells(assessment: Assessment) -> dict[str, Any]:
    plan, share = assessment.contact_plan, assessment.share
    profit, action = assessment.profitability, assessment.action
    due = plan.next_due if plan is not None else None
    lever = None if action is None else action.lever
    incentive = None if action is None else action.incentive
    return {
        "follow_up_due": None if due is None else due.isoformat(),
        "follow_ups_overdue": plan.overdue if plan is not None else None,
        "customer_share": share.share if share is not None else None,
        "cost_to_serve": None if profit is None else profit.cost_to_serve,
        "margin_after_service": None if profit is None else profit.margin,
        "profit_currency": None if profit is None else profit.currency,
        "unprofitable": None if profit is None else profit.unprofitable,
        "next_action": None if action is None else action.action.value,
        "retention_lever": None if lever is None else lever.value,
        "incentive": None if incentive is None else incentive.value,
        "action_reason": None if action is None else action.reasons[0].message,
    }


ROW_COLUMNS = (
    "customer_id",
    "tier",
    "abc_class",
    "customer_class",
    "value_score",
    "lifecycle",
    "churn_risk",
    "key_customer",
    "churn_flag",
    "credit_outcome",
    "credit_score",
    "credit_limit",
    "credit_currency",
    "credit_term_days",
    *SERVICE_RATES,
    "worst_gap",
    "worst_gap_size",
    "complaints",
    "complaints_met",
    "complaints_breached",
    *RETENTION_COLUMNS,
    "top_reasons",
)
""" The columns of [`Assessment.row()`][logicrm.Assessment.row], in order."""


_SHOWN = 50  # customers in the notebook view
_REPR_SHOWN = 3  # customers in the text view

KEY_COLUMNS = (
    "customer_id",
    "tier",
    "abc_class",
    "value_score",
    "lifecycle",
    "churn_flag",
    "credit_outcome",
    "credit_limit",
    "on_time_rate",
    "perfect_order_rate",
    "worst_gap",
    "next_action",
)
"""The columns the notebook view of [`Assessments`][logicrm.Assessments] shows first."""


def _class_name(value: AbcClass | None) -> str:
    return "-" if value is None else value.name


class Assessments(dict[str, Assessment]):
    """What [`assess_all()`][logicrm.assess_all] returns: a ``dict`` of customer id to
    [`Assessment`][logicrm.Assessment], with tables for notebooks and files.

    Examples:
        >>> from logicrm.sample import sample_dataset
        >>> from logicrm.scoring import summarize
        >>> data = sample_dataset()
        >>> results = assess_all(data.customers, summarize(data.shipments, as_of=data.as_of),
        ...                      as_of=data.as_of)
        >>> results.rows()[0]["tier"], len(results.rows()) == len(data.customers)
        ('large', True)
    """

    def rows(self) -> list[AssessmentRow]:
        """One [`Assessment.row()`][logicrm.Assessment.row] per customer, in the collection's
        order."""
        return [assessment.row() for assessment in self.values()]

    def to_pandas(self) -> Any:
        """A pandas ``DataFrame`` of [`rows()`][logicrm.Assessments.rows] (needs pandas); money
        amounts as floats."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_pandas needs pandas: pip install pandas") from None
        return pd.DataFrame(self._plain_rows(), columns=list(ROW_COLUMNS))

    def to_polars(self) -> Any:
        """A polars ``DataFrame`` of [`rows()`][logicrm.Assessments.rows] (needs the ``frames``
        extra); money amounts as exact decimals."""
        try:
            import polars as pl
        except ImportError:
            raise ImportError("to_polars needs polars: pip install 'logicrm[frames]'") from None
        rows = self.rows()
        schema = {name: _POLARS_TYPES.get(name, _float)(pl) for name in ROW_COLUMNS}
        return pl.DataFrame(rows, schema=schema, orient="row")

    def _plain_rows(self) -> list[dict[str, Any]]:
        money = ("credit_limit", "cost_to_serve", "margin_after_service")
        return [
            {**row, **{k: None if row[k] is None else float(row[k]) for k in money}}  # type: ignore[literal-required]
            for row in self.rows()
        ]

    def _repr_html_(self) -> str:
        """The notebook view: the key columns of the first 50 customers, their top reasons one
        per line, and every column folded below."""
        from logicrm._html import reasons_cell, row_cells, table

        rows = self.rows()[:_SHOWN]
        firsts = [a.top_reasons() for a in list(self.values())[:_SHOWN]]
        key = [
            [*row_cells(row, KEY_COLUMNS), reasons_cell(reasons)]
            for row, reasons in zip(rows, firsts, strict=True)
        ]
        every = [row_cells(row, ROW_COLUMNS) for row in rows]
        more = len(self) - len(rows)
        note = f"<p><em>{more:,} more not shown</em></p>" if more > 0 else ""
        return (
            f"<div class='logicrm'><strong>Assessments</strong> ({len(self):,} customers)"
            + table([*KEY_COLUMNS, "top reasons"], key, escape=False)
            + f"<details><summary>every column ({len(ROW_COLUMNS)})</summary>"
            + table(ROW_COLUMNS, every, escape=False)
            + f"</details>{note}</div>"
        )

    def __repr__(self) -> str:
        """A short text view: the count and the first customers, never all of them."""
        shown = [
            f"{a.customer_id}: {a.tier.tier.value}, class {_class_name(a.abc_class)}, "
            f"value {'-' if a.value.score is None else f'{a.value.score:.1f}'}"
            for a in list(self.values())[:_REPR_SHOWN]
        ]
        more = f", ... and {len(self) - _REPR_SHOWN:,} more" if len(self) > _REPR_SHOWN else ""
        return f"Assessments({len(self):,} customers: {'; '.join(shown)}{more})"


def _float(pl: Any) -> Any:
    return pl.Float64


_POLARS_TYPES: dict[str, Any] = {
    **dict.fromkeys(
        (
            "customer_id",
            "tier",
            "abc_class",
            "customer_class",
            "lifecycle",
            "credit_outcome",
            "credit_currency",
            "worst_gap",
            "follow_up_due",
            "profit_currency",
            "next_action",
            "retention_lever",
            "incentive",
            "action_reason",
            "top_reasons",
        ),
        lambda pl: pl.String,
    ),
    **dict.fromkeys(
        ("churn_risk", "key_customer", "churn_flag", "unprofitable"), lambda pl: pl.Boolean
    ),
    **dict.fromkeys(
        (
            "credit_term_days",
            "complaints",
            "complaints_met",
            "complaints_breached",
            "follow_ups_overdue",
        ),
        lambda pl: pl.Int64,
    ),
    **dict.fromkeys(
        ("credit_limit", "cost_to_serve", "margin_after_service"), lambda pl: pl.Decimal(38, 9)
    ),
}


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
    return calculator


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
        complaints = _by_customer(self.complaints, lambda c: c.customer_id)
        responses = _by_customer(self.survey_responses, lambda r: r.customer_id)
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


def _by_customer(records: Iterable[Any] | None, key: Any) -> dict[str, list[Any]] | None:
    if records is None:
        return None
    result: dict[str, list[Any]] = {}
    for record in records:
        owner = key(record)
        if owner is not None:
            result.setdefault(owner, []).append(record)
    return result


@attrs.frozen
class _Split:
    """The inputs of a run, by customer id (``None``: that kind was not given)."""

    profiles: Mapping[str, CreditProfile]
    complaints: dict[str, list[Complaint]] | None
    responses: dict[str, list[SurveyResponse]] | None
    contacts: Mapping[str, ContactActivity] | None
    estimates: dict[str, SpendEstimate] | None


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
        gap=_calculator(gap_calculator, "gap", "gap_calculator"),
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
    sofar = Assessment(
        customer_id=customer.id,
        as_of=as_of,
        tier=tier_result,
        abc_class=abc_class,
        value=value,
        lifecycle=stage,
        churn=churn,
        key_customer=key,
        churn_flag=flag,
        reasons=(),
        credit=credit,
        service=service,
        gaps=gaps,
        complaints=sla,
        share=share,
        profitability=profit,
        customer_class=customer_class,
    )
    action = options.action(customer, activity, sofar, as_of=as_of, profile=credit_profile)
    if not isinstance(action, NextBestAction):
        fail("action_calculator", options.action, "must return a NextBestAction")
    plan = None
    if contacts is not None:
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
            risk_since=_risk_since(activity, stage.stage, as_of, policies),
            key_customer=key,
            win_back_since=(
                _risk_since(activity, stage.stage, as_of, policies)
                if action.lever is RetentionLever.WIN_BACK
                else None
            ),
            churn=churn,
        )
        warning = plan_cost_warning(plan, profit, policies.contact, policies.service_cost)
        if warning is not None:
            plan = attrs.evolve(plan, reasons=(*plan.reasons, warning))
    return attrs.evolve(
        sofar,
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
