"""Contact-log times at the edges of the calendar are read and planned like shipment times:
``0001-01-01T00:00:00+14:00`` lies before year 1 in UTC, yet scoring and the worklist go on."""

from __future__ import annotations

import csv

import pytest

from logicrm.cli import main
from logicrm.sample import write_sample

pytestmark = pytest.mark.filterwarnings("ignore::logicrm.errors.ColumnWarning")


@pytest.mark.parametrize("engine", ["columnar", "python"])
@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_an_interaction_at_the_calendars_edge_is_planned_without_an_internal_error(
    tmp_path, capsys, moment, engine
):
    files = write_sample(tmp_path / "sample")
    path = files["interactions"]
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[0]["at"] = moment
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    common = [
        str(files["shipments"]), "--customers", str(files["customers"]),
        "--interactions", str(path), "--as-of", "2026-06-30", "--engine", engine,
        "--format", "csv", "--no-progress", "--rejects", str(tmp_path / "r.jsonl"),
    ]  # fmt: skip
    for command in ("score", "worklist"):
        code = main([command, *common])
        out, err = capsys.readouterr()
        assert code == 0, err
        assert "rejected" not in err  # the edge moment is a valid time, read as such
        assert rows[0]["customer_id"] in out
