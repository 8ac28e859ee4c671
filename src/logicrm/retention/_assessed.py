"""What the retention rules read of a customer's assessment, described by its shape: the
scoring and retention results, never the facade that gathers them.

[`logicrm.Assessment`][logicrm.Assessment] has this shape, so the public functions take
assessments as documented, while retention imports nothing from ``logicrm._assess`` (an
import-linter contract forbids it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from logicrm.retention._action import NextBestAction
    from logicrm.retention._contact_items import ContactPlan
    from logicrm.retention._economics import CustomerShare, Profitability
    from logicrm.scoring import (
        AbcClass,
        ChurnRisk,
        CreditDecision,
        CustomerClass,
        LifecycleResult,
        TierResult,
        ValueScore,
    )


class Assessed(Protocol):
    """One customer's results as the retention rules read them (read-only)."""

    @property
    def customer_id(self) -> str: ...
    @property
    def tier(self) -> TierResult: ...
    @property
    def abc_class(self) -> AbcClass | None: ...
    @property
    def customer_class(self) -> CustomerClass | None: ...
    @property
    def value(self) -> ValueScore: ...
    @property
    def lifecycle(self) -> LifecycleResult: ...
    @property
    def churn(self) -> ChurnRisk: ...
    @property
    def key_customer(self) -> bool: ...
    @property
    def churn_flag(self) -> bool: ...
    @property
    def credit(self) -> CreditDecision | None: ...
    @property
    def share(self) -> CustomerShare | None: ...
    @property
    def profitability(self) -> Profitability | None: ...
    @property
    def contact_plan(self) -> ContactPlan | None: ...
    @property
    def action(self) -> NextBestAction | None: ...
