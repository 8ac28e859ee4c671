"""Charts for notebooks and reports (matplotlib).

Each function draws one chart on ``ax`` (a new figure when ``ax`` is ``None``) and returns the
``Axes``, so charts compose into your own figures and save with ``ax.figure.savefig``.

- [`pareto_curve()`][logicrm.plot.pareto_curve]: cumulative revenue share against customer share,
  with the A/B/C cut-offs and where each class ends;
- [`servqual_gaps()`][logicrm.plot.servqual_gaps]: SERVQUAL gap (perception - expectation) by
  dimension;
- [`five_gaps()`][logicrm.plot.five_gaps]: the five gaps of each service measure side by side;
- [`measures_over_time()`][logicrm.plot.measures_over_time]: service measures month by month against
  their standards;
- [`value_dimensions()`][logicrm.plot.value_dimensions]: a customer's four value dimensions and the
  combined score;
- [`cost_to_serve()`][logicrm.plot.cost_to_serve]: each customer's margin rate after service
  against its service cost as a share of revenue, break-even marked, the unprofitable named.
- [`policy_backtests()`][logicrm.plot.policy_backtests]: precision and recall of the churn flags
  under two policies, side by side (from [`compare_backtests()`][logicrm.compare_backtests]);
- [`holdout_purchases()`][logicrm.plot.holdout_purchases]: actual against expected holdout
  purchases by calibration frequency, for one or more models (the classic holdout chart).

Requires the ``plot`` extra: ``pip install 'logicrm[plot]'`` (matplotlib).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter

from logicrm import _present
from logicrm.domain import Money, ServiceMeasure, ServiceStandard, StandardKind
from logicrm.domain._checks import fail
from logicrm.quality import FiveGapsReport, Gap, ServiceKpis, ServqualResult
from logicrm.scoring import AbcClass, ValueScore, abc_classes

__all__ = [
    "cost_to_serve",
    "five_gaps",
    "holdout_purchases",
    "measures_over_time",
    "pareto_curve",
    "policy_backtests",
    "servqual_gaps",
    "value_dimensions",
]

_SHORTFALL, _SURPLUS = "#c0392b", "#2e86c1"
_CLASS_COLOURS = {AbcClass.A: "#1b4f72", AbcClass.B: "#5dade2", AbcClass.C: "#d6eaf8"}


def _axes(ax: Any, size: tuple[float, float]) -> Any:
    if ax is not None:
        return ax
    _, new = plt.subplots(figsize=size, layout="constrained")
    return new


def pareto_curve(
    values: Mapping[str, Decimal | float | int | Money],
    *,
    a: float = 0.8,
    b: float = 0.95,
    ax: Any = None,
) -> Any:
    """The Pareto (Lorenz-style) curve of ``{customer_id: value}`` with the A/B/C classes.

    Customers are ranked as [`abc_classes()`][logicrm.scoring.abc_classes] ranks them; each point is
    (share of customers so far, share of value so far). Dashed lines mark the ``a`` and ``b``
    cut-offs; the bars under the curve are coloured by class, so the 80/20 shape and where each
    class ends read at a glance.
    """
    classes = abc_classes(values, a=a, b=b)
    amounts = {k: float(v.amount if isinstance(v, Money) else v) for k, v in values.items()}
    ranked = sorted(amounts, key=lambda k: (-amounts[k], k))
    total = sum(max(0.0, amounts[k]) for k in ranked)
    if total <= 0:
        fail("values", "no positive value", "needs a positive value to draw a Pareto curve")
    ax = _axes(ax, (7, 4.5))
    n = len(ranked)
    xs, ys, running = [0.0], [0.0], 0.0
    for index, key in enumerate(ranked, start=1):
        running += max(0.0, amounts[key])
        xs.append(index / n)
        ys.append(running / total)
    colours = [_CLASS_COLOURS[classes[k]] for k in ranked]
    ax.bar(xs[:-1], ys[1:], width=1 / n, align="edge", color=colours, alpha=0.6, linewidth=0)
    ax.plot(xs, ys, color="black", linewidth=1.5, label="cumulative share of value")
    for cut, name in ((a, "A"), (b, "B")):
        ax.axhline(cut, color="grey", linestyle="--", linewidth=1)
        ax.text(0.99, cut, f" {name} cut-off {cut:.0%}", ha="right", va="bottom", fontsize=8)
    start = 0.0
    for cls in AbcClass:
        members = [k for k in ranked if classes[k] is cls]
        if members:
            end = (ranked.index(members[-1]) + 1) / n
            ax.axvline(end, color=_CLASS_COLOURS[cls], linewidth=1)
            ax.text((start + end) / 2, 0.03, f"{cls.name}: {len(members)}", ha="center")
            start = end
    ax.set(
        xlim=(0, 1),
        ylim=(0, 1.02),
        xlabel="share of customers (ranked by value)",
        ylabel="share of value",
        title="Pareto curve and ABC classes",
    )
    ax.xaxis.set_major_formatter(_percent)
    ax.yaxis.set_major_formatter(_percent)
    return ax


def _percent_text(value: float, _: Any = None) -> str:
    return f"{value:.0%}"


_percent = FuncFormatter(_percent_text)


def servqual_gaps(result: ServqualResult, *, ax: Any = None) -> Any:
    """SERVQUAL gap by dimension (perception - expectation, Likert points); red is a
    shortfall. The weighted overall gap, when there is one, is a dashed line."""
    dims = list(result.dimension_gaps)
    if not dims:
        fail("result", "no dimensions", "has no dimension gaps to draw")
    gaps = [result.dimension_gaps[d] for d in dims]
    ax = _axes(ax, (7, 4))
    ax.bar(
        [_present.label(d.value) for d in dims],
        gaps,
        color=[_SHORTFALL if g < 0 else _SURPLUS for g in gaps],
    )
    ax.axhline(0, color="black", linewidth=0.8)
    if result.weighted is not None:
        ax.axhline(
            result.weighted,
            color="grey",
            linestyle="--",
            label=f"weighted overall {result.weighted:+.2f}",
        )
        ax.legend(loc="best", fontsize=8)
    ax.set(
        ylabel="gap (perception - expectation)",
        title=f"SERVQUAL gaps by dimension ({result.n_respondents} respondents)",
    )
    return ax


def five_gaps(report: FiveGapsReport, *, ax: Any = None) -> Any:
    """The five gaps of each measure side by side (negative is a shortfall): rates in
    percentage points, times in hours."""
    measures = list(report.measures)
    if not measures:
        fail("report", "no measures", "has no measure gaps to draw")
    ax = _axes(ax, (8, 4.5))
    width = 0.8 / len(Gap)
    for offset, gap in enumerate(Gap):
        heights = []
        for measure in measures:
            value = report.measures[measure].gaps.get(gap)
            scale = 100 if measure.is_rate else 1
            heights.append(0.0 if value is None else value * scale)
        positions = [m + (offset - (len(Gap) - 1) / 2) * width for m in range(len(measures))]
        ax.bar(positions, heights, width=width, label=f"{gap.value} gap")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(range(len(measures)), [_present.label(m.value) for m in measures])
    ax.set(
        ylabel="gap (points for rates, hours for times)",
        title="The five gaps by service measure (negative is a shortfall)",
    )
    ax.legend(fontsize=8, ncols=len(Gap), loc="lower center", bbox_to_anchor=(0.5, -0.3))
    return ax


def measures_over_time(
    months: Mapping[date, ServiceKpis],
    measures: Sequence[ServiceMeasure] = (ServiceMeasure.ON_TIME_RATE,),
    *,
    standards: Iterable[ServiceStandard] = (),
    ax: Any = None,
) -> Any:
    """Each measure per period (e.g. from
    [`service_kpis_by_month()`][logicrm.quality.service_kpis_by_month]), with its standard
    (dashed) and promise (dotted) from ``standards``. A standard and a promise at the same
    level are one line, labelled with both; lines of different measures at one level take
    turns, segment by segment, so none hides another."""
    if not months:
        fail("months", {}, "needs at least one period to draw")
    ax = _axes(ax, (8, 4))
    periods = list(months)
    levels = {(s.measure, s.kind): s.target for s in standards}
    references: list[tuple[float, str, Any, str]] = []  # (level, style, colour, label)
    for measure in measures:
        scale = 100 if measure.is_rate else 1
        values = [months[p].value(measure) for p in periods]
        line = ax.plot(
            periods,
            [None if v is None else v * scale for v in values],
            marker="o",
            markersize=3,
            label=_present.label(measure.value),
        )[0]
        standard = levels.get((measure, StandardKind.STANDARD))
        promise = levels.get((measure, StandardKind.PROMISE))
        drawn = [(standard, "--", "standard"), (promise, ":", "promise")]
        if standard is not None and standard == promise:
            drawn = [(standard, "-.", "standard = promise")]
        for target, style, name in drawn:
            if target is not None:
                level = target * scale
                said = f"{_present.label(measure.value)} {name} {level:g}"
                references.append((level, style, line.get_color(), said))
    for level, style, colour, said in references:
        # Lines at one level take turns, segment by segment, so none hides another.
        same = [r for r in references if r[0] == level]
        turn = same.index((level, style, colour, said))
        dashes: Any = style if len(same) == 1 else (turn * 4, (4, 4 * (len(same) - 1)))
        ax.axhline(level, color=colour, linestyle=dashes, linewidth=1.2, label=said)
    ax.set(ylabel="% (rates) or hours", title="Service measures against their standards")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.figure.autofmt_xdate()
    return ax


def value_dimensions(score: ValueScore, *, ax: Any = None, title: str | None = None) -> Any:
    """A customer's value dimensions (0-100) as bars, with the combined score dashed."""
    if not score.dimensions:
        fail("score", "no dimensions", "has no dimension scores to draw")
    ax = _axes(ax, (6, 3.5))
    names = [_present.label(d.value) for d in score.dimensions]
    ax.barh(names, list(score.dimensions.values()), color=_SURPLUS)
    if score.score is not None:
        ax.axvline(score.score, color="black", linestyle="--", label=f"score {score.score:.1f}")
        ax.legend(fontsize=8, loc="lower right")
    ax.set(xlim=(0, 100), xlabel="score (0-100)", title=title or "Value dimensions")
    ax.invert_yaxis()
    return ax


