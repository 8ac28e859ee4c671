"""Telling customers apart across a population: RFM scores and Pareto (ABC) classes."""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

import attrs

from logicrm.domain import Money, Reason
from logicrm.domain._checks import check_aware, check_number, fail
from logicrm.domain._money import in_library_context, to_decimal, to_finite_decimal
from logicrm.domain._reason import plural
from logicrm.errors import CurrencyMismatchError
from logicrm.scoring._activity import Activity
from logicrm.scoring._numbers import EXACT

Number = Decimal | int | float | Money


class AbcClass(StrEnum):
    """Pareto class: A the key customers, B the next, C the rest."""

    A = "a"
    B = "b"
    C = "c"


class CustomerClass(StrEnum):
    """The notes' three classes by the value sought (一般 / 潜力 / 关键客户): general, potential
    and key customers."""

    KEY = "key"
    POTENTIAL = "potential"
    GENERAL = "general"


def customer_classes(
    classes: Mapping[str, AbcClass], *, key_max_share: float = 0.05
) -> dict[str, CustomerClass]:
    """The notes' key / potential / general classes from Pareto classes in rank order.

    The notes give both halves of the Pareto rule for key customers: about 5% of customers
    bringing about 80% of sales or profit. So a key customer is a class **A** customer among
    the first ``key_max_share`` of all ranked customers (rounded up, at least one); the rest of
    class A and class B are *potential* (valuable, not yet key); class C is *general*.
    ``classes`` must be in rank order, highest value first, as
    [`abc_classes()`][logicrm.scoring.abc_classes] returns them.

    Examples:
        >>> ranked = abc_classes({f"C{i:02d}": 100 - i for i in range(40)})
        >>> found = customer_classes(ranked)
        >>> [c for c, k in found.items() if k is CustomerClass.KEY]
        ['C00', 'C01']
    """
    check_number("key_max_share", key_max_share, min_value=0, above_min=True, max_value=1)
    cap = max(1, math.ceil(key_max_share * len(classes) - 1e-9))
    result: dict[str, CustomerClass] = {}
    keys = 0
    for customer_id, abc in classes.items():
        if abc is AbcClass.A and keys < cap:
            keys += 1
            result[customer_id] = CustomerClass.KEY
        elif abc is AbcClass.C:
            result[customer_id] = CustomerClass.GENERAL
        else:
            result[customer_id] = CustomerClass.POTENTIAL
    return result


@in_library_context
def abc_classes(
    values: Mapping[str, Number], *, a: float | Decimal = 0.8, b: float | Decimal = 0.95
) -> dict[str, AbcClass]:
    """Pareto (80/20) classes from ``{customer_id: value}``.

    Customers are ranked by value, highest first, ties broken by id. A customer is **A** if
    the customers ranked above it hold less than ``a`` of the total of positive values, else
    **B** if they hold less than ``b``, else **C**. A customer with a value of zero or less is
    always **C**; if no value is positive, everyone is C. So the top customer is always A
    when any value is positive, and the class boundary falls *after* the customer that
    crosses the cut-off (the customer that takes the share past 80% is still A).

    Values may be numbers or [`Money`][logicrm.domain.Money] (all in one currency); floats are read
    by their shortest repr. Arithmetic is exact.

    Raises:
        ValidationError: ``a`` or ``b`` outside ``0 < a <= b <= 1``, or a value is not a
            number.
        CurrencyMismatchError: Money values in different currencies.

    Examples:
        >>> classes = abc_classes({"C1": 700, "C2": 200, "C3": 60, "C4": 40})
        >>> " ".join(classes[c].name for c in ("C1", "C2", "C3", "C4"))
        'A A B C'
    """
    cut_a = to_decimal("a", a)
    cut_b = to_decimal("b", b)
    if not (0 < cut_a <= cut_b <= 1):
        fail("a", a, f"and b={b!r} must satisfy 0 < a <= b <= 1")
    amounts = _amounts(values)
    ranked = sorted(amounts.items(), key=lambda item: (-item[1], item[0]))
    total = EXACT.add(Decimal(0), sum((v for _, v in ranked if v > 0), Decimal(0)))
    limits = [
        (None if share is None else EXACT.multiply(share, total), chosen)
        for share, chosen in pareto_bands(cut_a, cut_b)
    ]
    classes: dict[str, AbcClass] = {}
    above = Decimal(0)
    for customer_id, value in ranked:
        if value <= 0:
            classes[customer_id] = NOT_POSITIVE
            continue
        for limit, chosen in limits:
            if limit is None or above < limit:
                classes[customer_id] = chosen
                break
        above = EXACT.add(above, value)
    return classes


NOT_POSITIVE = AbcClass.C
"""The class of a customer whose value is zero or less, wherever it ranks."""


