"""SERVQUAL: perception minus expectation, per item, per dimension, weighted by importance."""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Mapping
from fractions import Fraction
from types import MappingProxyType

import attrs

from logicrm.domain import Dimension, Reason, SurveyResponse
from logicrm.domain._checks import fail
from logicrm.domain._money import in_library_context


@attrs.frozen
class ServqualResult:
    """The SERVQUAL gaps of a set of responses (negative: service fell short).

    Attributes:
        item_gaps: item -> mean of P - E over the respondents who answered it.
        dimension_gaps: [`Dimension`][logicrm.domain.Dimension] -> mean of its items' gaps.
        unweighted: mean of the dimension gaps (``None`` without answers).
        weighted: sum of weight x dimension gap, weights normalised to sum 1 over the
            dimensions present; ``None`` without weights.
        weights: the normalised weights used.
        expectations: dimension -> mean of its items' mean expectations (what customers
            expect; the five-gap model's reference for the knowledge gap).
        n_respondents: responses counted.
        reasons: the largest shortfalls, and how the weights were chosen.
    """

    item_gaps: Mapping[str, float] = attrs.field(hash=False)
    dimension_gaps: Mapping[Dimension, float] = attrs.field(hash=False)
    unweighted: float | None
    weighted: float | None
    weights: Mapping[Dimension, float] = attrs.field(hash=False)
    expectations: Mapping[Dimension, float] = attrs.field(hash=False)
    n_respondents: int
    reasons: tuple[Reason, ...] = ()

    def _repr_html_(self) -> str:
        """The notebook view: fields, nested results and reasons as HTML."""
        from logicrm._html import render

        return render(self)


