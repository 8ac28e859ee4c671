"""Fuzzing every public boundary: arbitrary JSON-like values and mutations of valid records
for every public type, through ``from_dict``, ``load_many``, ``io.read`` and the policies.

The laws: only the library's own errors come out, each record takes bounded time, messages
stay short, and ``len(ok) + len(rejected)`` is the number of records that went in.

At the ``ci`` profile each test runs its usual number of examples. The long run:

    LOGICRM_FUZZ=long LOGICRM_FUZZ_REPORT=fuzz.txt python -m pytest tests/test_fuzz.py

runs at least 10,000 inputs per type and writes, per test and type, the inputs, how many
were refused, the non-library exceptions and records lost (both must be 0) and the slowest.
"""

import copy
import csv
import io as text_io
import json
import math
import os
import time
import warnings
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import logicrm as lc
from logicrm.domain import Answer, ContactDetails, FinancialStatement
from logicrm.errors import ColumnWarning, LogicrmError
from logicrm.io import ColumnMapping, read
from logicrm.policies import Policies, dumps_policies, loads_policies
from logicrm.serialization import from_dict, load_many, to_dict

LONG = os.environ.get("LOGICRM_FUZZ") == "long"
EXAMPLES = 10_000 if LONG else None  # None: the profile's number
SLOWEST_ALLOWED = 2.0  # seconds for one record, generous for a loaded CI machine
LONGEST_MESSAGE = 4_000

RECORD_TYPES = [
    lc.Money,
    ContactDetails,
    lc.Customer,
    lc.Shipment,
    lc.Complaint,
    FinancialStatement,
    lc.CreditProfile,
    Answer,
    lc.SurveyResponse,
    lc.Invoice,
    lc.ServiceStandard,
    lc.Interaction,
    lc.SpendEstimate,
]
FILE_TYPES = [
    lc.Shipment,
    lc.Customer,
    lc.Complaint,
    lc.Invoice,
    lc.ServiceStandard,
    lc.Interaction,
    lc.SpendEstimate,
]

# Values that once broke a boundary, mixed in with the arbitrary ones.
NASTY = [
    "1e-999999999",
    "1e999999999",
    -(10**30),
    2**64,
    float("nan"),
    float("inf"),
    "NaN",
    "Infinity",
    "P99999999999D",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "2026-02-30",
    '=HYPERLINK("http://x","y")',
    "\x1b[31m",
    "\x00",
    "\ud800",
    "",
    " ",
    [],
    {},
]

# Built by map: Hypothesis cannot repr an integer of over 4,300 digits, and a long string
# would fill every report.
huge_integers = st.sampled_from([5000, 40]).map(lambda digits: 10**digits)
long_strings = st.sampled_from([5000, 100_000]).map(lambda size: "9" * size)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | huge_integers
    | long_strings
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(NASTY),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)


