"""logicrm: customer relationship management for logistics.

Who are our customers and how do we tell them apart, may this customer have credit and how
much, and how good is our service in their eyes: answered from a company's own data, every
answer with its reasons.

The names below are the stable public API; each is also importable from its home subpackage
(``logicrm.domain``, ``logicrm.scoring``, ``logicrm.quality``). Subpackages load on first
use, so ``import logicrm`` itself costs almost nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from logicrm._assess import (
        Assessment,
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
        Severity,
        Shipment,
        SurveyResponse,
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
            "Severity",
            "Shipment",
            "SurveyResponse",
        ),
        "logicrm.domain",
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
            "assess",
            "assess_all",
        ),
        "logicrm._assess",
    ),
}

__all__ = [
    "BUCKETS",
    "CRITERIA",
    "WINDOW_DAYS",
    "AbcClass",
    "Activity",
    "AdministrativeLevel",
    "AgeingReport",
    "Answer",
    "Assessment",
    "BtydSummary",
    "Channel",
    "ChurnPolicy",
    "ChurnRisk",
    "Complaint",
    "ComplaintStatus",
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
    "Invoice",
    "LifecyclePolicy",
    "LifecycleResult",
    "LifecycleStage",
    "Money",
    "RatioBand",
    "Reason",
    "RfmScore",
    "ScoreBand",
    "Severity",
    "Shipment",
    "SurveyResponse",
    "Tier",
    "TierResult",
    "TieringPolicy",
    "ValueDimension",
    "ValueModel",
    "ValueScore",
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
    "lifecycle",
    "ratios",
    "rfm",
    "summarize",
    "tier",
    "value_score",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is not None:
        value = getattr(importlib.import_module(home), name)
        globals()[name] = value  # later lookups skip this function
        return value
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("logicrm")
        except PackageNotFoundError:  # a source tree that was never installed
            return "0.0.0+unknown"
    raise AttributeError(f"module 'logicrm' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
