"""``logicrm score`` and ``logicrm policy show`` driven as a user would: a subprocess, real
files in a temporary folder, every output format read back."""

import csv
import json
import subprocess
import sys
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

import logicrm as lc
from logicrm import io
from logicrm.policies import Policies, loads_policies
from logicrm.sample import SAMPLE_AS_OF, sample_dataset, write_sample
from logicrm.scoring import summarize

AS_OF = "2026-06-30T18:00:00Z"


def logicrm(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "logicrm", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return write_sample(tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="module")
def expected():
    """What the library itself says about the sample, to compare the command against."""
    data = sample_dataset()
    return lc.assess_all(
        data.customers,
        summarize(data.shipments, as_of=data.as_of),
        as_of=data.as_of,
        inputs=lc.AssessmentInputs(credit_profiles=data.credit_profiles),
    )


def every_input(files):
    return [
        files["shipments"],
        "--customers", files["customers"],
        "--credit-profiles", files["credit_profiles"],
        "--complaints", files["complaints"],
        "--surveys", files["surveys"],
        "--standards", files["standards"],
        "--as-of", AS_OF,
    ]  # fmt: skip


def test_terminal_table_names_every_customer(files):
    result = logicrm("score", *every_input(files))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:4] == ["customer", "tier", "ABC", "value"]
    assert [line.split()[0] for line in lines[2::2]] == [f"C{i:05d}" for i in range(12)]
    assert all(line.startswith("  ↳ ") for line in lines[3::2])  # each customer's top reason
    assert "C00000    large          A     82.3" in result.stdout
    assert "12 customers assessed" in result.stderr