def pareto_bands(a: Decimal, b: Decimal) -> tuple[tuple[Decimal | None, AbcClass], ...]:
    """The Pareto classes in the order they are tried: a customer with a positive value
    takes the first class whose share of the positive total (``None``: any) the customers
    ranked above it hold less of. The one table both engines read (``abc_classes``, the
    columnar engine's expressions)."""
    return ((a, AbcClass.A), (b, AbcClass.B), (None, AbcClass.C))


def _amounts(values: Mapping[str, Number]) -> dict[str, Decimal]:
    if not isinstance(values, Mapping):
        fail("values", values, "must map customer id -> value")
    currency: str | None = None
    amounts: dict[str, Decimal] = {}
    for key, value in values.items():
        if isinstance(value, Money):
            if currency is not None and value.currency != currency:
                raise CurrencyMismatchError(currency, value.currency, "rank")
            currency = value.currency
            amounts[key] = value.amount
        else:
            amounts[key] = to_finite_decimal(f"values[{key!r}]", value)
    return amounts


@attrs.frozen
class RfmScore:
    """Recency, frequency and monetary value of one customer, with scores by rank.

    Attributes:
        customer_id: the customer.
        recency_days: whole days from the last order to ``as_of`` (``None``: never ordered).
        frequency: orders placed.
        monetary: total revenue (``Decimal``).
        r: the recency score, 1 to ``bins``; recent customers score high.
        f: the frequency score, 1 to ``bins``; frequent customers score high.
        m: the monetary score, 1 to ``bins``; big spenders score high.
        reasons: how each score came about.
    """

    customer_id: str
    recency_days: int | None
    frequency: int
    monetary: Decimal
    r: int
    f: int
    m: int
    reasons: tuple[Reason, ...] = ()

    @property
    def code(self) -> str:
        """The three scores as one segment code, e.g. ``"545"``."""
        return f"{self.r}{self.f}{self.m}"

    def _repr_html_(self) -> str:
        """The notebook view: fields, nested results and reasons as HTML."""
        from logicrm._html import render

        return render(self)


@in_library_context
def rfm(
    activities: Mapping[str, Activity] | Iterable[Activity],
    *,
    as_of: datetime,
    bins: int = 5,
) -> dict[str, RfmScore]:
    """RFM scores across a population, by rank.

    Each measure is ranked across all the given customers so that better is higher (fewer
    days since the last order, more orders, more revenue; a customer who never ordered has
    the worst recency). A customer's score is ``1 + floor(bins * worse / n)`` where ``worse``
    counts the customers strictly worse on that measure and ``n`` is the population size:
    ties share a score, and the scores spread evenly from 1 to ``bins``.

    Raises:
        ValidationError: ``bins`` is not an integer >= 1, or an activity has orders after
            ``as_of``.

    Examples:
        >>> from logicrm.sample import sample_dataset
        >>> from logicrm.scoring import summarize
        >>> data = sample_dataset()
        >>> scores = rfm(summarize(data.shipments, as_of=data.as_of), as_of=data.as_of)
        >>> scores["C00000"].code
        '455'
    """
    check_aware("as_of", as_of)
    if type(bins) is not int or bins < 1:
        fail("bins", bins, "must be an integer >= 1")
    items = list(activities.values() if isinstance(activities, Mapping) else activities)
    recency: dict[str, int | None] = {}
    for activity in items:
        last = activity.last_order_at
        if last is not None and last > as_of:
            fail("as_of", as_of, f"is before the last order of {activity.customer_id!r}")
        recency[activity.customer_id] = None if last is None else (as_of - last).days
    # "Goodness" keys: larger is better.
    r_scores = _rank_scores({k: (-v if v is not None else None) for k, v in recency.items()}, bins)
    f_scores = _rank_scores({a.customer_id: a.orders for a in items}, bins)
    m_scores = _rank_scores({a.customer_id: a.revenue for a in items}, bins)
    result = {}
    for activity in items:
        key = activity.customer_id
        days = recency[key]
        result[key] = RfmScore(
            customer_id=key,
            recency_days=days,
            frequency=activity.orders,
            monetary=activity.revenue,
            r=r_scores[key],
            f=f_scores[key],
            m=m_scores[key],
            reasons=(
                Reason(
                    "rfm.recency",
                    "never ordered"
                    if days is None
                    else f"last order {plural(days, 'day')} before as_of",
                    r_scores[key],
                ),
                Reason("rfm.frequency", plural(activity.orders, "order"), f_scores[key]),
                Reason("rfm.monetary", f"revenue {activity.revenue:,}", m_scores[key]),
            ),
        )
    return result


def _rank_scores(goodness: Mapping[str, int | Decimal | None], bins: int) -> dict[str, int]:
    n = len(goodness)
    present = sorted(v for v in goodness.values() if v is not None)
    missing = n - len(present)
    # worse(v) = missing + number of present values strictly below v
    scores = {}
    for key, value in goodness.items():
        worse = 0 if value is None else missing + bisect_left(present, value)
        scores[key] = 1 + (bins * worse) // n
    return scores
