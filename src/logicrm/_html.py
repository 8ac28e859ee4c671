"""HTML for notebooks: one renderer for every result object, so they all look alike.

Results are attrs classes; the renderer walks their fields. Numbers named ``*_rate`` or
``*_share`` show as percentages, nested results fold away under ``<details>``, long tuples
are cut to their first rows, and ``reasons`` always come last as a list. Every value is
escaped.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

import attrs

_MAX_ROWS = 20
_STYLE = "border-collapse:collapse;margin:0.3em 0"
_CELL = "padding:2px 8px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top"


def render(obj: Any) -> str:
    """An HTML block for one result object (an attrs instance)."""
    name = type(obj).__name__
    label = getattr(obj, "customer_id", None)
    title = f"{name} &middot; {html.escape(str(label))}" if label else name
    rows: list[tuple[str, str]] = []
    nested: list[str] = []
    for field in attrs.fields(type(obj)):
        if field.name in ("reasons", "customer_id"):
            continue
        value = getattr(obj, field.name)
        if attrs.has(type(value)) or _holds_results(value):
            # A nested result, or a mapping of them, folds away: a report never shows
            # tables three deep at once.
            count = f" ({len(value)})" if isinstance(value, Mapping) else ""
            nested.append(
                f"<details><summary>{html.escape(field.name)}{count}</summary>"
                f"{cell(value, field.name)}</details>"
            )
        else:
            rows.append((field.name, cell(value, field.name)))
    reasons = getattr(obj, "reasons", ())
    parts = [
        f"<div class='logicrm'><strong>{title}</strong>",
        table(("field", "value"), rows, escape=False),
        *nested,
    ]
    if reasons:
        items = "".join(
            f"<li><code>{html.escape(r.code)}</code> {html.escape(r.message)}</li>" for r in reasons
        )
        parts.append(f"<details open><summary>reasons</summary><ul>{items}</ul></details>")
    parts.append("</div>")
    return "".join(parts)


def _nested(value: Any, name: str) -> str:
    """A value inside a mapping; a result or a mapping in it folds under its key."""
    if attrs.has(type(value)) or (isinstance(value, Mapping) and value):
        return f"<details><summary>{html.escape(name)}</summary>{cell(value, name)}</details>"
    return cell(value, name)


def _holds_results(value: Any) -> bool:
    return isinstance(value, Mapping) and any(
        attrs.has(type(v)) or isinstance(v, Mapping) for v in value.values()
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, escape: bool = True) -> str:
    """A plain HTML table; cells are escaped unless they are already HTML."""
    head = "".join(f"<th style='{_CELL}'>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(f"<td style='{_CELL}'>{cell(v) if escape else v}</td>" for v in row)
        + "</tr>"
        for row in rows
    )
    return f"<table style='{_STYLE}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _enum_text(value: Enum) -> str:
    from logicrm.scoring import AbcClass

    # Pareto classes read "A", "B", "C" everywhere (tables, terminal, rows), not "a".
    return value.name if isinstance(value, AbcClass) else str(value.value)


def cell(value: Any, name: str = "") -> str:
    """One value as escaped HTML text."""
    if value is None:
        return "&ndash;"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float | Decimal) and name.endswith(("_rate", "_share")):
        return f"{float(value):.1%}"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.4g}"
    if isinstance(value, Enum):
        return html.escape(_enum_text(value))
    if isinstance(value, datetime | date):
        return html.escape(value.isoformat())
    if isinstance(value, timedelta):
        return html.escape(str(value))
    if isinstance(value, Mapping):
        if not value:
            return "&ndash;"
        return table(
            ("", ""), [(cell(k), _nested(v, str(k))) for k, v in value.items()], escape=False
        )
    if isinstance(value, tuple | list) and value and attrs.has(type(value[0])):
        fields = [f.name for f in attrs.fields(type(value[0]))]
        shown = [[cell(getattr(v, f), f) for f in fields] for v in value[:_MAX_ROWS]]
        more = len(value) - _MAX_ROWS
        note = f"<em>... and {more} more</em>" if more > 0 else ""
        return table(fields, shown, escape=False) + note
    if attrs.has(type(value)):
        return render(value)
    return html.escape(str(value))
