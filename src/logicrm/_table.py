"""Plain-text tables for the terminal (no third-party dependency)."""

from __future__ import annotations

from collections.abc import Sequence

from logicrm._safety import terminal_line


def render_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Left-aligned text, right-aligned numbers, a rule under the header; control
    characters in cells are shown escaped, never sent to the terminal."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for column, text in enumerate(row):
            widths[column] = max(widths[column], len(text))
    numeric = [
        bool(rows)
        and all(isinstance(row[c], int | float) or _looks_numeric(row[c]) for row in rows)
        for c in range(len(headers))
    ]

    def line(values: Sequence[str]) -> str:
        parts = [
            value.rjust(widths[c]) if numeric[c] else value.ljust(widths[c])
            for c, value in enumerate(values)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(list(headers)), rule, *(line(row) for row in cells)])


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return terminal_line(str(value))  # an id from a file may hold escape sequences


def _looks_numeric(value: object) -> bool:
    if value is None or value == "-":
        return True
    text = str(value).replace(",", "").replace("%", "").strip()
    try:
        float(text.split()[0])
    except (ValueError, IndexError):
        return False
    return True
