"""The tutorial's code runs as written, on the files shipped with the docs."""

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_the_tms_tutorial_runs_and_reports_the_two_bad_rows(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    text = (ROOT / "docs" / "tutorial-tms-export.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, "tutorial", "exec"), namespace)
    out = capsys.readouterr().out
    assert "58 shipments read" in out
    assert "line 9, column 'qty_damaged'" in out
    assert "line 14, column 'order_time'" in out
    summary = namespace["summary"]
    assert summary.rejected.height == 2
    assert namespace["table"].height == len(namespace["activities"])
