"""Python's text forms of numbers as polars expressions, for the columnar assessment.

The rows the object path writes hold Python's own forms: ``repr`` of a float (``1e-05``),
``str`` of a ``Decimal`` (``12.50``), ``format(n, ",")`` of a count (``1,234``) and
``round(x, 2)``, which rounds the exact binary value half to even. Each is rebuilt here
from polars' shortest round-trip text of the same number, so a whole column is written in
one pass. The few forms polars has no exact kernel for (a float shown with a fixed number of
places, ``f"{x:+.0%}"``) are formatted by Python once per distinct value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from string import Formatter
from typing import Any

import polars as pl

from logicrm._engine._cells import _SCALE

ZERO = "__zero"
"""A column of 0.0 the assessed frame holds, so a divisor is a column: polars divides by a
scalar as a multiplication by its reciprocal, which is not always the IEEE quotient."""


def over(numerator: pl.Expr, divisor: float) -> pl.Expr:
    """``numerator / divisor``, the correctly rounded quotient as Python computes it."""
    return numerator / (pl.lit(float(divisor)) + pl.col(ZERO))


def float_repr(value: pl.Expr) -> pl.Expr:
    """``repr(value)``: polars writes the same shortest digits, but ``1e-5`` and
    ``0.00005`` where Python writes ``1e-05`` and ``5e-05``."""
    text = value.cast(pl.String)
    return (
        text.str.replace(r"^(-?)0\.0000(\d)$", "${1}${2}e-05")
        .str.replace(r"^(-?)0\.0000(\d)(\d+)$", "${1}${2}.${3}e-05")
        .str.replace(r"e-(\d)$", "e-0${1}")
        .str.replace(r"e(\d)", "e+${1}")
    )


def rounded_2(value: pl.Expr) -> pl.Expr:
    """``round(value, 2)`` as Python rounds a float: the exact binary value, half to even.

    ``value * 100`` is carried exactly as ``high + low`` (Dekker's product); the side of the
    half on which it lies is then exact too, and the hundredths are divided back as Python
    converts the rounded decimal (correctly rounded). For values below 2**44."""
    x = value.abs()
    high = x * 100.0
    split = x * 134217729.0
    x_high = split - (split - x)
    low = (x_high * 100.0 - high) + (x - x_high) * 100.0
    whole = high.floor()
    half = (high - whole) - 0.5  # exact: a multiple of high's last place
    above = (half > 0) | ((half == 0) & (low > 0))
    tie = (half == 0) & (low == 0)
    odd = (whole % 2) == 1
    hundredths = whole + (above | (tie & odd)).cast(pl.Float64)
    result = over(hundredths, 100)
    negative = (value < 0) | ((value == 0) & ((1.0 / value) < 0))  # -0.0 stays -0.0
    return pl.when(negative).then(-result).otherwise(result)


def decimal_text(value: pl.Expr, places: pl.Expr) -> pl.Expr:
    """``str(Decimal)`` of an exact 12-place value written with ``places`` (0 to 12) places;
    values under 1e-5 and zeros with more than 6 places (where ``str`` may turn to an
    exponent) are left null for ``fill_decimal_forms``."""
    text = value.cast(pl.String)
    cut = pl.when(places == 0).then(_SCALE + 1).otherwise(_SCALE - places)
    plain = text.str.head(text.str.len_chars() - cut)
    tiny = pl.when(value == 0).then(places > 6).otherwise(value.abs() < pl.lit(Decimal("0.00001")))
    return pl.when(tiny).then(None).otherwise(plain)


def decimal_grouped(plain: pl.Expr) -> pl.Expr:
    """``f"{Decimal(plain):,}"`` from a plain decimal text of a value of at least 1e-5."""
    negative = plain.str.starts_with("-")
    digits = plain.str.strip_prefix("-")
    whole = digits.str.extract(r"^(\d+)", 1)
    fraction = digits.str.extract(r"(\.\d+)$", 1).fill_null("")
    grouped_whole = whole.str.reverse().str.replace_all(r"(\d{3})", "$1,")
    text = grouped_whole.str.strip_suffix(",").str.reverse() + fraction
    return pl.when(negative).then(pl.lit("-") + text).otherwise(text)


def worded(name: pl.Expr, templates: Mapping[str, str], figures: Mapping[str, Any]) -> pl.Expr:
    """Each row's template (``templates[name]``, ``str.format`` style) filled in: a figure
    is a Python value (formatted here with the template's spec) or a function from the spec
    to a text column. The texts between the columns are gathered by name, so a row costs
    a few concatenations whatever the number of templates."""
    texts: dict[str, list[str]] = {}  # per template: the texts around its columns
    columns: dict[str, list[str]] = {}  # per template: "figure:spec" of each column
    made: dict[str, pl.Expr] = {}
    for key, template in templates.items():
        between, used = [""], []
        for literal, figure, spec, _ in Formatter().parse(template):
            between[-1] += literal
            if figure is None:
                continue
            value = figures[figure]
            if callable(value):
                used.append(f"{figure}:{spec}")
                made.setdefault(used[-1], value(spec or ""))
                between.append("")
            else:
                between[-1] += format(value, spec or "")
        texts[key], columns[key] = between, used
    most = max((len(u) for u in columns.values()), default=0)
    parts = [name.replace_strict({k: t[0] for k, t in texts.items()}, return_dtype=pl.String)]
    for place in range(most):
        which = {k: u[place] for k, u in columns.items() if len(u) > place}
        chosen = name.replace_strict(which, default="", return_dtype=pl.String)
        filled: pl.Expr = pl.lit("")
        for one in sorted(set(which.values())):
            filled = pl.when(chosen == one).then(made[one]).otherwise(filled)
        after = {k: t[place + 1] if len(t) > place + 1 else "" for k, t in texts.items()}
        parts += [filled, name.replace_strict(after, return_dtype=pl.String)]
    return pl.concat_str(parts)


def python_forms(
    frame: pl.DataFrame, column: str, form: Callable[[Any], str], where: pl.Expr | None = None
) -> pl.Series:
    """``form(value)`` of ``column`` by Python, once per distinct value (only on the rows
    ``where`` holds; null elsewhere)."""
    values = frame.get_column(column)
    chosen = values if where is None else frame.select(pl.when(where).then(pl.col(column)))[column]
    distinct = chosen.drop_nulls().unique()
    texts = [form(v) for v in distinct.to_list()]
    return chosen.replace_strict(distinct, texts, default=None, return_dtype=pl.String)


def fill_decimal_forms(
    frame: pl.DataFrame, text: str, value: str, form: Callable[[Decimal], str]
) -> pl.DataFrame:
    """The rows of ``text`` that ``decimal_text`` left null, in Python from the exact
    ``value`` column: a handful of tiny amounts, if any."""
    missing = frame.select(pl.col(text).is_null() & pl.col(value).is_not_null()).to_series()
    if not missing.any():
        return frame
    exact = frame.get_column(value).filter(missing).to_list()
    places = frame.get_column(f"{value}_places").filter(missing).to_list()
    forms = [
        form(Decimal(v).quantize(Decimal(1).scaleb(-p)) if p else Decimal(int(v)))
        for v, p in zip(exact, places, strict=True)
    ]
    index = pl.int_range(pl.len())
    positions = frame.select(index.filter(missing)).to_series()
    patched = frame.get_column(text).scatter(positions, forms)
    return frame.with_columns(patched.alias(text))