def _slots(value, trail=()):
    """Every (container, key) place inside a JSON-like value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield value, key
            yield from _slots(item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield value, index
            yield from _slots(item)


@st.composite
def mutated(draw, base):
    """A valid record, as JSON data, with one to three things broken."""
    record = copy.deepcopy(draw(base))
    for _ in range(draw(st.integers(1, 3))):
        slots = list(_slots(record))
        if not slots:
            return draw(json_values)
        container, key = draw(st.sampled_from(slots))
        move = draw(st.sampled_from(["replace", "delete", "add", "wrap", "text", "number"]))
        if move == "replace":
            container[key] = draw(json_values)
        elif move == "delete" and isinstance(container, dict):
            del container[key]
        elif move == "add" and isinstance(container, dict):
            container[draw(st.text(max_size=8))] = draw(json_values)
        elif move == "wrap":
            container[key] = [container[key]]
        elif move == "text":
            try:
                container[key] = json.dumps(container[key])
            except ValueError:  # an integer too long for str()
                container[key] = "1" * 5000
        else:
            container[key] = draw(huge_integers | st.sampled_from([float("nan"), -1, 2**63, 0.5]))
    return record


def records(cls):
    valid = st.from_type(cls).map(to_dict)
    return st.one_of(json_values, mutated(valid), valid)


class Tally:
    """What the long run reports, per test and type."""

    def __init__(self):
        self.inputs = self.refused = self.foreign = self.lost = 0
        self.slowest = 0.0

    def timed(self, function, *args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            elapsed = time.perf_counter() - start
            self.slowest = max(self.slowest, elapsed)
            assert elapsed < SLOWEST_ALLOWED, f"one input took {elapsed:.2f} s"


TALLIES = defaultdict(Tally)


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    target = os.environ.get("LOGICRM_FUZZ_REPORT")
    if not target:
        return
    with Path(target).open("a", encoding="utf-8") as handle:
        handle.write("test | type | inputs | refused | non-library errors | lost | slowest\n")
        for (test, name), t in sorted(TALLIES.items()):
            handle.write(
                f"{test} | {name} | {t.inputs:,} | {t.refused:,} | {t.foreign} | {t.lost} | "
                f"{t.slowest * 1000:.1f} ms\n"
            )


def fuzz_settings(test):
    chosen = settings(
        max_examples=EXAMPLES or settings().max_examples,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.function_scoped_fixture,
        ],
        deadline=None,
    )
    return chosen(test)


def only_library_errors(tally, cls, data):
    tally.inputs += 1
    try:
        result = tally.timed(from_dict, cls, data)
    except LogicrmError as error:
        tally.refused += 1
        refused = error
    except Exception:
        tally.foreign += 1
        raise
    else:
        assert isinstance(result, cls)
        return result
    assert len(str(refused)) < LONGEST_MESSAGE
    assert all(isinstance(p.path, str) for p in refused.problems)
    return None


@pytest.mark.parametrize("cls", RECORD_TYPES, ids=lambda c: c.__name__)
@fuzz_settings
@given(data=st.data())
def test_from_dict_takes_anything_and_raises_only_library_errors(cls, data):
    record = data.draw(records(cls))
    result = only_library_errors(TALLIES["from_dict", cls.__name__], cls, record)
    if result is not None:  # what loads, round-trips exactly
        assert from_dict(cls, to_dict(result)) == result


@pytest.mark.parametrize("cls", RECORD_TYPES, ids=lambda c: c.__name__)
@fuzz_settings
@given(data=st.data())
def test_load_many_never_loses_a_record(cls, data):
    batch = data.draw(st.lists(records(cls), max_size=6))
    tally = TALLIES["load_many", cls.__name__]
    tally.inputs += len(batch)
    result = tally.timed(load_many, cls, batch)
    tally.refused += len(result.rejected)
    tally.lost += len(batch) - len(result.ok) - len(result.rejected)
    assert len(result.ok) + len(result.rejected) == len(batch)
    assert [r.index for r in result.rejected] == sorted(r.index for r in result.rejected)


# -- files ----------------------------------------------------------------------------------

BAD_BYTES = "\x00BAD\x00"  # where a cell holds this, the file gets an undecodable byte
cells = st.one_of(
    st.text(max_size=10),
    st.sampled_from([n for n in NASTY if isinstance(n, str) and len(n) < 10_000]),
    st.just(BAD_BYTES),
    st.text(alphabet=",;\"\r\n\t'=", max_size=6),
)


def _flat(record, prefix=""):
    flat = {}
    for key, value in record.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        elif value is not None:
            flat[f"{prefix}{key}"] = value if isinstance(value, str) else json.dumps(value)
    return flat


@st.composite
def csv_files(draw, cls):
    """A CSV export of valid records, then broken cell by cell and row by row."""
    valid = draw(st.lists(st.from_type(cls).map(to_dict).map(_flat), min_size=1, max_size=6))
    header = sorted({column for row in valid for column in row})
    rows = [[row.get(c, "") for c in header] for row in valid]
    for _ in range(draw(st.integers(0, 4))):
        row = draw(st.sampled_from(rows))
        move = draw(st.sampled_from(["cell", "short", "long", "copy", "blank"]))
        if move == "cell" and row:
            row[draw(st.integers(0, len(row) - 1))] = draw(cells)
        elif move == "short" and len(row) > 1:
            row.pop()
        elif move == "long":
            row.append(draw(cells))
        elif move == "copy":
            rows.append(list(row))
        else:
            row[:] = [""] * len(row)
    buffer = text_io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    text = buffer.getvalue()
    # A quoted cell may hold the marker; the byte goes in all the same.
    content = text.encode("utf-8", "surrogatepass").replace(BAD_BYTES.encode(), b"\xff\xfe")
    expected = sum(1 for row in rows if any(cell.strip() for cell in row))
    return content, expected


@pytest.mark.parametrize("cls", FILE_TYPES, ids=lambda c: c.__name__)
@fuzz_settings
@given(data=st.data())
def test_io_read_of_a_broken_csv_keeps_or_rejects_every_row(tmp_path, cls, data):
    content, expected = data.draw(csv_files(cls))
    path = tmp_path / "fuzz.csv"
    path.write_bytes(content)
    result = read_every_record(TALLIES["io.read csv", cls.__name__], path, cls, expected)
    for rejection in result.rejected:
        assert rejection.line >= 2


def read_every_record(tally, path, cls, expected):
    """Read the file and check the law: every record is either kept or rejected."""
    tally.inputs += expected
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ColumnWarning)
        result = tally.timed(read, path, cls)
    tally.refused += len(result.rejected)
    tally.lost += expected - len(result.ok) - len(result.rejected)
    assert len(result.ok) + len(result.rejected) == expected
    assert all(len(r.reason) < LONGEST_MESSAGE for r in result.rejected)
    return result


def as_json_line(value):
    """JSON text, with integers too long for ``json.dumps`` written out all the same."""

    def mark(item):
        if isinstance(item, int) and not isinstance(item, bool) and item.bit_length() > 4000:
            return "__HUGE__"
        if isinstance(item, dict):
            return {k: mark(v) for k, v in item.items()}
        if isinstance(item, list):
            return [mark(v) for v in item]
        return item

    text = json.dumps(mark(value), ensure_ascii=False).replace("\ud800", "?")
    return text.replace('"__HUGE__"', "1" * 5000)


@pytest.mark.parametrize("cls", FILE_TYPES, ids=lambda c: c.__name__)
@fuzz_settings
@given(data=st.data())
def test_io_read_of_broken_json_lines_keeps_or_rejects_every_line(tmp_path, cls, data):
    batch = data.draw(st.lists(records(cls), min_size=1, max_size=6))
    lines = [as_json_line(r) for r in batch]
    path = tmp_path / "fuzz.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    expected = sum(1 for line in lines if line.strip())
    read_every_record(TALLIES["io.read jsonl", cls.__name__], path, cls, expected)


# -- database readers ------------------------------------------------------------------------

STORAGE_CLASSES = st.sampled_from([b"\x00\xff", 2.5, -1, 0, 1, 10**18, float("inf"), None])


@pytest.mark.parametrize("cls", FILE_TYPES, ids=lambda c: c.__name__)
@fuzz_settings
@given(data=st.data())
def test_io_read_db_of_a_broken_sqlite_table_keeps_or_rejects_every_row(tmp_path, cls, data):
    """The broken CSV's rows in a SQLite table of untyped columns, some cells swapped for a
    value of another storage class (BLOB, REAL, INTEGER, NULL): every row kept or rejected,
    through a read-only connection, by the library's errors alone."""
    import sqlite3

    content, _ = data.draw(csv_files(cls))
    text = content.decode("utf-8", "replace")
    rows = list(csv.reader(text_io.StringIO(text)))
    header, body = rows[0], [r for r in rows[1:] if any(c.strip() for c in r)]
    if not header or len(set(header)) != len(header) or not body:
        return
    width = len(header)
    cells = [[*(r + [""] * width)[:width]] for r in body]
    for _ in range(data.draw(st.integers(0, 4))):
        row = data.draw(st.sampled_from(cells))
        row[data.draw(st.integers(0, width - 1))] = data.draw(STORAGE_CLASSES)
    path = tmp_path / "fuzz.db"
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as connection:
        names = ", ".join('"' + n.replace('"', '""') + '"' for n in header)
        connection.execute(f"CREATE TABLE t ({names})")
        connection.executemany(f"INSERT INTO t VALUES ({', '.join(['?'] * width)})", cells)
    connection.close()
    tally = TALLIES["io.read_db sqlite", cls.__name__]
    tally.inputs += len(cells)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ColumnWarning)
            result = tally.timed(lc.io.read_db, f"sqlite:///{path}", cls, table="t")
    except LogicrmError:  # the header itself refused: no row read, none lost
        tally.refused += len(cells)
        return
    except AssertionError:  # a law of the test (an input too slow), not the library's error
        raise
    except Exception:
        tally.foreign += 1
        raise
    tally.refused += len(result.rejected)
    tally.lost += len(cells) - len(result.ok) - len(result.rejected)
    assert len(result.ok) + len(result.rejected) == len(cells)


