"""The columnar assessment's choices and words: the next best action (``retention._action.
_choose`` on the engine's figures) and the reasons a row shows, worded from figure columns
by string expressions, with exactly the object path's text."""

from __future__ import annotations

from typing import Any

import polars as pl

from logicrm._engine import _assess_text as text
from logicrm.domain._reason import plural
from logicrm.policies import Policies
from logicrm.retention import _action_policy as action_policy
from logicrm.retention._action import _RULES
from logicrm.retention._action_policy import _LADDER, _SAID, SalesAction
from logicrm.scoring import _lifecycle as lifecycle
from logicrm.scoring import _tier as tiering
from logicrm.scoring._lifecycle import _LIFECYCLE_SAID
from logicrm.scoring._tier import _TIER_SAID

c = pl.col
MONEY_COLUMNS = ("cost_to_serve", "margin_after_service")
"""The row's money columns: exact text here, as ``str(Decimal)`` writes it."""


def _percent(x: float) -> str:
    return f"{x:+.0%}"


def _lit(value: str) -> pl.Expr:
    return pl.lit(value, pl.String)


def action(frame: pl.DataFrame, policies: Policies) -> pl.DataFrame | None:
    """``_choose`` with no share, no contact log, no credit and no qualification (what the
    columnar engine has): the action, its headline, the lever and the incentive, from the
    rules' shared table (``_RULES``); ``None`` if the table holds a rule not known here."""
    policy = policies.action
    ordered = c("orders") > 0
    key = c("customer_class") == "key"
    lapsed = c("lifecycle") == "lapsed"
    at_risk = c("churn_risk")
    said = key | at_risk  # the rules that quote the churn figures
    frame = frame.with_columns(
        order_change_text=text.python_forms(frame, "order_change", _percent, said),
        revenue_change_text=text.python_forms(frame, "revenue_change", _percent, said),
    )
    change = (
        pl.when(c("order_change").is_null())
        .then(_lit(""))
        .otherwise(
            "orders per 30 days "
            + c("order_change_text")
            + pl.when(c("revenue_change").is_not_null())
            .then(", revenue " + c("revenue_change_text"))
            .otherwise(_lit(""))
        )
    )
    # When each of _choose's rules holds, on the figures the columnar engine has (no
    # qualification, credit, share or contact log: those rules never hold here).
    holds = {
        "prospect_failing": pl.lit(False),
        "prospect_qualified": pl.lit(False),
        "prospect_to_qualify": ~ordered,
        "key_lapsed": key & lapsed,
        "key_at_risk": key & at_risk,
        "key_steady": key & (c("trend") == "steady"),
        "key_slowing": key & (c("change") != ""),
        "key": key,
        "lapsed_win_back": lapsed & ~c("lifetime_unprofitable"),
        "lapsed_let_go": lapsed,
        "visits_cost_the_margin": pl.lit(False),
        "unprofitable": c("unprofitable"),
        "credit_declined": pl.lit(False),
        "growing": c("growth") >= policy.grow_min_growth,
        "low_share": pl.lit(False),
        "at_risk": at_risk,
        "steady": pl.lit(True),
    }
    if list(holds) != list(_RULES):
        return None  # a rule this engine does not know yet: the tuple kernel's
    growing = holds["growing"]
    figures = {
        "idle": lambda _: "no order for " + c("idle_days_text"),
        "churn": lambda _: c("change"),
        "growth": lambda spec: text.python_forms(
            frame, "growth", lambda x: format(x, spec), growing
        ),
        "least": policy.grow_min_growth,
        "below": policy.grow_below_share,
        "share": 0.0,  # never shown: no share here
    }
    frame = frame.with_columns(
        idle_days_text=text.python_forms(frame, "idle_days", lambda n: plural(n, "day")),
        change=change,
    )
    rule: Any = pl
    for name, when in holds.items():
        rule = rule.when(when).then(_lit(name))
    frame = frame.with_columns(rule=rule.otherwise(_lit("steady")))
    frame = frame.with_columns(
        next_action=c("rule").replace_strict(
            {n: a.value for n, (a, _) in _RULES.items()}, return_dtype=pl.String
        ),
        action_reason=text.worded(
            c("rule"), {n: f"{_SAID[a]}: {t}" for n, (a, t) in _RULES.items()}, figures
        ),
    )
    days = pl.when(ordered).then(c("tenure_days").fill_null(0)).otherwise(0)
    mature = ordered & (days >= policy.mature_after_days)
    dropped = c("next_action") == SalesAction.DROP_MARGINAL.value
    holds = {"lapsed": ordered & lapsed, "mature": mature, "always": pl.lit(True)}
    lever: Any = pl.when(dropped).then(_lit(None))  # type: ignore[arg-type]
    for step in action_policy._LEVER_STEPS:
        lever = lever.when(holds[step.when]).then(_lit(step.lever.value))
    incentives = {t.value: i.value for t, i in policy.incentives.items()}
    incentive = c("tier").replace_strict(incentives, default=None, return_dtype=pl.String)
    loyal = policy.loyal_after_days
    if loyal is not None:
        steps = {
            i.value: _LADDER[min(n + 1, len(_LADDER) - 1)].value for n, i in enumerate(_LADDER)
        }
        raised = incentive.replace_strict(steps, default=None, return_dtype=pl.String)
        incentive = (
            pl.when(incentive.is_not_null() & ordered & ~lapsed & (days >= loyal))
            .then(raised)
            .otherwise(incentive)
        )
    return frame.with_columns(
        retention_lever=lever,
        incentive=pl.when(dropped).then(_lit(None)).otherwise(incentive),  # type: ignore[arg-type]
    )


