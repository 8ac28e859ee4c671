"""Rows as the readers hand them on to the checks: a database's rows numbered as mappings,
and long-form survey answers grouped into responses."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from logicrm._readers._plan import ColumnMapping, _coerce, _flat_fields, _Reader
from logicrm._readers._text import _Bad, _Row
from logicrm.domain import Answer, SurveyResponse


def _database_rows(
    names: list[str], values: Iterable[tuple[Any, ...]], reader: _Reader
) -> Iterator[_Row]:
    """A database's rows, numbered from 1, as mappings; an integer 0 or 1 in a column read
    as a flag is read as false or true (SQLite keeps booleans as integers, and so does
    `logicrm.io.write_scores`)."""
    flags = [i for i, n in enumerate(names) if n in {c for _, k, c in reader._plan if k == "bool"}]
    for number, row in enumerate(values, 1):
        cells = dict(zip(names, row, strict=True))
        for index in flags:
            value = row[index]
            if type(value) is int and value in (0, 1):
                cells[names[index]] = bool(value)
        yield number, cells


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
