"""Reading records from CSV, JSON Lines and Parquet files, and writing results.

Readers stream: [`stream()`][logicrm.io.stream] yields one validated record at a time, so a file
    larger than
memory can feed [`logicrm.summarize()`][logicrm.scoring.summarize] directly. Every bad row is set
aside with its line number, the column at fault and the reason — never dropped silently, never
aborting the file — and can be written to a rejects file (JSON Lines).

Column names: by default a column is named after the field (``ordered_at``); amounts have
two columns, ``revenue.amount`` and ``revenue.currency``, and so do nested fields
(``contact.phone``). A [`ColumnMapping`][logicrm.io.ColumnMapping] maps your own names onto them and
can supply constants, such as a currency that the file does not carry:

```python
mapping = ColumnMapping(columns={"id": "order_no", "revenue.amount": "freight_fee"},
                        constants={"revenue.currency": "CNY", "cost.currency": "CNY"})
activities = summarize(stream("tms_export.csv", Shipment, mapping=mapping), as_of=as_of)
```

Survey responses, which hold several answers, are read in long form: one row per answer with
the response's columns repeated (``respondent_id``, ``taken_at``, ``customer_id``) and the
answer's (``item``, ``dimension``, ``expectation``, ``perception``).

What the readers do with messy files (the "bad input" page of the docs has the whole list):

- **Encoding**: ``encoding=None`` honours a byte-order mark (UTF-8, UTF-16, UTF-32) and
  otherwise reads UTF-8; name another (``encoding="gb18030"`` for an Excel export from a
  Chinese Windows machine). A row holding bytes the encoding cannot decode is rejected with
  its line; the rest of the file is read.
- **Delimiter**: sniffed from the header (``,``, ``;``, tab or ``|``) unless given.
- **Header**: a required column that is missing is one [`ReadError`][logicrm.errors.ReadError]
  before any row, naming the closest columns present; missing optional columns and columns that look
  misspelt give a [`ColumnWarning`][logicrm.errors.ColumnWarning]. A mapping naming a field the
  record type does not have is a ``ValidationError``.
- **Rows are rejected, never altered**: a row with more or fewer cells than the header, a row whose
  repeated header columns disagree, a row over [`MAX_RECORD_CHARS`][logicrm.io.MAX_RECORD_CHARS]
  characters, and a row whose key (the ``id``, or a profile's ``customer_id``) was already read
  ("duplicate of line N"). A record's line is the line it starts on.

Parquet needs the ``pyarrow`` package (``pip install 'logicrm[frames]'``); a file that is not
Parquet, or is truncated, is a [`ReadError`][logicrm.errors.ReadError].
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import itertools
import json
import os
import re
import types
import typing
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

import attrs

from logicrm._columns import closest
from logicrm._safety import spreadsheet_cell
from logicrm.domain import Answer, CreditProfile, Money, ServiceStandard, SurveyResponse
from logicrm.domain._checks import fail
from logicrm.errors import ColumnWarning, Problem, ReadError, ValidationError
from logicrm.serialization import from_dict, to_dict

__all__ = [
    "MAX_RECORD_CHARS",
    "ColumnMapping",
    "ReadResult",
    "RowRejection",
    "read",
    "read_db",
    "stream",
    "stream_db",
    "write",
    "write_calendar",
    "write_scores",
    "write_worklist",
]

T = TypeVar("T")
_FORMATS = ("csv", "jsonl", "parquet")
MAX_RECORD_CHARS = 1_048_576
"""The longest record (a JSON Lines line, a CSV row) a reader takes; a longer one is
rejected and the rest of the file read."""
# How much of one record the CSV parser may hold to find its end, so that a long quoted
# cell is rejected without losing track of the rows after it.
_PARSE_LIMIT = 16 * MAX_RECORD_CHARS
_DELIMITERS = (",", ";", "\t", "|")
# What a byte the encoding cannot decode turns into: a lone surrogate, which no decoder
# produces, so a row holding one is known to be undecodable.
_UNDECODABLE = "\udc80"


def _mark_undecodable(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return _UNDECODABLE, error.end


codecs.register_error("logicrm.undecodable", _mark_undecodable)


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


@attrs.frozen
class RowRejection:
    """A row that could not be read.

    Attributes:
        line: the line in a text file (the header is line 1), or the row number (from 1) in
            a Parquet file.
        problems: (column, reason) pairs; the column is your column's name where the
            problem belongs to one.
        row: the row as read (hidden from ``repr``: it may hold contact details).
        key: for a database row, the value of its key column (``id``, a profile's
            ``customer_id``...); ``None`` for a file's.
    """

    line: int
    problems: tuple[tuple[str, str], ...]
    row: Mapping[str, Any] = attrs.field(repr=False, eq=False, hash=False)
    key: str | None = None

    @property
    def column(self) -> str:
        """The first column at fault."""
        return self.problems[0][0]

    @property
    def reason(self) -> str:
        """The first reason."""
        return self.problems[0][1]


@attrs.frozen
class ReadResult(Generic[T]):
    """What [`read()`][logicrm.io.read] returns: every record read and every row set aside."""

    ok: tuple[T, ...]
    rejected: tuple[RowRejection, ...]

    def __repr__(self) -> str:
        # A file may hold millions of rows: say how many, never print them all.
        return f"ReadResult({len(self.ok):,} ok, {len(self.rejected):,} rejected)"


def _format_of(path: Path, format: str | None) -> str:
    chosen = format or {
        ".csv": "csv",
        ".jsonl": "jsonl",
        ".ndjson": "jsonl",
        ".json": "jsonl",
        ".parquet": "parquet",
    }.get(path.suffix.lower())
    if chosen not in _FORMATS:
        fail("format", chosen or path.suffix, f"must be one of {_FORMATS}")
    return chosen


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


class _Bad:
    """A row that cannot become a record before it is even parsed, and why."""

    __slots__ = ("column", "reason", "row")

    def __init__(self, reason: str, row: Mapping[str, Any], column: str = "(row)") -> None:
        self.reason, self.row, self.column = reason, row, column


_Row = tuple[int, "dict[str, Any] | _Bad"]


def _open_text(path: Path, encoding: str | None) -> tuple[IO[str], str]:
    """The file as text in its encoding: a byte-order mark wins over UTF-8 (given or
    default); undecodable bytes become the marker [`_UNDECODABLE`][logicrm.io._UNDECODABLE]."""
    with path.open("rb") as raw:
        head = raw.read(4)
    boms = (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    )
    chosen = encoding or "utf-8"
    if encoding is not None:
        try:
            chosen = codecs.lookup(encoding).name
        except LookupError:
            fail("encoding", encoding, "is not a known text encoding (try 'utf-8' or 'gb18030')")
    if chosen.replace("_", "-").startswith(("utf-8", "utf8", "utf-16", "utf-32")):
        chosen = next((name for bom, name in boms if head.startswith(bom)), chosen)
        if chosen in ("utf-8", "utf8"):
            chosen = "utf-8-sig"
    handle = path.open(encoding=chosen, errors="logicrm.undecodable", newline="")
    return handle, chosen


def _undecodable(encoding: str) -> str:
    shown = encoding.removesuffix("-sig")
    hint = (
        " (a GBK export? read it with encoding 'gb18030', on the command line --encoding gb18030)"
        if "utf-8" in shown
        else ""
    )
    return f"holds bytes that are not valid {shown}{hint}"


class _Lines:
    """The lines of a text file for the csv module, each at most ``limit`` characters,
    noting undecodable bytes, over-long lines and the size of the record being read."""

    def __init__(self, handle: IO[str], limit: int) -> None:
        self.handle = handle
        self.limit = limit
        self.undecodable = False
        self.too_long = False
        self.size = 0

    def __iter__(self) -> _Lines:
        return self

    def next_record(self) -> None:
        self.undecodable = self.too_long = False
        self.size = 0

    def __next__(self) -> str:
        line = self.handle.readline(self.limit)
        if not line:
            raise StopIteration
        if len(line) == self.limit and not line.endswith(("\n", "\r")):
            self.too_long = True
            while (rest := self.handle.readline(self.limit)) and not rest.endswith("\n"):
                pass
            return "\n"
        self.size += len(line)
        if _UNDECODABLE in line:
            self.undecodable = True
        return line


def _readable(row: dict[str, str]) -> dict[str, str]:
    """A row with its undecodable bytes shown as U+FFFD, fit for a rejects file."""
    return {
        k.replace(_UNDECODABLE, "\ufffd"): v.replace(_UNDECODABLE, "\ufffd") for k, v in row.items()
    }


def _sniff(line: str) -> str:
    """The delimiter of a header line: the candidate found most often outside quotes."""
    unquoted = re.sub(r'"[^"]*"', "", line)
    counts = {d: unquoted.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_rows(
    path: Path, reader: _Reader, encoding: str | None, delimiter: str | None
) -> Iterator[_Row]:
    handle, chosen = _open_text(path, encoding)
    with handle:
        lines = _Lines(handle, _PARSE_LIMIT)
        rows, header = _csv_header(path, reader, lines, chosen, delimiter)
        width = len(header)
        repeated = {n: [i for i, h in enumerate(header) if h == n] for n in set(header)}
        repeated = {n: where for n, where in repeated.items() if len(where) > 1}
        ended = rows.line_num
        while True:
            lines.next_record()
            cells, error = _next_row(rows)
            if cells is None and error is None:
                return
            start, ended = ended + 1, rows.line_num
            cells = cells or []
            raw = dict(zip(header, cells, strict=False))
            if lines.too_long or error is not None or lines.size > MAX_RECORD_CHARS:
                yield (
                    start,
                    _Bad(
                        f"is longer than {MAX_RECORD_CHARS:,} characters"
                        + (f" ({error})" if error else ""),
                        {},
                    ),
                )
            elif lines.undecodable:
                yield start, _Bad(_undecodable(chosen), _readable(raw))
            elif not any(cell.strip() for cell in cells):
                continue  # a blank line, or a row of empty cells: nothing to read
            elif len(cells) != width:
                yield start, _Bad(f"has {len(cells)} cells where the header has {width}", raw)
            else:
                clash = next(
                    (n for n, where in repeated.items() if len({cells[i] for i in where}) > 1),
                    None,
                )
                if clash is None:
                    yield start, raw
                else:
                    yield (
                        start,
                        _Bad(
                            f"column {clash!r} appears {len(repeated[clash])} times in the header "
                            "with different values here",
                            raw,
                            clash,
                        ),
                    )


def _csv_header(
    path: Path, reader: _Reader, lines: _Lines, encoding: str, delimiter: str | None
) -> tuple[Any, list[str]]:
    """The csv reader over ``lines`` (its dialect's ``delimiter`` sniffed when not given) and
    the header it read, checked against the fields ``reader`` expects."""
    first = next(lines, "")
    if lines.too_long or lines.undecodable or lines.size > MAX_RECORD_CHARS:
        problem = _undecodable(encoding) if lines.undecodable else "is too long"
        raise ReadError(str(path), f"the header {problem}")
    if not first.strip():
        raise ReadError(str(path), "is empty: it has no header row")
    rows = csv.reader(itertools.chain([first], lines), delimiter=delimiter or _sniff(first))
    header = [name.strip() for name in _next_row(rows)[0] or []]
    reader.check_header(str(path), header)
    return rows, header


def _next_row(rows: Iterator[list[str]]) -> tuple[list[str] | None, str | None]:
    """The next row and ``None``, ``(None, reason)`` for an unreadable one, or
    ``(None, None)`` at the end; the csv module's global limit is the caller's again after."""
    limit = csv.field_size_limit(_PARSE_LIMIT)
    try:
        return next(rows), None
    except StopIteration:
        return None, None
    except csv.Error as error:
        return None, str(error)
    finally:
        csv.field_size_limit(limit)


def _jsonl_rows(path: Path, reader: _Reader, encoding: str | None) -> Iterator[_Row]:
    handle, chosen = _open_text(path, encoding)
    with handle:
        lines = _Lines(handle, MAX_RECORD_CHARS)
        checked = False
        for number, line in enumerate(lines, start=1):
            too_long, undecodable = lines.too_long, lines.undecodable
            lines.next_record()
            if too_long:
                yield number, _Bad(f"is longer than {MAX_RECORD_CHARS:,} characters", {})
                continue
            if undecodable:
                yield number, _Bad(_undecodable(chosen), _readable({"line": line}))
                continue
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as error:
                yield number, _Bad(f"is not valid JSON ({error.msg})", {"line": line})
                continue
            except ValueError:  # a number of more than 4,300 digits
                yield number, _Bad("holds a number too long to read", {"line": line})
                continue
            except RecursionError:
                yield number, _Bad("is nested too deeply", {"line": line})
                continue
            if not isinstance(value, dict):
                yield number, _Bad("is not a JSON object", {"line": line})
                continue
            if not checked:  # the first object's keys stand in for a header's names
                checked = True
                reader.check_keys(str(path), list(value))
            yield number, value


def _parquet_batches(path: Path, reader: _Reader, size: int = 65_536) -> Iterator[Any]:
    """The Arrow record batches of a Parquet file, its header checked first."""
    import pyarrow.parquet as pq  # optional dependency, only for Parquet

    try:
        file = pq.ParquetFile(path)
        header = list(file.schema_arrow.names)
    except Exception as error:
        raise ReadError(str(path), f"is not a readable Parquet file ({_short(error)})") from None
    reader.check_header(str(path), header)
    number = 0
    batches = file.iter_batches(batch_size=size)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except Exception as error:
            raise ReadError(
                str(path), f"is damaged after row {number:,} ({_short(error)})"
            ) from None
        number += batch.num_rows
        yield batch


def _parquet_rows(path: Path, reader: _Reader) -> Iterator[_Row]:
    number = 0
    for batch in _parquet_batches(path, reader):
        for row in batch.to_pylist():
            number += 1
            yield number, row


def _short(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:200]


# The fields that identify a record of each kind: a second record with the same key is a
# duplicate. Kinds with an ``id`` field use it.
_KEYS: dict[type, tuple[str, ...]] = {
    CreditProfile: ("customer_id",),
    SurveyResponse: ("respondent_id", "taken_at"),
    ServiceStandard: ("measure", "kind"),
}


def _key_of(cls: type) -> Callable[[Any], object] | None:
    names = _KEYS.get(cls) or (("id",) if any(f.name == "id" for f in attrs.fields(cls)) else ())
    if not names:
        return None
    if len(names) == 1:
        (name,) = names
        return lambda record: getattr(record, name)
    return lambda record: tuple(getattr(record, n) for n in names)


def stream(
    source: str | Path,
    cls: type[T],
    *,
    mapping: ColumnMapping | None = None,
    format: str | None = None,
    on_reject: Callable[[RowRejection], None] | None = None,
    rejects: str | Path | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> Iterator[T]:
    """Yield each valid record of ``cls`` in the file, one at a time.

    Bad rows never stop the stream: each becomes a [`RowRejection`][logicrm.io.RowRejection], passed
        to
    ``on_reject`` and appended to the ``rejects`` file (JSON Lines, created readable by its
    owner only, since rows may hold contact details) when given. The format comes from
    ``format`` or the file's suffix (``.csv``, ``.jsonl``, ``.parquet``).

    Args:
        encoding: the text encoding of a CSV or JSON Lines file; ``None`` honours a
            byte-order mark and otherwise reads UTF-8.
        delimiter: the CSV delimiter; ``None`` sniffs it from the header.

    Raises:
        ReadError: before any row, when the file cannot be read at all (empty, not
            Parquet, or a header without a required column).
        ValidationError: the mapping names a field ``cls`` does not have.
    """
    path = Path(source)
    chosen = _format_of(path, format)
    if delimiter is not None and (len(delimiter) != 1 or delimiter in "\r\n\"'"):
        fail("delimiter", delimiter, "must be one character such as ',' or ';'")
    long_form = cls is SurveyResponse and chosen != "jsonl"
    reader = _Reader(cls, mapping or ColumnMapping(), long_form=long_form)
    if chosen == "csv":
        rows: Iterator[_Row] = _csv_rows(path, reader, encoding, delimiter)
    elif chosen == "jsonl":
        rows = _jsonl_rows(path, reader, encoding)
    else:
        rows = _parquet_rows(path, reader)
    if long_form:
        rows = _survey_rows(rows, reader.mapping)
    yield from _checked(rows, cls, reader, unit="row" if chosen == "parquet" else "line",
                        on_reject=on_reject, rejects=rejects)  # fmt: skip


def _checked(
    rows: Iterator[_Row],
    cls: type[T],
    reader: _Reader,
    *,
    unit: str,
    on_reject: Callable[[RowRejection], None] | None,
    rejects: str | Path | None,
    keyed: bool = False,
) -> Iterator[T]:
    """The records of ``rows``: each row read, refused or found a duplicate, the refused
    ones passed on and written to ``rejects``. ``keyed`` rejections carry the row's key (a
    database row has no line)."""
    long_form = reader.long_form
    key_of = _key_of(cls)
    seen: dict[object, int] = {}
    key_column = reader.mapping.column(_KEYS.get(cls, ("id",))[0])
    with contextlib.ExitStack() as stack:
        sink: IO[str] | None = None
        if rejects is not None:
            sink = stack.enter_context(_private_file(Path(rejects)))
        for line, row in rows:
            if isinstance(row, _Bad):
                rejection = RowRejection(line, ((row.column, row.reason),), row.row)
            else:
                try:
                    record = from_dict(cls, row if long_form else reader.record(row))
                except ValidationError as error:
                    rejection = RowRejection(line, reader.problems(error), row)
                else:
                    if key_of is None:
                        yield record
                        continue
                    key = key_of(record)
                    first = seen.setdefault(key, line)
                    if first == line:
                        yield record
                        continue
                    rejection = RowRejection(
                        line, ((key_column, f"duplicate of {unit} {first}"),), row
                    )
            if keyed:
                rejection = attrs.evolve(rejection, key=_row_key(rejection.row, key_column))
            if on_reject is not None:
                on_reject(rejection)
            if sink is not None:
                sink.write(
                    json.dumps(
                        {
                            "line": rejection.line,
                            **({"key": rejection.key} if keyed else {}),
                            "problems": [list(p) for p in rejection.problems],
                            "row": rejection.row,
                        },
                        default=str,
                        ensure_ascii=False,
                    )
                    + "\n"
                )


def _row_key(row: Mapping[str, Any], column: str) -> str | None:
    value = row.get(column) if isinstance(row, Mapping) else None
    return None if value is None else str(value)[:100]


def stream_db(
    database: Any,
    cls: type[T],
    *,
    table: str | None = None,
    query: str | None = None,
    params: Any = (),
    mapping: ColumnMapping | None = None,
    on_reject: Callable[[RowRejection], None] | None = None,
    rejects: str | Path | None = None,
) -> Iterator[T]:
    """Yield each valid record of ``cls`` in a database table, or in the rows of a query.

    The rules are the files': the same [`ColumnMapping`][logicrm.io.ColumnMapping], the same
    checks, the same duplicates. A rejected row's ``line`` is its number in the result
    (from 1), and its ``key`` the value of its key column (``id``, a profile's
    ``customer_id``...), since a table has no lines.

    Args:
        database: a URI (``postgresql://user@host/db``, ``sqlite:///path.db``) or an open
            ``sqlite3`` or psycopg connection. PostgreSQL needs ``pip install 'logicrm[db]'``.
        table: a table name, ``name`` or ``schema.name`` (checked, then quoted).
        query: instead of ``table``, a query of yours; ``params`` are its parameters, passed
            to the driver (``?`` placeholders in SQLite, ``%s`` in PostgreSQL). It may only
            read: PostgreSQL runs it in a read-only transaction that is rolled back (a
            savepoint in a transaction of yours), SQLite on a read-only connection that
            refuses ``ATTACH``, ``VACUUM`` and ``PRAGMA`` too; an open connection of yours is
            given back as it was.

    Raises:
        ReadError: the database, table or query cannot be read, lacks a required column, or
            the query tried to change something (nothing is changed). Messages never show a
            password, whatever the form of the connection string.
        ValidationError: a bad table name, or a mapping naming an unknown field.

    Examples:
        >>> import sqlite3
        >>> db = sqlite3.connect(":memory:")
        >>> _ = db.execute("CREATE TABLE c (id TEXT, name TEXT, kind TEXT)")
        >>> _ = db.execute("INSERT INTO c VALUES ('C1', 'Acme', 'enterprise')")
        >>> from logicrm.domain import Customer
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:  # optional columns absent
        ...     warnings.simplefilter("always")
        ...     ids = [c.id for c in stream_db(db, Customer, table="c")]
        >>> ids, caught[0].category.__name__
        (['C1'], 'ColumnWarning')
    """
    from logicrm._readers._db import Source, reading

    source = Source(table=table, query=query, params=params)
    reader = _Reader(cls, mapping or ColumnMapping(), long_form=cls is SurveyResponse)
    with reading(database, source) as (names, values):
        reader.check_header(source.name, names)
        rows: Iterator[_Row] = _database_rows(names, values, reader)
        if reader.long_form:
            rows = _survey_rows(rows, reader.mapping)
        yield from _checked(
            rows, cls, reader, unit="row", on_reject=on_reject, rejects=rejects, keyed=True
        )


def _database_rows(
    names: list[str], values: Iterable[tuple[Any, ...]], reader: _Reader
) -> Iterator[_Row]:
    """A database's rows, numbered from 1, as mappings; an integer 0 or 1 in a column read
    as a flag is read as false or true (SQLite keeps booleans as integers, and so does
    [`write_scores`][logicrm.io.write_scores])."""
    flags = [i for i, n in enumerate(names) if n in {c for _, k, c in reader._plan if k == "bool"}]
    for number, row in enumerate(values, 1):
        cells = dict(zip(names, row, strict=True))
        for index in flags:
            value = row[index]
            if type(value) is int and value in (0, 1):
                cells[names[index]] = bool(value)
        yield number, cells


def write_scores(
    database: Any,
    table: str,
    rows: Iterable[Mapping[str, Any]],
    *,
    as_of: datetime,
    replace_snapshot: bool = False,
) -> int:
    """Write assessment rows ([`Assessment.row()`][logicrm.Assessment.row]) to a database
    table, one row per customer and ``as_of``, in one transaction; returns the rows written.

    The table is created when missing, with ``(customer_id, as_of)`` as its primary key; a
    customer scored again at the same ``as_of`` is updated (upserted). Money stays exact
    (``NUMERIC(52, 34)`` in PostgreSQL, room for every amount the library allows; text in
    SQLite, which has no exact decimal) and times aware (``timestamptz``; ISO 8601 with its
    offset in SQLite). A failed or interrupted write changes nothing.

    Runs at the same time are safe: each takes a lock on the table (an advisory lock in
    PostgreSQL, SQLite's write lock) before it checks or creates it, writes in key order,
    and a serialization failure or deadlock is tried again, a bounded number of times
    (five), before it is reported. PostgreSQL rows go in
    through ``COPY`` into a staging table and one ``INSERT ... ON CONFLICT``.

    Args:
        replace_snapshot: the rows are the whole snapshot at ``as_of``: every row of the
            table at that ``as_of`` is deleted first, in the same transaction, so customers
            left out of this run do not keep an earlier run's scores.

    Raises:
        ValidationError: a bad table name, one in a temporary schema (``temp.scores``,
            ``pg_temp.scores``: its rows would vanish with the connection), or an existing
            table of another shape (the message names the columns missing and unexpected).
        ReadError: the database cannot be opened or written.
    """
    from logicrm._readers._db import write_rows

    return write_rows(database, table, rows, as_of=as_of, replace_snapshot=replace_snapshot)


def write_worklist(database: Any, table: str, items: Iterable[Any], *, as_of: datetime) -> int:
    """Write the worklist's items ([`WorkItem`][logicrm.retention.WorkItem]s, e.g.
    ``Worklist.everything()``) to a database table, upserted on the item's stable ``id``, in
    one transaction; returns the rows written.

    The table is created when missing: ``id`` (the primary key), ``as_of`` (the run that
    last wrote the row), then [`WORKLIST_COLUMNS`][logicrm.retention.WORKLIST_COLUMNS],
    ``due_at`` a time. An item written again (the next run, still open) is updated in place;
    one no longer on the worklist keeps its last row, its ``as_of`` older than the run's, so
    a TMS closes it with ``UPDATE tasks SET ... WHERE as_of < :run``. The writer is the
    scores' ([`write_scores()`][logicrm.io.write_scores]): the same checks, the same single
    transaction.

    Raises:
        ValidationError: a bad table name, or an existing table of another shape.
        ReadError: the database cannot be opened or written.
    """
    from logicrm._feed import feed_columns, feed_rows
    from logicrm._readers._db import write_rows

    return write_rows(
        database, table, feed_rows(items), as_of=as_of, shape=feed_columns, key=("id",)
    )


def write_calendar(target: str | Path, items: Iterable[Any], *, stamp: datetime) -> int:
    """Write work items as an iCalendar file (RFC 5545) of to-dos that a calendar
    application imports: one VTODO per item, its stable id as the UID (so a second import
    updates rather than duplicates), its due date as DUE, what to do and for which customer
    (the id, never a name) as the summary, the reasons as the description. ``stamp`` is the
    DTSTAMP, the moment of the run. Returns the number of to-dos.

    Needs the ``icalendar`` package (``pip install 'logicrm[calendar]'``).
    """
    from logicrm._feed import calendar_bytes

    chosen = list(items)
    Path(target).write_bytes(calendar_bytes(chosen, stamp=stamp, name="logicrm worklist"))
    return len(chosen)


def read_db(database: Any, cls: type[T], **options: Any) -> ReadResult[T]:
    """Every valid record of a table or query and every row set aside, as
    [`stream_db()`][logicrm.io.stream_db] reads them."""
    rejected: list[RowRejection] = []
    ok = tuple(stream_db(database, cls, on_reject=rejected.append, **options))
    return ReadResult(ok, tuple(rejected))


def _private_file(path: Path) -> IO[str]:
    """A new (or emptied) text file only its owner may read: it holds rejected rows."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.chmod(descriptor, 0o600)  # an older file keeps its mode through O_TRUNC otherwise
    return os.fdopen(descriptor, "w", encoding="utf-8", newline="")


def _survey_rows(rows: Iterator[_Row], mapping: ColumnMapping) -> Iterator[_Row]:
    """Group long-form answer rows (consecutive rows of one respondent) into responses."""
    answer_fields = _flat_fields(Answer)
    response_fields = {k: v for k, v in _flat_fields(SurveyResponse).items() if k != "answers"}
    current: dict[str, Any] | None = None
    first_line = 0
    for line, row in rows:
        if isinstance(row, _Bad):
            yield line, row
            continue
        key = row.get(mapping.column("respondent_id"))
        if current is not None and key != current.get("respondent_id"):
            yield first_line, current
            current = None
        if current is None:
            first_line = line
            current = {}
            for path, kind in response_fields.items():
                column = mapping.column(path)
                if path in mapping.constants:
                    current[path] = mapping.constants[path]
                elif column in row:
                    value = _coerce(kind, row[column], mapping)
                    if value is not None:
                        current[path] = value
            current["answers"] = []
        answer = {}
        for path, kind in answer_fields.items():
            column = mapping.column(path)
            if column in row:
                answer[path] = _coerce(kind, row[column], mapping)
        current["answers"].append(answer)
    if current is not None:
        yield first_line, current


def read(
    source: str | Path,
    cls: type[T],
    *,
    mapping: ColumnMapping | None = None,
    format: str | None = None,
    rejects: str | Path | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> ReadResult[T]:
    """Read a whole file into memory: ``ReadResult(ok, rejected)``. The options are
    [`stream()`][logicrm.io.stream]'s.

    Examples:
        >>> import tempfile, pathlib
        >>> from logicrm import Invoice
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "bills.csv").write_text(
        ...     "bill,customer,issued_on,due_on,paid_on,amount\\n"
        ...     "F1,C1,2026-05-01,2026-05-31,,900.00\\n"
        ...     "F2,C1,2026-05-01,2026-04-30,,100.00\\n")
        >>> mapping = ColumnMapping(columns={"id": "bill", "customer_id": "customer",
        ...                                  "amount.amount": "amount"},
        ...                         constants={"amount.currency": "CNY"})
        >>> result = read(folder / "bills.csv", Invoice, mapping=mapping)
        >>> len(result.ok), result.rejected[0].line, result.rejected[0].column
        (1, 3, 'due_on')
    """
    rejected: list[RowRejection] = []
    ok = tuple(
        stream(
            source,
            cls,
            mapping=mapping,
            format=format,
            on_reject=rejected.append,
            rejects=rejects,
            encoding=encoding,
            delimiter=delimiter,
        )
    )
    return ReadResult(ok, tuple(rejected))


def _write_streaming(
    path: Path, rows: Iterable[Mapping[str, Any]], chosen: str, columns: list[str], safe: bool
) -> int:
    """Flat rows written one at a time, exactly as ``write`` writes them all at once."""
    count = 0
    with path.open("w", newline="" if chosen == "csv" else None, encoding="utf-8") as handle:
        if chosen == "jsonl":
            for row in rows:
                handle.write(json.dumps(dict(row), ensure_ascii=False, default=str) + "\n")
                count += 1
            return count
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            values = [row[c] for c in columns]
            if safe:  # only text can be a formula
                values = [spreadsheet_cell(v) if type(v) is str else v for v in values]
            writer.writerow(values)
            count += 1
    return count


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, item in value.items():
        path = f"{prefix}{key}"
        if isinstance(item, dict):
            flat.update(_flatten(item, f"{path}."))
        elif isinstance(item, list):
            flat[path] = json.dumps(item, ensure_ascii=False)
        else:
            flat[path] = item
    return flat


def write(
    target: str | Path,
    rows: Iterable[Any],
    *,
    format: str | None = None,
    spreadsheet_safe: bool = True,
    columns: Sequence[str] | None = None,
) -> int:
    """Write results (logicrm objects or plain mappings) as CSV, JSON Lines or Parquet.

    Objects are written as [`to_dict()`][logicrm.serialization.to_dict] makes them; nested objects
    become dotted columns in CSV and Parquet. Returns the number of rows written.

    CSV is written for people, who open it in a spreadsheet: with ``spreadsheet_safe``
    (the default) a text cell that a spreadsheet would run as a formula (one starting with
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, and not a number) is written
    behind a single quote, the OWASP advice against CSV injection. Pass ``False`` for a CSV
    meant for another program. JSON Lines and Parquet always keep values exactly.

    ``columns``, for flat mappings that all have those keys (such as
    [`Assessment.row()`][logicrm.Assessment.row]s), names the CSV columns up front, so rows are
    written as they come and a million of them never sit in memory together.
    """
    path = Path(target)
    chosen = _format_of(path, format)
    if columns is not None and chosen in ("csv", "jsonl"):
        return _write_streaming(path, rows, chosen, list(columns), spreadsheet_safe)
    records = [to_dict(r) if attrs.has(type(r)) else dict(r) for r in rows]
    if chosen == "jsonl":
        with path.open("w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        return len(records)
    flat = [_flatten(r) for r in records]
    columns = list(dict.fromkeys(c for record in flat for c in record))
    if chosen == "csv":
        if spreadsheet_safe:
            flat = [{k: spreadsheet_cell(v) for k, v in r.items()} for r in flat]
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(flat)
        return len(flat)
    import pyarrow as pa  # optional dependency, only for Parquet
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist([{c: r.get(c) for c in columns} for r in flat])
    pq.write_table(table, path)
    return len(flat)
