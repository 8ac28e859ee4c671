"""The exceptions logicrm raises.

Every exception the library raises on purpose derives from
[`LogicrmError`][logicrm.errors.LogicrmError], so ``except logicrm.errors.LogicrmError`` catches all
of them. Concrete errors also derive from the builtin a Python programmer would expect
(``ValueError`` for bad values, ``LookupError`` for unknown names). Messages name the field and the
offending value; contact details are never shown, only ``<redacted>``.

Messages are bounded: a value is shown by a short, bounded ``repr`` (a string is cut, an
integer of thousands of digits is described by its size, a container shows its first items), and an
error with many problems lists the first [`MAX_PROBLEMS_SHOWN`][logicrm.errors.MAX_PROBLEMS_SHOWN]
in its message.

The classes are public API; the wording of their messages is not.
"""

from __future__ import annotations

import reprlib
from collections.abc import Iterable
from datetime import date

__all__ = [
    "ColumnWarning",
    "CurrencyMismatchError",
    "InvalidTransitionError",
    "LogicrmError",
    "LogicrmWarning",
    "Problem",
    "ReadError",
    "UnknownCalculatorError",
    "ValidationError",
]

_REDACTED = "<redacted>"
_MAX_VALUE_CHARS = 80
MAX_PROBLEMS_SHOWN = 10
"""How many problems an error's message lists; the rest are counted, and kept in
``problems`` up to [`MAX_PROBLEMS_KEPT`][logicrm.errors.MAX_PROBLEMS_KEPT]."""
MAX_PROBLEMS_KEPT = 100
"""How many problems one error keeps; a record with more is reported by its first ones."""


