"""Where a customer is in its life with us, and whether a key customer is slipping away."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

import attrs

from logicrm.domain import Reason
from logicrm.domain._checks import MAX_COUNT, MAX_DAYS, check_aware, check_int, check_number, fail
from logicrm.domain._money import in_library_context
from logicrm.domain._reason import plural
from logicrm.scoring._activity import WINDOW_DAYS, Activity
from logicrm.scoring._per_policy import per_policy


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
    if last is not None and last > as_of:
        fail("as_of", as_of, "is before the activity's last order")
    stage, code, said = stage_figures(last, as_of, policy)
    return LifecycleResult(stage, (Reason(code, said),))


def stage_figures(
    last_order_at: datetime | None, as_of: datetime, policy: LifecyclePolicy
) -> tuple[LifecycleStage, str, str]:
    """The lifecycle rule on plain figures: the stage, its reason's code and message
    (``lifecycle`` and the columnar engine's tuple kernel call it)."""
    if last_order_at is None:
        return LifecycleStage.PROSPECT, "lifecycle.prospect", _LIFECYCLE_SAID["lifecycle.prospect"]
    idle, days = plural((as_of - last_order_at).days, "day"), policy.lapsed_after_days
    lapsed = as_of - last_order_at > timedelta(days=days)
    stage = LifecycleStage.LAPSED if lapsed else LifecycleStage.CURRENT
    code = f"lifecycle.{stage.value}"
    return stage, code, _LIFECYCLE_SAID[code].format(idle=idle, days=days)


# Each stage's reason, by code: shared with the columnar engine's expressions, so a stage's
# words are written once.
_LIFECYCLE_SAID = {
    "lifecycle.prospect": "no order yet",
    "lifecycle.lapsed": "last order {idle} ago, more than {days}",
    "lifecycle.current": "last order {idle} ago, within {days}",
}


@attrs.frozen(kw_only=True)
class ChurnPolicy:
    """When a falling order rate or a falling revenue rate counts as a churn risk.

    The domain notes ask not to lose key customers and give no threshold; every number here
    is logicrm's own choice.

    Attributes:
        recent_days: the recent window (one of 30, 90, 365; default 90).
        drop_ratio: at risk when the recent order rate is below this share of the
            customer's own earlier rate (0.5: it halved).
        revenue_drop_ratio: at risk, too, when the recent revenue rate is below this share of
            the earlier one (0.5): a customer still ordering weekly whose loads shrank is
            leaving as surely. ``None`` judges by orders alone.
        watch_ratio: a rate below this share of the earlier one (0.8), but not at risk, is
            *slowing*: said in the reasons, never "steady" (below a drop ratio it is at
            risk, whatever this says).
        min_history_days: days of history before the recent window needed to judge (180).
        min_history_orders: orders before the recent window needed to judge (6).
    """

    recent_days: int = 90
    drop_ratio: float = 0.5
    revenue_drop_ratio: float | None = 0.5
    watch_ratio: float = 0.8
    min_history_days: int = 180
    min_history_orders: int = 6

    def __attrs_post_init__(self) -> None:
        if self.recent_days not in WINDOW_DAYS[:3]:
            fail("recent_days", self.recent_days, f"must be one of {WINDOW_DAYS[:3]}")
        check_number("drop_ratio", self.drop_ratio, min_value=0, above_min=True, max_value=1)
        if self.revenue_drop_ratio is not None:
            check_number(
                "revenue_drop_ratio",
                self.revenue_drop_ratio,
                min_value=0,
                above_min=True,
                max_value=1,
            )
        check_number("watch_ratio", self.watch_ratio, min_value=0, above_min=True, max_value=1)
        check_int("min_history_days", self.min_history_days, min_value=1, max_value=MAX_DAYS)
        check_int("min_history_orders", self.min_history_orders, min_value=1, max_value=MAX_COUNT)


class ChurnTrend(StrEnum):
    """How a customer's ordering compares with its own history."""

    STEADY = "steady"
    SLOWING = "slowing"
    AT_RISK = "at_risk"
    NOT_JUDGED = "not_judged"


@attrs.frozen
class ChurnRisk:
    """Whether the customer's ordering fell well below its own history.

    Attributes:
        at_risk: the recent order rate fell below ``drop_ratio`` x the historical rate, or
            the recent revenue rate below ``revenue_drop_ratio`` x its historical rate.
        recent_rate: orders per 30 days in the recent window (``None`` if not judged).
        historical_rate: orders per 30 days before it (``None`` if not judged).
        reasons: the figures behind the call, each change measured.
        recent_revenue_rate: revenue per 30 days in the recent window (``None`` if not
            judged).
        historical_revenue_rate: revenue per 30 days before it (``None`` if not judged).
        trend: [`ChurnTrend`][logicrm.scoring.ChurnTrend]: steady, slowing, at risk or not
            judged.
    """

    at_risk: bool
    recent_rate: float | None
    historical_rate: float | None
    reasons: tuple[Reason, ...]
    recent_revenue_rate: float | None = None
    historical_revenue_rate: float | None = None
    trend: ChurnTrend = ChurnTrend.NOT_JUDGED

    @property
    def change(self) -> str:
        """The measured changes in a few words (``"orders per 30 days -46%, revenue
        -60%"``); empty when not judged."""
        if self.recent_rate is None or self.historical_rate is None:
            return ""
        text = f"orders per 30 days {_change(self.recent_rate, self.historical_rate)}"
        recent, before = self.recent_revenue_rate, self.historical_revenue_rate
        if recent is not None and before is not None and before > 0:
            text += f", revenue {_change(recent, before)}"
        return text

    def _repr_html_(self) -> str:
        """The notebook view: fields, nested results and reasons as HTML."""
        from logicrm._html import render

        return render(self)


def _change(recent: float, before: float) -> str:
    return f"{recent / before - 1:+.0%}" if before > 0 else "n/a"


class Drop(NamedTuple):
    """One of churn's at-risk tests: the recent ``rate`` (``"orders"`` or ``"revenue"``, per
    30 days) fell below ``below`` of its earlier rate; ``said`` is the reason's words."""

    rate: str
    below: float
    said: str


class Verdict(NamedTuple):
    """One of churn's verdicts, tried in order on a judged customer: ``when`` is
    ``"dropped"`` (a drop's test held), ``"below"`` (the lowest ratio is under ``below``)
    or ``None`` (any customer); ``said`` words it (``{drops}``: the drops that held)."""

    trend: ChurnTrend
    when: str | None
    below: float | None
    said: str


@per_policy
def churn_drops(policy: ChurnPolicy) -> tuple[Drop, ...]:
    """The at-risk tests, in the order the reason names them: the one table both engines
    read (``churn_figures``, the columnar engine's expressions)."""
    drops = [Drop("orders", policy.drop_ratio,
                  f"orders below {policy.drop_ratio:.0%} of the earlier rate")]  # fmt: skip
    if policy.revenue_drop_ratio is not None:
        below = policy.revenue_drop_ratio
        drops.append(Drop("revenue", below, f"revenue below {below:.0%} of the earlier rate"))
    return tuple(drops)


@per_policy
def churn_verdicts(policy: ChurnPolicy) -> tuple[Verdict, ...]:
    """The verdicts in the order they are tried (the first that holds is the trend): read
    by both engines, like ``churn_drops``."""
    watch = policy.watch_ratio
    return (
        Verdict(ChurnTrend.AT_RISK, "dropped", None, "at risk: {drops}"),
        Verdict(ChurnTrend.SLOWING, "below", watch,
                f"slowing: below {watch:.0%} of the earlier rate, not yet at the risk threshold"),
        Verdict(ChurnTrend.STEADY, None, None, "steady"),
    )  # fmt: skip


def _below(ratio: float | None, threshold: float | None) -> bool:
    return ratio is not None and threshold is not None and ratio < threshold


def churn_figures(
    *,
    orders: int,
    recent_orders: int,
    first_order_at: datetime | None,
    revenue: Decimal,
    recent_revenue: Decimal,
    as_of: datetime,
    policy: ChurnPolicy,
) -> ChurnRisk:
    """The churn rule on plain figures (both engines call it; see ``churn_risk``)."""
    window_start = as_of - timedelta(days=policy.recent_days)
    earlier_orders = orders - recent_orders
    history_days = (
        (window_start - first_order_at).total_seconds() / 86_400 if first_order_at else 0.0
    )
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
    recent_revenue_rate = float(recent_revenue) / policy.recent_days * 30
    historical_revenue_rate = float(revenue - recent_revenue) / history_days * 30
    order_ratio = recent_rate / historical_rate
    revenue_ratio = (
        recent_revenue_rate / historical_revenue_rate if historical_revenue_rate > 0 else None
    )
    ratios = {"orders": order_ratio, "revenue": revenue_ratio}
    fell = [d for d in churn_drops(policy) if _below(ratios[d.rate], d.below)]
    at_risk = bool(fell)
    lowest = min(order_ratio, revenue_ratio if revenue_ratio is not None else order_ratio)
    for row in churn_verdicts(policy):
        if row.when == "dropped" and not fell:
            continue
        if row.when == "below" and not _below(lowest, row.below):
            continue
        trend, verdict = row.trend, row.said.format(drops=" and ".join(d.said for d in fell))
        break
    else:
        raise ValueError("churn_verdicts must end with a verdict for any customer")
    days = policy.recent_days
    message = (
        f"orders per 30 days {recent_rate:.1f} in the last {days} days against "
        f"{historical_rate:.1f} before ({_change(recent_rate, historical_rate)})"
    )
    if historical_revenue_rate > 0:
        change = _change(recent_revenue_rate, historical_revenue_rate)
        message += (
            f"; revenue per 30 days {recent_revenue_rate:,.0f} against "
            f"{historical_revenue_rate:,.0f} ({change})"
        )
    code = f"churn.{trend.value}"
    return ChurnRisk(
        at_risk,
        recent_rate,
        historical_rate,
        (Reason(code, f"{message}: {verdict}", recent_rate - historical_rate),),
        recent_revenue_rate,
        historical_revenue_rate,
        trend,
    )


@in_library_context
def churn_risk(
    activity: Activity,
    *,
    as_of: datetime,
    policy: ChurnPolicy = ChurnPolicy(),
) -> ChurnRisk:
    """Compare the order rate and the revenue rate in the recent window with the customer's
    own earlier rates.

    The domain's first rule for key customers is not to lose them; a customer ordering at
    half its usual pace, or still ordering but spending half as much, is the earliest sign in
    shipment data. Rates are per 30 days; the earlier rate runs from the first order to the
    start of the recent window. Too little history is reported, not flagged. A rate below
    ``watch_ratio`` of the earlier one that is not at risk is *slowing*; the reason gives each
    measured change.

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
    return churn_figures(
        orders=activity.orders,
        recent_orders=activity.orders_within(policy.recent_days),
        first_order_at=activity.first_order_at,
        revenue=activity.revenue,
        recent_revenue=activity.revenue_within(policy.recent_days),
        as_of=as_of,
        policy=policy,
    )
