"""Small, cheap validators shared by the domain types (they run for millions of records)."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any, NoReturn, TypeVar

from logicrm.errors import ValidationError

E = TypeVar("E", bound=Enum)


def fail(field: str, value: object, reason: str, *, redact: bool = False) -> NoReturn:
    raise ValidationError(field, value, reason, redact=redact)


def check_text(field: str, value: object, *, redact: bool = False) -> None:
    if type(value) is not str or not value.strip():
        fail(field, value, "must be a non-empty string", redact=redact)


def check_optional_text(field: str, value: object, *, redact: bool = False) -> None:
    if value is not None:
        check_text(field, value, redact=redact)


def check_aware(field: str, value: object) -> None:
    if not isinstance(value, datetime):
        fail(field, value, "must be a datetime")
    if value.utcoffset() is None:
        fail(field, value, "must be timezone-aware (naive datetimes are ambiguous)")


def check_optional_aware(field: str, value: object) -> None:
    if value is not None:
        check_aware(field, value)


def check_date(field: str, value: object) -> None:
    if type(value) is not date:
        fail(field, value, "must be a date (not a datetime)")


def check_count(field: str, value: object) -> None:
    if type(value) is not int or value < 0:
        fail(field, value, "must be an integer >= 0")


def check_bool(field: str, value: object) -> None:
    if type(value) is not bool:
        fail(field, value, "must be True or False")


def to_enum(enum: type[E], field: str, value: Any) -> E:
    """The member itself or its value; anything else is a ValidationError naming the field."""
    try:
        return enum(value)
    except (ValueError, TypeError):
        allowed = ", ".join(repr(m.value) for m in enum)
        fail(field, value, f"must be one of {allowed}")


def not_before(field: str, value: datetime, earlier_field: str, earlier: datetime) -> None:
    if value < earlier:
        fail(field, value, f"must not be before {earlier_field} ({earlier.isoformat()})")
