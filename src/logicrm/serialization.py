"""Turning logicrm objects into JSON-ready data and back, exactly.

Conventions: ``Decimal`` amounts are strings (``"1.50"`` stays ``"1.50"``), datetimes are
ISO 8601 with their UTC offset, dates are ISO dates, enums are their values, tuples are lists,
read-only mappings are plain objects. Unknown keys are rejected, so a misspelt field never vanishes
silently. Strings, integers and booleans are taken only as themselves (``"3"`` is not an integer,
``1`` is not ``True``); a list field takes only a list (a string is not a list of characters) of at
most [`MAX_ITEMS`][logicrm.serialization.MAX_ITEMS] items, and a mapping field only an object.
Integers have at most 64 bits, decimal figures the range of amounts (see
[`Money`][logicrm.domain.Money]). Values of personal-data fields (contact details, names, notes)
never appear in a message.

Errors raise [`ValidationError`][logicrm.errors.ValidationError] whose ``problems`` carry the path
of every bad field, e.g. ``answers[2].perception``. [`load_many()`][logicrm.serialization.load_many]
never aborts a batch: it returns the good records and each rejected one with its index and problems.

Examples:
    >>> from logicrm import Money
    >>> from logicrm.serialization import from_json, to_json
    >>> to_json(Money("12.50", "CNY"))
    '{"amount": "12.50", "currency": "CNY"}'
    >>> from_json(Money, '{"amount": "12.50", "currency": "CNY"}')
    Money(amount=Decimal('12.50'), currency='CNY')
"""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Generic, TypeVar

import attrs
import cattrs
import cattrs.cols
import cattrs.gen
from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
)

from logicrm._schema import json_schema
from logicrm.domain._money import ISO_4217, Money, check_currency, in_range, to_decimal
from logicrm.domain._shipment import Shipment
from logicrm.errors import LogicrmError, Problem, ValidationError, _join, _show

__all__ = [
    "MAX_ITEMS",
    "LoadResult",
    "Rejection",
    "from_dict",
    "from_json",
    "json_schema",
    "load_many",
    "make_converter",
    "to_dict",
    "to_json",
]

T = TypeVar("T")

MAX_ITEMS = 10_000
"""The most items a list or mapping field takes (statements of a profile, answers of a
survey, ...): more is refused at once, so one record cannot take unbounded time."""
_MAX_INT_BITS = 64
# Path parts whose values are personal data: never shown in a message.
_PERSONAL = frozenset({"contact", "name", "note", "person", "phone", "email", "address"})
_PATH_PARTS = re.compile(r"[.\[\]]")


