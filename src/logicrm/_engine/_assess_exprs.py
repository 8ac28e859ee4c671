"""Every customer's assessment row as polars expressions over the per-customer table: the
columnar engine's ``Assessment.row()`` for the default calculators, a whole column at a time.

The figures and rules are ``_assess_columns._row``'s (the tuple kernel, itself the object
path's arithmetic step for step): money stays exact (``Decimal(38, 12)``, written with the
places the object path's ``Decimal`` has), floats are built from the same operands by the
same IEEE operations in the same order, and the texts are worded from figure columns by
string expressions (``_assess_text``). Each rule's thresholds and branch order come from
the tables the object path reads too (``spend_bands``, ``order_bands``, ``pareto_bands``,
``value_dimensions``, ``churn_drops``, ``churn_verdicts``, ``service_prices``, ``_RULES``),
interpreted here as expressions. A property test holds every column equal to the object
path's rows.

``assessment_frame`` returns ``None`` where it does not promise the same answer (money too
large for an exact float of a ratio, a policy value with more than 12 places); the caller
then uses the tuple kernel.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Any

import polars as pl

from logicrm._engine import _assess_text as text
from logicrm._engine import _assess_words as words
from logicrm._engine._cells import _MONEY, _SCALE
from logicrm.domain import Customer
from logicrm.domain._money import to_decimal
from logicrm.errors import CurrencyMismatchError
from logicrm.policies import Policies
from logicrm.retention import _economics as economics
from logicrm.scoring import _lifecycle as lifecycle
from logicrm.scoring import _segments as segments
from logicrm.scoring import _tier as tiering
from logicrm.scoring import _value as valuing
from logicrm.scoring._activity import _COUNTERS
from logicrm.scoring._tier import _INSTITUTION_BY_LEVEL, _INSTITUTION_BY_SIZE, Band, Tier
from logicrm.scoring._value import Dimension

c = pl.col
_WINDOW = {30: 0, 90: 1, 365: 2, 730: 3}
_MONEY_COLUMNS = {  # name here: (table column, its places column)
    "revenue_30": ("__w0_revenue", "__w0_revenue_places"),
    "revenue_90": ("__w1_revenue", "__w1_revenue_places"),
    "revenue_365": ("__w2_revenue", "__w2_revenue_places"),
    "cost_365": ("__w2_cost", "__w2_cost_places"),
    "revenue_730": ("__w3_revenue", "__w3_revenue_places"),
    "revenue": ("revenue", "__revenue_places"),
    "cost": ("cost", "__cost_places"),
}
_COUNTS = tuple(
    n for n in _COUNTERS if n not in ("cycle_us_sum", "cycle_us_squares", "ignored_after_as_of")
)
_EXACT_FLOAT = 2**53  # integers below it are exact floats: their quotient is correctly rounded
_DAY_US = 86_400_000_000
_UNCOUNTED = ("complaints", "follow_ups")  # service events the shipments do not count


def _places(amount: Decimal) -> int:
    exponent = amount.as_tuple().exponent
    assert isinstance(exponent, int)
    return -exponent


def _money(amount: Decimal) -> pl.Expr:
    return pl.lit(amount, dtype=_MONEY)


def customers_frame(customers: list[Customer], table: pl.DataFrame | None) -> pl.DataFrame:
    """Everyone ``logicrm score`` assesses, in its order: the customers read, then the ids
    seen only in the shipments (enterprises named by their id), sorted."""
    known = pl.DataFrame(
        {
            "customer_id": [x.id for x in customers],
            "kind": [x.kind.value for x in customers],
            "level": [
                None if x.administrative_level is None else x.administrative_level.value
                for x in customers
            ],
            "size": [None if x.size is None else x.size.value for x in customers],
        },
        schema={
            "customer_id": pl.String,
            "kind": pl.String,
            "level": pl.String,
            "size": pl.String,
        },
    )
    if table is None or not table.height:
        return known
    only = (
        table.select("customer_id")
        .join(known.select("customer_id").unique(), on="customer_id", how="anti")
        .sort("customer_id")
        .with_columns(
            kind=pl.lit("enterprise"), level=pl.lit(None, pl.String), size=pl.lit(None, pl.String)
        )
    )
    return pl.concat([known, only])


def _figures(table: pl.DataFrame | None) -> pl.DataFrame:
    """Per customer, the figures the rows read: counts, times and exact money (with the
    places the object path's ``Decimal`` has)."""
    columns: list[pl.Expr] = [
        c("customer_id"),
        c("currency"),
        c("orders").fill_null(0),
        c("first_order_at"),
        c("last_order_at"),
        *(c(f"__w{i}_orders").fill_null(0).alias(f"orders_{d}") for d, i in _WINDOW.items()),
    ]
    for name, (value, places) in _MONEY_COLUMNS.items():
        columns.append(c(value).fill_null(0).cast(_MONEY).alias(name))
        columns.append(c(places).fill_null(0).clip(0).cast(pl.Int32).alias(f"{name}_places"))
    columns.extend(c(n).fill_null(0) for n in _COUNTS)
    if table is None:
        return pl.DataFrame()
    return table.select(columns)


def _check_currencies(frame: pl.DataFrame, policies: Policies) -> None:
    """The tuple kernel's check, before any row: the first customer whose currency is not
    the policies' raises, for the tier, then the value, then the cost."""
    tier = policies.tiering.large_annual_spend.currency
    value = policies.value.profit_reference.currency
    cost = policies.service_cost.currency
    currency = c("currency")
    seen = (c("orders") > 0) & currency.is_not_null()
    wrong = seen & (
        ((c("kind") == "enterprise") & (currency != tier))
        | (currency != value)
        | (currency != cost)
    )
    bad = frame.filter(wrong).head(1)
    if not bad.height:
        return
    found, kind = bad["currency"][0], bad["kind"][0]
    if kind == "enterprise" and found != tier:
        raise CurrencyMismatchError(found, tier, "tier")
    if found != value:
        raise CurrencyMismatchError(found, value, "score")
    raise CurrencyMismatchError(found, cost, "cost")


def assessment_frame(
    table: pl.DataFrame | None,
    people: pl.DataFrame,
    *,
    as_of: datetime,
    policies: Policies,
    codes: bool = False,
) -> pl.DataFrame | None:
    """``Assessment.row()`` of everyone in ``people`` (``customers_frame``), in its order, as
    one frame in ``ROW_COLUMNS`` order: money as exact text (``cost_to_serve``,
    ``margin_after_service``, as ``str(Decimal)`` writes them). ``None`` when the run is
    beyond it (see the module). ``codes`` adds ``reason_codes``: the codes of the reasons
    ``top_reasons`` words (``Assessment.top_reasons(3)``).

    Raises:
        CurrencyMismatchError: as ``assessment_rows`` raises it, before any row.
    """
    prices = policies.service_cost
    tiers = policies.tiering
    amounts = [price for _, price in economics.service_prices(prices)]
    amounts.append(_profit_reference(policies))
    amounts += [Decimal(b.least) for b in tiering.spend_bands(tiers) if b.least is not None]
    if any(_places(m) > _SCALE or abs(m) >= 10**20 for m in amounts):
        return None  # beyond Decimal(38, 12): the tuple kernel's
    figures = _figures(table)
    if figures.width:
        frame = people.join(figures, on="customer_id", how="left", maintain_order="left")
    else:
        frame = people.with_columns(
            currency=pl.lit(None, pl.String), orders=pl.lit(0, pl.Int64),
            first_order_at=pl.lit(None, pl.Datetime("us", "UTC")),
            last_order_at=pl.lit(None, pl.Datetime("us", "UTC")),
        )  # fmt: skip
        frame = frame.with_columns(
            *(pl.lit(0, pl.Int64).alias(f"orders_{d}") for d in _WINDOW),
            *(pl.lit(0, _MONEY).alias(n) for n in _MONEY_COLUMNS),
            *(pl.lit(0, pl.Int32).alias(f"{n}_places") for n in _MONEY_COLUMNS),
            *(pl.lit(0, pl.Int64).alias(n) for n in _COUNTS),
        )
    frame = frame.with_columns(
        pl.repeat(0.0, frame.height, eager=True).alias(text.ZERO),
        *(c(f"orders_{d}").fill_null(0) for d in _WINDOW),
        c("orders").fill_null(0),
        *(c(n).fill_null(Decimal(0)) for n in _MONEY_COLUMNS),
        *(c(f"{n}_places").fill_null(0) for n in _MONEY_COLUMNS),
        *(c(n).fill_null(0) for n in _COUNTS),
    ).with_columns(currency=pl.when(c("orders") > 0).then(c("currency")))
    _check_currencies(frame, policies)
    reference_places = max(0, _places(_profit_reference(policies)))
    frame = frame.with_columns(**_exact_units(reference_places, policies))
    if not frame.select(pl.all_horizontal(c("^__units_.*$").abs() < _EXACT_FLOAT).all()).item():
        return None  # a ratio of money would not be an exact float's: the tuple kernel's
    frame = _classes(frame, figures, policies)
    frame = frame.with_columns(**_days(as_of, policies))
    tiers_of = _tier(policies)
    frame = frame.with_columns(order_band=tiers_of.pop("order_band"),
                               spend_band=tiers_of.pop("spend_band"))  # fmt: skip
    frame = frame.with_columns(**tiers_of, **_service(policies))
    for stage in _value(policies):
        frame = frame.with_columns(**stage)
    frame = frame.with_columns(**_churn(as_of, policies))
    frame = frame.with_columns(
        churn_flag=(c("customer_class") == "key") & c("churn_risk"),
        unprofitable=c("margin") < 0,
        cost_to_serve=text.decimal_text(c("to_serve"), c("to_serve_places")),
        margin_after_service=text.decimal_text(c("margin"), c("margin_places")),
    )
    frame = text.fill_decimal_forms(frame, "cost_to_serve", "to_serve", str)
    frame = text.fill_decimal_forms(frame, "margin_after_service", "margin", str)
    spent = [n for n in (*_MONEY_COLUMNS, "to_serve", "margin") if n != "revenue_365"]
    spent += [n for n in frame.columns if n.startswith("__")]
    spent += [f"{n}_places" for n in _MONEY_COLUMNS if n != "revenue_365"]
    frame = frame.drop(spent)  # memory: figures no word or row reads
    acted = words.action(frame, policies)
    if acted is None:
        return None
    frame = acted
    frame = words.reasons(frame, policies, codes=codes)
    columns = words.row_columns(policies)
    return frame.select(**columns, **({"reason_codes": c("reason_codes")} if codes else {}))


def frame_rows(frame: pl.DataFrame) -> Iterator[dict[str, Any]]:
    """The frame's rows as ``Assessment.row()`` makes them (money as ``Decimal``)."""
    for row in frame.iter_rows(named=True):
        for name in words.MONEY_COLUMNS:
            row[name] = Decimal(row[name])
        yield row


def _classes(frame: pl.DataFrame, figures: pl.DataFrame, policies: Policies) -> pl.DataFrame:
    """``abc_classes`` over the table's customers and ``customer_classes`` on them: ranked by
    value, highest first, ties by id; a positive value is A while the values above it hold
    less than ``a`` of the positive total, then B under ``b`` (the classes' table:
    ``pareto_bands``); the first ``key_max_share`` of the ranked customers that are A are
    key."""
    import math

    from logicrm.scoring._numbers import EXACT

    cut = policies.pareto
    if not figures.height:
        return frame.with_columns(abc_class=pl.lit("C"), customer_class=pl.lit("general"))
    value = c("revenue_365") - c("cost_365") if cut.basis == "profit" else c("revenue_365")
    ranked = figures.select("customer_id", value.alias("worth")).sort(
        ["worth", "customer_id"], descending=[True, False]
    )
    positive = pl.when(c("worth") > 0).then(c("worth")).otherwise(Decimal(0)).cast(_MONEY)
    total_value = ranked.select(positive.sum()).item() or Decimal(0)
    total = EXACT.add(Decimal(0), Decimal(total_value))

    def limit(share: float | Decimal) -> Decimal:
        exact = EXACT.multiply(to_decimal("a", share), total)
        return exact.quantize(Decimal(1).scaleb(-_SCALE), rounding=ROUND_CEILING)

    above = positive.cum_sum() - positive
    abc: Any = pl.when(c("worth") <= 0).then(pl.lit(segments.NOT_POSITIVE.name))
    bands = segments.pareto_bands(to_decimal("a", cut.a), to_decimal("b", cut.b))
    for share, chosen in bands:  # the table's order: the first class the rank reaches
        reached = pl.lit(True) if share is None else above < _money(limit(share))
        abc = abc.when(reached).then(pl.lit(chosen.name))
    cap = max(1, math.ceil(cut.key_max_share * ranked.height - 1e-9))
    kind = (
        pl.when((c("abc") == "A") & ((c("abc") == "A").cum_sum() <= cap))  # the first cap As
        .then(pl.lit("key"))
        .when(c("abc") == "C")
        .then(pl.lit("general"))
        .otherwise(pl.lit("potential"))
    )
    classes = ranked.with_columns(abc=abc.otherwise(pl.lit(segments.NOT_POSITIVE.name)))
    classes = classes.with_columns(customer_class=kind)
    return frame.join(
        classes.select("customer_id", c("abc").alias("abc_class"), "customer_class"),
        on="customer_id",
        how="left",
        maintain_order="left",
    ).with_columns(c("abc_class").fill_null("C"), c("customer_class").fill_null("general"))


def _days(as_of: datetime, policies: Policies) -> dict[str, pl.Expr]:
    """Whole days since the first and the last order (``timedelta.days``, floored)."""
    now = pl.lit(as_of).dt.cast_time_unit("us")

    def days(moment: str) -> pl.Expr:
        return (now - c(moment)).dt.total_microseconds() // _DAY_US

    lapsed_after = timedelta(days=policies.lifecycle.lapsed_after_days)
    idle_us = (now - c("last_order_at")).dt.total_microseconds()
    return {
        "tenure_days": days("first_order_at"),
        "idle_days": days("last_order_at").fill_null(0),
        "lifecycle": pl.when(c("last_order_at").is_null())
        .then(pl.lit("prospect"))
        .when(idle_us > lapsed_after // timedelta(microseconds=1))
        .then(pl.lit("lapsed"))
        .otherwise(pl.lit("current")),
    }


def band(figure: pl.Expr, bands: tuple[Band, ...], least: Any = pl.lit) -> pl.Expr:
    """``scoring._tier.band_of`` as an expression: the index of the first band ``figure``
    reaches (the last band takes the rest)."""
    chosen: pl.Expr = pl.lit(len(bands) - 1)
    for i, row in reversed(list(enumerate(bands))):
        if row.least is None:
            chosen = pl.lit(i)
        else:
            chosen = pl.when(figure >= least(row.least)).then(pl.lit(i)).otherwise(chosen)
    return chosen


def _tier(policies: Policies) -> dict[str, pl.Expr]:
    """``scoring.tier``: the tier of every kind of customer, from the tier tables
    (``spend_bands``, ``order_bands``) the object path reads."""
    policy = policies.tiering
    spend_bands, order_bands = tiering.spend_bands(policy), tiering.order_bands(policy)
    kind = c("kind")
    institution = pl.lit(Tier.UNCLASSIFIED.value)
    for size, tier in _INSTITUTION_BY_SIZE.items():
        institution = (
            pl.when(c("size") == size.value).then(pl.lit(tier.value)).otherwise(institution)
        )
    for level, tier in _INSTITUTION_BY_LEVEL.items():
        institution = (
            pl.when(c("level") == level.value).then(pl.lit(tier.value)).otherwise(institution)
        )

    def tier_of(column: str, bands: tuple[Band, ...]) -> pl.Expr:
        tiers = {i: b.tier.value for i, b in enumerate(bands)}
        return c(column).replace_strict(tiers, return_dtype=pl.String)

    return {
        "order_band": band(c("orders_30"), order_bands),
        "spend_band": band(c("revenue_365"), spend_bands, lambda x: _money(Decimal(x))),
        "tier": pl.when(kind == "individual")
        .then(tier_of("order_band", order_bands))
        .when(kind == "enterprise")
        .then(tier_of("spend_band", spend_bands))
        .otherwise(institution),
    }


def _service(policies: Policies) -> dict[str, pl.Expr]:
    """``retention._economics._service_figures``: cost to serve and the margin after it,
    over the trailing year or the whole history, and the lifetime margin's sign."""
    prices = policies.service_cost
    table = economics.service_prices(prices)
    event_places = max(_places(price) for _, price in table)

    def figures(revenue: str, cost: str, suffix: str) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
        events: pl.Expr = pl.lit(0, _MONEY)
        for name, price in table:
            if name not in _UNCOUNTED:  # the engine counts no complaint and no follow-up
                events = events + c(f"{name}{suffix}") * _money(price)
        to_serve = (c(cost) + events).cast(_MONEY)
        places = pl.max_horizontal(c(f"{cost}_places"), pl.lit(event_places))
        margin = (c(revenue) - to_serve).cast(_MONEY)
        return to_serve, margin, places

    lifetime = figures("revenue", "cost", "")[1]
    trailing = prices.trailing_year
    to_serve, margin, places = figures(
        "revenue_365" if trailing else "revenue", "cost_365" if trailing else "cost",
        "_365" if trailing else "",
    )  # fmt: skip
    revenue_places = c("revenue_365_places" if trailing else "revenue_places")
    return {
        "to_serve": to_serve,
        "to_serve_places": places,
        "margin": margin,
        "margin_places": pl.max_horizontal(revenue_places, places),
        "lifetime_unprofitable": lifetime < 0,
    }


def _clip(x: pl.Expr, low: float = 0.0, high: float = 1.0) -> pl.Expr:
    """``max(low, min(high, x))``; Python returns ``low`` on a tie where polars may return
    ``x``, which differs only for -0.0, never clipped here (no figure is -0.0)."""
    return x.clip(low, high)


def _profit_reference(policies: Policies) -> Decimal:
    """The margin a full profit score needs, from the value table (``value_dimensions``)."""
    rows = valuing.value_dimensions(policies.value)
    found = [Decimal(r.references[0]) for r in rows if r.formula == "margin_share"]
    return found[0] if found else policies.value.profit_reference.amount


def _exact_units(reference_places: int, policies: Policies) -> dict[str, pl.Expr]:
    """The money the floats are made of, as exact integer counts (floats) of the smallest
    unit the operands of each ratio share: an IEEE quotient of two integers below 2**53 is
    the correctly rounded quotient, as ``float()`` of the object path's ``Decimal`` is."""

    def units(value: pl.Expr, places: pl.Expr) -> pl.Expr:
        step = pl.lit(10, pl.Int128).pow((_SCALE - places).cast(pl.UInt32))
        return (value.cast(_MONEY).to_physical() // step).cast(pl.Float64)

    def power(places: pl.Expr) -> pl.Expr:
        return pl.lit(10, pl.Int64).pow(places.cast(pl.UInt32)).cast(pl.Float64)

    p = c
    recent = f"revenue_{policies.churn.recent_days}"
    margin_places = pl.max_horizontal(
        p("revenue_365_places"), p("cost_365_places"), pl.lit(reference_places)
    )
    growth_places = pl.max_horizontal(p("revenue_365_places"), p("revenue_730_places"))
    before_places = pl.max_horizontal(p("revenue_places"), p(f"{recent}_places"))
    reference = _profit_reference(policies)
    return {
        "__units_margin": units(c("revenue_365") - c("cost_365"), margin_places),
        "__units_reference": units(pl.lit(reference, _MONEY), margin_places),
        "__units_365": units(c("revenue_365"), growth_places),
        "__units_previous": units(c("revenue_730") - c("revenue_365"), growth_places),
        "__units_recent": units(c(recent), p(f"{recent}_places")),
        "__power_recent": power(p(f"{recent}_places")),
        "__units_before": units(c("revenue") - c(recent), before_places),
        "__power_before": power(before_places),
    }


def _value(policies: Policies) -> list[dict[str, pl.Expr]]:
    """``scoring._value``: the value table's dimensions (``value_dimensions``) scored and
    weighted in its order, the float operations in the object path's order."""
    ordered = c("first_order_at").is_not_null()
    previous = (c("revenue_730") - c("revenue_365")).cast(_MONEY)
    growth = c("__units_365") / c("__units_previous") - 1.0

    def measured(row: Dimension) -> tuple[pl.Expr, pl.Expr]:
        """When the row's dimension has input, and its score: each formula kind's."""
        if row.formula == "tenure_and_continuity":
            days, per_year = row.references
            tenure = _clip(text.over(c("tenure_days").cast(pl.Float64), days))
            continuity = _clip(text.over(c("orders_365").cast(pl.Float64), per_year))
            return ordered, 100.0 * (tenure + continuity) / 2.0
        if row.formula == "margin_share":  # the reference is in __units_reference
            return ordered, 100.0 * _clip(c("__units_margin") / c("__units_reference"))
        if row.formula == "growth":
            (reference,) = row.references
            return ordered & (previous > 0), 50.0 + 50.0 * _clip(
                text.over(growth, reference), -1.0, 1.0
            )
        if row.formula == "perfect_rate":
            rate = c("perfect").cast(pl.Float64) / c("delivered").cast(pl.Float64)
            return c("delivered") > 0, 100.0 * rate
        raise ValueError(f"no value formula {row.formula!r}")

    used = [(row.dimension, float(row.weight), measured(row))
            for row in valuing.value_dimensions(policies.value) if row.weight > 0]  # fmt: skip
    total: pl.Expr = pl.lit(0.0)
    for d, weight, _ in used:
        total = pl.when(c(f"__has_{d.value}")).then(total + weight).otherwise(total)
    stages: list[dict[str, pl.Expr]] = [
        {
            **{f"__has_{d.value}": has for d, _, (has, _) in used},
            **{f"__score_{d.value}": score for d, _, (_, score) in used},
            "growth": pl.when((c("orders") > 0) & (previous > 0)).then(growth),
        },
        {"__total": total},
    ]
    stages.append({"__value": pl.lit(0.0)})
    for d, weight, _ in used:  # a column a step: the sum in the object path's order
        term = c("__value") + weight / c("__total") * c(f"__score_{d.value}")
        stages.append(
            {"__value": pl.when(c(f"__has_{d.value}")).then(term).otherwise(c("__value"))}
        )
    stages.append({"value_score": pl.when(c("__total") != 0).then(text.rounded_2(c("__value")))})
    return stages


def _churn(as_of: datetime, policies: Policies) -> dict[str, pl.Expr]:
    """``scoring._lifecycle.churn_figures``: the rates, at risk and the trend."""
    policy = policies.churn
    days = policy.recent_days
    window_start = pl.lit(as_of - timedelta(days=days)).dt.cast_time_unit("us")
    micros = (window_start - c("first_order_at")).dt.total_microseconds().cast(pl.Float64)
    history = text.over(text.over(micros, 1e6), 86_400)
    history = history.fill_null(0.0)
    recent_orders = c(f"orders_{days}")
    earlier = c("orders") - recent_orders
    judged = (history >= policy.min_history_days) & (earlier >= policy.min_history_orders)
    recent_rate = text.over(recent_orders.cast(pl.Float64), days) * 30.0
    historical_rate = earlier.cast(pl.Float64) / history * 30.0
    recent_revenue_rate = text.over(c("__units_recent") / c("__power_recent"), days) * 30.0
    historical_revenue_rate = c("__units_before") / c("__power_before") / history * 30.0
    order_ratio = recent_rate / historical_rate
    has_revenue = historical_revenue_rate > 0
    revenue_ratio = recent_revenue_rate / historical_revenue_rate
    ratios = {"orders": order_ratio, "revenue": pl.when(has_revenue).then(revenue_ratio)}
    drops = lifecycle.churn_drops(policy)
    fell = {f"fell_{d.rate}": (ratios[d.rate] < d.below).fill_null(False) for d in drops}
    at_risk = pl.any_horizontal(*fell.values()) if fell else pl.lit(False)
    lowest = (
        pl.when(has_revenue & (revenue_ratio < order_ratio))
        .then(revenue_ratio)
        .otherwise(order_ratio)
    )
    verdicts = lifecycle.churn_verdicts(policy)
    verdict: Any = pl.when(~judged).then(pl.lit(-1))  # which verdict's row holds first
    for i, row in enumerate(verdicts):
        holds = pl.lit(True)
        if row.when == "dropped":
            holds = at_risk
        elif row.when == "below":
            holds = lowest < row.below
        verdict = verdict.when(holds).then(pl.lit(i))
    trends = {-1: "not_judged", **{i: v.trend.value for i, v in enumerate(verdicts)}}
    return {
        "churn_risk": judged & at_risk,
        **fell,
        "recent_rate": recent_rate,
        "historical_rate": historical_rate,
        "recent_revenue_rate": recent_revenue_rate,
        "historical_revenue_rate": historical_revenue_rate,
        "verdict": verdict,
        "trend": verdict.replace_strict(trends, default=None, return_dtype=pl.String),
        "order_change": pl.when(judged).then(recent_rate / historical_rate - 1.0),
        "revenue_change": pl.when(judged & has_revenue).then(
            recent_revenue_rate / historical_revenue_rate - 1.0
        ),
    }
