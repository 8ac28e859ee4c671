"""Activity: a customer's shipment history folded into one mergeable aggregate."""

from __future__ import annotations

import decimal
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import attrs

from logicrm.domain import Shipment
from logicrm.domain._checks import check_aware, check_text, fail
from logicrm.errors import CurrencyMismatchError
from logicrm.scoring._numbers import EXACT

WINDOW_DAYS: tuple[int, int, int, int] = (30, 90, 365, 730)
""" The trailing windows (in days before ``as_of``) an [`Activity`][logicrm.scoring.Activity] keeps
figures for."""

_DAY_SECONDS = 86_400
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_ZERO = Decimal(0)
# Sums are added in an unlimited-precision context, so they are exact whatever the caller's
# context says; amounts are bounded (see Money), so an exact sum stays small.
_EXACT = EXACT


def window_index(days: int) -> int:
    """Where the figures of the trailing ``days`` stand in a window list."""
    try:
        return WINDOW_DAYS.index(days)
    except ValueError:
        fail("days", days, f"must be one of the tracked windows {WINDOW_DAYS}")


def _zeros() -> list[Decimal]:
    return [_ZERO] * len(WINDOW_DAYS)


@attrs.define(slots=True, eq=True, kw_only=True)
class Activity:
    """A customer's shipments folded into one aggregate that merges exactly.

    Build one with [`summarize()`][logicrm.scoring.summarize], or by hand with
    ``Activity.empty(customer_id, as_of=...)`` and [`add()`][logicrm.scoring.Activity.add]. Partial
    activities from any split of the data (threads, processes, Dask or Spark partitions) combine
    with [`merge()`][logicrm.scoring.Activity.merge] to exactly the single-pass
    result: ``merge`` is associative and commutative, and an empty activity is its identity.

    ``Activity`` is an *accumulator*: [`add()`][logicrm.scoring.Activity.add] updates it in place
    (and returns it, so ``activity = activity.add(s)`` also works), which is what makes a streaming
    pass over millions of shipments cheap. [`merge()`][logicrm.scoring.Activity.merge] never changes
    its operands.

    Everything is counted for shipments **ordered at or before** ``as_of``; later ones are only
    counted in ``ignored_after_as_of``. Trailing windows hold shipments with ``as_of - days <
    ordered_at <= as_of`` for each of [`WINDOW_DAYS`][logicrm.scoring.WINDOW_DAYS]; an activity
    built without ``as_of`` keeps no window figures.

    Attributes:
        customer_id: whose shipments these are.
        as_of: the moment the activity is taken at (aware), or ``None``.
        currency: the currency of every amount, set by the first shipment.
        orders: shipments counted.
        first_order_at: the earliest ``ordered_at``.
        last_order_at: the latest ``ordered_at``.
        revenue: the sum of the shipments' revenue (``Decimal``, exact).
        cost: the sum of their cost (``Decimal``, exact).
        order_days: the distinct UTC calendar days with an order (day numbers since
            1970-01-01).
        first_day_revenue: revenue ordered on the first order day.
        window_orders: orders per trailing window, in
            [`WINDOW_DAYS`][logicrm.scoring.WINDOW_DAYS] order.
        window_revenue: revenue per trailing window, in the same order.
        window_cost: cost per trailing window, in the same order.
        delivered: shipments delivered (``delivered_at`` set).
        on_time: delivered no later than ``promised_at``; ``late`` = delivered - on_time.
        in_full: delivered with at least the units ordered; ``short`` = delivered - in_full.
        on_time_in_full: both; ``perfect``: on time, in full, undamaged, no invoice error.
        damaged: delivered shipments with a damaged unit.
        units_ordered_delivered: units ordered, over delivered shipments.
        units_delivered: units delivered, over delivered shipments.
        units_damaged: units damaged, over delivered shipments.
        units_filled: delivered units up to the units ordered (an over-delivery fills no
            more than 100%).
        invoice_errors: orders with an invoice error.
        stockouts: orders that hit a stockout.
        substitutions: orders filled with a substitute.
        reroutes: orders rerouted.
        returns: orders returned or re-dispatched.
        reroutes_365: ``reroutes`` among the orders of the 365 days before ``as_of``.
        returns_365: ``returns`` among them.
        damaged_365: ``damaged`` among them (what a year's cost to serve counts).
        cycle_us_sum: the sum of order-to-delivery times in whole microseconds, over
            delivered shipments.
        cycle_us_squares: the sum of their squares.
        ignored_after_as_of: shipments seen but ordered after ``as_of``.

    Examples:
        >>> from logicrm.sample import sample_dataset
        >>> data = sample_dataset()
        >>> activity = summarize(data.shipments, as_of=data.as_of)["C00000"]
        >>> activity.orders, activity.currency
        (549, 'CNY')
    """

    customer_id: str
    as_of: datetime | None = None
    currency: str | None = None
    orders: int = 0
    first_order_at: datetime | None = None
    last_order_at: datetime | None = None
    revenue: Decimal = _ZERO
    cost: Decimal = _ZERO
    order_days: set[int] = attrs.field(factory=set)
    first_day_revenue: Decimal = _ZERO
    window_orders: list[int] = attrs.field(factory=lambda: [0] * len(WINDOW_DAYS))
    window_revenue: list[Decimal] = attrs.field(factory=_zeros)
    window_cost: list[Decimal] = attrs.field(factory=_zeros)
    delivered: int = 0
    on_time: int = 0
    in_full: int = 0
    on_time_in_full: int = 0
    perfect: int = 0
    damaged: int = 0
    units_ordered_delivered: int = 0
    units_filled: int = 0
    units_delivered: int = 0
    units_damaged: int = 0
    invoice_errors: int = 0
    stockouts: int = 0
    substitutions: int = 0
    reroutes: int = 0
    returns: int = 0
    reroutes_365: int = 0
    returns_365: int = 0
    damaged_365: int = 0
    cycle_us_sum: int = 0
    cycle_us_squares: int = 0
    ignored_after_as_of: int = 0
    # Cached for add(), as time since the Unix epoch: as_of, the window cut-offs, the first
    # and last order, and the first order day's number.
    _as_of_t: timedelta = attrs.field(default=timedelta.max, eq=False, repr=False, init=False)
    _cutoffs: tuple[timedelta, ...] = attrs.field(default=(), eq=False, repr=False, init=False)
    _first_t: timedelta = attrs.field(default=timedelta.max, eq=False, repr=False, init=False)
    _last_t: timedelta = attrs.field(default=timedelta.min, eq=False, repr=False, init=False)
    _first_day: float = attrs.field(default=math.inf, eq=False, repr=False, init=False)

    def __attrs_post_init__(self) -> None:
        check_text("customer_id", self.customer_id)
        if self.as_of is not None:
            check_aware("as_of", self.as_of)
            self._as_of_t = self.as_of - _EPOCH
            self._cutoffs = tuple(self._as_of_t - timedelta(days=days) for days in WINDOW_DAYS)
        if self.first_order_at is not None:
            self._first_t = self.first_order_at - _EPOCH
        if self.last_order_at is not None:
            self._last_t = self.last_order_at - _EPOCH
        if self.order_days:
            self._first_day = min(self.order_days)

    @classmethod
    def empty(cls, customer_id: str, *, as_of: datetime | None = None) -> Activity:
        """An activity with nothing in it: the identity of
        [`merge()`][logicrm.scoring.Activity.merge]."""
        return cls(customer_id=customer_id, as_of=as_of)

    # -- folding in ---------------------------------------------------------------------

    def add(self, shipment: Shipment) -> Activity:
        """Fold one shipment in (in place) and return ``self``.

        Raises:
            ValidationError: the shipment belongs to another customer.
            CurrencyMismatchError: its currency differs from earlier shipments'.
        """
        if shipment.customer_id != self.customer_id:
            fail(
                "customer_id", shipment.customer_id, f"is not this activity's {self.customer_id!r}"
            )
        ordered = shipment.ordered_at
        zone = ordered.tzinfo
        epoch = _EPOCHS.get(zone) if type(zone) is timezone else None
        if epoch is None or epoch.tzinfo is not zone:
            epoch = _epoch_in(ordered)
        t = ordered - epoch  # time since the Unix epoch, exact
        if t > self._as_of_t:
            self.ignored_after_as_of += 1
            return self
        revenue = shipment.revenue.amount
        cost = shipment.cost.amount
        currency = shipment.revenue.currency
        if currency != self.currency:
            if self.currency is not None:
                raise CurrencyMismatchError(self.currency, currency, "add")
            self.currency = currency
        self.orders += 1
        add = _EXACT.add  # never the caller's context
        self.revenue = add(self.revenue, revenue)
        self.cost = add(self.cost, cost)

        day = t.days  # the UTC calendar day, counted from 1970-01-01
        self.order_days.add(day)
        if day < self._first_day:
            self._first_day = day
            self.first_day_revenue = revenue
        elif day == self._first_day:
            self.first_day_revenue = add(self.first_day_revenue, revenue)
        if t < self._first_t:
            self._first_t = t
            self.first_order_at = ordered
        if t > self._last_t:
            self._last_t = t
            self.last_order_at = ordered

        cutoffs = self._cutoffs
        if cutoffs and t > cutoffs[3]:
            # The windows nest (730 ⊃ 365 ⊃ 90 ⊃ 30 days); unrolled, as this runs per shipment.
            orders, revenues, costs = self.window_orders, self.window_revenue, self.window_cost
            orders[3] += 1
            revenues[3] = add(revenues[3], revenue)
            costs[3] = add(costs[3], cost)
            if t > cutoffs[2]:
                orders[2] += 1
                revenues[2] = add(revenues[2], revenue)
                costs[2] = add(costs[2], cost)
                if t > cutoffs[1]:
                    orders[1] += 1
                    revenues[1] = add(revenues[1], revenue)
                    costs[1] = add(costs[1], cost)
                    if t > cutoffs[0]:
                        orders[0] += 1
                        revenues[0] = add(revenues[0], revenue)
                        costs[0] = add(costs[0], cost)

        if shipment.invoice_error:
            self.invoice_errors += 1
        if shipment.stockout:
            self.stockouts += 1
        if shipment.substituted:
            self.substitutions += 1
        recent = bool(cutoffs) and t > cutoffs[2]
        if shipment.rerouted:
            self.reroutes += 1
            self.reroutes_365 += recent
        if shipment.returned:
            self.returns += 1
            self.returns_365 += recent

        delivered_at = shipment.delivered_at
        if delivered_at is not None:
            self.delivered += 1
            ordered_units = shipment.units_ordered
            delivered_units = shipment.units_delivered
            damaged_units = shipment.units_damaged
            self.units_ordered_delivered += ordered_units
            self.units_filled += min(delivered_units, ordered_units)
            self.units_delivered += delivered_units
            self.units_damaged += damaged_units
            on_time = delivered_at <= shipment.promised_at
            in_full = delivered_units >= ordered_units
            if on_time:
                self.on_time += 1
            if in_full:
                self.in_full += 1
            if damaged_units:
                self.damaged += 1
                self.damaged_365 += recent
            if on_time and in_full:
                self.on_time_in_full += 1
                if not damaged_units and not shipment.invoice_error:
                    self.perfect += 1
            if delivered_at.tzinfo is zone and type(zone) is timezone:
                cycle = delivered_at - ordered  # one fixed-offset zone object: exact, cheap
            else:
                cycle = delivered_at - _epoch_in(delivered_at) - t
            cycle_us = cycle // _MICROSECOND
            self.cycle_us_sum += cycle_us
            self.cycle_us_squares += cycle_us * cycle_us
        return self

    def merge(self, other: Activity) -> Activity:
        """A new activity holding both operands' shipments (neither operand changes).

        Raises:
            ValidationError: the activities are for different customers or ``as_of``.
            CurrencyMismatchError: their currencies differ.
        """
        merged = self.copy()
        merged._absorb(other)
        return merged

    def _absorb(self, other: Activity) -> None:
        """Fold ``other`` into this activity in place."""
        if other.customer_id != self.customer_id:
            fail("customer_id", other.customer_id, f"cannot merge into {self.customer_id!r}")
        if other.as_of != self.as_of:
            fail("as_of", other.as_of, f"cannot merge activities taken at {self.as_of}")
        if self.currency and other.currency and self.currency != other.currency:
            raise CurrencyMismatchError(self.currency, other.currency, "merge")
        add = _EXACT.add
        self.first_day_revenue = _first_day_revenue(self, other)  # before the days change
        self.currency = self.currency or other.currency
        self.orders += other.orders
        self.first_order_at = _earliest(self.first_order_at, other.first_order_at)
        self.last_order_at = _latest(self.last_order_at, other.last_order_at)
        self.revenue = add(self.revenue, other.revenue)
        self.cost = add(self.cost, other.cost)
        self.order_days |= other.order_days
        for i in range(len(WINDOW_DAYS)):
            self.window_orders[i] += other.window_orders[i]
            self.window_revenue[i] = add(self.window_revenue[i], other.window_revenue[i])
            self.window_cost[i] = add(self.window_cost[i], other.window_cost[i])
        for name in _COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.__attrs_post_init__()  # refresh the cached first / last times and first day

    def copy(self) -> Activity:
        """An independent copy (``add`` on it leaves this one alone)."""
        twin = Activity(
            customer_id=self.customer_id,
            as_of=self.as_of,
            currency=self.currency,
            orders=self.orders,
            first_order_at=self.first_order_at,
            last_order_at=self.last_order_at,
            revenue=self.revenue,
            cost=self.cost,
            order_days=set(self.order_days),
            first_day_revenue=self.first_day_revenue,
            window_orders=list(self.window_orders),
            window_revenue=list(self.window_revenue),
            window_cost=list(self.window_cost),
        )
        for name in _COUNTERS:
            setattr(twin, name, getattr(self, name))
        return twin

    # -- reading out --------------------------------------------------------------------

    @property
    def first_order_day(self) -> date | None:
        """The UTC calendar day of the first order."""
        return _day(min(self.order_days)) if self.order_days else None

    @property
    def last_order_day(self) -> date | None:
        """The UTC calendar day of the latest order."""
        return _day(max(self.order_days)) if self.order_days else None

    @property
    def distinct_order_days(self) -> int:
        """How many different UTC calendar days had an order."""
        return len(self.order_days)

    @property
    def margin(self) -> Decimal:
        """Revenue minus cost."""
        return _EXACT.subtract(self.revenue, self.cost)

    @property
    def late(self) -> int:
        """Delivered after ``promised_at``."""
        return self.delivered - self.on_time

    @property
    def short(self) -> int:
        """Delivered with fewer units than ordered."""
        return self.delivered - self.in_full

    def _window(self, days: int) -> int:
        if self.as_of is None:
            fail("as_of", None, "is needed for trailing-window figures; build with as_of")
        return window_index(days)

    def orders_within(self, days: int) -> int:
        """Orders in the ``days`` before ``as_of`` (``days`` in
        [`WINDOW_DAYS`][logicrm.scoring.WINDOW_DAYS])."""
        return self.window_orders[self._window(days)]

    def revenue_within(self, days: int) -> Decimal:
        """Revenue ordered in the ``days`` before ``as_of``."""
        return self.window_revenue[self._window(days)]

    def cost_within(self, days: int) -> Decimal:
        """Cost of what was ordered in the ``days`` before ``as_of``."""
        return self.window_cost[self._window(days)]

    @property
    def mean_order_cycle(self) -> timedelta | None:
        """Mean time from order to delivery over delivered shipments (``None`` if none)."""
        if not self.delivered:
            return None
        whole, left = divmod(self.cycle_us_sum, self.delivered)  # round half to even, exactly
        twice = 2 * left
        up = twice > self.delivered or (twice == self.delivered and whole % 2 == 1)
        return timedelta(microseconds=whole + up)

    @property
    def order_cycle_stdev(self) -> timedelta | None:
        """Sample standard deviation of the order cycle (``None`` below two deliveries)."""
        n = self.delivered
        if n < 2:
            return None
        # int / int is the correctly rounded quotient, as float(Fraction) is
        variance = (n * self.cycle_us_squares - self.cycle_us_sum**2) / (n * (n - 1))
        return timedelta(microseconds=math.sqrt(variance))


