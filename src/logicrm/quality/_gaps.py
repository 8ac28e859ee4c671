"""The five gaps of Parasuraman, Zeithaml and Berry, measured from operational data."""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType

import attrs

from logicrm.domain import Dimension, Reason, ServiceMeasure, ServiceStandard
from logicrm.domain._checks import fail
from logicrm.domain._money import in_library_context
from logicrm.domain._survey import DEFAULT_SCALE
from logicrm.quality._kpis import ServiceKpis
from logicrm.quality._servqual import ServqualResult
from logicrm.scoring._per_policy import per_policy


class Gap(StrEnum):
    """The five gaps (管理人员认识 / 质量标准 / 服务绩效 / 营销沟通 / 客户期望与实际的差距)."""

    KNOWLEDGE = "knowledge"
    STANDARDS = "standards"
    DELIVERY = "delivery"
    COMMUNICATION = "communication"
    SERVICE = "service"


# Each measure-level gap: (actual, reference) by StandardKind, or "delivered".
_DEFINITIONS: tuple[tuple[Gap, str, str], ...] = (
    (Gap.KNOWLEDGE, "belief", "requirement"),
    (Gap.STANDARDS, "standard", "belief"),
    (Gap.DELIVERY, "delivered", "standard"),
    (Gap.COMMUNICATION, "delivered", "promise"),
    (Gap.SERVICE, "delivered", "requirement"),
)
_EARLIER = (Gap.KNOWLEDGE, Gap.STANDARDS, Gap.DELIVERY)
# The gaps that compare the service delivered with a level it is held to, and the word for
# that level; on a tie in points the customer's own gap (service) is named first.
_SHORTFALLS: dict[Gap, str] = {
    Gap.SERVICE: "requirement",
    Gap.DELIVERY: "standard",
    Gap.COMMUNICATION: "promise",
}


@attrs.frozen
class MeasureGaps:
    """The gaps of one service measure, each oriented so that negative is a shortfall.

    Attributes:
        measure: the [`ServiceMeasure`][logicrm.domain.ServiceMeasure].
        levels: the inputs: ``"delivered"`` and each [`StandardKind`][logicrm.domain.StandardKind]
            given.
        gaps: each [`Gap`][logicrm.quality.Gap] whose two inputs are known.
        explained_by: for a service shortfall, the earlier gap (knowledge, standards or
            delivery) with the largest shortfall. The three add up exactly to the service
            gap when all are known: (belief - requirement) + (standard - belief) +
            (delivered - standard) = delivered - requirement.
    """

    measure: ServiceMeasure
    levels: Mapping[str, float] = attrs.field(hash=False)
    gaps: Mapping[Gap, float] = attrs.field(hash=False)
    explained_by: Gap | None = None

    def _repr_html_(self) -> str:
        """The notebook view: fields, nested results and reasons as HTML."""
        from logicrm._html import render

        return render(self)


@attrs.frozen
class WorstGap:
    """The report's worst gap: the largest shortfall, in points, of a service measure or a
    SERVQUAL dimension that is actually short.

    This is the one meaning of "worst gap" in logicrm: the report's first reason, the
    ``worst_gap`` and ``worst_gap_size`` columns of ``logicrm score`` and the demo all name
    it. It answers "where does the service we deliver fall short most?":

    - a **measure is short** when what was delivered falls below a level it is held to: the
      customers' requirement (the service gap), the company's standard (the delivery gap) or
      the promise (the communication gap). A measure that meets all of the levels it is given
      is never the worst gap, however far management's belief or standard is from the
      requirement: the knowledge and standards gaps compare management's own levels, not the
      service, and they *explain* a shortfall
      ([`MeasureGaps.explained_by`][logicrm.quality.MeasureGaps]) rather than being one;
    - a **SERVQUAL dimension is short** when perception falls below expectation.

    Shortfalls are compared in **points**, so that one on-time point weighs the same however
    high the requirement is: a rate's shortfall in percentage points (91.7% delivered against
    97% required is 5.3 points); an order-cycle measure, which has no scale of its own, in
    percent of the level it falls short of (60 hours against a 48-hour standard is 25 points).
    **Measures come before dimensions**: a SERVQUAL dimension is the worst gap only when no
    measure is short. The measures are counted from every shipment against levels the company
    stated; a dimension gap is a sample of opinions in Likert points, and logicrm does not
    invent a rate at which a Likert point trades against a percentage point. Among dimensions
    the points are Likert points. Ties go to the service gap, then the delivery gap, then the
    communication gap.

    Attributes:
        gap: which of the five gaps (service, delivery or communication for a measure;
            service for a dimension).
        where: the service measure or SERVQUAL dimension (its value, ``"on_time_rate"``).
        size: the gap itself, oriented so that negative is a shortfall (a share for rates,
            hours for order cycles, Likert points for dimensions).
        relative: ``size`` over the level it falls short of (for a dimension, over the
            7-point scale's top); for information, not for ranking.
        points: ``size`` in points, negative (how the shortfalls were ranked): percentage
            points for a rate, percent of the level for an order cycle, Likert points for a
            dimension.
        against: the level it falls short of: ``"requirement"``, ``"standard"``,
            ``"promise"`` or, for a dimension, ``"expectation"``.
    """

    gap: Gap
    where: str
    size: float
    relative: float
    points: float | None = None
    against: str | None = None

    def _repr_html_(self) -> str:
        """The notebook view: fields, nested results and reasons as HTML."""
        from logicrm._html import render

        return render(self)


