"""Messy and hostile files: the readers keep every good row, reject bad ones with the line
they start on, and refuse a whole file only before reading any row."""

import csv
import json
import stat

import pytest

import logicrm as lc
from logicrm.errors import ColumnWarning, ReadError, ValidationError
from logicrm.io import MAX_RECORD_CHARS, ColumnMapping, read, write
from logicrm.sample import sample_dataset
from logicrm.serialization import to_dict

SHIPMENTS = sample_dataset().shipments[:6]
CUSTOMERS = sample_dataset().customers[:4]


def csv_lines(records):
    """The records as CSV text lines (header first), as the library writes them."""
    return [line for line in _written(records).splitlines() if line]


def _written(records, tmp=[]):  # noqa: B006 - one scratch folder for the whole module
    import tempfile
    from pathlib import Path

    if not tmp:
        tmp.append(Path(tempfile.mkdtemp()))
    path = tmp[0] / "scratch.csv"
    write(path, records, spreadsheet_safe=False)
    return path.read_text(encoding="utf-8")


def quiet_read(*args, **kwargs):
    with pytest.warns(ColumnWarning) if kwargs.pop("warns", False) else _nothing():
        return read(*args, **kwargs)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.fixture
def shipments_csv(tmp_path):
    def make(lines, name="s.csv", *, encoding="utf-8", newline="\n"):
        path = tmp_path / name
        path.write_bytes(newline.join(lines).encode(encoding) + newline.encode(encoding))
        return path

    return make


# -- encodings ----------------------------------------------------------------------------


def test_undecodable_bytes_reject_their_row_and_the_rest_is_read(tmp_path):
    lines = csv_lines(SHIPMENTS)
    raw = "\n".join(lines).encode() + b"\n"
    broken = raw.replace(SHIPMENTS[2].id.encode(), SHIPMENTS[2].id.encode() + b"\xff\xfe", 1)
    path = tmp_path / "broken.csv"
    path.write_bytes(broken)
    result = read(path, lc.Shipment)
    assert [s.id for s in result.ok] == [s.id for s in SHIPMENTS if s is not SHIPMENTS[2]]
    (rejection,) = result.rejected
    assert rejection.line == 4 and "not valid utf-8" in rejection.reason
    assert "gb18030" in rejection.reason
    json.dumps(rejection.row, ensure_ascii=False).encode("utf-8")  # fit for a rejects file


def test_a_gbk_export_reads_with_its_encoding_and_says_what_to_do_without(tmp_path):
    customers = [
        lc.Customer(id="C1", name="上海汽车配件有限公司", kind="enterprise", region="华东"),
        lc.Customer(id="C2", name="Beijing Freight", kind="enterprise"),
    ]
    path = tmp_path / "gbk.csv"
    path.write_bytes(_written(customers).replace("\n", "\r\n").encode("gb18030"))
    with pytest.warns(ColumnWarning, match="no column for 'contact.person'"):  # none given
        first = read(path, lc.Customer, encoding="gb18030")
    with pytest.warns(ColumnWarning, match="no column for 'contact.person'"):
        second = read(path, lc.Customer, encoding="GBK")
    assert first.ok == second.ok == tuple(customers)
    with pytest.warns(ColumnWarning, match="no column for 'contact.person'"):
        plain = read(path, lc.Customer)
    assert [c.id for c in plain.ok] == ["C2"]
    assert plain.rejected[0].line == 2 and "gb18030" in plain.rejected[0].reason


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32", "utf-8-sig"])
def test_byte_order_marks_choose_the_encoding(tmp_path, encoding):
    text = _written(CUSTOMERS)
    path = tmp_path / "bom.csv"
    data = text.encode(encoding)
    if encoding == "utf-16-le":
        data = b"\xff\xfe" + data
    path.write_bytes(data)
    result = read(path, lc.Customer)
    assert result.ok == tuple(CUSTOMERS) and not result.rejected


def test_a_json_lines_file_with_a_bom_keeps_its_first_line(tmp_path):
    path = tmp_path / "s.jsonl"
    write(path, SHIPMENTS[:2])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    result = read(path, lc.Shipment)
    assert len(result.ok) == 2 and not result.rejected


def test_an_unknown_encoding_is_the_librarys_error(shipments_csv):
    with pytest.raises(ValidationError, match="encoding"):
        read(shipments_csv(csv_lines(SHIPMENTS)), lc.Shipment, encoding="klingon")


# -- size and depth -----------------------------------------------------------------------


