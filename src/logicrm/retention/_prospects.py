"""A prospect against the selection standards, from its credit profile."""

from __future__ import annotations

from decimal import Decimal

import attrs

from logicrm.domain import CreditProfile, Reason
from logicrm.domain._money import in_library_context
from logicrm.retention._action_policy import ActionPolicy
from logicrm.scoring import ratios


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
    policy: ActionPolicy = ActionPolicy(),  # noqa: B008
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
