"""How well a fitted model foretold the holdout: purchases by calibration frequency, error and
the calibration of P(alive)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any, Protocol

import attrs
import numpy as np

from logicrm.domain import Reason
from logicrm.domain._checks import fail
from logicrm.scoring import Activity, HoldoutSummary
from logicrm.scoring._activity import _day


class PurchaseModel(Protocol):
    """What a holdout check needs of a model: both
    [`BetaGeoModel`][logicrm.models.BetaGeoModel] and
    [`ParetoNbdModel`][logicrm.models.ParetoNbdModel] have it."""

    def probability_alive_columns(self, frequency: Any, recency: Any, T: Any) -> Any:
        """P(alive) per customer."""

    def conditional_expected_purchases_columns(
        self, frequency: Any, recency: Any, T: Any, t: float
    ) -> Any:
        """Expected repeat purchases per customer in the next ``t`` units."""

    def expected_purchases(self, t: float) -> float:
        """Expected repeat purchases of a new customer in its first ``t`` units."""


@attrs.frozen(kw_only=True)
class FrequencyRow:
    """Customers with the same number of repeat purchases in calibration (the classic
    "calibration vs holdout" chart's point).

    Attributes:
        frequency: repeat purchases in the calibration period (with ``censor``, the last row
            holds every customer with at least this many).
        customers: how many customers.
        actual: their mean holdout purchases.
        predicted: the model's mean expected holdout purchases.
    """

    frequency: int
    customers: int
    actual: float
    predicted: float


@attrs.frozen(kw_only=True)
class ReliabilityRow:
    """One decile of P(alive) against what the customers did in the holdout.

    Attributes:
        decile: 1 (lowest P(alive)) to 10.
        customers: customers in the decile.
        mean_probability: their mean P(alive) at the end of calibration.
        observed: the share of them that bought in the holdout.
    """

    decile: int
    customers: int
    mean_probability: float
    observed: float


@attrs.frozen(kw_only=True)
class HoldoutCheck:
    """A model's predictions for the holdout period against what happened.

    Attributes:
        customers: customers checked.
        duration: the holdout's length, in the model's unit.
        actual: total holdout purchases.
        predicted: total expected holdout purchases.
        mae: mean absolute error per customer between expected and actual holdout purchases.
        by_frequency: one [`FrequencyRow`][logicrm.models.FrequencyRow] per calibration
            frequency, in increasing order.
        brier: mean squared difference between P(alive) and "bought in the holdout" (0 or 1).
        reliability: ten [`ReliabilityRow`][logicrm.models.ReliabilityRow]s by P(alive)
            decile (``()`` below the minimum customers).
        reasons: the headline figures and anything to be wary of.

    "Bought in the holdout" is the observable stand-in for "alive": an alive customer may
    still not buy, so a well-calibrated P(alive) sits at or above the observed share, the
    more so the shorter the holdout. BG/NBD holds every customer without a repeat purchase
    alive (P = 1), which this check punishes wherever many of them never buy again.
    ``brier`` and ``reliability`` are ``None``/``()`` below ``min_customers``.
    """

    customers: int
    duration: float
    actual: float
    predicted: float
    mae: float
    by_frequency: tuple[FrequencyRow, ...]
    brier: float | None
    reliability: tuple[ReliabilityRow, ...]
    reasons: tuple[Reason, ...]


def holdout_check(
    model: PurchaseModel,
    rows: Iterable[HoldoutSummary],
    *,
    censor: int | None = None,
    min_customers: int = 100,
) -> HoldoutCheck:
    """Check a model fitted on the calibration summaries against the holdout.

    The predictions are the model's conditional expected purchases over each customer's
    ``duration_holdout`` and its P(alive) at the end of calibration. ``by_frequency``
    averages them by calibration frequency, as lifetimes'
    ``plot_calibration_purchases_vs_holdout_purchases`` does (which shows the first 7
    rows); ``censor=7`` folds 7 and more into one row, as Fader, Hardie and Lee's chart
    does.

    Args:
        model: a fitted model (BG/NBD or Pareto/NBD) in the unit of the summaries.
        rows: [`calibration_and_holdout()`][logicrm.scoring.calibration_and_holdout]'s rows.
        censor: the frequency from which rows are folded together (``None``: none).
        min_customers: the fewest customers the Brier score and the ten deciles need (100:
            ten per decile).

    Raises:
        ValidationError: no rows, a row that is not a ``HoldoutSummary``, or a bad
            ``censor``.

    Examples:
        >>> from datetime import date
        >>> from logicrm.models import BetaGeoModel
        >>> from logicrm.sample import sample_dataset
        >>> from logicrm.scoring import calibration_and_holdout
        >>> split = calibration_and_holdout(sample_dataset().shipments,
        ...     calibration_end=date(2026, 3, 31), observation_end=date(2026, 6, 30))
        >>> check = holdout_check(BetaGeoModel(r=0.243, alpha=4.414, a=0.793, b=2.426),
        ...                       split.values())
        >>> check.customers, check.brier, check.reasons[-1].code
        (12, None, 'holdout.too_few_customers')
    """
    table = list(rows)
    if not table:
        fail("rows", table, "must hold at least one customer")
    for index, row in enumerate(table):
        if not isinstance(row, HoldoutSummary):
            fail(f"rows[{index}]", row, "must be a HoldoutSummary")
    if censor is not None and (type(censor) is not int or censor < 1):
        fail("censor", censor, "must be a whole number >= 1")
    x = np.array([r.calibration.frequency for r in table], dtype=float)
    t_x = np.array([r.calibration.recency for r in table], dtype=float)
    big_t = np.array([r.calibration.T for r in table], dtype=float)
    actual = np.array([r.frequency_holdout for r in table], dtype=float)
    durations = {r.duration_holdout for r in table}
    predicted = np.empty(len(table))
    for duration in durations:
        mask = np.array([r.duration_holdout == duration for r in table])
        predicted[mask] = model.conditional_expected_purchases_columns(
            x[mask], t_x[mask], big_t[mask], duration
        )
    alive = np.asarray(model.probability_alive_columns(x, t_x, big_t), dtype=float)
    bought = (actual > 0).astype(float)
    groups = x if censor is None else np.minimum(x, censor)
    by_frequency = tuple(
        FrequencyRow(
            frequency=int(level),
            customers=int(np.count_nonzero(groups == level)),
            actual=float(np.mean(actual[groups == level])),
            predicted=float(np.mean(predicted[groups == level])),
        )
        for level in np.unique(groups)
    )
    n = len(table)
    mae = float(np.mean(np.abs(predicted - actual)))
    reasons = [
        Reason(
            "holdout.totals",
            f"{n:,} customers: {actual.sum():,.0f} holdout purchases against "
            f"{predicted.sum():,.1f} expected; mean absolute error {mae:.3f} per customer",
        )
    ]
    brier: float | None = None
    reliability: tuple[ReliabilityRow, ...] = ()
    if n >= min_customers:
        brier = float(np.mean((alive - bought) ** 2))
        reliability = _deciles(alive, bought)
        reasons.append(
            Reason(
                "holdout.brier",
                f"Brier score of P(alive) against buying in the holdout: {brier:.4f}",
            )
        )
    else:
        reasons.append(
            Reason(
                "holdout.too_few_customers",
                f"{n:,} customers, fewer than {min_customers}: no Brier score or deciles",
            )
        )
    return HoldoutCheck(
        customers=n,
        duration=max(durations),
        actual=float(actual.sum()),
        predicted=float(predicted.sum()),
        mae=mae,
        by_frequency=by_frequency,
        brier=brier,
        reliability=reliability,
        reasons=tuple(reasons),
    )


def _deciles(alive: Any, bought: Any) -> tuple[ReliabilityRow, ...]:
    """Ten equal-count bins by P(alive) (ties kept in order of the rows), lowest first."""
    order = np.argsort(alive, kind="stable")
    rows = []
    for decile, chunk in enumerate(np.array_split(order, 10), start=1):
        if not chunk.size:
            continue
        rows.append(
            ReliabilityRow(
                decile=decile,
                customers=int(chunk.size),
                mean_probability=float(np.mean(alive[chunk])),
                observed=float(np.mean(bought[chunk])),
            )
        )
    return tuple(rows)


@attrs.frozen(kw_only=True)
class PeriodRow:
    """One period of the tracking chart: repeat purchases of the whole cohort.

    Attributes:
        period: 1 for the first period after ``start``, 2 for the next, ...
        ends: the last day of the period.
        actual: repeat purchase days in the period (every order day of a customer after its
            first).
        expected: the model's expected repeat purchases in the period, summed over the
            customers who had made their first purchase by then.
        cumulative_actual: ``actual`` summed to this period.
        cumulative_expected: ``expected`` summed to this period.
    """

    period: int
    ends: date
    actual: int
    expected: float
    cumulative_actual: int
    cumulative_expected: float


def repeat_purchases_by_period(
    model: PurchaseModel,
    activities: Mapping[str, Activity],
    *,
    start: date,
    periods: int,
    period: timedelta = timedelta(days=7),
) -> tuple[PeriodRow, ...]:
    """Total repeat purchases period by period against the model: the tracking chart of
    Fader, Hardie and Lee (2005, figure 2).

    Each customer's first UTC order day is its trial; every later order day is a repeat
    purchase. The model's expectation for a period is the sum over customers of
    E[X(t)] at the period's end less at its start, with t the time since the customer's
    trial in the model's unit (days / ``model.unit``). Periods start on ``start``; the
    activities must hold every order to the last period's end (summarise at or after it).

    Raises:
        ValidationError: ``periods`` or ``period`` is not positive.

    Examples:
        >>> from datetime import date, datetime, timezone
        >>> from logicrm.models import BetaGeoModel
        >>> from logicrm.sample import sample_dataset
        >>> from logicrm.scoring import summarize
        >>> data = sample_dataset()
        >>> rows = repeat_purchases_by_period(
        ...     BetaGeoModel(r=0.243, alpha=4.414, a=0.793, b=2.426),
        ...     summarize(data.shipments, as_of=data.as_of), start=date(2024, 7, 1), periods=4)
        >>> [row.period for row in rows], rows[-1].ends
        ([1, 2, 3, 4], datetime.date(2024, 7, 28))
    """
    if type(periods) is not int or periods < 1:
        fail("periods", periods, "must be a whole number >= 1")
    if not isinstance(period, timedelta) or period <= timedelta(0) or period % timedelta(days=1):
        fail("period", period, "must be a positive whole number of days")
    unit_days = getattr(model, "unit", timedelta(days=7)) / timedelta(days=1)
    step = period.days
    first_day = start.toordinal()
    ends = [first_day + step * k - 1 for k in range(1, periods + 1)]  # inclusive last days
    actual = [0] * periods
    trials: dict[int, int] = {}
    for activity in activities.values():
        if not activity.order_days:
            continue
        days = sorted(_day(d).toordinal() for d in activity.order_days)
        trials[days[0]] = trials.get(days[0], 0) + 1
        for day in days[1:]:
            index = (day - first_day) // step
            if 0 <= index < periods:
                actual[index] += 1
    cache: dict[float, float] = {}

    def expected_at(day: int) -> float:
        """Expected repeat purchases of the cohort to the end of ``day``."""
        total = 0.0
        for trial, count in trials.items():
            t = max(0, day - trial) / unit_days
            if t not in cache:
                cache[t] = model.expected_purchases(t)
            total += count * cache[t]
        return total

    rows = []
    before = expected_at(first_day - 1)
    running_actual, running_expected = 0, 0.0
    for index, end in enumerate(ends):
        now = expected_at(end)
        running_actual += actual[index]
        running_expected += now - before
        rows.append(
            PeriodRow(
                period=index + 1,
                ends=date.fromordinal(end),
                actual=actual[index],
                expected=now - before,
                cumulative_actual=running_actual,
                cumulative_expected=running_expected,
            )
        )
        before = now
    return tuple(rows)