def test_a_cell_over_the_old_csv_limit_is_read(shipments_csv):
    lines = csv_lines(CUSTOMERS)
    long_name = "N" * 200_000  # over the csv module's default 131,072
    lines[2] = lines[2].replace(CUSTOMERS[1].name, long_name)
    result = read(shipments_csv(lines, "c.csv"), lc.Customer)
    assert len(result.ok) == len(CUSTOMERS) and result.ok[1].name == long_name


def test_a_row_over_the_record_limit_is_rejected_and_the_rest_read(shipments_csv):
    lines = csv_lines(CUSTOMERS)
    lines[2] = lines[2].replace(CUSTOMERS[1].name, "N" * (MAX_RECORD_CHARS + 10))
    result = read(shipments_csv(lines, "c.csv"), lc.Customer)
    assert [c.id for c in result.ok] == [c.id for c in CUSTOMERS if c is not CUSTOMERS[1]]
    assert result.rejected[0].line == 3 and "longer than" in result.rejected[0].reason


def test_a_quoted_cell_over_the_limit_spanning_lines_is_rejected(shipments_csv):
    lines = csv_lines(CUSTOMERS)
    lines[2] = lines[2].replace(CUSTOMERS[1].name, '"' + "N\n" * (MAX_RECORD_CHARS // 2 + 10) + '"')
    result = read(shipments_csv(lines, "c.csv"), lc.Customer)
    assert result.ok == (CUSTOMERS[0], *CUSTOMERS[2:])  # the rows after it keep their place
    assert [r.line for r in result.rejected] == [3]


def test_json_nested_a_hundred_thousand_deep_is_one_rejected_line(tmp_path):
    path = tmp_path / "s.jsonl"
    write(path, SHIPMENTS[:2])
    path.write_text(path.read_text() + '{"a":' * 100_000 + "1" + "}" * 100_000 + "\n")
    result = read(path, lc.Shipment)
    assert len(result.ok) == 2
    assert (result.rejected[0].line, result.rejected[0].reason) == (3, "is nested too deeply")


# -- whole files that cannot be read ------------------------------------------------------


@pytest.mark.parametrize("content", [b"PAR1garbage", b"", b"id,customer_id\nS1,C1\n", b"PAR1"])
def test_a_file_that_is_not_parquet_is_one_clear_error(tmp_path, content):
    path = tmp_path / "s.parquet"
    path.write_bytes(content)
    with pytest.raises(ReadError, match="not a readable Parquet file"):
        read(path, lc.Shipment)


def test_a_truncated_parquet_file_is_one_clear_error(tmp_path):
    path = tmp_path / "s.parquet"
    write(path, SHIPMENTS)
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(ReadError):
        read(path, lc.Shipment)


def test_an_empty_file_is_one_clear_error(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("\n\n")
    with pytest.raises(ReadError, match="empty"):
        read(path, lc.Shipment)


def test_a_header_without_required_columns_names_them_and_the_closest(shipments_csv):
    lines = csv_lines(SHIPMENTS)
    lines[0] = lines[0].replace("customer_id", "customer").replace("ordered_at", "orderd_at")
    with pytest.raises(ReadError) as caught:
        read(shipments_csv(lines), lc.Shipment)
    message = str(caught.value)
    assert "'customer_id' (closest: 'customer')" in message
    assert "'ordered_at' (closest: 'orderd_at')" in message
    assert "ColumnMapping" in message and "--mapping" in message


def test_a_header_only_file_reads_as_nothing(shipments_csv):
    result = read(shipments_csv(csv_lines(SHIPMENTS)[:1]), lc.Shipment)
    assert result.ok == () and result.rejected == ()


# -- rows rejected, never altered ---------------------------------------------------------


def test_short_and_long_rows_are_rejected_not_padded_or_cut(shipments_csv):
    lines = csv_lines(SHIPMENTS)
    lines[2] = lines[2].rsplit(",", 1)[0]  # one cell short: delivered would default
    lines[3] = lines[3] + ",extra"
    result = read(shipments_csv(lines), lc.Shipment)
    assert [s.id for s in result.ok] == [s.id for s in SHIPMENTS[:1] + SHIPMENTS[3:]]
    assert [(r.line, r.column) for r in result.rejected] == [(3, "(row)"), (4, "(row)")]
    assert "cells where the header has" in result.rejected[0].reason


def test_a_repeated_header_column_must_agree(shipments_csv):
    lines = csv_lines(SHIPMENTS[:2])
    lines[0] += ",units_ordered"
    lines[1] += f",{SHIPMENTS[0].units_ordered}"  # the same value: read
    lines[2] += ",999"  # another value: which is right? rejected
    result = read(shipments_csv(lines), lc.Shipment)
    assert [s.id for s in result.ok] == [SHIPMENTS[0].id]
    assert result.rejected[0].column == "units_ordered"
    assert "appears 2 times" in result.rejected[0].reason


def test_a_second_row_with_an_id_already_seen_is_a_duplicate(shipments_csv):
    lines = csv_lines(SHIPMENTS[:2])
    lines += [lines[1], lines[1].replace(",10,", ",11,", 1)]
    result = read(shipments_csv(lines), lc.Shipment)
    assert [s.id for s in result.ok] == [s.id for s in SHIPMENTS[:2]]
    assert [(r.line, r.column, r.reason) for r in result.rejected] == [
        (4, "id", "duplicate of line 2"),
        (5, "id", "duplicate of line 2"),
    ]


def test_duplicates_are_reported_in_the_users_column_and_per_key(tmp_path):
    path = tmp_path / "p.jsonl"
    profiles = sample_dataset().credit_profiles[:2]
    write(path, [*profiles, profiles[0]])
    result = read(path, lc.CreditProfile)
    assert len(result.ok) == 2
    assert (result.rejected[0].column, result.rejected[0].reason) == (
        "customer_id",
        "duplicate of line 1",
    )


def test_a_quoted_record_over_several_lines_is_reported_at_its_first(shipments_csv):
    lines = csv_lines(SHIPMENTS[:3])
    lines[2] = lines[2].replace(SHIPMENTS[1].id, f'"{SHIPMENTS[1].id}\nsecond line"', 1)
    lines[2] = lines[2].replace(",10,", ",x,", 1) if ",10," in lines[2] else lines[2] + ",x"
    result = read(shipments_csv(lines), lc.Shipment)
    assert result.rejected[0].line == 3
    assert result.ok[-1].id == SHIPMENTS[2].id  # the record after it keeps its own place


def test_semicolon_and_tab_exports_are_sniffed(shipments_csv):
    for delimiter in (";", "\t", "|"):
        lines = [line.replace(",", delimiter) for line in csv_lines(SHIPMENTS)]
        result = read(shipments_csv(lines, "semi.csv"), lc.Shipment)
        assert result.ok == tuple(SHIPMENTS) and not result.rejected


def test_a_delimiter_can_be_named(shipments_csv):
    lines = [line.replace(",", ";") for line in csv_lines(SHIPMENTS)]
    assert read(shipments_csv(lines), lc.Shipment, delimiter=";").ok == tuple(SHIPMENTS)
    with pytest.raises(ValidationError, match="delimiter"):
        read(shipments_csv(lines), lc.Shipment, delimiter=";;")


def test_crlf_line_endings_and_blank_lines_keep_line_numbers(shipments_csv):
    lines = csv_lines(SHIPMENTS[:3])
    lines.insert(2, "")
    lines[3] = lines[3].replace(SHIPMENTS[1].id, "", 1)  # line 4 now has no id
    result = read(shipments_csv(lines, newline="\r\n"), lc.Shipment)
    assert [(r.line, r.column) for r in result.rejected] == [(4, "id")]


def customers_file(tmp_path, header):
    path = tmp_path / "customers.csv"
    path.write_text(f"{header}\nC1,Acme,enterprise\n", encoding="utf-8")
    return path


def test_a_customer_list_with_customer_id_for_id_is_told_so(tmp_path):
    with pytest.raises(ReadError) as caught:
        read(customers_file(tmp_path, "customer_id,name,kind"), lc.Customer)
    assert "'id' (closest: 'customer_id')" in str(caught.value)  # not 'kind'


@pytest.mark.parametrize("spelt", ["Id", "ID", "Customer ID"])
def test_the_closest_column_ignores_case_and_spaces(tmp_path, spelt):
    with pytest.raises(ReadError) as caught:
        read(customers_file(tmp_path, f"{spelt},name,kind"), lc.Customer)
    assert f"'id' (closest: '{spelt}')" in str(caught.value)


def test_common_synonyms_are_suggested_for_required_columns(shipments_csv):
    lines = csv_lines(SHIPMENTS)
    lines[0] = lines[0].replace("units_ordered", "Qty").replace("ordered_at", "Order Date")
    with pytest.raises(ReadError) as caught:
        read(shipments_csv(lines), lc.Shipment)
    assert "'ordered_at' (closest: 'Order Date')" in str(caught.value)
    assert "'units_ordered' (closest: 'Qty')" in str(caught.value)


def test_an_optional_column_in_another_case_is_named_in_a_warning(shipments_csv):
    lines = csv_lines(SHIPMENTS)
    lines[0] = lines[0].replace("delivered_at", "Delivered_At")
    with pytest.warns(ColumnWarning) as caught:
        read(shipments_csv(lines), lc.Shipment)
    assert "'Delivered_At' (did you mean 'delivered_at'?)" in " ".join(
        str(w.message) for w in caught
    )


# -- the header's warnings and the mapping's errors ---------------------------------------


def test_a_misspelt_optional_column_is_named_in_a_warning(shipments_csv):
    lines = csv_lines(SHIPMENTS)
    lines[0] = lines[0].replace("delivered_at", "delivred_at")
    with pytest.warns(ColumnWarning) as caught:
        result = read(shipments_csv(lines), lc.Shipment)
    messages = " ".join(str(w.message) for w in caught)
    assert "'delivred_at' (did you mean 'delivered_at'?)" in messages
    assert "no shipment counts as delivered" in messages
    assert len(result.ok) == len(SHIPMENTS)


def test_missing_optional_columns_are_named_in_a_warning(shipments_csv):
    lines = [",".join(line.split(",")[:11]) for line in csv_lines(SHIPMENTS)]
    with pytest.warns(ColumnWarning, match="no column for 'shipped_at', 'delivered_at'"):
        read(shipments_csv(lines), lc.Shipment)


def test_a_complete_header_gives_no_warning(shipments_csv, recwarn):
    read(shipments_csv(csv_lines(SHIPMENTS)), lc.Shipment)
    assert not [w for w in recwarn if issubclass(w.category, ColumnWarning)]


@pytest.mark.parametrize("section", ["columns", "constants"])
def test_a_mapping_naming_an_unknown_field_is_an_error(shipments_csv, section):
    mapping = ColumnMapping(**{section: {"delivred_at": "x"}})
    with pytest.raises(ValidationError) as caught:
        read(shipments_csv(csv_lines(SHIPMENTS)), lc.Shipment, mapping=mapping)
    assert caught.value.field == f"{section}.delivred_at"
    assert "did you mean 'delivered_at'?" in str(caught.value)


# -- rejects files ------------------------------------------------------------------------


def test_a_rejects_file_is_readable_by_its_owner_only(shipments_csv, tmp_path):
    lines = csv_lines(SHIPMENTS)
    lines[2] = lines[2] + ",extra"
    rejects = tmp_path / "rejects.jsonl"
    rejects.write_text("old\n")
    rejects.chmod(0o644)
    read(shipments_csv(lines), lc.Shipment, rejects=rejects)
    assert stat.S_IMODE(rejects.stat().st_mode) == 0o600
    assert [json.loads(x)["line"] for x in rejects.read_text().splitlines()] == [3]


# -- writing for people -------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ['=HYPERLINK("http://x","y")', "@SUM(1)", "+cmd", "-2+3", "\t=1", "\r=1"]
)
def test_csv_for_people_neutralises_formulas(tmp_path, value):
    path = tmp_path / "out.csv"
    write(path, [{"customer_id": value, "amount": "-12.50"}])
    with path.open(newline="", encoding="utf-8") as handle:
        (row,) = csv.DictReader(handle)
    assert row == {"customer_id": "'" + value, "amount": "-12.50"}


def test_csv_for_programs_and_json_lines_keep_values_exact(tmp_path):
    value = '=HYPERLINK("http://x","y")'
    write(tmp_path / "out.csv", [{"id": value}], spreadsheet_safe=False)
    assert value.replace('"', '""') in (tmp_path / "out.csv").read_text()
    write(tmp_path / "out.jsonl", [{"id": value}])
    assert json.loads((tmp_path / "out.jsonl").read_text()) == {"id": value}


def test_records_survive_a_round_trip_with_awkward_text(tmp_path):
    awkward = lc.Customer(id='C"1,\n2', name="Ünïcode; 名字\t'quoted'", kind="enterprise")
    path = tmp_path / "c.csv"
    write(path, [awkward, *CUSTOMERS], spreadsheet_safe=False)
    assert read(path, lc.Customer).ok == (awkward, *CUSTOMERS)
    assert to_dict(awkward)["id"] == 'C"1,\n2'
