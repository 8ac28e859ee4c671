"""Acme's calculators: value is simply the gross margin rate, in percent; and every customer
is one to keep, whatever the 2/8 rule says."""

from logicrm import NextBestAction, Reason, ValueDimension, ValueScore
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


def _keep_everyone(customer, activity, assessment, *, as_of, profile):
    why = (Reason("acme.keep", f"Acme keeps every customer, class {assessment.abc_class}"),)
    return NextBestAction(
        action="keep_marginal", maturity="mature", lever=None, incentive=None, reasons=why
    )


keep_everyone = Calculator(
    name="acme.keep", kind="action", function=_keep_everyone, description="keep them all"
)
not_a_calculator = object()
