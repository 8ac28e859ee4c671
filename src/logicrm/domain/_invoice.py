"""Invoices: what a customer was billed, when it falls due, and whether it was paid."""

from __future__ import annotations

from datetime import date

import attrs

from logicrm.domain._checks import check_date, check_text, fail
from logicrm.domain._money import Money


@attrs.frozen(kw_only=True)
class Invoice:
    """One invoice issued to a customer on credit terms.

    Attributes:
        id: the invoice number.
        customer_id: who owes it.
        issued_on: the date it was issued.
        due_on: the date payment falls due (``>= issued_on``).
        amount: what is owed ([`Money`][logicrm.domain.Money], ``> 0``).
        paid_on: the date it was paid in full, ``None`` while open (``>= issued_on``).

    Examples:
        >>> from datetime import date
        >>> Invoice(id="F1", customer_id="C1", issued_on=date(2026, 5, 1),
        ...         due_on=date(2026, 5, 31), amount=Money("12000.00", "CNY")).is_open
        True
    """

    id: str
    customer_id: str
    issued_on: date
    due_on: date
    amount: Money
    paid_on: date | None = None

    def __attrs_post_init__(self) -> None:
        check_text("id", self.id)
        check_text("customer_id", self.customer_id)
        check_date("issued_on", self.issued_on)
        check_date("due_on", self.due_on)
        if self.due_on < self.issued_on:
            fail("due_on", self.due_on, "must not be before issued_on")
        if type(self.amount) is not Money:
            fail("amount", self.amount, "must be Money")
        if self.amount.amount <= 0:
            fail("amount", self.amount, "must be > 0")
        if self.paid_on is not None:
            check_date("paid_on", self.paid_on)
            if self.paid_on < self.issued_on:
                fail("paid_on", self.paid_on, "must not be before issued_on")

    @property
    def is_open(self) -> bool:
        """Not yet paid."""
        return self.paid_on is None

    def open_on(self, day: date) -> bool:
        """Issued by ``day`` and not paid by then: part of the receivable on ``day``."""
        return self.issued_on <= day and (self.paid_on is None or self.paid_on > day)