@attrs.frozen
class FiveGapsReport:
    """The gap model per service measure and per SERVQUAL dimension, with the worst named.

    Attributes:
        measures: [`MeasureGaps`][logicrm.quality.MeasureGaps] per measure that has any gap.
        dimensions: per [`Dimension`][logicrm.domain.Dimension], the knowledge gap (management's
            belief about expectations minus customers' expectations, from a management survey) and
            the service gap (perception minus expectation, SERVQUAL).
        reasons: the largest shortfall of each of the three worst-off measures or dimensions,
            worst first (the first is the [`WorstGap`][logicrm.quality.WorstGap]), or
            ``gap.worst.none`` when nothing is short; then which earlier gap most explains
            each service shortfall.
        worst: the [`WorstGap`][logicrm.quality.WorstGap] (``None`` when no measure is short
            of its requirement, standard or promise and no dimension of its expectation).
    """

    measures: Mapping[ServiceMeasure, MeasureGaps] = attrs.field(hash=False)
    dimensions: Mapping[Dimension, Mapping[Gap, float]] = attrs.field(hash=False)
    reasons: tuple[Reason, ...]
    worst: WorstGap | None = None

    def _repr_html_(self) -> str:
        """The notebook view: fields, nested results and reasons as HTML."""
        from logicrm._html import render

        return render(self)


_MEASURES = tuple(ServiceMeasure)
_DIMENSIONS = tuple(Dimension)
_ORDER = {gap: index for index, gap in enumerate(_SHORTFALLS)}
# Enum members read once: reading one off its class costs a descriptor call each time.
_SERVICE = Gap.SERVICE
_SERVICE_ORDER = _ORDER[_SERVICE]
# An enum's .value is a property: read once.
_GAP_NAMES = {gap: gap.value for gap in Gap}
_DIMENSION_NAMES = {dimension: dimension.value for dimension in _DIMENSIONS}


@attrs.frozen
class _MeasurePlan:
    """What the standards give one measure, worked out once per tuple of standards: its
    levels, and the gaps those levels make without and with the delivered figure."""

    measure: ServiceMeasure
    name: str
    levels: dict[str, float]
    higher_is_better: bool
    is_rate: bool
    # (gap, minuend, subtrahend): the gap is row[minuend] - row[subtrahend], oriented
    without_delivered: tuple[tuple[Gap, str, str], ...]
    with_delivered: tuple[tuple[Gap, str, str], ...]
    # (gap, level, code): the gaps that can be a shortfall, the level they compare with, and
    # the code of the reason that names it
    shortfalls: tuple[tuple[Gap, str, str], ...]


def _measure_plan(measure: ServiceMeasure, levels: dict[str, float]) -> _MeasurePlan:
    higher = measure.higher_is_better

    def known(names: set[str]) -> tuple[tuple[Gap, str, str], ...]:
        return tuple(
            (gap, actual, reference) if higher else (gap, reference, actual)
            for gap, actual, reference in _DEFINITIONS
            if actual in names and reference in names
        )

    return _MeasurePlan(
        measure,
        measure.value,
        levels,
        higher,
        measure.is_rate,
        known(set(levels)),
        known({*levels, "delivered"}),
        tuple(
            (gap, against, f"gap.{gap.value}.{measure.value}")
            for gap, against in _SHORTFALLS.items()
            if against in levels
        ),
    )


def _plan(standards: Iterable[ServiceStandard]) -> tuple[_MeasurePlan, ...]:
    """Each measure with a level, in measure order, from the standards (checked: one of
    each kind per measure). A tuple's plan is remembered: an assessment run gives every
    customer the same tuple, and a tuple of frozen records cannot change."""
    if type(standards) is tuple:
        return _tuple_plan(standards)
    return _read_plan(standards)


@per_policy
def _tuple_plan(standards: tuple[ServiceStandard, ...]) -> tuple[_MeasurePlan, ...]:
    return _read_plan(standards)


