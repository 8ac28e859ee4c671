"""Scoring: activity aggregates, value, tiers, classes, lifecycle, churn and credit.

Start with [`summarize()`][logicrm.scoring.summarize] to fold shipments into one
[`Activity`][logicrm.scoring.Activity] per customer; every calculator here reads activities, and
[`logicrm.assess()`][logicrm.assess] gathers them all.
"""

from logicrm.scoring._activity import WINDOW_DAYS, Activity, merge_activities, summarize
from logicrm.scoring._ageing import BUCKETS, AgeingReport, ageing, apply_ageing
from logicrm.scoring._btyd import BtydSummary, btyd_summary
from logicrm.scoring._credit import (
    CRITERIA,
    CreditDecision,
    CreditFramework,
    CreditOutcome,
    CreditPolicy,
    ExposureCheck,
    RatioBand,
    ScoreBand,
    assess_credit,
    check_exposure,
)
from logicrm.scoring._holdout import HoldoutSummary, calibration_and_holdout
from logicrm.scoring._lifecycle import (
    ChurnPolicy,
    ChurnRisk,
    ChurnTrend,
    LifecyclePolicy,
    LifecycleResult,
    LifecycleStage,
    churn_risk,
    lifecycle,
)
from logicrm.scoring._ratios import FinancialRatios, ratios
from logicrm.scoring._segments import (
    AbcClass,
    CustomerClass,
    RfmScore,
    abc_classes,
    customer_classes,
    rfm,
)
from logicrm.scoring._tier import Tier, TieringPolicy, TierResult, tier
from logicrm.scoring._value import ValueDimension, ValueModel, ValueScore, value_score

__all__ = [
    "BUCKETS",
    "CRITERIA",
    "WINDOW_DAYS",
    "AbcClass",
    "Activity",
    "AgeingReport",
    "BtydSummary",
    "ChurnPolicy",
    "ChurnRisk",
    "ChurnTrend",
    "CreditDecision",
    "CreditFramework",
    "CreditOutcome",
    "CreditPolicy",
    "CustomerClass",
    "ExposureCheck",
    "FinancialRatios",
    "HoldoutSummary",
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
    "abc_classes",
    "ageing",
    "apply_ageing",
    "assess_credit",
    "btyd_summary",
    "calibration_and_holdout",
    "check_exposure",
    "churn_risk",
    "customer_classes",
    "lifecycle",
    "merge_activities",
    "ratios",
    "rfm",
    "summarize",
    "tier",
    "value_score",
]
