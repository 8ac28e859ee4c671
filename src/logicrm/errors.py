"""The exceptions logicrm raises.

Every exception the library raises on purpose derives from :class:`LogicrmError`, so
``except logicrm.errors.LogicrmError`` catches all of them. Concrete errors also derive from
the builtin a Python programmer would expect (``ValueError`` for bad values, ``LookupError``
for unknown names). Messages name the field and the offending value; contact details are
never shown, only ``<redacted>``.

The classes are public API; the wording of their messages is not.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "CurrencyMismatchError",
    "InvalidTransitionError",
    "LogicrmError",
    "Problem",
    "UnknownCalculatorError",
    "ValidationError",
]

_REDACTED = "<redacted>"
_MAX_VALUE_CHARS = 80


def _show(value: object) -> str:
    text = repr(value)
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 3] + "..."
    return text


class LogicrmError(Exception):
    """Root of every exception logicrm raises on purpose."""


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
        problems: every problem found, first one first. Constructors stop at the first
            problem; loaders report all they can find.

    Example:
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
        """Build one error that carries several problems (at least one)."""
        found = tuple(problems)
        if not found:
            raise ValueError("from_problems needs at least one problem")
        error = cls.__new__(cls)
        error.problems = found
        error.field = found[0].path
        Exception.__init__(error, "; ".join(str(p) for p in found))
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
