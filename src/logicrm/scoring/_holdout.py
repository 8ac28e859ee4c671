"""Calibration and holdout summaries: the split every lifetime-value model is checked on."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import attrs

from logicrm.domain import Shipment
from logicrm.domain._checks import check_date, fail
from logicrm.domain._money import in_library_context
from logicrm.scoring._activity import summarize
from logicrm.scoring._btyd import BtydSummary, btyd_summary
from logicrm.scoring._numbers import EXACT, ratio

_DAY = timedelta(days=1)


@attrs.frozen
class HoldoutSummary:
    """One customer's calibration summary and what it did in the holdout period.

    The columns of lifetimes' ``calibration_and_holdout_data`` at daily frequency with
    ``freq_multiplier`` = ``unit`` in days.

    Attributes:
        calibration: the [`BtydSummary`][logicrm.scoring.BtydSummary] at the end of the
            calibration period (``frequency_cal``, ``recency_cal``, ``T_cal``,
            ``monetary_value_cal``).
        frequency_holdout: distinct UTC order days in the holdout period (every order day
            there is a repeat: the first order was in calibration).
        duration_holdout: the holdout's length in ``unit``s.
        monetary_value_holdout: mean revenue per holdout *order* (``Decimal``; 0 without
            one). lifetimes averages the holdout's transactions, not its days, unlike the
            calibration's ``monetary_value`` (mean per repeat order day); the figure follows
            lifetimes so the two tables agree.
    """

    calibration: BtydSummary
    frequency_holdout: int
    duration_holdout: float
    monetary_value_holdout: Decimal

    @property
    def customer_id(self) -> str:
        """The customer."""
        return self.calibration.customer_id

    def _repr_html_(self) -> str:
        """The notebook view: fields, nested results and reasons as HTML."""
        from logicrm._html import render

        return render(self)


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)


@in_library_context
def calibration_and_holdout(
    shipments: Iterable[Shipment],
    *,
    calibration_end: date,
    observation_end: date,
    unit: timedelta = timedelta(days=7),
) -> dict[str, HoldoutSummary]:
    """Split a history at ``calibration_end``: summarise each customer's calibration period
    and count what it did in the holdout up to ``observation_end``.

    Days are whole UTC calendar days, both ends included: the calibration period holds the
    orders placed on or before ``calibration_end``, the holdout those placed after it up to
    and including ``observation_end``. Only customers who ordered in the calibration period
    appear (a model can say nothing about the others). This is lifetimes'
    ``calibration_and_holdout_data(..., freq="D", freq_multiplier=unit.days)``, customer by
    customer, built from [`summarize()`][logicrm.scoring.summarize] and
    [`btyd_summary()`][logicrm.scoring.btyd_summary] at the two ends.

    Args:
        shipments: every shipment (iterated twice: pass a list or tuple to avoid a copy).
        calibration_end: the last day of the calibration period.
        observation_end: the last day of the holdout period (after ``calibration_end``).
        unit: the unit of recency, T and the holdout's duration (whole days; a week).

    Raises:
        ValidationError: the days are not dates, or ``observation_end`` is not after
            ``calibration_end``.

    Examples:
        >>> from datetime import date
        >>> from logicrm.sample import sample_dataset
        >>> split = calibration_and_holdout(sample_dataset().shipments,
        ...     calibration_end=date(2026, 3, 31), observation_end=date(2026, 6, 30))
        >>> row = split["C00010"]
        >>> row.calibration.frequency, row.frequency_holdout, row.duration_holdout
        (2, 1, 13.0)
    """
    check_date("calibration_end", calibration_end)
    check_date("observation_end", observation_end)
    if observation_end <= calibration_end:
        fail("observation_end", observation_end, "must be after calibration_end")
    if not isinstance(unit, timedelta) or unit <= timedelta(0) or unit % _DAY:
        fail("unit", unit, "must be a positive whole number of days")
    rows: Sequence[Shipment] = shipments if isinstance(shipments, Sequence) else tuple(shipments)
    cal_as_of, obs_as_of = _end_of(calibration_end), _end_of(observation_end)
    before = summarize(rows, as_of=cal_as_of)
    after = summarize(rows, as_of=obs_as_of)
    duration = (observation_end - calibration_end) / unit
    result = {}
    for key in sorted(before):
        was = before[key]
        if not was.order_days:
            continue
        now = after[key]
        days = len(now.order_days) - len(was.order_days)
        orders = now.orders - was.orders
        spent = EXACT.subtract(now.revenue, was.revenue)
        result[key] = HoldoutSummary(
            calibration=btyd_summary(was, as_of=cal_as_of, unit=unit),
            frequency_holdout=days,
            duration_holdout=duration,
            monetary_value_holdout=ratio(spent, orders) if orders else Decimal(0),
        )
    return result
