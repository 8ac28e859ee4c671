"""Reading records from CSV, JSON Lines and Parquet files, and writing results.

Readers stream: :func:`stream` yields one validated record at a time, so a file larger than
memory can feed :func:`logicrm.summarize` directly. Every bad row is set aside with its line
number, the column at fault and the reason — never dropped silently, never aborting the
file — and can be written to a rejects file (JSON Lines).

Column names: by default a column is named after the field (``ordered_at``); amounts have
two columns, ``revenue.amount`` and ``revenue.currency``, and so do nested fields
(``contact.phone``). A :class:`ColumnMapping` maps your own names onto them and can supply
constants, such as a currency that the file does not carry::

    mapping = ColumnMapping(columns={"id": "order_no", "revenue.amount": "freight_fee"},
                            constants={"revenue.currency": "CNY", "cost.currency": "CNY"})
    activities = summarize(stream("tms_export.csv", Shipment, mapping=mapping), as_of=as_of)

Survey responses, which hold several answers, are read in long form: one row per answer with
the response's columns repeated (``respondent_id``, ``taken_at``, ``customer_id``) and the
answer's (``item``, ``dimension``, ``expectation``, ``perception``).

Parquet needs the ``pyarrow`` package (``pip install 'logicrm[frames]'``).
"""

from __future__ import annotations

import contextlib
import csv
import json
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

import attrs

from logicrm.domain import Answer, Money, SurveyResponse
from logicrm.domain._checks import fail
from logicrm.errors import Problem, ValidationError
from logicrm.serialization import from_dict, to_dict

__all__ = [
    "ColumnMapping",
    "ReadResult",
    "RowRejection",
    "read",
    "stream",
    "write",
]

T = TypeVar("T")
_FORMATS = ("csv", "jsonl", "parquet")