def cost_to_serve(assessments: Iterable[Any], *, ax: Any = None, label: int = 8) -> Any:
    """Each customer's service cost as a share of its revenue (x) against its margin rate
    after service (y): where serving a customer eats its margin.

    Both axes are shares of the customer's own revenue, so a large and a small customer sit
    on one scale and freight (the shipments' cost) is on neither axis alone: x is the service
    cost (complaints, follow-ups, exceptions at the policy's prices) over revenue; y is the
    margin after shipment cost and service cost over revenue (``margin_rate``). A customer's
    gross margin rate is y + x, so customers on one falling diagonal earn the same before
    service. The dashed line at 0% is break-even: a customer below it costs more to serve
    than it earns, and is named (up to ``label`` of them, the largest losses first).
    Customers without revenue have no shares and are left out, with a note on the chart.

    Takes assessments (coloured by Pareto class) or
    [`Profitability`][logicrm.retention.Profitability] results.

    Raises:
        ValidationError: nothing with profitability and revenue to draw.
    """
    points, left_out = [], 0
    for item in assessments:
        profit = getattr(item, "profitability", item)
        if profit is None:
            continue
        if not profit.revenue > 0:
            left_out += 1
            continue
        cls = getattr(item, "abc_class", None)
        share = float(profit.service_cost / profit.revenue)
        rate = float(profit.margin / profit.revenue)
        points.append((profit.customer_id, share, rate, profit.margin, cls))
    if not points:
        fail("assessments", "none", "needs customers with profitability and revenue to draw")
    ax = _axes(ax, (7, 4.5))
    for cls in (*AbcClass, None):
        chosen = [(x, y) for _, x, y, _, c in points if c is cls]
        if chosen:
            ax.scatter(
                [x for x, _ in chosen],
                [y for _, y in chosen],
                color=_CLASS_COLOURS.get(cls, "#7f8c8d") if cls is not None else "#7f8c8d",
                edgecolor="black",
                linewidth=0.5,
                label=f"class {cls.name}" if cls is not None else "customers",
                zorder=3,
            )
    ax.axhline(0, color=_SHORTFALL, linestyle="--", linewidth=1, label="break-even")
    losers = sorted((p for p in points if p[3] < 0), key=lambda p: p[3])
    for customer_id, x, y, _, _ in losers[:label]:
        ax.annotate(
            customer_id,
            (x, y),
            textcoords="offset points",
            xytext=(5, -10),
            fontsize=8,
            color=_SHORTFALL,
        )
    xs = [x for _, x, _, _, _ in points]
    ys = [y for _, _, y, _, _ in points]
    pad_x = max(max(xs) * 0.1, 0.01)
    pad_y = max((max(ys) - min(ys)) * 0.1, 0.02)
    ax.set_xlim(-pad_x / 3, max(xs) + pad_x)  # a little room left of 0 for those at 0%
    ax.set_ylim(min(min(ys), 0) - pad_y, max(max(ys), 0) + pad_y)
    ax.xaxis.set_major_formatter(_percent)
    ax.yaxis.set_major_formatter(_percent)
    ax.set(
        xlabel="service cost as a share of revenue (complaints, follow-ups, exceptions)",
        ylabel="margin after service, share of revenue",
        title="Margin rate against service cost",
    )
    if left_out:
        ax.annotate(
            f"{left_out} customer{'s' if left_out > 1 else ''} without revenue not drawn",
            (1, 0),
            xycoords="axes fraction",
            xytext=(-4, 4),
            textcoords="offset points",
            ha="right",
            fontsize=7,
        )
    ax.legend(loc="upper right", fontsize=8)
    return ax


