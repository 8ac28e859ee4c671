"""The readers' plan: how a file's columns map onto a record's fields (the header plan), and
each cell coerced to the kind of value its field takes."""

from __future__ import annotations

import json
import types
import typing
import warnings
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import attrs

from logicrm._columns import closest
from logicrm.domain import Answer, Money
from logicrm.domain._checks import fail
from logicrm.errors import ColumnWarning, Problem, ReadError, ValidationError


def _columns(value: Mapping[str, Any]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        fail("columns", value, "must map field paths to column names")
    for key in value:
        if type(key) is not str:
            fail("columns", key, "keys must be field paths (strings)")
    return dict(value)


def _spellings(field: str, value: Any) -> frozenset[str]:
    # A string is one spelling, not a set of letters: refuse it rather than guess.
    if isinstance(value, str) or not isinstance(value, Iterable):
        fail(field, value, "must be a list of spellings, such as ['yes', 'y']")
    items = list(value)
    if not all(type(v) is str for v in items):
        fail(field, value, "must be a list of strings")
    return frozenset(v.lower() for v in items)


def _true_values(value: Any) -> frozenset[str]:
    return _spellings("true_values", value)


def _false_values(value: Any) -> frozenset[str]:
    return _spellings("false_values", value)


_QUIET_WHEN_ABSENT = frozenset({("Customer", "owner")})
"""Optional columns whose absence is normal and not warned about."""


@attrs.frozen(kw_only=True)
class ColumnMapping:
    """How a file's columns map onto logicrm's fields.

    Attributes:
        columns: field path -> your column name (``{"id": "order_no"}``); unmapped fields
            keep their own names.
        constants: field path -> a value used for every row (``{"revenue.currency":
            "CNY"}``), for fields the file does not carry.
        true_values: how true is spelled in text files (case-insensitive), a list of
            spellings; an empty cell is absent, so a flag takes its default.
        false_values: how false is spelled, likewise.
    """

    columns: Mapping[str, str] = attrs.field(factory=dict, converter=_columns, hash=False)
    constants: Mapping[str, Any] = attrs.field(factory=dict, converter=_columns, hash=False)
    true_values: frozenset[str] = attrs.field(
        default=frozenset({"true", "1", "yes", "y", "t"}), converter=_true_values
    )
    false_values: frozenset[str] = attrs.field(
        default=frozenset({"false", "0", "no", "n", "f"}), converter=_false_values
    )

    def column(self, path: str) -> str:
        """The column that holds ``path``."""
        return self.columns.get(path, path)


# -- the fields of a class, flattened to paths with the kind of value each takes ------------

_Kind = str  # "str", "int", "float", "bool", "decimal", "datetime", "date", "enum", "json"


def _flat_fields(cls: type, prefix: str = "") -> dict[str, _Kind]:
    hints = typing.get_type_hints(cls)
    result: dict[str, _Kind] = {}
    for field in attrs.fields(cls):
        if not field.init:
            continue
        tp = hints[field.name]
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if typing.get_origin(tp) in (typing.Union, types.UnionType):
            tp = args[0]
        path = f"{prefix}{field.name}"
        if tp is Money:
            result[f"{path}.amount"] = "decimal"
            result[f"{path}.currency"] = "str"
        elif isinstance(tp, type) and attrs.has(tp):
            result.update(_flat_fields(tp, f"{path}."))
        elif tp in (str, int, float, bool, Decimal, datetime, date):
            result[path] = {
                str: "str",
                int: "int",
                float: "float",
                bool: "bool",
                Decimal: "decimal",
                datetime: "datetime",
                date: "date",
            }[tp]
        elif isinstance(tp, type) and issubclass(tp, Enum):
            result[path] = "str"
        else:
            result[path] = "json"  # mappings and sequences: a JSON document in the cell
    return result


def _required_paths(cls: type, prefix: str = "") -> list[str]:
    """The flat paths a record of ``cls`` cannot do without (fields with no default)."""
    hints = typing.get_type_hints(cls)
    required: list[str] = []
    for field in attrs.fields(cls):
        if not field.init or field.default is not attrs.NOTHING:
            continue
        tp = hints[field.name]
        path = f"{prefix}{field.name}"
        if tp is Money:
            required.extend((f"{path}.amount", f"{path}.currency"))
        elif isinstance(tp, type) and attrs.has(tp):
            required.extend(_required_paths(tp, f"{path}."))
        else:
            required.append(path)
    return required


def _coerce(kind: _Kind, value: Any, mapping: ColumnMapping) -> Any:
    """A cell's value in the form from_dict takes (text cells are parsed, others kept)."""
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return None  # an empty cell is an absent value: the field's default applies
        if kind == "bool":
            lowered = text.lower()
            if lowered in mapping.true_values:
                return True
            if lowered in mapping.false_values:
                return False
            return value
        if kind == "int":
            try:
                return int(text)
            except ValueError:
                return value
        if kind == "float":
            try:
                return float(text)
            except ValueError:
                return value
        if kind == "json":
            try:
                return json.loads(text)
            except (ValueError, RecursionError):
                return value
        return text
    if (
        kind == "decimal"
        and isinstance(value, Decimal | int | float)
        and not isinstance(value, bool)
    ):
        return str(value) if not isinstance(value, float) else repr(value)
    if kind == "datetime" and isinstance(value, datetime):
        return value.isoformat()
    if kind == "date" and isinstance(value, date):
        return value.isoformat()
    return value


def _nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for path, value in flat.items():
        parts = path.split(".")
        node = record
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    # An optional nested object whose cells are all empty is absent, not empty.
    for key, value in list(record.items()):
        if isinstance(value, dict) and all(v is None for v in value.values()):
            record[key] = None
    return record


def _lookup(row: Mapping[str, Any], column: str) -> tuple[bool, Any]:
    """A flat column (``"revenue.amount"``) or the same path into nested objects (JSON)."""
    if column in row:
        return True, row[column]
    node: Any = row
    for part in column.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False, None
        node = node[part]
    return True, node


class _Reader:
    """Turns raw rows into records of ``cls`` (or rejections), through the mapping."""

    def __init__(self, cls: type, mapping: ColumnMapping, *, long_form: bool = False) -> None:
        self.cls = cls
        self.mapping = mapping
        self.long_form = long_form
        self.fields = _flat_fields(cls)
        required = _required_paths(cls)
        if long_form:  # survey responses: one row per answer
            self.fields = {k: v for k, v in self.fields.items() if k != "answers"}
            self.fields.update(_flat_fields(Answer))
            required = [p for p in required if p != "answers"] + _required_paths(Answer)
        self.required = required
        # Each field's column, worked out once per file rather than once per row.
        self._plan = tuple(
            (path, kind, mapping.column(path))
            for path, kind in self.fields.items()
            if path not in mapping.constants
        )
        self._constants = {
            path: mapping.constants[path]
            for path in self.fields
            if mapping.constants.get(path) is not None
        }
        for section in ("columns", "constants"):
            for path in getattr(mapping, section):
                if path not in self.fields:
                    near = closest(path, self.fields)
                    hint = f"; did you mean {near!r}?" if near else ""
                    fail(f"{section}.{path}", path, f"is not a field of {cls.__name__}{hint}")

    def expected_columns(self) -> dict[str, str]:
        """Column name -> field path, for the fields the file must or may carry."""
        return {
            self.mapping.column(path): path
            for path in self.fields
            if path not in self.mapping.constants
        }

    def check_header(self, source: str, header: list[str]) -> None:
        """Refuse a header without a required column; warn of missing optional columns
        and of columns that look like misspellings of expected ones."""
        present = set(header)
        expected = self.expected_columns()
        required = {self.mapping.column(p) for p in self.required} & set(expected)
        missing = [c for c in expected if c in required and c not in present]
        record = self.cls.__name__
        if missing:
            hints = []
            for column in missing:
                near = closest(column, header, path=expected[column], record=record)
                hints.append(f"{column!r}" + (f" (closest: {near!r})" if near else ""))
            raise ReadError(
                source,
                f"the header lacks the required column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(hints)}; the header has {_listing(header)}. Name your own "
                "columns with a ColumnMapping (on the command line, --mapping FILE).",
            )
        absent = [c for c in expected if c not in present]
        unknown = [c for c in header if c not in expected and c]
        # a customer's owner usually comes from the owner policy, not the export: no warning
        quiet = [c for c in absent if (self.cls.__name__, c) in _QUIET_WHEN_ABSENT]
        absent = [c for c in absent if c not in quiet]
        meant: dict[str, str] = {}  # unknown column -> the absent one it probably stands for
        for column in absent:
            near = closest(column, unknown, path=expected[column], record=record, cutoff=0.8)
            if near is not None:
                meant.setdefault(near, column)
        misspelt = [f"{c!r} (did you mean {meant[c]!r}?)" for c in unknown if c in meant]
        if misspelt:
            warnings.warn(
                ColumnWarning(
                    f"{source}: columns not read, perhaps misspelt: {', '.join(misspelt)}"
                ),
                stacklevel=4,
            )
        if absent:
            note = (
                " (with no delivered_at, no shipment counts as delivered)"
                if "delivered_at" in absent and self.cls.__name__ == "Shipment"
                else ""
            )
            warnings.warn(
                ColumnWarning(
                    f"{source}: no column for {_listing(absent)}; those fields take their "
                    f"defaults{note}"
                ),
                stacklevel=4,
            )

    def check_keys(self, source: str, keys: list[str]) -> None:
        """Warn of a JSON object's keys that look like misspelt field names."""
        expected = set(self.expected_columns()) | {p.split(".")[0] for p in self.fields}
        misspelt = []
        for key in keys:
            if key not in expected:
                near = closest(key, sorted(expected), cutoff=0.8)
                if near is not None:
                    misspelt.append(f"{key!r} (did you mean {near!r}?)")
        if misspelt:
            warnings.warn(
                ColumnWarning(f"{source}: keys not read, perhaps misspelt: {', '.join(misspelt)}"),
                stacklevel=4,
            )

    def record(self, row: Mapping[str, Any]) -> dict[str, Any]:
        flat = dict(self._constants)
        mapping = self.mapping
        for path, kind, column in self._plan:  # per row: keep it lean
            if column in row:
                value = _coerce(kind, row[column], mapping)
            else:
                found, value = _lookup(row, column)
                if not found:
                    continue
                value = _coerce(kind, value, mapping)
            if value is not None:  # an absent optional value takes its default
                flat[path] = value
        return _nest(flat)

    def column_of(self, path: str) -> str:
        for field in self.fields:
            if path == field or path.startswith(field + "."):
                return self.mapping.column(field)
        head = path.split("[")[0]
        for field in self.fields:
            if field == head or field.startswith(head + "."):
                return self.mapping.column(head) if head in self.fields else head
        return path or "(row)"

    def problems(self, error: ValidationError) -> tuple[tuple[str, str], ...]:
        return tuple((self.column_of(p.path), _message(p)) for p in error.problems)


def _listing(names: list[str], most: int = 12) -> str:
    shown = ", ".join(repr(n[:40]) for n in names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def _message(problem: Problem) -> str:
    return problem.message
