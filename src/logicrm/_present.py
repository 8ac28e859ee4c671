"""How logicrm shows values to people: one table of labels, and the formatters.

Programs get exact values (``row()``, CSV, JSON Lines, Parquet); people get words and
rounded figures. Every view written for people (the terminal tables, the demo, the notebook
HTML and the charts) goes through this module, so that a measure, an action or a column
reads the same everywhere: ``otif_rate`` is "on time in full", ``2440800.03`` CNY is
"2,440,800.03 CNY", a rate gap of ``-0.02`` is "-2.00 pts", and a due time is a date.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from types import MappingProxyType
from typing import Any, Final

LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        # service measures (ServiceMeasure) and the fields of ServiceKpis
        "avg_order_cycle_hours": "average order cycle",
        "order_cycle_stdev_hours": "order cycle variability",
        "avg_order_cycle_time": "average order cycle",
        "order_cycle_stdev": "order cycle variability",
        "fill_rate": "fill rate",
        "invoice_error_rate": "invoice errors",
        "damage_rate": "damage",
        "stockout_rate": "stock-outs",
        "substitution_rate": "substitutions",
        "late_delivery_rate": "late deliveries",
        "short_shipment_rate": "short shipments",
        "reroute_rate": "reroutes",
        "return_rate": "returns",
        "on_time_rate": "on time",
        "otif_rate": "on time in full",
        "perfect_order_rate": "perfect orders",
        # financial ratios (FinancialRatios), as credit reasons name them
        "debt_ratio": "debt ratio",
        "current_ratio": "current ratio",
        "quick_ratio": "quick ratio",
        "cash_ratio": "cash ratio",
        "cash_liquidity_ratio": "cash-liquidity ratio",
        "receivables_turnover": "receivables turnover",
        "inventory_turnover": "inventory turnover",
        "return_on_assets": "return on assets",
        "sales_margin": "sales margin",
        "cost_profit_ratio": "cost-profit ratio",
        # the 2/8 rule's sales actions (SalesAction)
        "prevent_key_loss": "prevent losing a key customer",
        "grow_key": "grow a key customer",
        "grow_marginal": "grow a marginal customer",
        "keep_marginal": "keep a marginal customer",
        "drop_marginal": "drop a marginal customer",
        "win_prospect": "win a prospect",
        # retention levers (RetentionLever) and incentives (Incentive)
        "build_trust": "build trust",
        "switching_barriers_and_ties": "switching barriers and ties",
        "vip_membership": "VIP membership",
        # tiers (Tier)
        "institution_a": "institution A",
        "institution_b": "institution B",
        "institution_c": "institution C",
        # contacts (ContactTask, Purpose, SlaStatus)
        "complaint_response": "complaint response",
        "service_recovery": "service recovery",
        "complaint_resolution": "complaint resolution",
        "enquiry_reply": "enquiry reply",
        "retention_call": "retention call",
        "win_back": "win back",
        "follow_up_visit": "follow-up visit",
        "satisfaction_survey": "satisfaction survey",
        "record_check": "record check",
        "complaint_follow_up": "complaint follow-up",
        "tracking_lookup": "tracking look-up",
        "sales_call": "sales call",
        "account_review": "account review",
        "not_due": "not due",
        # columns and fields
        "customer_id": "customer",
        "abc_class": "Pareto class",
        "customer_class": "class",
        "ranked_by": "ranked by",
        "breach": "in the breach report",
        "lifetime_margin": "margin over the whole history",
        "follow_up_cost": "follow-up cost",
        "period_days": "period (days)",
        "value_score": "value",
        "churn_flag": "churn risk",
        "churn_risk": "churn risk (any tier)",
        "key_customer": "key customer",
        "credit_outcome": "credit",
        "credit_score": "credit score",
        "credit_limit": "credit limit",
        "credit_currency": "credit currency",
        "credit_term_days": "days to pay",
        "term_days": "days to pay",
        "worst_gap": "worst gap",
        "worst_gap_size": "worst gap size",
        "complaints_met": "complaints in time",
        "complaints_breached": "complaints late",
        "follow_up_due": "follow-ups due",
        "follow_ups_overdue": "follow-ups overdue",
        "follow_ups": "follow-ups",
        "customer_share": "customer share",
        "cost_to_serve": "cost to serve",
        "margin_after_service": "margin after service",
        "profit_currency": "currency",
        "next_action": "next best action",
        "retention_lever": "how to keep",
        "action_reason": "why this action",
        "top_reasons": "top reasons",
        "as_of": "as-of date",
        "due_at": "due",
        "days_overdue": "days overdue",
        "complaint_id": "complaint",
        "staff_id": "staff",
        "confirmed_share": "confirmed",
        "contact_plan": "contact plan",
        "dimension_gaps": "gaps by dimension",
        "item_gaps": "gaps by item",
        "n_respondents": "respondents",
        "expected_purchases": "expected purchases",
        "expected_spend": "expected spend",
        "probability_alive": "probability alive",
        "log_likelihood": "log-likelihood",
        "standard_errors": "standard errors",
        "repeat_customers": "repeat customers",
        "gross_margin": "gross margin",
        "margin_rate": "margin",
        "our_spend": "our revenue",
        "service_cost": "service cost",
        "shipment_cost": "freight",
        "mean_time_to_respond": "mean time to respond",
        "mean_time_to_resolve": "mean time to resolve",
        "p90_time_to_respond": "time to respond (90th percentile)",
        "p90_time_to_resolve": "time to resolve (90th percentile)",
        "reopen_rate": "reopened",
        "explained_by": "explained by",
        "n_orders": "orders",
        "recent_rate": "orders per 30 days, recently",
        "historical_rate": "orders per 30 days, before",
    }
)
"""Identifier (a measure, an action, a lever, an incentive, a column) → the words people
read. An identifier missing here reads with spaces for underscores."""

MONEY_COLUMNS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "credit_limit": "credit_currency",
        "cost_to_serve": "profit_currency",
        "margin_after_service": "profit_currency",
    }
)
"""A row's money column → the column holding its currency."""