def _weights(raw: Mapping[Dimension, float] | Mapping[str, float]) -> dict[Dimension, Fraction]:
    if not isinstance(raw, Mapping):
        fail("weights", raw, "must map dimension -> weight")
    result: dict[Dimension, Fraction] = {}
    for key, value in raw.items():
        try:
            dimension = Dimension(key)
        except ValueError:
            fail("weights", key, f"is not a SERVQUAL dimension {[d.value for d in Dimension]}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            fail(f"weights.{dimension.value}", value, "must be a number")
        if not math.isfinite(value) or value < 0:
            fail(f"weights.{dimension.value}", value, "must be finite and >= 0")
        result[dimension] = Fraction(value)
    if sum(result.values()) <= 0:
        fail("weights", dict(raw), "must give some dimension a weight above 0")
    return result


_DIMENSIONS = tuple(Dimension)
_Ratio = tuple[int, int]  # an exact rational: numerator, denominator above 0
# An item's figures: [sum of gaps, answers, sum of expectations].
_GAPS, _EXPECTATIONS = 0, 2
_ANSWERS = operator.itemgetter(1)


def _plus(a: _Ratio, b: _Ratio) -> _Ratio:
    top, bottom = a[0] * b[1] + b[0] * a[1], a[1] * b[1]
    common = math.gcd(top, bottom)
    return top // common, bottom // common


def _total(ratios: Iterable[_Ratio]) -> _Ratio:
    result = (0, 1)
    for ratio in ratios:
        result = _plus(result, ratio)
    return result


@in_library_context
def servqual(
    responses: Iterable[SurveyResponse],
    *,
    weights: Mapping[Dimension, float] | Mapping[str, float] | None = None,
) -> ServqualResult:
    """SERVQUAL gaps: item gap = mean(P - E), dimension gap = mean of its items' gaps.

    The weighted score uses ``weights`` when given, else the mean of the respondents'
    importance points (the original instrument's 100-point allocation; each respondent's
    points taken as shares of their own total), else it is
    ``None``. Weights are normalised to sum 1 over the dimensions that have items; a
    weighted dimension without items is left out with a reason. Means are exact.

    Raises:
        ValidationError: bad weights, or one item filed under two dimensions.

    Examples:
        >>> from logicrm.sample import sample_dataset
        >>> result = servqual(sample_dataset().survey_responses)
        >>> min(result.dimension_gaps, key=result.dimension_gaps.get).value
        'reliability'
    """
    given = None if weights is None else _weights(weights)
    importance: dict[Dimension, _Ratio] = {}
    count, with_importance, sums, by_dimension = _tally(responses, importance)
    dimension_gaps = _means(by_dimension, _GAPS)
    expectations = _means(by_dimension, _EXPECTATIONS)
    unweighted = None
    if dimension_gaps:
        top, bottom = _total(dimension_gaps.values())
        unweighted = top / (bottom * len(dimension_gaps))

    reasons: list[Reason] = []
    source = None if given is None else {d: (w.numerator, w.denominator) for d, w in given.items()}
    if source is None and with_importance:
        source = {d: (top, bottom * with_importance) for d, (top, bottom) in importance.items()}
        reasons.append(
            Reason(
                "servqual.weights.importance",
                f"weights: mean importance points of {with_importance} respondents",
            )
        )
    used: dict[Dimension, _Ratio] = {}
    weighted: float | None = None
    if source is not None:
        left_out = [d for d, w in source.items() if w[0] > 0 and d not in dimension_gaps]
        for dimension in left_out:
            reasons.append(
                Reason(
                    "servqual.weights.left_out",
                    f"{dimension.value} has weight but no items: left out",
                )
            )
        present = {d: w for d, w in source.items() if d in dimension_gaps and w[0] > 0}
        weight_top, weight_bottom = _total(present.values())
        if weight_top:
            used = {d: (t * weight_bottom, b * weight_top) for d, (t, b) in present.items()}
            top, bottom = _total(
                (t * dimension_gaps[d][0], b * dimension_gaps[d][1]) for d, (t, b) in used.items()
            )
            weighted = top / bottom
    gaps = {d: g / b for d, (g, b) in dimension_gaps.items()}
    common = math.lcm(*(b for _, b in dimension_gaps.values()))  # exact order, in ints
    worst = sorted(
        dimension_gaps, key=lambda d: dimension_gaps[d][0] * (common // dimension_gaps[d][1])
    )
    for dimension in worst[:2]:
        if dimension_gaps[dimension][0] < 0:
            gap = gaps[dimension]
            reasons.append(
                Reason(
                    f"servqual.{dimension.value}",
                    f"{dimension.value}: perception {-gap:.2f} points below expectation",
                    gap,
                )
            )
    return ServqualResult(
        # g / n is the correctly rounded float of the exact mean, as float(Fraction(g, n)).
        item_gaps=MappingProxyType({k: g / n for k, (g, n, _) in sorted(sums.items())}),
        dimension_gaps=MappingProxyType(gaps),
        unweighted=unweighted,
        weighted=weighted,
        weights=MappingProxyType({d: used[d][0] / used[d][1] for d in _DIMENSIONS if d in used}),
        expectations=MappingProxyType({d: e / b for d, (e, b) in expectations.items()}),
        n_respondents=count,
        reasons=tuple(reasons),
    )


def _tally(
    responses: Iterable[SurveyResponse], importance: dict[Dimension, _Ratio] | None
) -> tuple[int, int, dict[str, list[int]], dict[Dimension, list[list[int]]]]:
    """Check the responses and count them: the responses, those with importance points and,
    per item, [sum of gaps, answers, sum of expectations], by item and by dimension. Each
    respondent's points, as exact shares of their own total, are added into ``importance``
    when it is given."""
    item_dimension: dict[str, Dimension] = {}
    sums: dict[str, list[int]] = {}
    by_dimension: dict[Dimension, list[list[int]]] = {}
    with_importance = 0
    count = 0
    for index, response in enumerate(responses):
        if not isinstance(response, SurveyResponse):
            fail(f"responses[{index}]", response, "must be a SurveyResponse")
        count += 1
        for answer in response.answers:
            item, dimension, expectation = answer.item, answer.dimension, answer.expectation
            row = sums.get(item)
            if row is None:
                item_dimension[item] = dimension
                sums[item] = row = [answer.perception - expectation, 1, expectation]  # the gap
                by_dimension.setdefault(dimension, []).append(row)
                continue
            known = item_dimension[item]
            if known is not dimension:
                fail(
                    f"responses[{index}].answers.{item}",
                    dimension.value,
                    f"item already belongs to {known.value}",
                )
            row[0] += answer.perception - expectation
            row[1] += 1
            row[2] += expectation
        if response.importance is not None:
            with_importance += 1
            # an infinite total (points near the float's limit) fails here, weights read or not
            total, over = sum(response.importance.values()).as_integer_ratio()
            if importance is None:
                continue
            for dimension, points in response.importance.items():
                top, bottom = points.as_integer_ratio()
                share = (top * over, bottom * total)  # points / total, exactly
                sofar = importance.get(dimension)
                importance[dimension] = share if sofar is None else _plus(sofar, share)
    return count, with_importance, sums, by_dimension


def _means(
    by_dimension: Mapping[Dimension, list[list[int]]], column: int
) -> dict[Dimension, _Ratio]:
    """Each dimension's mean of its items' means of one sum (``_GAPS`` or ``_EXPECTATIONS``),
    exactly."""
    # Every figure is an exact rational (numerator, positive denominator) of plain ints: a
    # dimension's mean of its items' means is the items' sums over one common denominator.
    # A float is the correctly rounded quotient of the two ints, as float(Fraction) is.
    means: dict[Dimension, _Ratio] = {}
    for d in _DIMENSIONS:
        rows = by_dimension.get(d)
        if rows:
            common = math.lcm(*map(_ANSWERS, rows))
            total = 0
            for row in rows:
                total += row[column] * (common // row[1])
            means[d] = (total, common * len(rows))
    return means


def survey_dimension_gaps(responses: Iterable[SurveyResponse]) -> dict[Dimension, float]:
    """``servqual(responses).dimension_gaps`` alone, with the same checks and errors: what
    the five gaps read of a survey, without the weights, reasons and other figures."""
    by_dimension = _tally(responses, None)[3]
    return {d: g / b for d, (g, b) in _means(by_dimension, _GAPS).items()}
