"""The columnar engine's cells: shipments' columns checked against their canonical text, read
into typed columns, and the rows that fail handed to the object path's reader."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import polars as pl

from logicrm._readers._plan import ColumnMapping, _flat_fields, _Reader, _required_paths
from logicrm.domain import Shipment
from logicrm.domain._checks import MAX_COUNT, fail
from logicrm.domain._money import ISO_4217, MAX_MAGNITUDE_EXPONENT
from logicrm.errors import CurrencyMismatchError, LogicrmError, ValidationError
from logicrm.serialization import from_dict

_KINDS: dict[str, str] = _flat_fields(Shipment)
_REQUIRED = tuple(_required_paths(Shipment))
_TEXTS = ("id", "customer_id", "revenue.currency", "cost.currency")
_CURRENCIES = ("revenue.currency", "cost.currency")
_CURRENCY_CODES = sorted(ISO_4217)
_TIMES = ("ordered_at", "promised_at", "shipped_at", "delivered_at")
_OPTIONAL_TIMES = ("shipped_at", "delivered_at")
_AMOUNTS = ("revenue.amount", "cost.amount")
_COUNTS = ("units_delivered", "units_damaged")
_FLAGS = ("invoice_error", "stockout", "substituted", "rerouted", "returned")
_WANTED = tuple(_KINDS)
# Amounts are carried as 38-digit decimals with 12 places: with 18 integer digits (Money's
# bound), a sum of ten million amounts still fits. Each amount's own places travel beside
# it, so every sum comes out with the exponent the object path's Decimal arithmetic gives.
_SCALE = 12
_MONEY = pl.Decimal(38, _SCALE)
_UTC_TIME = pl.Datetime("us", "UTC")

# The canonical text of each kind of cell. A cell in its canonical form is read here exactly
# as the object path reads it; a row with any other cell is handed to the object path, which
# decides (so an odd but valid cell is accepted, and a bad one is worded, by one piece of code).
_CANONICAL_TIME = (
    r"^(?:19|2[0-9])[0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])[T ]"
    r"(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{3}|\.[0-9]{6})?)?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$"
)
_CANONICAL_COUNT = r"^[0-9]{1,12}$"
_CANONICAL_AMOUNT = r"^-?(?:0|[1-9][0-9]{0,17})(?:\.[0-9]{1,12})?$"
# A float amount is read by its shortest repr, as Money does; below 10^15 polars writes the
# same digits in plain notation whenever the canonical form applies.
_PLAIN_FLOAT = 1e15
# The range of amounts, as Money enforces it (see logicrm.domain._money).
_AMOUNT_LIMIT = 10**MAX_MAGNITUDE_EXPONENT


class EngineLimit(LogicrmError, ValueError):
    """A valid value the columnar path cannot carry exactly (an amount with more than 12
    decimal places, a time beyond the years 1 to 9999 in UTC): the object path takes it."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        super().__init__(f"{field}: {reason}; use the pure-Python path (--engine python)")


def _to_polars(data: Any) -> pl.DataFrame:
    if isinstance(data, pl.DataFrame):
        return data
    module = type(data).__module__
    if module.startswith("pandas"):
        return pl.from_pandas(data)
    frame = pl.from_arrow(data) if module.startswith("pyarrow") else None
    if not isinstance(frame, pl.DataFrame):
        fail("data", type(data).__name__, "must be a pandas or polars DataFrame or a pyarrow Table")
    return frame


def _natural_constant(kind: str, value: Any) -> bool:
    """Whether a mapping constant is read here as the object path reads it (constants are
    taken as they are, never parsed from text)."""
    if kind in ("str", "datetime"):
        return type(value) is str and value != ""
    if kind == "decimal":
        return (type(value) is str and value != "") or type(value) in (int, float)
    if kind == "int":
        return type(value) is int and value.bit_length() <= 62
    return type(value) is bool