def policy_backtests(
    comparison: Any, *, ax: Any = None, labels: tuple[str, str] = ("first", "second")
) -> Any:
    """Precision and recall of the churn flag and the churn rule under two policies (a
    [`BacktestComparison`][logicrm.BacktestComparison]), or under one (a
    [`Backtest`][logicrm.Backtest]). A rate the data could not support (``None``) is drawn
    as an empty bar marked "n/a".

    Examples:
        >>> from datetime import timedelta
        >>> import logicrm as lc
        >>> from logicrm.sample import sample_dataset
        >>> data = sample_dataset()
        >>> one = lc.backtest(data.customers, data.shipments,
        ...                   cutoff=data.as_of - timedelta(days=180), horizon=timedelta(days=180))
        >>> policy_backtests(lc.compare_backtests(one, one)).get_title()
        'Churn flags backtested under two policies'
        >>> policy_backtests(one).get_title()
        'Churn flags backtested'
    """
    pairs = hasattr(comparison, "second")
    sides = (
        ((comparison.first, labels[0], "#1b4f72"), (comparison.second, labels[1], "#5dade2"))
        if pairs
        else ((comparison, "policy", "#1b4f72"),)
    )
    figures = [
        (check, rate) for check in ("churn_flag", "churn_risk") for rate in ("precision", "recall")
    ]
    ax = _axes(ax, (7, 4))
    width = 0.38 if pairs else 0.6
    for side, (result, label, colour) in enumerate(sides):
        xs = [i + (side - 0.5) * width if pairs else float(i) for i in range(len(figures))]
        values = [getattr(getattr(result, check), rate) for check, rate in figures]
        ax.bar(xs, [v or 0.0 for v in values], width, color=colour, label=label)
        for x, value in zip(xs, values, strict=True):
            ax.annotate(
                "n/a" if value is None else f"{value:.0%}",
                (x, value or 0.0),
                textcoords="offset points",
                xytext=(0, 3),
                ha="center",
                fontsize=8,
            )
    ax.set_xticks(range(len(figures)))
    ax.set_xticklabels([f"{check.replace('_', ' ')}\n{rate}" for check, rate in figures])
    ax.set_ylim(0, 1.1)
    ax.yaxis.set_major_formatter(_percent)
    ax.set(title="Churn flags backtested under two policies" if pairs else "Churn flags backtested")
    ax.legend(loc="upper right", fontsize=8)
    return ax


def holdout_purchases(checks: Mapping[str, Any], *, ax: Any = None) -> Any:
    """Mean holdout purchases by calibration frequency: the actual ones and each model's
    expectation, from [`holdout_check()`][logicrm.models.holdout_check] results by model name
    (all made on the same split).

    Raises:
        ValidationError: no checks.
    """
    if not checks:
        fail("checks", "none", "needs at least one holdout check to draw")
    ax = _axes(ax, (7, 4))
    first = next(iter(checks.values()))
    xs = [row.frequency for row in first.by_frequency]
    ax.plot(xs, [row.actual for row in first.by_frequency], "o-", color="black", label="actual")
    for name, check in checks.items():
        rows = check.by_frequency
        ax.plot([r.frequency for r in rows], [r.predicted for r in rows], "s--", label=name)
    ax.set(
        xlabel="repeat purchases in the calibration period",
        ylabel="mean purchases in the holdout period",
        title="Holdout purchases: actual against expected",
    )
    ax.legend(loc="upper left", fontsize=8)
    return ax
