"""Acme's value calculator: value is simply the gross margin rate, in percent."""

from logicrm import Reason, ValueDimension, ValueScore
from logicrm.calculators import Calculator


def _margin(customer, activity, *, as_of):
    if not activity.revenue:
        return ValueScore(None, {}, (Reason("acme.no_revenue", "no revenue yet"),))
    rate = float(activity.margin / activity.revenue) * 100
    return ValueScore(
        rate,
        {ValueDimension.PROFIT: rate},
        (Reason("acme.margin", f"gross margin {rate:.1f}% of revenue", rate),),
    )


margin_value = Calculator(
    name="acme.margin", kind="value", function=_margin, description="margin rate as value"
)
not_a_calculator = object()