def _source(frame: pl.DataFrame, mapping: ColumnMapping, path: str) -> tuple[pl.Expr, bool]:
    """The expression reading ``path`` (a null literal when absent) and whether every row
    must go to the object path (a constant of a kind read differently there)."""
    if path in mapping.constants:
        value = mapping.constants[path]
        if value is None:
            return pl.lit(None), False
        if not _natural_constant(_KINDS[path], value):
            return pl.lit(None), True
        return pl.lit(value), False
    column = mapping.column(path)
    if column in frame.columns:
        return pl.col(column), False
    head, *rest = column.split(".")
    if rest and isinstance(frame.schema.get(head), pl.Struct):  # nested, as Parquet holds it
        dtype: Any = frame.schema[head]
        expr = pl.col(head)
        for part in rest:
            fields = {f.name: f.dtype for f in dtype.fields} if isinstance(dtype, pl.Struct) else {}
            if part not in fields:
                return pl.lit(None), False
            expr, dtype = expr.struct.field(part), fields[part]
        return expr, False
    return pl.lit(None), False


def _places(text: pl.Expr) -> pl.Expr:
    dot = text.str.find(".", literal=True)
    return pl.when(dot.is_null()).then(0).otherwise(text.str.len_chars() - dot - 1)


# What str.strip() strips: every character Python calls whitespace.
_WHITESPACE = "".join(chr(i) for i in range(0x3001) if chr(i).isspace())


def _read_cell(
    kind: str, expr: pl.Expr, dtype: pl.DataType, mapping: ColumnMapping, *, strip: bool
) -> tuple[pl.Expr, pl.Expr, pl.Expr, pl.Expr | None, pl.Expr | None]:
    """``(value, absent, canonical, places, negative_zero)`` for one field's cells. Text is
    stripped first when ``strip``, as the object path strips it; a present cell is read here
    only where it is ``canonical`` and its value came out (see ``_standardise``)."""
    if isinstance(dtype, pl.Categorical | pl.Enum):
        expr, dtype = expr.cast(pl.String), pl.String()
    text = dtype == pl.String
    if text:
        if strip:
            expr = expr.str.strip_chars(_WHITESPACE)
        absent = expr.is_null() | (expr == "")
    else:
        absent = expr.is_null()
    places = negative_zero = None
    no = pl.lit(False)
    if dtype == pl.Null:
        return pl.lit(None), pl.lit(True), no, None, None
    if kind == "str":
        return (
            (expr, absent, pl.lit(True), None, None)
            if text
            else (pl.lit(None), absent, no, None, None)
        )
    if kind == "datetime":
        if text:
            # The common export form first; the other canonical forms, normalised to it, only
            # where it did not parse (see _parsed_times).
            return _common_time(expr), absent, expr.str.contains(_CANONICAL_TIME), None, None
        if isinstance(dtype, pl.Datetime) and dtype.time_zone and dtype.time_unit != "ns":
            value = expr.dt.convert_time_zone("UTC").dt.cast_time_unit("us")
            return value, absent, pl.lit(True), None, None
        return pl.lit(None), absent, no, None, None  # naive or not a time: the object path says
    if kind == "int":
        if text:
            return (
                expr.cast(pl.Int64, strict=False),
                absent,
                expr.str.contains(_CANONICAL_COUNT),
                None,
                None,
            )
        if dtype.is_integer():
            return expr.cast(pl.Int64, strict=False), absent, pl.lit(True), None, None
        return pl.lit(None), absent, no, None, None
    if kind == "decimal":
        source = None
        if text:
            source, canonical = expr, expr.str.contains(_CANONICAL_AMOUNT)
        elif dtype.is_float():
            source = expr.cast(pl.String)
            canonical = source.str.contains(_CANONICAL_AMOUNT) & (expr.abs() < _PLAIN_FLOAT)
        if source is not None:
            value = source.cast(_MONEY, strict=False)
            places = _places(source)
            negative_zero = source.str.starts_with("-") & (value == 0)
            return value, absent, canonical, places, negative_zero
        if (isinstance(dtype, pl.Decimal) and (dtype.scale or 0) <= _SCALE) or dtype.is_integer():
            scale = dtype.scale or 0 if isinstance(dtype, pl.Decimal) else 0
            return expr.cast(_MONEY, strict=False), absent, pl.lit(True), pl.lit(scale), None
        return pl.lit(None), absent, no, None, None
    if text:  # a flag: its spellings as written (true, True, TRUE), matched exactly
        value = expr.is_in(_written(mapping.true_values))
        known = value | expr.is_in(_written(mapping.false_values))
        return value, absent, known, None, None
    if dtype == pl.Boolean:
        return expr, absent, pl.lit(True), None, None
    return pl.lit(None), absent, no, None, None


