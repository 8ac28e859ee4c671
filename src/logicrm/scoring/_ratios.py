"""Financial ratios of a customer's statement, with the domain notes' reference levels."""

from __future__ import annotations

from decimal import Decimal

import attrs

from logicrm.domain import FinancialStatement, Money, Reason
from logicrm.domain._checks import fail
from logicrm.domain._money import in_library_context
from logicrm.scoring._numbers import EXACT, ratio

RATIO_NAMES = (
    "debt_ratio",
    "current_ratio",
    "quick_ratio",
    "cash_ratio",
    "cash_liquidity_ratio",
    "receivables_turnover",
    "inventory_turnover",
    "return_on_assets",
    "sales_margin",
    "cost_profit_ratio",
)


# Each ratio: its name, the figures it divides, and how a reason names them.
_RATIOS = (
    ("debt_ratio", "total_liabilities", "total_assets", "total_liabilities", "total_assets"),
    ("current_ratio", "current_assets", "current_liabilities", "current_assets",
     "current_liabilities"),
    ("quick_ratio", "quick_assets", "current_liabilities", "current_assets and inventory",
     "current_liabilities"),
    ("cash_ratio", "cash", "current_assets", "cash and cash_equivalents", "current_assets"),
    ("cash_liquidity_ratio", "cash", "current_liabilities", "cash and cash_equivalents",
     "current_liabilities"),
    ("receivables_turnover", "net_credit_sales", "average_receivables",
     "sales, cash_sales and returns_and_allowances", "accounts_receivable"),
    ("inventory_turnover", "cost_of_goods_sold", "average_inventory", "cost_of_goods_sold",
     "inventory"),
    ("return_on_assets", "profit", "average_assets", "profit", "total_assets"),
    ("sales_margin", "profit", "sales", "profit", "sales"),
    ("cost_profit_ratio", "profit", "total_costs", "profit", "total_costs"),
)  # fmt: skip
_CLOSING = _RATIOS
# With a previous statement, an average's reason says both periods were read.
_AVERAGED = tuple(
    (name, top, bottom, top_words, bottom_words + " (both periods)" * bottom.startswith("average"))
    for name, top, bottom, top_words, bottom_words in _RATIOS
)


@attrs.frozen
class FinancialRatios:
    """The ratios of one statement. Each is a ``Decimal`` or ``None`` (with a reason).

    ========================  ==============================================================
    ratio                     formula (reference level from the domain notes)
    ========================  ==============================================================
    ``debt_ratio``            total liabilities / total assets (lower is safer)
    ``current_ratio``         current assets / current liabilities (2:1 reasonable, >= 1:1)
    ``quick_ratio``           (current assets - inventory) / current liabilities (1:1
                              reasonable, >= 0.5:1, higher is better)
    ``cash_ratio``            (cash + cash equivalents) / current assets (higher is better)
    ``cash_liquidity_ratio``  (cash + cash equivalents) / current liabilities
    ``receivables_turnover``  (sales - cash sales - returns and allowances) / average
                              accounts receivable
    ``inventory_turnover``    cost of goods sold / average inventory
    ``return_on_assets``      profit / average total assets
    ``sales_margin``          profit / sales
    ``cost_profit_ratio``     profit / total costs and expenses
    ========================  ==============================================================

    Averages are (previous + closing) / 2 when a previous statement is given, else the
    closing figure.
    """

    debt_ratio: Decimal | None
    current_ratio: Decimal | None
    quick_ratio: Decimal | None
    cash_ratio: Decimal | None
    cash_liquidity_ratio: Decimal | None
    receivables_turnover: Decimal | None
    inventory_turnover: Decimal | None
    return_on_assets: Decimal | None
    sales_margin: Decimal | None
    cost_profit_ratio: Decimal | None
    reasons: tuple[Reason, ...] = ()

    def _repr_html_(self) -> str:
        """The notebook view: fields, nested results and reasons as HTML."""
        from logicrm._html import render

        return render(self)


def _amount(money: Money | None) -> Decimal | None:
    return None if money is None else money.amount