_DAY_COLUMNS = frozenset({"due_at", "due", "next_due"})
_HOURS_COLUMNS = frozenset({"avg_order_cycle_hours", "order_cycle_stdev_hours"})
_DASH = "\u2013"  # an en dash


def label(identifier: str) -> str:
    """The words people read for ``identifier``: ``"otif_rate"`` reads "on time in full"."""
    return LABELS.get(identifier) or identifier.replace("_", " ")


def money(amount: Decimal | float | int, currency: str | None = None, *, places: int = 2) -> str:
    """``2440800.03, "CNY"`` reads "2,440,800.03 CNY"."""
    text = f"{Decimal(str(amount)):,.{places}f}"
    return f"{text} {currency}" if currency else text


def percent(share: float | Decimal, *, places: int = 1) -> str:
    """A share from 0 to 1 as a percentage: ``0.9140767`` reads "91.4%"."""
    return f"{float(share):.{places}%}"


def points(share_gap: float | Decimal, *, places: int = 2) -> str:
    """A gap between two shares in percentage points: ``-0.02`` reads "-2.00 pts"."""
    return f"{float(share_gap) * 100:+.{places}f} pts"


def scale_points(gap: float | Decimal) -> str:
    """A gap on a Likert scale, in its points: ``-0.4`` reads "-0.40 pts"."""
    return f"{float(gap):+.2f} pts"


def hours(value: float | Decimal, *, signed: bool = False) -> str:
    """Hours, to a tenth: ``36.25`` reads "36.2 h" (``+36.2 h`` when ``signed``)."""
    return f"{float(value):{'+' if signed else ''}.1f} h"


def measure_value(measure: str, value: float) -> str:
    """A service measure's level: rates as percentages, order cycles in hours."""
    return hours(value) if measure in _HOURS_COLUMNS else percent(value)


def measure_gap(measure: str, value: float) -> str:
    """A gap on a service measure: rates in percentage points, order cycles in hours."""
    return hours(value, signed=True) if measure in _HOURS_COLUMNS else points(value)


def moment(value: datetime) -> str:
    """A date and time to the minute, with its offset: "2025-10-04 13:00 UTC"."""
    offset = value.utcoffset()
    zone = "" if offset is None else " UTC" if not offset else value.strftime(" %z")
    if zone not in ("", " UTC"):
        zone = f"{zone[:-2]}:{zone[-2:]}"
    return value.strftime("%Y-%m-%d %H:%M") + zone


def day(value: datetime | date) -> str:
    """The date alone: "2025-10-04"."""
    return (value.date() if isinstance(value, datetime) else value).isoformat()


def duration(value: timedelta) -> str:
    """A span people read: "2 d 4 h", "5 h 30 min", "45 min"."""
    minutes = round(value.total_seconds() / 60)
    sign = "-" if minutes < 0 else ""
    days, rest = divmod(abs(minutes), 24 * 60)
    whole_hours, mins = divmod(rest, 60)
    if days:
        return f"{sign}{days} d {whole_hours} h" if whole_hours else f"{sign}{days} d"
    if whole_hours:
        return f"{sign}{whole_hours} h {mins} min" if mins else f"{sign}{whole_hours} h"
    return f"{sign}{mins} min"


