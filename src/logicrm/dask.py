"""Summarising shipments on a Dask cluster: partition by partition, then merge.

Each partition is summarised on its own (with the columnar path for DataFrames, with
[`logicrm.summarize()`][logicrm.scoring.summarize] for bags of [`Shipment`][logicrm.domain.Shipment]
objects) and the partial [`Activity`][logicrm.scoring.Activity] objects are merged; since merging is
associative and commutative, the result equals a single pass over all the data.

Requires the ``dask`` extra: ``pip install 'logicrm[dask]'``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl
from dask.base import compute
from dask.delayed import delayed

from logicrm.frames import FrameSummary, merge_tables, partial_table, to_activities
from logicrm.io import ColumnMapping
from logicrm.scoring import Activity, merge_activities, summarize

__all__ = ["summarize_bag", "summarize_dask"]


def _partition(
    part: Any, number: int, as_of: datetime, mapping: ColumnMapping | None
) -> tuple[Any, Any]:
    table, rejected = partial_table(part, as_of=as_of, mapping=mapping)
    return table, rejected.with_columns(pl.lit(number).alias("partition"))


def summarize_dask(
    data: Any, *, as_of: datetime, mapping: ColumnMapping | None = None
) -> FrameSummary:
    """Summarise a Dask DataFrame of shipments (columns as in [`logicrm.frames`][logicrm.frames]).

    Partitions are summarised where they live; only their per-customer tables travel (as
    Arrow data, cheap to send), are merged in polars exactly as ``Activity.merge`` would, and
    become activities once. Rejected rows carry their ``partition`` and their ``row`` within
    it.

    Examples:
        >>> import dask.dataframe as dd, pandas as pd
        >>> from logicrm.io import _flatten
        >>> from logicrm.sample import sample_dataset
        >>> from logicrm.serialization import to_dict
        >>> data = sample_dataset()
        >>> frame = pd.DataFrame([_flatten(to_dict(s)) for s in data.shipments])
        >>> result = summarize_dask(dd.from_pandas(frame, npartitions=4), as_of=data.as_of)
        >>> result.activities == summarize(data.shipments, as_of=data.as_of)
        True
    """
    parts = data.to_delayed()
    tasks = [delayed(_partition)(part, n, as_of, mapping) for n, part in enumerate(parts)]
    partials = compute(*tasks)  # type: ignore[no-untyped-call]
    if not partials:
        return FrameSummary({}, pl.DataFrame())
    merged = merge_tables([table for table, _ in partials])
    rejected = pl.concat([r for _, r in partials], how="vertical")
    return FrameSummary(to_activities(merged, as_of), rejected)


def summarize_bag(bag: Any, *, as_of: datetime) -> dict[str, Activity]:
    """Summarise a Dask bag of [`Shipment`][logicrm.domain.Shipment] objects."""
    partials = bag.map_partitions(lambda items: [summarize(items, as_of=as_of)]).compute()
    return merge_activities(*partials)
