"""The readers' text: opening a file in its encoding (undecodable bytes marked), finding the
delimiter, and the row readers for CSV, JSON Lines and Parquet."""

from __future__ import annotations

import codecs
import csv
import itertools
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from logicrm._readers._plan import _Reader
from logicrm.domain._checks import fail
from logicrm.errors import ReadError

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


def _short(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:200]


class _Bad:
    """A row that cannot become a record before it is even parsed, and why."""

    __slots__ = ("column", "reason", "row")

    def __init__(self, reason: str, row: Mapping[str, Any], column: str = "(row)") -> None:
        self.reason, self.row, self.column = reason, row, column


_Row = tuple[int, "dict[str, Any] | _Bad"]


def _open_text(path: Path, encoding: str | None) -> tuple[IO[str], str]:
    """The file as text in its encoding: a byte-order mark wins over UTF-8 (given or
    default); undecodable bytes become the marker ``_UNDECODABLE``."""
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
