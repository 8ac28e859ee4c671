"""Small, cheap validators shared by the domain types (they run for millions of records)."""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, NoReturn, TypeVar

from logicrm.errors import ValidationError

E = TypeVar("E", bound=Enum)

MAX_COUNT = 10**12
"""The largest count a record may state (units, orders): more is a typo or an attack."""
MAX_DAYS = 36_600
"""The longest period, in days, a policy may state (a hundred years)."""


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
    if value > MAX_COUNT:
        fail(field, value, f"must be at most {MAX_COUNT:,}")


def check_int(field: str, value: object, *, min_value: int, max_value: int) -> None:
    """An ``int`` (not a ``bool``) from ``min_value`` to ``max_value``."""
    if type(value) is not int or not min_value <= value <= max_value:
        fail(field, value, f"must be an integer from {min_value:,} to {max_value:,}")


def check_number(
    field: str,
    value: object,
    *,
    min_value: float,
    max_value: float = math.inf,
    above_min: bool = False,
) -> None:
    """A finite ``int``, ``float`` or ``Decimal`` (not a ``bool``) in the given range;
    ``above_min`` makes the lower bound exclusive."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        fail(field, value, "must be a number")
    if isinstance(value, Decimal):
        finite = value.is_finite()
    elif isinstance(value, float):
        finite = math.isfinite(value)
    else:
        finite = value.bit_length() <= 64
    if not finite:
        fail(field, value, "must be a finite number")
    low_ok = value > min_value if above_min else value >= min_value
    if not low_ok or value > max_value:
        low = f"> {min_value:g}" if above_min else f">= {min_value:g}"
        high = "" if max_value == math.inf else f" and <= {max_value:g}"
        fail(field, value, f"must be {low}{high}")


def check_rate(field: str, value: object) -> None:
    """A share from 0 to 1."""
    check_number(field, value, min_value=0, max_value=1)


def check_bool(field: str, value: object) -> None:
    if type(value) is not bool:
        fail(field, value, "must be True or False")


def to_enum(enum: type[E], field: str, value: Any) -> E:
    """The member itself or its value; anything else is a ValidationError naming the field."""
    if type(value) is enum:  # a member already: what enum(value) returns, without the call
        return value
    try:
        return enum(value)
    except (ValueError, TypeError):
        allowed = ", ".join(repr(m.value) for m in enum)
        fail(field, value, f"must be one of {allowed}")


def not_before(field: str, value: datetime, earlier_field: str, earlier: datetime) -> None:
    if value < earlier:
        fail(field, value, f"must not be before {earlier_field} ({earlier.isoformat()})")