def test_csv_output_matches_the_library(files, expected, tmp_path):
    out = tmp_path / "scores.csv"
    result = logicrm(
        "score", files["shipments"], "--customers", files["customers"],
        "--credit-profiles", files["credit_profiles"], "--as-of", AS_OF, "--output", out,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    with out.open(newline="") as handle:
        rows = {row["customer_id"]: row for row in csv.DictReader(handle)}
    assert list(rows) == list(expected)
    for key, assessment in expected.items():
        want = assessment.row()
        got = rows[key]
        assert got["tier"] == want["tier"]
        assert got["abc_class"] == want["abc_class"]
        assert float(got["value_score"]) == want["value_score"]
        assert (got["credit_outcome"] or None) == want["credit_outcome"]
        assert got["top_reasons"] == want["top_reasons"]


def test_jsonl_to_stdout_and_parquet_read_back(files, expected, tmp_path):
    jsonl = logicrm("score", files["shipments"], "--customers", files["customers"],
                    "--as-of", AS_OF, "--format", "jsonl")  # fmt: skip
    assert jsonl.returncode == 0, jsonl.stderr
    rows = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert [r["customer_id"] for r in rows] == list(expected)
    assert rows[0]["on_time_rate"] == pytest.approx(expected["C00000"].row()["on_time_rate"])

    out = tmp_path / "scores.parquet"
    parquet = logicrm("score", *every_input(files), "--output", out)
    assert parquet.returncode == 0, parquet.stderr
    table = pl.read_parquet(out)
    assert table["customer_id"].to_list() == list(expected)
    assert table.filter(pl.col("customer_id") == "C00000")["complaints"].item() == 4
    assert set(table.columns) >= {"worst_gap", "credit_limit", "perfect_order_rate"}


def test_customers_seen_only_in_shipments_are_still_scored(files, tmp_path):
    result = logicrm("score", files["shipments"], "--as-of", AS_OF, "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 12  # every customer id in the shipments, none lost


def broken_copy(source, target, line, column, value):
    """A copy of a CSV file with one cell changed (``line`` counts the header as 1)."""
    lines = source.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[line - 1].split(",")
    cells[header.index(column)] = value
    lines[line - 1] = ",".join(cells)
    target.write_text("\n".join(lines) + "\n")
    return target


def test_bad_rows_are_reported_with_line_numbers_and_kept(files, tmp_path):
    shipments = broken_copy(files["shipments"], tmp_path / "s.csv", 6, "units_damaged", "999")
    shipments = broken_copy(shipments, tmp_path / "shipments.csv", 10, "revenue.currency", "XXX")
    out = tmp_path / "scores.csv"
    result = logicrm("score", shipments, "--as-of", AS_OF, "--output", out)
    assert result.returncode == 0, result.stderr
    assert "2 rows rejected" in result.stderr
    assert "shipments.csv line 6: units_damaged" in result.stderr
    assert "shipments.csv line 10:" in result.stderr
    rejects = [json.loads(line) for line in (tmp_path / "rejects.jsonl").read_text().splitlines()]
    assert [r["line"] for r in rejects] == [6, 10]
    assert rejects[0]["row"]["units_damaged"] == "999"  # the row itself, ready to fix
    strict = logicrm("score", shipments, "--as-of", AS_OF, "--output", out, "--strict",
                     "--rejects", tmp_path / "bad.csv")  # fmt: skip
    assert strict.returncode == 1
    with (tmp_path / "bad.csv").open(newline="") as handle:
        assert [row["line"] for row in csv.DictReader(handle)] == ["6", "10"]


def test_rejected_rows_never_leak_contact_details_to_the_terminal(files, tmp_path):
    path = broken_copy(files["customers"], tmp_path / "customers.csv", 2, "kind", "martian")
    result = logicrm(
        "score", files["shipments"], "--customers", path, "--as-of", AS_OF, cwd=tmp_path
    )
    assert result.returncode == 0
    assert "customers.csv line 2: kind" in result.stderr
    assert (tmp_path / "rejects.jsonl").is_file()  # no --output: beside the working folder
    contact = sample_dataset().customers[0].contact
    assert contact.phone not in result.stderr
    assert contact.email not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv", "--as-of", AS_OF], "does not exist"),
        (["{shipments}", "--as-of", "2026-06-30T18:00:00"], "needs an offset"),
        (["{shipments}", "--as-of", "yesterday"], "not an ISO 8601"),
        (["{shipments}", "--as-of", AS_OF, "--format", "parquet"], "needs --output"),
        (["{shipments}", "--as-of", AS_OF, "--customers", "nowhere.csv"], "customers file"),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_message(files, args, message):
    result = logicrm("score", *(a.format(shipments=files["shipments"]) for a in args))
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_missing_as_of_is_a_usage_error(files):
    result = logicrm("score", files["shipments"])
    assert result.returncode == 2
    assert "--as-of" in result.stderr


def test_a_policy_file_changes_the_scores(files, tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text("[lifecycle]\nlapsed_after_days = 5\n\n[pareto]\na = 0.5\nb = 0.9\n")
    result = logicrm("score", files["shipments"], "--customers", files["customers"],
                     "--as-of", AS_OF, "--policy", policy, "--format", "jsonl")  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = {r["customer_id"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert rows["C00003"]["lifecycle"] == "lapsed"  # last order 15 days ago
    assert sum(r["abc_class"] == "A" for r in rows.values()) < 3


def test_an_invalid_policy_file_names_the_field(files, tmp_path):
    policy = tmp_path / "policy.json"
    policy.write_text(
        json.dumps(
            {
                "credit": {
                    "score_bands": [{"min_score": 80.0, "limit_months": "3", "term_days": "sixty"}]
                },
                "churn": {"recnt_days": 9},
            }
        )
    )
    result = logicrm("score", files["shipments"], "--as-of", AS_OF, "--policy", policy)
    assert result.returncode == 2
    assert "credit.score_bands[0].term_days" in result.stderr
    assert "churn.recnt_days" in result.stderr


def test_progress_bar_goes_to_stderr_only(files):
    result = logicrm("score", files["shipments"], "--as-of", AS_OF, "--format", "jsonl",
                     "--progress")  # fmt: skip
    assert "shipments [" in result.stderr and "100% 1,500/1,500" in result.stderr
    assert "summarised the shipments of 12 customers" in result.stderr
    assert "assessing 12 customers" in result.stderr
    assert "shipments [" not in result.stdout
    quiet = logicrm("score", files["shipments"], "--as-of", AS_OF, "--no-progress")
    assert "shipments [" not in quiet.stderr and "assessing" not in quiet.stderr


def test_policy_show_prints_the_defaults_as_valid_toml_and_json(tmp_path):
    toml = logicrm("policy", "show")
    assert toml.returncode == 0
    assert loads_policies(toml.stdout, format="toml") == Policies()
    assert tomllib.loads(toml.stdout)["lifecycle"]["lapsed_after_days"] == 180
    as_json = logicrm("policy", "show", "--format", "json")
    assert loads_policies(as_json.stdout, format="json") == Policies()
    edited = tmp_path / "mine.toml"
    edited.write_text(toml.stdout.replace("lapsed_after_days = 180", "lapsed_after_days = 90"))
    shown = logicrm("policy", "show", edited)
    assert "lapsed_after_days = 90" in shown.stdout


def test_demo_writes_sample_files_that_score_cleanly(tmp_path):
    demo = logicrm("demo", "--write-sample", tmp_path)
    assert demo.returncode == 0, demo.stderr
    command = demo.stdout.strip().splitlines()[-1].split()
    assert command[:2] == ["logicrm", "score"]
    result = logicrm(*command[1:])
    assert result.returncode == 0, result.stderr
    assert "rejected" not in result.stderr
    assert len(io.read(tmp_path / "shipments.csv", lc.Shipment).ok) == 1500


def test_bare_date_as_of_means_the_end_of_that_day_utc():
    from datetime import UTC, datetime

    from logicrm.cli._score import parse_as_of

    end = datetime(2026, 6, 30, 23, 59, 59, 999_999, tzinfo=UTC)
    assert parse_as_of("2026-06-30") == parse_as_of("20260630") == end
    # A shipment in the day's last second counts; the next day's first instant does not.
    assert datetime(2026, 6, 30, 23, 59, 59, 500_000, tzinfo=UTC) <= parse_as_of("2026-06-30")
    assert datetime(2026, 7, 1, tzinfo=UTC) > parse_as_of("2026-06-30")
    assert parse_as_of(AS_OF) == SAMPLE_AS_OF


DOCS_DATA = Path(__file__).parent.parent / "docs" / "data"


def test_a_tms_export_with_its_own_column_names_scores_through_a_mapping_file(tmp_path):
    result = logicrm(
        "score", DOCS_DATA / "tms_export.csv", "--customers", DOCS_DATA / "customers.csv",
        "--mapping", DOCS_DATA / "tms_mapping.toml", "--as-of", AS_OF, "--format", "jsonl",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 12 and rows[0]["customer_id"] == "C00000"
    assert "tms_export.csv line 9: qty_damaged" in result.stderr
    assert "tms_export.csv line 14: order_time" in result.stderr
    without = logicrm("score", DOCS_DATA / "tms_export.csv", "--as-of", AS_OF, cwd=tmp_path)
    # No mapping: the header has none of the required columns, said before any row is read.
    assert without.returncode == 2 and "Traceback" not in without.stderr
    assert "lacks the required columns 'id'" in without.stderr and "--mapping" in without.stderr


def test_a_bad_mapping_file_names_the_input_and_field(files, tmp_path):
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"shipments": {"colums": {}}}))
    result = logicrm("score", files["shipments"], "--as-of", AS_OF, "--mapping", mapping)
    assert result.returncode == 2
    assert "shipments.colums" in result.stderr
    mapping.write_text(json.dumps({"orders": {}}))
    result = logicrm("score", files["shipments"], "--as-of", AS_OF, "--mapping", mapping)
    assert result.returncode == 2
    assert "orders" in result.stderr and "not an input kind" in result.stderr


def test_value_clv_allowed_a_weak_fit_scores_with_it_and_warns(files, tmp_path):
    from logicrm.models import BetaGeoModel, ClvValue, GammaGammaModel
    from logicrm.scoring import btyd_summary

    result = logicrm("score", files["shipments"], "--as-of", AS_OF, "--value", "clv",
                     "--allow-weak-fit", "--format", "jsonl")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "lifetime value: BG/NBD fitted on 12 customers: r " in result.stderr
    assert (
        "lifetime value: WARNING, weak fit used because of --allow-weak-fit: BG/NBD fitted on "
        "12 customers, fewer than the 50 needed"
    ) in result.stderr
    assert "lifetime value: Gamma-Gamma fitted on" in result.stderr and "(± " in result.stderr
    data = sample_dataset()
    activities = summarize(data.shipments, as_of=data.as_of)
    summaries = [btyd_summary(a, as_of=data.as_of) for a in activities.values()]
    calculator = ClvValue(
        purchases=BetaGeoModel.fit(summaries), spend=GammaGammaModel.fit(summaries)
    )
    customers = [lc.Customer(id=k, name=k, kind="enterprise") for k in activities]
    expected = lc.assess_all(customers, activities, as_of=data.as_of, value_calculator=calculator)
    scored = {
        row["customer_id"]: row["value_score"]
        for row in map(json.loads, result.stdout.splitlines())
    }
    assert scored == {k: round(a.value.score, 2) for k, a in expected.items()}


def test_value_clv_refuses_the_samples_weak_fit_saying_why_and_what_to_do(files, tmp_path):
    # 12 customers (under 50), 12 repeat buyers (under 20), BG/NBD's a and b with standard
    # errors above the estimates: on this fit a 617 CNY customer outscored a 217,000 CNY one.
    result = logicrm("score", files["shipments"], "--as-of", AS_OF, "--value", "clv",
                     cwd=tmp_path)  # fmt: skip
    assert result.returncode == 2 and result.stdout == ""
    assert "--value clv: the lifetime-value fit cannot support scores" in result.stderr
    assert "BG/NBD fitted on 12 customers, fewer than the 50 needed" in result.stderr
    assert "BG/NBD: standard error above the estimate for a 0.263 ± 0.397" in result.stderr
    assert "default value model (leave out --value clv)" in result.stderr
    assert "give more history" in result.stderr and "--allow-weak-fit" in result.stderr
    assert "Traceback" not in result.stderr


def cdnow_shipments(path):
    """The CDNOW calibration summary (tests/data) as shipments: each customer's first order
    T weeks before AS_OF, its x repeat orders spread evenly up to t_x weeks after it, each at
    its mean spend."""
    as_of = datetime(2026, 6, 30, 18, tzinfo=UTC)
    source = Path(__file__).parent / "data" / "cdnow_summary.csv"
    with source.open(newline="") as handle, path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "customer_id", "ordered_at", "promised_at", "delivered_at",
                         "revenue.amount", "revenue.currency", "cost.amount", "cost.currency",
                         "units_ordered", "units_delivered"])  # fmt: skip
        number = 0
        for row in csv.DictReader(handle):
            x, t_x, big_t = int(row["x"]), float(row["t_x"]), float(row["T"])
            spend = max(float(row["zbar"]), 10.0)
            first = as_of - timedelta(weeks=big_t)
            for k in range(x + 1):
                at = first + timedelta(weeks=t_x * k / x if x else 0)
                number += 1
                placed = [at + timedelta(days=d) for d in (0, 2, 1)]
                money = [f"{spend:.2f}", "CNY", f"{spend * 0.7:.2f}", "CNY"]  # as the tiers expect
                when = [moment.isoformat() for moment in placed]
                writer.writerow([f"S{number}", f"K{row['ID']}", *when, *money, 1, 1])


def test_value_clv_accepts_a_fit_on_the_cdnow_customers(tmp_path):
    # 2,357 customers, about 946 repeat buyers (a few lose a repeat where two orders fall on
    # one calendar day): enough, and every standard error below its estimate.
    path = tmp_path / "cdnow.csv"
    cdnow_shipments(path)
    result = logicrm("score", path, "--as-of", AS_OF, "--value", "clv", "--format", "jsonl",
                     cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "lifetime value: BG/NBD fitted on 2,357 customers" in result.stderr
    assert "WARNING" not in result.stderr
    assert len(result.stdout.splitlines()) == 2357


def test_value_clv_without_repeat_customers_exits_2_saying_why(files, tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("\n".join(files["shipments"].read_text().splitlines()[:2]) + "\n")
    result = logicrm("score", path, "--as-of", AS_OF, "--value", "clv", cwd=tmp_path)
    assert result.returncode == 2 and "no customer has a repeat order" in result.stderr
    assert "Traceback" not in result.stderr