_COUNTERS = (
    "delivered",
    "on_time",
    "in_full",
    "on_time_in_full",
    "perfect",
    "damaged",
    "units_ordered_delivered",
    "units_filled",
    "units_delivered",
    "units_damaged",
    "invoice_errors",
    "stockouts",
    "substitutions",
    "reroutes",
    "returns",
    "reroutes_365",
    "returns_365",
    "damaged_365",
    "cycle_us_sum",
    "cycle_us_squares",
    "ignored_after_as_of",
)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_EPOCHS: dict[timezone, datetime] = {UTC: _EPOCH}


def _epoch_in(moment: datetime) -> datetime:
    """The Unix epoch, in ``moment``'s own zone object when that zone has a fixed offset.

    Subtracting two datetimes that share one tzinfo object is cheap; across different
    objects Python computes both UTC offsets, several times slower. Only fixed offsets
    qualify: within one zone with daylight saving, Python subtracts wall-clock times.
    """
    zone = moment.tzinfo
    if type(zone) is not timezone:
        return _EPOCH
    epoch = _EPOCHS.get(zone)
    if epoch is None:
        epoch = _EPOCHS.setdefault(zone, _EPOCH.astimezone(zone))
    return epoch if epoch.tzinfo is zone else _EPOCH


def _day(number: int) -> date:
    return date.fromordinal(number + _EPOCH_ORDINAL)


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None or b is None:
        return a or b
    return a if a <= b else b


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None or b is None:
        return a or b
    return a if a >= b else b


