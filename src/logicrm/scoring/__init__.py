"""Scoring: activity aggregates, value, tiers, classes, lifecycle and churn.

Start with :func:`summarize` to fold shipments into one :class:`Activity` per customer;
every calculator here reads activities, and :func:`logicrm.assess` gathers them all.
"""

from logicrm.scoring._activity import WINDOW_DAYS, Activity, summarize
from logicrm.scoring._btyd import BtydSummary, btyd_summary
from logicrm.scoring._lifecycle import (
    ChurnPolicy,
    ChurnRisk,
    LifecyclePolicy,
    LifecycleResult,
    LifecycleStage,
    churn_risk,
    lifecycle,
)
from logicrm.scoring._segments import AbcClass, RfmScore, abc_classes, rfm
from logicrm.scoring._tier import Tier, TieringPolicy, TierResult, tier
from logicrm.scoring._value import ValueDimension, ValueModel, ValueScore, value_score

__all__ = [
    "WINDOW_DAYS",
    "AbcClass",
    "Activity",
    "BtydSummary",
    "ChurnPolicy",
    "ChurnRisk",
    "LifecyclePolicy",
    "LifecycleResult",
    "LifecycleStage",
    "RfmScore",
    "Tier",
    "TierResult",
    "TieringPolicy",
    "ValueDimension",
    "ValueModel",
    "ValueScore",
    "abc_classes",
    "btyd_summary",
    "churn_risk",
    "lifecycle",
    "rfm",
    "summarize",
    "tier",
    "value_score",
]
