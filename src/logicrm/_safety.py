"""Making text safe for the people who open it: spreadsheets and terminals."""

from __future__ import annotations

import re

# A cell a spreadsheet would evaluate as a formula (OWASP "CSV Injection"), unless it is
# a plain number such as -12.5.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# C0 and C1 control characters but tab and newline, DEL, and bidirectional overrides.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def spreadsheet_cell(value: object) -> object:
    """``value`` unchanged, or, for text a spreadsheet would run as a formula, the same
    text behind a single quote (``'=HYPERLINK(...)``), which spreadsheets show as text."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def terminal_text(text: str) -> str:
    """``text`` with control characters (escape sequences, bidirectional overrides)
    written as visible ``\\x1b``-style escapes, so a terminal shows them and obeys none."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def terminal_line(text: str) -> str:
    """One line for a terminal: control characters escaped, newlines and tabs too."""
    return terminal_text(text).replace("\n", "\\n").replace("\t", "\\t")