def _read_plan(standards: Iterable[ServiceStandard]) -> tuple[_MeasurePlan, ...]:
    levels: dict[ServiceMeasure, dict[str, float]] = {}
    for index, level in enumerate(standards):
        if not isinstance(level, ServiceStandard):
            fail(f"standards[{index}]", level, "must be a ServiceStandard")
        row = levels.setdefault(level.measure, {})
        if level.kind.value in row:
            fail(
                f"standards[{index}]", level.measure.value, f"has a second {level.kind.value} level"
            )
        row[level.kind.value] = float(level.target)
    return tuple(_measure_plan(m, levels[m]) for m in _MEASURES if m in levels)


def oriented(measure: ServiceMeasure, actual: float, reference: float) -> float:
    """``actual - reference`` turned so that negative is always a shortfall."""
    return actual - reference if measure.higher_is_better else reference - actual


@in_library_context
def five_gaps(
    kpis: ServiceKpis,
    standards: Iterable[ServiceStandard],
    *,
    servqual: ServqualResult | None = None,
    management: ServqualResult | None = None,
) -> FiveGapsReport:
    """Measure the five gaps per service measure and per SERVQUAL dimension.

    Per measure, from ``kpis`` (what was delivered) and ``standards`` (customers'
    requirements, management's beliefs about them, the company's standards, and promises):

    - **knowledge** = belief vs requirement;
    - **standards** = standard vs belief;
    - **delivery** = delivered vs standard;
    - **communication** = delivered vs promise;
    - **service** = delivered vs requirement.

    Each is oriented so that a negative number is a shortfall, whichever way the measure
    runs (for a damage rate, delivering 1.2% against a 1% standard is a delivery gap of
    -0.002). Per dimension, from SERVQUAL: the **service** gap is ``servqual``'s
    perception minus expectation, and the **knowledge** gap is ``management``'s expectations
    (a management survey on the same items, where managers score what they believe
    customers expect) minus the customers' expectations.

    The worst gap (``worst`` and the first reason) is the largest shortfall in points on a
    measure or dimension that is short; see [`WorstGap`][logicrm.quality.WorstGap] for the
    one definition.

    Raises:
        ValidationError: two levels of the same kind for one measure.

    Examples:
        >>> from logicrm.quality import service_kpis
        >>> from logicrm.sample import sample_dataset
        >>> kpis = service_kpis(sample_dataset().shipments)
        >>> report = five_gaps(kpis, [
        ...     ServiceStandard(measure="on_time_rate", kind="requirement", target=0.97),
        ...     ServiceStandard(measure="on_time_rate", kind="belief", target=0.95),
        ...     ServiceStandard(measure="on_time_rate", kind="standard", target=0.95)])
        >>> report.measures["on_time_rate"].explained_by.value
        'delivery'
        >>> report.worst.gap.value, report.worst.where, round(report.worst.points, 2)
        ('service', 'on_time_rate', -5.29)
    """
    knowledge: dict[Dimension, float] = {}
    if servqual is not None and management is not None:
        for dimension, believed in management.expectations.items():
            expected = servqual.expectations.get(dimension)
            if expected is not None:
                knowledge[dimension] = believed - expected
    return measured_gaps(
        kpis, standards, None if servqual is None else servqual.dimension_gaps, knowledge
    )


def measured_gaps(
    kpis: ServiceKpis,
    standards: Iterable[ServiceStandard],
    service: Mapping[Dimension, float] | None,
    knowledge: Mapping[Dimension, float],
) -> FiveGapsReport:
    """``five_gaps()`` from the SERVQUAL figures it reads: each dimension's service gap
    (perception minus expectation) and knowledge gap (management's belief minus customers'
    expectation), in the library's decimal context."""
    measures: dict[ServiceMeasure, MeasureGaps] = {}
    shortfalls: list[_Shortfall] = []
    reasons: list[Reason] = []
    for plan in _plan(standards):
        row = dict(plan.levels)
        delivered = kpis.value(plan.measure)
        gaps: dict[Gap, float] = {}
        if delivered is None:  # "delivered" alone makes no gap, nor a shortfall
            for gap, minuend, subtrahend in plan.without_delivered:
                gaps[gap] = row[minuend] - row[subtrahend]
        else:
            row["delivered"] = delivered
            for gap, minuend, subtrahend in plan.with_delivered:
                gaps[gap] = row[minuend] - row[subtrahend]
            for gap, against, code in plan.shortfalls:
                size = gaps[gap]
                if size < 0:
                    shortfalls.append(_measure_shortfall(plan, gap, against, code, row, size))
        if not gaps:
            continue
        explained = None
        if gaps.get(_SERVICE, 0.0) < 0:
            largest = 0.0  # the earlier gap with the largest shortfall; the first on a tie
            for g in _EARLIER:
                size = gaps.get(g, 0.0)
                if size < largest:
                    explained, largest = g, size
            if explained is not None:
                reasons.append(
                    Reason(
                        f"gap.service.{plan.name}.explained_by",
                        f"the {_GAP_NAMES[explained]} gap explains most of the {plan.name} "
                        "shortfall",
                        gaps[explained],
                    )
                )
        measures[plan.measure] = MeasureGaps(
            plan.measure, MappingProxyType(row), MappingProxyType(gaps), explained
        )
    if service is not None:
        for dimension, value in service.items():
            if value < 0:
                where = (
                    _DIMENSION_NAMES[dimension] if type(dimension) is Dimension else dimension.value
                )
                shortfalls.append(
                    (
                        (True, value or 0.0, _SERVICE_ORDER, where),
                        (_SERVICE, where, value, value / DEFAULT_SCALE, value, "expectation"),
                        f"gap.service.{where}",
                        None,
                    )
                )
    worst_reasons, worst = _worst(shortfalls)
    return FiveGapsReport(
        measures=MappingProxyType(measures),
        dimensions=_dimension_gaps(service or {}, knowledge),
        reasons=(*worst_reasons, *reasons),
        worst=worst,
    )