def _common_time(text: pl.Expr) -> pl.Expr:
    """``2024-01-31T09:30:00+08:00`` (the common export form) in UTC, else null: the local
    time by polars' fast parser, less the offset looked up among the offsets' texts, which is
    twice as quick as parsing with ``%:z``. Only a cell of the canonical form is read by its
    value."""
    local = text.str.slice(0, 19).str.to_datetime("%Y-%m-%dT%H:%M:%S", time_unit="us", strict=False)
    # Where the first 19 characters are a local time and the rest an offset, the text is 25
    # long with ":" at 22: the lookup alone picks out the common form.
    texts, minutes = _OFFSETS  # the offset's place among the offsets' texts, as an Enum
    offset = pl.lit(minutes).gather(text.str.slice(19).cast(texts, strict=False).to_physical())
    return (local - pl.duration(minutes=offset)).dt.replace_time_zone("UTC")


def _offsets() -> tuple[pl.Enum, pl.Series]:
    """Every offset's text (``+08:00``) and its minutes."""
    texts, minutes = [], []
    for sign in (1, -1):
        for hours in range(24):
            for mins in range(60):
                texts.append(f"{'+' if sign > 0 else '-'}{hours:02d}:{mins:02d}")
                minutes.append(sign * (hours * 60 + mins))
    return pl.Enum(texts), pl.Series(minutes, dtype=pl.Int64)


_OFFSETS = _offsets()


def _written(spellings: frozenset[str]) -> list[str]:
    """The ways a lower-case spelling is commonly written that ``str.lower()`` maps back to
    it; other casings go to the object path."""
    forms = {f for s in spellings for f in (s, s.upper(), s.title(), s.capitalize())}
    return sorted(f for f in forms if f.lower() in spellings)


_DTYPES: dict[str, Any] = {
    "str": pl.String,
    "datetime": _UTC_TIME,
    "int": pl.Int64,
    "decimal": _MONEY,
    "bool": pl.Boolean,
}
_DEFAULTS: dict[str, Any] = {
    **{p: pl.lit(None, _UTC_TIME) for p in _OPTIONAL_TIMES},
    **{p: pl.lit(0, pl.Int64) for p in _COUNTS},
    **{p: pl.lit(False) for p in _FLAGS},
}