# -- policies -------------------------------------------------------------------------------

POLICY_DEFAULTS = st.just(to_dict(Policies()))


@fuzz_settings
@given(data=st.one_of(json_values, mutated(POLICY_DEFAULTS)))
def test_a_policy_either_loads_and_writes_back_or_is_refused(data):
    tally = TALLIES["policies", "Policies"]
    result = only_library_errors(tally, Policies, data)
    if result is not None:  # `policy show` can write what was accepted, and read it back
        assert loads_policies(dumps_policies(result), format="toml") == result
        assert loads_policies(dumps_policies(result, format="json"), format="json") == result


@fuzz_settings
@given(text=st.text(max_size=200) | st.sampled_from(["[a]\nb = nan", '{"credit": 5}', "[[[["]))
def test_policy_text_never_escapes_as_a_builtin_error(text):
    tally = TALLIES["loads_policies", "text"]
    tally.inputs += 1
    for fmt in ("toml", "json"):
        try:
            tally.timed(loads_policies, text, format=fmt)
        except LogicrmError:
            tally.refused += 1


@fuzz_settings
@given(data=st.one_of(json_values, mutated(st.just({"columns": {"id": "order_no"},
                                                     "constants": {"revenue.currency": "CNY"},
                                                     "true_values": ["yes"]}))))  # fmt: skip
def test_a_column_mapping_either_loads_or_is_refused(data):
    only_library_errors(TALLIES["from_dict", "ColumnMapping"], ColumnMapping, data)


def test_the_laws_held_for_every_input_so_far():
    """A check that the tallies above are real: they counted inputs, and lost none."""
    assert TALLIES, "the fuzz tests ran no input"
    assert all(t.foreign == 0 and t.lost == 0 for t in TALLIES.values())
    assert all(math.isfinite(t.slowest) for t in TALLIES.values())