def _columns(value: Mapping[str, Any]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        fail("columns", value, "must map field paths to column names")
    return dict(value)


@attrs.frozen(kw_only=True)
class ColumnMapping:
    """How a file's columns map onto logicrm's fields.

    Attributes:
        columns: field path -> your column name (``{"id": "order_no"}``); unmapped fields
            keep their own names.
        constants: field path -> a value used for every row (``{"revenue.currency":
            "CNY"}``), for fields the file does not carry.
        true_values, false_values: how booleans are spelled in text files (case-insensitive);
            an empty cell is absent, so a flag takes its default.
    """

    columns: Mapping[str, str] = attrs.field(factory=dict, converter=_columns, hash=False)
    constants: Mapping[str, Any] = attrs.field(factory=dict, converter=_columns, hash=False)
    true_values: frozenset[str] = frozenset({"true", "1", "yes", "y", "t"})
    false_values: frozenset[str] = frozenset({"false", "0", "no", "n", "f"})

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
    """

    line: int
    problems: tuple[tuple[str, str], ...]
    row: Mapping[str, Any] = attrs.field(repr=False, eq=False, hash=False)

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
    """What :func:`read` returns: every record read and every row set aside."""

    ok: tuple[T, ...]
    rejected: tuple[RowRejection, ...]


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
            except ValueError:
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

    def __init__(self, cls: type, mapping: ColumnMapping) -> None:
        self.cls = cls
        self.mapping = mapping
        self.fields = _flat_fields(cls)

    def record(self, row: Mapping[str, Any]) -> dict[str, Any]:
        flat: dict[str, Any] = {}
        for path, kind in self.fields.items():
            if path in self.mapping.constants:
                flat[path] = self.mapping.constants[path]
                continue
            found, value = _lookup(row, self.mapping.column(path))
            if found:
                flat[path] = _coerce(kind, value, self.mapping)
        # Drop absent optional values so that defaults apply.
        return _nest({k: v for k, v in flat.items() if v is not None})

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


def _message(problem: Problem) -> str:
    return problem.message


def _rows(path: Path, format: str) -> Iterator[tuple[int, dict[str, Any]]]:
    if format == "csv":
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                yield reader.line_num, row
    elif format == "jsonl":
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as error:
                    yield number, {"__invalid__": f"not valid JSON ({error.msg})"}
                    continue
                if isinstance(value, dict):
                    yield number, value
                else:
                    yield number, {"__invalid__": "not an object"}
    else:
        import pyarrow.parquet as pq  # optional dependency, only for Parquet

        number = 0
        for batch in pq.ParquetFile(path).iter_batches(batch_size=65_536):
            for row in batch.to_pylist():
                number += 1
                yield number, row


def stream(
    source: str | Path,
    cls: type[T],
    *,
    mapping: ColumnMapping | None = None,
    format: str | None = None,
    on_reject: Callable[[RowRejection], None] | None = None,
    rejects: str | Path | None = None,
) -> Iterator[T]:
    """Yield each valid record of ``cls`` in the file, one at a time.

    Bad rows never stop the stream: each becomes a :class:`RowRejection`, passed to
    ``on_reject`` and appended to the ``rejects`` file (JSON Lines) when given. The format
    comes from ``format`` or the file's suffix (``.csv``, ``.jsonl``, ``.parquet``).
    """
    path = Path(source)
    chosen = _format_of(path, format)
    reader = _Reader(cls, mapping or ColumnMapping())
    long_form = cls is SurveyResponse and chosen != "jsonl"
    with contextlib.ExitStack() as stack:
        sink: IO[str] | None = None
        if rejects is not None:
            sink = stack.enter_context(Path(rejects).open("w", encoding="utf-8"))
        rows = _rows(path, chosen)
        if long_form:
            rows = _survey_rows(rows, reader.mapping)
        for line, row in rows:
            rejection = None
            if "__invalid__" in row:
                rejection = RowRejection(line, (("(row)", str(row["__invalid__"])),), row)
            else:
                try:
                    yield from_dict(cls, row if long_form else reader.record(row))
                    continue
                except ValidationError as error:
                    rejection = RowRejection(line, reader.problems(error), row)
            if on_reject is not None:
                on_reject(rejection)
            if sink is not None:
                sink.write(
                    json.dumps(
                        {
                            "line": rejection.line,
                            "problems": [list(p) for p in rejection.problems],
                            "row": rejection.row,
                        },
                        default=str,
                        ensure_ascii=False,
                    )
                    + "\n"
                )


def _survey_rows(
    rows: Iterator[tuple[int, dict[str, Any]]], mapping: ColumnMapping
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Group long-form answer rows (consecutive rows of one respondent) into responses."""
    answer_fields = _flat_fields(Answer)
    response_fields = {k: v for k, v in _flat_fields(SurveyResponse).items() if k != "answers"}
    current: dict[str, Any] | None = None
    first_line = 0
    for line, row in rows:
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
) -> ReadResult[T]:
    """Read a whole file into memory: ``ReadResult(ok, rejected)``.

    Example:
        >>> import tempfile, pathlib
        >>> from logicrm import Invoice
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "bills.csv").write_text(
        ...     "bill,customer,issued_on,due_on,amount\\n"
        ...     "F1,C1,2026-05-01,2026-05-31,900.00\\n"
        ...     "F2,C1,2026-05-01,2026-04-30,100.00\\n")
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
            source, cls, mapping=mapping, format=format, on_reject=rejected.append, rejects=rejects
        )
    )
    return ReadResult(ok, tuple(rejected))


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
) -> int:
    """Write results (logicrm objects or plain mappings) as CSV, JSON Lines or Parquet.

    Objects are written as :func:`~logicrm.serialization.to_dict` makes them; nested objects
    become dotted columns in CSV and Parquet. Returns the number of rows written.
    """
    path = Path(target)
    chosen = _format_of(path, format)
    records = [to_dict(r) if attrs.has(type(r)) else dict(r) for r in rows]
    if chosen == "jsonl":
        with path.open("w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        return len(records)
    flat = [_flatten(r) for r in records]
    columns: list[str] = []
    for record in flat:
        columns.extend(c for c in record if c not in columns)
    if chosen == "csv":
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