def _standardise(frame: pl.DataFrame, mapping: ColumnMapping) -> pl.DataFrame:
    """The shipments in the field paths' names and types, with ``__row`` (position),
    ``__ok`` (read here, and no rule broken) and each amount's places; rows that are not
    ``__ok`` go to the object path (see ``_settle``)."""
    c = pl.col
    stage: list[pl.Expr] = [pl.int_range(pl.len(), dtype=pl.UInt32).alias("__row")]
    odd_everywhere = False
    text_times = []
    unstripped = []
    extra = {
        "__revenue_places": pl.lit(0),
        "__cost_places": pl.lit(0),
        "__revenue_negative_zero": pl.lit(False),
    }
    for path, kind in _KINDS.items():
        expr, odd = _source(frame, mapping, path)
        odd_everywhere = odd_everywhere or odd
        dtype = frame.head(0).select(expr).dtypes[0]
        # A canonical time, count, amount, flag or currency has no space around it: such a
        # column is stripped only if a cell of it is not canonical as it stands (see
        # _restripped).
        strip = kind == "str" and path not in _CURRENCIES
        if not strip and (dtype == pl.String or isinstance(dtype, pl.Categorical | pl.Enum)):
            unstripped.append(path)
        exprs, money = _cell_exprs(path, kind, expr, dtype, mapping, strip=strip)
        stage += exprs
        extra.update(money)
        if kind == "datetime" and dtype == pl.String:
            text_times.append((path, expr.str.strip_chars(_WHITESPACE)))
    stage += [_typed_extra(name, value) for name, value in extra.items()]
    out = frame.lazy().select(stage).collect()  # lazily: each strip and parse made once
    out = _restripped(out, frame, mapping, unstripped)
    out = _parsed_times(out, frame, text_times)
    oks = []
    for path in _KINDS:
        absent, canonical = c(f"__absent {path}"), c(f"__canonical {path}")
        present_ok = canonical & c(path).is_not_null()
        oks.append((~absent & present_ok) if path in _REQUIRED else (absent | present_ok))
    defaults = [
        pl.when(c(f"__absent {p}")).then(default).otherwise(c(p)).alias(p)
        for p, default in _DEFAULTS.items()
    ]
    out = out.with_columns(pl.all_horizontal(oks).fill_null(False).alias("__ok"))
    out = out.with_columns(defaults).drop(
        [n for n in out.columns if n.startswith(("__absent ", "__canonical "))]
    )
    kept = (c("__ok") & _rules_kept()).fill_null(False)
    return out.with_columns((kept & pl.lit(not odd_everywhere)).alias("__ok"))


def _cell_exprs(
    path: str, kind: str, expr: pl.Expr, dtype: pl.DataType, mapping: ColumnMapping, *, strip: bool
) -> tuple[list[pl.Expr], dict[str, pl.Expr]]:
    """One field's value, absence and canonical columns, and its amount's places and
    negative zero (by the names ``_standardise`` gives them)."""
    value, absent, canonical, places, negative_zero = _read_cell(
        kind, expr, dtype, mapping, strip=strip
    )
    if path in _CURRENCIES:  # canonical: one of ISO 4217's codes, as it stands
        canonical = canonical & value.is_in(_CURRENCY_CODES)
    exprs = [
        value.cast(_DTYPES[kind]).alias(path),
        absent.alias(f"__absent {path}"),
        canonical.alias(f"__canonical {path}"),
    ]
    money = path.split(".")[0]
    extra = {}
    if places is not None:
        extra[f"__{money}_places"] = places
    if negative_zero is not None and money == "revenue":
        extra["__revenue_negative_zero"] = negative_zero.fill_null(False)
    return exprs, extra


def _typed_extra(name: str, value: pl.Expr) -> pl.Expr:
    # Places fit in a byte (Money's exponents lie within -18 and 12; the rows with longer
    # text are not read here, their null places never used).
    return value.cast(pl.Int8 if "places" in name else pl.Boolean, strict=False).alias(name)


def _restripped(
    out: pl.DataFrame, frame: pl.DataFrame, mapping: ColumnMapping, unstripped: list[str]
) -> pl.DataFrame:
    """The text columns read unstripped, read again stripped where some present cell was
    not canonical as it stood (a space around it, or a bad cell the object path words)."""
    c = pl.col
    if not unstripped:
        return out
    loose = out.select(
        (~c(f"__absent {p}") & ~c(f"__canonical {p}")).any().alias(p) for p in unstripped
    ).row(0)
    again: list[pl.Expr] = []
    for path, redo in zip(unstripped, loose, strict=True):
        if redo:
            expr = _source(frame, mapping, path)[0]
            dtype = frame.head(0).select(expr).dtypes[0]
            exprs, extra = _cell_exprs(path, _KINDS[path], expr, dtype, mapping, strip=True)
            again += exprs + [_typed_extra(name, value) for name, value in extra.items()]
    if not again:
        return out
    return out.with_columns(frame.lazy().select(again).collect().get_columns())


