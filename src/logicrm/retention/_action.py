"""The next best action: one of the 2/8 rule's six sales actions per customer, with the
retention lever for its stage and the incentive its tier is offered."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from itertools import repeat
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

import attrs

from logicrm.domain import CreditProfile, Customer, CustomerKind, Reason
from logicrm.domain._checks import check_aware, fail, to_enum
from logicrm.domain._reason import plural
from logicrm.retention import _action_policy as action_policy
from logicrm.retention._action_policy import (
    _LADDER,
    _LEVER_SAID,
    _SAID,
    ActionPolicy,
    Incentive,
    Maturity,
    RetentionLever,
    SalesAction,
)
from logicrm.retention._prospects import ProspectQualification, qualify_prospect
from logicrm.scoring import (
    AbcClass,
    Activity,
    ChurnRisk,
    ChurnTrend,
    CustomerClass,
    LifecycleStage,
    Tier,
)

if TYPE_CHECKING:
    from logicrm.retention._assessed import Assessed


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
        if not self.reasons or not all(map(isinstance, self.reasons, repeat(Reason))):
            fail("reasons", self.reasons, "must hold at least one Reason: every action says why")

    def _repr_html_(self) -> str:
        from logicrm._html import render

        return render(self)


class _Choice(NamedTuple):
    """What the default rules chose, before any reason is worded (a named tuple: one per
    customer, made faster than a frozen class)."""

    action: SalesAction
    rule: str
    maturity: Maturity
    lever: RetentionLever | None
    incentive: Incentive | None
    growth: float | None
    days: int
    notes: tuple[str, ...] = ()

    @property
    def headline(self) -> str:
        """The first reason's message: the action and the rule that chose it."""
        return f"{_SAID[self.action]}: {self.rule}"


def _idle(as_of: datetime, last_order_at: datetime | None) -> str:
    days = (as_of - last_order_at).days if last_order_at is not None else 0
    return f"no order for {plural(days, 'day')}"


# The default rules' decision order and wording, shared with the columnar engine's
# expressions (``_engine._assess_words``): ``_choose`` takes the first rule that holds, in
# this order, and words it from its template; a rule added here is added to both engines.
_RULES: Mapping[str, tuple[SalesAction, str]] = MappingProxyType(
    {
        "prospect_failing": (
            SalesAction.DROP_MARGINAL,
            "a prospect failing a selection standard: not pursued",
        ),
        "prospect_qualified": (
            SalesAction.WIN_PROSPECT,
            "a prospect meeting the selection standards",
        ),
        "prospect_to_qualify": (
            SalesAction.WIN_PROSPECT,
            "a prospect to qualify: not every selection standard could be checked",
        ),
        "key_lapsed": (SalesAction.PREVENT_KEY_LOSS, "a key customer that lapsed ({idle})"),
        "key_at_risk": (SalesAction.PREVENT_KEY_LOSS, "a key customer at churn risk ({churn})"),
        "key_steady": (SalesAction.GROW_KEY, "a key customer ordering steadily"),
        "key_slowing": (SalesAction.GROW_KEY, "a key customer, slowing ({churn})"),
        "key": (SalesAction.GROW_KEY, "a key customer"),
        "lapsed_win_back": (SalesAction.GROW_MARGINAL, "a lapsed customer ({idle}): win it back"),
        "lapsed_let_go": (
            SalesAction.DROP_MARGINAL,
            "a lapsed customer ({idle}) that never covered its cost to serve: let it go",
        ),
        "visits_cost_the_margin": (
            SalesAction.KEEP_MARGINAL,
            "a marginal customer that pays its way but not its visits: keep it by phone or "
            "e-mail, with fewer visits",
        ),
        "unprofitable": (
            SalesAction.DROP_MARGINAL,
            "a marginal customer costing more to serve than it earned over the last 365 days",
        ),
        "credit_declined": (
            SalesAction.DROP_MARGINAL,
            "a marginal customer whose credit is declined",
        ),
        "growing": (
            SalesAction.GROW_MARGINAL,
            "a marginal customer growing {growth:+.0%} (at least {least:.0%})",
        ),
        "low_share": (
            SalesAction.GROW_MARGINAL,
            "a marginal customer with a share of {share:.0%}, below {below:.0%}: room to grow",
        ),
        "at_risk": (SalesAction.KEEP_MARGINAL, "a marginal customer at churn risk ({churn})"),
        "steady": (SalesAction.KEEP_MARGINAL, "a marginal customer, profitable, not growing"),
    }
)


