"""The columnar assessment's rows written by polars, byte for byte as ``io.write`` writes
the same rows from Python: CSV as ``csv.writer`` (``\\r\\n``, minimal quoting, ``repr`` of a
float, ``True``, an empty cell for ``None``, the spreadsheet guard on text), JSON Lines as
``json.dumps(row, ensure_ascii=False, default=str)`` and Parquet with the types
``pyarrow.Table.from_pylist`` infers from the Python values."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from logicrm._engine._assess_words import MONEY_COLUMNS
from logicrm._safety import _FORMULA_START, _NUMBER

c = pl.col
_WHOLE_NUMBER = f"^(?:{_NUMBER.pattern})$"  # fullmatch, in the regex polars reads
_JSON_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    **{chr(i): f"\\u{i:04x}" for i in range(0x20) if chr(i) not in "\b\f\n\r\t"},
}


def _kind(frame: pl.DataFrame, name: str) -> str:
    if name in MONEY_COLUMNS:
        return "money"
    dtype = frame.schema[name]
    if dtype == pl.Null:
        return "null"
    if dtype == pl.Boolean:
        return "bool"
    if dtype.is_float():
        return "float"
    return "text"


def _float_texts(frame: pl.DataFrame) -> pl.DataFrame:
    """Every float column as ``repr`` writes it: polars' text, and Python's own ``repr`` for
    the few values under 1e-4 whose form differs (``1e-05``)."""
    texts = {}
    for name in frame.columns:
        if _kind(frame, name) != "float":
            continue
        series = frame.get_column(name)
        text = series.cast(pl.String)
        small = ((series.abs() < 1e-4) & (series != 0)).fill_null(False)
        if small.any():
            text = text.scatter(small.arg_true(), [repr(v) for v in series.filter(small)])
        texts[name] = text
    return frame.with_columns(**texts)


_CSV_SPECIAL = [",", '"', "\r", "\n"]  # csv.writer quotes a cell holding one


def _facts(frame: pl.DataFrame, kinds: dict[str, str]) -> dict[str, bool]:
    """For each text column, whether any cell needs each treatment, in one parallel pass
    (most need none)."""
    checks = []
    for name, kind in kinds.items():
        if kind != "text":
            continue
        value = c(name)
        checks += [
            value.str.slice(0, 1).is_in(list(_FORMULA_START)).any().alias(f"{name}:formula"),
            value.str.contains_any(_CSV_SPECIAL).any().alias(f"{name}:special"),
            value.str.contains('"', literal=True).any().alias(f"{name}:quote"),
            value.str.contains(r'[\x00-\x1f"\\]').any().alias(f"{name}:json"),
        ]
    if not checks:
        return {}
    return {k: bool(v) for k, v in frame.select(checks).row(0, named=True).items()}


def _csv_cell(name: str, kind: str, facts: dict[str, bool], safe: bool) -> pl.Expr:
    value = c(name)
    if kind == "null":
        return pl.lit("")
    if kind == "bool":
        return pl.when(value).then(pl.lit("True")).otherwise(pl.lit("False")).fill_null("")
    if kind in ("float", "money"):  # no comma, quote or line break in a number
        return value.fill_null("")
    cell = value
    if safe and facts[f"{name}:formula"]:
        starts = value.str.slice(0, 1).is_in(list(_FORMULA_START))
        formula = starts & ~value.str.contains(_WHOLE_NUMBER)
        cell = pl.when(formula).then("'" + value).otherwise(value)
    if not (facts[f"{name}:special"] or (safe and facts[f"{name}:formula"])):
        return cell.fill_null("")
    special = cell.str.contains_any(_CSV_SPECIAL)
    inner = cell.str.replace_all('"', '""', literal=True) if facts[f"{name}:quote"] else cell
    return pl.when(special).then('"' + inner + '"').otherwise(cell).fill_null("")


def _json_cell(name: str, kind: str, facts: dict[str, bool]) -> pl.Expr:
    value = c(name)
    if kind == "null":
        return pl.lit("null")
    if kind == "bool":
        cell = pl.when(value).then(pl.lit("true")).otherwise(pl.lit("false"))
    elif kind == "float":
        cell = value
    else:
        if kind == "text" and facts[f"{name}:json"]:
            value = value.str.replace_many(list(_JSON_ESCAPES), list(_JSON_ESCAPES.values()))
        cell = '"' + value + '"'
    return cell.fill_null("null")


_SLICE_ROWS = 100_000  # lines made at a time: a million rows' text never sits in memory


def _lines(frame: pl.DataFrame, line: pl.Expr, path: Path, header: str | None) -> None:
    with path.open("wb") as handle:
        if header is not None:
            handle.write(header.encode("utf-8"))
        for part in frame.iter_slices(_SLICE_ROWS):
            part.select(line.alias("line")).write_csv(
                handle,
                include_header=False,
                quote_style="never",
                line_terminator="\r\n" if header is not None else "\n",
            )


def _decimal_type(texts: pl.Series) -> tuple[int, int]:
    """The ``decimal128(precision, scale)`` pyarrow infers from these ``Decimal`` texts."""
    plain = texts.drop_nulls()
    odd = plain.filter(plain.str.contains("E"))
    plain = plain.filter(~plain.str.contains("E"))
    digits = plain.str.strip_prefix("-")
    places = digits.str.extract(r"\.(\d*)$", 1).fill_null("").str.len_chars().cast(pl.Int64)
    whole = digits.str.replace(".", "", literal=True).str.strip_chars_start("0")
    count = whole.str.len_chars().cast(pl.Int64).clip(1)
    scale: int = places.max() or 0  # type: ignore[assignment]
    whole_digits: int = (count - places).clip(0).max() or 0  # type: ignore[assignment]
    for text in odd.to_list():  # a tiny amount Python writes with an exponent
        _sign, numerals, exponent = Decimal(text).as_tuple()
        assert isinstance(exponent, int)
        if exponent < 0:
            precision, its_scale = max(len(numerals), -exponent), -exponent
        else:
            precision, its_scale = len(numerals) + exponent, 0
        scale = max(scale, its_scale)
        whole_digits = max(whole_digits, precision - its_scale)
    return whole_digits + scale, scale


def _parquet(frame: pl.DataFrame, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    fields: list[Any] = []
    columns: list[pl.Series] = []
    for name in frame.columns:
        series = frame.get_column(name)
        if series.null_count() == series.len():
            fields.append(pa.field(name, pa.null()))
            columns.append(series.cast(pl.Null) if series.dtype != pl.Null else series)
            continue
        kind = _kind(frame, name)
        if kind == "money":
            precision, scale = _decimal_type(series)
            fields.append(pa.field(name, pa.decimal128(precision, scale)))
            odd = series.str.contains("E").fill_null(False)
            if odd.any():
                fixed = [format(Decimal(t), "f") for t in series.filter(odd).to_list()]
                series = series.scatter(odd.arg_true(), fixed)
            columns.append(series.cast(pl.Decimal(max(precision, 1), scale)))
        else:
            arrow = {"bool": pa.bool_(), "float": pa.float64(), "text": pa.string()}[kind]
            fields.append(pa.field(name, arrow))
            columns.append(series)
    schema = pa.schema(fields)
    arrays = [s.to_arrow().cast(f.type) for s, f in zip(columns, fields, strict=True)]
    table = pa.Table.from_arrays(arrays, schema=schema).combine_chunks()
    pq.write_table(table, path)


def write_frame(path: Path, frame: pl.DataFrame, fmt: str, *, safe: bool = True) -> int:
    """Write the assessed frame as ``io.write(path, rows, format=fmt, columns=...)`` would
    write its rows; returns the number of rows."""
    kinds = {name: _kind(frame, name) for name in frame.columns}
    if fmt in ("csv", "jsonl"):
        frame = _float_texts(frame)
        facts = _facts(frame, kinds)
    if fmt == "csv":
        header = ",".join(frame.columns) + "\r\n"
        cells = [_csv_cell(name, kinds[name], facts, safe) for name in frame.columns]
        _lines(frame, pl.concat_str(cells, separator=","), path, header)
    elif fmt == "jsonl":
        parts: list[pl.Expr] = []
        for index, name in enumerate(frame.columns):
            key = ('{"' if index == 0 else ', "') + name + '": '
            parts += [pl.lit(key), _json_cell(name, kinds[name], facts)]
        _lines(frame, pl.concat_str([*parts, pl.lit("}")]), path, None)
    elif fmt == "parquet":
        _parquet(frame, path)
    else:
        raise ValueError(f"unknown format {fmt!r}")
    return frame.height