def _tier_reason(policies: Policies) -> pl.Expr:
    """``scoring.tier``'s reason, from its words (``_TIER_SAID``), the bands the tier
    tables gave (``order_band``, ``spend_band``) and the row's figures."""
    policy = policies.tiering
    spend_bands, order_bands = tiering.spend_bands(policy), tiering.order_bands(policy)

    def said(column: str, words: dict[int, str]) -> pl.Expr:
        return c(column).replace_strict(words, default="", return_dtype=pl.String)

    rule = said(
        "spend_band", {i: f"{b.comparison} {b.quoted:,}" for i, b in enumerate(spend_bands)}
    )

    def spend(spec: str) -> pl.Expr:
        if spec != ",":
            raise ValueError(f"the spend is worded with {spec!r}, not ','")
        return c("spend_text")

    figures = {
        "orders": lambda _: c("orders_30_text"),
        "comparison": lambda _: said(
            "order_band", {i: b.comparison for i, b in enumerate(order_bands)}
        ),
        "frequent": lambda spec: said(
            "order_band", {i: format(b.quoted, spec) for i, b in enumerate(order_bands)}
        ),
        "tier": lambda _: c("tier"),
        "spend": spend,
        "currency": policy.large_annual_spend.currency,
        "rule": lambda _: rule,
        "level": lambda _: c("level"),
        "size": lambda _: c("size"),
        "grade": lambda _: c("tier").str.slice(-1).str.to_uppercase(),
    }
    return text.worded(c("tier_code"), _TIER_SAID, figures)


def _churn_reason(frame: pl.DataFrame, policies: Policies) -> pl.DataFrame:
    """``churn_figures``' reason for the flagged rows (the only ones that show it): judged
    and at risk."""
    policy = policies.churn
    flagged = c("churn_flag")
    one = ".1f"
    frame = frame.with_columns(
        recent_rate_text=text.python_forms(frame, "recent_rate", lambda x: f"{x:{one}}", flagged),
        historical_rate_text=text.python_forms(
            frame, "historical_rate", lambda x: f"{x:{one}}", flagged
        ),
        recent_revenue_rate_text=text.python_forms(
            frame, "recent_revenue_rate", lambda x: f"{x:,.0f}", flagged
        ),
        historical_revenue_rate_text=text.python_forms(
            frame, "historical_revenue_rate", lambda x: f"{x:,.0f}", flagged
        ),
        order_change_text=text.python_forms(frame, "order_change", _percent, flagged),
        revenue_change_text=text.python_forms(frame, "revenue_change", _percent, flagged),
    )
    days = policy.recent_days
    revenue = pl.when(c("revenue_change").is_not_null()).then(
        "; revenue per 30 days "
        + c("recent_revenue_rate_text")
        + " against "
        + c("historical_revenue_rate_text")
        + " ("
        + c("revenue_change_text")
        + ")"
    )
    drops = lifecycle.churn_drops(policy)
    held = pl.concat_str(
        [pl.when(c(f"fell_{d.rate}")).then(_lit(d.said)) for d in drops],
        separator=" and ",
        ignore_nulls=True,
    )
    said = {str(i): v.said for i, v in enumerate(lifecycle.churn_verdicts(policy))}
    verdict = text.worded(
        pl.when(flagged).then(c("verdict").cast(pl.String)).otherwise(_lit("-1")),
        {"-1": "", **said},
        {"drops": lambda _: held},
    )
    message = (
        "orders per 30 days "
        + c("recent_rate_text")
        + f" in the last {days} days against "
        + c("historical_rate_text")
        + " before ("
        + c("order_change_text")
        + ")"
        + revenue.fill_null("")
        + ": "
        + verdict
    )
    return frame.with_columns(churn_reason=pl.when(flagged).then(message))


_SLICE_ROWS = 100_000


