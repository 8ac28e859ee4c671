"""HTML for notebooks: one renderer for every result object, so they all look alike.

Results are attrs classes; the renderer walks their fields. Labels and numbers come from the
presentation layer (`logicrm._present`): fields and columns read as words, rates as percentages,
money with separators, gaps in points, times to the minute. Nested results fold away under
``<details>``, long tuples are cut to their first rows, and ``reasons`` always come last as a
list (each code in its line's tooltip). Every value is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from logicrm import _present

_MAX_ROWS = 20
_STYLE = "border-collapse:collapse;margin:0.3em 0"
_CELL = "padding:2px 8px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top"
_WIDE = "max-width:1200px;overflow-x:auto"  # a wide table scrolls inside 1,200 px

Formatter = Callable[[float], str]


def _formatter(obj: Any, field: str) -> Formatter | None:
    """How the numbers of ``obj.field`` read, where their unit is not in their name: the
    gap model's levels and gaps take their measure's unit, SERVQUAL gaps are scale points."""
    kind = type(obj).__name__
    if kind == "MeasureGaps" and field in ("levels", "gaps"):
        measure = obj.measure.value
        if field == "levels":
            return lambda v: _present.measure_value(measure, v)
        return lambda v: _present.measure_gap(measure, v)
    if kind == "WorstGap" and field in ("size", "relative"):
        if field == "relative":
            return _present.percent
        where = obj.where
        if where.endswith(("_rate", "_hours")):
            return lambda v: _present.measure_gap(where, v)
        return _present.scale_points
    if (kind == "FiveGapsReport" and field == "dimensions") or (
        kind == "ServqualResult"
        and field in ("item_gaps", "dimension_gaps", "unweighted", "weighted")
    ):
        return _present.scale_points
    if kind == "ServqualResult" and field == "weights":
        return _present.percent
    if (kind, field) in (("ValueScore", "dimensions"), ("CreditDecision", "criteria")):
        return lambda v: f"{v:.1f}"  # scores from 0 to 100
    return None


def _nests(value: Any) -> bool:
    """Whether a value is a result of its own (a table), rather than one figure."""
    from logicrm.domain import Money

    return attrs.has(type(value)) and not isinstance(value, Money)


def render(obj: Any) -> str:
    """An HTML block for one result object (an attrs instance)."""
    name = type(obj).__name__
    label = getattr(obj, "customer_id", None)
    title = f"{name} &middot; {html.escape(str(label))}" if label else name
    rows: list[tuple[str, str]] = []
    nested: list[str] = []
    for field in attrs.fields(type(obj)):
        if field.name in ("reasons", "customer_id") or not field.repr:
            continue  # what repr hides (personal data, a note) HTML hides too
        value = getattr(obj, field.name)
        fmt = _formatter(obj, field.name)
        if _nests(value) or _holds_results(value):
            # A nested result, or a mapping of them, folds away: a report never shows
            # tables three deep at once.
            count = f" ({len(value)})" if isinstance(value, Mapping) else ""
            nested.append(
                f"<details><summary>{html.escape(_present.label(field.name))}{count}</summary>"
                f"{cell(value, field.name, fmt=fmt)}</details>"
            )
        else:
            rows.append((html.escape(_present.label(field.name)), cell(value, field.name, fmt=fmt)))
    reasons = getattr(obj, "reasons", ())
    parts = [
        f"<div class='logicrm'><strong>{title}</strong>",
        table(("", ""), rows, escape=False, header=False),
        *nested,
    ]
    if reasons:
        parts.append(
            "<details open><summary>reasons</summary>" + reason_list(reasons) + "</details>"
        )
    parts.append("</div>")
    return "".join(parts)


def reason_list(reasons: Sequence[Any]) -> str:
    """Reasons as a list of their messages; each code shows when the pointer rests on it."""
    items = "".join(
        f"<li title='{html.escape(r.code, quote=True)}'>{html.escape(_present.words(r.message))}"
        "</li>"
        for r in reasons
    )
    return f"<ul>{items}</ul>"


def _nested(value: Any, name: str, fmt: Formatter | None) -> str:
    """A value inside a mapping; a result or a mapping in it folds under its key."""
    if attrs.has(type(value)) or (isinstance(value, Mapping) and value):
        return (
            f"<details><summary>{html.escape(_present.text(name))}</summary>"
            f"{cell(value, name, fmt=fmt)}</details>"
        )
    return cell(value, name, fmt=fmt)


def _holds_results(value: Any) -> bool:
    return isinstance(value, Mapping) and any(
        attrs.has(type(v)) or isinstance(v, Mapping) for v in value.values()
    )


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    escape: bool = True,
    header: bool = True,
) -> str:
    """A plain HTML table; headers read as labels, cells are escaped (and formatted) unless
    they are already HTML. A table wider than 1,200 px scrolls inside its own box."""
    head = "".join(f"<th style='{_CELL}'>{html.escape(_present.label(h))}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(f"<td style='{_CELL}'>{cell(v) if escape else v}</td>" for v in row)
        + "</tr>"
        for row in rows
    )
    thead = f"<thead><tr>{head}</tr></thead>" if header else ""
    markup = f"<table style='{_STYLE}'>{thead}<tbody>{body}</tbody></table>"
    return f"<div style='{_WIDE}'>{markup}</div>" if len(headers) > 8 else markup


def row_cells(row: Mapping[str, Any], columns: Sequence[str]) -> list[str]:
    """The cells of one ``row()`` as escaped HTML: money with the row's currency, the
    worst gap in its unit, everything else as `cell()` shows it."""
    cells = [html.escape(_present.row_text(row, c)) for c in columns]
    # A short value (an amount, a rate, a label) keeps to one line; long text wraps.
    return [f"<span style='{_NOWRAP}'>{c}</span>" if _breaks(c) else c for c in cells]


def _breaks(text: str) -> bool:
    """Whether a figure could break over two lines ("144,714.51 CNY", "-2.00 pts")."""
    return len(text) <= 24 and text[:2].lstrip("+-")[:1].isdigit() and (" " in text)


def reasons_cell(reasons: Sequence[Any]) -> str:
    """The first reason's first clause, and every reason folded under "more"."""
    if not reasons:
        return "&ndash;"
    first = html.escape(_short(_present.words(reasons[0].message)))
    folded = f"<details class='reasons'><summary>more</summary>{reason_list(reasons)}</details>"
    return f"<div style='min-width:11em'>{first}{folded}</div>"


