"""``logicrm worklist`` and the contact columns of ``logicrm score``, driven as a user would:
a subprocess on real files."""

import csv
import json
import subprocess
import sys

import pytest

import logicrm as lc
from logicrm.sample import sample_dataset, write_sample

AS_OF = "2026-06-30T18:00:00Z"


def logicrm(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "logicrm", *map(str, args)],
                          capture_output=True, text=True, timeout=300, cwd=cwd)  # fmt: skip


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return write_sample(tmp_path_factory.mktemp("sample"))


def inputs(files, interactions=None):
    return [
        files["shipments"],
        "--customers", files["customers"],
        "--complaints", files["complaints"],
        "--credit-profiles", files["credit_profiles"],
        "--spend-estimates", files["spend_estimates"],
        "--interactions", interactions or files["interactions"],
        "--as-of", AS_OF,
    ]  # fmt: skip


@pytest.fixture(scope="module")
def expected():
    data = sample_dataset()
    results = lc.assess_all(
        data.customers,
        lc.summarize(data.shipments, as_of=data.as_of),
        as_of=data.as_of,
        inputs=lc.AssessmentInputs(
            complaints=data.complaints,
            credit_profiles=data.credit_profiles,
            spend_estimates=data.spend_estimates,
            interactions=data.interactions,
        ),
    )
    return results, lc.worklist(results)


def test_one_command_gives_the_library_s_worklist_in_csv_and_jsonl(files, expected, tmp_path):
    _, work = expected
    out = tmp_path / "work.jsonl"
    done = logicrm("worklist", *inputs(files), "-o", out, "--rejects", tmp_path / "r.jsonl")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    # every line of today's list, then the breach report, every column, in order
    assert rows == json.loads(json.dumps(work.rows() + work.breach_rows()))
    assert [r["breach"] for r in rows] == [False] * len(work) + [True] * len(work.breaches)
    assert work.summary() in done.stderr
    assert all(row["why"] and row["task"] for row in rows)  # what to do, and why
    as_csv = logicrm("worklist", *inputs(files), "--format", "csv", "--limit", "3",
                     "--rejects", tmp_path / "r.jsonl")  # fmt: skip
    table = list(csv.DictReader(as_csv.stdout.splitlines()))
    # the first three of today's list, then the first three of the breach report
    assert [r["customer_id"] for r in table] == [
        w.customer_id for w in (*work[:3], *work.breaches[:3])
    ]
    assert list(table[0]) == list(lc.WORKLIST_COLUMNS)
    assert "the first 3 of each shown" in as_csv.stderr


def test_the_table_puts_complaints_first_then_the_breach_report_and_never_a_note(files, tmp_path):
    done = logicrm("worklist", *inputs(files), "--limit", "4", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:5] == ["#", "customer", "to", "do", "status"]
    # the key customer's critical complaint, unanswered since March 2025, tops the list
    assert "C00000" in lines[2] and "complaint response (critical)" in lines[2]
    assert "deadline missed by 476 days" in lines[3] and lines[3].startswith("  ↳ complaint K0008")
    assert lines[4].startswith("  ↳ rank: complaint response (critical) 200 + value 8.2 + overdue")
    report = lines.index("Breach report: deadlines missed by more than 90 days; review why with "
                         "the team (work still open is on today's list too)")  # fmt: skip
    assert report == 2 + 3 * 4 + 1  # after today's four lines, each with its reason and rank
    assert "complaint response (critical)" in lines[report + 3]
    everything = done.stdout + done.stderr
    assert "Met the logistics manager" not in everything  # the notes are personal data


def test_worklist_needs_the_contact_log_and_says_how(files, tmp_path):
    done = logicrm("worklist", files["shipments"], "--as-of", AS_OF, cwd=tmp_path)
    assert done.returncode == 2 and "--interactions FILE" in done.stderr
    assert "Traceback" not in done.stderr
    bad = logicrm("worklist", *inputs(files), "--limit", "0", cwd=tmp_path)
    assert bad.returncode == 2 and "--limit" in bad.stderr
    sheet = logicrm("worklist", *inputs(files), "-o", tmp_path / "w.xlsx", cwd=tmp_path)
    assert sheet.returncode == 2 and "unknown suffix" in sheet.stderr


