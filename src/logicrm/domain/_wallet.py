"""What a customer spends on logistics in all, with everyone: the base of customer share."""

from __future__ import annotations

from datetime import date

import attrs

from logicrm.domain._checks import check_date, check_optional_text, check_text, fail
from logicrm.domain._checks import to_enum as _to_enum
from logicrm.domain._customer import DataSource
from logicrm.domain._money import Money


def _source(value: object) -> DataSource:
    return _to_enum(DataSource, "source", value)


@attrs.frozen(kw_only=True)
class SpendEstimate:
    """An estimate of a customer's total annual logistics spend, with every provider: the
    denominator of customer share (客户份额, share of wallet).

    Such figures usually come from outside (an industry survey, the customer's annual report,
    a sales rep's estimate), so the record says where it came from.

    Attributes:
        customer_id: whose spend.
        annual_spend: the estimate for twelve months ([`Money`][logicrm.domain.Money], ``> 0``).
        estimated_on: the date the estimate was made or published.
        source: [`DataSource`][logicrm.domain.DataSource]; external by default.
        provenance: where the figure came from, e.g. ``"2025 annual report"``.

    Examples:
        >>> from datetime import date
        >>> SpendEstimate(customer_id="C1", annual_spend=Money("2000000", "CNY"),
        ...               estimated_on=date(2026, 3, 31), provenance="annual report").source
        <DataSource.EXTERNAL: 'external'>
    """

    customer_id: str
    annual_spend: Money
    estimated_on: date
    source: DataSource = attrs.field(default=DataSource.EXTERNAL, converter=_source)
    provenance: str | None = None

    def __attrs_post_init__(self) -> None:
        check_text("customer_id", self.customer_id)
        if type(self.annual_spend) is not Money:
            fail("annual_spend", self.annual_spend, "must be Money")
        if self.annual_spend.amount <= 0:
            fail("annual_spend", self.annual_spend, "must be > 0")
        check_date("estimated_on", self.estimated_on)
        check_optional_text("provenance", self.provenance)
