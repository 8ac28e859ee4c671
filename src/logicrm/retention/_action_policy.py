"""The six sales actions, the retention levers and incentives, and the policy whose thresholds
the next-best-action rules read."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple

import attrs

from logicrm.domain._checks import MAX_DAYS, check_int, check_number, fail, to_enum
from logicrm.scoring import Tier


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
    """How long the relationship has run, for retention ([sources](../sources.md#lifecycle)):
    a *new* relationship, still building trust, or a *mature* one, the profit core. (The
    literature calls the first stage's customers 潜在客户; logicrm says "new" so that
    "potential" keeps the meaning of the literature's customer classes,
    [`CustomerClass`][logicrm.scoring.CustomerClass].) The value ``"potential"`` of earlier
    releases is still read as ``NEW``."""

    NEW = "new"
    MATURE = "mature"

    @classmethod
    def _missing_(cls, value: object) -> Maturity | None:
        return cls.NEW if value == "potential" else None


class RetentionLever(StrEnum):
    """How a customer is kept, by stage: trust built through information and economic offers
    (a new relationship), switching barriers such as contract terms and emotional ties (a
    mature one), or, for a customer that stopped ordering, winning it back."""

    BUILD_TRUST = "build_trust"
    SWITCHING_BARRIERS_AND_TIES = "switching_barriers_and_ties"
    WIN_BACK = "win_back"


_LEVER_SAID = {
    RetentionLever.BUILD_TRUST: "build trust through information and economic offers",
    RetentionLever.SWITCHING_BARRIERS_AND_TIES: (
        "keep through switching barriers (contract terms) and emotional ties"
    ),
    RetentionLever.WIN_BACK: "win it back: ask why it stopped and offer terms to return",
}


class LeverStep(NamedTuple):
    """One step of the retention lever's rule, read in order: the first step whose
    condition holds gives the lever. ``when`` is ``"lapsed"`` (has ordered, and lapsed by
    the lifecycle policy), ``"mature"`` (trading at least ``mature_after_days``) or
    ``"always"``."""

    when: str
    lever: RetentionLever


# The lever by stage, the one table the object path, the columnar engine's expressions and
# its tuple kernel read: win back the lost, hold the mature with switching barriers and
# ties, build trust with the rest.
_LEVER_STEPS = (
    LeverStep("lapsed", RetentionLever.WIN_BACK),
    LeverStep("mature", RetentionLever.SWITCHING_BARRIERS_AND_TIES),
    LeverStep("always", RetentionLever.BUILD_TRUST),
)


class Incentive(StrEnum):
    """The incentives of the notes (客户激励)."""

    DISCOUNT = "discount"
    POINTS = "points"
    VIP_MEMBERSHIP = "vip_membership"
    GIFTS = "gifts"


_LADDER = (Incentive.GIFTS, Incentive.POINTS, Incentive.DISCOUNT, Incentive.VIP_MEMBERSHIP)

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


@attrs.frozen(kw_only=True)
class ActionPolicy:
    """The thresholds of the default next-best-action rules and the incentives per tier.

    Attributes:
        mature_after_days: a customer whose first order is at least this many days before
            ``as_of`` is *mature* (365), else *new*.
        grow_min_growth: revenue growth (the last 365 days against the 365 before) from which
            a marginal customer is one to grow (0.10).
        grow_below_share: a customer share below this leaves room to grow (0.5).
        drop_on_credit_decline: a marginal enterprise or individual whose credit is declined
            is dropped (off: a declined credit means cash or prepaid terms, and the reason
            says so).
        drop_institutions_on_credit_decline: the same for government and institutional
            customers (off: the notes give them quality, efficient service; a declined
            credit means cash or prepaid terms, never dropping the body).
        incentives: [`Tier`][logicrm.scoring.Tier] -> [`Incentive`][logicrm.retention.Incentive]
            (large and class A: VIP membership; medium and class B: discount; small, class C and
            frequent: points; occasional: gifts; unclassified: none).
        loyal_after_days: a current customer trading with us at least this long (730 days)
            is long-standing (长期合作): its incentive moves one step up the ladder gifts <
            points < discount < VIP membership. ``None`` turns it off.
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
    drop_on_credit_decline: bool = False
    drop_institutions_on_credit_decline: bool = False
    incentives: Mapping[Tier, Incentive] = attrs.field(
        default=_DEFAULT_INCENTIVES, converter=_incentives, hash=False
    )
    loyal_after_days: int | None = 730
    max_debt_ratio: float = 0.7
    min_current_ratio: float = 1.0
    min_rating: int = 3
    organisation_ratings: tuple[str, ...] = ("organisational", "managerial", "character")
    workforce_ratings: tuple[str, ...] = ("workforce",)

    def __attrs_post_init__(self) -> None:
        check_int("mature_after_days", self.mature_after_days, min_value=0, max_value=MAX_DAYS)
        check_number("grow_min_growth", self.grow_min_growth, min_value=0, max_value=100)
        if self.loyal_after_days is not None:
            check_int("loyal_after_days", self.loyal_after_days, min_value=1, max_value=MAX_DAYS)
        check_number("grow_below_share", self.grow_below_share, min_value=0, max_value=1)
        check_number("max_debt_ratio", self.max_debt_ratio, min_value=0, max_value=100)
        check_number("min_current_ratio", self.min_current_ratio, min_value=0, max_value=100)
        check_int("min_rating", self.min_rating, min_value=1, max_value=5)
        for name in ("organisation_ratings", "workforce_ratings"):
            value = getattr(self, name)
            if not value or not all(type(v) is str and v for v in value):
                fail(name, value, "must name at least one rating")