def number(value: float | Decimal) -> str:
    """A plain number: thousands separated and two decimals from 1 up, three significant
    digits below."""
    number = float(value)
    if not math.isfinite(number):
        return str(number)
    if number == int(number) and abs(number) < 1e15 and isinstance(value, Decimal):
        return f"{int(number):,}"
    return f"{number:,.2f}" if abs(number) >= 1 or number == 0 else f"{number:.3g}"


_NOT_SHARES = frozenset({"recent_rate", "historical_rate"})  # orders per 30 days


def is_rate(name: str) -> bool:
    """Whether a field or column named ``name`` holds a share from 0 to 1."""
    if name in _NOT_SHARES:
        return False
    return name.endswith(("_rate", "_share")) or name in (
        "share",
        "precision",
        "recall",
        "base_rate",
        "customer_share",
        "probability_alive",
    )


_IDENTIFIER = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def words(message: str) -> str:
    """A message with the labelled identifiers in it read as words: "gap on damage_rate"
    reads "gap on damage". Other text stays as it is."""
    return _IDENTIFIER.sub(lambda m: _IN_TEXT.get(m.group(0)) or label_or_same(m.group(0)), message)


_IN_TEXT = {"as_of": "the as-of date"}  # in a sentence, not a column header


def label_or_same(identifier: str) -> str:
    """The label of a labelled identifier; any other word as it is."""
    return LABELS.get(identifier, identifier)


def enum_text(value: Enum) -> str:
    """An enum member's words: its label; Pareto classes read "A", "B", "C"."""
    from logicrm.scoring import AbcClass

    if isinstance(value, AbcClass):
        return value.name
    return label(str(value.value))


def text(value: Any, name: str = "") -> str:
    """Any value as people read it, given the field or column ``name`` it comes from.

    ``None`` is a dash; a ``Money`` has separators and its currency; rates are percentages;
    a datetime is shown to the minute (a due date as the date); an enum or a labelled
    identifier in a text column reads as its label.
    """
    from logicrm.domain import Money

    if value is None:
        return _DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Money):
        return money(value.amount, value.currency)
    if isinstance(value, Enum):
        return enum_text(value)
    if isinstance(value, float | Decimal | int):
        if isinstance(value, int):
            return f"{value:,}" if abs(value) >= 10_000 else str(value)
        if is_rate(name):
            return percent(value)
        if name in _HOURS_COLUMNS:
            return hours(value)
        if name in MONEY_COLUMNS or isinstance(value, Decimal):
            return money(value)
        if name.endswith("score"):
            return f"{float(value):.1f}"
        return number(value)
    if isinstance(value, datetime):
        return day(value) if name in _DAY_COLUMNS else moment(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return duration(value)
    if isinstance(value, str):
        return _string(value, name)
    return str(value)


def _string(value: str, name: str) -> str:
    """A string from a row: an ISO time from a ``*_at`` column, or a labelled identifier."""
    if name.endswith("_at") and "T" in value:
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            return value
        return day(when) if name in _DAY_COLUMNS else moment(when)
    if name == "worst_gap":
        return worst_gap_text(value)
    if " " in value:  # free text, a reason's message: its identifiers read as words
        return words(value)
    return LABELS.get(value, value) if "_" in value else value


def row_text(row: Mapping[str, Any], column: str) -> str:
    """One cell of a ``row()`` as people read it: money with its row's currency, the
    worst gap's size in the unit of where it falls."""
    value = row.get(column)
    if value is None:
        return _DASH
    currency_column = MONEY_COLUMNS.get(column)
    if currency_column is not None:
        return money(value, row.get(currency_column))
    if column == "worst_gap_size":
        where = str(row.get("worst_gap") or "")
        inner = where[where.find("(") + 1 : where.rfind(")")] if "(" in where else ""
        if inner in _HOURS_COLUMNS:
            return hours(value, signed=True)
        return points(value) if inner.endswith("_rate") else scale_points(value)
    if column == "worst_gap" and isinstance(value, str):
        return worst_gap_text(value)
    return text(value, column)


def worst_gap_text(value: str) -> str:
    """``"knowledge (on_time_rate)"`` reads "knowledge gap, on time"."""
    gap, _, rest = value.partition(" (")
    where = rest.rstrip(")")
    return f"{gap} gap, {label(where)}" if where else f"{gap} gap"
