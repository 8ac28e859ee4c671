"""The reference a user would otherwise write: pandas groupby over the same shipments."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from logicrm import Shipment
from logicrm.scoring import WINDOW_DAYS


def pandas_frame(shipments: Sequence[Shipment]) -> Any:
    """One row per shipment, typed the way pandas users type them (float money)."""
    import pandas as pd

    return pd.DataFrame(
        {
            "customer_id": [s.customer_id for s in shipments],
            "ordered_at": pd.to_datetime([s.ordered_at for s in shipments], utc=True),
            "promised_at": pd.to_datetime([s.promised_at for s in shipments], utc=True),
            "delivered_at": pd.to_datetime([s.delivered_at for s in shipments], utc=True),
            "revenue": [float(s.revenue.amount) for s in shipments],
            "cost": [float(s.cost.amount) for s in shipments],
            "units_ordered": [s.units_ordered for s in shipments],
            "units_delivered": [s.units_delivered for s in shipments],
            "units_damaged": [s.units_damaged for s in shipments],
            "invoice_error": [s.invoice_error for s in shipments],
            "stockout": [s.stockout for s in shipments],
            "substituted": [s.substituted for s in shipments],
            "rerouted": [s.rerouted for s in shipments],
            "returned": [s.returned for s in shipments],
        }
    )


def pandas_aggregate(frame: Any, as_of: datetime) -> Any:
    """The per-customer figures of an Activity, with a hand-written pandas groupby."""
    import pandas as pd

    f = frame[frame["ordered_at"] <= pd.Timestamp(as_of)].copy()
    f["day"] = f["ordered_at"].dt.floor("D")
    delivered = f["delivered_at"].notna()
    on_time = delivered & (f["delivered_at"] <= f["promised_at"])
    in_full = delivered & (f["units_delivered"] >= f["units_ordered"])
    f["delivered"] = delivered
    f["on_time"] = on_time
    f["in_full"] = in_full
    f["otif"] = on_time & in_full
    f["perfect"] = f["otif"] & (f["units_damaged"] == 0) & ~f["invoice_error"]
    f["damaged"] = delivered & (f["units_damaged"] > 0)
    cycle = (f["delivered_at"] - f["ordered_at"]).dt.total_seconds()
    f["cycle"] = cycle.fillna(0.0)
    f["cycle_sq"] = f["cycle"] ** 2
    for days in WINDOW_DAYS:
        inside = f["ordered_at"] > pd.Timestamp(as_of - timedelta(days=days))
        f[f"orders_{days}"] = inside
        f[f"revenue_{days}"] = f["revenue"].where(inside, 0.0)
        f[f"cost_{days}"] = f["cost"].where(inside, 0.0)
    first_day = f.groupby("customer_id")["day"].transform("min")
    f["first_day_revenue"] = f["revenue"].where(f["day"] == first_day, 0.0)
    skip = ("customer_id", "ordered_at", "promised_at", "delivered_at", "day")
    sums = [c for c in f.columns if c not in skip]
    grouped = f.groupby("customer_id")
    return (
        grouped[sums].sum(),
        grouped["ordered_at"].agg(["min", "max", "count"]),
        grouped["day"].nunique(),
    )
