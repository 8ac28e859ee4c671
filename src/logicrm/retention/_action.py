"""The next best action: one of the 2/8 rule's six sales actions per customer, with the
retention lever for its stage and the incentive its tier is offered."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING

import attrs

from logicrm.domain import CreditProfile, Customer, Reason
from logicrm.domain._checks import MAX_DAYS, check_aware, check_int, check_number, fail, to_enum
from logicrm.domain._money import in_library_context
from logicrm.domain._reason import plural
from logicrm.scoring import Activity, LifecycleStage, Tier, ratios

if TYPE_CHECKING:
    from logicrm._assess import Assessment


class SalesAction(StrEnum):
    """The six sales actions of the 2/8 rule, exactly one per customer.

    Source: [sales actions](../sources.md#sales-actions).
    """

    PREVENT_KEY_LOSS = "prevent_key_loss"
    GROW_KEY = "grow_key"
    GROW_MARGINAL = "grow_marginal"
    KEEP_MARGINAL = "keep_marginal"
    DROP_MARGINAL = "drop_marginal"
    WIN_PROSPECT = "win_prospect"


_SAID = {
    SalesAction.PREVENT_KEY_LOSS: "prevent losing a key customer",
    SalesAction.GROW_KEY: "grow trade with a key customer",
    SalesAction.GROW_MARGINAL: "grow a selected marginal customer",
    SalesAction.KEEP_MARGINAL: "keep a selected marginal customer",
    SalesAction.DROP_MARGINAL: "drop a selected marginal customer",
    SalesAction.WIN_PROSPECT: "win new business from a selected prospect",
}


class Maturity(StrEnum):
    """The literature's two stages for retention ([sources](../sources.md#lifecycle)):
    potential customers, still building the relationship, and mature ones, the profit core."""

    POTENTIAL = "potential"
    MATURE = "mature"


class RetentionLever(StrEnum):
    """How a customer is kept, by stage: trust built through information and economic offers
    (potential), or switching barriers such as contract terms, and emotional ties (mature)."""

    BUILD_TRUST = "build_trust"
    SWITCHING_BARRIERS_AND_TIES = "switching_barriers_and_ties"


_LEVER_SAID = {
    RetentionLever.BUILD_TRUST: "build trust through information and economic offers",
    RetentionLever.SWITCHING_BARRIERS_AND_TIES: (
        "keep through switching barriers (contract terms) and emotional ties"
    ),
}


class Incentive(StrEnum):
    """The incentives of the notes (客户激励)."""

    DISCOUNT = "discount"
    POINTS = "points"
    VIP_MEMBERSHIP = "vip_membership"
    GIFTS = "gifts"


_DEFAULT_INCENTIVES = MappingProxyType(
    {
        Tier.LARGE: Incentive.VIP_MEMBERSHIP,
        Tier.MEDIUM: Incentive.DISCOUNT,
        Tier.SMALL: Incentive.POINTS,
        Tier.FREQUENT: Incentive.POINTS,
        Tier.OCCASIONAL: Incentive.GIFTS,
        Tier.INSTITUTION_A: Incentive.VIP_MEMBERSHIP,
        Tier.INSTITUTION_B: Incentive.DISCOUNT,
        Tier.INSTITUTION_C: Incentive.POINTS,
    }
)


def _incentives(value: Mapping[Tier, Incentive]) -> Mapping[Tier, Incentive]:
    if not isinstance(value, Mapping):
        fail("incentives", value, "must map tiers to incentives")
    return MappingProxyType(
        {
            to_enum(Tier, "incentives", k): to_enum(Incentive, f"incentives.{k}", v)
            for k, v in value.items()
        }
    )


def _reasons(value: Iterable[Reason]) -> tuple[Reason, ...]:
    return tuple(value)


def _action(value: object) -> SalesAction:
    return to_enum(SalesAction, "action", value)


def _maturity(value: object) -> Maturity:
    return to_enum(Maturity, "maturity", value)


def _lever(value: object) -> RetentionLever | None:
    return None if value is None else to_enum(RetentionLever, "lever", value)


def _incentive(value: object) -> Incentive | None:
    return None if value is None else to_enum(Incentive, "incentive", value)


@attrs.frozen(kw_only=True)
class ActionPolicy:
    """The thresholds of the default next-best-action rules and the incentives per tier.

    Attributes:
        mature_after_days: a customer whose first order is at least this many days before
            ``as_of`` is *mature* (365), else *potential*.
        grow_min_growth: revenue growth (the last 365 days against the 365 before) from which
            a marginal customer is one to grow (0.10).
        grow_below_share: a customer share below this leaves room to grow (0.5).
        drop_on_credit_decline: a marginal customer whose credit is declined is dropped (on).
        incentives: [`Tier`][logicrm.scoring.Tier] -> [`Incentive`][logicrm.retention.Incentive]
            (large and class A: VIP membership; medium and class B: discount; small, class C and
            frequent: points; occasional: gifts; unclassified: none).
        max_debt_ratio: a prospect's finances are stable at a debt ratio up to this (0.7) ...
        min_current_ratio: ... a current ratio of at least this (1.0), and no loss.
        min_rating: a selection standard rated at least this (3 of 5) is met.
        organisation_ratings: the ratings that judge sound organisation and management
            (``organisational``, ``managerial``, ``character``).
        workforce_ratings: the ratings that judge a stable workforce (``workforce``).
    """

    mature_after_days: int = 365
    grow_min_growth: float = 0.10
    grow_below_share: float = 0.5
    drop_on_credit_decline: bool = True
    incentives: Mapping[Tier, Incentive] = attrs.field(
        default=_DEFAULT_INCENTIVES, converter=_incentives, hash=False
    )
    max_debt_ratio: float = 0.7
    min_current_ratio: float = 1.0
    min_rating: int = 3
    organisation_ratings: tuple[str, ...] = ("organisational", "managerial", "character")
    workforce_ratings: tuple[str, ...] = ("workforce",)

    def __attrs_post_init__(self) -> None:
        check_int("mature_after_days", self.mature_after_days, min_value=0, max_value=MAX_DAYS)
        check_number("grow_min_growth", self.grow_min_growth, min_value=-1, max_value=100)
        check_number("grow_below_share", self.grow_below_share, min_value=0, max_value=1)
        check_number("max_debt_ratio", self.max_debt_ratio, min_value=0, max_value=100)
        check_number("min_current_ratio", self.min_current_ratio, min_value=0, max_value=100)
        check_int("min_rating", self.min_rating, min_value=1, max_value=5)
        for name in ("organisation_ratings", "workforce_ratings"):
            value = getattr(self, name)
            if not value or not all(type(v) is str and v for v in value):
                fail(name, value, "must name at least one rating")


@attrs.frozen(kw_only=True)
class ProspectQualification:
    """A prospect against the notes' selection standards (选择物流客户的标准), from its credit
    profile: each standard met (``True``), not met (``False``) or not known (``None``).

    Attributes:
        finances: stable finances, from the latest statement's debt and current ratios and
            profit.
        organisation: sound organisation and management, from the analyst's ratings.
        workforce: a stable workforce, from the analyst's ratings.
        qualified: every standard met ``True``; any not met ``False``; else ``None``.
        reasons: one per standard.
    """

    finances: bool | None
    organisation: bool | None
    workforce: bool | None
    qualified: bool | None
    reasons: tuple[Reason, ...]

    def _repr_html_(self) -> str:
        """The notebook view: fields, nested results and reasons as HTML."""
        from logicrm._html import render

        return render(self)


@in_library_context
def qualify_prospect(
    profile: CreditProfile | None,
    *,
    policy: ActionPolicy = ActionPolicy(),
) -> ProspectQualification:
    """Check a prospect against the selection standards: stable finances (latest statement:
    debt ratio at most ``max_debt_ratio``, current ratio at least ``min_current_ratio``,
    profit not negative), sound organisation and management, and a stable workforce (the
    ratings the policy names, each at least ``min_rating``). A standard without figures or
    ratings is not known.

    Examples:
        >>> qualify_prospect(None).qualified is None
        True
    """
    if profile is None:
        reason = Reason(
            "prospect.no_profile", "no credit profile: the selection standards are unchecked"
        )
        return ProspectQualification(
            finances=None, organisation=None, workforce=None, qualified=None, reasons=(reason,)
        )
    reasons = []
    finances: bool | None = None
    if profile.statements:
        latest = profile.statements[-1]
        figures = ratios(latest)
        debt, current = figures.debt_ratio, figures.current_ratio
        if debt is not None and current is not None:
            loss = latest.profit is not None and latest.profit.amount < 0
            finances = (
                debt <= Decimal(str(policy.max_debt_ratio))
                and current >= Decimal(str(policy.min_current_ratio))
                and not loss
            )
            reasons.append(
                Reason(
                    f"prospect.finances.{'met' if finances else 'not_met'}",
                    f"statement of {latest.period_end.isoformat()}: debt ratio {float(debt):.2f} "
                    f"(at most {policy.max_debt_ratio:g}), current ratio {float(current):.2f} "
                    f"(at least {policy.min_current_ratio:g})" + (", a loss" if loss else ""),
                )
            )
    if finances is None:
        reasons.append(
            Reason("prospect.finances.unknown", "no statement with the debt and current ratios")
        )
    organisation = _rated(profile, policy.organisation_ratings, policy, "organisation", reasons)
    workforce = _rated(profile, policy.workforce_ratings, policy, "workforce", reasons)
    standards = (finances, organisation, workforce)
    qualified = False if False in standards else (None if None in standards else True)
    return ProspectQualification(
        finances=finances,
        organisation=organisation,
        workforce=workforce,
        qualified=qualified,
        reasons=tuple(reasons),
    )


def _rated(
    profile: CreditProfile,
    names: tuple[str, ...],
    policy: ActionPolicy,
    standard: str,
    reasons: list[Reason],
) -> bool | None:
    given = {n: profile.ratings[n] for n in names if n in profile.ratings}
    if not given:
        reasons.append(Reason(f"prospect.{standard}.unknown", f"no rating of {', '.join(names)}"))
        return None
    met = all(v >= policy.min_rating for v in given.values())
    shown = ", ".join(f"{n} {v}" for n, v in given.items())
    reasons.append(
        Reason(
            f"prospect.{standard}.{'met' if met else 'not_met'}",
            f"{standard}: rated {shown} (at least {policy.min_rating} each)",
        )
    )
    return met


@attrs.frozen(kw_only=True)
class NextBestAction:
    """What to do about one customer, and why.

    Attributes:
        action: the [`SalesAction`][logicrm.retention.SalesAction], exactly one of six.
        maturity: [`Maturity`][logicrm.retention.Maturity], potential or mature.
        lever: the [`RetentionLever`][logicrm.retention.RetentionLever] for that stage;
            ``None`` when the customer is dropped.
        incentive: the [`Incentive`][logicrm.retention.Incentive] the policy offers its tier;
            ``None`` when dropped or when the tier has none.
        qualification: a prospect's
            [`ProspectQualification`][logicrm.retention.ProspectQualification].
        reasons: the rule that chose the action first, then the figures it read: class,
            churn risk, growth, customer share, profitability, credit, stage and incentive.
    """

    action: SalesAction = attrs.field(converter=_action)
    maturity: Maturity = attrs.field(converter=_maturity)
    lever: RetentionLever | None = attrs.field(converter=_lever)
    incentive: Incentive | None = attrs.field(converter=_incentive)
    reasons: tuple[Reason, ...] = attrs.field(converter=_reasons)
    qualification: ProspectQualification | None = None

    def __attrs_post_init__(self) -> None:
        if not self.reasons or not all(isinstance(r, Reason) for r in self.reasons):
            fail("reasons", self.reasons, "must hold at least one Reason: every action says why")

    def _repr_html_(self) -> str:
        from logicrm._html import render

        return render(self)


@attrs.frozen
class _Choice:
    """What the default rules chose, before any reason is worded."""

    action: SalesAction
    rule: str
    maturity: Maturity
    lever: RetentionLever | None
    incentive: Incentive | None
    growth: float | None
    days: int

    @property
    def headline(self) -> str:
        """The first reason's message: the action and the rule that chose it."""
        return f"{_SAID[self.action]}: {self.rule}"


def _choose(
    *,
    tier: Tier,
    key: bool,
    lapsed: bool,
    at_risk: bool,
    orders: int,
    first_order_at: datetime | None,
    as_of: datetime,
    revenue_365: Decimal,
    revenue_730: Decimal,
    share: float | None,
    unprofitable: bool | None,
    credit_outcome: str | None,
    qualified: bool | None,
    policy: ActionPolicy,
) -> _Choice:
    """The default rules on plain figures (shared with the columnar engine, which needs only
    the choice and its headline)."""
    growth = None
    days = 0
    if not orders:
        maturity = Maturity.POTENTIAL
        if qualified is False:
            action = SalesAction.DROP_MARGINAL
            rule = "a prospect failing a selection standard: not pursued"
        else:
            action = SalesAction.WIN_PROSPECT
            rule = (
                "a prospect meeting the selection standards"
                if qualified
                else "a prospect to qualify: not every selection standard could be checked"
            )
    else:
        previous = revenue_730 - revenue_365
        growth = float(revenue_365 / previous) - 1 if previous > 0 else None
        if key:
            if at_risk or lapsed:
                action = SalesAction.PREVENT_KEY_LOSS
                rule = "a key customer " + ("that lapsed" if lapsed else "at churn risk")
            else:
                action, rule = SalesAction.GROW_KEY, "a key customer ordering steadily"
        elif unprofitable:
            action, rule = (
                SalesAction.DROP_MARGINAL,
                "a marginal customer costing more to serve than it earns",
            )
        elif credit_outcome == "decline" and policy.drop_on_credit_decline:
            action, rule = SalesAction.DROP_MARGINAL, "a marginal customer whose credit is declined"
        elif growth is not None and growth >= policy.grow_min_growth:
            action = SalesAction.GROW_MARGINAL
            rule = f"a marginal customer growing at least {policy.grow_min_growth:.0%}"
        elif share is not None and share < policy.grow_below_share:
            action = SalesAction.GROW_MARGINAL
            rule = (
                f"a marginal customer with a share below {policy.grow_below_share:.0%}: "
                "room to grow"
            )
        else:
            action, rule = SalesAction.KEEP_MARGINAL, "a marginal customer, profitable, not growing"
        days = (as_of - first_order_at).days if first_order_at is not None else 0
        maturity = Maturity.MATURE if days >= policy.mature_after_days else Maturity.POTENTIAL
    if action is SalesAction.DROP_MARGINAL:
        lever, incentive = None, None
    else:
        lever = (
            RetentionLever.SWITCHING_BARRIERS_AND_TIES
            if maturity is Maturity.MATURE
            else RetentionLever.BUILD_TRUST
        )
        incentive = policy.incentives.get(tier)
    return _Choice(action, rule, maturity, lever, incentive, growth, days)


def _decide(
    choice: _Choice,
    *,
    tier: Tier,
    abc_name: str | None,
    key: bool,
    lapsed: bool,
    at_risk: bool,
    share: float | None,
    margin_text: str | None,
    credit_outcome: str | None,
    qualification: ProspectQualification | None,
    policy: ActionPolicy,
) -> NextBestAction:
    """The choice with its reasons: the headline, then every figure the rules read."""
    figures: list[Reason] = []
    if qualification is not None:
        figures.extend(qualification.reasons)
    else:
        growth = choice.growth
        figures += [
            Reason(
                "action.class",
                f"Pareto class {abc_name or '-'}, tier {tier.value}: "
                + ("a key customer" if key else "a marginal customer"),
            ),
            Reason(
                "action.churn",
                "lapsed" if lapsed else ("at churn risk" if at_risk else "no churn risk"),
            ),
            Reason(
                "action.growth",
                "no revenue in the 365 days before the last 365: growth not measured"
                if growth is None
                else f"revenue growth {growth:+.1%} (last 365 days against the 365 before)",
            ),
            Reason(
                "action.share",
                "customer share not known" if share is None else f"customer share {share:.1%}",
            ),
            Reason("action.profit", margin_text or "profitability not assessed"),
            Reason(
                "action.credit",
                "no credit decision" if credit_outcome is None else f"credit {credit_outcome}",
            ),
            Reason(
                "action.stage",
                f"first order {plural(choice.days, 'day')} ago "
                f"({'>=' if choice.maturity is Maturity.MATURE else '<'} "
                f"{policy.mature_after_days}): {choice.maturity.value}",
            ),
        ]
    if choice.lever is not None:
        incentive = choice.incentive
        figures.append(
            Reason(
                "action.lever",
                f"{choice.maturity.value} customer: {_LEVER_SAID[choice.lever]}; incentive "
                + ("none for its tier" if incentive is None else incentive.value.replace("_", " ")),
            )
        )
    return NextBestAction(
        action=choice.action,
        maturity=choice.maturity,
        lever=choice.lever,
        incentive=choice.incentive,
        reasons=(Reason(f"action.{choice.action.value}", choice.headline), *figures),
        qualification=qualification,
    )


def next_best_action(
    customer: Customer,
    activity: Activity,
    assessment: Assessment,
    *,
    as_of: datetime,
    profile: CreditProfile | None = None,
    policy: ActionPolicy = ActionPolicy(),
) -> NextBestAction:
    """The default rules: exactly one of the six sales actions, with lever and incentive.

    The rules, in order:

    1. A **prospect** (no shipments yet) is checked against the selection standards
       ([`qualify_prospect()`][logicrm.retention.qualify_prospect]) and never scored as a
       zero-spend customer: *win new business* unless a standard is not met, then *drop* (not
       pursued).
    2. A **key customer** at churn risk or lapsed: *prevent losing a key customer*; otherwise
       *grow trade with a key customer*.
    3. A **marginal customer** (every other) costing more to serve than it earns, or whose
       credit is declined: *drop*; growing by ``grow_min_growth`` or more, or with a customer
       share below ``grow_below_share``: *grow*; otherwise *keep*.

    The stage is *mature* from ``mature_after_days`` after the first order, else *potential*;
    the lever follows the stage, the incentive the tier. A dropped customer gets neither.

    ``assessment`` is the customer's [`Assessment`][logicrm.Assessment] so far (class, churn,
    lifecycle, share, profitability and credit are read from it).
    """
    check_aware("as_of", as_of)

    qualification = qualify_prospect(profile, policy=policy) if not activity.orders else None
    profit = assessment.profitability
    share = None if assessment.share is None else assessment.share.share
    credit = None if assessment.credit is None else assessment.credit.outcome.value
    tier = assessment.tier.tier
    lapsed = assessment.lifecycle.stage is LifecycleStage.LAPSED
    at_risk = assessment.churn.at_risk
    choice = _choose(
        tier=tier,
        key=assessment.key_customer,
        lapsed=lapsed,
        at_risk=at_risk,
        orders=activity.orders,
        first_order_at=activity.first_order_at,
        as_of=as_of,
        revenue_365=activity.revenue_within(365),
        revenue_730=activity.revenue_within(730),
        share=share,
        unprofitable=None if profit is None else profit.unprofitable,
        credit_outcome=credit,
        qualified=None if qualification is None else qualification.qualified,
        policy=policy,
    )
    return _decide(
        choice,
        tier=tier,
        abc_name=None if assessment.abc_class is None else assessment.abc_class.name,
        key=assessment.key_customer,
        lapsed=lapsed,
        at_risk=at_risk,
        share=share,
        margin_text=None if profit is None else profit.reasons[0].message,
        credit_outcome=credit,
        qualification=qualification,
        policy=policy,
    )
