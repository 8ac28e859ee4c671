"""One customer's assessment: the record the facade returns, and the flat row it becomes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, TypedDict

import attrs

from logicrm.domain import (
    Reason,
)
from logicrm.quality import (
    ComplaintSlaReport,
    FiveGapsReport,
    ServiceKpis,
)
from logicrm.retention import (
    ContactPlan,
    CustomerShare,
    NextBestAction,
    Profitability,
)
from logicrm.scoring import (
    AbcClass,
    ChurnRisk,
    CreditDecision,
    CustomerClass,
    LifecycleResult,
    TierResult,
    ValueScore,
)


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
