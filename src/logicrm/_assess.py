"""The facade other systems embed: everything logicrm says about one customer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, TypedDict

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
from logicrm.domain._money import in_library_context
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
        tier: the [`TierResult`][logicrm.scoring.TierResult].
        abc_class: the Pareto class within the population, ``None`` without one.
        value: the [`ValueScore`][logicrm.scoring.ValueScore] from the chosen value calculator.
        lifecycle: the [`LifecycleResult`][logicrm.scoring.LifecycleResult].
        churn: the [`ChurnRisk`][logicrm.scoring.ChurnRisk] (computed for everyone).
        key_customer: class A in the population, or without a population a top tier (large
            enterprise, frequent individual, class A institution).
        churn_flag: a key customer at churn risk — the domain's "do not lose key customers".
        reasons: every reason above, in that order (credit last).
        credit: the [`CreditDecision`][logicrm.scoring.CreditDecision] when a credit profile was
            given, else ``None``.
        service: the customer's [`ServiceKpis`][logicrm.quality.ServiceKpis].
        gaps: the [`FiveGapsReport`][logicrm.quality.FiveGapsReport] when service standards were
            given.
        complaints: the [`ComplaintSlaReport`][logicrm.quality.ComplaintSlaReport] when complaints
            were given.

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

ROW_COLUMNS = (
    "customer_id",
    "tier",
    "abc_class",
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
        return [
            {
                **row,
                "credit_limit": None if row["credit_limit"] is None else float(row["credit_limit"]),
            }
            for row in self.rows()
        ]

    def _repr_html_(self) -> str:
        """The notebook view: the key columns of the first 50 customers, their top reasons one
        per line, and every column folded below."""
        from logicrm._html import cell, table

        rows = self.rows()[:_SHOWN]
        firsts = [a.top_reasons() for a in list(self.values())[:_SHOWN]]
        key = [
            [cell(row[c], c) for c in KEY_COLUMNS]  # type: ignore[literal-required]
            + ["<br>".join(cell(r.message) for r in reasons)]
            for row, reasons in zip(rows, firsts, strict=True)
        ]
        every = [[cell(row.get(c), c) for c in ROW_COLUMNS] for row in rows]
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
            "lifecycle",
            "credit_outcome",
            "credit_currency",
            "worst_gap",
            "top_reasons",
        ),
        lambda pl: pl.String,
    ),
    **dict.fromkeys(("churn_risk", "key_customer", "churn_flag"), lambda pl: pl.Boolean),
    **dict.fromkeys(
        ("credit_term_days", "complaints", "complaints_met", "complaints_breached"),
        lambda pl: pl.Int64,
    ),
    "credit_limit": lambda pl: pl.Decimal(38, 9),
}


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


@in_library_context
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
        activity: its [`Activity`][logicrm.scoring.Activity] built with ``as_of`` (``None`` means no
            shipments yet).
        as_of: the moment of the assessment (aware).
        population: activities of the customers to rank against, for the ABC class (by revenue over
            the trailing 365 days). For many customers use [`assess_all()`][logicrm.assess_all],
            which ranks once.
        abc_class: a class computed elsewhere; takes precedence over ``population``.
        value_calculator: the name of a registered value calculator (see
            [`logicrm.calculators`][logicrm.calculators]), a
            [`Calculator`][logicrm.calculators.Calculator], or any callable following
            [`ValueCalculator`][logicrm.calculators.ValueCalculator].
        tiering: the tiering policy (domain defaults).
        lifecycle_policy: the lifecycle policy (domain defaults).
        churn_policy: the churn policy (domain defaults).
        abc_a: where class A ends, as a cumulative share of revenue (80%).
        abc_b: where class B ends (95%).
        credit_profile: the customer's [`CreditProfile`][logicrm.domain.CreditProfile]; when given,
            the assessment includes a credit decision (limits from this activity's billing).
        credit_calculator: a registered credit calculator's name, a
            [`Calculator`][logicrm.calculators.Calculator] or a callable following
            [`CreditCalculator`][logicrm.calculators.CreditCalculator] (configure the built-in's
            policy with ``functools.partial(assess_credit, policy=...)``).
        service_standards: requirements, beliefs, standards and promises
            ([`ServiceStandard`][logicrm.domain.ServiceStandard]); when given, the assessment
            includes the five gaps of this customer's service.
        survey_responses: the customer's SERVQUAL responses, for the gaps per dimension.
        gap_calculator: a registered gap calculator's name or a callable following
            [`GapCalculator`][logicrm.calculators.GapCalculator].
        complaints: the customer's complaints; when given, the assessment includes the
            complaint SLA report (times by severity and by the customer's tier).
        complaint_policy: the [`ComplaintPolicy`][logicrm.quality.ComplaintPolicy].

    Examples:
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


@in_library_context
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
) -> Assessments:
    """[`assess()`][logicrm.assess] every customer, ranking the ABC classes once over
    ``activities``.

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
    result = Assessments()
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