class _BadValue(Exception):
    """Raised by a structure hook; turned into a Problem at the path where it happened."""

    def __init__(self, reason: str, value: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.value = value


def _strict(kind: type, name: str) -> Any:
    def structure(value: object, _: object) -> object:
        if type(value) is not kind:
            raise _BadValue(f"must be {name}", value)
        return value

    return structure


def _structure_int(value: object, _: object) -> int:
    if type(value) is not int:
        raise _BadValue("must be an integer", value)
    if value.bit_length() > _MAX_INT_BITS:
        raise _BadValue("must be an integer of at most 64 bits", value)
    return value


def _structure_float(value: object, _: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _BadValue("must be a number", value)
    if type(value) is int and value.bit_length() > _MAX_INT_BITS:
        raise _BadValue("must be a number of reasonable size", value)
    return float(value)


def _guarded(
    inner: Callable[[Any, Any], Any], kinds: Any, what: str, *, counted: bool = True
) -> Callable[[Any, Any], Any]:
    """``inner``, behind a check that the value is one of ``kinds`` (a string is not a list
    of letters) and, when ``counted``, holds at most MAX_ITEMS items."""

    def structure(value: Any, kind: Any) -> Any:
        if not isinstance(value, kinds):
            raise _BadValue(f"must be {what}, not {_kind_of(value)}", value)
        if counted and len(value) > MAX_ITEMS:
            raise _BadValue(f"must have at most {MAX_ITEMS:,} items (has {len(value):,})", value)
        return inner(value, kind)

    return structure


def _sequence_factory(tp: Any, converter: cattrs.Converter) -> Any:
    make = (
        cattrs.cols.homogenous_tuple_structure_factory
        if typing.get_origin(tp) is tuple
        else cattrs.cols.list_structure_factory
    )
    return _guarded(make(tp, converter), (list, tuple), "a list")


def _mapping_factory(tp: Any, converter: cattrs.Converter) -> Any:
    return _guarded(cattrs.cols.mapping_structure_factory(tp, converter), Mapping, "an object")


def _set_factory(tp: Any, converter: cattrs.Converter) -> Any:
    (item_type,) = typing.get_args(tp) or (Any,)
    item: Callable[[object, Any], Any] = converter.get_structure_hook(item_type)

    def structure(value: Any, _: Any) -> frozenset[Any]:
        return frozenset(item(v, item_type) for v in value)

    return _guarded(structure, (list, tuple, set, frozenset), "a list")


def _record_factory(tp: Any, converter: cattrs.Converter) -> Any:
    """A record (an attrs class) nested in another: only an object."""
    inner = cattrs.gen.make_dict_structure_fn(tp, converter)
    return _guarded(inner, Mapping, "an object", counted=False)


def _kind_of(value: object) -> str:
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    if value is None:
        return "null"
    name = type(value).__name__
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def _structure_enum(value: object, enum: type[StrEnum]) -> StrEnum:
    try:
        return enum(value)  # type: ignore[arg-type]
    except ValueError:
        allowed = ", ".join(repr(m.value) for m in enum)
        raise _BadValue(f"must be one of {allowed}", value) from None


def _unstructure_enum(member: StrEnum) -> str:
    return member.value


def _structure_decimal(value: object, _: object) -> Decimal:
    try:
        return to_decimal("", value)
    except ValidationError:
        raise _BadValue("must be a decimal number written as a string", value) from None


def _structure_datetime(value: object, _: object) -> datetime:
    if isinstance(value, datetime):
        return value
    if type(value) is not str:
        raise _BadValue("must be an ISO 8601 date-time string with an offset", value)
    if len(value) > 64:
        raise _BadValue("must be an ISO 8601 date-time string with an offset", value)
    try:
        return _parse_datetime(value)
    except ValueError:
        raise _BadValue("must be an ISO 8601 date-time string with an offset", value) from None


def _structure_date(value: object, _: object) -> date:
    if type(value) is date:
        return value
    if type(value) is not str:
        raise _BadValue("must be an ISO 8601 date string (YYYY-MM-DD)", value)
    if len(value) > 32:
        raise _BadValue("must be an ISO 8601 date string (YYYY-MM-DD)", value)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _BadValue("must be an ISO 8601 date string (YYYY-MM-DD)", value) from None


_DURATION = re.compile(
    r"P(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?"
)


def _structure_timedelta(value: object, _: object) -> timedelta:
    """ISO 8601 durations in days and times: ``"P3D"``, ``"PT2H"``, ``"P1DT12H30M"``."""
    match = _DURATION.fullmatch(value) if isinstance(value, str) and len(value) <= 64 else None
    if match is None or value in ("P", "PT") or str(value).endswith("T"):
        raise _BadValue("must be an ISO 8601 duration such as 'PT4H' or 'P7D'", value)
    parts = {k: float(v) for k, v in match.groupdict().items() if v is not None}
    try:
        return timedelta(**parts)
    except OverflowError:
        raise _BadValue("must be a duration of at most 999,999,999 days", value) from None


def _unstructure_timedelta(value: timedelta) -> str:
    days, seconds = value.days, value.seconds + value.microseconds / 1e6
    if days < 0:
        raise ValueError(f"negative durations are not written: {value}")
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    time = "".join(f"{n:g}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (secs, "S")) if n)
    text = "P" + (f"{days}D" if days else "") + (f"T{time}" if time else "")
    return text if text != "P" else "PT0S"


def _structure_money(value: object, _: object) -> Money:
    if type(value) is Money:
        return value
    if not isinstance(value, Mapping) or value.keys() != {"amount", "currency"}:
        raise _BadValue('must be an object {"amount": "...", "currency": "..."}', value)
    return Money._trusted(
        to_decimal("amount", value["amount"]), check_currency("currency", value["currency"])
    )


def _unstructure_money(money: Money) -> dict[str, str]:
    return {"amount": str(money.amount), "currency": money.currency}


_SHIPMENT_KEYS = frozenset(f.name for f in attrs.fields(Shipment))
_parse_datetime = datetime.fromisoformat


def _fast_money(d: Any) -> Money:
    text = d["amount"]
    amount = Decimal(text) if type(text) is str and len(text) <= 64 else _NOT_A_NUMBER
    currency = d["currency"]
    if not amount.is_finite() or not in_range(amount) or currency not in ISO_4217 or len(d) != 2:
        raise _BadValue("is not a plain money object", d)
    return Money._trusted(amount, currency)


_NOT_A_NUMBER = Decimal("NaN")


def _fast_shipment(d: Any, _: object) -> Shipment:
    # Shipments arrive by the million: read them without the per-field dispatch. Any problem
    # raises, and from_dict then re-reads the record with the detailed converter.
    if not _SHIPMENT_KEYS.issuperset(d):
        raise _BadValue("has unknown fields", d)
    shipped = d.get("shipped_at")
    delivered = d.get("delivered_at")
    revenue, cost = d["revenue"], d["cost"]
    return Shipment(
        id=d["id"],
        customer_id=d["customer_id"],
        ordered_at=_parse_datetime(d["ordered_at"]),
        promised_at=_parse_datetime(d["promised_at"]),
        shipped_at=None if shipped is None else _parse_datetime(shipped),
        delivered_at=None if delivered is None else _parse_datetime(delivered),
        revenue=_fast_money(revenue),
        cost=_fast_money(cost),
        units_ordered=d["units_ordered"],
        units_delivered=d.get("units_delivered", 0),
        units_damaged=d.get("units_damaged", 0),
        invoice_error=d.get("invoice_error", False),
        stockout=d.get("stockout", False),
        substituted=d.get("substituted", False),
        rerouted=d.get("rerouted", False),
        returned=d.get("returned", False),
    )


def make_converter(*, detailed_validation: bool = True) -> cattrs.Converter:
    """A new converter configured for logicrm's types (yours to extend).

    ``detailed_validation=True`` collects every problem with its path (what
    [`from_dict()`][logicrm.serialization.from_dict] reports); ``False`` is faster and stops at the
    first problem.

    Examples:
        >>> from logicrm import Money
        >>> make_converter().unstructure(Money(1, "CNY"))
        {'amount': '1', 'currency': 'CNY'}
    """
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=detailed_validation)
    converter.register_structure_hook(str, _strict(str, "a string"))
    converter.register_structure_hook(bool, _strict(bool, "true or false"))
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(float, _structure_float)
    converter.register_structure_hook(StrEnum, _structure_enum)
    converter.register_unstructure_hook(StrEnum, _unstructure_enum)
    converter.register_unstructure_hook(Decimal, str)
    converter.register_structure_hook(Decimal, _structure_decimal)
    converter.register_unstructure_hook(datetime, datetime.isoformat)
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_unstructure_hook(date, date.isoformat)
    converter.register_structure_hook(date, _structure_date)
    converter.register_unstructure_hook(Money, _unstructure_money)
    converter.register_structure_hook(Money, _structure_money)
    converter.register_unstructure_hook(timedelta, _unstructure_timedelta)
    converter.register_structure_hook(timedelta, _structure_timedelta)
    converter.register_structure_hook_factory(attrs.has, _record_factory)
    converter.register_structure_hook_factory(cattrs.cols.is_sequence, _sequence_factory)
    converter.register_structure_hook_factory(cattrs.cols.is_mapping, _mapping_factory)
    converter.register_structure_hook_factory(cattrs.cols.is_any_set, _set_factory)
    converter.register_unstructure_hook(
        MappingProxyType,
        lambda m: {converter.unstructure(k): converter.unstructure(v) for k, v in m.items()},
    )
    return converter


_FAST = make_converter(detailed_validation=False)
_FAST.register_structure_hook(Shipment, _fast_shipment)
_DETAILED = make_converter(detailed_validation=True)


def to_dict(obj: object) -> Any:
    """A JSON-ready ``dict`` (or list, for a sequence) of ``obj``."""
    return _FAST.unstructure(obj)


def to_json(obj: object, *, indent: int | None = None) -> str:
    """``obj`` as a JSON string (UTF-8 text kept as is)."""
    return json.dumps(to_dict(obj), ensure_ascii=False, indent=indent)


def from_dict(cls: type[T], data: object) -> T:
    """Build a ``cls`` from JSON-ready ``data``; the exact inverse of
    [`to_dict()`][logicrm.serialization.to_dict].

    Raises:
        ValidationError: with one [`Problem`][logicrm.errors.Problem] per bad field, each with its
            path (``"answers[2].perception"``).
    """
    if type(data) is not dict and attrs.has(cls) and not isinstance(data, Mapping):
        # Only the kind of value: a list given for a customer is the customer's details.
        raise ValidationError.from_problems(
            [
                Problem(
                    "", f"must be an object with the fields of {cls.__name__}, not {_kind_of(data)}"
                )
            ]
        )
    try:
        if cls is Shipment:
            return _fast_shipment(data, cls)  # type: ignore[return-value]
        return _FAST.structure(data, cls)
    except Exception:
        pass
    try:
        result: T = _DETAILED.structure(data, cls)
    except RecursionError:
        raise ValidationError.from_problems([Problem("", "is nested too deeply")]) from None
    except Exception as error:
        raise ValidationError.from_problems(_problems(error, "")) from None
    return result


def from_json(cls: type[T], text: str | bytes) -> T:
    """Build a ``cls`` from a JSON document (see
    [`from_dict()`][logicrm.serialization.from_dict])."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise ValidationError.from_problems([Problem("", "is nested too deeply")]) from None
    except (ValueError, TypeError) as error:
        message = str(error)[:200]
        raise ValidationError.from_problems(
            [Problem("", f"is not valid JSON ({message})")]
        ) from None
    return from_dict(cls, data)


def _problems(error: BaseException, path: str) -> Iterator[Problem]:
    if isinstance(error, ClassValidationError):
        with_notes, without = error.group_exceptions()
        for sub, note in with_notes:
            yield from _problems(sub, _join(path, note.name))
        for sub in without:
            yield from _problems(sub, path)
    elif isinstance(error, IterableValidationError):
        with_index, without = error.group_exceptions()
        for sub, index_note in with_index:
            yield from _problems(sub, f"{path}[{index_note.index}]")
        for sub in without:
            yield from _problems(sub, path)
    elif isinstance(error, ForbiddenExtraKeysError):
        for key in sorted(error.extra_fields):
            yield Problem(_join(path, key), "is not a known field")
    elif isinstance(error, ValidationError):
        for problem in error.problems:
            yield Problem(_join(path, problem.path), problem.message)
    elif isinstance(error, _BadValue):
        # Personal data never reaches an error message.
        shown = "<redacted>" if _is_personal(path) else _show(error.value)
        yield Problem(path, f"{error.reason}; got {shown}")
    elif isinstance(error, KeyError):
        yield Problem(path, "is required")
    elif isinstance(error, BaseExceptionGroup):
        for member in error.exceptions:
            yield from _problems(member, path)
    else:
        yield Problem(path, f"cannot be read ({type(error).__name__})")


def _is_personal(path: str) -> bool:
    return not _PERSONAL.isdisjoint(_PATH_PARTS.split(path))


@attrs.frozen
class Rejection:
    """A record [`load_many()`][logicrm.serialization.load_many] could not load.

    Attributes:
        index: its position in the input (0-based).
        problems: every problem found, each with the path of the bad field.
        record: the raw record as given (kept for a rejects file; hidden from ``repr``
            because it may hold contact details).
    """

    index: int
    problems: tuple[Problem, ...]
    record: object = attrs.field(repr=False, eq=False)

    @property
    def reasons(self) -> tuple[str, ...]:
        """The problems as readable lines."""
        return tuple(str(p) for p in self.problems)


@attrs.frozen
class LoadResult(Generic[T]):
    """What [`load_many()`][logicrm.serialization.load_many] returns: every good record and every
    rejected one."""

    ok: tuple[T, ...]
    rejected: tuple[Rejection, ...]

    @property
    def total(self) -> int:
        """How many records came in."""
        return len(self.ok) + len(self.rejected)

    def __repr__(self) -> str:
        # A batch may hold millions of records: say how many, never print them all.
        return f"LoadResult({len(self.ok):,} ok, {len(self.rejected):,} rejected)"


def load_many(cls: type[T], records: Iterable[object]) -> LoadResult[T]:
    """Load every record of ``records`` as a ``cls``; a bad record never aborts the batch.

    Examples:
        >>> from logicrm import Money
        >>> result = load_many(Money, [{"amount": "1", "currency": "CNY"}, {"amount": "x"}])
        >>> len(result.ok), result.rejected[0].index
        (1, 1)
    """
    ok: list[T] = []
    rejected: list[Rejection] = []
    for index, record in enumerate(records):
        try:
            ok.append(from_dict(cls, record))
        except LogicrmError as error:
            problems = (
                error.problems if isinstance(error, ValidationError) else (Problem("", str(error)),)
            )
            rejected.append(Rejection(index, problems, record))
        except Exception as error:  # a bug of ours must not lose the batch either
            problem = Problem("", f"cannot be read ({type(error).__name__})")
            rejected.append(Rejection(index, (problem,), record))
    return LoadResult(tuple(ok), tuple(rejected))