def _parsed_times(
    out: pl.DataFrame, frame: pl.DataFrame, text_times: list[tuple[str, pl.Expr]]
) -> pl.DataFrame:
    """Times in a canonical form other than the common one (a space for the ``T``, ``Z``, no
    seconds, a fraction), normalised and parsed: only when some cell needs it."""
    c = pl.col
    for path, text in text_times:
        missed = c(f"__canonical {path}") & c(path).is_null() & ~c(f"__absent {path}")
        if not out.select(missed.any()).item():
            continue
        normal = (
            text.str.replace(r"^(.{10}) ", "${1}T")
            .str.replace(r"^(.{16})([Z+-])", "${1}:00${2}")
            .str.replace("Z$", "+00:00")
            .str.to_datetime(
                format="%Y-%m-%dT%H:%M:%S%.f%:z", time_zone="UTC", time_unit="us", strict=False
            )
        )
        out = out.with_columns(pl.coalesce(c(path), frame.select(normal.alias(path))[path]))
    return out


def _rules_kept() -> pl.Expr:
    """True where a read row keeps every Shipment rule (null or false: the object path
    decides)."""
    c = pl.col
    start = pl.coalesce(c("shipped_at"), c("ordered_at"))
    kept: pl.Expr = (
        (c("promised_at") >= c("ordered_at"))
        & (c("shipped_at").is_null() | (c("shipped_at") >= c("ordered_at")))
        & (c("delivered_at").is_null() | (c("delivered_at") >= start))
        & c("units_ordered").is_between(0, MAX_COUNT)
        & c("units_delivered").is_between(0, MAX_COUNT)
        & c("units_damaged").is_between(0, c("units_delivered"))
        & (c("revenue.amount").abs() < _AMOUNT_LIMIT)
        & (c("cost.amount").abs() < _AMOUNT_LIMIT)
        & (c("revenue.currency") == c("cost.currency"))  # each a code (see _cell_exprs)
    )
    return kept


