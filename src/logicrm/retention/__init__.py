"""Keeping customers: the contact log, follow-up plans and the worklist, customer share,
profitability after cost to serve, and the next best action
([sources](../sources.md#sales-actions)).

Start with [`summarize_interactions()`][logicrm.retention.summarize_interactions] to fold the
contact log per customer; [`logicrm.assess_all()`][logicrm.assess_all] gathers the plan, share,
profitability and action of every customer, and [`worklist()`][logicrm.retention.worklist]
orders what is due.
"""

from logicrm.retention._action import NextBestAction, next_best_action
from logicrm.retention._action_policy import (
    ActionPolicy,
    Incentive,
    Maturity,
    RetentionLever,
    SalesAction,
)
from logicrm.retention._contact_items import ContactItem, ContactPlan, DueStatus
from logicrm.retention._contact_policy import ContactIntervals, ContactPolicy, ContactTask
from logicrm.retention._contacts import (
    DEMAND_PURPOSES,
    ContactActivity,
    summarize_interactions,
)
from logicrm.retention._digest import ChangeKind, Digest, ItemChange, worklist_changes
from logicrm.retention._economics import (
    CustomerShare,
    Profitability,
    ProfitabilityGroup,
    ServiceCostPolicy,
    customer_share,
    profitability,
    profitability_by,
)
from logicrm.retention._owners import OwnerPolicy
from logicrm.retention._plan import contact_plan
from logicrm.retention._prospects import ProspectQualification, qualify_prospect
from logicrm.retention._state import TaskState, TaskStatus
from logicrm.retention._worklist import WORKLIST_COLUMNS, WorkItem, Worklist, task_id, worklist

__all__ = [
    "DEMAND_PURPOSES",
    "WORKLIST_COLUMNS",
    "ActionPolicy",
    "ChangeKind",
    "ContactActivity",
    "ContactIntervals",
    "ContactItem",
    "ContactPlan",
    "ContactPolicy",
    "ContactTask",
    "CustomerShare",
    "Digest",
    "DueStatus",
    "Incentive",
    "ItemChange",
    "Maturity",
    "NextBestAction",
    "OwnerPolicy",
    "Profitability",
    "ProfitabilityGroup",
    "ProspectQualification",
    "RetentionLever",
    "SalesAction",
    "ServiceCostPolicy",
    "TaskState",
    "TaskStatus",
    "WorkItem",
    "Worklist",
    "contact_plan",
    "customer_share",
    "next_best_action",
    "profitability",
    "profitability_by",
    "qualify_prospect",
    "summarize_interactions",
    "task_id",
    "worklist",
    "worklist_changes",
]