def cell(value: Any, name: str = "", *, fmt: Formatter | None = None) -> str:
    """One value as escaped HTML text, formatted for people (``fmt`` for bare numbers)."""
    if value is None:
        return "&ndash;"
    if fmt is not None and isinstance(value, float | int) and not isinstance(value, bool):
        return html.escape(fmt(value))
    if isinstance(value, Mapping):
        if not value:
            return "&ndash;"
        return table(
            ("", ""),
            [(html.escape(_present.text(k)), _nested(v, str(k), fmt)) for k, v in value.items()],
            escape=False,
            header=False,
        )
    if isinstance(value, tuple | list) and value and all(_is_pair(v) for v in value):
        return cell(dict(value), name, fmt=fmt)  # (label, value) pairs: a small table
    if isinstance(value, tuple | list) and value and attrs.has(type(value[0])):
        fields = [f.name for f in attrs.fields(type(value[0]))]
        shown = [[cell(getattr(v, f), f) for f in fields] for v in value[:_MAX_ROWS]]
        more = len(value) - _MAX_ROWS
        note = f"<em>... and {more} more</em>" if more > 0 else ""
        return table(fields, shown, escape=False) + note
    if _nests(value):
        return render(value)
    if isinstance(value, tuple | list | frozenset):
        return html.escape(", ".join(_present.text(v, name) for v in value)) or "&ndash;"
    return html.escape(_present.text(value, name))


def _is_pair(value: Any) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str)


_SHORT = 90  # characters of a reason a row shows before it folds
_NOWRAP = "white-space:nowrap"


def _short(message: str) -> str:
    """A reason's first clause (before its ": " or "; "), cut at a word boundary."""
    message = _first_clause(_first_clause(message, ": "), "; ")
    if len(message) <= _SHORT:
        return message
    return message[: message.rfind(" ", 0, _SHORT)].rstrip(",;:") + " …"


def _first_clause(message: str, separator: str) -> str:
    """The text before the first ``separator`` outside parentheses."""
    depth = 0
    for index, char in enumerate(message):
        depth += (char == "(") - (char == ")")
        if depth == 0 and message.startswith(separator, index):
            return message[:index]
    return message


def worklist_view(items: Sequence[Any], *, shown: int = 50, title: str = "Worklist") -> str:
    """A worklist a manager reads at a glance: rank, customer, what to do, when and one
    short reason per row; everything else about the row folds under "details"."""
    rows = []
    for item in items[:shown]:
        flags = [
            flag for flag, on in (("key", item.key_customer), ("at risk", item.churn_flag)) if on
        ]
        who = (
            f"<span style='{_NOWRAP}'>{html.escape(item.customer_id)}"
            + "".join(f" <small style='color:#b03a2e'>{flag}</small>" for flag in flags)
            + "</span>"
        )
        due = _present.day(item.due_at)
        when = (
            f"overdue {item.days_overdue:,} d (due {due})"
            if item.days_overdue > 0
            else f"{_present.label(item.status.value)} {due}"
        )
        messages = [_present.words(r.message) for r in item.reasons]
        more = [
            ("next best action", _present.text(item.action)),
            ("value", _present.text(item.value_score, "value_score")),
            ("priority", _present.number(item.priority)),
            ("ranked by", _present.words(item.ranked_by)),
            ("complaint", _present.text(item.complaint_id)),
        ]
        details = (
            "<details><summary>details</summary><ul>"
            + "".join(f"<li title='{html.escape(r.code, quote=True)}'>{html.escape(m)}</li>"
                      for r, m in zip(item.reasons, messages, strict=True))
            + "</ul>"
            + "".join(f"{html.escape(k)}: {html.escape(v)}<br>" for k, v in more)
            + "</details>"
        )  # fmt: skip
        rows.append(
            [
                str(item.rank),
                who,
                f"<span style='{_NOWRAP}'>{html.escape(_present.label(item.task.value))}</span>",
                f"<span style='{_NOWRAP}'>{html.escape(when)}</span>",
                html.escape(_short(messages[0]) if messages else ""),
                details,
            ]
        )
    more_rows = len(items) - len(rows)
    note = f"<p><em>{more_rows:,} more not shown</em></p>" if more_rows > 0 else ""
    return (
        f"<div class='logicrm'><strong>{html.escape(title)}</strong> ({len(items):,} items)"
        + table(("#", "customer", "what to do", "when", "why", ""), rows, escape=False)
        + f"{note}</div>"
    )
