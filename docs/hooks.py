"""mkdocs hook: the reference index lists the public API from ``logicrm.__all__``."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

MARKER = "<!-- logicrm-public-api -->"
# Private modules whose names are documented at the top, as ``logicrm.NAME``.
FACADE = (
    "logicrm._assess",
    "logicrm._assess_inputs",
    "logicrm._assessment",
    "logicrm._assessments",
    "logicrm._backtest",
    "logicrm._backtest_results",
    "logicrm._backtest_compare",
)


def on_page_markdown(markdown: str, **_: Any) -> str:
    if MARKER not in markdown:
        return markdown
    import logicrm

    rows = ["| name | what it is | documented in |", "| --- | --- | --- |"]
    for name in logicrm.__all__:
        if name == "__version__":
            continue
        home = logicrm._HOMES[name]
        public = "logicrm" if home in FACADE else home
        obj = getattr(importlib.import_module(home), name)
        summary = (inspect.getdoc(obj) or "").split("\n\n")[0].replace("\n", " ")
        if not inspect.isclass(obj) and not callable(obj):
            summary = f"a constant of `{public}`"
        summary = summary.replace("|", "\\|")
        rows.append(f"| [`{name}`][{public}.{name}] | {summary} | `{public}` |")
    return markdown.replace(MARKER, "\n".join(rows))