def _first_day_revenue(a: Activity, b: Activity) -> Decimal:
    if not a.order_days:
        return b.first_day_revenue
    if not b.order_days:
        return a.first_day_revenue
    first_a, first_b = min(a.order_days), min(b.order_days)
    if first_a == first_b:
        return _EXACT.add(a.first_day_revenue, b.first_day_revenue)
    return a.first_day_revenue if first_a < first_b else b.first_day_revenue


def summarize(shipments: Iterable[Shipment], *, as_of: datetime) -> dict[str, Activity]:
    """One streaming pass over ``shipments`` → ``{customer_id: Activity}``.

    Shipments ordered after ``as_of`` are left out (and counted in each activity's
    ``ignored_after_as_of``). Memory grows with the number of customers (and their distinct
    order days), never with the number of shipments, so a generator of millions is fine.
    Customers appear in the order of their first shipment.

    Examples:
        >>> from logicrm.sample import sample_dataset
        >>> data = sample_dataset()
        >>> activities = summarize(data.shipments, as_of=data.as_of)
        >>> sum(a.orders for a in activities.values())
        1500
    """
    check_aware("as_of", as_of)
    activities: dict[str, Activity] = {}
    get = activities.get
    with decimal.localcontext(_EXACT):
        for shipment in shipments:
            activity = get(shipment.customer_id)
            if activity is None:
                activity = activities[shipment.customer_id] = Activity(
                    customer_id=shipment.customer_id, as_of=as_of
                )
            activity.add(shipment)
    return activities


def merge_activities(*groups: Mapping[str, Activity]) -> dict[str, Activity]:
    """Merge partial ``{customer_id: Activity}`` results (from partitions, threads, files).

    Customers found in several groups are merged with
    [`Activity.merge()`][logicrm.scoring.Activity.merge]; the result is the same whatever the order
    of the groups or how the data was split.

    Examples:
        >>> from logicrm.sample import sample_dataset
        >>> data = sample_dataset()
        >>> left = summarize(data.shipments[:700], as_of=data.as_of)
        >>> right = summarize(data.shipments[700:], as_of=data.as_of)
        >>> merge_activities(left, right) == summarize(data.shipments, as_of=data.as_of)
        True
    """
    merged: dict[str, Activity] = {}
    with decimal.localcontext(_EXACT):
        for group in groups:
            for key, activity in group.items():
                existing = merged.get(key)
                if existing is None:
                    merged[key] = activity.copy()
                else:
                    existing._absorb(activity)  # in place: the copy is ours alone
    return merged
