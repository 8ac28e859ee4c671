"""SERVQUAL survey answers: expectation and perception per item, on a Likert scale."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

import attrs

from logicrm.domain._checks import check_aware, check_optional_text, check_text, fail
from logicrm.domain._checks import to_enum as _to_enum

LIKERT_MIN = 1
LIKERT_MAX = 10  # widest scale accepted; a response's own ``scale`` narrows it
DEFAULT_SCALE = 7


class Dimension(StrEnum):
    """The five SERVQUAL dimensions."""

    TANGIBLES = "tangibles"
    RELIABILITY = "reliability"
    RESPONSIVENESS = "responsiveness"
    ASSURANCE = "assurance"
    EMPATHY = "empathy"


def _dimension(value: object) -> Dimension:
    return _to_enum(Dimension, "dimension", value)


def _score(field: str, value: object) -> None:
    if type(value) is not int or not LIKERT_MIN <= value <= LIKERT_MAX:
        fail(field, value, f"must be an integer Likert score from {LIKERT_MIN} to {LIKERT_MAX}")


@attrs.frozen(kw_only=True)
class Answer:
    """One SERVQUAL item as one respondent scored it.

    Attributes:
        item: the item's identifier (``"R1"``, ``"on-time delivery as promised"``).
        dimension: the [`Dimension`][logicrm.domain.Dimension] the item measures.
        expectation: E, what an excellent logistics provider would do (Likert, integer).
        perception: P, what we did (Likert, integer). The item's gap is ``P - E``.

    Scores are integers from 1 up to the response's ``scale`` (7 by default, 10 at most).

    Examples:
        >>> Answer(item="R1", dimension="reliability", expectation=7, perception=5).gap
        -2
    """

    item: str
    dimension: Dimension = attrs.field(converter=_dimension)
    expectation: int
    perception: int

    def __attrs_post_init__(self) -> None:
        check_text("item", self.item)
        _score("expectation", self.expectation)
        _score("perception", self.perception)

    @property
    def gap(self) -> int:
        """Perception minus expectation; negative means we fell short."""
        return self.perception - self.expectation


def _answers(value: Iterable[Answer]) -> tuple[Answer, ...]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        fail("answers", value, "must be a sequence of Answer")
    return tuple(value)


def _importance(value: Mapping[Dimension, float] | None) -> Mapping[Dimension, float] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        fail("importance", value, "must map dimension -> points")
    points: dict[Dimension, float] = {}
    for key, raw in value.items():
        dimension = _to_enum(Dimension, "importance", key)
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            fail(f"importance.{dimension.value}", raw, "must be a number of points")
        if not math.isfinite(raw) or raw < 0:
            fail(f"importance.{dimension.value}", raw, "must be finite and >= 0")
        points[dimension] = float(raw)
    if not points or sum(points.values()) <= 0:
        fail("importance", dict(value), "must give some dimension more than 0 points")
    return MappingProxyType({d: points[d] for d in Dimension if d in points})


@attrs.frozen(kw_only=True)
class SurveyResponse:
    """One respondent's SERVQUAL questionnaire.

    Attributes:
        respondent_id: who answered (an identifier, not contact details).
        taken_at: when (aware datetime).
        answers: the [`Answer`][logicrm.domain.Answer] items, each item at most once.
        customer_id: the customer the respondent speaks for, if known.
        importance: optional points the respondent allotted to each
            [`Dimension`][logicrm.domain.Dimension] (the original instrument asks for 100 points
            over the five); non-negative, not all zero. Stored read-only in dimension order.
        scale: the top of the Likert scale used (7 by default, from 2 to 10); every answer
            must lie within ``1..scale``.

    Examples:
        >>> from datetime import datetime, timezone
        >>> item = Answer(item="T1", dimension="tangibles", expectation=6, perception=6)
        >>> r = SurveyResponse(respondent_id="R-17", answers=[item],
        ...                    taken_at=datetime(2026, 6, 1, tzinfo=timezone.utc))
        >>> len(r.answers)
        1
    """

    respondent_id: str
    taken_at: datetime
    answers: tuple[Answer, ...] = attrs.field(converter=_answers)
    customer_id: str | None = None
    importance: Mapping[Dimension, float] | None = attrs.field(
        default=None, converter=_importance, hash=False
    )
    scale: int = DEFAULT_SCALE

    def __attrs_post_init__(self) -> None:
        check_text("respondent_id", self.respondent_id)
        check_aware("taken_at", self.taken_at)
        check_optional_text("customer_id", self.customer_id)
        if type(self.scale) is not int or not 2 <= self.scale <= LIKERT_MAX:
            fail("scale", self.scale, f"must be an integer from 2 to {LIKERT_MAX}")
        seen: set[str] = set()
        for index, answer in enumerate(self.answers):
            if not isinstance(answer, Answer):
                fail(f"answers[{index}]", answer, "must be an Answer")
            if answer.item in seen:
                fail(f"answers[{index}].item", answer.item, "is answered twice")
            seen.add(answer.item)
            for name in ("expectation", "perception"):
                score = getattr(answer, name)
                if score > self.scale:
                    fail(
                        f"answers[{index}].{name}",
                        score,
                        f"is above the scale's top ({self.scale})",
                    )
