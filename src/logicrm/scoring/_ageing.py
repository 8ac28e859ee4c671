"""Receivables ageing: what each customer owes, by how long it is past due."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import attrs

from logicrm.domain import CreditProfile, Invoice, Money
from logicrm.domain._checks import check_aware, fail
from logicrm.domain._money import in_library_context
from logicrm.errors import CurrencyMismatchError

BUCKETS = ("current", "1-30", "31-60", "61-90", "over_90")
"""The ageing buckets: not yet due, then days past due."""


@attrs.frozen
class AgeingReport:
    """One customer's open invoices at ``as_of``, by days past due.

    Attributes:
        customer_id: the customer.
        as_of: the calendar day of the report.
        buckets: amount per bucket of [`BUCKETS`][logicrm.scoring.BUCKETS] (``current`` is not yet
            due).
        open_invoices: how many invoices are open.
    """

    customer_id: str
    as_of: date
    buckets: tuple[tuple[str, Money], ...]

    open_invoices: int = 0

    @property
    def receivable(self) -> Money:
        """Everything open: the sum of all buckets."""
        return sum((m for _, m in self.buckets[1:]), self.buckets[0][1])

    @property
    def overdue(self) -> Money:
        """Everything past its due date."""
        return sum((m for _, m in self.buckets[2:]), self.buckets[1][1])

    def bucket(self, name: str) -> Money:
        """The amount in one bucket."""
        return dict(self.buckets)[name]

    def _repr_html_(self) -> str:
        """The notebook view: fields, nested results and reasons as HTML."""
        from logicrm._html import render

        return render(self)


def _bucket(days_past_due: int) -> int:
    if days_past_due <= 0:
        return 0
    if days_past_due <= 30:
        return 1
    if days_past_due <= 60:
        return 2
    if days_past_due <= 90:
        return 3
    return 4


@in_library_context
def ageing(
    invoices: Iterable[Invoice], *, as_of: datetime, currency: str = "CNY"
) -> dict[str, AgeingReport]:
    """Age every customer's open invoices at ``as_of``.

    An invoice is open on the calendar day of ``as_of`` (in ``as_of``'s own offset) if it was
    issued by then and not paid by then. Days past due count from ``due_on``: due today is
    *current*, due yesterday is 1 day past due.

    Raises:
        CurrencyMismatchError: an invoice is not in ``currency``.

    Examples:
        >>> from datetime import date, datetime, timezone
        >>> bill = Invoice(id="F1", customer_id="C1", issued_on=date(2026, 4, 1),
        ...                due_on=date(2026, 5, 1), amount=Money(900, "CNY"))
        >>> report = ageing([bill], as_of=datetime(2026, 6, 15, tzinfo=timezone.utc))["C1"]
        >>> report.bucket("31-60"), report.overdue
        (Money(amount=Decimal('900'), currency='CNY'), Money(amount=Decimal('900'), currency='CNY'))
    """
    check_aware("as_of", as_of)
    day = as_of.date()
    zero = Money.zero(currency)
    sums: dict[str, list[Money]] = {}
    counts: dict[str, int] = {}
    for invoice in invoices:
        if invoice.amount.currency != currency:
            raise CurrencyMismatchError(currency, invoice.amount.currency, "age")
        if not invoice.open_on(day):
            sums.setdefault(invoice.customer_id, [zero] * len(BUCKETS))
            continue
        row = sums.setdefault(invoice.customer_id, [zero] * len(BUCKETS))
        index = _bucket((day - invoice.due_on).days)
        row[index] = row[index] + invoice.amount
        counts[invoice.customer_id] = counts.get(invoice.customer_id, 0) + 1
    return {
        customer_id: AgeingReport(
            customer_id, day, tuple(zip(BUCKETS, row, strict=True)), counts.get(customer_id, 0)
        )
        for customer_id, row in sums.items()
    }


@in_library_context
def apply_ageing(profile: CreditProfile, report: AgeingReport) -> CreditProfile:
    """The profile with ``receivable`` and ``overdue`` taken from the ageing report.

    Raises:
        ValidationError: the report is another customer's.
    """
    if report.customer_id != profile.customer_id:
        fail("report.customer_id", report.customer_id, f"is not {profile.customer_id!r}")
    return attrs.evolve(profile, receivable=report.receivable, overdue=report.overdue)
