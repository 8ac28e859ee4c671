"""The five gaps of Parasuraman, Zeithaml and Berry, measured from operational data."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType

import attrs

from logicrm._present import label, measure_value
from logicrm.domain import Dimension, Reason, ServiceMeasure, ServiceStandard
from logicrm.domain._checks import fail
from logicrm.domain._money import in_library_context
from logicrm.domain._survey import DEFAULT_SCALE
from logicrm.quality._kpis import ServiceKpis
from logicrm.quality._servqual import ServqualResult


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
# Dimension gaps are Likert points; over the scale they rank beside relative shortfalls.
_SCALE = DEFAULT_SCALE


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
    """The report's worst gap: of every shortfall it measured, the largest relative to its
    reference level (a rate's shortfall over the level it falls short of; a SERVQUAL
    dimension's over the 7-point scale).

    This is the one meaning of "worst gap" in logicrm: the report's first reason, the
    ``worst_gap`` column of ``logicrm score`` and the demo all name it. It answers "where do
    we fall short most?"; what *explains* a service shortfall is another question, answered
    by [`MeasureGaps.explained_by`][logicrm.quality.MeasureGaps].

    Attributes:
        gap: which of the five gaps.
        where: the service measure or SERVQUAL dimension (its value, ``"on_time_rate"``).
        size: the gap itself, oriented so that negative is a shortfall (a share for rates,
            hours for order cycles, Likert points for dimensions).
        relative: ``size`` over its reference level: how the gaps were ranked.
    """

    gap: Gap
    where: str
    size: float
    relative: float

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
        reasons: the three worst gaps, worst first, then which earlier gap most explains
            each service shortfall.
        worst: the [`WorstGap`][logicrm.quality.WorstGap] (``None`` when nothing falls
            short).
    """

    measures: Mapping[ServiceMeasure, MeasureGaps] = attrs.field(hash=False)
    dimensions: Mapping[Dimension, Mapping[Gap, float]] = attrs.field(hash=False)
    reasons: tuple[Reason, ...]
    worst: WorstGap | None = None

    def _repr_html_(self) -> str:
        """The notebook view: fields, nested results and reasons as HTML."""
        from logicrm._html import render

        return render(self)


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
    """
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
    measures: dict[ServiceMeasure, MeasureGaps] = {}
    # (relative shortfall, code, message, the gap, where, its size)
    ranked: list[tuple[float, str, str, Gap, str, float]] = []
    reasons: list[Reason] = []
    for measure in ServiceMeasure:
        row = dict(levels.get(measure, {}))
        delivered = kpis.value(measure)
        if delivered is not None:
            row["delivered"] = delivered
        gaps: dict[Gap, float] = {}
        for gap, actual, reference in _DEFINITIONS:
            if actual in row and reference in row:
                value = oriented(measure, row[actual], row[reference])
                gaps[gap] = value
                if value < 0:
                    scale = abs(row[reference]) or 1.0
                    ranked.append(
                        (
                            value / scale,
                            f"gap.{gap.value}.{measure.value}",
                            f"{gap.value} gap on {label(measure.value)}: "
                            f"{measure_value(measure.value, row[actual])} against {reference} "
                            f"{measure_value(measure.value, row[reference])}",
                            gap,
                            measure.value,
                            value,
                        )
                    )
        if not gaps:
            continue
        explained = None
        if gaps.get(Gap.SERVICE, 0.0) < 0:
            earlier = [(gaps[g], g) for g in _EARLIER if g in gaps and gaps[g] < 0]
            if earlier:
                explained = min(earlier, key=lambda pair: pair[0])[1]
                reasons.append(
                    Reason(
                        f"gap.service.{measure.value}.explained_by",
                        f"the {explained.value} gap explains most of the {measure.value} shortfall",
                        gaps[explained],
                    )
                )
        measures[measure] = MeasureGaps(
            measure, MappingProxyType(row), MappingProxyType(gaps), explained
        )
    dimensions: dict[Dimension, dict[Gap, float]] = {}
    if servqual is not None:
        for dimension, value in servqual.dimension_gaps.items():
            dimensions.setdefault(dimension, {})[Gap.SERVICE] = value
            if value < 0:
                ranked.append(
                    (
                        value / _SCALE,
                        f"gap.service.{dimension.value}",
                        f"service gap on {dimension.value}: perception {-value:.2f} "
                        "points below expectation",
                        Gap.SERVICE,
                        dimension.value,
                        value,
                    )
                )
    if servqual is not None and management is not None:
        for dimension, believed in management.expectations.items():
            expected = servqual.expectations.get(dimension)
            if expected is None:
                continue
            value = believed - expected
            dimensions.setdefault(dimension, {})[Gap.KNOWLEDGE] = value
            if value < 0:
                ranked.append(
                    (
                        value / _SCALE,
                        f"gap.knowledge.{dimension.value}",
                        f"knowledge gap on {dimension.value}: management expects "
                        f"{-value:.2f} points less than customers do",
                        Gap.KNOWLEDGE,
                        dimension.value,
                        value,
                    )
                )
    ranked.sort(key=lambda entry: (entry[0], entry[1]))
    worst = [Reason(code, message, share) for share, code, message, *_ in ranked[:3]]
    first = WorstGap(ranked[0][3], ranked[0][4], ranked[0][5], ranked[0][0]) if ranked else None
    return FiveGapsReport(
        measures=MappingProxyType(measures),
        dimensions=MappingProxyType(
            {d: MappingProxyType(dimensions[d]) for d in Dimension if d in dimensions}
        ),
        reasons=(*worst, *reasons),
        worst=first,
    )