def _rule(name: str, **figures: object) -> tuple[SalesAction, str]:
    action, template = _RULES[name]
    return action, template.format(**figures)


def _choose(
    *,
    tier: Tier,
    key: bool,
    institution: bool,
    lapsed: bool,
    at_risk: bool,
    churn_text: str,
    steady: bool,
    orders: int,
    first_order_at: datetime | None,
    last_order_at: datetime | None,
    as_of: datetime,
    revenue_365: Decimal,
    revenue_730: Decimal,
    share: float | None,
    unprofitable: bool | None,
    lifetime_unprofitable: bool | None,
    visits_cost_the_margin: bool,
    credit_outcome: str | None,
    qualified: bool | None,
    policy: ActionPolicy,
) -> _Choice:
    """The default rules on plain figures (shared with the columnar engine, which needs only
    the choice and its headline)."""
    growth = None
    days = 0
    notes: list[str] = []
    declined = credit_outcome == "decline"
    if not orders:
        maturity = Maturity.NEW
        if qualified is False:
            action, rule = _rule("prospect_failing")
        else:
            action, rule = _rule("prospect_qualified" if qualified else "prospect_to_qualify")
    else:
        previous = revenue_730 - revenue_365
        growth = float(revenue_365 / previous) - 1 if previous > 0 else None
        drop_declined = declined and (
            policy.drop_institutions_on_credit_decline
            if institution
            else policy.drop_on_credit_decline
        )
        if key:
            if lapsed:
                action, rule = _rule("key_lapsed", idle=_idle(as_of, last_order_at))
            elif at_risk:
                action, rule = _rule("key_at_risk", churn=churn_text)
            elif steady:
                action, rule = _rule("key_steady")
            else:
                action, rule = (
                    _rule("key_slowing", churn=churn_text) if churn_text else _rule("key")
                )
        elif lapsed and not lifetime_unprofitable:
            action, rule = _rule("lapsed_win_back", idle=_idle(as_of, last_order_at))
        elif lapsed:
            action, rule = _rule("lapsed_let_go", idle=_idle(as_of, last_order_at))
        elif unprofitable and visits_cost_the_margin:
            action, rule = _rule("visits_cost_the_margin")
        elif unprofitable:
            action, rule = _rule("unprofitable")
        elif drop_declined:
            action, rule = _rule("credit_declined")
        elif growth is not None and growth >= policy.grow_min_growth:
            action, rule = _rule("growing", growth=growth, least=policy.grow_min_growth)
        elif share is not None and share < policy.grow_below_share:
            action, rule = _rule("low_share", share=share, below=policy.grow_below_share)
        elif at_risk:
            action, rule = _rule("at_risk", churn=churn_text)
        else:
            action, rule = _rule("steady")
        if declined and action is not SalesAction.DROP_MARGINAL:
            notes.append(
                "credit declined: trade on cash or prepaid terms"
                + (" (a government or institutional customer is not dropped for it)"
                   if institution and not policy.drop_institutions_on_credit_decline else "")
            )  # fmt: skip
        days = (as_of - first_order_at).days if first_order_at is not None else 0
        maturity = Maturity.MATURE if days >= policy.mature_after_days else Maturity.NEW
    lever: RetentionLever | None
    if action is SalesAction.DROP_MARGINAL:
        lever, incentive = None, None
    else:
        holds = {
            "lapsed": bool(orders) and lapsed,
            "mature": maturity is Maturity.MATURE,
            "always": True,
        }
        lever = next(step.lever for step in action_policy._LEVER_STEPS if holds[step.when])
        incentive = policy.incentives.get(tier)
        loyal = policy.loyal_after_days
        if incentive is not None and orders and not lapsed and loyal is not None and days >= loyal:
            step = _LADDER[min(_LADDER.index(incentive) + 1, len(_LADDER) - 1)]
            if step is not incentive:
                notes.append(
                    f"trading with us for {plural(days, 'day')} (at least {loyal}): a "
                    f"long-standing customer, incentive raised from {_words(incentive)} "
                    f"to {_words(step)}"
                )
            incentive = step
    return _Choice(action, rule, maturity, lever, incentive, growth, days, tuple(notes))


