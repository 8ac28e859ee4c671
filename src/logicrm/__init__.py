"""logicrm: customer relationship management for logistics.

Who are our customers and how do we tell them apart, may this customer have credit and how
much, and how good is our service in their eyes: answered from a company's own data, every
answer with its reasons.

The names in ``__all__`` are the stable public API; each is also importable from its home
subpackage (``logicrm.domain``, ``logicrm.scoring``, ``logicrm.quality``). The public
submodules (``logicrm.io``, ``logicrm.serialization``, ``logicrm.policies``, ...) and the
names load on first use, so ``import logicrm`` itself costs almost nothing; ``dir(logicrm)``
lists the public names and submodules only.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from logicrm._assess import (
        Assessment,
        AssessmentRow,
        Assessments,
        assess,
        assess_all,
    )
    from logicrm.domain import (
        AdministrativeLevel,
        Answer,
        Channel,
        Complaint,
        ComplaintStatus,
        ContactDetails,
        CreditProfile,
        Customer,
        CustomerKind,
        CustomerSize,
        DataSource,
        Dimension,
        FinancialStatement,
        Invoice,
        Money,
        Reason,
        ServiceMeasure,
        ServiceStandard,
        Severity,
        Shipment,
        StandardKind,
        SurveyResponse,
    )
    from logicrm.quality import (
        BACKLOG_AGES,
        ComplaintPolicy,
        ComplaintSla,
        ComplaintSlaReport,
        ComplaintTimes,
        FiveGapsReport,
        Gap,
        MeasureGaps,
        ServiceKpis,
        ServqualResult,
        SlaStatus,
        WorstGap,
        complaint_sla,
        five_gaps,
        service_kpis,
        service_kpis_by_month,
        servqual,
    )
    from logicrm.scoring import (
        BUCKETS,
        CRITERIA,
        WINDOW_DAYS,
        AbcClass,
        Activity,
        AgeingReport,
        BtydSummary,
        ChurnPolicy,
        ChurnRisk,
        CreditDecision,
        CreditFramework,
        CreditOutcome,
        CreditPolicy,
        ExposureCheck,
        FinancialRatios,
        LifecyclePolicy,
        LifecycleResult,
        LifecycleStage,
        RatioBand,
        RfmScore,
        ScoreBand,
        Tier,
        TieringPolicy,
        TierResult,
        ValueDimension,
        ValueModel,
        ValueScore,
        abc_classes,
        ageing,
        apply_ageing,
        assess_credit,
        btyd_summary,
        check_exposure,
        churn_risk,
        lifecycle,
        merge_activities,
        ratios,
        rfm,
        summarize,
        tier,
        value_score,
    )

# Where each public name lives; loaded on first access (PEP 562).
_HOMES: dict[str, str] = {
    **dict.fromkeys(
        (
            "AdministrativeLevel",
            "Answer",
            "Channel",
            "Complaint",
            "ComplaintStatus",
            "ContactDetails",
            "CreditProfile",
            "Customer",
            "CustomerKind",
            "CustomerSize",
            "DataSource",
            "Dimension",
            "FinancialStatement",
            "Invoice",
            "Money",
            "Reason",
            "ServiceMeasure",
            "ServiceStandard",
            "Severity",
            "Shipment",
            "StandardKind",
            "SurveyResponse",
        ),
        "logicrm.domain",
    ),
    **dict.fromkeys(
        (
            "BACKLOG_AGES",
            "ComplaintPolicy",
            "ComplaintSla",
            "ComplaintSlaReport",
            "ComplaintTimes",
            "FiveGapsReport",
            "Gap",
            "MeasureGaps",
            "ServiceKpis",
            "ServqualResult",
            "SlaStatus",
            "WorstGap",
            "complaint_sla",
            "five_gaps",
            "service_kpis",
            "service_kpis_by_month",
            "servqual",
        ),
        "logicrm.quality",
    ),
    **dict.fromkeys(
        (
            "AbcClass",
            "Activity",
            "AgeingReport",
            "BUCKETS",
            "BtydSummary",
            "CRITERIA",
            "ChurnPolicy",
            "ChurnRisk",
            "CreditDecision",
            "CreditFramework",
            "CreditOutcome",
            "CreditPolicy",
            "ExposureCheck",
            "FinancialRatios",
            "LifecyclePolicy",
            "LifecycleResult",
            "LifecycleStage",
            "RatioBand",
            "RfmScore",
            "ScoreBand",
            "Tier",
            "TierResult",
            "TieringPolicy",
            "ValueDimension",
            "ValueModel",
            "ValueScore",
            "WINDOW_DAYS",
            "abc_classes",
            "ageing",
            "apply_ageing",
            "assess_credit",
            "btyd_summary",
            "check_exposure",
            "churn_risk",
            "lifecycle",
            "merge_activities",
            "ratios",
            "rfm",
            "summarize",
            "tier",
            "value_score",
        ),
        "logicrm.scoring",
    ),
    **dict.fromkeys(
        (
            "Assessment",
            "AssessmentRow",
            "Assessments",
            "assess",
            "assess_all",
        ),
        "logicrm._assess",
    ),
}

__all__ = [
    "BACKLOG_AGES",
    "BUCKETS",
    "CRITERIA",
    "WINDOW_DAYS",
    "AbcClass",
    "Activity",
    "AdministrativeLevel",
    "AgeingReport",
    "Answer",
    "Assessment",
    "AssessmentRow",
    "Assessments",
    "BtydSummary",
    "Channel",
    "ChurnPolicy",
    "ChurnRisk",
    "Complaint",
    "ComplaintPolicy",
    "ComplaintSla",
    "ComplaintSlaReport",
    "ComplaintStatus",
    "ComplaintTimes",
    "ContactDetails",
    "CreditDecision",
    "CreditFramework",
    "CreditOutcome",
    "CreditPolicy",
    "CreditProfile",
    "Customer",
    "CustomerKind",
    "CustomerSize",
    "DataSource",
    "Dimension",
    "ExposureCheck",
    "FinancialRatios",
    "FinancialStatement",
    "FiveGapsReport",
    "Gap",
    "Invoice",
    "LifecyclePolicy",
    "LifecycleResult",
    "LifecycleStage",
    "MeasureGaps",
    "Money",
    "RatioBand",
    "Reason",
    "RfmScore",
    "ScoreBand",
    "ServiceKpis",
    "ServiceMeasure",
    "ServiceStandard",
    "ServqualResult",
    "Severity",
    "Shipment",
    "SlaStatus",
    "StandardKind",
    "SurveyResponse",
    "Tier",
    "TierResult",
    "TieringPolicy",
    "ValueDimension",
    "ValueModel",
    "ValueScore",
    "WorstGap",
    "__version__",
    "abc_classes",
    "ageing",
    "apply_ageing",
    "assess",
    "assess_all",
    "assess_credit",
    "btyd_summary",
    "check_exposure",
    "churn_risk",
    "complaint_sla",
    "five_gaps",
    "lifecycle",
    "merge_activities",
    "ratios",
    "rfm",
    "service_kpis",
    "service_kpis_by_month",
    "servqual",
    "summarize",
    "tier",
    "value_score",
]


# The public submodules, loaded on first use like the names (``logicrm.io.read``). Those that
# need an extra (frames, dask, models, plot) say which when it is missing.
_SUBMODULES = frozenset(
    {
        "calculators",
        "cli",
        "dask",
        "domain",
        "errors",
        "frames",
        "io",
        "models",
        "plot",
        "policies",
        "quality",
        "sample",
        "scoring",
        "serialization",
        "testing",
    }
)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is not None:
        value = getattr(importlib.import_module(home), name)
        globals()[name] = value  # later lookups skip this function
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"logicrm.{name}")  # the import binds it here too
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("logicrm")
        except PackageNotFoundError:  # a source tree that was never installed
            return "0.0.0+unknown"
    raise AttributeError(f"module 'logicrm' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*__all__, *_SUBMODULES})