def _dimension_gaps(
    service: Mapping[Dimension, float], knowledge: Mapping[Dimension, float]
) -> Mapping[Dimension, Mapping[Gap, float]]:
    """Each dimension's service and knowledge gaps, in dimension order."""
    if not knowledge:  # as every assessment reads them: the service gaps alone
        return MappingProxyType(
            {d: MappingProxyType({_SERVICE: service[d]}) for d in _DIMENSIONS if d in service}
        )
    dimensions: dict[Dimension, dict[Gap, float]] = {}
    for dimension, value in service.items():
        dimensions.setdefault(dimension, {})[Gap.SERVICE] = value
    for dimension, size in knowledge.items():
        dimensions.setdefault(dimension, {})[Gap.KNOWLEDGE] = size
    return MappingProxyType(
        {d: MappingProxyType(dimensions[d]) for d in _DIMENSIONS if d in dimensions}
    )


# A shortfall, ranked before it is worded, since only the three worst-off places are:
# - its rank, smallest first: (a dimension, points or 0, the gap's place in _SHORTFALLS, where);
# - its WorstGap's fields: (gap, where, size, relative, points, against);
# - its reason's code;
# - what its words quote: (delivered, level, plan) for a measure, None for a dimension.
_Shortfall = tuple[
    tuple[bool, float, int, str],
    tuple[Gap, str, float, float, float, str],
    str,
    tuple[float, float, _MeasurePlan] | None,
]
_RANK = operator.itemgetter(0)


def _measure_shortfall(
    plan: _MeasurePlan, gap: Gap, against: str, code: str, row: Mapping[str, float], value: float
) -> _Shortfall:
    """One measure's shortfall against one level, in points (see ``WorstGap``)."""
    level = row[against]
    relative = value / (abs(level) or 1.0)
    points = value * 100 if plan.is_rate else relative * 100
    return (
        (False, points or 0.0, _ORDER[gap], plan.name),
        (gap, plan.name, value, relative, points, against),
        code,
        (row["delivered"], level, plan),
    )


def _words(shortfall: _Shortfall) -> str:
    """A shortfall's message."""
    (gap, where, value, _, points, against), quoted = shortfall[1], shortfall[3]
    if quoted is None:
        return f"service gap on {where}: perception {-value:.2f} points below expectation"
    delivered, level, plan = quoted
    word = "short" if plan.higher_is_better else "over"
    if plan.is_rate:
        shown = f"{-points:.2f}" if points <= -0.005 else "under 0.01"
        text = f"{delivered:.2%} against {against} {level:.2%}, {shown} pt {word}"
    else:
        text = f"{delivered:.1f} h against {against} {level:.4g} h, {-value:.1f} h {word}"
        text += f" ({-points:.0f}% of it)"
    return f"{_GAP_NAMES[gap]} gap on {where}: {text}"


def _worst(shortfalls: list[_Shortfall]) -> tuple[list[Reason], WorstGap | None]:
    """The largest shortfall of each of the three worst-off places, worst first, as reasons;
    and the worst shortfall of all."""
    if not shortfalls:
        return [Reason("gap.worst.none", "no measure short of its standard", None)], None
    ranked = sorted(shortfalls, key=_RANK)
    chosen: dict[str, _Shortfall] = {}
    for shortfall in ranked:
        chosen.setdefault(shortfall[1][1], shortfall)
        if len(chosen) == 3:
            break
    reasons = [Reason(s[2], _words(s), s[1][4]) for s in chosen.values()]
    return reasons, WorstGap(*ranked[0][1])