def _sum(*parts: Decimal | None) -> Decimal | None:
    if any(p is None for p in parts):
        return None
    total = Decimal(0)
    for part in parts:
        total = EXACT.add(total, part)  # type: ignore[arg-type]
    return total


def _minus(a: Decimal | None, *rest: Decimal | None) -> Decimal | None:
    if a is None or any(r is None for r in rest):
        return None
    for r in rest:
        a = EXACT.subtract(a, r)  # type: ignore[arg-type]
    return a


def _opening(previous: FinancialStatement | None, name: str) -> Decimal | None:
    return None if previous is None else _amount(getattr(previous, name))


def _average(
    closing: Decimal | None, opening: Decimal | None, previous: FinancialStatement | None
) -> Decimal | None:
    if previous is None:
        return closing
    if closing is None or opening is None:
        return None
    return ratio(EXACT.add(closing, opening), 2)


@in_library_context
def ratios(
    statement: FinancialStatement, previous: FinancialStatement | None = None
) -> FinancialRatios:
    """The financial ratios of ``statement`` (see
    [`FinancialRatios`][logicrm.scoring.FinancialRatios] for formulas).

    ``previous`` is the statement of the period before; when given, turnover ratios and
    return on assets use average balances. A ratio whose figure is missing or whose
    denominator is zero is ``None``, with a reason naming the figure.

    Raises:
        ValidationError: ``previous`` is not an earlier period or uses another currency.

    Examples:
        >>> from datetime import date
        >>> cny = lambda x: Money(x, "CNY")
        >>> s = FinancialStatement(period_end=date(2025, 12, 31), current_assets=cny(300),
        ...                        current_liabilities=cny(150), inventory=cny(100))
        >>> r = ratios(s)
        >>> r.current_ratio, r.quick_ratio.quantize(Decimal("0.01")), r.debt_ratio
        (Decimal('2'), Decimal('1.33'), None)
    """
    if previous is not None:
        if previous.period_end >= statement.period_end:
            fail("previous.period_end", previous.period_end, "must be before the statement's")
        currencies = {c for c in (statement.currency, previous.currency) if c is not None}
        if len(currencies) > 1:
            fail("previous", previous.currency, f"must be in {statement.currency}")
    s = statement
    current_assets = _amount(s.current_assets)
    current_liabilities = _amount(s.current_liabilities)
    total_assets = _amount(s.total_assets)
    cash = _sum(_amount(s.cash), _amount(s.cash_equivalents))
    averaged = _AVERAGED if previous is not None else _CLOSING
    figures = {
        "total_liabilities": _amount(s.total_liabilities),
        "total_assets": total_assets,
        "current_assets": current_assets,
        "current_liabilities": current_liabilities,
        "quick_assets": _minus(current_assets, _amount(s.inventory)),
        "cash": cash,
        "net_credit_sales": _minus(
            _amount(s.sales), _amount(s.cash_sales), _amount(s.returns_and_allowances)
        ),
        "cost_of_goods_sold": _amount(s.cost_of_goods_sold),
        "profit": _amount(s.profit),
        "sales": _amount(s.sales),
        "total_costs": _amount(s.total_costs),
        "average_receivables": _average(
            _amount(s.accounts_receivable), _opening(previous, "accounts_receivable"), previous
        ),
        "average_inventory": _average(
            _amount(s.inventory), _opening(previous, "inventory"), previous
        ),
        "average_assets": _average(total_assets, _opening(previous, "total_assets"), previous),
    }
    reasons: list[Reason] = []
    values: dict[str, Decimal | None] = {}
    for name, numerator_of, denominator_of, top, bottom in averaged:
        numerator, denominator = figures[numerator_of], figures[denominator_of]
        if numerator is None or denominator is None:
            missing = top if numerator is None else bottom
            reasons.append(
                Reason(f"ratio.{name}.missing", f"{name} undefined: {missing} not reported")
            )
            values[name] = None
        elif not denominator:
            reasons.append(Reason(f"ratio.{name}.zero", f"{name} undefined: {bottom} is zero"))
            values[name] = None
        else:
            values[name] = ratio(numerator, denominator)
    return FinancialRatios(**values, reasons=tuple(reasons))
