"""Plain-text tables for the terminal (no third-party dependency)."""

from __future__ import annotations

from collections.abc import Sequence

from logicrm._present import label, text, words
from logicrm._safety import terminal_line

WIDTH = 120
"""The width terminal tables fit by default."""
_GAP = 2
_NOTE = "  ↳ "
_NARROWEST = 8  # a text column is never cut narrower than this (or its header)


def render_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    max_width: int | None = WIDTH,
    notes: Sequence[str] | None = None,
) -> str:
    """Left-aligned text, right-aligned numbers, a rule under the header; control
    characters in cells are shown escaped, never sent to the terminal.

    A table wider than ``max_width`` has its widest text columns cut, each cut cell ending
    in "…"; numbers are never cut. ``max_width=None`` shows everything. ``notes`` puts a
    line of text under each row (indented, cut to the width in the same way; a note with a
    line break gives two lines)."""
    headers = [label(h) for h in headers]
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for column, shown in enumerate(row):
            widths[column] = max(widths[column], len(shown))
    numeric = [
        bool(rows)
        and all(isinstance(row[c], int | float) or _looks_numeric(row[c]) for row in rows)
        for c in range(len(headers))
    ]
    if max_width is not None:
        _fit(widths, headers, numeric, max_width)
        cells = [[_cut(text, widths[c]) for c, text in enumerate(row)] for row in cells]

    def line(values: Sequence[str]) -> str:
        parts = [
            value.rjust(widths[c]) if numeric[c] else value.ljust(widths[c])
            for c, value in enumerate(values)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    body = [line(row) for row in cells]
    if notes is not None:
        width = max_width or max((len(n) for n in notes), default=0) + len(_NOTE)
        said = [
            "\n".join(_cut(_NOTE + terminal_line(words(part)), width) for part in note.split("\n"))
            for note in notes
        ]
        body = [text for pair in zip(body, said, strict=True) for text in pair if text.strip()]
    return "\n".join([line(list(headers)), rule, *body])


def _fit(widths: list[int], headers: Sequence[str], numeric: list[bool], limit: int) -> None:
    """Narrow the widest text columns, one character at a time, until the table fits."""
    while sum(widths) + _GAP * (len(widths) - 1) > limit:
        cuttable = [
            c
            for c, width in enumerate(widths)
            if not numeric[c] and width > max(_NARROWEST, len(headers[c]))
        ]
        if not cuttable:
            return
        widest = max(cuttable, key=lambda c: widths[c])
        widths[widest] -= 1


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _cell(value: object) -> str:
    """A value as people read it (``_present``): identifiers as words, money and numbers
    with separators, times to the minute."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return terminal_line(text(value))  # an id from a file may hold escape sequences


def _looks_numeric(value: object) -> bool:
    if value is None or value == "-":
        return True
    text = str(value).replace(",", "").replace("%", "").strip()
    try:
        float(text.split()[0])
    except (ValueError, IndexError):
        return False
    return True