def _words(incentive: Incentive) -> str:
    return _INCENTIVE_SAID[incentive]


_INCENTIVE_SAID = {incentive: incentive.value.replace("_", " ") for incentive in Incentive}


def _decide(
    choice: _Choice,
    *,
    tier: Tier,
    class_text: str,
    churn_text: str,
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
        maturity = choice.maturity
        figures += [
            _class_reason(class_text, tier),
            Reason("action.churn", churn_text),
            _NO_GROWTH
            if growth is None
            else Reason(
                "action.growth",
                f"revenue growth {growth:+.1%} (last 365 days against the 365 before)",
            ),
            _NO_SHARE if share is None else Reason("action.share", f"customer share {share:.1%}"),
            Reason("action.profit", margin_text) if margin_text else _NO_PROFIT,
            _credit_reason(credit_outcome),
            Reason(
                "action.stage",
                f"first order {plural(choice.days, 'day')} ago "
                f"({'>=' if maturity is Maturity.MATURE else '<'} "
                f"{policy.mature_after_days}): {_MATURITY_VALUE[maturity]} relationship",
            ),
        ]
    figures.extend(
        Reason("action.credit_terms" if note.startswith("credit") else "action.loyalty", note)
        for note in choice.notes
    )
    if choice.lever is not None:
        figures.append(_lever_reason(choice.lever, choice.maturity, choice.incentive))
    return NextBestAction(
        action=choice.action,
        maturity=choice.maturity,
        lever=choice.lever,
        incentive=choice.incentive,
        reasons=(Reason(_ACTION_CODE[choice.action], choice.headline), *figures),
        qualification=qualification,
    )


# The reasons that quote no figure of the customer, or only a few words of a small set: each
# made once and shared (a Reason is frozen), not made again per customer.
_ACTION_CODE = {action: f"action.{action.value}" for action in SalesAction}
_MATURITY_VALUE = {maturity: maturity.value for maturity in Maturity}
_TIER_VALUE = {tier: tier.value for tier in Tier}
_NO_GROWTH = Reason(
    "action.growth", "no revenue in the 365 days before the last 365: growth not measured"
)
_NO_SHARE = Reason("action.share", "customer share not known")
_NO_PROFIT = Reason("action.profit", "profitability not assessed")


@functools.lru_cache(maxsize=256)
def _class_reason(class_text: str, tier: Tier) -> Reason:
    return Reason("action.class", f"{class_text}, tier {_TIER_VALUE[tier]}")


@functools.lru_cache(maxsize=64)
def _credit_reason(outcome: str | None) -> Reason:
    return Reason("action.credit", "no credit decision" if outcome is None else f"credit {outcome}")


@functools.lru_cache(maxsize=64)
def _lever_reason(lever: RetentionLever, maturity: Maturity, incentive: Incentive | None) -> Reason:
    stage = (
        "lapsed customer"
        if lever is RetentionLever.WIN_BACK
        else f"{_MATURITY_VALUE[maturity]} relationship"
    )
    return Reason(
        "action.lever",
        f"{stage}: {_LEVER_SAID[lever]}; incentive "
        + ("none for its tier" if incentive is None else _words(incentive)),
    )


def churn_summary(churn: ChurnRisk, lapsed: bool, lapsed_text: str) -> str:
    """The churn figures in one phrase, as the action's reasons quote them."""
    if lapsed:
        return f"lapsed: {lapsed_text}"
    return churn.reasons[0].message if churn.reasons else "churn not judged"


def next_best_action(
    customer: Customer,
    activity: Activity,
    assessment: Assessed,
    *,
    as_of: datetime,
    profile: CreditProfile | None = None,
    policy: ActionPolicy = ActionPolicy(),  # noqa: B008
) -> NextBestAction:
    """The default rules: exactly one of the six sales actions, with lever and incentive.

    The rules, in order:

    1. A **prospect** (no shipments yet) is checked against the selection standards
       ([`qualify_prospect()`][logicrm.retention.qualify_prospect]) and never scored as a
       zero-spend customer: *win new business* unless a standard is not met, then *drop* (not
       pursued).
    2. A **key customer** that lapsed or is at churn risk (orders or revenue falling, see
       [`churn_risk()`][logicrm.scoring.churn_risk]): *prevent losing a key customer*;
       otherwise *grow trade with a key customer*, "ordering steadily" only when it is.
    3. A **lapsed** marginal customer: *grow* (win it back, lever ``win_back``) unless it never
       covered its cost to serve over its whole history, then *drop*.
    4. A marginal customer that pays its way but not the follow-ups we made (its margin over
       the last 365 days is negative only because of them): *keep*, by phone or e-mail with
       fewer visits.
    5. A **marginal customer** (every other) costing more to serve than it earned over the
       last 365 days: *drop*; whose credit is declined: *drop* only if the policy says so for
       its kind (by default never: cash or prepaid terms instead, said in a reason); growing
       by ``grow_min_growth`` or more, or with a customer share below ``grow_below_share``:
       *grow*; otherwise *keep*.

    The relationship is *mature* from ``mature_after_days`` after the first order, else *new*;
    the lever follows it (a lapsed customer's is ``win_back``), the incentive follows the
    tier, one step up for a long-standing customer (``loyal_after_days``). A dropped customer
    gets neither.

    ``assessment`` is the customer's [`Assessment`][logicrm.Assessment] so far (class, churn,
    lifecycle, share, profitability and credit are read from it; not its contact plan,
    which follows from the action).
    """
    check_aware("as_of", as_of)

    qualification = qualify_prospect(profile, policy=policy) if not activity.orders else None
    profit = assessment.profitability
    share = None if assessment.share is None else assessment.share.share
    credit = None if assessment.credit is None else assessment.credit.outcome.value
    tier = assessment.tier.tier
    lapsed = assessment.lifecycle.stage is LifecycleStage.LAPSED
    churn = assessment.churn
    churn_text = churn_summary(
        churn, lapsed, _idle(as_of, activity.last_order_at) if lapsed else ""
    )
    choice = _choose(
        tier=tier,
        key=assessment.key_customer,
        institution=customer.kind is CustomerKind.INSTITUTION,
        lapsed=lapsed,
        at_risk=churn.at_risk,
        churn_text=churn.change,
        steady=churn.trend is ChurnTrend.STEADY,
        orders=activity.orders,
        first_order_at=activity.first_order_at,
        last_order_at=activity.last_order_at,
        as_of=as_of,
        revenue_365=activity.revenue_within(365),
        revenue_730=activity.revenue_within(730),
        share=share,
        unprofitable=None if profit is None else profit.unprofitable,
        lifetime_unprofitable=None if profit is None else profit.lifetime_margin < 0,
        visits_cost_the_margin=profit is not None and profit.margin + profit.follow_up_cost >= 0,
        credit_outcome=credit,
        qualified=None if qualification is None else qualification.qualified,
        policy=policy,
    )
    return _decide(
        choice,
        tier=tier,
        class_text=class_text(assessment.customer_class, assessment.abc_class),
        churn_text=churn_text,
        share=share,
        margin_text=None if profit is None else profit.reasons[0].message,
        credit_outcome=credit,
        qualification=qualification,
        policy=policy,
    )


_CLASS_SAID = {
    CustomerClass.KEY: "a key customer",
    CustomerClass.POTENTIAL: "a potential customer (valuable, not key)",
    CustomerClass.GENERAL: "a general customer",
}


@functools.lru_cache(maxsize=64)
def class_text(customer_class: CustomerClass | None, abc_class: AbcClass | None) -> str:
    """The customer's class in words, with its Pareto class."""
    said = "a marginal customer" if customer_class is None else _CLASS_SAID[customer_class]
    return f"{said}, Pareto class {'-' if abc_class is None else abc_class.name}"
