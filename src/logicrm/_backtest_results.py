"""What a backtest found: the figures, per customer and per rule, each with its reasons."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs

from logicrm._assess import Assessments
from logicrm.domain import Money, Reason
from logicrm.domain._checks import MAX_COUNT, check_int
from logicrm.domain._reason import plural
from logicrm.policies import Policies
from logicrm.scoring import CreditOutcome


@attrs.frozen(kw_only=True)
class BacktestPolicy:
    """How much evidence a backtest figure needs before it is given.

    A rate measured on a handful of customers is noise dressed as a number; below these
    counts the figure is ``None`` and a reason says why.

    Attributes:
        min_customers: the fewest customers a rate may be measured on (20).
        min_events: the fewest events in a rate's denominator: flagged customers for
            precision, lapsed customers for recall, approved customers for the credit
            check (5, the usual minimum expected count for a binomial proportion).
    """

    min_customers: int = 20
    min_events: int = 5

    def __attrs_post_init__(self) -> None:
        check_int("min_customers", self.min_customers, min_value=1, max_value=MAX_COUNT)
        check_int("min_events", self.min_events, min_value=1, max_value=MAX_COUNT)


@attrs.frozen(kw_only=True)
class BacktestOutcome:
    """One customer: what the assessment at the cut-off said and what the horizon showed.

    Attributes:
        customer_id: the customer.
        current: the customer was *current* at the cut-off (only a current customer can
            lapse in the horizon).
        key_customer: a key customer at the cut-off.
        churn_flag: the assessment's churn flag (a key customer at churn risk).
        churn_risk: the churn rule's verdict, for any customer.
        lapsed: *lapsed* at the end of the horizon by the lifecycle policy, having been
            current at the cut-off.
        tier_before: the tier at the cut-off (its value, e.g. ``"large"``).
        tier_after: the tier at the end of the horizon.
        class_before: the Pareto class at the cut-off (``"A"``, ``"B"``, ``"C"``).
        class_after: the Pareto class at the end of the horizon.
        horizon_revenue: revenue of the orders placed in the horizon, in ``currency``.
        currency: the customer's currency (``None`` without orders).
        credit_outcome: the credit decision at the cut-off (``None`` without a profile).
        on_hold: the account went on hold for overdue invoices in the horizon (``None``
            when no invoices or no profile were given).
    """

    customer_id: str
    current: bool
    key_customer: bool
    churn_flag: bool
    churn_risk: bool
    lapsed: bool
    tier_before: str
    tier_after: str
    class_before: str
    class_after: str
    horizon_revenue: Decimal
    currency: str | None
    credit_outcome: str | None = None
    on_hold: bool | None = None


@attrs.frozen(kw_only=True)
class FlagCheck:
    """How well a churn flag raised at the cut-off foretold a lapse in the horizon.

    Attributes:
        flag: ``"churn_flag"`` (key customers at churn risk, judged among key customers)
            or ``"churn_risk"`` (the churn rule for everyone, judged among all customers).
        customers: customers judged: in the flag's scope and current at the cut-off.
        flagged: of them, flagged at the cut-off.
        lapsed: of them, lapsed by the end of the horizon.
        flagged_lapsed: flagged and lapsed (true positives).
        precision: flagged_lapsed / flagged: how often a flag was right.
        recall: flagged_lapsed / lapsed: how many of the lapses were flagged.
        base_rate: lapsed / customers: the lapse rate without any flag.
        lift: precision / base_rate: how many times likelier a flagged customer lapsed.
        reasons: the counts behind each figure, and why a figure is ``None``.

    Each rate is ``None`` when its denominator is below the
    [`BacktestPolicy`][logicrm.BacktestPolicy]'s minimum, never ``0`` or ``nan``.
    """

    flag: str
    customers: int
    flagged: int
    lapsed: int
    flagged_lapsed: int
    precision: float | None
    recall: float | None
    base_rate: float | None
    lift: float | None
    reasons: tuple[Reason, ...]

    @property
    def false_alarms(self) -> int:
        """Flagged but still current at the end of the horizon."""
        return self.flagged - self.flagged_lapsed

    @property
    def missed(self) -> int:
        """Lapsed without a flag."""
        return self.lapsed - self.flagged_lapsed


@attrs.frozen(kw_only=True)
class ClassRevenue:
    """One class at the cut-off and what its customers brought in the horizon.

    Attributes:
        name: the class (a tier value such as ``"large"``, or ``"A"``/``"B"``/``"C"``).
        customers: customers in the class at the cut-off.
        moved: of them, in another class at the end of the horizon.
        revenue: their revenue in the horizon (``None`` when the book mixes currencies).
        share: their share of the horizon's revenue (``None`` when it is zero or mixed).
    """

    name: str
    customers: int
    moved: int
    revenue: Money | None
    share: float | None


@attrs.frozen(kw_only=True)
class ClassCheck:
    """Whether tiers or Pareto classes held over the horizon, and where its revenue came from.

    Attributes:
        kind: ``"tier"`` or ``"pareto"``.
        customers: customers assessed.
        moved: customers in another class at the end of the horizon than at the cut-off.
        moves: ``(from, to, customers)`` for every change, most frequent first.
        classes: one [`ClassRevenue`][logicrm.ClassRevenue] per class held at the cut-off.
        reasons: the headline figures.
    """

    kind: str
    customers: int
    moved: int
    moves: tuple[tuple[str, str, int], ...]
    classes: tuple[ClassRevenue, ...]
    reasons: tuple[Reason, ...]


@attrs.frozen(kw_only=True)
class CreditCheck:
    """How many customers approved for credit at the cut-off went on hold in the horizon.

    An account is on hold when [`check_exposure()`][logicrm.scoring.check_exposure] says so
    (overdue above the credit policy's ``overdue_hold_share`` of the receivable) on any
    weekly receivable snapshot in the horizon, aged from the invoices.

    Attributes:
        approved: customers approved at the cut-off.
        on_hold: of them, put on hold in the horizon.
        hold_rate: on_hold / approved (``None`` below the policy's minimum events).
        reasons: the counts, and why the rate is ``None``.
    """

    approved: int
    on_hold: int
    hold_rate: float | None
    reasons: tuple[Reason, ...]


@attrs.frozen(kw_only=True)
class Backtest:
    """What the advice at ``cutoff`` was worth over the following ``horizon``.

    Attributes:
        cutoff: when the assessment was made (only data before it was used).
        horizon: how long the outcome was observed after the cut-off.
        assessments: the [`Assessments`][logicrm.Assessments] at the cut-off.
        outcomes: one [`BacktestOutcome`][logicrm.BacktestOutcome] per customer id.
        churn_flag: the key-customer churn flag checked ([`FlagCheck`][logicrm.FlagCheck]).
        churn_risk: the churn rule checked on every customer.
        tiers: tier movement and horizon revenue by tier ([`ClassCheck`][logicrm.ClassCheck]).
        pareto: Pareto-class movement and horizon revenue by class.
        credit: the credit check when invoices were given ([`CreditCheck`][logicrm.CreditCheck]).
        policies: the policies the advice was given under.
        reasons: what the backtest did and anything to be wary of.
    """

    cutoff: datetime
    horizon: timedelta
    assessments: Assessments = attrs.field(eq=False, repr=False)
    outcomes: Mapping[str, BacktestOutcome] = attrs.field(hash=False, repr=False)
    churn_flag: FlagCheck
    churn_risk: FlagCheck
    tiers: ClassCheck
    pareto: ClassCheck
    credit: CreditCheck | None
    policies: Policies = attrs.field(repr=False)
    reasons: tuple[Reason, ...]

    @property
    def end(self) -> datetime:
        """The end of the horizon: ``cutoff + horizon``."""
        return self.cutoff + self.horizon

    def _repr_html_(self) -> str:
        """The notebook view: fields, nested results and reasons as HTML."""
        from logicrm._html import render

        return render(self)


def _rate(numerator: int, denominator: int) -> float:
    return numerator / denominator


def _flag_check(
    name: str, outcomes: list[BacktestOutcome], flagged_by: Any, policy: BacktestPolicy
) -> FlagCheck:
    judged = [o for o in outcomes if o.current]
    flagged = sum(1 for o in judged if flagged_by(o))
    lapsed = sum(1 for o in judged if o.lapsed)
    hits = sum(1 for o in judged if o.lapsed and flagged_by(o))
    n = len(judged)
    scope = "key customers" if name == "churn_flag" else "customers"
    reasons = [
        Reason(
            f"backtest.{name}.counts",
            f"{plural(n, 'current customer')} judged ({scope}): {flagged:,} flagged, "
            f"{lapsed:,} lapsed, {hits:,} flagged and lapsed",
        )
    ]
    precision = recall = base = lift = None
    if n < policy.min_customers:
        reasons.append(
            Reason(
                "backtest.too_few_customers",
                f"{plural(n, 'customer')} judged, fewer than {policy.min_customers}: "
                "no rate is given",
            )
        )
    else:
        base = _rate(lapsed, n)
        if flagged >= policy.min_events:
            precision = _rate(hits, flagged)
            reasons.append(
                Reason(f"backtest.{name}.precision", f"{hits:,} of {flagged:,} flagged lapsed")
            )
        else:
            reasons.append(_too_few("flagged customers", flagged, policy, "precision"))
        if lapsed >= policy.min_events:
            recall = _rate(hits, lapsed)
            reasons.append(
                Reason(f"backtest.{name}.recall", f"{hits:,} of {lapsed:,} lapses were flagged")
            )
        else:
            reasons.append(_too_few("lapsed customers", lapsed, policy, "recall"))
        if precision is not None and lapsed:
            lift = precision / base
            reasons.append(
                Reason(
                    f"backtest.{name}.lift",
                    f"flagged customers lapsed {lift:.2f} times as often as all "
                    f"({precision:.1%} against {base:.1%})",
                    lift,
                )
            )
        elif precision is not None:
            reasons.append(
                Reason("backtest.no_lapses", "no customer lapsed: the lift is undefined")
            )
    return FlagCheck(
        flag=name,
        customers=n,
        flagged=flagged,
        lapsed=lapsed,
        flagged_lapsed=hits,
        precision=precision,
        recall=recall,
        base_rate=base,
        lift=lift,
        reasons=tuple(reasons),
    )


def _too_few(what: str, count: int, policy: BacktestPolicy, figure: str) -> Reason:
    return Reason(
        "backtest.too_few_events",
        f"{count:,} {what}, fewer than {policy.min_events}: no {figure} is given",
    )


def _class_check(kind: str, outcomes: list[BacktestOutcome], classes_of: Any) -> ClassCheck:
    currencies = {o.currency for o in outcomes if o.currency is not None}
    mixed = len(currencies) > 1
    currency = next(iter(currencies)) if len(currencies) == 1 else None
    total = sum((o.horizon_revenue for o in outcomes), Decimal(0))
    moves: dict[tuple[str, str], int] = {}
    groups: dict[str, list[BacktestOutcome]] = {}
    for outcome in outcomes:
        was, now = classes_of(outcome)
        groups.setdefault(was, []).append(outcome)
        if was != now:
            moves[(was, now)] = moves.get((was, now), 0) + 1
    rows = []
    for name in sorted(groups):
        members = groups[name]
        revenue = sum((o.horizon_revenue for o in members), Decimal(0))
        rows.append(
            ClassRevenue(
                name=name,
                customers=len(members),
                moved=sum(1 for o in members if classes_of(o)[1] != name),
                revenue=None if mixed or currency is None else Money(revenue, currency),
                share=None if mixed or total <= 0 else float(revenue / total),
            )
        )
    moved = sum(moves.values())
    what = "tier" if kind == "tier" else "Pareto class"
    reasons = [
        Reason(
            f"backtest.{kind}.moved",
            f"{moved:,} of {plural(len(outcomes), 'customer')} changed {what} over the horizon",
        )
    ]
    if mixed:
        reasons.append(
            Reason(
                "backtest.mixed_currencies",
                f"the book holds {len(currencies)} currencies: no revenue totals or shares",
            )
        )
    elif total <= 0:
        reasons.append(Reason("backtest.no_revenue", "no revenue in the horizon: no shares"))
    return ClassCheck(
        kind=kind,
        customers=len(outcomes),
        moved=moved,
        moves=tuple((a, b, n) for (a, b), n in sorted(moves.items(), key=lambda m: (-m[1], m[0]))),
        classes=tuple(rows),
        reasons=tuple(reasons),
    )


def _credit_check(outcomes: list[BacktestOutcome], policy: BacktestPolicy) -> CreditCheck:
    approved = [
        o
        for o in outcomes
        if o.credit_outcome == CreditOutcome.APPROVE.value and o.on_hold is not None
    ]
    held = sum(1 for o in approved if o.on_hold)
    reasons = [
        Reason(
            "backtest.credit.counts",
            f"{held:,} of {plural(len(approved), 'approved customer')} went on hold for "
            "overdue invoices in the horizon",
        )
    ]
    rate = None
    if len(approved) >= policy.min_events:
        rate = held / len(approved)
    else:
        reasons.append(_too_few("approved customers", len(approved), policy, "hold rate"))
    return CreditCheck(approved=len(approved), on_hold=held, hold_rate=rate, reasons=tuple(reasons))
