"""Where a customer is in its life with us, and whether a key customer is slipping away."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

import attrs

from logicrm.domain import Reason
from logicrm.domain._checks import MAX_COUNT, MAX_DAYS, check_aware, check_int, check_number, fail
from logicrm.domain._money import in_library_context
from logicrm.domain._reason import plural
from logicrm.scoring._activity import WINDOW_DAYS, Activity


class LifecycleStage(StrEnum):
    """The domain's future / present / past customer (未来型 / 现在型 / 过去型客户)."""

    PROSPECT = "prospect"
    CURRENT = "current"
    LAPSED = "lapsed"


@attrs.frozen(kw_only=True)
class LifecyclePolicy:
    """When a customer stops being current.

    Attributes:
        lapsed_after_days: a customer whose last order is more than this many days before
            ``as_of`` is *lapsed* (180: two quarters without an order).
    """

    lapsed_after_days: int = 180

    def __attrs_post_init__(self) -> None:
        check_int("lapsed_after_days", self.lapsed_after_days, min_value=1, max_value=MAX_DAYS)


@attrs.frozen
class LifecycleResult:
    """The lifecycle stage and why."""

    stage: LifecycleStage
    reasons: tuple[Reason, ...]

    def _repr_html_(self) -> str:
        """The notebook view: fields, nested results and reasons as HTML."""
        from logicrm._html import render

        return render(self)


@in_library_context
def lifecycle(
    activity: Activity,
    *,
    as_of: datetime,
    policy: LifecyclePolicy = LifecyclePolicy(),
) -> LifecycleResult:
    """Prospect (never ordered), current (ordered within the policy's days) or lapsed.

    A first order makes a customer current at once (the notes: "trading now, even the first
    order").

    Examples:
        >>> from logicrm.sample import sample_dataset
        >>> from logicrm.scoring import summarize
        >>> data = sample_dataset()
        >>> activity = summarize(data.shipments, as_of=data.as_of)["C00005"]
        >>> lifecycle(activity, as_of=data.as_of).stage
        <LifecycleStage.LAPSED: 'lapsed'>
    """
    check_aware("as_of", as_of)
    last = activity.last_order_at
    if last is None:
        return LifecycleResult(
            LifecycleStage.PROSPECT, (Reason("lifecycle.prospect", "no order yet"),)
        )
    if last > as_of:
        fail("as_of", as_of, "is before the activity's last order")
    idle = (as_of - last).days
    if as_of - last > timedelta(days=policy.lapsed_after_days):
        return LifecycleResult(
            LifecycleStage.LAPSED,
            (
                Reason(
                    "lifecycle.lapsed",
                    f"last order {plural(idle, 'day')} ago, more than {policy.lapsed_after_days}",
                ),
            ),
        )
    return LifecycleResult(
        LifecycleStage.CURRENT,
        (
            Reason(
                "lifecycle.current",
                f"last order {plural(idle, 'day')} ago, within {policy.lapsed_after_days}",
            ),
        ),
    )


@attrs.frozen(kw_only=True)
class ChurnPolicy:
    """When a falling order rate counts as a churn risk.

    Attributes:
        recent_days: the recent window (one of 30, 90, 365; default 90).
        drop_ratio: at risk when the recent order rate is below this share of the
            customer's own earlier rate (0.5: it halved).
        min_history_days: days of history before the recent window needed to judge (180).
        min_history_orders: orders before the recent window needed to judge (6).
    """

    recent_days: int = 90
    drop_ratio: float = 0.5
    min_history_days: int = 180
    min_history_orders: int = 6

    def __attrs_post_init__(self) -> None:
        if self.recent_days not in WINDOW_DAYS[:3]:
            fail("recent_days", self.recent_days, f"must be one of {WINDOW_DAYS[:3]}")
        check_number("drop_ratio", self.drop_ratio, min_value=0, above_min=True, max_value=1)
        check_int("min_history_days", self.min_history_days, min_value=1, max_value=MAX_DAYS)
        check_int("min_history_orders", self.min_history_orders, min_value=1, max_value=MAX_COUNT)


@attrs.frozen
class ChurnRisk:
    """Whether the customer's ordering fell well below its own history.

    Attributes:
        at_risk: the recent rate fell below ``drop_ratio`` x the historical rate.
        recent_rate: orders per 30 days in the recent window (``None`` if not judged).
        historical_rate: orders per 30 days before it (``None`` if not judged).
        reasons: the figures behind the call.
    """

    at_risk: bool
    recent_rate: float | None
    historical_rate: float | None
    reasons: tuple[Reason, ...]

    def _repr_html_(self) -> str:
        """The notebook view: fields, nested results and reasons as HTML."""
        from logicrm._html import render

        return render(self)


@in_library_context
def churn_risk(
    activity: Activity,
    *,
    as_of: datetime,
    policy: ChurnPolicy = ChurnPolicy(),
) -> ChurnRisk:
    """Compare the order rate in the recent window with the customer's own earlier rate.

    The domain's first rule for key customers is not to lose them; a customer ordering at
    half its usual pace is the earliest sign in shipment data. Rates are orders per 30 days;
    the earlier rate runs from the first order to the start of the recent window. Too little
    history is reported, not flagged.

    ``activity`` must be built with ``as_of`` (its windows end there).

    Examples:
        >>> from logicrm.sample import sample_dataset
        >>> from logicrm.scoring import summarize
        >>> data = sample_dataset()
        >>> activity = summarize(data.shipments, as_of=data.as_of)["C00002"]
        >>> churn_risk(activity, as_of=data.as_of).at_risk
        True
    """
    check_aware("as_of", as_of)
    if activity.as_of != as_of:
        fail("activity.as_of", activity.as_of, f"must equal as_of ({as_of.isoformat()})")
    recent_orders = activity.orders_within(policy.recent_days)
    first = activity.first_order_at
    window_start = as_of - timedelta(days=policy.recent_days)
    earlier_orders = activity.orders - recent_orders
    history_days = (window_start - first).total_seconds() / 86_400 if first else 0.0
    if history_days < policy.min_history_days or earlier_orders < policy.min_history_orders:
        return ChurnRisk(
            False,
            None,
            None,
            (
                Reason(
                    "churn.insufficient_history",
                    f"{plural(earlier_orders, 'order')} over {max(history_days, 0):.0f} days "
                    f"before the recent {policy.recent_days} days: too little history to judge",
                ),
            ),
        )
    recent_rate = recent_orders / policy.recent_days * 30
    historical_rate = earlier_orders / history_days * 30
    at_risk = recent_rate < policy.drop_ratio * historical_rate
    verdict = "at risk" if at_risk else "steady"
    return ChurnRisk(
        at_risk,
        recent_rate,
        historical_rate,
        (
            Reason(
                "churn.at_risk" if at_risk else "churn.steady",
                f"{recent_rate:.1f} orders per 30 days in the last {policy.recent_days} days "
                f"against {historical_rate:.1f} before ({verdict}; threshold "
                f"{policy.drop_ratio:.0%} of the earlier rate)",
                recent_rate - historical_rate,
            ),
        ),
    )
