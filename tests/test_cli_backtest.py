"""``logicrm backtest`` from files: the table, two policies side by side, and bad input."""

import csv
import subprocess
import sys
from datetime import timedelta

import attrs
import pytest

import logicrm as lc
from logicrm import io
from logicrm.cli import main
from logicrm.policies import Policies, dumps_policies
from logicrm.sample import SAMPLE_AS_OF, generate_shipments, write_sample

CUTOFF = (SAMPLE_AS_OF - timedelta(days=182)).isoformat()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return write_sample(tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """6,000 generated shipments of 150 customers: enough for every rate."""
    folder = tmp_path_factory.mktemp("book")
    shipments = list(generate_shipments(6000, customers=150, seed=5))
    io.write(folder / "shipments.csv", shipments, spreadsheet_safe=False)
    loose = attrs.evolve(Policies(), churn=attrs.evolve(Policies().churn, drop_ratio=0.8))
    (folder / "loose.toml").write_text(dumps_policies(loose, format="toml"))
    return folder, shipments


def figure(out, name):
    """The values on the report's line for ``name`` (one per policy)."""
    line = next(line for line in out.splitlines() if line.startswith(name + "  "))
    return line[len(name) :].split()


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_sample_backtest_prints_counts_and_refuses_rates_on_twelve_customers(files, capsys):
    code, out, err = run(
        capsys, "backtest", files["shipments"], "--customers", files["customers"],
        "--cutoff", CUTOFF, "--horizon", "26w", "--engine", "python",
    )  # fmt: skip
    assert code == 0, err
    assert figure(out, "churn risk: customers") == ["10"]
    assert figure(out, "churn risk: precision") == ["n/a"]
    assert "10 customers judged, fewer than 20: no rate is given" in out
    assert "12 customers backtested" in err


def test_the_table_equals_the_library_on_a_generated_book(book, capsys, tmp_path):
    folder, shipments = book
    cutoff = SAMPLE_AS_OF - timedelta(days=200)
    code, out, err = run(
        capsys, "backtest", folder / "shipments.csv", "--cutoff", cutoff.isoformat(),
        "--horizon", "180d", "--engine", "python", "--outcomes", tmp_path / "outcomes.csv",
    )  # fmt: skip
    assert code == 0, err
    people = [
        lc.Customer(id=k, name=k, kind="enterprise")
        for k in sorted({s.customer_id for s in shipments})
    ]
    expected = lc.backtest(people, shipments, cutoff=cutoff, horizon=timedelta(days=180))
    check = expected.churn_risk
    assert check.precision is not None and check.recall is not None
    assert figure(out, "churn risk: precision") == [f"{check.precision:.1%}"]
    assert figure(out, "churn risk: recall") == [f"{check.recall:.1%}"]
    assert figure(out, "churn risk: flagged lapsed") == [f"{check.flagged_lapsed:,}"]
    with (tmp_path / "outcomes.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(people)
    lapsed = {r["customer_id"] for r in rows if r["lapsed"] == "True"}
    assert lapsed == {k for k, o in expected.outcomes.items() if o.lapsed}


def test_both_engines_print_the_same_report(book, capsys):
    folder, _ = book
    outputs = []
    for engine in ("python", "columnar"):
        code, out, err = run(
            capsys, "backtest", folder / "shipments.csv", "--cutoff", CUTOFF,
            "--horizon", "180", "--engine", engine,
        )  # fmt: skip
        assert code == 0, err
        outputs.append(out)
    assert outputs[0] == outputs[1]


def test_two_policies_side_by_side_list_the_changed_customers(book, capsys):
    folder, _ = book
    code, out, err = run(
        capsys, "backtest", folder / "shipments.csv", "--cutoff", CUTOFF, "--horizon", "180",
        "--compare", folder / "loose.toml", "--engine", "python",
    )  # fmt: skip
    assert code == 0, err
    assert "figure                      first policy  second policy" in out
    assert "differences in the advice, by customer:" in out
    assert "churn risk (any tier)" in out.split("differences in the advice")[1]  # labelled


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (["--horizon", "0"], "--horizon '0' is not a positive number of days or weeks"),
        (["--horizon", "six months"], "--horizon 'six months' is not a positive number"),
        (["--cutoff", "2026-01-01T00:00"], "--cutoff '2026-01-01T00:00' needs an offset"),
        (["--cutoff", "yesterday"], "--cutoff 'yesterday' is not an ISO 8601 date"),
        (["--min-events", "0"], "--min-customers and --min-events must be whole numbers >= 1"),
        (["--policy", "missing.toml"], "missing.toml"),
    ],
)
def test_bad_input_exits_2_with_one_message_and_no_traceback(files, capsys, change, message):
    arguments = ["backtest", files["shipments"], "--cutoff", CUTOFF, "--horizon", "180"]
    code, out, err = run(capsys, *arguments, *change)
    assert code == 2
    assert message in err
    assert "Traceback" not in err and out == ""


def test_a_missing_shipments_file_is_named(tmp_path, capsys):
    code, _, err = run(
        capsys, "backtest", tmp_path / "nope.csv", "--cutoff", CUTOFF, "--horizon", "180"
    )
    assert code == 2
    assert "nope.csv" in err


def test_the_command_runs_as_a_subprocess_without_a_traceback(files):
    done = subprocess.run(
        [sys.executable, "-m", "logicrm", "backtest", str(files["shipments"]),
         "--cutoff", "not-a-date", "--horizon", "180"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("logicrm backtest: error: --cutoff 'not-a-date'")
    assert "Traceback" not in done.stderr


def test_the_chart_shows_both_policies(book, capsys, tmp_path):
    folder, _ = book
    chart = tmp_path / "flags.png"
    code, _, err = run(
        capsys, "backtest", folder / "shipments.csv", "--cutoff", CUTOFF, "--horizon", "180",
        "--compare", folder / "loose.toml", "--chart", chart, "--engine", "python",
    )  # fmt: skip
    assert code == 0, err
    assert chart.read_bytes().startswith(b"\x89PNG")
    assert f"chart written to {chart}" in err


def test_a_chart_of_another_kind_is_refused_before_any_work(files, capsys, tmp_path):
    code, out, err = run(
        capsys, "backtest", files["shipments"], "--cutoff", CUTOFF, "--horizon", "180",
        "--chart", tmp_path / "flags.txt",
    )  # fmt: skip
    assert code == 2 and out == ""
    assert "--chart" in err and ".png, .svg" in err


def test_both_engines_reject_the_same_rows_once(book, capsys, tmp_path):
    folder, _ = book
    lines = (folder / "shipments.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    broken = lines[5].split(",")
    broken[header.index("units_ordered")] = "-3"
    bad = tmp_path / "shipments.csv"
    bad.write_text("\n".join([*lines[:5], ",".join(broken), *lines[6:]]) + "\n", encoding="utf-8")
    reports = []
    for engine in ("python", "columnar"):
        code, out, err = run(
            capsys, "backtest", bad, "--cutoff", CUTOFF, "--horizon", "180", "--engine", engine,
            "--rejects", tmp_path / f"rejects-{engine}.jsonl",
        )  # fmt: skip
        assert code == 0, err
        assert "1 rows rejected" in err and "shipments.csv line 6: units_ordered" in err
        reports.append(out)
    assert reports[0] == reports[1]