class _BoundedRepr(reprlib.Repr):
    """``repr`` whose cost and length stay small whatever the value."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel = 2
        self.maxstring = _MAX_VALUE_CHARS
        self.maxother = _MAX_VALUE_CHARS
        self.maxlong = 40

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 128:  # str() of a huge int is slow, and refused past 4,300 digits
            return f"<an integer of about {int(x.bit_length() * 0.30103) + 1:,} digits>"
        return super().repr_int(x, level)

    def repr_bytes(self, x: bytes, level: int) -> str:
        return repr(x[:_MAX_VALUE_CHARS]) + ("..." if len(x) > _MAX_VALUE_CHARS else "")


_REPR = _BoundedRepr()


def _show(value: object) -> str:
    """A short ``repr`` of ``value``, computed in bounded time and memory; a date or time
    as people write it (ISO 8601), never ``datetime.datetime(2026, 6, 1, 8, 0)``."""
    try:
        text = value.isoformat() if isinstance(value, date) else _REPR.repr(value)
    except Exception:  # a value whose own repr fails is still reported
        text = f"<a {type(value).__name__}>"
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 3] + "..."
    return text


def _summary(problems: tuple[Problem, ...], total: int) -> str:
    shown = "; ".join(str(p) for p in problems[:MAX_PROBLEMS_SHOWN])
    if total > MAX_PROBLEMS_SHOWN:
        shown += f"; ... and {total - MAX_PROBLEMS_SHOWN:,} more problems"
    return shown


class LogicrmError(Exception):
    """Root of every exception logicrm raises on purpose."""


class LogicrmWarning(UserWarning):
    """Root of every warning logicrm issues."""


class ColumnWarning(LogicrmWarning):
    """A file's header lacks optional columns, or holds columns that look misspelt.

    The file is still read; the warning names the columns so that a silent default (every
    shipment undelivered because ``delivered_at`` was spelt ``delivred_at``) is seen.
    """


class Problem:
    """One thing wrong with one field: where (``path``) and why (``message``).

    ``path`` is a dotted path with list indices, e.g. ``"answers[2].perception"``;
    the empty string means the record as a whole.
    """

    __slots__ = ("message", "path")

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message

    def __repr__(self) -> str:
        return f"Problem(path={self.path!r}, message={self.message!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Problem):
            return NotImplemented
        return (self.path, self.message) == (other.path, other.message)

    def __hash__(self) -> int:
        return hash((self.path, self.message))

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ValidationError(LogicrmError, ValueError):
    """A value broke a rule of the domain model, a policy or a loader.

    Attributes:
        field: dotted path of the first offending field (``"units_damaged"``,
            ``"answers[2].perception"``); ``""`` for the record as a whole.
        problems: every problem found, first one first. Constructors stop at the first problem;
            loaders report all they can find, up to
            [`MAX_PROBLEMS_KEPT`][logicrm.errors.MAX_PROBLEMS_KEPT].

    Examples:
        >>> from logicrm.errors import ValidationError
        >>> str(ValidationError("units_ordered", -1, "must be >= 0"))
        'units_ordered: must be >= 0; got -1'
    """

    def __init__(
        self,
        field: str,
        value: object,
        reason: str,
        *,
        redact: bool = False,
    ) -> None:
        shown = _REDACTED if redact else _show(value)
        problem = Problem(field, f"{reason}; got {shown}")
        self.problems: tuple[Problem, ...] = (problem,)
        self.field = field
        super().__init__(str(problem))

    @classmethod
    def from_problems(cls, problems: Iterable[Problem]) -> ValidationError:
        """Build one error that carries several problems (at least one).

        Only the first [`MAX_PROBLEMS_KEPT`][logicrm.errors.MAX_PROBLEMS_KEPT] are kept; the message
        lists the first [`MAX_PROBLEMS_SHOWN`][logicrm.errors.MAX_PROBLEMS_SHOWN] and counts the
        rest.
        """
        kept: list[Problem] = []
        total = 0
        for problem in problems:
            total += 1
            if total <= MAX_PROBLEMS_KEPT:
                kept.append(problem)
        if not kept:
            raise ValueError("from_problems needs at least one problem")
        error = cls.__new__(cls)
        error.problems = tuple(kept)
        error.field = kept[0].path
        Exception.__init__(error, _summary(error.problems, total))
        return error

    def within(self, prefix: str) -> ValidationError:
        """The same problems with their paths placed under ``prefix``."""
        if not prefix:
            return self
        return ValidationError.from_problems(
            Problem(_join(prefix, p.path), p.message) for p in self.problems
        )

    def __reduce__(self) -> tuple[object, ...]:
        return (ValidationError.from_problems, (self.problems,))


def _join(prefix: str, path: str) -> str:
    if not prefix or not path:
        return prefix or path
    if path.startswith("["):
        return prefix + path
    return f"{prefix}.{path}"


class ReadError(ValidationError):
    """A whole file cannot be read: it is not in the format it claims, or its header lacks
    a required column. Raised before any row is read, so nothing is half-done.

    Attributes:
        source: the file's name as given.
    """

    def __init__(self, source: str, message: str) -> None:
        self.source = source
        self.problems = (Problem("", message),)
        self.field = ""
        Exception.__init__(self, f"{source}: {message}")

    def __reduce__(self) -> tuple[object, ...]:
        return (ReadError, (self.source, self.problems[0].message))


class CurrencyMismatchError(LogicrmError, ValueError):
    """Two amounts in different currencies were added, subtracted or ordered."""

    def __init__(self, left: str, right: str, operation: str = "combine") -> None:
        self.left = left
        self.right = right
        super().__init__(f"cannot {operation} {left} with {right}: currencies differ")


class InvalidTransitionError(LogicrmError, ValueError):
    """A complaint was asked to move to a state its lifecycle does not allow from here."""

    def __init__(self, complaint_id: str, action: str, status: str, reason: str) -> None:
        self.complaint_id = complaint_id
        self.action = action
        self.status = status
        super().__init__(f"complaint {complaint_id!r}: cannot {action} from {status!r}: {reason}")


class UnknownCalculatorError(LogicrmError, LookupError):
    """No calculator is registered under the requested name."""

    def __init__(self, name: str, available: Iterable[str]) -> None:
        self.name = name
        names = ", ".join(sorted(available)) or "none"
        super().__init__(f"no calculator named {name!r}; available: {names}")