def _utc(field: str, moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise EngineLimit(field, f"{moment.isoformat()} lies beyond the year 9999 in UTC") from None


def _typed_row(position: int, s: Shipment) -> dict[str, Any]:
    """A shipment the object path accepted, as a row of the standardised frame."""
    row: dict[str, Any] = {"__row": position, "id": s.id, "customer_id": s.customer_id}
    for name in _TIMES:
        moment = getattr(s, name)
        row[name] = None if moment is None else _utc(name, moment)
    for money in ("revenue", "cost"):
        amount = getattr(s, money)
        exponent = amount.amount.as_tuple().exponent
        assert isinstance(exponent, int)  # Money is finite
        if -exponent > _SCALE:
            raise EngineLimit(f"{money}.amount", f"{amount.amount} has more than 12 decimal places")
        row[f"{money}.amount"] = amount.amount
        row[f"{money}.currency"] = amount.currency
        row[f"__{money}_places"] = -exponent
    for name in ("units_ordered", *_COUNTS, *_FLAGS):
        row[name] = getattr(s, name)
    row["__ok"] = True
    row["__revenue_negative_zero"] = s.revenue.amount.is_zero() and s.revenue.amount.is_signed()
    return row


Rejection = tuple[int, tuple[tuple[str, str], ...], Mapping[str, Any]]
""" A row the object path refused: its position, its problems (column, reason), the row."""


def _settle(
    frame: pl.DataFrame,
    raw_rows: Callable[[list[int]], Iterable[Mapping[str, Any]]],
    reader: _Reader,
) -> tuple[pl.DataFrame, list[Rejection]]:
    """The valid rows (in order) and the rejected ones: the rows the vectorised reading
    could not vouch for are read once more by the object path, which accepts or words them."""
    if frame["__ok"].all():
        return frame, []  # the common case, without a copy
    odd = frame.filter(~pl.col("__ok"))
    valid = frame.filter(pl.col("__ok"))
    positions = odd["__row"].to_list()
    accepted: list[dict[str, Any]] = []
    rejected: list[Rejection] = []
    for position, raw in zip(positions, raw_rows(positions), strict=True):
        try:
            shipment = from_dict(Shipment, reader.record(raw))
        except ValidationError as error:
            rejected.append((position, reader.problems(error), raw))
        else:
            accepted.append(_typed_row(position, shipment))
    if accepted:
        extra = pl.DataFrame(accepted, schema=valid.schema)
        valid = pl.concat([valid, extra]).sort("__row")
    return valid, rejected


def _currency_clash(
    valid: pl.DataFrame, as_of: datetime, known: pl.DataFrame | None = None
) -> CurrencyMismatchError | None:
    """The error the object path raises at the first counted row in another currency than
    its customer's (``known`` from earlier rows, else its first counted row's)."""
    c = pl.col
    if known is None:
        currency = c("revenue.currency")
        least, most = valid.select(currency.min(), currency.max().alias("most")).row(0)
        if least == most:
            return None  # one currency in every row (the common case, without a filter)
    counted = (
        valid.lazy()
        .filter(c("ordered_at") <= pl.lit(as_of.astimezone(UTC)))
        .select("__row", "customer_id", c("revenue.currency").alias("currency"))
        .collect()  # lazily: only the three columns are filtered
    )
    if known is None and counted["currency"].n_unique() < 2:
        return None  # one currency among the counted rows: nothing can clash
    first = counted.group_by("customer_id").agg(c("currency").sort_by("__row").first())
    if known is not None:
        first = pl.concat([known, first.join(known, on="customer_id", how="anti")])
    clash = (
        counted.join(first.rename({"currency": "__first"}), on="customer_id")
        .filter(c("currency") != c("__first"))
        .sort("__row")
        .head(1)
    )
    if clash.height:
        return CurrencyMismatchError(clash["__first"][0], clash["currency"][0], "add")
    return None


def _raw_rows(original: pl.DataFrame, positions: list[int]) -> Iterator[dict[str, Any]]:
    return original[positions].iter_rows(named=True)


def _rejected_frame(rejected: list[Rejection], first_line: int = 2) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "row": pl.Series([r[0] for r in rejected], dtype=pl.UInt32),
            "line": pl.Series([r[0] + first_line for r in rejected], dtype=pl.Int64),
            "column": pl.Series([r[1][0][0] for r in rejected], dtype=pl.String),
            "reason": pl.Series([r[1][0][1] for r in rejected], dtype=pl.String),
        }
    )


def _check_schema(frame: pl.DataFrame, mapping: ColumnMapping) -> None:
    """A table's own problems, told before any row is read: a required column missing, a
    time column that is naive or not a time at all."""
    for path in _REQUIRED:
        if path not in mapping.constants and _source(frame, mapping, path)[0].meta.is_literal():
            fail("data", mapping.column(path), "is a required column and is missing")
    for path in _TIMES:
        expr = _source(frame, mapping, path)[0]
        dtype = frame.head(0).select(expr).dtypes[0]
        if isinstance(dtype, pl.Datetime):
            if dtype.time_zone is None and frame.select(expr.is_not_null().any()).item():
                fail(path, "naive datetime column", "must be timezone-aware")
        elif dtype not in (pl.String, pl.Null) and not isinstance(dtype, pl.Categorical):
            fail(path, str(dtype), "must be a datetime or ISO 8601 string column")