def reasons(frame: pl.DataFrame, policies: Policies, *, codes: bool = False) -> pl.DataFrame:
    """``top_reasons``: the churn, tier and class reasons of a flagged customer, else the
    tier, class and lifecycle reasons, joined by ``"; "``; with ``codes``, their codes too
    (``reason_codes``, a list per customer: only when asked, as they take room)."""
    frame = frame.with_columns(
        spend_text=text.decimal_grouped(
            text.decimal_text(c("revenue_365"), c("revenue_365_places"))
        )
    )
    frame = text.fill_decimal_forms(frame, "spend_text", "revenue_365", lambda d: f"{d:,}")
    frame = frame.with_columns(
        orders_30_text=text.python_forms(
            frame, "orders_30", lambda n: plural(n, "order"), c("kind") == "individual"
        )
    )
    frame = _churn_reason(frame, policies).with_columns(tier_code=_tier_code())
    basis = policies.pareto.basis
    abc = (
        "Pareto class "
        + c("abc_class")
        + f" by {basis} over the last 365 days: a "
        + c("customer_class")
        + " customer"
    )
    stage = text.worded(
        "lifecycle." + c("lifecycle"),
        _LIFECYCLE_SAID,
        {"idle": lambda _: c("idle_days_text"), "days": policies.lifecycle.lapsed_after_days},
    )
    tier = _tier_reason(policies)
    shown = (
        pl.when(c("churn_flag"))
        .then(c("churn_reason") + "; " + tier + "; " + abc)
        .otherwise(tier + "; " + abc + "; " + stage)
    )
    made = {"top_reasons": shown, **({"reason_codes": _codes()} if codes else {})}
    # A slice at a time: both branches of a long text are made before one is chosen, and
    # for a million customers that is hundreds of megabytes at once.
    parts = [part.select(**made) for part in frame.iter_slices(_SLICE_ROWS)]
    return frame.hstack(pl.concat(parts) if parts else frame.select(**made))


def _tier_code() -> pl.Expr:
    """The code of ``scoring.tier``'s reason: which rule tiered the customer."""
    kind = c("kind")
    return (
        pl.when(kind == "individual")
        .then(_lit("tier.individual.monthly_orders"))
        .when(kind == "enterprise")
        .then(_lit("tier.enterprise.annual_spend"))
        .when(c("level").is_not_null())
        .then(_lit("tier.institution.level"))
        .when(c("size").is_not_null())
        .then(_lit("tier.institution.size"))
        .otherwise(_lit("tier.institution.unknown"))
    )


def _codes() -> pl.Expr:
    """The codes of the reasons ``top_reasons`` shows, in its order (``Reason.code``)."""
    tier = c("tier_code")
    abc = "abc." + c("abc_class").str.to_lowercase()
    stage = "lifecycle." + c("lifecycle")
    return (
        pl.when(c("churn_flag"))
        .then(pl.concat_list("churn." + c("trend"), tier, abc))
        .otherwise(pl.concat_list(tier, abc, stage))
    )


def _rate(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    return pl.when(denominator != 0).then(numerator.cast(pl.Float64) / denominator.cast(pl.Float64))


def row_columns(policies: Policies) -> dict[str, pl.Expr]:
    """``Assessment.row()``'s columns, in its order, from the assessed frame."""
    null = pl.lit(None, pl.Null)
    delivered, orders = c("delivered"), c("orders")
    return {
        "customer_id": c("customer_id"),
        "tier": c("tier"),
        "abc_class": c("abc_class"),
        "customer_class": c("customer_class"),
        "value_score": c("value_score"),
        "lifecycle": c("lifecycle"),
        "churn_risk": c("churn_risk"),
        "key_customer": c("customer_class") == "key",
        "churn_flag": c("churn_flag"),
        "credit_outcome": null,
        "credit_score": null,
        "credit_limit": null,
        "credit_currency": null,
        "credit_term_days": null,
        "on_time_rate": _rate(c("on_time"), delivered),
        "otif_rate": _rate(c("on_time_in_full"), delivered),
        "perfect_order_rate": _rate(c("perfect"), delivered),
        "fill_rate": _rate(c("units_filled"), c("units_ordered_delivered")),
        "late_delivery_rate": _rate(delivered - c("on_time"), delivered),
        "damage_rate": _rate(c("units_damaged"), c("units_delivered")),
        "invoice_error_rate": _rate(c("invoice_errors"), orders),
        "stockout_rate": _rate(c("stockouts"), orders),
        "substitution_rate": _rate(c("substitutions"), orders),
        "short_shipment_rate": _rate(delivered - c("in_full"), delivered),
        "reroute_rate": _rate(c("reroutes"), orders),
        "return_rate": _rate(c("returns"), orders),
        "worst_gap": null,
        "worst_gap_size": null,
        "complaints": null,
        "complaints_met": null,
        "complaints_breached": null,
        "follow_up_due": null,
        "follow_ups_overdue": null,
        "customer_share": null,
        "cost_to_serve": c("cost_to_serve"),
        "margin_after_service": c("margin_after_service"),
        "profit_currency": _lit(policies.service_cost.currency),
        "unprofitable": c("unprofitable"),
        "next_action": c("next_action"),
        "retention_lever": c("retention_lever"),
        "incentive": c("incentive"),
        "action_reason": c("action_reason"),
        "top_reasons": c("top_reasons"),
    }
