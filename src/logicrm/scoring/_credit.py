"""Credit decisions: 5C / 5P / 6A scorecards, the credit standard, limit, term and exposure."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

import attrs

from logicrm.domain import CreditProfile, Money, Reason
from logicrm.domain._checks import (
    MAX_DAYS,
    check_aware,
    check_bool,
    check_int,
    check_number,
    check_rate,
    fail,
)
from logicrm.domain._money import in_library_context
from logicrm.errors import CurrencyMismatchError
from logicrm.scoring._activity import Activity
from logicrm.scoring._numbers import ratio
from logicrm.scoring._ratios import FinancialRatios, ratios
from logicrm.scoring._tier import check_activity


class CreditFramework(StrEnum):
    """The three assessment frameworks of the domain notes."""

    FIVE_C = "5c"
    FIVE_P = "5p"
    SIX_A = "6a"


CRITERIA: Mapping[CreditFramework, tuple[str, ...]] = MappingProxyType(
    {
        CreditFramework.FIVE_C: ("character", "capacity", "capital", "collateral", "conditions"),
        CreditFramework.FIVE_P: ("personal", "purpose", "payment", "protection", "perspective"),
        CreditFramework.SIX_A: (
            "economic",
            "technical",
            "managerial",
            "organisational",
            "commercial",
            "financial",
        ),
    }
)
"""The criteria of each framework (品格、能力、资本、担保、状况 / 个人、目的、偿付、保障、展望 /
经济、技术、管理、组织、商业、财务)."""

# Criteria the domain ties to figures, and the ratios that measure them.
FIGURE_CRITERIA: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "capacity": ("current_ratio", "quick_ratio"),  # ability to pay: liquidity
        "capital": ("debt_ratio", "return_on_assets"),  # leverage and profitability
        "payment": ("current_ratio", "cash_liquidity_ratio"),
        "financial": ("debt_ratio", "current_ratio", "sales_margin"),
    }
)


MAX_TERM_DAYS = 3660
"""The longest credit period a policy may state (ten years)."""


class CreditOutcome(StrEnum):
    """The decision: approve, refer to a credit analyst, or decline."""

    APPROVE = "approve"
    REVIEW = "review"
    DECLINE = "decline"


@attrs.frozen
class RatioBand:
    """Maps a ratio onto a 1-5 rating by thresholds.

    ``higher_is_better``: the rating is 1 + the number of thresholds the value reaches
    (``>=``); otherwise 1 + the number it stays at or under (``<=``).
    """

    thresholds: tuple[Decimal, ...]
    higher_is_better: bool = True

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.thresholds, tuple) or not self.thresholds:
            fail("thresholds", self.thresholds, "must be a non-empty list of numbers")
        for index, threshold in enumerate(self.thresholds):
            check_number(f"thresholds[{index}]", threshold, min_value=-1e6, max_value=1e6)
        check_bool("higher_is_better", self.higher_is_better)
        steps = list(itertools.pairwise(self.thresholds))
        rising = all(a < b for a, b in steps)
        if not (rising if self.higher_is_better else all(a > b for a, b in steps)):
            order = "rise" if self.higher_is_better else "fall (lower is better)"
            fail("thresholds", self.thresholds, f"must strictly {order}")

    def rate(self, value: Decimal) -> int:
        rating = 1
        if self.higher_is_better:
            for threshold in self.thresholds:
                rating += value >= threshold
        else:
            for threshold in self.thresholds:
                rating += value <= threshold
        return rating


_ZERO = Decimal(0)


def _d(*values: str) -> tuple[Decimal, ...]:
    return tuple(Decimal(v) for v in values)


_DEFAULT_BANDS = MappingProxyType(
    {
        # 2:1 reasonable, at least 1:1 (docs/sources.md#financial-ratios)
        "current_ratio": RatioBand(_d("1.0", "1.5", "2.0", "2.5")),
        # 1:1 reasonable, minimum 0.5:1, higher is better
        "quick_ratio": RatioBand(_d("0.5", "0.75", "1.0", "1.5")),
        "cash_liquidity_ratio": RatioBand(_d("0.1", "0.2", "0.35", "0.5")),
        "debt_ratio": RatioBand(_d("0.8", "0.7", "0.6", "0.5"), higher_is_better=False),
        "return_on_assets": RatioBand(_d("0", "0.02", "0.05", "0.1")),
        "sales_margin": RatioBand(_d("0", "0.03", "0.08", "0.15")),
    }
)


@attrs.frozen
class ScoreBand:
    """What a score earns: from ``min_score`` up, a limit multiple and a credit period."""

    min_score: float
    limit_months: Decimal
    term_days: int

    def __attrs_post_init__(self) -> None:
        check_number("min_score", self.min_score, min_value=0, max_value=100)
        check_number("limit_months", self.limit_months, min_value=0, max_value=120)
        check_int("term_days", self.term_days, min_value=0, max_value=MAX_TERM_DAYS)


_DEFAULT_SCORE_BANDS = (
    ScoreBand(80.0, Decimal(3), 60),
    ScoreBand(60.0, Decimal(2), 30),
    ScoreBand(45.0, Decimal(1), 15),
)


_ALL_CRITERIA = frozenset(c for names in CRITERIA.values() for c in names)
_RATIO_NAMES = frozenset(f.name for f in attrs.fields(FinancialRatios) if f.name != "reasons")


def _read_only(weights: Mapping[str, float]) -> Mapping[str, float]:
    if not isinstance(weights, Mapping):
        fail("weights", weights, "must map criterion -> weight")
    for name, weight in weights.items():
        if name not in _ALL_CRITERIA:
            fail("weights", name, f"is not a criterion of any framework: {sorted(_ALL_CRITERIA)}")
        check_number(f"weights.{name}", weight, min_value=0, max_value=1e6)
    return MappingProxyType(dict(weights))


@attrs.frozen(kw_only=True)
class CreditPolicy:
    """The credit standard, the hard rules, and how limit and term follow from the score.

    Attributes:
        framework: which scorecard to use (5C by default).
        weights: weight per criterion (missing criteria weigh 1).
        bands: how each ratio maps to a 1-5 rating (the domain's reference levels).
        approve_score: the credit standard (信用标准): at least this score approves (60).
        review_score: from this score up to ``approve_score`` the case goes to review (45);
            below it, decline.
        min_current_ratio: below this (1.0, the notes' minimum) an approval becomes a
            review.
        min_quick_ratio: below this (0.5, the notes' minimum) an approval becomes a review.
        max_missing_criteria: more missing criteria than this turns an approval into a
            review (1).
        max_statement_age_days: a latest statement older than this (456 days, 15 months)
            turns an approval into a review.
        score_bands: from a minimum score up, the limit as a multiple of average monthly
            billing and the credit period (信用期限): 80+ three months and 60 days, 60+ two
            months and 30 days, 45+ one month and 15 days.
        max_limit: the cap on any limit (1,000,000 CNY).
        overdue_hold_share: overdue above this share of the receivable puts the account on
            hold for new orders (0.1).
    """

    framework: CreditFramework = attrs.field(
        default=CreditFramework.FIVE_C, converter=CreditFramework
    )
    weights: Mapping[str, float] = attrs.field(factory=dict, converter=_read_only, hash=False)
    bands: Mapping[str, RatioBand] = attrs.field(default=_DEFAULT_BANDS, hash=False)
    approve_score: float = 60.0
    review_score: float = 45.0
    min_current_ratio: Decimal = Decimal("1.0")
    min_quick_ratio: Decimal = Decimal("0.5")
    max_missing_criteria: int = 1
    max_statement_age_days: int = 456
    score_bands: tuple[ScoreBand, ...] = _DEFAULT_SCORE_BANDS
    max_limit: Money = Money("1000000.00", "CNY")
    overdue_hold_share: Decimal = Decimal("0.1")

    def __attrs_post_init__(self) -> None:
        check_number("approve_score", self.approve_score, min_value=0, max_value=100)
        check_number("review_score", self.review_score, min_value=0, max_value=100)
        if not self.review_score <= self.approve_score:
            fail("review_score", self.review_score, "must satisfy 0 <= review <= approve <= 100")
        if all(self.weight(c) == 0 for c in CRITERIA[self.framework]):
            fail("weights", dict(self.weights), f"must not all be 0 for {self.framework.value}")
        for name, band in self.bands.items():
            if name not in _RATIO_NAMES:
                fail(f"bands.{name}", name, f"is not a ratio: {sorted(_RATIO_NAMES)}")
            if not isinstance(band, RatioBand):
                fail(f"bands.{name}", band, "must be a RatioBand")
        check_number("min_current_ratio", self.min_current_ratio, min_value=0, max_value=1e6)
        check_number("min_quick_ratio", self.min_quick_ratio, min_value=0, max_value=1e6)
        check_int("max_missing_criteria", self.max_missing_criteria, min_value=0, max_value=6)
        check_int(
            "max_statement_age_days", self.max_statement_age_days, min_value=0, max_value=MAX_DAYS
        )
        if not isinstance(self.score_bands, tuple) or not self.score_bands:
            fail("score_bands", self.score_bands, "must hold at least one band")
        for index, score_band in enumerate(self.score_bands):
            if not isinstance(score_band, ScoreBand):
                fail(f"score_bands[{index}]", score_band, "must be a ScoreBand")
        scores = [b.min_score for b in self.score_bands]
        if any(a <= b for a, b in itertools.pairwise(scores)):
            fail("score_bands", scores, "must run from the highest min_score down, no repeats")
        if type(self.max_limit) is not Money or self.max_limit.amount < 0:
            fail("max_limit", self.max_limit, "must be Money >= 0")
        check_rate("overdue_hold_share", self.overdue_hold_share)

    def weight(self, criterion: str) -> float:
        return float(self.weights.get(criterion, 1.0))


@attrs.frozen
class CreditDecision:
    """A credit decision with everything behind it.

    Attributes:
        outcome: approve, review or decline.
        score: the scorecard score, 0-100 (``None`` if no criterion could be scored).
        limit: the credit limit (信用额度) the decision grants (zero unless approved).
        term_days: the credit period (信用期限) in days (zero unless approved).
        reasons: every criterion, ratio check, and the rule that settled the outcome.
        criteria: the 0-100 score of each criterion that could be scored.
        ratios: the ratios of the latest statement, if any.
    """

    outcome: CreditOutcome
    score: float | None
    limit: Money
    term_days: int
    reasons: tuple[Reason, ...]
    criteria: Mapping[str, float] = attrs.field(factory=dict, hash=False)
    ratios: FinancialRatios | None = None

    def _repr_html_(self) -> str:
        """The notebook view: fields, nested results and reasons as HTML."""
        from logicrm._html import render

        return render(self)


def _criterion_scores(
    profile: CreditProfile, found: FinancialRatios | None, policy: CreditPolicy
) -> tuple[dict[str, float], list[Reason], list[str]]:
    scores: dict[str, float] = {}
    reasons: list[Reason] = []
    missing: list[str] = []
    rated: dict[str, tuple[int, str] | None] = {}  # a ratio several criteria read, rated once
    for criterion in CRITERIA[policy.framework]:
        ratings: list[tuple[int, str]] = []
        if criterion in profile.ratings:
            ratings.append((profile.ratings[criterion], "analyst rating"))
        for name in FIGURE_CRITERIA.get(criterion, ()) if found is not None else ():
            if name not in rated:
                value = getattr(found, name)
                band = policy.bands.get(name)
                rated[name] = (
                    None if value is None or band is None
                    else (band.rate(value), f"{name} {value:.2f}")
                )  # fmt: skip
            rating = rated[name]
            if rating is not None:
                ratings.append(rating)
        if not ratings:
            missing.append(criterion)
            reasons.append(
                Reason(
                    f"credit.{criterion}.missing",
                    f"{criterion}: no analyst rating and no figures; not scored",
                )
            )
            continue
        mean = sum(r for r, _ in ratings) / len(ratings)
        scores[criterion] = (mean - 1) / 4 * 100
        detail = ", ".join([f"{why} -> {r}/5" for r, why in ratings])
        reasons.append(
            Reason(
                f"credit.{criterion}",
                f"{criterion} {scores[criterion]:.0f}/100 ({detail})",
                scores[criterion],
            )
        )
    return scores, reasons, missing


def _monthly_billing(activity: Activity | None, currency: str) -> Money | None:
    if activity is None or activity.as_of is None:
        return None
    if activity.currency is not None and activity.currency != currency:
        raise CurrencyMismatchError(activity.currency, currency, "set a limit")
    return Money._trusted(ratio(activity.revenue_within(365), 12), currency)  # a total, any size


@in_library_context
def assess_credit(
    profile: CreditProfile,
    *,
    as_of: datetime,
    policy: CreditPolicy = CreditPolicy(),
    activity: Activity | None = None,
) -> CreditDecision:
    """Decide whether a customer meets the credit standard, and its limit and term.

    1. **Scorecard.** Each criterion of the policy's framework is rated 1-5 from the analyst
       rating in ``profile.ratings`` and, for criteria the domain ties to figures (capacity
       and payment to liquidity, capital to leverage and profitability, financial to all
       three), from the latest statement's ratios through the policy's bands; the ratings are
       averaged and scaled to 0-100. The score is the weighted mean over scored criteria. A
       criterion with neither is reported as missing, never scored.
    2. **Outcome.** approve from ``approve_score``, review from ``review_score``, else decline;
       an approval becomes a review when a hard rule fires: current ratio below 1, quick ratio
       below 0.5, too many missing criteria, or a stale latest statement.
    3. **Limit and term.** An approval gets the score band's multiple of average monthly
       billing (revenue over the 365 days before ``as_of`` in ``activity``, / 12) capped at
       ``max_limit``, and the band's credit period. Without an activity the limit is the
       profile's current limit, capped. Review and decline grant nothing.

    Raises:
        ValidationError: ``activity`` is another customer's or not taken at ``as_of``.
        CurrencyMismatchError: the policy's cap or the activity is in another currency.

    Examples:
        >>> from logicrm.sample import sample_dataset
        >>> data = sample_dataset()
        >>> decision = assess_credit(data.credit_profiles[0], as_of=data.as_of)
        >>> decision.outcome.value, decision.term_days
        ('approve', 60)
    """
    check_aware("as_of", as_of)
    if activity is not None:
        check_activity(profile.customer_id, activity, as_of)
    if policy.max_limit.currency != profile.currency:
        raise CurrencyMismatchError(profile.currency, policy.max_limit.currency, "decide")
    latest = profile.latest_statement
    previous = profile.statements[-2] if len(profile.statements) > 1 else None
    found = ratios(latest, previous) if latest is not None else None
    scores, reasons, missing = _criterion_scores(profile, found, policy)
    weights = {c: w for c in scores if (w := policy.weight(c)) > 0}
    total = sum(weights.values())
    score = sum(weights[c] * scores[c] for c in weights) / total if total else None

    zero = Money._trusted(_ZERO, profile.currency)  # the profile's currency is checked
    if score is None or score < policy.review_score:
        outcome = CreditOutcome.DECLINE
        reasons.append(
            Reason(
                "credit.outcome.decline",
                "score "
                + (
                    "unavailable"
                    if score is None
                    else f"{score:.1f} below {policy.review_score:g}, the least for a review "
                    f"(the credit standard is {policy.approve_score:g})"
                ),
            )
        )
    elif score < policy.approve_score:
        outcome = CreditOutcome.REVIEW
        reasons.append(
            Reason(
                "credit.outcome.review",
                f"score {score:.1f} below the credit standard {policy.approve_score:g}",
            )
        )
    else:
        outcome = CreditOutcome.APPROVE
        blockers = _hard_rules(found, missing, latest, as_of, policy)
        if blockers:
            outcome = CreditOutcome.REVIEW
            reasons.extend(blockers)
        else:
            reasons.append(
                Reason(
                    "credit.outcome.approve",
                    f"score {score:.1f} meets the credit standard {policy.approve_score:g}",
                )
            )
    if outcome is not CreditOutcome.APPROVE or score is None:
        return CreditDecision(outcome, score, zero, 0, tuple(reasons), scores, found)

    band = next((b for b in policy.score_bands if score >= b.min_score), None)
    if band is None:
        return CreditDecision(outcome, score, zero, 0, tuple(reasons), scores, found)
    billing = _monthly_billing(activity, profile.currency)
    if billing is None:
        limit = profile.limit
        basis = "no activity given: the current limit"
    else:
        # Not Money arithmetic: a huge billing is capped by max_limit below, never refused.
        limit = Money._trusted(billing.amount * band.limit_months, billing.currency)
        basis = f"{band.limit_months} x average monthly billing {billing.amount:,.2f}"
    if limit > policy.max_limit:
        limit, basis = policy.max_limit, basis + f", capped at {policy.max_limit.amount:,}"
    limit = Money(limit.amount.quantize(Decimal("0.01")), limit.currency)
    reasons.append(Reason("credit.limit", f"limit {limit.amount:,} {limit.currency}: {basis}"))
    reasons.append(
        Reason(
            "credit.term",
            f"credit period {band.term_days} days for a score of {band.min_score:g} or more",
        )
    )
    return CreditDecision(outcome, score, limit, band.term_days, tuple(reasons), scores, found)


def _hard_rules(
    found: FinancialRatios | None,
    missing: list[str],
    latest: object,
    as_of: datetime,
    policy: CreditPolicy,
) -> list[Reason]:
    blockers = []
    if (
        found is not None
        and found.current_ratio is not None
        and (found.current_ratio < policy.min_current_ratio)
    ):
        blockers.append(
            Reason(
                "credit.rule.current_ratio",
                f"current ratio "
                f"{found.current_ratio:.2f} below {policy.min_current_ratio}: "
                "not an automatic approval",
            )
        )
    if (
        found is not None
        and found.quick_ratio is not None
        and (found.quick_ratio < policy.min_quick_ratio)
    ):
        blockers.append(
            Reason(
                "credit.rule.quick_ratio",
                f"quick ratio "
                f"{found.quick_ratio:.2f} below {policy.min_quick_ratio}: "
                "not an automatic approval",
            )
        )
    if len(missing) > policy.max_missing_criteria:
        blockers.append(
            Reason(
                "credit.rule.missing",
                f"{len(missing)} criteria not scored "
                f"({', '.join(missing)}): more than {policy.max_missing_criteria}",
            )
        )
    period_end = getattr(latest, "period_end", None)
    if period_end is None:
        blockers.append(Reason("credit.rule.no_statement", "no financial statement on file"))
    elif as_of.date() - period_end > timedelta(days=policy.max_statement_age_days):
        blockers.append(
            Reason(
                "credit.rule.stale_statement",
                f"latest statement ends "
                f"{period_end}, more than {policy.max_statement_age_days} "
                "days before as_of",
            )
        )
    return blockers


@attrs.frozen
class ExposureCheck:
    """May this order go on credit?

    Attributes:
        allowed: the order fits under the limit and the account is not on hold.
        headroom: ``limit - receivable - amount`` (negative when it would be over).
        reasons: why.
    """

    allowed: bool
    headroom: Money
    reasons: tuple[Reason, ...]

    def _repr_html_(self) -> str:
        """The notebook view: fields, nested results and reasons as HTML."""
        from logicrm._html import render

        return render(self)


@in_library_context
def check_exposure(
    profile: CreditProfile,
    amount: Money,
    *,
    policy: CreditPolicy = CreditPolicy(),
    decision: CreditDecision | None = None,
) -> ExposureCheck:
    """Check a new order of ``amount`` against the customer's credit.

    Refused when ``receivable + amount`` would exceed the limit, or when the overdue part of
    the receivable is above ``policy.overdue_hold_share`` of it (the account is on hold).

    The limit is the profile's stored one unless ``decision`` is given: then it is the limit
    that decision grants (the [`CreditDecision`][logicrm.scoring.CreditDecision] of
    [`assess_credit`][logicrm.scoring.assess_credit] for this profile), so an order is never
    checked against one limit while another is shown beside it. A decision that is not an
    approval puts no order on credit, whatever the stored limit: declined means cash or
    prepaid terms (reason ``exposure.declined``); under review means cash or prepaid until
    an analyst decides (``exposure.under_review``). The hold rule applies either way.

    Raises:
        CurrencyMismatchError: ``amount`` or the decision's limit is not in the profile's
            currency.
        ValidationError: ``amount`` is negative, or ``decision`` is not a ``CreditDecision``.

    Examples:
        >>> from logicrm.sample import sample_dataset
        >>> from logicrm.scoring import summarize
        >>> data = sample_dataset()
        >>> profile = data.credit_profiles[2]
        >>> check_exposure(profile, Money("50000.00", "CNY")).allowed
        True
        >>> activity = summarize(data.shipments, as_of=data.as_of)[profile.customer_id]
        >>> decided = assess_credit(profile, as_of=data.as_of, activity=activity)
        >>> print(decided.limit)
        15259.54 CNY
        >>> check_exposure(profile, Money("50000.00", "CNY"), decision=decided).allowed
        False
    """
    if not isinstance(amount, Money):
        fail("amount", amount, "must be Money")
    if amount.currency != profile.currency:
        raise CurrencyMismatchError(profile.currency, amount.currency, "check")
    if amount.amount < 0:
        fail("amount", amount, "must be >= 0")
    limit = profile.limit
    if decision is not None:
        if not isinstance(decision, CreditDecision):
            fail("decision", decision, "must be a CreditDecision")
        if decision.limit.currency != profile.currency:
            raise CurrencyMismatchError(profile.currency, decision.limit.currency, "check")
        limit = decision.limit
    after = profile.receivable + amount
    headroom = limit - after
    reasons = []
    allowed = True
    if decision is not None and decision.outcome != CreditOutcome.APPROVE:
        allowed = False
        reasons.append(
            Reason("exposure.declined", "credit declined: cash or prepaid terms, nothing on credit")
            if decision.outcome == CreditOutcome.DECLINE
            else Reason(
                "exposure.under_review",
                "credit under review: no limit granted yet, cash or prepaid until it is decided",
            )
        )
    elif after > limit:
        allowed = False
        reasons.append(
            Reason(
                "exposure.over_limit",
                f"receivable {profile.receivable.amount:,} "
                f"+ order {amount.amount:,} = {after.amount:,} exceeds the limit "
                f"{limit.amount:,}",
            )
        )
    else:
        reasons.append(
            Reason(
                "exposure.within_limit",
                f"{after.amount:,} within the limit {limit.amount:,}; {headroom.amount:,} to spare",
            )
        )
    if profile.receivable.amount > 0:
        share = ratio(profile.overdue.amount, profile.receivable.amount)
        if share > policy.overdue_hold_share:
            allowed = False
            reasons.append(
                Reason(
                    "exposure.on_hold",
                    f"{share:.1%} of the receivable is "
                    f"overdue, above {policy.overdue_hold_share:.0%}: on hold",
                )
            )
    return ExposureCheck(allowed, headroom, tuple(reasons))
