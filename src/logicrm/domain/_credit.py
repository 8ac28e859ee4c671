"""What credit decisions stand on: financial statements and a customer's credit profile."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from types import MappingProxyType

import attrs

from logicrm.domain._checks import check_count, check_date, check_text, fail
from logicrm.domain._money import Money

# Figures that can never be negative; profit (a loss) can.
_NON_NEGATIVE = (
    "current_assets",
    "current_liabilities",
    "cash",
    "cash_equivalents",
    "inventory",
    "total_assets",
    "total_liabilities",
    "sales",
    "cash_sales",
    "returns_and_allowances",
    "cost_of_goods_sold",
    "total_costs",
    "accounts_receivable",
)
FIGURES = (*_NON_NEGATIVE, "profit")

RATING_MIN, RATING_MAX = 1, 5


@attrs.frozen(kw_only=True)
class FinancialStatement:
    """One period's figures for a customer, as [`Money`][logicrm.domain.Money] in one currency.

    Every figure is optional: one the customer did not report is ``None`` and makes the
    ratios that need it undefined. All figures except ``profit`` must be ``>= 0``.

    ``period_end`` is the date the period closes. Balance-sheet figures at that date:
    ``current_assets``, ``current_liabilities``, ``cash``, ``cash_equivalents``,
    ``inventory``, ``total_assets``, ``total_liabilities`` and ``accounts_receivable``.
    Flows over the period: ``sales``, ``cash_sales``, ``returns_and_allowances``,
    ``cost_of_goods_sold``, ``total_costs`` and ``profit``.

    Examples:
        >>> from datetime import date
        >>> s = FinancialStatement(period_end=date(2025, 12, 31),
        ...                        current_assets=Money(200, "CNY"),
        ...                        current_liabilities=Money(100, "CNY"))
        >>> s.currency
        'CNY'
    """

    period_end: date
    current_assets: Money | None = None
    current_liabilities: Money | None = None
    cash: Money | None = None
    cash_equivalents: Money | None = None
    inventory: Money | None = None
    total_assets: Money | None = None
    total_liabilities: Money | None = None
    sales: Money | None = None
    cash_sales: Money | None = None
    returns_and_allowances: Money | None = None
    cost_of_goods_sold: Money | None = None
    total_costs: Money | None = None
    profit: Money | None = None
    accounts_receivable: Money | None = None

    def __attrs_post_init__(self) -> None:
        check_date("period_end", self.period_end)
        currency: str | None = None
        for name in FIGURES:
            value = getattr(self, name)
            if value is None:
                continue
            if type(value) is not Money:
                fail(name, value, "must be Money or None")
            if currency is None:
                currency = value.currency
            elif value.currency != currency:
                fail(name, value, f"must be in the statement's currency {currency}")
            if name != "profit" and value.amount < 0:
                fail(name, value, "must be >= 0")

    @property
    def currency(self) -> str | None:
        """The statement's currency, or ``None`` if it reports no figure at all."""
        for name in FIGURES:
            value: Money | None = getattr(self, name)
            if value is not None:
                return value.currency
        return None


def _statements(value: Iterable[FinancialStatement]) -> tuple[FinancialStatement, ...]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        fail("statements", value, "must be a sequence of FinancialStatement")
    items = tuple(value)
    for index, item in enumerate(items):
        if not isinstance(item, FinancialStatement):
            fail(f"statements[{index}]", item, "must be a FinancialStatement")
    return tuple(sorted(items, key=lambda s: s.period_end))


def _ratings(value: Mapping[str, int]) -> Mapping[str, int]:
    if not isinstance(value, Mapping):
        fail("ratings", value, "must be a mapping of criterion -> rating")
    for key, rating in value.items():
        if type(key) is not str or not key:
            fail("ratings", key, "keys must be non-empty criterion names")
        if type(rating) is not int or not RATING_MIN <= rating <= RATING_MAX:
            fail(f"ratings.{key}", rating, f"must be an integer from {RATING_MIN} to {RATING_MAX}")
    return MappingProxyType(dict(sorted(value.items())))


@attrs.frozen(kw_only=True)
class CreditProfile:
    """Everything a credit decision about one customer stands on.

    Attributes:
        customer_id: the customer.
        limit: the credit limit currently granted (信用额度), ``>= 0``.
        term_days: the credit period in days (信用期限), ``>= 0``.
        receivable: what the customer owes now, ``>= 0``.
        overdue: the part of ``receivable`` past its due date, ``0 <= overdue <= receivable``.
        statements: the customer's financial statements, kept sorted by ``period_end``
            (oldest first); two statements may not share a period end.
        ratings: analyst ratings per credit criterion (``"character"``, ``"capacity"``, …),
            integers from 1 (poor) to 5 (excellent); kept read-only and sorted by criterion.

    All amounts share one currency.

    Examples:
        >>> p = CreditProfile(customer_id="C1", limit=Money(50000, "CNY"), term_days=30,
        ...                   receivable=Money(12000, "CNY"), overdue=Money(0, "CNY"),
        ...                   ratings={"character": 4})
        >>> p.headroom
        Money(amount=Decimal('38000'), currency='CNY')
    """

    customer_id: str
    limit: Money
    term_days: int
    receivable: Money
    overdue: Money
    statements: tuple[FinancialStatement, ...] = attrs.field(default=(), converter=_statements)
    ratings: Mapping[str, int] = attrs.field(
        factory=lambda: MappingProxyType({}), converter=_ratings, hash=False
    )

    def __attrs_post_init__(self) -> None:
        check_text("customer_id", self.customer_id)
        check_count("term_days", self.term_days)
        for name in ("limit", "receivable", "overdue"):
            value = getattr(self, name)
            if type(value) is not Money:
                fail(name, value, "must be Money")
            if value.currency != self.limit.currency:
                fail(name, value, f"must be in the limit's currency {self.limit.currency}")
            if value.amount < 0:
                fail(name, value, "must be >= 0")
        if self.overdue > self.receivable:
            fail("overdue", self.overdue, f"must not exceed receivable ({self.receivable})")
        seen: set[date] = set()
        for index, statement in enumerate(self.statements):
            if statement.period_end in seen:
                fail(f"statements[{index}].period_end", statement.period_end, "is repeated")
            seen.add(statement.period_end)
            currency = statement.currency
            if currency is not None and currency != self.limit.currency:
                fail(f"statements[{index}]", currency, "must be in the limit's currency")

    @property
    def currency(self) -> str:
        """The profile's currency."""
        return self.limit.currency

    @property
    def headroom(self) -> Money:
        """``limit - receivable``: how much more the customer may owe (negative if over)."""
        return self.limit - self.receivable

    @property
    def latest_statement(self) -> FinancialStatement | None:
        """The most recent statement, or ``None``."""
        return self.statements[-1] if self.statements else None
