"""Every customer's assessment: the collection `assess_all` returns, with its tables."""

from __future__ import annotations

from typing import Any

from logicrm._assessment import ROW_COLUMNS, Assessment, AssessmentRow
from logicrm.scoring import (
    AbcClass,
)

_SHOWN = 50  # customers in the notebook view
_REPR_SHOWN = 3  # customers in the text view

KEY_COLUMNS = (
    "customer_id",
    "tier",
    "abc_class",
    "value_score",
    "lifecycle",
    "churn_flag",
    "credit_outcome",
    "credit_limit",
    "on_time_rate",
    "perfect_order_rate",
    "worst_gap",
    "next_action",
)
"""The columns the notebook view of [`Assessments`][logicrm.Assessments] shows first."""


def _class_name(value: AbcClass | None) -> str:
    return "-" if value is None else value.name


class Assessments(dict[str, Assessment]):
    """What [`assess_all()`][logicrm.assess_all] returns: a ``dict`` of customer id to
    [`Assessment`][logicrm.Assessment], with tables for notebooks and files.

    Examples:
        >>> from logicrm import assess_all
        >>> from logicrm.sample import sample_dataset
        >>> from logicrm.scoring import summarize
        >>> data = sample_dataset()
        >>> results = assess_all(data.customers, summarize(data.shipments, as_of=data.as_of),
        ...                      as_of=data.as_of)
        >>> results.rows()[0]["tier"], len(results.rows()) == len(data.customers)
        ('large', True)
    """

    def rows(self) -> list[AssessmentRow]:
        """One [`Assessment.row()`][logicrm.Assessment.row] per customer, in the collection's
        order."""
        return [assessment.row() for assessment in self.values()]

    def to_pandas(self) -> Any:
        """A pandas ``DataFrame`` of [`rows()`][logicrm.Assessments.rows] (needs pandas); money
        amounts as floats."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_pandas needs pandas: pip install pandas") from None
        return pd.DataFrame(self._plain_rows(), columns=list(ROW_COLUMNS))

    def to_polars(self) -> Any:
        """A polars ``DataFrame`` of [`rows()`][logicrm.Assessments.rows] (needs the ``frames``
        extra); money amounts as exact decimals."""
        try:
            import polars as pl
        except ImportError:
            raise ImportError("to_polars needs polars: pip install 'logicrm[frames]'") from None
        rows = self.rows()
        schema = {name: _POLARS_TYPES.get(name, _float)(pl) for name in ROW_COLUMNS}
        return pl.DataFrame(rows, schema=schema, orient="row")

    def _plain_rows(self) -> list[dict[str, Any]]:
        money = ("credit_limit", "cost_to_serve", "margin_after_service")
        return [
            {**row, **{k: None if row[k] is None else float(row[k]) for k in money}}  # type: ignore[literal-required]
            for row in self.rows()
        ]

    def _repr_html_(self) -> str:
        """The notebook view: the key columns of the first 50 customers, their top reasons one
        per line, and every column folded below."""
        from logicrm._html import reasons_cell, row_cells, table

        rows = self.rows()[:_SHOWN]
        firsts = [a.top_reasons() for a in list(self.values())[:_SHOWN]]
        key = [
            [*row_cells(row, KEY_COLUMNS), reasons_cell(reasons)]
            for row, reasons in zip(rows, firsts, strict=True)
        ]
        every = [row_cells(row, ROW_COLUMNS) for row in rows]
        more = len(self) - len(rows)
        note = f"<p><em>{more:,} more not shown</em></p>" if more > 0 else ""
        return (
            f"<div class='logicrm'><strong>Assessments</strong> ({len(self):,} customers)"
            + table([*KEY_COLUMNS, "top reasons"], key, escape=False)
            + f"<details><summary>every column ({len(ROW_COLUMNS)})</summary>"
            + table(ROW_COLUMNS, every, escape=False)
            + f"</details>{note}</div>"
        )

    def __repr__(self) -> str:
        """A short text view: the count and the first customers, never all of them."""
        shown = [
            f"{a.customer_id}: {a.tier.tier.value}, class {_class_name(a.abc_class)}, "
            f"value {'-' if a.value.score is None else f'{a.value.score:.1f}'}"
            for a in list(self.values())[:_REPR_SHOWN]
        ]
        more = f", ... and {len(self) - _REPR_SHOWN:,} more" if len(self) > _REPR_SHOWN else ""
        return f"Assessments({len(self):,} customers: {'; '.join(shown)}{more})"


def _float(pl: Any) -> Any:
    return pl.Float64


_POLARS_TYPES: dict[str, Any] = {
    **dict.fromkeys(
        (
            "customer_id",
            "tier",
            "abc_class",
            "customer_class",
            "lifecycle",
            "credit_outcome",
            "credit_currency",
            "worst_gap",
            "follow_up_due",
            "profit_currency",
            "next_action",
            "retention_lever",
            "incentive",
            "action_reason",
            "top_reasons",
        ),
        lambda pl: pl.String,
    ),
    **dict.fromkeys(
        ("churn_risk", "key_customer", "churn_flag", "unprofitable"), lambda pl: pl.Boolean
    ),
    **dict.fromkeys(
        (
            "credit_term_days",
            "complaints",
            "complaints_met",
            "complaints_breached",
            "follow_ups_overdue",
        ),
        lambda pl: pl.Int64,
    ),
    **dict.fromkeys(
        ("credit_limit", "cost_to_serve", "margin_after_service"), lambda pl: pl.Decimal(38, 9)
    ),
}