def test_a_header_only_contact_log_means_no_contacts_and_nothing_is_lost(files, tmp_path):
    header = files["interactions"].read_text().splitlines()[0]
    empty = tmp_path / "none.csv"
    empty.write_text(header + "\n")
    done = logicrm("worklist", *inputs(files, empty), "--format", "jsonl", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert rows and {"follow_up_visit", "record_check"} <= {r["task"] for r in rows}
    assert any("never done" in r["why"] for r in rows)


def test_bad_contact_rows_are_rejected_with_their_line_and_the_rest_are_planned(files, tmp_path):
    lines = files["interactions"].read_text(encoding="utf-8").splitlines()
    rows = list(csv.reader(lines))
    purpose = rows[0].index("purpose")
    note = rows[0].index("note")
    rows[3][purpose] = "Follow-up Visit"  # not an identifier
    rows[4][note] = "拜访了李先生, +86 138 0000 9999"
    hostile = tmp_path / "contacts.csv"
    with hostile.open("w", encoding="gb18030", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(rows)
    done = logicrm("worklist", *inputs(files, hostile), "--encoding", "gb18030",
                   "--format", "jsonl", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "1 rows rejected" in done.stderr and "contacts.csv line 4: purpose" in done.stderr
    assert "9999" not in done.stdout + done.stderr and "李" not in done.stdout + done.stderr
    rejected = [json.loads(r) for r in (tmp_path / "rejects.jsonl").read_text().splitlines()]
    assert [r["line"] for r in rejected] == [4]


def test_the_worklist_csv_is_safe_to_open(files, tmp_path):
    rows = list(csv.reader(files["complaints"].read_text().splitlines()))
    ident = rows[0].index("id")
    status = rows[0].index("status")
    for row in rows[1:]:
        if row[status] == "resolved":
            row[ident] = '=HYPERLINK("http://x","y")'
            break
    evil = tmp_path / "complaints.csv"
    with evil.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    args = inputs(files)
    args[args.index("--complaints") + 1] = evil
    done = logicrm("worklist", *args, "-o", tmp_path / "w.csv", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "w.csv").read_text()
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


def test_score_writes_the_contact_share_profit_and_action_columns(files, expected, tmp_path):
    results, _ = expected
    out = tmp_path / "scores.jsonl"
    done = logicrm("score", *inputs(files), "-o", out, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = {r["customer_id"]: r for r in map(json.loads, out.read_text().splitlines())}
    for cid, assessment in results.items():
        row = rows[cid]
        assert row["next_action"] == assessment.action.action.value
        assert row["follow_up_due"] == assessment.contact_plan.next_due.isoformat()
        assert row["follow_ups_overdue"] == assessment.contact_plan.overdue
        assert row["margin_after_service"] == str(assessment.profitability.margin)
        assert row["customer_share"] == (assessment.share.share if assessment.share else None)
    assert rows["C00008"]["unprofitable"] is True and rows["C00000"]["customer_share"] > 0


@pytest.mark.parametrize("engine", ["columnar", "python"])
def test_without_contacts_both_engines_give_the_profit_and_action_columns(files, tmp_path, engine):
    out = tmp_path / f"{engine}.csv"
    done = logicrm("score", files["shipments"], "--customers", files["customers"],
                   "--as-of", AS_OF, "--engine", engine, "-o", out, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert all(r["next_action"] and r["cost_to_serve"] for r in rows)
    assert all(r["follow_up_due"] == "" for r in rows)  # no contact log: no plan
    (tmp_path / f"{engine}.rows").write_text(out.read_text())
    other = tmp_path / ("python.rows" if engine == "columnar" else "columnar.rows")
    if other.exists():
        assert other.read_text() == out.read_text()


def test_both_engines_give_the_same_rows_with_contacts_and_estimates(files, tmp_path):
    outputs = []
    for engine in ("columnar", "python"):
        out = tmp_path / f"{engine}.jsonl"
        done = logicrm("score", *inputs(files), "--engine", engine, "-o", out, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        outputs.append(out.read_text())
    assert outputs[0] == outputs[1]
